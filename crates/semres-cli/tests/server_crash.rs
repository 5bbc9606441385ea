//! `kill -9` of the real `semres serve` process during a stream of appends over HTTP: after
//! a restart the ledger verifies and every acknowledged entry is present.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Stdio};

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use semres::b64;
use semres::identity::signing::SigningPrivateKey;
use semres::ledger::entry::{Entry, EntryBody, Role};
use semres_node::node::{verify_data_dir, Node};

fn post(addr: SocketAddr, body: &str) -> Option<(u16, Vec<u8>)> {
    let headers = [("Content-Type".to_owned(), "application/json".to_owned())];
    xtask::http::request(addr, "POST", "/api/v1/entries", &headers, body.as_bytes()).ok()
}

fn start(dir: &Path) -> (std::process::Child, SocketAddr) {
    let pkg = dir.join("pkg");
    std::fs::create_dir_all(&pkg).unwrap();
    std::fs::write(pkg.join("semres_bg.wasm"), b"\0asm").unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_semres"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--www",
            dir.to_str().unwrap(),
            "--pkg",
            pkg.to_str().unwrap(),
            "--data-dir",
            dir.join("data").to_str().unwrap(),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let addr = loop {
        let line = lines.next().expect("server output").unwrap();
        if let Some(url) = line.strip_prefix("SEMRES listening on http://") {
            break url.trim_end_matches('/').parse().unwrap();
        }
    };
    (child, addr)
}

#[test]
fn kill9_of_the_server_loses_no_acknowledged_entry() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("server-crash");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let (mut child, addr) = start(&dir);
    let mut rng = ChaCha20Rng::seed_from_u64(31);
    // Prepare entries, then stream them; kill -9 the server part-way through.
    let entries: Vec<(String, String)> = (0..400u32)
        .map(|i| {
            let key = SigningPrivateKey::generate(&mut rng).unwrap();
            let mut nonce = [0u8; 16];
            nonce[..4].copy_from_slice(&i.to_be_bytes());
            let body = EntryBody::Register {
                role: Role::Patient,
                signing_key: key.public_key().to_bytes(),
                encryption_key: xtask::fixtures::rsa_key(u64::from(i)).unwrap(),
            };
            let entry = Entry::signed(&key, semres_node::clock::now(), nonce, body).unwrap();
            (
                key.key_id().to_owned(),
                serde_json::json!({"entry": b64::encode(&entry.to_bytes())}).to_string(),
            )
        })
        .collect();
    let mut acknowledged = Vec::new();
    for (i, (key_id, body)) in entries.iter().enumerate() {
        if i == 150 {
            child.kill().unwrap(); // SIGKILL
            let _ = child.wait();
        }
        match post(addr, body) {
            Some((201, _)) => acknowledged.push(key_id.clone()),
            _ => assert!(i >= 150, "request {i} failed before the kill"),
        }
    }
    assert_eq!(acknowledged.len(), 150);
    // Restart: the ledger verifies and holds every acknowledged registration.
    let node = Node::open(&dir.join("data"), None).expect("restart after kill -9");
    for key_id in &acknowledged {
        assert!(
            node.view().state().participant(key_id).is_some(),
            "acknowledged {key_id} is missing"
        );
    }
    drop(node);
    verify_data_dir(&dir.join("data")).unwrap();
    let (mut again, addr) = start(&dir);
    let (status, _) = post(addr, &entries[399].1).unwrap();
    assert_eq!(status, 201, "the restarted server keeps appending");
    again.kill().unwrap();
    let _ = again.wait();
}
