//! The seeded generator of ledger v1 test vectors (`tests/vectors/ledger/ledger_v1.json`):
//! a valid chain telling the paper's story (David grants Lawson a record; Lawson reads it,
//! adds care, is paid; David revokes and erases), chains with one thing wrong and the error
//! the verifier must return, Merkle proofs with each kind of damage, and checkpoints.

use base64ct::{Base64, Encoding};
use rand_chacha::ChaCha20Rng;
use rand_core::{Rng, SeedableRng};
use semres::hex::encode as to_hex;
use semres::identity::signing::SigningPrivateKey;
use semres::ledger::checkpoint::Checkpoint;
use semres::ledger::entry::{Entry, EntryBody, Role};
use semres::ledger::merkle::{leaf_hash, Hash};
use semres::ledger::{genesis_block, Block, LedgerState};
use semres::{b64, EncryptionPrivateKey};
use serde_json::{json, Value};

/// Seed of the ledger vectors.
pub const SEED: [u8; 32] = *b"SEMRES-v1 ledger vectors seed 01";
const T0: i64 = 1_795_564_800;
const CHAIN_ID: &str = "semres.example/ledger-vectors";

use crate::err;

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

/// The ledger vector file.
pub fn generate_ledger() -> Result<String, String> {
    let mut rng = ChaCha20Rng::from_seed(SEED);
    let auth_a = SigningPrivateKey::generate(&mut rng).map_err(err)?;
    let auth_b = SigningPrivateKey::generate(&mut rng).map_err(err)?;
    let auth_c = SigningPrivateKey::generate(&mut rng).map_err(err)?;
    let outsider = SigningPrivateKey::generate(&mut rng).map_err(err)?;
    let david = person(&mut rng)?;
    let lawson = person(&mut rng)?;
    let mallory = person(&mut rng)?;
    let insurer = person(&mut rng)?;
    let id = |p: &Person| p.signing.key_id().to_owned();

    let genesis =
        genesis_block(CHAIN_ID, &[&auth_a, &auth_b, &auth_c], T0, nonce(&mut rng)).map_err(err)?;
    let mut state = LedgerState::genesis(&genesis).map_err(err)?;
    let mut blocks = vec![genesis];
    let mut t = T0;
    let mut push = |state: &mut LedgerState,
                    blocks: &mut Vec<Block>,
                    entry: Entry,
                    sealer: &SigningPrivateKey|
     -> Result<Hash, String> {
        t += 60;
        let hash = entry.hash();
        blocks.push(state.seal_next(entry, t, sealer).map_err(err)?);
        Ok(hash)
    };
    let register =
        |rng: &mut ChaCha20Rng, p: &Person, role: Role, admit: Option<&SigningPrivateKey>| {
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
        };
    for (p, role, admit) in [
        (&david, Role::Patient, None),
        (&lawson, Role::Clinician, Some(&auth_a)),
        (&mallory, Role::Patient, None),
        (&insurer, Role::Patient, None),
    ] {
        let e = register(&mut rng, p, role, admit)?;
        push(&mut state, &mut blocks, e, &auth_a)?;
    }
    let record = smer_hash("SMeR: David's My Health Bank record");
    let grant_body = EntryBody::Grant {
        smer_hash: record,
        data_index: format!("dery:sha256:{}", to_hex(&record)),
        recipient: id(&lawson),
        expires: Some(T0 + 86_400),
    };
    let grant_entry =
        Entry::signed(&david.signing, T0 + 300, nonce(&mut rng), grant_body).map_err(err)?;
    let grant = push(&mut state, &mut blocks, grant_entry.clone(), &auth_b)?;
    let access = Entry::signed(
        &lawson.signing,
        T0 + 400,
        nonce(&mut rng),
        EntryBody::Access { grant },
    )
    .map_err(err)?;
    push(&mut state, &mut blocks, access, &auth_a)?;
    let care_smer = smer_hash("SMeR: care note for David");
    let care_entry = Entry::signed(
        &lawson.signing,
        T0 + 500,
        nonce(&mut rng),
        EntryBody::Care {
            grant,
            smer_hash: care_smer,
            data_index: format!("dery:sha256:{}", to_hex(&care_smer)),
        },
    )
    .map_err(err)?;
    let care = push(&mut state, &mut blocks, care_entry, &auth_c)?;
    let payment_body = |care: Hash| EntryBody::Payment {
        care,
        amount: 412,
        currency: "NHI-points".into(),
        payer: id(&insurer),
        payee: id(&lawson),
        reference: "claim-0001".into(),
    };
    let payment = Entry::signed(
        &insurer.signing,
        T0 + 600,
        nonce(&mut rng),
        payment_body(care),
    )
    .map_err(err)?;
    push(&mut state, &mut blocks, payment, &auth_a)?;
    // Authority C is removed by A and B (a majority of three).
    let removal = Entry::signed(
        &auth_a,
        T0 + 700,
        nonce(&mut rng),
        EntryBody::AuthorityChange {
            add: false,
            authority: auth_c.public_key().to_bytes(),
        },
    )
    .map_err(err)?
    .sign(&auth_b)
    .map_err(err)?;
    push(&mut state, &mut blocks, removal, &auth_a)?;
    let revoke = Entry::signed(
        &david.signing,
        T0 + 800,
        nonce(&mut rng),
        EntryBody::Revoke { grant },
    )
    .map_err(err)?;
    push(&mut state, &mut blocks, revoke, &auth_b)?;
    let erase = Entry::signed(
        &david.signing,
        T0 + 900,
        nonce(&mut rng),
        EntryBody::Erase { smer_hash: record },
    )
    .map_err(err)?;
    push(&mut state, &mut blocks, erase, &auth_a)?;
    let n = blocks.len();

    let mut cases = vec![
        json!({"name": "valid-story", "description": "register, grant, access, care, payment, authority removal, revoke, erase", "blocks": encode(&blocks), "expect": "ok"}),
    ];
    let mut fail = |name: &str, description: &str, chain: Vec<Block>, index: usize, code: &str| {
        cases.push(json!({"name": name, "description": description, "blocks": encode(&chain), "expect": {"index": index, "code": code}}));
    };
    // Re-seal block `i` with a replaced entry (valid seal, valid link) to isolate a rule.
    let reseal =
        |chain: &[Block], i: usize, entry: Entry, sealer: &SigningPrivateKey| -> Vec<Block> {
            let mut out = chain[..i].to_vec();
            let prev = out.last().map(Block::hash).unwrap_or([0; 32]);
            out.push(Block::seal(i as u64, prev, chain[i].time, entry, sealer));
            out
        };
    let mut swapped = blocks.clone();
    swapped.swap(5, 6);
    fail(
        "reordered-blocks",
        "blocks 5 and 6 swapped",
        swapped,
        5,
        "BadBlockNumber",
    );
    let mut forged = blocks.clone();
    forged[5].seal[10] ^= 1;
    fail(
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
        &outsider,
    );
    let mut chain = blocks[..5].to_vec();
    chain.push(foreign);
    fail(
        "unknown-authority",
        "a block sealed by a key that never was an authority",
        chain,
        5,
        "UnknownAuthority",
    );
    let removed_at = 9; // the removal of C is block 9
    let late = Entry::signed(
        &mallory.signing,
        T0 + 750,
        nonce(&mut rng),
        EntryBody::Grant {
            smer_hash: smer_hash("mallory's own"),
            data_index: "dery:x".into(),
            recipient: id(&lawson),
            expires: None,
        },
    )
    .map_err(err)?;
    fail(
        "removed-authority",
        "a block sealed by authority C after its removal",
        reseal(&blocks, removed_at + 1, late.clone(), &auth_c),
        removed_at + 1,
        "UnknownAuthority",
    );
    let mut badlink = blocks.clone();
    badlink[7].previous_hash[0] ^= 1;
    let relinked = Block::seal(
        7,
        badlink[7].previous_hash,
        badlink[7].time,
        badlink[7].entry.clone(),
        &auth_c,
    );
    badlink[7] = relinked;
    fail(
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
        &auth_a,
    ));
    fail(
        "time-backwards",
        "a block dated before its predecessor",
        backwards,
        6,
        "BadTime",
    );
    let stolen = Entry::signed(
        &mallory.signing,
        T0 + 300,
        nonce(&mut rng),
        EntryBody::Grant {
            smer_hash: record,
            data_index: "dery:x".into(),
            recipient: id(&mallory),
            expires: None,
        },
    )
    .map_err(err)?;
    fail(
        "grant-by-non-owner",
        "Mallory grants herself David's SMeR",
        reseal(&blocks, 6, stolen, &auth_a),
        6,
        "NotAuthorized",
    );
    let after_revoke_care = Entry::signed(
        &lawson.signing,
        T0 + 850,
        nonce(&mut rng),
        EntryBody::Care {
            grant,
            smer_hash: smer_hash("late care"),
            data_index: "dery:y".into(),
        },
    )
    .map_err(err)?;
    fail(
        "care-after-revoke",
        "care under a revoked grant",
        reseal(&blocks, 11, after_revoke_care, &auth_a),
        11,
        "GrantInactive",
    );
    let mut expired = blocks[..7].to_vec();
    let late_care = Entry::signed(
        &lawson.signing,
        T0 + 90_000,
        nonce(&mut rng),
        EntryBody::Care {
            grant,
            smer_hash: smer_hash("care after expiry"),
            data_index: "dery:z".into(),
        },
    )
    .map_err(err)?;
    expired.push(Block::seal(
        7,
        blocks[6].hash(),
        T0 + 90_000,
        late_care,
        &auth_a,
    ));
    fail(
        "care-after-expiry",
        "care after the grant expired",
        expired,
        7,
        "GrantInactive",
    );
    fail(
        "replayed-entry",
        "the grant entry sealed a second time",
        reseal(&blocks, 7, grant_entry.clone(), &auth_a),
        7,
        "Duplicate",
    );
    let ghost_pay = Entry::signed(
        &insurer.signing,
        T0 + 450,
        nonce(&mut rng),
        payment_body(smer_hash("no such care")),
    )
    .map_err(err)?;
    fail(
        "payment-without-care",
        "payment for a care entry that does not exist",
        reseal(&blocks, 7, ghost_pay, &auth_a),
        7,
        "UnknownReference",
    );
    let mut badsig = blocks.clone();
    badsig[6].entry.signatures_mut()[0].signature[3] ^= 0x40;
    let resealed = Block::seal(
        6,
        blocks[5].hash(),
        blocks[6].time,
        badsig[6].entry.clone(),
        &auth_a,
    );
    badsig[6] = resealed;
    fail(
        "bad-entry-signature",
        "the owner's signature on the grant damaged",
        badsig[..7].to_vec(),
        6,
        "BadSignature",
    );
    let newcomer = person(&mut rng)?;
    let unadmitted = register(&mut rng, &newcomer, Role::Clinician, None)?;
    fail(
        "clinician-not-admitted",
        "a clinician registers without an authority's signature",
        reseal(&blocks, 5, unadmitted, &auth_a),
        5,
        "MissingSignature",
    );
    let minority = Entry::signed(
        &auth_a,
        T0 + 700,
        nonce(&mut rng),
        EntryBody::AuthorityChange {
            add: false,
            authority: auth_c.public_key().to_bytes(),
        },
    )
    .map_err(err)?;
    fail(
        "authority-change-minority",
        "removing an authority with one vote of three",
        reseal(&blocks, 9, minority, &auth_a),
        9,
        "MissingSignature",
    );
    let outsider_grant = Entry::signed(
        &david.signing,
        T0 + 300,
        nonce(&mut rng),
        EntryBody::Grant {
            smer_hash: smer_hash("x"),
            data_index: "d".into(),
            recipient: outsider.key_id().into(),
            expires: None,
        },
    )
    .map_err(err)?;
    fail(
        "grant-to-unregistered",
        "a grant to a key that is not registered",
        reseal(&blocks, 5, outsider_grant, &auth_a),
        5,
        "NotRegistered",
    );
    let double_pay = Entry::signed(
        &insurer.signing,
        T0 + 650,
        nonce(&mut rng),
        payment_body(care),
    )
    .map_err(err)?;
    fail(
        "double-payment",
        "a second payment for the same care",
        reseal(&blocks, 9, double_pay, &auth_a),
        9,
        "Duplicate",
    );
    let wrong_genesis = {
        let mut g = blocks[0].clone();
        g.entry.remove_last_signature();
        let resealed = Block::seal(0, [0; 32], g.time, g.entry.clone(), &auth_a);
        vec![resealed]
    };
    fail(
        "genesis-missing-signature",
        "genesis not signed by every initial authority",
        wrong_genesis,
        0,
        "MissingSignature",
    );

    // Raw-bytes cases: the decoder refuses them before the verifier runs.
    let mut raw = vec![];
    let good = blocks[3].to_bytes();
    raw.push(json!({"name": "block-truncated", "block": b64::encode(&good[..good.len() - 1]), "expect": "MalformedLedgerData"}));
    raw.push(json!({"name": "block-trailing-byte", "block": b64::encode(&[good.clone(), vec![0]].concat()), "expect": "MalformedLedgerData"}));
    let mut v2 = good.clone();
    v2[0] = 2;
    raw.push(json!({"name": "block-version-2", "block": b64::encode(&v2), "expect": "UnsupportedVersion"}));
    raw.push(json!({"name": "block-valid", "block": b64::encode(&good), "expect": "ok", "hash": to_hex(&blocks[3].hash())}));

    // Merkle proofs over the story chain.
    let tree = state.tree();
    let size = tree.size();
    let root = tree.root(size).ok_or("root")?;
    let mut proofs = vec![];
    let b = |h: &Hash| Base64::encode_string(h);
    let inclusion = |name: &str,
                     leaf: &Hash,
                     index: u64,
                     size: u64,
                     proof: &[Hash],
                     root: &Hash,
                     expect: &str| {
        json!({"name": name, "kind": "inclusion", "leaf_hash": b(leaf), "index": index, "size": size, "proof": proof.iter().map(b).collect::<Vec<_>>(), "root": b(root), "expect": expect})
    };
    for index in [0u64, 5, size - 1] {
        let leaf = leaf_hash(&blocks[index as usize].hash());
        let proof = tree.inclusion_proof(index, size).ok_or("proof")?;
        proofs.push(inclusion(
            &format!("inclusion-{index}-of-{size}"),
            &leaf,
            index,
            size,
            &proof,
            &root,
            "ok",
        ));
        for (i, _) in proof.iter().enumerate() {
            let mut p = proof.clone();
            p[i][7] ^= 1;
            proofs.push(inclusion(
                &format!("inclusion-{index}-flip-proof-{i}"),
                &leaf,
                index,
                size,
                &p,
                &root,
                "BadProof",
            ));
        }
        let mut flipped_leaf = leaf;
        flipped_leaf[0] ^= 1;
        proofs.push(inclusion(
            &format!("inclusion-{index}-flip-leaf"),
            &flipped_leaf,
            index,
            size,
            &proof,
            &root,
            "BadProof",
        ));
        let mut flipped_root = root;
        flipped_root[31] ^= 1;
        proofs.push(inclusion(
            &format!("inclusion-{index}-flip-root"),
            &leaf,
            index,
            size,
            &proof,
            &flipped_root,
            "BadProof",
        ));
        proofs.push(inclusion(
            &format!("inclusion-{index}-wrong-index"),
            &leaf,
            index ^ 1,
            size,
            &proof,
            &root,
            "BadProof",
        ));
        proofs.push(inclusion(
            &format!("inclusion-{index}-wrong-size"),
            &leaf,
            index,
            size * 2,
            &proof,
            &root,
            "BadProof",
        ));
        proofs.push(inclusion(
            &format!("inclusion-{index}-truncated"),
            &leaf,
            index,
            size,
            &proof[..proof.len() - 1],
            &root,
            "BadProof",
        ));
        proofs.push(inclusion(
            &format!("inclusion-{index}-extended"),
            &leaf,
            index,
            size,
            &[proof.clone(), vec![root]].concat(),
            &root,
            "BadProof",
        ));
    }
    let consistency = |name: &str,
                       size1: u64,
                       size2: u64,
                       proof: &[Hash],
                       root1: &Hash,
                       root2: &Hash,
                       expect: &str| {
        json!({"name": name, "kind": "consistency", "size1": size1, "size2": size2, "proof": proof.iter().map(b).collect::<Vec<_>>(), "root1": b(root1), "root2": b(root2), "expect": expect})
    };
    for size1 in [1u64, 4, 7] {
        let root1 = tree.root(size1).ok_or("root1")?;
        let proof = tree.consistency_proof(size1, size).ok_or("proof")?;
        proofs.push(consistency(
            &format!("consistency-{size1}-{size}"),
            size1,
            size,
            &proof,
            &root1,
            &root,
            "ok",
        ));
        for (i, _) in proof.iter().enumerate() {
            let mut p = proof.clone();
            p[i][0] ^= 0x80;
            proofs.push(consistency(
                &format!("consistency-{size1}-flip-{i}"),
                size1,
                size,
                &p,
                &root1,
                &root,
                "BadProof",
            ));
        }
        proofs.push(consistency(
            &format!("consistency-{size1}-wrong-size1"),
            size1 + 1,
            size,
            &proof,
            &root1,
            &root,
            "BadProof",
        ));
        proofs.push(consistency(
            &format!("consistency-{size1}-wrong-size2"),
            size1,
            size * 2,
            &proof,
            &root1,
            &root,
            "BadProof",
        ));
        proofs.push(consistency(
            &format!("consistency-{size1}-truncated"),
            size1,
            size,
            &proof[..proof.len() - 1],
            &root1,
            &root,
            "BadProof",
        ));
        proofs.push(consistency(
            &format!("consistency-{size1}-extended"),
            size1,
            size,
            &[proof.clone(), vec![root]].concat(),
            &root1,
            &root,
            "BadProof",
        ));
    }

    // Checkpoints signed by authority A.
    let checkpoint = Checkpoint {
        origin: CHAIN_ID.into(),
        size,
        root,
    };
    let signed = checkpoint.sign(&auth_a);
    let by_outsider = checkpoint.sign(&outsider);
    let older = Checkpoint {
        origin: CHAIN_ID.into(),
        size: 4,
        root: tree.root(4).ok_or("root4")?,
    };
    let checkpoints = vec![
        json!({"name": "checkpoint-valid", "note": signed, "expect": "ok", "size": size, "root": b(&root)}),
        json!({"name": "checkpoint-older", "note": older.sign(&auth_b), "expect": "ok", "size": 4, "root": b(&older.root)}),
        json!({"name": "checkpoint-size-changed", "note": signed.replacen(&format!("\n{size}\n"), &format!("\n{}\n", size + 1), 1), "expect": "BadCheckpoint"}),
        json!({"name": "checkpoint-unknown-signer", "note": by_outsider, "expect": "BadCheckpoint"}),
        json!({"name": "checkpoint-no-signature", "note": checkpoint.body() + "\n", "expect": "BadCheckpoint"}),
        json!({"name": "checkpoint-garbage", "note": "hello\n", "expect": "MalformedLedgerData"}),
    ];

    let authorities: Vec<Value> = [&auth_a, &auth_b, &auth_c]
        .iter()
        .map(|k| Value::from(b64::encode(&k.public_key().to_bytes())))
        .collect();
    let doc = json!({
        "description": "Ledger v1 test vectors (SPEC.md §4.7). Blocks are base64url of their v1 encoding; expect is \"ok\" or the index of the first bad block and the error code.",
        "generator": super::GENERATOR,
        "seed": String::from_utf8_lossy(&SEED),
        "chain_id": CHAIN_ID,
        "checkpoint_authorities": authorities,
        "story_length": n,
        "chains": cases,
        "blocks": raw,
        "proofs": proofs,
        "checkpoints": checkpoints,
    });
    serde_json::to_string_pretty(&doc)
        .map(|s| s + "\n")
        .map_err(err)
}
