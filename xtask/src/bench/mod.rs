//! Benchmarks (`npm run bench`; reports, never tests): the endpoint over loopback HTTP and
//! the ledger core natively. Each returns its figures as JSON for `tests/bench/run.mjs`.

pub mod endpoint;
pub mod ledger;
