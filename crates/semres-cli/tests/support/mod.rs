//! Shared by the tests that run the real `semres serve` process: start it on a free
//! loopback port over a data directory, read its memory, kill it.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStderr, Command, Stdio};

/// A running `semres serve`.
pub(crate) struct Served {
    pub(crate) child: Child,
    pub(crate) addr: SocketAddr,
    pub(crate) data: PathBuf,
}

/// A fresh working directory `target/tmp/<name>`.
pub(crate) fn workdir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Starts `semres serve` with its site in `dir`, its data in `data` and `extra` flags; the
/// log (standard error) is discarded unless `log` is set, then it is returned to read.
pub(crate) fn serve(
    dir: &Path,
    data: &Path,
    extra: &[&str],
    log: bool,
) -> (Served, Option<ChildStderr>) {
    let pkg = dir.join("pkg");
    std::fs::create_dir_all(&pkg).unwrap();
    std::fs::write(pkg.join("semres_bg.wasm"), b"\0asm").unwrap();
    let mut args = vec![
        "serve".to_owned(),
        "--listen".into(),
        "127.0.0.1:0".into(),
        "--www".into(),
        dir.to_str().unwrap().into(),
        "--pkg".into(),
        pkg.to_str().unwrap().into(),
        "--data-dir".into(),
        data.to_str().unwrap().into(),
    ];
    args.extend(extra.iter().map(|s| (*s).to_owned()));
    if !log {
        args.extend(["--log-format".into(), "off".into()]);
    }
    let mut child = Command::new(env!("CARGO_BIN_EXE_semres"))
        .args(&args)
        .stdout(Stdio::piped())
        .stderr(if log { Stdio::piped() } else { Stdio::null() })
        .spawn()
        .unwrap();
    let stderr = child.stderr.take();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let addr = loop {
        let line = lines.next().expect("server output").unwrap();
        if let Some(url) = line.strip_prefix("SEMRES listening on http://") {
            break url.trim_end_matches('/').parse().unwrap();
        }
    };
    // Keep reading standard output so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    (
        Served {
            child,
            addr,
            data: data.to_owned(),
        },
        stderr,
    )
}

impl Served {
    /// Resident memory now and at its peak (VmRSS, VmHWM), bytes.
    pub(crate) fn memory(&self) -> (u64, u64) {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
                .map(|kb| kb * 1024)
                .unwrap()
        };
        (field("VmRSS:"), field("VmHWM:"))
    }

    /// kill -9: no destructor, no flush.
    pub(crate) fn kill(mut self) {
        self.child.kill().unwrap();
        let _ = self.child.wait();
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
