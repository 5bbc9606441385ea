//! DERy's check of an arriving object (`dery::UploadCheck`), for both SMeR profiles: on every
//! streamed SMeR vector it reads the head exactly as `StreamHead::parse` does (same outline,
//! same refusals) whatever the piece size; it refuses records that cannot end with a whole
//! last record, and anything over its size limit as soon as the limit is passed; on every
//! SMeR v1 vector it agrees with the v1 check.

use semres::dery::{Profile, UploadCheck, UploadOutline};
use semres::smer::streamed::StreamHead;
use semres::smer::{Limits, SmerStream};
use serde_json::Value;

mod common;

const MAX: u64 = 1 << 30;

fn check(bytes: &[u8], piece: usize, limits: &Limits, max: u64) -> Result<UploadOutline, String> {
    let mut check = UploadCheck::new(limits, max);
    for part in bytes.chunks(piece.max(1)) {
        check.update(part).map_err(|e| e.code().to_string())?;
    }
    assert_eq!(check.len(), bytes.len() as u64);
    check.finish().map_err(|e| e.code().to_string())
}

fn stream_cases() -> Vec<(String, Vec<u8>, Value)> {
    let doc: Value = serde_json::from_str(common::STREAM_VECTORS).unwrap();
    doc["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap().to_owned(),
                common::hex_decode(c["smer_hex"].as_str().unwrap()),
                c.clone(),
            )
        })
        .collect()
}

#[test]
fn streamed_vectors_head_as_the_parser_reads_it() {
    let limits = Limits::default();
    let (mut accepted, mut refused, mut cut) = (0, 0, 0);
    for (name, smer, case) in stream_cases() {
        let parsed = StreamHead::parse(&smer, &limits);
        for piece in [1, 13, smer.len()] {
            let got = check(&smer, piece, &limits, MAX);
            match (&parsed, &got) {
                (Ok(head), Ok(outline)) => {
                    assert_eq!(outline.profile, Profile::Streamed, "{name}");
                    assert_eq!(&outline.header, head.header(), "{name}");
                    let kids: Vec<_> = head.recipients().iter().map(|r| r.key_id.clone()).collect();
                    assert_eq!(outline.recipient_key_ids, kids, "{name}");
                    assert_eq!(outline.ciphertext_len, (smer.len() - head.len()) as u64);
                }
                (Err(e), Err(code)) => assert_eq!(e.code(), code.as_str(), "{name}"),
                // The head reads but the records cannot be whole: split into rs-byte
                // pieces, the final piece has no room for a delimiter and a tag.
                (Ok(head), Err(code)) => {
                    let records = smer.len() - head.len();
                    let rs = head.record_size() as usize;
                    let last = if records == 0 {
                        0
                    } else {
                        records - (records - 1) / rs * rs
                    };
                    assert!(
                        last < 17,
                        "{name}: {code} with a last record of {last} bytes"
                    );
                    assert_eq!(code, "MalformedSmer", "{name}");
                    cut += 1;
                }
                (Err(e), Ok(_)) => panic!(
                    "{name}: the parser refuses ({}), the check accepts",
                    e.code()
                ),
            }
        }
        if case["expect"] == "ok" {
            assert!(
                parsed.is_ok() && check(&smer, 7, &limits, MAX).is_ok(),
                "{name}"
            );
            accepted += 1;
        } else if parsed.is_err() {
            refused += 1;
        }
    }
    assert_eq!(accepted, 7);
    // The head-level negatives (magic, version, header, recipients, salt, body header).
    assert!(refused >= 15, "{refused}");
    // truncated-to-head, last-record-twice, … (three piece sizes each).
    assert!(cut >= 6, "{cut}");
}

