//! The consortium engine (SPEC §6, the paper's §3.4): the hospitals share one ledger whose
//! entries are anchored on an existing Proof-of-Authority chain (Besu QBFT in production,
//! anvil in tests) through the [`ethereum`] client. This node
//!
//! - **submits**: an entry it accepted (checked by the core verifier against its state) is
//!   kept in a durable outbox and sent to the contract in batches from this member's account,
//!   until it is seen anchored — or skipped — on the chain;
//! - **replays**: it reads the contract's `Appended` logs in chain order after the configured
//!   confirmations, turns each into the next anchored block or a skipped entry with the
//!   core's rules (identically on every node), and rolls back when a reorg takes blocks it
//!   replayed;
//! - **cosigns**: it cosigns the checkpoints it derived (C2SP cosignature/v1), collects its
//!   peers' cosignatures of the same checkpoints, and keeps two different roots cosigned for
//!   one size as fork evidence.

pub mod ethereum;

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use alloy::signers::local::PrivateKeySigner;
use semres::ledger::checkpoint::Checkpoint;
use semres::ledger::consortium::Consortium;
use semres::ledger::entry::Entry;
use semres::ledger::merkle::Hash;

use crate::log::Logger;
use crate::node::{LogToReplay, Node, NodeError};
use crate::store::StoreError;
use ethereum::{Chain, ChainError};

/// What an operator configures of a member's engine.
#[derive(Clone)]
pub struct EngineConfig {
    /// The chain's JSON-RPC URL.
    pub rpc_url: String,
    /// This member's Ethereum account key (its address is the member line's account).
    pub account_key: PrivateKeySigner,
    /// Ethereum blocks to wait before replaying a block (0 for QBFT's immediate finality).
    pub confirmations: u64,
    /// How often the chain is polled.
    pub poll: Duration,
    /// Most entries in one `append` transaction.
    pub batch: usize,
    /// Most Ethereum blocks read by one `eth_getLogs`.
    pub log_range: u64,
    /// The other members' nodes (base URLs), asked for their cosignatures.
    pub peers: Vec<String>,
    /// The consortium file as read (served to clients).
    pub consortium_file: String,
}

impl EngineConfig {
    /// A configuration with the defaults: no confirmations, polls every 250 ms, batches of
    /// 100, logs read 1000 blocks at a time, no peers.
    pub fn new(rpc_url: &str, account_key: PrivateKeySigner) -> EngineConfig {
        EngineConfig {
            rpc_url: rpc_url.to_owned(),
            account_key,
            confirmations: 0,
            poll: Duration::from_millis(250),
            batch: 100,
            log_range: 1000,
            peers: Vec::new(),
            consortium_file: String::new(),
        }
    }
}

/// Where an accepted entry is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryStatus {
    /// Anchored, in this block.
    Anchored(u64),
    /// Waiting in the outbox to be anchored.
    Queued,
    /// Anchored but skipped by every node, with this code.
    Skipped(String),
    /// Not known here.
    Unknown,
}

/// A member's running engine.
pub struct Engine {
    node: Arc<Node>,
    consortium: Consortium,
    member: String,
    config: EngineConfig,
    chain: Chain,
    wake: tokio::sync::Notify,
    log: Logger,
    http: reqwest::Client,
    /// Entries sent in a mined transaction, and when: not sent again unless still queued
    /// long after (a reorg dropped them).
    in_flight: Mutex<HashMap<Hash, Instant>>,
    /// The account's next nonce as this node counts it; `None`: ask the chain.
    nonce: Mutex<Option<u64>>,
}

/// Time after which an entry sent in a mined transaction but still not replayed is sent
/// again (only a reorg can cause that; the repeat is skipped if both land).
const RESEND_AFTER: Duration = Duration::from_secs(30);

/// Most entry bytes in one `append` transaction: with the ABI's offsets, lengths and padding
/// (at most 64 bytes and 31 bytes per entry) a batch stays well under the 128 KB that real
/// nodes (Besu, geth) accept for one transaction; a single entry (at most 64 KiB) always fits.
const MAX_BATCH_BYTES: usize = 96 * 1024;

