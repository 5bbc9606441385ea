//! SQLite implementation of the stores, one database file. WAL mode with
//! `synchronous = FULL`: a transaction that returned is on disk and survives `kill -9` or a
//! power cut. Block numbers are the primary key, so two appends can never both take the same
//! height (no fork, no gap).

use std::path::Path;

use rusqlite::{params, Connection, OptionalExtension};
use semres::ledger::merkle::Hash;
use semres::ledger::Block;

use super::{Directory, LedgerStore, StoreError, StoreResult};
use crate::dery::SmerStore;

/// SQLite implementation of the stores, one database file.
pub struct Sqlite {
    conn: Connection,
}

impl Sqlite {
    /// Opens (creating if needed) `path` with WAL and `synchronous = FULL`.
    pub fn open(path: &Path) -> StoreResult<Sqlite> {
        let conn = Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS blocks (number INTEGER PRIMARY KEY, hash BLOB NOT NULL UNIQUE, bytes BLOB NOT NULL);
             CREATE TABLE IF NOT EXISTS smers (hash BLOB PRIMARY KEY, bytes BLOB NOT NULL);
             CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value BLOB NOT NULL);
             CREATE TABLE IF NOT EXISTS directory (key_id TEXT PRIMARY KEY, name TEXT NOT NULL);",
        )?;
        Ok(Sqlite { conn })
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
            out.push(Block::from_bytes(&bytes).map_err(|_| StoreError::Corrupt(number as u64))?);
        }
        Ok(out)
    }

    fn append(&mut self, block: &Block) -> StoreResult<()> {
        self.conn.execute(
            "INSERT INTO blocks (number, hash, bytes) VALUES (?1, ?2, ?3)",
            params![block.number as i64, block.hash().to_vec(), block.to_bytes()],
        )?;
        Ok(())
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
            let mut root = [0u8; 32];
            root.copy_from_slice(&v[8..]);
            (u64::from_be_bytes(size), root)
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

impl SmerStore for Sqlite {
    fn put(&mut self, hash: &Hash, smer: &[u8]) -> StoreResult<bool> {
        let n = self.conn.execute(
            "INSERT OR IGNORE INTO smers (hash, bytes) VALUES (?1, ?2)",
            params![hash.to_vec(), smer],
        )?;
        Ok(n == 1)
    }

    fn get(&self, hash: &Hash) -> StoreResult<Option<Vec<u8>>> {
        Ok(self
            .conn
            .query_row(
                "SELECT bytes FROM smers WHERE hash = ?1",
                params![hash.to_vec()],
                |r| r.get(0),
            )
            .optional()?)
    }

    fn delete(&mut self, hash: &Hash) -> StoreResult<bool> {
        Ok(self
            .conn
            .execute("DELETE FROM smers WHERE hash = ?1", params![hash.to_vec()])?
            == 1)
    }

    fn for_each(&self, f: &mut dyn FnMut(&Hash, &[u8]) -> bool) -> StoreResult<()> {
        let mut stmt = self
            .conn
            .prepare("SELECT hash, bytes FROM smers ORDER BY hash")?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let key: Vec<u8> = row.get(0)?;
            let bytes: Vec<u8> = row.get(1)?;
            let mut hash = [0u8; 32];
            if key.len() == 32 {
                hash.copy_from_slice(&key);
            }
            if !f(&hash, &bytes) {
                break;
            }
        }
        Ok(())
    }
}

impl Directory for Sqlite {
    fn set_name(&mut self, key_id: &str, name: &str) -> StoreResult<()> {
        self.conn.execute(
            "INSERT OR REPLACE INTO directory (key_id, name) VALUES (?1, ?2)",
            params![key_id, name],
        )?;
        Ok(())
    }

    fn name(&self, key_id: &str) -> StoreResult<Option<String>> {
        let mut stmt = self
            .conn
            .prepare("SELECT name FROM directory WHERE key_id = ?1")?;
        let mut rows = stmt.query_map(params![key_id], |r| r.get(0))?;
        Ok(rows.next().transpose()?)
    }

    fn search(&self, query: &str, limit: usize) -> StoreResult<Vec<(String, String)>> {
        let escaped = query
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        let mut stmt = self.conn.prepare("SELECT key_id, name FROM directory WHERE name LIKE ?1 ESCAPE '\\' ORDER BY name LIMIT ?2")?;
        let rows = stmt.query_map(params![format!("%{escaped}%"), limit as i64], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}
