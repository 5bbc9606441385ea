//! DERy, the paper's Decentralized EMR Repository (§3.3), as a hospital runs it: SMeRs kept
//! as files named by their SMeR hash, with the hash checked on every exchange — computed as
//! an upload arrives (with the SMeR's structure checked by the core's streamed reader, in
//! memory bounded by the limits whatever its size) before the SMeR becomes visible, and
//! again before a stored SMeR is served, and while it is served (a copy that no longer
//! matches is never sent). An index in the database says who stored each SMeR, its size,
//! when, and its recipients' key ids (what a grant is checked against). Who may read which
//! SMeR is the ledger's to say (`LedgerState::may_read`).

use std::fs::{self, File};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use semres::dery::SmerHasher;
use semres::hex;
use semres::ledger::merkle::Hash;
use semres::smer::{Limits, SmerOutline, SmerStream};

use crate::store::{DeryIndex, Pool, StoreError, StoreResult, Stored};

/// Why DERy refuses to store or serve a SMeR.
#[derive(Debug)]
pub enum DeryError {
    /// The bytes' SHA-256 is not the hash they were offered under.
    HashMismatch,
    /// The bytes are not a SMeR (SPEC.md §2.4 steps 1–8), or too large for one.
    NotASmer(semres::Error),
    /// Nothing is stored under that hash.
    NotStored,
    /// The stored copy no longer hashes to its name: it is never served.
    Corrupt,
    /// The store failed (or is full).
    Store(StoreError),
}

impl From<StoreError> for DeryError {
    fn from(e: StoreError) -> Self {
        DeryError::Store(e)
    }
}

impl From<std::io::Error> for DeryError {
    fn from(e: std::io::Error) -> Self {
        DeryError::Store(e.into())
    }
}

/// Size of the pieces read and written.
pub const CHUNK: usize = 64 * 1024;

/// The repository of one node.
pub struct Dery {
    root: PathBuf,
    index: Pool,
    limits: Limits,
}

/// A SMeR being received: written to a temporary file, hashed and checked as it arrives.
/// Dropped without [`Dery::commit`], it leaves nothing behind.
pub struct Upload {
    file: File,
    temp: PathBuf,
    hasher: SmerHasher,
    check: SmerStream,
    done: bool,
}

/// A received SMeR whose hash and structure were checked, ready to be committed.
pub struct Checked {
    upload: Upload,
    hash: Hash,
    outline: SmerOutline,
    size: u64,
}

impl Checked {
    /// What the SMeR says of itself (recipients, header, sizes).
    pub fn outline(&self) -> &SmerOutline {
        &self.outline
    }
}

impl Upload {
    /// Takes the next bytes.
    pub fn write(&mut self, bytes: &[u8]) -> Result<(), DeryError> {
        self.check.update(bytes).map_err(DeryError::NotASmer)?;
        self.hasher.update(bytes);
        self.file.write_all(bytes)?;
        Ok(())
    }

    /// Bytes received so far.
    pub fn len(&self) -> u64 {
        self.check.len()
    }

    /// True before the first byte.
    pub fn is_empty(&self) -> bool {
        self.check.is_empty()
    }

    /// All bytes received: the hash must be `hash` and the bytes a SMeR; the file is synced.
    pub fn finish(mut self, hash: &Hash) -> Result<Checked, DeryError> {
        let size = self.check.len();
        let computed = std::mem::take(&mut self.hasher).finish();
        if computed != *hash {
            return Err(DeryError::HashMismatch);
        }
        let check = std::mem::replace(&mut self.check, SmerStream::new(&Limits::default()));
        let outline = check.finish().map_err(DeryError::NotASmer)?;
        self.file.sync_all()?;
        Ok(Checked {
            upload: self,
            hash: *hash,
            outline,
            size,
        })
    }
}

impl Drop for Upload {
    fn drop(&mut self) {
        if !self.done {
            let _ = fs::remove_file(&self.temp);
        }
    }
}

fn sync_dir(dir: &Path) -> std::io::Result<()> {
    File::open(dir)?.sync_all()
}

impl Dery {
    /// The repository in `data_dir/smers`, indexed in the node's database at `database`,
    /// for the node that serves it: leftovers of uploads a crash interrupted are removed.
    pub fn open(data_dir: &Path, database: &Path, limits: Limits) -> StoreResult<Dery> {
        let dery = Self::inspect(data_dir, database, limits);
        fs::create_dir_all(dery.root.join("tmp"))?;
        for entry in fs::read_dir(dery.root.join("tmp"))? {
            let _ = fs::remove_file(entry?.path());
        }
        Ok(dery)
    }

    /// The repository of a data directory, to check it (`semres verify-chain`), changing
    /// nothing — a node may be serving it.
    pub fn inspect(data_dir: &Path, database: &Path, limits: Limits) -> Dery {
        Dery {
            root: data_dir.join("smers"),
            index: Pool::new(database),
            limits,
        }
    }

    fn path(&self, hash: &Hash) -> PathBuf {
        let name = hex::encode(hash);
        self.root.join(&name[..2]).join(name)
    }

    /// The limits a stored SMeR must keep.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Starts receiving a SMeR.
    pub fn begin(&self) -> Result<Upload, DeryError> {
        let mut nonce = [0u8; 12];
        rand_core::TryRng::try_fill_bytes(&mut getrandom::SysRng, &mut nonce)
            .map_err(|_| StoreError::Io("no randomness for a temporary name".into()))?;
        let temp = self
            .root
            .join("tmp")
            .join(format!("upload-{}", hex::encode(&nonce)));
        let file = File::create_new(&temp)?;
        Ok(Upload {
            file,
            temp,
            hasher: SmerHasher::new(),
            check: SmerStream::new(&self.limits),
            done: false,
        })
    }

