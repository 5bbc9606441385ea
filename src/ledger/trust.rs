//! What a client that does not replay the chain trusts, and checking one record's block
//! against it (SPEC §4.8, §6.2): the ledger's authority keys (one hospital's embedded
//! ledger, sealed blocks), or a consortium (its members' k-of-n cosigned checkpoints,
//! anchored blocks). The checks a clinician makes before decrypting, and a patient before
//! sealing to someone's registered key.

use super::block::{Block, Seal};
use super::checkpoint::Checkpoint;
use super::consortium::Consortium;
use super::error::{LedgerError, LedgerResult};
use super::merkle::{self, Hash};
use super::state::{verify_anchored_chain, verify_chain, ChainError, LedgerState};
use crate::identity::signing::SigningPublicKey;

/// The roots of trust of a client.
#[derive(Debug, Clone)]
pub enum Trust {
    /// An embedded ledger's authorities: checkpoints signed and blocks sealed by one of them.
    Authorities(Vec<SigningPublicKey>),
    /// A consortium: checkpoints cosigned by k of its n members; blocks anchored on its chain.
    Consortium(Consortium),
}

impl Trust {
    /// Reads what a user gave as trust: a consortium file (SPEC §6.1, valid only with k
    /// members' signatures), or one authority public key in any format the core reads.
    pub fn from_text(text: &str) -> LedgerResult<Trust> {
        if text.starts_with("semres consortium v1\n") {
            return Consortium::from_signed_note(text).map(Trust::Consortium);
        }
        SigningPublicKey::from_any(text)
            .map(|key| Trust::Authorities(vec![key]))
            .map_err(|_| LedgerError::Malformed("neither a consortium file nor a public key"))
    }

    /// Step 1: a checkpoint note that verifies under this trust (signed by an authority, or
    /// cosigned by k members).
    pub fn verify_checkpoint(&self, note: &str) -> LedgerResult<Checkpoint> {
        match self {
            Trust::Authorities(keys) => Checkpoint::verify(note, keys),
            Trust::Consortium(c) => c.verify_checkpoint(note).map(|v| v.checkpoint),
        }
    }

    /// Step 1, saying who vouched: the checkpoint and the names whose signatures on it
    /// verified — the authorities' key ids, or the cosigning members' names (sorted).
    pub fn verify_checkpoint_signers(&self, note: &str) -> LedgerResult<(Checkpoint, Vec<String>)> {
        match self {
            Trust::Authorities(keys) => {
                let checkpoint = Checkpoint::verify(note, keys)?;
                let mut signers: Vec<String> = keys
                    .iter()
                    .filter(|k| Checkpoint::verify(note, std::slice::from_ref(*k)).is_ok())
                    .map(|k| k.key_id().to_owned())
                    .collect();
                signers.sort();
                signers.dedup();
                Ok((checkpoint, signers))
            }
            Trust::Consortium(c) => c
                .verify_checkpoint(note)
                .map(|v| (v.checkpoint, v.cosigners)),
        }
    }

    /// Step 2: what vouches for `block` is trusted — a seal by one of the authorities, or an
    /// anchor on the consortium's own Ethereum chain (the anchor itself is in the block's
    /// hash, so the cosigned log vouches for it once the block's inclusion is checked).
    pub fn check_seal(&self, block: &Block) -> LedgerResult<()> {
        match (self, &block.seal) {
            (Trust::Authorities(keys), _) => block.verify_seal(keys),
            (Trust::Consortium(c), Seal::Anchor(anchor)) if anchor.chain_id == c.chain_id => Ok(()),
            (Trust::Consortium(_), Seal::Anchor(_)) => Err(LedgerError::BadAnchor),
            (Trust::Consortium(_), Seal::Authority { .. }) => Err(LedgerError::UnknownAuthority),
        }
    }

    /// Steps 2–4 for `block`, the block at its number in the log `checkpoint` commits to:
    /// sealed by a trusted authority (or anchored on the consortium's chain), its entry made
    /// and signed by `signer` when given, and included in the checkpoint's tree by `proof`.
    pub fn check_block(
        &self,
        block: &Block,
        proof: &[Hash],
        checkpoint: &Checkpoint,
        signer: Option<&SigningPublicKey>,
    ) -> LedgerResult<()> {
        self.check_seal(block)?;
        if let Some(signer) = signer {
            block.entry.verify_signed_by(signer)?;
        }
        merkle::verify_inclusion(
            &merkle::leaf_hash(&block.hash()),
            block.number,
            checkpoint.size,
            proof,
            &checkpoint.root,
        )
        .map_err(|_| LedgerError::BadProof)
    }
}

impl Trust {
    /// Fully verifies a chain from its first block (an auditor's replay): a sealed chain from
    /// its genesis, or a consortium's anchored chain from the consortium file — and that it
    /// is the log `checkpoint` (verified under this trust) commits to at its size.
    pub fn verify_chain(
        &self,
        blocks: &[Block],
        checkpoint: &Checkpoint,
    ) -> Result<LedgerState, ChainError> {
        let state = match self {
            Trust::Authorities(_) => verify_chain(blocks)?,
            Trust::Consortium(c) => verify_anchored_chain(c, blocks)?,
        };
        let at = |error| ChainError {
            index: checkpoint.size.saturating_sub(1),
            error,
        };
        if state.size() < checkpoint.size {
            return Err(at(LedgerError::BadProof));
        }
        if state.tree().root(checkpoint.size) != Some(checkpoint.root) {
            return Err(at(LedgerError::BadProof));
        }
        Ok(state)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn neither_a_consortium_nor_a_key_is_refused() {
        assert!(matches!(
            Trust::from_text("hello"),
            Err(LedgerError::Malformed(_))
        ));
        // A consortium file that no member signed is not trusted.
        assert!(Trust::from_text("semres consortium v1\norigin x\n\n").is_err());
    }
}
