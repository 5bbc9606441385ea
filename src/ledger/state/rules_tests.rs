//! Every rule of SPEC.md §4.2, as a table: a world in which the paper's story has happened
//! (authorities A, B, C; patient David, admitted clinician Lawson, patient Mallory; David's
//! grant of one SMeR to Lawson, Lawson's care entry under it), then one row per rule — the
//! entries applied first, the entry under test, and the outcome the rules demand.

use rand_chacha::ChaCha20Rng;
use rand_core::{Rng, SeedableRng};

use super::*;
use crate::ceda::EncryptionPrivateKey;
use crate::identity::signing::SigningPrivateKey;

const T0: i64 = 1_795_564_800;

struct World {
    a: SigningPrivateKey,
    b: SigningPrivateKey,
    c: SigningPrivateKey,
    david: SigningPrivateKey,
    lawson: SigningPrivateKey,
    mallory: SigningPrivateKey,
    eve: SigningPrivateKey,
    /// An RSA key (SPKI) for each of david, lawson, mallory, eve, and one more.
    spki: Vec<Vec<u8>>,
    smer: Hash,
    grant: Hash,
    care: Hash,
    state: LedgerState,
    rng: ChaCha20Rng,
}

impl World {
    fn nonce(&mut self) -> [u8; 16] {
        let mut n = [0u8; 16];
        self.rng.fill_bytes(&mut n);
        n
    }

    /// An entry by `who` with a fresh nonce at time T0 + 10.
    fn entry(&mut self, who: &SigningPrivateKey, body: EntryBody) -> Entry {
        let nonce = self.nonce();
        Entry::signed(who, T0 + 10, nonce, body).unwrap()
    }

    /// Each participant's own RSA key (by position: david, lawson, mallory, eve).
    fn rsa_of(&self, who: &SigningPrivateKey) -> Vec<u8> {
        let people = [&self.david, &self.lawson, &self.mallory, &self.eve];
        let i = people
            .iter()
            .position(|p| p.key_id() == who.key_id())
            .unwrap_or(4);
        self.spki[i].clone()
    }

    fn register_with(&mut self, who: &SigningPrivateKey, role: Role, rsa: Vec<u8>) -> Entry {
        let body = EntryBody::Register {
            role,
            signing_key: who.public_key().to_bytes(),
            encryption_key: rsa,
        };
        self.entry(who, body)
    }

    fn register(&mut self, who: &SigningPrivateKey, role: Role) -> Entry {
        let rsa = self.rsa_of(who);
        self.register_with(who, role, rsa)
    }

    fn grant(&mut self, owner: &SigningPrivateKey, smer: Hash, to: &SigningPrivateKey) -> Entry {
        let body = EntryBody::Grant {
            smer_hash: smer,
            data_index: crate::dery::data_index(&smer),
            recipient: to.key_id().to_owned(),
            expires: None,
        };
        self.entry(owner, body)
    }

    fn payment(&mut self, payer: &SigningPrivateKey, payee: &SigningPrivateKey) -> Entry {
        let body = EntryBody::Payment {
            care: self.care,
            amount: 412,
            currency: "NHI-points".into(),
            payer: payer.key_id().to_owned(),
            payee: payee.key_id().to_owned(),
            reference: "claim".into(),
        };
        self.entry(payer, body)
    }

    /// Seals and applies `entry` as the next block (by authority A at T0 + 10).
    fn apply(&mut self, entry: Entry) -> LedgerResult<()> {
        let a = self.a.clone();
        self.state.seal_next(entry, T0 + 10, &a).map(|_| ())
    }

