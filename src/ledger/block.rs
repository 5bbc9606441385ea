//! Blocks v1 (SPEC.md §4.3): one entry per block, as in the paper's Fig. 6/13, linked by
//! previous hash and sealed by a Proof-of-Authority validator. [`Block::paper_view`] gives
//! the paper's eleven fields.

use sha2::{Digest, Sha256};

use super::codec::{Reader, Writer};
use super::entry::{Entry, EntryBody};
use super::error::{LedgerError, LedgerResult};
use super::merkle::Hash;
use crate::identity::signing::{SigningPrivateKey, SigningPublicKey, SIGNATURE_LEN};

/// Block format version.
pub const BLOCK_VERSION: u8 = 1;
/// Largest encoded block.
pub const MAX_BLOCK_BYTES: usize = 64 * 1024;
const BLOCK_DOMAIN: &[u8] = b"SEMRES ledger v1 block\0";
const SEAL_DOMAIN: &[u8] = b"SEMRES ledger v1 block seal\0";

/// A sealed block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    /// Height, 0 for genesis.
    pub number: u64,
    /// Hash of the previous block (zeros for genesis).
    pub previous_hash: Hash,
    /// Sealing time, Unix seconds (the authority's clock).
    pub time: i64,
    /// Key id of the sealing authority (set by [`Block::seal`] or read by
    /// [`Block::from_bytes`]).
    sealer: String,
    /// The entry.
    pub entry: Entry,
    /// Ed25519 seal by the sealer over the block hash.
    pub seal: [u8; SIGNATURE_LEN],
}

/// The paper's block fields (Fig. 6, Fig. 13), with key ids in place of names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaperView {
    /// Block number.
    pub block_number: u64,
    /// Pre-hash.
    pub previous_hash: Hash,
    /// Hash.
    pub hash: Hash,
    /// Time.
    pub time: i64,
    /// EMR owner (key id), where the entry names one.
    pub owner: Option<String>,
    /// Authorized person (key id).
    pub authorized_person: Option<String>,
    /// Data index (where DERy keeps the SMeR).
    pub data_index: Option<String>,
    /// Hash of SMeR.
    pub smer_hash: Option<Hash>,
    /// Authority status: the entry kind (`grant`, `revoke`, …).
    pub authority_status: &'static str,
    /// The entry signer's signature.
    pub signature: Option<[u8; SIGNATURE_LEN]>,
    /// Payment amount and currency.
    pub payment: Option<(u64, String)>,
}

impl Block {
    /// The bytes hashed into the block hash (all but the seal).
    fn header_bytes(
        number: u64,
        previous_hash: &Hash,
        time: i64,
        sealer: &str,
        entry_bytes: &[u8],
    ) -> Vec<u8> {
        let mut w = Writer::default();
        w.u8(BLOCK_VERSION)
            .u64(number)
            .fixed(previous_hash)
            .i64(time)
            .str(sealer)
            .bytes(entry_bytes);
        w.0
    }

    /// Seals `entry` into block `number` after `previous_hash`.
    pub fn seal(
        number: u64,
        previous_hash: Hash,
        time: i64,
        entry: Entry,
        sealer: &SigningPrivateKey,
    ) -> Block {
        let mut block = Block {
            number,
            previous_hash,
            time,
            sealer: sealer.key_id().to_owned(),
            entry,
            seal: [0; SIGNATURE_LEN],
        };
        block.seal = sealer.sign(&Self::seal_message(&block.hash()));
        block
    }

    /// Key id of the sealing authority.
    pub fn sealer(&self) -> &str {
        &self.sealer
    }

    /// The message a seal signs.
    pub fn seal_message(hash: &Hash) -> Vec<u8> {
        [SEAL_DOMAIN, hash.as_slice()].concat()
    }

