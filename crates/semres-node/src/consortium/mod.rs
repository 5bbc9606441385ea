//! The consortium engine (SPEC §6, the paper's §3.4): the hospitals share one ledger whose
//! entries are anchored on an existing Proof-of-Authority chain; this node replays that chain
//! with the same rules as every other, and cosigns the checkpoints it derived.

pub mod ethereum;
