//! A loopback TCP proxy that can be cut or slowed: the consortium tests put it between a
//! node and its Ethereum JSON-RPC endpoint to take the chain away, make it slow, and give it
//! back.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

/// A running proxy to `target`.
pub struct Proxy {
    /// Where it listens.
    pub addr: SocketAddr,
    up: Arc<AtomicBool>,
    delay_ms: Arc<AtomicU64>,
}

/// Copies `from` to `to` while `up`; each piece held back `delay` milliseconds when set.
fn pipe(
    mut from: TcpStream,
    mut to: TcpStream,
    up: Arc<AtomicBool>,
    delay: Option<Arc<AtomicU64>>,
) {
    let mut buf = [0u8; 16 * 1024];
    loop {
        match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                if let Some(ms) = delay.as_ref().map(|d| d.load(Ordering::Relaxed)) {
                    std::thread::sleep(std::time::Duration::from_millis(ms));
                }
                if !up.load(Ordering::Relaxed) || to.write_all(&buf[..n]).is_err() {
                    break;
                }
            }
        }
    }
    let _ = to.shutdown(Shutdown::Both);
    let _ = from.shutdown(Shutdown::Both);
}

impl Proxy {
    /// Starts a proxy to `target` on a free loopback port, up.
    pub fn start(target: SocketAddr) -> Result<Proxy, String> {
        let listener = TcpListener::bind("127.0.0.1:0").map_err(crate::err)?;
        let addr = listener.local_addr().map_err(crate::err)?;
        let up = Arc::new(AtomicBool::new(true));
        let delay_ms = Arc::new(AtomicU64::new(0));
        let flag = up.clone();
        let delay = delay_ms.clone();
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                if !flag.load(Ordering::Relaxed) {
                    drop(client); // down: the connection closes at once
                    continue;
                }
                let Ok(server) = TcpStream::connect(target) else {
                    continue;
                };
                let (Ok(c2), Ok(s2)) = (client.try_clone(), server.try_clone()) else {
                    continue;
                };
                let (f1, f2) = (flag.clone(), flag.clone());
                let answers_delay = delay.clone();
                std::thread::spawn(move || pipe(client, server, f1, None));
                // Answers (target to client) are the ones held back.
                std::thread::spawn(move || pipe(s2, c2, f2, Some(answers_delay)));
            }
        });
        Ok(Proxy { addr, up, delay_ms })
    }

    /// Its URL, as a JSON-RPC endpoint.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Takes the target away (new connections close at once, open ones are cut) or gives
    /// it back.
    pub fn set_up(&self, up: bool) {
        self.up.store(up, Ordering::Relaxed);
    }

    /// Holds every piece of the target's answers back `ms` milliseconds (0: none).
    pub fn set_delay_ms(&self, ms: u64) {
        self.delay_ms.store(ms, Ordering::Relaxed);
    }
}
