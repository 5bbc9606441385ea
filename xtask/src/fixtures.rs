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

/// A SMeR-shaped document of any size for load tests, written as it is sent: the JSON of a
/// real SMeR (sealed to test RSA keys, [`rsa_key`]) whose ciphertext is replaced by a
/// repeated pattern. Every structural check a repository makes passes; only its recipient could
/// tell (its tag no longer authenticates the ciphertext).
pub struct SyntheticSmer {
    head: Vec<u8>,
    unit: Vec<u8>,
    units: u64,
    tail: Vec<u8>,
    hash: [u8; 32],
}

/// Base64url characters of the repeated ciphertext pattern (48 bytes: a multiple of the
/// AES block and of base64's 3-byte groups).
const UNIT_CHARS: u64 = 64;

impl SyntheticSmer {
    /// A document of about `bytes` bytes (the ciphertext rounded to 48-byte units), for
    /// `owner` (a key id) and tagged `seed` (different seeds give different hashes), sealed
    /// to the base test RSA key.
    pub fn new(owner: &str, bytes: u64, seed: u64) -> Result<SyntheticSmer, String> {
        Self::sealed_to(owner, &[0], bytes, seed)
    }

    /// [`SyntheticSmer::new`] sealed to the `rsa`-th test RSA keys ([`rsa_key`]).
    pub fn sealed_to(
        owner: &str,
        rsa: &[u64],
        bytes: u64,
        seed: u64,
    ) -> Result<SyntheticSmer, String> {
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let options = SealOptions::new("application/octet-stream", owner, 1_795_000_000);
        let keys = rsa
            .iter()
            .map(|&i| semres::EncryptionPublicKey::from_spki_der(&rsa_key(i)?).map_err(crate::err))
            .collect::<Result<Vec<_>, String>>()?;
        let smer = semres::smer::seal(
            &mut rng,
            &seed.to_be_bytes(),
            &keys.iter().collect::<Vec<_>>(),
            &options,
            &Limits::default(),
        )
        .map_err(crate::err)?;
        let text = String::from_utf8(smer).map_err(crate::err)?;
        let key = "\"ciphertext\":\"";
        let start = text.find(key).ok_or("no ciphertext member")? + key.len();
        let end = start + text[start..].find('"').ok_or("no end of ciphertext")?;
        let mut pattern = [0u8; 48];
        for (i, b) in (0u8..).zip(pattern.iter_mut()) {
            *b = i.wrapping_mul(37) ^ seed.to_be_bytes()[usize::from(i % 8)];
        }
        let unit = semres::b64::encode(&pattern).into_bytes();
        let overhead = u64::try_from(text.len() - (end - start)).map_err(crate::err)?;
        let units = (bytes.saturating_sub(overhead) / UNIT_CHARS).max(1);
        let mut synthetic = SyntheticSmer {
            head: text.as_bytes()[..start].to_vec(),
            unit,
            units,
            tail: text.as_bytes()[end..].to_vec(),
            hash: [0; 32],
        };
        let mut hasher = semres::dery::SmerHasher::new();
        synthetic
            .write_to(&mut HashWriter(&mut hasher))
            .map_err(crate::err)?;
        synthetic.hash = hasher.finish();
        Ok(synthetic)
    }

    /// Its length in bytes.
    pub fn len(&self) -> u64 {
        let fixed = self.head.len() + self.tail.len();
        u64::try_from(fixed).unwrap_or(u64::MAX) + self.units * UNIT_CHARS
    }

    /// Always false: a SMeR has a header.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Its SHA-256 (its DERy hash).
    pub fn hash(&self) -> [u8; 32] {
        self.hash
    }

    /// Writes it, in pieces of about 1 MiB.
    pub fn write_to(&self, w: &mut impl std::io::Write) -> std::io::Result<()> {
        const PER_PIECE: u64 = 16 * 1024;
        let piece = self.unit.repeat(16 * 1024);
        w.write_all(&self.head)?;
        let mut left = self.units;
        while left > 0 {
            let n = left.min(PER_PIECE);
            let chars = usize::try_from(n * UNIT_CHARS).unwrap_or(piece.len());
            w.write_all(&piece[..chars])?;
            left -= n;
        }
        w.write_all(&self.tail)
    }
}

struct HashWriter<'a>(&'a mut semres::dery::SmerHasher);

impl std::io::Write for HashWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A Register entry of `key` as `role`, with the `rsa`-th test RSA key ([`rsa_key`]), dated
/// now; co-signed by `authority` when given (clinicians and authorities need it).
pub fn register_entry(
    key: &SigningPrivateKey,
    role: Role,
    rsa: u64,
    authority: Option<&SigningPrivateKey>,
) -> Result<Entry, String> {
    let body = EntryBody::Register {
        role,
        signing_key: key.public_key().to_bytes(),
        encryption_key: rsa_key(rsa)?,
    };
    let entry = entry(key, body)?;
    match authority {
        Some(a) => entry.sign(a).map_err(crate::err),
        None => Ok(entry),
    }
}

/// An entry by `key` dated now, with a fresh nonce.
pub fn entry(key: &SigningPrivateKey, body: EntryBody) -> Result<Entry, String> {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut nonce = [0u8; 16];
    nonce[..4].copy_from_slice(&std::process::id().to_be_bytes());
    nonce[4..12].copy_from_slice(&COUNTER.fetch_add(1, Ordering::Relaxed).to_be_bytes());
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    nonce[12..].copy_from_slice(&nanos.to_be_bytes());
    Entry::signed(key, semres_node::clock::now(), nonce, body).map_err(crate::err)
}

