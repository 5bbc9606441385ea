//! The node's storage behind narrow interfaces — the block store (the ledger), DERy's index
//! (what is stored, by whom, for which recipients; the SMeRs themselves are files, see
//! [`crate::dery`]) and the participant directory — with SQLite ([`sqlite`]) as the
//! embedded default. Other backends can be added without touching the HTTP layer or the
//! verifier.

use semres::ledger::merkle::Hash;
use semres::ledger::{Block, Role};

pub mod consortium;
pub mod sqlite;

pub use sqlite::{Pool, Sqlite};

/// A storage failure (never contains record content or key material).
#[derive(Debug)]
pub enum StoreError {
    /// The database failed.
    Database(String),
    /// A file could not be read or written.
    Io(String),
    /// The disk (or the data directory's file system) is full.
    Full,
    /// A stored block no longer decodes.
    Corrupt(u64),
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreError::Database(e) => write!(f, "database: {e}"),
            StoreError::Io(e) => write!(f, "file: {e}"),
            StoreError::Full => f.write_str("the data directory's disk is full"),
            StoreError::Corrupt(n) => write!(f, "stored block {n} does not decode"),
        }
    }
}

impl std::error::Error for StoreError {}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        match e.sqlite_error_code() {
            Some(rusqlite::ErrorCode::DiskFull) => StoreError::Full,
            _ => StoreError::Database(e.to_string()),
        }
    }
}

impl From<std::io::Error> for StoreError {
    fn from(e: std::io::Error) -> Self {
        // ENOSPC, EDQUOT, EFBIG: no room for what was being written.
        if matches!(e.raw_os_error(), Some(28 | 122 | 27))
            || e.kind() == std::io::ErrorKind::StorageFull
        {
            StoreError::Full
        } else {
            StoreError::Io(e.to_string())
        }
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

/// What DERy's index knows of one stored SMeR.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    /// Key id of the participant who uploaded it.
    pub uploader: String,
    /// Size in bytes.
    pub size: u64,
    /// When it was stored, Unix seconds.
    pub stored_at: i64,
}

/// DERy's index of the SMeR files.
pub trait DeryIndex: Send {
    /// Records a stored SMeR and its recipients' key ids; false when it was there already.
    fn record(&mut self, hash: &Hash, stored: &Stored, recipients: &[String]) -> StoreResult<bool>;
    /// What is known of a stored SMeR.
    fn stored(&self, hash: &Hash) -> StoreResult<Option<Stored>>;
    /// The key ids of a stored SMeR's recipients.
    fn recipients(&self, hash: &Hash) -> StoreResult<Vec<String>>;
    /// Bytes stored by `uploader`.
    fn usage(&self, uploader: &str) -> StoreResult<u64>;
    /// SMeRs stored before `time`, with their uploader.
    fn stored_before(&self, time: i64) -> StoreResult<Vec<(Hash, String)>>;
    /// Forgets a SMeR; false when it was not there.
    fn remove(&mut self, hash: &Hash) -> StoreResult<bool>;
    /// Every stored SMeR's hash.
    fn all(&self) -> StoreResult<Vec<Hash>>;
}

/// The participant directory: display names by key id, for the recipient picker. Names
/// live only here — never on the ledger.
pub trait Directory: Send {
    /// Sets (or replaces) a participant's display name; `role` is the one the ledger
    /// registered (it decides who may see the name).
    fn set_name(&mut self, key_id: &str, name: &str, role: Role) -> StoreResult<()>;
    /// Up to `limit` (key id, name) whose name contains `query` (case-insensitive) and that
    /// the caller may see: every clinician's and authority's, and the patients in `patients`
    /// (the caller and those who granted it a record). Visibility is part of the query, so
    /// names the caller may not see never take a place in the result.
    fn search(
        &self,
        query: &str,
        patients: &[String],
        limit: usize,
    ) -> StoreResult<Vec<(String, String)>>;
    /// A participant's display name, if set.
    fn name(&self, key_id: &str) -> StoreResult<Option<String>>;
}