/// The longest prefix of `queued` with at most `max` entries and [`MAX_BATCH_BYTES`] of entry
/// bytes — never empty when `queued` is not.
fn within_transaction_size<T>(queued: Vec<(T, Vec<u8>)>, max: usize) -> Vec<(T, Vec<u8>)> {
    let mut bytes = 0usize;
    let mut batch = Vec::new();
    for (key, entry) in queued.into_iter().take(max.max(1)) {
        bytes = bytes.saturating_add(entry.len());
        if !batch.is_empty() && bytes > MAX_BATCH_BYTES {
            break;
        }
        batch.push((key, entry));
    }
    batch
}

fn store_error(e: StoreError) -> String {
    e.to_string()
}

impl Engine {
    /// Connects to the chain as this member and starts the engine's tasks (submitting,
    /// replaying, collecting cosignatures) on the current runtime.
    pub async fn start(
        node: Arc<Node>,
        config: EngineConfig,
        log: Logger,
    ) -> Result<Arc<Engine>, String> {
        let consortium = node
            .consortium()
            .cloned()
            .ok_or("the node was not opened as a consortium member")?;
        let member = consortium
            .members
            .iter()
            .find(|m| m.key.key_id() == node.authority().key_id())
            .ok_or("the node's key is not a member's")?;
        let account = config.account_key.address().into_array();
        if member.account != account {
            return Err(format!(
                "the account key's address 0x{} is not member {}'s account",
                semres::hex::encode(&account),
                member.name
            ));
        }
        let chain = Chain::connect(
            &config.rpc_url,
            consortium.contract,
            config.account_key.clone(),
        )
        .await
        .map_err(|e| e.to_string())?;
        if chain.chain_id() != consortium.chain_id {
            return Err(format!(
                "the RPC endpoint serves chain {}, the consortium's is {}",
                chain.chain_id(),
                consortium.chain_id
            ));
        }
        let engine = Arc::new(Engine {
            member: member.name.clone(),
            consortium,
            node,
            config,
            chain,
            wake: tokio::sync::Notify::new(),
            log,
            http: reqwest::Client::new(),
            in_flight: Mutex::new(HashMap::new()),
            nonce: Mutex::new(None),
        });
        tokio::spawn(engine.clone().replay_loop());
        tokio::spawn(engine.clone().submit_loop());
        tokio::spawn(engine.clone().collect_loop());
        Ok(engine)
    }

    /// This member's name.
    pub fn member(&self) -> &str {
        &self.member
    }

    /// The consortium.
    pub fn consortium(&self) -> &Consortium {
        &self.consortium
    }

    /// The consortium file, as the operator gave it.
    pub fn consortium_file(&self) -> &str {
        &self.config.consortium_file
    }

    /// The other members' nodes (base URLs).
    pub fn peers(&self) -> &[String] {
        &self.config.peers
    }

    /// The HTTP client this node talks to its peers with.
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// Keeps an accepted entry in the outbox (durably: it is sent even after a restart)
    /// and wakes the submitter.
    pub fn enqueue(&self, entry: &Entry) -> Result<(), NodeError> {
        let (hash, bytes) = (entry.hash(), entry.to_bytes());
        self.node
            .database()
            .with(|db| db.enqueue(&hash, &bytes, crate::clock::now()))?;
        self.wake.notify_one();
        Ok(())
    }

    /// Where the entry with this hash is.
    pub fn status(&self, entry_hash: &Hash) -> Result<EntryStatus, NodeError> {
        if let Some(n) = self.node.view().block_of_entry(entry_hash) {
            return Ok(EntryStatus::Anchored(n));
        }
        self.node
            .database()
            .with(|db| {
                Ok(if let Some(s) = db.skipped_entry(entry_hash)? {
                    EntryStatus::Skipped(s.code)
                } else if db.is_queued(entry_hash)? {
                    EntryStatus::Queued
                } else {
                    EntryStatus::Unknown
                })
            })
            .map_err(NodeError::from)
    }

    /// The checkpoint of the node's ledger at `size` (≤ its size).
    fn checkpoint_at(&self, size: u64) -> Option<Checkpoint> {
        let view = self.node.view();
        if size == 0 || size > view.state().size() {
            return None;
        }
        Some(Checkpoint {
            origin: self.consortium.origin.clone(),
            size,
            root: view.state().tree().root(size)?,
        })
    }

