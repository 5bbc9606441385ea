//! The ledger at the JS boundary: full and structural verification of chain files, chain
//! files written in the browser, a full verification whose Ed25519 verifications several
//! workers share (`ChainCheck`), signed checkpoints, RFC 6962 inclusion and consistency
//! proofs, one block's checks without its chain (seal, signer), and a block's paper fields.

use std::cell::OnceCell;
use std::collections::btree_map::Entry as MapEntry;
use std::collections::BTreeMap;

use serde::Serialize;
use wasm_bindgen::prelude::*;

use super::error::js;
use super::keys::{JsSigningKeyList, JsSigningPublicKey};
use super::{to_object, whole_number, JsResult};
use crate::ceda::EncryptionPublicKey;
use crate::encoding::{b64, hex};
use crate::identity::equation as probe;
use crate::identity::signing::SigningPublicKey;
use crate::ledger::checkpoint::Checkpoint;
use crate::ledger::consortium::Consortium;
use crate::ledger::entry::{Entry, EntryBody};
use crate::ledger::merkle::{self, Hash};
use crate::ledger::trust::Trust;
use crate::ledger::{
    chain_file, verify_anchored_chain, verify_anchored_chain_deferred, verify_chain,
    verify_chain_deferred, verify_chain_structure, Block, ChainError, DeferredChain, LedgerError,
    LedgerState,
};

pub(crate) fn decode_block(bytes: &[u8]) -> JsResult<Block> {
    Block::from_bytes(bytes).map_err(js)
}

/// Result of a chain verification.
#[wasm_bindgen(js_name = ChainReport)]
pub struct JsChainReport {
    size: u64,
    root: Hash,
    last_hash: Hash,
    chain_id: Option<String>,
    authorities: Vec<SigningPublicKey>,
}

#[wasm_bindgen(js_class = ChainReport)]
impl JsChainReport {
    /// Number of blocks.
    #[wasm_bindgen(getter)]
    pub fn size(&self) -> f64 {
        self.size as f64
    }
    /// Merkle root of the block hashes (base64, as in checkpoints).
    #[wasm_bindgen(getter, js_name = rootBase64)]
    pub fn root_base64(&self) -> String {
        use base64ct::Encoding;
        base64ct::Base64::encode_string(&self.root)
    }
    /// Hash of the last block, hex.
    #[wasm_bindgen(getter, js_name = lastHash)]
    pub fn last_hash(&self) -> String {
        hex::encode(&self.last_hash)
    }
    /// The chain id from genesis (full verification only).
    #[wasm_bindgen(getter, js_name = chainId)]
    pub fn chain_id(&self) -> Option<String> {
        self.chain_id.clone()
    }
    /// The authority set in force after the last block (full verification only; empty
    /// after a structural check): the keys to check this chain's checkpoints with.
    pub fn authorities(&self) -> JsSigningKeyList {
        JsSigningKeyList(self.authorities.clone())
    }
    /// The key ids of `authorities()`.
    #[wasm_bindgen(getter, js_name = authorityKeyIds)]
    pub fn authority_key_ids(&self) -> Vec<String> {
        self.authorities
            .iter()
            .map(|k| k.key_id().to_owned())
            .collect()
    }
}

/// Fully verifies a chain file from genesis: links, numbering, time, every seal by the
/// authority set in force, every entry signature and rule. Throws `SemresError` with the
/// ledger code and `blockIndex` of the first bad block.
#[wasm_bindgen(js_name = verifyChain)]
pub fn verify_chain_file(file: &[u8]) -> JsResult<JsChainReport> {
    let blocks = chain_file::read(file).map_err(js)?;
    let state = verify_chain(&blocks).map_err(js)?;
    Ok(JsChainReport::of_state(&state))
}

impl JsChainReport {
    /// The report of a fully verified chain.
    pub(crate) fn of_state(state: &crate::ledger::LedgerState) -> JsChainReport {
        JsChainReport {
            size: state.size(),
            root: state.tree().root(state.size()).unwrap_or_default(),
            last_hash: state.last_hash(),
            chain_id: Some(state.chain_id().to_owned()),
            authorities: state.authorities().cloned().collect(),
        }
    }
}

