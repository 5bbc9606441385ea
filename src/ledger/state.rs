//! The one ledger verifier (SPEC.md §4.4), used by the browser, the auditor page and the
//! endpoint alike: applies blocks in order to a [`LedgerState`] and refuses the first that
//! breaks a rule — numbering and links, time, the Proof-of-Authority seal by the authority
//! set in force at that height, every entry signature, ownership, grants, replays.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use super::block::{Anchor, Block, Seal};
use super::consortium::Consortium;
use super::entry::{Entry, EntryBody, Role};
use super::error::{LedgerError, LedgerResult};
use super::merkle::{leaf_hash, Hash, MerkleTree};
use crate::ceda::EncryptionPublicKey;
use crate::identity::signing::SigningPublicKey;

/// How far an entry's own time may be after its block's time (clock skew), seconds.
pub const MAX_ENTRY_SKEW: i64 = 300;
/// How far an entry's own time may be before the time of the block before its own,
/// seconds: an entry cannot be dated further back than a day before the chain's head.
pub const MAX_ENTRY_AGE: i64 = 86_400;

/// A registered participant.
#[derive(Debug, Clone)]
pub struct Participant {
    /// Role.
    pub role: Role,
    /// Ed25519 key (its id is the participant's key id).
    pub signing: SigningPublicKey,
    /// RSA encryption key: the key SMeRs for this participant are sealed to.
    pub encryption: EncryptionPublicKey,
    /// Number of the block that registered it (clients check that block to trust the keys).
    pub block: u64,
}

/// A grant as the ledger knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantRecord {
    /// Owner (grantor) key id.
    pub owner: String,
    /// Authorized person's key id.
    pub recipient: String,
    /// The SMeR.
    pub smer_hash: Hash,
    /// Data index.
    pub data_index: String,
    /// Expiry, if any.
    pub expires: Option<i64>,
    /// Revoked by the owner.
    pub revoked: bool,
    /// Number of the block that carries the grant (for its inclusion proof).
    pub block: u64,
}

#[derive(Debug, Clone)]
struct SmerRecord {
    owner: String,
    erased: bool,
}

#[derive(Debug, Clone)]
struct CareRecord {
    clinician: String,
    /// The patient the care is for (the grant's owner).
    patient: String,
    paid: bool,
}

/// The state after a verified prefix of the chain.
#[derive(Debug, Clone)]
pub struct LedgerState {
    chain_id: String,
    next_number: u64,
    last_hash: Hash,
    last_time: i64,
    authorities: BTreeMap<String, SigningPublicKey>,
    participants: BTreeMap<String, Participant>,
    smers: BTreeMap<Hash, SmerRecord>,
    grants: BTreeMap<Hash, GrantRecord>,
    grants_by_smer: BTreeMap<Hash, Vec<Hash>>,
    cares: BTreeMap<Hash, CareRecord>,
    /// Payers each patient names: (patient, payer).
    payers: BTreeSet<(String, String)>,
    /// Key ids of the registered RSA encryption keys: one participant each.
    encryption_keys: BTreeSet<String>,
    seen: HashSet<Hash>,
    tree: MerkleTree,
    /// For a consortium's ledger: where its entries are anchored, and the last anchor.
    anchoring: Option<Anchoring>,
}

/// A consortium ledger's anchoring (SPEC §6.5).
#[derive(Debug, Clone)]
struct Anchoring {
    /// The Ethereum chain id every anchor names.
    chain_id: u64,
    /// The last anchored entry's (Ethereum block number, log index, seq).
    last: Option<(u64, u64, u64)>,
}

/// How much of a block to check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// Everything: seals and signatures too.
    Full,
    /// Everything but the Ed25519 verifications — only for a prefix of the chain whose
    /// Merkle root was fully verified before (the endpoint's restart).
    TrustedPrefix,
}

/// What a valid entry changes.
enum Effect {
    Register(Participant),
    Grant(GrantRecord, bool),
    Revoke(Hash),
    None,
    Care {
        grant_owner: String,
        smer_hash: Hash,
        clinician: String,
    },
    Payment(Hash),
    Payer(bool, String),
    Erase(Hash),
    Authority(bool, SigningPublicKey),
}

fn public_key(bytes: &[u8; 32]) -> LedgerResult<SigningPublicKey> {
    SigningPublicKey::from_bytes(bytes).map_err(|_| LedgerError::Malformed("invalid Ed25519 key"))
}

