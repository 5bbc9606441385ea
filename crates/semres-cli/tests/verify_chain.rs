//! `semres verify-chain` over a node's data directory: success on an intact ledger, and a
//! non-zero exit naming the first bad block or SMeR after the database is tampered with.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn workdir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("verify-chain-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn verify_chain(dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_semres"))
        .args(["verify-chain", "--data-dir", dir.to_str().unwrap()])
        .output()
        .unwrap()
}

#[test]
fn an_intact_ledger_verifies() {
    let dir = workdir("intact");
    xtask::fixtures::populate(&dir).unwrap();
    let out = verify_chain(&dir);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("4 blocks and 1 SMeRs verified"));
}

#[test]
fn a_tampered_block_is_named() {
    let dir = workdir("tamper-block");
    xtask::fixtures::populate(&dir).unwrap();
    xtask::fixtures::tamper_block(&dir, 2).unwrap();
    let out = verify_chain(&dir);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("block 2"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_tampered_smer_is_named() {
    let dir = workdir("tamper-smer");
    let (_, hash) = xtask::fixtures::populate(&dir).unwrap();
    xtask::fixtures::corrupt_smer(&dir, &hash).unwrap();
    let out = verify_chain(&dir);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains(&semres::hex::encode(&hash)));
}
