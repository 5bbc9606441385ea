//! Benchmarks (`npm run bench`; reports, never tests): the endpoint over loopback HTTP and
//! the ledger core natively. Each returns its figures as JSON for `tests/bench/run.mjs`.

pub mod consortium;
pub mod endpoint;
pub mod large;
pub mod ledger;

/// The `p`-quantile (0..=1) of sorted figures, NaN when there are none.
pub(crate) fn percentile(sorted: &[f64], p: f64) -> f64 {
    let last = sorted.len().saturating_sub(1);
    sorted
        .get((last as f64 * p).round() as usize)
        .copied()
        .unwrap_or(f64::NAN)
}

/// The median of the figures, NaN when there are none.
pub(crate) fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    percentile(&xs, 0.5)
}
