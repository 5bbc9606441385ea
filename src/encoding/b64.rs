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
    fn encoded_len_matches() {
        for n in 0..40 {
            assert_eq!(encoded_len(n), encode(&vec![7u8; n]).len());
        }
    }
}
