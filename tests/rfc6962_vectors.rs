//! transparency-dev/merkle's RFC 6962 proof vectors (`../shared/vectors/rfc6962/`): every
//! happy path verifies with the ledger's Merkle code, every mutated case (`wantErr`) fails.
#![cfg(not(target_arch = "wasm32"))]

use std::path::PathBuf;

use base64ct::{Base64, Encoding};
use semres::ledger::merkle::{verify_consistency, verify_inclusion, Hash};
use serde_json::Value;

fn files(kind: &str) -> Option<Vec<PathBuf>> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/vectors/rfc6962")
        .join(kind);
    if !dir.is_dir() {
        eprintln!("SKIPPED: {} not found", dir.display());
        return None;
    }
    fn walk(dir: &std::path::Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "json") {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    walk(&dir, &mut out);
    out.sort();
    Some(out)
}

fn bytes(v: &Value) -> Vec<u8> {
    v.as_str()
        .map(|s| Base64::decode_vec(s).unwrap())
        .unwrap_or_default()
}

/// Proof elements that are not 32 bytes are refused when a proof is decoded, before the
/// verifier runs; `None` stands for that refusal.
fn proof(v: &Value) -> Option<Vec<Hash>> {
    v.as_array().map_or(Some(Vec::new()), |a| {
        a.iter()
            .map(|p| Hash::try_from(bytes(p).as_slice()).ok())
            .collect()
    })
}

#[test]
fn rfc6962_inclusion_proofs() {
    let Some(files) = files("inclusion") else {
        return;
    };
    let (mut ok, mut refused) = (0, 0);
    for f in files {
        let v: Value = serde_json::from_str(&std::fs::read_to_string(&f).unwrap()).unwrap();
        let result = proof(&v["proof"]).ok_or(()).and_then(|p| {
            verify_inclusion(
                &bytes(&v["leafHash"]),
                v["leafIdx"].as_u64().unwrap(),
                v["treeSize"].as_u64().unwrap(),
                &p,
                &bytes(&v["root"]),
            )
            .map_err(|_| ())
        });
        if v["wantErr"].as_bool().unwrap() {
            assert!(result.is_err(), "{} verified but must fail", f.display());
            refused += 1;
        } else {
            assert!(result.is_ok(), "{} must verify", f.display());
            ok += 1;
        }
    }
    assert!(ok >= 5 && refused >= 40, "{ok} ok, {refused} refused");
}

#[test]
fn rfc6962_consistency_proofs() {
    let Some(files) = files("consistency") else {
        return;
    };
    let (mut ok, mut refused) = (0, 0);
    for f in files {
        let v: Value = serde_json::from_str(&std::fs::read_to_string(&f).unwrap()).unwrap();
        let result = proof(&v["proof"]).ok_or(()).and_then(|p| {
            verify_consistency(
                v["size1"].as_u64().unwrap(),
                v["size2"].as_u64().unwrap(),
                &p,
                &bytes(&v["root1"]),
                &bytes(&v["root2"]),
            )
            .map_err(|_| ())
        });
        if v["wantErr"].as_bool().unwrap() {
            assert!(result.is_err(), "{} verified but must fail", f.display());
            refused += 1;
        } else {
            assert!(result.is_ok(), "{} must verify", f.display());
            ok += 1;
        }
    }
    assert!(ok >= 5 && refused >= 40, "{ok} ok, {refused} refused");
}
