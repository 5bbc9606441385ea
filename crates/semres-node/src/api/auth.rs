//! Authentication of signed requests (SPEC.md §5.1) as an extractor: a handler that takes
//! [`Signer`] runs only for a registered participant whose fresh, never-seen request
//! verifies — and the extractor reads only the request line and headers, so it runs before
//! any body is read.

use std::collections::BTreeMap;
use std::sync::Mutex;

use axum::extract::{FromRequestParts, OriginalUri};
use axum::http::request::Parts;
use semres::ledger::request::{SignedRequest, REQUEST_WINDOW};
use semres::Code;

use super::error::{ApiError, ApiResult};
use super::ApiState;
use crate::clock::now;

/// The key id of the participant who signed the request.
pub struct Signer(pub String);

/// The nonces of recent signed requests, per key: a nonce is accepted once within twice the
/// time window (outside it, the time check refuses the request anyway).
#[derive(Default)]
pub struct Nonces(Mutex<BTreeMap<(String, String), i64>>);

impl Nonces {
    /// Records `nonce` for `key_id`; `ReplayedRequest` if it was seen.
    fn record(&self, key_id: &str, nonce: &str, time: i64, now: i64) -> ApiResult<()> {
        let mut seen = self.0.lock().map_err(|_| ApiError::internal())?;
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
            .signing_key(&request.key_id)?
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
        state
            .nonces
            .record(&request.key_id, &request.nonce, request.time, now)?;
        Ok(Signer(request.key_id))
    }
}
