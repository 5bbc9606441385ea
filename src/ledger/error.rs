//! Errors of the ledger layer (blocks, entries, Proof-of-Authority verification,
//! checkpoints and proofs): one `#[non_exhaustive]` enum with stable codes.

use core::fmt;

use crate::codes::Code;

/// Everything that can make a block, an entry, a checkpoint or a proof invalid.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LedgerError {
    /// Bytes that are not a well-formed v1 encoding (the detail is a fixed description).
    Malformed(&'static str),
    /// A version byte this build does not know.
    UnsupportedVersion(u8),
    /// The block's number is not the next one.
    BadNumber,
    /// The block's previous hash is not the hash of the block before it.
    BadLink,
    /// The block's time is earlier than its predecessor's, or an entry is from the future.
    BadTime,
    /// The sealer is not in the authority set in force at that height.
    UnknownAuthority,
    /// The block's seal does not verify.
    BadSeal,
    /// An entry signature does not verify.
    BadSignature,
    /// A required signature is missing (owner, participant, admitting authority, majority).
    MissingSignature,
    /// The signer or a named participant is not registered.
    NotRegistered,
    /// The entry's signer may not do this (not the owner, not the recipient, not the payer).
    NotAuthorized,
    /// The grant is revoked, expired, or its SMeR erased.
    GrantInactive,
    /// The entry refers to a grant, care entry or SMeR that does not exist.
    UnknownReference,
    /// The same entry (or the same SMeR, participant or payment) appears twice.
    Duplicate,
    /// The genesis block is not a valid genesis.
    BadGenesis,
    /// The grant's recipient is not among the recipients the SMeR is sealed to.
    RecipientMismatch,
    /// A checkpoint has no valid signature from a known authority.
    BadCheckpoint,
    /// A Merkle proof does not verify.
    BadProof,
    /// Fewer members than the consortium's threshold validly cosigned a checkpoint.
    BelowThreshold {
        /// Distinct members whose cosignatures verified.
        valid: usize,
        /// The threshold.
        needed: usize,
    },
    /// A consortium file breaks a rule (the detail is a fixed description).
    BadConsortium(&'static str),
    /// An anchored block names another Ethereum chain, or does not come after the anchor
    /// before it.
    BadAnchor,
}

impl LedgerError {
    /// The stable code (see [`crate::codes`]), also used by the JS API and the endpoint.
    pub fn code(&self) -> Code {
        match self {
            LedgerError::Malformed(_) => Code::MalformedLedgerData,
            LedgerError::UnsupportedVersion(_) => Code::UnsupportedVersion,
            LedgerError::BadNumber => Code::BadBlockNumber,
            LedgerError::BadLink => Code::BadPreviousHash,
            LedgerError::BadTime => Code::BadTime,
            LedgerError::UnknownAuthority => Code::UnknownAuthority,
            LedgerError::BadSeal => Code::BadSeal,
            LedgerError::BadSignature => Code::BadSignature,
            LedgerError::MissingSignature => Code::MissingSignature,
            LedgerError::NotRegistered => Code::NotRegistered,
            LedgerError::NotAuthorized => Code::NotAuthorized,
            LedgerError::GrantInactive => Code::GrantInactive,
            LedgerError::UnknownReference => Code::UnknownReference,
            LedgerError::Duplicate => Code::Duplicate,
            LedgerError::BadGenesis => Code::BadGenesis,
            LedgerError::RecipientMismatch => Code::RecipientMismatch,
            LedgerError::BadCheckpoint => Code::BadCheckpoint,
            LedgerError::BadProof => Code::BadProof,
            LedgerError::BelowThreshold { .. } => Code::BadCheckpoint,
            LedgerError::BadConsortium(_) => Code::BadConsortium,
            LedgerError::BadAnchor => Code::BadAnchor,
        }
    }
}

impl fmt::Display for LedgerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LedgerError::Malformed(why) => write!(f, "malformed ledger data: {why}"),
            LedgerError::UnsupportedVersion(v) => {
                write!(f, "unsupported ledger format version {v}")
            }
            LedgerError::BadNumber => f.write_str("block number is not the next one"),
            LedgerError::BadLink => f.write_str("previous hash does not match the previous block"),
            LedgerError::BadTime => {
                f.write_str("time goes backwards, or an entry is dated after its block")
            }
            LedgerError::UnknownAuthority => {
                f.write_str("the block is sealed by a key outside the authority set")
            }
            LedgerError::BadSeal => f.write_str("the block's seal does not verify"),
            LedgerError::BadSignature => f.write_str("an entry signature does not verify"),
            LedgerError::MissingSignature => f.write_str("a required signature is missing"),
            LedgerError::NotRegistered => f.write_str("a participant is not registered"),
            LedgerError::NotAuthorized => f.write_str("the signer may not make this entry"),
            LedgerError::GrantInactive => {
                f.write_str("the grant is revoked, expired, or its SMeR erased")
            }
            LedgerError::UnknownReference => {
                f.write_str("the entry refers to something not on the ledger")
            }
            LedgerError::Duplicate => f.write_str("duplicate or replayed entry"),
            LedgerError::BadGenesis => f.write_str("invalid genesis block"),
            LedgerError::BadCheckpoint => {
                f.write_str("the checkpoint has no valid authority signature")
            }
            LedgerError::RecipientMismatch => {
                f.write_str("the SMeR is not sealed to the grant's recipient")
            }
            LedgerError::BadProof => f.write_str("the Merkle proof does not verify"),
            LedgerError::BelowThreshold { valid, needed } => write!(
                f,
                "the checkpoint has valid cosignatures by {valid} members; {needed} are required"
            ),
            LedgerError::BadConsortium(why) => write!(f, "invalid consortium file: {why}"),
            LedgerError::BadAnchor => f.write_str(
                "the block's anchor names another chain or does not follow the previous one",
            ),
        }
    }
}

impl std::error::Error for LedgerError {}

/// Result alias of the ledger layer.
pub type LedgerResult<T> = core::result::Result<T, LedgerError>;