    fn new() -> World {
        let mut rng = ChaCha20Rng::seed_from_u64(42);
        let key = |rng: &mut ChaCha20Rng| SigningPrivateKey::generate(rng).unwrap();
        let (a, b, c) = (key(&mut rng), key(&mut rng), key(&mut rng));
        let (david, lawson, mallory, eve) =
            (key(&mut rng), key(&mut rng), key(&mut rng), key(&mut rng));
        // RSA keys are slow to make: made once for every row.
        static SPKI: std::sync::OnceLock<Vec<Vec<u8>>> = std::sync::OnceLock::new();
        let spki = SPKI
            .get_or_init(|| {
                let mut rng = ChaCha20Rng::seed_from_u64(7);
                (0..5)
                    .map(|_| {
                        EncryptionPrivateKey::generate(&mut rng, 2048)
                            .unwrap()
                            .public_key()
                            .to_spki_der()
                            .unwrap()
                    })
                    .collect()
            })
            .clone();
        let genesis = genesis_block("rules", &[&a, &b, &c], T0, [0; 16]).unwrap();
        let state = LedgerState::genesis(&genesis).unwrap();
        let mut w = World {
            a,
            b,
            c,
            david,
            lawson,
            mallory,
            eve,
            spki,
            smer: crate::dery::smer_hash(b"David's record"),
            grant: [0; 32],
            care: [0; 32],
            state,
            rng,
        };
        let (david, lawson, mallory, a) = (
            w.david.clone(),
            w.lawson.clone(),
            w.mallory.clone(),
            w.a.clone(),
        );
        let e = w.register(&david, Role::Patient);
        w.apply(e).unwrap();
        let e = w.register(&lawson, Role::Clinician).sign(&a).unwrap();
        w.apply(e).unwrap();
        let e = w.register(&mallory, Role::Patient);
        w.apply(e).unwrap();
        let grant = w.grant(&david, w.smer, &lawson);
        w.grant = grant.hash();
        w.apply(grant).unwrap();
        let care = w.entry(
            &lawson,
            EntryBody::Care {
                grant: w.grant,
                smer_hash: crate::dery::smer_hash(b"care note"),
                data_index: "dery:care".into(),
            },
        );
        w.care = care.hash();
        w.apply(care).unwrap();
        w
    }
}

/// A rule: what is applied first, the entry under test, and the outcome.
struct Row {
    rule: &'static str,
    before: fn(&mut World) -> Vec<Entry>,
    entry: fn(&mut World) -> Entry,
    expect: LedgerResult<()>,
}

fn none(_: &mut World) -> Vec<Entry> {
    Vec::new()
}

fn revoke_grant(w: &mut World) -> Vec<Entry> {
    let david = w.david.clone();
    let grant = w.grant;
    vec![w.entry(&david, EntryBody::Revoke { grant })]
}

fn name_mallory(w: &mut World) -> Vec<Entry> {
    let david = w.david.clone();
    let body = EntryBody::Payer {
        add: true,
        payer: w.mallory.key_id().to_owned(),
    };
    vec![w.entry(&david, body)]
}

fn erase_smer(w: &mut World) -> Vec<Entry> {
    let david = w.david.clone();
    let smer_hash = w.smer;
    vec![w.entry(&david, EntryBody::Erase { smer_hash })]
}

