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
use semres::dery::{Profile, SmerHasher};
use semres::ledger::merkle::Hash;
use semres::{hex, Code};
use serde_json::{json, Value};

use super::auth::Signer;
use super::{blocking, ApiError, ApiResult, ApiState};
use crate::clock::now;
use crate::dery::{CHUNK, MAX_UPLOAD_PART};

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

/// The size limit of an upload whose profile is `profile` (before its first byte, the
/// larger of the two).
fn size_limit(config: &super::ApiConfig, profile: Option<Profile>) -> u64 {
    match profile {
        Some(Profile::V1) => config.max_smer_bytes,
        Some(Profile::Streamed) => config.max_streamed_smer_bytes,
        None => config.max_smer_bytes.max(config.max_streamed_smer_bytes),
    }
}

/// The media type a SMeR is served as: SMeR v1 is JWE JSON; a streamed SMeR is binary.
fn media_type(profile: Profile) -> &'static str {
    match profile {
        Profile::V1 => "application/jose+json",
        Profile::Streamed => "application/octet-stream",
    }
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
    let config = state.config().clone();
    let limit = size_limit(&config, None);
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
    let quota = config.quota_bytes;
    if usage.saturating_add(declared.unwrap_or(0)) > quota {
        return Err(over_quota());
    }
    let room = quota.saturating_sub(usage);
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Bytes>(IN_FLIGHT);
    let (node, uploader) = (state.node().clone(), signer.key_id.clone());
    let writer = tokio::task::spawn_blocking(move || -> ApiResult<bool> {
        let mut upload = node.dery().begin(config.max_streamed_smer_bytes)?;
        while let Some(piece) = rx.blocking_recv() {
            upload.write(&piece)?;
            let limit = size_limit(&config, upload.profile());
            if upload.len() > limit {
                return Err(too_large(limit));
            }
            if upload.len() > room {
                return Err(over_quota());
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

/// `Upload-Offset`: where a part of a resumable upload starts (and, answered, where the
/// upload stands).
const UPLOAD_OFFSET: &str = "upload-offset";
/// `Upload-Complete: ?1` marks the last part (RFC 8941 boolean).
const UPLOAD_COMPLETE: &str = "upload-complete";

fn json_with_offset(status: StatusCode, offset: u64, body: Value) -> Response {
    let mut response = (status, Json(body)).into_response();
    insert(
        response.headers_mut(),
        header::HeaderName::from_static(UPLOAD_OFFSET),
        offset.to_string(),
    );
    response
}

/// `PATCH /smers/{hash}/upload` (signed): the next part of a resumable upload — a part of
/// at most [`MAX_UPLOAD_PART`] bytes starting at `Upload-Offset`, its own SHA-256 signed.
/// The part is authenticated before it is written; an acknowledged part survives an
/// interruption (and a restart of the node), so the client resumes from where
/// `GET /smers/{hash}/upload` says the upload stands. The part with `Upload-Complete: ?1`
/// ends it: the whole object must hash to `hash` and be a SMeR before it becomes visible,
/// exactly as with `PUT`.
pub async fn upload_part(
    State(state): State<ApiState>,
    Path(hash): Path<String>,
    signer: Signer,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let hash = parse_hash(&hash)?;
    let offset: u64 = headers
        .get(UPLOAD_OFFSET)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.bytes().all(|c| c.is_ascii_digit()))
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| ApiError::bad_request("Upload-Offset (a byte offset) is required"))?;
    let complete = match headers.get(UPLOAD_COMPLETE).map(|v| v.as_bytes()) {
        None | Some(b"?0") => false,
        Some(b"?1") => true,
        Some(_) => return Err(ApiError::bad_request("Upload-Complete is ?1 or ?0")),
    };
    if declared_length(&headers).is_some_and(|n| n > MAX_UPLOAD_PART as u64) {
        return Err(too_large_part());
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
    let config = state.config().clone();
    let (node, uploader) = (state.node().clone(), signer.key_id.clone());
    let (stored, usage) = blocking(move || {
        let dery = node.dery();
        let stored = dery.stored(&hash)?.is_some();
        if stored {
            // Content addressed: whatever else was arriving under this hash is not needed.
            let _ = dery.abandon(&uploader, &hash);
        }
        let usage = dery
            .usage(&uploader)?
            .saturating_add(dery.partial_usage(&uploader)?);
        Ok((stored, usage))
    })
    .await?;
    if stored {
        return Ok(json_with_offset(
            StatusCode::OK,
            offset,
            json!({"hash": hex::encode(&hash), "stored": false}),
        ));
    }
    // The part, whole and bounded, then its signed SHA-256: nothing unauthenticated is
    // written.
    let mut part = Vec::new();
    let mut frames = body.into_data_stream();
    while let Some(frame) = frames.next().await {
        let frame = frame.map_err(|_| ApiError::bad_request("the part was interrupted"))?;
        if part.len() + frame.len() > MAX_UPLOAD_PART {
            return Err(too_large_part());
        }
        part.extend_from_slice(&frame);
    }
    signer.check_body(&part)?;
    let part_len = part.len() as u64;
    let limit = size_limit(&config, None);
    if offset.saturating_add(part_len) > limit {
        return Err(too_large(limit));
    }
    if usage.saturating_add(part_len) > config.quota_bytes {
        return Err(over_quota());
    }
    let (node, uploader) = (state.node().clone(), signer.key_id.clone());
    let outcome = blocking(move || {
        let dery = node.dery();
        let mut upload = dery.resume(
            &uploader,
            &hash,
            offset,
            config.max_streamed_smer_bytes,
            now(),
        )?;
        let written = upload.write_part(&part).and_then(|()| {
            let limit = size_limit(&config, upload.profile());
            if upload.len() > limit {
                return Err(crate::dery::DeryError::NotASmer(semres::Error::TooLarge {
                    what: "SMeR",
                    limit: usize::try_from(limit).unwrap_or(usize::MAX),
                }));
            }
            Ok(())
        });
        if let Err(e) = written {
            // Refused (not a SMeR, too large) or the disk failed mid-part: the upload ends.
            upload.discard_on_drop();
            dery.release(&uploader, &hash);
            return Err(e.into());
        }
        let at = upload.len();
        if !complete {
            dery.park(&uploader, &hash, upload, now());
            return Ok((at, None));
        }
        upload.discard_on_drop();
        dery.release(&uploader, &hash);
        let checked = upload.finish(&hash)?;
        Ok((at, Some(dery.commit(checked, &uploader, now())?)))
    })
    .await?;
    Ok(match outcome {
        (at, None) => json_with_offset(
            StatusCode::OK,
            at,
            json!({"hash": hex::encode(&hash), "offset": at, "complete": false}),
        ),
        (at, Some(created)) => json_with_offset(
            if created {
                StatusCode::CREATED
            } else {
                StatusCode::OK
            },
            at,
            json!({"hash": hex::encode(&hash), "offset": at, "complete": true, "stored": created}),
        ),
    })
}

/// `GET /smers/{hash}/upload` (signed): where the caller's resumable upload of `hash`
/// stands (`offset`, also in `Upload-Offset`); `stored` when the SMeR is stored already;
/// 404 when no upload of it is in progress.
pub async fn upload_status(
    State(state): State<ApiState>,
    Path(hash): Path<String>,
    signer: Signer,
) -> ApiResult<Response> {
    let hash = parse_hash(&hash)?;
    let node = state.node().clone();
    let (stored, offset) = blocking(move || {
        let dery = node.dery();
        Ok((
            dery.stored(&hash)?.map(|s| s.size),
            dery.partial_offset(&signer.key_id, &hash)?,
        ))
    })
    .await?;
    match (stored, offset) {
        (Some(size), _) => Ok(json_with_offset(
            StatusCode::OK,
            size,
            json!({"hash": hex::encode(&hash), "offset": size, "stored": true}),
        )),
        (None, Some(at)) => Ok(json_with_offset(
            StatusCode::OK,
            at,
            json!({"hash": hex::encode(&hash), "offset": at, "stored": false}),
        )),
        (None, None) => Err(ApiError::not_found("no upload of this SMeR is in progress")),
    }
}

/// `DELETE /smers/{hash}/upload` (signed): abandons the caller's resumable upload of `hash`.
pub async fn abandon_upload(
    State(state): State<ApiState>,
    Path(hash): Path<String>,
    signer: Signer,
) -> ApiResult<Json<Value>> {
    let hash = parse_hash(&hash)?;
    let node = state.node().clone();
    let abandoned = blocking(move || Ok(node.dery().abandon(&signer.key_id, &hash)?)).await?;
    Ok(Json(
        json!({"hash": hex::encode(&hash), "abandoned": abandoned}),
    ))
}

fn too_large_part() -> ApiError {
    ApiError::new(
        Code::TooLarge,
        format!("a part of a resumable upload is at most {MAX_UPLOAD_PART} bytes"),
    )
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
    let (mut file, size, profile) = blocking(move || Ok(node.dery().open_checked(&hash)?)).await?;
    let etag = format!("\"{}\"", hex::encode(&hash));
    // Content addressed: the bytes under a hash never change, so If-Range matches exactly
    // when it names this hash.
    let if_range_ok = headers
        .get(header::IF_RANGE)
        .is_none_or(|v| v.as_bytes() == etag.as_bytes());
    let range = match headers.get(header::RANGE) {
        Some(value) if if_range_ok => match parse_range(value.as_bytes(), size) {
            RangeRequest::Whole => None,
            RangeRequest::Part(start, end) => Some((start, end)),
            RangeRequest::Unsatisfiable => {
                return Ok((
                    StatusCode::RANGE_NOT_SATISFIABLE,
                    [
                        (header::CONTENT_RANGE, format!("bytes */{size}")),
                        (header::ACCEPT_RANGES, "bytes".to_owned()),
                    ],
                )
                    .into_response());
            }
        },
        _ => None,
    };
    let (first, last) = range.unwrap_or((0, size.saturating_sub(1)));
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(IN_FLIGHT);
    tokio::task::spawn_blocking(move || {
        // Every byte is read and hashed (a range too): a copy changed since the check above
        // cuts the response short instead of finishing it.
        let mut hasher = SmerHasher::new();
        let mut buf = vec![0u8; CHUNK];
        let mut at = 0u64;
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
            let len = piece.len() as u64;
            let (from, to) = (first.max(at), (last + 1).min(at + len));
            if size > 0 && from < to {
                let part = &piece[(from - at) as usize..(to - at) as usize];
                if tx.blocking_send(Ok(Bytes::copy_from_slice(part))).is_err() {
                    return; // the client went away
                }
            }
            at += len;
        }
        if hasher.finish() != hash {
            // Changed since it was checked: cut the response short.
            let _ = tx.blocking_send(Err(std::io::Error::other("the stored SMeR changed")));
        }
    });
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    });
    let mut response = (
        [
            (header::CONTENT_TYPE, media_type(profile).to_owned()),
            (header::ACCEPT_RANGES, "bytes".to_owned()),
            (header::ETAG, etag),
        ],
        Body::from_stream(stream),
    )
        .into_response();
    let response_headers = response.headers_mut();
    if let Some((start, end)) = range {
        *response.status_mut() = StatusCode::PARTIAL_CONTENT;
        let response_headers = response.headers_mut();
        insert(
            response_headers,
            header::CONTENT_RANGE,
            format!("bytes {start}-{end}/{size}"),
        );
        insert(
            response_headers,
            header::CONTENT_LENGTH,
            (end - start + 1).to_string(),
        );
    } else {
        insert(response_headers, header::CONTENT_LENGTH, size.to_string());
    }
    Ok(response)
}