/// A full verification of a chain file whose Ed25519 verifications (every seal and entry
/// signature) can be shared by several workers: `start` (or `Consortium.chainCheck`) checks
/// every rule, link, number, time and anchor in order and lists the verifications;
/// `verifySignatures(from, to)` makes some of them — in this worker or in others that made
/// the same `ChainCheck` from the same file —; `finish(allHeld)` gives the report. The
/// verdict is `verifyChain`'s: when a rule or a verification fails, the chain is verified
/// again block by block, and the error names the same first bad block with the same code.
#[wasm_bindgen(js_name = ChainCheck)]
pub struct JsChainCheck {
    blocks: Vec<Block>,
    consortium: Option<Consortium>,
    deferred: DeferredChain,
    /// The distinct keys of the verifications (`webCryptoKeys`) and each verification's
    /// key's index among them: built on first use, only by the thread that uses WebCrypto.
    key_table: OnceCell<KeyTable>,
}

/// The distinct keys of a chain's verifications and each verification's key's index.
struct KeyTable {
    keys: Vec<[u8; 32]>,
    key_of: Vec<u32>,
}

/// Part of a `ChainCheck`'s verifications made with WebCrypto (`ChainCheck.webCryptoSlice`):
/// the core made those the cofactorless equation does not decide (SPEC.md §4.4) and says in
/// `coreHeld` whether they held; the others are listed — the index of each one's key in
/// `ChainCheck.webCryptoKeys()`, its message and its 64-byte signature — and all of them
/// must hold under `crypto.subtle.verify('Ed25519', …)`, made only by a browser that
/// answered `ed25519Probes()` as the core does.
#[wasm_bindgen(js_name = WebCryptoSlice)]
pub struct JsWebCryptoSlice {
    core_held: bool,
    keys: Vec<u32>,
    messages: Vec<u8>,
    message_ends: Vec<u32>,
    signatures: Vec<u8>,
}

#[wasm_bindgen(js_class = WebCryptoSlice)]
impl JsWebCryptoSlice {
    /// Whether every verification the core made itself held.
    #[wasm_bindgen(getter, js_name = coreHeld)]
    pub fn core_held(&self) -> bool {
        self.core_held
    }

    /// For each listed verification, its key's index in `ChainCheck.webCryptoKeys()`.
    #[wasm_bindgen(getter, js_name = keyIndices)]
    pub fn key_indices(&self) -> Vec<u32> {
        self.keys.clone()
    }

    /// The listed verifications' messages, one after another (see `messageEnds`).
    #[wasm_bindgen(getter)]
    pub fn messages(&self) -> Vec<u8> {
        self.messages.clone()
    }

    /// Where each message ends in `messages` (the next one starts there).
    #[wasm_bindgen(getter, js_name = messageEnds)]
    pub fn message_ends(&self) -> Vec<u32> {
        self.message_ends.clone()
    }

    /// The listed verifications' signatures, 64 bytes each.
    #[wasm_bindgen(getter)]
    pub fn signatures(&self) -> Vec<u8> {
        self.signatures.clone()
    }
}

/// A signature with the core's verdict on it (`ed25519Probes`).
#[wasm_bindgen(js_name = Ed25519Probe)]
pub struct JsEd25519Probe {
    inner: probe::Probe,
}

#[wasm_bindgen(js_class = Ed25519Probe)]
impl JsEd25519Probe {
    /// What the probe tests.
    #[wasm_bindgen(getter)]
    pub fn name(&self) -> String {
        self.inner.name.to_owned()
    }

    /// The signer's raw 32-byte key.
    #[wasm_bindgen(getter)]
    pub fn key(&self) -> Vec<u8> {
        self.inner.key.to_vec()
    }

    /// The signed message.
    #[wasm_bindgen(getter)]
    pub fn message(&self) -> Vec<u8> {
        self.inner.message.clone()
    }

    /// The 64-byte signature.
    #[wasm_bindgen(getter)]
    pub fn signature(&self) -> Vec<u8> {
        self.inner.signature.to_vec()
    }

