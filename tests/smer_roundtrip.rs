//! Native SMeR round trips (sizes 0, 1, 15, 16, 17 bytes and 1 MiB; both `enc`; one and
//! three recipients), sealing-side validation, key formats, and property tests that no input
//! makes parsing or opening panic.
#![cfg(not(target_arch = "wasm32"))]

use std::sync::OnceLock;

use proptest::prelude::*;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use semres::smer::{self, Limits, ParsedSmer, SealOptions};
use semres::{ContentEncryption, EncryptionPrivateKey, EncryptionPublicKey, Error};

fn keys() -> &'static [EncryptionPrivateKey; 3] {
    static KEYS: OnceLock<[EncryptionPrivateKey; 3]> = OnceLock::new();
    KEYS.get_or_init(|| {
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        [0, 1, 2].map(|_| EncryptionPrivateKey::generate(&mut rng, 2048).unwrap())
    })
}

fn options(enc: ContentEncryption) -> SealOptions {
    let mut o = SealOptions::new("application/fhir+json", keys()[0].key_id(), 1_795_564_800);
    o.enc = enc;
    o.file_name = Some("bundle.json".into());
    o
}

#[test]
fn round_trips_at_block_boundaries_both_enc_one_and_three_recipients() {
    let mut rng = ChaCha20Rng::seed_from_u64(2);
    let [a, b, c] = keys();
    for enc in [
        ContentEncryption::A256CbcHs512,
        ContentEncryption::A128CbcHs256,
    ] {
        for size in [0usize, 1, 15, 16, 17, 1 << 20] {
            let record: Vec<u8> = (0..size).map(|i| (i * 31 % 256) as u8).collect();
            for recipients in [
                vec![a.public_key()],
                vec![a.public_key(), b.public_key(), c.public_key()],
            ] {
                let sealed = smer::seal(
                    &mut rng,
                    &record,
                    &recipients,
                    &options(enc),
                    &Limits::default(),
                )
                .unwrap();
                let parsed = ParsedSmer::parse(&sealed, &Limits::default()).unwrap();
                assert_eq!(parsed.recipients().len(), recipients.len());
                assert_eq!(parsed.enc(), enc);
                for key in keys().iter().take(recipients.len()) {
                    let opened = smer::open(&sealed, key, &mut rng, &Limits::default()).unwrap();
                    assert_eq!(
                        opened.record.as_slice(),
                        record.as_slice(),
                        "{enc:?} {size}"
                    );
                    assert_eq!(
                        opened.header.content_type.as_deref(),
                        Some("application/fhir+json")
                    );
                    assert_eq!(opened.header.owner_key_id.as_deref(), Some(a.key_id()));
                    assert_eq!(opened.header.created_at, Some(1_795_564_800));
                    assert_eq!(opened.header.file_name.as_deref(), Some("bundle.json"));
                    assert_eq!(opened.header.version, Some(1));
                    assert_eq!(opened.header.record_id.as_ref().map(String::len), Some(22));
                }
                if recipients.len() == 1 {
                    assert_eq!(
                        smer::open(&sealed, b, &mut rng, &Limits::default()).unwrap_err(),
                        Error::NoMatchingRecipient
                    );
                }
            }
        }
    }
}

#[test]
fn two_seals_of_one_record_differ() {
    let mut rng = ChaCha20Rng::seed_from_u64(3);
    let mut o = options(ContentEncryption::A256CbcHs512);
    o.record_id = Some("same".into());
    let one = smer::seal(
        &mut rng,
        b"x",
        &[keys()[0].public_key()],
        &o,
        &Limits::default(),
    )
    .unwrap();
    let two = smer::seal(
        &mut rng,
        b"x",
        &[keys()[0].public_key()],
        &o,
        &Limits::default(),
    )
    .unwrap();
    assert_ne!(one, two, "fresh CEK and IV each time");
    assert_ne!(semres::dery::smer_hash(&one), semres::dery::smer_hash(&two));
}

