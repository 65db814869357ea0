//! Models: the model directory format, feature encoding, the time-based holdout, the
//! built-in trainers (forust GBM, linear), external trainers and batch prediction.

pub mod candidate;
pub mod directory;
pub mod encode;
pub mod external;
pub mod gbm;
pub mod linear;
pub mod metadata;
pub mod plan;
pub mod split;
pub mod train;
pub mod window;

/// What a model predicts; defined with the metrics that judge it.
pub use crate::metrics::Task;

/// The built-in trainers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ModelKind {
    /// Gradient-boosted trees (forust-ml).
    Gbm,
    /// Logistic (binary) or ridge (regression) regression.
    Linear,
}

impl std::str::FromStr for ModelKind {
    type Err = String;
    fn from_str(s: &str) -> Result<ModelKind, String> {
        match s {
            "gbm" => Ok(ModelKind::Gbm),
            "linear" => Ok(ModelKind::Linear),
            other => Err(format!("unknown model `{other}`: expected gbm or linear")),
        }
    }
}
