//! `refit train-candidate`: train a challenger with a time-based holdout and write its model
//! directory atomically.

use std::time::Duration;

use anyhow::{bail, Context, Result};
use chrono::Utc;
use rayon::prelude::*;
use serde_json::{json, Value};

use super::args::{choice, duration, model_kind_values, task_values, DurationArg};
use crate::data::read::expand_paths;
use crate::data::read::LoadedTable;
use crate::data::time::{format_ms, table_timestamps};
use crate::data::Table;
use crate::drift::plan::PlannedFeature;
use crate::drift::profile::{profile_feature, Profile, PROFILE_FORMAT, PROFILE_SCHEMA};
use crate::metrics::ThresholdRule;
use crate::model::directory::{StagedDir, HOLDOUT_FILE, METADATA_FILE, MODEL_FILE, PROFILE_FILE};
use crate::model::encode::{learn_vocabularies, FeatureSpec, Vocabularies};
use crate::model::external::{check_external_output, fill_placeholders, run_external};
use crate::model::gbm::{gbm_to_json, GbmParams};
use crate::model::metadata::{
    DataFingerprint, ModelMetadata, RowCounts, Trainer as TrainerRecord, METADATA_FORMAT,
};
use crate::model::train::{
    data_fingerprint, feature_specs, fit_candidate, holdout_frame, holdout_metrics, infer_task,
    select_features, split_rows, trainer_params, training_window, usable_rows, FeatureChoice,
    FittedModel, PreparedRows, Trainer, HOLDOUT_LABEL, HOLDOUT_SCORE,
};
use crate::model::{ModelKind, Task};
use crate::data::labels::{binary_labels, finite_values};
use crate::report::envelope::rfc3339;
use crate::report::output::{CommandReport, Printer};
use crate::report::prometheus::Gauges;
use crate::report::Status;
use clap::Args;
use serde::Serialize;
use std::path::PathBuf;

pub const EXAMPLES: &str = "\
Examples:
  # gradient-boosted trees, the latest 20% of rows by event time held out
  refit train-candidate --data 'features/*.parquet' --target churned --time event_time \\
      --exclude customer_id --entity customer_id --id customer_id --out candidates/2026-11-23

  # logistic regression, threshold by Youden's J, see what would happen first
  refit train-candidate --data train.parquet --target churned --time ts --model linear \\
      --threshold-rule youden --out cand --dry-run

  # your own trainer; refit validates its directory and writes metadata.json/profile.json
  refit train-candidate --data train.parquet --target y --time ts --out cand \\
      --command 'python train_tft.py --data {data} --out {out}' --timeout 2h

The holdout is the latest --holdout share of rows by --time; rows sharing the cutoff
timestamp all go to the holdout. Fewer usable rows than --min-rows is WARN \"insufficient
data\" (exit 0, or 3 with --fail-on warn) and writes nothing. The model directory appears
atomically (built in a hidden temp directory beside --out, then renamed).
The Python package `forust` loads a GBM's model.json: GradientBooster.load_booster(path).";

