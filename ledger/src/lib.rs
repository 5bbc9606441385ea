//! SEMRES native tools: the `semres` CLI, the server that serves the browser site (and will
//! grow into the ledger endpoint, DERy), and the seeded test-vector generator.

#![forbid(unsafe_code)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod api;
pub mod cli;
pub mod demo;
pub mod ledger_vectors;
pub mod node;
pub mod server;
pub mod store;
pub mod vectors;
