//! The ledger's routes: the signed checkpoint, the authority set, blocks, RFC 6962 proofs,
//! participants' registrations, and the submission of signed entries — which the core
//! verifier checks against the current state before the node seals them.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use base64ct::{Base64, Encoding};
use semres::ledger::entry::{Entry, EntryBody};
use semres::{b64, hex};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{blocking, ApiError, ApiResult, ApiState, MAX_RANGE};
use crate::clock::now;

fn b64_hashes(hashes: &[[u8; 32]]) -> Vec<String> {
    hashes.iter().map(|h| Base64::encode_string(h)).collect()
}

/// `GET /checkpoint`: the signed checkpoint (a C2SP note, text) — on a consortium
/// member's node, the cosigned one (SPEC §6.2).
pub async fn checkpoint(State(state): State<ApiState>) -> ApiResult<String> {
    if let Some(engine) = state.engine().cloned() {
        return blocking(move || {
            engine
                .cosigned_checkpoint()?
                .ok_or_else(|| ApiError::not_found("the consortium's ledger has no block yet"))
        })
        .await;
    }
    Ok(state.node().signed_checkpoint())
}

/// The answer to an entry now in block `number`: the block, its inclusion proof in the
/// current log and a checkpoint of that log (cosigned as far as it is, on a consortium
/// member's node).
fn entry_answer(state: &ApiState, number: u64) -> ApiResult<Value> {
    let node = state.node();
    let (block, proof, size, embedded_note) = {
        let view = node.view();
        let block = view.block(number).cloned().ok_or_else(ApiError::internal)?;
        let size = view.state().size();
        let proof = view
            .state()
            .tree()
            .inclusion_proof(number, size)
            .unwrap_or_default();
        // The embedded ledger's checkpoint of the same view as the proof.
        let note = state
            .engine()
            .is_none()
            .then(|| node.checkpoint_of(view.state()));
        (block, proof, size, note)
    };
    let note = match (embedded_note, state.engine()) {
        (Some(note), _) => note,
        (None, Some(engine)) => engine.checkpoint_with_held(size)?.unwrap_or_default(),
        (None, None) => return Err(ApiError::internal()),
    };
    Ok(json!({
        "blockNumber": block.number,
        "blockHash": hex::encode(&block.hash()),
        "block": b64::encode(&block.to_bytes()),
        "entryHash": hex::encode(&block.entry.hash()),
        "inclusionProof": b64_hashes(&proof),
        "checkpoint": note,
    }))
}

/// A consortium member accepts an entry: queued durably for anchoring, then the answer
/// once it is anchored (or skipped), or `202` if that takes longer than the configured
/// wait (the entry stays queued; `GET /entries/{hash}` tells where it is).
async fn submit_to_consortium(
    state: ApiState,
    entry: Entry,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let engine = state.engine().cloned().ok_or_else(ApiError::internal)?;
    let hash = entry.hash();
    let mut size = state.node().watch_size();
    {
        let (state, engine) = (state.clone(), engine.clone());
        blocking(move || {
            check_grant_recipients(&state, &entry)?;
            Ok(engine.enqueue(&entry)?)
        })
        .await?;
    }
    let deadline = tokio::time::Instant::now() + state.config().anchor_wait;
    loop {
        let status = {
            let engine = engine.clone();
            blocking(move || Ok(engine.status(&hash)?)).await?
        };
        match status {
            crate::consortium::EntryStatus::Anchored(n) => {
                let (state, n) = (state.clone(), n);
                let answer = blocking(move || entry_answer(&state, n)).await?;
                return Ok((StatusCode::CREATED, Json(answer)));
            }
            crate::consortium::EntryStatus::Skipped(code) => {
                let code = semres::Code::from_name(&code).unwrap_or(semres::Code::Internal);
                return Err(ApiError::new(
                    code,
                    "every node skipped this entry when it reached the chain",
                ));
            }
            _ => {}
        }
        tokio::select! {
            changed = size.changed() => { if changed.is_err() { break; } }
            () = tokio::time::sleep_until(deadline) => break,
        }
    }
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({"entryHash": hex::encode(&hash), "status": "queued"})),
    ))
}

/// A grant of a SMeR stored here must name one of its recipients (SPEC §5.2: a check of
/// this node's DERy when it accepts an entry, never part of the ledger's rules).
fn check_grant_recipients(state: &ApiState, entry: &Entry) -> ApiResult<()> {
    if let EntryBody::Grant {
        smer_hash,
        recipient,
        ..
    } = entry.body()
    {
        if let Some(kids) = state.node().dery().recipients(smer_hash)? {
            state
                .node()
                .view()
                .state()
                .check_recipient_key_ids(recipient, kids.iter().map(String::as_str))?;
        }
    }
    Ok(())
}

/// `GET /authorities`: the authority set in force.
pub async fn authorities(State(state): State<ApiState>) -> ApiResult<Json<Value>> {
    let view = state.node().view();
    let keys: Vec<Value> = view
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
    let view = state.node().view();
    let size = view.state().size();
    if range.from >= size {
        return Err(ApiError::not_found("no block at that number"));
    }
    let end = range.from.saturating_add(range.count).min(size);
    let list: Vec<String> = (range.from..end)
        .map(|n| view.block(n).map(|b| b64::encode(&b.to_bytes())))
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
    let view = state.node().view();
    let b = view
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
    let view = state.node().view();
    let tree = view.state().tree();
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
    let view = state.node().view();
    let tree = view.state().tree();
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
/// inclusion proof and a fresh checkpoint. The entry's signatures and every rule are
/// checked against the current state before any store is touched; a grant of a SMeR DERy
/// holds must then name one of its recipients (from DERy's index: the SMeR is not read).
pub async fn submit_entry(
    State(state): State<ApiState>,
    body: axum::body::Bytes,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let request: EntryRequest = serde_json::from_slice(&body)
        .map_err(|_| ApiError::bad_request("the body must be {\"entry\": \"<base64url>\"}"))?;
    let bytes = b64::decode(&request.entry)
        .ok_or_else(|| ApiError::bad_request("entry is not canonical base64url"))?;
    let entry = Entry::from_bytes(&bytes)?;
    // Entries are rate-limited per signer (an entry needs no signed request: it is signed).
    state.rate.take(entry.signer())?;
    state.node().check(&entry, now())?;
    if state.engine().is_some() {
        return submit_to_consortium(state, entry).await;
    }
    let result = blocking(move || -> ApiResult<Value> {
        let node = state.node();
        // A grant of a SMeR stored here must name one of its recipients; checked under the
        // writer lock, so the SMeR cannot expire in between. Sealing stores the block with
        // an fsync (off the async workers).
        let block =
            node.append_with(entry, now(), |entry| check_grant_recipients(&state, entry))?;
        state.log().block(&block);
        // Erasure: DERy deletes the ciphertext; the hash stays on the ledger.
        if let EntryBody::Erase { smer_hash } = block.entry.body() {
            node.dery().delete(smer_hash)?;
        }
        entry_answer(&state, block.number)
    })
    .await?;
    Ok((StatusCode::CREATED, Json(result)))
}

/// `GET /participants/{keyId}`: a participant's role, public keys and register block.
pub async fn participant(
    State(state): State<ApiState>,
    Path(key_id): Path<String>,
) -> ApiResult<Json<Value>> {
    let view = state.node().view();
    let p = view
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