/// A grant by `owner` of the SMeR `smer_hash` to the participant whose encryption key id is
/// `recipient`, without expiry (an [`entry`] dated now).
pub fn grant_entry(
    owner: &SigningPrivateKey,
    smer_hash: [u8; 32],
    recipient: &str,
) -> Result<Entry, String> {
    entry(
        owner,
        EntryBody::Grant {
            smer_hash,
            data_index: semres::dery::data_index(&smer_hash),
            recipient: recipient.into(),
            expires: None,
        },
    )
}

/// The `i`-th test signing key (seeded).
pub fn signing_key(i: u64) -> SigningPrivateKey {
    let mut rng = ChaCha20Rng::seed_from_u64(0x5e3_0000 + i);
    loop {
        if let Ok(key) = SigningPrivateKey::generate(&mut rng) {
            return key;
        }
    }
}

/// The authority key of an in-process node's data directory.
pub fn authority_key(dir: &Path) -> Result<SigningPrivateKey, String> {
    let text = std::fs::read_to_string(dir.join("authority.key.pem")).map_err(crate::err)?;
    SigningPrivateKey::from_pem(&text, None).map_err(crate::err)
}

/// A streamed-SMeR-shaped object of any size for load tests (SPEC §7): a real head (sealed
/// to the `rsa`-th test RSA keys, [`rsa_key`]) followed by records of a repeated pattern,
/// laid out as whole `rs`-byte records and a last one of 4096 bytes. Every check a
/// repository makes passes; only a recipient could tell (no record authenticates).
pub struct SyntheticStreamedSmer {
    head: Vec<u8>,
    pattern: Vec<u8>,
    len: u64,
    hash: [u8; 32],
}

impl SyntheticStreamedSmer {
    /// About `bytes` bytes, for `owner` (a key id), tagged `seed`.
    pub fn new(owner: &str, rsa: &[u64], bytes: u64, seed: u64) -> Result<Self, String> {
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let options = SealOptions::new("application/dicom", owner, 1_795_000_000);
        let keys = rsa
            .iter()
            .map(|&i| semres::EncryptionPublicKey::from_spki_der(&rsa_key(i)?).map_err(crate::err))
            .collect::<Result<Vec<_>, String>>()?;
        let rs = semres::smer::ece::DEFAULT_RECORD_SIZE;
        let mut plan = semres::smer::streamed::StreamSealPlan::new(
            &mut rng,
            &keys.iter().collect::<Vec<_>>(),
            &options,
            &Limits::default(),
            rs,
        )
        .map_err(crate::err)?;
        plan.wrap_all(&mut rng).map_err(crate::err)?;
        let (head, _) = plan.start().map_err(crate::err)?;
        let head_len = u64::try_from(head.len()).map_err(crate::err)?;
        let records = bytes.saturating_sub(head_len) / u64::from(rs) * u64::from(rs) + 4096;
        // A pattern whose length is not a divisor of rs: records differ from one another.
        let mut pattern = vec![0u8; 1 << 20 | 17];
        for (i, b) in (0u64..).zip(pattern.iter_mut()) {
            *b = ((i.wrapping_mul(2_654_435_761) >> 11) ^ seed) as u8;
        }
        let mut synthetic = SyntheticStreamedSmer {
            head,
            pattern,
            len: head_len + records,
            hash: [0; 32],
        };
        let mut hasher = semres::dery::SmerHasher::new();
        synthetic
            .write_to(&mut HashWriter(&mut hasher))
            .map_err(crate::err)?;
        synthetic.hash = hasher.finish();
        Ok(synthetic)
    }

    /// Its length in bytes.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Always false.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Its SHA-256 (its DERy hash).
    pub fn hash(&self) -> [u8; 32] {
        self.hash
    }

    /// Bytes `at..at + out.len()` of it (past the end: left as they are).
    pub fn read_at(&self, at: u64, out: &mut [u8]) {
        let head = self.head.len() as u64;
        let mut pos = at;
        let mut done = 0;
        while done < out.len() && pos < self.len {
            let n = if pos < head {
                let from = &self.head[pos as usize..];
                let n = from.len().min(out.len() - done);
                out[done..done + n].copy_from_slice(&from[..n]);
                n
            } else {
                let off = ((pos - head) % self.pattern.len() as u64) as usize;
                let left = (self.len - pos) as usize;
                let n = (self.pattern.len() - off).min(out.len() - done).min(left);
                out[done..done + n].copy_from_slice(&self.pattern[off..off + n]);
                n
            };
            done += n;
            pos += n as u64;
        }
    }

    /// Writes it, in pieces of 1 MiB.
    pub fn write_to(&self, w: &mut impl std::io::Write) -> std::io::Result<()> {
        let mut buf = vec![0u8; 1 << 20];
        let mut at = 0;
        while at < self.len {
            let n = (self.len - at).min(buf.len() as u64) as usize;
            self.read_at(at, &mut buf[..n]);
            w.write_all(&buf[..n])?;
            at += n as u64;
        }
        Ok(())
    }
}
