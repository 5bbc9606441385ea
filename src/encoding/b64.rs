//! Canonical base64url without padding (RFC 4648 §5, as RFC 7515 §2 uses it in JOSE/SMeR).
//!
//! Decoding is strict: only the URL-safe alphabet, no `=` padding, no whitespace, and the
//! unused low bits of the last character must be zero, so every byte string has exactly one
//! accepted encoding and a SMeR's hash cannot be changed without changing its content.

use base64ct::{Base64UrlUnpadded, Encoding};

/// Encodes bytes as unpadded base64url.
pub fn encode(bytes: &[u8]) -> String {
    Base64UrlUnpadded::encode_string(bytes)
}

/// Appends the unpadded base64url encoding of `bytes` to `out` without an intermediate copy.
/// `None` only if the encoder disagrees with [`encoded_len`] (then `out` is unchanged).
pub fn encode_into(bytes: &[u8], out: &mut Vec<u8>) -> Option<()> {
    let start = out.len();
    out.resize(start + encoded_len(bytes.len()), 0);
    if Base64UrlUnpadded::encode(bytes, &mut out[start..]).is_ok() {
        Some(())
    } else {
        out.truncate(start);
        None
    }
}

/// Decodes canonical unpadded base64url; `None` for anything else.
pub fn decode(text: &str) -> Option<Vec<u8>> {
    let bytes = Base64UrlUnpadded::decode_vec(text).ok()?;
    // base64ct is strict already; re-encoding guards the canonical-form rule in one place
    // whatever the library's leniency in a future version.
    if encode(&bytes) == text {
        Some(bytes)
    } else {
        None
    }
}

/// Value of each base64url character, 0xff for every other byte.
const TABLE: [u8; 256] = {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut table = [0xffu8; 256];
    let mut i: u8 = 0;
    while i < 64 {
        table[ALPHABET[i as usize] as usize] = i;
        i += 1;
    }
    table
};

/// Decodes canonical unpadded base64url of **public** data — a SMeR's ciphertext, IV, tag
/// and wrapped keys — with a lookup table: many times faster than [`decode`] in WASM, but
/// its timing depends on the data, so never for secrets (keys go through [`decode`]).
/// Accepts exactly what [`decode`] accepts.
pub fn decode_public(text: &str) -> Option<Vec<u8>> {
    let bytes = text.as_bytes();
    let value = |c: u8| -> Option<u32> {
        let v = TABLE[usize::from(c)];
        (v < 64).then_some(u32::from(v))
    };
    let mut out = Vec::with_capacity(bytes.len() / 4 * 3 + 2);
    let mut quads = bytes.chunks_exact(4);
    for q in &mut quads {
        let n = (value(q[0])? << 18) | (value(q[1])? << 12) | (value(q[2])? << 6) | value(q[3])?;
        out.extend_from_slice(&n.to_be_bytes()[1..]);
    }
    match *quads.remainder() {
        [] => {}
        [a, b] => {
            let n = (value(a)? << 18) | (value(b)? << 12);
            // Canonical: the unused low bits of the last character are zero.
            if n & 0xffff != 0 {
                return None;
            }
            out.push(n.to_be_bytes()[1]);
        }
        [a, b, c] => {
            let n = (value(a)? << 18) | (value(b)? << 12) | (value(c)? << 6);
            if n & 0xff != 0 {
                return None;
            }
            out.extend_from_slice(&n.to_be_bytes()[1..3]);
        }
        _ => return None,
    }
    Some(out)
}

/// How many of the first bytes of **public** text are base64url characters: eight at a
/// time as one `u64` ([`word_in_alphabet`]), then one at a time (a table lookup each) in the
/// word where the run ends.
pub fn public_run_len(bytes: &[u8]) -> usize {
    let mut whole = 0;
    for word in bytes.chunks_exact(8) {
        let word: [u8; 8] = word.try_into().unwrap_or([0; 8]);
        if !word_in_alphabet(u64::from_le_bytes(word)) {
            break;
        }
        whole += 8;
    }
    let rest = bytes.get(whole..).unwrap_or_default();
    whole
        + rest
            .iter()
            .position(|&c| TABLE[usize::from(c)] >= 64)
            .unwrap_or(rest.len())
}

/// Whether all eight bytes of `word` are base64url characters, by arithmetic on the whole
/// word (SWAR): no byte has its top bit set, so adding a constant below 128 to every byte
/// never carries into the next, and each byte's top bit then says on which side of a bound
/// it lies. Letters are tested as lower case (`| 0x20` maps `A-Z` onto `a-z` and nothing else
/// there), `-` and `_` by equality.
const fn word_in_alphabet(word: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const TOP: u64 = 0x8080_8080_8080_8080;
    const LOW: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    /// Top bit of each byte set where that byte is at least `bound`.
    const fn at_least(w: u64, bound: u8) -> u64 {
        w.wrapping_add(ONES * (128 - bound as u64)) & TOP
    }
    /// Top bit of each byte set where that byte is at most `bound`.
    const fn at_most(w: u64, bound: u8) -> u64 {
        !w.wrapping_add(ONES * (127 - bound as u64)) & TOP
    }
    /// Top bit of each byte set where that byte is `c` (a zero byte of `w ^ c`).
    const fn equals(w: u64, c: u8) -> u64 {
        let v = w ^ (ONES * c as u64);
        !((v & LOW).wrapping_add(LOW) | v) & TOP
    }
    if word & TOP != 0 {
        return false;
    }
    let lower = word | (ONES * 0x20);
    let inside = (at_least(lower, b'a') & at_most(lower, b'z'))
        | (at_least(word, b'0') & at_most(word, b'9'))
        | equals(word, b'-')
        | equals(word, b'_');
    inside == TOP
}