    /// The core's verdict: whether the signature holds.
    #[wasm_bindgen(getter)]
    pub fn holds(&self) -> bool {
        self.inner.holds
    }
}

/// Signatures that another Ed25519 verifier (the browser's WebCrypto) must answer as the core
/// does before `ChainCheck.webCryptoSlice` may be used with it: an honest one, and two that
/// only a verifier of the cofactored equation would accept (SPEC.md §4.4).
#[wasm_bindgen(js_name = ed25519Probes)]
pub fn ed25519_probes() -> Vec<JsEd25519Probe> {
    probe::probes()
        .into_iter()
        .map(|inner| JsEd25519Probe { inner })
        .collect()
}

impl JsChainCheck {
    /// The key table, built on first use.
    fn key_table(&self) -> &KeyTable {
        self.key_table
            .get_or_init(|| Self::build_key_table(&self.deferred))
    }

    /// The distinct keys of `deferred`'s verifications in chain order, and each
    /// verification's key's index among them.
    fn build_key_table(deferred: &DeferredChain) -> KeyTable {
        let mut keys = Vec::new();
        let mut index = BTreeMap::new();
        let mut key_of = Vec::with_capacity(deferred.signatures().len());
        for check in deferred.signatures() {
            let bytes = check.key().to_bytes();
            let at = match index.entry(bytes) {
                MapEntry::Occupied(slot) => *slot.get(),
                MapEntry::Vacant(slot) => {
                    // Fewer than 2^32 keys: each verification holds one.
                    let at = u32::try_from(keys.len()).unwrap_or(u32::MAX);
                    keys.push(bytes);
                    *slot.insert(at)
                }
            };
            key_of.push(at);
        }
        KeyTable { keys, key_of }
    }

    /// Verifies block by block (the reference verdict).
    fn sequential(
        blocks: &[Block],
        consortium: Option<&Consortium>,
    ) -> Result<LedgerState, ChainError> {
        match consortium {
            Some(c) => verify_anchored_chain(c, blocks),
            None => verify_chain(blocks),
        }
    }

    pub(crate) fn new(file: &[u8], consortium: Option<Consortium>) -> JsResult<JsChainCheck> {
        let blocks = chain_file::read(file).map_err(js)?;
        let deferred = match &consortium {
            Some(c) => verify_anchored_chain_deferred(c, &blocks),
            None => verify_chain_deferred(&blocks),
        };
        match deferred {
            Ok(deferred) => Ok(JsChainCheck {
                blocks,
                consortium,
                deferred,
                key_table: OnceCell::new(),
            }),
            // A signature of an earlier block may be the first fault: ask the reference.
            Err(rule) => Err(js(Self::sequential(&blocks, consortium.as_ref())
                .err()
                .unwrap_or(rule))),
        }
    }
}

#[wasm_bindgen(js_class = ChainCheck)]
impl JsChainCheck {
    /// Starts the full verification of a sealed chain file (from its genesis). Throws as
    /// `verifyChain` does when the file, a rule, a link or an earlier signature is bad.
    pub fn start(file: &[u8]) -> JsResult<JsChainCheck> {
        JsChainCheck::new(file, None)
    }

    /// How many Ed25519 verifications remain (indices `0..signatureCount`).
    #[wasm_bindgen(getter, js_name = signatureCount)]
    pub fn signature_count(&self) -> usize {
        self.deferred.signatures().len()
    }

    /// Makes verifications `from` up to (not including) `to`, clamped to `signatureCount`;
    /// whether every one held.
    #[wasm_bindgen(js_name = verifySignatures)]
    pub fn verify_signatures(&self, from: usize, to: usize) -> bool {
        let all = self.deferred.signatures();
        let to = to.min(all.len());
        all.get(from.min(to)..to)
            .is_some_and(|part| part.iter().all(|s| s.holds()))
    }

