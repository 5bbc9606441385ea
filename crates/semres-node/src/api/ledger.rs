//! The ledger's routes: the signed checkpoint, the authority set, blocks, RFC 6962 proofs,
//! participants' registrations, and the submission of signed entries — which the core
//! verifier checks against the current state before the node seals them.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use base64ct::{Base64, Encoding};
use semres::ledger::checkpoint::Checkpoint;
use semres::ledger::entry::{Entry, EntryBody};
use semres::{b64, hex};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{ApiError, ApiResult, ApiState, MAX_RANGE};
use crate::clock::now;
use crate::node::Node;

/// The node's current checkpoint, signed by its authority key.
pub(crate) fn signed_checkpoint(node: &Node) -> String {
    let s = node.state();
    let checkpoint = Checkpoint {
        origin: s.chain_id().to_owned(),
        size: s.size(),
        root: s.tree().root(s.size()).unwrap_or_default(),
    };
    checkpoint.sign(node.authority())
}

fn b64_hashes(hashes: &[[u8; 32]]) -> Vec<String> {
    hashes.iter().map(|h| Base64::encode_string(h)).collect()
}

/// `GET /checkpoint`: the signed checkpoint (a C2SP note, text).
pub async fn checkpoint(State(state): State<ApiState>) -> ApiResult<String> {
    Ok(signed_checkpoint(&*state.node()?))
}

/// `GET /authorities`: the authority set in force.
pub async fn authorities(State(state): State<ApiState>) -> ApiResult<Json<Value>> {
    let node = state.node()?;
    let keys: Vec<Value> = node
        .state()
        .authorities()
        .map(|k| json!({"keyId": k.key_id(), "publicKey": b64::encode(&k.to_bytes())}))
        .collect();
    Ok(Json(json!({"authorities": keys})))
}

/// `GET /blocks?from&count` query.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Range {
    from: u64,
    count: u64,
}

/// `GET /blocks?from&count`: up to [`MAX_RANGE`] blocks, base64url.
pub async fn blocks(
    State(state): State<ApiState>,
    Query(range): Query<Range>,
) -> ApiResult<Json<Value>> {
    if range.count == 0 || range.count > MAX_RANGE {
        return Err(ApiError::bad_request("count must be 1 to 1000"));
    }
    let node = state.node()?;
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

/// `GET /blocks/{number}`: one block and its hash.
pub async fn block(
    State(state): State<ApiState>,
    Path(number): Path<String>,
) -> ApiResult<Json<Value>> {
    let number: u64 = number
        .parse()
        .map_err(|_| ApiError::bad_request("a block number is a non-negative integer"))?;
    let node = state.node()?;
    let b = node
        .block(number)
        .ok_or_else(|| ApiError::not_found("no block at that number"))?;
    Ok(Json(
        json!({"number": number, "block": b64::encode(&b.to_bytes()), "hash": hex::encode(&b.hash())}),
    ))
}

/// `GET /proofs/inclusion` query.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InclusionQuery {
    index: u64,
    size: Option<u64>,
}

/// `GET /proofs/inclusion?index[&size]`: an RFC 6962 inclusion proof.
pub async fn inclusion(
    State(state): State<ApiState>,
    Query(q): Query<InclusionQuery>,
) -> ApiResult<Json<Value>> {
    let node = state.node()?;
    let tree = node.state().tree();
    let size = q.size.unwrap_or(tree.size());
    let proof = tree.inclusion_proof(q.index, size).ok_or_else(|| {
        ApiError::bad_request("index must be below size, and size at most the log's")
    })?;
    Ok(Json(
        json!({"index": q.index, "size": size, "proof": b64_hashes(&proof)}),
    ))
}

/// `GET /proofs/consistency` query.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsistencyQuery {
    size1: u64,
    size2: Option<u64>,
}

/// `GET /proofs/consistency?size1[&size2]`: an RFC 6962 consistency proof.
pub async fn consistency(
    State(state): State<ApiState>,
    Query(q): Query<ConsistencyQuery>,
) -> ApiResult<Json<Value>> {
    let node = state.node()?;
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

/// `POST /entries` body.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EntryRequest {
    /// base64url of the entry's v1 encoding.
    entry: String,
}

/// `POST /entries`: verifies, seals and stores an entry; answers with its block, the block's
/// inclusion proof and a fresh checkpoint.
pub async fn submit_entry(
    State(state): State<ApiState>,
    body: axum::body::Bytes,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let request: EntryRequest = serde_json::from_slice(&body)
        .map_err(|_| ApiError::bad_request("the body must be {\"entry\": \"<base64url>\"}"))?;
    let bytes = b64::decode(&request.entry)
        .ok_or_else(|| ApiError::bad_request("entry is not canonical base64url"))?;
    let entry = Entry::from_bytes(&bytes)?;
    // A grant of a SMeR already in DERy must name one of its recipients.
    if let EntryBody::Grant {
        smer_hash,
        recipient,
        ..
    } = entry.body()
    {
        let mut node = state.node()?;
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
        let mut node = state.node()?;
        let block = node.append(entry, now())?;
        // Erasure: DERy deletes the ciphertext; the hash stays on the ledger.
        if let EntryBody::Erase { smer_hash } = block.entry.body() {
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
        Ok(json!({
            "blockNumber": block.number,
            "blockHash": hex::encode(&block.hash()),
            "block": b64::encode(&block.to_bytes()),
            "entryHash": hex::encode(&block.entry.hash()),
            "inclusionProof": b64_hashes(&proof),
            "checkpoint": signed_checkpoint(&node),
        }))
    })
    .await
    .map_err(|_| ApiError::internal())??;
    Ok((StatusCode::CREATED, Json(result)))
}

/// `GET /participants/{keyId}`: a participant's role, public keys and register block.
pub async fn participant(
    State(state): State<ApiState>,
    Path(key_id): Path<String>,
) -> ApiResult<Json<Value>> {
    let node = state.node()?;
    let p = node
        .state()
        .participant(&key_id)
        .ok_or_else(|| ApiError::not_found("no participant with that key id"))?;
    Ok(Json(json!({
        "keyId": key_id,
        "role": p.role.name(),
        "signingKey": b64::encode(&p.signing.to_bytes()),
        "encryptionKey": p.encryption.to_pem().map_err(|_| ApiError::internal())?,
        "encryptionKeyId": p.encryption.key_id(),
        "block": p.block,
    })))
}
