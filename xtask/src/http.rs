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

/// The `code` of an endpoint's `{code, message}` body ("" when there is none).
pub fn error_code(body: &[u8]) -> String {
    serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v["code"].as_str().map(str::to_owned))
        .unwrap_or_default()
}
