//! A large streamed SMeR through the real `semres serve` (issue 16): uploaded in 16 MiB
//! parts, the connection cut at 40 % and the upload resumed from where the node says it
//! stands, then downloaded whole and by a range — the stored object's hash matching, and
//! the server's resident memory flat throughout (its growth bounded by a constant, not by
//! the object). 1 GiB by default (about 15 s here); `SEMRES_LARGE_MIB=N` sets another size.

use std::io::Write;
use std::net::{Shutdown, SocketAddr, TcpStream};

use semres::identity::signing::SigningPrivateKey;
use semres::ledger::entry::Role;
use semres::ledger::request::content_sha256;
use xtask::fixtures::SyntheticStreamedSmer;
use xtask::http::{error_code, request, request_streamed, signed};

mod support;

const MIB: u64 = 1024 * 1024;
const PART: u64 = 16 * MIB;

fn part_request(
    addr: SocketAddr,
    key: &SigningPrivateKey,
    path: &str,
    at: u64,
    bytes: &[u8],
    last: bool,
) -> (u16, serde_json::Value) {
    let mut headers = signed(key, "PATCH", path, content_sha256(bytes));
    headers.push(("Upload-Offset".into(), at.to_string()));
    if last {
        headers.push(("Upload-Complete".into(), "?1".into()));
    }
    let (status, body) = request(addr, "PATCH", path, &headers, bytes).unwrap();
    (status, serde_json::from_slice(&body).unwrap_or_default())
}

#[test]
fn a_large_streamed_smer_resumes_after_a_cut_and_memory_stays_flat() {
    let mib: u64 = std::env::var("SEMRES_LARGE_MIB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1024);
    let dir = support::workdir("large");
    let (served, _) = support::serve(&dir, &dir.join("data"), &[], false);
    let addr = served.addr;
    let alice = xtask::http::register(addr, 1, Role::Patient, None).unwrap();
    let authority = xtask::fixtures::authority_key(&served.data).unwrap();
    let carol = xtask::http::register(addr, 3, Role::Clinician, Some(&authority)).unwrap();
    let smer = SyntheticStreamedSmer::new(alice.key_id(), &[1, 3], mib * MIB, 7).unwrap();
    let hex = semres::hex::encode(&smer.hash());
    let path = format!("/api/v1/smers/{hex}/upload");
    let (baseline, _) = served.memory();
    let sampler = xtask::child::MemorySampler::start(served.pid());

    let mut buf = vec![0u8; PART as usize];
    let mut at = 0u64;
    let cut_at = smer.len() * 2 / 5 / PART * PART;
    let mut was_cut = false;
    while at < smer.len() {
        let n = (smer.len() - at).min(PART);
        let part = &mut buf[..n as usize];
        smer.read_at(at, part);
        if at == cut_at && !was_cut {
            // The connection drops half-way through this part.
            was_cut = true;
            let mut headers = signed(&alice, "PATCH", &path, content_sha256(part));
            headers.push(("Upload-Offset".into(), at.to_string()));
            let half = part.len() / 2;
            let (status, _) =
                request_streamed(addr, "PATCH", &path, &headers, n, |s: &mut TcpStream| {
                    s.write_all(&part[..half])?;
                    s.shutdown(Shutdown::Write)
                })
                .unwrap_or((0, Vec::new()));
            assert_ne!(status / 100, 2);
            // Where does it stand? Exactly before the cut part.
            let headers = signed(&alice, "GET", &path, content_sha256(b""));
            let (status, body) = request(addr, "GET", &path, &headers, b"").unwrap();
            let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
            assert_eq!((status, v["offset"].as_u64()), (200, Some(cut_at)), "{v}");
            continue;
        }
        let last = at + n == smer.len();
        let (status, v) = part_request(addr, &alice, &path, at, part, last);
        assert_eq!(status, if last { 201 } else { 200 }, "at {at}: {v}");
        at = v["offset"].as_u64().unwrap();
    }
    assert!(was_cut);
    let upload_peak = sampler.peak();

    // Carol, granted it, downloads it whole (hashed as it arrives, not kept) and a range.
    let grant = xtask::fixtures::grant_entry(&alice, smer.hash(), carol.key_id()).unwrap();
    let (status, body) =
        xtask::http::post_entry(addr, &semres::b64::encode(&grant.to_bytes())).unwrap();
    assert_eq!(status, 201, "{}", error_code(&body));
    let sampler = xtask::child::MemorySampler::start(served.pid());
    let get_path = format!("/api/v1/smers/{hex}");
    let headers = signed(&carol, "GET", &get_path, content_sha256(b""));
    let (status, len, got) = xtask::http::get_hashed(addr, &get_path, &headers).unwrap();
    assert_eq!((status, len, got), (200, smer.len(), smer.hash()));
    let mut headers = signed(&carol, "GET", &get_path, content_sha256(b""));
    let from = smer.len() - 3 * MIB - 5;
    headers.push(("Range".into(), format!("bytes={from}-")));
    let (status, body) = request(addr, "GET", &get_path, &headers, b"").unwrap();
    let mut want = vec![0u8; (smer.len() - from) as usize];
    smer.read_at(from, &mut want);
    assert_eq!(status, 206);
    assert!(body == want, "the range differs");
    let download_peak = sampler.peak();

    let peak = upload_peak.max(download_peak);
    eprintln!(
        "{} MiB streamed SMeR: RSS {} MiB before, peak {} MiB (upload {} MiB, download {} MiB)",
        smer.len() / MIB,
        baseline / MIB,
        peak / MIB,
        upload_peak / MIB,
        download_peak / MIB
    );
    // One 16 MiB part held while it is authenticated, plus buffers: a constant.
    assert!(
        peak < baseline + 96 * MIB,
        "resident memory grew from {} MiB to {} MiB for a {} MiB object",
        baseline / MIB,
        peak / MIB,
        smer.len() / MIB
    );
    drop(served);
    let _ = std::fs::remove_dir_all(&dir);
}
