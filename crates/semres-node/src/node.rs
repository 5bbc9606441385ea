//! A Proof-of-Authority ledger node over a data directory: the stored chain, re-verified at
//! start (fully beyond the last verified checkpoint, rules-only below it), the node's
//! authority key, and appends that are checked by the core verifier, sealed, and stored
//! durably before they are acknowledged — plus the node's DERy and directory.
//!
//! Concurrency: one writer at a time appends (the `writer` lock, held while the block is
//! checked and stored); readers see the verified [`View`] under a read lock that the writer
//! takes for writing only to apply a stored block — microseconds, never across disk I/O.
//! DERy and the directory have their own database connections and never wait for either.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, RwLock, RwLockReadGuard};

use semres::identity::signing::SigningPrivateKey;
use semres::ledger::block::Anchor;
use semres::ledger::checkpoint::Checkpoint;
use semres::ledger::consortium::Consortium;
use semres::ledger::entry::{Entry, EntryBody};
use semres::ledger::merkle::Hash;
use semres::ledger::state::Check;
use semres::ledger::{genesis_block, Block, LedgerError, LedgerState};
use semres::smer::Limits;

use crate::dery::{Dery, DeryError};
use crate::store::consortium::{Replayed, Skipped};
use crate::store::{LedgerStore, Pool, Sqlite, StoreError};

/// The chain id of a new local ledger (the checkpoint origin).
pub const DEFAULT_CHAIN_ID: &str = "semres.local/ledger";

/// Why a node could not start or append.
#[derive(Debug)]
pub enum NodeError {
    /// Storage failed.
    Store(StoreError),
    /// The stored chain is invalid at this block.
    Chain {
        /// Index of the first bad block.
        index: u64,
        /// Why.
        error: LedgerError,
    },
    /// An entry was refused.
    Refused(LedgerError),
    /// A key or file problem.
    Setup(String),
}

impl std::fmt::Display for NodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NodeError::Store(e) => write!(f, "{e}"),
            NodeError::Chain { index, error } => {
                write!(f, "block {index}: {} ({error})", error.code())
            }
            NodeError::Refused(e) => write!(f, "{}: {e}", e.code()),
            NodeError::Setup(e) => f.write_str(e),
        }
    }
}

impl NodeError {
    /// The stable code of the failure: the ledger's code for a refused entry or a bad
    /// stored chain; `Internal` for storage and set-up problems.
    pub fn code(&self) -> semres::Code {
        match self {
            NodeError::Chain { error, .. } | NodeError::Refused(error) => error.code(),
            NodeError::Store(_) | NodeError::Setup(_) => semres::Code::Internal,
        }
    }
}

impl From<StoreError> for NodeError {
    fn from(e: StoreError) -> Self {
        NodeError::Store(e)
    }
}

impl From<DeryError> for NodeError {
    fn from(e: DeryError) -> Self {
        match e {
            DeryError::Store(e) => NodeError::Store(e),
            other => NodeError::Setup(format!("{other:?}")),
        }
    }
}

/// The files of a data directory.
pub fn database_path(data_dir: &Path) -> PathBuf {
    data_dir.join("semres.sqlite3")
}

/// Replays stored blocks: rules-only up to the recorded verified size (if its root still
/// matches), fully after it.
pub fn replay(blocks: &[Block], verified: Option<(u64, Hash)>) -> Result<LedgerState, NodeError> {
    replay_from(None, blocks, verified)
}

/// [`replay`] from `start` — a consortium's empty state, whose first block is block 0 —
/// or, without one, from the genesis block.
pub fn replay_from(
    start: Option<LedgerState>,
    blocks: &[Block],
    verified: Option<(u64, Hash)>,
) -> Result<LedgerState, NodeError> {
    let (mut state, skip) = match start {
        Some(state) => (state, 0),
        None => {
            let first = blocks.first().ok_or(NodeError::Chain {
                index: 0,
                error: LedgerError::BadGenesis,
            })?;
            let state = LedgerState::genesis(first)
                .map_err(|error| NodeError::Chain { index: 0, error })?;
            (state, 1)
        }
    };
    let trusted = match verified {
        Some((size, root)) if usize::try_from(size).is_ok_and(|s| s <= blocks.len()) => {
            let prefix = &blocks[..usize::try_from(size).unwrap_or(0)];
            // The trusted prefix must hash to the root recorded when it was verified.
            let tree =
                semres::ledger::verify_chain_structure(prefix).map_err(|e| NodeError::Chain {
                    index: e.index,
                    error: e.error,
                })?;
            if tree.root(size) == Some(root) {
                size
            } else {
                0
            }
        }
        _ => 0,
    };
    for (i, block) in (0u64..).zip(blocks).skip(skip) {
        let check = if i < trusted {
            Check::TrustedPrefix
        } else {
            Check::Full
        };
        state
            .apply_with(block, check)
            .map_err(|error| NodeError::Chain { index: i, error })?;
    }
    Ok(state)
}

