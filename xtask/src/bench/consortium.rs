//! Consortium benchmark (part of `npm run bench`; a report, not a test): four member
//! hospitals' nodes (in this process, threshold 3) on anvil:
//! - entries per second from submission to a checkpoint that 3 of the 4 members cosigned
//!   and that includes them, for 1, 10 and 100 entries submitted at once (1 s blocks);
//! - gas per entry in one `append` transaction of 1, 10, 100 and 256 entries;
//! - a node joining a chain that already holds N entries (written straight to the
//!   contract): the time until it has replayed them all;
//! - on paper, what a four-validator QBFT network with 2 s blocks and a 30 M gas limit
//!   carries at the measured gas per entry.
//!
//! Figures as JSON, for `tests/bench/run.mjs`.

use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use semres::identity::signing::SigningPrivateKey;
use semres::ledger::entry::{Entry, EntryBody, Role};
use semres_node::api::ApiConfig;
use semres_node::consortium::ethereum::Chain;
use serde_json::{json, Value};

use super::median;
use crate::consortium::Fixture;
use crate::fixtures::{entry, register_entry, signing_key};
use crate::http::{post_entry, request};

/// Entries per `append` transaction when filling the chain for the replay: the contract's
/// most (`MAX_BATCH`), about 90 KB of grants, below the 128 KB a real node accepts.
const FILL_BATCH: usize = 256;

fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(crate::err)
}

/// A grant of the `i`-th synthetic record by `patient` to `recipient`.
fn grant(
    patient: &SigningPrivateKey,
    recipient: &SigningPrivateKey,
    i: u64,
) -> Result<Entry, String> {
    let mut smer_hash = [0u8; 32];
    smer_hash[..8].copy_from_slice(&i.to_be_bytes());
    smer_hash[8] = 0x5e;
    entry(
        patient,
        EntryBody::Grant {
            smer_hash,
            data_index: semres::dery::data_index(&smer_hash),
            recipient: recipient.key_id().into(),
            expires: None,
        },
    )
}

/// The patient's and the clinician's registrations (the clinician admitted by member 1).
fn participants(
    fixture: &Fixture,
) -> Result<(SigningPrivateKey, SigningPrivateKey, Vec<Entry>), String> {
    let patient = signing_key(1);
    let clinician = signing_key(2);
    let member = &fixture.members.get(1).ok_or("no member 1")?.key;
    let entries = vec![
        register_entry(&patient, Role::Patient, 1, None)?,
        register_entry(&clinician, Role::Clinician, 2, Some(member))?,
    ];
    Ok((patient, clinician, entries))
}

/// The size of the checkpoint `addr` serves (cosigned by k members), 0 when none.
fn cosigned_size(addr: SocketAddr) -> u64 {
    match request(addr, "GET", "/api/v1/checkpoint", &[], b"") {
        Ok((200, text)) => String::from_utf8_lossy(&text)
            .lines()
            .nth(1)
            .and_then(|l| l.parse().ok())
            .unwrap_or(0),
        _ => 0,
    }
}

