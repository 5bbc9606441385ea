//! anvil (Foundry's local Ethereum node, from npm) for the consortium tests and benchmarks:
//! started on a free loopback port with 1-second blocks, no fees, a fixed chain id; killed
//! when dropped.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// The chain id the tests' anvil runs with.
pub const CHAIN_ID: u64 = 31_337;

/// A running anvil.
pub struct Anvil {
    child: Child,
    /// Its JSON-RPC URL.
    pub url: String,
}

/// The anvil binary of the npm package `@foundry-rs/anvil-linux-amd64`.
pub fn binary() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil")
}

impl Anvil {
    /// Starts anvil mining a block every `block_time` seconds (0: one block per
    /// transaction).
    pub fn start(block_time: u64) -> Result<Anvil, String> {
        let mut args = vec![
            "--host".to_owned(),
            "127.0.0.1".into(),
            "--port".into(),
            "0".into(),
            "--chain-id".into(),
            CHAIN_ID.to_string(),
            "--base-fee".into(),
            "0".into(),
            "--gas-price".into(),
            "0".into(),
            "--accounts".into(),
            "1".into(),
        ];
        if block_time > 0 {
            args.extend(["--block-time".into(), block_time.to_string()]);
        }
        let mut child = Command::new(binary())
            .args(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("anvil ({}): {e}; run npm install", binary().display()))?;
        let stdout = child.stdout.take().ok_or("no standard output")?;
        let mut lines = BufReader::new(stdout).lines();
        let url = loop {
            let Some(Ok(line)) = lines.next() else {
                let _ = child.kill();
                return Err("anvil exited before listening".into());
            };
            if let Some(addr) = line.strip_prefix("Listening on ") {
                break format!("http://{}", addr.trim());
            }
        };
        std::thread::spawn(move || lines.for_each(drop));
        Ok(Anvil { child, url })
    }

    /// Calls a JSON-RPC method (`anvil_reorg`, `evm_mine`, …) and returns its result.
    pub fn call(
        &self,
        method: &str,
        params: serde_json::Value,
    ) -> Result<serde_json::Value, String> {
        let addr: std::net::SocketAddr = self
            .url
            .trim_start_matches("http://")
            .parse()
            .map_err(crate::err)?;
        let body =
            serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params})
                .to_string();
        let headers = [("Content-Type".to_owned(), "application/json".to_owned())];
        let (status, answer) = crate::http::request(addr, "POST", "/", &headers, body.as_bytes())
            .map_err(crate::err)?;
        let answer: serde_json::Value = serde_json::from_slice(&answer).map_err(crate::err)?;
        if status != 200 || !answer["error"].is_null() {
            return Err(format!("{method}: {}", answer["error"]));
        }
        Ok(answer["result"].clone())
    }
}

impl Drop for Anvil {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