/// The verified ledger as readers see it: the state after the last block, and the blocks.
pub struct View {
    state: LedgerState,
    blocks: Vec<Block>,
    /// Block number of each entry, by entry hash.
    by_entry: std::collections::HashMap<Hash, u64>,
}

impl View {
    fn new(state: LedgerState, blocks: Vec<Block>) -> View {
        let by_entry = blocks.iter().map(|b| (b.entry.hash(), b.number)).collect();
        View {
            state,
            blocks,
            by_entry,
        }
    }

    fn push(&mut self, block: Block) {
        self.by_entry.insert(block.entry.hash(), block.number);
        self.blocks.push(block);
    }

    /// The number of the block that carries the entry with this hash, if any.
    pub fn block_of_entry(&self, entry_hash: &Hash) -> Option<u64> {
        self.by_entry.get(entry_hash).copied()
    }

    /// The verified state.
    pub fn state(&self) -> &LedgerState {
        &self.state
    }

    /// Block `number`, if the chain has it.
    pub fn block(&self, number: u64) -> Option<&Block> {
        self.blocks.get(usize::try_from(number).ok()?)
    }

    /// The blocks whose entries concern `owner`'s records: access receipts and care entries
    /// under grants `owner` made, and payments of those care entries (the audit trail).
    pub fn audit_trail(&self, owner: &str) -> Vec<&Block> {
        let mut my_cares = std::collections::BTreeSet::new();
        let mut out = Vec::new();
        for block in &self.blocks {
            let mine = |grant: &Hash| self.state.grant(grant).is_some_and(|g| g.owner == owner);
            let include = match block.entry.body() {
                EntryBody::Access { grant } => mine(grant),
                EntryBody::Care { grant, .. } => {
                    let m = mine(grant);
                    if m {
                        my_cares.insert(block.entry.hash());
                    }
                    m
                }
                EntryBody::Payment { care, .. } => my_cares.contains(care),
                _ => false,
            };
            if include {
                out.push(block);
            }
        }
        out
    }
}

/// A running node.
pub struct Node {
    view: RwLock<View>,
    /// The block store; held by the one appender while it checks and stores a block.
    writer: Mutex<Sqlite>,
    /// The authority key that seals blocks — or, in a consortium, the member key that
    /// cosigns checkpoints.
    authority: SigningPrivateKey,
    dery: Dery,
    database: Pool,
    /// The consortium this node is a member of; `None` for the embedded single-node ledger.
    consortium: Option<Consortium>,
    /// The ledger's size, announced after every change (waiters for an entry watch it).
    size: tokio::sync::watch::Sender<u64>,
}

/// One `Appended` log with its Ethereum block's time, to replay.
pub struct LogToReplay {
    /// The log.
    pub log: crate::consortium::ethereum::AppendedLog,
    /// Its Ethereum block's timestamp.
    pub time: i64,
}

impl Node {
    /// Opens the node in `data_dir` (created if needed). A new directory gets a new
    /// authority key (`authority.key.pem`, 0600) unless `authority` is given, and a genesis.
    pub fn open(data_dir: &Path, authority: Option<SigningPrivateKey>) -> Result<Node, NodeError> {
        Self::open_with(data_dir, authority, Limits::default())
    }

