//! The seeded generator of SMeR v1 test vectors (positive and negative, each with its
//! expected outcome), written by `cargo xtask gen-vectors`.

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use semres::dery::smer_hash_hex;
use semres::hex::encode as to_hex;
use semres::smer::{seal, Limits, SealOptions};
use semres::{b64, ContentEncryption, EncryptionPrivateKey, EncryptionPublicKey};
use serde_json::{json, Map, Value};

/// Seed of the generator ("SEMRES-v1" in ASCII, zero-padded).
pub const SEED: [u8; 32] = *b"SEMRES-v1 smer vectors seed 0001";
/// Fixed creation time of every vector (2026-11-25T00:00:00Z).
const CREATED_AT: i64 = 1_795_564_800;

/// A synthetic My Health Bank style record; no real person.
const SAMPLE_RECORD: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<myhealthbank><bdata><b1.1>Z10000****</b1.1><b1.2>20261120</b1.2></bdata><r1><r1.1>1</r1.1><r1.4>Synthetic Clinic</r1.4><r1.5>20261101</r1.5><r1.8>J069</r1.8><r1.9>Acute upper respiratory infection</r1.9><r1.12>50</r1.12><r1.13>320</r1.13><r1_1><r1_1.1>A000000200</r1_1.1><r1_1.2>Acetaminophen 500 mg</r1_1.2><r1_1.3>9</r1_1.3><r1_1.4>3</r1_1.4></r1_1></r1><r6>無資料</r6></myhealthbank>\n";

struct Party {
    name: &'static str,
    key: EncryptionPrivateKey,
}

fn hex(bytes: &[u8]) -> String {
    to_hex(bytes)
}

use crate::err;

/// One SMeR parsed as a JSON value, for mutation.
fn as_json(smer: &[u8]) -> Result<Map<String, Value>, String> {
    match serde_json::from_slice(smer).map_err(err)? {
        Value::Object(m) => Ok(m),
        _ => Err("sealed SMeR is not an object".into()),
    }
}

fn field(m: &Map<String, Value>, name: &str) -> Result<Vec<u8>, String> {
    let s = m
        .get(name)
        .and_then(Value::as_str)
        .ok_or_else(|| format!("no {name}"))?;
    b64::decode(s).ok_or_else(|| format!("{name} not base64url"))
}

fn flip(mut bytes: Vec<u8>, index: usize, bit: u8) -> Vec<u8> {
    let i = index.min(bytes.len().saturating_sub(1));
    if let Some(b) = bytes.get_mut(i) {
        *b ^= 1 << bit;
    }
    bytes
}

fn header_of(m: &Map<String, Value>) -> Result<Map<String, Value>, String> {
    match serde_json::from_slice(&field(m, "protected")?).map_err(err)? {
        Value::Object(h) => Ok(h),
        _ => Err("protected header is not an object".into()),
    }
}

fn with_header(mut m: Map<String, Value>, header: &Map<String, Value>) -> Map<String, Value> {
    let text = Value::Object(header.clone()).to_string();
    m.insert("protected".into(), b64::encode(text.as_bytes()).into());
    m
}

fn text(m: Map<String, Value>) -> String {
    Value::Object(m).to_string()
}

struct Cases {
    cases: Vec<Value>,
}

impl Cases {
    fn ok(&mut self, name: &str, description: &str, key: &str, smer: &str, record: &[u8]) {
        self.cases.push(json!({
            "name": name, "description": description, "key": key, "smer": smer,
            "expect": "ok", "record_hex": hex(record), "smer_sha256": smer_hash_hex(smer.as_bytes()),
        }));
    }
    fn fail(&mut self, name: &str, description: &str, key: &str, smer: &str, code: &str) {
        self.cases.push(json!({
            "name": name, "description": description, "key": key, "smer": smer, "expect": code,
        }));
    }
}

/// The sealed documents the negative cases are made from.
struct Base {
    /// A SMeR to alice (A256CBC-HS512), as a JSON object and as its text.
    m: Map<String, Value>,
    text: String,
    /// A SMeR to alice, bob and carol.
    three: Vec<u8>,
    /// Alice's key id.
    alice: String,
    iv: Vec<u8>,
    ct: Vec<u8>,
    tag: Vec<u8>,
}

