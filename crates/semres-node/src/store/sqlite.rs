//! SQLite implementation of the stores, one database file. WAL mode with
//! `synchronous = FULL`: a transaction that returned is on disk and survives `kill -9` or a
//! power cut. Block numbers are the primary key, so two appends can never both take the same
//! height (no fork, no gap). Several connections to the same file serve readers while the
//! single writer appends ([`Pool`]).

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rusqlite::{params, Connection, OptionalExtension};
use semres::ledger::merkle::Hash;
use semres::ledger::{Block, Role};

use super::{DeryIndex, Directory, LedgerStore, StoreError, StoreResult, Stored};

/// One connection to the node's database.
pub struct Sqlite {
    conn: Connection,
}

fn hash_of(bytes: Vec<u8>) -> Hash {
    let mut hash = [0u8; 32];
    if bytes.len() == 32 {
        hash.copy_from_slice(&bytes);
    }
    hash
}

fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn to_u64(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

impl Sqlite {
    /// Opens (creating if needed) `path` with WAL and `synchronous = FULL`, and brings an
    /// older schema up to date.
    pub fn open(path: &Path) -> StoreResult<Sqlite> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS blocks (number INTEGER PRIMARY KEY, hash BLOB NOT NULL UNIQUE, bytes BLOB NOT NULL);
             CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value BLOB NOT NULL);
             CREATE TABLE IF NOT EXISTS directory (key_id TEXT PRIMARY KEY, name TEXT NOT NULL);
             CREATE TABLE IF NOT EXISTS dery_smers (hash BLOB PRIMARY KEY, uploader TEXT NOT NULL, size INTEGER NOT NULL, stored_at INTEGER NOT NULL);
             CREATE TABLE IF NOT EXISTS dery_recipients (hash BLOB NOT NULL, kid TEXT NOT NULL, PRIMARY KEY (hash, kid));
             CREATE INDEX IF NOT EXISTS dery_by_uploader ON dery_smers (uploader);
             CREATE INDEX IF NOT EXISTS dery_by_time ON dery_smers (stored_at);",
        )?;
        // Directories written before names carried their role: every name was a patient's
        // unless the ledger says otherwise (set again at the next `set_name`).
        let has_role: bool = conn
            .prepare("SELECT 1 FROM pragma_table_info('directory') WHERE name = 'role'")?
            .exists([])?;
        if !has_role {
            conn.execute_batch(
                "ALTER TABLE directory ADD COLUMN role TEXT NOT NULL DEFAULT 'patient'",
            )?;
        }
        let store = Sqlite { conn };
        store.create_consortium_tables()?;
        Ok(store)
    }

    /// The connection.
    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }

    /// The connection, for a transaction.
    pub(crate) fn conn_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }

    /// SMeRs kept as blobs by an older version (table `smers`), to move into files; the
    /// table is dropped by [`Sqlite::drop_legacy_smers`].
    pub fn legacy_smers(&self) -> StoreResult<Vec<(Hash, Vec<u8>)>> {
        let exists = self
            .conn
            .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'smers'")?
            .exists([])?;
        if !exists {
            return Ok(Vec::new());
        }
        let mut stmt = self.conn.prepare("SELECT hash, bytes FROM smers")?;
        let rows = stmt.query_map([], |r| Ok((hash_of(r.get(0)?), r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Drops the older version's SMeR table once its SMeRs are files.
    pub fn drop_legacy_smers(&self) -> StoreResult<()> {
        self.conn.execute_batch("DROP TABLE IF EXISTS smers")?;
        Ok(())
    }
}

impl LedgerStore for Sqlite {
    fn blocks(&self) -> StoreResult<Vec<Block>> {
        let mut stmt = self
            .conn
            .prepare("SELECT number, bytes FROM blocks ORDER BY number")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?)))?;
        let mut out = Vec::new();
        for row in rows {
            let (number, bytes) = row?;
            out.push(Block::from_bytes(&bytes).map_err(|_| StoreError::Corrupt(to_u64(number)))?);
        }
        Ok(out)
    }

    fn append(&mut self, block: &Block) -> StoreResult<()> {
        insert_block(&self.conn, block)
    }

    fn verified(&self) -> StoreResult<Option<(u64, Hash)>> {
        let value: Option<Vec<u8>> = self
            .conn
            .query_row("SELECT value FROM meta WHERE key = 'verified'", [], |r| {
                r.get(0)
            })
            .optional()?;
        Ok(value.filter(|v| v.len() == 40).map(|v| {
            let mut size = [0u8; 8];
            size.copy_from_slice(&v[..8]);
            (u64::from_be_bytes(size), hash_of(v[8..].to_vec()))
        }))
    }

    fn set_verified(&mut self, size: u64, root: &Hash) -> StoreResult<()> {
        let value = [size.to_be_bytes().as_slice(), root.as_slice()].concat();
        self.conn.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES ('verified', ?1)",
            params![value],
        )?;
        Ok(())
    }
}

impl DeryIndex for Sqlite {
    fn record(&mut self, hash: &Hash, stored: &Stored, recipients: &[String]) -> StoreResult<bool> {
        let tx = self.conn.transaction()?;
        let new = tx.execute(
            "INSERT OR IGNORE INTO dery_smers (hash, uploader, size, stored_at) VALUES (?1, ?2, ?3, ?4)",
            params![hash.to_vec(), stored.uploader, to_i64(stored.size), stored.stored_at],
        )? == 1;
        if new {
            for kid in recipients {
                tx.execute(
                    "INSERT OR IGNORE INTO dery_recipients (hash, kid) VALUES (?1, ?2)",
                    params![hash.to_vec(), kid],
                )?;
            }
        }
        tx.commit()?;
        Ok(new)
    }

