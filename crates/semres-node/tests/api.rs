//! The ledger API over real HTTP on 127.0.0.1 (server started by the test): entries are
//! verified and sealed, responses carry proofs that verify against the signed checkpoint;
//! bad requests get a clear 4xx `{code, message}` and the server keeps running; concurrent
//! clients get contiguous block numbers and a chain that verifies.

use std::net::SocketAddr;
use std::path::PathBuf;

use base64ct::{Base64, Encoding};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use semres::b64;
use semres::identity::signing::{SigningPrivateKey, SigningPublicKey};
use semres::ledger::checkpoint::Checkpoint;
use semres::ledger::entry::{Entry, EntryBody, Role};
use semres::ledger::merkle::{leaf_hash, verify_inclusion, Hash};
use semres::ledger::Block;
use semres_node::node::verify_data_dir;
use serde_json::Value;

mod support;

struct Server {
    addr: SocketAddr,
    dir: PathBuf,
}

fn start(name: &str) -> Server {
    let (addr, dir) = support::start_server(&format!("api-{name}"));
    Server { addr, dir }
}

/// One JSON request to the server; returns (status, body).
fn http(addr: SocketAddr, method: &str, path: &str, body: &[u8]) -> (u16, Vec<u8>) {
    support::http(
        addr,
        method,
        path,
        &[("Content-Type".into(), "application/json".into())],
        body,
    )
}

fn json_of(body: &[u8]) -> Value {
    serde_json::from_slice(body)
        .unwrap_or_else(|_| panic!("not JSON: {}", String::from_utf8_lossy(body)))
}

fn submit(addr: SocketAddr, entry: &Entry) -> (u16, Value) {
    let (status, body) = xtask::http::post_entry(addr, &b64::encode(&entry.to_bytes())).unwrap();
    (status, json_of(&body))
}

fn authority(addr: SocketAddr) -> SigningPublicKey {
    let (status, body) = http(addr, "GET", "/api/v1/authorities", b"");
    assert_eq!(status, 200);
    let v = json_of(&body);
    SigningPublicKey::from_bytes(
        &b64::decode(v["authorities"][0]["publicKey"].as_str().unwrap()).unwrap(),
    )
    .unwrap()
}

fn register(key: &SigningPrivateKey, n: u64) -> Entry {
    let mut nonce = [0u8; 16];
    nonce[..8].copy_from_slice(&n.to_be_bytes());
    let body = EntryBody::Register {
        role: Role::Patient,
        signing_key: key.public_key().to_bytes(),
        // One RSA key of their own per participant (SPEC §4.2).
        encryption_key: xtask::fixtures::rsa_key(n).unwrap(),
    };
    Entry::signed(key, semres_node::clock::now(), nonce, body).unwrap()
}

#[test]
fn an_entry_is_sealed_and_its_proof_verifies_against_the_signed_checkpoint() {
    let server = start("seal");
    let addr = server.addr;
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let david = SigningPrivateKey::generate(&mut rng).unwrap();
    let lawson = SigningPrivateKey::generate(&mut rng).unwrap();
    let (status, v) = submit(addr, &register(&david, 1));
    assert_eq!(status, 201, "{v}");
    assert_eq!(v["blockNumber"], 1);
    submit(addr, &register(&lawson, 2));
    let smer = semres::smer_hash(b"a SMeR");
    let grant = Entry::signed(
        &david,
        semres_node::clock::now(),
        [9; 16],
        EntryBody::Grant {
            smer_hash: smer,
            data_index: "dery:x".into(),
            recipient: lawson.key_id().into(),
            expires: None,
        },
    )
    .unwrap();
    let (status, v) = submit(addr, &grant);
    assert_eq!(status, 201, "{v}");

    // The client's checks: checkpoint signed by the authority, block in the log, entry hash.
    let checkpoint =
        Checkpoint::verify(v["checkpoint"].as_str().unwrap(), &[authority(addr)]).unwrap();
    let block = Block::from_bytes(&b64::decode(v["block"].as_str().unwrap()).unwrap()).unwrap();
    assert_eq!(semres::hex::encode(&block.hash()), v["blockHash"]);
    assert_eq!(block.entry, grant);
    let proof: Vec<Hash> = v["inclusionProof"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            Base64::decode_vec(h.as_str().unwrap())
                .unwrap()
                .try_into()
                .unwrap()
        })
        .collect();
    verify_inclusion(
        &leaf_hash(&block.hash()),
        block.number,
        checkpoint.size,
        &proof,
        &checkpoint.root,
    )
    .unwrap();

    // Reads: blocks, one block, proofs, participants.
    let (status, body) = http(addr, "GET", "/api/v1/blocks?from=0&count=10", b"");
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let blocks: Vec<Block> = json_of(&body)["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| Block::from_bytes(&b64::decode(b.as_str().unwrap()).unwrap()).unwrap())
        .collect();
    assert_eq!(blocks.len(), 4);
    semres::ledger::verify_chain(&blocks).unwrap();
    let (status, body) = http(addr, "GET", "/api/v1/blocks/3", b"");
    assert_eq!((status, json_of(&body)["number"].as_u64()), (200, Some(3)));
    let (status, body) = http(addr, "GET", "/api/v1/proofs/consistency?size1=2", b"");
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let (status, body) = http(
        addr,
        "GET",
        &format!("/api/v1/participants/{}", lawson.key_id()),
        b"",
    );
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    assert_eq!(json_of(&body)["role"], "patient");

    // A rule violation is refused with its code and nothing is sealed.
    let (status, v) = submit(addr, &grant);
    assert_eq!((status, v["code"].as_str()), (409, Some("Duplicate")));
    let mallory = SigningPrivateKey::generate(&mut rng).unwrap();
    submit(addr, &register(&mallory, 3));
    let stolen = Entry::signed(
        &mallory,
        semres_node::clock::now(),
        [8; 16],
        EntryBody::Grant {
            smer_hash: smer,
            data_index: "d".into(),
            recipient: mallory.key_id().into(),
            expires: None,
        },
    )
    .unwrap();
    let (status, v) = submit(addr, &stolen);
    assert_eq!((status, v["code"].as_str()), (403, Some("NotAuthorized")));
    let (_, body) = http(addr, "GET", "/api/v1/checkpoint", b"");
    let cp = Checkpoint::verify(std::str::from_utf8(&body).unwrap(), &[authority(addr)]).unwrap();
    assert_eq!(cp.size, 5);
    verify_data_dir(&server.dir).unwrap();
}