#[derive(Debug, Clone, Args, Serialize)]
pub struct TrainCandidateArgs {
    /// Training data: a file or a quoted glob of shards; repeat for several.
    #[arg(long, required = true, value_name = "PATH")]
    pub data: Vec<String>,
    /// Target column: boolean or 0/1 (binary), numbers (regression).
    #[arg(long, value_name = "COL")]
    pub target: String,
    /// Inferred from the target when unambiguous (boolean or only 0/1 values: binary).
    #[arg(long, value_parser = choice::<Task>(task_values()))]
    pub task: Option<Task>,
    /// Time column that orders rows for the holdout (date, datetime or ISO 8601 text).
    #[arg(long, value_name = "COL")]
    pub time: String,
    /// Feature columns (comma-separated). Default: every column but the target, the time,
    /// --id and --exclude columns.
    #[arg(long, value_delimiter = ',', value_name = "COLS")]
    pub features: Vec<String>,
    /// Columns that are not features (comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "COLS")]
    pub exclude: Vec<String>,
    /// Treat these numeric columns as categories (comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "COLS")]
    pub categorical: Vec<String>,
    /// Row id columns copied into holdout.parquet (comma-separated); not features.
    #[arg(long = "id", value_delimiter = ',', value_name = "COLS")]
    pub ids: Vec<String>,
    /// Entity column (server, device, user) whose vocabulary metadata.json records for
    /// fleet-diff, whether or not it is a feature.
    #[arg(long, value_name = "COL")]
    pub entity: Option<String>,
    /// Share of the latest rows held out for evaluation.
    #[arg(long, default_value_t = 0.2, value_name = "FRACTION")]
    pub holdout: f64,
    /// The model directory to create.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Replace --out if it exists (the old directory is removed only after the new one is in).
    #[arg(long)]
    pub force: bool,
    /// Fewer usable rows than this: WARN "insufficient data", nothing written.
    #[arg(long, default_value_t = 500, value_name = "N")]
    pub min_rows: usize,
    /// The built-in trainer (ignored with --command).
    #[arg(long, value_parser = choice::<ModelKind>(model_kind_values()), default_value = "gbm")]
    pub model: ModelKind,
    /// Seed for every random choice of the trainer.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// GBM: boosting rounds.
    #[arg(long, default_value_t = 100, value_name = "N")]
    pub iterations: usize,
    /// GBM: step size (LightGBM's default; forust's own is 0.3).
    #[arg(long, default_value_t = 0.1, value_name = "X")]
    pub learning_rate: f64,
    /// GBM: maximum tree depth (XGBoost's default; measured best for time and ROC-AUC, see README).
    #[arg(long, default_value_t = 6, value_name = "N")]
    pub max_depth: usize,
    /// Linear: L2 penalty on the standardised coefficients (scikit-learn's 1/C or alpha).
    #[arg(long, default_value_t = 1.0, value_name = "X")]
    pub l2: f64,
    /// Binary: how the decision threshold is chosen on the holdout: f1, youden or fixed:X.
    #[arg(long, default_value = "f1", value_name = "RULE")]
    pub threshold_rule: String,
    /// Drop rows whose target is null instead of failing.
    #[arg(long)]
    pub drop_null_target: bool,
    /// Train with your own command instead; {data} (each input file), {out}, {target}, {time},
    /// {holdout} and {cutoff} are replaced (shell-quoted). It must leave model files and
    /// holdout.parquet (the time column, label, score) in {out}, holding out exactly the rows
    /// at or after {cutoff}.
    #[arg(long, value_name = "CMD")]
    pub command: Option<String>,
    /// Kill the external command after this long (30m, 2h).
    #[arg(long, default_value = "1h", value_name = "DURATION", value_parser = duration)]
    pub timeout: DurationArg,
    /// Check the inputs and print what would be trained; write nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// Quantile bins in the profile.json written beside the model (drift-check's default).
const PROFILE_BUCKETS: usize = 10;

pub fn run(args: &TrainCandidateArgs, printer: &Printer) -> Result<CommandReport> {
    let started_at = Utc::now();
    let threshold_rule: ThresholdRule = args.threshold_rule.parse().context("--threshold-rule")?;
    if !(args.holdout > 0.0 && args.holdout < 1.0) {
        bail!(
            "--holdout must be between 0 and 1 (exclusive), got {}",
            args.holdout
        );
    }
    let timeout_ms = args.timeout.millis();
    if timeout_ms <= 0 {
        bail!(
            "--timeout {}: must be longer than zero",
            args.timeout.text()
        );
    }
    let timeout = Duration::from_millis(timeout_ms as u64);

    let table = Table::open(&args.data)?;
    let mut reserved = vec![args.target.clone(), args.time.clone()];
    reserved.extend(args.ids.iter().cloned());
    reserved.extend(args.entity.iter().cloned());
    for column in &reserved {
        table.require_column(column)?;
    }
    let (chosen, mut messages) = select_features(
        &table,
        &FeatureChoice {
            requested: &args.features,
            excluded: &args.exclude,
            categorical: &args.categorical,
            reserved: &reserved,
        },
    )?;
    if chosen.iter().any(|(n, _)| n == &args.target) {
        bail!("the target `{}` cannot also be a feature", args.target);
    }
    let mut columns: Vec<String> = chosen.iter().map(|(n, _)| n.clone()).collect();
    for column in &reserved {
        if !columns.contains(column) {
            columns.push(column.clone());
        }
    }
    let data = table.load(&columns)?;
    let features = feature_specs(&data, &chosen)?;
    let task = match args.task {
        Some(task) => task,
        None => infer_task(&data, &args.target)?,
    };
    let usable_rows = usable_rows(&data, &args.target, &args.time, task, args.drop_null_target)?;
    let usable = usable_rows.kept.len();
    let model_name = match (&args.command, args.model) {
        (Some(_), _) => "external",
        (None, ModelKind::Gbm) => "gbm",
        (None, ModelKind::Linear) => "linear",
    };
    let params = json!({
        "data": args.data, "target": args.target, "task": task, "time": args.time,
        "features": features.iter().map(|f| &f.name).collect::<Vec<_>>(),
        "holdout": args.holdout, "min_rows": args.min_rows, "model": model_name,
        "threshold_rule": threshold_rule, "seed": args.seed, "out": args.out,
        "dry_run": args.dry_run, "command": args.command,
    });
    // Too little data is a WARN before anything can fail on it (the split, one class).
    if usable < args.min_rows {
        let plan = json!({
            "task": task,
            "model": model_name,
            "features": &features,
            "rows": { "input": data.rows, "usable": usable,
                      "dropped_null_target": usable_rows.dropped_null_target },
        });
        messages.push(format!(
            "insufficient data: {usable} usable rows, --min-rows is {}; no model written",
            args.min_rows
        ));
        let text = format!(
            "train-candidate WARN: insufficient data ({usable} usable rows < --min-rows {}); nothing written\n",
            args.min_rows
        );
        return finish(
            started_at,
            Status::Warn,
            &data,
            params,
            plan,
            messages,
            text,
        );
    }
    let rows = split_rows(
        usable_rows,
        args.holdout,
        task,
        &data.label,
        &args.target,
        &args.time,
    )?;
    let plan = json!({
        "task": task,
        "model": model_name,
        "features": &features,
        "rows": { "input": data.rows, "usable": usable, "train": rows.split.train.len(),
                  "holdout": rows.split.holdout.len(),
                  "dropped_null_target": rows.dropped_null_target },
        "training_window": training_window(&rows),
    });
    if args.dry_run {
        let text = format!(
            "train-candidate dry run: would train a {} {model_name} model on {} rows \
             ({} features), holding out {} rows from {} -> {}\n",
            task_name(task),
            rows.split.train.len(),
            features.len(),
            rows.split.holdout.len(),
            plan["training_window"]["holdout_start"]
                .as_str()
                .unwrap_or("?"),
            args.out.display()
        );
        return finish(started_at, Status::Ok, &data, params, plan, messages, text);
    }

    let staged = StagedDir::new(&args.out, args.force)?;
    let trainer_record;
    let vocabularies: Vocabularies;
    let (metrics, threshold) = match &args.command {
        Some(template) => {
            // Each input file as its own quoted word, globs expanded, as refit itself read them.
            let data_paths: Vec<String> = expand_paths(&args.data)?
                .iter()
                .map(|p| p.display().to_string())
                .collect();
            let command = fill_placeholders(
                template,
                &[
                    ("data", data_paths.clone()),
                    ("out", vec![staged.path().display().to_string()]),
                    ("target", vec![args.target.clone()]),
                    ("time", vec![args.time.clone()]),
                    ("holdout", vec![args.holdout.to_string()]),
                    ("cutoff", vec![format_ms(rows.split.cutoff_ms)]),
                ],
            )?;
            run_external(&command, timeout, printer.is_quiet())?;
            check_external_output(staged.path(), HOLDOUT_FILE)?;
            let train_rows: Vec<usize> = rows.split.train.iter().map(|&i| rows.kept[i]).collect();
            vocabularies = learn_vocabularies(&data, &features, entity_list(args), &train_rows)?;
            trainer_record = TrainerRecord {
                model: "external".into(),
                engine: "external".into(),
                engine_version: String::new(),
                params: Value::Null,
                command: Some(template.clone()),
            };
            external_holdout_metrics(
                &staged.path().join(HOLDOUT_FILE),
                task,
                threshold_rule,
                &args.time,
                rows.split.cutoff_ms,
            )?
        }
        None => {
            let trainer = match args.model {
                ModelKind::Gbm => Trainer::Gbm(GbmParams {
                    iterations: args.iterations,
                    learning_rate: args.learning_rate,
                    max_depth: args.max_depth,
                    seed: args.seed,
                }),
                ModelKind::Linear => Trainer::Linear { l2: args.l2 },
            };
            let candidate = fit_candidate(
                &data,
                &features,
                entity_list(args),
                &rows,
                task,
                &trainer,
                threshold_rule,
            )?;
            let (engine, version, model_json) = match &candidate.model {
                FittedModel::Gbm(b) => ("forust-ml", FOREST_VERSION, gbm_to_json(b)?),
                FittedModel::Linear(m) => (
                    "refit-linear",
                    env!("CARGO_PKG_VERSION"),
                    serde_json::to_string_pretty(m)? + "\n",
                ),
            };
            staged.write(MODEL_FILE, model_json.as_bytes())?;
            write_holdout(&staged, &data, args, &rows, task, &candidate.holdout_scores)?;
            trainer_record = TrainerRecord {
                model: model_name.into(),
                engine: engine.into(),
                engine_version: version.into(),
                params: trainer_params(&trainer),
                command: None,
            };
            vocabularies = candidate.vocabularies;
            (candidate.holdout_metrics, candidate.decision_threshold)
        }
    };

    let inputs = data.inputs()?;
    let profile = training_profile(&data, &features, started_at)?;
    staged.write(
        PROFILE_FILE,
        (serde_json::to_string_pretty(&profile)? + "\n").as_bytes(),
    )?;
    let metadata = ModelMetadata {
        format: METADATA_FORMAT.into(),
        task,
        target: args.target.clone(),
        time_column: args.time.clone(),
        id_columns: args.ids.clone(),
        features: features.clone(),
        vocabularies,
        decision_threshold: threshold,
        threshold_rule: threshold.map(|_| threshold_rule.to_string()),
        training_window: training_window(&rows),
        rows: RowCounts {
            input: data.rows as u64,
            train: rows.split.train.len() as u64,
            holdout: rows.split.holdout.len() as u64,
            dropped_null_target: rows.dropped_null_target,
        },
        holdout_metrics: metrics.clone(),
        data_fingerprint: DataFingerprint {
            sha256: data_fingerprint(&inputs),
            inputs: inputs.clone(),
        },
        trainer: trainer_record,
        refit_version: env!("CARGO_PKG_VERSION").into(),
        trained_at: rfc3339(Utc::now()),
    };
    staged.write(
        METADATA_FILE,
        (serde_json::to_string_pretty(&metadata)? + "\n").as_bytes(),
    )?;
    let out = staged.commit()?;

    // A holdout with one class cannot rank or pick a threshold: the model is written, but
    // nobody should promote it on these metrics.
    let mut status = Status::Ok;
    if task == Task::Binary && metrics["roc_auc"].is_null() {
        status = Status::Warn;
        messages.push(
            "the holdout has one class only: ROC-AUC and PR-AUC are undefined and the decision \
             threshold fell back to 0.5; use more recent data or a larger --holdout"
                .to_string(),
        );
    }
    let headline = headline_metric(task, &metrics);
    let text = format!(
        "train-candidate {}: {model_name} {} model, {} train / {} holdout rows, holdout {} -> {}{}\n",
        status.as_str(),
        task_name(task),
        rows.split.train.len(),
        rows.split.holdout.len(),
        headline
            .map(|(name, v)| format!("{name} {v:.4}"))
            .unwrap_or_else(|| "metric undefined".into()),
        out.display(),
        threshold
            .map(|t| format!(" (threshold {t:.4}, {threshold_rule})"))
            .unwrap_or_default(),
    );
    let mut plan = plan;
    plan["out"] = json!(out);
    plan["holdout_metrics"] = metrics;
    plan["decision_threshold"] = json!(threshold);
    plan["data_fingerprint"] = json!(metadata.data_fingerprint.sha256);
    finish(started_at, status, &data, params, plan, messages, text)
}

/// forust-ml's version, pinned in Cargo.toml; metadata records which engine wrote model.json.
const FOREST_VERSION: &str = "0.8.0";

fn entity_list(args: &TrainCandidateArgs) -> &[String] {
    args.entity.as_slice()
}

fn task_name(task: Task) -> &'static str {
    match task {
        Task::Binary => "binary",
        Task::Regression => "regression",
    }
}

