//! DERy, the paper's Decentralized EMR Repository (§3.3), as a hospital runs it: SMeRs kept
//! as files named by their SMeR hash, with the hash checked on every exchange — computed as
//! an upload arrives (with the SMeR's structure checked by the core's `UploadCheck`, SMeR v1
//! or streamed, in memory bounded by the limits whatever its size) before the SMeR becomes visible, and
//! again before a stored SMeR is served, and while it is served (a copy that no longer
//! matches is never sent). An index in the database says who stored each SMeR, its size,
//! when, and its recipients' key ids (what a grant is checked against). Who may read which
//! SMeR is the ledger's to say (`LedgerState::may_read`).

use std::collections::HashMap;
use std::fs::{self, File};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use semres::dery::{Profile, SmerHasher, UploadCheck, UploadOutline};
use semres::hex;
use semres::ledger::merkle::Hash;
use semres::smer::Limits;

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

/// Default largest streamed SMeR (SPEC.md §7) DERy accepts: 4 GiB.
pub const DEFAULT_MAX_STREAMED_SMER_BYTES: u64 = 4 << 30;

/// Size of the pieces read and written.
pub const CHUNK: usize = 64 * 1024;

/// Largest part of a resumable upload, bytes: a part is held whole until its signed SHA-256
/// is checked, then appended.
pub const MAX_UPLOAD_PART: usize = 16 * 1024 * 1024;

/// Most resumable uploads one participant may have in progress.
pub const MAX_PARTIAL_UPLOADS: usize = 8;

/// The repository of one node.
pub struct Dery {
    root: PathBuf,
    index: Pool,
    limits: Limits,
    partials: Mutex<HashMap<(String, Hash), Slot>>,
}

/// A resumable upload between two parts: idle (with when it was last used), or receiving a
/// part (its state is then with the request that is).
enum Slot {
    Idle(Box<Upload>, i64),
    Busy,
}

/// Why a part of a resumable upload is refused before it is looked at.
#[derive(Debug)]
pub enum PartError {
    /// Another part of this upload is being received.
    Busy,
    /// The part does not start where the upload stands (the offset it stands at).
    Offset(u64),
    /// The participant has [`MAX_PARTIAL_UPLOADS`] in progress already.
    TooMany,
    /// The repository failed.
    Dery(DeryError),
}

impl<E: Into<DeryError>> From<E> for PartError {
    fn from(e: E) -> Self {
        PartError::Dery(e.into())
    }
}

/// A SMeR being received: written to a temporary file, hashed and checked as it arrives.
/// Dropped without [`Dery::commit`], it leaves nothing behind.
pub struct Upload {
    file: File,
    temp: PathBuf,
    hasher: SmerHasher,
    check: UploadCheck,
    done: bool,
    /// A resumable upload's file stays when the upload is dropped between parts.
    keep: bool,
}

/// A received SMeR whose hash and structure were checked, ready to be committed.
pub struct Checked {
    upload: Upload,
    hash: Hash,
    outline: UploadOutline,
    size: u64,
}