    /// [`Node::open`] with the limits DERy's SMeRs must keep.
    pub fn open_with(
        data_dir: &Path,
        authority: Option<SigningPrivateKey>,
        limits: Limits,
    ) -> Result<Node, NodeError> {
        std::fs::create_dir_all(data_dir)
            .map_err(|e| NodeError::Setup(format!("{}: {e}", data_dir.display())))?;
        let key_path = data_dir.join("authority.key.pem");
        let authority = match authority {
            Some(k) => k,
            None if key_path.exists() => {
                let text = std::fs::read_to_string(&key_path)
                    .map_err(|e| NodeError::Setup(format!("{}: {e}", key_path.display())))?;
                SigningPrivateKey::from_pem(&text, None)
                    .map_err(|e| NodeError::Setup(format!("{}: {e}", key_path.display())))?
            }
            None => {
                let k = SigningPrivateKey::generate(&mut getrandom::SysRng)
                    .map_err(|e| NodeError::Setup(e.to_string()))?;
                let pem = k
                    .to_pkcs8_pem()
                    .map_err(|e| NodeError::Setup(e.to_string()))?;
                crate::fsutil::write_atomically(&key_path, pem.as_bytes(), true)
                    .map_err(|e| NodeError::Setup(format!("{}: {e}", key_path.display())))?;
                k
            }
        };
        let database = database_path(data_dir);
        let mut store = Sqlite::open(&database)?;
        let mut blocks = store.blocks()?;
        if blocks.is_empty() {
            let nonce = crate::clock::nonce().map_err(|e| NodeError::Setup(e.to_string()))?;
            let genesis =
                genesis_block(DEFAULT_CHAIN_ID, &[&authority], crate::clock::now(), nonce)
                    .map_err(NodeError::Refused)?;
            store.append(&genesis)?;
            blocks.push(genesis);
        }
        let state = replay(&blocks, store.verified()?)?;
        Self::finish_open(data_dir, store, state, blocks, authority, limits, None)
    }

    fn finish_open(
        data_dir: &Path,
        mut store: Sqlite,
        state: LedgerState,
        blocks: Vec<Block>,
        authority: SigningPrivateKey,
        limits: Limits,
        consortium: Option<Consortium>,
    ) -> Result<Node, NodeError> {
        let root = state.tree().root(state.size()).unwrap_or_default();
        store.set_verified(state.size(), &root)?;
        let database = database_path(data_dir);
        let dery = Dery::open(data_dir, &database, limits)?;
        dery.migrate_legacy(crate::clock::now())?;
        let (size, _) = tokio::sync::watch::channel(state.size());
        Ok(Node {
            view: RwLock::new(View::new(state, blocks)),
            writer: Mutex::new(store),
            authority,
            dery,
            database: Pool::new(&database),
            consortium,
            size,
        })
    }

    /// Opens a consortium member's node in `data_dir` (created if needed): the ledger
    /// starts from the consortium file (SPEC §6.5) and grows only by replaying the chain
    /// (see [`crate::consortium`]); `member_key` cosigns its checkpoints and must be one of
    /// the members' keys.
    pub fn open_consortium(
        data_dir: &Path,
        consortium: Consortium,
        member_key: SigningPrivateKey,
        limits: Limits,
    ) -> Result<Node, NodeError> {
        if !consortium
            .members
            .iter()
            .any(|m| m.key.key_id() == member_key.key_id())
        {
            return Err(NodeError::Setup(
                "the member key is not one of the consortium's members".into(),
            ));
        }
        std::fs::create_dir_all(data_dir)
            .map_err(|e| NodeError::Setup(format!("{}: {e}", data_dir.display())))?;
        let store = Sqlite::open(&database_path(data_dir))?;
        let blocks = store.blocks()?;
        let start = LedgerState::consortium(&consortium).map_err(NodeError::Refused)?;
        let state = replay_from(Some(start), &blocks, store.verified()?)?;
        Self::finish_open(
            data_dir,
            store,
            state,
            blocks,
            member_key,
            limits,
            Some(consortium),
        )
    }

    /// The consortium this node is a member of, if any.
    pub fn consortium(&self) -> Option<&Consortium> {
        self.consortium.as_ref()
    }

    /// Watches the ledger's size (it changes after every stored block or rollback).
    pub fn watch_size(&self) -> tokio::sync::watch::Receiver<u64> {
        self.size.subscribe()
    }

