//! Streamed SMeR v1 (SPEC.md §7; RFC 8188 records): the head parser never panics and agrees
//! with `StreamHead::head_len` and with DERy's piecewise `StreamedCheck` (same refusals;
//! beyond the head, only a records length that cannot end whole is refused); the record opener never panics, gives the same verdict and
//! the same released plaintext whatever the piece size, never releases more than the
//! authenticated records hold — and, on records sealed here from the input and then
//! damaged as the input says (a byte changed, cut short, a record dropped, duplicated or
//! swapped), accepts exactly the undamaged stream and returns its plaintext.
#![no_main]

use libfuzzer_sys::fuzz_target;
use semres::smer::ece::{
    parse_body_header, RecordKeys, RecordOpener, RecordSealer, BODY_HEADER_LEN, SALT_LEN,
};
use semres::smer::streamed::{StreamHead, StreamedCheck};
use semres::smer::Limits;
use semres::Code;

const IKM: [u8; 16] = [7; 16];

/// Opens `records` fed in pieces of `piece` bytes: the verdict and what was released.
fn open_in_pieces(
    keys: RecordKeys,
    rs: u32,
    max: u64,
    records: &[u8],
    piece: usize,
) -> (Result<u64, Code>, Vec<u8>) {
    let mut out = Vec::new();
    let mut opener = match RecordOpener::new(keys, rs, max) {
        Ok(opener) => opener,
        Err(e) => return (Err(e.code()), out),
    };
    for part in records.chunks(piece.max(1)) {
        if let Err(e) = opener.update(part, &mut out) {
            return (Err(e.code()), out);
        }
        assert_eq!(opener.released(), out.len() as u64);
    }
    let verdict = opener.finish(&mut out).map_err(|e| e.code());
    if let Ok(n) = verdict {
        assert_eq!(n, out.len() as u64);
    }
    (verdict, out)
}

/// Random bytes as records: only the structure (rs, pieces) can be exercised.
fn raw(control: u8, data: &[u8]) {
    let limits = if control & 0x80 == 0 {
        Limits::default()
    } else {
        Limits {
            max_record_bytes: 256,
            max_recipients: 2,
            max_header_bytes: 256,
        }
    };
    // DERy's check of an arriving streamed SMeR, in pieces, agrees with the parser on the
    // head; it refuses on the records only a length that cannot end with a whole record.
    let piece = usize::from(control >> 1 & 0x1f) + 1;
    let mut check = StreamedCheck::new(&limits, u64::MAX);
    let mut fed = Ok(());
    for part in data.chunks(piece) {
        fed = check.update(part);
        if fed.is_err() {
            break;
        }
    }
    let checked = fed.and_then(|()| check.finish());
    match (StreamHead::parse(data, &limits), checked) {
        (Err(a), Err(b)) => assert_eq!(a.code(), b.code()),
        (Err(a), Ok(_)) => panic!("the parser refuses ({}) what the check accepts", a.code()),
        (Ok(head), Ok((seen, records))) => {
            assert_eq!(seen.len(), head.len());
            assert_eq!(records as usize, data.len() - head.len());
        }
        (Ok(head), Err(e)) => {
            assert_eq!(e.code(), Code::MalformedSmer);
            let records = data.len() - head.len();
            let rs = head.record_size() as usize;
            let last = if records == 0 {
                0
            } else {
                records - (records - 1) / rs * rs
            };
            assert!(last < 17, "refused a last record of {last} bytes");
        }
    }
    match StreamHead::parse(data, &limits) {
        Ok(head) => {
            assert_eq!(StreamHead::head_len(data, &limits).ok(), Some(head.len()));
            assert!(head.len() <= data.len());
            // Key material that does not match the commitment is refused; a 15-byte key
            // always is.
            if let Err(e) = head.opener(&IKM, 1 << 20) {
                assert_eq!(e.code(), Code::DecryptionFailed);
            }
            assert!(head.opener(&IKM[..15], 1 << 20).is_err());
            let _ = head.encrypted_key_for("k");
        }
        Err(e) => {
            let _ = e.code();
        }
    }
    if data.len() >= BODY_HEADER_LEN {
        let mut body = [0u8; BODY_HEADER_LEN];
        body.copy_from_slice(&data[..BODY_HEADER_LEN]);
        if let Ok((salt, rs)) = parse_body_header(&body) {
            let rest = &data[BODY_HEADER_LEN..];
            let piece = usize::from(control & 0x3f) + 1;
            let whole = open_in_pieces(
                RecordKeys::derive(&IKM, &salt),
                rs,
                1 << 20,
                rest,
                rest.len(),
            );
            let parts = open_in_pieces(RecordKeys::derive(&IKM, &salt), rs, 1 << 20, rest, piece);
            assert_eq!(whole, parts);
        }
    }
}

