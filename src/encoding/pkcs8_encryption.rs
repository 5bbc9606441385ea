//! Passphrase-protected private keys: PKCS#8 `EncryptedPrivateKeyInfo` (RFC 5958) with
//! PBES2 (RFC 8018), shared by the RSA encryption keys and the Ed25519 signing keys.
//!
//! We write scrypt (N = 2^14, r = 8, p = 1, as OpenSSL 3 accepts) with AES-256-CBC; we read
//! PBES2 with scrypt or PBKDF2 (HMAC-SHA-256/384/512) and AES-CBC — OpenSSL's
//! `genpkey -aes-256-cbc` default — and refuse PBES1 and KDF costs that would make reading
//! a hostile file a denial of service.

use pkcs8::der::pem::LineEnding;
use pkcs8::pkcs5::pbes2::Kdf;
use pkcs8::pkcs5::EncryptionScheme;
use pkcs8::{EncryptedPrivateKeyInfoRef, PrivateKeyInfoRef};
use rand_core::TryCryptoRng;
use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// PEM label of an encrypted PKCS#8 document.
pub(crate) const ENCRYPTED_LABEL: &str = "ENCRYPTED PRIVATE KEY";
/// Highest PBKDF2 iteration count we agree to compute.
const MAX_PBKDF2_ITERATIONS: u32 = 10_000_000;
/// Highest scrypt cost (N) we agree to compute: 2^20 (1 GiB at r = 8).
const MAX_SCRYPT_N: u64 = 1 << 20;
const MAX_SCRYPT_R: u16 = 32;
const MAX_SCRYPT_P: u16 = 16;

/// Encrypts a PKCS#8 `PrivateKeyInfo` (DER) under `passphrase`; returns PEM.
pub(crate) fn encrypt_pem<R: TryCryptoRng + ?Sized>(
    rng: &mut R,
    pkcs8_der: &[u8],
    passphrase: &[u8],
) -> Result<Zeroizing<String>> {
    if passphrase.is_empty() {
        return Err(Error::InvalidInput("the passphrase is empty"));
    }
    let info = PrivateKeyInfoRef::try_from(pkcs8_der)
        .map_err(|_| Error::KeyFormat("cannot read PKCS#8"))?;
    let mut rng = RngRef(rng);
    let document = info
        .encrypt_with_rng(&mut rng, passphrase)
        .map_err(|_| Error::RandomnessUnavailable)?;
    document
        .to_pem(ENCRYPTED_LABEL, LineEnding::LF)
        .map_err(|_| Error::KeyFormat("cannot encode encrypted PKCS#8"))
}

/// Decrypts an `ENCRYPTED PRIVATE KEY` PEM; returns the inner PKCS#8 DER.
pub(crate) fn decrypt_pem(text: &str, passphrase: Option<&[u8]>) -> Result<Zeroizing<Vec<u8>>> {
    let (label, der) = pkcs8::der::pem::decode_vec(text.trim().as_bytes())
        .map_err(|_| Error::KeyFormat("invalid PEM"))?;
    if label != ENCRYPTED_LABEL {
        return Err(Error::KeyFormat("PEM is not an encrypted private key"));
    }
    let info = EncryptedPrivateKeyInfoRef::try_from(der.as_slice())
        .map_err(|_| Error::KeyFormat("invalid encrypted PKCS#8"))?;
    check_cost(&info.encryption_algorithm)?;
    let passphrase = passphrase.ok_or(Error::PassphraseRequired)?;
    let document = info
        .decrypt(passphrase)
        .map_err(|_| Error::WrongPassphrase)?;
    Ok(Zeroizing::new(document.as_bytes().to_vec()))
}

fn check_cost(scheme: &EncryptionScheme) -> Result<()> {
    let EncryptionScheme::Pbes2(params) = scheme else {
        return Err(Error::KeyFormat(
            "only PBES2 key encryption is supported (PBES1 is obsolete)",
        ));
    };
    match &params.kdf {
        Kdf::Pbkdf2(p) if p.iteration_count <= MAX_PBKDF2_ITERATIONS => Ok(()),
        Kdf::Scrypt(s)
            if s.cost_parameter <= MAX_SCRYPT_N
                && s.block_size <= MAX_SCRYPT_R
                && s.parallelization <= MAX_SCRYPT_P =>
        {
            Ok(())
        }
        _ => Err(Error::KeyFormat(
            "the key's passphrase KDF asks for more work than SEMRES allows",
        )),
    }
}

/// Adapts `&mut R` (possibly unsized) to the sized RNG the `pkcs8` crate takes.
struct RngRef<'a, R: ?Sized>(&'a mut R);

impl<R: TryCryptoRng + ?Sized> rand_core::TryRng for RngRef<'_, R> {
    type Error = R::Error;
    fn try_next_u32(&mut self) -> core::result::Result<u32, Self::Error> {
        self.0.try_next_u32()
    }
    fn try_next_u64(&mut self) -> core::result::Result<u64, Self::Error> {
        self.0.try_next_u64()
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> core::result::Result<(), Self::Error> {
        self.0.try_fill_bytes(dst)
    }
}

impl<R: TryCryptoRng + ?Sized> rand_core::TryCryptoRng for RngRef<'_, R> {}
