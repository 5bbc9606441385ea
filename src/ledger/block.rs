//! Blocks (SPEC.md §4.3): one entry per block, as in the paper's Fig. 6/13, linked by
//! previous hash, and either sealed by a Proof-of-Authority validator of this ledger
//! (version 1) or anchored in an Ethereum log of the consortium's chain (version 2, §6.5),
//! where the consensus is the engine's and every node derives the same block.
//! [`Block::paper_view`] gives the paper's eleven fields.

use sha2::{Digest, Sha256};

use super::codec::{Reader, Writer};
use super::entry::{Entry, EntryBody};
use super::error::{LedgerError, LedgerResult};
use super::merkle::Hash;
use crate::identity::signing::{SigningPrivateKey, SigningPublicKey, SIGNATURE_LEN};

/// Block format version of a sealed block.
pub const BLOCK_VERSION: u8 = 1;
/// Block format version of an anchored block.
pub const ANCHORED_BLOCK_VERSION: u8 = 2;
/// Largest encoded block.
pub const MAX_BLOCK_BYTES: usize = 64 * 1024;
const BLOCK_DOMAIN: &[u8] = b"SEMRES ledger v1 block\0";
const ANCHORED_BLOCK_DOMAIN: &[u8] = b"SEMRES ledger v2 anchored block\0";
const SEAL_DOMAIN: &[u8] = b"SEMRES ledger v1 block seal\0";

/// Where an anchored block's entry is on the consortium's Ethereum chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Anchor {
    /// The Ethereum chain id.
    pub chain_id: u64,
    /// Number of the Ethereum block holding the log.
    pub block_number: u64,
    /// Hash of that Ethereum block.
    pub block_hash: Hash,
    /// Hash of the transaction that emitted the log.
    pub transaction_hash: Hash,
    /// The log's index in its Ethereum block.
    pub log_index: u64,
    /// The contract's sequence number of the entry (`Appended.seq`).
    pub seq: u64,
}

/// What vouches for a block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seal {
    /// Sealed by an authority of this ledger (version 1).
    Authority {
        /// Key id of the sealing authority.
        sealer: String,
        /// Ed25519 signature by the sealer over the block hash.
        signature: [u8; SIGNATURE_LEN],
    },
    /// Anchored in the consortium's Ethereum chain (version 2): the engine's consensus
    /// ordered it, and the consortium's cosigned checkpoints vouch for the log.
    Anchor(Anchor),
}

