//! `refit train-candidate`: a challenger trained on fresh data, with a time-based holdout.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Result;
use chrono::Utc;
use clap::builder::PossibleValue;
use clap::Args;
use serde::{Serialize, Serializer};

use super::args::{
    choice, model_kind_values, non_negative, open_fraction, positive, positive_duration,
    task_values, threshold_rule, DurationArg,
};
use crate::data::time::parse_timestamp;
use crate::metrics::ThresholdRule;
use crate::model::candidate::{execute, TrainingOutcome};
use crate::model::plan::{TrainingPlan, TrainingSettings};
use crate::model::window::{EntityPolicy, EntityRules, RowWindow, Span, WindowStart};
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

  # seed 001: the last 30 days; servers silent for 30 days are sunset, and servers with less
  # than 7 days or 1,000 rows of history stop the run (exit 2) instead of being dropped
  refit train-candidate --data 'metrics/*.parquet' --target failed_24h --time ts \\
      --entity server_id --exclude server_id --out cand --window 30d \\
      --drop-entities-silent-for 30d --min-entity-rows 1000 --min-entity-history 7d \\
      --entity-policy fail

The holdout is the latest --holdout share of rows by --time; rows sharing the cutoff
timestamp all go to the holdout. Rows are chosen before that, in this order: --since or
--window, then --max-rows, then the entity rules; --window and silence count back from the
latest timestamp in the data, not the clock. Fewer rows left than --min-rows is WARN
\"insufficient data\" (exit 0, or 3 with --fail-on warn) and writes nothing. The model
directory appears atomically (built in a hidden temp directory beside --out, then renamed).
The Python package `forust` loads a GBM's model.json: GradientBooster.load_booster(path).";

#[derive(Debug, Clone, Args, Serialize)]
pub struct TrainCandidateArgs {
    /// Training data: a file, a quoted glob of shards or an object URL; repeat for several.
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
    /// Query/user column of a ranking model (a recommender's user): not a feature unless
    /// named, and the holdout metrics in metadata.json add precision, recall, NDCG, MAP and
    /// hit rate at 5 and 10, NDCG, MAP and MRR over each group's holdout rows, so score-proxy
    /// and shadow-test can compare with them.
    #[arg(long, value_name = "COL", conflicts_with = "command")]
    pub group: Option<String>,
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
    /// removes the unfinished {out} and exits with 128 + the signal (143, 130, 129). With
    /// --since, --window, --max-rows or an entity rule, {data} is one Parquet file of exactly
    /// the selected rows (every input column), in a hidden temp directory beside --out.
    #[arg(long, value_name = "CMD")]
    pub command: Option<String>,
    /// Kill the external command after this long (30m, 2h).
    #[arg(long, default_value = "1h", value_name = "DURATION", value_parser = positive_duration)]
    pub timeout: DurationArg,
    /// Check the inputs and print what would be trained; write nothing.
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    #[serde(flatten)]
    pub selection: RowSelectionArgs,
}

