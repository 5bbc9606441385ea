//! The consortium at the JS boundary (SPEC.md §6): a consortium file read and checked
//! against its members' signatures, k-of-n cosigned checkpoints verified against it, a
//! consortium's chain file verified, and equivocation evidence between two cosigned
//! checkpoints.

use wasm_bindgen::prelude::*;

use super::error::js;
use super::ledger::{JsChainCheck, JsChainReport};
use super::JsResult;
use crate::ledger::consortium::{equivocation, Consortium, CosignedCheckpoint};
use crate::ledger::{chain_file, verify_anchored_chain};

/// A consortium file whose members' signatures reached its threshold.
#[wasm_bindgen(js_name = Consortium)]
pub struct JsConsortium(Consortium);

#[wasm_bindgen(js_class = Consortium)]
impl JsConsortium {
    /// Reads a consortium file (a C2SP signed note); refuses it (`BadConsortium`) unless
    /// `threshold` of its members signed it and it keeps every rule of SPEC §6.1.
    #[wasm_bindgen(js_name = fromSignedNote)]
    pub fn from_signed_note(note: &str) -> JsResult<JsConsortium> {
        Consortium::from_signed_note(note)
            .map(JsConsortium)
            .map_err(js)
    }

    /// The checkpoint origin of the consortium's ledger.
    #[wasm_bindgen(getter)]
    pub fn origin(&self) -> String {
        self.0.origin.clone()
    }

    /// Cosignatures by distinct members a checkpoint needs.
    #[wasm_bindgen(getter)]
    pub fn threshold(&self) -> usize {
        self.0.threshold
    }

    /// The members' names, in the file's order.
    #[wasm_bindgen(getter, js_name = memberNames)]
    pub fn member_names(&self) -> Vec<String> {
        self.0.members.iter().map(|m| m.name.clone()).collect()
    }

    /// Verifies a cosigned checkpoint: its origin is the consortium's and `threshold`
    /// distinct members' cosignatures verify; otherwise `BadCheckpoint`.
    #[wasm_bindgen(js_name = verifyCheckpoint)]
    pub fn verify_checkpoint(&self, note: &str) -> JsResult<JsCosignedCheckpoint> {
        self.0
            .verify_checkpoint(note)
            .map(JsCosignedCheckpoint)
            .map_err(js)
    }

    /// Fully verifies a consortium's chain file (anchored blocks from the first): links,
    /// numbering, time, anchors, every entry signature and rule, the members as authorities.
    /// Throws `SemresError` with the code and `blockIndex` of the first bad block.
    #[wasm_bindgen(js_name = verifyChain)]
    pub fn verify_chain(&self, file: &[u8]) -> JsResult<JsChainReport> {
        let blocks = chain_file::read(file).map_err(js)?;
        let state = verify_anchored_chain(&self.0, &blocks).map_err(js)?;
        Ok(JsChainReport::of_state(&state))
    }

    /// Starts a full verification of a consortium's chain file whose Ed25519 verifications
    /// several workers can share (see `ChainCheck`); throws as `verifyChain` does when the
    /// file, a rule, an anchor or an earlier signature is bad.
    #[wasm_bindgen(js_name = chainCheck)]
    pub fn chain_check(&self, file: &[u8]) -> JsResult<JsChainCheck> {
        JsChainCheck::new(file, Some(self.0.clone()))
    }

    /// The members who cosigned both `a` and `b` when these are two checkpoints of the same
    /// size with different roots (a fork: evidence against them); `undefined` otherwise.
    #[wasm_bindgen(js_name = equivocation)]
    pub fn equivocation(&self, a: &str, b: &str) -> Option<Vec<String>> {
        equivocation(&self.0, a, b).map(|e| e.signed_both)
    }
}

/// A checkpoint with the members whose cosignatures on it verified.
#[wasm_bindgen(js_name = CosignedCheckpoint)]
pub struct JsCosignedCheckpoint(CosignedCheckpoint);

#[wasm_bindgen(js_class = CosignedCheckpoint)]
impl JsCosignedCheckpoint {
    /// The log's origin.
    #[wasm_bindgen(getter)]
    pub fn origin(&self) -> String {
        self.0.checkpoint.origin.clone()
    }
    /// Tree size.
    #[wasm_bindgen(getter)]
    pub fn size(&self) -> f64 {
        self.0.checkpoint.size as f64
    }
    /// Root hash, base64.
    #[wasm_bindgen(getter, js_name = rootBase64)]
    pub fn root_base64(&self) -> String {
        use base64ct::Encoding;
        base64ct::Base64::encode_string(&self.0.checkpoint.root)
    }
    /// Names of the members whose cosignatures verified, sorted.
    #[wasm_bindgen(getter)]
    pub fn cosigners(&self) -> Vec<String> {
        self.0.cosigners.clone()
    }
}