    /// This member's cosigned note of its checkpoint at `size` (now), if it has that many
    /// blocks: what a peer asks for.
    pub fn own_cosigned(&self, size: u64) -> Option<String> {
        let checkpoint = self.checkpoint_at(size)?;
        let time = u64::try_from(crate::clock::now()).unwrap_or(0);
        let line = Consortium::cosign(&checkpoint, &self.member, self.node.authority(), time);
        Some(format!("{}\n{line}", checkpoint.body()))
    }

    /// The note of this node's checkpoint at `size` with every cosignature held for it
    /// (its own at least, once it cosigned).
    pub fn checkpoint_with_held(&self, size: u64) -> Result<Option<String>, NodeError> {
        let Some(checkpoint) = self.checkpoint_at(size) else {
            return Ok(None);
        };
        let lines = self.node.database().with(|db| db.cosignatures(size))?;
        let mut note = format!("{}\n", checkpoint.body());
        for (_, line) in lines {
            note.push_str(&line);
        }
        Ok(Some(note))
    }

    /// The checkpoint to serve: the largest size for which k members' cosignatures are
    /// held, with all of them; before any, the latest with the cosignatures held (which a
    /// client refuses until k cosigned).
    pub fn cosigned_checkpoint(&self) -> Result<Option<String>, NodeError> {
        let threshold = self.consortium.threshold;
        let size = self
            .node
            .database()
            .with(|db| db.largest_cosigned(threshold))?
            .or_else(|| Some(self.node.view().state().size()).filter(|s| *s > 0));
        match size {
            Some(size) => self.checkpoint_with_held(size),
            None => Ok(None),
        }
    }

    /// The fork evidence this node holds.
    pub fn evidence(&self) -> Result<Vec<(String, String)>, NodeError> {
        Ok(self.node.database().with(|db| db.evidence())?)
    }

    // ---- replay ----

    async fn replay_loop(self: Arc<Self>) {
        let mut more = false;
        loop {
            if !more {
                tokio::time::sleep(self.config.poll).await;
            }
            more = match self.replay_once().await {
                Ok(replayed) => replayed, // more may follow at once
                Err(e) => {
                    self.log.event("replay", &e);
                    false
                }
            };
        }
    }

