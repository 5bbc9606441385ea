//! A minimal HTTP/1.1 client for the tests and benchmarks: one request per connection
//! (`Connection: close`), the response's status and de-chunked body. It talks to a server
//! over loopback as any other client would, so it shares no code with the server.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};

fn invalid(why: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, why.to_owned())
}

/// One request; returns (status, body).
pub fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> io::Result<(u16, Vec<u8>)> {
    let mut stream = TcpStream::connect(addr)?;
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    stream.write_all(body)?;
    read_response(stream)
}

fn dechunk(mut rest: &[u8]) -> io::Result<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let end = rest
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or_else(|| invalid("bad chunk"))?;
        let size = std::str::from_utf8(&rest[..end]).map_err(|_| invalid("bad chunk size"))?;
        let len = usize::from_str_radix(size.trim(), 16).map_err(|_| invalid("bad chunk size"))?;
        if len == 0 {
            return Ok(out);
        }
        let chunk = rest
            .get(end + 2..end + 2 + len)
            .ok_or_else(|| invalid("short chunk"))?;
        out.extend_from_slice(chunk);
        rest = rest.get(end + 2 + len + 2..).unwrap_or_default();
    }
}

/// `POST /api/v1/entries` with `{"entry": entry_b64}`; returns (status, body).
pub fn post_entry(addr: SocketAddr, entry_b64: &str) -> io::Result<(u16, Vec<u8>)> {
    let body = serde_json::json!({ "entry": entry_b64 }).to_string();
    let headers = [("Content-Type".to_owned(), "application/json".to_owned())];
    request(addr, "POST", "/api/v1/entries", &headers, body.as_bytes())
}

/// Registers the `i`-th test participant ([`crate::fixtures::signing_key`]) as `role`,
/// admitted by `authority` if given; the key, or the refusal's status and code.
pub fn register(
    addr: SocketAddr,
    i: u64,
    role: semres::ledger::entry::Role,
    authority: Option<&semres::identity::signing::SigningPrivateKey>,
) -> Result<semres::identity::signing::SigningPrivateKey, String> {
    let key = crate::fixtures::signing_key(i);
    let entry = crate::fixtures::register_entry(&key, role, i, authority)?;
    let (status, body) = post_entry(addr, &semres::b64::encode(&entry.to_bytes()))
        .map_err(|e| format!("registering participant {i}: {e}"))?;
    if status != 201 {
        return Err(format!(
            "registering participant {i}: {status} {}",
            error_code(&body)
        ));
    }
    Ok(key)
}

/// The `code` of an endpoint's `{code, message}` body ("" when there is none).
pub fn error_code(body: &[u8]) -> String {
    serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v["code"].as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// The headers of a signed request (SPEC §5.1) for `method target` carrying a body whose
/// SHA-256 is `content_sha256`, signed by `key` now with a fresh nonce.
pub fn signed(
    key: &semres::identity::signing::SigningPrivateKey,
    method: &str,
    target: &str,
    content_sha256: [u8; 32],
) -> Vec<(String, String)> {
    signed_at(
        key,
        method,
        target,
        content_sha256,
        semres_node::clock::now(),
    )
}

/// A request signed by `key` now (the body's SHA-256 signed); returns (status, body).
pub fn signed_request(
    addr: SocketAddr,
    key: &semres::identity::signing::SigningPrivateKey,
    method: &str,
    target: &str,
    body: &[u8],
) -> io::Result<(u16, Vec<u8>)> {
    let hash = semres::ledger::request::content_sha256(body);
    request(
        addr,
        method,
        target,
        &signed(key, method, target, hash),
        body,
    )
}

/// [`signed`] with the given `Semres-Time`.
pub fn signed_at(
    key: &semres::identity::signing::SigningPrivateKey,
    method: &str,
    target: &str,
    content_sha256: [u8; 32],
    time: i64,
) -> Vec<(String, String)> {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    // Unique per process and call: the process id, a counter and the clock's nanoseconds.
    let mut nonce = [0u8; 16];
    nonce[..4].copy_from_slice(&std::process::id().to_be_bytes());
    nonce[4..8].copy_from_slice(&COUNTER.fetch_add(1, Ordering::Relaxed).to_be_bytes()[4..]);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    nonce[8..].copy_from_slice(&nanos.to_be_bytes()[8..]);
    let request = semres::ledger::request::SignedRequest::sign(
        key,
        method,
        target,
        time,
        &nonce,
        content_sha256,
    );
    request
        .headers()
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect()
}

/// Sends a request whose body of `length` bytes `write_body` writes to the connection as it
/// likes (in pieces, slowly, or not at all: a failed write is not an error here, the
/// server may answer early); returns (status, body) of the answer.
pub fn request_streamed(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(String, String)],
    length: u64,
    write_body: impl FnOnce(&mut TcpStream) -> io::Result<()>,
) -> io::Result<(u16, Vec<u8>)> {
    let mut stream = TcpStream::connect(addr)?;
    // A server that never answers fails the caller instead of hanging it.
    stream.set_read_timeout(Some(std::time::Duration::from_secs(120)))?;
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {length}\r\nConnection: close\r\n"
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    // The server may refuse before the body and close: its answer is what counts.
    let _ = write_body(&mut stream);
    read_response(stream)
}

fn read_response(mut stream: TcpStream) -> io::Result<(u16, Vec<u8>)> {
    let mut response = Vec::new();
    stream.read_to_end(&mut response)?;
    let split = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| invalid("no end of headers"))?;
    let head = String::from_utf8_lossy(&response[..split]).to_string();
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| invalid("no status"))?;
    let body = response[split + 4..].to_vec();
    if head.to_lowercase().contains("transfer-encoding: chunked") {
        return Ok((status, dechunk(&body)?));
    }
    Ok((status, body))
}

/// A `GET` whose (large) answer is hashed as it arrives and not kept: returns the status,
/// the body's length and its SHA-256 (of the raw body: the server sends SMeRs with a
/// Content-Length, not chunked).
pub fn get_hashed(
    addr: SocketAddr,
    path: &str,
    headers: &[(String, String)],
) -> io::Result<(u16, u64, [u8; 32])> {
    let mut stream = TcpStream::connect(addr)?;
    let mut head = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    let mut buf = vec![0u8; 256 * 1024];
    let mut start = Vec::new();
    // Read up to the end of the headers.
    let split = loop {
        let n = stream.read(&mut buf)?;
        if n == 0 {
            return Err(invalid("closed before the headers ended"));
        }
        start.extend_from_slice(&buf[..n]);
        if let Some(i) = start.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
    };
    let head = String::from_utf8_lossy(&start[..split]).to_string();
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| invalid("no status"))?;
    let mut hasher = semres::dery::SmerHasher::new();
    let first = &start[split + 4..];
    hasher.update(first);
    let mut len = u64::try_from(first.len()).map_err(|_| invalid("length"))?;
    loop {
        let n = stream.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        len += u64::try_from(n).map_err(|_| invalid("length"))?;
    }
    Ok((status, len, hasher.finish()))
}