#[test]
fn sealing_refuses_bad_requests() {
    let mut rng = ChaCha20Rng::seed_from_u64(4);
    let a = keys()[0].public_key();
    let o = options(ContentEncryption::A256CbcHs512);
    let limits = Limits {
        max_record_bytes: 8,
        ..Limits::default()
    };
    assert_eq!(
        smer::seal(&mut rng, &[0; 9], &[a], &o, &limits)
            .unwrap_err()
            .code(),
        "TooLarge"
    );
    assert!(smer::seal(&mut rng, &[0; 8], &[a], &o, &limits).is_ok());
    assert_eq!(
        smer::seal(&mut rng, b"", &[], &o, &Limits::default())
            .unwrap_err()
            .code(),
        "InvalidInput"
    );
    assert_eq!(
        smer::seal(&mut rng, b"", &[a, a], &o, &Limits::default())
            .unwrap_err()
            .code(),
        "InvalidInput"
    );
    let few = Limits {
        max_recipients: 1,
        ..Limits::default()
    };
    assert_eq!(
        smer::seal(&mut rng, b"", &[a, keys()[1].public_key()], &o, &few)
            .unwrap_err()
            .code(),
        "TooLarge"
    );
    for bad in [
        SealOptions {
            content_type: "xml".into(),
            ..o.clone()
        },
        SealOptions {
            owner_key_id: "".into(),
            ..o.clone()
        },
        SealOptions {
            owner_key_id: "a b".into(),
            ..o.clone()
        },
        SealOptions {
            record_id: Some("<script>".into()),
            ..o.clone()
        },
        SealOptions {
            file_name: Some("../etc/passwd".into()),
            ..o.clone()
        },
        SealOptions {
            file_name: Some("a\nb".into()),
            ..o.clone()
        },
        SealOptions {
            file_name: Some("".into()),
            ..o.clone()
        },
    ] {
        assert_eq!(
            smer::seal(&mut rng, b"", &[a], &bad, &Limits::default())
                .unwrap_err()
                .code(),
            "InvalidInput",
            "{bad:?}"
        );
    }
}

