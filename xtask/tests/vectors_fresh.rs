//! The checked-in vectors are exactly what the seeded generator produces: regenerate with
//! `cargo xtask gen-vectors` after a deliberate change.

use std::path::Path;

#[test]
fn checked_in_vectors_match_the_generator() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors");
    let files = xtask::vectors::generate_all().expect("generator runs");
    assert!(!files.is_empty());
    for (relative, generated) in files {
        let on_disk = std::fs::read_to_string(dir.join(&relative))
            .unwrap_or_else(|e| panic!("{relative}: {e}"));
        assert!(
            on_disk == generated,
            "{relative} differs from the generator's output: regenerate it (see SPEC.md §2.6)"
        );
    }
}
