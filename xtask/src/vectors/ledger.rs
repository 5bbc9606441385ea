//! The seeded generator of ledger v1 test vectors (`tests/vectors/ledger/ledger_v1.json`):
//! a valid chain telling the paper's story (David grants Lawson a record; Lawson reads it,
//! adds care, is paid; David revokes and erases), chains with one thing wrong and the error
//! the verifier must return, Merkle proofs with each kind of damage, and checkpoints.
//!
//! Every random value comes from one seeded generator, drawn in a fixed order: the story
//! first, then the faulty chains in the order they appear in the file.

use base64ct::{Base64, Encoding};
use rand_chacha::ChaCha20Rng;
use rand_core::{Rng, SeedableRng};
use semres::hex::encode as to_hex;
use semres::identity::signing::SigningPrivateKey;
use semres::ledger::block::Seal;
use semres::ledger::checkpoint::Checkpoint;
use semres::ledger::entry::{Entry, EntryBody, Role};
use semres::ledger::merkle::{leaf_hash, Hash, MerkleTree};
use semres::ledger::{genesis_block, Block, LedgerState};
use semres::{b64, EncryptionPrivateKey};
use serde_json::{json, Value};

use crate::err;

/// Seed of the ledger vectors.
pub const SEED: [u8; 32] = *b"SEMRES-v1 ledger vectors seed 01";
const T0: i64 = 1_795_564_800;
const CHAIN_ID: &str = "semres.example/ledger-vectors";
/// The removal of authority C is block 9 of the story.
const REMOVED_AT: usize = 9;

struct Person {
    signing: SigningPrivateKey,
    encryption_spki: Vec<u8>,
}

fn person(rng: &mut ChaCha20Rng) -> Result<Person, String> {
    let signing = SigningPrivateKey::generate(rng).map_err(err)?;
    let encryption = EncryptionPrivateKey::generate(rng, 2048).map_err(err)?;
    Ok(Person {
        signing,
        encryption_spki: encryption.public_key().to_spki_der().map_err(err)?,
    })
}

fn nonce(rng: &mut ChaCha20Rng) -> [u8; 16] {
    let mut n = [0u8; 16];
    rng.fill_bytes(&mut n);
    n
}

fn encode(blocks: &[Block]) -> Vec<Value> {
    blocks
        .iter()
        .map(|b| Value::from(b64::encode(&b.to_bytes())))
        .collect()
}

fn smer_hash(label: &str) -> Hash {
    semres::smer_hash(label.as_bytes())
}

fn id(p: &Person) -> String {
    p.signing.key_id().to_owned()
}

fn register(
    rng: &mut ChaCha20Rng,
    p: &Person,
    role: Role,
    admit: Option<&SigningPrivateKey>,
) -> Result<Entry, String> {
    let body = EntryBody::Register {
        role,
        signing_key: p.signing.public_key().to_bytes(),
        encryption_key: p.encryption_spki.clone(),
    };
    let e = Entry::signed(&p.signing, T0, nonce(rng), body).map_err(err)?;
    match admit {
        Some(a) => e.sign(a).map_err(err),
        None => Ok(e),
    }
}

/// The story's cast, its valid chain, and the references the faulty chains reuse.
struct Story {
    rng: ChaCha20Rng,
    auth_a: SigningPrivateKey,
    auth_b: SigningPrivateKey,
    auth_c: SigningPrivateKey,
    outsider: SigningPrivateKey,
    david: Person,
    lawson: Person,
    mallory: Person,
    insurer: Person,
    state: LedgerState,
    blocks: Vec<Block>,
    time: i64,
    /// David's record, its grant (entry and hash) and Lawson's care entry.
    record: Hash,
    grant_entry: Entry,
    grant: Hash,
    care: Hash,
}

impl Story {
    /// Seals `entry` as the next block, a minute after the last; returns its entry hash.
    fn push(&mut self, entry: Entry, sealer: &SigningPrivateKey) -> Result<Hash, String> {
        self.time += 60;
        let hash = entry.hash();
        let block = self
            .state
            .seal_next(entry, self.time, sealer)
            .map_err(err)?;
        self.blocks.push(block);
        Ok(hash)
    }

