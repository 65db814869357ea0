//! `--model gbm`: gradient-boosted trees by forust-ml. model.json is forust's own JSON, which
//! the Python package `forust` loads with `GradientBooster.load_booster` (the interop check,
//! scripts/interop.sh running scripts/python/forust_interop.py, proves the predictions agree).
//! Categorical features enter as their vocabulary index; missing values (NaN) take the trees'
//! learnt missing branch.

use anyhow::{anyhow, Context, Result};
use forust_ml::objective::ObjectiveType;
use forust_ml::{GradientBooster, Matrix};
use serde::Serialize;

use super::encode::FeatureMatrix;
use super::linear::sigmoid;
use crate::model::Task;

/// forust-ml's version, pinned in Cargo.toml; metadata records which engine wrote model.json.
pub const FOREST_VERSION: &str = "0.8.0";

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GbmParams {
    pub iterations: usize,
    pub learning_rate: f64,
    pub max_depth: usize,
    pub seed: u64,
}

pub fn train_gbm(
    x: &FeatureMatrix,
    y: &[f64],
    task: Task,
    params: &GbmParams,
    feature_names: &[String],
) -> Result<GradientBooster> {
    let objective = match task {
        Task::Binary => ObjectiveType::LogLoss,
        Task::Regression => ObjectiveType::SquaredLoss,
    };
    let mut booster = GradientBooster::default()
        .set_objective_type(objective)
        .set_iterations(params.iterations)
        .set_learning_rate(params.learning_rate as f32)
        .set_max_depth(params.max_depth)
        .set_seed(params.seed);
    let weights = vec![1.0; x.rows];
    let matrix = Matrix::new(&x.values, x.rows, x.cols);
    booster
        .fit(&matrix, y, &weights, None)
        .map_err(|e| anyhow!("{e}"))
        .context("training the gradient-boosted trees")?;
    // The Python package reads these to check a DataFrame's columns against the training order.
    booster.insert_metadata(
        "feature_names_in_".to_string(),
        serde_json::to_string(feature_names)?,
    );
    booster.insert_metadata("n_features_".to_string(), feature_names.len().to_string());
    Ok(booster)
}

/// Probabilities (binary) or predicted values (regression) for the rows of `x`.
pub fn gbm_predict(booster: &GradientBooster, x: &FeatureMatrix, task: Task) -> Vec<f64> {
    let matrix = Matrix::new(&x.values, x.rows, x.cols);
    let raw = booster.predict(&matrix, true);
    match task {
        Task::Binary => raw.into_iter().map(sigmoid).collect(),
        Task::Regression => raw,
    }
}

pub fn gbm_to_json(booster: &GradientBooster) -> Result<String> {
    booster
        .json_dump()
        .map_err(|e| anyhow!("{e}"))
        .context("serialising the gradient-boosted trees")
}

pub fn gbm_from_json(text: &str, path: &str) -> Result<GradientBooster> {
    GradientBooster::from_json(text)
        .map_err(|e| anyhow!("{e}"))
        .with_context(|| format!("{path}: not a forust GradientBooster model"))
}

/// The feature names the model was trained on, if it records them.
pub fn gbm_feature_names(booster: &GradientBooster) -> Option<Vec<String>> {
    let text = booster.get_metadata(&"feature_names_in_".to_string())?;
    serde_json::from_str(&text).ok()
}
