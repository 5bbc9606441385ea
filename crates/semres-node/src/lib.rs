//! SEMRES node: what a hospital runs. The DERy repository (SMeRs by their SHA-256, the hash
//! checked on every exchange), the Proof-of-Authority ledger node over its stores, and the
//! HTTP API through which browsers and other hospitals reach both. Every check is the core's
//! (`semres`); this crate adds storage, the clock, the network and the authority's key.

pub mod api;
pub mod clock;
pub mod consortium;
pub mod demo;
pub mod dery;
pub mod fsutil;
pub mod log;
pub mod node;
pub mod server;
pub mod store;
