//! Shared runner of the checked-in SMeR v1 vectors (`tests/vectors/smer/smer_v1.json`),
//! used natively (`tests/smer_vectors.rs`) and in headless Chromium (`tests/web.rs`), so
//! both run exactly the same checks on exactly the same data.

#![allow(dead_code)]

use std::collections::BTreeMap;

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use semres::smer::{self, Limits};
use semres::EncryptionPrivateKey;
use serde_json::Value;

pub(crate) const SMER_VECTORS: &str = include_str!("../vectors/smer/smer_v1.json");

pub(crate) fn hex_decode(s: &str) -> Vec<u8> {
    semres::hex::decode(s).expect("lower-case hex")
}

/// Runs every case; returns (passed, names of the failures with what happened).
pub(crate) fn run_smer_vectors(doc: &str) -> (usize, Vec<String>) {
    let doc: Value = serde_json::from_str(doc).expect("vector file is JSON");
    let mut keys = BTreeMap::new();
    for (name, entry) in doc["keys"].as_object().expect("keys") {
        let pem = entry["private_pkcs8_pem"].as_str().expect("pem");
        let key = EncryptionPrivateKey::from_pem(pem, None).expect("vector key parses");
        assert_eq!(
            key.key_id(),
            entry["key_id"].as_str().expect("key_id"),
            "{name}: key id"
        );
        keys.insert(name.clone(), key);
    }
    let mut rng = ChaCha20Rng::seed_from_u64(7);
    let mut passed = 0;
    let mut failures = Vec::new();
    let cases = doc["cases"].as_array().expect("cases");
    assert!(cases.len() >= 60, "the vector file lost cases");
    for case in cases {
        let name = case["name"].as_str().expect("name");
        let smer_text = case["smer"].as_str().expect("smer");
        let key = &keys[case["key"].as_str().expect("key")];
        let mut limits = Limits::default();
        if let Some(max) = case["limits"]["max_record_bytes"].as_u64() {
            limits.max_record_bytes = max as usize;
        }
        let expect = case["expect"].as_str().expect("expect");
        let result = smer::open(smer_text.as_bytes(), key, &mut rng, &limits);
        let outcome = match (&result, expect) {
            (Ok(opened), "ok") => {
                let want = hex_decode(case["record_hex"].as_str().expect("record_hex"));
                let hash_ok = semres::dery::smer_hash_hex(smer_text.as_bytes())
                    == case["smer_sha256"].as_str().expect("hash");
                if opened.record.as_slice() != want.as_slice() {
                    Some("opened to the wrong record".to_owned())
                } else if !hash_ok {
                    Some("SMeR hash differs".to_owned())
                } else {
                    None
                }
            }
            (Ok(_), code) => Some(format!("opened, but {code} was expected")),
            (Err(e), "ok") => Some(format!("failed with {} ({e})", e.code())),
            (Err(e), code) if e.code() == code => None,
            (Err(e), code) => Some(format!("failed with {} ({e}), {code} expected", e.code())),
        };
        match outcome {
            None => passed += 1,
            Some(why) => failures.push(format!("{name}: {why}")),
        }
        if let Some(why) = leaving_ciphertext_differs(smer_text.as_bytes(), &limits) {
            failures.push(format!("{name}: parse_leaving_ciphertext: {why}"));
        }
    }
    (passed, failures)
}

/// What `ParsedSmer::parse_leaving_ciphertext` (the browser's path) does differently from
/// `ParsedSmer::parse`, if anything: the same verdict and code, and the ciphertext text it
/// leaves in place decodes to the same MAC input.
fn leaving_ciphertext_differs(smer: &[u8], limits: &Limits) -> Option<String> {
    use semres::smer::ParsedSmer;
    match (
        ParsedSmer::parse(smer, limits),
        ParsedSmer::parse_leaving_ciphertext(smer, limits),
    ) {
        (Err(a), Err(b)) if a.code() == b.code() => None,
        (Ok(whole), Ok(left)) => {
            // The vectors write no JSON escapes: the ciphertext is always left in place.
            let Some(span) = left.ciphertext_span() else {
                return Some("no ciphertext span".to_owned());
            };
            let decoded = std::str::from_utf8(&smer[span.start..span.end])
                .ok()
                .and_then(semres::b64::decode);
            let Some(decoded) = decoded else {
                return Some("the span is not canonical base64url".to_owned());
            };
            let input = [
                left.mac_input_head(),
                decoded,
                left.mac_input_tail().to_vec(),
            ]
            .concat();
            (whole.mac_input().ok() != Some(input)).then(|| "another MAC input".to_owned())
        }
        (a, b) => Some(format!(
            "{:?} where parse gives {:?}",
            b.map(|_| ()).map_err(|e| e.code()),
            a.map(|_| ()).map_err(|e| e.code())
        )),
    }
}

pub(crate) mod consortium;
pub(crate) mod ledger;

/// `count` distinct RSA public keys (SPKI DER) made cheaply from one: the same modulus with
/// different public exponents. Only for registrations in tests, where each participant
/// needs a key of its own (SPEC §4.2) and nothing is encrypted to it.
pub(crate) fn distinct_rsa_keys(base: &semres::EncryptionPublicKey, count: usize) -> Vec<Vec<u8>> {
    let jwk: Value = serde_json::from_str(&base.to_jwk()).expect("jwk");
    (0..count as u64)
        .map(|i| {
            let e = (65_537 + 2 * i).to_be_bytes();
            let first = e.iter().position(|&b| b != 0).unwrap_or(0);
            let text = serde_json::json!({"kty": "RSA", "n": jwk["n"], "e": semres::b64::encode(&e[first..])});
            semres::EncryptionPublicKey::from_jwk(&text.to_string())
                .expect("a public exponent the key accepts")
                .to_spki_der()
                .expect("spki")
        })
        .collect()
}