impl Base {
    /// A case from the base SMeR with member `name` replaced by `bytes` (base64url).
    fn set(
        &self,
        c: &mut Cases,
        name: &str,
        bytes: Vec<u8>,
        case: &str,
        description: &str,
        code: &str,
    ) {
        let mut m = self.m.clone();
        m.insert(name.into(), b64::encode(&bytes).into());
        c.fail(case, description, "alice", &text(m), code);
    }

    /// A case from the base SMeR whose document is `edit`ed.
    fn edited(
        &self,
        c: &mut Cases,
        case: &str,
        description: &str,
        code: &str,
        edit: impl FnOnce(&mut Map<String, Value>),
    ) {
        let mut m = self.m.clone();
        edit(&mut m);
        c.fail(case, description, "alice", &text(m), code);
    }
}

fn seal_text(
    rng: &mut ChaCha20Rng,
    record: &[u8],
    to: &[&EncryptionPublicKey],
    options: &SealOptions,
) -> Result<Vec<u8>, String> {
    seal(rng, record, to, options, &Limits::default()).map_err(err)
}

fn utf8(bytes: Vec<u8>) -> Result<String, String> {
    String::from_utf8(bytes).map_err(err)
}

fn options(alice: &EncryptionPublicKey, enc: ContentEncryption, rid: &str) -> SealOptions {
    SealOptions {
        enc,
        content_type: "application/xml".into(),
        record_id: Some(rid.into()),
        owner_key_id: alice.key_id().into(),
        created_at: CREATED_AT,
        file_name: Some("myhealthbank.xml".into()),
    }
}

/// Valid SMeRs: both `enc`, record sizes around the block size, three recipients, no `kid`.
fn positive(rng: &mut ChaCha20Rng, parties: &[Party], c: &mut Cases) -> Result<Base, String> {
    let public = |name: &str| -> Result<&EncryptionPublicKey, String> {
        parties
            .iter()
            .find(|p| p.name == name)
            .map(|p| p.key.public_key())
            .ok_or_else(|| format!("no party {name}"))
    };
    let alice = public("alice")?;
    let record = SAMPLE_RECORD.as_bytes();
    let a256 = ContentEncryption::A256CbcHs512;
    let base = seal_text(rng, record, &[alice], &options(alice, a256, "rec-a256"))?;
    let base_text = utf8(base.clone())?;
    c.ok(
        "valid-a256cbc-hs512",
        "SMeR sealed to one recipient with the default enc",
        "alice",
        &base_text,
        record,
    );
    let a128 = options(alice, ContentEncryption::A128CbcHs256, "rec-a128");
    c.ok(
        "valid-a128cbc-hs256",
        "the paper's AES-128, as A128CBC-HS256",
        "alice",
        &utf8(seal_text(rng, record, &[alice], &a128)?)?,
        record,
    );
    for size in [0usize, 1, 15, 16, 17, 33] {
        let data: Vec<u8> = (0..size).map(|i| (i * 7 + 3) as u8).collect();
        let sized = options(alice, a256, &format!("rec-size-{size}"));
        c.ok(
            &format!("valid-size-{size}"),
            "record length around the AES block size",
            "alice",
            &utf8(seal_text(rng, &data, &[alice], &sized)?)?,
            &data,
        );
    }
    let to_three = [alice, public("bob")?, public("carol")?];
    let three = seal_text(rng, record, &to_three, &options(alice, a256, "rec-three"))?;
    let three_text = utf8(three.clone())?;
    for who in ["alice", "bob", "carol"] {
        c.ok(
            &format!("valid-three-recipients-{who}"),
            "one record shared with three recipients, opened by each",
            who,
            &three_text,
            record,
        );
    }
    c.fail(
        "three-recipients-outsider",
        "a key that is none of the recipients",
        "mallory",
        &three_text,
        "NoMatchingRecipient",
    );
    let m = as_json(&base)?;
    // No kid at all: the opener tries the recipient anyway.
    let mut no_kid = m.clone();
    if let Some(Value::Array(rs)) = no_kid.get_mut("recipients") {
        for r in rs.iter_mut() {
            if let Some(obj) = r.as_object_mut() {
                obj.remove("header");
            }
        }
    }
    c.ok(
        "valid-no-kid",
        "recipient without kid (as other JOSE libraries may write)",
        "alice",
        &text(no_kid.clone()),
        record,
    );
    c.fail(
        "wrong-key-no-kid",
        "recipient without kid, opened with the wrong key",
        "mallory",
        &text(no_kid),
        "DecryptionFailed",
    );
    c.ok(
        "valid-trailing-newline",
        "insignificant JSON whitespace after the object",
        "alice",
        &format!("{base_text}\n"),
        record,
    );
    Ok(Base {
        iv: field(&m, "iv")?,
        ct: field(&m, "ciphertext")?,
        tag: field(&m, "tag")?,
        m,
        text: base_text,
        three,
        alice: alice.key_id().to_owned(),
    })
}

