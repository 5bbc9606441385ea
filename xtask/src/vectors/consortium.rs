//! The seeded generator of the consortium vectors (`tests/vectors/ledger/consortium_v1.json`,
//! SPEC.md §6): four member hospitals with a threshold of three; consortium files that are
//! valid or break one rule; cosigned checkpoints above, at and below the threshold, with a
//! member twice, an unknown cosigner, a root forged by one member, the wrong origin or the
//! wrong kind of signature; pairs of checkpoints that are, or are not, equivocation; the
//! replay of a contract's `Appended` logs into anchored blocks, with the entries every node
//! must skip; and anchored chains with one thing wrong.
//!
//! Every key comes from one seeded generator, drawn in a fixed order (members, then the
//! stranger); signatures are deterministic (Ed25519).

use base64ct::{Base64, Encoding};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use semres::b64;
use semres::identity::signing::SigningPrivateKey;
use semres::ledger::block::Anchor;
use semres::ledger::checkpoint::Checkpoint;
use semres::ledger::consortium::{Consortium, Member};
use semres::ledger::entry::{Entry, EntryBody, Role};
use semres::ledger::{Block, LedgerState};
use serde_json::{json, Value};

use crate::err;

/// Seed of the consortium vectors.
pub const SEED: [u8; 32] = *b"SEMRES-v1 consortium vectors 001";
const ORIGIN: &str = "semres.example/consortium-ledger";
const NAMES: [&str; 4] = [
    "hospital-a.example",
    "hospital-b.example",
    "hospital-c.example",
    "hospital-d.example",
];
const COSIGNED_AT: u64 = 1_795_564_800;

struct Fixture {
    keys: Vec<SigningPrivateKey>,
    stranger: SigningPrivateKey,
    consortium: Consortium,
    rng: ChaCha20Rng,
}

fn fixture() -> Result<Fixture, String> {
    let mut rng = ChaCha20Rng::from_seed(SEED);
    let keys = (0..4)
        .map(|_| SigningPrivateKey::generate(&mut rng).map_err(err))
        .collect::<Result<Vec<_>, _>>()?;
    let stranger = SigningPrivateKey::generate(&mut rng).map_err(err)?;
    let members = NAMES
        .iter()
        .zip(&keys)
        .zip(1u8..)
        .map(|((name, key), i)| Member {
            name: (*name).to_owned(),
            key: key.public_key().clone(),
            account: [i; 20],
        })
        .collect();
    let consortium = Consortium {
        origin: ORIGIN.into(),
        chain_id: 1337,
        contract: [0xc0; 20],
        threshold: 3,
        members,
    };
    Ok(Fixture {
        keys,
        stranger,
        consortium,
        rng,
    })
}

impl Fixture {
    fn signer(&self, i: usize) -> (&'static str, &SigningPrivateKey) {
        (NAMES[i], &self.keys[i])
    }

    /// A checkpoint of the consortium's log.
    fn checkpoint(&self, size: u64, root_byte: u8) -> Checkpoint {
        Checkpoint {
            origin: ORIGIN.into(),
            size,
            root: [root_byte; 32],
        }
    }

    /// `checkpoint` cosigned by the members `who` (indices into the members).
    fn cosigned(&self, checkpoint: &Checkpoint, who: &[usize]) -> String {
        let mut note = format!("{}\n", checkpoint.body());
        for &i in who {
            let (name, key) = self.signer(i);
            note.push_str(&Consortium::cosign(
                checkpoint,
                name,
                key,
                COSIGNED_AT + i as u64,
            ));
        }
        note
    }
}

fn file_case(name: &str, description: &str, note: String, expect: &str) -> Value {
    json!({"name": name, "description": description, "note": note, "expect": expect})
}

