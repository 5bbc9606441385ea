//! Merkle proofs (RFC 9162 §2.1.3, §2.1.4): verification of arbitrary inclusion and
//! consistency proofs never panics; a proof the verifier accepts for a tree built here is
//! checked against the tree's own answer.
#![no_main]

use libfuzzer_sys::fuzz_target;
use semres::ledger::merkle::{leaf_hash, verify_consistency, verify_inclusion, Hash, MerkleTree};

fn u64_at(data: &[u8], at: usize) -> u64 {
    let mut b = [0u8; 8];
    for (i, v) in b.iter_mut().enumerate() {
        *v = data.get(at + i).copied().unwrap_or(0);
    }
    u64::from_be_bytes(b)
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 16 {
        return;
    }
    let (a, b) = (u64_at(data, 0), u64_at(data, 8));
    let rest = &data[16..];
    let proof: Vec<Hash> = rest
        .chunks_exact(32)
        .map(|c| c.try_into().expect("32 bytes"))
        .collect();
    // Arbitrary numbers and hashes.
    let x = proof.first().copied().unwrap_or_default();
    let _ = verify_inclusion(&x, a, b, &proof, &x);
    let _ = verify_consistency(a, b, &proof, &x, &x);
    // A real tree of up to 64 leaves: the verifier agrees with the tree's own proofs, and a
    // proof made of the input's hashes is accepted only if it is the tree's.
    let mut tree = MerkleTree::new();
    let n = b % 64 + 1;
    for i in 0..n {
        tree.push_leaf_hash(leaf_hash(&i.to_be_bytes()));
    }
    let index = a % n;
    let root = tree.root(n).expect("root");
    let leaf = leaf_hash(&index.to_be_bytes());
    let good = tree.inclusion_proof(index, n).expect("proof");
    assert!(verify_inclusion(&leaf, index, n, &good, &root).is_ok());
    if verify_inclusion(&leaf, index, n, &proof, &root).is_ok() {
        assert_eq!(proof, good, "a forged inclusion proof verified");
    }
    let m = index + 1;
    let old = tree.root(m).expect("root");
    let good = tree.consistency_proof(m, n).expect("proof");
    assert!(verify_consistency(m, n, &good, &old, &root).is_ok());
    if verify_consistency(m, n, &proof, &old, &root).is_ok() {
        assert_eq!(proof, good, "a forged consistency proof verified");
    }
});
