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

/// Default limit on an uploaded SMeR: a 256 MiB record's SMeR.
pub const DEFAULT_MAX_SMER_BYTES: usize = 360 * 1024 * 1024;
/// How far a signed request's time may be from the server's, seconds.
pub const REQUEST_WINDOW: i64 = 300;
const REQUEST_DOMAIN: &str = "SEMRES request v1\0";

/// Shared state of the handlers: the node (appends serialized by its lock) and the nonces
/// of recent signed requests (replay protection).
#[derive(Clone)]
pub struct ApiState {
    node: Arc<Mutex<Node>>,
    nonces: Arc<Mutex<std::collections::BTreeMap<(String, String), i64>>>,
    max_smer_bytes: usize,
}

impl ApiState {
    /// Wraps a node, with the default SMeR size limit.
    pub fn new(node: Node) -> Self {
        Self::with_limit(node, DEFAULT_MAX_SMER_BYTES)
    }

    /// Wraps a node with a SMeR size limit in bytes.
    pub fn with_limit(node: Node, max_smer_bytes: usize) -> Self {
        ApiState {
            node: Arc::new(Mutex::new(node)),
            nonces: Arc::default(),
            max_smer_bytes,
        }
    }
}

/// The bytes a client signs to authenticate a request: a domain separator, then method,
/// path with query, time and nonce, each on its own line.
pub fn request_signing_bytes(method: &str, path: &str, time: i64, nonce: &str) -> Vec<u8> {
    format!("{REQUEST_DOMAIN}{method}\n{path}\n{time}\n{nonce}").into_bytes()
}

/// Checks a signed request: a registered participant's key, a time within the window, a
/// fresh nonce, and a valid signature. Returns the participant's key id.
fn authenticate(
    state: &ApiState,
    node: &Node,
    method: &str,
    uri: &axum::http::Uri,
    headers: &axum::http::HeaderMap,
) -> ApiResult<String> {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let unauthenticated =
        |why: &str| ApiError::new(StatusCode::UNAUTHORIZED, "Unauthenticated", why);
    let (Some(key_id), Some(time), Some(nonce), Some(signature)) = (
        header("semres-key-id"),
        header("semres-time"),
        header("semres-nonce"),
        header("semres-signature"),
    ) else {
        return Err(unauthenticated(
            "sign the request: Semres-Key-Id, Semres-Time, Semres-Nonce, Semres-Signature",
        ));
    };
    let time: i64 = time
        .parse()
        .map_err(|_| unauthenticated("Semres-Time is not an integer"))?;
    let now = now();
    if (now - time).abs() > REQUEST_WINDOW {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "StaleRequest",
            "the request's time is too far from the server's",
        ));
    }
    if nonce.len() < 16 || nonce.len() > 64 || b64::decode(&nonce).is_none() {
        return Err(unauthenticated(
            "Semres-Nonce must be 12-48 random bytes, base64url",
        ));
    }
    let participant = node.state().participant(&key_id).ok_or_else(|| {
        ApiError::new(StatusCode::UNAUTHORIZED, "NotRegistered", "unknown key id")
    })?;
    let path = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    let signature = b64::decode(&signature)
        .ok_or_else(|| unauthenticated("Semres-Signature is not base64url"))?;
    participant
        .signing
        .verify(
            &request_signing_bytes(method, path, time, &nonce),
            &signature,
        )
        .map_err(|_| {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "BadSignature",
                "the request signature does not verify",
            )
        })?;
    let mut nonces = state.nonces.lock().map_err(|_| ApiError::internal())?;
    nonces.retain(|_, t| (now - *t).abs() <= 2 * REQUEST_WINDOW);
    if nonces.insert((key_id.clone(), nonce), time).is_some() {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "ReplayedRequest",
            "this request was already received",
        ));
    }
    Ok(key_id)
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
        .route("/directory", get(search_directory))
        .route(
            "/directory/{key_id}",
            get(directory_entry).put(set_directory_name),
        )
        .route("/me/shared-with-me", get(shared_with_me))
        .route("/me/granted-by-me", get(granted_by_me))
        .route("/me/audit-trail", get(audit_trail))
        .route(
            "/smers/{hash}",
            get(download_smer)
                .put(upload_smer)
                .layer(DefaultBodyLimit::max(state.max_smer_bytes)),
        )
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