    /// Replays `logs` (Ethereum blocks after the stored cursor, through `cursor`, in chain
    /// order; `seq` contiguous from the stored next seq) into anchored blocks and skipped
    /// entries, stores them in one transaction with the replayed Ethereum blocks' hashes,
    /// and shows them to readers. Returns (blocks added, entries skipped).
    pub fn apply_replayed(
        &self,
        logs: &[LogToReplay],
        ethereum_blocks: &[(u64, Hash)],
        cursor: u64,
    ) -> Result<(usize, usize), NodeError> {
        let mut store = self
            .writer
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let (_, mut next_seq) = store.replay_cursor()?;
        let mut state = self.view().state.clone();
        let mut blocks = Vec::new();
        let mut skipped = Vec::new();
        for l in logs {
            if l.log.seq != next_seq {
                return Err(NodeError::Setup(format!(
                    "Appended seq {} where {next_seq} was expected: logs are missing",
                    l.log.seq
                )));
            }
            next_seq += 1;
            let anchor = Anchor {
                chain_id: self.consortium.as_ref().map_or(0, |c| c.chain_id),
                block_number: l.log.block_number,
                block_hash: l.log.block_hash,
                transaction_hash: l.log.transaction_hash,
                log_index: l.log.log_index,
                seq: l.log.seq,
            };
            match state.apply_anchored(&l.log.entry, anchor, l.time) {
                Ok(block) => blocks.push((block, l.log.block_number)),
                Err(e) => skipped.push(Skipped {
                    seq: l.log.seq,
                    ethereum_block: l.log.block_number,
                    code: e.code().name().to_owned(),
                    entry_hash: Entry::from_bytes(&l.log.entry).ok().map(|e| e.hash()),
                }),
            }
        }
        store.store_replayed(&Replayed {
            blocks: &blocks,
            skipped: &skipped,
            ethereum_blocks,
            cursor,
            next_seq,
        })?;
        let root = state.tree().root(state.size()).unwrap_or_default();
        store.set_verified(state.size(), &root)?;
        let size = state.size();
        {
            let mut view = self
                .view
                .write()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            view.state = state;
            for (b, _) in &blocks {
                view.push(b.clone());
            }
        }
        drop(store);
        self.size.send_replace(size);
        // Erasure: DERy deletes the ciphertext of an anchored Erase (a side effect on this
        // node's store, not a rule).
        for (block, _) in &blocks {
            if let EntryBody::Erase { smer_hash } = block.entry.body() {
                self.dery.delete(smer_hash)?;
            }
        }
        Ok((blocks.len(), skipped.len()))
    }

    /// Undoes what was replayed from Ethereum blocks after `keep` (a reorg took them) and
    /// rebuilds the view from the blocks kept.
    pub fn roll_back_after(&self, keep: Option<u64>) -> Result<u64, NodeError> {
        let consortium = self
            .consortium
            .as_ref()
            .ok_or_else(|| NodeError::Setup("not a consortium node".into()))?;
        let mut store = self
            .writer
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        store.roll_back_after(keep)?;
        let blocks = store.blocks()?;
        let start = LedgerState::consortium(consortium).map_err(NodeError::Refused)?;
        let state = replay_from(Some(start), &blocks, None)?;
        let root = state.tree().root(state.size()).unwrap_or_default();
        store.set_verified(state.size(), &root)?;
        let size = state.size();
        *self
            .view
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = View::new(state, blocks);
        self.size.send_replace(size);
        Ok(size)
    }

    /// The verified ledger, for reading (a read lock: release it before any I/O).
    pub fn view(&self) -> RwLockReadGuard<'_, View> {
        // A poisoned lock means a panic elsewhere; the view itself is only ever replaced
        // whole block by block, so it stays consistent.
        self.view
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// This node's authority key.
    pub fn authority(&self) -> &SigningPrivateKey {
        &self.authority
    }

    /// The current checkpoint, signed by this node's authority.
    pub fn signed_checkpoint(&self) -> String {
        self.checkpoint_of(self.view().state())
    }

    /// The checkpoint of `state`, signed by this node's authority.
    pub fn checkpoint_of(&self, state: &LedgerState) -> String {
        Checkpoint {
            origin: state.chain_id().to_owned(),
            size: state.size(),
            root: state.tree().root(state.size()).unwrap_or_default(),
        }
        .sign(&self.authority)
    }