    /// A fresh nonce from the story's generator.
    fn nonce(&mut self) -> [u8; 16] {
        nonce(&mut self.rng)
    }

    /// An entry by `who` at `time`, signed.
    fn entry(
        &mut self,
        who: &SigningPrivateKey,
        time: i64,
        body: EntryBody,
    ) -> Result<Entry, String> {
        let nonce = self.nonce();
        Entry::signed(who, time, nonce, body).map_err(err)
    }

    /// A payment of `care` to Lawson by `payer`.
    fn payment_body(&self, care: Hash, payer: &Person) -> EntryBody {
        EntryBody::Payment {
            care,
            amount: 412,
            currency: "NHI-points".into(),
            payer: id(payer),
            payee: id(&self.lawson),
            reference: "claim-0001".into(),
        }
    }

    /// Registrations, grant, access, care, payment, removal of authority C, revoke, erase.
    fn tell() -> Result<Story, String> {
        let mut rng = ChaCha20Rng::from_seed(SEED);
        let auth_a = SigningPrivateKey::generate(&mut rng).map_err(err)?;
        let auth_b = SigningPrivateKey::generate(&mut rng).map_err(err)?;
        let auth_c = SigningPrivateKey::generate(&mut rng).map_err(err)?;
        let outsider = SigningPrivateKey::generate(&mut rng).map_err(err)?;
        let david = person(&mut rng)?;
        let lawson = person(&mut rng)?;
        let mallory = person(&mut rng)?;
        let insurer = person(&mut rng)?;
        let genesis = genesis_block(CHAIN_ID, &[&auth_a, &auth_b, &auth_c], T0, nonce(&mut rng))
            .map_err(err)?;
        let state = LedgerState::genesis(&genesis).map_err(err)?;
        let record = smer_hash("SMeR: David's My Health Bank record");
        let mut s = Story {
            rng,
            state,
            blocks: vec![genesis],
            time: T0,
            record,
            grant: [0; 32],
            care: [0; 32],
            // Replaced below by the real grant, before anything reads it.
            grant_entry: Entry::new("-", T0, [0; 16], EntryBody::Erase { smer_hash: record })
                .map_err(err)?,
            auth_a,
            auth_b,
            auth_c,
            outsider,
            david,
            lawson,
            mallory,
            insurer,
        };
        let (a, b, c) = (s.auth_a.clone(), s.auth_b.clone(), s.auth_c.clone());
        for (who, role, admit) in [
            (0, Role::Patient, None),
            (1, Role::Clinician, Some(&a)),
            (2, Role::Patient, None),
            (3, Role::Patient, None),
        ] {
            let p = [&s.david, &s.lawson, &s.mallory, &s.insurer][who];
            let e = register(&mut s.rng, p, role, admit)?;
            s.push(e, &a)?;
        }
        let grant_body = EntryBody::Grant {
            smer_hash: record,
            data_index: semres::dery::data_index(&record),
            recipient: id(&s.lawson),
            expires: Some(T0 + 86_400),
        };
        let david = s.david.signing.clone();
        let lawson = s.lawson.signing.clone();
        s.grant_entry = s.entry(&david, T0 + 300, grant_body)?;
        s.grant = s.push(s.grant_entry.clone(), &b)?;
        let grant = s.grant;
        let access = s.entry(&lawson, T0 + 400, EntryBody::Access { grant })?;
        s.push(access, &a)?;
        let care_smer = smer_hash("SMeR: care note for David");
        let care_body = EntryBody::Care {
            grant,
            smer_hash: care_smer,
            data_index: semres::dery::data_index(&care_smer),
        };
        let care_entry = s.entry(&lawson, T0 + 500, care_body)?;
        s.care = s.push(care_entry, &c)?;
        // David pays for his care.
        let payment = s.entry(&david, T0 + 600, s.payment_body(s.care, &s.david))?;
        s.push(payment, &a)?;
        // Authority C is removed by A and B (a majority of three).
        let removal_body = EntryBody::AuthorityChange {
            add: false,
            authority: c.public_key().to_bytes(),
        };
        let removal = s.entry(&a, T0 + 700, removal_body)?.sign(&b).map_err(err)?;
        s.push(removal, &a)?;
        let revoke = s.entry(&david, T0 + 800, EntryBody::Revoke { grant })?;
        s.push(revoke, &b)?;
        let erase = s.entry(&david, T0 + 900, EntryBody::Erase { smer_hash: record })?;
        s.push(erase, &a)?;
        Ok(s)
    }
}

