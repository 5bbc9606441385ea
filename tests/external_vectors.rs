//! External test vectors from `../shared/vectors/` (others' data, read in place):
//! Wycheproof JSON Web Encryption and RSA-OAEP-SHA256, and the RFC 7520 JOSE cookbook.
//! Where the folder is absent (a user's own clone), each test says so and passes as skipped.
#![cfg(not(target_arch = "wasm32"))]

use std::path::PathBuf;

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use semres::smer::{self, Limits, ParsedSmer};
use semres::{EncryptionPrivateKey, EncryptionPublicKey};
use serde_json::{json, Value};

fn shared(relative: &str) -> Option<Value> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/vectors")
        .join(relative);
    match std::fs::read_to_string(&path) {
        Ok(text) => Some(serde_json::from_str(&text).expect("external vector file is JSON")),
        Err(_) => {
            eprintln!("SKIPPED: {} not found (external vectors live beside the repository in ../shared/vectors)", path.display());
            None
        }
    }
}

fn hex(s: &str) -> Vec<u8> {
    semres::hex::decode(s).unwrap()
}

/// Compact JWE → JSON General Serialization, as SMeR readers take it.
fn compact_to_general(compact: &str) -> String {
    let parts: Vec<&str> = compact.split('.').collect();
    assert_eq!(parts.len(), 5, "compact JWE has five parts");
    json!({"protected": parts[0], "recipients": [{"encrypted_key": parts[1]}], "iv": parts[2], "ciphertext": parts[3], "tag": parts[4]}).to_string()
}

/// The protected header of a compact JWE, or `Null` when it is not base64url JSON.
fn protected_of(compact: &str) -> Value {
    let first = compact.split('.').next().unwrap_or_default();
    semres::b64::decode(first)
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or(Value::Null)
}

#[test]
fn wycheproof_json_web_encryption() {
    let Some(doc) = shared("wycheproof/json_web_encryption_test.json") else {
        return;
    };
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let (mut opened, mut refused_unsupported, mut refused_invalid) = (0, 0, 0);
    for group in doc["testGroups"].as_array().unwrap() {
        let key = EncryptionPrivateKey::from_jwk(&group["private"].to_string()).ok();
        for test in group["tests"].as_array().unwrap() {
            let id = &test["tcId"];
            let Some(compact) = test["jwe"].as_str().filter(|c| c.split('.').count() == 5) else {
                // A JSON serialization with JWS-style members or a compact form with a part
                // missing: Wycheproof marks these invalid, and they are not SMeRs either.
                assert_eq!(test["result"], "invalid", "tcId {id}");
                let text = test["jwe"]
                    .as_str()
                    .map(str::to_owned)
                    .unwrap_or_else(|| test["jwe"].to_string());
                assert!(
                    ParsedSmer::parse(text.as_bytes(), &Limits::default()).is_err(),
                    "tcId {id}"
                );
                refused_invalid += 1;
                continue;
            };
            let header = protected_of(compact);
            let in_profile = header["alg"] == "RSA-OAEP-256"
                && matches!(
                    header["enc"].as_str(),
                    Some("A128CBC-HS256") | Some("A256CBC-HS512")
                );
            let smer_text = compact_to_general(compact);
            if header.is_null() {
                assert_eq!(test["result"], "invalid", "tcId {id}");
                let err = ParsedSmer::parse(smer_text.as_bytes(), &Limits::default()).unwrap_err();
                assert_eq!(err.code(), "MalformedSmer", "tcId {id}: {err}");
                refused_invalid += 1;
                continue;
            }
            if !in_profile {
                let err = ParsedSmer::parse(smer_text.as_bytes(), &Limits::default()).unwrap_err();
                if test["result"] == "valid" {
                    // A valid JWE of another algorithm is refused as unsupported, before any key is used.
                    assert_eq!(err.code(), "UnsupportedAlgorithm", "tcId {id}: {err}");
                    refused_unsupported += 1;
                } else {
                    // An invalid one (e.g. no alg at all) only has to be refused.
                    refused_invalid += 1;
                }
                continue;
            }
            let key = key
                .as_ref()
                .unwrap_or_else(|| panic!("tcId {id}: group key must import"));
            let result = smer::open(smer_text.as_bytes(), key, &mut rng, &Limits::default());
            match test["result"].as_str().unwrap() {
                "valid" => {
                    let record =
                        result.unwrap_or_else(|e| panic!("tcId {id}: valid JWE refused: {e}"));
                    assert_eq!(
                        record.record.as_slice(),
                        hex(test["pt"].as_str().unwrap()).as_slice(),
                        "tcId {id}"
                    );
                    opened += 1;
                }
                "invalid" => {
                    assert!(result.is_err(), "tcId {id}: invalid JWE opened");
                    refused_invalid += 1;
                }
                other => panic!("tcId {id}: unexpected result {other}"),
            }
        }
    }
    assert!(
        opened >= 2,
        "the RSA-OAEP-256 + CBC-HS cases must be present: {opened}"
    );
    assert!(refused_unsupported >= 40, "{refused_unsupported}");
    eprintln!("wycheproof JWE: {opened} opened, {refused_unsupported} refused as unsupported, {refused_invalid} invalid refused");
}

