//! CEDA's key pair: the authorized person's RSA encryption key (paper §3.1, "RSA for
//! generation of public key and private key"), its formats (SPKI, PKCS#1, PKCS#8 and
//! passphrase-encrypted PKCS#8 PEM; RFC 7517 JWK; the paper's .NET `<RSAKeyValue>` XML) and
//! its key id, the RFC 7638 JWK thumbprint.
//!
//! Private keys zeroize their secret material on drop (the `rsa` crate's `ZeroizeOnDrop`);
//! every exported secret is returned in a [`Zeroizing`] buffer.

use rsa::pkcs1::{
    DecodeRsaPrivateKey, DecodeRsaPublicKey, EncodeRsaPrivateKey, EncodeRsaPublicKey,
    RsaPrivateKey as Pkcs1PrivateKey, UintRef,
};
use rsa::pkcs8::{
    DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey, LineEnding,
};
use rsa::rand_core::TryCryptoRng;
use rsa::traits::PublicKeyParts;
use serde_json::{Map, Value};
use zeroize::Zeroizing;

use super::{dotnet_xml, oaep};
use crate::encoding::{b64, check_key_text, jwk, pem, pkcs8_encryption};
use crate::error::{Error, Result};

/// RSA modulus sizes SEMRES generates. Imported keys may be any size from 2048 to 4096 bits.
pub const ALLOWED_GENERATED_BITS: [usize; 3] = [2048, 3072, 4096];
/// Default modulus size for new keys.
pub const DEFAULT_BITS: usize = 3072;
/// Smallest modulus accepted on import.
pub const MIN_BITS: usize = 2048;
/// Largest modulus accepted on import.
pub const MAX_BITS: usize = 4096;

/// An RSA public key used to wrap a SMeR's content key for its authorized person.
#[derive(Clone, PartialEq, Eq)]
pub struct EncryptionPublicKey {
    inner: rsa::PublicKey,
    key_id: String,
}

/// An RSA private key: the authorized person's key that unwraps SMeR content keys.
/// Never leaves its holder's process; `Debug` prints only the key id.
#[derive(Clone)]
pub struct EncryptionPrivateKey {
    inner: rsa::PrivateKey,
    public: EncryptionPublicKey,
}

impl core::fmt::Debug for EncryptionPublicKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "EncryptionPublicKey({}, {} bits)",
            self.key_id,
            self.bits()
        )
    }
}

impl core::fmt::Debug for EncryptionPrivateKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "EncryptionPrivateKey({})", self.public.key_id)
    }
}

fn check_bits(bits: usize) -> Result<()> {
    if (MIN_BITS..=MAX_BITS).contains(&bits) {
        Ok(())
    } else {
        Err(Error::UnsupportedKeySize(bits))
    }
}

impl EncryptionPublicKey {
    fn from_rsa(inner: rsa::PublicKey) -> Result<Self> {
        check_bits(inner.n().bit_width_vartime() as usize)?;
        let key_id = thumbprint(&inner.n_bytes(), &inner.e_bytes());
        Ok(Self { inner, key_id })
    }

    /// The key id: RFC 7638 JWK SHA-256 thumbprint, base64url (43 characters).
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// Modulus size in bits.
    pub fn bits(&self) -> usize {
        self.inner.n().bit_width_vartime() as usize
    }

    /// Modulus size in bytes (the length of every RSA-OAEP ciphertext under this key).
    pub fn modulus_len(&self) -> usize {
        self.inner.size()
    }

    #[cfg(test)]
    pub(crate) fn rsa_public(&self) -> &rsa::PublicKey {
        &self.inner
    }

    /// Wraps a content-encryption key with RSA-OAEP-256 (SHA-256, MGF1-SHA-256, empty
    /// label) — the JWE `RSA-OAEP-256` algorithm, RFC 7518 §4.3.
    pub fn wrap_key<R: TryCryptoRng + ?Sized>(&self, rng: &mut R, cek: &[u8]) -> Result<Vec<u8>> {
        oaep::encrypt(&self.inner, rng, cek)
    }

    /// Builds a public key from its modulus and exponent (big-endian bytes).
    fn from_parts(n: &[u8], e: &[u8]) -> Result<Self> {
        let pkcs1 = rsa::pkcs1::RsaPublicKey {
            modulus: uint(n)?,
            public_exponent: uint(e)?,
        };
        let inner = rsa::PublicKey::try_from(pkcs1)
            .map_err(|_| Error::KeyFormat("invalid RSA public key"))?;
        Self::from_rsa(inner)
    }

