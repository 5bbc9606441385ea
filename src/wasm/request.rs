//! Signed requests at the JS boundary (SPEC.md §5.1): the worker asks the core for the
//! headers of a request, so the signed bytes and the header names are the core's alone.

use std::collections::BTreeMap;

use wasm_bindgen::prelude::*;

use super::error::js;
use super::keys::JsSigningPrivateKey;
use super::{now, random, to_object, JsResult};
use crate::ledger::request::SignedRequest;

/// The headers that sign `method target` (the request target exactly as it will be sent:
/// path and query) with `key`, at the browser's time and with a fresh 18-byte nonce.
#[wasm_bindgen(js_name = signRequest, unchecked_return_type = "SignedRequestHeaders")]
pub fn sign_request(key: &JsSigningPrivateKey, method: &str, target: &str) -> JsResult<JsValue> {
    let nonce = random::<18>().map_err(js)?;
    let signed = SignedRequest::sign(&key.0, method, target, now(), &nonce);
    let headers: BTreeMap<&str, String> = signed.headers().into_iter().collect();
    to_object(&headers)
}
