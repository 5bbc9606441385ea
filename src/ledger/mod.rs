//! The SEMRES ledger (paper §3.3–3.4): a Proof-of-Authority chain of blocks that record, for
//! each exchange, the SMeR hash and the owner's signed authorization; and a Merkle log over
//! the blocks with signed checkpoints. Pure: no I/O, no clock.

pub mod merkle;
