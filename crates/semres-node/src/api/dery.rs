//! DERy's routes, all signed: `PUT`, `GET` and `DELETE /smers/{hash}`.
//!
//! An upload is authenticated before its body is read, refused at once when its declared
//! length is over the limit or the uploader's quota, and then streamed to disk: DERy hashes
//! and checks it as it arrives, in memory bounded whatever its size, on a blocking thread;
//! it becomes visible only when its SHA-256 is `hash` and it is a SMeR. A download is served
//! only to the owner or the recipient of an active grant, and only if the stored bytes still
//! hash to `hash` — checked before the first byte is sent, and again as they are sent (a
//! change in between aborts the response). A deletion is the uploader's, of a SMeR no
//! ledger entry names yet.

use std::io::Read;

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use futures_util::StreamExt;
use semres::dery::SmerHasher;
use semres::ledger::merkle::Hash;
use semres::{hex, Code};
use serde_json::{json, Value};

use super::auth::Signer;
use super::{blocking, ApiError, ApiResult, ApiState};
use crate::clock::now;
use crate::dery::CHUNK;

/// Pieces in flight between the network and the disk, per transfer.
const IN_FLIGHT: usize = 4;

/// A SMeR hash from the path: 64 lower-case hex digits.
pub(crate) fn parse_hash(text: &str) -> ApiResult<Hash> {
    hex::decode_array(text)
        .ok_or_else(|| ApiError::bad_request("a SMeR hash is 64 lower-case hex digits"))
}

fn declared_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
}

fn too_large(limit: u64) -> ApiError {
    ApiError::new(
        Code::TooLarge,
        format!("a SMeR may be at most {limit} bytes here"),
    )
}

fn over_quota() -> ApiError {
    ApiError::new(
        Code::QuotaExceeded,
        "your storage quota in this repository is used up: erase records you no longer share",
    )
}

/// `PUT /smers/{hash}` (signed): a registered participant uploads a SMeR; idempotent.
pub async fn upload(
    State(state): State<ApiState>,
    Path(hash): Path<String>,
    signer: Signer,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let hash = parse_hash(&hash)?;
    // The body of an upload is the SMeR: its SHA-256 (signed) is the hash in the path.
    if signer.content_sha256 != hash {
        return Err(ApiError::new(
            Code::HashMismatch,
            "the body's SHA-256 is not the hash in the path",
        ));
    }
    let limit = state.config().max_smer_bytes;
    let declared = declared_length(&headers);
    if declared.is_some_and(|n| n > limit) {
        return Err(too_large(limit));
    }
    if state
        .node()
        .view()
        .state()
        .smer_owner(&hash)
        .is_some_and(|(_, erased)| erased)
    {
        return Err(ApiError::new(
            Code::Erased,
            "this SMeR was erased by its owner",
        ));
    }
    let (node, uploader) = (state.node().clone(), signer.key_id.clone());
    let (stored, usage) = blocking(move || {
        Ok((
            node.dery().stored(&hash)?.is_some(),
            node.dery().usage(&uploader)?,
        ))
    })
    .await?;
    if stored {
        // Content addressed: the same hash is the same SMeR. The body is not read.
        return Ok((
            StatusCode::OK,
            Json(json!({"hash": hex::encode(&hash), "stored": false})),
        ));
    }
    let quota = state.config().quota_bytes;
    if usage.saturating_add(declared.unwrap_or(0)) > quota {
        return Err(over_quota());
    }
    let room = quota.saturating_sub(usage).min(limit);
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Bytes>(IN_FLIGHT);
    let (node, uploader) = (state.node().clone(), signer.key_id.clone());
    let writer = tokio::task::spawn_blocking(move || -> ApiResult<bool> {
        let mut upload = node.dery().begin()?;
        while let Some(piece) = rx.blocking_recv() {
            upload.write(&piece)?;
            if upload.len() > room {
                return Err(if upload.len() > limit {
                    too_large(limit)
                } else {
                    over_quota()
                });
            }
        }
        let checked = upload.finish(&hash)?;
        Ok(node.dery().commit(checked, &uploader, now())?)
    });
    let mut frames = body.into_data_stream();
    let mut interrupted = false;
    while let Some(frame) = frames.next().await {
        match frame {
            // The writer stopped (it refused the SMeR): stop reading; its error is the answer.
            Ok(piece) => {
                if tx.send(piece).await.is_err() {
                    break;
                }
            }
            Err(_) => {
                interrupted = true;
                break;
            }
        }
    }
    drop(tx);
    let written = writer.await.map_err(|_| ApiError::internal())?;
    if interrupted {
        // Whatever the writer made of a partial body, nothing was stored under `hash`
        // unless it hashed to it.
        return Err(written
            .err()
            .unwrap_or_else(|| ApiError::bad_request("the upload was interrupted")));
    }
    let created = written?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        Json(json!({"hash": hex::encode(&hash), "stored": created})),
    ))
}