impl Checked {
    /// What the SMeR says of itself (recipients, header, sizes).
    pub fn outline(&self) -> &UploadOutline {
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

    /// Which SMeR format is arriving, once its first byte has.
    pub fn profile(&self) -> Option<Profile> {
        self.check.profile()
    }

    /// Ends a resumable upload for good: its file is deleted when it is dropped (on a
    /// failed [`Upload::finish`] too).
    pub fn discard_on_drop(&mut self) {
        self.keep = false;
    }

    /// Appends a whole part and syncs it (resumable uploads: what was acknowledged survives a
    /// crash).
    pub fn write_part(&mut self, part: &[u8]) -> Result<(), DeryError> {
        for piece in part.chunks(CHUNK) {
            self.write(piece)?;
        }
        self.file.sync_data()?;
        Ok(())
    }

    /// All bytes received: the hash must be `hash` and the bytes a SMeR; the file is synced.
    pub fn finish(mut self, hash: &Hash) -> Result<Checked, DeryError> {
        let size = self.check.len();
        let computed = std::mem::take(&mut self.hasher).finish();
        if computed != *hash {
            return Err(DeryError::HashMismatch);
        }
        let check = std::mem::replace(&mut self.check, UploadCheck::new(&Limits::default(), 0));
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
        if !self.done && !self.keep {
            let _ = fs::remove_file(&self.temp);
        }
    }
}

fn poisoned() -> DeryError {
    DeryError::Store(StoreError::Io(
        "a resumable upload's lock was poisoned".into(),
    ))
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
            partials: Mutex::new(HashMap::new()),
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

    /// Starts receiving a SMeR: SMeR v1 within the repository's limits, a streamed SMeR
    /// (SPEC.md §7) of at most `max_streamed_bytes`.
    pub fn begin(&self, max_streamed_bytes: u64) -> Result<Upload, DeryError> {
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
            check: UploadCheck::new(&self.limits, max_streamed_bytes),
            done: false,
            keep: false,
        })
    }

    fn partial_path(&self, uploader: &str, hash: &Hash) -> PathBuf {
        let who = semres::dery::smer_hash(uploader.as_bytes());
        self.root
            .join("partial")
            .join(format!("{}-{}", hex::encode(&who[..16]), hex::encode(hash)))
    }

    /// Takes the resumable upload of `hash` by `uploader` to receive its next part at
    /// `offset`: the one in progress (rebuilt from its file after a restart, reading it
    /// once), or a new one at offset 0. The caller gives it back with [`Dery::park`] or
    /// ends it ([`Upload::finish`], [`Dery::abandon`]).
    pub fn resume(
        &self,
        uploader: &str,
        hash: &Hash,
        offset: u64,
        max_streamed_bytes: u64,
        now: i64,
    ) -> Result<Upload, PartError> {
        let key = (uploader.to_owned(), *hash);
        let taken = {
            let mut partials = self.partials.lock().map_err(|_| poisoned())?;
            match partials.get(&key) {
                Some(Slot::Busy) => return Err(PartError::Busy),
                Some(Slot::Idle(upload, _)) if upload.len() != offset => {
                    return Err(PartError::Offset(upload.len()))
                }
                Some(Slot::Idle(..)) => match partials.insert(key.clone(), Slot::Busy) {
                    Some(Slot::Idle(upload, _)) => Some(*upload),
                    _ => None,
                },
                None => {
                    let mine = partials.keys().filter(|(who, _)| who == uploader).count();
                    if mine >= MAX_PARTIAL_UPLOADS {
                        return Err(PartError::TooMany);
                    }
                    partials.insert(key.clone(), Slot::Busy);
                    None
                }
            }
        };
        if let Some(upload) = taken {
            return Ok(upload);
        }
        // Not in memory: a file left by a restart, or nothing yet. No lock is held here.
        let restored = self.restore(uploader, hash, max_streamed_bytes);
        match restored {
            Ok(upload) if upload.len() == offset => Ok(upload),
            Ok(upload) => {
                let at = upload.len();
                self.park(uploader, hash, upload, now);
                Err(PartError::Offset(at))
            }
            Err(e) => {
                self.release(uploader, hash);
                Err(e.into())
            }
        }
    }

    fn restore(
        &self,
        uploader: &str,
        hash: &Hash,
        max_streamed_bytes: u64,
    ) -> Result<Upload, DeryError> {
        let path = self.partial_path(uploader, hash);
        fs::create_dir_all(self.root.join("partial"))?;
        let mut upload = Upload {
            file: fs::OpenOptions::new()
                .read(true)
                .append(true)
                .create(true)
                .open(&path)?,
            temp: path,
            hasher: SmerHasher::new(),
            check: UploadCheck::new(&self.limits, max_streamed_bytes),
            done: false,
            keep: true,
        };
        let mut reader = File::open(&upload.temp)?;
        let mut buf = vec![0u8; CHUNK];
        loop {
            let n = reader.read(&mut buf)?;
            if n == 0 {
                break;
            }
            // What was kept passed these checks when it arrived.
            if let Err(e) = upload.check.update(&buf[..n]) {
                upload.keep = false;
                return Err(DeryError::NotASmer(e));
            }
            upload.hasher.update(&buf[..n]);
        }
        Ok(upload)
    }

    /// Gives a resumable upload back between parts.
    pub fn park(&self, uploader: &str, hash: &Hash, upload: Upload, now: i64) {
        if let Ok(mut partials) = self.partials.lock() {
            partials.insert(
                (uploader.to_owned(), *hash),
                Slot::Idle(Box::new(upload), now),
            );
        }
    }

    /// Forgets a resumable upload taken by [`Dery::resume`] that has ended (finished or
    /// failed); its file goes with the `Upload`.
    pub fn release(&self, uploader: &str, hash: &Hash) {
        if let Ok(mut partials) = self.partials.lock() {
            partials.remove(&(uploader.to_owned(), *hash));
        }
    }

    /// Where the resumable upload of `hash` by `uploader` stands: `None` when there is none.
    pub fn partial_offset(&self, uploader: &str, hash: &Hash) -> Result<Option<u64>, PartError> {
        {
            let partials = self.partials.lock().map_err(|_| poisoned())?;
            match partials.get(&(uploader.to_owned(), *hash)) {
                Some(Slot::Busy) => return Err(PartError::Busy),
                Some(Slot::Idle(upload, _)) => return Ok(Some(upload.len())),
                None => {}
            }
        }
        match fs::metadata(self.partial_path(uploader, hash)) {
            Ok(m) => Ok(Some(m.len())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Abandons a resumable upload (its file is deleted); false when there was none.
    pub fn abandon(&self, uploader: &str, hash: &Hash) -> Result<bool, PartError> {
        let key = (uploader.to_owned(), *hash);
        let slot = {
            let mut partials = self.partials.lock().map_err(|_| poisoned())?;
            if let Some(Slot::Busy) = partials.get(&key) {
                return Err(PartError::Busy);
            }
            partials.remove(&key)
        };
        drop(slot);
        match fs::remove_file(self.partial_path(uploader, hash)) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// Bytes held in `uploader`'s resumable uploads (they count against the quota).
    pub fn partial_usage(&self, uploader: &str) -> Result<u64, DeryError> {
        let who = semres::dery::smer_hash(uploader.as_bytes());
        let prefix = format!("{}-", hex::encode(&who[..16]));
        let mut total = 0u64;
        let dir = match fs::read_dir(self.root.join("partial")) {
            Ok(dir) => dir,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
            Err(e) => return Err(e.into()),
        };
        for entry in dir {
            let entry = entry?;
            if entry.file_name().to_string_lossy().starts_with(&prefix) {
                total = total.saturating_add(entry.metadata()?.len());
            }
        }
        Ok(total)
    }

    /// Deletes resumable uploads idle since before `cutoff` (and files of uploads not
    /// resumed since a restart, by their modification time); how many.
    pub fn expire_partials(&self, cutoff: i64) -> Result<usize, DeryError> {
        let stale: Vec<Upload> = {
            let mut partials = self.partials.lock().map_err(|_| poisoned())?;
            let keys: Vec<(String, Hash)> = partials
                .iter()
                .filter(|(_, slot)| matches!(slot, Slot::Idle(_, at) if *at < cutoff))
                .map(|(key, _)| key.clone())
                .collect();
            keys.iter()
                .filter_map(|key| match partials.remove(key) {
                    Some(Slot::Idle(upload, _)) => Some(*upload),
                    _ => None,
                })
                .collect()
        };
        let mut removed = 0;
        for mut upload in stale {
            upload.discard_on_drop();
            drop(upload);
            removed += 1;
        }
        let held: Vec<PathBuf> = {
            let partials = self.partials.lock().map_err(|_| poisoned())?;
            partials
                .keys()
                .map(|(who, hash)| self.partial_path(who, hash))
                .collect()
        };
        if let Ok(dir) = fs::read_dir(self.root.join("partial")) {
            for entry in dir.flatten() {
                let modified = entry
                    .metadata()
                    .and_then(|m| m.modified())
                    .ok()
                    .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                    .map_or(i64::MAX, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
                if modified < cutoff && !held.contains(&entry.path()) {
                    let _ = fs::remove_file(entry.path());
                    removed += 1;
                }
            }
        }
        Ok(removed)
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

    /// Stores a whole SMeR at once (the demo, the tests): the same checks as an upload, a
    /// streamed SMeR up to [`DEFAULT_MAX_STREAMED_SMER_BYTES`].
    pub fn put(
        &self,
        hash: &Hash,
        smer: &[u8],
        uploader: &str,
        now: i64,
    ) -> Result<bool, DeryError> {
        let mut upload = self.begin(DEFAULT_MAX_STREAMED_SMER_BYTES)?;
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
    /// (a first full read). Returns the file, positioned at the start, its size and its
    /// profile (from its first byte, as [`UploadCheck`] chose it).
    pub fn open_checked(&self, hash: &Hash) -> Result<(File, u64, Profile), DeryError> {
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
        let mut first = [0u8; 1];
        let profile = match file.read(&mut first)? {
            1 if first[0] == semres::smer::streamed::MAGIC[0] => Profile::Streamed,
            _ => Profile::V1,
        };
        file.seek(SeekFrom::Start(0))?;
        Ok((file, size, profile))
    }

    /// A stored SMeR's bytes, checked (the demo, the tests: small SMeRs).
    pub fn get(&self, hash: &Hash) -> Result<Vec<u8>, DeryError> {
        let (mut file, ..) = self.open_checked(hash)?;
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
