//! Shared runner of the consortium vectors (`tests/vectors/ledger/consortium_v1.json`,
//! SPEC.md §6), used natively and in headless Chromium.

use semres::b64;
use semres::ledger::block::Anchor;
use semres::ledger::checkpoint::Checkpoint;
use semres::ledger::consortium::{equivocation, Consortium};
use semres::ledger::{verify_anchored_chain, verify_anchored_chain_deferred, Block, LedgerState};
use serde_json::Value;

fn hash32(v: &Value) -> [u8; 32] {
    semres::hex::decode_array(v.as_str().expect("hex")).expect("32 bytes of hex")
}

fn anchor(v: &Value) -> Anchor {
    let n = |k: &str| v[k].as_u64().expect("a number");
    Anchor {
        chain_id: n("chain_id"),
        block_number: n("block_number"),
        block_hash: hash32(&v["block_hash"]),
        transaction_hash: hash32(&v["transaction_hash"]),
        log_index: n("log_index"),
        seq: n("seq"),
    }
}

/// Replays the vectors' logs from the consortium's empty state: (blocks as base64url,
/// skipped (seq, code), checkpoint body).
fn replay(consortium: &Consortium, logs: &[Value]) -> (Vec<String>, Vec<(u64, String)>, String) {
    let mut state = LedgerState::consortium(consortium).expect("a valid consortium");
    let mut blocks = Vec::new();
    let mut skipped = Vec::new();
    for l in logs {
        let entry = b64::decode(l["entry"].as_str().expect("entry")).expect("base64url");
        let time = l["ethereum_time"].as_i64().expect("time");
        match state.apply_anchored(&entry, anchor(&l["anchor"]), time) {
            Ok(block) => blocks.push(b64::encode(&block.to_bytes())),
            Err(e) => skipped.push((l["seq"].as_u64().expect("seq"), e.code().name().to_owned())),
        }
    }
    let size = state.size();
    let body = Checkpoint {
        origin: state.chain_id().to_owned(),
        size,
        root: state.tree().root(size).unwrap_or_default(),
    }
    .body();
    (blocks, skipped, body)
}

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
    // The replay: the same blocks, the same skipped entries, the same checkpoint.
    let r = &doc["replay"];
    let (blocks, skipped, body) = replay(&consortium, r["logs"].as_array().expect("logs"));
    let want_blocks: Vec<String> = r["blocks"]
        .as_array()
        .expect("blocks")
        .iter()
        .map(|b| b.as_str().expect("block").to_owned())
        .collect();
    check(
        "replay-blocks",
        blocks == want_blocks,
        format!("got {} blocks", blocks.len()),
    );
    let want_skipped: Vec<(u64, String)> = r["skipped"]
        .as_array()
        .expect("skipped")
        .iter()
        .map(|s| {
            (
                s["seq"].as_u64().expect("seq"),
                s["code"].as_str().expect("code").to_owned(),
            )
        })
        .collect();
    check(
        "replay-skipped",
        skipped == want_skipped,
        format!("got {skipped:?}"),
    );
    check(
        "replay-checkpoint",
        r["checkpoint_body"] == body.as_str(),
        format!("got {body:?}"),
    );
    let cosigned = consortium.verify_checkpoint(r["cosigned_checkpoint"].as_str().expect("note"));
    check(
        "replay-cosigned-checkpoint",
        cosigned.is_ok_and(|c| c.checkpoint.body() == body),
        "the cosigned checkpoint of the replay does not verify".into(),
    );
    for case in doc["anchored_chains"].as_array().expect("anchored chains") {
        let name = case["name"].as_str().expect("name");
        let decoded: Result<Vec<Block>, String> = case["blocks"]
            .as_array()
            .expect("blocks")
            .iter()
            .map(|b| {
                Block::from_bytes(&b64::decode(b.as_str().expect("block")).expect("base64url"))
                    .map_err(|e| e.code().to_string())
            })
            .collect();
        let got = decoded.map(|blocks| {
            let full = verify_anchored_chain(&consortium, &blocks)
                .map(|_| ())
                .map_err(|e| (e.index, e.error.code().name().to_owned()));
            // The same verdict with the Ed25519 verifications deferred and made afterwards.
            let deferred = verify_anchored_chain_deferred(&consortium, &blocks)
                .is_ok_and(|d| d.signatures().iter().all(|s| s.holds()));
            (deferred == full.is_ok()).then_some(full)
        });
        let ok = match (&got, &case["expect"]) {
            (Ok(Some(Ok(()))), Value::String(s)) => s == "ok",
            (Ok(Some(Err((index, code)))), Value::Object(want)) => {
                want["index"].as_u64() == Some(*index) && want["code"].as_str() == Some(code)
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
