//! Ledger entries (SPEC §4.1): decoding never panics, and what decodes re-encodes to the
//! same bytes (one encoding per entry) with a stable hash.
#![no_main]

use libfuzzer_sys::fuzz_target;
use semres::ledger::entry::Entry;

fuzz_target!(|data: &[u8]| {
    if let Ok(entry) = Entry::from_bytes(data) {
        assert_eq!(
            entry.to_bytes(),
            data,
            "an entry decoded from bytes it does not encode to"
        );
        let again = Entry::from_bytes(&entry.to_bytes()).expect("own encoding");
        assert_eq!(again.hash(), entry.hash());
        let _ = entry.signing_bytes();
    }
});
