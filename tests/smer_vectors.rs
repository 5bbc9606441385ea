//! SMeR v1 vectors, natively: every positive case opens to its record, every negative case
//! fails with exactly its stated error code.
#![cfg(not(target_arch = "wasm32"))]

mod common;

#[test]
fn smer_v1_vectors_native() {
    let (passed, failures) = common::run_smer_vectors(common::SMER_VECTORS);
    assert!(
        failures.is_empty(),
        "{} vector(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(passed >= 60);
}

/// The runner itself must be able to fail: a vector whose expectation is changed is reported.
#[test]
fn runner_reports_a_wrong_expectation() {
    let mut doc: serde_json::Value = serde_json::from_str(common::SMER_VECTORS).unwrap();
    let cases = doc["cases"].as_array_mut().unwrap();
    let negative = cases
        .iter()
        .position(|c| c["expect"] == "DecryptionFailed")
        .unwrap();
    cases[negative]["expect"] = "MalformedSmer".into();
    let positive = cases.iter().position(|c| c["expect"] == "ok").unwrap();
    cases[positive]["record_hex"] = "00".into();
    let (_, failures) = common::run_smer_vectors(&doc.to_string());
    assert_eq!(failures.len(), 2, "{failures:?}");
}
