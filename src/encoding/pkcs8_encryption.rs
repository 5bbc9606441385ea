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
/// Most memory scrypt may ask for, 128·N·r bytes: 256 MiB (N = 2^18 at r = 8; OpenSSL's
/// default is 16 MiB). A hostile key file must not make a browser tab allocate gigabytes.
const MAX_SCRYPT_MEMORY: u64 = 256 * 1024 * 1024;
/// Most scrypt work, N·r·p (in 128-byte block mixes): 2^22 — 256 MiB of mixing.
const MAX_SCRYPT_WORK: u64 = 1 << 22;

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
            if scrypt_cost_allowed(s.cost_parameter, s.block_size, s.parallelization) =>
        {
            Ok(())
        }
        _ => Err(Error::KeyFormat(
            "the key's passphrase KDF asks for more work than SEMRES allows",
        )),
    }
}

/// scrypt's memory (128·N·r) and work (N·r·p) within our bounds, in checked arithmetic.
fn scrypt_cost_allowed(n: u64, r: u16, p: u16) -> bool {
    let memory = n.checked_mul(u64::from(r)).and_then(|v| v.checked_mul(128));
    let work = n
        .checked_mul(u64::from(r))
        .and_then(|v| v.checked_mul(u64::from(p)));
    matches!((memory, work), (Some(m), Some(w)) if m <= MAX_SCRYPT_MEMORY && w <= MAX_SCRYPT_WORK)
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

#[cfg(test)]
mod tests {
    use super::*;
    use pkcs8::pkcs5::pbes2::{EncryptionScheme as Cipher, Kdf, Parameters, ScryptParams};

    fn scrypt(n: u64, r: u16, p: u16) -> EncryptionScheme {
        EncryptionScheme::Pbes2(Parameters {
            kdf: Kdf::Scrypt(ScryptParams {
                salt: (&[7u8; 16][..]).try_into().unwrap(),
                cost_parameter: n,
                block_size: r,
                parallelization: p,
                key_length: None,
            }),
            encryption: Cipher::Aes256Cbc { iv: [0; 16] },
        })
    }

    #[test]
    fn scrypt_costs_a_hostile_file_may_ask_for_are_bounded() {
        // OpenSSL's default and the strongest common profiles we accept.
        for (n, r, p) in [
            (1 << 14, 8, 1),
            (1 << 18, 8, 1),
            (1 << 16, 8, 4),
            (1 << 20, 2, 2),
        ] {
            assert!(check_cost(&scrypt(n, r, p)).is_ok(), "{n} {r} {p}");
        }
        // 4 GiB of memory (N = 2^20, r = 32) was accepted before; the work bound; overflow.
        for (n, r, p) in [
            (1 << 20, 32, 1),
            (1 << 20, 8, 1),
            (1 << 18, 8, 16),
            (u64::MAX, 1, 1),
            (1 << 60, u16::MAX, u16::MAX),
        ] {
            assert!(
                matches!(check_cost(&scrypt(n, r, p)), Err(Error::KeyFormat(_))),
                "{n} {r} {p}"
            );
        }
    }
}
