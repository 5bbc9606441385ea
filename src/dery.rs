//! DERy, the paper's Decentralized EMR Repository (§3.3), as the core defines it: content
//! addressing. A SMeR is stored and found under its SMeR hash (SHA-256 of its exact bytes,
//! SPEC.md §2.3), and a ledger entry names where it is kept with a data index. The store
//! itself, which checks the hash on every exchange, is the node's (`semres-node`).

use sha2::{Digest, Sha256};

use crate::encoding::hex;

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
