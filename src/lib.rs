//! SEMRES core: the system of Lee et al., *SEMRES — A Triple Security Protected Blockchain
//! Based Medical Record Exchange Structure* (2022), as SPEC.md profiles it, arranged as the
//! paper is:
//!
//! - [`ceda`] — CEDA, the Combined Encryption and Decryption Architecture: content
//!   encryption (AES-CBC + HMAC-SHA-2), RSA-OAEP-256 key wrapping, the RSA key pair.
//! - [`smer`] — the SMeR, CEDA's output: a JWE (RFC 7516) — seal, parse, open.
//! - [`dery`] — DERy, the repository, as content addressing: SMeR hash and data index.
//! - [`ledger`] — the Proof-of-Authority ledger: entries, blocks, the rules, the Merkle log,
//!   checkpoints, chain files and signed requests.
//! - [`identity`] — a participant: Ed25519 signing key, RSA key and name in one file.
//! - [`encoding`] — base64url, hex, JWK, PEM, encrypted PKCS#8: one owner each.
//! - [`codes`] — the one register of error codes; [`error`] — the core's error type.
//!
//! The core is pure: no I/O, no clock, no global random number generator. Time and
//! randomness are parameters, so the browser (through the [`wasm`] boundary), the CLI and
//! every hospital's node call the same functions.

#![cfg_attr(
    not(test),
    deny(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_possible_wrap
    )
)]

pub mod ceda;
pub mod codes;
pub mod dery;
pub mod encoding;
pub mod error;
pub mod identity;
pub mod ledger;
pub mod smer;

#[cfg(target_arch = "wasm32")]
pub mod wasm;

pub use ceda::{ContentEncryption, EncryptionPrivateKey, EncryptionPublicKey};
pub use codes::Code;
pub use dery::{smer_hash, smer_hash_hex};
pub use encoding::{b64, hex};
pub use error::{Error, Result};
pub use identity::{Identity, SigningPrivateKey, SigningPublicKey};
pub use smer::{open, seal, Limits, OpenedRecord, ParsedSmer, SealOptions, SmerHeader};