    /// Reads an SPKI (DER) RSA public key.
    pub fn from_spki_der(der: &[u8]) -> Result<Self> {
        let inner = rsa::PublicKey::from_public_key_der(der)
            .map_err(|_| Error::KeyFormat("invalid SPKI"))?;
        Self::from_rsa(inner)
    }

    /// Writes the key as SPKI DER.
    pub fn to_spki_der(&self) -> Result<Vec<u8>> {
        self.inner
            .to_public_key_der()
            .map(|d| d.as_bytes().to_vec())
            .map_err(|_| Error::KeyFormat("cannot encode SPKI"))
    }

    /// Reads a public key from PEM: SPKI (`PUBLIC KEY`) or PKCS#1 (`RSA PUBLIC KEY`).
    /// A private-key PEM is refused here: use [`EncryptionPrivateKey::from_pem`].
    pub fn from_pem(text: &str) -> Result<Self> {
        check_key_text(text)?;
        let inner = match pem::label(text) {
            Some("PUBLIC KEY") => rsa::PublicKey::from_public_key_pem(text.trim())
                .map_err(|_| Error::KeyFormat("invalid SPKI public key PEM"))?,
            Some("RSA PUBLIC KEY") => rsa::PublicKey::from_pkcs1_pem(text.trim())
                .map_err(|_| Error::KeyFormat("invalid PKCS#1 public key PEM"))?,
            Some(_) => return Err(Error::KeyFormat("PEM is not an RSA public key")),
            None => return Err(Error::KeyFormat("not PEM")),
        };
        Self::from_rsa(inner)
    }

    /// Writes the key as SPKI PEM (`-----BEGIN PUBLIC KEY-----`), LF line endings.
    pub fn to_pem(&self) -> Result<String> {
        self.inner
            .to_public_key_pem(LineEnding::LF)
            .map_err(|_| Error::KeyFormat("cannot encode SPKI"))
    }

    /// Writes the key as PKCS#1 PEM (`-----BEGIN RSA PUBLIC KEY-----`).
    pub fn to_pkcs1_pem(&self) -> Result<String> {
        self.inner
            .to_pkcs1_pem(LineEnding::LF)
            .map_err(|_| Error::KeyFormat("cannot encode PKCS#1"))
    }

    /// Reads an RSA public JWK (RFC 7517/7518 §6.3.1). Private members, if present, are
    /// ignored; `kty` must be `RSA`.
    pub fn from_jwk(text: &str) -> Result<Self> {
        check_key_text(text)?;
        let jwk = jwk::parse_of_type(text, "RSA")?;
        let n = jwk::member_bytes(&jwk, "n")?.ok_or(Error::KeyFormat("JWK lacks n"))?;
        let e = jwk::member_bytes(&jwk, "e")?.ok_or(Error::KeyFormat("JWK lacks e"))?;
        Self::from_parts(&n, &e)
    }

    /// Writes the key as a public JWK with `kty`, `n`, `e`, `kid` (the thumbprint),
    /// `alg` = `RSA-OAEP-256` and `use` = `enc`, importable by WebCrypto.
    pub fn to_jwk(&self) -> String {
        let mut map = Map::new();
        map.insert("kty".into(), "RSA".into());
        map.insert("n".into(), b64::encode(&self.inner.n_bytes()).into());
        map.insert("e".into(), b64::encode(&self.inner.e_bytes()).into());
        map.insert("kid".into(), self.key_id.clone().into());
        map.insert("alg".into(), "RSA-OAEP-256".into());
        map.insert("use".into(), "enc".into());
        Value::Object(map).to_string()
    }

    /// Reads a .NET `<RSAKeyValue>` (public members; private ones, if present, are ignored).
    pub fn from_dotnet_xml(text: &str) -> Result<Self> {
        check_key_text(text)?;
        let parts = dotnet_xml::parse(text)?;
        match (&parts[0], &parts[1]) {
            (Some(n), Some(e)) => Self::from_parts(n, e),
            _ => Err(Error::KeyFormat("<RSAKeyValue> lacks Modulus or Exponent")),
        }
    }

    /// Writes the .NET `<RSAKeyValue>` with `Modulus` and `Exponent`.
    pub fn to_dotnet_xml(&self) -> String {
        let n = self.inner.n_bytes();
        let e = self.inner.e_bytes();
        dotnet_xml::write(&[&n, &e], self.modulus_len()).to_string()
    }

