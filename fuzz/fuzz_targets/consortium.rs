//! Consortium files and k-of-n cosigned checkpoints (SPEC §6): reading a consortium file
//! and verifying a cosigned checkpoint against the vectors' consortium never panic; a file
//! that reads re-encodes to its body; a verified checkpoint has at least k cosigners, all
//! members.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use semres::ledger::consortium::{equivocation, Consortium};

fn consortium() -> &'static Consortium {
    static C: OnceLock<Consortium> = OnceLock::new();
    C.get_or_init(|| {
        Consortium::from_signed_note(include_str!("../keys/consortium.txt"))
            .expect("the vectors' consortium")
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(c) = Consortium::from_signed_note(text) {
        assert!(text.starts_with(&c.body()));
        assert!(2 * c.threshold > c.members.len());
    }
    let c = consortium();
    if let Ok(cp) = c.verify_checkpoint(text) {
        assert!(cp.cosigners.len() >= c.threshold);
        assert!(cp
            .cosigners
            .iter()
            .all(|n| c.members.iter().any(|m| &m.name == n)));
    }
    // Split in two notes for the fork check.
    if let Some((a, b)) = text.split_once("\u{0}") {
        if let Some(e) = equivocation(c, a, b) {
            assert_ne!(e.roots[0], e.roots[1]);
        }
    }
});
