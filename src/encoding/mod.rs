//! Encodings, one owner each: canonical base64url ([`b64`]), lower-case hex ([`hex`]), JSON
//! Web Keys and their RFC 7638 thumbprints ([`jwk`]), PEM labels ([`pem`]), and
//! passphrase-encrypted PKCS#8 ([`pkcs8_encryption`]). Every reader here is strict: one
//! accepted encoding per value.

pub mod b64;
pub mod hex;
pub(crate) mod jwk;
pub(crate) mod pem;
pub(crate) mod pkcs8_encryption;

use crate::error::{Error, Result};

/// Largest key document (PEM, JWK, .NET XML) any key reader parses.
pub(crate) const MAX_KEY_TEXT: usize = 64 * 1024;

/// Refuses a key document larger than [`MAX_KEY_TEXT`] before it is parsed.
pub(crate) fn check_key_text(text: &str) -> Result<()> {
    if text.len() > MAX_KEY_TEXT {
        Err(Error::KeyFormat("key document too large"))
    } else {
        Ok(())
    }
}
