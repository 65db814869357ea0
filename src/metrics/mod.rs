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

/// The binary metrics every report and table shows, in display order.
pub const BINARY_METRIC_NAMES: [&str; 8] = [
    "roc_auc",
    "pr_auc",
    "log_loss",
    "brier",
    "accuracy",
    "precision",
    "recall",
    "f1",
];

/// The regression metrics every report and table shows, in display order.
pub const REGRESSION_METRIC_NAMES: [&str; 3] = ["mae", "rmse", "r2"];
