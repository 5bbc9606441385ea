//! Canonical base64url (SPEC §1): the fast decoder of a SMeR's public members and the
//! constant-time one accept exactly the same strings and decode them alike; what decodes
//! re-encodes to the same text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use semres::b64;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = core::str::from_utf8(data) else {
        return;
    };
    let fast = b64::decode_public(text);
    assert_eq!(fast, b64::decode(text), "the two decoders disagree");
    if let Some(bytes) = fast {
        assert_eq!(
            b64::encode(&bytes),
            text,
            "a non-canonical text was accepted"
        );
    }
});