fn consortium_files(f: &Fixture) -> Vec<Value> {
    let all: Vec<_> = (0..4).map(|i| f.signer(i)).collect();
    let c = &f.consortium;
    let mut cases = vec![
        file_case(
            "consortium-valid",
            "signed by three of the four members (the threshold)",
            c.signed_note(&all[..3]),
            "ok",
        ),
        file_case(
            "consortium-signed-by-all",
            "signed by every member",
            c.signed_note(&all),
            "ok",
        ),
        file_case(
            "consortium-below-threshold",
            "signed by two members only",
            c.signed_note(&all[..2]),
            "BadConsortium",
        ),
        file_case(
            "consortium-member-signs-twice",
            "two members, one of them twice: two signers",
            c.signed_note(&[all[0], all[1], all[0]]),
            "BadConsortium",
        ),
        file_case(
            "consortium-stranger-signs",
            "two members and a key that is not a member's",
            c.signed_note(&[all[0], all[1], ("hospital-x.example", &f.stranger)]),
            "BadConsortium",
        ),
    ];
    // The body changed after it was signed.
    let tampered = c.signed_note(&all).replace("threshold 3", "threshold 4");
    cases.push(file_case(
        "consortium-tampered",
        "the threshold changed after the members signed",
        tampered,
        "BadConsortium",
    ));
    // Rules: a threshold that is not a strict majority; a member twice; non-canonical text.
    let mut weak = c.clone();
    weak.threshold = 2;
    cases.push(file_case(
        "consortium-threshold-not-majority",
        "k = 2 of 4: two disjoint quorums could sign different roots",
        weak.signed_note(&all),
        "BadConsortium",
    ));
    let mut twice = c.clone();
    twice.members[3].key = twice.members[0].key.clone();
    cases.push(file_case(
        "consortium-duplicate-key",
        "two members with the same key",
        twice.signed_note(&all),
        "BadConsortium",
    ));
    let padded = c.signed_note(&all).replace("threshold 3", "threshold 03");
    cases.push(file_case(
        "consortium-non-canonical",
        "a number with a leading zero",
        padded,
        "BadConsortium",
    ));
    let version = c
        .signed_note(&all)
        .replace("semres consortium v1", "semres consortium v2");
    cases.push(file_case(
        "consortium-unknown-version",
        "a version this reader does not know",
        version,
        "MalformedLedgerData",
    ));
    cases
}

fn checkpoint_case(name: &str, description: &str, note: String, expect: Value) -> Value {
    json!({"name": name, "description": description, "note": note, "expect": expect})
}

fn cosigned_checkpoints(f: &Fixture) -> Vec<Value> {
    let cp = f.checkpoint(12, 0x11);
    let ok = |who: &[&str]| json!({"cosigners": who});
    let mut cases = vec![
        checkpoint_case(
            "cosigned-4-of-4",
            "every member cosigned",
            f.cosigned(&cp, &[0, 1, 2, 3]),
            ok(&NAMES),
        ),
        checkpoint_case(
            "cosigned-3-of-4",
            "the threshold exactly",
            f.cosigned(&cp, &[3, 0, 2]),
            ok(&[NAMES[0], NAMES[2], NAMES[3]]),
        ),
        checkpoint_case(
            "cosigned-2-of-4",
            "below the threshold",
            f.cosigned(&cp, &[0, 1]),
            json!("BadCheckpoint"),
        ),
        checkpoint_case(
            "cosigned-duplicate-signer",
            "member A twice and member B: two distinct cosigners",
            f.cosigned(&cp, &[0, 0, 1]),
            json!("BadCheckpoint"),
        ),
    ];
    // An unknown cosigner beside two members.
    let mut unknown = f.cosigned(&cp, &[0, 1]);
    unknown.push_str(&Consortium::cosign(
        &cp,
        "hospital-x.example",
        &f.stranger,
        COSIGNED_AT,
    ));
    cases.push(checkpoint_case(
        "cosigned-unknown-signer",
        "two members and a stranger",
        unknown,
        json!("BadCheckpoint"),
    ));
    // One member forges a root: its own cosignature on the forged root is valid, the others'
    // lines (copied from the real checkpoint) are not.
    let real = f.cosigned(&cp, &[0, 1, 2]);
    let forged_cp = f.checkpoint(12, 0x66);
    let lines: String = real
        .split_once("\n\n")
        .map(|(_, l)| l.to_owned())
        .unwrap_or_default();
    let (name, key) = f.signer(3);
    let forged = format!(
        "{}\n{lines}{}",
        forged_cp.body(),
        Consortium::cosign(&forged_cp, name, key, COSIGNED_AT)
    );
    cases.push(checkpoint_case(
        "cosigned-forged-root",
        "a root forged by member D, with the other members' lines copied from the real one",
        forged,
        json!("BadCheckpoint"),
    ));
    // Another log's origin, cosigned by every member.
    let other = Checkpoint {
        origin: "semres.example/another-ledger".into(),
        ..cp.clone()
    };
    cases.push(checkpoint_case(
        "cosigned-wrong-origin",
        "every member cosigned a checkpoint of another log",
        f.cosigned(&other, &[0, 1, 2, 3]),
        json!("BadCheckpoint"),
    ));
    // Plain note signatures (a log's own signature, not a cosignature) do not count.
    let mut plain = format!("{}\n", cp.body());
    for i in 0..3 {
        let (name, key) = f.signer(i);
        let mut blob = semres::ledger::checkpoint::key_hash(name, key.public_key()).to_vec();
        blob.extend_from_slice(&key.sign(cp.body().as_bytes()));
        plain.push_str(&format!(
            "\u{2014} {name} {}\n",
            Base64::encode_string(&blob)
        ));
    }
    cases.push(checkpoint_case(
        "cosigned-plain-signatures",
        "three members' plain note signatures, not cosignature/v1",
        plain,
        json!("BadCheckpoint"),
    ));
    cases
}

