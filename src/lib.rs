//! SEMRES core: CEDA (Combined Encryption and Decryption Architecture) and the SMeR
//! (Secured encrypted Medical Record) of Lee et al., *SEMRES — A Triple Security Protected
//! Blockchain Based Medical Record Exchange Structure* (2022), as SPEC.md profiles them.
//!
//! The core is pure: no I/O, no clock, no global random number generator. Time and
//! randomness are parameters, so the browser (through the `wasm` boundary module) and the
//! native tools call the same functions.
//!
//! - [`content`] — AES-CBC + HMAC-SHA-2 content encryption (RFC 7518 §5.2).
//! - [`keys`] — the authorized person's RSA key pair and its formats.
//! - [`smer`] — SMeR v1: seal, parse, open, hash.
//! - [`error`] — the one error type and its stable codes.

#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod b64;
pub mod content;
pub mod error;
pub mod identity;
pub mod keys;
pub mod ledger;
pub mod signing;
pub mod smer;

#[cfg(target_arch = "wasm32")]
pub mod wasm;

pub use content::ContentEncryption;
pub use error::{Error, Result};
pub use keys::{EncryptionPrivateKey, EncryptionPublicKey};
pub use smer::{
    open, seal, smer_hash, smer_hash_hex, Limits, OpenedRecord, ParsedSmer, SealOptions, SmerHeader,
};
