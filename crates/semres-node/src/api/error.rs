//! The endpoint's one error mapping: every refusal is an HTTP status and a body
//! `{"code": …, "message": …}` whose code is in the register (`semres::codes`). The status
//! is the register's for the code, except that every signed-request failure is 401
//! (SPEC.md §5.1). Storage details stay in the server: the client learns only `Internal`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use semres::ledger::request::RequestError;
use semres::ledger::LedgerError;
use semres::Code;
use serde_json::json;

use crate::dery::{DeryError, PartError};
use crate::node::NodeError;
use crate::store::StoreError;

/// An API error: HTTP status plus the stable `{code, message}` body.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: Code,
    message: String,
}

/// Result alias of the handlers.
pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    /// A refusal with the register's status for `code`.
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::from_u16(code.http_status())
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            code,
            message: message.into(),
        }
    }

    /// A signed request refused: always 401.
    pub fn unauthorized(code: Code, message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::UNAUTHORIZED,
            code,
            message: message.into(),
        }
    }

    /// `InvalidInput` (400).
    pub fn bad_request(message: &str) -> Self {
        Self::new(Code::InvalidInput, message)
    }

    /// `NotFound` (404).
    pub fn not_found(message: &str) -> Self {
        Self::new(Code::NotFound, message)
    }

    /// `Internal` (500), with no detail.
    pub fn internal() -> Self {
        Self::new(Code::Internal, "the server could not complete the request")
    }

    /// The code (for tests and logs).
    pub fn code(&self) -> Code {
        self.code
    }
}

impl From<LedgerError> for ApiError {
    fn from(e: LedgerError) -> Self {
        ApiError::new(e.code(), e.to_string())
    }
}

impl From<semres::Error> for ApiError {
    fn from(e: semres::Error) -> Self {
        ApiError::new(e.code(), e.to_string())
    }
}

impl From<RequestError> for ApiError {
    fn from(e: RequestError) -> Self {
        ApiError::unauthorized(e.code(), e.to_string())
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Full => ApiError::new(
                Code::StorageFull,
                "the node's disk is full: nothing was stored; try again later",
            ),
            _ => ApiError::internal(),
        }
    }
}

impl From<NodeError> for ApiError {
    fn from(e: NodeError) -> Self {
        match e {
            NodeError::Refused(e) => e.into(),
            NodeError::Store(e) => e.into(),
            _ => ApiError::internal(),
        }
    }
}

impl From<PartError> for ApiError {
    fn from(e: PartError) -> Self {
        match e {
            PartError::Busy => ApiError::new(
                Code::UploadConflict,
                "another part of this upload is being received",
            ),
            PartError::Offset(at) => ApiError::new(
                Code::UploadConflict,
                format!("this upload stands at byte {at}: send the part that starts there"),
            ),
            PartError::TooMany => ApiError::new(
                Code::QuotaExceeded,
                "you have too many uploads in progress: finish or abandon one",
            ),
            PartError::Dery(e) => e.into(),
        }
    }
}

impl From<DeryError> for ApiError {
    fn from(e: DeryError) -> Self {
        match e {
            DeryError::HashMismatch => ApiError::new(
                Code::HashMismatch,
                "the body's SHA-256 is not the hash in the path",
            ),
            DeryError::NotASmer(e) => e.into(),
            DeryError::NotStored => ApiError::not_found("the SMeR is not stored here"),
            DeryError::Corrupt => ApiError::new(
                Code::CorruptSmer,
                "the stored SMeR does not match its hash; run semres verify-chain",
            ),
            DeryError::Store(e) => e.into(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (
            self.status,
            Json(json!({"code": self.code.name(), "message": self.message})),
        )
            .into_response()
    }
}

/// Every error response of the API is `{code, message}`: refusals the framework makes
/// itself (a query or path that does not parse, a body over its limit, a method a route
/// does not have) are given the register's code for their status here.
pub async fn json_errors(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    let is_json = response
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return response;
    }
    let (code, message) = match status {
        StatusCode::NOT_FOUND => (Code::NotFound, "no such API route"),
        StatusCode::PAYLOAD_TOO_LARGE => (Code::TooLarge, "the request body is too large"),
        StatusCode::METHOD_NOT_ALLOWED => {
            (Code::InvalidInput, "this route does not take that method")
        }
        s if s.is_client_error() => (
            Code::InvalidInput,
            "the request is not valid for this route",
        ),
        _ => (Code::Internal, "the server could not complete the request"),
    };
    let mut error = ApiError::new(code, message);
    error.status = status;
    error.into_response()
}
