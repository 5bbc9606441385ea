//! The operator's log of `semres serve` (issue "Hardening"): one structured line per request
//! and per sealed block, in JSON or text — and never a name, a query, a record or a key.

use std::io::Read;
use std::net::SocketAddr;

use semres::identity::signing::SigningPrivateKey;
use semres::ledger::entry::{Entry, Role};
use serde_json::Value;
use xtask::fixtures::{register_entry, signing_key, SyntheticSmer};
use xtask::http::{request, request_streamed, signed};

mod support;

fn submit(addr: SocketAddr, entry: &Entry) -> u16 {
    xtask::http::post_entry(addr, &semres::b64::encode(&entry.to_bytes()))
        .unwrap()
        .0
}

fn signed_request(
    addr: SocketAddr,
    key: &SigningPrivateKey,
    method: &str,
    target: &str,
    body: &[u8],
) -> u16 {
    xtask::http::signed_request(addr, key, method, target, body)
        .unwrap()
        .0
}

/// Runs a small session against a server logging in `format`; returns its log.
fn session(format: &str) -> (String, SigningPrivateKey, SyntheticSmer) {
    let dir = support::workdir(&format!("logs-{format}"));
    let (served, stderr) = support::serve(&dir, &dir.join("data"), &["--log-format", format], true);
    let addr = served.addr;
    let authority = xtask::fixtures::authority_key(&served.data).unwrap();
    let david = signing_key(1);
    assert_eq!(
        submit(
            addr,
            &register_entry(&david, Role::Patient, 1, None).unwrap()
        ),
        201
    );
    let lawson = signing_key(2);
    let admitted = register_entry(&lawson, Role::Clinician, 2, Some(&authority)).unwrap();
    assert_eq!(submit(addr, &admitted), 201);
    let target = format!("/api/v1/directory/{}", david.key_id());
    assert_eq!(
        signed_request(
            addr,
            &david,
            "PUT",
            &target,
            br#"{"name":"Annabelle Synthetic"}"#
        ),
        200
    );
    assert_eq!(
        signed_request(addr, &lawson, "GET", "/api/v1/directory?q=Annabelle", b""),
        200
    );
    let smer = SyntheticSmer::sealed_to(david.key_id(), &[1, 2], 200 * 1024, 5).unwrap();
    let path = format!("/api/v1/smers/{}", semres::hex::encode(&smer.hash()));
    let headers = signed(&david, "PUT", &path, smer.hash());
    let (status, _) = request_streamed(addr, "PUT", &path, &headers, smer.len(), |s| {
        smer.write_to(s)
    })
    .unwrap();
    assert_eq!(status, 201);
    let grant = xtask::fixtures::grant_entry(&david, smer.hash(), lawson.key_id()).unwrap();
    assert_eq!(submit(addr, &grant), 201);
    assert_eq!(signed_request(addr, &lawson, "GET", &path, b""), 200);
    // An unsigned request and a missing route are logged too.
    assert_eq!(
        request(addr, "GET", "/api/v1/me/shared-with-me", &[], b"")
            .unwrap()
            .0,
        401
    );
    assert_eq!(
        request(addr, "GET", "/index.html", &[], b"").unwrap().0,
        404
    );
    served.kill();
    let mut log = String::new();
    stderr.unwrap().read_to_string(&mut log).unwrap();
    (log, david, smer)
}

/// What must never be in a log line.
fn assert_nothing_private(log: &str, smer: &SyntheticSmer) {
    for secret in ["Annabelle", "Synthetic", "q=", "?"] {
        assert!(!log.contains(secret), "the log holds {secret:?}:\n{log}");
    }
    let mut bytes = Vec::new();
    smer.write_to(&mut bytes).unwrap();
    let ciphertext = &String::from_utf8(bytes).unwrap()[2000..2064];
    assert!(!log.contains(ciphertext), "the log holds part of a SMeR");
    assert!(!log.contains("PRIVATE KEY"), "the log holds a key");
}

#[test]
fn json_log_lines_describe_requests_and_blocks_and_nothing_private() {
    let (log, david, smer) = session("json");
    assert_nothing_private(&log, &smer);
    let lines: Vec<Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|_| panic!("not JSON: {l}")))
        .collect();
    let requests: Vec<&Value> = lines.iter().filter(|l| l["event"] == "request").collect();
    assert_eq!(requests.len(), 9, "one line per request:\n{log}");
    for r in &requests {
        for field in ["time", "method", "route", "status", "latency_ms", "key_id"] {
            assert!(!r[field].is_null(), "{field} missing in {r}");
        }
    }
    let routes: Vec<(&str, &str, u64)> = requests
        .iter()
        .map(|r| {
            (
                r["method"].as_str().unwrap(),
                r["route"].as_str().unwrap(),
                r["status"].as_u64().unwrap(),
            )
        })
        .collect();
    assert!(
        routes.contains(&("GET", "/api/v1/directory", 200)),
        "{routes:?}"
    );
    assert!(
        routes.contains(&("PUT", "/api/v1/smers/{hash}", 201)),
        "{routes:?}"
    );
    assert!(
        routes.contains(&("GET", "/api/v1/me/shared-with-me", 401)),
        "{routes:?}"
    );
    assert!(routes.contains(&("GET", "static", 404)), "{routes:?}");
    // The signer's key id (a public identifier) is there for signed requests.
    let put = requests
        .iter()
        .find(|r| r["method"] == "PUT" && r["route"] == "/api/v1/smers/{hash}")
        .unwrap();
    assert_eq!(put["key_id"], david.key_id());
    assert_eq!(put["bytes_in"], smer.len());
    let blocks: Vec<&Value> = lines.iter().filter(|l| l["event"] == "block").collect();
    assert_eq!(blocks.len(), 3, "three sealed blocks:\n{log}");
    assert_eq!(blocks[2]["kind"], "grant");
    assert!(blocks[2]["number"].as_u64().is_some() && blocks[2]["entry_hash"].is_string());
}

#[test]
fn text_log_lines_are_key_value_pairs() {
    let (log, _, smer) = session("text");
    assert_nothing_private(&log, &smer);
    let request = log
        .lines()
        .find(|l| l.contains("route=/api/v1/directory ") && l.contains("status=200"))
        .unwrap_or_else(|| panic!("no directory request line:\n{log}"));
    for field in [
        "time=",
        "event=request",
        "method=GET",
        "latency_ms=",
        "key_id=",
    ] {
        assert!(request.contains(field), "{field} missing: {request}");
    }
    assert!(log
        .lines()
        .any(|l| l.contains("event=block") && l.contains("kind=grant")));
}