    /// Reads a public key in any supported format, detected automatically: JWK (`{`),
    /// .NET XML (`<RSAKeyValue>`), or PEM. Given a private key, returns its public half.
    pub fn from_any(text: &str) -> Result<Self> {
        let t = text.trim_start();
        if t.starts_with('{') {
            Self::from_jwk(text)
        } else if dotnet_xml::looks_like(text) {
            Self::from_dotnet_xml(text)
        } else {
            match pem::label(text) {
                Some("PUBLIC KEY") | Some("RSA PUBLIC KEY") | None => Self::from_pem(text),
                Some(_) => Ok(EncryptionPrivateKey::from_pem(text, None)?.public.clone()),
            }
        }
    }
}

impl EncryptionPrivateKey {
    fn from_rsa(inner: rsa::PrivateKey) -> Result<Self> {
        let public = EncryptionPublicKey::from_rsa(inner.to_public_key())?;
        Ok(Self { inner, public })
    }

    /// Generates a new key pair. `bits` must be 2048, 3072 or 4096. Randomness is the
    /// caller's: pass the operating system's CSPRNG (`getrandom`'s `SysRng`) in production.
    pub fn generate<R: TryCryptoRng + ?Sized>(rng: &mut R, bits: usize) -> Result<Self> {
        if !ALLOWED_GENERATED_BITS.contains(&bits) {
            return Err(Error::UnsupportedKeySize(bits));
        }
        let inner = rsa::PrivateKey::new(rng, bits).map_err(|_| Error::RandomnessUnavailable)?;
        Self::from_rsa(inner)
    }

    /// The matching public key.
    pub fn public_key(&self) -> &EncryptionPublicKey {
        &self.public
    }

    /// The key id of the public half (RFC 7638 thumbprint).
    pub fn key_id(&self) -> &str {
        self.public.key_id()
    }