    /// Reads and replays the next range of blocks; true when it replayed anything.
    async fn replay_once(&self) -> Result<bool, String> {
        let node = self.node.clone();
        let (cursor, _) =
            tokio::task::spawn_blocking(move || node.database().with(|db| db.replay_cursor()))
                .await
                .map_err(|e| e.to_string())?
                .map_err(store_error)?;
        let head = self.chain.head().await.map_err(|e| e.to_string())?;
        if let Some(c) = cursor {
            if self.reorged(c).await? {
                return Ok(true);
            }
        }
        let Some(target) = head.checked_sub(self.config.confirmations) else {
            return Ok(false);
        };
        let from = cursor.map_or(0, |c| c + 1);
        if from > target {
            return Ok(false);
        }
        let to = target.min(from.saturating_add(self.config.log_range.max(1) - 1));
        let logs = self
            .chain
            .appended(from, to)
            .await
            .map_err(|e| e.to_string())?;
        let mut blocks: BTreeSet<u64> = logs.iter().map(|l| l.block_number).collect();
        blocks.insert(to);
        let mut infos = HashMap::new();
        for n in &blocks {
            let info = self
                .chain
                .block(*n)
                .await
                .map_err(|e| e.to_string())?
                .ok_or_else(|| format!("Ethereum block {n} is gone"))?;
            infos.insert(*n, info);
        }
        let mut to_replay = Vec::with_capacity(logs.len());
        for log in logs {
            let info = infos[&log.block_number];
            if info.hash != log.block_hash {
                return Err("a reorg while reading: trying again".into());
            }
            to_replay.push(LogToReplay {
                log,
                time: info.time,
            });
        }
        let ethereum_blocks: Vec<(u64, Hash)> =
            blocks.iter().map(|n| (*n, infos[n].hash)).collect();
        let node = self.node.clone();
        let before = node.view().state().size();
        let (added, skipped) = tokio::task::spawn_blocking(move || {
            node.apply_replayed(&to_replay, &ethereum_blocks, to)
        })
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())?;
        if skipped > 0 {
            self.log.event(
                "skipped",
                &format!("{skipped} entries skipped by the rules"),
            );
        }
        if added > 0 {
            let size = before + u64::try_from(added).unwrap_or(0);
            self.cosign_own(size)?;
            self.log.event(
                "replayed",
                &format!("{added} blocks anchored through Ethereum block {to}"),
            );
        }
        Ok(added + skipped > 0 || to < target)
    }

    /// Whether the chain no longer has the replayed block `cursor`; if so, rolls back to the
    /// newest replayed block it still has.
    async fn reorged(&self, cursor: u64) -> Result<bool, String> {
        let node = self.node.clone();
        let recorded = tokio::task::spawn_blocking(move || {
            node.database()
                .with(|db| db.ethereum_blocks_down_from(cursor))
        })
        .await
        .map_err(|e| e.to_string())?
        .map_err(store_error)?;
        let Some((newest, hash)) = recorded.first().copied() else {
            return Ok(false);
        };
        let current = self.chain.block(newest).await.map_err(|e| e.to_string())?;
        if current.is_some_and(|b| b.hash == hash) {
            return Ok(false);
        }
        let mut keep = None;
        for (n, h) in &recorded {
            if self
                .chain
                .block(*n)
                .await
                .map_err(|e| e.to_string())?
                .is_some_and(|b| b.hash == *h)
            {
                keep = Some(*n);
                break;
            }
        }
        let node = self.node.clone();
        let size = tokio::task::spawn_blocking(move || node.roll_back_after(keep))
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| e.to_string())?;
        // What was undone is queued again: send it at once, with the nonce the chain now
        // expects (the reorg may have dropped our transactions).
        self.in_flight
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clear();
        self.set_nonce(None);
        self.wake.notify_one();
        self.log.event(
            "reorg",
            &format!(
                "the chain no longer has Ethereum block {newest}: rolled back to {size} blocks"
            ),
        );
        Ok(true)
    }

    fn cosign_own(&self, size: u64) -> Result<(), String> {
        let Some(note) = self.own_cosigned(size) else {
            return Ok(());
        };
        let (_, lines) = self
            .consortium
            .valid_cosignatures(&note)
            .map_err(|e| e.to_string())?;
        for (name, line) in lines {
            self.node
                .database()
                .with(|db| db.add_cosignature(size, &name, &line))
                .map_err(store_error)?;
        }
        Ok(())
    }

    // ---- submit ----

    fn set_nonce(&self, nonce: Option<u64>) {
        *self
            .nonce
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = nonce;
    }

    fn cached_nonce(&self) -> Option<u64> {
        *self
            .nonce
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    async fn submit_loop(self: Arc<Self>) {
        loop {
            tokio::select! {
                () = self.wake.notified() => {}
                () = tokio::time::sleep(Duration::from_millis(500)) => {}
            }
            loop {
                match self.submit_once().await {
                    Ok(true) => continue,
                    Ok(false) => break,
                    Err(e) => {
                        self.log.event("submit", &e);
                        self.set_nonce(None);
                        tokio::time::sleep(Duration::from_secs(1)).await;
                        break;
                    }
                }
            }
        }
    }

    /// Sends one batch of queued entries; true when it sent one.
    async fn submit_once(&self) -> Result<bool, String> {
        let node = self.node.clone();
        let limit = self.config.batch.max(1) * 4;
        let queued =
            tokio::task::spawn_blocking(move || node.database().with(|db| db.queued(limit)))
                .await
                .map_err(|e| e.to_string())?
                .map_err(store_error)?;
        let now = Instant::now();
        let batch: Vec<(Hash, Vec<u8>)> = {
            let mut in_flight = self
                .in_flight
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            in_flight.retain(|_, sent| now.duration_since(*sent) < RESEND_AFTER);
            let pending = queued
                .into_iter()
                .filter(|(h, _)| !in_flight.contains_key(h))
                .filter(|(h, _)| self.node.view().block_of_entry(h).is_none())
                .collect();
            within_transaction_size(pending, self.config.batch)
        };
        if batch.is_empty() {
            return Ok(false);
        }
        let n = match self.cached_nonce() {
            Some(n) => n,
            None => self
                .chain
                .pending_nonce()
                .await
                .map_err(|e| e.to_string())?,
        };
        let entries: Vec<Vec<u8>> = batch.iter().map(|(_, b)| b.clone()).collect();
        let tx = self.chain.append_transaction(n, &entries);
        match self.chain.send_until_mined(&tx, 3).await {
            Ok(_) => {
                self.set_nonce(Some(n + 1));
                let mut in_flight = self
                    .in_flight
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                for (h, _) in &batch {
                    in_flight.insert(*h, Instant::now());
                }
                Ok(true)
            }
            Err(ChainError::Reverted(e)) => {
                // The account was removed, or the batch is not acceptable: the entries stay
                // queued and the operator sees why.
                self.set_nonce(Some(n + 1));
                Err(format!("append reverted ({e})"))
            }
            Err(e) => Err(e.to_string()),
        }
    }

    // ---- cosignatures ----

    async fn collect_loop(self: Arc<Self>) {
        loop {
            tokio::time::sleep(Duration::from_millis(300)).await;
            if let Err(e) = self.collect_once().await {
                self.log.event("cosign", &e);
            }
        }
    }

    /// Asks each peer for its cosignature of this node's latest checkpoint.
    async fn collect_once(&self) -> Result<(), String> {
        let size = self.node.view().state().size();
        if size == 0 || self.config.peers.is_empty() {
            return Ok(());
        }
        let node = self.node.clone();
        let held =
            tokio::task::spawn_blocking(move || node.database().with(|db| db.cosignatures(size)))
                .await
                .map_err(|e| e.to_string())?
                .map_err(store_error)?;
        if held.len() >= self.consortium.members.len() {
            return Ok(());
        }
        let Some(own) = self.checkpoint_at(size) else {
            return Ok(());
        };
        for peer in &self.config.peers {
            let url = format!(
                "{}/api/v1/consortium/cosignature?size={size}",
                peer.trim_end_matches('/')
            );
            let Ok(response) = self
                .http
                .get(&url)
                .timeout(Duration::from_secs(2))
                .send()
                .await
            else {
                continue;
            };
            if !response.status().is_success() {
                continue; // behind, or down: asked again later
            }
            let Ok(note) = response.text().await else {
                continue;
            };
            let Ok((theirs, lines)) = self.consortium.valid_cosignatures(&note) else {
                continue;
            };
            if theirs.size != size {
                continue;
            }
            if theirs.root != own.root {
                // Cosigned by a member for our size with another root: a fork.
                let mine = self.own_cosigned(size).unwrap_or_default();
                let node = self.node.clone();
                let evidence = note.clone();
                let _ = tokio::task::spawn_blocking(move || {
                    node.database()
                        .with(|db| db.add_evidence(&mine, &evidence, crate::clock::now()))
                })
                .await;
                self.log.event(
                    "fork",
                    &format!("a peer cosigned another root for size {size}: evidence kept"),
                );
                continue;
            }
            for (name, line) in lines {
                if name == self.member {
                    continue;
                }
                self.node
                    .database()
                    .with(|db| db.add_cosignature(size, &name, &line))
                    .map_err(store_error)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_stays_under_a_real_node_s_transaction_size() {
        let entries = |sizes: &[usize]| -> Vec<(usize, Vec<u8>)> {
            sizes
                .iter()
                .enumerate()
                .map(|(i, n)| (i, vec![0u8; *n]))
                .collect()
        };
        // Many small entries: the count limit.
        assert_eq!(
            within_transaction_size(entries(&[450; 300]), 100).len(),
            100
        );
        // Large entries: the byte limit (three of 40 KiB would be 120 KiB).
        let large = within_transaction_size(entries(&[40 * 1024; 5]), 100);
        assert_eq!(large.len(), 2);
        // One entry of the largest size still goes alone; order is kept.
        let one = within_transaction_size(entries(&[64 * 1024, 64 * 1024, 10]), 100);
        assert_eq!(one.iter().map(|(i, _)| *i).collect::<Vec<_>>(), vec![0]);
        assert!(within_transaction_size(entries(&[]), 100).is_empty());
        // ABI-encoded, a full batch of the limit's bytes is under 128 KB.
        let abi = |batch: &[(usize, Vec<u8>)]| {
            68 + batch
                .iter()
                .map(|(_, e)| 64 + e.len().div_ceil(32) * 32)
                .sum::<usize>()
        };
        assert!(abi(&within_transaction_size(entries(&[1000; 200]), 256)) < 128_000);
        assert!(abi(&large) < 128_000);
    }
}