pub(crate) const STREAM_VECTORS: &str = include_str!("../vectors/smer/smer_stream_v1.json");

/// Opens a streamed SMeR given to the reader in pieces of `piece` bytes, as a reader of a
/// network or file stream would: the head, then the records. Returns the outcome and the
/// plaintext released before it.
pub(crate) fn open_streamed_in_pieces(
    bytes: &[u8],
    key: &EncryptionPrivateKey,
    piece: usize,
    max_record: u64,
) -> (semres::Result<()>, Vec<u8>) {
    use semres::smer::streamed::{StreamHead, PREFIX_LEN};
    let limits = Limits::default();
    let mut rng = ChaCha20Rng::seed_from_u64(9);
    let mut out = Vec::new();
    let result = (|| {
        let prefix = bytes.get(..PREFIX_LEN).unwrap_or(bytes);
        let head_len = StreamHead::head_len(prefix, &limits)?;
        let head = StreamHead::parse(bytes.get(..head_len).unwrap_or(bytes), &limits)?;
        let mut opener = head.open_with(key, &mut rng, max_record)?;
        if piece == IN_PLACE {
            // Split at the record size, each record decrypted where it lies (the browser's
            // path for large records).
            let body = &bytes[head_len..];
            let mut records = body.chunks(opener.record_size()).peekable();
            if body.is_empty() {
                return Err(semres::Error::DecryptionFailed);
            }
            while let Some(record) = records.next() {
                let mut buf = record.to_vec();
                let n = opener.open_in_place(&mut buf, records.peek().is_none())?;
                out.extend_from_slice(&buf[..n]);
            }
            return if opener.is_finished() {
                Ok(())
            } else {
                Err(semres::Error::DecryptionFailed)
            };
        }
        for p in bytes[head_len..].chunks(piece.max(1)) {
            opener.update(p, &mut out)?;
        }
        opener.finish(&mut out).map(|_| ())
    })();
    (result, out)
}

/// `piece` for [`open_streamed_in_pieces`]: records split at the record size and each
/// opened in place (`RecordOpener::open_in_place`).
pub(crate) const IN_PLACE: usize = 0;

/// Runs every streamed-SMeR case (SPEC.md §7.6), each fed in pieces of 1 byte, 13 bytes and
/// whole, and opened record by record in place: positive cases open to their record (and hash), negative ones fail with their
/// code having released at most `may_release` bytes of plaintext.
pub(crate) fn run_stream_vectors(doc: &str) -> (usize, Vec<String>) {
    let doc: Value = serde_json::from_str(doc).expect("vector file is JSON");
    let mut keys = BTreeMap::new();
    for (name, entry) in doc["keys"].as_object().expect("keys") {
        let pem = entry["private_pkcs8_pem"].as_str().expect("pem");
        let key = EncryptionPrivateKey::from_pem(pem, None).expect("vector key parses");
        assert_eq!(key.key_id(), entry["key_id"].as_str().expect("key_id"));
        keys.insert(name.clone(), key);
    }
    let cases = doc["cases"].as_array().expect("cases");
    assert!(cases.len() >= 40, "the vector file lost cases");
    let mut passed = 0;
    let mut failures = Vec::new();
    for case in cases {
        let name = case["name"].as_str().expect("name");
        let bytes = hex_decode(case["smer_hex"].as_str().expect("smer_hex"));
        let key = &keys[case["key"].as_str().expect("key")];
        let max = case["max_record_bytes"]
            .as_u64()
            .unwrap_or(semres::smer::streamed::DEFAULT_MAX_STREAMED_RECORD_BYTES);
        let expect = case["expect"].as_str().expect("expect");
        let mut failed = None;
        for piece in [1, 13, bytes.len(), IN_PLACE] {
            let (result, released) = open_streamed_in_pieces(&bytes, key, piece, max);
            let why = match (&result, expect) {
                (Ok(()), "ok") => {
                    let want = hex_decode(case["record_hex"].as_str().expect("record_hex"));
                    if released != want {
                        Some("opened to the wrong record".to_owned())
                    } else if semres::dery::smer_hash_hex(&bytes)
                        != case["smer_sha256"].as_str().expect("hash")
                    {
                        Some("SMeR hash differs".to_owned())
                    } else {
                        None
                    }
                }
                (Ok(()), code) => Some(format!("opened, but {code} was expected")),
                (Err(e), "ok") => Some(format!("failed with {} ({e})", e.code())),
                (Err(e), code) if e.code() != code => {
                    Some(format!("failed with {} ({e}), {code} expected", e.code()))
                }
                (Err(_), _) => {
                    let may = case["may_release"].as_u64().expect("may_release") as usize;
                    // A conforming reader releases at most `may`; this one releases each
                    // record as soon as it authenticates, so given one byte at a time it
                    // releases exactly `may` — which checks that the damage is where the
                    // vector says.
                    let exact = piece != 1 || released.len() == may;
                    (released.len() > may || !exact).then(|| {
                        format!(
                            "released {} bytes before refusing (may: {may})",
                            released.len()
                        )
                    })
                }
            };
            if let Some(why) = why {
                failed = Some(format!("{name} (pieces of {piece}): {why}"));
                break;
            }
        }
        match failed {
            None => passed += 1,
            Some(why) => failures.push(why),
        }
    }
    (passed, failures)
}
