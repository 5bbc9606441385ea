//! A SEMRES identity: a display name, one RSA encryption key (CEDA) and one Ed25519
//! signing key (ledger), kept together in one passphrase-protected file.
//!
//! The file is a standard JWE (RFC 7516, flattened JSON serialization) with
//! `PBES2-HS512+A256KW` key management (RFC 7518 §4.8: PBKDF2-HMAC-SHA-512 then AES key wrap)
//! and `A256CBC-HS512` content encryption, so any JOSE library can open it with the
//! passphrase; its plaintext is JSON holding the two private JWKs. SPEC.md §3.4.

use aes::cipher::KeyInit;
use aes_kw::KwAes256;
use rand_core::TryCryptoRng;
use serde::Deserialize;
use serde_json::{json, Value};
use sha2::Sha512;
use zeroize::Zeroizing;

use crate::ceda::content::{self, ContentEncryption, IV_LEN};
use crate::ceda::EncryptionPrivateKey;
use crate::encoding::b64;
use crate::error::{Error, Result};

pub mod equation;
pub mod signing;

pub use signing::{SigningPrivateKey, SigningPublicKey};

/// `alg` of the identity file.
pub const IDENTITY_ALG: &str = "PBES2-HS512+A256KW";
/// `typ` of the identity file.
pub const IDENTITY_TYP: &str = "semres-identity+jwe";
/// PBKDF2 iterations we write (OWASP's figure for PBKDF2-HMAC-SHA-512).
pub const DEFAULT_ITERATIONS: u32 = 210_000;
/// Fewest PBKDF2 iterations we accept on reading.
pub const MIN_ITERATIONS: u32 = 1_000;
/// Most PBKDF2 iterations we accept on reading (a hostile file must not stall the reader).
pub const MAX_ITERATIONS: u32 = 10_000_000;
const MAX_FILE_BYTES: usize = 256 * 1024;

/// A participant's name and keys. Private material is wiped on drop.
#[derive(Debug)]
pub struct Identity {
    /// Display name (local only: names never go on the ledger).
    pub name: String,
    /// RSA key that opens SMeRs sealed to this participant.
    pub encryption: EncryptionPrivateKey,
    /// Ed25519 key that signs this participant's ledger entries.
    pub signing: SigningPrivateKey,
}

fn check_name(name: &str) -> Result<()> {
    if name.is_empty() || name.chars().count() > 128 || name.chars().any(char::is_control) {
        return Err(Error::InvalidInput(
            "a name is 1-128 characters without control characters",
        ));
    }
    Ok(())
}