#[test]
fn key_formats_round_trip() {
    let key = &keys()[1];
    let pem = key.to_pkcs8_pem().unwrap();
    assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----"));
    assert_eq!(
        EncryptionPrivateKey::from_pem(&pem, None).unwrap().key_id(),
        key.key_id()
    );
    let jwk = key.to_jwk().unwrap();
    let back = EncryptionPrivateKey::from_jwk(&jwk).unwrap();
    assert_eq!(back.key_id(), key.key_id());
    assert_eq!(
        EncryptionPrivateKey::from_any(&jwk, None).unwrap().key_id(),
        key.key_id()
    );
    let public = key.public_key();
    let spki = public.to_pem().unwrap();
    assert!(spki.starts_with("-----BEGIN PUBLIC KEY-----"));
    assert_eq!(EncryptionPublicKey::from_pem(&spki).unwrap(), *public);
    assert_eq!(
        EncryptionPublicKey::from_jwk(&public.to_jwk()).unwrap(),
        *public
    );
    assert_eq!(
        EncryptionPublicKey::from_any(&public.to_jwk()).unwrap(),
        *public
    );
    // A private JWK is also a valid public JWK (private members ignored).
    assert_eq!(EncryptionPublicKey::from_jwk(&jwk).unwrap(), *public);

    // Inconsistent CRT member, wrong kty, garbage, the wrong PEM kind.
    let mut v: serde_json::Value = serde_json::from_str(&jwk).unwrap();
    v["dp"] = v["dq"].clone();
    assert_eq!(
        EncryptionPrivateKey::from_jwk(&v.to_string())
            .unwrap_err()
            .code(),
        "KeyFormat"
    );
    assert_eq!(
        EncryptionPublicKey::from_jwk(r#"{"kty":"EC","crv":"P-256"}"#)
            .unwrap_err()
            .code(),
        "KeyFormat"
    );
    assert_eq!(
        EncryptionPublicKey::from_any("garbage").unwrap_err().code(),
        "KeyFormat"
    );
    assert_eq!(
        EncryptionPublicKey::from_pem(&pem).unwrap_err().code(),
        "KeyFormat"
    );
    assert_eq!(
        EncryptionPrivateKey::from_pem(&spki, None)
            .unwrap_err()
            .code(),
        "KeyFormat"
    );
    let mut rng = ChaCha20Rng::seed_from_u64(5);
    assert_eq!(
        EncryptionPrivateKey::generate(&mut rng, 1024).unwrap_err(),
        Error::UnsupportedKeySize(1024)
    );
    assert_eq!(
        EncryptionPrivateKey::generate(&mut rng, 3000).unwrap_err(),
        Error::UnsupportedKeySize(3000)
    );
}

#[test]
fn small_keys_are_refused_on_import() {
    // RFC 7517 Appendix A.1's 2048-bit key is fine; a 1024-bit JWK is not.
    let mut rng = ChaCha20Rng::seed_from_u64(6);
    let small = rsa::PrivateKey::new(&mut rng, 1024).unwrap();
    use rsa::pkcs8::EncodePublicKey;
    let pem = small
        .to_public_key()
        .to_public_key_pem(rsa::pkcs8::LineEnding::LF)
        .unwrap();
    assert_eq!(
        EncryptionPublicKey::from_pem(&pem).unwrap_err(),
        Error::UnsupportedKeySize(1024)
    );
}

#[test]
fn error_messages_never_echo_input() {
    let secret = "PATIENT-SECRET-1234";
    let doc =
        format!(r#"{{"protected":"{secret}","recipients":[],"iv":"","ciphertext":"","tag":""}}"#);
    let e = ParsedSmer::parse(doc.as_bytes(), &Limits::default()).unwrap_err();
    assert!(!e.to_string().contains(secret));
    let e = EncryptionPublicKey::from_jwk(&format!(r#"{{"kty":"{secret}"}}"#)).unwrap_err();
    assert!(!e.to_string().contains(secret));
}

fn sample_smer() -> &'static Vec<u8> {
    static SMER: OnceLock<Vec<u8>> = OnceLock::new();
    SMER.get_or_init(|| {
        let mut rng = ChaCha20Rng::seed_from_u64(8);
        smer::seal(
            &mut rng,
            b"synthetic record",
            &[keys()[0].public_key()],
            &options(ContentEncryption::A128CbcHs256),
            &Limits::default(),
        )
        .unwrap()
    })
}

fn json_value() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        "[A-Za-z0-9_=+/.-]{0,24}".prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::from),
            prop::collection::btree_map(
                prop_oneof![
                    Just("protected".to_owned()),
                    Just("recipients".to_owned()),
                    Just("iv".to_owned()),
                    Just("ciphertext".to_owned()),
                    Just("tag".to_owned()),
                    Just("header".to_owned()),
                    Just("encrypted_key".to_owned()),
                    Just("unprotected".to_owned()),
                    Just("aad".to_owned()),
                    "[a-z]{1,6}",
                ],
                inner,
                0..7,
            )
            .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        let mut rng = ChaCha20Rng::seed_from_u64(9);
        let result = smer::open(&bytes, &keys()[0], &mut rng, &Limits::default());
        prop_assert!(result.is_err());
    }

    #[test]
    fn arbitrary_json_never_panics(value in json_value()) {
        let mut rng = ChaCha20Rng::seed_from_u64(10);
        let text = value.to_string();
        prop_assert!(smer::open(text.as_bytes(), &keys()[0], &mut rng, &Limits::default()).is_err());
        let _ = EncryptionPublicKey::from_jwk(&text);
        let _ = EncryptionPrivateKey::from_jwk(&text);
    }

    #[test]
    fn any_single_byte_change_never_forges_a_record(index in any::<prop::sample::Index>(), delta in 1u8..=255) {
        let mut smer_bytes = sample_smer().clone();
        let i = index.index(smer_bytes.len());
        smer_bytes[i] = smer_bytes[i].wrapping_add(delta);
        let mut rng = ChaCha20Rng::seed_from_u64(11);
        prop_assert_ne!(semres::dery::smer_hash(&smer_bytes), semres::dery::smer_hash(sample_smer()));
        // Per-recipient headers are not integrity protected in JWE (RFC 7516 §7.2.1): a
        // change there (say "kid" renamed to an unknown " id") may still open. What must
        // hold is authenticity: a changed SMeR never opens to anything but the sealed
        // record, and its hash — the value the ledger holds — always changes.
        if let Ok(opened) = smer::open(&smer_bytes, &keys()[0], &mut rng, &Limits::default()) {
            prop_assert_eq!(opened.record.as_slice(), b"synthetic record", "byte {} changed", i);
        }
    }

    #[test]
    fn arbitrary_pem_never_panics(body in "[A-Za-z0-9+/=\n]{0,600}") {
        for label in ["PUBLIC KEY", "PRIVATE KEY", "RSA PRIVATE KEY", "RSA PUBLIC KEY"] {
            let pem = format!("-----BEGIN {label}-----\n{body}\n-----END {label}-----\n");
            let _ = EncryptionPublicKey::from_pem(&pem);
            let _ = EncryptionPrivateKey::from_pem(&pem, None);
        }
    }
}

