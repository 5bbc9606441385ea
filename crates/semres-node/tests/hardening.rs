//! The endpoint under attack (issue "Hardening"), each finding as a test over HTTP on
//! 127.0.0.1: cheap requests that used to stall or fill the server, rules a stranger could
//! break, and what a slow or greedy client may hold. Server processes under load, kill -9
//! and a full disk are in the CLI's tests (`crates/semres-cli/tests/faults.rs`).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use semres::b64;
use semres::identity::signing::SigningPrivateKey;
use semres::ledger::entry::{Entry, EntryBody, Role};
use semres::ledger::request::content_sha256;
use semres_node::api::{ApiConfig, ApiState};
use semres_node::log::Logger;
use semres_node::node::Node;
use semres_node::server::ServerConfig;
use serde_json::Value;
use xtask::fixtures::{entry, signing_key, SyntheticSmer};
use xtask::http::{error_code, request, request_streamed, signed, signed_at};

const MIB: u64 = 1024 * 1024;

fn workdir(name: &str) -> PathBuf {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("hardening-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn start(name: &str, api: ApiConfig, server: ServerConfig) -> (SocketAddr, PathBuf) {
    let dir = workdir(name);
    let addr = xtask::server::start_configured(&dir, api, server).unwrap();
    (addr, dir)
}

fn submit(addr: SocketAddr, e: &Entry) -> (u16, String) {
    let (status, body) = xtask::http::post_entry(addr, &b64::encode(&e.to_bytes())).unwrap();
    (status, error_code(&body))
}

/// Registers the `i`-th test participant as `role` (admitted by `authority` if given).
fn register(
    addr: SocketAddr,
    i: u64,
    role: Role,
    authority: Option<&SigningPrivateKey>,
) -> SigningPrivateKey {
    xtask::http::register(addr, i, role, authority).unwrap()
}

/// A signed request with a body (the body's hash signed).
fn signed_request(
    addr: SocketAddr,
    key: &SigningPrivateKey,
    method: &str,
    target: &str,
    body: &[u8],
) -> (u16, Vec<u8>) {
    xtask::http::signed_request(addr, key, method, target, body).unwrap()
}

fn json(body: &[u8]) -> Value {
    serde_json::from_slice(body).unwrap_or(Value::Null)
}

fn smer_path(hash: &[u8; 32]) -> String {
    format!("/api/v1/smers/{}", semres::hex::encode(hash))
}

/// Uploads a synthetic SMeR of `bytes` bytes; returns (status, code).
fn upload(addr: SocketAddr, key: &SigningPrivateKey, smer: &SyntheticSmer) -> (u16, String) {
    let path = smer_path(&smer.hash());
    let headers = signed(key, "PUT", &path, smer.hash());
    let (status, body) = request_streamed(addr, "PUT", &path, &headers, smer.len(), |s| {
        smer.write_to(s)
    })
    .unwrap();
    (status, error_code(&body))
}

#[test]
fn uploads_are_refused_before_their_body_is_read() {
    let api = ApiConfig {
        quota_bytes: MIB,
        ..ApiConfig::default()
    };
    let (addr, _dir) = start("early", api, ServerConfig::default());
    let path = smer_path(&[7; 32]);
    let nothing = |_: &mut TcpStream| Ok(());
    // An unsigned 300 MiB upload: answered though not one byte of its body was sent.
    let (status, body) = request_streamed(addr, "PUT", &path, &[], 300 * MIB, nothing).unwrap();
    assert_eq!(
        (status, error_code(&body).as_str()),
        (401, "Unauthenticated")
    );
    // The same with a signature by a key the ledger does not know.
    let stranger = signing_key(900);
    let headers = signed(&stranger, "PUT", &path, [7; 32]);
    let (status, _) = request_streamed(addr, "PUT", &path, &headers, 300 * MIB, nothing).unwrap();
    assert_eq!(status, 401);
    // A participant's upload over the size limit (the larger, a streamed SMeR's), then over
    // the quota: refused on the declared length alone.
    let patient = register(addr, 1, Role::Patient, None);
    let headers = signed(&patient, "PUT", &path, [7; 32]);
    let over = semres_node::dery::DEFAULT_MAX_STREAMED_SMER_BYTES + 1;
    let (status, body) = request_streamed(addr, "PUT", &path, &headers, over, nothing).unwrap();
    assert_eq!((status, error_code(&body).as_str()), (413, "TooLarge"));
    let headers = signed(&patient, "PUT", &path, [7; 32]);
    let (status, body) = request_streamed(addr, "PUT", &path, &headers, 2 * MIB, nothing).unwrap();
    assert_eq!((status, error_code(&body).as_str()), (403, "QuotaExceeded"));
    // A signed body whose hash is not the path's.
    let headers = signed(&patient, "PUT", &path, [8; 32]);
    let (status, body) = request_streamed(addr, "PUT", &path, &headers, 1000, nothing).unwrap();
    assert_eq!((status, error_code(&body).as_str()), (400, "HashMismatch"));
}

#[test]
fn each_profile_has_its_own_size_limit() {
    // A SMeR v1 over its limit is refused once its first bytes show it is one, though the
    // declared length is within the streamed limit; the same size as a streamed SMeR is
    // within its own.
    let api = ApiConfig {
        max_smer_bytes: MIB,
        max_streamed_smer_bytes: 3 * MIB,
        ..ApiConfig::default()
    };
    let (addr, _dir) = start("profiles", api, ServerConfig::default());
    let patient = register(addr, 1, Role::Patient, None);
    let smer = SyntheticSmer::new(patient.key_id(), 2 * MIB, 1).unwrap();
    assert_eq!(upload(addr, &patient, &smer), (413, "TooLarge".to_owned()));
    let big = SyntheticSmer::new(patient.key_id(), MIB / 2, 2).unwrap();
    assert_eq!(upload(addr, &patient, &big).0, 201);
    // Over the larger limit: refused on the declared length.
    let path = smer_path(&[7; 32]);
    let headers = signed(&patient, "PUT", &path, [7; 32]);
    let (status, body) =
        request_streamed(addr, "PUT", &path, &headers, 3 * MIB + 1, |_| Ok(())).unwrap();
    assert_eq!((status, error_code(&body).as_str()), (413, "TooLarge"));
}

#[test]
fn the_signature_covers_the_body_and_the_encoded_query() {
    let (addr, _dir) = start("v2", ApiConfig::default(), ServerConfig::default());
    let patient = register(addr, 1, Role::Patient, None);
    let target = format!("/api/v1/directory/{}", patient.key_id());
    // Signed for one body, sent with another.
    let headers = signed(
        &patient,
        "PUT",
        &target,
        content_sha256(br#"{"name":"Ann"}"#),
    );
    let (status, body) = request(addr, "PUT", &target, &headers, br#"{"name":"Bob"}"#).unwrap();
    assert_eq!((status, error_code(&body).as_str()), (401, "BadSignature"));
    let (status, _) = signed_request(addr, &patient, "PUT", &target, br#"{"name":"Ann O'Neil"}"#);
    assert_eq!(status, 200);
    // A query is signed as sent (encoded): an apostrophe in a name can be searched.
    let query = "/api/v1/directory?q=Ann%20O%27Neil";
    let (status, body) = signed_request(addr, &patient, "GET", query, b"");
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    assert_eq!(json(&body)["results"][0]["name"], "Ann O'Neil");
    // Signed over the decoded form, sent encoded: refused.
    let headers = signed(
        &patient,
        "GET",
        "/api/v1/directory?q=Ann O'Neil",
        content_sha256(b""),
    );
    let (status, _) = request(addr, "GET", query, &headers, b"").unwrap();
    assert_eq!(status, 401);
    // Version 1 (no Semres-Content-SHA256): a clear code for old clients.
    let mut headers = signed(
        &patient,
        "GET",
        "/api/v1/me/granted-by-me",
        content_sha256(b""),
    );
    headers.retain(|(k, _)| k != "Semres-Content-SHA256");
    let (status, body) = request(addr, "GET", "/api/v1/me/granted-by-me", &headers, b"").unwrap();
    assert_eq!(
        (status, error_code(&body).as_str()),
        (401, "UnsupportedVersion")
    );
}

#[test]
fn times_that_would_overflow_are_refused_and_the_server_keeps_serving() {
    let (addr, _dir) = start("time", ApiConfig::default(), ServerConfig::default());
    let patient = register(addr, 1, Role::Patient, None);
    let target = "/api/v1/me/granted-by-me";
    let now = semres_node::clock::now();
    for time in [
        i64::MIN,
        i64::MIN + 1,
        i64::MAX,
        now.wrapping_sub(i64::MIN),
        -1,
    ] {
        let headers = signed_at(&patient, "GET", target, content_sha256(b""), time);
        let (status, body) = request(addr, "GET", target, &headers, b"").unwrap();
        assert_eq!(
            (status, error_code(&body).as_str()),
            (401, "StaleRequest"),
            "time {time}"
        );
    }
    // Nothing panicked, nothing is locked: the next request is served.
    let (status, _) = signed_request(addr, &patient, "GET", target, b"");
    assert_eq!(status, 200);
}

#[test]
fn a_strangers_payment_is_refused() {
    let (addr, dir) = start("payment", ApiConfig::default(), ServerConfig::default());
    let authority = xtask::fixtures::authority_key(&dir).unwrap();
    let david = register(addr, 1, Role::Patient, None);
    let lawson = register(addr, 2, Role::Clinician, Some(&authority));
    let stranger = register(addr, 3, Role::Patient, None);
    let grant = entry(
        &david,
        EntryBody::Grant {
            smer_hash: [1; 32],
            data_index: semres::dery::data_index(&[1; 32]),
            recipient: lawson.key_id().into(),
            expires: None,
        },
    )
    .unwrap();
    assert_eq!(submit(addr, &grant).0, 201);
    let care = entry(
        &lawson,
        EntryBody::Care {
            grant: grant.hash(),
            smer_hash: [2; 32],
            data_index: semres::dery::data_index(&[2; 32]),
        },
    )
    .unwrap();
    assert_eq!(submit(addr, &care).0, 201);
    let payment = |payer: &SigningPrivateKey, amount: u64| {
        entry(
            payer,
            EntryBody::Payment {
                care: care.hash(),
                amount,
                currency: "EUR".into(),
                payer: payer.key_id().into(),
                payee: lawson.key_id().into(),
                reference: "claim".into(),
            },
        )
        .unwrap()
    };
    // Before: anyone registered could pay 0 and so block the real payment (Duplicate).
    assert_eq!(
        submit(addr, &payment(&stranger, 0)),
        (403, "NotAuthorized".into())
    );
    assert_eq!(
        submit(addr, &payment(&lawson, 0)),
        (403, "NotAuthorized".into())
    );
    // A payer the patient names may pay; so may the patient.
    let name = entry(
        &david,
        EntryBody::Payer {
            add: true,
            payer: stranger.key_id().into(),
        },
    )
    .unwrap();
    assert_eq!(submit(addr, &name).0, 201);
    assert_eq!(submit(addr, &payment(&stranger, 4200)).0, 201);
    assert_eq!(
        submit(addr, &payment(&david, 4200)),
        (409, "Duplicate".into())
    );
}

#[test]
fn directory_answers_do_not_depend_on_names_the_caller_may_not_see() {
    let (addr, dir) = start("directory", ApiConfig::default(), ServerConfig::default());
    let authority = xtask::fixtures::authority_key(&dir).unwrap();
    let name = |key: &SigningPrivateKey, name: &str| {
        let target = format!("/api/v1/directory/{}", key.key_id());
        let body = serde_json::json!({ "name": name }).to_string();
        let (status, _) = signed_request(addr, key, "PUT", &target, body.as_bytes());
        assert_eq!(status, 200);
    };
    let caller = register(addr, 1, Role::Clinician, Some(&authority));
    name(&caller, "Caller");
    // 25 clinicians named "Ann C…": everyone may see them; a search shows 20.
    for i in 0..25 {
        let key = register(addr, 100 + i, Role::Clinician, Some(&authority));
        name(&key, &format!("Ann Clinician {i:02}"));
    }
    let search = |q: &str| {
        let (status, body) = signed_request(
            addr,
            &caller,
            "GET",
            &format!("/api/v1/directory?q={q}"),
            b"",
        );
        assert_eq!(status, 200);
        json(&body)["results"].clone()
    };
    let before = search("Ann");
    assert_eq!(before.as_array().map(Vec::len), Some(20));
    // 30 patients whose names sort first: hidden from the caller, they change nothing.
    let mut hidden = Vec::new();
    for i in 0..30 {
        let key = register(addr, 200 + i, Role::Patient, None);
        name(&key, &format!("Ann Aaron {i:02}"));
        hidden.push(key);
    }
    assert_eq!(search("Ann"), before);
    assert_eq!(search("Aaron"), Value::Array(vec![]));
    // Asking for a hidden patient by key id is the same NotFound as for nobody.
    let lookup = |id: &str| {
        let target = format!("/api/v1/directory/{id}");
        let (status, body) = signed_request(addr, &caller, "GET", &target, b"");
        (status, error_code(&body))
    };
    assert_eq!(lookup(hidden[0].key_id()), lookup(&"A".repeat(43)));
    // A patient who grants the caller a record becomes visible to it.
    let grant = entry(
        &hidden[3],
        EntryBody::Grant {
            smer_hash: [3; 32],
            data_index: semres::dery::data_index(&[3; 32]),
            recipient: caller.key_id().into(),
            expires: None,
        },
    )
    .unwrap();
    assert_eq!(submit(addr, &grant).0, 201);
    let after = search("Aaron");
    assert_eq!(after.as_array().map(Vec::len), Some(1));
    assert_eq!(after[0]["name"], "Ann Aaron 03");
    assert_eq!(search("Ann")[0]["name"], "Ann Aaron 03");
}

/// Reads from `stream` until the server closes it or `limit` passes; true if it closed.
fn closed_within(stream: &mut TcpStream, limit: Duration) -> bool {
    stream.set_read_timeout(Some(limit)).unwrap();
    let mut buf = [0u8; 4096];
    let started = Instant::now();
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return true,
            // An answer (408, 400) before closing is fine.
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return true,
            Err(_) => return false,
        }
        if started.elapsed() > limit {
            return false;
        }
    }
}

#[test]
fn slow_clients_are_cut_off() {
    let server = ServerConfig {
        header_timeout: Duration::from_secs(1),
        body_idle_timeout: Duration::from_secs(1),
        max_connections_per_ip: 64,
    };
    let (addr, _dir) = start("slow", ApiConfig::default(), server);
    let patient = register(addr, 1, Role::Patient, None);
    // Half a request head, then nothing.
    let mut slow = TcpStream::connect(addr).unwrap();
    slow.write_all(b"GET /index.html HTTP/1.1\r\nHost: x\r\n")
        .unwrap();
    assert!(
        closed_within(&mut slow, Duration::from_secs(20)),
        "a client that never finishes its head keeps its connection"
    );
    // A signed upload that stops sending part-way through its body.
    let smer = SyntheticSmer::new(patient.key_id(), MIB, 1).unwrap();
    let path = smer_path(&smer.hash());
    let headers = signed(&patient, "PUT", &path, smer.hash());
    let mut stalled = TcpStream::connect(addr).unwrap();
    let mut head = format!(
        "PUT {path} HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n",
        smer.len()
    );
    for (k, v) in &headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    stalled.write_all(head.as_bytes()).unwrap();
    let mut first = Vec::new();
    smer.write_to(&mut first).unwrap();
    stalled.write_all(&first[..64 * 1024]).unwrap();
    assert!(
        closed_within(&mut stalled, Duration::from_secs(20)),
        "an upload idle between pieces keeps its connection"
    );
    // Nothing was stored: the owner cannot download it.
    let (status, _) = signed_request(addr, &patient, "GET", &path, b"");
    assert_eq!(status, 403, "a partial upload must not be stored");
    // The server still answers, and the whole upload then succeeds.
    assert_eq!(upload(addr, &patient, &smer).0, 201);
}

#[test]
fn connections_per_address_are_capped() {
    let server = ServerConfig {
        header_timeout: Duration::from_secs(60),
        body_idle_timeout: Duration::from_secs(60),
        max_connections_per_ip: 4,
    };
    let (addr, _dir) = start("connections", ApiConfig::default(), server);
    let held: Vec<TcpStream> = (0..4).map(|_| TcpStream::connect(addr).unwrap()).collect();
    // Accepted connections are counted once the server has taken them: wait until a fifth
    // is closed at once (the accept loop drops it), within a generous bound.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let mut fifth = TcpStream::connect(addr).unwrap();
        fifth
            .write_all(b"GET /index.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .ok();
        let mut buf = Vec::new();
        fifth
            .set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        let answered = fifth.read_to_end(&mut buf).map(|_| !buf.is_empty());
        if !matches!(answered, Ok(true)) {
            break; // refused: closed without an answer
        }
        assert!(
            Instant::now() < deadline,
            "a fifth connection is still served"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    // Releasing one lets the next one in.
    drop(held);
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok((200 | 404, _)) = request(addr, "GET", "/index.html", &[], b"") {
            break;
        }
        assert!(Instant::now() < deadline, "connections were not released");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn quotas_deletion_and_expiry_bound_what_a_participant_can_store() {
    let dir = workdir("quota");
    let node = Arc::new(Node::open(&dir, None).unwrap());
    let api = ApiState::with_config(
        node,
        ApiConfig {
            quota_bytes: 450 * 1024,
            unreferenced_grace: 3600,
            ..ApiConfig::default()
        },
        Logger::off(),
    );
    let addr = xtask::server::start_with(api.clone(), &dir).unwrap();
    let authority = xtask::fixtures::authority_key(&dir).unwrap();
    let patient = register(addr, 1, Role::Patient, None);
    let other = register(addr, 2, Role::Patient, None);
    let clinician = register(addr, 3, Role::Clinician, Some(&authority));
    let smers: Vec<SyntheticSmer> = (0..6)
        .map(|i| SyntheticSmer::sealed_to(patient.key_id(), &[1, 3], 100 * 1024, 10 + i).unwrap())
        .collect();
    for smer in &smers[..4] {
        assert_eq!(upload(addr, &patient, smer).0, 201);
    }
    // The fifth is over the quota of 450 KiB (the SMeRs are about 100 KiB each).
    assert_eq!(
        upload(addr, &patient, &smers[4]),
        (403, "QuotaExceeded".into())
    );
    // Another participant has a quota of its own.
    assert_eq!(upload(addr, &other, &smers[5]).0, 201);
    // Deletion: only by the uploader, only while no entry names the SMeR.
    let delete = |key: &SigningPrivateKey, smer: &SyntheticSmer| {
        let (status, body) = signed_request(addr, key, "DELETE", &smer_path(&smer.hash()), b"");
        (status, error_code(&body))
    };
    assert_eq!(delete(&other, &smers[0]), (403, "NotAuthorized".into()));
    let grant = entry(
        &patient,
        EntryBody::Grant {
            smer_hash: smers[1].hash(),
            data_index: semres::dery::data_index(&smers[1].hash()),
            recipient: clinician.key_id().into(),
            expires: None,
        },
    )
    .unwrap();
    assert_eq!(submit(addr, &grant).0, 201);
    assert_eq!(delete(&patient, &smers[1]), (403, "NotAuthorized".into()));
    assert_eq!(delete(&patient, &smers[0]).0, 200);
    assert_eq!(delete(&patient, &smers[0]), (404, "NotFound".into()));
    // Room again for the fifth.
    assert_eq!(upload(addr, &patient, &smers[4]).0, 201);
    // Expiry: after the grace period, the unnamed SMeRs go; the granted one stays.
    semres_node::api::dery::expire_unreferenced(&api, semres_node::clock::now() + 3601);
    let stored = |smer: &SyntheticSmer| api.node().dery().stored(&smer.hash()).unwrap().is_some();
    assert!(stored(&smers[1]), "a granted SMeR expired");
    for smer in [&smers[2], &smers[3], &smers[4], &smers[5]] {
        assert!(
            !stored(smer),
            "an unreferenced SMeR outlived its grace period"
        );
    }
}

#[test]
fn requests_beyond_the_rate_limit_are_refused_per_key() {
    // One request a minute sustained, bursts of 10: an eleventh at once is refused.
    let api = ApiConfig {
        requests_per_minute: 1,
        ..ApiConfig::default()
    };
    let (addr, _dir) = start("rate", api, ServerConfig::default());
    let patient = register(addr, 1, Role::Patient, None);
    let other = register(addr, 2, Role::Patient, None);
    let target = "/api/v1/me/granted-by-me";
    // Registration took one of the patient's tokens.
    for _ in 0..9 {
        assert_eq!(signed_request(addr, &patient, "GET", target, b"").0, 200);
    }
    let (status, body) = signed_request(addr, &patient, "GET", target, b"");
    assert_eq!((status, error_code(&body).as_str()), (429, "RateLimited"));
    // Entries by the same signer too; another key is not affected.
    let payer = entry(
        &patient,
        EntryBody::Payer {
            add: true,
            payer: other.key_id().into(),
        },
    )
    .unwrap();
    assert_eq!(submit(addr, &payer), (429, "RateLimited".into()));
    assert_eq!(signed_request(addr, &other, "GET", target, b"").0, 200);
}

#[test]
fn only_the_package_files_the_site_loads_are_served() {
    let (addr, dir) = start("pkg", ApiConfig::default(), ServerConfig::default());
    let pkg = dir.join("pkg");
    std::fs::create_dir_all(&pkg).unwrap();
    for name in [
        "semres.js",
        "semres_bg.wasm",
        "README.md",
        "package.json",
        "semres.d.ts",
    ] {
        std::fs::write(pkg.join(name), name).unwrap();
    }
    for (path, status) in [
        ("/pkg/semres.js", 200),
        ("/pkg/semres_bg.wasm", 200),
        ("/pkg/README.md", 404),
        ("/pkg/package.json", 404),
        ("/pkg/semres.d.ts", 404),
        ("/pkg/../pkg/README.md", 404),
        ("/pkg/semres.js/../README.md", 404),
        ("/pkg/", 404),
    ] {
        let (got, body) = request(addr, "GET", path, &[], b"").unwrap();
        assert_eq!(got, status, "{path}");
        if status == 200 {
            assert!(
                path.ends_with(std::str::from_utf8(&body).unwrap()),
                "{path}"
            );
        }
    }
}
