//! Ledger blocks (SPEC §4.3): decoding never panics; what decodes re-encodes to the same
//! bytes; checking its seal (against the vectors' authorities) and the paper's view of it
//! never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use semres::ledger::Block;

fuzz_target!(|data: &[u8]| {
    if let Ok(block) = Block::from_bytes(data) {
        assert_eq!(
            block.to_bytes(),
            data,
            "a block decoded from bytes it does not encode to"
        );
        let _ = block.hash();
        let _ = block.verify_seal(semres_fuzz_keys::authorities());
        let _ = block.paper_view();
    }
});

#[path = "../keys/authorities.rs"]
mod semres_fuzz_keys;
