//! Classification and regression metrics shared by score-proxy, shadow-test and
//! train-candidate. Pure functions over slices, pinned to scikit-learn's values
//! (`fixtures/metrics/make_golden.py`).

pub mod binary;
pub mod bootstrap;
pub mod regression;

pub use binary::{binary_metrics, curve_points, BinaryMetrics, CurvePoint};
pub use regression::{regression_metrics, RegressionMetrics};
pub mod threshold;
pub use threshold::{choose_threshold, ThresholdRule};
