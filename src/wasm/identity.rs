//! Identity files at the JS boundary (`Identity`): a participant's display name and both
//! private keys in one passphrase-protected file (SPEC.md §3.4) — a JWE any JOSE library
//! can open with the passphrase.

use getrandom::SysRng;
use wasm_bindgen::prelude::*;

use super::error::js;
use super::keys::{JsPrivateKey, JsSigningPrivateKey};
use super::JsResult;
use zeroize::Zeroize;

use crate::ceda::{EncryptionPrivateKey, DEFAULT_BITS};
use crate::identity::{Identity, DEFAULT_ITERATIONS};

/// A participant: display name, RSA encryption key and Ed25519 signing key.
#[wasm_bindgen(js_name = Identity)]
pub struct JsIdentity(Identity);

#[wasm_bindgen(js_class = Identity)]
impl JsIdentity {
    /// Generates a new identity (RSA key of `bits`, default 3072, and an Ed25519 key).
    pub fn generate(name: &str, bits: Option<usize>) -> JsResult<JsIdentity> {
        Identity::generate(&mut SysRng, name, bits.unwrap_or(DEFAULT_BITS))
            .map(Self)
            .map_err(js)
    }

    /// A new identity around an RSA private key given as unencrypted PKCS#8 DER (e.g.
    /// WebCrypto's `exportKey("pkcs8")` of a key it generated) and a new Ed25519 key. The
    /// array is overwritten with zeros once read, whether or not it was a valid key.
    #[wasm_bindgen(js_name = withEncryptionKey)]
    pub fn with_encryption_key(name: &str, pkcs8: &mut [u8]) -> JsResult<JsIdentity> {
        let key = EncryptionPrivateKey::from_pkcs8_der(pkcs8);
        pkcs8.zeroize();
        Identity::with_encryption_key(&mut SysRng, name, key.map_err(js)?)
            .map(Self)
            .map_err(js)
    }

    /// Opens an identity file. Wrong passphrase: code `WrongPassphrase`.
    #[wasm_bindgen(js_name = import)]
    pub fn import(file: &[u8], passphrase: &str) -> JsResult<JsIdentity> {
        Identity::import(file, passphrase.as_bytes())
            .map(Self)
            .map_err(js)
    }

    /// Writes the identity file, encrypted under `passphrase` (PBKDF2 `iterations`,
    /// default 210 000).
    #[wasm_bindgen(js_name = export)]
    pub fn export(&self, passphrase: &str, iterations: Option<u32>) -> JsResult<Vec<u8>> {
        self.0
            .export(
                &mut SysRng,
                passphrase.as_bytes(),
                iterations.unwrap_or(DEFAULT_ITERATIONS),
            )
            .map_err(js)
    }

    /// The display name.
    #[wasm_bindgen(getter)]
    pub fn name(&self) -> String {
        self.0.name.clone()
    }

    /// A handle to the encryption (RSA) private key.
    #[wasm_bindgen(js_name = encryptionKey)]
    pub fn encryption_key(&self) -> JsPrivateKey {
        JsPrivateKey(self.0.encryption.clone())
    }

    /// A handle to the signing (Ed25519) private key.
    #[wasm_bindgen(js_name = signingKey)]
    pub fn signing_key(&self) -> JsSigningPrivateKey {
        JsSigningPrivateKey(self.0.signing.clone())
    }
}