/// A block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    /// Height, 0 for genesis (or for the first anchored entry).
    pub number: u64,
    /// Hash of the previous block (zeros for the first).
    pub previous_hash: Hash,
    /// Unix seconds: the sealing authority's clock, or the Ethereum block's timestamp.
    pub time: i64,
    /// The entry.
    pub entry: Entry,
    /// The seal, or the anchor.
    pub seal: Seal,
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
    /// The bytes hashed into a sealed block's hash (all but the seal).
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

    /// An anchored block's encoding (all of it is hashed).
    fn anchored_bytes(&self, anchor: &Anchor) -> Vec<u8> {
        let mut w = Writer::default();
        w.u8(ANCHORED_BLOCK_VERSION)
            .u64(self.number)
            .fixed(&self.previous_hash)
            .i64(self.time)
            .u64(anchor.chain_id)
            .u64(anchor.block_number)
            .fixed(&anchor.block_hash)
            .fixed(&anchor.transaction_hash)
            .u64(anchor.log_index)
            .u64(anchor.seq)
            .bytes(&self.entry.to_bytes());
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
            entry,
            seal: Seal::Authority {
                sealer: sealer.key_id().to_owned(),
                signature: [0; SIGNATURE_LEN],
            },
        };
        let signature = sealer.sign(&Self::seal_message(&block.hash()));
        if let Seal::Authority { signature: s, .. } = &mut block.seal {
            *s = signature;
        }
        block
    }

    /// The block that anchors `entry` at `anchor`, as number `number` after
    /// `previous_hash`, dated `time` (the Ethereum block's timestamp).
    pub fn anchored(
        number: u64,
        previous_hash: Hash,
        time: i64,
        entry: Entry,
        anchor: Anchor,
    ) -> Block {
        Block {
            number,
            previous_hash,
            time,
            entry,
            seal: Seal::Anchor(anchor),
        }
    }

    /// Key id of the sealing authority; empty for an anchored block.
    pub fn sealer(&self) -> &str {
        match &self.seal {
            Seal::Authority { sealer, .. } => sealer,
            Seal::Anchor(_) => "",
        }
    }

    /// The anchor of an anchored block.
    pub fn anchor(&self) -> Option<&Anchor> {
        match &self.seal {
            Seal::Anchor(a) => Some(a),
            Seal::Authority { .. } => None,
        }
    }

    /// The message a seal signs.
    pub fn seal_message(hash: &Hash) -> Vec<u8> {
        [SEAL_DOMAIN, hash.as_slice()].concat()
    }

    /// Checks the seal: the sealer is one of `authorities` and its Ed25519 signature over
    /// the block hash verifies (`UnknownAuthority`, `BadSeal`). What a browser checks of one
    /// block when it does not replay the chain. An anchored block has no seal
    /// (`UnknownAuthority`): a cosigned checkpoint vouches for it (§6).
    pub fn verify_seal(&self, authorities: &[SigningPublicKey]) -> LedgerResult<()> {
        let Seal::Authority { sealer, signature } = &self.seal else {
            return Err(LedgerError::UnknownAuthority);
        };
        let authority = authorities
            .iter()
            .find(|k| k.key_id() == sealer)
            .ok_or(LedgerError::UnknownAuthority)?;
        authority
            .verify(&Self::seal_message(&self.hash()), signature)
            .map_err(|_| LedgerError::BadSeal)
    }

    /// Block hash: SHA-256("SEMRES ledger v1 block\0" || header bytes) for a sealed block,
    /// SHA-256("SEMRES ledger v2 anchored block\0" || encoding) for an anchored one. The
    /// Merkle log's leaves are these hashes.
    pub fn hash(&self) -> Hash {
        let mut h = Sha256::new();
        match &self.seal {
            Seal::Authority { sealer, .. } => {
                h.update(BLOCK_DOMAIN);
                h.update(Self::header_bytes(
                    self.number,
                    &self.previous_hash,
                    self.time,
                    sealer,
                    &self.entry.to_bytes(),
                ));
            }
            Seal::Anchor(anchor) => {
                h.update(ANCHORED_BLOCK_DOMAIN);
                h.update(self.anchored_bytes(anchor));
            }
        }
        h.finalize().into()
    }

    /// Encoding: a sealed block's header bytes then its 64-byte seal; an anchored block's
    /// fields.
    pub fn to_bytes(&self) -> Vec<u8> {
        match &self.seal {
            Seal::Authority { sealer, signature } => {
                let mut out = Self::header_bytes(
                    self.number,
                    &self.previous_hash,
                    self.time,
                    sealer,
                    &self.entry.to_bytes(),
                );
                out.extend_from_slice(signature);
                out
            }
            Seal::Anchor(anchor) => self.anchored_bytes(anchor),
        }
    }

    /// Decodes a block that is the whole of `bytes`.
    pub fn from_bytes(bytes: &[u8]) -> LedgerResult<Block> {
        if bytes.len() > MAX_BLOCK_BYTES {
            return Err(LedgerError::Malformed("block too large"));
        }
        let mut r = Reader::new(bytes);
        let version = r.u8()?;
        if version != BLOCK_VERSION && version != ANCHORED_BLOCK_VERSION {
            return Err(LedgerError::UnsupportedVersion(version));
        }
        let number = r.u64()?;
        let previous_hash = r.fixed()?;
        let time = r.i64()?;
        if version == ANCHORED_BLOCK_VERSION {
            let anchor = Anchor {
                chain_id: r.u64()?,
                block_number: r.u64()?,
                block_hash: r.fixed()?,
                transaction_hash: r.fixed()?,
                log_index: r.u64()?,
                seq: r.u64()?,
            };
            let entry = Entry::from_bytes(r.bytes_max(MAX_BLOCK_BYTES)?)?;
            r.finish()?;
            return Ok(Block::anchored(number, previous_hash, time, entry, anchor));
        }
        let sealer = r.str()?;
        let entry = Entry::from_bytes(r.bytes_max(MAX_BLOCK_BYTES)?)?;
        let signature = r.fixed()?;
        r.finish()?;
        Ok(Block {
            number,
            previous_hash,
            time,
            entry,
            seal: Seal::Authority { sealer, signature },
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