/// What becomes of each Ed25519 verification a block needs.
enum Verify<'a> {
    /// Made at once (full verification).
    Now,
    /// Skipped: a prefix whose root was verified before ([`Check::TrustedPrefix`]).
    Skip,
    /// Listed in `list` for the caller to make afterwards ([`verify_chain_deferred`]).
    Defer {
        block: u64,
        list: &'a mut Vec<SignatureCheck>,
    },
}

impl Verify<'_> {
    fn of(check: Check) -> Verify<'static> {
        match check {
            Check::Full => Verify::Now,
            Check::TrustedPrefix => Verify::Skip,
        }
    }

    /// Whether `signature` by `key` over `message` verifies — or is skipped, or deferred.
    fn signature(&mut self, key: &SigningPublicKey, message: Vec<u8>, signature: &[u8]) -> bool {
        match self {
            Verify::Now => key.verify(&message, signature).is_ok(),
            Verify::Skip => true,
            Verify::Defer { block, list } => {
                list.push(SignatureCheck {
                    block: *block,
                    key: key.clone(),
                    message,
                    signature: signature.to_vec(),
                });
                true
            }
        }
    }
}

/// Verifies every listed signature against `keys` (key id → key) and returns the ids of the
/// keys whose signatures verified. A signature by an unknown key or that fails is refused.
fn verified_signers(
    entry: &Entry,
    hash: &Hash,
    keys: &dyn Fn(&str) -> Option<SigningPublicKey>,
    verify: &mut Verify<'_>,
) -> LedgerResult<BTreeSet<String>> {
    let message = Entry::signature_message(hash);
    let mut ok = BTreeSet::new();
    for s in entry.signatures() {
        let key = keys(s.key_id()).ok_or(LedgerError::BadSignature)?;
        if !verify.signature(&key, message.clone(), &s.signature) {
            return Err(LedgerError::BadSignature);
        }
        if !ok.insert(s.key_id().to_owned()) {
            return Err(LedgerError::Duplicate);
        }
    }
    Ok(ok)
}

impl LedgerState {
    /// Verifies a genesis block and starts the state from it.
    pub fn genesis(block: &Block) -> LedgerResult<Self> {
        let EntryBody::Genesis {
            chain_id,
            authorities,
        } = block.entry.body()
        else {
            return Err(LedgerError::BadGenesis);
        };
        if block.number != 0 || block.previous_hash != [0; 32] {
            return Err(LedgerError::BadGenesis);
        }
        let mut set = BTreeMap::new();
        for a in authorities {
            let key = public_key(a)?;
            if set.insert(key.key_id().to_owned(), key).is_some() {
                return Err(LedgerError::BadGenesis);
            }
        }
        if !set.contains_key(block.entry.signer()) {
            return Err(LedgerError::BadGenesis);
        }
        let hash = block.entry.hash();
        let signers = verified_signers(
            &block.entry,
            &hash,
            &|id| set.get(id).cloned(),
            &mut Verify::Now,
        )?;
        if signers.len() != set.len() {
            return Err(LedgerError::MissingSignature);
        }
        block.verify_seal(&set.values().cloned().collect::<Vec<_>>())?;
        let mut state = LedgerState::empty(chain_id.clone(), set, None);
        state.seen.insert(hash);
        state.advance(block, block.hash());
        Ok(state)
    }

    /// The empty state of a consortium's ledger (SPEC §6.5): no genesis block — the
    /// consortium file takes its place —, the members' keys as the authorities (they admit
    /// clinicians), the consortium's origin as chain id. Its blocks are anchored blocks.
    pub fn consortium(consortium: &Consortium) -> LedgerResult<Self> {
        consortium.check()?;
        let mut authorities = BTreeMap::new();
        for m in &consortium.members {
            authorities.insert(m.key.key_id().to_owned(), m.key.clone());
        }
        Ok(LedgerState::empty(
            consortium.origin.clone(),
            authorities,
            Some(Anchoring {
                chain_id: consortium.chain_id,
                last: None,
            }),
        ))
    }

