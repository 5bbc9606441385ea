//! The seeded generators of the conformance vectors in `tests/vectors/` (SPEC.md §2.6 and
//! §4.7): `cargo xtask gen-vectors` writes them, and a test checks that the checked-in files
//! are exactly what the generators produce.

pub mod consortium;
pub mod ed25519;
pub mod ledger;
pub mod smer;
pub mod smer_stream;

/// The command that regenerates the vector files (recorded in each file).
pub const GENERATOR: &str = "cargo xtask gen-vectors";

/// Generates every vector file: `(path relative to tests/vectors, contents)`.
pub fn generate_all() -> Result<Vec<(String, String)>, String> {
    Ok(vec![
        ("smer/smer_v1.json".to_owned(), smer::generate_smer()?),
        (
            "smer/smer_stream_v1.json".to_owned(),
            smer_stream::generate_smer_stream()?,
        ),
        (
            "ledger/ledger_v1.json".to_owned(),
            ledger::generate_ledger()?,
        ),
        (
            "ledger/consortium_v1.json".to_owned(),
            consortium::generate_consortium()?,
        ),
        (
            "ledger/ed25519_handover_v1.json".to_owned(),
            ed25519::generate_ed25519()?,
        ),
    ])
}
