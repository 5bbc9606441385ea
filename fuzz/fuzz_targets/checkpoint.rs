//! Signed checkpoints (C2SP signed note, tlog-checkpoint): verification against the vectors'
//! authorities never panics; a verified checkpoint's body is the note's first lines.
#![no_main]

use libfuzzer_sys::fuzz_target;
use semres::ledger::checkpoint::Checkpoint;

fuzz_target!(|data: &[u8]| {
    let Ok(note) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(checkpoint) = Checkpoint::verify(note, keys::authorities()) {
        assert!(
            note.starts_with(&checkpoint.body()),
            "verified body is not the note's"
        );
    }
});

#[path = "../keys/authorities.rs"]
mod keys;