    /// Unwraps an RSA-OAEP-256 encrypted key (RFC 8017 §7.1.2 with SHA-256, MGF1-SHA-256
    /// and the empty label). `rng` blinds the private-key operation. Any failure is
    /// [`Error::DecryptionFailed`], without detail.
    ///
    /// The OAEP decoding is ours, not the `rsa` crate's: `rsa` 0.10.0 deliberately ignores
    /// the leading octet `Y` of the encoded message, which RFC 8017 requires to be zero
    /// (Wycheproof RSA-OAEP tcId 23, "First byte is 1"). All checks are combined in
    /// constant time before the single outcome is revealed.
    pub fn unwrap_key<R: TryCryptoRng + ?Sized>(
        &self,
        rng: &mut R,
        encrypted_key: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>> {
        oaep::decrypt(&self.inner, rng, encrypted_key)
    }

    /// Reads a private key from PEM: PKCS#8 (`PRIVATE KEY`), PKCS#1 (`RSA PRIVATE KEY`), or
    /// passphrase-encrypted PKCS#8 (`ENCRYPTED PRIVATE KEY`, which needs `passphrase`).
    pub fn from_pem(text: &str, passphrase: Option<&[u8]>) -> Result<Self> {
        check_key_text(text)?;
        let text = text.trim();
        let inner = match pem::label(text) {
            Some("PRIVATE KEY") => rsa::PrivateKey::from_pkcs8_pem(text)
                .map_err(|_| Error::KeyFormat("invalid PKCS#8 RSA private key PEM"))?,
            Some("RSA PRIVATE KEY") => rsa::PrivateKey::from_pkcs1_pem(text)
                .map_err(|_| Error::KeyFormat("invalid PKCS#1 private key PEM"))?,
            Some(pkcs8_encryption::ENCRYPTED_LABEL) => {
                let der = pkcs8_encryption::decrypt_pem(text, passphrase)?;
                rsa::PrivateKey::from_pkcs8_der(&der)
                    .map_err(|_| Error::KeyFormat("the encrypted key is not an RSA private key"))?
            }
            Some(_) => return Err(Error::KeyFormat("PEM is not an RSA private key")),
            None => return Err(Error::KeyFormat("not PEM")),
        };
        Self::from_rsa(inner)
    }

    /// Reads an unencrypted PKCS#8 DER private key — what WebCrypto's `exportKey("pkcs8")`
    /// gives for a key it generated. The size limits of [`MIN_BITS`]…[`MAX_BITS`] apply.
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self> {
        let inner = rsa::PrivateKey::from_pkcs8_der(der)
            .map_err(|_| Error::KeyFormat("invalid PKCS#8 RSA private key"))?;
        Self::from_rsa(inner)
    }

    /// Writes the key as unencrypted PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`).
    pub fn to_pkcs8_pem(&self) -> Result<Zeroizing<String>> {
        self.inner
            .to_pkcs8_pem(LineEnding::LF)
            .map_err(|_| Error::KeyFormat("cannot encode PKCS#8"))
    }

    /// Writes the key as unencrypted PKCS#8 DER (wiped on drop).
    pub fn to_pkcs8_der(&self) -> Result<Zeroizing<Vec<u8>>> {
        self.inner
            .to_pkcs8_der()
            .map(|doc| Zeroizing::new(doc.as_bytes().to_vec()))
            .map_err(|_| Error::KeyFormat("cannot encode PKCS#8"))
    }

    /// Writes the key as PKCS#1 PEM (`-----BEGIN RSA PRIVATE KEY-----`).
    pub fn to_pkcs1_pem(&self) -> Result<Zeroizing<String>> {
        self.inner
            .to_pkcs1_pem(LineEnding::LF)
            .map_err(|_| Error::KeyFormat("cannot encode PKCS#1"))
    }

    /// Writes the key as PKCS#8 encrypted under `passphrase` (PBES2: scrypt + AES-256-CBC),
    /// `-----BEGIN ENCRYPTED PRIVATE KEY-----`, readable by OpenSSL.
    pub fn to_encrypted_pkcs8_pem<R: TryCryptoRng + ?Sized>(
        &self,
        rng: &mut R,
        passphrase: &[u8],
    ) -> Result<Zeroizing<String>> {
        let der = self
            .inner
            .to_pkcs8_der()
            .map_err(|_| Error::KeyFormat("cannot encode PKCS#8"))?;
        pkcs8_encryption::encrypt_pem(rng, der.as_bytes(), passphrase)
    }

    /// Builds a key from `n e d p q` and optional `[dp, dq, qi]`, which must then match.
    fn from_parts(parts: &[&[u8]; 5], crt: [Option<&[u8]>; 3]) -> Result<Self> {
        let [n, e, d, p, q] = *parts;
        let pkcs1 = Pkcs1PrivateKey {
            modulus: uint(n)?,
            public_exponent: uint(e)?,
            private_exponent: uint(d)?,
            prime1: uint(p)?,
            prime2: uint(q)?,
            // Not read by the `rsa` crate on import: it recomputes the CRT values.
            exponent1: uint(&[0])?,
            exponent2: uint(&[0])?,
            coefficient: uint(&[0])?,
            other_prime_infos: None,
        };
        let inner = rsa::PrivateKey::try_from(pkcs1)
            .map_err(|_| Error::KeyFormat("invalid RSA private key"))?;
        let key = Self::from_rsa(inner)?;
        let derived = key.parts()?;
        for (given, derived) in crt.iter().zip(derived[5..].iter()) {
            if let Some(given) = given {
                if strip_zeros(given) != strip_zeros(derived) {
                    return Err(Error::KeyFormat("the key's CRT parameters do not match it"));
                }
            }
        }
        Ok(key)
    }

    /// `n e d p q dp dq qi` as minimal big-endian bytes, read back from PKCS#1.
    fn parts(&self) -> Result<[SecretBytes; 8]> {
        let der = self
            .inner
            .to_pkcs1_der()
            .map_err(|_| Error::KeyFormat("cannot encode PKCS#1"))?;
        let k = rsa::pkcs1::RsaPrivateKeyRef::try_from(der.as_bytes())
            .map_err(|_| Error::KeyFormat("cannot decode PKCS#1"))?;
        Ok([
            k.modulus,
            k.public_exponent,
            k.private_exponent,
            k.prime1,
            k.prime2,
            k.exponent1,
            k.exponent2,
            k.coefficient,
        ]
        .map(|value| Zeroizing::new(value.as_bytes().to_vec())))
    }

    /// Reads an RSA private JWK: `n`, `e`, `d`, `p`, `q` required; `dp`, `dq`, `qi`, when
    /// present, must match the key. Multi-prime keys (`oth`) are refused.
    pub fn from_jwk(text: &str) -> Result<Self> {
        check_key_text(text)?;
        let jwk = jwk::parse_of_type(text, "RSA")?;
        if jwk.contains_key("oth") {
            return Err(Error::KeyFormat("multi-prime RSA keys are not supported"));
        }
        let get = |name: &'static str| -> Result<Option<SecretBytes>> {
            Ok(jwk::member_bytes(&jwk, name)?.map(Zeroizing::new))
        };
        let required = |value: Option<SecretBytes>| {
            value.ok_or(Error::KeyFormat("private JWK lacks n, e, d, p or q"))
        };
        let (n, e, d, p, q) = (
            required(get("n")?)?,
            required(get("e")?)?,
            required(get("d")?)?,
            required(get("p")?)?,
            required(get("q")?)?,
        );
        let (dp, dq, qi) = (get("dp")?, get("dq")?, get("qi")?);
        Self::from_parts(
            &[&n, &e, &d, &p, &q],
            [
                dp.as_deref().map(Vec::as_slice),
                dq.as_deref().map(Vec::as_slice),
                qi.as_deref().map(Vec::as_slice),
            ],
        )
    }