fn insert(headers: &mut HeaderMap, name: header::HeaderName, value: String) {
    if let Ok(value) = header::HeaderValue::from_str(&value) {
        headers.insert(name, value);
    }
}

/// What a `Range` header asks of a SMeR of `size` bytes (RFC 9110 §14).
#[derive(Debug, PartialEq, Eq)]
enum RangeRequest {
    /// No range this endpoint serves: the whole SMeR (a header it does not parse, or
    /// several ranges, are ignored as RFC 9110 allows).
    Whole,
    /// Bytes `start..=end`.
    Part(u64, u64),
    /// A range wholly past the end: 416.
    Unsatisfiable,
}

/// Parses one `bytes=first-last`, `bytes=first-` or `bytes=-suffix` range.
fn parse_range(value: &[u8], size: u64) -> RangeRequest {
    let Some(spec) = std::str::from_utf8(value)
        .ok()
        .and_then(|v| v.trim().strip_prefix("bytes="))
    else {
        return RangeRequest::Whole;
    };
    if spec.contains(',') {
        return RangeRequest::Whole;
    }
    let Some((a, b)) = spec.trim().split_once('-') else {
        return RangeRequest::Whole;
    };
    let number = |t: &str| -> Option<u64> {
        (!t.is_empty() && t.bytes().all(|c| c.is_ascii_digit()))
            .then(|| t.parse().ok())
            .flatten()
    };
    match (a.is_empty(), number(a), number(b)) {
        // bytes=-n: the last n bytes.
        (true, _, Some(n)) => {
            if n == 0 || size == 0 {
                RangeRequest::Unsatisfiable
            } else {
                RangeRequest::Part(size - n.min(size), size - 1)
            }
        }
        (false, Some(first), last) if b.is_empty() || last.is_some() => {
            if last.is_some_and(|l| l < first) {
                return RangeRequest::Whole; // invalid: ignored
            }
            if first >= size {
                return RangeRequest::Unsatisfiable;
            }
            RangeRequest::Part(first, last.map_or(size - 1, |l| l.min(size - 1)))
        }
        _ => RangeRequest::Whole,
    }
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
    let config = state.config().clone();
    let limit = size_limit(&config, None);
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
        let (node, owner, config) = (state.node().clone(), owner.clone(), config.clone());
        let writer = tokio::task::spawn_blocking(move || -> ApiResult<bool> {
            let mut upload = node.dery().begin(config.max_streamed_smer_bytes)?;
            while let Some(piece) = rx.blocking_recv() {
                upload.write(&piece)?;
                let limit = size_limit(&config, upload.profile());
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
    // Resumable uploads left idle as long go too.
    if let Ok(n @ 1..) = state.node().dery().expire_partials(cutoff) {
        state
            .log()
            .event("expired", &format!("{n} abandoned resumable uploads"));
    }
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

#[cfg(test)]
mod range_tests {
    use super::{parse_range, RangeRequest::*};

    #[test]
    fn ranges() {
        let cases: &[(&str, u64, super::RangeRequest)] = &[
            ("bytes=0-9", 100, Part(0, 9)),
            ("bytes=90-", 100, Part(90, 99)),
            ("bytes=90-500", 100, Part(90, 99)),
            ("bytes=-10", 100, Part(90, 99)),
            ("bytes=-500", 100, Part(0, 99)),
            ("bytes=99-99", 100, Part(99, 99)),
            ("bytes=100-", 100, Unsatisfiable),
            ("bytes=-0", 100, Unsatisfiable),
            ("bytes=0-", 0, Unsatisfiable),
            ("bytes=9-0", 100, Whole),
            ("bytes=0-1,5-6", 100, Whole),
            ("bytes=a-b", 100, Whole),
            ("bytes=-", 100, Whole),
            ("bytes=+1-2", 100, Whole),
            ("items=0-1", 100, Whole),
            ("bytes=18446744073709551616-", 100, Whole),
        ];
        for (text, size, expected) in cases {
            assert_eq!(&parse_range(text.as_bytes(), *size), expected, "{text}");
        }
    }
}