fn first_key(m: &Map<String, Value>) -> Result<Vec<u8>, String> {
    let s = m
        .get("recipients")
        .and_then(|r| r.get(0))
        .and_then(|r| r.get("encrypted_key"))
        .and_then(Value::as_str)
        .ok_or("no encrypted_key")?;
    b64::decode(s).ok_or_else(|| "encrypted_key not base64url".to_string())
}

/// Authentication failures: every bit flip, truncation and extension of the parts.
fn authentication_failures(b: &Base, c: &mut Cases) -> Result<(), String> {
    let mut h = header_of(&b.m)?;
    h.insert("rid".into(), "rec-a25g".into());
    c.fail(
        "tampered-protected-header",
        "record id changed in the authenticated header",
        "alice",
        &text(with_header(b.m.clone(), &h)),
        "DecryptionFailed",
    );
    for (label, index) in [("first", 0usize), ("middle", 128), ("last", 255)] {
        let ek = flip(first_key(&b.m)?, index, 0);
        b.edited(
            c,
            &format!("bitflip-encrypted-key-{label}"),
            "one bit of the wrapped key flipped",
            "DecryptionFailed",
            |m| {
                if let Some(r) = m
                    .get_mut("recipients")
                    .and_then(|r| r.get_mut(0))
                    .and_then(Value::as_object_mut)
                {
                    r.insert("encrypted_key".into(), b64::encode(&ek).into());
                }
            },
        );
    }
    let (iv, ct, tag) = (&b.iv, &b.ct, &b.tag);
    let failed = "DecryptionFailed";
    let malformed = "MalformedSmer";
    let parts: [(&str, Vec<u8>, &str, &str, &str); 12] = [
        (
            "iv",
            flip(iv.clone(), 0, 0),
            "bitflip-iv",
            "one bit of the IV flipped",
            failed,
        ),
        (
            "ciphertext",
            flip(ct.clone(), 0, 7),
            "bitflip-ciphertext-first",
            "first ciphertext bit flipped",
            failed,
        ),
        (
            "ciphertext",
            flip(ct.clone(), ct.len() - 1, 0),
            "bitflip-ciphertext-last",
            "last ciphertext bit flipped (padding block)",
            failed,
        ),
        (
            "tag",
            flip(tag.clone(), 0, 0),
            "bitflip-tag-first",
            "first tag bit flipped",
            failed,
        ),
        (
            "tag",
            flip(tag.clone(), tag.len() - 1, 7),
            "bitflip-tag-last",
            "last tag bit flipped",
            failed,
        ),
        (
            "ciphertext",
            ct[..ct.len() - 16].to_vec(),
            "truncated-ciphertext-block",
            "last ciphertext block removed",
            failed,
        ),
        (
            "ciphertext",
            [ct.clone(), ct[..16].to_vec()].concat(),
            "extended-ciphertext-block",
            "a block appended to the ciphertext",
            failed,
        ),
        (
            "tag",
            tag[..tag.len() - 1].to_vec(),
            "truncated-tag",
            "tag one byte short",
            malformed,
        ),
        (
            "tag",
            [tag.clone(), vec![0]].concat(),
            "extended-tag",
            "tag one byte long",
            malformed,
        ),
        ("iv", iv[..15].to_vec(), "short-iv", "15-byte IV", malformed),
        (
            "ciphertext",
            ct[..ct.len() - 1].to_vec(),
            "ciphertext-not-block-multiple",
            "ciphertext not a multiple of 16",
            malformed,
        ),
        (
            "ciphertext",
            Vec::new(),
            "empty-ciphertext",
            "empty ciphertext",
            malformed,
        ),
    ];
    for (name, bytes, case, description, code) in parts {
        b.set(c, name, bytes, case, description, code);
    }
    c.fail(
        "wrong-key",
        "the SMeR opened with a key that is not its recipient",
        "mallory",
        &b.text,
        "NoMatchingRecipient",
    );
    Ok(())
}

