//! Shared by the tests that run the real `semres serve` process (through the tools'
//! [`xtask::child`]): a fresh working directory, and the server started from it.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::ChildStderr;

pub(crate) use xtask::child::Served;

/// A fresh working directory `target/tmp/<name>`.
pub(crate) fn workdir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Starts this build's `semres serve` with its site in `dir`, its data in `data` and `extra`
/// flags; its log is returned when `log` is set (else discarded).
pub(crate) fn serve(
    dir: &Path,
    data: &Path,
    extra: &[&str],
    log: bool,
) -> (Served, Option<ChildStderr>) {
    xtask::child::serve(
        Path::new(env!("CARGO_BIN_EXE_semres")),
        dir,
        data,
        extra,
        log,
    )
    .unwrap()
}

/// Runs this build's `semres ARGS`; (success, standard output, standard error).
pub(crate) fn semres(args: &[&str]) -> (bool, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_semres"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
