//! metadata.json: what a model directory says about its model. score-proxy reads
//! `decision_threshold` and `holdout_metrics`, fleet-diff reads `vocabularies.<entity>`,
//! predict reads `features` and `vocabularies`.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::encode::{FeatureSpec, Vocabularies};
use crate::data::InputInfo;
use crate::model::Task;

pub const METADATA_FORMAT: &str = "refit-model/1";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ModelMetadata {
    pub format: String,
    pub task: Task,
    pub target: String,
    pub time_column: String,
    /// Columns copied into holdout.parquet (and predict's output) to identify rows.
    pub id_columns: Vec<String>,
    /// In the order the model reads them.
    pub features: Vec<FeatureSpec>,
    /// Every categorical feature's vocabulary, plus the entity column's (--entity).
    pub vocabularies: Vocabularies,
    /// Binary only: score >= threshold is positive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision_threshold: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold_rule: Option<String>,
    pub training_window: TrainingWindow,
    pub rows: RowCounts,
    /// The shared metrics module's output on the holdout (flat: roc_auc, pr_auc, mae, ...).
    pub holdout_metrics: Value,
    pub data_fingerprint: DataFingerprint,
    pub trainer: Trainer,
    pub refit_version: String,
    pub trained_at: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TrainingWindow {
    pub train_start: String,
    pub train_end: String,
    /// The holdout holds every row at or after this time.
    pub holdout_start: String,
    pub holdout_end: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RowCounts {
    pub input: u64,
    pub train: u64,
    pub holdout: u64,
    pub dropped_null_target: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DataFingerprint {
    /// SHA-256 over the input files' digests, in input order: one value to compare.
    pub sha256: String,
    pub inputs: Vec<InputInfo>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Trainer {
    /// gbm, linear or external.
    pub model: String,
    /// The engine that wrote model.json: forust-ml, refit-linear, or the external command.
    pub engine: String,
    pub engine_version: String,
    pub params: Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
}