    /// A state with no block yet: these authorities, this chain id, anchored or not.
    fn empty(
        chain_id: String,
        authorities: BTreeMap<String, SigningPublicKey>,
        anchoring: Option<Anchoring>,
    ) -> Self {
        LedgerState {
            chain_id,
            next_number: 0,
            last_hash: [0; 32],
            last_time: i64::MIN,
            authorities,
            participants: BTreeMap::new(),
            smers: BTreeMap::new(),
            grants: BTreeMap::new(),
            grants_by_smer: BTreeMap::new(),
            cares: BTreeMap::new(),
            payers: BTreeSet::new(),
            encryption_keys: BTreeSet::new(),
            seen: HashSet::new(),
            tree: MerkleTree::new(),
            anchoring,
        }
    }

    /// True for a consortium's (anchored) ledger.
    pub fn is_anchored(&self) -> bool {
        self.anchoring.is_some()
    }

    /// The `seq` of the last anchored entry applied, if any.
    pub fn last_anchored_seq(&self) -> Option<u64> {
        self.anchoring
            .as_ref()
            .and_then(|a| a.last)
            .map(|(_, _, seq)| seq)
    }

    /// Replays one `Appended` log of the consortium's contract (SPEC §6.5): the block it
    /// becomes, applied to the state — or, if the entry does not decode or breaks a rule at
    /// this position (a repeat included), the error with which every node skips it, the
    /// state unchanged. Depends only on the state, the entry and the Ethereum block's time.
    pub fn apply_anchored(
        &mut self,
        entry_bytes: &[u8],
        anchor: Anchor,
        ethereum_time: i64,
    ) -> LedgerResult<Block> {
        let entry = Entry::from_bytes(entry_bytes)?;
        // Ethereum block times do not decrease; should a chain break that, blocks still do.
        let time = ethereum_time.max(self.last_time);
        let block = Block::anchored(self.next_number, self.last_hash, time, entry, anchor);
        self.apply(&block)?;
        Ok(block)
    }

    fn advance(&mut self, block: &Block, hash: Hash) {
        self.tree.push_leaf_hash(leaf_hash(&hash));
        self.next_number = block.number + 1;
        self.last_hash = hash;
        self.last_time = block.time;
    }

    /// The chain id (checkpoint origin).
    pub fn chain_id(&self) -> &str {
        &self.chain_id
    }
    /// Number of blocks verified.
    pub fn size(&self) -> u64 {
        self.next_number
    }
    /// Hash of the last block.
    pub fn last_hash(&self) -> Hash {
        self.last_hash
    }
    /// Time of the last block.
    pub fn last_time(&self) -> i64 {
        self.last_time
    }
    /// The Merkle log over the verified blocks.
    pub fn tree(&self) -> &MerkleTree {
        &self.tree
    }
    /// The authority set in force for the next block.
    pub fn authorities(&self) -> impl Iterator<Item = &SigningPublicKey> {
        self.authorities.values()
    }
    /// A registered participant.
    pub fn participant(&self, key_id: &str) -> Option<&Participant> {
        self.participants.get(key_id)
    }
    /// A grant by its entry hash.
    pub fn grant(&self, entry_hash: &Hash) -> Option<&GrantRecord> {
        self.grants.get(entry_hash)
    }
    /// Every grant, with its entry hash (for "shared with me" and "granted by me").
    pub fn grants(&self) -> impl Iterator<Item = (&Hash, &GrantRecord)> {
        self.grants.iter()
    }
    /// True when the grant exists, is not revoked, not expired at `time`, and its SMeR is
    /// not erased.
    pub fn grant_active(&self, entry_hash: &Hash, time: i64) -> bool {
        self.grants.get(entry_hash).is_some_and(|g| {
            !g.revoked
                && g.expires.is_none_or(|t| time < t)
                && self.smers.get(&g.smer_hash).is_some_and(|s| !s.erased)
        })
    }
    /// The owner of a SMeR, if the ledger knows it (and whether it is erased).
    pub fn smer_owner(&self, smer_hash: &Hash) -> Option<(&str, bool)> {
        self.smers
            .get(smer_hash)
            .map(|s| (s.owner.as_str(), s.erased))
    }

    /// True when `key_id` may read the SMeR at `time`: its owner (unless erased), or the
    /// recipient of an active grant for it. DERy asks this before serving ciphertext.
    pub fn may_read(&self, key_id: &str, smer_hash: &Hash, time: i64) -> bool {
        match self.smers.get(smer_hash) {
            None => false,
            Some(s) if s.erased => false,
            Some(s) if s.owner == key_id => true,
            Some(_) => self.grants_by_smer.get(smer_hash).is_some_and(|grants| {
                grants.iter().any(|g| {
                    self.grants.get(g).is_some_and(|r| r.recipient == key_id)
                        && self.grant_active(g, time)
                })
            }),
        }
    }

