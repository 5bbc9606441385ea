//! Keys at the JS boundary: the RSA key pair of CEDA (`PublicKey`, `PrivateKey`), the
//! Ed25519 keys of the ledger (`SigningPublicKey`, `SigningPrivateKey`) and a list of
//! trusted authority keys (`SigningKeyList`). Private keys are opaque handles: their secret
//! leaves WASM memory only through an explicit export, and is wiped on `free()`.

use getrandom::SysRng;
use wasm_bindgen::prelude::*;
use zeroize::Zeroizing;

use super::error::js;
use super::JsResult;
use crate::ceda::{EncryptionPrivateKey, EncryptionPublicKey, DEFAULT_BITS};
use crate::error::Result;
use crate::identity::signing::{SigningPrivateKey, SigningPublicKey};

/// An exported secret (PEM, JWK, XML) as a JS string; the Rust copy is wiped.
fn secret_text(text: Result<Zeroizing<String>>) -> JsResult<String> {
    text.map(|t| t.as_str().to_owned()).map_err(js)
}

fn passphrase_bytes(passphrase: &Option<String>) -> Option<&[u8]> {
    passphrase.as_deref().map(str::as_bytes)
}

/// An RSA public key of an authorized person (a recipient of SMeRs).
#[wasm_bindgen(js_name = PublicKey)]
pub struct JsPublicKey(pub(crate) EncryptionPublicKey);

#[wasm_bindgen(js_class = PublicKey)]
impl JsPublicKey {
    /// Reads SPKI (`PUBLIC KEY`) or PKCS#1 (`RSA PUBLIC KEY`) PEM.
    #[wasm_bindgen(js_name = fromPem)]
    pub fn from_pem(pem: &str) -> JsResult<JsPublicKey> {
        EncryptionPublicKey::from_pem(pem).map(Self).map_err(js)
    }

    /// Reads an RSA public JWK (JSON text).
    #[wasm_bindgen(js_name = fromJwk)]
    pub fn from_jwk(jwk: &str) -> JsResult<JsPublicKey> {
        EncryptionPublicKey::from_jwk(jwk).map(Self).map_err(js)
    }

    /// Reads a .NET `<RSAKeyValue>` XML key.
    #[wasm_bindgen(js_name = fromDotnetXml)]
    pub fn from_dotnet_xml(xml: &str) -> JsResult<JsPublicKey> {
        EncryptionPublicKey::from_dotnet_xml(xml)
            .map(Self)
            .map_err(js)
    }

    /// Reads a public key in any supported format (PEM, JWK, .NET XML), detected
    /// automatically; an unencrypted private key gives its public half.
    #[wasm_bindgen(js_name = fromText)]
    pub fn from_text(text: &str) -> JsResult<JsPublicKey> {
        EncryptionPublicKey::from_any(text).map(Self).map_err(js)
    }

    /// Writes SPKI PEM.
    #[wasm_bindgen(js_name = toPem)]
    pub fn to_pem(&self) -> JsResult<String> {
        self.0.to_pem().map_err(js)
    }

    /// Writes PKCS#1 PEM (`RSA PUBLIC KEY`).
    #[wasm_bindgen(js_name = toPkcs1Pem)]
    pub fn to_pkcs1_pem(&self) -> JsResult<String> {
        self.0.to_pkcs1_pem().map_err(js)
    }

    /// Writes a public JWK (JSON text) importable by WebCrypto as RSA-OAEP-256.
    #[wasm_bindgen(js_name = toJwk)]
    pub fn to_jwk(&self) -> String {
        self.0.to_jwk()
    }

    /// Writes the .NET `<RSAKeyValue>` XML (Modulus, Exponent).
    #[wasm_bindgen(js_name = toDotnetXml)]
    pub fn to_dotnet_xml(&self) -> String {
        self.0.to_dotnet_xml()
    }

    /// The key id: RFC 7638 JWK SHA-256 thumbprint, base64url.
    #[wasm_bindgen(getter, js_name = keyId)]
    pub fn key_id(&self) -> String {
        self.0.key_id().to_owned()
    }

    /// Modulus size in bits.
    #[wasm_bindgen(getter)]
    pub fn bits(&self) -> usize {
        self.0.bits()
    }
}

/// An opaque handle to an RSA private key. Its secret never crosses into JS unless you
/// export it explicitly; call `free()` when done (the memory is wiped).
#[wasm_bindgen(js_name = PrivateKey)]
pub struct JsPrivateKey(pub(crate) EncryptionPrivateKey);

#[wasm_bindgen(js_class = PrivateKey)]
impl JsPrivateKey {
    /// Generates a key pair with the browser's CSPRNG. `bits`: 2048, 3072 (default) or 4096.
    pub fn generate(bits: Option<usize>) -> JsResult<JsPrivateKey> {
        EncryptionPrivateKey::generate(&mut SysRng, bits.unwrap_or(DEFAULT_BITS))
            .map(Self)
            .map_err(js)
    }

