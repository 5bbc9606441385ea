//! One record's block checked without the chain (SPEC §4.8) under both kinds of trust, with
//! `ledger::trust::Trust` — what `semres fetch` and `share` rely on: the consortium vectors'
//! replayed blocks against their cosigned checkpoint, and a sealed block against its
//! authority; every wrong trust, signer or proof refused with its code.
#![cfg(not(target_arch = "wasm32"))]

use rand_core::SeedableRng;
use semres::b64;
use semres::identity::signing::SigningPrivateKey;
use semres::ledger::checkpoint::Checkpoint;
use semres::ledger::consortium::Consortium;
use semres::ledger::merkle::MerkleTree;
use semres::ledger::trust::Trust;
use semres::ledger::{genesis_block, Block, LedgerError};
use serde_json::Value;

fn key(seed: u8) -> SigningPrivateKey {
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(u64::from(seed));
    SigningPrivateKey::generate(&mut rng).unwrap()
}

fn tree(blocks: &[Block]) -> MerkleTree {
    let mut tree = MerkleTree::new();
    for b in blocks {
        tree.push_leaf_hash(semres::ledger::merkle::leaf_hash(&b.hash()));
    }
    tree
}

#[test]
fn anchored_blocks_under_a_consortium() {
    let doc: Value =
        serde_json::from_str(include_str!("vectors/ledger/consortium_v1.json")).unwrap();
    let consortium = Consortium::from_signed_note(doc["consortium"].as_str().unwrap()).unwrap();
    let trust = Trust::from_text(doc["consortium"].as_str().unwrap()).unwrap();
    let replay = &doc["replay"];
    let blocks: Vec<Block> = replay["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| Block::from_bytes(&b64::decode(b.as_str().unwrap()).unwrap()).unwrap())
        .collect();
    let checkpoint = trust
        .verify_checkpoint(replay["cosigned_checkpoint"].as_str().unwrap())
        .unwrap();
    assert_eq!(checkpoint.size, blocks.len() as u64);
    let tree = tree(&blocks);
    for b in &blocks {
        let proof = tree.inclusion_proof(b.number, checkpoint.size).unwrap();
        trust.check_block(b, &proof, &checkpoint, None).unwrap();
    }
    let b = &blocks[1];
    let proof = tree.inclusion_proof(b.number, checkpoint.size).unwrap();
    // Not signed by that key.
    assert!(matches!(
        trust.check_block(b, &proof, &checkpoint, Some(key(9).public_key())),
        Err(LedgerError::BadSignature)
    ));
    // Another block's proof.
    let other = tree.inclusion_proof(0, checkpoint.size).unwrap();
    assert!(matches!(
        trust.check_block(b, &other, &checkpoint, None),
        Err(LedgerError::BadProof)
    ));
    // A consortium on another chain.
    let elsewhere = Trust::Consortium(Consortium {
        chain_id: consortium.chain_id + 1,
        ..consortium.clone()
    });
    assert!(matches!(
        elsewhere.check_block(b, &proof, &checkpoint, None),
        Err(LedgerError::BadAnchor)
    ));
    // A checkpoint cosigned by fewer than k members is no checkpoint.
    let refused = doc["checkpoints"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "cosigned-2-of-4")
        .unwrap();
    assert!(trust
        .verify_checkpoint(refused["note"].as_str().unwrap())
        .is_err());
}

#[test]
fn sealed_blocks_under_their_authority_and_not_under_a_consortium() {
    let authority = key(1);
    let genesis =
        genesis_block("semres.test/trust", &[&authority], 1_795_000_000, [7; 16]).unwrap();
    let tree = tree(std::slice::from_ref(&genesis));
    let checkpoint = Checkpoint {
        origin: "semres.test/trust".into(),
        size: 1,
        root: tree.root(1).unwrap(),
    };
    let note = checkpoint.sign(&authority);
    let trust = Trust::from_text(&authority.public_key().to_pem().unwrap()).unwrap();
    let verified = trust.verify_checkpoint(&note).unwrap();
    trust
        .check_block(&genesis, &[], &verified, Some(authority.public_key()))
        .unwrap();
    // Another authority: neither its checkpoint nor its seal.
    let stranger = Trust::Authorities(vec![key(2).public_key().clone()]);
    assert!(stranger.verify_checkpoint(&note).is_err());
    assert!(matches!(
        stranger.check_block(&genesis, &[], &verified, None),
        Err(LedgerError::UnknownAuthority)
    ));
    // A consortium does not take a sealed block.
    let doc: Value =
        serde_json::from_str(include_str!("vectors/ledger/consortium_v1.json")).unwrap();
    let consortium = Trust::from_text(doc["consortium"].as_str().unwrap()).unwrap();
    assert!(matches!(
        consortium.check_block(&genesis, &[], &verified, None),
        Err(LedgerError::UnknownAuthority)
    ));
}
