//! The ledger endpoint's HTTP API (JSON, `/api/v1/…`): the signed checkpoint, blocks,
//! inclusion and consistency proofs, and submission of signed entries, which the core
//! verifier checks against the current state before the node seals them. Every error is
//! `{code, message}` with the core's codes, mapped in one place ([`ApiError`]).

use std::sync::{Arc, Mutex};

use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64ct::{Base64, Encoding};
use semres::b64;
use semres::ledger::checkpoint::Checkpoint;
use semres::ledger::entry::Entry;
use semres::ledger::LedgerError;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::node::{Node, NodeError};

/// Most blocks in one range request.
pub const MAX_RANGE: u64 = 1000;
/// Largest request body of the entries API.
pub const MAX_ENTRY_BODY: usize = 128 * 1024;

/// Shared state of the handlers: the node, appends serialized by its lock.
#[derive(Clone)]
pub struct ApiState {
    node: Arc<Mutex<Node>>,
}

impl ApiState {
    /// Wraps a node.
    pub fn new(node: Node) -> Self {
        ApiState {
            node: Arc::new(Mutex::new(node)),
        }
    }
}

/// An API error: HTTP status plus the stable `{code, message}` body.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
        }
    }
    fn bad_request(message: &str) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "InvalidInput", message)
    }
    fn not_found(message: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, "NotFound", message)
    }
    fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Internal",
            "the server could not complete the request",
        )
    }
}

impl From<LedgerError> for ApiError {
    fn from(e: LedgerError) -> Self {
        let status = match e {
            LedgerError::Malformed(_) | LedgerError::UnsupportedVersion(_) => {
                StatusCode::BAD_REQUEST
            }
            LedgerError::BadSignature
            | LedgerError::MissingSignature
            | LedgerError::NotAuthorized => StatusCode::FORBIDDEN,
            _ => StatusCode::CONFLICT,
        };
        ApiError::new(status, e.code(), e.to_string())
    }
}

