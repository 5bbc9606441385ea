//! Chain files (SPEC §4.6): reading never panics; what reads writes back to the same bytes;
//! a full verification (links, seals, signatures, rules) of what it holds never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use semres::ledger::{chain_file, verify_chain};

fuzz_target!(|data: &[u8]| {
    if let Ok(blocks) = chain_file::read(data) {
        assert_eq!(chain_file::write(&blocks).expect("own blocks"), data);
        let _ = verify_chain(&blocks);
    }
});
