//! Seeded generator of the SMeR v1 test vectors in `tests/vectors/smer/` (SPEC.md §2.6).
//!
//! `cargo run -p semres-node --bin gen-vectors -- tests/vectors` rewrites them;
//! `ledger/tests/vectors_fresh.rs` checks that the checked-in files are exactly what this
//! program produces, so the data and its generator never drift apart.

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let dir = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("tests/vectors"));
    let files = match semres_node::vectors::generate_all() {
        Ok(files) => files,
        Err(e) => {
            eprintln!("gen-vectors: {e}");
            return ExitCode::FAILURE;
        }
    };
    for (relative, text) in files {
        let path = dir.join(relative);
        if let Some(parent) = path.parent() {
            if let Err(e) = std::fs::create_dir_all(parent) {
                eprintln!("gen-vectors: {}: {e}", parent.display());
                return ExitCode::FAILURE;
            }
        }
        if let Err(e) = std::fs::write(&path, text) {
            eprintln!("gen-vectors: {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
        println!("wrote {}", path.display());
    }
    ExitCode::SUCCESS
}
