//! The ledger's Merkle log: RFC 6962 / RFC 9162 §2.1 Merkle tree hashes, inclusion proofs
//! and consistency proofs over block hashes, so a browser checks one block in O(log n)
//! against a signed checkpoint instead of downloading the chain.

use sha2::{Digest, Sha256};

/// A 32-byte SHA-256 value.
pub type Hash = [u8; 32];

/// RFC 6962 leaf hash: SHA-256(0x00 || leaf).
pub fn leaf_hash(leaf: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(leaf);
    h.finalize().into()
}

/// RFC 6962 interior node hash: SHA-256(0x01 || left || right).
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// The root of the empty tree: SHA-256 of the empty string.
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// Why a proof failed. Proof failures carry no secret, so they are precise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProofError {
    /// The index or sizes are impossible (index ≥ size, size1 > size2, …).
    BadIndexOrSize,
    /// The proof has the wrong number of hashes for the index and sizes.
    WrongLength,
    /// The recomputed root differs from the expected one.
    RootMismatch,
}

/// Verifies that `leaf_hash` is at `index` in the tree of `size` leaves with `root`
/// (RFC 9162 §2.1.3.2).
///
/// `leaf_hash` and `root` must be 32 bytes (anything else fails as [`ProofError::RootMismatch`]).
pub fn verify_inclusion(
    leaf_hash: &[u8],
    index: u64,
    size: u64,
    proof: &[Hash],
    root: &[u8],
) -> Result<(), ProofError> {
    if index >= size {
        return Err(ProofError::BadIndexOrSize);
    }
    let Ok(mut r) = Hash::try_from(leaf_hash) else {
        return Err(ProofError::RootMismatch);
    };
    let (mut fn_, mut sn) = (index, size - 1);
    for p in proof {
        if sn == 0 {
            return Err(ProofError::WrongLength);
        }
        if fn_ & 1 == 1 || fn_ == sn {
            r = node_hash(p, &r);
            if fn_ & 1 == 0 {
                while fn_ & 1 == 0 && fn_ != 0 {
                    fn_ >>= 1;
                    sn >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    if sn != 0 {
        return Err(ProofError::WrongLength);
    }
    if r.as_slice() != root {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}

/// Verifies that the tree of `size1` leaves with `root1` is a prefix of the tree of
/// `size2` leaves with `root2` (RFC 9162 §2.1.4.2). As in transparency-dev/merkle, a
/// consistency check from the empty tree (`size1` = 0) is refused as meaningless.
pub fn verify_consistency(
    size1: u64,
    size2: u64,
    proof: &[Hash],
    root1: &[u8],
    root2: &[u8],
) -> Result<(), ProofError> {
    if size1 == 0 || size1 > size2 {
        return Err(ProofError::BadIndexOrSize);
    }
    if size1 == size2 {
        if !proof.is_empty() {
            return Err(ProofError::WrongLength);
        }
        return if root1 == root2 {
            Ok(())
        } else {
            Err(ProofError::RootMismatch)
        };
    }
    if proof.is_empty() {
        return Err(ProofError::WrongLength);
    }
    let (Ok(first_root), Ok(_)) = (Hash::try_from(root1), Hash::try_from(root2)) else {
        return Err(ProofError::RootMismatch);
    };
    let mut path: Vec<Hash> = Vec::with_capacity(proof.len() + 1);
    if size1.is_power_of_two() {
        path.push(first_root);
    }
    path.extend_from_slice(proof);
    let (mut fn_, mut sn) = (size1 - 1, size2 - 1);
    while fn_ & 1 == 1 {
        fn_ >>= 1;
        sn >>= 1;
    }
    let (mut fr, mut sr) = (path[0], path[0]);
    for c in &path[1..] {
        if sn == 0 {
            return Err(ProofError::WrongLength);
        }
        if fn_ & 1 == 1 || fn_ == sn {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            if fn_ & 1 == 0 {
                while fn_ & 1 == 0 && fn_ != 0 {
                    fn_ >>= 1;
                    sn >>= 1;
                }
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    if sn != 0 {
        return Err(ProofError::WrongLength);
    }
    if fr.as_slice() != root1 || sr.as_slice() != root2 {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}

/// An append-only Merkle tree that keeps every level, so roots of any size and proofs
/// take O(log n) hashes. Memory: about 64 bytes per leaf.
#[derive(Debug, Clone, Default)]
pub struct MerkleTree {
    /// levels[0] are leaf hashes; levels[k][i] is the root of leaves [i·2^k, (i+1)·2^k).
    levels: Vec<Vec<Hash>>,
}

fn largest_power_of_two_below(n: u64) -> u64 {
    // n ≥ 2: the largest power of two strictly less than n.
    1u64 << (63 - (n - 1).leading_zeros())
}

impl MerkleTree {
    /// An empty tree.
    pub fn new() -> Self {
        MerkleTree {
            levels: vec![Vec::new()],
        }
    }

    /// Number of leaves.
    pub fn size(&self) -> u64 {
        self.levels.first().map_or(0, |l| l.len() as u64)
    }

    /// Appends a leaf (its *leaf hash*, already domain-separated).
    pub fn push_leaf_hash(&mut self, hash: Hash) {
        if self.levels.is_empty() {
            self.levels.push(Vec::new());
        }
        self.levels[0].push(hash);
        let mut level = 0;
        while self.levels[level].len().is_multiple_of(2) {
            let n = self.levels[level].len();
            let parent = node_hash(&self.levels[level][n - 2], &self.levels[level][n - 1]);
            if self.levels.len() == level + 1 {
                self.levels.push(Vec::new());
            }
            self.levels[level + 1].push(parent);
            level += 1;
        }
    }

    /// MTH of leaves [start, start + n), n ≥ 1, following RFC 6962's split.
    fn subtree_root(&self, start: u64, n: u64) -> Hash {
        if n.is_power_of_two() && start.is_multiple_of(n) {
            let k = n.trailing_zeros();
            if let Some(h) = usize::try_from(k).ok().and_then(|level| {
                let l = self.levels.get(level)?;
                l.get(usize::try_from(start >> k).ok()?)
            }) {
                return *h;
            }
        }
        let k = largest_power_of_two_below(n);
        node_hash(
            &self.subtree_root(start, k),
            &self.subtree_root(start + k, n - k),
        )
    }

    /// The root of the first `size` leaves (`None` beyond the tree).
    pub fn root(&self, size: u64) -> Option<Hash> {
        match size {
            0 => Some(empty_root()),
            s if s <= self.size() => Some(self.subtree_root(0, s)),
            _ => None,
        }
    }

    /// Inclusion proof of leaf `index` in the tree of the first `size` leaves.
    pub fn inclusion_proof(&self, index: u64, size: u64) -> Option<Vec<Hash>> {
        if index >= size || size > self.size() {
            return None;
        }
        let mut proof = Vec::new();
        self.path(index, 0, size, &mut proof);
        Some(proof)
    }

    fn path(&self, m: u64, start: u64, n: u64, out: &mut Vec<Hash>) {
        if n <= 1 {
            return;
        }
        let k = largest_power_of_two_below(n);
        if m < k {
            self.path(m, start, k, out);
            out.push(self.subtree_root(start + k, n - k));
        } else {
            self.path(m - k, start + k, n - k, out);
            out.push(self.subtree_root(start, k));
        }
    }

    /// Consistency proof between the first `size1` and the first `size2` leaves.
    pub fn consistency_proof(&self, size1: u64, size2: u64) -> Option<Vec<Hash>> {
        if size1 > size2 || size2 > self.size() {
            return None;
        }
        let mut proof = Vec::new();
        if size1 > 0 && size1 < size2 {
            self.subproof(size1, 0, size2, true, &mut proof);
        }
        Some(proof)
    }

    fn subproof(&self, m: u64, start: u64, n: u64, complete: bool, out: &mut Vec<Hash>) {
        if m == n {
            if !complete {
                out.push(self.subtree_root(start, n));
            }
            return;
        }
        let k = largest_power_of_two_below(n);
        if m <= k {
            self.subproof(m, start, k, complete, out);
            out.push(self.subtree_root(start + k, n - k));
        } else {
            self.subproof(m - k, start + k, n - k, false, out);
            out.push(self.subtree_root(start, k));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reference MTH by the RFC 6962 definition, for cross-checking.
    fn mth(leaves: &[Hash]) -> Hash {
        match leaves.len() {
            0 => empty_root(),
            1 => leaves[0],
            n => {
                let k = largest_power_of_two_below(n as u64) as usize;
                node_hash(&mth(&leaves[..k]), &mth(&leaves[k..]))
            }
        }
    }

    #[test]
    fn every_proof_of_small_trees_verifies_and_matches_the_definition() {
        let leaves: Vec<Hash> = (0u32..70).map(|i| leaf_hash(&i.to_be_bytes())).collect();
        let mut tree = MerkleTree::new();
        for (i, l) in leaves.iter().enumerate() {
            tree.push_leaf_hash(*l);
            assert_eq!(tree.root(i as u64 + 1).unwrap(), mth(&leaves[..=i]));
        }
        for size in 1..=70u64 {
            let root = tree.root(size).unwrap();
            for index in 0..size {
                let proof = tree.inclusion_proof(index, size).unwrap();
                verify_inclusion(&leaves[index as usize], index, size, &proof, &root).unwrap();
                assert!(
                    verify_inclusion(
                        &leaves[index as usize],
                        (index + 1) % size.max(2),
                        size,
                        &proof,
                        &root
                    )
                    .is_err()
                        || size == 1
                );
            }
            for size1 in 1..=size {
                let proof = tree.consistency_proof(size1, size).unwrap();
                verify_consistency(size1, size, &proof, &tree.root(size1).unwrap(), &root).unwrap();
            }
        }
    }
}
