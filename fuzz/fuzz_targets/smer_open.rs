//! Opening a SMeR with a private key (RSA-OAEP-256 unwrap, HMAC, AES-CBC): never panics,
//! and every failure after the key is used is the one opaque `DecryptionFailed`.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use semres::smer::Limits;
use semres::{EncryptionPrivateKey, Error};

/// Alice's key of the SMeR vectors (tests/vectors/smer/smer_v1.json).
fn key() -> &'static EncryptionPrivateKey {
    static KEY: OnceLock<EncryptionPrivateKey> = OnceLock::new();
    KEY.get_or_init(|| {
        let pem = include_str!("../keys/alice.pem");
        EncryptionPrivateKey::from_pem(pem, None).expect("the vectors' key")
    })
}

fuzz_target!(|data: &[u8]| {
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    match semres::open(data, key(), &mut rng, &Limits::default()) {
        Ok(opened) => assert!(opened.record.len() <= Limits::default().max_record_bytes),
        // The only outcomes: structural refusals before any key use, or the opaque one.
        Err(e) => assert!(
            matches!(
                e,
                Error::DecryptionFailed
                    | Error::NoMatchingRecipient
                    | Error::MalformedSmer(_)
                    | Error::UnsupportedVersion(_)
                    | Error::UnsupportedAlgorithm(_)
                    | Error::TooLarge { .. }
            ),
            "unexpected {:?}",
            e.code()
        ),
    }
});