#[test]
fn records_must_end_with_a_whole_last_record() {
    let limits = Limits::default();
    let (_, smer, _) = stream_cases()
        .into_iter()
        .find(|(n, ..)| n == "seven-records")
        .unwrap();
    let head = StreamHead::parse(&smer, &limits).unwrap();
    let rs = head.record_size() as usize;
    let records = smer.len() - head.len();
    // Nothing after the head; one byte of a record; a last record of 16 bytes (no room for
    // its delimiter and tag): refused. A last record of 17 bytes, or ending on a full record
    // (as far as length can tell): accepted.
    let whole_records = records / rs * rs;
    for (len, ok) in [
        (0, false),
        (1, false),
        (16, false),
        (17, true),
        (rs, true),
        (rs + 16, false),
        (rs + 17, true),
        (whole_records, true),
    ] {
        let cut = &smer[..head.len() + len];
        let got = check(cut, 5, &limits, MAX);
        assert_eq!(got.is_ok(), ok, "records of {len} bytes: {got:?}");
        if !ok {
            assert_eq!(got.unwrap_err(), "MalformedSmer");
        }
    }
}

#[test]
fn size_limit_refuses_as_soon_as_it_is_passed() {
    let limits = Limits::default();
    let (_, smer, _) = stream_cases()
        .into_iter()
        .find(|(n, ..)| n == "seven-records")
        .unwrap();
    let n = smer.len() as u64;
    assert!(check(&smer, 64, &limits, n).is_ok());
    assert_eq!(check(&smer, 64, &limits, n - 1).unwrap_err(), "TooLarge");
    // Refused at the byte that passes the limit, before the rest is fed.
    let mut c = UploadCheck::new(&limits, 100);
    c.update(&smer[..100]).unwrap();
    assert_eq!(c.update(&smer[100..101]).unwrap_err().code(), "TooLarge");
    // A head over the outline limit is refused from its length field alone.
    let mut big = smer[..10].to_vec();
    big[6..10].copy_from_slice(&u32::MAX.to_be_bytes());
    assert_eq!(check(&big, 10, &limits, MAX).unwrap_err(), "TooLarge");
    // An unknown container version is its own error.
    let mut v2 = smer.clone();
    v2[5] = 2;
    assert_eq!(
        check(&v2, 3, &limits, MAX).unwrap_err(),
        "UnsupportedVersion"
    );
    // Nothing at all is not a SMeR; neither is the magic's first byte followed by JSON.
    assert_eq!(check(b"", 1, &limits, MAX).unwrap_err(), "MalformedSmer");
    assert_eq!(
        check(b"S{\"protected\":1}xxxxxxx", 4, &limits, MAX).unwrap_err(),
        "MalformedSmer"
    );
}

#[test]
fn v1_vectors_as_the_v1_check_reads_them() {
    let doc: Value = serde_json::from_str(common::SMER_VECTORS).unwrap();
    let mut n = 0;
    for case in doc["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let smer = case["smer"].as_str().unwrap().as_bytes();
        let mut limits = Limits::default();
        if let Some(max) = case["limits"]["max_record_bytes"].as_u64() {
            limits.max_record_bytes = max as usize;
        }
        let mut v1 = SmerStream::new(&limits);
        let expected = v1.update(smer).and_then(|()| v1.finish());
        for piece in [1, 64, smer.len()] {
            match (&expected, check(smer, piece, &limits, MAX)) {
                (Ok(o), Ok(u)) => {
                    assert_eq!(u.profile, Profile::V1, "{name}");
                    assert_eq!(u.recipient_key_ids, o.recipient_key_ids, "{name}");
                    assert_eq!(u.header, o.header, "{name}");
                    assert_eq!(u.ciphertext_len, o.ciphertext_len, "{name}");
                }
                (Err(e), Err(code)) => assert_eq!(e.code(), code.as_str(), "{name}"),
                (e, u) => panic!(
                    "{name}: v1 check {:?}, upload check {:?}",
                    e.as_ref().map(|_| ()),
                    u.map(|_| ())
                ),
            }
        }
        n += 1;
    }
    assert!(n >= 60);
}