fn equivocations(f: &Fixture) -> Vec<Value> {
    let a = f.cosigned(&f.checkpoint(12, 0x11), &[0, 1, 2]);
    let b = f.cosigned(&f.checkpoint(12, 0x22), &[2, 3]);
    let c = f.cosigned(&f.checkpoint(13, 0x22), &[0, 1, 2, 3]);
    let a2 = f.cosigned(&f.checkpoint(12, 0x11), &[3]);
    vec![
        json!({"name": "equivocation-fork", "description": "size 12 with two roots; C cosigned both",
               "a": a, "b": b, "expect": {"size": 12, "signed_both": [NAMES[2]]}}),
        json!({"name": "equivocation-none-same-root", "description": "the same checkpoint, other cosigners",
               "a": a, "b": a2, "expect": null}),
        json!({"name": "equivocation-none-other-size", "description": "different sizes are not a fork by themselves",
               "a": a, "b": c, "expect": null}),
    ]
}

/// The time of the replay's Ethereum blocks: one every 2 s from here.
const ETHEREUM_T0: i64 = 1_795_564_800;

/// One `Appended` log as a node reads it: seq, the entry bytes, where it is, the block time.
struct Log {
    seq: u64,
    entry: Vec<u8>,
    anchor: Anchor,
    time: i64,
}

fn log(seq: u64, entry: Vec<u8>, ethereum_block: u64, log_index: u64) -> Log {
    let mut block_hash = [0u8; 32];
    block_hash[..8].copy_from_slice(&ethereum_block.to_be_bytes());
    block_hash[31] = 0xb1;
    let mut transaction_hash = [0u8; 32];
    transaction_hash[..8].copy_from_slice(&seq.to_be_bytes());
    transaction_hash[31] = 0x7a;
    Log {
        seq,
        entry,
        anchor: Anchor {
            chain_id: 1337,
            block_number: ethereum_block,
            block_hash,
            transaction_hash,
            log_index,
            seq,
        },
        time: ETHEREUM_T0 + 2 * i64::try_from(ethereum_block).unwrap_or(0),
    }
}

fn anchor_json(a: &Anchor) -> Value {
    json!({
        "chain_id": a.chain_id, "block_number": a.block_number,
        "block_hash": semres::hex::encode(&a.block_hash),
        "transaction_hash": semres::hex::encode(&a.transaction_hash),
        "log_index": a.log_index, "seq": a.seq,
    })
}

