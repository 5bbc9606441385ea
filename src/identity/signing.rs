//! Ed25519 signing keys (RFC 8032): the key with which an EMR owner signs the ledger entry
//! that authorizes a SMeR (the paper's "Signature" block field, Fig. 6), and with which
//! clinicians and authorities sign theirs. Formats: PKCS#8 / SPKI PEM (RFC 8410), encrypted
//! PKCS#8, and the OKP JWK of RFC 8037; key id = RFC 7638 thumbprint.

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use pkcs8::der::pem::LineEnding;
use rand_core::TryCryptoRng;
use serde_json::{Map, Value};
use zeroize::Zeroizing;

use crate::encoding::{b64, check_key_text, jwk, pem, pkcs8_encryption};
use crate::error::{Error, Result};

/// The id-Ed25519 object identifier, 1.3.101.112 (RFC 8410), DER-encoded with its tag.
const ED25519_ALGORITHM_ID: [u8; 7] = [0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70];
/// Length of an Ed25519 signature.
pub const SIGNATURE_LEN: usize = 64;

/// An Ed25519 public key.
#[derive(Clone, PartialEq, Eq)]
pub struct SigningPublicKey {
    inner: VerifyingKey,
    key_id: String,
}

/// An Ed25519 private key; its seed is wiped on drop. `Debug` prints only the key id.
#[derive(Clone)]
pub struct SigningPrivateKey {
    inner: SigningKey,
    public: SigningPublicKey,
}

impl core::fmt::Debug for SigningPublicKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "SigningPublicKey({})", self.key_id)
    }
}

impl core::fmt::Debug for SigningPrivateKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "SigningPrivateKey({})", self.public.key_id)
    }
}

fn thumbprint(x: &[u8; 32]) -> String {
    jwk::thumbprint(&format!(
        r#"{{"crv":"Ed25519","kty":"OKP","x":"{}"}}"#,
        b64::encode(x)
    ))
}

impl SigningPublicKey {
    /// From the 32-byte encoded point; refuses encodings that are not a valid point.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let bytes: &[u8; 32] = bytes
            .try_into()
            .map_err(|_| Error::KeyFormat("an Ed25519 public key is 32 bytes"))?;
        let inner = VerifyingKey::from_bytes(bytes)
            .map_err(|_| Error::KeyFormat("not an Ed25519 public key"))?;
        Ok(Self {
            inner,
            key_id: thumbprint(bytes),
        })
    }

    /// The 32-byte encoded point.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.inner.to_bytes()
    }

    /// The key id: RFC 7638 thumbprint of the OKP JWK, base64url.
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// Verifies `signature` over `message` (strict RFC 8032 verification: canonical `S`,
    /// no small-order keys). Failure is [`Error::BadSignature`].
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> Result<()> {
        let signature = Signature::from_slice(signature).map_err(|_| Error::BadSignature)?;
        self.inner
            .verify_strict(message, &signature)
            .map_err(|_| Error::BadSignature)
    }

    /// Whether a verifier of the cofactorless equation (the browser's WebCrypto, once it
    /// answered [`super::equation::probes`] as the core does) reaches [`Self::verify`]'s
    /// verdict on `signature` by this key; when false, only [`Self::verify`] may decide.
    pub fn equation_decides(&self, signature: &[u8]) -> bool {
        super::equation::equation_decides(self.inner.as_bytes(), signature)
    }

    /// Reads SPKI PEM (`PUBLIC KEY`) holding an Ed25519 key.
    pub fn from_pem(text: &str) -> Result<Self> {
        check_key_text(text)?;
        let (label, der) = pkcs8::der::pem::decode_vec(text.trim().as_bytes())
            .map_err(|_| Error::KeyFormat("invalid PEM"))?;
        if label != "PUBLIC KEY" {
            return Err(Error::KeyFormat("PEM is not a public key"));
        }
        let spki = spki::SubjectPublicKeyInfoRef::try_from(der.as_slice())
            .map_err(|_| Error::KeyFormat("invalid SPKI"))?;
        if spki.algorithm.oid != ED25519_OID || spki.algorithm.parameters.is_some() {
            return Err(Error::KeyFormat("SPKI is not an Ed25519 key"));
        }
        let bytes = spki
            .subject_public_key
            .as_bytes()
            .ok_or(Error::KeyFormat("invalid SPKI bit string"))?;
        Self::from_bytes(bytes)
    }

    /// Writes SPKI PEM (RFC 8410).
    pub fn to_pem(&self) -> Result<String> {
        let mut der = vec![0x30, 0x2a];
        der.extend_from_slice(&ED25519_ALGORITHM_ID);
        der.extend_from_slice(&[0x03, 0x21, 0x00]);
        der.extend_from_slice(self.inner.as_bytes());
        pkcs8::der::pem::encode_string("PUBLIC KEY", LineEnding::LF, &der)
            .map_err(|_| Error::KeyFormat("cannot encode PEM"))
    }

    /// Reads an OKP JWK with `crv` = `Ed25519` (private members ignored).
    pub fn from_jwk(text: &str) -> Result<Self> {
        check_key_text(text)?;
        let jwk = jwk::parse_of_type(text, "OKP")?;
        if jwk.get("crv").and_then(Value::as_str) != Some("Ed25519") {
            return Err(Error::KeyFormat("OKP JWK crv is not Ed25519"));
        }
        let x = jwk::member_bytes(&jwk, "x")?.ok_or(Error::KeyFormat("JWK lacks x"))?;
        Self::from_bytes(&x)
    }

    /// Writes an OKP JWK (`kty`, `crv`, `x`, `kid`, `alg` = `EdDSA`, `use` = `sig`).
    pub fn to_jwk(&self) -> String {
        let mut map = Map::new();
        map.insert("kty".into(), "OKP".into());
        map.insert("crv".into(), "Ed25519".into());
        map.insert("x".into(), b64::encode(self.inner.as_bytes()).into());
        map.insert("kid".into(), self.key_id.clone().into());
        map.insert("alg".into(), "EdDSA".into());
        map.insert("use".into(), "sig".into());
        Value::Object(map).to_string()
    }

    /// Reads a public key as JWK or PEM (a private key gives its public half).
    pub fn from_any(text: &str) -> Result<Self> {
        if text.trim_start().starts_with('{') {
            Self::from_jwk(text)
        } else if pem::label(text) == Some("PUBLIC KEY") {
            Self::from_pem(text)
        } else {
            Ok(SigningPrivateKey::from_pem(text, None)?.public)
        }
    }
}

