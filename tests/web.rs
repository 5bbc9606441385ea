//! The same SMeR v1 and streamed-SMeR vectors and round trips, in headless Chromium
//! (`wasm-pack test --chrome`).
#![cfg(target_arch = "wasm32")]

use getrandom::SysRng;
use semres::smer::{self, Limits, SealOptions};
use semres::{ContentEncryption, EncryptionPrivateKey};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

mod common;

#[wasm_bindgen_test]
fn smer_stream_vectors_in_browser() {
    let (passed, failures) = common::run_stream_vectors(common::STREAM_VECTORS);
    assert!(
        failures.is_empty(),
        "{} vector(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(passed >= 40);
}

#[wasm_bindgen_test]
fn smer_v1_vectors_in_browser() {
    let (passed, failures) = common::run_smer_vectors(common::SMER_VECTORS);
    assert!(
        failures.is_empty(),
        "{} vector(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(passed >= 60);
}

#[wasm_bindgen_test]
fn round_trip_with_browser_randomness() {
    let doc: serde_json::Value = serde_json::from_str(common::SMER_VECTORS).unwrap();
    let key = EncryptionPrivateKey::from_pem(
        doc["keys"]["bob"]["private_pkcs8_pem"].as_str().unwrap(),
        None,
    )
    .unwrap();
    for enc in [
        ContentEncryption::A256CbcHs512,
        ContentEncryption::A128CbcHs256,
    ] {
        for size in [0usize, 1, 15, 16, 17, 1 << 20] {
            let record: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
            let mut options =
                SealOptions::new("application/octet-stream", key.key_id(), 1_795_564_800);
            options.enc = enc;
            let sealed = smer::seal(
                &mut SysRng,
                &record,
                &[key.public_key()],
                &options,
                &Limits::default(),
            )
            .unwrap();
            let opened = smer::open(&sealed, &key, &mut SysRng, &Limits::default()).unwrap();
            assert_eq!(opened.record.as_slice(), record.as_slice());
        }
    }
}

#[wasm_bindgen_test]
fn key_generation_in_browser() {
    let key = EncryptionPrivateKey::generate(&mut SysRng, 2048).unwrap();
    assert_eq!(key.public_key().bits(), 2048);
    assert_eq!(key.key_id().len(), 43);
}

#[wasm_bindgen_test]
fn consortium_v1_vectors_in_browser() {
    let (passed, failures) =
        common::consortium::run_consortium_vectors(common::consortium::CONSORTIUM_VECTORS);
    assert!(
        failures.is_empty(),
        "{} vector(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(passed >= 20, "{passed}");
}

#[wasm_bindgen_test]
fn ledger_v1_vectors_in_browser() {
    let (passed, failures) = common::ledger::run_ledger_vectors(common::ledger::LEDGER_VECTORS);
    assert!(
        failures.is_empty(),
        "{} vector(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(passed >= 60, "{passed}");
}