/// Which rows are trained on: the training window and the entity rules (issue 16).
#[derive(Debug, Clone, Args, Serialize)]
pub struct RowSelectionArgs {
    /// Train only on rows at or after this time (RFC 3339, or YYYY-MM-DD for midnight UTC).
    #[arg(long, value_name = "TIME", value_parser = instant, conflicts_with = "window",
          help_heading = "Training window")]
    pub since: Option<Instant>,
    /// Train only on the last DURATION of data (7d, 30d, 2w), counted back from the latest
    /// timestamp in the data (not the clock), rows at the start included.
    #[arg(long, value_name = "DURATION", value_parser = positive_duration,
          help_heading = "Training window")]
    pub window: Option<DurationArg>,
    /// Train only on the N most recent usable rows (inside --since/--window). Exactly N when
    /// there are more: among rows sharing the oldest kept timestamp, the later ones in input
    /// order (files as given, globs sorted, rows in file order) are kept.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..),
          help_heading = "Training window")]
    pub max_rows: Option<u64>,
    /// Sunset: leave out entities whose latest row (labelled or not) is at least DURATION
    /// older than the latest timestamp in the data, from the rows and the vocabulary, whatever
    /// --entity-policy says; each is listed in result.entities.dropped with its silence.
    #[arg(long, value_name = "DURATION", value_parser = positive_duration, requires = "entity",
          help_heading = "Entities (need --entity)")]
    pub drop_entities_silent_for: Option<DurationArg>,
    /// Per-entity minimum: rows in the window.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..),
          requires = "entity", help_heading = "Entities (need --entity)")]
    pub min_entity_rows: Option<u64>,
    /// Per-entity minimum: time from the entity's first to its last row in the window.
    #[arg(long, value_name = "DURATION", value_parser = positive_duration, requires = "entity",
          help_heading = "Entities (need --entity)")]
    pub min_entity_history: Option<DurationArg>,
    /// Per-entity limit: the longest time between two consecutive rows in the window.
    #[arg(long, value_name = "DURATION", value_parser = positive_duration, requires = "entity",
          help_heading = "Entities (need --entity)")]
    pub max_entity_gap: Option<DurationArg>,
    /// What an entity below a per-entity minimum gets: drop leaves it out of the rows and the
    /// vocabulary with its reason (result.entities.dropped) and trains on the rest; fail makes
    /// the run a FAIL verdict (exit 2) that writes nothing and names the entities and reasons
    /// (result.entities.failed): too little history is a data problem that needs action, not
    /// a usage error (exit 1) nor a reason to wait (WARN).
    #[arg(long, value_name = "POLICY", default_value = "drop", requires = "entity",
          value_parser = choice::<EntityPolicy>(entity_policy_values()),
          help_heading = "Entities (need --entity)")]
    pub entity_policy: EntityPolicy,
}

/// `--since`: an instant, as typed for the report and in epoch ms for the window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instant {
    text: String,
    millis: i64,
}

impl Serialize for Instant {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

fn instant(text: &str) -> Result<Instant, String> {
    parse_timestamp(text)
        .map(|millis| Instant {
            text: text.to_string(),
            millis,
        })
        .ok_or_else(|| format!("`{text}` is not a time; expected RFC 3339 or YYYY-MM-DD"))
}

fn entity_policy_values() -> Vec<PossibleValue> {
    vec![
        PossibleValue::new("drop").help("Leave the entity out of rows and vocabulary, with why"),
        PossibleValue::new("fail").help("FAIL (exit 2), write nothing, name the entities"),
    ]
}

fn span(duration: &DurationArg) -> Span {
    Span {
        millis: duration.millis(),
        text: duration.text().to_string(),
    }
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
        group,
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
        selection,
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
        group,
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
        window: selection.row_window(),
        entity_rules: selection.entity_rules(),
    }
}

impl RowSelectionArgs {
    fn row_window(&self) -> RowWindow {
        let start = match (&self.since, &self.window) {
            (Some(since), _) => Some(WindowStart::Since(since.millis)),
            (None, Some(window)) => Some(WindowStart::Last(span(window))),
            (None, None) => None,
        };
        RowWindow {
            start,
            max_rows: self.max_rows.map(count),
        }
    }

    /// Every entity flag, by name, as [`settings`] takes every flag.
    fn entity_rules(&self) -> EntityRules {
        let RowSelectionArgs {
            since: _,
            window: _,
            max_rows: _,
            drop_entities_silent_for,
            min_entity_rows,
            min_entity_history,
            max_entity_gap,
            entity_policy,
        } = self;
        EntityRules {
            silent_for: drop_entities_silent_for.as_ref().map(span),
            min_rows: min_entity_rows.map(count),
            min_history: min_entity_history.as_ref().map(span),
            max_gap: max_entity_gap.as_ref().map(span),
            policy: *entity_policy,
        }
    }
}

/// A count flag (checked >= 1 by clap) as a row count.
fn count(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
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
    if let Some(dropped) = outcome.entities_dropped() {
        gauges.gauge(
            "refit_train_entities_dropped",
            "Entities left out of the candidate's rows and vocabulary (silent or too little history).",
            &[],
            dropped as f64,
        );
    }
    gauges
}