#[test]
fn hostile_requests_get_a_clear_4xx_and_the_server_keeps_running() {
    let server = start("hostile");
    let addr = server.addr;
    let cases: Vec<(&str, &str, Vec<u8>, u16)> = vec![
        ("POST", "/api/v1/entries", b"{not json".to_vec(), 400),
        (
            "POST",
            "/api/v1/entries",
            b"{\"entry\":\"!!!\"}".to_vec(),
            400,
        ),
        (
            "POST",
            "/api/v1/entries",
            b"{\"entry\":\"AAAA\"}".to_vec(),
            400,
        ),
        (
            "POST",
            "/api/v1/entries",
            b"{\"entry\":\"AQ\",\"x\":1}".to_vec(),
            400,
        ),
        ("POST", "/api/v1/entries", vec![b'a'; 200 * 1024], 413),
        ("GET", "/api/v1/blocks?from=0&count=1000000", vec![], 400),
        (
            "GET",
            "/api/v1/blocks?from=18446744073709551615&count=5",
            vec![],
            404,
        ),
        ("GET", "/api/v1/blocks?from=-1&count=5", vec![], 400),
        ("GET", "/api/v1/blocks/99999999999999999999999", vec![], 400),
        ("GET", "/api/v1/blocks/7", vec![], 404),
        (
            "GET",
            "/api/v1/proofs/inclusion?index=5&size=2",
            vec![],
            400,
        ),
        ("GET", "/api/v1/proofs/consistency?size1=0", vec![], 400),
        ("GET", "/api/v1/participants/nobody", vec![], 404),
        ("GET", "/api/v1/no-such-route", vec![], 404),
    ];
    for (method, path, body, want) in cases {
        let (status, response) = http(addr, method, path, &body);
        assert_eq!(
            status,
            want,
            "{method} {path}: {}",
            String::from_utf8_lossy(&response)
        );
        if path.starts_with("/api/")
            && status != 413
            && !path.contains("count=-")
            && !path.contains("from=-")
        {
            let v: Value = serde_json::from_slice(&response).unwrap_or(Value::Null);
            assert!(
                v["code"].is_string() || status == 400,
                "{path}: {}",
                String::from_utf8_lossy(&response)
            );
        }
    }
    // A garbage signature on a well-formed entry.
    let mut rng = ChaCha20Rng::seed_from_u64(2);
    let key = SigningPrivateKey::generate(&mut rng).unwrap();
    let mut entry = register(&key, 1);
    entry.signatures_mut()[0].signature[0] ^= 1;
    let (status, v) = submit(addr, &entry);
    assert_eq!((status, v["code"].as_str()), (403, Some("BadSignature")));
    let (status, _) = http(addr, "GET", "/api/v1/checkpoint", b"");
    assert_eq!(status, 200, "still serving");
    verify_data_dir(&server.dir).unwrap();
}

#[test]
fn concurrent_clients_get_contiguous_blocks_and_a_chain_that_verifies() {
    let server = start("concurrent");
    let addr = server.addr;
    let clients = 16;
    let per_client = 200;
    let handles: Vec<_> = (0..clients)
        .map(|c| {
            std::thread::spawn(move || {
                let mut rng = ChaCha20Rng::seed_from_u64(1000 + c);
                let mut numbers = Vec::new();
                for i in 0..per_client {
                    let key = SigningPrivateKey::generate(&mut rng).unwrap();
                    let (status, v) = submit(addr, &register(&key, c * 10_000 + i));
                    assert_eq!(status, 201, "{v}");
                    numbers.push(v["blockNumber"].as_u64().unwrap());
                }
                numbers
            })
        })
        .collect();
    let mut all: Vec<u64> = handles
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();
    all.sort_unstable();
    let expected: Vec<u64> = (1..=(clients * per_client)).collect();
    assert_eq!(all, expected, "every entry sealed once, numbers contiguous");
    assert_eq!(
        verify_data_dir(&server.dir).unwrap().0,
        clients * per_client + 1
    );
}