/// The replay story: registrations (a clinician admitted by member A), a grant, an access —
/// and, written straight to the contract past every node's check, an entry that does not
/// decode, a repeat, a grant of another's record, a change of authorities and an entry
/// dated a week before the chain's head. Every node skips those five, with these codes.
fn replay(f: &mut Fixture) -> Result<(Value, Vec<Block>), String> {
    let t = ETHEREUM_T0;
    let nonce = |rng: &mut ChaCha20Rng| {
        let mut n = [0u8; 16];
        rand_core::Rng::fill_bytes(rng, &mut n);
        n
    };
    let rsa = |i: u64| crate::fixtures::rsa_key(100 + i);
    let david = SigningPrivateKey::generate(&mut f.rng).map_err(err)?;
    let lawson = SigningPrivateKey::generate(&mut f.rng).map_err(err)?;
    let register = |key: &SigningPrivateKey, role: Role, i: u64, rng: &mut ChaCha20Rng| {
        Entry::signed(
            key,
            t,
            nonce(rng),
            EntryBody::Register {
                role,
                signing_key: key.public_key().to_bytes(),
                encryption_key: rsa(i)?,
            },
        )
        .map_err(err)
    };
    let reg_david = register(&david, Role::Patient, 1, &mut f.rng)?;
    let reg_lawson = register(&lawson, Role::Clinician, 2, &mut f.rng)?
        .sign(&f.keys[0])
        .map_err(err)?;
    let smer_hash = [0x5e; 32];
    // The record granted to Lawson, signed by `by` (its owner David, or Lawson himself).
    let grant_by = |by: &SigningPrivateKey, rng: &mut ChaCha20Rng| {
        Entry::signed(
            by,
            t + 4,
            nonce(rng),
            EntryBody::Grant {
                smer_hash,
                data_index: semres::dery::data_index(&smer_hash),
                recipient: lawson.key_id().into(),
                expires: None,
            },
        )
        .map_err(err)
    };
    let grant = grant_by(&david, &mut f.rng)?;
    let stolen = grant_by(&lawson, &mut f.rng)?;
    let change = Entry::signed(
        &f.keys[0],
        t + 4,
        nonce(&mut f.rng),
        EntryBody::AuthorityChange {
            add: true,
            authority: f.stranger.public_key().to_bytes(),
        },
    )
    .map_err(err)?;
    let access = Entry::signed(
        &lawson,
        t + 8,
        nonce(&mut f.rng),
        EntryBody::Access {
            grant: grant.hash(),
        },
    )
    .map_err(err)?;
    let backdated = Entry::signed(
        &lawson,
        t - 8 * 86_400,
        nonce(&mut f.rng),
        EntryBody::Access {
            grant: grant.hash(),
        },
    )
    .map_err(err)?;
    // (entry bytes, Ethereum block, log index): two entries share Ethereum block 3.
    let written: Vec<(Vec<u8>, u64, u64)> = vec![
        (reg_david.to_bytes(), 1, 0),
        (reg_lawson.to_bytes(), 2, 0),
        (b"not an entry".to_vec(), 3, 0),
        (grant.to_bytes(), 3, 1),
        (grant.to_bytes(), 4, 0),
        (stolen.to_bytes(), 4, 2),
        (change.to_bytes(), 5, 0),
        (backdated.to_bytes(), 6, 0),
        (access.to_bytes(), 6, 1),
    ];
    let logs: Vec<Log> = written
        .into_iter()
        .zip(0u64..)
        .map(|((entry, block, index), seq)| log(seq, entry, block, index))
        .collect();
    let mut state = LedgerState::consortium(&f.consortium).map_err(err)?;
    let mut blocks = Vec::new();
    let mut skipped = Vec::new();
    for l in &logs {
        match state.apply_anchored(&l.entry, l.anchor, l.time) {
            Ok(block) => blocks.push(block),
            Err(e) => skipped.push(json!({"seq": l.seq, "code": e.code().name()})),
        }
    }
    let size = state.size();
    let checkpoint = Checkpoint {
        origin: ORIGIN.into(),
        size,
        root: state.tree().root(size).unwrap_or_default(),
    };
    let doc = json!({
        "description": "Appended logs of the contract, in chain order, replayed from the \
                        consortium's empty state (SPEC §6.5): the anchored blocks every node \
                        derives, the entries every node skips with their codes, and the \
                        checkpoint body of the result.",
        "logs": logs.iter().map(|l| json!({
            "seq": l.seq, "entry": b64::encode(&l.entry), "anchor": anchor_json(&l.anchor),
            "ethereum_time": l.time,
        })).collect::<Vec<_>>(),
        "blocks": blocks.iter().map(|b| b64::encode(&b.to_bytes())).collect::<Vec<_>>(),
        "skipped": skipped,
        "checkpoint_body": checkpoint.body(),
        "cosigned_checkpoint": f.cosigned(&checkpoint, &[0, 1, 2]),
    });
    Ok((doc, blocks))
}

