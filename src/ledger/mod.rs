//! The SEMRES ledger (paper §3.3–3.4): a Proof-of-Authority chain of blocks that record, for
//! each exchange, the SMeR hash and the owner's signed authorization; and a Merkle log over
//! the blocks with signed checkpoints. Pure: no I/O, no clock — times are parameters.

pub mod block;
pub mod checkpoint;
pub mod codec;
pub mod entry;
pub mod error;
pub mod merkle;
pub mod state;

pub use block::Block;
pub use entry::{Entry, EntryBody, Role};
pub use error::LedgerError;
pub use state::{genesis_block, verify_chain, verify_chain_structure, ChainError, LedgerState};
