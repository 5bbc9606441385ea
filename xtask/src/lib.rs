//! SEMRES developer tools, out of the server library: the seeded generators of the
//! conformance vectors, the benchmarks, and what the tests share (an HTTP client and an
//! in-process node). `cargo xtask --help` lists the commands.

pub mod anvil;
pub mod bench;
pub mod child;
pub mod consortium;
pub mod fixtures;
pub mod fuzz_seeds;
pub mod http;
pub mod proxy;
pub mod server;
pub mod vectors;

/// An error of the tools, as text.
pub fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}
