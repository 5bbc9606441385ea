//! The directory's routes (signed): display names by key id — never on the ledger. A
//! clinician's or authority's name is visible to every registered participant; a patient's
//! only to the patient and to those the patient has granted a record to. The directory is
//! not a list of patients: visibility is part of the search itself, so a name the caller
//! may not see never takes a place in (or changes) the result.

use axum::extract::{Path, Query, State};
use axum::Json;
use semres::ledger::{LedgerState, Role};
use semres::Code;
use serde::Deserialize;
use serde_json::{json, Value};

use super::auth::Signer;
use super::{blocking, ApiError, ApiResult, ApiState};
use crate::store::Directory;

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
    signer: Signer,
    body: axum::body::Bytes,
) -> ApiResult<Json<Value>> {
    if signer.key_id != key_id {
        return Err(ApiError::new(
            Code::NotAuthorized,
            "a participant may only name itself",
        ));
    }
    signer.check_body(&body)?;
    let request: NameRequest = serde_json::from_slice(&body)
        .map_err(|_| ApiError::bad_request("the body must be {\"name\": \"…\"}"))?;
    let name = request.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 128 || name.chars().any(char::is_control) {
        return Err(ApiError::bad_request(
            "a name is 1-128 characters without control characters",
        ));
    }
    let role = state
        .node()
        .view()
        .state()
        .participant(&key_id)
        .map(|p| p.role)
        .ok_or_else(ApiError::internal)?;
    let node = state.node().clone();
    let (id, n) = (key_id.clone(), name.clone());
    blocking(move || Ok(node.database().with(|db| db.set_name(&id, &n, role))?)).await?;
    Ok(Json(json!({"keyId": key_id, "name": name})))
}

/// The patients whose names `me` may see: itself, and those who granted it a record.
fn visible_patients(state: &LedgerState, me: &str) -> Vec<String> {
    let mut patients: Vec<String> = state
        .grants()
        .filter(|(_, g)| g.recipient == me)
        .map(|(_, g)| g.owner.clone())
        .chain(std::iter::once(me.to_owned()))
        .collect();
    patients.sort();
    patients.dedup();
    patients
}

/// `GET /directory/{keyId}` (signed): that participant's name and role, if the caller may
/// see it (`NotFound` otherwise, whether or not it exists).
pub async fn entry(
    State(state): State<ApiState>,
    Path(key_id): Path<String>,
    signer: Signer,
) -> ApiResult<Json<Value>> {
    let hidden = || ApiError::not_found("no name for that key id");
    let role = {
        let view = state.node().view();
        let role = view
            .state()
            .participant(&key_id)
            .map(|p| p.role)
            .ok_or_else(hidden)?;
        if role == Role::Patient
            && !visible_patients(view.state(), &signer.key_id).contains(&key_id)
        {
            return Err(hidden());
        }
        role
    };
    let node = state.node().clone();
    let id = key_id.clone();
    let name = blocking(move || Ok(node.database().with(|db| db.name(&id))?))
        .await?
        .ok_or_else(hidden)?;
    Ok(Json(
        json!({"keyId": key_id, "name": name, "role": role.name()}),
    ))
}

/// `GET /directory?q=` query.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SearchQuery {
    q: String,
}

/// Most results of one directory search.
const SEARCH_RESULTS: usize = 20;

/// `GET /directory?q=…` (signed, any registered participant): up to 20 participants whose
/// name contains `q` and whose name the caller may see, with role and encryption key id —
/// the patient's recipient picker.
pub async fn search(
    State(state): State<ApiState>,
    Query(query): Query<SearchQuery>,
    signer: Signer,
) -> ApiResult<Json<Value>> {
    if query.q.chars().count() > 128 {
        return Err(ApiError::bad_request("q is at most 128 characters"));
    }
    let patients = visible_patients(state.node().view().state(), &signer.key_id);
    let node = state.node().clone();
    let found = blocking(move || {
        Ok(node
            .database()
            .with(|db| db.search(&query.q, &patients, SEARCH_RESULTS))?)
    })
    .await?;
    let view = state.node().view();
    let list: Vec<Value> = found
        .into_iter()
        .filter_map(|(key_id, name)| {
            let p = view.state().participant(&key_id)?;
            Some(json!({"keyId": key_id, "name": name, "role": p.role.name(), "encryptionKeyId": p.encryption.key_id()}))
        })
        .collect();
    Ok(Json(json!({"results": list})))
}
