//! The consortium's routes (SPEC §6), on a member's node: the consortium file, this node's
//! cosignature of a checkpoint it derived (what peers collect), the entries every node
//! skipped, the fork evidence held, and where an accepted entry is.

use axum::extract::{Path, Query, State};
use axum::Json;
use semres::hex;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{blocking, ApiError, ApiResult, ApiState};
use crate::consortium::{Engine, EntryStatus};

fn engine(state: &ApiState) -> ApiResult<&std::sync::Arc<Engine>> {
    state
        .engine()
        .ok_or_else(|| ApiError::not_found("this node is not a consortium member"))
}

/// `GET /consortium`: the consortium file (a signed note, text).
pub async fn file(State(state): State<ApiState>) -> ApiResult<String> {
    Ok(engine(&state)?.consortium_file().to_owned())
}

/// `GET /consortium/cosignature?size=` query.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SizeQuery {
    size: u64,
}

/// `GET /consortium/cosignature?size=N`: this member's cosigned note of its checkpoint at
/// size N (`NotFound` until it has replayed that far).
pub async fn cosignature(
    State(state): State<ApiState>,
    Query(q): Query<SizeQuery>,
) -> ApiResult<String> {
    engine(&state)?
        .own_cosigned(q.size)
        .ok_or_else(|| ApiError::not_found("this node has not replayed that many blocks"))
}

/// `GET /consortium/skipped`: the entries every node skipped, with their codes.
pub async fn skipped(State(state): State<ApiState>) -> ApiResult<Json<Value>> {
    engine(&state)?;
    let node = state.node().clone();
    let list = blocking(move || Ok(node.database().with(|db| db.skipped())?)).await?;
    let list: Vec<Value> = list
        .into_iter()
        .map(|s| {
            json!({"seq": s.seq, "ethereumBlock": s.ethereum_block, "code": s.code,
                   "entryHash": s.entry_hash.map(|h| hex::encode(&h))})
        })
        .collect();
    Ok(Json(json!({"skipped": list})))
}

/// `GET /consortium/evidence`: pairs of cosigned checkpoints of one size with different
/// roots that this node came across.
pub async fn evidence(State(state): State<ApiState>) -> ApiResult<Json<Value>> {
    let engine = engine(&state)?.clone();
    let pairs = blocking(move || Ok(engine.evidence()?)).await?;
    let list: Vec<Value> = pairs
        .into_iter()
        .map(|(a, b)| json!({"a": a, "b": b}))
        .collect();
    Ok(Json(json!({"evidence": list})))
}

/// `GET /entries/{entryHash}`: where an entry this node accepted is.
pub async fn entry_status(
    State(state): State<ApiState>,
    Path(entry_hash): Path<String>,
) -> ApiResult<Json<Value>> {
    let hash = hex::decode_array(&entry_hash)
        .ok_or_else(|| ApiError::bad_request("an entry hash is 64 lower-case hex digits"))?;
    let status = match state.engine() {
        Some(engine) => {
            let engine = engine.clone();
            blocking(move || Ok(engine.status(&hash)?)).await?
        }
        None => state
            .node()
            .view()
            .block_of_entry(&hash)
            .map_or(EntryStatus::Unknown, EntryStatus::Anchored),
    };
    Ok(Json(match status {
        EntryStatus::Anchored(n) => json!({"status": "on-ledger", "blockNumber": n}),
        EntryStatus::Queued => json!({"status": "queued"}),
        EntryStatus::Skipped(code) => json!({"status": "skipped", "code": code}),
        EntryStatus::Unknown => return Err(ApiError::not_found("no such entry here")),
    }))
}