    /// Checks the seal: the sealer is one of `authorities` and its Ed25519 signature over
    /// the block hash verifies (`UnknownAuthority`, `BadSeal`). What a browser checks of one
    /// block when it does not replay the chain.
    pub fn verify_seal(&self, authorities: &[SigningPublicKey]) -> LedgerResult<()> {
        let authority = authorities
            .iter()
            .find(|k| k.key_id() == self.sealer)
            .ok_or(LedgerError::UnknownAuthority)?;
        authority
            .verify(&Self::seal_message(&self.hash()), &self.seal)
            .map_err(|_| LedgerError::BadSeal)
    }

    /// Block hash: SHA-256("SEMRES ledger v1 block\0" || header bytes). The Merkle log's
    /// leaves are these hashes.
    pub fn hash(&self) -> Hash {
        let header = Self::header_bytes(
            self.number,
            &self.previous_hash,
            self.time,
            &self.sealer,
            &self.entry.to_bytes(),
        );
        let mut h = Sha256::new();
        h.update(BLOCK_DOMAIN);
        h.update(&header);
        h.finalize().into()
    }

    /// Encoding: header bytes, then the 64-byte seal.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Self::header_bytes(
            self.number,
            &self.previous_hash,
            self.time,
            &self.sealer,
            &self.entry.to_bytes(),
        );
        out.extend_from_slice(&self.seal);
        out
    }

    /// Decodes a block that is the whole of `bytes`.
    pub fn from_bytes(bytes: &[u8]) -> LedgerResult<Block> {
        if bytes.len() > MAX_BLOCK_BYTES {
            return Err(LedgerError::Malformed("block too large"));
        }
        let mut r = Reader::new(bytes);
        let version = r.u8()?;
        if version != BLOCK_VERSION {
            return Err(LedgerError::UnsupportedVersion(version));
        }
        let number = r.u64()?;
        let previous_hash = r.fixed()?;
        let time = r.i64()?;
        let sealer = r.str()?;
        let entry = Entry::from_bytes(r.bytes_max(MAX_BLOCK_BYTES)?)?;
        let seal = r.fixed()?;
        r.finish()?;
        Ok(Block {
            number,
            previous_hash,
            time,
            sealer,
            entry,
            seal,
        })
    }

    /// The paper's fields of this block. The owner of a grant-referencing entry is resolved
    /// by the caller (the state knows it); here it is the signer for grants and erasures.
    pub fn paper_view(&self) -> PaperView {
        let e = &self.entry;
        let mut v = PaperView {
            block_number: self.number,
            previous_hash: self.previous_hash,
            hash: self.hash(),
            time: self.time,
            owner: None,
            authorized_person: None,
            data_index: None,
            smer_hash: None,
            authority_status: e.body().kind_name(),
            signature: e.signatures().first().map(|s| s.signature),
            payment: None,
        };
        match e.body() {
            EntryBody::Grant {
                smer_hash,
                data_index,
                recipient,
                ..
            } => {
                v.owner = Some(e.signer().to_owned());
                v.authorized_person = Some(recipient.clone());
                v.data_index = Some(data_index.clone());
                v.smer_hash = Some(*smer_hash);
            }
            EntryBody::Care {
                smer_hash,
                data_index,
                ..
            } => {
                v.authorized_person = Some(e.signer().to_owned());
                v.data_index = Some(data_index.clone());
                v.smer_hash = Some(*smer_hash);
            }
            EntryBody::Erase { smer_hash } => {
                v.owner = Some(e.signer().to_owned());
                v.smer_hash = Some(*smer_hash);
            }
            EntryBody::Payment {
                amount,
                currency,
                payee,
                ..
            } => {
                v.authorized_person = Some(payee.clone());
                v.payment = Some((*amount, currency.clone()));
            }
            EntryBody::Payer { payer, .. } => {
                v.owner = Some(e.signer().to_owned());
                v.authorized_person = Some(payer.clone());
            }
            _ => {}
        }
        v
    }
}