/// Records sealed here from the input, then damaged as the input says.
fn sealed(control: u8, data: &[u8]) {
    let Some((params, plaintext)) = data.split_at_checked(4) else {
        return;
    };
    let rs = 18 + u32::from(params[0] % 48);
    let mut salt = [0u8; SALT_LEN];
    salt[0] = params[1];
    let mut sealer = RecordSealer::new(RecordKeys::derive(&IKM, &salt), rs).expect("rs in range");
    let full = sealer.chunk_len();
    let mut records = Vec::new();
    let mut chunks: Vec<&[u8]> = plaintext.chunks(full).collect();
    // An exact multiple ends either with a full last record or an empty one.
    if chunks.is_empty() || (chunks.last().map(|c| c.len()) == Some(full) && params[2] & 1 == 1) {
        chunks.push(&[]);
    }
    let count = chunks.len();
    for (i, chunk) in chunks.iter().enumerate() {
        sealer
            .seal(chunk, i + 1 == count, &mut records)
            .expect("sealed");
    }
    assert!(sealer.is_finished());
    let damage = params[3] % 6;
    let at = usize::from(params[2]) * 7;
    let rsz = rs as usize;
    let mut damaged = records.clone();
    let changed = match damage {
        0 => false,
        1 => {
            let i = at % damaged.len();
            damaged[i] ^= 1 | (params[1] & 0xfe);
            true
        }
        2 => {
            damaged.truncate(at % damaged.len());
            true
        }
        3 if count > 1 => {
            // Drop one record.
            let i = at % count;
            let start = i * rsz;
            let end = (start + rsz).min(damaged.len());
            damaged.drain(start..end);
            true
        }
        4 if count > 1 => {
            // Duplicate a full record.
            let i = at % (count - 1);
            let rec = damaged[i * rsz..(i + 1) * rsz].to_vec();
            damaged.splice(i * rsz..i * rsz, rec);
            true
        }
        5 if count > 2 => {
            // Swap two full records.
            let i = at % (count - 2);
            let a = damaged[i * rsz..(i + 1) * rsz].to_vec();
            let b = damaged[(i + 1) * rsz..(i + 2) * rsz].to_vec();
            damaged.splice(i * rsz..(i + 2) * rsz, [b, a].concat());
            true
        }
        _ => false,
    };
    let piece = usize::from(control & 0x3f) + 1;
    let limit = if control & 0x40 == 0 {
        1 << 20
    } else {
        (plaintext.len() / 2) as u64
    };
    let (verdict, out) =
        open_in_pieces(RecordKeys::derive(&IKM, &salt), rs, limit, &damaged, piece);
    let over = plaintext.len() as u64 > limit;
    if changed {
        assert!(verdict.is_err(), "damaged records opened");
        // What was released is a prefix of the plaintext, in whole authenticated chunks.
        assert!(plaintext.starts_with(&out));
        assert_eq!(out.len() % full, 0);
    } else if over {
        assert_eq!(verdict, Err(Code::TooLarge));
        assert!(out.len() as u64 <= limit);
    } else {
        assert_eq!(verdict, Ok(plaintext.len() as u64));
        assert_eq!(out, plaintext);
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&control, rest)) = data.split_first() else {
        return;
    };
    if control & 1 == 0 {
        raw(control, rest);
    } else {
        sealed(control, rest);
    }
});