/// The chain cases: the valid story, then each with one fault and what the verifier says.
struct Cases(Vec<Value>);

impl Cases {
    fn fail(&mut self, name: &str, description: &str, chain: Vec<Block>, index: usize, code: &str) {
        self.0.push(json!({"name": name, "description": description, "blocks": encode(&chain), "expect": {"index": index, "code": code}}));
    }
}

/// The story's first `i` blocks, then block `i` re-sealed with `entry` (valid seal, valid
/// link) to isolate a rule.
fn reseal(chain: &[Block], i: usize, entry: Entry, sealer: &SigningPrivateKey) -> Vec<Block> {
    let mut out = chain[..i].to_vec();
    let prev = out.last().map(Block::hash).unwrap_or([0; 32]);
    out.push(Block::seal(i as u64, prev, chain[i].time, entry, sealer));
    out
}

/// Faults of the chain itself: order, seals, authorities, links, time.
fn chain_faults(s: &mut Story, cases: &mut Cases) -> Result<(), String> {
    let blocks = s.blocks.clone();
    let mut swapped = blocks.clone();
    swapped.swap(5, 6);
    cases.fail(
        "reordered-blocks",
        "blocks 5 and 6 swapped",
        swapped,
        5,
        "BadBlockNumber",
    );
    let mut forged = blocks.clone();
    if let Seal::Authority { signature, .. } = &mut forged[5].seal {
        signature[10] ^= 1;
    }
    cases.fail(
        "forged-seal",
        "one bit of a seal flipped",
        forged,
        5,
        "BadSeal",
    );
    let foreign = Block::seal(
        5,
        blocks[4].hash(),
        blocks[5].time,
        blocks[5].entry.clone(),
        &s.outsider,
    );
    let mut chain = blocks[..5].to_vec();
    chain.push(foreign);
    cases.fail(
        "unknown-authority",
        "a block sealed by a key that never was an authority",
        chain,
        5,
        "UnknownAuthority",
    );
    let mallory = s.mallory.signing.clone();
    let late_body = EntryBody::Grant {
        smer_hash: smer_hash("mallory's own"),
        data_index: "dery:x".into(),
        recipient: id(&s.lawson),
        expires: None,
    };
    let late = s.entry(&mallory, T0 + 750, late_body)?;
    cases.fail(
        "removed-authority",
        "a block sealed by authority C after its removal",
        reseal(&blocks, REMOVED_AT + 1, late, &s.auth_c),
        REMOVED_AT + 1,
        "UnknownAuthority",
    );
    let mut badlink = blocks.clone();
    badlink[7].previous_hash[0] ^= 1;
    badlink[7] = Block::seal(
        7,
        badlink[7].previous_hash,
        badlink[7].time,
        badlink[7].entry.clone(),
        &s.auth_c,
    );
    cases.fail(
        "wrong-previous-hash",
        "a block whose previous hash is not its predecessor's",
        badlink,
        7,
        "BadPreviousHash",
    );
    let mut backwards = blocks[..6].to_vec();
    backwards.push(Block::seal(
        6,
        blocks[5].hash(),
        blocks[5].time - 1,
        blocks[6].entry.clone(),
        &s.auth_a,
    ));
    cases.fail(
        "time-backwards",
        "a block dated before its predecessor",
        backwards,
        6,
        "BadTime",
    );
    Ok(())
}