    /// Checks `entry` against the current state as the next block would carry it at `time`,
    /// without storing anything: every signature and rule, before any store is touched.
    pub fn check(&self, entry: &Entry, time: i64) -> Result<(), NodeError> {
        let view = self.view();
        let time = time.max(view.state.last_time());
        view.state
            .check_entry_at(entry, time)
            .map_err(NodeError::Refused)
    }

    /// Checks, seals and durably stores an entry; returns the block once it is on disk. (A
    /// consortium node does not seal: its entries go through its engine.)
    pub fn append(&self, entry: Entry, time: i64) -> Result<Block, NodeError> {
        self.append_with(entry, time, |_| Ok(()))
    }

    /// [`Node::append`] after `precondition` holds for the entry, checked under the writer
    /// lock (nothing can change DERy's SMeRs or the ledger in between: see
    /// [`Node::delete_unnamed`]).
    pub fn append_with<E: From<NodeError>>(
        &self,
        entry: Entry,
        time: i64,
        precondition: impl FnOnce(&Entry) -> Result<(), E>,
    ) -> Result<Block, E> {
        let mut store = self
            .writer
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        precondition(&entry)?;
        if self.consortium.is_some() {
            return Err(NodeError::Setup(
                "a consortium node appends by anchoring, not by sealing".into(),
            )
            .into());
        }
        let block = self
            .view()
            .state
            .prepare_next(entry, time, &self.authority)
            .map_err(NodeError::Refused)?;
        // Readers are not held up by the fsync: only the writer lock is held here.
        store.append(&block).map_err(NodeError::Store)?;
        let mut view = self
            .view
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // Checked in full a moment ago; the state only needs the rules' effects now.
        view.state
            .apply_with(&block, Check::TrustedPrefix)
            .map_err(NodeError::Refused)?;
        view.push(block.clone());
        let size = view.state.size();
        drop(view);
        self.size.send_replace(size);
        Ok(block)
    }

    /// Deletes a stored SMeR if no ledger entry names it, under the writer lock (so no grant
    /// of it is appended in between). `Ok(None)` when the ledger names it; otherwise
    /// whether a SMeR was deleted.
    pub fn delete_unnamed(&self, hash: &Hash) -> Result<Option<bool>, NodeError> {
        let _writer = self
            .writer
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if self.view().state.smer_owner(hash).is_some() {
            return Ok(None);
        }
        Ok(Some(self.dery.delete(hash)?))
    }

    /// The SMeR repository (DERy).
    pub fn dery(&self) -> &Dery {
        &self.dery
    }

    /// The node's database (directory), one connection per use.
    pub fn database(&self) -> &Pool {
        &self.database
    }
}

/// `semres verify-chain`: fully re-verifies the stored chain and every stored SMeR against
/// its hash. Returns a description of the first problem.
pub fn verify_data_dir(data_dir: &Path) -> Result<(u64, usize), String> {
    verify_data_dir_of(data_dir, None)
}

/// [`verify_data_dir`] of a consortium member's data directory when `consortium` is given:
/// its anchored chain replayed from the consortium file (SPEC §6.5).
pub fn verify_data_dir_of(
    data_dir: &Path,
    consortium: Option<&Consortium>,
) -> Result<(u64, usize), String> {
    let path = database_path(data_dir);
    if !path.is_file() {
        return Err(format!("{} does not exist", path.display()));
    }
    let store = Sqlite::open(&path).map_err(|e| e.to_string())?;
    let blocks = store.blocks().map_err(|e| e.to_string())?;
    let state = match consortium {
        None => replay(&blocks, None).map_err(|e| e.to_string())?,
        Some(c) => semres::ledger::verify_anchored_chain(c, &blocks)
            .map_err(|e| format!("block {}: {}: {}", e.index, e.error.code(), e.error))?,
    };
    let dery = Dery::inspect(data_dir, &path, Limits::default());
    let checked = dery
        .check_all()
        .map_err(|e| format!("{e:?}"))?
        .map_err(|hash| {
            format!(
                "SMeR {}: its content does not match its hash",
                semres::hex::encode(&hash)
            )
        })?;
    Ok((state.size(), checked))
}
