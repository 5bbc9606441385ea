//! The SEMRES ledger (paper §3.3–3.4): a Proof-of-Authority chain of blocks that record, for
//! each exchange, the SMeR hash and the owner's signed authorization; a Merkle log over the
//! blocks with signed checkpoints; and the signed requests with which participants reach
//! the endpoint. Pure: no I/O, no clock — times are parameters.
//!
//! - [`entry`] — what a participant signs (SPEC.md §4.2); [`block`] — what an authority
//!   seals (§4.3); [`codec`] — their one binary encoding (§4.1).
//! - [`state`] — the rules and the one verifier (§4.2, §4.4).
//! - [`merkle`] and [`checkpoint`] — the RFC 6962 log and its C2SP checkpoints (§4.5).
//! - [`consortium`] — the member institutions and their k-of-n cosigned checkpoints (§6).
//! - [`chain_file`] — the auditor's offline chain (§4.6).
//! - [`request`] — signed requests to the endpoint (§5.1).

pub mod block;
pub mod chain_file;
pub mod checkpoint;
pub mod codec;
pub mod consortium;
pub mod entry;
pub mod error;
pub mod merkle;
pub mod request;
pub mod state;
pub mod trust;

pub use block::Block;
pub use entry::{Entry, EntryBody, Role};
pub use error::LedgerError;
pub use state::{
    genesis_block, verify_anchored_chain, verify_anchored_chain_deferred, verify_chain,
    verify_chain_deferred, verify_chain_structure, ChainError, DeferredChain, LedgerState,
    SignatureCheck,
};
