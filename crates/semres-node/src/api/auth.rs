//! Authentication of signed requests (SPEC.md §5.1) as an extractor: a handler that takes
//! [`Signer`] runs only for a registered participant whose fresh, never-seen request
//! verifies — and the extractor reads only the request line and headers, so it runs before
//! any body is read. The signature covers the body's SHA-256 (`Semres-Content-SHA256`); a
//! handler that reads a body checks the body against it ([`Signer::check_body`]).

use std::collections::BTreeMap;
use std::sync::Mutex;

use axum::extract::{FromRequestParts, OriginalUri};
use axum::http::request::Parts;
use axum::http::Method;
use semres::ledger::request::{content_sha256, SignedRequest, REQUEST_WINDOW};
use semres::Code;

use super::error::{ApiError, ApiResult};
use super::ApiState;
use crate::clock::now;

/// The participant who signed the request, and the body hash it signed.
pub struct Signer {
    /// The participant's key id.
    pub key_id: String,
    /// The SHA-256 of the body, as signed.
    pub content_sha256: [u8; 32],
}

impl Signer {
    /// Refuses a body other than the one signed.
    pub fn check_body(&self, body: &[u8]) -> ApiResult<()> {
        if content_sha256(body) == self.content_sha256 {
            Ok(())
        } else {
            Err(ApiError::unauthorized(
                Code::BadSignature,
                "the body is not the one the request signature covers",
            ))
        }
    }
}

/// The nonces of recent signed requests, per key: a nonce is accepted once within twice the
/// time window (outside it, the time check refuses the request anyway).
#[derive(Default)]
pub struct Nonces(Mutex<BTreeMap<(String, String), i64>>);

impl Nonces {
    /// Records `nonce` for `key_id`; `ReplayedRequest` if it was seen.
    fn record(&self, key_id: &str, nonce: &str, time: i64, now: i64) -> ApiResult<()> {
        let mut seen = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        seen.retain(|_, t| {
            now.checked_sub(*t)
                .and_then(i64::checked_abs)
                .is_some_and(|age| age <= 2 * REQUEST_WINDOW)
        });
        if seen
            .insert((key_id.to_owned(), nonce.to_owned()), time)
            .is_some()
        {
            return Err(ApiError::unauthorized(
                Code::ReplayedRequest,
                "this request was already received",
            ));
        }
        Ok(())
    }
}

impl FromRequestParts<ApiState> for Signer {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &ApiState) -> ApiResult<Self> {
        let request = SignedRequest::from_headers(|name| {
            parts.headers.get(name).and_then(|v| v.to_str().ok())
        })?;
        let now = now();
        request.check_time(now)?;
        let key = state
            .node()
            .view()
            .state()
            .participant(&request.key_id)
            .map(|p| p.signing.clone())
            .ok_or_else(|| ApiError::unauthorized(Code::NotRegistered, "unknown key id"))?;
        // The target as the client sent it (the API is nested under /api/v1).
        let target = parts
            .extensions
            .get::<OriginalUri>()
            .map(|u| &u.0)
            .unwrap_or(&parts.uri)
            .path_and_query()
            .map_or("/", |p| p.as_str());
        request.verify(&key, parts.method.as_str(), target)?;
        if matches!(parts.method, Method::GET | Method::HEAD | Method::DELETE)
            && request.content_sha256 != content_sha256(b"")
        {
            return Err(ApiError::unauthorized(
                Code::BadSignature,
                "a request without a body signs the empty body's hash",
            ));
        }
        state.rate.take(&request.key_id)?;
        state
            .nonces
            .record(&request.key_id, &request.nonce, request.time, now)?;
        Ok(Signer {
            key_id: request.key_id,
            content_sha256: request.content_sha256,
        })
    }
}