use crate::clock::now;

async fn submit_entry(
    State(state): State<ApiState>,
    body: axum::body::Bytes,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let request: EntryRequest = serde_json::from_slice(&body)
        .map_err(|_| ApiError::bad_request("the body must be {\"entry\": \"<base64url>\"}"))?;
    let bytes = b64::decode(&request.entry)
        .ok_or_else(|| ApiError::bad_request("entry is not canonical base64url"))?;
    let entry = Entry::from_bytes(&bytes)?;
    // A grant of a SMeR already in DERy must name one of its recipients.
    if let semres::ledger::EntryBody::Grant {
        smer_hash,
        recipient,
        ..
    } = &entry.body
    {
        let mut node = lock(&state)?;
        if let Some(smer) = node
            .smers()
            .get(smer_hash)
            .map_err(|_| ApiError::internal())?
        {
            let parsed = semres::ParsedSmer::parse(&smer, &semres::Limits::default())
                .map_err(|_| ApiError::internal())?;
            node.state().check_smer_recipient(recipient, &parsed)?;
        }
    }
    // Sealing stores the block with an fsync: keep it off the async workers.
    let result = tokio::task::spawn_blocking(move || -> ApiResult<Value> {
        let mut node = lock(&state)?;
        let block = node.append(entry, now())?;
        // Erasure: DERy deletes the ciphertext; the hash stays on the ledger.
        if let semres::ledger::EntryBody::Erase { smer_hash } = &block.entry.body {
            node.smers()
                .delete(smer_hash)
                .map_err(|_| ApiError::internal())?;
        }
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
    Ok(Json(json!({
        "keyId": key_id,
        "role": p.role.name(),
        "signingKey": b64::encode(&p.signing.to_bytes()),
        "encryptionKey": p.encryption.to_pem().map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "Internal", e.to_string()))?,
        "encryptionKeyId": p.encryption.key_id(),
        "block": p.block,
    })))
}

fn parse_hash(hex: &str) -> ApiResult<[u8; 32]> {
    let bad = || ApiError::bad_request("a SMeR hash is 64 lower-case hex digits");
    if hex.len() != 64
        || !hex
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return Err(bad());
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).map_err(|_| bad())?;
    }
    Ok(out)
}

/// `PUT /smers/{hash}`: a registered participant uploads a SMeR; the server recomputes its
/// SHA-256, refuses a mismatch or a document that is not a SMeR, and is idempotent.
async fn upload_smer(
    State(state): State<ApiState>,
    Path(hash): Path<String>,
    axum::extract::OriginalUri(uri): axum::extract::OriginalUri,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let hash = parse_hash(&hash)?;
    if semres::smer_hash(&body) != hash {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "HashMismatch",
            "the body's SHA-256 is not the hash in the path",
        ));
    }
    semres::ParsedSmer::parse(&body, &semres::Limits::default())
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, e.code(), e.to_string()))?;
    tokio::task::spawn_blocking(move || -> ApiResult<(StatusCode, Json<Value>)> {
        let mut node = lock(&state)?;
        authenticate(&state, &node, "PUT", &uri, &headers)?;
        if node
            .state()
            .smer_owner(&hash)
            .is_some_and(|(_, erased)| erased)
        {
            return Err(ApiError::new(
                StatusCode::GONE,
                "Erased",
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
            Json(json!({"hash": semres::smer::to_hex(&hash), "stored": created})),
        ))
    })
    .await
    .map_err(|_| ApiError::internal())?
}

