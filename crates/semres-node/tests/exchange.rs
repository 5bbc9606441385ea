//! The whole SEMRES exchange over HTTP on 127.0.0.1, as the paper tells it: David and Lawson
//! register (Lawson admitted by the authority), David seals his record to Lawson and uploads
//! the SMeR, grants it; Lawson downloads with a signed request, checks the hash against the
//! ledger, opens it, leaves an access receipt and a care record sealed back to David, which
//! is paid; David revokes (Lawson is then refused) and erases (the ciphertext is gone, the
//! chain still verifies). Plus the authorization failures, each with its code.

use std::net::SocketAddr;
use std::path::PathBuf;

use rand_chacha::ChaCha20Rng;
use rand_core::{Rng, SeedableRng};
use semres::b64;
use semres::identity::signing::SigningPrivateKey;
use semres::ledger::entry::{Entry, EntryBody, Role};
use semres::ledger::request::signing_bytes as request_signing_bytes;
use semres::smer::{self, Limits, SealOptions};
use semres::EncryptionPrivateKey;
use semres_node::node::verify_data_dir;
use serde_json::{json, Value};

mod support;
use support::http;

fn start(name: &str) -> (SocketAddr, PathBuf) {
    support::start_server(&format!("exchange-{name}"))
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// The headers of a signed request (SPEC §5.1, version 2), built by hand from the spec.
fn signed(
    key: &SigningPrivateKey,
    method: &str,
    path: &str,
    body: &[u8],
    time: i64,
    rng: &mut ChaCha20Rng,
) -> Vec<(String, String)> {
    let mut nonce = [0u8; 16];
    rng.fill_bytes(&mut nonce);
    let nonce = b64::encode(&nonce);
    let content = semres::smer_hash(body);
    let signature = key.sign(&request_signing_bytes(method, path, time, &nonce, &content));
    vec![
        ("Semres-Key-Id".into(), key.key_id().into()),
        ("Semres-Time".into(), time.to_string()),
        ("Semres-Nonce".into(), nonce),
        (
            "Semres-Content-SHA256".into(),
            semres::hex::encode(&content),
        ),
        ("Semres-Signature".into(), b64::encode(&signature)),
    ]
}

struct Person {
    signing: SigningPrivateKey,
    encryption: EncryptionPrivateKey,
}

fn person(rng: &mut ChaCha20Rng) -> Person {
    Person {
        signing: SigningPrivateKey::generate(rng).unwrap(),
        encryption: EncryptionPrivateKey::generate(rng, 2048).unwrap(),
    }
}

fn entry(signer: &SigningPrivateKey, body: EntryBody, rng: &mut ChaCha20Rng) -> Entry {
    let mut nonce = [0u8; 16];
    rng.fill_bytes(&mut nonce);
    Entry::signed(signer, now(), nonce, body).unwrap()
}

fn submit(addr: SocketAddr, e: &Entry) -> (u16, Value) {
    let (status, body) = xtask::http::post_entry(addr, &b64::encode(&e.to_bytes())).unwrap();
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

fn register(p: &Person, role: Role, rng: &mut ChaCha20Rng) -> Entry {
    let body = EntryBody::Register {
        role,
        signing_key: p.signing.public_key().to_bytes(),
        encryption_key: p.encryption.public_key().to_spki_der().unwrap(),
    };
    entry(&p.signing, body, rng)
}

fn upload(addr: SocketAddr, who: &SigningPrivateKey, smer: &[u8], rng: &mut ChaCha20Rng) -> u16 {
    let path = format!("/api/v1/smers/{}", semres::dery::smer_hash_hex(smer));
    http(
        addr,
        "PUT",
        &path,
        &signed(who, "PUT", &path, smer, now(), rng),
        smer,
    )
    .0
}

fn download(
    addr: SocketAddr,
    who: &SigningPrivateKey,
    hash: &str,
    rng: &mut ChaCha20Rng,
) -> (u16, Vec<u8>) {
    let path = format!("/api/v1/smers/{hash}");
    http(
        addr,
        "GET",
        &path,
        &signed(who, "GET", &path, b"", now(), rng),
        b"",
    )
}

fn code(body: &[u8]) -> String {
    xtask::http::error_code(body)
}

#[test]
fn the_whole_exchange_over_http() {
    let (addr, dir) = start("story");
    let mut rng = ChaCha20Rng::seed_from_u64(21);
    let authority = SigningPrivateKey::from_pem(
        &std::fs::read_to_string(dir.join("authority.key.pem")).unwrap(),
        None,
    )
    .unwrap();
    let (david, lawson, mallory) = (person(&mut rng), person(&mut rng), person(&mut rng));

    // A clinician without admission is refused; with the authority's co-signature, accepted.
    let (status, v) = submit(addr, &register(&lawson, Role::Clinician, &mut rng));
    assert_eq!(
        (status, v["code"].as_str()),
        (403, Some("MissingSignature"))
    );
    assert_eq!(
        submit(
            addr,
            &register(&lawson, Role::Clinician, &mut rng)
                .sign(&authority)
                .unwrap()
        )
        .0,
        201
    );
    assert_eq!(
        submit(addr, &register(&david, Role::Patient, &mut rng)).0,
        201
    );
    assert_eq!(
        submit(addr, &register(&mallory, Role::Patient, &mut rng)).0,
        201
    );

    // Names go into the directory only; David finds Lawson by name for his recipient picker.
    let name = |who: &Person, key_id: &str, value: &str, rng: &mut ChaCha20Rng| {
        let path = format!("/api/v1/directory/{key_id}");
        let body = json!({"name": value}).to_string();
        http(
            addr,
            "PUT",
            &path,
            &signed(&who.signing, "PUT", &path, body.as_bytes(), now(), rng),
            body.as_bytes(),
        )
    };
    assert_eq!(
        name(
            &lawson,
            lawson.signing.key_id(),
            "Dr. Lawson (synthetic)",
            &mut rng
        )
        .0,
        200
    );
    assert_eq!(
        name(
            &david,
            david.signing.key_id(),
            "David (synthetic)",
            &mut rng
        )
        .0,
        200
    );
    let (status, body) = name(
        &mallory,
        lawson.signing.key_id(),
        "Mallory was here",
        &mut rng,
    );
    assert_eq!((status, code(&body)), (403, "NotAuthorized".into()));
    // A signed GET by `who`: the status and the JSON body (Null if none).
    let status_of = |who: &SigningPrivateKey, path: &str, rng: &mut ChaCha20Rng| -> (u16, Value) {
        let (status, body) = http(
            addr,
            "GET",
            path,
            &signed(who, "GET", path, b"", now(), rng),
            b"",
        );
        (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
    };
    let (status, found) = status_of(&david.signing, "/api/v1/directory?q=laws", &mut rng);
    assert_eq!(status, 200);
    assert_eq!(found["results"].as_array().unwrap().len(), 1);
    assert_eq!(found["results"][0]["keyId"], lawson.signing.key_id());
    assert_eq!(found["results"][0]["role"], "clinician");
    assert_eq!(
        found["results"][0]["encryptionKeyId"],
        lawson.encryption.key_id()
    );
    let (_, wildcard) = status_of(&david.signing, "/api/v1/directory?q=%25", &mut rng);
    assert!(
        wildcard["results"].as_array().unwrap().is_empty(),
        "% is a literal"
    );

    // The directory is not a list of patients: another patient finds clinicians, not David;
    // Lawson cannot look David up before David shares something with him.
    let david_entry = format!("/api/v1/directory/{}", david.signing.key_id());
    let (_, found) = status_of(&mallory.signing, "/api/v1/directory?q=synthetic", &mut rng);
    let names: Vec<&str> = found["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Dr. Lawson (synthetic)"]);
    assert_eq!(status_of(&mallory.signing, &david_entry, &mut rng).0, 404);
    assert_eq!(status_of(&lawson.signing, &david_entry, &mut rng).0, 404);
    let (status, own) = status_of(&david.signing, &david_entry, &mut rng);
    assert_eq!(
        (status, own["name"].as_str()),
        (200, Some("David (synthetic)"))
    );
    let lawson_entry = format!("/api/v1/directory/{}", lawson.signing.key_id());
    let (status, seen) = status_of(&mallory.signing, &lawson_entry, &mut rng);
    assert_eq!((status, seen["role"].as_str()), (200, Some("clinician")));

    // David seals a synthetic My Health Bank record to Lawson (and himself) and uploads it.
    let record = b"<myhealthbank><r1><r1.9>Synthetic diagnosis</r1.9><r1_1><r1_1.2>Synthetic drug</r1_1.2></r1_1></r1></myhealthbank>";
    let options = SealOptions::new("application/xml", david.signing.key_id(), now());
    let sealed = smer::seal(
        &mut rng,
        record,
        &[
            david.encryption.public_key(),
            lawson.encryption.public_key(),
        ],
        &options,
        &Limits::default(),
    )
    .unwrap();
    let hash = semres::dery::smer_hash_hex(&sealed);
    // Upload checks: unsigned, hash mismatch, not a SMeR; then stored, idempotently.
    let (status, body) = http(addr, "PUT", &format!("/api/v1/smers/{hash}"), &[], &sealed);
    assert_eq!((status, code(&body)), (401, "Unauthenticated".into()));
    let wrong = format!("/api/v1/smers/{}", "0".repeat(64));
    let (status, body) = http(
        addr,
        "PUT",
        &wrong,
        &signed(&david.signing, "PUT", &wrong, &sealed, now(), &mut rng),
        &sealed,
    );
    assert_eq!((status, code(&body)), (400, "HashMismatch".into()));
    let junk = b"{\"not\":\"a smer\"}";
    let junk_path = format!("/api/v1/smers/{}", semres::dery::smer_hash_hex(junk));
    let (status, body) = http(
        addr,
        "PUT",
        &junk_path,
        &signed(&david.signing, "PUT", &junk_path, junk, now(), &mut rng),
        junk,
    );
    assert_eq!((status, code(&body)), (400, "MalformedSmer".into()));
    assert_eq!(upload(addr, &david.signing, &sealed, &mut rng), 201);
    assert_eq!(
        upload(addr, &david.signing, &sealed, &mut rng),
        200,
        "idempotent by hash"
    );

    // A grant to Mallory, who is not among the SMeR's recipients, is refused.
    let smer_hash = semres::smer_hash(&sealed);
    let to = |who: &Person| EntryBody::Grant {
        smer_hash,
        data_index: format!("dery:sha256:{hash}"),
        recipient: who.signing.key_id().into(),
        expires: None,
    };
    let (status, v) = submit(addr, &entry(&david.signing, to(&mallory), &mut rng));
    assert_eq!(
        (status, v["code"].as_str()),
        (409, Some("RecipientMismatch"))
    );
    let (status, v) = submit(addr, &entry(&david.signing, to(&lawson), &mut rng));
    assert_eq!(status, 201, "{v}");
    let grant = v["entryHash"].as_str().unwrap().to_owned();
    let grant_hash: [u8; 32] = semres::hex::decode_array(&grant).unwrap();

    // Lawson downloads (signed), checks the hash the ledger holds, opens.
    let (status, got) = download(addr, &lawson.signing, &hash, &mut rng);
    assert_eq!(status, 200);
    assert_eq!(semres::dery::smer_hash_hex(&got), hash);
    let opened = smer::open(&got, &lawson.encryption, &mut rng, &Limits::default()).unwrap();
    assert_eq!(opened.record.as_slice(), record);
    // Mallory may not; an unsigned, a stale and a replayed request are refused.
    let (status, body) = download(addr, &mallory.signing, &hash, &mut rng);
    assert_eq!((status, code(&body)), (403, "NotAuthorized".into()));
    let path = format!("/api/v1/smers/{hash}");
    assert_eq!(
        code(&http(addr, "GET", &path, &[], b"").1),
        "Unauthenticated"
    );
    let stale = signed(&lawson.signing, "GET", &path, b"", now() - 3600, &mut rng);
    assert_eq!(
        code(&http(addr, "GET", &path, &stale, b"").1),
        "StaleRequest"
    );
    let once = signed(&lawson.signing, "GET", &path, b"", now(), &mut rng);
    assert_eq!(http(addr, "GET", &path, &once, b"").0, 200);
    assert_eq!(
        code(&http(addr, "GET", &path, &once, b"").1),
        "ReplayedRequest"
    );
    let mut forged = signed(&lawson.signing, "GET", &path, b"", now(), &mut rng);
    forged[4].1 = b64::encode(&[7u8; 64]);
    assert_eq!(
        code(&http(addr, "GET", &path, &forged, b"").1),
        "BadSignature"
    );

    // A SMeR altered in the data directory is never served.
    {
        let file = dir.join("smers").join(&hash[..2]).join(&hash);
        let original = std::fs::read(&file).unwrap();
        let mut altered = original.clone();
        let at = altered.len() - 40;
        altered[at] = if altered[at] == b'A' { b'B' } else { b'A' };
        std::fs::write(&file, &altered).unwrap();
        let (status, body) = download(addr, &lawson.signing, &hash, &mut rng);
        assert_eq!((status, code(&body)), (500, "CorruptSmer".into()));
        assert!(verify_data_dir(&dir).is_err());
        std::fs::write(&file, &original).unwrap();
    }

    // Access receipt; care record sealed back to David; payment.
    assert_eq!(
        submit(
            addr,
            &entry(
                &lawson.signing,
                EntryBody::Access { grant: grant_hash },
                &mut rng
            )
        )
        .0,
        201
    );
    let care_smer = smer::seal(
        &mut rng,
        b"Care note (synthetic)",
        &[david.encryption.public_key()],
        &SealOptions::new("text/plain", david.signing.key_id(), now()),
        &Limits::default(),
    )
    .unwrap();
    assert_eq!(upload(addr, &lawson.signing, &care_smer, &mut rng), 201);
    let care_body = EntryBody::Care {
        grant: grant_hash,
        smer_hash: semres::smer_hash(&care_smer),
        data_index: "dery:care".into(),
    };
    let (status, v) = submit(addr, &entry(&lawson.signing, care_body, &mut rng));
    assert_eq!(status, 201, "{v}");
    let care = v["entryHash"].as_str().unwrap().to_owned();
    let care_hash: [u8; 32] = semres::hex::decode_array(&care).unwrap();
    let (status, got) = download(
        addr,
        &david.signing,
        &semres::dery::smer_hash_hex(&care_smer),
        &mut rng,
    );
    assert_eq!(status, 200, "the care record belongs to the patient");
    assert_eq!(
        smer::open(&got, &david.encryption, &mut rng, &Limits::default())
            .unwrap()
            .record
            .as_slice(),
        b"Care note (synthetic)"
    );
    let pay = EntryBody::Payment {
        care: care_hash,
        amount: 412,
        currency: "NHI-points".into(),
        payer: david.signing.key_id().into(),
        payee: lawson.signing.key_id().into(),
        reference: "claim-1".into(),
    };
    assert_eq!(submit(addr, &entry(&david.signing, pay, &mut rng)).0, 201);

    // Once David has granted Lawson a record, Lawson sees David's name; Mallory still does not.
    let (status, seen) = status_of(&lawson.signing, &david_entry, &mut rng);
    assert_eq!(
        (status, seen["name"].as_str()),
        (200, Some("David (synthetic)"))
    );
    assert_eq!(status_of(&mallory.signing, &david_entry, &mut rng).0, 404);

    // The views: shared with Lawson, granted by David, David's audit trail.
    let get = |who: &SigningPrivateKey, path: &str, rng: &mut ChaCha20Rng| -> Value {
        let (status, body) = status_of(who, path, rng);
        assert_eq!(status, 200, "{path}: {body}");
        body
    };
    let shared = get(&lawson.signing, "/api/v1/me/shared-with-me", &mut rng);
    assert_eq!(shared["grants"].as_array().unwrap().len(), 1);
    assert_eq!(shared["grants"][0]["smerHash"], hash.as_str());
    assert_eq!(shared["grants"][0]["active"], true);
    let granted = get(&david.signing, "/api/v1/me/granted-by-me", &mut rng);
    assert_eq!(granted["grants"].as_array().unwrap().len(), 1);
    assert!(
        get(&mallory.signing, "/api/v1/me/shared-with-me", &mut rng)["grants"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let trail = get(&david.signing, "/api/v1/me/audit-trail", &mut rng);
    let kinds: Vec<&str> = trail["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["access", "care", "payment"]);
    assert_eq!(trail["events"][2]["payment"]["amount"], 412);
    assert!(
        get(&lawson.signing, "/api/v1/me/audit-trail", &mut rng)["events"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        code(&http(addr, "GET", "/api/v1/me/audit-trail", &[], b"").1),
        "Unauthenticated"
    );

    // Revoke: Lawson is refused. Erase: the ciphertext is gone, the chain still verifies.
    assert_eq!(
        submit(
            addr,
            &entry(
                &david.signing,
                EntryBody::Revoke { grant: grant_hash },
                &mut rng
            )
        )
        .0,
        201
    );
    assert_eq!(download(addr, &lawson.signing, &hash, &mut rng).0, 403);
    assert_eq!(
        get(&lawson.signing, "/api/v1/me/shared-with-me", &mut rng)["grants"][0]["active"],
        false
    );
    assert_eq!(
        download(addr, &david.signing, &hash, &mut rng).0,
        200,
        "the owner still reads it"
    );
    assert_eq!(
        submit(
            addr,
            &entry(&david.signing, EntryBody::Erase { smer_hash }, &mut rng)
        )
        .0,
        201
    );
    assert_eq!(download(addr, &david.signing, &hash, &mut rng).0, 403);
    assert_eq!(
        upload(addr, &david.signing, &sealed, &mut rng),
        410,
        "an erased SMeR is not taken back"
    );
    let (blocks, smers) = verify_data_dir(&dir).unwrap();
    // No name ever reaches the ledger.
    let (_, body) = http(addr, "GET", "/api/v1/blocks?from=0&count=100", &[], b"");
    let chain: Value = serde_json::from_slice(&body).unwrap();
    for b in chain["blocks"].as_array().unwrap() {
        let bytes = b64::decode(b.as_str().unwrap()).unwrap();
        assert!(
            !bytes.windows(6).any(|w| w == b"Lawson" || w == b"David "),
            "a name on the ledger"
        );
    }
    assert_eq!(smers, 1, "only the care SMeR remains");
    assert_eq!(
        blocks, 10,
        "genesis, three registrations, grant, access, care, payment, revoke, erase"
    );
}
