//! SMeR v1 (JWE JSON) structure: `ParsedSmer::parse` never panics, and the streamed check
//! DERy runs on uploads (`SmerStream`, fed in pieces whose size the input chooses) accepts
//! exactly what it accepts — with the same outline — and refuses with the same code; so does
//! `ParsedSmer::parse_leaving_ciphertext` (the browser's path), whose ciphertext span holds
//! text that decodes to the same MAC input, and the browser's piecewise parse
//! (`SmerStream::finish_leaving_ciphertext`), which gives that same span and MAC input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use semres::smer::{Limits, ParsedSmer, SmerStream};

/// The streamed check fed `smer` in pieces of `chunk` bytes, stopping at its first refusal.
fn fed(smer: &[u8], chunk: usize, limits: &Limits) -> semres::Result<SmerStream> {
    let mut stream = SmerStream::new(limits);
    for piece in smer.chunks(chunk) {
        stream.update(piece)?;
    }
    Ok(stream)
}

fuzz_target!(|data: &[u8]| {
    let Some((&control, smer)) = data.split_first() else {
        return;
    };
    // Small limits half the time, so that the size checks are reached too.
    let limits = if control & 0x80 == 0 {
        Limits::default()
    } else {
        Limits {
            max_record_bytes: 256,
            max_recipients: 2,
            max_header_bytes: 256,
        }
    };
    let chunk = usize::from(control & 0x7f) + 1;
    let whole = ParsedSmer::parse(smer, &limits);
    let left = ParsedSmer::parse_leaving_ciphertext(smer, &limits);
    match (&whole, &left) {
        (Ok(p), Ok(l)) => {
            assert_eq!(p.ciphertext_len(), l.ciphertext_len());
            let Ok(expected) = p.mac_input() else {
                panic!("parse holds its ciphertext");
            };
            let input = match l.ciphertext_span() {
                Some(span) => {
                    let text = std::str::from_utf8(&smer[span.start..span.end]).expect("ASCII");
                    let decoded = semres::encoding::b64::decode(text).expect("checked canonical");
                    assert_eq!(decoded.len(), span.decoded_len);
                    [l.mac_input_head(), decoded, l.mac_input_tail().to_vec()].concat()
                }
                None => l.mac_input().expect("decoded by the core"),
            };
            assert_eq!(input, expected);
        }
        (Err(a), Err(b)) => assert_eq!(a.code(), b.code()),
        _ => panic!("parse and parse_leaving_ciphertext disagree"),
    }
    match (
        &left,
        fed(smer, chunk, &limits).and_then(SmerStream::finish_leaving_ciphertext),
    ) {
        (Ok(l), Ok(Some(p))) => {
            assert!(p.ciphertext_span().is_some());
            assert_eq!(l.ciphertext_span(), p.ciphertext_span());
            assert_eq!(l.mac_input_head(), p.mac_input_head());
            assert_eq!(l.mac_input_tail(), p.mac_input_tail());
            assert_eq!(l.header(), p.header());
            assert_eq!(l.recipients(), p.recipients());
        }
        // A ciphertext written with escapes: neither has a span.
        (Ok(l), Ok(None)) => assert_eq!(l.ciphertext_span(), None),
        (Err(a), Err(b)) => assert_eq!(a.code(), b.code()),
        _ => panic!("parse_leaving_ciphertext and the piecewise parse disagree"),
    }
    let streamed = fed(smer, chunk, &limits).and_then(SmerStream::finish);
    match (whole, streamed) {
        (Ok(p), Ok(o)) => {
            let kids: Vec<Option<String>> =
                p.recipients().iter().map(|r| r.key_id.clone()).collect();
            assert_eq!(o.recipient_key_ids, kids);
            assert_eq!(&o.header, p.header());
            assert_eq!(o.enc, p.enc());
            assert_eq!(Ok(o.ciphertext_len), u64::try_from(p.ciphertext_len()));
        }
        (Err(a), Err(b)) => assert_eq!(a.code(), b.code()),
        (a, b) => panic!(
            "parse and stream disagree: {:?} vs {:?}",
            a.map(|_| ()).map_err(|e| e.code()),
            b.map(|_| ()).map_err(|e| e.code())
        ),
    }
});
