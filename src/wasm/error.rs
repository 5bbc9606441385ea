//! The one JS error: every failure crosses the boundary as an `Error` whose `name` is
//! `"SemresError"`, whose `code` is from the register ([`crate::codes`]) and, for a chain,
//! whose `blockIndex` names the first bad block. [`js`] is the only way errors cross.

use serde::Serialize;
use wasm_bindgen::prelude::*;

use super::{to_object, JsResult};

use crate::codes::Code;
use crate::error::Error;
use crate::ledger::request::RequestError;
use crate::ledger::{ChainError, LedgerError};

/// Something that can be thrown to JavaScript.
pub trait IntoJsError {
    /// The code, the message, and the index of the block at fault (if any).
    fn parts(self) -> (Code, String, Option<u64>);
}

impl IntoJsError for Error {
    fn parts(self) -> (Code, String, Option<u64>) {
        (self.code(), self.to_string(), None)
    }
}

impl IntoJsError for LedgerError {
    fn parts(self) -> (Code, String, Option<u64>) {
        (self.code(), self.to_string(), None)
    }
}

impl IntoJsError for ChainError {
    fn parts(self) -> (Code, String, Option<u64>) {
        (
            self.error.code(),
            format!("block {}: {}", self.index, self.error),
            Some(self.index),
        )
    }
}

impl IntoJsError for RequestError {
    fn parts(self) -> (Code, String, Option<u64>) {
        (self.code(), self.to_string(), None)
    }
}

/// The `SemresError` for `error`.
pub fn js(error: impl IntoJsError) -> JsValue {
    let (code, message, block_index) = error.parts();
    let js = js_sys::Error::new(&message);
    js.set_name("SemresError");
    // Setting a property on a fresh Error object cannot fail; if it ever did, the error
    // still reaches the caller with its name and message.
    let _ = js_sys::Reflect::set(&js, &"code".into(), &code.name().into());
    if let Some(i) = block_index {
        let _ = js_sys::Reflect::set(&js, &"blockIndex".into(), &JsValue::from_f64(i as f64));
    }
    js.into()
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CodeInfo {
    code: &'static str,
    layer: &'static str,
    http_status: u16,
}

/// Every code of the register with its layer and HTTP status: the site's words and tests are
/// checked against this list.
#[wasm_bindgen(js_name = errorCodes, unchecked_return_type = "ErrorCodeInfo[]")]
pub fn error_codes() -> JsResult<JsValue> {
    let list: Vec<CodeInfo> = Code::ALL
        .iter()
        .map(|code| CodeInfo {
            code: code.name(),
            layer: code.layer().name(),
            http_status: code.http_status(),
        })
        .collect();
    to_object(&list)
}