/// Documents that are not a SMeR: cut, extended, other serializations, duplicates.
fn structure(b: &Base, c: &mut Cases) -> Result<(), String> {
    let t = &b.text;
    let documents = [
        (
            "truncated-document",
            "SMeR cut in half",
            t[..t.len() / 2].to_owned(),
        ),
        (
            "truncated-last-byte",
            "closing brace missing",
            t[..t.len() - 1].to_owned(),
        ),
        (
            "trailing-garbage",
            "bytes after the JSON object",
            format!("{t}xyz"),
        ),
        (
            "two-documents",
            "a second JSON object after the first",
            format!("{t}{t}"),
        ),
        ("empty-input", "zero bytes", String::new()),
        ("not-an-object", "a JSON array", "[]".into()),
        (
            "compact-serialization",
            "a compact JWE is not a SMeR",
            "eyJhbGciOiJSU0EtT0FFUC0yNTYifQ.a.b.c.d".into(),
        ),
    ];
    for (name, description, document) in documents {
        c.fail(name, description, "alice", &document, "MalformedSmer");
    }
    b.edited(
        c,
        "unknown-member",
        "a top-level member outside the profile",
        "MalformedSmer",
        |m| {
            m.insert("extra".into(), "x".into());
        },
    );
    let first = b64::encode(&first_key(&b.m)?);
    b.edited(
        c,
        "flattened-serialization",
        "flattened JSON serialization is not accepted",
        "MalformedSmer",
        |m| {
            m.remove("recipients");
            m.insert("encrypted_key".into(), first.into());
        },
    );
    b.edited(
        c,
        "empty-recipients",
        "recipients is an empty array",
        "MalformedSmer",
        |m| {
            m.insert("recipients".into(), json!([]));
        },
    );
    let recipient =
        b.m.get("recipients")
            .and_then(|r| r.get(0))
            .cloned()
            .ok_or("no recipient")?;
    b.edited(
        c,
        "duplicate-recipients",
        "the same recipient entry twice",
        "MalformedSmer",
        |m| {
            if let Some(Value::Array(rs)) = m.get_mut("recipients") {
                rs.push(recipient);
            }
        },
    );
    let mut dup_kid = as_json(&b.three)?;
    if let Some(Value::Array(rs)) = dup_kid.get_mut("recipients") {
        if let Some(h) = rs
            .get_mut(1)
            .and_then(|r| r.get_mut("header"))
            .and_then(Value::as_object_mut)
        {
            h.insert("kid".into(), b.alice.clone().into());
        }
    }
    c.fail(
        "duplicate-recipient-kid",
        "two recipients with the same kid",
        "alice",
        &text(dup_kid),
        "MalformedSmer",
    );
    let iv_text = b64::encode(&b.iv);
    c.fail(
        "duplicate-json-member",
        "the iv member twice",
        "alice",
        &t.replacen(
            "{\"protected\"",
            &format!("{{\"iv\":\"{iv_text}\",\"protected\""),
            1,
        ),
        "MalformedSmer",
    );
    Ok(())
}

/// An edit of the protected header.
type HeaderEdit = fn(&mut Map<String, Value>);

