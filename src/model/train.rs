//! Training a candidate: targets and times checked, a time-based holdout, the model fitted,
//! scored on the holdout, a decision threshold chosen there. Everything train-candidate writes
//! is computed here; the command only decides where it goes.

use anyhow::{bail, Context, Result};
use polars::prelude::{Column, DataFrame, IdxCa, IdxSize, NamedFrom, Series};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::encode::{
    encode_features, learn_vocabularies, FeatureMatrix, FeatureSpec, Vocabularies,
};
use super::gbm::{gbm_predict, gbm_to_json, train_gbm, GbmParams, FOREST_VERSION};
use super::linear::{train_linear, ColumnEncoding, LinearModel};
use super::split::{time_holdout_split, TimeSplit};
use crate::data::labels::{binary_labels, finite_values};
use crate::data::read::LoadedTable;
use crate::data::time::{format_ms, table_timestamps};
use crate::data::{ColumnKind, InputInfo};
use crate::drift::plan::ColumnSource;
use crate::metrics::{binary_metrics, choose_threshold, regression_metrics, ThresholdRule};
use crate::model::Task;

/// Column names in holdout.parquet besides the id and time columns.
pub const HOLDOUT_LABEL: &str = "label";
pub const HOLDOUT_SCORE: &str = "score";

#[derive(Debug, Clone, PartialEq)]
pub enum Trainer {
    Gbm(GbmParams),
    Linear { l2: f64 },
}

/// Targets and times of the rows that can be used, the split, and what was dropped.
pub struct PreparedRows {
    /// Indices into the loaded table of rows with a target.
    pub kept: Vec<usize>,
    /// Target per kept row: 0/1 for binary.
    pub target: Vec<f64>,
    pub times_ms: Vec<i64>,
    pub dropped_null_target: u64,
    /// Indices into `kept`.
    pub split: TimeSplit,
}

/// Binary when the target is boolean or only 0/1; regression for other numbers.
pub fn infer_task(data: &LoadedTable, target: &str) -> Result<Task> {
    let parts = data.column_parts(target)?;
    let dtype = parts[0].dtype().clone();
    if dtype.is_bool() {
        return Ok(Task::Binary);
    }
    if !dtype.is_primitive_numeric() {
        bail!(
            "target `{target}` in {} has type {dtype}; expected a boolean, 0/1 or numbers",
            data.source
        );
    }
    let values = data.map_column(target, |c| finite_values(c, &data.source, "target"))?;
    Ok(task_of_values(&values))
}

/// Numbers that are all 0 or 1 (nulls aside) are a binary target, as a boolean would be.
pub fn task_of_values(values: &[Option<f64>]) -> Task {
    if values.iter().flatten().all(|&v| v == 0.0 || v == 1.0) {
        Task::Binary
    } else {
        Task::Regression
    }
}

impl UsableRows {
    /// Only the given rows (indices into `kept`, ascending).
    pub fn retain(self, rows: &[usize]) -> UsableRows {
        UsableRows {
            kept: rows.iter().map(|&i| self.kept[i]).collect(),
            target: rows.iter().map(|&i| self.target[i]).collect(),
            times_ms: rows.iter().map(|&i| self.times_ms[i]).collect(),
            dropped_null_target: self.dropped_null_target,
        }
    }
}

impl PreparedRows {
    /// The training rows as indices into the loaded table.
    pub fn train_table_rows(&self) -> Vec<usize> {
        self.split.train.iter().map(|&i| self.kept[i]).collect()
    }

    /// The holdout rows as indices into the loaded table.
    pub fn holdout_table_rows(&self) -> Vec<usize> {
        self.split.holdout.iter().map(|&i| self.kept[i]).collect()
    }

    /// The holdout rows' targets (0/1 for binary).
    pub fn holdout_targets(&self) -> Vec<f64> {
        self.split.holdout.iter().map(|&i| self.target[i]).collect()
    }
}

/// Rows that have a target, before any split (their count decides "insufficient data").
pub struct UsableRows {
    pub kept: Vec<usize>,
    pub target: Vec<f64>,
    pub times_ms: Vec<i64>,
    pub dropped_null_target: u64,
}