/// Faults of the rules: ownership, grants, care, payments, signatures, admission, majority.
fn rule_faults(s: &mut Story, cases: &mut Cases) -> Result<(), String> {
    let blocks = s.blocks.clone();
    let (a, grant) = (s.auth_a.clone(), s.grant);
    let (mallory, lawson, david) = (
        s.mallory.signing.clone(),
        s.lawson.signing.clone(),
        s.david.signing.clone(),
    );
    let stolen_body = EntryBody::Grant {
        smer_hash: s.record,
        data_index: "dery:x".into(),
        recipient: id(&s.mallory),
        expires: None,
    };
    let stolen = s.entry(&mallory, T0 + 300, stolen_body)?;
    cases.fail(
        "grant-by-non-owner",
        "Mallory grants herself David's SMeR",
        reseal(&blocks, 6, stolen, &a),
        6,
        "NotAuthorized",
    );
    let late_care_body = |label: &str, index: &str| EntryBody::Care {
        grant,
        smer_hash: smer_hash(label),
        data_index: index.into(),
    };
    let after_revoke = s.entry(&lawson, T0 + 850, late_care_body("late care", "dery:y"))?;
    cases.fail(
        "care-after-revoke",
        "care under a revoked grant",
        reseal(&blocks, 11, after_revoke, &a),
        11,
        "GrantInactive",
    );
    let late_care = s.entry(
        &lawson,
        T0 + 90_000,
        late_care_body("care after expiry", "dery:z"),
    )?;
    let mut expired = blocks[..7].to_vec();
    expired.push(Block::seal(7, blocks[6].hash(), T0 + 90_000, late_care, &a));
    cases.fail(
        "care-after-expiry",
        "care after the grant expired",
        expired,
        7,
        "GrantInactive",
    );
    cases.fail(
        "replayed-entry",
        "the grant entry sealed a second time",
        reseal(&blocks, 7, s.grant_entry.clone(), &a),
        7,
        "Duplicate",
    );
    let ghost_pay = s.entry(
        &david,
        T0 + 450,
        s.payment_body(smer_hash("no such care"), &s.david),
    )?;
    cases.fail(
        "payment-without-care",
        "payment for a care entry that does not exist",
        reseal(&blocks, 7, ghost_pay, &a),
        7,
        "UnknownReference",
    );
    let mut damaged = blocks[6].entry.clone();
    damaged.signatures_mut()[0].signature[3] ^= 0x40;
    let mut badsig = blocks[..6].to_vec();
    badsig.push(Block::seal(
        6,
        blocks[5].hash(),
        blocks[6].time,
        damaged,
        &a,
    ));
    cases.fail(
        "bad-entry-signature",
        "the owner's signature on the grant damaged",
        badsig,
        6,
        "BadSignature",
    );
    let newcomer = person(&mut s.rng)?;
    let unadmitted = register(&mut s.rng, &newcomer, Role::Clinician, None)?;
    cases.fail(
        "clinician-not-admitted",
        "a clinician registers without an authority's signature",
        reseal(&blocks, 5, unadmitted, &a),
        5,
        "MissingSignature",
    );
    let minority_body = EntryBody::AuthorityChange {
        add: false,
        authority: s.auth_c.public_key().to_bytes(),
    };
    let minority = s.entry(&a, T0 + 700, minority_body)?;
    cases.fail(
        "authority-change-minority",
        "removing an authority with one vote of three",
        reseal(&blocks, REMOVED_AT, minority, &a),
        REMOVED_AT,
        "MissingSignature",
    );
    let outsider_body = EntryBody::Grant {
        smer_hash: smer_hash("x"),
        data_index: "d".into(),
        recipient: s.outsider.key_id().into(),
        expires: None,
    };
    let outsider_grant = s.entry(&david, T0 + 300, outsider_body)?;
    cases.fail(
        "grant-to-unregistered",
        "a grant to a key that is not registered",
        reseal(&blocks, 5, outsider_grant, &a),
        5,
        "NotRegistered",
    );
    let double_pay = s.entry(&david, T0 + 650, s.payment_body(s.care, &s.david))?;
    cases.fail(
        "double-payment",
        "a second payment for the same care",
        reseal(&blocks, REMOVED_AT, double_pay, &a),
        REMOVED_AT,
        "Duplicate",
    );
    let mut genesis = blocks[0].entry.clone();
    genesis.remove_last_signature();
    cases.fail(
        "genesis-missing-signature",
        "genesis not signed by every initial authority",
        vec![Block::seal(0, [0; 32], blocks[0].time, genesis, &a)],
        0,
        "MissingSignature",
    );
    Ok(())
}