/// Algorithms, versions and header members outside the profile.
fn headers(b: &Base, c: &mut Cases) -> Result<(), String> {
    let cases: [(&str, &str, HeaderEdit, &str); 13] = [
        (
            "alg-rsa-oaep-sha1",
            "RSA-OAEP (SHA-1) is not allowed",
            |h| {
                h.insert("alg".into(), "RSA-OAEP".into());
            },
            "UnsupportedAlgorithm",
        ),
        (
            "alg-rsa1_5",
            "RSA1_5 is refused (Bleichenbacher)",
            |h| {
                h.insert("alg".into(), "RSA1_5".into());
            },
            "UnsupportedAlgorithm",
        ),
        (
            "alg-dir",
            "direct key agreement is refused",
            |h| {
                h.insert("alg".into(), "dir".into());
            },
            "UnsupportedAlgorithm",
        ),
        (
            "alg-missing",
            "no alg anywhere",
            |h| {
                h.remove("alg");
            },
            "MalformedSmer",
        ),
        (
            "enc-a256gcm",
            "A256GCM is outside the profile",
            |h| {
                h.insert("enc".into(), "A256GCM".into());
            },
            "UnsupportedAlgorithm",
        ),
        (
            "enc-a192cbc-hs384",
            "A192CBC-HS384 is outside the profile",
            |h| {
                h.insert("enc".into(), "A192CBC-HS384".into());
            },
            "UnsupportedAlgorithm",
        ),
        (
            "enc-missing",
            "no enc in the protected header",
            |h| {
                h.remove("enc");
            },
            "MalformedSmer",
        ),
        (
            "enc-not-string",
            "enc is a number",
            |h| {
                h.insert("enc".into(), 5.into());
            },
            "MalformedSmer",
        ),
        (
            "version-2",
            "a SMeR version this build does not know",
            |h| {
                h.insert("smer".into(), 2.into());
            },
            "UnsupportedVersion",
        ),
        (
            "version-not-integer",
            "smer version is a string",
            |h| {
                h.insert("smer".into(), "1".into());
            },
            "MalformedSmer",
        ),
        (
            "zip-deflate",
            "compressed plaintext is refused",
            |h| {
                h.insert("zip".into(), "DEF".into());
            },
            "UnsupportedAlgorithm",
        ),
        (
            "crit-extension",
            "a critical extension we do not understand",
            |h| {
                h.insert("crit".into(), json!(["exp"]));
                h.insert("exp".into(), 1.into());
            },
            "MalformedSmer",
        ),
        (
            "iat-not-integer",
            "iat is a string",
            |h| {
                h.insert("iat".into(), "yesterday".into());
            },
            "MalformedSmer",
        ),
    ];
    for (name, description, edit, code) in cases {
        let mut h = header_of(&b.m)?;
        edit(&mut h);
        c.fail(
            name,
            description,
            "alice",
            &text(with_header(b.m.clone(), &h)),
            code,
        );
    }
    let raw = String::from_utf8(field(&b.m, "protected")?).map_err(err)?;
    let dup_text = raw.replacen('{', "{\"enc\":\"A128CBC-HS256\",", 1);
    b.edited(
        c,
        "duplicate-header-member",
        "enc twice in the protected header",
        "MalformedSmer",
        |m| {
            m.insert("protected".into(), b64::encode(dup_text.as_bytes()).into());
        },
    );
    b.edited(
        c,
        "enc-in-unprotected",
        "enc repeated in the unprotected header",
        "MalformedSmer",
        |m| {
            m.insert("unprotected".into(), json!({"enc": "A256CBC-HS512"}));
        },
    );
    b.edited(
        c,
        "alg-in-two-headers",
        "alg in both the protected and the recipient header",
        "MalformedSmer",
        |m| {
            if let Some(h) = m
                .get_mut("recipients")
                .and_then(|r| r.get_mut(0))
                .and_then(|r| r.get_mut("header"))
                .and_then(Value::as_object_mut)
            {
                h.insert("alg".into(), semres::smer::KEY_ALG.into());
            }
        },
    );
    // "{}" — canonical, but without enc.
    b.edited(
        c,
        "protected-empty-object",
        "protected header {}",
        "MalformedSmer",
        |m| {
            m.insert("protected".into(), "e30".into());
        },
    );
    Ok(())
}

