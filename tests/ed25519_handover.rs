//! The Ed25519 handover vectors (`tests/vectors/ledger/ed25519_handover_v1.json`, SPEC.md
//! §4.4): each case has the core's strict verdict and says whether the cofactorless equation
//! decides it; the probes in the file are the core's, in order.

use semres::identity::equation;
use semres::SigningPublicKey;
use serde_json::Value;

const VECTORS: &str = include_str!("vectors/ledger/ed25519_handover_v1.json");

fn bytes(case: &Value, field: &str) -> Vec<u8> {
    semres::hex::decode(case[field].as_str().expect(field)).expect("lower-case hex")
}

#[test]
fn every_case_has_the_cores_verdict_and_handover() {
    let doc: Value = serde_json::from_str(VECTORS).expect("JSON");
    let cases = doc["cases"].as_array().expect("cases");
    assert!(cases.len() >= 9);
    let (mut decided, mut kept) = (0, 0);
    for case in cases {
        let name = case["name"].as_str().expect("name");
        let key = SigningPublicKey::from_bytes(&bytes(case, "key_hex")).expect("key decodes");
        let (message, signature) = (bytes(case, "message_hex"), bytes(case, "signature_hex"));
        let holds = case["holds"].as_bool().expect("holds");
        let decides = case["equation_decides"]
            .as_bool()
            .expect("equation_decides");
        assert_eq!(key.verify(&message, &signature).is_ok(), holds, "{name}");
        assert_eq!(key.equation_decides(&signature), decides, "{name}");
        if decides {
            decided += 1;
        } else {
            kept += 1;
            assert!(!holds, "{name}: the core refuses what it keeps");
        }
    }
    assert_eq!((decided, kept), (4, 5));
    assert!(cases.iter().any(|c| c["holds"] == true));
}

#[test]
fn the_files_probes_are_the_cores() {
    let doc: Value = serde_json::from_str(VECTORS).expect("JSON");
    let probes: Vec<&Value> = doc["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .filter(|c| c["probe"] == true)
        .collect();
    let core = equation::probes();
    assert_eq!(probes.len(), core.len());
    for (file, core) in probes.iter().zip(&core) {
        assert_eq!(file["name"], core.name);
        assert_eq!(bytes(file, "key_hex"), core.key);
        assert_eq!(bytes(file, "message_hex"), core.message);
        assert_eq!(bytes(file, "signature_hex"), core.signature);
        assert_eq!(file["holds"], core.holds);
    }
}