/// `prefix`, then `entries`, each sealed by `sealer` a minute after the block before.
fn extend(prefix: &[Block], entries: Vec<Entry>, sealer: &SigningPrivateKey) -> Vec<Block> {
    let mut out = prefix.to_vec();
    for entry in entries {
        let (number, previous, time) = out
            .last()
            .map_or((0, [0; 32], T0), |b| (b.number + 1, b.hash(), b.time + 60));
        out.push(Block::seal(number, previous, time, entry, sealer));
    }
    out
}

/// The payer of a care entry: the patient, or a payer the patient names (SPEC §4.2).
fn payer_cases(s: &mut Story, cases: &mut Cases) -> Result<(), String> {
    const PAYMENT_AT: usize = 8;
    let blocks = s.blocks.clone();
    let a = s.auth_a.clone();
    let (david, lawson, insurer) = (
        s.david.signing.clone(),
        s.lawson.signing.clone(),
        s.insurer.signing.clone(),
    );
    let paid_by_insurer = s.payment_body(s.care, &s.insurer);
    let stranger_pays = s.entry(&insurer, T0 + 600, paid_by_insurer.clone())?;
    cases.fail(
        "payment-by-stranger",
        "someone the patient did not name pays for the patient's care",
        reseal(&blocks, PAYMENT_AT, stranger_pays, &a),
        PAYMENT_AT,
        "NotAuthorized",
    );
    let naming = |add| EntryBody::Payer {
        add,
        payer: id(&s.insurer),
    };
    let (name, unname) = (naming(true), naming(false));
    let named = s.entry(&david, T0 + 590, name.clone())?;
    let pays = s.entry(&insurer, T0 + 600, paid_by_insurer.clone())?;
    let prefix = &blocks[..PAYMENT_AT];
    cases.0.push(json!({
        "name": "payment-by-named-payer",
        "description": "David names his insurer as a payer; the insurer pays for David's care",
        "blocks": encode(&extend(prefix, vec![named.clone(), pays], &a)),
        "expect": "ok",
    }));
    let unnamed = s.entry(&david, T0 + 595, unname)?;
    let late = s.entry(&insurer, T0 + 600, paid_by_insurer)?;
    cases.fail(
        "payment-after-payer-removed",
        "the insurer pays after David stopped naming it",
        extend(prefix, vec![named, unnamed, late], &a),
        PAYMENT_AT + 2,
        "NotAuthorized",
    );
    let by_clinician = s.entry(&lawson, T0 + 590, name)?;
    cases.fail(
        "payer-named-by-non-patient",
        "a clinician names a payer",
        reseal(&blocks, PAYMENT_AT, by_clinician, &a),
        PAYMENT_AT,
        "NotAuthorized",
    );
    Ok(())
}

/// Times and keys: an entry dated too far back, a registration of another's RSA key.
fn time_and_key_cases(s: &mut Story, cases: &mut Cases) -> Result<(), String> {
    let blocks = s.blocks.clone();
    let a = s.auth_a.clone();
    let lawson = s.lawson.signing.clone();
    let grant = s.grant;
    let old = blocks[5].time - semres::ledger::state::MAX_ENTRY_AGE - 1;
    let backdated = s.entry(&lawson, old, EntryBody::Access { grant })?;
    cases.fail(
        "entry-dated-too-early",
        "an entry dated more than a day before the block before its own",
        reseal(&blocks, 6, backdated, &a),
        6,
        "BadTime",
    );
    let mut impostor = person(&mut s.rng)?;
    impostor.encryption_spki = s.david.encryption_spki.clone();
    let stolen_key = register(&mut s.rng, &impostor, Role::Patient, None)?;
    cases.fail(
        "register-anothers-rsa-key",
        "a participant registers David's RSA key as its own",
        reseal(&blocks, 5, stolen_key, &a),
        5,
        "Duplicate",
    );
    Ok(())
}

/// Raw-bytes cases: the decoder refuses them before the verifier runs.
fn raw_blocks(s: &Story) -> Vec<Value> {
    let good = s.blocks[3].to_bytes();
    let mut v3 = good.clone();
    v3[0] = 3;
    vec![
        json!({"name": "block-truncated", "block": b64::encode(&good[..good.len() - 1]), "expect": "MalformedLedgerData"}),
        json!({"name": "block-trailing-byte", "block": b64::encode(&[good.clone(), vec![0]].concat()), "expect": "MalformedLedgerData"}),
        json!({"name": "block-version-3", "block": b64::encode(&v3), "expect": "UnsupportedVersion"}),
        json!({"name": "block-valid", "block": b64::encode(&good), "expect": "ok", "hash": to_hex(&s.blocks[3].hash())}),
    ]
}