    fn key(&self, key_id: &str) -> Option<SigningPublicKey> {
        self.participants
            .get(key_id)
            .map(|p| p.signing.clone())
            .or_else(|| self.authorities.get(key_id).cloned())
    }

    /// Checks a block against the state and applies it (full verification).
    pub fn apply(&mut self, block: &Block) -> LedgerResult<()> {
        self.apply_with(block, Check::Full)
    }

    /// Applies a block with the given depth of checking.
    pub fn apply_with(&mut self, block: &Block, check: Check) -> LedgerResult<()> {
        self.apply_verifying(block, &mut Verify::of(check))
    }

    fn apply_verifying(&mut self, block: &Block, verify: &mut Verify<'_>) -> LedgerResult<()> {
        self.check_header(block)?;
        let block_hash = block.hash();
        let anchored = match (&block.seal, &self.anchoring) {
            (Seal::Authority { sealer, signature }, None) => {
                let authority = self
                    .authorities
                    .get(sealer)
                    .ok_or(LedgerError::UnknownAuthority)?;
                if !verify.signature(authority, Block::seal_message(&block_hash), signature) {
                    return Err(LedgerError::BadSeal);
                }
                None
            }
            (Seal::Anchor(anchor), Some(anchoring)) => Some(Self::check_anchor(anchoring, anchor)?),
            // A sealed block in a consortium's ledger, or an anchored one in a sealed ledger.
            _ => return Err(LedgerError::UnknownAuthority),
        };
        let entry_hash = block.entry.hash();
        let effect = self.check_entry(&block.entry, &entry_hash, block.time, verify)?;
        self.seen.insert(entry_hash);
        self.commit(effect, block.entry.signer(), entry_hash);
        self.advance(block, block_hash);
        if let (Some(anchoring), Some(last)) = (&mut self.anchoring, anchored) {
            anchoring.last = Some(last);
        }
        Ok(())
    }

    /// An anchor names the consortium's chain and comes after the previous one: a later
    /// Ethereum block, or a later log in the same block, and a larger `seq` (skipped entries
    /// leave gaps). Returns its position.
    fn check_anchor(anchoring: &Anchoring, anchor: &Anchor) -> LedgerResult<(u64, u64, u64)> {
        if anchor.chain_id != anchoring.chain_id {
            return Err(LedgerError::BadAnchor);
        }
        if let Some((block, log, seq)) = anchoring.last {
            if (anchor.block_number, anchor.log_index) <= (block, log) || anchor.seq <= seq {
                return Err(LedgerError::BadAnchor);
            }
        }
        Ok((anchor.block_number, anchor.log_index, anchor.seq))
    }

    fn check_header(&self, block: &Block) -> LedgerResult<()> {
        if block.number != self.next_number {
            return Err(LedgerError::BadNumber);
        }
        if block.previous_hash != self.last_hash {
            return Err(LedgerError::BadLink);
        }
        if block.time < self.last_time {
            return Err(LedgerError::BadTime);
        }
        Ok(())
    }

    /// Checks an entry as the next block would carry it at `block_time`, without changing
    /// the state: the endpoint calls this before sealing.
    pub fn check_entry_at(&self, entry: &Entry, block_time: i64) -> LedgerResult<()> {
        self.check_entry(entry, &entry.hash(), block_time, &mut Verify::Now)
            .map(|_| ())
    }

