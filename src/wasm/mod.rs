//! The JS boundary: every `#[wasm_bindgen]` export of SEMRES, a thin shell over the pure
//! core, by topic — [`keys`] (RSA and Ed25519 keys), [`identity`] (identity files),
//! [`smer`] (CEDA: seal, open, inspect, the SMeR hash), [`stream`] (the streamed SMeR, chunk
//! by chunk), [`ledger`] (chains, checkpoints,
//! proofs, one block's checks, chain files), [`entries`] (ledger entries built and signed in
//! the browser), [`request`] (signed requests to the endpoint), [`consortium`] (consortium
//! files, cosigned checkpoints) and [`trust`] (what this browser trusts, and one block's
//! checks under it). It supplies what the core
//! leaves to its callers — the browser's CSPRNG (`crypto.getRandomValues`) and clock — and
//! turns every error into the one JS error class ([`error`]).
//!
//! Conventions: each wrapper type is `Js<Name>` in Rust and `<Name>` in JavaScript; methods
//! and functions are camelCase; private keys cross only as opaque handles; results that are
//! plain objects are typed in the `.d.ts` (below); nothing here panics on any input.

use serde::de::DeserializeOwned;
use serde::Serialize;
use wasm_bindgen::prelude::*;

use crate::error::Error;

pub mod consortium;
pub mod entries;
pub mod error;
pub mod identity;
pub mod keys;
pub mod ledger;
pub mod request;
pub mod smer;
pub mod stream;
pub mod trust;

use error::js;

/// What every export returns: a value, or the thrown `SemresError`.
pub type JsResult<T> = Result<T, JsValue>;

#[wasm_bindgen(typescript_custom_section)]
const TS_CODES: &'static str = crate::codes::TYPESCRIPT_UNION;

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &'static str = r#"
/**
 * The one error every SEMRES function throws: a standard `Error` whose `name` is
 * `"SemresError"` and whose `code` is stable. Messages never contain record content or keys.
 */
export interface SemresError extends Error {
  name: "SemresError";
  code: SemresErrorCode;
  /** For chain verification: the index of the first bad block. */
  blockIndex?: number;
}

/** One entry of the register of error codes (`errorCodes()`). */
export interface ErrorCodeInfo {
  code: SemresErrorCode;
  layer: "core" | "ledger" | "request" | "endpoint" | "cli" | "site";
  httpStatus: number;
}

/** Options of `sealSmer`. Everything here is authenticated but NOT encrypted. */
export interface SealOptions {
  /** Media type of the record, e.g. "application/xml" or "application/fhir+json". */
  contentType: string;
  /** Key id of the record's owner (the patient). */
  ownerKeyId: string;
  /** Content encryption; default "A256CBC-HS512". */
  enc?: "A256CBC-HS512" | "A128CBC-HS256";
  /** Record id; default: 128 random bits, base64url. */
  recordId?: string;
  /** Original file name, without directories. */
  fileName?: string;
  /** Creation time in seconds since the Unix epoch; default: now. */
  createdAt?: number;
  /** Largest record accepted, bytes; default 256 MiB. */
  maxRecordBytes?: number;
}

/** Options of `openSmer` and `inspectSmer`. */
export interface OpenOptions {
  /** Largest record accepted, bytes; default 256 MiB. */
  maxRecordBytes?: number;
}

/** What a Register entry registers (`BlockFields.registration`). */
export interface Registration {
  keyId: string;
  role: "patient" | "clinician" | "authority";
  /** Ed25519 public key, base64url. */
  signingKey: string;
  encryptionKeyId: string;
  encryptionKeyPem: string;
}

/** Where an anchored block's entry is on the consortium's Ethereum chain (SPEC §6.5). */
export interface AnchorFields {
  chainId: number;
  blockNumber: number;
  /** Hex, without 0x. */
  blockHash: string;
  /** Hex, without 0x. */
  transactionHash: string;
  logIndex: number;
  seq: number;
}

/** The paper's block fields (Fig. 6), hashes in hex, plus what a client needs. */
export interface BlockFields {
  blockNumber: number;
  previousHash: string;
  hash: string;
  time: number;
  owner: string | null;
  authorizedPerson: string | null;
  dataIndex: string | null;
  smerHash: string | null;
  authorityStatus: "genesis" | "register" | "grant" | "revoke" | "access" | "care" | "payment" | "erase" | "authority-change" | "payer";
  signature: string | null;
  payment: { amount: number; currency: string } | null;
  /** Key id of the sealing authority ("" for an anchored block). */
  sealer: string;
  /** For a consortium's anchored block: where its entry is on the Ethereum chain. */
  anchor: AnchorFields | null;
  /** The entry hash (hex) by which other entries refer to this one. */
  entryHash: string;
  /** The grant (or care entry) this entry refers to, hex. */
  refersTo: string | null;
  /** For a Register entry: what it registers. */
  registration: Registration | null;
}

/** The headers of a signed request (SPEC.md §5.1), to send as they are. */
export interface SignedRequestHeaders {
  "Semres-Key-Id": string;
  "Semres-Time": string;
  "Semres-Nonce": string;
  "Semres-Content-SHA256": string;
  "Semres-Signature": string;
}
"#;

/// Reads a JS options object strictly: unknown members (a misspelt option) are refused.
fn read_options<T: DeserializeOwned>(object: JsValue, what: &'static str) -> Result<T, Error> {
    let value: serde_json::Value =
        serde_wasm_bindgen::from_value(object).map_err(|_| Error::InvalidInput(what))?;
    serde_json::from_value(value).map_err(|_| Error::InvalidInput(what))
}

/// The one builder of plain JS objects from Rust values (JSON-compatible: maps become
/// objects, `None` becomes `null`).
fn to_object<T: Serialize>(value: &T) -> JsResult<JsValue> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|_| {
            js(Error::InvalidInput(
                "cannot convert the result to a JS object",
            ))
        })
}

/// Largest magnitude of a JS number taken as an integer here: below 2^53, every integer is
/// exact in an `f64`.
const MAX_EXACT: f64 = 9.0e15;

/// A JS number that must be a whole number in `0..=max` (`what` names it in the error).
#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
fn whole_number(value: f64, max: f64, what: &'static str) -> Result<u64, Error> {
    if value.is_finite() && value >= 0.0 && value.fract() == 0.0 && value <= max.min(MAX_EXACT) {
        // Checked just above: integral, non-negative, exact in an f64.
        Ok(value as u64)
    } else {
        Err(Error::InvalidInput(what))
    }
}

/// A JS number that must be a whole number of seconds (negative allowed).
#[allow(clippy::cast_possible_truncation)]
fn whole_seconds(value: f64, what: &'static str) -> Result<i64, Error> {
    if value.is_finite() && value.fract() == 0.0 && value.abs() < MAX_EXACT {
        // Checked just above: integral and exact in an f64.
        Ok(value as i64)
    } else {
        Err(Error::InvalidInput(what))
    }
}

/// The browser's clock, Unix seconds.
fn now() -> i64 {
    whole_seconds((js_sys::Date::now() / 1000.0).floor(), "clock").unwrap_or(0)
}

/// `n` bytes from the browser's CSPRNG.
fn random<const N: usize>() -> Result<[u8; N], Error> {
    let mut bytes = [0u8; N];
    rand_core::TryRng::try_fill_bytes(&mut getrandom::SysRng, &mut bytes)
        .map_err(|_| Error::RandomnessUnavailable)?;
    Ok(bytes)
}