fn b(h: &Hash) -> String {
    Base64::encode_string(h)
}

/// One inclusion-proof case.
struct Inclusion<'a> {
    leaf: Hash,
    index: u64,
    size: u64,
    proof: &'a [Hash],
    root: Hash,
}

impl Inclusion<'_> {
    fn case(&self, name: &str, expect: &str) -> Value {
        json!({"name": name, "kind": "inclusion", "leaf_hash": b(&self.leaf), "index": self.index, "size": self.size, "proof": self.proof.iter().map(b).collect::<Vec<_>>(), "root": b(&self.root), "expect": expect})
    }
}

/// One consistency-proof case.
struct Consistency<'a> {
    size1: u64,
    size2: u64,
    proof: &'a [Hash],
    root1: Hash,
    root2: Hash,
}

impl Consistency<'_> {
    fn case(&self, name: &str, expect: &str) -> Value {
        json!({"name": name, "kind": "consistency", "size1": self.size1, "size2": self.size2, "proof": self.proof.iter().map(b).collect::<Vec<_>>(), "root1": b(&self.root1), "root2": b(&self.root2), "expect": expect})
    }
}

/// Inclusion proofs of three blocks, each with every kind of damage.
fn inclusion_cases(
    tree: &MerkleTree,
    blocks: &[Block],
    out: &mut Vec<Value>,
) -> Result<(), String> {
    let size = tree.size();
    let root = tree.root(size).ok_or("root")?;
    for index in [0u64, 5, size - 1] {
        let leaf = leaf_hash(&blocks[index as usize].hash());
        let proof = tree.inclusion_proof(index, size).ok_or("proof")?;
        let good = Inclusion {
            leaf,
            index,
            size,
            proof: &proof,
            root,
        };
        out.push(good.case(&format!("inclusion-{index}-of-{size}"), "ok"));
        for i in 0..proof.len() {
            let mut p = proof.clone();
            p[i][7] ^= 1;
            let flipped = Inclusion { proof: &p, ..good };
            out.push(flipped.case(&format!("inclusion-{index}-flip-proof-{i}"), "BadProof"));
        }
        let mut flipped_leaf = leaf;
        flipped_leaf[0] ^= 1;
        let mut flipped_root = root;
        flipped_root[31] ^= 1;
        let extended = [proof.clone(), vec![root]].concat();
        let damaged = [
            (
                "flip-leaf",
                Inclusion {
                    leaf: flipped_leaf,
                    ..good
                },
            ),
            (
                "flip-root",
                Inclusion {
                    root: flipped_root,
                    ..good
                },
            ),
            (
                "wrong-index",
                Inclusion {
                    index: index ^ 1,
                    ..good
                },
            ),
            (
                "wrong-size",
                Inclusion {
                    size: size * 2,
                    ..good
                },
            ),
            (
                "truncated",
                Inclusion {
                    proof: &proof[..proof.len() - 1],
                    ..good
                },
            ),
            (
                "extended",
                Inclusion {
                    proof: &extended,
                    ..good
                },
            ),
        ];
        for (what, case) in damaged {
            out.push(case.case(&format!("inclusion-{index}-{what}"), "BadProof"));
        }
    }
    Ok(())
}