    fn check_entry(
        &self,
        entry: &Entry,
        hash: &Hash,
        block_time: i64,
        verify: &mut Verify<'_>,
    ) -> LedgerResult<Effect> {
        let hash = *hash;
        if self.seen.contains(&hash) {
            return Err(LedgerError::Duplicate);
        }
        if entry.time() > block_time.saturating_add(MAX_ENTRY_SKEW)
            || entry.time() < self.last_time.saturating_sub(MAX_ENTRY_AGE)
        {
            return Err(LedgerError::BadTime);
        }
        let signer = entry.signer();
        let registered = |id: &str| self.participants.contains_key(id);
        // Registration brings its own key; every other entry is signed by known keys.
        if let EntryBody::Register {
            role,
            signing_key,
            encryption_key,
        } = entry.body()
        {
            let key = public_key(signing_key)?;
            if key.key_id() != signer {
                return Err(LedgerError::Malformed(
                    "register signer is not the key's id",
                ));
            }
            if registered(signer) {
                return Err(LedgerError::Duplicate);
            }
            let encryption = EncryptionPublicKey::from_spki_der(encryption_key).map_err(|_| {
                LedgerError::Malformed("register encryption key is not an RSA SPKI")
            })?;
            // One RSA key, one participant: no one registers another's key as their own.
            if self.encryption_keys.contains(encryption.key_id()) {
                return Err(LedgerError::Duplicate);
            }
            let signers = verified_signers(
                entry,
                &hash,
                &|id| {
                    if id == signer {
                        Some(key.clone())
                    } else {
                        self.key(id)
                    }
                },
                verify,
            )?;
            if !signers.contains(signer) {
                return Err(LedgerError::MissingSignature);
            }
            if *role != Role::Patient && !signers.iter().any(|s| self.authorities.contains_key(s)) {
                return Err(LedgerError::MissingSignature);
            }
            return Ok(Effect::Register(Participant {
                role: *role,
                signing: key,
                encryption,
                block: self.next_number,
            }));
        }
        if matches!(entry.body(), EntryBody::Genesis { .. }) {
            return Err(LedgerError::BadGenesis);
        }
        // A consortium's membership is its consortium file's (SPEC 6.1), not the ledger's.
        if self.anchoring.is_some() && matches!(entry.body(), EntryBody::AuthorityChange { .. }) {
            return Err(LedgerError::NotAuthorized);
        }
        let signers = verified_signers(entry, &hash, &|id| self.key(id), verify)?;
        if !signers.contains(signer) {
            return Err(LedgerError::MissingSignature);
        }
        let existing_grant =
            |grant: &Hash| self.grants.get(grant).ok_or(LedgerError::UnknownReference);
        match entry.body() {
            EntryBody::Grant {
                smer_hash,
                data_index,
                recipient,
                expires,
            } => {
                if !registered(signer) || !registered(recipient) {
                    return Err(LedgerError::NotRegistered);
                }
                let new_smer = match self.smers.get(smer_hash) {
                    Some(s) if s.owner != signer => return Err(LedgerError::NotAuthorized),
                    Some(s) if s.erased => return Err(LedgerError::GrantInactive),
                    Some(_) => false,
                    None => true,
                };
                let record = GrantRecord {
                    owner: signer.to_owned(),
                    recipient: recipient.clone(),
                    smer_hash: *smer_hash,
                    data_index: data_index.clone(),
                    expires: *expires,
                    revoked: false,
                    block: self.next_number,
                };
                Ok(Effect::Grant(record, new_smer))
            }
            EntryBody::Revoke { grant } => {
                let g = existing_grant(grant)?;
                if g.owner != signer {
                    return Err(LedgerError::NotAuthorized);
                }
                if g.revoked {
                    return Err(LedgerError::Duplicate);
                }
                Ok(Effect::Revoke(*grant))
            }
            EntryBody::Access { grant } => {
                let g = existing_grant(grant)?;
                if g.recipient != signer {
                    return Err(LedgerError::NotAuthorized);
                }
                if !self.grant_active(grant, block_time) {
                    return Err(LedgerError::GrantInactive);
                }
                Ok(Effect::None)
            }
            EntryBody::Care {
                grant, smer_hash, ..
            } => {
                let g = existing_grant(grant)?;
                if g.recipient != signer {
                    return Err(LedgerError::NotAuthorized);
                }
                if !self.grant_active(grant, block_time) {
                    return Err(LedgerError::GrantInactive);
                }
                if self.smers.contains_key(smer_hash) {
                    return Err(LedgerError::Duplicate);
                }
                Ok(Effect::Care {
                    grant_owner: g.owner.clone(),
                    smer_hash: *smer_hash,
                    clinician: signer.to_owned(),
                })
            }
            EntryBody::Payment {
                care, payer, payee, ..
            } => {
                let c = self.cares.get(care).ok_or(LedgerError::UnknownReference)?;
                if c.paid {
                    return Err(LedgerError::Duplicate);
                }
                // The payer signs, pays the care's clinician, and is the patient or a payer
                // the patient names.
                let may_pay = *payer == c.patient
                    || self.payers.contains(&(c.patient.clone(), payer.clone()));
                if payer != signer || c.clinician != *payee || !may_pay {
                    return Err(LedgerError::NotAuthorized);
                }
                if !registered(payer) {
                    return Err(LedgerError::NotRegistered);
                }
                Ok(Effect::Payment(*care))
            }
            EntryBody::Payer { add, payer } => {
                if self.participants.get(signer).map(|p| p.role) != Some(Role::Patient) {
                    return Err(LedgerError::NotAuthorized);
                }
                if !registered(payer) {
                    return Err(LedgerError::NotRegistered);
                }
                let named = self.payers.contains(&(signer.to_owned(), payer.clone()));
                match (*add, named) {
                    // A patient pays for its own care anyway.
                    (true, true) => return Err(LedgerError::Duplicate),
                    (true, false) if payer == signer => return Err(LedgerError::Duplicate),
                    (false, false) => return Err(LedgerError::UnknownReference),
                    _ => {}
                }
                Ok(Effect::Payer(*add, payer.clone()))
            }
            EntryBody::Erase { smer_hash } => {
                let s = self
                    .smers
                    .get(smer_hash)
                    .ok_or(LedgerError::UnknownReference)?;
                if s.owner != signer {
                    return Err(LedgerError::NotAuthorized);
                }
                if s.erased {
                    return Err(LedgerError::Duplicate);
                }
                Ok(Effect::Erase(*smer_hash))
            }
            EntryBody::AuthorityChange { add, authority } => {
                if !self.authorities.contains_key(signer) {
                    return Err(LedgerError::NotAuthorized);
                }
                let key = public_key(authority)?;
                let present = self.authorities.contains_key(key.key_id());
                if *add == present {
                    return Err(if present {
                        LedgerError::Duplicate
                    } else {
                        LedgerError::UnknownReference
                    });
                }
                if !*add && self.authorities.len() == 1 {
                    return Err(LedgerError::NotAuthorized);
                }
                let votes = signers
                    .iter()
                    .filter(|s| self.authorities.contains_key(*s))
                    .count();
                if votes * 2 <= self.authorities.len() {
                    return Err(LedgerError::MissingSignature);
                }
                Ok(Effect::Authority(*add, key))
            }
            EntryBody::Register { .. } | EntryBody::Genesis { .. } => Err(LedgerError::BadGenesis),
        }
    }

