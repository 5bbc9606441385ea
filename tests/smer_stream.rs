//! The streamed check of a SMeR (what DERy runs on an upload) agrees with the whole-document
//! parser: on every SMeR vector, fed in pieces of every size from 1 byte to the whole, it
//! accepts what `ParsedSmer::parse` accepts — with the same outline — and refuses what it
//! refuses, with the same code; and no chunking of random mutations makes them disagree.
//! The same for the browser's piecewise parse that leaves the ciphertext in the document
//! (`finish_leaving_ciphertext` against `ParsedSmer::parse_leaving_ciphertext`).

use proptest::prelude::*;
use semres::smer::{Limits, ParsedSmer, SmerStream};
use serde_json::Value;

mod common;

/// The streamed check fed `bytes` in pieces of `chunk`, stopping at its first refusal.
fn fed(bytes: &[u8], chunk: usize, limits: &Limits) -> Result<SmerStream, String> {
    let mut stream = SmerStream::new(limits);
    for piece in bytes.chunks(chunk.max(1)) {
        stream.update(piece).map_err(|e| e.code().to_string())?;
    }
    Ok(stream)
}

fn streamed(
    bytes: &[u8],
    chunk: usize,
    limits: &Limits,
) -> Result<semres::smer::SmerOutline, String> {
    fed(bytes, chunk, limits)?
        .finish()
        .map_err(|e| e.code().to_string())
}

fn streamed_leaving(
    bytes: &[u8],
    chunk: usize,
    limits: &Limits,
) -> Result<Option<ParsedSmer>, String> {
    fed(bytes, chunk, limits)?
        .finish_leaving_ciphertext()
        .map_err(|e| e.code().to_string())
}

/// The browser's piecewise parse (`finish_leaving_ciphertext`) and the whole-document
/// `parse_leaving_ciphertext`: the same verdict and code, the same parse, the same span —
/// or, for a ciphertext written with escapes, no span from either.
fn agree_leaving(bytes: &[u8], limits: &Limits, chunk: usize) -> Result<(), String> {
    let whole = ParsedSmer::parse_leaving_ciphertext(bytes, limits);
    match (whole, streamed_leaving(bytes, chunk, limits)) {
        (Ok(w), Ok(Some(p))) => {
            let span = p.ciphertext_span().ok_or("no span")?;
            if w.ciphertext_span() != Some(span)
                || w.mac_input_head() != p.mac_input_head()
                || w.mac_input_tail() != p.mac_input_tail()
                || w.header() != p.header()
                || w.enc() != p.enc()
                || w.recipients() != p.recipients()
                || w.ciphertext_len() != p.ciphertext_len()
                || w.iv() != p.iv()
            {
                return Err("the piecewise parse differs from the whole one".into());
            }
            Ok(())
        }
        (Ok(w), Ok(None)) if w.ciphertext_span().is_none() => Ok(()),
        (Err(e), Err(code)) if e.code() == code.as_str() => Ok(()),
        (w, s) => Err(format!(
            "leaving the ciphertext — whole: {:?}, piecewise: {:?}",
            w.map(|p| p.ciphertext_span()).map_err(|e| e.code()),
            s.map(|p| p.map(|p| p.ciphertext_span()))
        )),
    }
}

fn agree(bytes: &[u8], limits: &Limits, chunk: usize) -> Result<(), String> {
    agree_leaving(bytes, limits, chunk)?;
    let whole = ParsedSmer::parse(bytes, limits);
    let piecewise = streamed(bytes, chunk, limits);
    match (whole, piecewise) {
        (Ok(p), Ok(o)) => {
            let kids: Vec<Option<String>> =
                p.recipients().iter().map(|r| r.key_id.clone()).collect();
            if o.recipient_key_ids != kids
                || o.header != *p.header()
                || o.enc != p.enc()
                || o.ciphertext_len != p.ciphertext_len() as u64
            {
                return Err("the outline differs from the parse".into());
            }
            Ok(())
        }
        (Err(e), Err(code)) if e.code() == code.as_str() => Ok(()),
        (w, s) => Err(format!(
            "whole: {:?}, streamed: {:?}",
            w.map(|_| ()).map_err(|e| e.code()),
            s.map(|_| ())
        )),
    }
}