    /// The distinct keys of the verifications, raw 32 bytes each (for WebCrypto's
    /// `importKey('raw', …, 'Ed25519')`), in the order `WebCryptoSlice.keyIndices` counts.
    #[wasm_bindgen(js_name = webCryptoKeys)]
    pub fn web_crypto_keys(&self) -> Vec<js_sys::Uint8Array> {
        self.key_table()
            .keys
            .iter()
            .map(|k| js_sys::Uint8Array::from(k.as_slice()))
            .collect()
    }

    /// Verifications `from` up to (not including) `to`, clamped to `signatureCount`, for
    /// WebCrypto: the core makes those the cofactorless equation does not decide and lists
    /// the others (`WebCryptoSlice`). Every one of `from..to` held when `coreHeld` is true and
    /// every listed one holds.
    #[wasm_bindgen(js_name = webCryptoSlice)]
    pub fn web_crypto_slice(&self, from: usize, to: usize) -> JsWebCryptoSlice {
        let all = self.deferred.signatures();
        let to = to.min(all.len());
        let from = from.min(to);
        let part = all.get(from..to).unwrap_or_default();
        let key_of = self.key_table().key_of.get(from..to).unwrap_or_default();
        let mut slice = JsWebCryptoSlice {
            core_held: true,
            keys: Vec::with_capacity(part.len()),
            messages: Vec::new(),
            message_ends: Vec::with_capacity(part.len()),
            signatures: Vec::with_capacity(part.len() * 64),
        };
        for (check, &key) in part.iter().zip(key_of) {
            if !check.equation_decides() {
                slice.core_held &= check.holds();
                continue;
            }
            let end = u32::try_from(slice.messages.len() + check.message().len());
            let Ok(end) = end else {
                slice.core_held &= check.holds();
                continue;
            };
            slice.keys.push(key);
            slice.messages.extend_from_slice(check.message());
            slice.message_ends.push(end);
            slice.signatures.extend_from_slice(check.signature());
        }
        slice
    }

    /// The report once the verifications were made: `allHeld` when every one of
    /// `0..signatureCount` held. Otherwise the chain is verified again block by block and
    /// this throws `verifyChain`'s error (its `blockIndex` and code).
    pub fn finish(self, all_held: bool) -> JsResult<JsChainReport> {
        if all_held {
            return Ok(JsChainReport::of_state(self.deferred.state()));
        }
        JsChainCheck::sequential(&self.blocks, self.consortium.as_ref())
            .map(|state| JsChainReport::of_state(&state))
            .map_err(js)
    }
}

/// Structural verification of a chain file (numbering, hash links, time; no signatures):
/// compare its `rootBase64` with a verified checkpoint's.
#[wasm_bindgen(js_name = verifyChainStructure)]
pub fn verify_chain_structure_file(file: &[u8]) -> JsResult<JsChainReport> {
    let blocks = chain_file::read(file).map_err(js)?;
    let tree = verify_chain_structure(&blocks).map_err(js)?;
    Ok(JsChainReport {
        size: tree.size(),
        root: tree.root(tree.size()).unwrap_or_default(),
        last_hash: blocks.last().map(Block::hash).unwrap_or_default(),
        chain_id: None,
        authorities: Vec::new(),
    })
}

/// A chain file (SPEC.md §4.6) written block by block, as the auditor downloads them.
#[wasm_bindgen(js_name = ChainFileWriter)]
#[derive(Default)]
pub struct JsChainFileWriter(Vec<u8>);

#[wasm_bindgen(js_class = ChainFileWriter)]
impl JsChainFileWriter {
    /// An empty chain file.
    #[wasm_bindgen(constructor)]
    pub fn new() -> JsChainFileWriter {
        JsChainFileWriter::default()
    }
    /// Appends the next block (its encoding).
    pub fn push(&mut self, block: &[u8]) -> JsResult<()> {
        chain_file::push(&mut self.0, block).map_err(js)
    }
    /// The chain file's bytes.
    pub fn finish(self) -> Vec<u8> {
        self.0
    }
}

