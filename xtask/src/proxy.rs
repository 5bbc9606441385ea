//! A loopback TCP proxy that can be cut: the consortium tests put it between a node and its
//! Ethereum JSON-RPC endpoint to take the chain away and give it back.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// A running proxy to `target`.
pub struct Proxy {
    /// Where it listens.
    pub addr: SocketAddr,
    up: Arc<AtomicBool>,
}

fn pipe(mut from: TcpStream, mut to: TcpStream, up: Arc<AtomicBool>) {
    let mut buf = [0u8; 16 * 1024];
    loop {
        match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
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
        let flag = up.clone();
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
                std::thread::spawn(move || pipe(client, server, f1));
                std::thread::spawn(move || pipe(s2, c2, f2));
            }
        });
        Ok(Proxy { addr, up })
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
}
