//! The seeded generator of the consortium vectors (`tests/vectors/ledger/consortium_v1.json`,
//! SPEC.md §6): four member hospitals with a threshold of three; consortium files that are
//! valid or break one rule; cosigned checkpoints above, at and below the threshold, with a
//! member twice, an unknown cosigner, a root forged by one member, the wrong origin or the
//! wrong kind of signature; and pairs of checkpoints that are, or are not, equivocation.
//!
//! Every key comes from one seeded generator, drawn in a fixed order (members, then the
//! stranger); signatures are deterministic (Ed25519).

use base64ct::{Base64, Encoding};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use semres::identity::signing::SigningPrivateKey;
use semres::ledger::checkpoint::Checkpoint;
use semres::ledger::consortium::{Consortium, Member};
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

/// Generates `consortium_v1.json`.
pub fn generate_consortium() -> Result<String, String> {
    let f = fixture()?;
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
    });
    serde_json::to_string_pretty(&doc)
        .map(|s| s + "\n")
        .map_err(err)
}
