//! `refit train-candidate`: a challenger trained on fresh data, with a time-based holdout.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Result;
use chrono::Utc;
use clap::Args;
use serde::Serialize;

use super::args::{
    choice, model_kind_values, non_negative, open_fraction, positive, positive_duration,
    task_values, threshold_rule, DurationArg,
};
use crate::metrics::ThresholdRule;
use crate::model::candidate::{execute, TrainingOutcome};
use crate::model::plan::{TrainingPlan, TrainingSettings};
use crate::model::{ModelKind, Task};
use crate::report::output::{CommandReport, Printer};
use crate::report::prometheus::Gauges;

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
    #[arg(long, default_value_t = 0.2, value_name = "FRACTION", value_parser = open_fraction)]
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
    #[arg(long, default_value_t = 100, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub iterations: u32,
    /// GBM: step size (LightGBM's default; forust's own is 0.3).
    #[arg(long, default_value_t = 0.1, value_name = "X", value_parser = positive)]
    pub learning_rate: f64,
    /// GBM: maximum tree depth (XGBoost's default; measured best for time and ROC-AUC, see README).
    #[arg(long, default_value_t = 6, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=64))]
    pub max_depth: u32,
    /// Linear: L2 penalty on the standardised coefficients (scikit-learn's 1/C or alpha).
    #[arg(long, default_value_t = 1.0, value_name = "X", value_parser = non_negative)]
    pub l2: f64,
    /// Binary: how the decision threshold is chosen on the holdout: f1, youden or fixed:X.
    #[arg(long, default_value = "f1", value_name = "RULE", value_parser = threshold_rule)]
    pub threshold_rule: ThresholdRule,
    /// Drop rows whose target is null instead of failing.
    #[arg(long)]
    pub drop_null_target: bool,
    /// Train with your own command instead, run by `sh -c` in its own process group. Its
    /// placeholders' values are passed as environment variables: {data} as REFIT_DATA_1,
    /// REFIT_DATA_2, ... (one per input file), {out} as REFIT_OUT, and likewise REFIT_TARGET,
    /// REFIT_TIME, REFIT_HOLDOUT and REFIT_CUTOFF. Each placeholder is replaced by a reference
    /// that expands to exactly its value: "${REFIT_OUT}" outside quotes, ${REFIT_OUT} inside
    /// double quotes, '"${REFIT_OUT}"' inside single quotes ({data}: one such reference per
    /// file, separated by spaces). A value is never part of the command text, so no quoting
    /// can run it; a backslash-escaped \{ is not a placeholder. The command must leave model
    /// files and holdout.parquet (the time column, label, score) in {out}, holding out exactly
    /// the rows at or after {cutoff}. On SIGTERM, SIGINT or SIGHUP, refit passes the signal on
    /// to the command's process group, kills the group if it has not exited 10 s later,
    /// removes the unfinished {out} and exits with 128 + the signal (143, 130, 129).
    #[arg(long, value_name = "CMD")]
    pub command: Option<String>,
    /// Kill the external command after this long (30m, 2h).
    #[arg(long, default_value = "1h", value_name = "DURATION", value_parser = positive_duration)]
    pub timeout: DurationArg,
    /// Check the inputs and print what would be trained; write nothing.
    #[arg(long)]
    pub dry_run: bool,
}

pub fn run(args: &TrainCandidateArgs, printer: &Printer) -> Result<CommandReport> {
    let started_at = Utc::now();
    let plan = TrainingPlan::new(settings(args))?;
    let outcome = execute(&plan, started_at, printer.is_quiet())?;
    let gauges = gauges(&outcome);
    let TrainingOutcome {
        status,
        summary,
        messages,
        inputs,
        text,
    } = outcome;
    let result = serde_json::to_value(summary)?;
    Ok(
        CommandReport::new("train-candidate", started_at, status, result, text)
            .with_inputs(inputs)
            .with_gauges(gauges)
            .with_messages(messages)
            .resolve("task", plan.task)
            .resolve("features", plan.feature_names())
            .resolve("model", plan.trainer.model_name()),
    )
}

/// Every flag, by name: a new flag does not compile until the plan knows what to do with it.
fn settings(args: &TrainCandidateArgs) -> TrainingSettings {
    let TrainCandidateArgs {
        data,
        target,
        task,
        time,
        features,
        exclude,
        categorical,
        ids,
        entity,
        holdout,
        out,
        force,
        min_rows,
        model,
        seed,
        iterations,
        learning_rate,
        max_depth,
        l2,
        threshold_rule,
        drop_null_target,
        command,
        timeout,
        dry_run,
    } = args.clone();
    TrainingSettings {
        data,
        target,
        task,
        time,
        features,
        exclude,
        categorical,
        ids,
        entity,
        holdout,
        out,
        force,
        min_rows,
        model,
        seed,
        iterations: iterations as usize,
        learning_rate,
        max_depth: max_depth as usize,
        l2,
        threshold_rule,
        drop_null_target,
        command,
        timeout: Duration::from_millis(timeout.millis().unsigned_abs()),
        dry_run,
    }
}

fn gauges(outcome: &TrainingOutcome) -> Gauges {
    let mut gauges = Gauges::default();
    if let Some(v) = outcome.holdout_metric("roc_auc") {
        gauges.gauge(
            "refit_train_holdout_roc_auc",
            "ROC-AUC of the candidate on its time-based holdout.",
            &[],
            v,
        );
    }
    if let Some(v) = outcome.holdout_metric("mae") {
        gauges.gauge(
            "refit_train_holdout_mae",
            "MAE of the candidate on its time-based holdout.",
            &[],
            v,
        );
    }
    if let Some(rows) = outcome.train_rows() {
        gauges.gauge(
            "refit_train_rows",
            "Rows the candidate was trained on.",
            &[],
            rows as f64,
        );
    }
    gauges
}