/// `GET /smers/{hash}`: only the owner, or the recipient of an active grant, with a signed
/// request.
async fn download_smer(
    State(state): State<ApiState>,
    Path(hash): Path<String>,
    axum::extract::OriginalUri(uri): axum::extract::OriginalUri,
    headers: axum::http::HeaderMap,
) -> ApiResult<Response> {
    let hash = parse_hash(&hash)?;
    let mut node = lock(&state)?;
    let key_id = authenticate(&state, &node, "GET", &uri, &headers)?;
    if !node.state().may_read(&key_id, &hash, now()) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "NotAuthorized",
            "no active grant of this SMeR to this key",
        ));
    }
    let smer = node
        .smers()
        .get(&hash)
        .map_err(|_| ApiError::internal())?
        .ok_or_else(|| ApiError::not_found("the SMeR is not stored here"))?;
    // DERy checks the hash on every exchange (paper §3.3): a stored SMeR that no longer
    // matches its hash is never served.
    if semres::smer_hash(&smer) != hash {
        return Err(ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "CorruptSmer",
            "the stored SMeR does not match its hash; run semres verify-chain",
        ));
    }
    Ok((
        [(axum::http::header::CONTENT_TYPE, "application/jose+json")],
        smer,
    )
        .into_response())
}

fn grant_json(hash: &[u8; 32], g: &semres::ledger::state::GrantRecord, active: bool) -> Value {
    json!({
        "grant": semres::smer::to_hex(hash),
        "owner": g.owner,
        "recipient": g.recipient,
        "smerHash": semres::smer::to_hex(&g.smer_hash),
        "dataIndex": g.data_index,
        "expires": g.expires,
        "revoked": g.revoked,
        "active": active,
        "blockNumber": g.block,
    })
}

fn my_grants(
    state: &ApiState,
    uri: &axum::http::Uri,
    headers: &axum::http::HeaderMap,
    as_recipient: bool,
) -> ApiResult<Json<Value>> {
    let node = lock(state)?;
    let me = authenticate(state, &node, "GET", uri, headers)?;
    let now = now();
    let list: Vec<Value> = node
        .state()
        .grants()
        .filter(|(_, g)| {
            if as_recipient {
                g.recipient == me
            } else {
                g.owner == me
            }
        })
        .map(|(h, g)| grant_json(h, g, node.state().grant_active(h, now)))
        .collect();
    Ok(Json(json!({"keyId": me, "grants": list})))
}

/// `GET /me/shared-with-me` (signed): grants whose recipient is the caller.
async fn shared_with_me(
    State(state): State<ApiState>,
    axum::extract::OriginalUri(uri): axum::extract::OriginalUri,
    headers: axum::http::HeaderMap,
) -> ApiResult<Json<Value>> {
    my_grants(&state, &uri, &headers, true)
}

/// `GET /me/granted-by-me` (signed): grants the caller made.
async fn granted_by_me(
    State(state): State<ApiState>,
    axum::extract::OriginalUri(uri): axum::extract::OriginalUri,
    headers: axum::http::HeaderMap,
) -> ApiResult<Json<Value>> {
    my_grants(&state, &uri, &headers, false)
}