#[test]
fn wycheproof_rsa_oaep_sha256() {
    let mut rng = ChaCha20Rng::seed_from_u64(2);
    let mut checked = 0;
    let mut skipped_label = 0;
    let mut skipped_size = 0;
    for file in [
        "wycheproof/rsa_oaep_2048_sha256_mgf1sha256_test.json",
        "wycheproof/rsa_oaep_3072_sha256_mgf1sha256_test.json",
        "wycheproof/rsa_oaep_4096_sha256_mgf1sha256_test.json",
        "wycheproof/rsa_oaep_misc_test.json",
    ] {
        let Some(doc) = shared(file) else { return };
        for group in doc["testGroups"].as_array().unwrap() {
            if group["sha"] != "SHA-256" || group["mgfSha"] != "SHA-256" {
                continue; // RSA-OAEP-256 is SHA-256 with MGF1-SHA-256 only.
            }
            let key = match EncryptionPrivateKey::from_pem(
                group["privateKeyPem"].as_str().unwrap(),
                None,
            ) {
                Ok(key) => key,
                Err(e) => {
                    // Keys below 2048 or above 4096 bits are outside what SEMRES accepts.
                    assert_eq!(e.code(), "UnsupportedKeySize", "{file}: {e}");
                    skipped_size += group["tests"].as_array().unwrap().len();
                    continue;
                }
            };
            for test in group["tests"].as_array().unwrap() {
                let id = &test["tcId"];
                let ct = hex(test["ct"].as_str().unwrap());
                let result = key.unwrap_key(&mut rng, &ct);
                if test["label"] != "" {
                    // JWE's RSA-OAEP-256 uses the empty label, so a labelled ciphertext must fail.
                    assert!(
                        result.is_err(),
                        "{file} tcId {id}: labelled ciphertext accepted"
                    );
                    skipped_label += 1;
                    continue;
                }
                match test["result"].as_str().unwrap() {
                    "valid" => assert_eq!(
                        result
                            .unwrap_or_else(|e| panic!("{file} tcId {id}: {e}"))
                            .as_slice(),
                        hex(test["msg"].as_str().unwrap()).as_slice(),
                        "{file} tcId {id}"
                    ),
                    "invalid" => match result {
                        Ok(_) => panic!(
                            "{file} tcId {id} ({}): invalid ciphertext accepted",
                            test["comment"]
                        ),
                        Err(e) => assert_eq!(e.code(), "DecryptionFailed", "{file} tcId {id}"),
                    },
                    // Acceptable: documented in SPEC.md; either outcome is allowed.
                    _ => {}
                }
                checked += 1;
            }
        }
    }
    assert!(checked > 50, "{checked}");
    eprintln!("wycheproof RSA-OAEP-256: {checked} checked, {skipped_label} labelled must-fail, {skipped_size} outside key-size range");
}

#[test]
fn jose_cookbook_keys_and_refused_algorithms() {
    let Some(public) = shared("jose-cookbook/jwk/3_3.rsa_public_key.json") else {
        return;
    };
    let Some(private) = shared("jose-cookbook/jwk/3_4.rsa_private_key.json") else {
        return;
    };
    let public = EncryptionPublicKey::from_jwk(&public.to_string()).unwrap();
    let private = EncryptionPrivateKey::from_jwk(&private.to_string()).unwrap();
    assert_eq!(
        private.public_key(),
        &public,
        "RFC 7520 §3.3 is the public half of §3.4"
    );

    // 5.1: RSA1_5 key wrap (with A128CBC-HS256 content) must be refused as unsupported.
    let Some(ex51) =
        shared("jose-cookbook/jwe/5_1.key_encryption_using_rsa_v15_and_aes-hmac-sha2.json")
    else {
        return;
    };
    let err = ParsedSmer::parse(
        ex51["output"]["json"].to_string().as_bytes(),
        &Limits::default(),
    )
    .unwrap_err();
    assert_eq!(err.code(), "UnsupportedAlgorithm");
    // Its flattened form is not a SMeR at all.
    let err = ParsedSmer::parse(
        ex51["output"]["json_flat"].to_string().as_bytes(),
        &Limits::default(),
    )
    .unwrap_err();
    assert_eq!(err.code(), "MalformedSmer");
    // The key of 5.1 imports, and its content encryption (A128CBC-HS256) is the one we
    // implement: check our AES-CBC-HMAC against the cookbook's CEK, IV and output.
    let cek = semres::b64::decode(ex51["generated"]["cek"].as_str().unwrap()).unwrap();
    let iv = semres::b64::decode(ex51["generated"]["iv"].as_str().unwrap()).unwrap();
    let out = &ex51["output"]["json"];
    let aad = out["protected"].as_str().unwrap().as_bytes();
    let ct = semres::b64::decode(out["ciphertext"].as_str().unwrap()).unwrap();
    let tag = semres::b64::decode(out["tag"].as_str().unwrap()).unwrap();
    let plaintext = semres::ceda::content::decrypt(
        semres::ContentEncryption::A128CbcHs256,
        &cek,
        &iv,
        aad,
        ct,
        &tag,
    )
    .unwrap();
    assert_eq!(
        plaintext.as_slice(),
        ex51["input"]["plaintext"].as_str().unwrap().as_bytes()
    );

    // 5.13: three recipients, none with an algorithm of our profile.
    let Some(ex513) = shared("jose-cookbook/jwe/5_13.encrypting_to_multiple_recipients.json")
    else {
        return;
    };
    let err = ParsedSmer::parse(
        ex513["output"]["json"].to_string().as_bytes(),
        &Limits::default(),
    )
    .unwrap_err();
    assert_eq!(err.code(), "UnsupportedAlgorithm");
    // 5.2: RSA-OAEP (SHA-1) with A256GCM.
    let Some(ex52) =
        shared("jose-cookbook/jwe/5_2.key_encryption_using_rsa-oaep_with_aes-gcm.json")
    else {
        return;
    };
    let err = ParsedSmer::parse(
        ex52["output"]["json"].to_string().as_bytes(),
        &Limits::default(),
    )
    .unwrap_err();
    assert_eq!(err.code(), "UnsupportedAlgorithm");
}
