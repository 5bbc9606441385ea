//! Endpoint benchmark (part of `npm run bench`; a report, not a test), against the real
//! `semres serve` process (release build) over HTTP on 127.0.0.1:
//! - sealed appends per second with p50/p99 latency at 1, 8 and 32 concurrent clients,
//!   alone and while two clients upload 256 MiB SMeRs without pause, with the server's
//!   peak resident memory in each phase;
//! - small requests' latency while two 300 MiB uploads and a 300 MiB download run;
//! - SMeR upload throughput at 1 MiB and 64 MiB;
//! - the server-side work of a checkpoint and an inclusion proof at 1,000,000 blocks.
//!
//! Figures as JSON, for `tests/bench/run.mjs`.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use semres::b64;
use semres::identity::signing::SigningPrivateKey;
use semres::ledger::checkpoint::Checkpoint;
use semres::ledger::entry::Role;
use semres::ledger::merkle::{leaf_hash, MerkleTree};
use semres::ledger::request::content_sha256;
use serde_json::{json, Value};

use super::{median, percentile};
use crate::child::{serve, MemorySampler};
use crate::fixtures::{grant_entry, register_entry, signing_key, SyntheticSmer};
use crate::http::{request, request_streamed, signed};

const MIB: u64 = 1024 * 1024;

fn post_entry(addr: SocketAddr, body: &str) -> u16 {
    let headers = [("Content-Type".to_owned(), "application/json".to_owned())];
    request(addr, "POST", "/api/v1/entries", &headers, body.as_bytes()).map_or(0, |r| r.0)
}

fn register(
    addr: SocketAddr,
    i: u64,
    role: Role,
    authority: Option<&SigningPrivateKey>,
) -> Result<SigningPrivateKey, String> {
    let key = signing_key(i);
    let e = register_entry(&key, role, i, authority)?;
    match post_entry(
        addr,
        &json!({"entry": b64::encode(&e.to_bytes())}).to_string(),
    ) {
        201 => Ok(key),
        status => Err(format!("registering {i} answered {status}")),
    }
}

fn upload(addr: SocketAddr, key: &SigningPrivateKey, smer: &SyntheticSmer) -> Result<f64, String> {
    let path = format!("/api/v1/smers/{}", semres::hex::encode(&smer.hash()));
    let headers = signed(key, "PUT", &path, smer.hash());
    let started = Instant::now();
    let (status, _) = request_streamed(addr, "PUT", &path, &headers, smer.len(), |s| {
        smer.write_to(s)
    })
    .map_err(crate::err)?;
    if status != 201 {
        return Err(format!("an upload answered {status}"));
    }
    Ok(smer.len() as f64 / MIB as f64 / started.elapsed().as_secs_f64())
}

fn delete(addr: SocketAddr, key: &SigningPrivateKey, hash: &[u8; 32]) -> Result<(), String> {
    let path = format!("/api/v1/smers/{}", semres::hex::encode(hash));
    let headers = signed(key, "DELETE", &path, content_sha256(b""));
    match request(addr, "DELETE", &path, &headers, b"")
        .map_err(crate::err)?
        .0
    {
        200 => Ok(()),
        status => Err(format!("a deletion answered {status}")),
    }
}

/// Registrations of fresh participants for `clients` clients, prepared before the clock
/// starts so that clients only send.
fn prepared_registrations(
    clients: usize,
    per_client: usize,
    counter: &mut u64,
) -> Result<Vec<Vec<String>>, String> {
    let mut work = Vec::new();
    for _ in 0..clients {
        let mut list = Vec::with_capacity(per_client);
        for _ in 0..per_client {
            *counter += 1;
            let key = signing_key(*counter);
            let e = register_entry(&key, Role::Patient, *counter, None)?;
            list.push(json!({"entry": b64::encode(&e.to_bytes())}).to_string());
        }
        work.push(list);
    }
    Ok(work)
}

/// Sends the prepared appends for `seconds`; (appends/s, p50 ms, p99 ms, count).
fn appends(addr: SocketAddr, work: Vec<Vec<String>>, seconds: u64) -> Result<Value, String> {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let handles: Vec<_> = work
        .into_iter()
        .map(|list| {
            std::thread::spawn(move || {
                let mut latencies = Vec::new();
                for body in list {
                    if Instant::now() >= deadline {
                        break;
                    }
                    let t = Instant::now();
                    if post_entry(addr, &body) == 201 {
                        latencies.push(t.elapsed().as_secs_f64() * 1000.0);
                    }
                }
                latencies
            })
        })
        .collect();
    let mut latencies: Vec<f64> = handles
        .into_iter()
        .flat_map(|h| h.join().unwrap_or_default())
        .collect();
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort_by(f64::total_cmp);
    if latencies.is_empty() {
        return Err("no append succeeded".into());
    }
    Ok(json!({
        "per_second": latencies.len() as f64 / elapsed,
        "p50_ms": percentile(&latencies, 0.5),
        "p99_ms": percentile(&latencies, 0.99),
        "count": latencies.len(),
    }))
}