/// Checks one block without the chain: its sealer is one of `authorities` and the seal
/// verifies. Throws `SemresError` `UnknownAuthority` or `BadSeal`. (A clinician checks the
/// grant's block this way, and its place in the log with `verifyInclusion`.)
#[wasm_bindgen(js_name = verifyBlockSeal)]
pub fn verify_block_seal(block: &[u8], authorities: &JsSigningKeyList) -> JsResult<()> {
    decode_block(block)?.verify_seal(&authorities.0).map_err(js)
}

/// Checks that the block's entry was made and signed by `signer` (the owner's signature of
/// the paper's block). Throws `SemresError` `BadSignature` otherwise.
#[wasm_bindgen(js_name = verifyEntrySigner)]
pub fn verify_entry_signer(block: &[u8], signer: &JsSigningPublicKey) -> JsResult<()> {
    decode_block(block)?
        .entry
        .verify_signed_by(&signer.0)
        .map_err(js)
}

/// A verified checkpoint, with who vouched for it.
#[wasm_bindgen(js_name = CheckpointInfo)]
pub struct JsCheckpointInfo(pub(crate) Checkpoint, pub(crate) Vec<String>);

#[wasm_bindgen(js_class = CheckpointInfo)]
impl JsCheckpointInfo {
    /// Whose signatures on it verified: the authorities' key ids, or the cosigning members'
    /// names (sorted).
    #[wasm_bindgen(getter)]
    pub fn signers(&self) -> Vec<String> {
        self.1.clone()
    }
    /// The log's origin (chain id).
    #[wasm_bindgen(getter)]
    pub fn origin(&self) -> String {
        self.0.origin.clone()
    }
    /// Tree size.
    #[wasm_bindgen(getter)]
    pub fn size(&self) -> f64 {
        self.0.size as f64
    }
    /// Root hash, base64.
    #[wasm_bindgen(getter, js_name = rootBase64)]
    pub fn root_base64(&self) -> String {
        use base64ct::Encoding;
        base64ct::Base64::encode_string(&self.0.root)
    }
}

/// Verifies a C2SP signed checkpoint against trusted authority keys.
#[wasm_bindgen(js_name = verifyCheckpoint)]
pub fn verify_checkpoint(note: &str, authorities: &JsSigningKeyList) -> JsResult<JsCheckpointInfo> {
    Trust::Authorities(authorities.0.clone())
        .verify_checkpoint_signers(note)
        .map(|(checkpoint, signers)| JsCheckpointInfo(checkpoint, signers))
        .map_err(js)
}

pub(crate) fn proof_hashes(proof: &[u8]) -> JsResult<Vec<Hash>> {
    let chunks = proof.chunks_exact(32);
    if !chunks.remainder().is_empty() {
        return Err(js(LedgerError::Malformed(
            "a proof is a sequence of 32-byte hashes",
        )));
    }
    Ok(chunks
        .map(|c| {
            let mut h = [0u8; 32];
            h.copy_from_slice(c);
            h
        })
        .collect())
}

/// Verifies that `block` (its bytes) is block `index` of the log in `checkpoint`, with an
/// RFC 6962 inclusion proof (concatenated 32-byte hashes). Throws `BadProof` otherwise.
#[wasm_bindgen(js_name = verifyInclusion)]
pub fn verify_inclusion(
    block: &[u8],
    index: f64,
    proof: &[u8],
    checkpoint: &JsCheckpointInfo,
) -> JsResult<()> {
    let block = decode_block(block)?;
    let index = whole_number(index, u64::MAX as f64, "index is a block number")
        .map_err(|_| js(LedgerError::BadProof))?;
    if block.number != index {
        return Err(js(LedgerError::BadProof));
    }
    let leaf = merkle::leaf_hash(&block.hash());
    merkle::verify_inclusion(
        &leaf,
        block.number,
        checkpoint.0.size,
        &proof_hashes(proof)?,
        &checkpoint.0.root,
    )
    .map_err(|_| js(LedgerError::BadProof))
}

