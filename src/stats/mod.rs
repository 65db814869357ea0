//! Drift statistics as pure functions over slices. Every function here is pinned to a
//! reference value computed by numpy/scipy (see `fixtures/drift/make_fixtures.py`;
//! DeLong and McNemar: `fixtures/shadow/make_fixtures.py`).

pub mod binning;
pub mod chi2;
pub mod correction;
pub mod delong;
pub mod jensen_shannon;
pub mod ks;
pub mod mcnemar;
pub mod psi;
pub mod quantile;
pub mod special;
pub mod wasserstein;

/// Sorts finite values ascending; the caller guarantees no NaN (NaN is counted, never binned).
pub fn sort_finite(values: &mut [f64]) {
    values.sort_unstable_by(f64::total_cmp);
}
