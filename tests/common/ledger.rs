//! Shared runner of the ledger v1 vectors (`tests/vectors/ledger/ledger_v1.json`), used
//! natively and in headless Chromium.

use base64ct::{Base64, Encoding};
use semres::b64;
use semres::identity::signing::SigningPublicKey;
use semres::ledger::checkpoint::Checkpoint;
use semres::ledger::merkle::{verify_consistency, verify_inclusion, Hash};
use semres::ledger::{verify_chain, verify_chain_deferred, verify_chain_structure, Block};
use serde_json::Value;

pub(crate) const LEDGER_VECTORS: &str = include_str!("../vectors/ledger/ledger_v1.json");

fn hash(v: &Value) -> Vec<u8> {
    Base64::decode_vec(v.as_str().expect("base64")).expect("base64")
}

fn proof(v: &Value) -> Vec<Hash> {
    v.as_array()
        .expect("proof")
        .iter()
        .map(|p| Hash::try_from(hash(p).as_slice()).expect("32 bytes"))
        .collect()
}

/// Decodes a chain; a block that does not decode is reported like a verifier failure.
pub(crate) fn decode_chain(blocks: &Value) -> Result<Vec<Block>, (u64, String)> {
    blocks
        .as_array()
        .expect("blocks")
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let bytes = b64::decode(b.as_str().expect("block")).expect("base64url");
            Block::from_bytes(&bytes).map_err(|e| (i as u64, e.code().to_string()))
        })
        .collect()
}

/// Runs every ledger vector; returns (passed, failures).
pub(crate) fn run_ledger_vectors(doc: &str) -> (usize, Vec<String>) {
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
    for case in doc["chains"].as_array().expect("chains") {
        let name = case["name"].as_str().expect("name");
        let decoded = decode_chain(&case["blocks"]);
        let outcome = decoded.clone().and_then(|blocks| {
            verify_chain(&blocks)
                .map(|_| ())
                .map_err(|e| (e.index, e.error.code().to_string()))
        });
        // The same verdict with the Ed25519 verifications deferred and made afterwards
        // (how the browser spreads them over workers).
        if let Ok(blocks) = &decoded {
            let deferred = verify_chain_deferred(blocks)
                .is_ok_and(|d| d.signatures().iter().all(|s| s.holds()));
            check(
                &format!("{name} (deferred signatures)"),
                deferred == outcome.is_ok(),
                format!("deferred verdict {deferred}, full verdict {outcome:?}"),
            );
        }
        match (&outcome, &case["expect"]) {
            (Ok(()), Value::String(s)) if s == "ok" => check(name, true, String::new()),
            (Err((index, code)), Value::Object(want)) => check(
                name,
                want["index"].as_u64() == Some(*index) && want["code"].as_str() == Some(code),
                format!(
                    "failed at block {index} with {code}, expected {:?}",
                    case["expect"]
                ),
            ),
            (got, want) => check(name, false, format!("got {got:?}, expected {want}")),
        }
    }
    // The valid story also verifies structurally, with the same Merkle root as in full.
    let story = doc["chains"]
        .as_array()
        .expect("chains")
        .iter()
        .find(|c| c["expect"] == "ok")
        .expect("a valid chain");
    let blocks = decode_chain(&story["blocks"]).expect("story decodes");
    let full = verify_chain(&blocks).expect("story verifies");
    let structural = verify_chain_structure(&blocks).expect("story is well linked");
    check(
        "structural-root",
        structural.root(structural.size()) == full.tree().root(full.tree().size()),
        "structural and full roots differ".into(),
    );

    for case in doc["blocks"].as_array().expect("blocks") {
        let name = case["name"].as_str().expect("name");
        let bytes = b64::decode(case["block"].as_str().expect("block")).expect("base64url");
        match (
            Block::from_bytes(&bytes),
            case["expect"].as_str().expect("expect"),
        ) {
            (Ok(b), "ok") => check(
                name,
                semres::hex::encode(&b.hash()) == case["hash"].as_str().unwrap_or_default(),
                "hash differs".into(),
            ),
            (Err(e), code) => check(
                name,
                e.code() == code,
                format!("{} instead of {code}", e.code()),
            ),
            (Ok(_), code) => check(name, false, format!("decoded, {code} expected")),
        }
    }
    for case in doc["proofs"].as_array().expect("proofs") {
        let name = case["name"].as_str().expect("name");
        let result = if case["kind"] == "inclusion" {
            verify_inclusion(
                &hash(&case["leaf_hash"]),
                case["index"].as_u64().expect("index"),
                case["size"].as_u64().expect("size"),
                &proof(&case["proof"]),
                &hash(&case["root"]),
            )
        } else {
            verify_consistency(
                case["size1"].as_u64().expect("size1"),
                case["size2"].as_u64().expect("size2"),
                &proof(&case["proof"]),
                &hash(&case["root1"]),
                &hash(&case["root2"]),
            )
        };
        let want_ok = case["expect"] == "ok";
        check(
            name,
            result.is_ok() == want_ok,
            format!("{result:?}, expected {}", case["expect"]),
        );
    }
    let authorities: Vec<SigningPublicKey> = doc["checkpoint_authorities"]
        .as_array()
        .expect("authorities")
        .iter()
        .map(|k| {
            SigningPublicKey::from_bytes(&b64::decode(k.as_str().expect("key")).expect("b64"))
                .expect("key")
        })
        .collect();
    for case in doc["checkpoints"].as_array().expect("checkpoints") {
        let name = case["name"].as_str().expect("name");
        match (
            Checkpoint::verify(case["note"].as_str().expect("note"), &authorities),
            case["expect"].as_str().expect("expect"),
        ) {
            (Ok(c), "ok") => check(
                name,
                Some(c.size) == case["size"].as_u64()
                    && c.root.as_slice() == hash(&case["root"]).as_slice(),
                "wrong size or root".into(),
            ),
            (Err(e), code) => check(
                name,
                e.code() == code,
                format!("{} instead of {code}", e.code()),
            ),
            (Ok(_), code) => check(name, false, format!("verified, {code} expected")),
        }
    }
    (passed, failures)
}
