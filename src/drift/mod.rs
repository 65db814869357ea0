//! Drift analysis: per-feature statistics, verdicts and baseline profiles. The command file
//! (`cmd/drift_check.rs`) only wires inputs and outputs around these functions.

pub mod categorical;
pub mod edges;
pub mod numeric;
pub mod profile;
pub mod verdict;

pub use categorical::{analyze_categorical, CategoricalDrift};
pub use numeric::{analyze_numeric, NumericDrift, NumericSide};
pub use profile::{FeatureProfile, NumericProfile, Profile};
pub use verdict::{
    decide_features, DatasetRule, FeatureDecisionInput, FeatureVerdict, Method, Statistic,
    Thresholds,
};
pub mod config;
pub mod feature;
pub mod plan;
pub mod render;
pub mod schema;
