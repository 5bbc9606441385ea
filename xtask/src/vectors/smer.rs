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

/// The SMeR vector file.
pub fn generate_smer() -> Result<String, String> {
    let mut rng = ChaCha20Rng::from_seed(SEED);
    let mut parties = Vec::new();
    for name in ["alice", "bob", "carol", "mallory"] {
        let key = EncryptionPrivateKey::generate(&mut rng, 2048).map_err(err)?;
        parties.push(Party { name, key });
    }
    let public = |name: &str| -> Result<&EncryptionPublicKey, String> {
        parties
            .iter()
            .find(|p| p.name == name)
            .map(|p| p.key.public_key())
            .ok_or_else(|| format!("no party {name}"))
    };
    let alice = public("alice")?;
    let limits = Limits::default();
    let options = |enc: ContentEncryption, rid: &str| SealOptions {
        enc,
        content_type: "application/xml".into(),
        record_id: Some(rid.into()),
        owner_key_id: alice.key_id().into(),
        created_at: CREATED_AT,
        file_name: Some("myhealthbank.xml".into()),
    };
    let mut c = Cases { cases: Vec::new() };
    let record = SAMPLE_RECORD.as_bytes();

    // --- positive ---------------------------------------------------------------------
    let base = seal(
        &mut rng,
        record,
        &[alice],
        &options(ContentEncryption::A256CbcHs512, "rec-a256"),
        &limits,
    )
    .map_err(err)?;
    let base_text = String::from_utf8(base.clone()).map_err(err)?;
    c.ok(
        "valid-a256cbc-hs512",
        "SMeR sealed to one recipient with the default enc",
        "alice",
        &base_text,
        record,
    );
    let a128 = seal(
        &mut rng,
        record,
        &[alice],
        &options(ContentEncryption::A128CbcHs256, "rec-a128"),
        &limits,
    )
    .map_err(err)?;
    c.ok(
        "valid-a128cbc-hs256",
        "the paper's AES-128, as A128CBC-HS256",
        "alice",
        &String::from_utf8(a128).map_err(err)?,
        record,
    );
    for size in [0usize, 1, 15, 16, 17, 33] {
        let data: Vec<u8> = (0..size).map(|i| (i * 7 + 3) as u8).collect();
        let s = seal(
            &mut rng,
            &data,
            &[alice],
            &options(ContentEncryption::A256CbcHs512, &format!("rec-size-{size}")),
            &limits,
        )
        .map_err(err)?;
        c.ok(
            &format!("valid-size-{size}"),
            "record length around the AES block size",
            "alice",
            &String::from_utf8(s).map_err(err)?,
            &data,
        );
    }
    let three = seal(
        &mut rng,
        record,
        &[alice, public("bob")?, public("carol")?],
        &options(ContentEncryption::A256CbcHs512, "rec-three"),
        &limits,
    )
    .map_err(err)?;
    let three_text = String::from_utf8(three.clone()).map_err(err)?;
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

    // --- authentication failures --------------------------------------------------------
    let mut h = header_of(&m)?;
    h.insert("rid".into(), "rec-a25g".into());
    c.fail(
        "tampered-protected-header",
        "record id changed in the authenticated header",
        "alice",
        &text(with_header(m.clone(), &h)),
        "DecryptionFailed",
    );
    let first_key = |m: &Map<String, Value>| -> Result<Vec<u8>, String> {
        let s = m
            .get("recipients")
            .and_then(|r| r.get(0))
            .and_then(|r| r.get("encrypted_key"))
            .and_then(Value::as_str)
            .ok_or("no encrypted_key")?;
        b64::decode(s).ok_or_else(|| "encrypted_key not base64url".to_string())
    };
    let set_first_key = |mut m: Map<String, Value>, key: &[u8]| -> Map<String, Value> {
        if let Some(r) = m
            .get_mut("recipients")
            .and_then(|r| r.get_mut(0))
            .and_then(Value::as_object_mut)
        {
            r.insert("encrypted_key".into(), b64::encode(key).into());
        }
        m
    };
    for (label, index) in [("first", 0usize), ("middle", 128), ("last", 255)] {
        let ek = flip(first_key(&m)?, index, 0);
        c.fail(
            &format!("bitflip-encrypted-key-{label}"),
            "one bit of the wrapped key flipped",
            "alice",
            &text(set_first_key(m.clone(), &ek)),
            "DecryptionFailed",
        );
    }
    let mut set = |name: &str, bytes: Vec<u8>, case: &str, description: &str, code: &str| {
        let mut mm = m.clone();
        mm.insert(name.into(), b64::encode(&bytes).into());
        c.fail(case, description, "alice", &text(mm), code);
    };
    let iv = field(&m, "iv")?;
    let ct = field(&m, "ciphertext")?;
    let tag = field(&m, "tag")?;
    set(
        "iv",
        flip(iv.clone(), 0, 0),
        "bitflip-iv",
        "one bit of the IV flipped",
        "DecryptionFailed",
    );
    set(
        "ciphertext",
        flip(ct.clone(), 0, 7),
        "bitflip-ciphertext-first",
        "first ciphertext bit flipped",
        "DecryptionFailed",
    );
    set(
        "ciphertext",
        flip(ct.clone(), ct.len() - 1, 0),
        "bitflip-ciphertext-last",
        "last ciphertext bit flipped (padding block)",
        "DecryptionFailed",
    );
    set(
        "tag",
        flip(tag.clone(), 0, 0),
        "bitflip-tag-first",
        "first tag bit flipped",
        "DecryptionFailed",
    );
    set(
        "tag",
        flip(tag.clone(), tag.len() - 1, 7),
        "bitflip-tag-last",
        "last tag bit flipped",
        "DecryptionFailed",
    );
    set(
        "ciphertext",
        ct[..ct.len() - 16].to_vec(),
        "truncated-ciphertext-block",
        "last ciphertext block removed",
        "DecryptionFailed",
    );
    set(
        "ciphertext",
        [ct.clone(), ct[..16].to_vec()].concat(),
        "extended-ciphertext-block",
        "a block appended to the ciphertext",
        "DecryptionFailed",
    );
    set(
        "tag",
        tag[..tag.len() - 1].to_vec(),
        "truncated-tag",
        "tag one byte short",
        "MalformedSmer",
    );
    set(
        "tag",
        [tag.clone(), vec![0]].concat(),
        "extended-tag",
        "tag one byte long",
        "MalformedSmer",
    );
    set(
        "iv",
        iv[..15].to_vec(),
        "short-iv",
        "15-byte IV",
        "MalformedSmer",
    );
    set(
        "ciphertext",
        ct[..ct.len() - 1].to_vec(),
        "ciphertext-not-block-multiple",
        "ciphertext not a multiple of 16",
        "MalformedSmer",
    );
    set(
        "ciphertext",
        Vec::new(),
        "empty-ciphertext",
        "empty ciphertext",
        "MalformedSmer",
    );
    c.fail(
        "wrong-key",
        "the SMeR opened with a key that is not its recipient",
        "mallory",
        &base_text,
        "NoMatchingRecipient",
    );

    // --- structure --------------------------------------------------------------------------
    c.fail(
        "truncated-document",
        "SMeR cut in half",
        "alice",
        &base_text[..base_text.len() / 2],
        "MalformedSmer",
    );
    c.fail(
        "truncated-last-byte",
        "closing brace missing",
        "alice",
        &base_text[..base_text.len() - 1],
        "MalformedSmer",
    );
    c.fail(
        "trailing-garbage",
        "bytes after the JSON object",
        "alice",
        &format!("{base_text}xyz"),
        "MalformedSmer",
    );
    c.fail(
        "two-documents",
        "a second JSON object after the first",
        "alice",
        &format!("{base_text}{base_text}"),
        "MalformedSmer",
    );
    c.fail("empty-input", "zero bytes", "alice", "", "MalformedSmer");
    c.fail(
        "not-an-object",
        "a JSON array",
        "alice",
        "[]",
        "MalformedSmer",
    );
    c.fail(
        "compact-serialization",
        "a compact JWE is not a SMeR",
        "alice",
        "eyJhbGciOiJSU0EtT0FFUC0yNTYifQ.a.b.c.d",
        "MalformedSmer",
    );
    let mut unknown = m.clone();
    unknown.insert("extra".into(), "x".into());
    c.fail(
        "unknown-member",
        "a top-level member outside the profile",
        "alice",
        &text(unknown),
        "MalformedSmer",
    );
    let mut flattened = m.clone();
    flattened.remove("recipients");
    flattened.insert("encrypted_key".into(), b64::encode(&first_key(&m)?).into());
    c.fail(
        "flattened-serialization",
        "flattened JSON serialization is not accepted",
        "alice",
        &text(flattened),
        "MalformedSmer",
    );
    let mut no_recipients = m.clone();
    no_recipients.insert("recipients".into(), json!([]));
    c.fail(
        "empty-recipients",
        "recipients is an empty array",
        "alice",
        &text(no_recipients),
        "MalformedSmer",
    );
    let mut dup = m.clone();
    if let Some(Value::Array(rs)) = dup.get_mut("recipients") {
        let first = rs.first().cloned().ok_or("no recipient")?;
        rs.push(first);
    }
    c.fail(
        "duplicate-recipients",
        "the same recipient entry twice",
        "alice",
        &text(dup),
        "MalformedSmer",
    );
    let mut dup_kid = as_json(&three)?;
    if let Some(Value::Array(rs)) = dup_kid.get_mut("recipients") {
        if let Some(h) = rs
            .get_mut(1)
            .and_then(|r| r.get_mut("header"))
            .and_then(Value::as_object_mut)
        {
            h.insert("kid".into(), alice.key_id().into());
        }
    }
    c.fail(
        "duplicate-recipient-kid",
        "two recipients with the same kid",
        "alice",
        &text(dup_kid),
        "MalformedSmer",
    );
    let iv_text = b64::encode(&iv);
    c.fail(
        "duplicate-json-member",
        "the iv member twice",
        "alice",
        &base_text.replacen(
            "{\"protected\"",
            &format!("{{\"iv\":\"{iv_text}\",\"protected\""),
            1,
        ),
        "MalformedSmer",
    );

    // --- headers and algorithms -----------------------------------------------------------
    let header_case = |c: &mut Cases,
                       name: &str,
                       description: &str,
                       edit: &dyn Fn(&mut Map<String, Value>),
                       code: &str|
     -> Result<(), String> {
        let mut h = header_of(&m)?;
        edit(&mut h);
        c.fail(
            name,
            description,
            "alice",
            &text(with_header(m.clone(), &h)),
            code,
        );
        Ok(())
    };
    header_case(
        &mut c,
        "alg-rsa-oaep-sha1",
        "RSA-OAEP (SHA-1) is not allowed",
        &|h| {
            h.insert("alg".into(), "RSA-OAEP".into());
        },
        "UnsupportedAlgorithm",
    )?;
    header_case(
        &mut c,
        "alg-rsa1_5",
        "RSA1_5 is refused (Bleichenbacher)",
        &|h| {
            h.insert("alg".into(), "RSA1_5".into());
        },
        "UnsupportedAlgorithm",
    )?;
    header_case(
        &mut c,
        "alg-dir",
        "direct key agreement is refused",
        &|h| {
            h.insert("alg".into(), "dir".into());
        },
        "UnsupportedAlgorithm",
    )?;
    header_case(
        &mut c,
        "alg-missing",
        "no alg anywhere",
        &|h| {
            h.remove("alg");
        },
        "MalformedSmer",
    )?;
    header_case(
        &mut c,
        "enc-a256gcm",
        "A256GCM is outside the profile",
        &|h| {
            h.insert("enc".into(), "A256GCM".into());
        },
        "UnsupportedAlgorithm",
    )?;
    header_case(
        &mut c,
        "enc-a192cbc-hs384",
        "A192CBC-HS384 is outside the profile",
        &|h| {
            h.insert("enc".into(), "A192CBC-HS384".into());
        },
        "UnsupportedAlgorithm",
    )?;
    header_case(
        &mut c,
        "enc-missing",
        "no enc in the protected header",
        &|h| {
            h.remove("enc");
        },
        "MalformedSmer",
    )?;
    header_case(
        &mut c,
        "enc-not-string",
        "enc is a number",
        &|h| {
            h.insert("enc".into(), 5.into());
        },
        "MalformedSmer",
    )?;
    header_case(
        &mut c,
        "version-2",
        "a SMeR version this build does not know",
        &|h| {
            h.insert("smer".into(), 2.into());
        },
        "UnsupportedVersion",
    )?;
    header_case(
        &mut c,
        "version-not-integer",
        "smer version is a string",
        &|h| {
            h.insert("smer".into(), "1".into());
        },
        "MalformedSmer",
    )?;
    header_case(
        &mut c,
        "zip-deflate",
        "compressed plaintext is refused",
        &|h| {
            h.insert("zip".into(), "DEF".into());
        },
        "UnsupportedAlgorithm",
    )?;
    header_case(
        &mut c,
        "crit-extension",
        "a critical extension we do not understand",
        &|h| {
            h.insert("crit".into(), json!(["exp"]));
            h.insert("exp".into(), 1.into());
        },
        "MalformedSmer",
    )?;
    header_case(
        &mut c,
        "iat-not-integer",
        "iat is a string",
        &|h| {
            h.insert("iat".into(), "yesterday".into());
        },
        "MalformedSmer",
    )?;
    let mut dup_header = m.clone();
    let raw = String::from_utf8(field(&m, "protected")?).map_err(err)?;
    let dup_text = raw.replacen('{', "{\"enc\":\"A128CBC-HS256\",", 1);
    dup_header.insert("protected".into(), b64::encode(dup_text.as_bytes()).into());
    c.fail(
        "duplicate-header-member",
        "enc twice in the protected header",
        "alice",
        &text(dup_header),
        "MalformedSmer",
    );
    let mut enc_unprotected = m.clone();
    enc_unprotected.insert("unprotected".into(), json!({"enc": "A256CBC-HS512"}));
    c.fail(
        "enc-in-unprotected",
        "enc repeated in the unprotected header",
        "alice",
        &text(enc_unprotected),
        "MalformedSmer",
    );
    let mut alg_twice = m.clone();
    if let Some(h) = alg_twice
        .get_mut("recipients")
        .and_then(|r| r.get_mut(0))
        .and_then(|r| r.get_mut("header"))
        .and_then(Value::as_object_mut)
    {
        h.insert("alg".into(), KEY_ALG_VALUE.into());
    }
    c.fail(
        "alg-in-two-headers",
        "alg in both the protected and the recipient header",
        "alice",
        &text(alg_twice),
        "MalformedSmer",
    );
    let mut not_b64 = m.clone();
    not_b64.insert("protected".into(), "e30".into()); // "{}" — canonical but lacks enc
    c.fail(
        "protected-empty-object",
        "protected header {}",
        "alice",
        &text(not_b64),
        "MalformedSmer",
    );

    // --- canonical base64url ----------------------------------------------------------------
    let mut padded = m.clone();
    padded.insert("iv".into(), format!("{iv_text}==").into());
    c.fail(
        "base64-padding",
        "IV with = padding",
        "alice",
        &text(padded),
        "MalformedSmer",
    );
    let tag_text = b64::encode(&tag);
    let mut std_alphabet = m.clone();
    std_alphabet.insert("tag".into(), format!("+{}", &tag_text[1..]).into());
    c.fail(
        "base64-standard-alphabet",
        "tag with a '+' (standard alphabet)",
        "alice",
        &text(std_alphabet),
        "MalformedSmer",
    );
    let mut trailing_bits = m.clone();
    let iv_last = iv_text.chars().last().ok_or("empty iv")?;
    // 16 bytes encode to 22 characters: the last carries 4 unused bits; set one.
    let alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let pos = alphabet.find(iv_last).ok_or("iv alphabet")?;
    let noncanonical = alphabet.as_bytes()[pos | 1] as char;
    trailing_bits.insert(
        "iv".into(),
        format!("{}{}", &iv_text[..iv_text.len() - 1], noncanonical).into(),
    );
    c.fail(
        "base64-nonzero-trailing-bits",
        "IV whose last character has unused bits set",
        "alice",
        &text(trailing_bits),
        "MalformedSmer",
    );
    let mut whitespace = m.clone();
    whitespace.insert("ciphertext".into(), format!("{} ", b64::encode(&ct)).into());
    c.fail(
        "base64-whitespace",
        "ciphertext with a trailing space",
        "alice",
        &text(whitespace),
        "MalformedSmer",
    );

    // --- limits ------------------------------------------------------------------------------
    let big: Vec<u8> = (0..32u8).collect();
    let over = seal(
        &mut rng,
        &big,
        &[alice],
        &options(ContentEncryption::A256CbcHs512, "rec-over"),
        &limits,
    )
    .map_err(err)?;
    let over_text = String::from_utf8(over).map_err(err)?;
    c.cases.push(json!({
        "name": "over-limit-record", "description": "a 32-byte record read with max_record_bytes = 16",
        "key": "alice", "smer": over_text, "limits": {"max_record_bytes": 16}, "expect": "TooLarge",
    }));
    c.cases.push(json!({
        "name": "at-limit-record", "description": "a 32-byte record read with max_record_bytes = 32",
        "key": "alice", "smer": over_text, "limits": {"max_record_bytes": 32}, "expect": "ok",
        "record_hex": hex(&big), "smer_sha256": smer_hash_hex(over_text.as_bytes()),
    }));

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

const KEY_ALG_VALUE: &str = semres::smer::KEY_ALG;