    /// Reads PKCS#8 (`PRIVATE KEY`), PKCS#1 (`RSA PRIVATE KEY`) or encrypted PKCS#8
    /// (`ENCRYPTED PRIVATE KEY`, with `passphrase`) PEM.
    #[wasm_bindgen(js_name = fromPem)]
    pub fn from_pem(pem: &str, passphrase: Option<String>) -> JsResult<JsPrivateKey> {
        EncryptionPrivateKey::from_pem(pem, passphrase_bytes(&passphrase))
            .map(Self)
            .map_err(js)
    }

    /// Reads an RSA private JWK (JSON text).
    #[wasm_bindgen(js_name = fromJwk)]
    pub fn from_jwk(jwk: &str) -> JsResult<JsPrivateKey> {
        EncryptionPrivateKey::from_jwk(jwk).map(Self).map_err(js)
    }

    /// Reads a private .NET `<RSAKeyValue>` XML key.
    #[wasm_bindgen(js_name = fromDotnetXml)]
    pub fn from_dotnet_xml(xml: &str) -> JsResult<JsPrivateKey> {
        EncryptionPrivateKey::from_dotnet_xml(xml)
            .map(Self)
            .map_err(js)
    }

    /// Reads a private key in any supported format (PEM, JWK, .NET XML), detected
    /// automatically; `passphrase` opens an encrypted PKCS#8.
    #[wasm_bindgen(js_name = fromText)]
    pub fn from_text(text: &str, passphrase: Option<String>) -> JsResult<JsPrivateKey> {
        EncryptionPrivateKey::from_any(text, passphrase_bytes(&passphrase))
            .map(Self)
            .map_err(js)
    }

    /// The public half.
    #[wasm_bindgen(js_name = publicKey)]
    pub fn public_key(&self) -> JsPublicKey {
        JsPublicKey(self.0.public_key().clone())
    }

    /// The key id of the public half.
    #[wasm_bindgen(getter, js_name = keyId)]
    pub fn key_id(&self) -> String {
        self.0.key_id().to_owned()
    }

    /// Exports the private key as unencrypted PKCS#8 PEM, for a backup the user asked for.
    #[wasm_bindgen(js_name = exportPkcs8Pem)]
    pub fn export_pkcs8_pem(&self) -> JsResult<String> {
        secret_text(self.0.to_pkcs8_pem())
    }

    /// Exports the private key as unencrypted PKCS#8 DER bytes — to hand it to WebCrypto's
    /// `importKey("pkcs8", …, extractable = false)`. Overwrite the array once imported.
    #[wasm_bindgen(js_name = exportPkcs8Der)]
    pub fn export_pkcs8_der(&self) -> JsResult<Vec<u8>> {
        self.0.to_pkcs8_der().map(|der| der.to_vec()).map_err(js)
    }

    /// Exports the private key as PKCS#1 PEM (`RSA PRIVATE KEY`).
    #[wasm_bindgen(js_name = exportPkcs1Pem)]
    pub fn export_pkcs1_pem(&self) -> JsResult<String> {
        secret_text(self.0.to_pkcs1_pem())
    }

    /// Exports the private key as PKCS#8 encrypted under `passphrase` (scrypt, AES-256-CBC).
    #[wasm_bindgen(js_name = exportEncryptedPkcs8Pem)]
    pub fn export_encrypted_pkcs8_pem(&self, passphrase: &str) -> JsResult<String> {
        secret_text(
            self.0
                .to_encrypted_pkcs8_pem(&mut SysRng, passphrase.as_bytes()),
        )
    }

    /// Exports the private key as a private JWK (JSON text).
    #[wasm_bindgen(js_name = exportJwk)]
    pub fn export_jwk(&self) -> JsResult<String> {
        secret_text(self.0.to_jwk())
    }

    /// Exports the private key as .NET `<RSAKeyValue>` XML.
    #[wasm_bindgen(js_name = exportDotnetXml)]
    pub fn export_dotnet_xml(&self) -> JsResult<String> {
        secret_text(self.0.to_dotnet_xml())
    }
}

/// An Ed25519 public key (verifies ledger entries, seals and checkpoints).
#[wasm_bindgen(js_name = SigningPublicKey)]
pub struct JsSigningPublicKey(pub(crate) SigningPublicKey);

#[wasm_bindgen(js_class = SigningPublicKey)]
impl JsSigningPublicKey {
    /// Reads SPKI PEM, an OKP JWK, or (its public half) a private key, detected automatically.
    #[wasm_bindgen(js_name = fromText)]
    pub fn from_text(text: &str) -> JsResult<JsSigningPublicKey> {
        SigningPublicKey::from_any(text).map(Self).map_err(js)
    }

