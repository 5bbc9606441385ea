//! Consortium vectors natively (SPEC.md §6): consortium files, k-of-n cosigned checkpoints,
//! equivocation evidence. The same runner runs in headless Chromium (tests/web.rs).
#![cfg(not(target_arch = "wasm32"))]

mod common;

#[test]
fn consortium_v1_vectors_native() {
    let (passed, failures) =
        common::consortium::run_consortium_vectors(common::consortium::CONSORTIUM_VECTORS);
    assert!(
        failures.is_empty(),
        "{} vector(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(passed >= 20, "{passed}");
}
