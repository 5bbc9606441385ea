//! DERy's routes: `PUT` and `GET /smers/{hash}`, both signed. An upload is authenticated
//! before its body is read, then DERy recomputes the hash and checks it is a SMeR; a
//! download is served only to the owner or the recipient of an active grant, and only if the
//! stored bytes still hash to `hash`.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use semres::{hex, Code};
use serde_json::{json, Value};

use super::auth::Signer;
use super::{ApiError, ApiResult, ApiState};
use crate::clock::now;
use crate::dery;

/// A SMeR hash from the path: 64 lower-case hex digits.
pub(crate) fn parse_hash(text: &str) -> ApiResult<[u8; 32]> {
    hex::decode_array(text)
        .ok_or_else(|| ApiError::bad_request("a SMeR hash is 64 lower-case hex digits"))
}

/// `PUT /smers/{hash}` (signed): a registered participant uploads a SMeR; idempotent.
pub async fn upload(
    State(state): State<ApiState>,
    Path(hash): Path<String>,
    Signer(_uploader): Signer,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let hash = parse_hash(&hash)?;
    // Hashing and the database write stay off the async workers.
    tokio::task::spawn_blocking(move || -> ApiResult<(StatusCode, Json<Value>)> {
        dery::check(&hash, &body)?;
        let mut node = state.node()?;
        if node
            .state()
            .smer_owner(&hash)
            .is_some_and(|(_, erased)| erased)
        {
            return Err(ApiError::new(
                Code::Erased,
                "this SMeR was erased by its owner",
            ));
        }
        let created = node
            .smers()
            .put(&hash, &body)
            .map_err(|_| ApiError::internal())?;
        let status = if created {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        };
        Ok((
            status,
            Json(json!({"hash": hex::encode(&hash), "stored": created})),
        ))
    })
    .await
    .map_err(|_| ApiError::internal())?
}

/// `GET /smers/{hash}` (signed): only the owner, or the recipient of an active grant.
pub async fn download(
    State(state): State<ApiState>,
    Path(hash): Path<String>,
    Signer(reader): Signer,
) -> ApiResult<Response> {
    let hash = parse_hash(&hash)?;
    let mut node = state.node()?;
    if !node.state().may_read(&reader, &hash, now()) {
        return Err(ApiError::new(
            Code::NotAuthorized,
            "no active grant of this SMeR to this key",
        ));
    }
    // DERy checks the hash on every exchange (paper §3.3).
    let smer = dery::fetch(node.smers(), &hash)?;
    Ok(([(header::CONTENT_TYPE, "application/jose+json")], smer).into_response())
}