/// Reads target and time; drops (or refuses) rows without a target. Also returns every
/// row's time, labelled or not, which the training window and entity silence count back from.
pub fn usable_rows(
    data: &LoadedTable,
    target: &str,
    time: &str,
    task: Task,
    drop_null_target: bool,
) -> Result<(UsableRows, Vec<i64>)> {
    let targets: Vec<Option<f64>> = match task {
        Task::Binary => data
            .map_column(target, |c| binary_labels(c, &data.source))?
            .into_iter()
            .map(|v| v.map(|b| if b { 1.0 } else { 0.0 }))
            .collect(),
        Task::Regression => {
            data.map_column(target, |c| finite_values(c, &data.source, "target"))?
        }
    };
    let times = table_timestamps(data, time)?;
    let null_times = times.iter().filter(|t| t.is_none()).count();
    if null_times > 0 {
        bail!(
            "time column `{time}` in {}: {null_times} rows have no time; every row needs one for the time-based holdout",
            data.source
        );
    }
    let null_targets = targets.iter().filter(|t| t.is_none()).count() as u64;
    if null_targets > 0 && !drop_null_target {
        bail!(
            "target `{target}` in {}: {null_targets} rows have no value; pass --drop-null-target to train without them",
            data.source
        );
    }
    let kept: Vec<usize> = (0..data.rows).filter(|&i| targets[i].is_some()).collect();
    if kept.is_empty() {
        bail!("target `{target}` in {}: every row is null", data.source);
    }
    let target: Vec<f64> = kept.iter().filter_map(|&i| targets[i]).collect();
    let times: Vec<i64> = times.into_iter().flatten().collect();
    let times_ms: Vec<i64> = kept.iter().map(|&i| times[i]).collect();
    let usable = UsableRows {
        kept,
        target,
        times_ms,
        dropped_null_target: null_targets,
    };
    Ok((usable, times))
}

/// Splits usable rows by time; a binary training side with one class is an error.
pub fn split_rows(
    rows: UsableRows,
    holdout: f64,
    task: Task,
    file: &str,
    target_name: &str,
    time: &str,
) -> Result<PreparedRows> {
    let UsableRows {
        kept,
        target,
        times_ms,
        dropped_null_target,
    } = rows;
    let split = time_holdout_split(&times_ms, holdout)
        .with_context(|| format!("splitting {file} by `{time}`"))?;
    if task == Task::Binary {
        let train_positives = split.train.iter().filter(|&&i| target[i] == 1.0).count();
        if train_positives == 0 || train_positives == split.train.len() {
            let class = if train_positives == 0 { 0 } else { 1 };
            bail!(
                "target `{}` in {}: the {} training rows all have class {class}; a binary model needs both classes",
                target_name,
                file,
                split.train.len()
            );
        }
    }
    Ok(PreparedRows {
        kept,
        target,
        times_ms,
        dropped_null_target,
        split,
    })
}

/// A feature with no value in any training row is an error.
pub fn check_features_present(
    features: &[FeatureSpec],
    missing: &std::collections::BTreeMap<String, u64>,
    rows: usize,
    file: &str,
) -> Result<()> {
    let empty: Vec<&str> = features
        .iter()
        .filter(|f| missing.get(&f.name).copied().unwrap_or(0) as usize == rows)
        .map(|f| f.name.as_str())
        .collect();
    if !empty.is_empty() {
        bail!(
            "{file}: feature(s) {} have no values in any training row (all null/NaN); exclude them with --exclude",
            empty.join(", ")
        );
    }
    Ok(())
}

pub enum FittedModel {
    Gbm(Box<forust_ml::GradientBooster>),
    Linear(LinearModel),
}

impl FittedModel {
    pub fn predict(&self, x: &FeatureMatrix, task: Task) -> Vec<f64> {
        match self {
            FittedModel::Gbm(b) => gbm_predict(b, x, task),
            FittedModel::Linear(m) => m.predict(x),
        }
    }

    /// The engine and its version, which metadata.json records beside model.json.
    pub fn engine(&self) -> (&'static str, &'static str) {
        match self {
            FittedModel::Gbm(_) => ("forust-ml", FOREST_VERSION),
            FittedModel::Linear(_) => ("refit-linear", env!("CARGO_PKG_VERSION")),
        }
    }

    /// model.json: forust's own format for a GBM (Python's forust loads it), ours for linear.
    pub fn to_json(&self) -> Result<String> {
        Ok(match self {
            FittedModel::Gbm(b) => gbm_to_json(b)?,
            FittedModel::Linear(m) => serde_json::to_string_pretty(m)? + "\n",
        })
    }
}