/// The decoded length of `text` if [`decode_public`] accepts it, without decoding: every
/// character in the alphabet, a possible length, the unused low bits of the last character
/// zero. For a caller that decodes public data itself (the browser's native base64) once the
/// core has checked it.
pub fn check_public(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    if public_run_len(bytes) != bytes.len() {
        return None;
    }
    let last = bytes.last().map_or(0, |&c| TABLE[usize::from(c)]);
    let tail = match bytes.len() % 4 {
        0 => 0,
        2 if last & 0b1111 == 0 => 1,
        3 if last & 0b11 == 0 => 2,
        _ => return None,
    };
    Some(bytes.len() / 4 * 3 + tail)
}

/// Length of the unpadded base64url encoding of `n` bytes.
pub const fn encoded_len(n: usize) -> usize {
    (n / 3) * 4
        + match n % 3 {
            0 => 0,
            1 => 2,
            _ => 3,
        }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_non_canonical_forms() {
        assert_eq!(decode("AA").as_deref(), Some(&[0u8][..]));
        assert_eq!(decode("AB"), None, "non-zero trailing bits");
        assert_eq!(decode("AA=="), None, "padding");
        assert_eq!(decode("A"), None, "impossible length");
        assert_eq!(decode("+/"), None, "standard alphabet");
        assert_eq!(decode("AA AA"), None, "whitespace");
        assert_eq!(decode("").as_deref(), Some(&[][..]));
        assert_eq!(decode("_-8").as_deref(), Some(&[0xff, 0xef][..]));
    }

    #[test]
    fn the_public_decoder_accepts_exactly_what_the_strict_one_does() {
        for text in [
            "AA", "AB", "AA==", "A", "+/", "AA AA", "", "_-8", "AAA", "AAB", "AAE",
        ] {
            assert_eq!(decode_public(text), decode(text), "{text:?}");
        }
        // Every 1-, 2- and 3-character string over the alphabet and a few strangers.
        let chars: Vec<char> = "AQgw_-9zZa+/=. \u{e9}".chars().collect();
        let mut texts = vec![String::new()];
        for _ in 0..3 {
            texts = texts
                .iter()
                .flat_map(|t| chars.iter().map(move |c| format!("{t}{c}")))
                .collect();
            for t in &texts {
                assert_eq!(decode_public(t), decode(t), "{t:?}");
                assert_eq!(check_public(t), decode(t).map(|b| b.len()), "{t:?}");
            }
        }
        for n in 0..70 {
            let bytes: Vec<u8> = (0..n).map(|i| (i * 37 + n) as u8).collect();
            assert_eq!(check_public(&encode(&bytes)), Some(bytes.len()));
            assert_eq!(decode_public(&encode(&bytes)), Some(bytes));
        }
    }

    proptest::proptest! {
        #[test]
        fn public_and_strict_decoders_agree(text in "[A-Za-z0-9_=+/ -]{0,40}") {
            proptest::prop_assert_eq!(decode_public(&text), decode(&text));
            proptest::prop_assert_eq!(check_public(&text), decode(&text).map(|b| b.len()));
        }
    }

    #[test]
    fn public_run_len_stops_at_the_first_byte_outside_the_alphabet() {
        assert_eq!(public_run_len(b""), 0);
        assert_eq!(public_run_len(b"AZaz09-_"), 8);
        assert_eq!(public_run_len(b"Ab+c"), 2);
        assert_eq!(public_run_len(b"\"x"), 0);
        assert_eq!(public_run_len(b"abc="), 3);
        for c in 0..=255u8 {
            let inside = c.is_ascii_alphanumeric() || c == b'-' || c == b'_';
            assert_eq!(
                public_run_len(&[c, b'A']),
                if inside { 2 } else { 0 },
                "{c}"
            );
        }
    }

    #[test]
    fn public_run_len_finds_the_end_in_any_block_and_at_any_offset() {
        // Runs longer than a block: the end found in the first, a later or the last
        // (partial) block, by every byte outside the alphabet.
        let text = encode(&(0..150u8).collect::<Vec<_>>());
        let text = text.as_bytes();
        assert_eq!(public_run_len(text), text.len());
        for len in [31, 32, 33, 63, 64, 65, 100, text.len()] {
            assert_eq!(public_run_len(text.get(..len).unwrap()), len);
            for stop in 0..len {
                for c in [b'"', b'=', b'+', b'/', b'\\', b' ', 0, 0x7f, 0x80, 0xff] {
                    let mut bytes = text.get(..len).unwrap().to_vec();
                    bytes[stop] = c;
                    assert_eq!(public_run_len(&bytes), stop, "{len} {stop} {c}");
                }
            }
        }
        // Every byte value in every lane of a word.
        for c in 0..=255u8 {
            let inside = c.is_ascii_alphanumeric() || c == b'-' || c == b'_';
            for at in 40..48 {
                let mut bytes = text.get(..70).unwrap().to_vec();
                bytes[at] = c;
                assert_eq!(public_run_len(&bytes), if inside { 70 } else { at }, "{c}");
            }
        }
    }

    #[test]
    fn encoded_len_matches() {
        for n in 0..40 {
            assert_eq!(encoded_len(n), encode(&vec![7u8; n]).len());
        }
    }
}