/// Consistency proofs from three older sizes, each with every kind of damage.
fn consistency_cases(tree: &MerkleTree, out: &mut Vec<Value>) -> Result<(), String> {
    let size = tree.size();
    let root = tree.root(size).ok_or("root")?;
    for size1 in [1u64, 4, 7] {
        let root1 = tree.root(size1).ok_or("root1")?;
        let proof = tree.consistency_proof(size1, size).ok_or("proof")?;
        let good = Consistency {
            size1,
            size2: size,
            proof: &proof,
            root1,
            root2: root,
        };
        out.push(good.case(&format!("consistency-{size1}-{size}"), "ok"));
        for i in 0..proof.len() {
            let mut p = proof.clone();
            p[i][0] ^= 0x80;
            let flipped = Consistency { proof: &p, ..good };
            out.push(flipped.case(&format!("consistency-{size1}-flip-{i}"), "BadProof"));
        }
        let extended = [proof.clone(), vec![root]].concat();
        let damaged = [
            (
                "wrong-size1",
                Consistency {
                    size1: size1 + 1,
                    ..good
                },
            ),
            (
                "wrong-size2",
                Consistency {
                    size2: size * 2,
                    ..good
                },
            ),
            (
                "truncated",
                Consistency {
                    proof: &proof[..proof.len() - 1],
                    ..good
                },
            ),
            (
                "extended",
                Consistency {
                    proof: &extended,
                    ..good
                },
            ),
        ];
        for (what, case) in damaged {
            out.push(case.case(&format!("consistency-{size1}-{what}"), "BadProof"));
        }
    }
    Ok(())
}

/// Checkpoints of the story's log: valid (by A, and an older one by B), altered, by an
/// unknown key, unsigned, garbled.
fn checkpoint_cases(s: &Story) -> Result<Vec<Value>, String> {
    let tree = s.state.tree();
    let size = tree.size();
    let root = tree.root(size).ok_or("root")?;
    let checkpoint = Checkpoint {
        origin: CHAIN_ID.into(),
        size,
        root,
    };
    let signed = checkpoint.sign(&s.auth_a);
    let older = Checkpoint {
        origin: CHAIN_ID.into(),
        size: 4,
        root: tree.root(4).ok_or("root4")?,
    };
    let altered = signed.replacen(&format!("\n{size}\n"), &format!("\n{}\n", size + 1), 1);
    Ok(vec![
        json!({"name": "checkpoint-valid", "note": signed, "expect": "ok", "size": size, "root": b(&root)}),
        json!({"name": "checkpoint-older", "note": older.sign(&s.auth_b), "expect": "ok", "size": 4, "root": b(&older.root)}),
        json!({"name": "checkpoint-size-changed", "note": altered, "expect": "BadCheckpoint"}),
        json!({"name": "checkpoint-unknown-signer", "note": checkpoint.sign(&s.outsider), "expect": "BadCheckpoint"}),
        json!({"name": "checkpoint-no-signature", "note": checkpoint.body() + "\n", "expect": "BadCheckpoint"}),
        json!({"name": "checkpoint-garbage", "note": "hello\n", "expect": "MalformedLedgerData"}),
    ])
}

/// The ledger vector file.
pub fn generate_ledger() -> Result<String, String> {
    let mut s = Story::tell()?;
    let mut cases = Cases(vec![
        json!({"name": "valid-story", "description": "register, grant, access, care, payment, authority removal, revoke, erase", "blocks": encode(&s.blocks), "expect": "ok"}),
    ]);
    chain_faults(&mut s, &mut cases)?;
    rule_faults(&mut s, &mut cases)?;
    payer_cases(&mut s, &mut cases)?;
    time_and_key_cases(&mut s, &mut cases)?;
    let mut proofs = Vec::new();
    inclusion_cases(s.state.tree(), &s.blocks, &mut proofs)?;
    consistency_cases(s.state.tree(), &mut proofs)?;
    let authorities: Vec<Value> = [&s.auth_a, &s.auth_b, &s.auth_c]
        .iter()
        .map(|k| Value::from(b64::encode(&k.public_key().to_bytes())))
        .collect();
    let doc = json!({
        "description": "Ledger v1 test vectors (SPEC.md §4.7). Blocks are base64url of their v1 encoding; expect is \"ok\" or the index of the first bad block and the error code.",
        "generator": super::GENERATOR,
        "seed": String::from_utf8_lossy(&SEED),
        "chain_id": CHAIN_ID,
        "checkpoint_authorities": authorities,
        "story_length": s.blocks.len(),
        "chains": cases.0,
        "blocks": raw_blocks(&s),
        "proofs": proofs,
        "checkpoints": checkpoint_cases(&s)?,
    });
    serde_json::to_string_pretty(&doc)
        .map(|s| s + "\n")
        .map_err(err)
}
