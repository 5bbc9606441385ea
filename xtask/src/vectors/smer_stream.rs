//! The seeded generator of the streamed-SMeR test vectors (SPEC.md §7.6): positive cases
//! (with the content key, so that an independent RFC 8188 implementation can open the
//! record layer) and negative ones, each with the error a reader MUST return and how much
//! plaintext it may release before it refuses.

use aes_gcm::aead::AeadInOut;
use aes_gcm::{Aes128Gcm, KeyInit};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use semres::dery::smer_hash_hex;
use semres::hex::encode as hex;
use semres::smer::ece::{self, RecordKeys, BODY_HEADER_LEN, SALT_LEN};
use semres::smer::streamed::{seal_streamed, StreamSealPlan, PREFIX_LEN};
use semres::smer::{Limits, SealOptions};
use semres::{b64, EncryptionPrivateKey, EncryptionPublicKey};
use serde_json::{json, Map, Value};

use crate::err;

/// Seed of the generator.
pub const SEED: [u8; 32] = *b"SEMRES streamed SMeR vectors 001";
const CREATED_AT: i64 = 1_795_564_800;
/// Small records, so that a few hundred bytes make several of them.
const RS: u32 = 64;
const CHUNK: usize = RS as usize - 17;

/// A synthetic, imaging-like record: a made-up header and a pixel ramp (no real person).
fn imaging_record(len: usize) -> Vec<u8> {
    let head = b"SYNTHETIC-DICOM-LIKE study=demo-0001 modality=XX rows=16 cols=16\n";
    head.iter()
        .copied()
        .chain((0u32..).map(|i| (i.wrapping_mul(37) % 251) as u8))
        .take(len)
        .collect()
}

struct Cases(Vec<Value>);

impl Cases {
    fn ok(
        &mut self,
        name: &str,
        description: &str,
        key: &str,
        smer: &[u8],
        record: &[u8],
        ikm: &[u8],
    ) {
        self.0.push(json!({
            "name": name, "description": description, "key": key, "smer_hex": hex(smer),
            "expect": "ok", "record_hex": hex(record), "smer_sha256": smer_hash_hex(smer),
            "content_key_hex": hex(ikm),
        }));
    }
    /// `may_release`: plaintext bytes of the intact records before the damage, the most a
    /// reader may have released when it refuses.
    fn fail(
        &mut self,
        name: &str,
        description: &str,
        key: &str,
        smer: &[u8],
        code: &str,
        may_release: usize,
    ) {
        self.0.push(json!({
            "name": name, "description": description, "key": key, "smer_hex": hex(smer),
            "expect": code, "may_release": may_release,
        }));
    }
}

/// A sealed streamed SMeR taken apart: the header JSON, the record size, the records, the
/// content key.
#[derive(Clone)]
struct Parts {
    /// The header as sealed, written again only when `header` no longer says the same.
    raw: Vec<u8>,
    header: Map<String, Value>,
    rs: u32,
    records: Vec<Vec<u8>>,
    ikm: Vec<u8>,
}

fn split(smer: &[u8], rs: u32, ikm: &[u8]) -> Result<Parts, String> {
    let len = u32::from_be_bytes(smer[6..10].try_into().map_err(err)?) as usize;
    let header = match serde_json::from_slice(&smer[PREFIX_LEN..PREFIX_LEN + len]).map_err(err)? {
        Value::Object(m) => m,
        _ => return Err("header is not an object".into()),
    };
    let records = smer[PREFIX_LEN + len + BODY_HEADER_LEN..]
        .chunks(rs as usize)
        .map(<[u8]>::to_vec)
        .collect();
    let raw = smer[PREFIX_LEN..PREFIX_LEN + len].to_vec();
    Ok(Parts {
        raw,
        header,
        rs,
        records,
        ikm: ikm.to_vec(),
    })
}

