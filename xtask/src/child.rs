//! The real `semres serve` process for the tests and benchmarks that need it (kill -9, a
//! full disk, its resident memory): started on a free loopback port over a data directory,
//! measured through /proc, killed.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStderr, Command, Stdio};

/// A running `semres serve`; killed when dropped.
pub struct Served {
    child: Child,
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its data directory.
    pub data: PathBuf,
}

/// Starts `binary serve` with an empty site in `dir`, its data in `data` and `extra` flags.
/// Its log (standard error) is discarded unless `log` is set; then it is returned, to read.
pub fn serve(
    binary: &Path,
    dir: &Path,
    data: &Path,
    extra: &[&str],
    log: bool,
) -> Result<(Served, Option<ChildStderr>), String> {
    serve_at(binary, dir, data, "127.0.0.1:0", extra, log)
}

/// [`serve`] on the address `listen` (a port reserved by the caller: the consortium
/// tests restart a member on the port its peers know).
pub fn serve_at(
    binary: &Path,
    dir: &Path,
    data: &Path,
    listen: &str,
    extra: &[&str],
    log: bool,
) -> Result<(Served, Option<ChildStderr>), String> {
    let pkg = dir.join("pkg");
    std::fs::create_dir_all(&pkg).map_err(crate::err)?;
    std::fs::write(pkg.join("semres_bg.wasm"), b"\0asm").map_err(crate::err)?;
    let path = |p: &Path| {
        p.to_str()
            .map(str::to_owned)
            .ok_or("a path that is not UTF-8")
    };
    let mut args = vec![
        "serve".to_owned(),
        "--listen".into(),
        listen.into(),
        "--www".into(),
        path(dir)?,
        "--pkg".into(),
        path(&pkg)?,
        "--data-dir".into(),
        path(data)?,
    ];
    args.extend(extra.iter().map(|s| (*s).to_owned()));
    if !log {
        args.extend(["--log-format".into(), "off".into()]);
    }
    let mut child = Command::new(binary)
        .args(&args)
        .stdout(Stdio::piped())
        .stderr(if log { Stdio::piped() } else { Stdio::null() })
        .spawn()
        .map_err(|e| format!("{}: {e}", binary.display()))?;
    let stderr = child.stderr.take();
    let stdout = child.stdout.take().ok_or("no standard output")?;
    let mut lines = BufReader::new(stdout).lines();
    let addr = loop {
        let Some(Ok(line)) = lines.next() else {
            let _ = child.kill();
            return Err("the server exited before listening".into());
        };
        if let Some(url) = line.strip_prefix("SEMRES listening on http://") {
            break url.trim_end_matches('/').parse().map_err(crate::err)?;
        }
    };
    // Keep reading standard output so that the server never blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));
    let served = Served {
        child,
        addr,
        data: data.to_owned(),
    };
    Ok((served, stderr))
}

/// Resident memory of process `pid` now (VmRSS), bytes; 0 once it is gone.
pub fn resident(pid: u32) -> u64 {
    status_field(pid, "VmRSS:")
}

fn status_field(pid: u32, name: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}

impl Served {
    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Resident memory now and at its peak so far (VmRSS, VmHWM), bytes.
    pub fn memory(&self) -> (u64, u64) {
        (
            status_field(self.pid(), "VmRSS:"),
            status_field(self.pid(), "VmHWM:"),
        )
    }

    /// kill -9: no destructor, no flush.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Samples a process's resident memory every 10 ms until stopped; the peak.
pub struct MemorySampler {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    handle: std::thread::JoinHandle<u64>,
}

impl MemorySampler {
    /// Starts sampling process `pid`.
    pub fn start(pid: u32) -> MemorySampler {
        use std::sync::atomic::Ordering;
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = stop.clone();
        let handle = std::thread::spawn(move || {
            let mut peak = 0;
            while !flag.load(Ordering::Relaxed) {
                peak = resident(pid).max(peak);
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            peak
        });
        MemorySampler { stop, handle }
    }

    /// Stops; the highest resident memory seen, bytes.
    pub fn peak(self) -> u64 {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        self.handle.join().unwrap_or(0)
    }
}
