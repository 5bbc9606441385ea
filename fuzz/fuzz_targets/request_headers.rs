//! Signed-request headers (SPEC §5.1): reading five arbitrary header values, the time check
//! against any clock and the signature check never panic (no overflow however far the
//! time), and nothing but a real signature verifies.
#![no_main]

use libfuzzer_sys::fuzz_target;
use semres::identity::signing::SigningPrivateKey;
use semres::ledger::request::{
    SignedRequest, HEADER_CONTENT_SHA256, HEADER_KEY_ID, HEADER_NONCE, HEADER_SIGNATURE,
    HEADER_TIME,
};

/// A fixed key: what the fuzzer writes is never its signature.
fn key() -> &'static SigningPrivateKey {
    static KEY: std::sync::OnceLock<SigningPrivateKey> = std::sync::OnceLock::new();
    KEY.get_or_init(|| {
        let mut rng = <rand_chacha::ChaCha20Rng as rand_core::SeedableRng>::seed_from_u64(1);
        SigningPrivateKey::generate(&mut rng).expect("a key")
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut values = text.split('\n');
    let fields: Vec<(&str, Option<&str>)> = [
        HEADER_KEY_ID,
        HEADER_TIME,
        HEADER_NONCE,
        HEADER_CONTENT_SHA256,
        HEADER_SIGNATURE,
    ]
    .into_iter()
    .map(|name| (name, values.next()))
    .collect();
    let now: i64 = values.next().and_then(|v| v.parse().ok()).unwrap_or(0);
    let header = |name: &str| {
        fields
            .iter()
            .find(|(n, _)| *n == name)
            .and_then(|(_, v)| *v)
    };
    if let Ok(request) = SignedRequest::from_headers(header) {
        let _ = request.check_time(now);
        assert!(
            request
                .verify(key().public_key(), "GET", "/api/v1/checkpoint")
                .is_err(),
            "a signature the fuzzer made up verified"
        );
    }
});