fn headline_metric(task: Task, metrics: &Value) -> Option<(&'static str, f64)> {
    let name = match task {
        Task::Binary => "roc_auc",
        Task::Regression => "mae",
    };
    metrics.get(name)?.as_f64().map(|v| (name, v))
}

fn write_holdout(
    staged: &StagedDir,
    data: &LoadedTable,
    args: &TrainCandidateArgs,
    rows: &PreparedRows,
    task: Task,
    scores: &[f64],
) -> Result<()> {
    let holdout_rows: Vec<usize> = rows.split.holdout.iter().map(|&i| rows.kept[i]).collect();
    let labels: Vec<f64> = rows.split.holdout.iter().map(|&i| rows.target[i]).collect();
    let mut columns = args.ids.clone();
    if !columns.contains(&args.time) {
        columns.push(args.time.clone());
    }
    let mut frame = holdout_frame(data, &columns, &holdout_rows, &labels, scores, task)?;
    staged.write_parquet(HOLDOUT_FILE, &mut frame)
}

/// Holdout metrics from an external trainer's holdout.parquet (`label`, `score`).
/// The time column must be there and every row at or after refit's cutoff: a trainer that
/// split differently would report metrics on rows it trained on.
fn external_holdout_metrics(
    path: &std::path::Path,
    task: Task,
    rule: ThresholdRule,
    time: &str,
    cutoff_ms: i64,
) -> Result<(Value, Option<f64>)> {
    let spec = vec![path.display().to_string()];
    let table = Table::open(&spec)?;
    for column in [HOLDOUT_LABEL, HOLDOUT_SCORE, time] {
        table.require_column(column)?;
    }
    let data = table.load(&[
        HOLDOUT_LABEL.to_string(),
        HOLDOUT_SCORE.to_string(),
        time.to_string(),
    ])?;
    let file = path.display().to_string();
    let early = table_timestamps(&data, time)?
        .iter()
        .filter(|t| t.is_none_or(|t| t < cutoff_ms))
        .count();
    if early > 0 {
        bail!(
            "{file}: {early} holdout rows are before refit's cutoff {} (or have no time); the trainer must hold out exactly the rows at or after {{cutoff}}",
            format_ms(cutoff_ms)
        );
    }
    let labels: Vec<Option<f64>> = match task {
        Task::Binary => data
            .map_column(HOLDOUT_LABEL, |c| binary_labels(c, &file))?
            .into_iter()
            .map(|v| v.map(|b| f64::from(u8::from(b))))
            .collect(),
        Task::Regression => data.map_column(HOLDOUT_LABEL, |c| finite_values(c, &file, "label"))?,
    };
    let scores = data.map_column(HOLDOUT_SCORE, |c| finite_values(c, &file, "score"))?;
    let missing = labels
        .iter()
        .zip(&scores)
        .filter(|(l, s)| l.is_none() || s.is_none())
        .count();
    if missing > 0 {
        bail!("{file}: {missing} rows have a null label or score");
    }
    let labels: Vec<f64> = labels.into_iter().flatten().collect();
    let scores: Vec<f64> = scores.into_iter().flatten().collect();
    if task == Task::Binary && scores.iter().any(|s| !(0.0..=1.0).contains(s)) {
        bail!("{file}: scores must be probabilities within [0, 1] for a binary task");
    }
    holdout_metrics(task, &labels, &scores, rule)
}