    fn commit(&mut self, effect: Effect, signer: &str, hash: Hash) {
        match effect {
            Effect::Register(p) => {
                self.encryption_keys
                    .insert(p.encryption.key_id().to_owned());
                self.participants.insert(signer.to_owned(), p);
            }
            Effect::Grant(record, new_smer) => {
                if new_smer {
                    self.smers.insert(
                        record.smer_hash,
                        SmerRecord {
                            owner: record.owner.clone(),
                            erased: false,
                        },
                    );
                }
                self.grants_by_smer
                    .entry(record.smer_hash)
                    .or_default()
                    .push(hash);
                self.grants.insert(hash, record);
            }
            Effect::Revoke(grant) => {
                if let Some(g) = self.grants.get_mut(&grant) {
                    g.revoked = true;
                }
            }
            Effect::None => {}
            Effect::Care {
                grant_owner,
                smer_hash,
                clinician,
            } => {
                self.smers.insert(
                    smer_hash,
                    SmerRecord {
                        owner: grant_owner.clone(),
                        erased: false,
                    },
                );
                self.cares.insert(
                    hash,
                    CareRecord {
                        clinician,
                        patient: grant_owner,
                        paid: false,
                    },
                );
            }
            Effect::Payer(add, payer) => {
                let pair = (signer.to_owned(), payer);
                if add {
                    self.payers.insert(pair);
                } else {
                    self.payers.remove(&pair);
                }
            }
            Effect::Payment(care) => {
                if let Some(c) = self.cares.get_mut(&care) {
                    c.paid = true;
                }
            }
            Effect::Erase(smer) => {
                if let Some(s) = self.smers.get_mut(&smer) {
                    s.erased = true;
                }
            }
            Effect::Authority(add, key) => {
                if add {
                    self.authorities.insert(key.key_id().to_owned(), key);
                } else {
                    self.authorities.remove(key.key_id());
                }
            }
        }
    }
}

impl LedgerState {
    /// Checks that a SMeR is sealed to a grant's recipient: the recipient's registered RSA
    /// key id is one of the SMeR's recipient `kid`s. The ledger holds only hashes, so the
    /// endpoint (on upload) and the clinician (before decrypting) call this with the SMeR.
    pub fn check_smer_recipient(
        &self,
        recipient: &str,
        smer: &crate::smer::ParsedSmer,
    ) -> LedgerResult<()> {
        self.check_recipient_key_ids(
            recipient,
            smer.recipients().iter().filter_map(|r| r.key_id.as_deref()),
        )
    }

