//! metadata.json: what a model directory says about its model. score-proxy reads
//! `decision_threshold` and `holdout_metrics`, fleet-diff reads `vocabularies.<entity>`,
//! predict reads `features` and `vocabularies`.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::encode::{FeatureSpec, Vocabularies};
use super::window::WindowBounds;
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
    /// `requested` (since, window, max_rows), `data_start` and `data_end`: only when
    /// train-candidate was given a window.
    #[serde(flatten, default, skip_serializing_if = "Option::is_none")]
    pub selection: Option<WindowBounds>,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::window::RequestedWindow;

    fn window(selection: Option<WindowBounds>) -> TrainingWindow {
        TrainingWindow {
            train_start: "2026-10-01T00:00:00Z".into(),
            train_end: "2026-10-20T00:00:00Z".into(),
            holdout_start: "2026-10-21T00:00:00Z".into(),
            holdout_end: "2026-10-30T00:00:00Z".into(),
            selection,
        }
    }

    #[test]
    fn the_window_asked_for_is_recorded_beside_the_split_and_read_back() {
        // Without a window the record is what it always was, and older files still load.
        let plain = serde_json::to_value(window(None)).unwrap();
        assert_eq!(plain.as_object().unwrap().len(), 4);
        let loaded: TrainingWindow = serde_json::from_value(plain).unwrap();
        assert!(loaded.selection.is_none());

        let bounds = WindowBounds {
            requested: RequestedWindow {
                since: None,
                window: Some("30d".into()),
                max_rows: Some(50_000),
            },
            data_start: "2026-09-30T00:00:00Z".into(),
            data_end: "2026-10-30T00:00:00Z".into(),
        };
        let json = serde_json::to_value(window(Some(bounds.clone()))).unwrap();
        assert_eq!(
            json["requested"],
            serde_json::json!({ "window": "30d", "max_rows": 50000 })
        );
        assert_eq!(json["data_start"], "2026-09-30T00:00:00Z");
        assert_eq!(json["train_start"], "2026-10-01T00:00:00Z");
        let loaded: TrainingWindow = serde_json::from_value(json).unwrap();
        assert_eq!(loaded.selection, Some(bounds));
    }
}
