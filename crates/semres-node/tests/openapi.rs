//! `openapi.json` matches the real routes: every route in `src/api/mod.rs` is documented
//! with its methods, and every documented path and method is answered by the running server
//! (not the router's "no such API route" fallback, not 405).

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::TcpStream;

use serde_json::Value;

mod support;

fn documented() -> BTreeSet<(String, String)> {
    let doc: Value = serde_json::from_str(include_str!("../openapi.json")).unwrap();
    let mut out = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            out.insert((method.to_uppercase(), path.clone()));
        }
    }
    out
}

/// Routes declared in the source: `.route("/path", get(..).put(..))`.
fn declared() -> BTreeSet<(String, String)> {
    let src = include_str!("../src/api/mod.rs");
    let mut out = BTreeSet::new();
    let mut rest = src;
    while let Some(at) = rest.find(".route(") {
        rest = &rest[at + 7..];
        let body = &rest[..rest.find("\n        .").unwrap_or(rest.len()).min(400)];
        let path_start = body.find('"').unwrap() + 1;
        let path_end = path_start + body[path_start..].find('"').unwrap();
        let path = body[path_start..path_end]
            .replace("{key_id}", "{keyId}")
            .replace("{entry_hash}", "{entryHash}");
        for (needle, method) in [
            ("get(", "GET"),
            ("post(", "POST"),
            ("put(", "PUT"),
            ("patch(", "PATCH"),
            ("delete(", "DELETE"),
        ] {
            if body.contains(needle) {
                out.insert((method.to_owned(), path.clone()));
            }
        }
    }
    out
}

#[test]
fn every_route_is_documented_and_every_documented_route_answers() {
    assert_eq!(
        declared(),
        documented(),
        "src/api/mod.rs routes vs openapi.json"
    );

    let (addr, _dir) = support::start_server("openapi");
    for (method, path) in documented() {
        let concrete = path
            .replace("{number}", "0")
            .replace("{keyId}", "someone")
            .replace("{hash}", &"ab".repeat(32))
            .replace("{entryHash}", &"cd".repeat(32));
        let mut stream = TcpStream::connect(addr).unwrap();
        let request = format!("{method} /api/v1{concrete} HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        let status: u16 = response.split(' ').nth(1).unwrap().parse().unwrap();
        assert_ne!(status, 405, "{method} {path}");
        assert!(
            !response.contains("no such API route"),
            "{method} {path} is not routed"
        );
        assert!(status < 500, "{method} {path}: {status}");
    }
}

#[test]
fn the_error_codes_are_the_registers() {
    use semres::codes::{Code, Layer};
    let doc: Value = serde_json::from_str(include_str!("../openapi.json")).unwrap();
    let documented: BTreeSet<String> = doc["components"]["schemas"]["Error"]["properties"]["code"]
        ["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    let answered: BTreeSet<String> = Code::ALL
        .iter()
        .filter(|c| {
            matches!(
                c.layer(),
                Layer::Core | Layer::Ledger | Layer::Request | Layer::Endpoint
            )
        })
        .map(|c| c.name().to_owned())
        .collect();
    assert_eq!(documented, answered);
}