    /// [`LedgerState::check_smer_recipient`] with the SMeR's recipient key ids only (what
    /// DERy's index keeps of a stored SMeR).
    pub fn check_recipient_key_ids<'a>(
        &self,
        recipient: &str,
        mut key_ids: impl Iterator<Item = &'a str>,
    ) -> LedgerResult<()> {
        let participant = self
            .participants
            .get(recipient)
            .ok_or(LedgerError::NotRegistered)?;
        let wanted = participant.encryption.key_id();
        if key_ids.any(|kid| kid == wanted) {
            Ok(())
        } else {
            Err(LedgerError::RecipientMismatch)
        }
    }

    /// An authority's append (what the endpoint does): checks `entry` against the state,
    /// seals it into the next block at `time` (never earlier than the last block) with
    /// `sealer`, applies it, and returns the block.
    pub fn seal_next(
        &mut self,
        entry: Entry,
        time: i64,
        sealer: &crate::identity::signing::SigningPrivateKey,
    ) -> LedgerResult<Block> {
        let block = self.prepare_next(entry, time, sealer)?;
        self.apply_with(&block, Check::TrustedPrefix)?;
        Ok(block)
    }

    /// Checks `entry` fully and seals it as the next block, without changing the state: the
    /// endpoint stores the block durably, then applies it with [`Check::TrustedPrefix`].
    pub fn prepare_next(
        &self,
        entry: Entry,
        time: i64,
        sealer: &crate::identity::signing::SigningPrivateKey,
    ) -> LedgerResult<Block> {
        if !self.authorities.contains_key(sealer.key_id()) {
            return Err(LedgerError::UnknownAuthority);
        }
        let time = time.max(self.last_time);
        self.check_entry(&entry, &entry.hash(), time, &mut Verify::Now)?;
        Ok(Block::seal(
            self.next_number,
            self.last_hash,
            time,
            entry,
            sealer,
        ))
    }
}

/// Builds and seals a genesis block: `authorities` all sign the genesis entry, the first
/// seals it.
pub fn genesis_block(
    chain_id: &str,
    authorities: &[&crate::identity::signing::SigningPrivateKey],
    time: i64,
    nonce: [u8; 16],
) -> LedgerResult<Block> {
    let first = authorities.first().ok_or(LedgerError::BadGenesis)?;
    let body = EntryBody::Genesis {
        chain_id: chain_id.to_owned(),
        authorities: authorities
            .iter()
            .map(|k| k.public_key().to_bytes())
            .collect(),
    };
    let mut entry = Entry::new(first.key_id(), time, nonce, body)?;
    for key in authorities {
        entry = entry.sign(key)?;
    }
    Ok(Block::seal(0, [0; 32], time, entry, first))
}

/// A chain failure: the index of the first bad block and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainError {
    /// Index of the block (its position in the list).
    pub index: u64,
    /// What is wrong with it.
    pub error: LedgerError,
}

/// Full verification of a chain from genesis: every seal, signature and rule.
pub fn verify_chain(blocks: &[Block]) -> Result<LedgerState, ChainError> {
    let first = blocks.first().ok_or(ChainError {
        index: 0,
        error: LedgerError::BadGenesis,
    })?;
    let mut state = LedgerState::genesis(first).map_err(|error| ChainError { index: 0, error })?;
    for (i, block) in blocks.iter().enumerate().skip(1) {
        state.apply(block).map_err(|error| ChainError {
            index: i as u64,
            error,
        })?;
    }
    Ok(state)
}

/// Full verification of a consortium's (anchored) chain from its first block: every
/// signature, rule and anchor, against the consortium file's members.
pub fn verify_anchored_chain(
    consortium: &Consortium,
    blocks: &[Block],
) -> Result<LedgerState, ChainError> {
    let mut state =
        LedgerState::consortium(consortium).map_err(|error| ChainError { index: 0, error })?;
    for (i, block) in blocks.iter().enumerate() {
        state.apply(block).map_err(|error| ChainError {
            index: i as u64,
            error,
        })?;
    }
    Ok(state)
}