/// Base64url that is not canonical: padding, the standard alphabet, trailing bits, spaces.
fn canonical_base64(b: &Base, c: &mut Cases) -> Result<(), String> {
    let iv_text = b64::encode(&b.iv);
    let tag_text = b64::encode(&b.tag);
    // 16 bytes encode to 22 characters: the last carries 4 unused bits; set one.
    let iv_last = iv_text.chars().last().ok_or("empty iv")?;
    let alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let pos = alphabet.find(iv_last).ok_or("iv alphabet")?;
    let noncanonical = alphabet.as_bytes()[pos | 1] as char;
    let cases = [
        (
            "iv",
            format!("{iv_text}=="),
            "base64-padding",
            "IV with = padding",
        ),
        (
            "tag",
            format!("+{}", &tag_text[1..]),
            "base64-standard-alphabet",
            "tag with a '+' (standard alphabet)",
        ),
        (
            "iv",
            format!("{}{}", &iv_text[..iv_text.len() - 1], noncanonical),
            "base64-nonzero-trailing-bits",
            "IV whose last character has unused bits set",
        ),
        (
            "ciphertext",
            format!("{} ", b64::encode(&b.ct)),
            "base64-whitespace",
            "ciphertext with a trailing space",
        ),
    ];
    for (member, value, name, description) in cases {
        b.edited(c, name, description, "MalformedSmer", |m| {
            m.insert(member.into(), value.into());
        });
    }
    Ok(())
}

/// The record limit: over and at it.
fn limits(rng: &mut ChaCha20Rng, alice: &EncryptionPublicKey, c: &mut Cases) -> Result<(), String> {
    let big: Vec<u8> = (0..32u8).collect();
    let over = seal_text(
        rng,
        &big,
        &[alice],
        &options(alice, ContentEncryption::A256CbcHs512, "rec-over"),
    )?;
    let over_text = utf8(over)?;
    c.cases.push(json!({
        "name": "over-limit-record", "description": "a 32-byte record read with max_record_bytes = 16",
        "key": "alice", "smer": over_text, "limits": {"max_record_bytes": 16}, "expect": "TooLarge",
    }));
    c.cases.push(json!({
        "name": "at-limit-record", "description": "a 32-byte record read with max_record_bytes = 32",
        "key": "alice", "smer": over_text, "limits": {"max_record_bytes": 32}, "expect": "ok",
        "record_hex": hex(&big), "smer_sha256": smer_hash_hex(over_text.as_bytes()),
    }));
    Ok(())
}

/// The SMeR vector file.
pub fn generate_smer() -> Result<String, String> {
    let mut rng = ChaCha20Rng::from_seed(SEED);
    let mut parties = Vec::new();
    for name in ["alice", "bob", "carol", "mallory"] {
        let key = EncryptionPrivateKey::generate(&mut rng, 2048).map_err(err)?;
        parties.push(Party { name, key });
    }
    let mut c = Cases { cases: Vec::new() };
    let base = positive(&mut rng, &parties, &mut c)?;
    authentication_failures(&base, &mut c)?;
    structure(&base, &mut c)?;
    headers(&base, &mut c)?;
    canonical_base64(&base, &mut c)?;
    limits(&mut rng, parties[0].key.public_key(), &mut c)?;
    let keys: Map<String, Value> = parties
        .iter()
        .map(|p| -> Result<(String, Value), String> {
            let pem = p.key.to_pkcs8_pem().map_err(err)?;
            Ok((
                p.name.to_owned(),
                json!({"key_id": p.key.key_id(), "private_pkcs8_pem": pem.as_str()}),
            ))
        })
        .collect::<Result<_, _>>()?;
    let doc = json!({
        "description": "SMeR v1 test vectors (SPEC.md §2.6). expect is \"ok\" or the error code a reader MUST return. Synthetic data only.",
        "generator": super::GENERATOR,
        "seed": String::from_utf8_lossy(&SEED),
        "keys": keys,
        "cases": c.cases,
    });
    serde_json::to_string_pretty(&doc)
        .map(|s| s + "\n")
        .map_err(err)
}