    /// From the 32 raw bytes of the key.
    #[wasm_bindgen(js_name = fromBytes)]
    pub fn from_bytes(bytes: &[u8]) -> JsResult<JsSigningPublicKey> {
        SigningPublicKey::from_bytes(bytes).map(Self).map_err(js)
    }

    /// The 32 raw bytes.
    #[wasm_bindgen(js_name = toBytes)]
    pub fn to_bytes(&self) -> Vec<u8> {
        self.0.to_bytes().to_vec()
    }

    /// Writes SPKI PEM.
    #[wasm_bindgen(js_name = toPem)]
    pub fn to_pem(&self) -> JsResult<String> {
        self.0.to_pem().map_err(js)
    }

    /// Writes an OKP JWK (JSON text).
    #[wasm_bindgen(js_name = toJwk)]
    pub fn to_jwk(&self) -> String {
        self.0.to_jwk()
    }

    /// The key id (RFC 7638 thumbprint).
    #[wasm_bindgen(getter, js_name = keyId)]
    pub fn key_id(&self) -> String {
        self.0.key_id().to_owned()
    }

    /// True when `signature` is a valid Ed25519 signature of `message` by this key.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        self.0.verify(message, signature).is_ok()
    }
}

/// An opaque handle to an Ed25519 private key (signs ledger entries and requests).
#[wasm_bindgen(js_name = SigningPrivateKey)]
pub struct JsSigningPrivateKey(pub(crate) SigningPrivateKey);

#[wasm_bindgen(js_class = SigningPrivateKey)]
impl JsSigningPrivateKey {
    /// Generates a key with the browser's CSPRNG.
    pub fn generate() -> JsResult<JsSigningPrivateKey> {
        SigningPrivateKey::generate(&mut SysRng)
            .map(Self)
            .map_err(js)
    }

    /// Reads PKCS#8 PEM (encrypted with `passphrase`, or not) or a private OKP JWK.
    #[wasm_bindgen(js_name = fromText)]
    pub fn from_text(text: &str, passphrase: Option<String>) -> JsResult<JsSigningPrivateKey> {
        SigningPrivateKey::from_any(text, passphrase_bytes(&passphrase))
            .map(Self)
            .map_err(js)
    }

    /// The public half.
    #[wasm_bindgen(js_name = publicKey)]
    pub fn public_key(&self) -> JsSigningPublicKey {
        JsSigningPublicKey(self.0.public_key().clone())
    }

    /// The key id of the public half.
    #[wasm_bindgen(getter, js_name = keyId)]
    pub fn key_id(&self) -> String {
        self.0.key_id().to_owned()
    }

    /// Signs `message`; returns the 64-byte signature.
    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        self.0.sign(message).to_vec()
    }

    /// Exports unencrypted PKCS#8 PEM.
    #[wasm_bindgen(js_name = exportPkcs8Pem)]
    pub fn export_pkcs8_pem(&self) -> JsResult<String> {
        secret_text(self.0.to_pkcs8_pem())
    }

    /// Exports PKCS#8 encrypted under `passphrase`.
    #[wasm_bindgen(js_name = exportEncryptedPkcs8Pem)]
    pub fn export_encrypted_pkcs8_pem(&self, passphrase: &str) -> JsResult<String> {
        secret_text(
            self.0
                .to_encrypted_pkcs8_pem(&mut SysRng, passphrase.as_bytes()),
        )
    }

    /// Exports a private OKP JWK (JSON text).
    #[wasm_bindgen(js_name = exportJwk)]
    pub fn export_jwk(&self) -> String {
        self.0.to_jwk().as_str().to_owned()
    }
}

/// Ed25519 keys trusted as ledger authorities (for checkpoints and block seals).
#[wasm_bindgen(js_name = SigningKeyList)]
#[derive(Default)]
pub struct JsSigningKeyList(pub(crate) Vec<SigningPublicKey>);

#[wasm_bindgen(js_class = SigningKeyList)]
impl JsSigningKeyList {
    /// An empty list.
    #[wasm_bindgen(constructor)]
    pub fn new() -> JsSigningKeyList {
        JsSigningKeyList::default()
    }

    /// Adds a key (the object stays usable).
    pub fn add(&mut self, key: &JsSigningPublicKey) {
        self.0.push(key.0.clone());
    }

    /// Adds a key from its 32 raw bytes (as the endpoint lists authorities, base64url-decoded).
    #[wasm_bindgen(js_name = addBytes)]
    pub fn add_bytes(&mut self, bytes: &[u8]) -> JsResult<()> {
        self.0
            .push(SigningPublicKey::from_bytes(bytes).map_err(js)?);
        Ok(())
    }

    /// Number of keys.
    #[wasm_bindgen(getter)]
    pub fn length(&self) -> usize {
        self.0.len()
    }
}
