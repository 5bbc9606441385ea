//! Test fixtures shared by the node's and the CLI's tests: a small ledger with two patients,
//! one stored SMeR and one grant, in a data directory.

use std::path::Path;

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use semres::identity::signing::SigningPrivateKey;
use semres::ledger::entry::{Entry, EntryBody, Role};
use semres::smer::{Limits, SealOptions};
use semres::EncryptionPrivateKey;
use semres_node::node::{Node, NodeError};

fn register(key: &SigningPrivateKey, n: u8, t: i64) -> Result<Entry, String> {
    let body = EntryBody::Register {
        role: Role::Patient,
        signing_key: key.public_key().to_bytes(),
        encryption_key: rsa_key(u64::from(n))?,
    };
    Entry::signed(key, t, [n; 16], body).map_err(crate::err)
}

/// Opens a node in `dir` (genesis on first start), registers two participants, stores one
/// SMeR-shaped document (idempotently) and appends one grant of it; a replay of the grant
/// is refused. Returns the ledger's size and the document's hash.
pub fn populate(dir: &Path) -> Result<(usize, [u8; 32]), String> {
    let e = |e: &dyn std::fmt::Display| e.to_string();
    let mut rng = ChaCha20Rng::seed_from_u64(3);
    let encryption = base_rsa_key();
    // Times near the clock's: the node's genesis is dated now, and an entry may not be
    // dated more than a day before the chain's head (SPEC §4.2).
    let t = semres_node::clock::now();
    let node = Node::open(dir, None).map_err(|x| e(&x))?;
    if node.view().state().size() != 1 {
        return Err("expected genesis only on first start".into());
    }
    let david = SigningPrivateKey::generate(&mut rng).map_err(|x| e(&x))?;
    let lawson = SigningPrivateKey::generate(&mut rng).map_err(|x| e(&x))?;
    node.append(register(&david, 1, t)?, t + 1)
        .map_err(|x| e(&x))?;
    node.append(register(&lawson, 2, t)?, t + 2)
        .map_err(|x| e(&x))?;
    let options = SealOptions::new("text/plain", david.key_id(), t);
    let smer = semres::smer::seal(
        &mut rng,
        b"synthetic record",
        &[encryption.public_key()],
        &options,
        &Limits::default(),
    )
    .map_err(|x| e(&x))?;
    let hash = semres::smer_hash(&smer);
    let put = |node: &Node| {
        node.dery()
            .put(&hash, &smer, david.key_id(), t + 3)
            .map_err(|x| format!("{x:?}"))
    };
    if !put(&node)? {
        return Err("a new SMeR was not stored".into());
    }
    if put(&node)? {
        return Err("storing is not idempotent by hash".into());
    }
    let grant = EntryBody::Grant {
        smer_hash: hash,
        data_index: "dery:sha256:x".into(),
        recipient: lawson.key_id().into(),
        expires: None,
    };
    node.append(
        Entry::signed(&david, t + 3, [3; 16], grant.clone()).map_err(|x| e(&x))?,
        t + 3,
    )
    .map_err(|x| e(&x))?;
    // A replay is refused and nothing is stored.
    match node.append(
        Entry::signed(&david, t + 3, [3; 16], grant).map_err(|x| e(&x))?,
        t + 4,
    ) {
        Err(NodeError::Refused(r)) if r.code() == "Duplicate" => {}
        other => return Err(format!("replay: {:?}", other.map(|b| b.number))),
    }
    let size = node.view().state().size();
    Ok((usize::try_from(size).map_err(|x| e(&x))?, hash))
}

/// Flips one byte near the end of stored block `number` (inside its entry's signatures), as
/// an attacker with the database file would.
pub fn tamper_block(dir: &Path, number: u64) -> Result<(), String> {
    let e = |x: rusqlite::Error| x.to_string();
    let conn = rusqlite::Connection::open(semres_node::node::database_path(dir)).map_err(e)?;
    let number = i64::try_from(number).map_err(|x| x.to_string())?;
    let mut bytes: Vec<u8> = conn
        .query_row(
            "SELECT bytes FROM blocks WHERE number = ?1",
            [number],
            |r| r.get(0),
        )
        .map_err(e)?;
    let at = bytes.len().saturating_sub(80);
    let byte = bytes.get_mut(at).ok_or("an empty block")?;
    *byte ^= 1;
    conn.execute(
        "UPDATE blocks SET bytes = ?1 WHERE number = ?2",
        rusqlite::params![bytes, number],
    )
    .map_err(e)?;
    Ok(())
}

/// Overwrites a stored SMeR's file with other bytes, as an attacker with the data directory
/// would.
pub fn corrupt_smer(dir: &Path, hash: &[u8; 32]) -> Result<(), String> {
    let name = semres::hex::encode(hash);
    let path = dir.join("smers").join(&name[..2]).join(name);
    std::fs::write(path, b"{}").map_err(|x| x.to_string())
}

/// The RSA key test participants share the modulus of (RSA-2048, seeded; made once).
pub fn base_rsa_key() -> &'static EncryptionPrivateKey {
    static KEY: std::sync::OnceLock<EncryptionPrivateKey> = std::sync::OnceLock::new();
    KEY.get_or_init(|| {
        let mut rng = ChaCha20Rng::seed_from_u64(3);
        loop {
            // Generation with a seeded generator does not fail; if it ever did, try again.
            if let Ok(key) = EncryptionPrivateKey::generate(&mut rng, 2048) {
                return key;
            }
        }
    })
}

/// The `i`-th distinct test RSA public key (SPKI DER): [`base_rsa_key`]'s modulus with the
/// `i`-th odd exponent from 65537 (`i` = 0 is the base key itself).
pub fn rsa_key(i: u64) -> Result<Vec<u8>, String> {
    let jwk: serde_json::Value =
        serde_json::from_str(&base_rsa_key().public_key().to_jwk()).map_err(crate::err)?;
    let e = (65_537 + 2 * i).to_be_bytes();
    let first = e.iter().position(|&b| b != 0).unwrap_or(0);
    let text =
        serde_json::json!({"kty": "RSA", "n": jwk["n"], "e": semres::b64::encode(&e[first..])});
    semres::EncryptionPublicKey::from_jwk(&text.to_string())
        .and_then(|k| k.to_spki_der())
        .map_err(crate::err)
}