/// Two clients uploading (and then deleting) a 256 MiB SMeR each, without pause, until
/// stopped; each returns the MiB/s of its uploads.
struct Uploaders {
    stop: Arc<AtomicBool>,
    handles: Vec<std::thread::JoinHandle<Result<Vec<f64>, String>>>,
}

impl Uploaders {
    fn start(
        addr: SocketAddr,
        keys: &[SigningPrivateKey],
        smers: &Arc<Vec<SyntheticSmer>>,
    ) -> Uploaders {
        let stop = Arc::new(AtomicBool::new(false));
        let handles = keys
            .iter()
            .enumerate()
            .map(|(i, key)| {
                let (stop, key, smers) = (stop.clone(), key.clone(), smers.clone());
                std::thread::spawn(move || {
                    let mut rates = Vec::new();
                    let smer = smers.get(i).ok_or("no SMeR for this uploader")?;
                    while !stop.load(Ordering::Relaxed) {
                        rates.push(upload(addr, &key, smer)?);
                        delete(addr, &key, &smer.hash())?;
                    }
                    Ok(rates)
                })
            })
            .collect();
        Uploaders { stop, handles }
    }

    fn stop(self) -> Result<Vec<f64>, String> {
        self.stop.store(true, Ordering::Relaxed);
        let mut rates = Vec::new();
        for h in self.handles {
            rates.extend(h.join().map_err(|_| "an uploader panicked")??);
        }
        Ok(rates)
    }
}

/// Small requests (checkpoint, a static file, a signed participant view), one after
/// another every 20 ms, while two 300 MiB uploads and a 300 MiB download run.
fn small_requests_during_transfers(
    addr: SocketAddr,
    pid: u32,
    owner: &SigningPrivateKey,
    uploaders: &[SigningPrivateKey],
    stored: &SyntheticSmer,
) -> Result<Value, String> {
    let sampler = MemorySampler::start(pid);
    let done = Arc::new(AtomicBool::new(false));
    let small = {
        let (done, owner) = (done.clone(), owner.clone());
        std::thread::spawn(move || {
            let mut latencies = Vec::new();
            let mut i = 0u32;
            while !done.load(Ordering::Relaxed) {
                let t = Instant::now();
                let ok = match i % 3 {
                    0 => request(addr, "GET", "/api/v1/checkpoint", &[], b""),
                    1 => request(addr, "GET", "/pkg/semres_bg.wasm", &[], b""),
                    _ => {
                        let target = "/api/v1/me/granted-by-me";
                        let headers = signed(&owner, "GET", target, content_sha256(b""));
                        request(addr, "GET", target, &headers, b"")
                    }
                }
                .is_ok_and(|(status, _)| status == 200);
                if ok {
                    latencies.push(t.elapsed().as_secs_f64() * 1000.0);
                }
                i += 1;
                std::thread::sleep(Duration::from_millis(20));
            }
            latencies
        })
    };
    let started = Instant::now();
    let uploads: Vec<_> = uploaders
        .iter()
        .zip(300u64..)
        .map(|(key, seed)| {
            let key = key.clone();
            std::thread::spawn(move || -> Result<(), String> {
                let smer = SyntheticSmer::new(key.key_id(), 300 * MIB, seed)?;
                upload(addr, &key, &smer)?;
                delete(addr, &key, &smer.hash())
            })
        })
        .collect();
    let download = {
        let (owner, hash, len) = (owner.clone(), stored.hash(), stored.len());
        std::thread::spawn(move || -> Result<(), String> {
            let path = format!("/api/v1/smers/{}", semres::hex::encode(&hash));
            let headers = signed(&owner, "GET", &path, content_sha256(b""));
            let (status, got_len, got) =
                crate::http::get_hashed(addr, &path, &headers).map_err(crate::err)?;
            if (status, got_len, got) != (200, len, hash) {
                return Err(format!("the download answered {status}, {got_len} bytes"));
            }
            Ok(())
        })
    };
    for u in uploads {
        u.join().map_err(|_| "an upload panicked")??;
    }
    download.join().map_err(|_| "the download panicked")??;
    let elapsed = started.elapsed().as_secs_f64();
    done.store(true, Ordering::Relaxed);
    let mut latencies = small.join().map_err(|_| "the small requests panicked")?;
    latencies.sort_by(f64::total_cmp);
    Ok(json!({
        "transfers_s": elapsed,
        "count": latencies.len(),
        "p50_ms": percentile(&latencies, 0.5),
        "p99_ms": percentile(&latencies, 0.99),
        "max_ms": percentile(&latencies, 1.0),
        "peak_rss_mib": sampler.peak() as f64 / MIB as f64,
    }))
}