fn wait_for(what: &str, limit: Duration, mut done: impl FnMut() -> bool) -> Result<(), String> {
    let deadline = Instant::now() + limit;
    while !done() {
        if Instant::now() > deadline {
            return Err(format!("timed out waiting for {what}"));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    Ok(())
}

/// Submits `entries` to `addr` from 8 threads; every one must be accepted (201 or 202).
fn submit_all(addr: SocketAddr, entries: &[Entry]) -> Result<(), String> {
    let bodies: Vec<String> = entries
        .iter()
        .map(|e| semres::b64::encode(&e.to_bytes()))
        .collect();
    std::thread::scope(|s| {
        let chunk = bodies.len().div_ceil(8).max(1);
        let handles: Vec<_> = bodies
            .chunks(chunk)
            .map(|part| {
                s.spawn(move || {
                    for body in part {
                        match post_entry(addr, body) {
                            Ok((201 | 202, _)) => {}
                            Ok((status, body)) => {
                                return Err(format!(
                                    "an entry refused: {status} {}",
                                    crate::http::error_code(&body)
                                ))
                            }
                            Err(e) => return Err(e.to_string()),
                        }
                    }
                    Ok(())
                })
            })
            .collect();
        handles
            .into_iter()
            .try_for_each(|h| h.join().map_err(|_| "a submitter panicked".to_owned())?)
    })
}

/// Entries/s from submission to a k-of-n cosigned checkpoint that includes them.
fn to_cosigned(rounds: usize) -> Result<Value, String> {
    let fixture = Fixture::new(4, 3, 1)?;
    let base = Path::new("target/bench/consortium-nodes");
    let api = ApiConfig {
        anchor_wait: Duration::ZERO, // answer 202 at once; the checkpoint is what we wait for
        requests_per_minute: 1_000_000, // one patient signs every entry: lift the per-signer limit
        ..ApiConfig::default()
    };
    let nodes = fixture.start_all(base, &api)?;
    let first = *nodes.first().ok_or("no node")?;
    let (patient, clinician, registrations) = participants(&fixture)?;
    submit_all(first, &registrations)?;
    wait_for("the registrations", Duration::from_secs(60), || {
        cosigned_size(first) >= 2
    })?;
    let mut next = 0u64;
    let mut rows = Vec::new();
    for batch in [1u64, 10, 100] {
        let mut rates = Vec::new();
        let mut seconds = Vec::new();
        for _ in 0..rounds {
            let before = cosigned_size(first);
            let entries: Vec<Entry> = (next..next + batch)
                .map(|i| grant(&patient, &clinician, i))
                .collect::<Result<_, _>>()?;
            next += batch;
            let started = Instant::now();
            submit_all(first, &entries)?;
            wait_for("a cosigned checkpoint", Duration::from_secs(120), || {
                cosigned_size(first) >= before + batch
            })?;
            let t = started.elapsed().as_secs_f64();
            seconds.push(t);
            rates.push(batch as f64 / t);
        }
        rows.push(json!({
            "batch": batch,
            "entries_per_s": median(rates),
            "seconds_to_cosigned": median(seconds),
        }));
    }
    Ok(json!(rows))
}

/// The chain as the first member's account writes it.
fn first_member_chain(rt: &tokio::runtime::Runtime, fixture: &Fixture) -> Result<Chain, String> {
    let member = fixture.members.first().ok_or("no member")?;
    rt.block_on(Chain::connect(
        &fixture.anvil.url,
        fixture.consortium.contract,
        member.account.clone(),
    ))
    .map_err(crate::err)
}

/// Gas used by one `append` of 1, 10, 100 and 256 (the most) grants, per entry; and the
/// entries' size.
fn gas(rt: &tokio::runtime::Runtime) -> Result<(Value, f64), String> {
    let fixture = Fixture::new(4, 3, 0)?;
    let (patient, clinician, _) = participants(&fixture)?;
    let chain = first_member_chain(rt, &fixture)?;
    let mut rows = Vec::new();
    let mut bytes_per_entry = 0.0;
    for batch in [1u64, 10, 100, 256] {
        let entries: Vec<Vec<u8>> = (0..batch)
            .map(|i| grant(&patient, &clinician, batch * 1000 + i).map(|e| e.to_bytes()))
            .collect::<Result<_, _>>()?;
        bytes_per_entry = entries.iter().map(Vec::len).sum::<usize>() as f64 / batch as f64;
        let nonce = rt.block_on(chain.pending_nonce()).map_err(crate::err)?;
        let tx = chain.append_transaction(nonce, &entries);
        let hash = rt.block_on(chain.send(&tx)).map_err(crate::err)?;
        let hash = format!("0x{}", semres::hex::encode(&hash));
        let mut gas_used = None;
        for _ in 0..100 {
            let receipt = fixture
                .anvil
                .call("eth_getTransactionReceipt", json!([hash]))?;
            if receipt["status"].as_str().is_some_and(|s| s != "0x1") {
                return Err(format!("the append of {batch} reverted"));
            }
            if let Some(g) = receipt["gasUsed"].as_str() {
                gas_used =
                    Some(u64::from_str_radix(g.trim_start_matches("0x"), 16).map_err(crate::err)?);
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let gas_used = gas_used.ok_or("no receipt")?;
        rows.push(json!({
            "batch": batch,
            "gas_per_tx": gas_used,
            "gas_per_entry": gas_used as f64 / batch as f64,
        }));
    }
    Ok((json!(rows), bytes_per_entry))
}

/// A node joining a chain of `n` entries: the time until it has replayed them all.
fn replay(rt: &tokio::runtime::Runtime, n: u64) -> Result<Value, String> {
    let fixture = Fixture::new(4, 3, 0)?;
    let (patient, clinician, registrations) = participants(&fixture)?;
    let chain = first_member_chain(rt, &fixture)?;
    let grants = n.saturating_sub(2);
    let mut entries: Vec<Vec<u8>> = registrations.iter().map(Entry::to_bytes).collect();
    let written = Instant::now();
    let mut last = None;
    let mut nonce = rt.block_on(chain.pending_nonce()).map_err(crate::err)?;
    let mut i = 0;
    while i < grants || !entries.is_empty() {
        while entries.len() < FILL_BATCH && i < grants {
            let e = grant(&patient, &clinician, i)?;
            last = Some(e.hash());
            entries.push(e.to_bytes());
            i += 1;
        }
        let tx = chain.append_transaction(nonce, &entries);
        rt.block_on(chain.send_until_mined(&tx, 3))
            .map_err(crate::err)?;
        nonce += 1;
        entries.clear();
    }
    let write_s = written.elapsed().as_secs_f64();
    let last = last.ok_or("nothing written")?;
    // The joining node: member 3, alone (no peers), over an empty directory.
    let dir = Path::new("target/bench/consortium-joining");
    let _ = std::fs::remove_dir_all(dir);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(crate::err)?;
    let started = Instant::now();
    let addr = fixture.start_node(3, dir, listener, fixture.config(3, Vec::new())?)?;
    let target = format!("/api/v1/entries/{}", semres::hex::encode(&last));
    wait_for("the joining node", Duration::from_secs(1800), || {
        request(addr, "GET", &target, &[], b"").is_ok_and(|(status, body)| {
            status == 200
                && serde_json::from_slice::<Value>(&body).is_ok_and(|v| v["status"] == "on-ledger")
        })
    })?;
    let replay_s = started.elapsed().as_secs_f64();
    Ok(json!({
        "entries": n,
        "entries_per_tx": FILL_BATCH,
        "write_s": write_s,
        "replay_s": replay_s,
        "replay_entries_per_s": n as f64 / replay_s,
    }))
}

/// Runs the consortium benchmark: `rounds` per batch size, a joining node at `replay`
/// entries.
pub fn run(rounds: usize, replay_entries: u64) -> Result<Value, String> {
    let rt = runtime()?;
    let (gas_rows, bytes_per_entry) = gas(&rt)?;
    let per_entry_100 = gas_rows
        .as_array()
        .and_then(|rows| rows.iter().find(|r| r["batch"] == 100))
        .and_then(|r| r["gas_per_entry"].as_f64())
        .ok_or("no gas figure")?;
    // On paper: four QBFT validators, a block every 2 s, 30 M gas per block, batches of 100.
    let qbft_entries_per_s = 30_000_000.0 / per_entry_100 / 2.0;
    let cosigned = to_cosigned(rounds)?;
    let joining = replay(&rt, replay_entries)?;
    Ok(json!({
        "bytes_per_entry": bytes_per_entry,
        "gas": gas_rows,
        "to_cosigned": cosigned,
        "joining_node": joining,
        "qbft_4_validators_2s_30m_gas_entries_per_s": qbft_entries_per_s,
    }))
}