impl From<NodeError> for ApiError {
    fn from(e: NodeError) -> Self {
        match e {
            NodeError::Refused(e) => e.into(),
            // Storage details stay in the server; the client learns only that it failed.
            _ => ApiError::internal(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (
            self.status,
            Json(json!({"code": self.code, "message": self.message})),
        )
            .into_response()
    }
}

type ApiResult<T> = Result<T, ApiError>;

fn lock(state: &ApiState) -> ApiResult<std::sync::MutexGuard<'_, Node>> {
    state.node.lock().map_err(|_| ApiError::internal())
}

fn signed_checkpoint(node: &Node) -> (Checkpoint, String) {
    let s = node.state();
    let checkpoint = Checkpoint {
        origin: s.chain_id().to_owned(),
        size: s.size(),
        root: s.tree().root(s.size()).unwrap_or_default(),
    };
    let note = checkpoint.sign(node.authority());
    (checkpoint, note)
}

fn b64_hashes(hashes: &[[u8; 32]]) -> Vec<String> {
    hashes.iter().map(|h| Base64::encode_string(h)).collect()
}

/// The routes, to be nested under `/api/v1`.
pub fn routes(state: ApiState) -> Router {
    Router::new()
        .route("/checkpoint", get(checkpoint))
        .route("/authorities", get(authorities))
        .route("/blocks", get(blocks))
        .route("/blocks/{number}", get(block))
        .route("/proofs/inclusion", get(inclusion))
        .route("/proofs/consistency", get(consistency))
        .route("/entries", post(submit_entry))
        .route("/participants/{key_id}", get(participant))
        .fallback(|| async { ApiError::not_found("no such API route") })
        .layer(DefaultBodyLimit::max(MAX_ENTRY_BODY))
        .with_state(state)
}

async fn checkpoint(State(state): State<ApiState>) -> ApiResult<String> {
    Ok(signed_checkpoint(&*lock(&state)?).1)
}

async fn authorities(State(state): State<ApiState>) -> ApiResult<Json<Value>> {
    let node = lock(&state)?;
    let keys: Vec<Value> = node
        .state()
        .authorities()
        .map(|k| json!({"keyId": k.key_id(), "publicKey": b64::encode(&k.to_bytes())}))
        .collect();
    Ok(Json(json!({"authorities": keys})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Range {
    from: u64,
    count: u64,
}

async fn blocks(
    State(state): State<ApiState>,
    Query(range): Query<Range>,
) -> ApiResult<Json<Value>> {
    if range.count == 0 || range.count > MAX_RANGE {
        return Err(ApiError::bad_request("count must be 1 to 1000"));
    }
    let node = lock(&state)?;
    let size = node.state().size();
    if range.from >= size {
        return Err(ApiError::not_found("no block at that number"));
    }
    let end = range.from.saturating_add(range.count).min(size);
    let list: Vec<String> = (range.from..end)
        .map(|n| node.block(n).map(|b| b64::encode(&b.to_bytes())))
        .collect::<Option<_>>()
        .ok_or_else(ApiError::internal)?;
    Ok(Json(
        json!({"from": range.from, "blocks": list, "size": size}),
    ))
}

async fn block(
    State(state): State<ApiState>,
    Path(number): Path<String>,
) -> ApiResult<Json<Value>> {
    let number: u64 = number
        .parse()
        .map_err(|_| ApiError::bad_request("a block number is a non-negative integer"))?;
    let node = lock(&state)?;
    let b = node
        .block(number)
        .ok_or_else(|| ApiError::not_found("no block at that number"))?;
    Ok(Json(
        json!({"number": number, "block": b64::encode(&b.to_bytes()), "hash": semres::smer::to_hex(&b.hash())}),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InclusionQuery {
    index: u64,
    size: Option<u64>,
}

async fn inclusion(
    State(state): State<ApiState>,
    Query(q): Query<InclusionQuery>,
) -> ApiResult<Json<Value>> {
    let node = lock(&state)?;
    let tree = node.state().tree();
    let size = q.size.unwrap_or(tree.size());
    let proof = tree.inclusion_proof(q.index, size).ok_or_else(|| {
        ApiError::bad_request("index must be below size, and size at most the log's")
    })?;
    Ok(Json(
        json!({"index": q.index, "size": size, "proof": b64_hashes(&proof)}),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConsistencyQuery {
    size1: u64,
    size2: Option<u64>,
}

async fn consistency(
    State(state): State<ApiState>,
    Query(q): Query<ConsistencyQuery>,
) -> ApiResult<Json<Value>> {
    let node = lock(&state)?;
    let tree = node.state().tree();
    let size2 = q.size2.unwrap_or(tree.size());
    if q.size1 == 0 {
        return Err(ApiError::bad_request("size1 must be at least 1"));
    }
    let proof = tree
        .consistency_proof(q.size1, size2)
        .ok_or_else(|| ApiError::bad_request("need size1 <= size2 <= the log's size"))?;
    Ok(Json(
        json!({"size1": q.size1, "size2": size2, "proof": b64_hashes(&proof)}),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EntryRequest {
    /// base64url of the entry's v1 encoding.
    entry: String,
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

async fn submit_entry(
    State(state): State<ApiState>,
    body: axum::body::Bytes,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let request: EntryRequest = serde_json::from_slice(&body)
        .map_err(|_| ApiError::bad_request("the body must be {\"entry\": \"<base64url>\"}"))?;
    let bytes = b64::decode(&request.entry)
        .ok_or_else(|| ApiError::bad_request("entry is not canonical base64url"))?;
    let entry = Entry::from_bytes(&bytes)?;
    // Sealing stores the block with an fsync: keep it off the async workers.
    let result = tokio::task::spawn_blocking(move || -> ApiResult<Value> {
        let mut node = lock(&state)?;
        let block = node.append(entry, now())?;
        let size = node.state().size();
        let proof = node
            .state()
            .tree()
            .inclusion_proof(block.number, size)
            .unwrap_or_default();
        let (_, note) = signed_checkpoint(&node);
        Ok(json!({
            "blockNumber": block.number,
            "blockHash": semres::smer::to_hex(&block.hash()),
            "block": b64::encode(&block.to_bytes()),
            "entryHash": semres::smer::to_hex(&block.entry.hash()),
            "inclusionProof": b64_hashes(&proof),
            "checkpoint": note,
        }))
    })
    .await
    .map_err(|_| ApiError::internal())??;
    Ok((StatusCode::CREATED, Json(result)))
}

async fn participant(
    State(state): State<ApiState>,
    Path(key_id): Path<String>,
) -> ApiResult<Json<Value>> {
    let node = lock(&state)?;
    let p = node
        .state()
        .participant(&key_id)
        .ok_or_else(|| ApiError::not_found("no participant with that key id"))?;
    let role = match p.role {
        semres::ledger::Role::Patient => "patient",
        semres::ledger::Role::Clinician => "clinician",
        semres::ledger::Role::Authority => "authority",
    };
    Ok(Json(json!({
        "keyId": key_id,
        "role": role,
        "signingKey": b64::encode(&p.signing.to_bytes()),
        "encryptionKey": p.encryption.to_pem().map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "Internal", e.to_string()))?,
        "encryptionKeyId": p.encryption.key_id(),
    })))
}