const ED25519_OID: pkcs8::ObjectIdentifier = pkcs8::ObjectIdentifier::new_unwrap("1.3.101.112");

impl SigningPrivateKey {
    pub(crate) fn from_seed(seed: &[u8; 32]) -> Self {
        let inner = SigningKey::from_bytes(seed);
        let public_bytes = inner.verifying_key().to_bytes();
        let public = SigningPublicKey {
            inner: inner.verifying_key(),
            key_id: thumbprint(&public_bytes),
        };
        Self { inner, public }
    }

    /// Generates a key from 32 bytes of `rng`.
    pub fn generate<R: TryCryptoRng + ?Sized>(rng: &mut R) -> Result<Self> {
        let mut seed = Zeroizing::new([0u8; 32]);
        rng.try_fill_bytes(seed.as_mut())
            .map_err(|_| Error::RandomnessUnavailable)?;
        Ok(Self::from_seed(&seed))
    }

    /// The public half.
    pub fn public_key(&self) -> &SigningPublicKey {
        &self.public
    }

    /// The key id of the public half.
    pub fn key_id(&self) -> &str {
        self.public.key_id()
    }

    /// Signs `message` (deterministic Ed25519, RFC 8032).
    pub fn sign(&self, message: &[u8]) -> [u8; SIGNATURE_LEN] {
        self.inner.sign(message).to_bytes()
    }

    fn pkcs8_der(&self) -> Zeroizing<Vec<u8>> {
        let mut der = Zeroizing::new(vec![0x30, 0x2e, 0x02, 0x01, 0x00]);
        der.extend_from_slice(&ED25519_ALGORITHM_ID);
        der.extend_from_slice(&[0x04, 0x22, 0x04, 0x20]);
        der.extend_from_slice(self.inner.as_bytes());
        der
    }

    fn from_pkcs8_der(der: &[u8]) -> Result<Self> {
        let info = pkcs8::PrivateKeyInfoRef::try_from(der)
            .map_err(|_| Error::KeyFormat("invalid PKCS#8"))?;
        if info.algorithm.oid != ED25519_OID || info.algorithm.parameters.is_some() {
            return Err(Error::KeyFormat("PKCS#8 is not an Ed25519 key"));
        }
        // RFC 8410 §7: the private key is an OCTET STRING holding the 32-byte seed.
        let inner = info.private_key.as_bytes();
        let seed: &[u8; 32] = inner
            .strip_prefix(&[0x04, 0x20])
            .and_then(|s| s.try_into().ok())
            .ok_or(Error::KeyFormat("invalid Ed25519 private key"))?;
        let key = Self::from_seed(seed);
        if let Some(public) = info.public_key {
            if public.as_bytes() != Some(&key.public.to_bytes()[..]) {
                return Err(Error::KeyFormat(
                    "PKCS#8 public key does not match the private key",
                ));
            }
        }
        Ok(key)
    }

    /// Reads PKCS#8 PEM (`PRIVATE KEY`) or encrypted PKCS#8 (`ENCRYPTED PRIVATE KEY`).
    pub fn from_pem(text: &str, passphrase: Option<&[u8]>) -> Result<Self> {
        check_key_text(text)?;
        match pem::label(text) {
            Some(pkcs8_encryption::ENCRYPTED_LABEL) => {
                let der = pkcs8_encryption::decrypt_pem(text, passphrase)?;
                Self::from_pkcs8_der(&der)
            }
            Some("PRIVATE KEY") => {
                let (_, der) = pkcs8::der::pem::decode_vec(text.trim().as_bytes())
                    .map_err(|_| Error::KeyFormat("invalid PEM"))?;
                let der = Zeroizing::new(der);
                Self::from_pkcs8_der(&der)
            }
            Some(_) => Err(Error::KeyFormat("PEM is not a private key")),
            None => Err(Error::KeyFormat("not PEM")),
        }
    }

