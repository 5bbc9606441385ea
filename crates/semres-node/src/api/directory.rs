//! The directory's routes (signed): display names by key id — never on the ledger. A
//! clinician's or authority's name is visible to every registered participant; a patient's
//! only to the patient and to those the patient has granted a record to. The directory is
//! not a list of patients.

use axum::extract::{Path, Query, State};
use axum::Json;
use semres::ledger::Role;
use semres::Code;
use serde::Deserialize;
use serde_json::{json, Value};

use super::auth::Signer;
use super::{ApiError, ApiResult, ApiState};
use crate::node::Node;

/// `PUT /directory/{keyId}` body.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NameRequest {
    name: String,
}

/// `PUT /directory/{keyId}` (signed by that key): sets the participant's display name.
pub async fn set_name(
    State(state): State<ApiState>,
    Path(key_id): Path<String>,
    Signer(me): Signer,
    body: axum::body::Bytes,
) -> ApiResult<Json<Value>> {
    if me != key_id {
        return Err(ApiError::new(
            Code::NotAuthorized,
            "a participant may only name itself",
        ));
    }
    let request: NameRequest = serde_json::from_slice(&body)
        .map_err(|_| ApiError::bad_request("the body must be {\"name\": \"…\"}"))?;
    let name = request.name.trim();
    if name.is_empty() || name.chars().count() > 128 || name.chars().any(char::is_control) {
        return Err(ApiError::bad_request(
            "a name is 1-128 characters without control characters",
        ));
    }
    state
        .node()?
        .directory()
        .set_name(&key_id, name)
        .map_err(|_| ApiError::internal())?;
    Ok(Json(json!({"keyId": key_id, "name": name})))
}

/// Who may see whose name (see the module's description).
fn may_see_name(node: &Node, me: &str, key_id: &str) -> bool {
    let Some(p) = node.state().participant(key_id) else {
        return false;
    };
    p.role != Role::Patient
        || key_id == me
        || node
            .state()
            .grants()
            .any(|(_, g)| g.owner == key_id && g.recipient == me)
}

/// `GET /directory/{keyId}` (signed): that participant's name and role, if the caller may
/// see it (`NotFound` otherwise, whether or not it exists).
pub async fn entry(
    State(state): State<ApiState>,
    Path(key_id): Path<String>,
    Signer(me): Signer,
) -> ApiResult<Json<Value>> {
    let mut node = state.node()?;
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

/// `GET /directory?q=` query.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SearchQuery {
    q: String,
}

/// Most results of one directory search.
const SEARCH_RESULTS: usize = 20;
/// Names read from the directory per search before the visibility filter.
const SEARCH_SCAN: usize = 500;

/// `GET /directory?q=…` (signed, any registered participant): up to 20 participants whose
/// name contains `q` and whose name the caller may see, with role and encryption key id —
/// the patient's recipient picker.
pub async fn search(
    State(state): State<ApiState>,
    Query(query): Query<SearchQuery>,
    Signer(me): Signer,
) -> ApiResult<Json<Value>> {
    if query.q.chars().count() > 128 {
        return Err(ApiError::bad_request("q is at most 128 characters"));
    }
    let mut node = state.node()?;
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
