//! What the browser trusts, at the JS boundary (SPEC §4.8, §6.2): one object over the
//! core's `ledger::trust::Trust` — an embedded ledger's authority keys, or a consortium file
//! (k-of-n cosigned checkpoints, anchored blocks) — with the checks a clinician makes before
//! decrypting and a patient before sealing, the same ones the CLI makes.

use wasm_bindgen::prelude::*;

use super::error::js;
use super::keys::{JsSigningKeyList, JsSigningPublicKey};
use super::ledger::{decode_block, proof_hashes, JsCheckpointInfo};
use super::JsResult;
use crate::ledger::consortium::{equivocation, Consortium};
use crate::ledger::trust::Trust;

/// The roots of trust of this browser for one ledger.
#[wasm_bindgen(js_name = Trust)]
pub struct JsTrust(Trust);

#[wasm_bindgen(js_class = Trust)]
impl JsTrust {
    /// Trust in an embedded ledger's authorities: checkpoints signed and blocks sealed by one
    /// of `keys`.
    #[wasm_bindgen(js_name = fromAuthorities)]
    pub fn from_authorities(keys: &JsSigningKeyList) -> JsTrust {
        JsTrust(Trust::Authorities(keys.0.clone()))
    }

    /// Trust in a consortium: reads its file (a C2SP signed note) and refuses it
    /// (`BadConsortium`) unless `threshold` of its members signed it (SPEC §6.1).
    #[wasm_bindgen(js_name = fromConsortium)]
    pub fn from_consortium(note: &str) -> JsResult<JsTrust> {
        Consortium::from_signed_note(note)
            .map(|c| JsTrust(Trust::Consortium(c)))
            .map_err(js)
    }

    /// `"authorities"` or `"consortium"`.
    #[wasm_bindgen(getter)]
    pub fn kind(&self) -> String {
        match &self.0 {
            Trust::Authorities(_) => "authorities".into(),
            Trust::Consortium(_) => "consortium".into(),
        }
    }

    /// Signatures a checkpoint needs: the consortium's k, or 1 for authorities.
    #[wasm_bindgen(getter)]
    pub fn threshold(&self) -> usize {
        match &self.0 {
            Trust::Authorities(_) => 1,
            Trust::Consortium(c) => c.threshold,
        }
    }

    /// Who may vouch: the consortium's member names (the file's order), or the authorities'
    /// key ids.
    #[wasm_bindgen(getter)]
    pub fn members(&self) -> Vec<String> {
        match &self.0 {
            Trust::Authorities(keys) => keys.iter().map(|k| k.key_id().to_owned()).collect(),
            Trust::Consortium(c) => c.members.iter().map(|m| m.name.clone()).collect(),
        }
    }

    /// The members' signing key ids, in the file's order (empty for authorities).
    #[wasm_bindgen(getter, js_name = memberKeyIds)]
    pub fn member_key_ids(&self) -> Vec<String> {
        match &self.0 {
            Trust::Authorities(_) => Vec::new(),
            Trust::Consortium(c) => c
                .members
                .iter()
                .map(|m| m.key.key_id().to_owned())
                .collect(),
        }
    }

    /// The consortium's checkpoint origin (`undefined` for authorities: their genesis names it).
    #[wasm_bindgen(getter)]
    pub fn origin(&self) -> Option<String> {
        match &self.0 {
            Trust::Authorities(_) => None,
            Trust::Consortium(c) => Some(c.origin.clone()),
        }
    }

    /// The Ethereum chain id the consortium anchors on (`undefined` for authorities).
    #[wasm_bindgen(getter, js_name = chainId)]
    pub fn chain_id(&self) -> Option<f64> {
        match &self.0 {
            Trust::Authorities(_) => None,
            Trust::Consortium(c) => Some(c.chain_id as f64),
        }
    }

    /// Verifies a checkpoint note: signed by an authority, or cosigned by k distinct members
    /// (`BelowThreshold` says how many verified). The result names who vouched (`signers`).
    #[wasm_bindgen(js_name = verifyCheckpoint)]
    pub fn verify_checkpoint(&self, note: &str) -> JsResult<JsCheckpointInfo> {
        self.0
            .verify_checkpoint_signers(note)
            .map(|(checkpoint, signers)| JsCheckpointInfo(checkpoint, signers))
            .map_err(js)
    }

    /// What vouches for `block` is trusted: sealed by an authority (`UnknownAuthority`,
    /// `BadSeal`), or anchored on the consortium's chain (`BadAnchor`, `UnknownAuthority`
    /// for a sealed block).
    #[wasm_bindgen(js_name = checkSeal)]
    pub fn check_seal(&self, block: &[u8]) -> JsResult<()> {
        self.0.check_seal(&decode_block(block)?).map_err(js)
    }

    /// All of one block's checks: its seal or anchor, its entry signed by `signer` when given
    /// (`BadSignature`; the key handle is consumed), and its inclusion at its number in the log `checkpoint` commits to
    /// (`proof`: concatenated 32-byte hashes; `BadProof`).
    #[wasm_bindgen(js_name = checkBlock)]
    pub fn check_block(
        &self,
        block: &[u8],
        proof: &[u8],
        checkpoint: &JsCheckpointInfo,
        signer: Option<JsSigningPublicKey>,
    ) -> JsResult<()> {
        self.0
            .check_block(
                &decode_block(block)?,
                &proof_hashes(proof)?,
                &checkpoint.0,
                signer.as_ref().map(|s| &s.0),
            )
            .map_err(js)
    }

    /// For a consortium: the members who cosigned both `a` and `b` when these are two
    /// checkpoints of the same size with different roots (a fork); `undefined` otherwise.
    pub fn equivocation(&self, a: &str, b: &str) -> Option<Vec<String>> {
        match &self.0 {
            Trust::Authorities(_) => None,
            Trust::Consortium(c) => equivocation(c, a, b).map(|e| e.signed_both),
        }
    }
}
