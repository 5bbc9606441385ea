//! Large-record benchmark of DERy (issue 16; part of `npm run bench`, a report, not a test),
//! against the real `semres serve` process (release build) over HTTP on 127.0.0.1: a
//! streamed SMeR (SPEC §7) of each size uploaded in signed 16 MiB resumable parts
//! (`PATCH /smers/{hash}/upload`) and downloaded whole by a granted clinician (hashed as it
//! arrives, not kept), with the server's peak resident memory above its idle level in each.
//!
//! Figures as JSON, for `tests/bench/run.mjs`.

use std::path::Path;
use std::time::Instant;

use semres::ledger::entry::Role;
use semres::ledger::request::content_sha256;
use serde_json::{json, Value};

use crate::child::{serve, MemorySampler};
use crate::fixtures::{authority_key, grant_entry, SyntheticStreamedSmer};
use crate::http::{error_code, get_hashed, post_entry, register, request, signed};

const MIB: u64 = 1024 * 1024;
const PART: u64 = 16 * MIB;

/// Uploads and downloads one streamed SMeR of each of `sizes_mib`.
pub fn run(sizes_mib: &[u64], binary: &Path) -> Result<Value, String> {
    let dir = std::path::PathBuf::from("target/bench/large");
    let _ = std::fs::remove_dir_all(&dir);
    let (served, _) = serve(binary, &dir, &dir.join("data"), &[], false)?;
    let addr = served.addr;
    let patient = register(addr, 1, Role::Patient, None)?;
    let authority = authority_key(&dir.join("data"))?;
    let clinician = register(addr, 3, Role::Clinician, Some(&authority))?;
    let (idle, _) = served.memory();
    let mut rows = Vec::new();
    let mut buf = vec![0u8; PART as usize];
    for (seed, &mib) in (11u64..).zip(sizes_mib) {
        let smer = SyntheticStreamedSmer::new(patient.key_id(), &[1, 3], mib * MIB, seed)?;
        let hex = semres::hex::encode(&smer.hash());
        let path = format!("/api/v1/smers/{hex}/upload");

        let sampler = MemorySampler::start(served.pid());
        let started = Instant::now();
        let mut at = 0u64;
        while at < smer.len() {
            let n = (smer.len() - at).min(PART);
            let part = buf.get_mut(..n as usize).ok_or("part size")?;
            smer.read_at(at, part);
            let last = at + n == smer.len();
            let mut headers = signed(&patient, "PATCH", &path, content_sha256(part));
            headers.push(("Upload-Offset".into(), at.to_string()));
            if last {
                headers.push(("Upload-Complete".into(), "?1".into()));
            }
            let (status, body) =
                request(addr, "PATCH", &path, &headers, part).map_err(crate::err)?;
            if status != if last { 201 } else { 200 } {
                return Err(format!(
                    "a part at {at} answered {status} {}",
                    error_code(&body)
                ));
            }
            at += n;
        }
        let upload_s = started.elapsed().as_secs_f64();
        let upload_peak = sampler.peak();

        let grant = grant_entry(&patient, smer.hash(), clinician.key_id())?;
        let (status, body) =
            post_entry(addr, &semres::b64::encode(&grant.to_bytes())).map_err(crate::err)?;
        if status != 201 {
            return Err(format!("the grant answered {status} {}", error_code(&body)));
        }
        let get_path = format!("/api/v1/smers/{hex}");
        let headers = signed(&clinician, "GET", &get_path, content_sha256(b""));
        let sampler = MemorySampler::start(served.pid());
        let started = Instant::now();
        let (status, len, got) = get_hashed(addr, &get_path, &headers).map_err(crate::err)?;
        let download_s = started.elapsed().as_secs_f64();
        let download_peak = sampler.peak();
        if (status, len, got) != (200, smer.len(), smer.hash()) {
            return Err(format!("the download answered {status} with {len} bytes"));
        }
        let per_s = |s: f64| smer.len() as f64 / MIB as f64 / s;
        rows.push(json!({
            "record_mib": mib,
            "smer_bytes": smer.len(),
            "upload_mib_per_s": per_s(upload_s),
            "upload_peak_above_idle_mib": upload_peak.saturating_sub(idle) as f64 / MIB as f64,
            "download_mib_per_s": per_s(download_s),
            "download_peak_above_idle_mib": download_peak.saturating_sub(idle) as f64 / MIB as f64,
        }));
    }
    drop(served);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(json!({ "idle_rss_mib": idle as f64 / MIB as f64, "rows": rows }))
}
