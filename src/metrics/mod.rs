//! Classification and regression metrics shared by score-proxy, shadow-test and
//! train-candidate. Pure functions over slices, pinned to scikit-learn's values
//! (`fixtures/metrics/make_golden.py`). [`Metric`] names them and knows their direction.

pub mod binary;
pub mod bootstrap;
pub mod cbpe;
pub mod metric;
pub mod ranking;
pub mod regression;
pub mod task;
pub mod threshold;
pub mod values;

pub use binary::{binary_metrics, curve_points, BinaryMetrics, CurvePoint};
pub use metric::Metric;
pub use regression::{regression_metrics, RegressionMetrics};
pub use task::Task;
pub use threshold::{choose_threshold, ThresholdRule};
pub use values::MetricValues;

/// The names of [`Metric::BINARY`] (older callers take `&str`s).
pub const BINARY_METRIC_NAMES: [&str; 8] = metric::names(Metric::BINARY);

/// The names of [`Metric::REGRESSION`] (older callers take `&str`s).
pub const REGRESSION_METRIC_NAMES: [&str; 3] = metric::names(Metric::REGRESSION);