/// `GET /me/audit-trail` (signed): access, care and payment entries about the caller's
/// records, as blocks with their paper fields.
async fn audit_trail(
    State(state): State<ApiState>,
    axum::extract::OriginalUri(uri): axum::extract::OriginalUri,
    headers: axum::http::HeaderMap,
) -> ApiResult<Json<Value>> {
    let node = lock(&state)?;
    let me = authenticate(&state, &node, "GET", &uri, &headers)?;
    let events: Vec<Value> = node
        .audit_trail(&me)
        .into_iter()
        .map(|b| {
            let v = b.paper_view();
            json!({
                "blockNumber": b.number,
                "time": b.time,
                "kind": v.authority_status,
                "by": b.entry.signer,
                "smerHash": v.smer_hash.map(|h| semres::smer::to_hex(&h)),
                "payment": v.payment.map(|(amount, currency)| json!({"amount": amount, "currency": currency})),
                "block": b64::encode(&b.to_bytes()),
            })
        })
        .collect();
    Ok(Json(json!({"keyId": me, "events": events})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NameRequest {
    name: String,
}

/// `PUT /directory/{keyId}` (signed by that key): sets the participant's display name.
async fn set_directory_name(
    State(state): State<ApiState>,
    Path(key_id): Path<String>,
    axum::extract::OriginalUri(uri): axum::extract::OriginalUri,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> ApiResult<Json<Value>> {
    let request: NameRequest = serde_json::from_slice(&body)
        .map_err(|_| ApiError::bad_request("the body must be {\"name\": \"…\"}"))?;
    let name = request.name.trim();
    if name.is_empty() || name.chars().count() > 128 || name.chars().any(char::is_control) {
        return Err(ApiError::bad_request(
            "a name is 1-128 characters without control characters",
        ));
    }
    let mut node = lock(&state)?;
    let me = authenticate(&state, &node, "PUT", &uri, &headers)?;
    if me != key_id {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "NotAuthorized",
            "a participant may only name itself",
        ));
    }
    node.directory()
        .set_name(&key_id, name)
        .map_err(|_| ApiError::internal())?;
    Ok(Json(json!({"keyId": key_id, "name": name})))
}

/// Who may see whose name: clinicians' and authorities' names are visible to every
/// registered participant (patients pick recipients by name); a patient's name only to the
/// patient and to those the patient has granted a record to. The directory is not a list of
/// patients.
fn may_see_name(node: &Node, me: &str, key_id: &str) -> bool {
    let Some(p) = node.state().participant(key_id) else {
        return false;
    };
    p.role != semres::ledger::Role::Patient
        || key_id == me
        || node
            .state()
            .grants()
            .any(|(_, g)| g.owner == key_id && g.recipient == me)
}

/// `GET /directory/{keyId}` (signed): that participant's name and role, if the caller may
/// see it (`NotFound` otherwise, whether or not it exists).
async fn directory_entry(
    State(state): State<ApiState>,
    Path(key_id): Path<String>,
    axum::extract::OriginalUri(uri): axum::extract::OriginalUri,
    headers: axum::http::HeaderMap,
) -> ApiResult<Json<Value>> {
    let mut node = lock(&state)?;
    let me = authenticate(&state, &node, "GET", &uri, &headers)?;
    let hidden = || ApiError::not_found("no name for that key id");
    if !may_see_name(&node, &me, &key_id) {
        return Err(hidden());
    }
    let name = node
        .directory()
        .name(&key_id)
        .map_err(|_| ApiError::internal())?
        .ok_or_else(hidden)?;
    let role = node
        .state()
        .participant(&key_id)
        .map(|p| p.role.name())
        .ok_or_else(hidden)?;
    Ok(Json(json!({"keyId": key_id, "name": name, "role": role})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SearchQuery {
    q: String,
}

/// Most results of one directory search.
const SEARCH_RESULTS: usize = 20;
/// Names read from the directory per search before the visibility filter.
const SEARCH_SCAN: usize = 500;

/// `GET /directory?q=…` (signed, any registered participant): up to 20 participants whose
/// name contains `q` and whose name the caller may see (see `may_see_name`), with role and
/// encryption key id — the patient's recipient picker.
async fn search_directory(
    State(state): State<ApiState>,
    Query(query): Query<SearchQuery>,
    axum::extract::OriginalUri(uri): axum::extract::OriginalUri,
    headers: axum::http::HeaderMap,
) -> ApiResult<Json<Value>> {
    if query.q.chars().count() > 128 {
        return Err(ApiError::bad_request("q is at most 128 characters"));
    }
    let mut node = lock(&state)?;
    let me = authenticate(&state, &node, "GET", &uri, &headers)?;
    let found = node
        .directory()
        .search(&query.q, SEARCH_SCAN)
        .map_err(|_| ApiError::internal())?;
    let list: Vec<Value> = found
        .into_iter()
        .filter(|(key_id, _)| may_see_name(&node, &me, key_id))
        .filter_map(|(key_id, name)| {
            let p = node.state().participant(&key_id)?;
            Some(json!({"keyId": key_id, "name": name, "role": p.role.name(), "encryptionKeyId": p.encryption.key_id()}))
        })
        .take(SEARCH_RESULTS)
        .collect();
    Ok(Json(json!({"results": list})))
}
