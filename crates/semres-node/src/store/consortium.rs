//! What a consortium node keeps beside its blocks (SPEC §6.5): how far it has replayed the
//! Ethereum chain (and the hashes of the Ethereum blocks it replayed, to notice a reorg),
//! the entries it skipped and why, the entries it accepted and has yet to see anchored (the
//! outbox, which survives restarts), the cosignatures it holds, and fork evidence.

use rusqlite::{params, OptionalExtension};
use semres::ledger::merkle::Hash;
use semres::ledger::Block;

use super::sqlite::Sqlite;
use super::StoreResult;

fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn to_u64(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

fn hash_of(bytes: &[u8]) -> Hash {
    let mut hash = [0u8; 32];
    if bytes.len() == 32 {
        hash.copy_from_slice(bytes);
    }
    hash
}

/// An entry every node skipped (SPEC §6.5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// The contract's seq.
    pub seq: u64,
    /// The Ethereum block it is in.
    pub ethereum_block: u64,
    /// The code of the rule it broke.
    pub code: String,
    /// Its entry hash, if it decoded.
    pub entry_hash: Option<Hash>,
}

/// The outcome of replaying a range of Ethereum blocks, stored in one transaction.
pub struct Replayed<'a> {
    /// New anchored blocks, with the Ethereum block of each.
    pub blocks: &'a [(Block, u64)],
    /// Entries skipped.
    pub skipped: &'a [Skipped],
    /// Ethereum blocks replayed that held logs, and the last one replayed: (number, hash).
    pub ethereum_blocks: &'a [(u64, Hash)],
    /// The last Ethereum block replayed.
    pub cursor: u64,
    /// The seq the next log must have.
    pub next_seq: u64,
}

impl Sqlite {
    /// Creates the consortium tables if missing.
    pub(crate) fn create_consortium_tables(&self) -> StoreResult<()> {
        self.conn().execute_batch(
            "CREATE TABLE IF NOT EXISTS consortium_anchors (number INTEGER PRIMARY KEY, ethereum_block INTEGER NOT NULL);
             CREATE TABLE IF NOT EXISTS consortium_ethereum_blocks (number INTEGER PRIMARY KEY, hash BLOB NOT NULL);
             CREATE TABLE IF NOT EXISTS consortium_skipped (seq INTEGER PRIMARY KEY, ethereum_block INTEGER NOT NULL, code TEXT NOT NULL, entry_hash BLOB);
             CREATE TABLE IF NOT EXISTS consortium_outbox (entry_hash BLOB PRIMARY KEY, bytes BLOB NOT NULL, queued_at INTEGER NOT NULL);
             CREATE TABLE IF NOT EXISTS consortium_cosignatures (size INTEGER NOT NULL, member TEXT NOT NULL, line TEXT NOT NULL, PRIMARY KEY (size, member));
             CREATE TABLE IF NOT EXISTS consortium_evidence (id INTEGER PRIMARY KEY AUTOINCREMENT, a TEXT NOT NULL, b TEXT NOT NULL, found_at INTEGER NOT NULL);",
        )?;
        Ok(())
    }

    fn meta_u64(&self, key: &str) -> StoreResult<Option<u64>> {
        let value: Option<Vec<u8>> = self
            .conn()
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()?;
        Ok(value.filter(|v| v.len() == 8).map(|v| {
            let mut b = [0u8; 8];
            b.copy_from_slice(&v);
            u64::from_be_bytes(b)
        }))
    }

    /// The last Ethereum block replayed (`None` before the first) and the seq the next log
    /// must have.
    pub fn replay_cursor(&self) -> StoreResult<(Option<u64>, u64)> {
        Ok((
            self.meta_u64("consortium_cursor")?,
            self.meta_u64("consortium_next_seq")?.unwrap_or(0),
        ))
    }

    /// The stored hash of replayed Ethereum block `number`, if it was recorded.
    pub fn ethereum_block_hash(&self, number: u64) -> StoreResult<Option<Hash>> {
        let hash: Option<Vec<u8>> = self
            .conn()
            .query_row(
                "SELECT hash FROM consortium_ethereum_blocks WHERE number = ?1",
                [to_i64(number)],
                |r| r.get(0),
            )
            .optional()?;
        Ok(hash.map(|h| hash_of(&h)))
    }

