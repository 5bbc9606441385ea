//! Ledger benchmark data and native figures (part of `npm run bench`; a report, not a
//! test). Builds a 100,000-block chain and a 1,000,000-leaf log, writes them to
//! `target/bench/` for the browser half, and prints native medians as JSON.

use std::path::PathBuf;
use std::time::Instant;

use super::median;

use rand_chacha::ChaCha20Rng;
use rand_core::{Rng, SeedableRng};
use semres::identity::signing::SigningPrivateKey;
use semres::ledger::checkpoint::Checkpoint;
use semres::ledger::entry::{Entry, EntryBody, Role};
use semres::ledger::merkle::{leaf_hash, verify_inclusion, MerkleTree};
use semres::ledger::{genesis_block, verify_chain, verify_chain_structure, Block, LedgerState};

/// Builds the data and measures; returns the native figures as JSON.
pub fn run(blocks_wanted: usize) -> Result<serde_json::Value, String> {
    let out = PathBuf::from("target/bench");
    std::fs::create_dir_all(&out).map_err(|e| e.to_string())?;
    let mut rng = ChaCha20Rng::seed_from_u64(7);
    let authority = SigningPrivateKey::generate(&mut rng).map_err(|e| e.to_string())?;
    // One RSA key of their own per participant (SPEC §4.2).
    let spki = (0..1000)
        .map(crate::fixtures::rsa_key)
        .collect::<Result<Vec<_>, _>>()?;
    let mut nonce = || {
        let mut n = [0u8; 16];
        rng.fill_bytes(&mut n);
        n
    };
    let t0 = 1_795_564_800;
    let genesis = genesis_block("semres.example/bench", &[&authority], t0, nonce())
        .map_err(|e| e.to_string())?;
    let mut state = LedgerState::genesis(&genesis).map_err(|e| e.to_string())?;
    let mut blocks = vec![genesis];
    let people: Vec<SigningPrivateKey> = (0..1000u64)
        .map(|i| SigningPrivateKey::generate(&mut ChaCha20Rng::seed_from_u64(1000 + i)))
        .collect::<Result<_, _>>()
        .map_err(|e| e.to_string())?;
    let started = Instant::now();
    for (p, rsa) in people.iter().zip(&spki) {
        let e = Entry::signed(
            p,
            t0,
            nonce(),
            EntryBody::Register {
                role: Role::Patient,
                signing_key: p.public_key().to_bytes(),
                encryption_key: rsa.clone(),
            },
        )
        .map_err(crate::err)?;
        blocks.push(
            state
                .seal_next(e, t0 + 1, &authority)
                .map_err(|e| e.to_string())?,
        );
    }
    let mut last_grant = None;
    let mut i = 0u64;
    while blocks.len() < blocks_wanted {
        let owner = &people[(i % 1000) as usize];
        let recipient = &people[((i + 1) % 1000) as usize];
        let entry = match last_grant.take() {
            Some((grant, r)) => {
                let r: &SigningPrivateKey = &people[r];
                Entry::signed(r, t0 + 2, nonce(), EntryBody::Access { grant })
                    .map_err(crate::err)?
            }
            None => {
                let smer = semres::smer_hash(&i.to_be_bytes());
                let e = Entry::signed(
                    owner,
                    t0 + 2,
                    nonce(),
                    EntryBody::Grant {
                        smer_hash: smer,
                        data_index: "dery".into(),
                        recipient: recipient.key_id().into(),
                        expires: None,
                    },
                )
                .map_err(crate::err)?;
                last_grant = Some((e.hash(), ((i + 1) % 1000) as usize));
                e
            }
        };
        blocks.push(
            state
                .seal_next(entry, t0 + 2 + i as i64 / 100, &authority)
                .map_err(|e| e.to_string())?,
        );
        i += 1;
    }
    eprintln!(
        "built {} blocks in {:.1} s",
        blocks.len(),
        started.elapsed().as_secs_f64()
    );
    let mut file = Vec::new();
    for b in &blocks {
        let bytes = b.to_bytes();
        file.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
        file.extend_from_slice(&bytes);
    }
    std::fs::write(out.join("chain.bin"), &file).map_err(|e| e.to_string())?;
    let tree = state.tree();
    let checkpoint = Checkpoint {
        origin: state.chain_id().into(),
        size: tree.size(),
        root: tree.root(tree.size()).ok_or("root")?,
    };
    std::fs::write(out.join("chain.checkpoint"), checkpoint.sign(&authority))
        .map_err(|e| e.to_string())?;
    std::fs::write(out.join("authority.pub"), authority.public_key().to_bytes())
        .map_err(|e| e.to_string())?;

    let mut full = vec![];
    let mut structural = vec![];
    for _ in 0..3 {
        let t = Instant::now();
        verify_chain(&blocks).map_err(|e| format!("{e:?}"))?;
        full.push(t.elapsed().as_secs_f64() * 1000.0);
        let t = Instant::now();
        verify_chain_structure(&blocks).map_err(|e| format!("{e:?}"))?;
        structural.push(t.elapsed().as_secs_f64() * 1000.0);
    }

    // A 1,000,000-leaf log with one real block at index 765_432.
    let index = 765_432u64;
    let block = Block::seal(index, [7; 32], t0, blocks[2].entry.clone(), &authority);
    let mut big = MerkleTree::new();
    for k in 0..1_000_000u64 {
        big.push_leaf_hash(if k == index {
            leaf_hash(&block.hash())
        } else {
            leaf_hash(&k.to_be_bytes())
        });
    }
    let size = big.size();
    let root = big.root(size).ok_or("root")?;
    let mut prove = vec![];
    let mut proof = vec![];
    for _ in 0..101 {
        let t = Instant::now();
        proof = big.inclusion_proof(index, size).ok_or("proof")?;
        prove.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let mut check = vec![];
    for _ in 0..101 {
        let t = Instant::now();
        verify_inclusion(&leaf_hash(&block.hash()), index, size, &proof, &root)
            .map_err(|e| format!("{e:?}"))?;
        check.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    std::fs::write(out.join("big.block"), block.to_bytes()).map_err(|e| e.to_string())?;
    std::fs::write(out.join("big.proof"), proof.concat()).map_err(|e| e.to_string())?;
    let big_checkpoint = Checkpoint {
        origin: "semres.example/bench".into(),
        size,
        root,
    };
    std::fs::write(out.join("big.checkpoint"), big_checkpoint.sign(&authority))
        .map_err(|e| e.to_string())?;
    Ok(serde_json::json!({
        "blocks": blocks.len(),
        "native_full_ms": median(full),
        "native_structural_ms": median(structural),
        "native_inclusion_proof_generate_ms_1m": median(prove),
        "native_inclusion_verify_ms_1m": median(check),
        "inclusion_index": index,
    }))
}