/// `GET /smers/{hash}` (signed): only the owner, or the recipient of an active grant. On a
/// consortium member's node a SMeR held at another member is first pulled from it.
pub async fn download(
    State(state): State<ApiState>,
    Path(hash): Path<String>,
    signer: Signer,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let hash = parse_hash(&hash)?;
    if !state
        .node()
        .view()
        .state()
        .may_read(&signer.key_id, &hash, now())
    {
        return Err(ApiError::new(
            Code::NotAuthorized,
            "no active grant of this SMeR to this key",
        ));
    }
    // A member asking for a SMeR it lacks is answered from this node's disk only: the pull
    // goes one hop, never around the consortium.
    let from_member = super::members::from_member(&headers);
    if let (Some(engine), false) = (state.engine().cloned(), from_member) {
        let node = state.node().clone();
        let held = blocking(move || Ok(node.dery().stored(&hash)?.is_some())).await?;
        if !held {
            pull_from_members(&state, &engine, hash, &headers).await?;
        }
    }
    let node = state.node().clone();
    let (mut file, size) = blocking(move || Ok(node.dery().open_checked(&hash)?)).await?;
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(IN_FLIGHT);
    tokio::task::spawn_blocking(move || {
        let mut hasher = SmerHasher::new();
        let mut buf = vec![0u8; CHUNK];
        loop {
            let piece = match file.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => &buf[..n],
                Err(e) => {
                    let _ = tx.blocking_send(Err(e));
                    return;
                }
            };
            hasher.update(piece);
            if tx.blocking_send(Ok(Bytes::copy_from_slice(piece))).is_err() {
                return; // the client went away
            }
        }
        if hasher.finish() != hash {
            // Changed since it was checked: cut the response short.
            let _ = tx.blocking_send(Err(std::io::Error::other("the stored SMeR changed")));
        }
    });
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    });
    Ok((
        [
            (header::CONTENT_TYPE, "application/jose+json".to_owned()),
            (header::CONTENT_LENGTH, size.to_string()),
        ],
        Body::from_stream(stream),
    )
        .into_response())
}

/// DERy across hospitals (SPEC §6.7): asks the other members' nodes, one after another, for
/// a SMeR this node does not hold, presenting the reader's own signed request (it names
/// the path, not the host; each node checks it, its nonce and the reader's access on the
/// shared ledger itself). A copy is streamed to disk and kept only when it hashes to `hash`
/// and is a SMeR; its owner on the ledger is recorded as its uploader.
async fn pull_from_members(
    state: &ApiState,
    engine: &crate::consortium::Engine,
    hash: Hash,
    headers: &HeaderMap,
) -> ApiResult<()> {
    let owner = state
        .node()
        .view()
        .state()
        .smer_owner(&hash)
        .map(|(owner, _)| owner.to_owned())
        .ok_or_else(|| ApiError::not_found("no ledger entry names this SMeR"))?;
    let limit = state.config().max_smer_bytes;
    let path = format!("/api/v1/smers/{}", hex::encode(&hash));
    for peer in engine.peers() {
        let request = super::members::get(
            engine,
            peer,
            &path,
            headers,
            std::time::Duration::from_secs(600),
        );
        let Ok(mut response) = request.send().await else {
            continue; // unreachable: the next member
        };
        if !response.status().is_success() || response.content_length().is_some_and(|n| n > limit) {
            continue;
        }
        let (tx, mut rx) = tokio::sync::mpsc::channel::<Bytes>(IN_FLIGHT);
        let (node, owner) = (state.node().clone(), owner.clone());
        let writer = tokio::task::spawn_blocking(move || -> ApiResult<bool> {
            let mut upload = node.dery().begin()?;
            while let Some(piece) = rx.blocking_recv() {
                upload.write(&piece)?;
                if upload.len() > limit {
                    return Err(too_large(limit));
                }
            }
            let checked = upload.finish(&hash)?;
            Ok(node.dery().commit(checked, &owner, now())?)
        });
        let mut complete = true;
        loop {
            match response.chunk().await {
                Ok(Some(piece)) => {
                    if tx.send(piece).await.is_err() {
                        break; // the writer refused it
                    }
                }
                Ok(None) => break,
                Err(_) => {
                    complete = false;
                    break;
                }
            }
        }
        drop(tx);
        let written = writer.await.map_err(|_| ApiError::internal())?;
        if complete && written.is_ok() {
            state
                .log()
                .event("replicated", "a SMeR pulled from another member");
            return Ok(());
        }
        // Cut short, or not the SMeR of this hash: nothing was kept; the next member.
    }
    Err(ApiError::new(
        Code::HolderUnavailable,
        "no member hospital answered with this SMeR; try again",
    ))
}

/// `DELETE /smers/{hash}` (signed): the uploader removes a SMeR that no ledger entry names
/// (a named one is removed by its owner's Erase entry).
pub async fn delete(
    State(state): State<ApiState>,
    Path(hash): Path<String>,
    signer: Signer,
) -> ApiResult<Json<Value>> {
    let hash = parse_hash(&hash)?;
    let named = || {
        ApiError::new(
            Code::NotAuthorized,
            "the ledger names this SMeR: its owner erases it with an Erase entry",
        )
    };
    if state.node().view().state().smer_owner(&hash).is_some() {
        return Err(named());
    }
    let node = state.node().clone();
    let deleted = blocking(move || match node.dery().stored(&hash)? {
        None => Err(ApiError::not_found("the SMeR is not stored here")),
        Some(s) if s.uploader != signer.key_id => Err(ApiError::new(
            Code::NotAuthorized,
            "only the participant who uploaded a SMeR may delete it",
        )),
        // Named in between (a grant appended since the check above): refused.
        Some(_) => node.delete_unnamed(&hash)?.ok_or_else(named),
    })
    .await?;
    Ok(Json(
        json!({"hash": hex::encode(&hash), "deleted": deleted}),
    ))
}

/// Deletes the SMeRs stored longer than the grace period that no ledger entry names.
pub fn expire_unreferenced(state: &ApiState, now: i64) {
    let cutoff = now.saturating_sub(state.config().unreferenced_grace);
    let Ok(old) = state.node().dery().stored_before(cutoff) else {
        return;
    };
    for (hash, _) in old {
        if let Ok(Some(true)) = state.node().delete_unnamed(&hash) {
            state.log().event(
                "expired",
                &format!("unreferenced SMeR {}", hex::encode(&hash)),
            );
        }
    }
}
