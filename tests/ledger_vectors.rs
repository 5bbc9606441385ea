//! Ledger v1 vectors natively, and property tests: any randomly generated valid chain
//! verifies; any single mutation of it fails.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use proptest::prelude::*;
use rand_chacha::ChaCha20Rng;
use rand_core::{Rng, SeedableRng};
use semres::identity::signing::SigningPrivateKey;
use semres::ledger::entry::{Entry, EntryBody, Role};
use semres::ledger::{genesis_block, verify_chain, verify_chain_deferred, Block, LedgerState};
use semres::EncryptionPrivateKey;

#[test]
fn ledger_v1_vectors_native() {
    let (passed, failures) = common::ledger::run_ledger_vectors(common::ledger::LEDGER_VECTORS);
    assert!(
        failures.is_empty(),
        "{} vector(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(passed >= 60, "{passed}");
}

#[test]
fn a_grant_recipient_must_be_among_the_smer_recipients() {
    let mut rng = ChaCha20Rng::seed_from_u64(5);
    let authority = SigningPrivateKey::generate(&mut rng).unwrap();
    let genesis = genesis_block("semres.test/recipients", &[&authority], 1000, [1; 16]).unwrap();
    let mut state = LedgerState::genesis(&genesis).unwrap();
    let people: Vec<(SigningPrivateKey, EncryptionPrivateKey)> = (0..2)
        .map(|_| {
            (
                SigningPrivateKey::generate(&mut rng).unwrap(),
                EncryptionPrivateKey::generate(&mut rng, 2048).unwrap(),
            )
        })
        .collect();
    for (i, (s, e)) in people.iter().enumerate() {
        let body = EntryBody::Register {
            role: Role::Patient,
            signing_key: s.public_key().to_bytes(),
            encryption_key: e.public_key().to_spki_der().unwrap(),
        };
        state
            .seal_next(
                Entry::signed(s, 1000, [i as u8 + 2; 16], body).unwrap(),
                1001,
                &authority,
            )
            .unwrap();
    }
    let (david, lawson) = (&people[0], &people[1]);
    let options = semres::SealOptions::new("application/xml", david.0.key_id(), 1000);
    let to_lawson = semres::seal(
        &mut rng,
        b"r",
        &[lawson.1.public_key()],
        &options,
        &semres::Limits::default(),
    )
    .unwrap();
    let parsed = semres::ParsedSmer::parse(&to_lawson, &semres::Limits::default()).unwrap();
    state
        .check_smer_recipient(lawson.0.key_id(), &parsed)
        .unwrap();
    assert_eq!(
        state
            .check_smer_recipient(david.0.key_id(), &parsed)
            .unwrap_err()
            .code(),
        "RecipientMismatch"
    );
    assert_eq!(
        state
            .check_smer_recipient("nobody", &parsed)
            .unwrap_err()
            .code(),
        "NotRegistered"
    );
}

/// A random valid chain: registrations, then a random walk over grants, accesses, care,
/// payments, revocations and erasures, each step legal in the state so far.
fn random_chain(seed: u64, steps: usize) -> Vec<Block> {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let authority = SigningPrivateKey::generate(&mut rng).unwrap();
    // One RSA key of their own per participant (SPEC §4.2), made once.
    static SPKI: std::sync::OnceLock<Vec<Vec<u8>>> = std::sync::OnceLock::new();
    let spki = SPKI.get_or_init(|| {
        let base =
            EncryptionPrivateKey::generate(&mut ChaCha20Rng::seed_from_u64(99), 2048).unwrap();
        common::distinct_rsa_keys(base.public_key(), 4)
    });
    let mut nonce = || {
        let mut n = [0u8; 16];
        rng.fill_bytes(&mut n);
        n
    };
    let genesis = genesis_block("semres.test/prop", &[&authority], 1000, nonce()).unwrap();
    let mut state = LedgerState::genesis(&genesis).unwrap();
    let mut blocks = vec![genesis];
    let people: Vec<SigningPrivateKey> = (0..4)
        .map(|i| {
            SigningPrivateKey::generate(&mut ChaCha20Rng::seed_from_u64(seed * 10 + i)).unwrap()
        })
        .collect();
    let mut t = 1000;
    for (i, p) in people.iter().enumerate() {
        let role = if i % 2 == 0 {
            Role::Patient
        } else {
            Role::Clinician
        };
        let e = Entry::signed(
            p,
            t,
            nonce(),
            EntryBody::Register {
                role,
                signing_key: p.public_key().to_bytes(),
                encryption_key: spki[i].clone(),
            },
        )
        .unwrap()
        .sign(&authority)
        .unwrap();
        t += 1;
        blocks.push(state.seal_next(e, t, &authority).unwrap());
    }
    let mut grants: Vec<([u8; 32], usize, usize)> = vec![];
    let mut cares: Vec<([u8; 32], usize)> = vec![];
    let mut step_rng = ChaCha20Rng::seed_from_u64(seed ^ 0xabcdef);
    for step in 0..steps {
        t += 10;
        let pick = (step_rng.next_u32() % 5) as usize;
        let owner = (step_rng.next_u32() % 4) as usize;
        let candidate = match pick {
            0 | 1 => {
                let recipient = (owner + 1 + (step_rng.next_u32() % 3) as usize) % 4;
                let smer = semres::smer_hash(format!("{seed}-{step}").as_bytes());
                Some((
                    Entry::signed(
                        &people[owner],
                        t,
                        nonce(),
                        EntryBody::Grant {
                            smer_hash: smer,
                            data_index: "d".into(),
                            recipient: people[recipient].key_id().into(),
                            expires: None,
                        },
                    )
                    .unwrap(),
                    Some((owner, recipient)),
                ))
            }
            2 if !grants.is_empty() => {
                let (g, _, r) = grants[(step_rng.next_u32() as usize) % grants.len()];
                Some((
                    Entry::signed(&people[r], t, nonce(), EntryBody::Access { grant: g }).unwrap(),
                    None,
                ))
            }
            3 if !grants.is_empty() => {
                let (g, _, r) = grants[(step_rng.next_u32() as usize) % grants.len()];
                let smer = semres::smer_hash(format!("care-{seed}-{step}").as_bytes());
                Some((
                    Entry::signed(
                        &people[r],
                        t,
                        nonce(),
                        EntryBody::Care {
                            grant: g,
                            smer_hash: smer,
                            data_index: "c".into(),
                        },
                    )
                    .unwrap(),
                    Some((99, r)),
                ))
            }
            4 if !cares.is_empty() => {
                let (c, clinician) = cares.remove(0);
                let payer = &people[owner];
                Some((
                    Entry::signed(
                        payer,
                        t,
                        nonce(),
                        EntryBody::Payment {
                            care: c,
                            amount: 10,
                            currency: "TWD".into(),
                            payer: payer.key_id().into(),
                            payee: people[clinician].key_id().into(),
                            reference: "r".into(),
                        },
                    )
                    .unwrap(),
                    None,
                ))
            }
            _ => None,
        };
        let Some((entry, track)) = candidate else {
            continue;
        };
        let hash = entry.hash();
        if let Ok(block) = state.seal_next(entry, t, &authority) {
            blocks.push(block);
            match track {
                Some((99, clinician)) => cares.push((hash, clinician)),
                Some((o, r)) => grants.push((hash, o, r)),
                None => {}
            }
        }
    }
    blocks
}

/// Signatures beyond each block's seal and its entry signer's own (co-signatures such as an
/// authority's on a clinician's registration), after genesis.
fn extra_signatures(blocks: &[Block]) -> usize {
    blocks
        .iter()
        .skip(1)
        .map(|b| b.entry.signatures().len() - 1)
        .sum()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn random_valid_chains_verify_and_any_single_mutation_fails(seed in 1u64..1_000_000, steps in 5usize..30, which in any::<prop::sample::Index>(), byte in any::<prop::sample::Index>(), bit in 0u8..8) {
        let blocks = random_chain(seed, steps);
        let full = verify_chain(&blocks).unwrap();
        // Deferred: the same verifications, every one holds, the same state.
        let deferred = verify_chain_deferred(&blocks).unwrap();
        prop_assert!(deferred.signatures().iter().all(|s| s.holds()));
        prop_assert_eq!(deferred.signatures().len(), 2 * (blocks.len() - 1) + extra_signatures(&blocks));
        prop_assert_eq!(deferred.state().tree().root(full.size()), full.tree().root(full.size()));
        prop_assert_eq!(deferred.state().last_hash(), full.last_hash());
        // Mutate one bit of one block's encoding: it must no longer decode, or the chain
        // must fail verification.
        let i = which.index(blocks.len());
        let mut bytes = blocks[i].to_bytes();
        let at = byte.index(bytes.len());
        bytes[at] ^= 1 << bit;
        match Block::from_bytes(&bytes) {
            Err(_) => {}
            Ok(mutated) => {
                let mut chain = blocks.clone();
                chain[i] = mutated;
                prop_assert!(verify_chain(&chain).is_err(), "block {} byte {} bit {} flipped and the chain still verifies", i, at, bit);
                let deferred = verify_chain_deferred(&chain).is_ok_and(|d| d.signatures().iter().all(|s| s.holds()));
                prop_assert!(!deferred, "block {} byte {} bit {} flipped and the deferred check passes", i, at, bit);
            }
        }
    }
}

#[test]
fn one_block_is_checked_without_the_chain_seal_and_signer() {
    use semres::ledger::LedgerError;
    let mut rng = ChaCha20Rng::seed_from_u64(9);
    let authority = SigningPrivateKey::generate(&mut rng).unwrap();
    let stranger = SigningPrivateKey::generate(&mut rng).unwrap();
    let patient = SigningPrivateKey::generate(&mut rng).unwrap();
    let genesis = genesis_block("semres.test/one-block", &[&authority], 1000, [1; 16]).unwrap();
    let mut state = LedgerState::genesis(&genesis).unwrap();
    let rsa = EncryptionPrivateKey::generate(&mut rng, 2048).unwrap();
    let body = EntryBody::Register {
        role: Role::Patient,
        signing_key: patient.public_key().to_bytes(),
        encryption_key: rsa.public_key().to_spki_der().unwrap(),
    };
    let block = state
        .seal_next(
            Entry::signed(&patient, 1000, [2; 16], body).unwrap(),
            1001,
            &authority,
        )
        .unwrap();
    let authorities = [authority.public_key().clone()];
    block.verify_seal(&authorities).unwrap();
    assert_eq!(
        block.verify_seal(&[stranger.public_key().clone()]),
        Err(LedgerError::UnknownAuthority)
    );
    let mut forged = block.clone();
    if let semres::ledger::block::Seal::Authority { signature, .. } = &mut forged.seal {
        signature[0] ^= 1;
    }
    assert_eq!(forged.verify_seal(&authorities), Err(LedgerError::BadSeal));
    let mut moved = block.clone();
    moved.time += 1;
    assert_eq!(moved.verify_seal(&authorities), Err(LedgerError::BadSeal));

    block.entry.verify_signed_by(patient.public_key()).unwrap();
    assert_eq!(
        block.entry.verify_signed_by(stranger.public_key()),
        Err(LedgerError::BadSignature)
    );
    let mut unsigned = block.entry.clone();
    unsigned.signatures_mut()[0].signature[5] ^= 1;
    assert_eq!(
        unsigned.verify_signed_by(patient.public_key()),
        Err(LedgerError::BadSignature)
    );
    while unsigned.remove_last_signature().is_some() {}
    assert_eq!(
        unsigned.verify_signed_by(patient.public_key()),
        Err(LedgerError::BadSignature)
    );
}
