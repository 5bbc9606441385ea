//! Endpoint benchmark (part of `npm run bench`; a report, not a test): sustained sealed
//! appends per second with p50/p99 latency at 1, 8 and 32 concurrent clients over HTTP on
//! 127.0.0.1, SMeR upload throughput at 1 MiB and 64 MiB, and server-side checkpoint +
//! inclusion proof at 1,000,000 blocks, as JSON.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rand_chacha::ChaCha20Rng;
use rand_core::{Rng, SeedableRng};
use semres::b64;
use semres::identity::signing::SigningPrivateKey;
use semres::ledger::checkpoint::Checkpoint;
use semres::ledger::entry::{Entry, EntryBody, Role};
use semres::ledger::merkle::{leaf_hash, MerkleTree};
use semres::ledger::request::SignedRequest;
use semres::smer::{self, Limits, SealOptions};
use semres::EncryptionPrivateKey;

/// One request; 0 when it could not be made.
fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> u16 {
    crate::http::request(addr, method, path, headers, body).map_or(0, |(status, _)| status)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// Runs the endpoint benchmark for `seconds` per client count; returns the figures as JSON.
pub fn run(seconds: u64) -> Result<serde_json::Value, String> {
    let dir = std::path::PathBuf::from("target/bench/endpoint-data");
    let _ = std::fs::remove_dir_all(&dir);
    let addr = crate::server::start(&dir)?;
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let encryption = EncryptionPrivateKey::generate(&mut rng, 2048).map_err(|e| e.to_string())?;
    let uploader_rsa = encryption.public_key().to_spki_der().map_err(crate::err)?;
    let mut results = serde_json::Map::new();
    let mut counter = 0u64;
    for clients in [1usize, 8, 32] {
        // Pre-build more registrations than can be sent, so clients only send.
        let per_client = 4000;
        let mut work: Vec<Vec<String>> = Vec::new();
        for _ in 0..clients {
            let mut list = Vec::with_capacity(per_client);
            for _ in 0..per_client {
                counter += 1;
                let mut seed = [0u8; 32];
                seed[..8].copy_from_slice(&counter.to_be_bytes());
                let key = SigningPrivateKey::generate(&mut ChaCha20Rng::from_seed(seed))
                    .map_err(|e| e.to_string())?;
                let body = EntryBody::Register {
                    role: Role::Patient,
                    signing_key: key.public_key().to_bytes(),
                    // One RSA key of their own per participant (SPEC §4.2).
                    encryption_key: crate::fixtures::rsa_key(counter)?,
                };
                let entry = Entry::signed(&key, semres_node::clock::now(), [0; 16], body)
                    .map_err(crate::err)?;
                list.push(serde_json::json!({"entry": b64::encode(&entry.to_bytes())}).to_string());
            }
            work.push(list);
        }
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
                        let status = request(
                            addr,
                            "POST",
                            "/api/v1/entries",
                            &[("Content-Type".into(), "application/json".into())],
                            body.as_bytes(),
                        );
                        if status == 201 {
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
        results.insert(
            format!("appends_{clients}_clients"),
            serde_json::json!({"per_second": latencies.len() as f64 / elapsed, "p50_ms": percentile(&latencies, 0.5), "p99_ms": percentile(&latencies, 0.99), "count": latencies.len()}),
        );
    }

    // SMeR uploads by a registered participant.
    let uploader = SigningPrivateKey::generate(&mut rng).map_err(|e| e.to_string())?;
    let body = EntryBody::Register {
        role: Role::Patient,
        signing_key: uploader.public_key().to_bytes(),
        encryption_key: uploader_rsa,
    };
    let entry =
        Entry::signed(&uploader, semres_node::clock::now(), [1; 16], body).map_err(crate::err)?;
    request(
        addr,
        "POST",
        "/api/v1/entries",
        &[],
        serde_json::json!({"entry": b64::encode(&entry.to_bytes())})
            .to_string()
            .as_bytes(),
    );
    for (label, size) in [("1MiB", 1usize << 20), ("64MiB", 64 << 20)] {
        let mut times = Vec::new();
        for run in 0..3 {
            let mut record = vec![0u8; size];
            rng.fill_bytes(&mut record);
            let options = SealOptions::new(
                "application/octet-stream",
                uploader.key_id(),
                semres_node::clock::now() + run,
            );
            let sealed = smer::seal(
                &mut rng,
                &record,
                &[encryption.public_key()],
                &options,
                &Limits::default(),
            )
            .map_err(|e| e.to_string())?;
            let path = format!("/api/v1/smers/{}", semres::dery::smer_hash_hex(&sealed));
            let mut nonce = [0u8; 16];
            rng.fill_bytes(&mut nonce);
            let signed = SignedRequest::sign(
                &uploader,
                "PUT",
                &path,
                semres_node::clock::now(),
                &nonce,
                semres::smer_hash(&sealed),
            );
            let headers: Vec<(String, String)> = signed
                .headers()
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect();
            let started = Instant::now();
            let status = request(addr, "PUT", &path, &headers, &sealed);
            if status != 201 {
                return Err(format!("upload answered {status}"));
            }
            times.push((sealed.len() as f64 / 1_048_576.0) / started.elapsed().as_secs_f64());
        }
        times.sort_by(f64::total_cmp);
        results.insert(
            format!("upload_{label}_mb_per_s"),
            serde_json::json!(times[1]),
        );
    }

    // Server-side work for a checkpoint and an inclusion proof at 1,000,000 blocks.
    let mut tree = MerkleTree::new();
    for k in 0..1_000_000u64 {
        tree.push_leaf_hash(leaf_hash(&k.to_be_bytes()));
    }
    let authority = SigningPrivateKey::generate(&mut rng).map_err(|e| e.to_string())?;
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
    times.sort_by(f64::total_cmp);
    results.insert(
        "checkpoint_and_proof_ms_1m".into(),
        serde_json::json!(times[50]),
    );
    let _ = std::fs::remove_dir_all(&dir);
    Ok(serde_json::Value::Object(results))
}