pub struct Candidate {
    pub model: FittedModel,
    pub vocabularies: Vocabularies,
    pub holdout_scores: Vec<f64>,
    pub holdout_metrics: Value,
    pub decision_threshold: Option<f64>,
}

/// Encodes, fits on the training rows, scores the holdout and picks the threshold.
#[allow(clippy::too_many_arguments)]
pub fn fit_candidate(
    data: &LoadedTable,
    features: &[FeatureSpec],
    extra_vocabularies: &[String],
    rows: &PreparedRows,
    task: Task,
    trainer: &Trainer,
    threshold_rule: ThresholdRule,
) -> Result<Candidate> {
    let train_rows = rows.train_table_rows();
    let holdout_rows = rows.holdout_table_rows();
    let vocabularies = learn_vocabularies(data, features, extra_vocabularies, &train_rows)?;
    let (matrix, _) = encode_features(data, features, &vocabularies)?;
    let x_train = matrix.take_rows(&train_rows);
    let missing: std::collections::BTreeMap<String, u64> = features
        .iter()
        .enumerate()
        .map(|(j, f)| {
            (
                f.name.clone(),
                x_train.column(j).iter().filter(|v| v.is_nan()).count() as u64,
            )
        })
        .collect();
    check_features_present(features, &missing, x_train.rows, &data.source)?;
    let x_holdout = matrix.take_rows(&holdout_rows);
    drop(matrix);
    let y_train: Vec<f64> = rows.split.train.iter().map(|&i| rows.target[i]).collect();
    let y_holdout = rows.holdout_targets();
    let names: Vec<String> = features.iter().map(|f| f.name.clone()).collect();
    let model = match trainer {
        Trainer::Gbm(params) => FittedModel::Gbm(Box::new(train_gbm(
            &x_train, &y_train, task, params, &names,
        )?)),
        Trainer::Linear { l2 } => {
            let columns = linear_columns(features, &vocabularies);
            FittedModel::Linear(train_linear(&x_train, &y_train, &columns, task, *l2)?)
        }
    };
    let holdout_scores = model.predict(&x_holdout, task);
    let (holdout_metrics, decision_threshold) =
        holdout_metrics(task, &y_holdout, &holdout_scores, threshold_rule)?;
    Ok(Candidate {
        model,
        vocabularies,
        holdout_scores,
        holdout_metrics,
        decision_threshold,
    })
}

/// The linear model one-hot encodes categories with the vocabulary learnt on training rows.
fn linear_columns(features: &[FeatureSpec], vocabularies: &Vocabularies) -> Vec<ColumnEncoding> {
    features
        .iter()
        .map(|f| match f.role {
            ColumnKind::Numeric => ColumnEncoding::Numeric {
                name: f.name.clone(),
            },
            ColumnKind::Categorical => ColumnEncoding::OneHot {
                name: f.name.clone(),
                categories: vocabularies[&f.name].clone(),
            },
        })
        .collect()
}

/// Metrics on the holdout; for a binary task the threshold is chosen first and the
/// threshold-dependent metrics use it.
pub fn holdout_metrics(
    task: Task,
    targets: &[f64],
    scores: &[f64],
    rule: ThresholdRule,
) -> Result<(Value, Option<f64>)> {
    Ok(match task {
        Task::Binary => {
            let labels: Vec<bool> = targets.iter().map(|&t| t == 1.0).collect();
            let threshold = choose_threshold(rule, &labels, scores);
            let metrics = binary_metrics(&labels, scores, threshold);
            (serde_json::to_value(metrics)?, Some(threshold))
        }
        Task::Regression => (
            serde_json::to_value(regression_metrics(targets, scores))?,
            None,
        ),
    })
}

