//! Shared by the HTTP tests: an in-process node on 127.0.0.1 over a fresh data directory,
//! and the tools' HTTP client (one request per connection).

#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// Starts the server on a free port over `target/tmp/<name>` (emptied first).
pub(crate) fn start_server(name: &str) -> (SocketAddr, PathBuf) {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    let addr = xtask::server::start(&dir).unwrap();
    (addr, dir)
}

/// One HTTP/1.1 request with `Connection: close`; returns (status, body), de-chunked.
pub(crate) fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> (u16, Vec<u8>) {
    xtask::http::request(addr, method, path, headers, body).unwrap()
}