    /// The recorded Ethereum blocks at or below `number`, newest first.
    pub fn ethereum_blocks_down_from(&self, number: u64) -> StoreResult<Vec<(u64, Hash)>> {
        let mut stmt = self.conn().prepare(
            "SELECT number, hash FROM consortium_ethereum_blocks WHERE number <= ?1 ORDER BY number DESC",
        )?;
        let rows = stmt.query_map([to_i64(number)], |r| {
            Ok((to_u64(r.get(0)?), hash_of(&r.get::<_, Vec<u8>>(1)?)))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Stores a replayed range in one transaction: blocks, skipped entries, Ethereum blocks,
    /// the cursor; and removes from the outbox what is now anchored or skipped.
    pub fn store_replayed(&mut self, r: &Replayed<'_>) -> StoreResult<()> {
        let tx = self.conn_mut().transaction()?;
        for (block, ethereum_block) in r.blocks {
            super::sqlite::insert_block(&tx, block)?;
            tx.execute(
                "INSERT INTO consortium_anchors (number, ethereum_block) VALUES (?1, ?2)",
                params![to_i64(block.number), to_i64(*ethereum_block)],
            )?;
            tx.execute(
                "DELETE FROM consortium_outbox WHERE entry_hash = ?1",
                params![block.entry.hash().to_vec()],
            )?;
        }
        for s in r.skipped {
            tx.execute(
                "INSERT OR REPLACE INTO consortium_skipped (seq, ethereum_block, code, entry_hash) VALUES (?1, ?2, ?3, ?4)",
                params![to_i64(s.seq), to_i64(s.ethereum_block), s.code, s.entry_hash.map(|h| h.to_vec())],
            )?;
            if let Some(h) = s.entry_hash {
                tx.execute(
                    "DELETE FROM consortium_outbox WHERE entry_hash = ?1",
                    params![h.to_vec()],
                )?;
            }
        }
        for (number, hash) in r.ethereum_blocks {
            tx.execute(
                "INSERT OR REPLACE INTO consortium_ethereum_blocks (number, hash) VALUES (?1, ?2)",
                params![to_i64(*number), hash.to_vec()],
            )?;
        }
        for (key, value) in [
            ("consortium_cursor", r.cursor),
            ("consortium_next_seq", r.next_seq),
        ] {
            tx.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)",
                params![key, value.to_be_bytes().to_vec()],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Undoes everything replayed from Ethereum blocks after `keep` (a reorg): blocks,
    /// skipped entries, recorded Ethereum blocks; the cursor goes back to `keep` and the next
    /// seq to the first one undone. Returns the number of blocks kept.
    pub fn roll_back_after(&mut self, keep: Option<u64>) -> StoreResult<u64> {
        let from = keep.map_or(0, |k| to_i64(k).saturating_add(1));
        let tx = self.conn_mut().transaction()?;
        let first_block: Option<i64> = tx.query_row(
            "SELECT MIN(number) FROM consortium_anchors WHERE ethereum_block >= ?1",
            [from],
            |r| r.get(0),
        )?;
        if let Some(first) = first_block {
            // The entries of the blocks undone go back to the outbox: sent again, they are
            // anchored again (once; a repeat is skipped by every node).
            let undone: Vec<Vec<u8>> = {
                let mut stmt = tx.prepare("SELECT bytes FROM blocks WHERE number >= ?1")?;
                let rows = stmt.query_map([first], |r| r.get(0))?;
                rows.collect::<Result<_, _>>()?
            };
            for bytes in undone {
                if let Ok(block) = Block::from_bytes(&bytes) {
                    tx.execute(
                        "INSERT OR IGNORE INTO consortium_outbox (entry_hash, bytes, queued_at) VALUES (?1, ?2, 0)",
                        params![block.entry.hash().to_vec(), block.entry.to_bytes()],
                    )?;
                }
            }
            tx.execute("DELETE FROM blocks WHERE number >= ?1", [first])?;
            tx.execute("DELETE FROM consortium_anchors WHERE number >= ?1", [first])?;
        }
        tx.execute(
            "DELETE FROM consortium_skipped WHERE ethereum_block >= ?1",
            [from],
        )?;
        tx.execute(
            "DELETE FROM consortium_ethereum_blocks WHERE number >= ?1",
            [from],
        )?;
        tx.execute(
            "DELETE FROM consortium_cosignatures WHERE size > (SELECT COUNT(*) FROM blocks)",
            [],
        )?;
        let kept: i64 = tx.query_row("SELECT COUNT(*) FROM blocks", [], |r| r.get(0))?;
        // The next seq: one after the last seq still replayed (in a kept block or skipped).
        let last_skipped: Option<i64> =
            tx.query_row("SELECT MAX(seq) FROM consortium_skipped", [], |r| r.get(0))?;
        tx.execute("DELETE FROM meta WHERE key IN ('consortium_cursor', 'consortium_next_seq', 'verified')", [])?;
        if let Some(k) = keep {
            tx.execute(
                "INSERT INTO meta (key, value) VALUES ('consortium_cursor', ?1)",
                params![k.to_be_bytes().to_vec()],
            )?;
        }
        tx.commit()?;
        let last_block_seq = self.blocks_last()?.and_then(|b| b.anchor().map(|a| a.seq));
        let next = [last_block_seq, last_skipped.map(to_u64)]
            .into_iter()
            .flatten()
            .max()
            .map_or(0, |s| s + 1);
        self.conn().execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES ('consortium_next_seq', ?1)",
            params![next.to_be_bytes().to_vec()],
        )?;
        Ok(to_u64(kept))
    }

    fn blocks_last(&self) -> StoreResult<Option<Block>> {
        let bytes: Option<Vec<u8>> = self
            .conn()
            .query_row(
                "SELECT bytes FROM blocks ORDER BY number DESC LIMIT 1",
                [],
                |r| r.get(0),
            )
            .optional()?;
        Ok(bytes.and_then(|b| Block::from_bytes(&b).ok()))
    }

    /// Queues an accepted entry for anchoring; false when it was queued already.
    pub fn enqueue(&mut self, entry_hash: &Hash, bytes: &[u8], now: i64) -> StoreResult<bool> {
        let n = self.conn().execute(
            "INSERT OR IGNORE INTO consortium_outbox (entry_hash, bytes, queued_at) VALUES (?1, ?2, ?3)",
            params![entry_hash.to_vec(), bytes, now],
        )?;
        Ok(n == 1)
    }

    /// Up to `limit` queued entries, oldest first.
    pub fn queued(&self, limit: usize) -> StoreResult<Vec<(Hash, Vec<u8>)>> {
        let mut stmt = self.conn().prepare(
            "SELECT entry_hash, bytes FROM consortium_outbox ORDER BY queued_at, entry_hash LIMIT ?1",
        )?;
        let rows = stmt.query_map([to_i64(u64::try_from(limit).unwrap_or(u64::MAX))], |r| {
            Ok((hash_of(&r.get::<_, Vec<u8>>(0)?), r.get(1)?))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Whether an entry is still queued.
    pub fn is_queued(&self, entry_hash: &Hash) -> StoreResult<bool> {
        Ok(self
            .conn()
            .prepare("SELECT 1 FROM consortium_outbox WHERE entry_hash = ?1")?
            .exists([entry_hash.to_vec()])?)
    }

    /// The skipped entry with this entry hash, if any.
    pub fn skipped_entry(&self, entry_hash: &Hash) -> StoreResult<Option<Skipped>> {
        Ok(self
            .conn()
            .query_row(
                "SELECT seq, ethereum_block, code FROM consortium_skipped WHERE entry_hash = ?1 ORDER BY seq LIMIT 1",
                [entry_hash.to_vec()],
                |r| {
                    Ok(Skipped {
                        seq: to_u64(r.get(0)?),
                        ethereum_block: to_u64(r.get(1)?),
                        code: r.get(2)?,
                        entry_hash: Some(*entry_hash),
                    })
                },
            )
            .optional()?)
    }

    /// Every skipped entry, by seq.
    pub fn skipped(&self) -> StoreResult<Vec<Skipped>> {
        let mut stmt = self.conn().prepare(
            "SELECT seq, ethereum_block, code, entry_hash FROM consortium_skipped ORDER BY seq",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(Skipped {
                seq: to_u64(r.get(0)?),
                ethereum_block: to_u64(r.get(1)?),
                code: r.get(2)?,
                entry_hash: r.get::<_, Option<Vec<u8>>>(3)?.map(|h| hash_of(&h)),
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Keeps a member's cosignature line of the checkpoint of size `size`.
    pub fn add_cosignature(&mut self, size: u64, member: &str, line: &str) -> StoreResult<()> {
        self.conn().execute(
            "INSERT OR REPLACE INTO consortium_cosignatures (size, member, line) VALUES (?1, ?2, ?3)",
            params![to_i64(size), member, line],
        )?;
        Ok(())
    }

    /// The cosignature lines held for size `size`, by member.
    pub fn cosignatures(&self, size: u64) -> StoreResult<Vec<(String, String)>> {
        let mut stmt = self.conn().prepare(
            "SELECT member, line FROM consortium_cosignatures WHERE size = ?1 ORDER BY member",
        )?;
        let rows = stmt.query_map([to_i64(size)], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The largest size with at least `threshold` cosignatures held, if any.
    pub fn largest_cosigned(&self, threshold: usize) -> StoreResult<Option<u64>> {
        let size: Option<i64> = self.conn().query_row(
            "SELECT MAX(size) FROM (SELECT size FROM consortium_cosignatures GROUP BY size HAVING COUNT(*) >= ?1)",
            [to_i64(u64::try_from(threshold).unwrap_or(u64::MAX))],
            |r| r.get(0),
        )?;
        Ok(size.map(to_u64))
    }

    /// Keeps two conflicting cosigned checkpoints (a fork) as evidence.
    pub fn add_evidence(&mut self, a: &str, b: &str, now: i64) -> StoreResult<()> {
        self.conn().execute(
            "INSERT INTO consortium_evidence (a, b, found_at) VALUES (?1, ?2, ?3)",
            params![a, b, now],
        )?;
        Ok(())
    }

    /// The fork evidence kept: pairs of cosigned checkpoints.
    pub fn evidence(&self) -> StoreResult<Vec<(String, String)>> {
        let mut stmt = self
            .conn()
            .prepare("SELECT a, b FROM consortium_evidence ORDER BY id")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}