/// holdout.parquet: the id columns and the time column of the holdout rows, then label and
/// score.
pub fn holdout_frame(
    data: &LoadedTable,
    columns: &[String],
    rows: &[usize],
    labels: &[f64],
    scores: &[f64],
    task: Task,
) -> Result<DataFrame> {
    let indices = IdxCa::from_vec("row".into(), rows.iter().map(|&i| i as IdxSize).collect());
    let mut out: Vec<Column> = Vec::new();
    for name in columns {
        out.push(data.whole_column(name)?.take(&indices)?.into());
    }
    let label: Column = match task {
        Task::Binary => Series::new(
            HOLDOUT_LABEL.into(),
            labels.iter().map(|&v| v == 1.0).collect::<Vec<bool>>(),
        )
        .into(),
        Task::Regression => Series::new(HOLDOUT_LABEL.into(), labels).into(),
    };
    out.push(label);
    out.push(Series::new(HOLDOUT_SCORE.into(), scores).into());
    DataFrame::new(rows.len(), out).context("assembling holdout.parquet")
}

/// One digest for the whole input: SHA-256 over the files' digests in input order.
pub fn data_fingerprint(inputs: &[InputInfo]) -> String {
    let mut hasher = Sha256::new();
    for input in inputs {
        hasher.update(input.sha256.as_bytes());
        hasher.update(b"\n");
    }
    format!("{:x}", hasher.finalize())
}

/// The training window, from the kept rows' times, with the window asked for if any.
pub fn training_window(
    rows: &PreparedRows,
    selection: Option<super::window::WindowBounds>,
) -> super::metadata::TrainingWindow {
    let range = |idx: &[usize]| {
        let times = idx.iter().map(|&i| rows.times_ms[i]);
        (
            times.clone().min().unwrap_or_default(),
            times.max().unwrap_or_default(),
        )
    };
    let (train_start, train_end) = range(&rows.split.train);
    let (holdout_start, holdout_end) = range(&rows.split.holdout);
    super::metadata::TrainingWindow {
        train_start: format_ms(train_start),
        train_end: format_ms(train_end),
        holdout_start: format_ms(holdout_start),
        holdout_end: format_ms(holdout_end),
        selection,
    }
}

/// The trainer's parameters as recorded in metadata.json.
pub fn trainer_params(trainer: &Trainer) -> Value {
    match trainer {
        Trainer::Gbm(p) => serde_json::to_value(p).unwrap_or(Value::Null),
        Trainer::Linear { l2 } => json!({ "l2": l2 }),
    }
}

/// The features to train on: `requested`, or every column but the target, the time, ids and
/// the entity, minus `excluded`; kinds by dtype unless forced categorical.
pub struct FeatureChoice<'a> {
    pub requested: &'a [String],
    pub excluded: &'a [String],
    pub categorical: &'a [String],
    /// Columns that are never features unless requested by name (target, time, ids).
    pub reserved: &'a [String],
}

/// Chosen feature names with their kinds.
pub type ChosenFeatures = Vec<(String, ColumnKind)>;

/// Returns the features and messages about columns that could not be features.
pub fn select_features(
    table: &dyn ColumnSource,
    choice: &FeatureChoice<'_>,
) -> Result<(ChosenFeatures, Vec<String>)> {
    let mut messages = Vec::new();
    let names = if choice.requested.is_empty() {
        table
            .names()
            .into_iter()
            .filter(|n| !choice.reserved.contains(n) && !choice.excluded.contains(n))
            .collect::<Vec<_>>()
    } else {
        choice.requested.to_vec()
    };
    let mut features = Vec::new();
    for name in names {
        let kind = match table.kind(&name) {
            Ok(kind) => kind,
            Err(e) if choice.requested.is_empty() => {
                messages.push(format!("not a feature: {e:#}"));
                continue;
            }
            Err(e) => return Err(e),
        };
        let kind = if choice.categorical.contains(&name) {
            ColumnKind::Categorical
        } else {
            kind
        };
        features.push((name, kind));
    }
    for name in choice.categorical {
        if !features.iter().any(|(n, _)| n == name) {
            bail!("--categorical {name}: not one of the features");
        }
    }
    if features.is_empty() {
        bail!(
            "{}: no feature columns left; check --features/--exclude",
            table.source()
        );
    }
    Ok((features, messages))
}

/// FeatureSpecs with the dtype each column has in the loaded data.
pub fn feature_specs(
    data: &LoadedTable,
    chosen: &[(String, ColumnKind)],
) -> Result<Vec<FeatureSpec>> {
    chosen
        .iter()
        .map(|(name, role)| {
            let parts = data.column_parts(name)?;
            Ok(FeatureSpec {
                name: name.clone(),
                role: *role,
                dtype: parts[0].dtype().to_string(),
            })
        })
        .collect()
}
