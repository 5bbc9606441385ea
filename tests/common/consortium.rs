//! Shared runner of the consortium vectors (`tests/vectors/ledger/consortium_v1.json`,
//! SPEC.md §6), used natively and in headless Chromium.

use semres::ledger::consortium::{equivocation, Consortium};
use serde_json::Value;

pub(crate) const CONSORTIUM_VECTORS: &str = include_str!("../vectors/ledger/consortium_v1.json");

/// Runs every consortium vector; returns (passed, failures).
pub(crate) fn run_consortium_vectors(doc: &str) -> (usize, Vec<String>) {
    let doc: Value = serde_json::from_str(doc).expect("vector file is JSON");
    let mut passed = 0;
    let mut failures = Vec::new();
    let mut check = |name: &str, ok: bool, what: String| {
        if ok {
            passed += 1;
        } else {
            failures.push(format!("{name}: {what}"));
        }
    };
    for case in doc["consortium_files"].as_array().expect("files") {
        let name = case["name"].as_str().expect("name");
        let got = Consortium::from_signed_note(case["note"].as_str().expect("note"))
            .map(|_| "ok".to_owned())
            .map_err(|e| e.code().to_string());
        let got = got.unwrap_or_else(|code| code);
        check(
            name,
            case["expect"] == got.as_str(),
            format!("got {got}, expected {}", case["expect"]),
        );
    }
    let consortium = Consortium::from_signed_note(doc["consortium"].as_str().expect("consortium"))
        .expect("the vectors' consortium is valid");
    for case in doc["checkpoints"].as_array().expect("checkpoints") {
        let name = case["name"].as_str().expect("name");
        let got = consortium.verify_checkpoint(case["note"].as_str().expect("note"));
        let ok = match (&got, &case["expect"]) {
            (Ok(c), Value::Object(want)) => {
                let names: Vec<&str> = c.cosigners.iter().map(String::as_str).collect();
                let wanted: Vec<&str> = want["cosigners"]
                    .as_array()
                    .expect("cosigners")
                    .iter()
                    .map(|v| v.as_str().expect("a name"))
                    .collect();
                names == wanted
            }
            (Err(e), Value::String(code)) => e.code().name() == code,
            _ => false,
        };
        check(
            name,
            ok,
            format!("got {got:?}, expected {}", case["expect"]),
        );
    }
    for case in doc["equivocations"].as_array().expect("equivocations") {
        let name = case["name"].as_str().expect("name");
        let got = equivocation(
            &consortium,
            case["a"].as_str().expect("a"),
            case["b"].as_str().expect("b"),
        );
        let ok = match (&got, &case["expect"]) {
            (None, Value::Null) => true,
            (Some(e), Value::Object(want)) => {
                want["size"].as_u64() == Some(e.size)
                    && want["signed_both"]
                        .as_array()
                        .expect("signed_both")
                        .iter()
                        .map(|v| v.as_str().expect("a name"))
                        .eq(e.signed_both.iter().map(String::as_str))
            }
            _ => false,
        };
        check(
            name,
            ok,
            format!("got {got:?}, expected {}", case["expect"]),
        );
    }
    (passed, failures)
}