#[test]
fn every_smer_vector_streamed_in_every_chunk_size() {
    let doc: Value = serde_json::from_str(common::SMER_VECTORS).unwrap();
    let mut checked = 0;
    for case in doc["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let smer = case["smer"].as_str().unwrap().as_bytes();
        let mut limits = Limits::default();
        if let Some(max) = case["limits"]["max_record_bytes"].as_u64() {
            limits.max_record_bytes = max as usize;
        }
        for chunk in [1, 2, 3, 7, 16, 64, 1000, smer.len()] {
            agree(smer, &limits, chunk)
                .unwrap_or_else(|e| panic!("{name}, chunks of {chunk}: {e}"));
        }
        checked += 1;
    }
    assert!(checked >= 60);
}

#[test]
fn escapes_and_placement_of_the_ciphertext() {
    let doc: Value = serde_json::from_str(common::SMER_VECTORS).unwrap();
    let base = doc["cases"][0]["smer"].as_str().unwrap().to_owned();
    let limits = Limits::default();
    // An escaped base64url character is that character; an escaped quote is not base64url;
    // a bad escape is not JSON; the ciphertext member first or last; nested "ciphertext"
    // names are not the ciphertext.
    let at = base.find("\"ciphertext\":\"").unwrap() + 14;
    let first = base.as_bytes()[at] as char;
    let variants = [
        format!("{}\\u00{:02x}{}", &base[..at], first as u8, &base[at + 1..]),
        format!("{}\\\"{}", &base[..at], &base[at + 1..]),
        format!("{}\\q{}", &base[..at], &base[at + 1..]),
        format!("{}\\ud83d\\ude00{}", &base[..at], &base[at + 1..]),
        format!("{}\\ud83dA{}", &base[..at], &base[at + 1..]),
        format!("{}\\ude00{}", &base[..at], &base[at + 1..]),
        format!("{}\\ud83d\\u0041{}", &base[..at], &base[at + 1..]),
        format!("{}\\u00zz{}", &base[..at], &base[at + 1..]),
        format!("{}\\u+041{}", &base[..at], &base[at + 1..]),
        format!("{}é{}", &base[..at], &base[at + 1..]),
        format!("{}\u{7f}{}", &base[..at], &base[at + 1..]),
        base.replacen(
            "{\"protected\"",
            "{\"unprotected\":{\"ciphertext\":\"x\"},\"protected\"",
            1,
        ),
        base.replacen("\"ciphertext\":", "\"ciphertext\" \n : ", 1),
        base.replacen("\"ciphertext\":\"", "\"ciphertext\":5,\"x\":\"", 1),
        base.replacen("\"ciphertext\"", "\"\\u0063iphertext\"", 1),
        format!("{base}{{}}"),
        format!("{base}\"tail\""),
        base[..base.len() - 1].to_owned(),
    ];
    for (i, v) in variants.iter().enumerate() {
        for chunk in [1, 5, v.len()] {
            agree(v.as_bytes(), &limits, chunk).unwrap_or_else(|e| panic!("variant {i}: {e}"));
        }
    }
}

#[test]
fn size_limits_refuse_early() {
    let limits = Limits {
        max_record_bytes: 16,
        ..Limits::default()
    };
    let mut stream = SmerStream::new(&limits);
    let big = vec![b' '; limits.max_smer_bytes() + 1];
    let code = stream.update(&big).unwrap_err().code();
    assert_eq!(code, "TooLarge");
    let mut stream = SmerStream::new(&limits);
    let mut outline = b"{\"x\":\"".to_vec();
    outline.resize(limits.max_outline_bytes() + 10, b'a');
    assert_eq!(stream.update(&outline).unwrap_err().code(), "TooLarge");
}

proptest! {
    // PROPTEST_CASES=… runs more.
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(256)
    ))]
    #[test]
    fn random_damage_never_makes_them_disagree(
        case in 0usize..60, at in any::<prop::sample::Index>(), byte in any::<u8>(),
        chunk in 1usize..300, cut in any::<prop::sample::Index>(), truncate in any::<bool>(),
    ) {
        let doc: Value = serde_json::from_str(common::SMER_VECTORS).unwrap();
        let cases = doc["cases"].as_array().unwrap();
        let mut smer = cases[case % cases.len()]["smer"].as_str().unwrap().as_bytes().to_vec();
        if !smer.is_empty() {
            let i = at.index(smer.len());
            smer[i] = byte;
            if truncate {
                smer.truncate(cut.index(smer.len()));
            }
        }
        prop_assert!(agree(&smer, &Limits::default(), chunk).is_ok(), "{:?}", agree(&smer, &Limits::default(), chunk));
    }
}
