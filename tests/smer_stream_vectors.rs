//! Streamed-SMeR vectors (SPEC.md §7.6), natively: every positive case opens to its record
//! whatever the pieces the reader is given; every negative case fails with exactly its code,
//! having released no plaintext of the damaged record.
#![cfg(not(target_arch = "wasm32"))]

mod common;

#[test]
fn smer_stream_vectors_native() {
    let (passed, failures) = common::run_stream_vectors(common::STREAM_VECTORS);
    assert!(
        failures.is_empty(),
        "{} vector(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(passed >= 40);
}

/// The runner itself must be able to fail: a changed code, a changed record and a
/// `may_release` below what a reader legitimately releases are each reported.
#[test]
fn runner_reports_a_wrong_expectation() {
    let mut doc: serde_json::Value = serde_json::from_str(common::STREAM_VECTORS).unwrap();
    let cases = doc["cases"].as_array_mut().unwrap();
    let at = |cases: &Vec<serde_json::Value>, name: &str| {
        cases.iter().position(|c| c["name"] == name).unwrap()
    };
    let reordered = at(cases, "reordered");
    cases[reordered]["expect"] = "MalformedSmer".into();
    let positive = at(cases, "seven-records");
    cases[positive]["record_hex"] = "00".into();
    let dropped = at(cases, "dropped");
    let may = cases[dropped]["may_release"].as_u64().unwrap();
    cases[dropped]["may_release"] = (may - 1).into();
    let (_, failures) = common::run_stream_vectors(&doc.to_string());
    assert_eq!(failures.len(), 3, "{failures:?}");
}