    /// Writes the key as a private JWK (`n e d p q dp dq qi` plus `kid`, `alg`, `use`).
    pub fn to_jwk(&self) -> Result<Zeroizing<String>> {
        let parts = self.parts()?;
        let mut map = Map::new();
        map.insert("kty".into(), "RSA".into());
        for (name, value) in ["n", "e", "d", "p", "q", "dp", "dq", "qi"]
            .iter()
            .zip(parts.iter())
        {
            map.insert((*name).into(), b64::encode(value).into());
        }
        map.insert("kid".into(), self.key_id().into());
        map.insert("alg".into(), "RSA-OAEP-256".into());
        map.insert("use".into(), "enc".into());
        Ok(Zeroizing::new(Value::Object(map).to_string()))
    }

    /// Reads a private .NET `<RSAKeyValue>`: `Modulus`, `Exponent`, `D`, `P`, `Q` required;
    /// `DP`, `DQ`, `InverseQ`, when present, must match.
    pub fn from_dotnet_xml(text: &str) -> Result<Self> {
        check_key_text(text)?;
        let x = dotnet_xml::parse(text)?;
        let need = |i: usize| {
            x[i].as_deref().map(Vec::as_slice).ok_or(Error::KeyFormat(
                "<RSAKeyValue> lacks a private member (P, Q, D)",
            ))
        };
        let (n, e, p, q, d) = (need(0)?, need(1)?, need(2)?, need(3)?, need(7)?);
        let opt = |i: usize| x[i].as_deref().map(Vec::as_slice);
        Self::from_parts(&[n, e, d, p, q], [opt(4), opt(5), opt(6)])
    }

    /// Writes the private .NET `<RSAKeyValue>` (all eight members, .NET's lengths).
    pub fn to_dotnet_xml(&self) -> Result<Zeroizing<String>> {
        let [n, e, d, p, q, dp, dq, qi] = self.parts()?;
        let values: [&[u8]; 8] = [&n, &e, &p, &q, &dp, &dq, &qi, &d];
        Ok(dotnet_xml::write(&values, self.public.modulus_len()))
    }

    /// Reads a private key in any supported format, detected automatically: JWK (`{`), .NET
    /// XML (`<RSAKeyValue>`), or PEM (PKCS#8, PKCS#1, encrypted PKCS#8 with `passphrase`).
    pub fn from_any(text: &str, passphrase: Option<&[u8]>) -> Result<Self> {
        if text.trim_start().starts_with('{') {
            Self::from_jwk(text)
        } else if dotnet_xml::looks_like(text) {
            Self::from_dotnet_xml(text)
        } else {
            Self::from_pem(text, passphrase)
        }
    }
}

/// A big-endian secret integer, wiped on drop.
type SecretBytes = Zeroizing<Vec<u8>>;

fn strip_zeros(bytes: &[u8]) -> &[u8] {
    let first = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    &bytes[first..]
}

fn uint(bytes: &[u8]) -> Result<UintRef<'_>> {
    UintRef::new(bytes).map_err(|_| Error::KeyFormat("integer too large"))
}

/// RFC 7638 thumbprint of an RSA key: SHA-256 over `{"e":…,"kty":"RSA","n":…}`.
fn thumbprint(n: &[u8], e: &[u8]) -> String {
    jwk::thumbprint(&format!(
        r#"{{"e":"{}","kty":"RSA","n":"{}"}}"#,
        b64::encode(strip_zeros(e)),
        b64::encode(strip_zeros(n))
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 7638 §3.1 example key and thumbprint.
    #[test]
    fn rfc7638_thumbprint() {
        let jwk = r#"{"kty":"RSA","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw","e":"AQAB","alg":"RS256","kid":"2011-04-29"}"#;
        let key = EncryptionPublicKey::from_jwk(jwk).unwrap();
        assert_eq!(key.key_id(), "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
    }
}
