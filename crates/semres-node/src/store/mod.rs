//! The node's storage behind narrow interfaces — the block store (the ledger), the SMeR
//! store (DERy, in [`crate::dery`]) and the participant directory — with SQLite
//! ([`sqlite`]) as the embedded default. Other backends can be added without touching the
//! HTTP layer or the verifier.

use semres::ledger::merkle::Hash;
use semres::ledger::Block;

pub mod sqlite;

pub use sqlite::Sqlite;

/// A storage failure (never contains record content or key material).
#[derive(Debug)]
pub enum StoreError {
    /// The database failed.
    Database(String),
    /// A stored block no longer decodes.
    Corrupt(u64),
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreError::Database(e) => write!(f, "database: {e}"),
            StoreError::Corrupt(n) => write!(f, "stored block {n} does not decode"),
        }
    }
}

impl std::error::Error for StoreError {}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Database(e.to_string())
    }
}

/// Result alias.
pub type StoreResult<T> = Result<T, StoreError>;

/// The append-only block store.
pub trait LedgerStore: Send {
    /// Every block, in order.
    fn blocks(&self) -> StoreResult<Vec<Block>>;
    /// Appends the next block; durable when this returns.
    fn append(&mut self, block: &Block) -> StoreResult<()>;
    /// The last fully verified (size, root), if any.
    fn verified(&self) -> StoreResult<Option<(u64, Hash)>>;
    /// Records that the first `size` blocks, with Merkle root `root`, were fully verified.
    fn set_verified(&mut self, size: u64, root: &Hash) -> StoreResult<()>;
}

/// The participant directory: display names by key id, for the recipient picker. Names
/// live only here — never on the ledger.
pub trait Directory: Send {
    /// Sets (or replaces) a participant's display name.
    fn set_name(&mut self, key_id: &str, name: &str) -> StoreResult<()>;
    /// Up to `limit` (key id, name) whose name contains `query` (case-insensitive).
    fn search(&self, query: &str, limit: usize) -> StoreResult<Vec<(String, String)>>;
    /// A participant's display name, if set.
    fn name(&self, key_id: &str) -> StoreResult<Option<String>>;
}