/// One Ed25519 verification that the full check of a chain makes: a block's seal by its
/// authority, or one signature of its entry, with the key the state at that block gives.
#[derive(Debug, Clone)]
pub struct SignatureCheck {
    block: u64,
    key: SigningPublicKey,
    message: Vec<u8>,
    signature: Vec<u8>,
}

impl SignatureCheck {
    /// Index of the block that needs it.
    pub fn block(&self) -> u64 {
        self.block
    }

    /// Whether it holds (the same strict verification [`verify_chain`] makes).
    pub fn holds(&self) -> bool {
        self.key.verify(&self.message, &self.signature).is_ok()
    }

    /// The key it is made with.
    pub fn key(&self) -> &SigningPublicKey {
        &self.key
    }

    /// The signed message.
    pub fn message(&self) -> &[u8] {
        &self.message
    }

    /// The signature.
    pub fn signature(&self) -> &[u8] {
        &self.signature
    }

    /// Whether a verifier of the cofactorless equation reaches [`Self::holds`]'s verdict
    /// (SPEC.md §4.4; [`SigningPublicKey::equation_decides`]).
    pub fn equation_decides(&self) -> bool {
        self.key.equation_decides(&self.signature)
    }
}

/// A chain whose every rule, link, number, time and anchor was checked in order, with its
/// Ed25519 verifications listed instead of made — so that they can be spread over threads.
/// The chain is fully verified when every one of [`DeferredChain::signatures`] holds: the
/// checks made are exactly [`verify_chain`]'s (or [`verify_anchored_chain`]'s), the
/// verifications the same ones, at the same blocks, with the same keys. When one does not
/// hold, the first bad block and why are found by [`verify_chain`] itself.
#[derive(Debug, Clone)]
pub struct DeferredChain {
    state: LedgerState,
    signatures: Vec<SignatureCheck>,
}

impl DeferredChain {
    /// The verifications still to make, in chain order.
    pub fn signatures(&self) -> &[SignatureCheck] {
        &self.signatures
    }

    /// The state after the last block: the verified chain's, once every verification held.
    pub fn state(&self) -> &LedgerState {
        &self.state
    }
}

fn replay_deferring(
    mut state: LedgerState,
    blocks: &[Block],
    first: usize,
) -> Result<DeferredChain, ChainError> {
    let mut signatures = Vec::new();
    for (i, block) in blocks.iter().enumerate().skip(first) {
        let index = i as u64;
        let mut verify = Verify::Defer {
            block: index,
            list: &mut signatures,
        };
        state
            .apply_verifying(block, &mut verify)
            .map_err(|error| ChainError { index, error })?;
    }
    Ok(DeferredChain { state, signatures })
}

/// [`verify_chain`] with the Ed25519 verifications of every block after genesis deferred
/// (genesis is verified in full).
pub fn verify_chain_deferred(blocks: &[Block]) -> Result<DeferredChain, ChainError> {
    let first = blocks.first().ok_or(ChainError {
        index: 0,
        error: LedgerError::BadGenesis,
    })?;
    let state = LedgerState::genesis(first).map_err(|error| ChainError { index: 0, error })?;
    replay_deferring(state, blocks, 1)
}

/// [`verify_anchored_chain`] with every Ed25519 verification deferred.
pub fn verify_anchored_chain_deferred(
    consortium: &Consortium,
    blocks: &[Block],
) -> Result<DeferredChain, ChainError> {
    let state =
        LedgerState::consortium(consortium).map_err(|error| ChainError { index: 0, error })?;
    replay_deferring(state, blocks, 0)
}

/// Structural verification: numbering, hash links and non-decreasing time only (no
/// signatures); returns the Merkle tree of the block hashes, whose root the caller checks
/// against a signed checkpoint.
pub fn verify_chain_structure(blocks: &[Block]) -> Result<MerkleTree, ChainError> {
    let mut tree = MerkleTree::new();
    let mut previous = [0u8; 32];
    let mut last_time = i64::MIN;
    for (i, block) in blocks.iter().enumerate() {
        let fail = |error| ChainError {
            index: i as u64,
            error,
        };
        if block.number != i as u64 {
            return Err(fail(LedgerError::BadNumber));
        }
        if block.previous_hash != previous {
            return Err(fail(LedgerError::BadLink));
        }
        if block.time < last_time {
            return Err(fail(LedgerError::BadTime));
        }
        previous = block.hash();
        last_time = block.time;
        tree.push_leaf_hash(leaf_hash(&previous));
    }
    Ok(tree)
}

#[cfg(test)]
mod rules_tests;
