//! DERy, the paper's Decentralized EMR Repository (§3.3), as the core defines it: content
//! addressing. A SMeR is stored and found under its SMeR hash (SHA-256 of its exact bytes,
//! SPEC.md §2.3), and a ledger entry names where it is kept with a data index. The store
//! itself, which checks the hash on every exchange, is the node's (`semres-node`); what it
//! checks of the bytes as they arrive ([`UploadCheck`], either SMeR profile) is defined here.

use sha2::{Digest, Sha256};

use crate::encoding::hex;
use crate::error::Result;
use crate::smer::streamed::{StreamedCheck, MAGIC};
use crate::smer::{Limits, SmerHeader, SmerOutline, SmerStream};

/// SHA-256 of the exact SMeR bytes: the "hash of SMeR" of the paper's blocks (Fig. 6) and
/// the key under which DERy stores it.
pub fn smer_hash(smer: &[u8]) -> [u8; 32] {
    Sha256::digest(smer).into()
}

/// [`smer_hash`] as lower-case hex (64 characters), the form SPEC.md and the ledger use.
pub fn smer_hash_hex(smer: &[u8]) -> String {
    hex::encode(&smer_hash(smer))
}

/// An incremental SMeR hash, for a SMeR that arrives or is written in pieces.
#[derive(Clone, Default)]
pub struct SmerHasher(Sha256);

impl SmerHasher {
    /// A new hash.
    pub fn new() -> Self {
        Self::default()
    }
    /// Adds the next bytes of the SMeR.
    pub fn update(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }
    /// The SMeR hash of everything added.
    pub fn finish(self) -> [u8; 32] {
        self.0.finalize().into()
    }
}

/// The prefix of the data index SEMRES writes: `dery:sha256:<SMeR hash hex>`.
pub const DATA_INDEX_PREFIX: &str = "dery:sha256:";

/// The data index of a SMeR kept by DERy under its hash (SPEC.md §4.2).
pub fn data_index(smer_hash: &[u8; 32]) -> String {
    format!("{DATA_INDEX_PREFIX}{}", hex::encode(smer_hash))
}

/// The SMeR hash a data index written by [`data_index`] names; `None` for any other text.
pub fn parse_data_index(index: &str) -> Option<[u8; 32]> {
    hex::decode_array(index.strip_prefix(DATA_INDEX_PREFIX)?)
}

/// Which SMeR format an object is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// SMeR v1: one JWE JSON document (SPEC.md §2).
    V1,
    /// The streamed SMeR (SPEC.md §7).
    Streamed,
}

/// What DERy learns of a SMeR it checked on arrival: enough to index it, nothing that
/// needs a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadOutline {
    /// The SMeR's format.
    pub profile: Profile,
    /// The (not yet authenticated) header.
    pub header: SmerHeader,
    /// The recipients' key ids, in document order (`None` for a v1 recipient without `kid`).
    pub recipient_key_ids: Vec<Option<String>>,
    /// Bytes of encrypted record (v1: the ciphertext; streamed: the records).
    pub ciphertext_len: u64,
}

impl From<SmerOutline> for UploadOutline {
    fn from(o: SmerOutline) -> Self {
        UploadOutline {
            profile: Profile::V1,
            header: o.header,
            recipient_key_ids: o.recipient_key_ids,
            ciphertext_len: o.ciphertext_len,
        }
    }
}

enum Check {
    Empty,
    V1(SmerStream),
    Streamed(StreamedCheck),
}

/// DERy's check of an object arriving in pieces, for either profile: the first byte says
/// which (a streamed SMeR begins with its magic, a SMeR v1 with JSON), then SMeR v1 is
/// checked by [`SmerStream`] under `limits` and a streamed SMeR by [`StreamedCheck`], at
/// most `max_streamed_bytes` long. Memory is bounded by the limits whatever the size.
pub struct UploadCheck {
    limits: Limits,
    max_streamed_bytes: u64,
    check: Check,
}

impl core::fmt::Debug for UploadCheck {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "UploadCheck({} bytes)", self.len())
    }
}

impl UploadCheck {
    /// A new check.
    pub fn new(limits: &Limits, max_streamed_bytes: u64) -> Self {
        UploadCheck {
            limits: *limits,
            max_streamed_bytes,
            check: Check::Empty,
        }
    }

    /// Takes the next bytes; refuses as soon as they cannot be a SMeR within the limits.
    pub fn update(&mut self, bytes: &[u8]) -> Result<()> {
        if let (Check::Empty, Some(&first)) = (&self.check, bytes.first()) {
            self.check = if first == MAGIC[0] {
                Check::Streamed(StreamedCheck::new(&self.limits, self.max_streamed_bytes))
            } else {
                Check::V1(SmerStream::new(&self.limits))
            };
        }
        match &mut self.check {
            Check::Empty => Ok(()),
            Check::V1(c) => c.update(bytes),
            Check::Streamed(c) => c.update(bytes),
        }
    }

    /// Bytes seen so far.
    pub fn len(&self) -> u64 {
        match &self.check {
            Check::Empty => 0,
            Check::V1(c) => c.len(),
            Check::Streamed(c) => c.len(),
        }
    }

    /// True before any byte was seen.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The profile, once the first byte has been seen.
    pub fn profile(&self) -> Option<Profile> {
        match self.check {
            Check::Empty => None,
            Check::V1(_) => Some(Profile::V1),
            Check::Streamed(_) => Some(Profile::Streamed),
        }
    }

    /// Everything was fed: the SMeR's outline, or why it is not one.
    pub fn finish(self) -> Result<UploadOutline> {
        match self.check {
            // Empty is not a SMeR v1 either: the v1 check says so in its own words.
            Check::Empty => SmerStream::new(&self.limits).finish().map(Into::into),
            Check::V1(c) => c.finish().map(Into::into),
            Check::Streamed(c) => c.finish().map(|(head, records)| UploadOutline {
                profile: Profile::Streamed,
                header: head.header().clone(),
                recipient_key_ids: head.recipients().iter().map(|r| r.key_id.clone()).collect(),
                ciphertext_len: records,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_index_round_trip() {
        let hash = smer_hash(b"{}");
        let index = data_index(&hash);
        assert_eq!(index, format!("dery:sha256:{}", smer_hash_hex(b"{}")));
        assert_eq!(parse_data_index(&index), Some(hash));
        assert_eq!(parse_data_index("dery:sha256:x"), None);
        let mut hasher = SmerHasher::new();
        hasher.update(b"{");
        hasher.update(b"}");
        assert_eq!(hasher.finish(), hash);
    }
}
