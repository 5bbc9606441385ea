//! DERy, the paper's Decentralized EMR Repository (§3.3), as a hospital runs it: SMeRs stored
//! under their SMeR hash, with the hash checked on every exchange — recomputed before a SMeR
//! is stored, and again before a stored one is served (a copy that no longer matches is
//! never sent). Who may read which SMeR is the ledger's to say (`LedgerState::may_read`).

use semres::ledger::merkle::Hash;
use semres::{smer_hash, Limits, ParsedSmer};

use crate::store::{StoreError, StoreResult};

/// The storage behind DERy: SMeRs by their SHA-256.
pub trait SmerStore: Send {
    /// Stores a SMeR; false when it was already there (idempotent).
    fn put(&mut self, hash: &Hash, smer: &[u8]) -> StoreResult<bool>;
    /// A SMeR by hash.
    fn get(&self, hash: &Hash) -> StoreResult<Option<Vec<u8>>>;
    /// Deletes a SMeR's ciphertext (erasure); false when absent.
    fn delete(&mut self, hash: &Hash) -> StoreResult<bool>;
    /// Every stored (hash, SMeR) for an integrity check, one at a time.
    fn for_each(&self, f: &mut dyn FnMut(&Hash, &[u8]) -> bool) -> StoreResult<()>;
}

/// Why DERy refuses to store or serve a SMeR.
#[derive(Debug)]
pub enum DeryError {
    /// The bytes' SHA-256 is not the hash they were offered under.
    HashMismatch,
    /// The bytes are not a SMeR (SPEC.md §2.4 steps 1–8).
    NotASmer(semres::Error),
    /// Nothing is stored under that hash.
    NotStored,
    /// The stored copy no longer hashes to its key: it is never served.
    Corrupt,
    /// The store failed.
    Store(StoreError),
}

impl From<StoreError> for DeryError {
    fn from(e: StoreError) -> Self {
        DeryError::Store(e)
    }
}

/// Checks, before they are stored, that `bytes` are a SMeR whose hash is `hash`.
pub fn check(hash: &Hash, bytes: &[u8]) -> Result<(), DeryError> {
    if smer_hash(bytes) != *hash {
        return Err(DeryError::HashMismatch);
    }
    ParsedSmer::parse(bytes, &Limits::default()).map_err(DeryError::NotASmer)?;
    Ok(())
}

/// The stored SMeR under `hash`, only if it still hashes to `hash`.
pub fn fetch(store: &dyn SmerStore, hash: &Hash) -> Result<Vec<u8>, DeryError> {
    let bytes = store.get(hash)?.ok_or(DeryError::NotStored)?;
    if smer_hash(&bytes) != *hash {
        return Err(DeryError::Corrupt);
    }
    Ok(bytes)
}

/// Checks every stored SMeR against its hash; returns how many were checked, or the hash of
/// the first that does not match.
pub fn check_all(store: &dyn SmerStore) -> Result<Result<usize, Hash>, StoreError> {
    let mut checked = 0usize;
    let mut bad = None;
    store.for_each(&mut |hash, bytes| {
        if smer_hash(bytes) != *hash {
            bad = Some(*hash);
            return false;
        }
        checked += 1;
        true
    })?;
    Ok(bad.map_or(Ok(checked), Err))
}
