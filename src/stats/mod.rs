//! Drift statistics as pure functions over slices. Every function here is pinned to a
//! reference value computed by numpy/scipy (see `fixtures/golden/make_golden.py`).

pub mod binning;
pub mod chi2;
pub mod correction;
pub mod jensen_shannon;
pub mod ks;
pub mod psi;
pub mod quantile;
pub mod sort;
pub mod special;
pub mod wasserstein;

pub use sort::sort_finite;
