//! A participant's own views (signed): the grants shared with me, the grants I made, and the
//! audit trail of my records (access, care and payment entries, as blocks with their paper
//! fields).

use axum::extract::State;
use axum::Json;
use semres::ledger::state::GrantRecord;
use semres::{b64, hex};
use serde_json::{json, Value};

use super::auth::Signer;
use super::{ApiResult, ApiState};
use crate::clock::now;

fn grant_json(hash: &[u8; 32], g: &GrantRecord, active: bool) -> Value {
    json!({
        "grant": hex::encode(hash),
        "owner": g.owner,
        "recipient": g.recipient,
        "smerHash": hex::encode(&g.smer_hash),
        "dataIndex": g.data_index,
        "expires": g.expires,
        "revoked": g.revoked,
        "active": active,
        "blockNumber": g.block,
    })
}

fn my_grants(state: &ApiState, me: String, as_recipient: bool) -> ApiResult<Json<Value>> {
    let view = state.node().view();
    let now = now();
    let list: Vec<Value> = view
        .state()
        .grants()
        .filter(|(_, g)| {
            if as_recipient {
                g.recipient == me
            } else {
                g.owner == me
            }
        })
        .map(|(h, g)| grant_json(h, g, view.state().grant_active(h, now)))
        .collect();
    Ok(Json(json!({"keyId": me, "grants": list})))
}

/// `GET /me/shared-with-me` (signed): grants whose recipient is the caller.
pub async fn shared_with_me(
    State(state): State<ApiState>,
    signer: Signer,
) -> ApiResult<Json<Value>> {
    my_grants(&state, signer.key_id, true)
}

/// `GET /me/granted-by-me` (signed): grants the caller made.
pub async fn granted_by_me(
    State(state): State<ApiState>,
    signer: Signer,
) -> ApiResult<Json<Value>> {
    my_grants(&state, signer.key_id, false)
}

/// `GET /me/audit-trail` (signed): access, care and payment entries about the caller's
/// records, as blocks with their paper fields.
pub async fn audit_trail(State(state): State<ApiState>, signer: Signer) -> ApiResult<Json<Value>> {
    let me = signer.key_id;
    let view = state.node().view();
    let events: Vec<Value> = view
        .audit_trail(&me)
        .into_iter()
        .map(|b| {
            let v = b.paper_view();
            json!({
                "blockNumber": b.number,
                "time": b.time,
                "kind": v.authority_status,
                "by": b.entry.signer(),
                "smerHash": v.smer_hash.map(|h| hex::encode(&h)),
                "payment": v.payment.map(|(amount, currency)| json!({"amount": amount, "currency": currency})),
                "block": b64::encode(&b.to_bytes()),
            })
        })
        .collect();
    Ok(Json(json!({"keyId": me, "events": events})))
}