/// Verifies that the log in `older` is a prefix of the log in `newer` (RFC 6962
/// consistency proof, concatenated 32-byte hashes).
#[wasm_bindgen(js_name = verifyConsistency)]
pub fn verify_consistency(
    older: &JsCheckpointInfo,
    newer: &JsCheckpointInfo,
    proof: &[u8],
) -> JsResult<()> {
    merkle::verify_consistency(
        older.0.size,
        newer.0.size,
        &proof_hashes(proof)?,
        &older.0.root,
        &newer.0.root,
    )
    .map_err(|_| js(LedgerError::BadProof))
}

/// `Registration` of the TypeScript section.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Registration {
    key_id: String,
    role: &'static str,
    signing_key: String,
    encryption_key_id: String,
    encryption_key_pem: String,
}

/// `{amount, currency}` of a payment.
#[derive(Serialize)]
struct Payment {
    amount: u64,
    currency: String,
}

/// `BlockFields` of the TypeScript section.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct BlockFields {
    block_number: u64,
    previous_hash: String,
    hash: String,
    time: i64,
    owner: Option<String>,
    authorized_person: Option<String>,
    data_index: Option<String>,
    smer_hash: Option<String>,
    authority_status: &'static str,
    signature: Option<String>,
    payment: Option<Payment>,
    sealer: String,
    anchor: Option<AnchorFields>,
    entry_hash: String,
    refers_to: Option<String>,
    registration: Option<Registration>,
}

/// `AnchorFields` of the TypeScript section.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AnchorFields {
    chain_id: u64,
    block_number: u64,
    block_hash: String,
    transaction_hash: String,
    log_index: u64,
    seq: u64,
}

/// The entry an entry refers to: the grant of a revoke, access or care; the care of a
/// payment.
fn refers_to(body: &EntryBody) -> Option<&Hash> {
    match body {
        EntryBody::Revoke { grant } | EntryBody::Access { grant } => Some(grant),
        EntryBody::Care { grant, .. } => Some(grant),
        EntryBody::Payment { care, .. } => Some(care),
        _ => None,
    }
}

/// What a Register entry registers: a client seals to the RSA key of a verified register
/// block, not to whatever an endpoint says.
fn registration(entry: &Entry) -> JsResult<Option<Registration>> {
    let EntryBody::Register {
        role,
        signing_key,
        encryption_key,
    } = entry.body()
    else {
        return Ok(None);
    };
    let key = EncryptionPublicKey::from_spki_der(encryption_key).map_err(js)?;
    Ok(Some(Registration {
        key_id: entry.signer().to_owned(),
        role: role.name(),
        signing_key: b64::encode(signing_key),
        encryption_key_id: key.key_id().to_owned(),
        encryption_key_pem: key.to_pem().map_err(js)?,
    }))
}

/// The paper's fields of a block (Fig. 6), with hex hashes, plus the block's `sealer`, its
/// `entryHash`, `refersTo` (the grant or care entry it refers to) and, for a Register entry,
/// `registration` (key id, role, both public keys).
#[wasm_bindgen(js_name = blockFields, unchecked_return_type = "BlockFields")]
pub fn block_fields(block: &[u8]) -> JsResult<JsValue> {
    let b = decode_block(block)?;
    let v = b.paper_view();
    to_object(&BlockFields {
        block_number: v.block_number,
        previous_hash: hex::encode(&v.previous_hash),
        hash: hex::encode(&v.hash),
        time: v.time,
        owner: v.owner,
        authorized_person: v.authorized_person,
        data_index: v.data_index,
        smer_hash: v.smer_hash.map(|h| hex::encode(&h)),
        authority_status: v.authority_status,
        signature: v.signature.map(|s| hex::encode(&s)),
        payment: v
            .payment
            .map(|(amount, currency)| Payment { amount, currency }),
        sealer: b.sealer().to_owned(),
        anchor: b.anchor().map(|a| AnchorFields {
            chain_id: a.chain_id,
            block_number: a.block_number,
            block_hash: hex::encode(&a.block_hash),
            transaction_hash: hex::encode(&a.transaction_hash),
            log_index: a.log_index,
            seq: a.seq,
        }),
        entry_hash: hex::encode(&b.entry.hash()),
        refers_to: refers_to(b.entry.body()).map(|h| hex::encode(h)),
        registration: registration(&b.entry)?,
    })
}