    /// Makes a checked SMeR visible under its hash and records it in the index (uploader,
    /// size, time, recipients); false when it was stored already.
    pub fn commit(
        &self,
        mut checked: Checked,
        uploader: &str,
        now: i64,
    ) -> Result<bool, DeryError> {
        let target = self.path(&checked.hash);
        let dir = target.parent().unwrap_or(&self.root).to_owned();
        fs::create_dir_all(&dir)?;
        fs::rename(&checked.upload.temp, &target)?;
        checked.upload.done = true;
        sync_dir(&dir)?;
        let recipients: Vec<String> = checked
            .outline
            .recipient_key_ids
            .iter()
            .flatten()
            .cloned()
            .collect();
        let stored = Stored {
            uploader: uploader.to_owned(),
            size: checked.size,
            stored_at: now,
        };
        Ok(self
            .index
            .with(|db| db.record(&checked.hash, &stored, &recipients))?)
    }

    /// Stores a whole SMeR at once (the demo, the tests): the same checks as an upload.
    pub fn put(
        &self,
        hash: &Hash,
        smer: &[u8],
        uploader: &str,
        now: i64,
    ) -> Result<bool, DeryError> {
        let mut upload = self.begin()?;
        for piece in smer.chunks(CHUNK) {
            upload.write(piece)?;
        }
        let checked = upload.finish(hash)?;
        self.commit(checked, uploader, now)
    }

    /// What the index knows of a stored SMeR.
    pub fn stored(&self, hash: &Hash) -> Result<Option<Stored>, DeryError> {
        Ok(self.index.with(|db| db.stored(hash))?)
    }

    /// The key ids of a stored SMeR's recipients (`None` when it is not stored).
    pub fn recipients(&self, hash: &Hash) -> Result<Option<Vec<String>>, DeryError> {
        Ok(self.index.with(|db| {
            if db.stored(hash)?.is_none() {
                return Ok(None);
            }
            db.recipients(hash).map(Some)
        })?)
    }

    /// Bytes stored by `uploader`.
    pub fn usage(&self, uploader: &str) -> Result<u64, DeryError> {
        Ok(self.index.with(|db| db.usage(uploader))?)
    }

    /// Opens a stored SMeR for serving, after checking that its bytes still hash to `hash`
    /// (a first full read). Returns the file, positioned at the start, and its size.
    pub fn open_checked(&self, hash: &Hash) -> Result<(File, u64), DeryError> {
        let mut file = match File::open(self.path(hash)) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(DeryError::NotStored),
            Err(e) => return Err(e.into()),
        };
        let (computed, size) = hash_reader(&mut file)?;
        if computed != *hash {
            return Err(DeryError::Corrupt);
        }
        file.seek(SeekFrom::Start(0))?;
        Ok((file, size))
    }

    /// A stored SMeR's bytes, checked (the demo, the tests: small SMeRs).
    pub fn get(&self, hash: &Hash) -> Result<Vec<u8>, DeryError> {
        let (mut file, _) = self.open_checked(hash)?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)?;
        Ok(bytes)
    }

    /// Deletes a SMeR's file and index entry (erasure, expiry); false when absent.
    pub fn delete(&self, hash: &Hash) -> Result<bool, DeryError> {
        let removed = match fs::remove_file(self.path(hash)) {
            Ok(()) => true,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
            Err(e) => return Err(e.into()),
        };
        let forgotten = self.index.with(|db| db.remove(hash))?;
        Ok(removed || forgotten)
    }

    /// SMeRs stored before `time`, with their uploader (candidates for expiry).
    pub fn stored_before(&self, time: i64) -> Result<Vec<(Hash, String)>, DeryError> {
        Ok(self.index.with(|db| db.stored_before(time))?)
    }

    /// Checks every stored SMeR against its hash; how many were checked, or the hash of the
    /// first that does not match (or is missing).
    pub fn check_all(&self) -> Result<Result<usize, Hash>, DeryError> {
        let hashes = self.index.with(|db| db.all())?;
        for hash in &hashes {
            match self.open_checked(hash) {
                Ok(_) => {}
                Err(DeryError::Corrupt | DeryError::NotStored) => return Ok(Err(*hash)),
                Err(e) => return Err(e),
            }
        }
        Ok(Ok(hashes.len()))
    }

    /// Moves SMeRs an older version kept in the database into files.
    pub fn migrate_legacy(&self, now: i64) -> Result<usize, DeryError> {
        let legacy = self.index.with(|db| db.legacy_smers())?;
        for (hash, bytes) in &legacy {
            match self.put(hash, bytes, "", now) {
                // A blob that is not a valid SMeR under its hash stays out (verify-chain
                // would have named it).
                Ok(_) | Err(DeryError::HashMismatch | DeryError::NotASmer(_)) => {}
                Err(e) => return Err(e),
            }
        }
        self.index.with(|db| db.drop_legacy_smers())?;
        Ok(legacy.len())
    }
}

/// SHA-256 of everything `reader` yields, in pieces, and its length.
pub fn hash_reader(reader: &mut impl Read) -> std::io::Result<(Hash, u64)> {
    let mut hasher = SmerHasher::new();
    let mut buf = vec![0u8; CHUNK];
    let mut total = 0u64;
    loop {
        let n = reader.read(&mut buf)?;
        if n == 0 {
            return Ok((hasher.finish(), total));
        }
        hasher.update(&buf[..n]);
        total = total.saturating_add(u64::try_from(n).unwrap_or(u64::MAX));
    }
}