/// Writes the head for `header` (its salt computed as a writer would) and the records.
fn join_with_salt(
    header: &[u8],
    rs: u32,
    records: &[Vec<u8>],
    keep_salt: Option<[u8; SALT_LEN]>,
) -> Vec<u8> {
    let mut out = b"SMeRS\x01".to_vec();
    out.extend_from_slice(&(header.len() as u32).to_be_bytes());
    out.extend_from_slice(header);
    let salt = keep_salt.unwrap_or_else(|| salt_of(&out));
    out.extend_from_slice(&ece::body_header(&salt, rs));
    for r in records {
        out.extend_from_slice(r);
    }
    out
}

fn salt_of(before: &[u8]) -> [u8; SALT_LEN] {
    let digest = semres::smer_hash(before);
    let mut salt = [0u8; SALT_LEN];
    salt.copy_from_slice(&digest[..SALT_LEN]);
    salt
}

impl Parts {
    fn header_bytes(&self) -> Vec<u8> {
        let unchanged = serde_json::from_slice::<Value>(&self.raw)
            .is_ok_and(|v| v == Value::Object(self.header.clone()));
        if unchanged {
            self.raw.clone()
        } else {
            Value::Object(self.header.clone()).to_string().into_bytes()
        }
    }
    fn salt(&self) -> [u8; SALT_LEN] {
        let mut head = b"SMeRS\x01".to_vec();
        let header = self.header_bytes();
        head.extend_from_slice(&(header.len() as u32).to_be_bytes());
        head.extend_from_slice(&header);
        salt_of(&head)
    }
    fn bytes(&self) -> Vec<u8> {
        join_with_salt(&self.header_bytes(), self.rs, &self.records, None)
    }
    /// The records replaced, the head as sealed.
    fn with_records(&self, records: Vec<Vec<u8>>) -> Vec<u8> {
        join_with_salt(&self.header_bytes(), self.rs, &records, None)
    }
    /// Record `seq` written by hand: `plain` then `delimiter` and `pad` zero bytes.
    fn record(&self, seq: u64, plain: &[u8], delimiter: u8, pad: usize) -> Result<Vec<u8>, String> {
        let keys = RecordKeys::derive(&self.ikm, &self.salt());
        let mut buf = plain.to_vec();
        buf.push(delimiter);
        buf.extend(std::iter::repeat_n(0u8, pad));
        let cipher = Aes128Gcm::new(&(*keys.content_key()).into());
        let tag = cipher
            .encrypt_inout_detached(&keys.nonce(seq).into(), &[], (&mut buf[..]).into())
            .map_err(err)?;
        buf.extend_from_slice(&tag);
        Ok(buf)
    }
    /// The protected header as a map.
    fn protected(&self) -> Result<Map<String, Value>, String> {
        let text = self.header["protected"].as_str().ok_or("no protected")?;
        match serde_json::from_slice(&b64::decode(text).ok_or("protected not base64url")?)
            .map_err(err)?
        {
            Value::Object(m) => Ok(m),
            _ => Err("protected is not an object".into()),
        }
    }
    fn with_protected(&self, protected: &Map<String, Value>) -> Parts {
        let mut p = self.clone();
        let text = Value::Object(protected.clone()).to_string();
        p.header
            .insert("protected".into(), b64::encode(text.as_bytes()).into());
        p
    }
}

fn options(owner: &EncryptionPrivateKey) -> SealOptions {
    let mut o = SealOptions::new("application/dicom", owner.key_id(), CREATED_AT);
    o.file_name = Some("synthetic-study.dcm".into());
    o
}

fn seal(
    rng: &mut ChaCha20Rng,
    record: &[u8],
    to: &[&EncryptionPublicKey],
    owner: &EncryptionPrivateKey,
    rs: u32,
) -> Result<(Vec<u8>, Vec<u8>), String> {
    // The same steps as `seal_streamed`, keeping the content key for the vector.
    let mut plan =
        StreamSealPlan::new(rng, to, &options(owner), &Limits::default(), rs).map_err(err)?;
    plan.wrap_all(rng).map_err(err)?;
    let ikm = plan.content_key().to_vec();
    let (mut out, mut sealer) = plan.start().map_err(err)?;
    let mut chunks = record.chunks(sealer.chunk_len()).peekable();
    if record.is_empty() {
        sealer.seal(&[], true, &mut out).map_err(err)?;
    }
    while let Some(chunk) = chunks.next() {
        sealer
            .seal(chunk, chunks.peek().is_none(), &mut out)
            .map_err(err)?;
    }
    Ok((out, ikm))
}