    /// Writes unencrypted PKCS#8 PEM (RFC 8410).
    pub fn to_pkcs8_pem(&self) -> Result<Zeroizing<String>> {
        pkcs8::der::pem::encode_string("PRIVATE KEY", LineEnding::LF, &self.pkcs8_der())
            .map(Zeroizing::new)
            .map_err(|_| Error::KeyFormat("cannot encode PEM"))
    }

    /// Writes PKCS#8 encrypted under `passphrase` (PBES2: scrypt + AES-256-CBC).
    pub fn to_encrypted_pkcs8_pem<R: TryCryptoRng + ?Sized>(
        &self,
        rng: &mut R,
        passphrase: &[u8],
    ) -> Result<Zeroizing<String>> {
        pkcs8_encryption::encrypt_pem(rng, &self.pkcs8_der(), passphrase)
    }

    /// Reads a private OKP JWK (`crv` = `Ed25519`, `d` = seed, `x` checked when present).
    pub fn from_jwk(text: &str) -> Result<Self> {
        check_key_text(text)?;
        let jwk = jwk::parse_of_type(text, "OKP")?;
        if jwk.get("crv").and_then(Value::as_str) != Some("Ed25519") {
            return Err(Error::KeyFormat("OKP JWK crv is not Ed25519"));
        }
        let d = Zeroizing::new(
            jwk::member_bytes(&jwk, "d")?.ok_or(Error::KeyFormat("private JWK lacks d"))?,
        );
        let seed: &[u8; 32] = d
            .as_slice()
            .try_into()
            .map_err(|_| Error::KeyFormat("Ed25519 d is 32 bytes"))?;
        let key = Self::from_seed(seed);
        if let Some(x) = jwk::member_bytes(&jwk, "x")? {
            if x != key.public.to_bytes() {
                return Err(Error::KeyFormat("JWK x does not match d"));
            }
        }
        Ok(key)
    }

    /// Writes a private OKP JWK (`x` and `d`).
    pub fn to_jwk(&self) -> Zeroizing<String> {
        let mut map = Map::new();
        map.insert("kty".into(), "OKP".into());
        map.insert("crv".into(), "Ed25519".into());
        map.insert("x".into(), b64::encode(self.public.inner.as_bytes()).into());
        map.insert("d".into(), b64::encode(self.inner.as_bytes()).into());
        map.insert("kid".into(), self.key_id().into());
        map.insert("alg".into(), "EdDSA".into());
        map.insert("use".into(), "sig".into());
        Zeroizing::new(Value::Object(map).to_string())
    }

    /// Reads a private key as JWK or PEM (encrypted PEM needs `passphrase`).
    pub fn from_any(text: &str, passphrase: Option<&[u8]>) -> Result<Self> {
        if text.trim_start().starts_with('{') {
            Self::from_jwk(text)
        } else {
            Self::from_pem(text, passphrase)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        crate::encoding::hex::decode(s).unwrap()
    }

    // RFC 8032 §7.1 TEST 1 and RFC 8037 Appendix A.1/A.3.
    #[test]
    fn rfc8032_test1_and_rfc8037_thumbprint() {
        let seed: [u8; 32] =
            hex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
                .try_into()
                .unwrap();
        let key = SigningPrivateKey::from_seed(&seed);
        assert_eq!(
            key.public_key().to_bytes().to_vec(),
            hex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
        );
        let sig = key.sign(b"");
        assert_eq!(sig.to_vec(), hex("e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"));
        key.public_key().verify(b"", &sig).unwrap();
        assert_eq!(
            key.public_key().verify(b"x", &sig).unwrap_err(),
            Error::BadSignature
        );
        assert_eq!(key.key_id(), "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
    }

    #[test]
    fn formats_round_trip() {
        let key = SigningPrivateKey::from_seed(&[7u8; 32]);
        let pem = key.to_pkcs8_pem().unwrap();
        assert_eq!(
            SigningPrivateKey::from_pem(&pem, None).unwrap().key_id(),
            key.key_id()
        );
        assert_eq!(
            SigningPrivateKey::from_jwk(&key.to_jwk()).unwrap().key_id(),
            key.key_id()
        );
        let public = key.public_key();
        assert_eq!(
            &SigningPublicKey::from_pem(&public.to_pem().unwrap()).unwrap(),
            public
        );
        assert_eq!(
            &SigningPublicKey::from_jwk(&public.to_jwk()).unwrap(),
            public
        );
        assert_eq!(&SigningPublicKey::from_any(&pem).unwrap(), public);
    }
}