fn rows() -> Vec<Row> {
    use LedgerError::*;
    vec![
        // ---- every entry ----
        Row {
            rule: "a signature by an unknown key",
            before: none,
            entry: |w| {
                let (david, eve) = (w.david.clone(), w.eve.clone());
                let smer = crate::dery::smer_hash(b"other");
                let lawson = w.lawson.clone();
                w.grant(&david, smer, &lawson).sign(&eve).unwrap()
            },
            expect: Err(BadSignature),
        },
        Row {
            rule: "a signature that does not verify",
            before: none,
            entry: |w| {
                let (david, lawson) = (w.david.clone(), w.lawson.clone());
                let smer = crate::dery::smer_hash(b"other");
                let mut e = w.grant(&david, smer, &lawson);
                e.signatures_mut()[0].signature[0] ^= 1;
                e
            },
            expect: Err(BadSignature),
        },
        Row {
            rule: "a signer listed twice",
            before: none,
            entry: |w| {
                let (david, lawson) = (w.david.clone(), w.lawson.clone());
                let smer = crate::dery::smer_hash(b"other");
                w.grant(&david, smer, &lawson).sign(&david).unwrap()
            },
            expect: Err(Duplicate),
        },
        Row {
            rule: "the signer's own signature is missing",
            before: none,
            entry: |w| {
                let (david, mallory) = (w.david.clone(), w.mallory.clone());
                let smer = crate::dery::smer_hash(b"other");
                let nonce = w.nonce();
                let body = EntryBody::Erase { smer_hash: smer };
                Entry::new(david.key_id(), T0, nonce, body)
                    .unwrap()
                    .sign(&mallory)
                    .unwrap()
            },
            expect: Err(MissingSignature),
        },
        Row {
            rule: "an entry already on the chain (replay)",
            before: none,
            entry: |w| {
                let david = w.david.clone();
                let body = EntryBody::Revoke { grant: w.grant };
                let e = w.entry(&david, body);
                w.apply(e.clone()).unwrap();
                e
            },
            expect: Err(Duplicate),
        },
        Row {
            rule: "an entry dated more than 300 s after its block",
            before: none,
            entry: |w| {
                let (david, nonce) = (w.david.clone(), w.nonce());
                let body = EntryBody::Revoke { grant: w.grant };
                Entry::signed(&david, T0 + 10 + MAX_ENTRY_SKEW + 1, nonce, body).unwrap()
            },
            expect: Err(BadTime),
        },
        Row {
            rule: "an entry dated exactly 300 s after its block",
            before: none,
            entry: |w| {
                let (david, nonce) = (w.david.clone(), w.nonce());
                let body = EntryBody::Revoke { grant: w.grant };
                Entry::signed(&david, T0 + 10 + MAX_ENTRY_SKEW, nonce, body).unwrap()
            },
            expect: Ok(()),
        },
        Row {
            rule: "an entry dated more than a day before the block before its own",
            before: none,
            entry: |w| {
                let (david, nonce) = (w.david.clone(), w.nonce());
                let body = EntryBody::Revoke { grant: w.grant };
                let too_old = w.state.last_time() - MAX_ENTRY_AGE - 1;
                Entry::signed(&david, too_old, nonce, body).unwrap()
            },
            expect: Err(BadTime),
        },
        Row {
            rule: "an entry dated exactly a day before the block before its own",
            before: none,
            entry: |w| {
                let (david, nonce) = (w.david.clone(), w.nonce());
                let body = EntryBody::Revoke { grant: w.grant };
                let oldest = w.state.last_time() - MAX_ENTRY_AGE;
                Entry::signed(&david, oldest, nonce, body).unwrap()
            },
            expect: Ok(()),
        },
        // ---- genesis ----
        Row {
            rule: "a genesis entry after block 0",
            before: none,
            entry: |w| {
                let (a, nonce) = (w.a.clone(), w.nonce());
                let body = EntryBody::Genesis {
                    chain_id: "again".into(),
                    authorities: vec![a.public_key().to_bytes()],
                };
                Entry::signed(&a, T0, nonce, body).unwrap()
            },
            expect: Err(BadGenesis),
        },
        // ---- register ----
        Row {
            rule: "a patient registers itself",
            before: none,
            entry: |w| {
                let eve = w.eve.clone();
                w.register(&eve, Role::Patient)
            },
            expect: Ok(()),
        },
        Row {
            rule: "register signed by a key other than the one it registers",
            before: none,
            entry: |w| {
                let (eve, mallory, nonce) = (w.eve.clone(), w.mallory.clone(), w.nonce());
                let body = EntryBody::Register {
                    role: Role::Patient,
                    signing_key: eve.public_key().to_bytes(),
                    encryption_key: w.spki[3].clone(),
                };
                Entry::signed(&mallory, T0, nonce, body).unwrap()
            },
            expect: Err(Malformed("register signer is not the key's id")),
        },
        Row {
            rule: "a participant registers another participant's RSA key",
            before: none,
            entry: |w| {
                let (eve, davids) = (w.eve.clone(), w.spki[0].clone());
                w.register_with(&eve, Role::Patient, davids)
            },
            expect: Err(Duplicate),
        },
        Row {
            rule: "a participant registers twice",
            before: none,
            entry: |w| {
                let david = w.david.clone();
                w.register(&david, Role::Patient)
            },
            expect: Err(Duplicate),
        },
        Row {
            rule: "a clinician without an authority's admission",
            before: none,
            entry: |w| {
                let eve = w.eve.clone();
                w.register(&eve, Role::Clinician)
            },
            expect: Err(MissingSignature),
        },
        Row {
            rule: "a clinician admitted by a patient, not an authority",
            before: none,
            entry: |w| {
                let (eve, david) = (w.eve.clone(), w.david.clone());
                w.register(&eve, Role::Clinician).sign(&david).unwrap()
            },
            expect: Err(MissingSignature),
        },
        Row {
            rule: "an authority without an authority's admission",
            before: none,
            entry: |w| {
                let eve = w.eve.clone();
                w.register(&eve, Role::Authority)
            },
            expect: Err(MissingSignature),
        },
        Row {
            rule: "a register whose RSA key is not an SPKI",
            before: none,
            entry: |w| {
                let (eve, nonce) = (w.eve.clone(), w.nonce());
                let body = EntryBody::Register {
                    role: Role::Patient,
                    signing_key: eve.public_key().to_bytes(),
                    encryption_key: vec![0x30, 0x00],
                };
                Entry::signed(&eve, T0, nonce, body).unwrap()
            },
            expect: Err(Malformed("register encryption key is not an RSA SPKI")),
        },
        // ---- grant ----
        Row {
            rule: "a grant by an unregistered signer",
            before: none,
            entry: |w| {
                let (eve, lawson) = (w.eve.clone(), w.lawson.clone());
                let body = EntryBody::Grant {
                    smer_hash: [7; 32],
                    data_index: "x".into(),
                    recipient: lawson.key_id().to_owned(),
                    expires: None,
                };
                let nonce = w.nonce();
                Entry::signed(&eve, T0, nonce, body).unwrap()
            },
            // The signer's key is unknown: its signature cannot be checked.
            expect: Err(BadSignature),
        },
        Row {
            rule: "a grant to an unregistered recipient",
            before: none,
            entry: |w| {
                let (david, eve) = (w.david.clone(), w.eve.clone());
                w.grant(&david, [7; 32], &eve)
            },
            expect: Err(NotRegistered),
        },
        Row {
            rule: "a later grant of a SMeR by someone other than its owner",
            before: none,
            entry: |w| {
                let (mallory, lawson, smer) = (w.mallory.clone(), w.lawson.clone(), w.smer);
                w.grant(&mallory, smer, &lawson)
            },
            expect: Err(NotAuthorized),
        },
        Row {
            rule: "a later grant by the owner",
            before: none,
            entry: |w| {
                let (david, mallory, smer) = (w.david.clone(), w.mallory.clone(), w.smer);
                w.grant(&david, smer, &mallory)
            },
            expect: Ok(()),
        },
        Row {
            rule: "a grant of an erased SMeR",
            before: erase_smer,
            entry: |w| {
                let (david, mallory, smer) = (w.david.clone(), w.mallory.clone(), w.smer);
                w.grant(&david, smer, &mallory)
            },
            expect: Err(GrantInactive),
        },
        // ---- revoke ----
        Row {
            rule: "a revoke of an unknown grant",
            before: none,
            entry: |w| {
                let david = w.david.clone();
                w.entry(&david, EntryBody::Revoke { grant: [9; 32] })
            },
            expect: Err(UnknownReference),
        },
        Row {
            rule: "a revoke by someone other than the grant's owner",
            before: none,
            entry: |w| {
                let (lawson, grant) = (w.lawson.clone(), w.grant);
                w.entry(&lawson, EntryBody::Revoke { grant })
            },
            expect: Err(NotAuthorized),
        },
        Row {
            rule: "a revoke of a revoked grant",
            before: revoke_grant,
            entry: |w| {
                let (david, grant) = (w.david.clone(), w.grant);
                w.entry(&david, EntryBody::Revoke { grant })
            },
            expect: Err(Duplicate),
        },
        // ---- access ----
        Row {
            rule: "an access receipt by the recipient of an active grant",
            before: none,
            entry: |w| {
                let (lawson, grant) = (w.lawson.clone(), w.grant);
                w.entry(&lawson, EntryBody::Access { grant })
            },
            expect: Ok(()),
        },
        Row {
            rule: "an access receipt by someone other than the recipient",
            before: none,
            entry: |w| {
                let (mallory, grant) = (w.mallory.clone(), w.grant);
                w.entry(&mallory, EntryBody::Access { grant })
            },
            expect: Err(NotAuthorized),
        },
        Row {
            rule: "an access receipt under a revoked grant",
            before: revoke_grant,
            entry: |w| {
                let (lawson, grant) = (w.lawson.clone(), w.grant);
                w.entry(&lawson, EntryBody::Access { grant })
            },
            expect: Err(GrantInactive),
        },
        Row {
            rule: "an access receipt under a grant whose SMeR is erased",
            before: erase_smer,
            entry: |w| {
                let (lawson, grant) = (w.lawson.clone(), w.grant);
                w.entry(&lawson, EntryBody::Access { grant })
            },
            expect: Err(GrantInactive),
        },
        Row {
            rule: "an access receipt under an expired grant",
            before: |w| {
                let (david, mallory) = (w.david.clone(), w.mallory.clone());
                let body = EntryBody::Grant {
                    smer_hash: [5; 32],
                    data_index: "x".into(),
                    recipient: mallory.key_id().to_owned(),
                    expires: Some(T0 + 5),
                };
                vec![w.entry(&david, body)]
            },
            entry: |w| {
                let mallory = w.mallory.clone();
                let grant = w
                    .state
                    .grants()
                    .find(|(_, g)| g.recipient == mallory.key_id())
                    .map(|(h, _)| *h)
                    .unwrap();
                w.entry(&mallory, EntryBody::Access { grant })
            },
            expect: Err(GrantInactive),
        },
        // ---- care ----
        Row {
            rule: "care under a revoked grant",
            before: revoke_grant,
            entry: |w| {
                let (lawson, grant) = (w.lawson.clone(), w.grant);
                let body = EntryBody::Care {
                    grant,
                    smer_hash: [3; 32],
                    data_index: "x".into(),
                };
                w.entry(&lawson, body)
            },
            expect: Err(GrantInactive),
        },
        Row {
            rule: "care by someone other than the grant's recipient",
            before: none,
            entry: |w| {
                let (mallory, grant) = (w.mallory.clone(), w.grant);
                let body = EntryBody::Care {
                    grant,
                    smer_hash: [3; 32],
                    data_index: "x".into(),
                };
                w.entry(&mallory, body)
            },
            expect: Err(NotAuthorized),
        },
        Row {
            rule: "care naming a SMeR the ledger already knows",
            before: none,
            entry: |w| {
                let (lawson, grant, smer) = (w.lawson.clone(), w.grant, w.smer);
                let body = EntryBody::Care {
                    grant,
                    smer_hash: smer,
                    data_index: "x".into(),
                };
                w.entry(&lawson, body)
            },
            expect: Err(Duplicate),
        },
        // ---- payment ----
        Row {
            rule: "a payment of the care by the patient to its clinician",
            before: none,
            entry: |w| {
                let (david, lawson) = (w.david.clone(), w.lawson.clone());
                w.payment(&david, &lawson)
            },
            expect: Ok(()),
        },
        Row {
            rule: "a payment of an unknown care entry",
            before: none,
            entry: |w| {
                let (david, lawson) = (w.david.clone(), w.lawson.clone());
                w.care = [8; 32];
                w.payment(&david, &lawson)
            },
            expect: Err(UnknownReference),
        },
        Row {
            rule: "a second payment of the same care",
            before: |w| {
                let (david, lawson) = (w.david.clone(), w.lawson.clone());
                vec![w.payment(&david, &lawson)]
            },
            entry: |w| {
                let (david, lawson) = (w.david.clone(), w.lawson.clone());
                w.payment(&david, &lawson)
            },
            expect: Err(Duplicate),
        },
        Row {
            rule: "a payment to someone other than the care's clinician",
            before: none,
            entry: |w| {
                let (david, mallory) = (w.david.clone(), w.mallory.clone());
                w.payment(&david, &mallory)
            },
            expect: Err(NotAuthorized),
        },
        Row {
            rule: "a payment whose payer is not its signer",
            before: none,
            entry: |w| {
                let (david, lawson, nonce) = (w.david.clone(), w.lawson.clone(), w.nonce());
                let body = EntryBody::Payment {
                    care: w.care,
                    amount: 1,
                    currency: "NHI-points".into(),
                    payer: w.mallory.key_id().to_owned(),
                    payee: lawson.key_id().to_owned(),
                    reference: "x".into(),
                };
                Entry::signed(&david, T0, nonce, body).unwrap()
            },
            expect: Err(NotAuthorized),
        },
        Row {
            rule: "a payment by someone the patient did not name",
            before: none,
            entry: |w| {
                let (mallory, lawson) = (w.mallory.clone(), w.lawson.clone());
                w.payment(&mallory, &lawson)
            },
            expect: Err(NotAuthorized),
        },
        Row {
            rule: "a payment by a payer the patient names",
            before: name_mallory,
            entry: |w| {
                let (mallory, lawson) = (w.mallory.clone(), w.lawson.clone());
                w.payment(&mallory, &lawson)
            },
            expect: Ok(()),
        },
        Row {
            rule: "a payment by a payer the patient no longer names",
            before: |w| {
                let mut entries = name_mallory(w);
                let david = w.david.clone();
                let body = EntryBody::Payer {
                    add: false,
                    payer: w.mallory.key_id().to_owned(),
                };
                entries.push(w.entry(&david, body));
                entries
            },
            entry: |w| {
                let (mallory, lawson) = (w.mallory.clone(), w.lawson.clone());
                w.payment(&mallory, &lawson)
            },
            expect: Err(NotAuthorized),
        },
        // ---- payer ----
        Row {
            rule: "a patient names a registered payer",
            before: none,
            entry: |w| name_mallory(w).remove(0),
            expect: Ok(()),
        },
        Row {
            rule: "a patient names the same payer twice",
            before: name_mallory,
            entry: |w| name_mallory(w).remove(0),
            expect: Err(Duplicate),
        },
        Row {
            rule: "a patient names itself",
            before: none,
            entry: |w| {
                let david = w.david.clone();
                let body = EntryBody::Payer {
                    add: true,
                    payer: david.key_id().to_owned(),
                };
                w.entry(&david, body)
            },
            expect: Err(Duplicate),
        },
        Row {
            rule: "a patient names an unregistered payer",
            before: none,
            entry: |w| {
                let david = w.david.clone();
                let body = EntryBody::Payer {
                    add: true,
                    payer: w.eve.key_id().to_owned(),
                };
                w.entry(&david, body)
            },
            expect: Err(NotRegistered),
        },
        Row {
            rule: "a patient stops naming a payer it never named",
            before: none,
            entry: |w| {
                let david = w.david.clone();
                let body = EntryBody::Payer {
                    add: false,
                    payer: w.mallory.key_id().to_owned(),
                };
                w.entry(&david, body)
            },
            expect: Err(UnknownReference),
        },
        Row {
            rule: "a clinician names a payer",
            before: none,
            entry: |w| {
                let lawson = w.lawson.clone();
                let body = EntryBody::Payer {
                    add: true,
                    payer: w.mallory.key_id().to_owned(),
                };
                w.entry(&lawson, body)
            },
            expect: Err(NotAuthorized),
        },
        // ---- erase ----
        Row {
            rule: "an erasure of an unknown SMeR",
            before: none,
            entry: |w| {
                let david = w.david.clone();
                w.entry(&david, EntryBody::Erase { smer_hash: [6; 32] })
            },
            expect: Err(UnknownReference),
        },
        Row {
            rule: "an erasure by someone other than the owner",
            before: none,
            entry: |w| {
                let (lawson, smer_hash) = (w.lawson.clone(), w.smer);
                w.entry(&lawson, EntryBody::Erase { smer_hash })
            },
            expect: Err(NotAuthorized),
        },
        Row {
            rule: "an erasure of an erased SMeR",
            before: erase_smer,
            entry: |w| {
                let (david, smer_hash) = (w.david.clone(), w.smer);
                w.entry(&david, EntryBody::Erase { smer_hash })
            },
            expect: Err(Duplicate),
        },
        Row {
            rule: "the patient erases the care SMeR it owns",
            before: none,
            entry: |w| {
                let david = w.david.clone();
                let smer_hash = crate::dery::smer_hash(b"care note");
                w.entry(&david, EntryBody::Erase { smer_hash })
            },
            expect: Ok(()),
        },
        // ---- authority change ----
        Row {
            rule: "an authority change by a majority (two of three)",
            before: none,
            entry: |w| {
                let (a, b, eve) = (w.a.clone(), w.b.clone(), w.eve.clone());
                let body = EntryBody::AuthorityChange {
                    add: true,
                    authority: eve.public_key().to_bytes(),
                };
                w.entry(&a, body).sign(&b).unwrap()
            },
            expect: Ok(()),
        },
        Row {
            rule: "an authority change by a minority (one of three)",
            before: none,
            entry: |w| {
                let (a, eve) = (w.a.clone(), w.eve.clone());
                let body = EntryBody::AuthorityChange {
                    add: true,
                    authority: eve.public_key().to_bytes(),
                };
                w.entry(&a, body)
            },
            expect: Err(MissingSignature),
        },
        Row {
            rule: "an authority change signed by a participant",
            before: none,
            entry: |w| {
                let (david, a, b, eve) = (w.david.clone(), w.a.clone(), w.b.clone(), w.eve.clone());
                let body = EntryBody::AuthorityChange {
                    add: true,
                    authority: eve.public_key().to_bytes(),
                };
                w.entry(&david, body).sign(&a).unwrap().sign(&b).unwrap()
            },
            expect: Err(NotAuthorized),
        },
        Row {
            rule: "adding an authority already in the set",
            before: none,
            entry: |w| {
                let (a, b, c) = (w.a.clone(), w.b.clone(), w.c.clone());
                let body = EntryBody::AuthorityChange {
                    add: true,
                    authority: c.public_key().to_bytes(),
                };
                w.entry(&a, body).sign(&b).unwrap()
            },
            expect: Err(Duplicate),
        },
        Row {
            rule: "removing a key that is not an authority",
            before: none,
            entry: |w| {
                let (a, b, eve) = (w.a.clone(), w.b.clone(), w.eve.clone());
                let body = EntryBody::AuthorityChange {
                    add: false,
                    authority: eve.public_key().to_bytes(),
                };
                w.entry(&a, body).sign(&b).unwrap()
            },
            expect: Err(UnknownReference),
        },
        Row {
            rule: "removing the last authority",
            before: |w| {
                let (a, b, c) = (w.a.clone(), w.b.clone(), w.c.clone());
                let remove = |w: &mut World, who: &SigningPrivateKey| {
                    let body = EntryBody::AuthorityChange {
                        add: false,
                        authority: who.public_key().to_bytes(),
                    };
                    w.entry(&a, body).sign(&b).unwrap()
                };
                let first = remove(w, &c);
                // With A and B left, removing B needs both.
                let second = remove(w, &b);
                vec![first, second]
            },
            entry: |w| {
                let a = w.a.clone();
                let body = EntryBody::AuthorityChange {
                    add: false,
                    authority: a.public_key().to_bytes(),
                };
                w.entry(&a, body)
            },
            expect: Err(NotAuthorized),
        },
    ]
}

#[test]
fn every_rule_of_section_4_2() {
    let mut failures = Vec::new();
    for row in rows() {
        let mut w = World::new();
        for e in (row.before)(&mut w) {
            if let Err(error) = w.apply(e) {
                failures.push(format!("{}: set-up refused: {error:?}", row.rule));
            }
        }
        let entry = (row.entry)(&mut w);
        let size = w.state.size();
        let got = w.apply(entry);
        if got != row.expect {
            failures.push(format!(
                "{}: expected {:?}, got {got:?}",
                row.rule, row.expect
            ));
        }
        // A refused entry changes nothing.
        if got.is_err() && w.state.size() != size {
            failures.push(format!("{}: a refused entry changed the state", row.rule));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