/// Generates `smer/smer_stream_v1.json`.
pub fn generate_smer_stream() -> Result<String, String> {
    let mut rng = ChaCha20Rng::from_seed(SEED);
    let mut keys = Vec::new();
    for name in ["alice", "bob", "mallory"] {
        keys.push((
            name,
            EncryptionPrivateKey::generate(&mut rng, 2048).map_err(err)?,
        ));
    }
    let (alice, bob) = (&keys[0].1, &keys[1].1);
    let (a_pub, b_pub) = (alice.public_key(), bob.public_key());
    let mut c = Cases(Vec::new());

    // Positive.
    let record = imaging_record(300);
    let (base, ikm) = seal(&mut rng, &record, &[a_pub], alice, RS)?;
    c.ok("seven-records", "300 bytes in records of 64 (47 bytes of plaintext each): six full records and a short last one", "alice", &base, &record, &ikm);
    let (smer, k) = seal(&mut rng, &imaging_record(2 * CHUNK), &[a_pub], alice, RS)?;
    c.ok(
        "exact-multiple",
        "94 bytes: two full records, the second marked last",
        "alice",
        &smer,
        &imaging_record(2 * CHUNK),
        &k,
    );
    let (smer, k) = seal(&mut rng, &[], &[a_pub], alice, RS)?;
    c.ok(
        "empty-record",
        "no plaintext: one record holding only the last-record delimiter",
        "alice",
        &smer,
        &[],
        &k,
    );
    let one = imaging_record(1000);
    let (smer, k) = seal(&mut rng, &one, &[a_pub], alice, ece::DEFAULT_RECORD_SIZE)?;
    c.ok(
        "default-record-size",
        "1000 bytes in one record of the default size (65 536)",
        "alice",
        &smer,
        &one,
        &k,
    );
    let (two, k2) = seal(&mut rng, &record, &[a_pub, b_pub], alice, RS)?;
    c.ok(
        "two-recipients-alice",
        "sealed to alice and bob, opened by alice",
        "alice",
        &two,
        &record,
        &k2,
    );
    c.ok(
        "two-recipients-bob",
        "the same SMeR opened by bob",
        "bob",
        &two,
        &record,
        &k2,
    );
    let parts = split(&base, RS, &ikm)?;
    let padded_records = vec![
        parts.record(0, &record[..40], 1, 7)?,
        parts.record(1, &record[40..80], 1, 7)?,
        parts.record(2, &record[80..127], 1, 0)?,
        parts.record(3, &record[127..170], 1, 4)?,
        parts.record(4, &record[170..217], 1, 0)?,
        parts.record(5, &record[217..264], 1, 0)?,
        parts.record(6, &record[264..], 2, 5)?,
    ];
    c.ok("padded-records", "records written by another RFC 8188 writer with zero padding after the delimiter (allowed)", "alice", &parts.with_records(padded_records), &record, &ikm);

    // The record layer: every failure is DecryptionFailed, refused before the damaged
    // record's plaintext is released.
    let r = &parts.records;
    let n = r.len();
    let upto = |k: usize| CHUNK * k;
    c.fail(
        "truncated-last-record",
        "the last record removed",
        "alice",
        &parts.with_records(r[..n - 1].to_vec()),
        "DecryptionFailed",
        upto(n - 1),
    );
    let mut cut = parts.bytes();
    cut.truncate(cut.len() - 5);
    c.fail(
        "truncated-in-last-record",
        "five bytes cut from the end",
        "alice",
        &cut,
        "DecryptionFailed",
        upto(n - 1),
    );
    c.fail(
        "truncated-to-head",
        "no record at all",
        "alice",
        &parts.with_records(Vec::new()),
        "DecryptionFailed",
        0,
    );
    let mut swapped = r.clone();
    swapped.swap(1, 2);
    c.fail(
        "reordered",
        "records 1 and 2 swapped",
        "alice",
        &parts.with_records(swapped),
        "DecryptionFailed",
        upto(1),
    );
    let mut dup = r.clone();
    dup.insert(2, r[1].clone());
    c.fail(
        "duplicated",
        "record 1 repeated",
        "alice",
        &parts.with_records(dup),
        "DecryptionFailed",
        upto(2),
    );
    let mut dropped = r.clone();
    dropped.remove(3);
    c.fail(
        "dropped",
        "record 3 removed",
        "alice",
        &parts.with_records(dropped),
        "DecryptionFailed",
        upto(3),
    );
    let mut altered = r.clone();
    altered[3][10] ^= 0x01;
    c.fail(
        "altered-chunk",
        "one bit of record 3's ciphertext flipped",
        "alice",
        &parts.with_records(altered),
        "DecryptionFailed",
        upto(3),
    );
    let mut tag = r.clone();
    let last_byte = tag[0].len() - 1;
    tag[0][last_byte] ^= 0x80;
    c.fail(
        "altered-tag",
        "one bit of record 0's tag flipped",
        "alice",
        &parts.with_records(tag),
        "DecryptionFailed",
        0,
    );
    let mut extended = parts.bytes();
    extended.push(0);
    // The short last record is only known complete at the end, so its plaintext is held.
    c.fail(
        "extended",
        "one byte after the last record",
        "alice",
        &extended,
        "DecryptionFailed",
        upto(n - 1),
    );
    let mut again = r.clone();
    again.push(r[n - 1].clone());
    c.fail(
        "last-record-twice",
        "the last record repeated",
        "alice",
        &parts.with_records(again),
        "DecryptionFailed",
        upto(n - 1),
    );
    let mut no_final = r[..n - 1].to_vec();
    no_final.push(parts.record((n - 1) as u64, &record[upto(n - 1)..], 1, 0)?);
    c.fail(
        "wrong-final-marker",
        "the short last record carries delimiter 1 (not last)",
        "alice",
        &parts.with_records(no_final),
        "DecryptionFailed",
        upto(n - 1),
    );
    let mut early = r.clone();
    early[1] = parts.record(1, &record[CHUNK..2 * CHUNK], 2, 0)?;
    c.fail(
        "early-final-marker",
        "record 1 of 7 carries delimiter 2 (last) and more records follow",
        "alice",
        &parts.with_records(early),
        "DecryptionFailed",
        upto(2),
    );
    let mut three = r.clone();
    three[2] = parts.record(2, &record[2 * CHUNK..3 * CHUNK], 3, 0)?;
    c.fail(
        "unknown-delimiter",
        "record 2's delimiter is 3",
        "alice",
        &parts.with_records(three),
        "DecryptionFailed",
        upto(2),
    );
    let mut zeros = r.clone();
    zeros[2] = parts.record(2, &[0u8; CHUNK], 0, 0)?;
    c.fail(
        "no-delimiter",
        "record 2 is all zeros (no delimiter)",
        "alice",
        &parts.with_records(zeros),
        "DecryptionFailed",
        upto(2),
    );
    let mut short = r.clone();
    short[2] = parts.record(2, &record[2 * CHUNK..2 * CHUNK + 10], 1, 0)?;
    c.fail(
        "short-middle-record",
        "record 2 is shorter than rs but not last",
        "alice",
        &parts.with_records(short),
        "DecryptionFailed",
        upto(2),
    );

    // The head: refused before any key is used.
    let mut magic = parts.bytes();
    magic[0] = b'X';
    c.fail(
        "bad-magic",
        "the first byte changed",
        "alice",
        &magic,
        "MalformedSmer",
        0,
    );
    let mut version = parts.bytes();
    version[5] = 2;
    c.fail(
        "unknown-version",
        "container version 2",
        "alice",
        &version,
        "UnsupportedVersion",
        0,
    );
    let mut huge = parts.bytes();
    huge[6..10].copy_from_slice(&0x7fff_ffffu32.to_be_bytes());
    c.fail(
        "header-length-over-limit",
        "a header length over the outline limit",
        "alice",
        &huge,
        "TooLarge",
        0,
    );
    let mut zero = parts.bytes();
    zero[6..10].copy_from_slice(&0u32.to_be_bytes());
    c.fail(
        "header-length-zero",
        "an empty header",
        "alice",
        &zero,
        "MalformedSmer",
        0,
    );
    c.fail(
        "truncated-head",
        "cut inside the header",
        "alice",
        &parts.bytes()[..PREFIX_LEN + 20],
        "MalformedSmer",
        0,
    );
    let head_end =
        |b: &[u8]| PREFIX_LEN + u32::from_be_bytes(b[6..10].try_into().unwrap_or([0; 4])) as usize;
    let mut salt = parts.bytes();
    let at = head_end(&salt);
    salt[at] ^= 1;
    c.fail(
        "salt-altered",
        "the salt is not the hash of the head",
        "alice",
        &salt,
        "MalformedSmer",
        0,
    );
    let mut idlen = parts.bytes();
    idlen[at + 20] = 1;
    c.fail(
        "key-id-present",
        "idlen 1 (SEMRES writes no key id)",
        "alice",
        &idlen,
        "MalformedSmer",
        0,
    );
    let with_rs = |rs: u32| join_with_salt(&parts.header_bytes(), rs, &parts.records, None);
    c.fail(
        "record-size-17",
        "rs below 18",
        "alice",
        &with_rs(17),
        "MalformedSmer",
        0,
    );
    c.fail(
        "record-size-over-limit",
        "rs of 1 MiB + 1",
        "alice",
        &with_rs((1 << 20) + 1),
        "TooLarge",
        0,
    );
    c.fail(
        "record-size-changed",
        "rs 65 (the records were written for 64)",
        "alice",
        &with_rs(65),
        "DecryptionFailed",
        0,
    );

    let mut member = parts.clone();
    member.header.insert("iv".into(), "AAAA".into());
    c.fail(
        "unknown-header-member",
        "the header JSON has an iv member",
        "alice",
        &member.bytes(),
        "MalformedSmer",
        0,
    );
    let mut p = parts.protected()?;
    p.insert("enc".into(), "A256CBC-HS512".into());
    c.fail(
        "enc-not-aes128gcm",
        "enc A256CBC-HS512 (re-salted)",
        "alice",
        &parts.with_protected(&p).bytes(),
        "UnsupportedAlgorithm",
        0,
    );
    let mut p = parts.protected()?;
    p.insert("smer".into(), 2.into());
    c.fail(
        "smer-version-2",
        "smer: 2 in the protected header",
        "alice",
        &parts.with_protected(&p).bytes(),
        "UnsupportedVersion",
        0,
    );
    let mut p = parts.protected()?;
    p.remove("kc");
    c.fail(
        "no-key-commitment",
        "kc removed",
        "alice",
        &parts.with_protected(&p).bytes(),
        "MalformedSmer",
        0,
    );
    let mut p = parts.protected()?;
    p.insert("kc".into(), b64::encode(&[0u8; 32]).into());
    c.fail(
        "wrong-key-commitment",
        "kc replaced (re-salted): the content key does not match it",
        "alice",
        &parts.with_protected(&p).bytes(),
        "DecryptionFailed",
        0,
    );
    let mut p = parts.protected()?;
    p.insert("cty".into(), "text/plain".into());
    c.fail(
        "metadata-altered",
        "cty changed and the salt recomputed: the records no longer authenticate",
        "alice",
        &parts.with_protected(&p).bytes(),
        "DecryptionFailed",
        0,
    );
    let mut p = parts.protected()?;
    p.insert("cty".into(), "text/plain".into());
    let stale = parts.with_protected(&p);
    let stale_bytes = join_with_salt(
        &stale.header_bytes(),
        RS,
        &stale.records,
        Some(parts.salt()),
    );
    c.fail(
        "metadata-altered-salt-kept",
        "cty changed, the salt of the original header kept",
        "alice",
        &stale_bytes,
        "MalformedSmer",
        0,
    );
    let mut p = parts.protected()?;
    p.insert("zip".into(), "DEF".into());
    c.fail(
        "zip",
        "zip in the protected header",
        "alice",
        &parts.with_protected(&p).bytes(),
        "UnsupportedAlgorithm",
        0,
    );

    // Recipients.
    c.fail(
        "not-a-recipient",
        "opened with mallory's key",
        "mallory",
        &base,
        "NoMatchingRecipient",
        0,
    );
    let two_parts = split(&two, RS, &k2)?;
    let swap = |keep_salt: bool| -> Result<Vec<u8>, String> {
        let mut p = two_parts.clone();
        let list = p.header["recipients"].as_array_mut().ok_or("recipients")?;
        let first = list[0]["encrypted_key"].clone();
        list[0]["encrypted_key"] = list[1]["encrypted_key"].clone();
        list[1]["encrypted_key"] = first;
        let salt = keep_salt.then(|| two_parts.salt());
        Ok(join_with_salt(&p.header_bytes(), RS, &p.records, salt))
    };
    c.fail(
        "recipient-swapped",
        "alice's and bob's wrapped keys swapped, salt kept",
        "alice",
        &swap(true)?,
        "MalformedSmer",
        0,
    );
    c.fail("recipient-swapped-resalted", "alice's and bob's wrapped keys swapped, salt recomputed: alice's key does not unwrap bob's", "alice", &swap(false)?, "DecryptionFailed", 0);
    let other = split(&smer, ece::DEFAULT_RECORD_SIZE, &k)?;
    let mut foreign = parts.clone();
    foreign.header["recipients"][0]["encrypted_key"] =
        other.header["recipients"][0]["encrypted_key"].clone();
    c.fail("recipient-from-another-smer", "alice's wrapped key taken from another SMeR to her (re-salted): it unwraps, the key commitment refuses it", "alice", &foreign.bytes(), "DecryptionFailed", 0);
    let mut nokid = parts.clone();
    if let Some(h) = nokid.header["recipients"][0].as_object_mut() {
        h.remove("header");
    }
    c.fail(
        "recipient-without-kid",
        "a recipient without kid",
        "alice",
        &nokid.bytes(),
        "MalformedSmer",
        0,
    );

    // The limit on the record.
    c.fail(
        "record-over-limit",
        "300 bytes with a reader limit of 299",
        "alice",
        &base,
        "TooLarge",
        upto(n - 1),
    );
    if let Some(last) = c.0.last_mut() {
        last["max_record_bytes"] = 299.into();
    }

    let keys: Map<String, Value> = keys
        .iter()
        .map(|(name, key)| -> Result<(String, Value), String> {
            let pem = key.to_pkcs8_pem().map_err(err)?;
            Ok((
                (*name).to_owned(),
                json!({"key_id": key.key_id(), "private_pkcs8_pem": pem.as_str()}),
            ))
        })
        .collect::<Result<_, _>>()?;
    // A whole-buffer seal agrees with the chunked one on the format (checked by opening).
    let check = seal_streamed(
        &mut rng,
        &record,
        &[a_pub],
        &options(alice),
        &Limits::default(),
        RS,
    )
    .map_err(err)?;
    if check.len() != base.len() {
        return Err("seal_streamed and the chunked seal differ in length".into());
    }
    let doc = json!({
        "description": "Streamed SMeR v1 test vectors (SPEC.md §7.6). expect is \"ok\" or the error code a reader MUST return; may_release is the most plaintext a reader may have released before refusing; content_key_hex is RFC 8188's IKM. Synthetic data only.",
        "generator": super::GENERATOR,
        "seed": String::from_utf8_lossy(&SEED),
        "keys": keys,
        "cases": c.0,
    });
    serde_json::to_string_pretty(&doc)
        .map(|s| s + "\n")
        .map_err(err)
}