fn derive_kek(passphrase: &[u8], p2s: &[u8], iterations: u32) -> Zeroizing<[u8; 32]> {
    // RFC 7518 §4.8.1.1: salt = UTF8(alg) || 0x00 || p2s.
    let mut salt = Vec::with_capacity(IDENTITY_ALG.len() + 1 + p2s.len());
    salt.extend_from_slice(IDENTITY_ALG.as_bytes());
    salt.push(0);
    salt.extend_from_slice(p2s);
    let mut kek = Zeroizing::new([0u8; 32]);
    pbkdf2::pbkdf2_hmac::<Sha512>(passphrase, &salt, iterations, kek.as_mut());
    kek
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FlattenedJwe {
    protected: String,
    encrypted_key: String,
    iv: String,
    ciphertext: String,
    tag: String,
}

impl Identity {
    /// Generates an identity: an RSA key of `bits` and an Ed25519 key.
    pub fn generate<R: TryCryptoRng + ?Sized>(
        rng: &mut R,
        name: &str,
        bits: usize,
    ) -> Result<Self> {
        check_name(name)?;
        Ok(Identity {
            name: name.to_owned(),
            encryption: EncryptionPrivateKey::generate(rng, bits)?,
            signing: SigningPrivateKey::generate(rng)?,
        })
    }

    /// A new identity around an RSA key generated elsewhere (in the browser, by WebCrypto,
    /// which is ten times faster than generating it here) and a new Ed25519 key from `rng`.
    pub fn with_encryption_key<R: TryCryptoRng + ?Sized>(
        rng: &mut R,
        name: &str,
        encryption: EncryptionPrivateKey,
    ) -> Result<Self> {
        check_name(name)?;
        Ok(Identity {
            name: name.to_owned(),
            encryption,
            signing: SigningPrivateKey::generate(rng)?,
        })
    }

    /// Encrypts the identity under `passphrase` with `iterations` PBKDF2 rounds.
    pub fn export<R: TryCryptoRng + ?Sized>(
        &self,
        rng: &mut R,
        passphrase: &[u8],
        iterations: u32,
    ) -> Result<Vec<u8>> {
        if passphrase.is_empty() {
            return Err(Error::InvalidInput("the passphrase is empty"));
        }
        if !(MIN_ITERATIONS..=MAX_ITERATIONS).contains(&iterations) {
            return Err(Error::InvalidInput("PBKDF2 iterations out of range"));
        }
        check_name(&self.name)?;
        let encryption_jwk = self.encryption.to_jwk()?;
        let signing_jwk = self.signing.to_jwk();
        let parse =
            |text: &str| serde_json::from_str::<Value>(text).map_err(|_| Error::KeyFormat("JWK"));
        let payload = Zeroizing::new(
            json!({
                "semres_identity": 1,
                "name": self.name,
                "encryption_key": parse(&encryption_jwk)?,
                "signing_key": parse(&signing_jwk)?,
            })
            .to_string(),
        );
        let mut fill = |buf: &mut [u8]| {
            rng.try_fill_bytes(buf)
                .map_err(|_| Error::RandomnessUnavailable)
        };
        let mut p2s = [0u8; 16];
        fill(&mut p2s)?;
        let mut cek = Zeroizing::new([0u8; 64]);
        fill(cek.as_mut())?;
        let mut iv = [0u8; IV_LEN];
        fill(&mut iv)?;
        let header = json!({
            "alg": IDENTITY_ALG, "cty": "application/json", "enc": "A256CBC-HS512",
            "p2c": iterations, "p2s": b64::encode(&p2s), "typ": IDENTITY_TYP,
        })
        .to_string();
        let protected = b64::encode(header.as_bytes());
        let kek = derive_kek(passphrase, &p2s, iterations);
        let mut wrapped = [0u8; 72];
        KwAes256::new(&(*kek).into())
            .wrap_key(cek.as_ref(), &mut wrapped)
            .map_err(|_| Error::InvalidInput("key wrap failed"))?;
        let sealed = content::encrypt(
            ContentEncryption::A256CbcHs512,
            cek.as_ref(),
            &iv,
            protected.as_bytes(),
            payload.as_bytes(),
        )?;
        Ok(json!({
            "protected": protected,
            "encrypted_key": b64::encode(&wrapped),
            "iv": b64::encode(&iv),
            "ciphertext": b64::encode(&sealed.ciphertext),
            "tag": b64::encode(&sealed.tag),
        })
        .to_string()
        .into_bytes())
    }

    /// Opens an identity file with its passphrase. A wrong passphrase is
    /// [`Error::WrongPassphrase`]; a file altered after it was written, `DecryptionFailed`.
    pub fn import(file: &[u8], passphrase: &[u8]) -> Result<Self> {
        if file.len() > MAX_FILE_BYTES {
            return Err(Error::TooLarge {
                what: "identity file",
                limit: MAX_FILE_BYTES,
            });
        }
        let malformed = |why| Error::KeyFormat(why);
        let jwe: FlattenedJwe =
            serde_json::from_slice(file).map_err(|_| malformed("not a SEMRES identity file"))?;
        let header_bytes =
            b64::decode(&jwe.protected).ok_or(malformed("identity header is not base64url"))?;
        let header: Value = serde_json::from_slice(&header_bytes)
            .map_err(|_| malformed("identity header is not JSON"))?;
        if header["alg"] != IDENTITY_ALG || header["enc"] != "A256CBC-HS512" {
            return Err(Error::UnsupportedAlgorithm(
                "identity files use PBES2-HS512+A256KW with A256CBC-HS512",
            ));
        }
        let iterations = header["p2c"]
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .filter(|n| (MIN_ITERATIONS..=MAX_ITERATIONS).contains(n))
            .ok_or(malformed("identity p2c missing or out of range"))?;
        let p2s = header["p2s"]
            .as_str()
            .and_then(b64::decode)
            .filter(|s| s.len() >= 8)
            .ok_or(malformed("identity p2s missing"))?;
        let field = |s: &str| b64::decode(s).ok_or(malformed("identity field is not base64url"));
        let (wrapped, iv, ciphertext, tag) = (
            field(&jwe.encrypted_key)?,
            field(&jwe.iv)?,
            field(&jwe.ciphertext)?,
            field(&jwe.tag)?,
        );
        if wrapped.len() != 72 {
            return Err(malformed("identity encrypted_key has the wrong length"));
        }
        let kek = derive_kek(passphrase, &p2s, iterations);
        let mut cek = Zeroizing::new([0u8; 64]);
        KwAes256::new(&(*kek).into())
            .unwrap_key(&wrapped, cek.as_mut())
            .map_err(|_| Error::WrongPassphrase)?;
        let payload = content::decrypt(
            ContentEncryption::A256CbcHs512,
            cek.as_ref(),
            &iv,
            jwe.protected.as_bytes(),
            ciphertext,
            &tag,
        )?;
        let value: Value = serde_json::from_slice(&payload)
            .map_err(|_| malformed("identity content is not JSON"))?;
        let value = Zeroizing::new(value.to_string());
        let value: Value =
            serde_json::from_str(&value).map_err(|_| malformed("identity content is not JSON"))?;
        if value["semres_identity"] != 1 {
            return Err(Error::UnsupportedVersion(
                value["semres_identity"].as_u64().unwrap_or(0),
            ));
        }
        let name = value["name"]
            .as_str()
            .ok_or(malformed("identity has no name"))?
            .to_owned();
        check_name(&name)?;
        let encryption_jwk = Zeroizing::new(value["encryption_key"].to_string());
        let signing_jwk = Zeroizing::new(value["signing_key"].to_string());
        Ok(Identity {
            name,
            encryption: EncryptionPrivateKey::from_jwk(&encryption_jwk)?,
            signing: SigningPrivateKey::from_jwk(&signing_jwk)?,
        })
    }
}