    fn stored(&self, hash: &Hash) -> StoreResult<Option<Stored>> {
        Ok(self
            .conn
            .query_row(
                "SELECT uploader, size, stored_at FROM dery_smers WHERE hash = ?1",
                params![hash.to_vec()],
                |r| {
                    Ok(Stored {
                        uploader: r.get(0)?,
                        size: to_u64(r.get(1)?),
                        stored_at: r.get(2)?,
                    })
                },
            )
            .optional()?)
    }

    fn recipients(&self, hash: &Hash) -> StoreResult<Vec<String>> {
        let mut stmt = self
            .conn
            .prepare("SELECT kid FROM dery_recipients WHERE hash = ?1 ORDER BY kid")?;
        let rows = stmt.query_map(params![hash.to_vec()], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn usage(&self, uploader: &str) -> StoreResult<u64> {
        let total: i64 = self.conn.query_row(
            "SELECT COALESCE(SUM(size), 0) FROM dery_smers WHERE uploader = ?1",
            params![uploader],
            |r| r.get(0),
        )?;
        Ok(to_u64(total))
    }

    fn stored_before(&self, time: i64) -> StoreResult<Vec<(Hash, String)>> {
        let mut stmt = self
            .conn
            .prepare("SELECT hash, uploader FROM dery_smers WHERE stored_at < ?1")?;
        let rows = stmt.query_map(params![time], |r| Ok((hash_of(r.get(0)?), r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn remove(&mut self, hash: &Hash) -> StoreResult<bool> {
        let tx = self.conn.transaction()?;
        let removed = tx.execute(
            "DELETE FROM dery_smers WHERE hash = ?1",
            params![hash.to_vec()],
        )?;
        tx.execute(
            "DELETE FROM dery_recipients WHERE hash = ?1",
            params![hash.to_vec()],
        )?;
        tx.commit()?;
        Ok(removed == 1)
    }

    fn all(&self) -> StoreResult<Vec<Hash>> {
        let mut stmt = self
            .conn
            .prepare("SELECT hash FROM dery_smers ORDER BY hash")?;
        let rows = stmt.query_map([], |r| Ok(hash_of(r.get(0)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

impl Directory for Sqlite {
    fn set_name(&mut self, key_id: &str, name: &str, role: Role) -> StoreResult<()> {
        self.conn.execute(
            "INSERT OR REPLACE INTO directory (key_id, name, role) VALUES (?1, ?2, ?3)",
            params![key_id, name, role.name()],
        )?;
        Ok(())
    }

    fn name(&self, key_id: &str) -> StoreResult<Option<String>> {
        Ok(self
            .conn
            .query_row(
                "SELECT name FROM directory WHERE key_id = ?1",
                params![key_id],
                |r| r.get(0),
            )
            .optional()?)
    }

    fn search(
        &self,
        query: &str,
        patients: &[String],
        limit: usize,
    ) -> StoreResult<Vec<(String, String)>> {
        let escaped = query
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        let visible =
            serde_json::to_string(patients).map_err(|e| StoreError::Database(e.to_string()))?;
        let mut stmt = self.conn.prepare(
            "SELECT key_id, name FROM directory
             WHERE name LIKE ?1 ESCAPE '\\'
               AND (role <> 'patient' OR key_id IN (SELECT value FROM json_each(?2)))
             ORDER BY name, key_id LIMIT ?3",
        )?;
        let rows = stmt.query_map(
            params![
                format!("%{escaped}%"),
                visible,
                i64::try_from(limit).unwrap_or(i64::MAX)
            ],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

/// A few connections to the database, handed out one at a time: a reader never waits for
/// another's disk I/O, and no lock is held while a query runs (the pool's lock is held only
/// to take or return a connection).
pub struct Pool {
    path: PathBuf,
    idle: Mutex<Vec<Sqlite>>,
}

/// Idle connections kept open.
const POOL_IDLE: usize = 8;

impl Pool {
    /// A pool over the database at `path` (connections opened on demand).
    pub fn new(path: &Path) -> Pool {
        Pool {
            path: path.to_owned(),
            idle: Mutex::new(Vec::new()),
        }
    }

    fn idle(&self) -> std::sync::MutexGuard<'_, Vec<Sqlite>> {
        self.idle
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Runs `f` with a connection of its own (an idle one, or a new one).
    pub fn with<T>(&self, f: impl FnOnce(&mut Sqlite) -> StoreResult<T>) -> StoreResult<T> {
        let idle = self.idle().pop();
        let mut conn = match idle {
            Some(conn) => conn,
            None => Sqlite::open(&self.path)?,
        };
        let result = f(&mut conn);
        let mut idle = self.idle();
        if idle.len() < POOL_IDLE {
            idle.push(conn);
        }
        result
    }
}

/// Writes one block row (the ledger's table; the consortium's replay uses it inside its
/// transaction).
pub(crate) fn insert_block(conn: &rusqlite::Connection, block: &Block) -> StoreResult<()> {
    conn.execute(
        "INSERT INTO blocks (number, hash, bytes) VALUES (?1, ?2, ?3)",
        params![
            to_i64(block.number),
            block.hash().to_vec(),
            block.to_bytes()
        ],
    )?;
    Ok(())
}