/// Anchored chains with one fault, and the index and code a verifier must report.
fn anchored_chains(f: &Fixture, good: &[Block]) -> Vec<Value> {
    let encode = |blocks: &[Block]| -> Vec<String> {
        blocks.iter().map(|b| b64::encode(&b.to_bytes())).collect()
    };
    // Re-link `blocks` after a change at `from`, so that only the intended fault remains.
    let relink = |mut blocks: Vec<Block>| -> Vec<Block> {
        for i in 1..blocks.len() {
            blocks[i].previous_hash = blocks[i - 1].hash();
        }
        blocks
    };
    let mut cases = vec![json!({"name": "anchored-valid", "blocks": encode(good), "expect": "ok"})];
    let mut other_chain = good.to_vec();
    if let semres::ledger::block::Seal::Anchor(a) = &mut other_chain[2].seal {
        a.chain_id = 1;
    }
    cases.push(
        json!({"name": "anchored-other-chain", "blocks": encode(&relink(other_chain)),
                      "expect": {"index": 2, "code": "BadAnchor"}}),
    );
    let mut backwards = good.to_vec();
    if let semres::ledger::block::Seal::Anchor(a) = &mut backwards[3].seal {
        a.block_number = 1;
    }
    cases.push(
        json!({"name": "anchored-position-backwards", "blocks": encode(&relink(backwards)),
                      "expect": {"index": 3, "code": "BadAnchor"}}),
    );
    let mut sealed = good.to_vec();
    sealed[1] = Block::seal(
        1,
        sealed[0].hash(),
        sealed[1].time,
        sealed[1].entry.clone(),
        &f.keys[0],
    );
    cases.push(
        json!({"name": "anchored-sealed-block-mixed-in", "blocks": encode(&relink(sealed)),
                      "expect": {"index": 1, "code": "UnknownAuthority"}}),
    );
    let mut reordered = good.to_vec();
    reordered.swap(1, 2);
    cases.push(
        json!({"name": "anchored-reordered", "blocks": encode(&reordered),
                      "expect": {"index": 1, "code": "BadBlockNumber"}}),
    );
    cases
}

/// Generates `consortium_v1.json`.
pub fn generate_consortium() -> Result<String, String> {
    let mut f = fixture()?;
    let (replay, blocks) = replay(&mut f)?;
    let anchored = anchored_chains(&f, &blocks);
    let all: Vec<_> = (0..4).map(|i| f.signer(i)).collect();
    let doc = json!({
        "description": "SEMRES consortium files and k-of-n cosigned checkpoints (SPEC.md §6): \
                        four member hospitals, threshold 3. `expect` is \"ok\" (with the \
                        cosigners found) or the error code a verifier must return.",
        "generator": crate::vectors::GENERATOR,
        "seed": String::from_utf8_lossy(&SEED),
        "consortium": f.consortium.signed_note(&all[..3]),
        "consortium_files": consortium_files(&f),
        "checkpoints": cosigned_checkpoints(&f),
        "equivocations": equivocations(&f),
        "replay": replay,
        "anchored_chains": anchored,
    });
    serde_json::to_string_pretty(&doc)
        .map(|s| s + "\n")
        .map_err(err)
}