/// Runs the endpoint benchmark against `binary` (`semres`), `seconds` per append phase;
/// returns the figures as JSON.
pub fn run(seconds: u64, binary: &Path) -> Result<Value, String> {
    let dir = std::path::PathBuf::from("target/bench/endpoint");
    let _ = std::fs::remove_dir_all(&dir);
    let (served, _) = serve(binary, &dir, &dir.join("data"), &[], false)?;
    let addr = served.addr;
    let (idle_rss, _) = served.memory();
    let mut results = serde_json::Map::new();
    results.insert("idle_rss_mib".into(), json!(idle_rss as f64 / MIB as f64));

    // Participants: two uploaders, and an owner whose stored SMeR a clinician may read.
    let authority = crate::fixtures::authority_key(&dir.join("data"))?;
    let uploaders = vec![
        register(addr, 1, Role::Patient, None)?,
        register(addr, 2, Role::Patient, None)?,
    ];
    let owner = register(addr, 3, Role::Patient, None)?;
    let clinician = register(addr, 4, Role::Clinician, Some(&authority))?;
    let smers = Arc::new(
        uploaders
            .iter()
            .zip(256u64..)
            .map(|(key, seed)| SyntheticSmer::new(key.key_id(), 256 * MIB, seed))
            .collect::<Result<Vec<_>, _>>()?,
    );

    let mut counter = 1_000_000u64;
    for uploading in [false, true] {
        for clients in [1usize, 8, 32] {
            let work = prepared_registrations(clients, 4000, &mut counter)?;
            let sampler = MemorySampler::start(served.pid());
            let background = uploading.then(|| Uploaders::start(addr, &uploaders, &smers));
            let mut figures = appends(addr, work, seconds)?;
            if let Some(b) = background {
                let rates = b.stop()?;
                figures["uploads"] = json!(rates.len());
                figures["upload_mib_per_s"] = json!(median(rates));
            }
            figures["peak_rss_mib"] = json!(sampler.peak() as f64 / MIB as f64);
            let name = if uploading {
                format!("appends_{clients}_clients_with_uploads")
            } else {
                format!("appends_{clients}_clients")
            };
            results.insert(name, figures);
        }
    }

    // A stored 300 MiB SMeR, granted, for the download of the next phase.
    let stored = SyntheticSmer::sealed_to(owner.key_id(), &[3, 4], 300 * MIB, 1)?;
    upload(addr, &owner, &stored)?;
    let grant = grant_entry(&owner, stored.hash(), clinician.key_id())?;
    if post_entry(
        addr,
        &json!({"entry": b64::encode(&grant.to_bytes())}).to_string(),
    ) != 201
    {
        return Err("the grant was refused".into());
    }
    results.insert(
        "small_requests_during_transfers".into(),
        small_requests_during_transfers(addr, served.pid(), &owner, &uploaders, &stored)?,
    );

    for (label, size) in [("1MiB", MIB), ("64MiB", 64 * MIB)] {
        let mut rates = Vec::new();
        for run in 0..5 {
            let smer = SyntheticSmer::new(uploaders[0].key_id(), size, 500 + run)?;
            rates.push(upload(addr, &uploaders[0], &smer)?);
            delete(addr, &uploaders[0], &smer.hash())?;
        }
        results.insert(format!("upload_{label}_mb_per_s"), json!(median(rates)));
    }
    let (_, peak) = served.memory();
    results.insert("peak_rss_mib".into(), json!(peak as f64 / MIB as f64));
    drop(served);

    // Server-side work for a checkpoint and an inclusion proof at 1,000,000 blocks.
    let mut tree = MerkleTree::new();
    for k in 0..1_000_000u64 {
        tree.push_leaf_hash(leaf_hash(&k.to_be_bytes()));
    }
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let authority = SigningPrivateKey::generate(&mut rng).map_err(crate::err)?;
    let mut times = Vec::new();
    for i in 0..101u64 {
        let t = Instant::now();
        let size = tree.size();
        let checkpoint = Checkpoint {
            origin: "bench".into(),
            size,
            root: tree.root(size).unwrap_or_default(),
        };
        let note = checkpoint.sign(&authority);
        let proof = tree
            .inclusion_proof((i * 9_973) % size, size)
            .unwrap_or_default();
        std::hint::black_box((note, proof));
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    results.insert("checkpoint_and_proof_ms_1m".into(), json!(median(times)));
    let _ = std::fs::remove_dir_all(&dir);
    Ok(Value::Object(results))
}