/// `finish_around` (the browser encodes the ciphertext itself) gives the bytes of `finish`
/// around the ciphertext's base64url, with the same checks.
#[test]
fn finish_around_is_finish_without_the_ciphertext_text() {
    let to: Vec<&EncryptionPublicKey> = keys().iter().map(|k| k.public_key()).collect();
    for enc in [
        ContentEncryption::A256CbcHs512,
        ContentEncryption::A128CbcHs256,
    ] {
        for len in [0usize, 1, 15, 16, 17, 1000] {
            let plan = || {
                let mut rng = ChaCha20Rng::seed_from_u64(12 + len as u64);
                let mut plan =
                    smer::SealPlan::new(&mut rng, len, &to, &options(enc), &Limits::default())
                        .unwrap();
                plan.wrap_all(&mut rng).unwrap();
                plan
            };
            let ciphertext: Vec<u8> = (0..(len / 16 + 1) * 16).map(|i| i as u8).collect();
            let tag = vec![7u8; enc.tag_len()];
            let whole = plan().finish(&ciphertext, &tag).unwrap();
            let (head, tail) = plan().finish_around(ciphertext.len(), &tag).unwrap();
            let text = semres::b64::encode(&ciphertext);
            assert_eq!(
                [head, text.into_bytes(), tail].concat(),
                whole,
                "{enc:?} {len}"
            );
            assert!(plan().finish_around(ciphertext.len() + 16, &tag).is_err());
            assert!(plan().finish_around(ciphertext.len(), &tag[1..]).is_err());
        }
    }
}

/// The browser's way of sealing a large record (www/lib/webcrypto-ceda.js): the head before
/// the tag is known, the ciphertext's text and the plan's HMAC fed a piece at a time, then
/// the tail — the bytes of `seal` with the same randomness; and opening the same way: the
/// parsed SMeR's HMAC fed the ciphertext in pieces authenticates it, under no other key.
#[test]
fn sealed_and_authenticated_in_pieces_as_seal_and_open() {
    let to: Vec<&EncryptionPublicKey> = keys().iter().map(|k| k.public_key()).collect();
    for enc in [
        ContentEncryption::A256CbcHs512,
        ContentEncryption::A128CbcHs256,
    ] {
        for len in [0usize, 1, 15, 16, 17, 1000] {
            let record: Vec<u8> = (0..len).map(|i| (i * 7 + len) as u8).collect();
            let seed = 40 + len as u64;
            let whole = smer::seal(
                &mut ChaCha20Rng::seed_from_u64(seed),
                &record,
                &to,
                &options(enc),
                &Limits::default(),
            )
            .unwrap();
            let mut rng = ChaCha20Rng::seed_from_u64(seed);
            let mut plan =
                smer::SealPlan::new(&mut rng, len, &to, &options(enc), &Limits::default()).unwrap();
            plan.wrap_all(&mut rng).unwrap();
            let sealed = semres::ceda::content::encrypt(
                enc,
                plan.content_key(),
                plan.iv(),
                plan.aad(),
                &record,
            )
            .unwrap();
            for step in [1usize, 16, 48, 4096] {
                let mut mac = plan.content_mac().unwrap();
                for piece in sealed.ciphertext.chunks(step) {
                    mac.update(piece);
                }
                let full = mac.finish();
                let tail = plan.finish_tail(&full[..enc.tag_len()]).unwrap();
                assert_eq!(tail.len(), plan.tail_len());
                let head = plan.finish_head(sealed.ciphertext.len()).unwrap();
                let text = semres::b64::encode(&sealed.ciphertext);
                assert_eq!(
                    [head, text.into_bytes(), tail].concat(),
                    whole,
                    "{enc:?} {len} {step}"
                );

                let parsed = ParsedSmer::parse(&whole, &Limits::default()).unwrap();
                let mut mac = parsed.content_mac(plan.content_key()).unwrap();
                for piece in sealed.ciphertext.chunks(step) {
                    mac.update(piece);
                }
                assert!(parsed.tag_matches(&mac.finish()), "{enc:?} {len} {step}");
                let mut other = plan.content_key().to_vec();
                other[0] ^= 1;
                let mut mac = parsed.content_mac(&other).unwrap();
                mac.update(&sealed.ciphertext);
                assert!(!parsed.tag_matches(&mac.finish()));
                assert!(parsed.content_mac(&other[1..]).is_err());
            }
            assert!(plan.finish_head(sealed.ciphertext.len() + 16).is_err());
            assert!(plan.finish_tail(&[0u8; 3]).is_err());
        }
    }
}
