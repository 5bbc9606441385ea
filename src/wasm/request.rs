//! Signed requests at the JS boundary (SPEC.md §5.1): the worker asks the core for the
//! headers of a request, so the signed bytes and the header names are the core's alone.

use std::collections::BTreeMap;

use wasm_bindgen::prelude::*;

use super::error::js;
use super::keys::JsSigningPrivateKey;
use super::{now, random, to_object, JsResult};
use crate::encoding::hex;
use crate::error::Error;
use crate::ledger::request::{content_sha256, SignedRequest};

/// The headers that sign `method target` (the request target exactly as it will be sent:
/// path and percent-encoded query) with `key`, at the browser's time and with a fresh
/// 18-byte nonce. `body` is the body the request carries (none: the empty body); for a
/// body already hashed (a SMeR, whose SMeR hash is its SHA-256) pass `bodySha256Hex`
/// instead.
#[wasm_bindgen(js_name = signRequest, unchecked_return_type = "SignedRequestHeaders")]
pub fn sign_request(
    key: &JsSigningPrivateKey,
    method: &str,
    target: &str,
    body: Option<Vec<u8>>,
    body_sha256_hex: Option<String>,
) -> JsResult<JsValue> {
    let content = match (body, body_sha256_hex) {
        (Some(_), Some(_)) => {
            return Err(js(Error::InvalidInput(
                "give the body or its SHA-256, not both",
            )))
        }
        (_, Some(hex_text)) => hex::decode_array(&hex_text).ok_or_else(|| {
            js(Error::InvalidInput(
                "bodySha256Hex is 64 lower-case hex digits",
            ))
        })?,
        (body, None) => content_sha256(body.as_deref().unwrap_or_default()),
    };
    let nonce = random::<18>().map_err(js)?;
    let signed = SignedRequest::sign(&key.0, method, target, now(), &nonce, content);
    let headers: BTreeMap<&str, String> = signed.headers().into_iter().collect();
    to_object(&headers)
}