fn training_profile(
    data: &LoadedTable,
    features: &[FeatureSpec],
    started_at: chrono::DateTime<Utc>,
) -> Result<Profile> {
    let profiled = features
        .par_iter()
        .map(|f| {
            let planned = PlannedFeature {
                name: f.name.clone(),
                kind: f.role,
            };
            profile_feature(&planned, data, PROFILE_BUCKETS)
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Profile {
        format: PROFILE_FORMAT.to_string(),
        schema: PROFILE_SCHEMA,
        refit_version: env!("CARGO_PKG_VERSION").to_string(),
        created_at: rfc3339(started_at),
        rows: data.rows as u64,
        buckets: PROFILE_BUCKETS,
        sources: data.inputs()?,
        features: profiled,
    })
}

#[allow(clippy::too_many_arguments)]
fn finish(
    started_at: chrono::DateTime<Utc>,
    status: Status,
    data: &LoadedTable,
    params: Value,
    result: Value,
    messages: Vec<String>,
    text: String,
) -> Result<CommandReport> {
    let mut metrics = Gauges::default();
    if let Some(v) = result["holdout_metrics"]["roc_auc"].as_f64() {
        metrics.gauge(
            "refit_train_holdout_roc_auc",
            "ROC-AUC of the candidate on its time-based holdout.",
            &[],
            v,
        );
    }
    if let Some(v) = result["holdout_metrics"]["mae"].as_f64() {
        metrics.gauge(
            "refit_train_holdout_mae",
            "MAE of the candidate on its time-based holdout.",
            &[],
            v,
        );
    }
    if let Some(v) = result["rows"]["train"].as_u64() {
        metrics.gauge(
            "refit_train_rows",
            "Rows the candidate was trained on.",
            &[],
            v as f64,
        );
    }
    let report = CommandReport::new("train-candidate", started_at, status, result, text)
        .with_inputs(data.inputs()?)
        .with_gauges(metrics)
        .with_messages(messages);
    let Value::Object(resolved) = params else {
        return Ok(report);
    };
    Ok(resolved
        .into_iter()
        .fold(report, |report, (name, value)| report.resolve(&name, value)))
}
