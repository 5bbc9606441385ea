//! The directory's routes (signed): display names by key id — never on the ledger. A
//! clinician's or authority's name is visible to every registered participant; a patient's
//! only to the patient and to those the patient has granted a record to. The directory is
//! not a list of patients: visibility is part of the search itself, so a name the caller
//! may not see never takes a place in (or changes) the result.

use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::HeaderMap;
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

/// On a consortium member's node, the other members' answers to the reader's own signed
/// request (SPEC §6.7): names are kept where they were given. Members that fail to answer
/// are left out.
async fn from_members(state: &ApiState, uri: &OriginalUri, headers: &HeaderMap) -> Vec<Value> {
    let Some(engine) = state.engine().cloned() else {
        return Vec::new();
    };
    if super::members::from_member(headers) {
        return Vec::new();
    }
    let target = uri
        .0
        .path_and_query()
        .map_or_else(|| uri.0.path().to_owned(), |pq| pq.as_str().to_owned());
    let asks = engine.peers().iter().map(|peer| {
        let request = super::members::get(
            &engine,
            peer,
            &target,
            headers,
            std::time::Duration::from_secs(3),
        );
        async move {
            let response = request.send().await.ok()?;
            if !response.status().is_success() {
                return None;
            }
            response.json::<Value>().await.ok()
        }
    });
    futures_util::future::join_all(asks)
        .await
        .into_iter()
        .flatten()
        .collect()
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
    uri: OriginalUri,
    headers: HeaderMap,
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
    let name = match blocking(move || Ok(node.database().with(|db| db.name(&id))?)).await? {
        Some(name) => name,
        // Named at another member hospital?
        None => from_members(&state, &uri, &headers)
            .await
            .into_iter()
            .find(|v| v["keyId"] == key_id.as_str())
            .and_then(|v| v["name"].as_str().map(str::to_owned))
            .ok_or_else(hidden)?,
    };
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
    uri: OriginalUri,
    headers: HeaderMap,
) -> ApiResult<Json<Value>> {
    if query.q.chars().count() > 128 {
        return Err(ApiError::bad_request("q is at most 128 characters"));
    }
    let query_text = query.q.clone();
    let patients = visible_patients(state.node().view().state(), &signer.key_id);
    let node = state.node().clone();
    let found = blocking(move || {
        Ok(node
            .database()
            .with(|db| db.search(&query.q, &patients, SEARCH_RESULTS))?)
    })
    .await?;
    let mut list: Vec<Value> = {
        let view = state.node().view();
        found
            .into_iter()
            .filter_map(|(key_id, name)| {
                let p = view.state().participant(&key_id)?;
                Some(json!({"keyId": key_id, "name": name, "role": p.role.name(), "encryptionKeyId": p.encryption.key_id()}))
            })
            .collect()
    };
    // Names given at the other member hospitals (each applied the same visibility, from the
    // same shared ledger), after this node's own, once per key id.
    // A member's word is taken for the name only: the key id must be a participant this node
    // knows and may show the caller, and role and key come from this node's ledger.
    let answers = from_members(&state, &uri, &headers).await;
    let view = state.node().view();
    let visible = visible_patients(view.state(), &signer.key_id);
    for r in answers
        .iter()
        .flat_map(|a| a["results"].as_array().into_iter().flatten())
    {
        let (Some(key_id), Some(name)) = (r["keyId"].as_str(), r["name"].as_str()) else {
            continue;
        };
        let Some(p) = view.state().participant(key_id) else {
            continue;
        };
        if list.len() >= SEARCH_RESULTS
            || list.iter().any(|l| l["keyId"] == key_id)
            || (p.role == Role::Patient && !visible.iter().any(|v| v == key_id))
            || !name.to_lowercase().contains(&query_text.to_lowercase())
        {
            continue;
        }
        list.push(json!({"keyId": key_id, "name": name, "role": p.role.name(), "encryptionKeyId": p.encryption.key_id()}));
    }
    Ok(Json(json!({"results": list})))
}
