//! Large records through DERy (issue 16): a streamed SMeR (SPEC §7) uploaded in parts over
//! HTTP on 127.0.0.1 — an interrupted part, a part at the wrong offset, a part whose
//! signature covers other bytes, each refused without moving the upload — then completed,
//! checked and stored; downloaded whole and by ranges and opened by its recipient. And a
//! resumable upload survives a restart of the node.

use std::io::Write;
use std::net::{Shutdown, SocketAddr, TcpStream};

use rand_chacha::ChaCha20Rng;
use rand_core::{Rng, SeedableRng};
use semres::b64;
use semres::identity::signing::SigningPrivateKey;
use semres::ledger::entry::{Entry, EntryBody, Role};
use semres::smer::streamed::{open_streamed, seal_streamed, DEFAULT_MAX_STREAMED_RECORD_BYTES};
use semres::smer::{Limits, SealOptions};
use semres::EncryptionPrivateKey;
use semres_node::node::Node;
use serde_json::Value;
use xtask::http::{error_code, request, request_streamed, signed};

mod support;

const KIB: usize = 1024;

fn now() -> i64 {
    semres_node::clock::now()
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

/// A streamed SMeR of a pseudo-random record of `len` bytes, sealed to `to`.
fn streamed(owner: &Person, to: &[&Person], len: usize, seed: u64) -> (Vec<u8>, Vec<u8>) {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let mut record = vec![0u8; len];
    rng.fill_bytes(&mut record);
    let keys: Vec<_> = to.iter().map(|p| p.encryption.public_key()).collect();
    let options = SealOptions::new("application/dicom", owner.signing.key_id(), now());
    let smer = seal_streamed(
        &mut rng,
        &record,
        &keys,
        &options,
        &Limits::default(),
        65_536,
    )
    .unwrap();
    (record, smer)
}

fn upload_path(hash: &str) -> String {
    format!("/api/v1/smers/{hash}/upload")
}

/// One part: `PATCH …/upload` with `Upload-Offset` (and `Upload-Complete: ?1` when `last`).
fn part(
    addr: SocketAddr,
    who: &SigningPrivateKey,
    hash: &str,
    offset: usize,
    bytes: &[u8],
    last: bool,
) -> (u16, Value, String) {
    let path = upload_path(hash);
    let mut headers = signed(who, "PATCH", &path, semres::smer_hash(bytes));
    headers.push(("Upload-Offset".into(), offset.to_string()));
    if last {
        headers.push(("Upload-Complete".into(), "?1".into()));
    }
    let (status, body) = request(addr, "PATCH", &path, &headers, bytes).unwrap();
    let code = error_code(&body);
    (
        status,
        serde_json::from_slice(&body).unwrap_or(Value::Null),
        code,
    )
}

/// Where the upload stands (`GET …/upload`): its offset, or the status when none.
fn standing(addr: SocketAddr, who: &SigningPrivateKey, hash: &str) -> Result<u64, u16> {
    let path = upload_path(hash);
    let (status, body) = request(
        addr,
        "GET",
        &path,
        &signed(who, "GET", &path, semres::smer_hash(b"")),
        b"",
    )
    .unwrap();
    let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    match status {
        200 => Ok(v["offset"].as_u64().unwrap()),
        s => Err(s),
    }
}

fn get(
    addr: SocketAddr,
    who: &SigningPrivateKey,
    hash: &str,
    extra: &[(&str, &str)],
) -> (u16, Vec<u8>) {
    let path = format!("/api/v1/smers/{hash}");
    let mut headers = signed(who, "GET", &path, semres::smer_hash(b""));
    headers.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    request(addr, "GET", &path, &headers, b"").unwrap()
}

#[test]
fn a_streamed_smer_uploaded_in_parts_resumes_and_is_served_by_ranges() {
    let (addr, dir) = support::start_server("resumable-http");
    let mut rng = ChaCha20Rng::seed_from_u64(16);
    let authority = SigningPrivateKey::from_pem(
        &std::fs::read_to_string(dir.join("authority.key.pem")).unwrap(),
        None,
    )
    .unwrap();
    let (david, lawson) = (person(&mut rng), person(&mut rng));
    assert_eq!(
        submit(addr, &register(&david, Role::Patient, &mut rng)).0,
        201
    );
    let admitted = register(&lawson, Role::Clinician, &mut rng)
        .sign(&authority)
        .unwrap();
    assert_eq!(submit(addr, &admitted).0, 201);

    let (record, smer) = streamed(&david, &[&david, &lawson], 3 * 1024 * KIB + 1234, 1);
    let hash = semres::dery::smer_hash_hex(&smer);
    let cut = 1024 * KIB;
    let parts: Vec<&[u8]> = smer.chunks(cut).collect();
    assert!(parts.len() >= 4);
    assert_eq!(standing(addr, &david.signing, &hash), Err(404));

    // The first part.
    let (status, v, _) = part(addr, &david.signing, &hash, 0, parts[0], false);
    assert_eq!(
        (status, v["offset"].as_u64()),
        (200, Some(cut as u64)),
        "{v}"
    );
    // Sent again (a client that did not see the answer), and at an offset past the end:
    // refused, the upload stays where it was.
    let (status, _, code) = part(addr, &david.signing, &hash, 0, parts[0], false);
    assert_eq!((status, code.as_str()), (409, "UploadConflict"));
    let (status, _, code) = part(addr, &david.signing, &hash, 2 * cut, parts[2], false);
    assert_eq!((status, code.as_str()), (409, "UploadConflict"));
    // A part whose signature covers other bytes.
    let path = upload_path(&hash);
    let mut headers = signed(&david.signing, "PATCH", &path, semres::smer_hash(parts[2]));
    headers.push(("Upload-Offset".into(), cut.to_string()));
    let (status, body) = request(addr, "PATCH", &path, &headers, parts[1]).unwrap();
    assert_eq!((status, error_code(&body).as_str()), (401, "BadSignature"));
    // The connection drops half-way through the second part (the upload is at 40 %).
    let mut headers = signed(&david.signing, "PATCH", &path, semres::smer_hash(parts[1]));
    headers.push(("Upload-Offset".into(), cut.to_string()));
    let half = parts[1].len() / 2;
    let (status, _) = request_streamed(
        addr,
        "PATCH",
        &path,
        &headers,
        parts[1].len() as u64,
        |s: &mut TcpStream| {
            s.write_all(&parts[1][..half])?;
            s.shutdown(Shutdown::Write)
        },
    )
    .unwrap_or((0, Vec::new()));
    assert_ne!(status / 100, 2, "an interrupted part is not acknowledged");
    // Another participant's upload of the same hash is their own: none in progress.
    assert_eq!(standing(addr, &lawson.signing, &hash), Err(404));
    // David asks where it stands and goes on from there.
    let mut at = standing(addr, &david.signing, &hash).unwrap() as usize;
    assert_eq!(at, cut);
    while at < smer.len() {
        let end = (at + cut).min(smer.len());
        let last = end == smer.len();
        let (status, v, _) = part(addr, &david.signing, &hash, at, &smer[at..end], last);
        if last {
            assert_eq!(status, 201, "{v}");
            assert_eq!(
                (v["stored"].as_bool(), v["complete"].as_bool()),
                (Some(true), Some(true))
            );
        } else {
            assert_eq!(status, 200, "{v}");
        }
        at = v["offset"].as_u64().unwrap() as usize;
        assert_eq!(at, end);
    }
    // Stored under its hash, and nothing left in progress (the status says stored).
    let stored = dir.join("smers").join(&hash[..2]).join(&hash);
    assert_eq!(
        semres::dery::smer_hash_hex(&std::fs::read(&stored).unwrap()),
        hash
    );
    assert_eq!(standing(addr, &david.signing, &hash), Ok(smer.len() as u64));
    let partial = std::fs::read_dir(dir.join("smers").join("partial"))
        .unwrap()
        .count();
    assert_eq!(partial, 0);

    // Granted to Lawson, who downloads it whole and opens it.
    let grant = EntryBody::Grant {
        smer_hash: semres::smer_hash(&smer),
        data_index: format!("dery:sha256:{hash}"),
        recipient: lawson.signing.key_id().into(),
        expires: None,
    };
    let (status, v) = submit(addr, &entry(&david.signing, grant, &mut rng));
    assert_eq!(status, 201, "{v}");
    let (status, got) = get(addr, &lawson.signing, &hash, &[]);
    assert_eq!(status, 200);
    assert_eq!(got, smer);
    let (_, opened) = open_streamed(
        &got,
        &lawson.encryption,
        &mut rng,
        &Limits::default(),
        DEFAULT_MAX_STREAMED_RECORD_BYTES,
    )
    .unwrap();
    assert_eq!(opened.as_slice(), record.as_slice());

    // Ranges: a middle, a suffix, an open end; past the end is 416; an If-Range naming
    // another object gets the whole.
    let n = smer.len();
    let etag = format!("\"{hash}\"");
    for (range, want) in [
        ("bytes=1000-1999".to_owned(), &smer[1000..2000]),
        ("bytes=-100".to_owned(), &smer[n - 100..]),
        (format!("bytes={}-", n - 5), &smer[n - 5..]),
        (
            format!("bytes={}-{}", cut, 2 * cut - 1),
            &smer[cut..2 * cut],
        ),
    ] {
        let (status, body) = get(addr, &lawson.signing, &hash, &[("Range", &range)]);
        assert_eq!(status, 206, "{range}");
        assert!(body == want, "{range}: {} bytes", body.len());
        let (status, body) = get(
            addr,
            &lawson.signing,
            &hash,
            &[("Range", &range), ("If-Range", &etag)],
        );
        assert_eq!((status, body.len()), (206, want.len()), "{range} If-Range");
    }
    let (status, _) = get(
        addr,
        &lawson.signing,
        &hash,
        &[("Range", &format!("bytes={n}-"))],
    );
    assert_eq!(status, 416);
    let (status, body) = get(
        addr,
        &lawson.signing,
        &hash,
        &[("Range", "bytes=0-9"), ("If-Range", "\"other\"")],
    );
    assert_eq!((status, body.len()), (200, n));

    // A whole streamed SMeR by PUT is stored too.
    let (_, small) = streamed(&david, &[&lawson], 100 * KIB, 2);
    let small_hash = semres::dery::smer_hash_hex(&small);
    let put_path = format!("/api/v1/smers/{small_hash}");
    let headers = signed(&david.signing, "PUT", &put_path, semres::smer_hash(&small));
    assert_eq!(
        request(addr, "PUT", &put_path, &headers, &small).unwrap().0,
        201
    );

    // A completed upload that is not the hash it was sent under: refused, and gone.
    let (_, other) = streamed(&david, &[&lawson], 10 * KIB, 3);
    let wrong = semres::hex::encode(&[9; 32]);
    let (status, _, code) = part(addr, &david.signing, &wrong, 0, &other, true);
    assert_eq!((status, code.as_str()), (400, "HashMismatch"));
    assert_eq!(standing(addr, &david.signing, &wrong), Err(404));
    // Not a SMeR: refused at the part that shows it.
    let (status, _, code) = part(addr, &david.signing, &wrong, 0, b"SMeRX junk", false);
    assert_eq!((status, code.as_str()), (400, "MalformedSmer"));
    assert_eq!(standing(addr, &david.signing, &wrong), Err(404));
    // Abandoned by its uploader.
    let (status, _, _) = part(addr, &david.signing, &wrong, 0, &other[..100], false);
    assert_eq!(status, 200);
    let path = upload_path(&wrong);
    let headers = signed(&david.signing, "DELETE", &path, semres::smer_hash(b""));
    let (status, body) = request(addr, "DELETE", &path, &headers, b"").unwrap();
    assert_eq!(status, 200);
    assert_eq!(
        serde_json::from_slice::<Value>(&body).unwrap()["abandoned"],
        true
    );
    assert_eq!(standing(addr, &david.signing, &wrong), Err(404));
    // A part over the part limit is refused on its declared length.
    let headers = {
        let mut h = signed(&david.signing, "PATCH", &path, [0; 32]);
        h.push(("Upload-Offset".into(), "0".into()));
        h
    };
    let (status, body) =
        request_streamed(addr, "PATCH", &path, &headers, 17 << 20, |_| Ok(())).unwrap();
    assert_eq!((status, error_code(&body).as_str()), (413, "TooLarge"));
}

#[test]
fn a_resumable_upload_survives_a_restart() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("resumable-restart");
    let _ = std::fs::remove_dir_all(&dir);
    let mut rng = ChaCha20Rng::seed_from_u64(17);
    let david = person(&mut rng);
    let (_, smer) = streamed(&david, &[&david], 300 * KIB, 4);
    let hash = semres::smer_hash(&smer);
    let who = david.signing.key_id();
    let max = semres_node::dery::DEFAULT_MAX_STREAMED_SMER_BYTES;
    let first = 120 * KIB;
    {
        let node = Node::open(&dir, None).unwrap();
        let dery = node.dery();
        let mut upload = dery.resume(who, &hash, 0, max, now()).unwrap();
        upload.write_part(&smer[..first]).unwrap();
        dery.park(who, &hash, upload, now());
        // Busy while a part is arriving; the offset is where it stands.
        let upload = dery.resume(who, &hash, first as u64, max, now()).unwrap();
        assert!(matches!(
            dery.resume(who, &hash, first as u64, max, now()),
            Err(semres_node::dery::PartError::Busy)
        ));
        dery.park(who, &hash, upload, now());
        assert_eq!(dery.partial_offset(who, &hash).unwrap(), Some(first as u64));
    } // the node stops
    let node = Node::open(&dir, None).unwrap();
    let dery = node.dery();
    assert_eq!(dery.partial_offset(who, &hash).unwrap(), Some(first as u64));
    assert!(matches!(
        dery.resume(who, &hash, 0, max, now()),
        Err(semres_node::dery::PartError::Offset(o)) if o == first as u64
    ));
    let mut upload = dery.resume(who, &hash, first as u64, max, now()).unwrap();
    upload.write_part(&smer[first..]).unwrap();
    upload.discard_on_drop();
    dery.release(who, &hash);
    let checked = upload.finish(&hash).unwrap();
    assert!(dery.commit(checked, who, now()).unwrap());
    assert_eq!(dery.get(&hash).unwrap(), smer);
    assert_eq!(dery.partial_offset(who, &hash).unwrap(), None);
    // An upload left idle past the grace period is expired.
    let mut upload = dery.resume(who, &[5; 32], 0, max, 100).unwrap();
    upload.write_part(&smer[..10]).unwrap();
    dery.park(who, &[5; 32], upload, 100);
    assert_eq!(dery.partial_usage(who).unwrap(), 10);
    assert_eq!(dery.expire_partials(101).unwrap(), 1);
    assert_eq!(dery.partial_offset(who, &[5; 32]).unwrap(), None);
    assert_eq!(dery.partial_usage(who).unwrap(), 0);
}
