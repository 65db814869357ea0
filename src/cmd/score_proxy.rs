//! `refit score-proxy`: is the live model decaying, judged by outcomes that arrived later?

use std::path::PathBuf;

use anyhow::{bail, Result};
use chrono::Utc;
use clap::Args;
use serde::Serialize;

use super::args::{choice, duration, non_negative, probability, task_values, DurationArg};
use crate::data::Table;
use crate::metrics::cbpe::Calibration;
use crate::model::Task;
use crate::proxy::estimate::{estimate_beside, estimate_only, reference_path, EstimateSettings};
use crate::proxy::matched::Matched;
use crate::proxy::plan::{JoinPlan, JoinSettings};
use crate::proxy::result::ScoreProxyResult;
use crate::proxy::threshold::decision_threshold;
use crate::proxy::verdict::{VerdictRule, VerdictSettings};
use crate::report::output::{CommandReport, Printer};

pub const EXAMPLES: &str = "\
Examples:
  # churn scores made on day D, judged by activity 30 days later (nearest outcome within 2 days)
  refit score-proxy --predictions preds.parquet --outcomes activity.parquet --on customer_id \\
      --prediction-time predicted_at --outcome-time observed_at --horizon 30d --tolerance 2d \\
      --label churned --baseline-metrics model/metadata.json --metric pr_auc --max-drop 0.1

  # label derived from outcome columns by a SQL expression
  refit score-proxy --predictions preds.parquet --outcomes activity.parquet --on customer_id \\
      --label-rule 'active_days_30d = 0' --score churn_score

  # a recommender judged per user: precision of its top 10 against the clicks that followed
  refit score-proxy --predictions recs.parquet --outcomes clicks.parquet --on user_id,item_id \
      --group user_id --score score --label clicked --metric precision_at_10 \
      --baseline-metrics model/metadata.json --max-drop 0.02

  # regression, plain key join, relative MAE limit
  refit score-proxy --predictions preds.csv --outcomes actuals.csv --on site,day --task regression \\
      --score predicted_kwh --label kwh --baseline-metrics last.json --metric mae --max-drop-rel 0.1

The verdict is FAIL (exit 2) when the metric is worse than its baseline by more than the allowed
drop, WARN at half of it, and WARN (never a silent OK) with fewer than --min-samples matched rows.";

#[derive(Debug, Clone, Args, Serialize)]
pub struct ScoreProxyArgs {
    /// Past predictions: key column(s), a score column and, for a horizon join, a time column.
    #[arg(long, required = true, value_name = "PATH")]
    pub predictions: Vec<String>,
    /// Outcomes that arrived later: key column(s), the label and, for a horizon join, a time.
    /// Optional with --estimate (then every prediction is estimated on).
    #[arg(long, required_unless_present = "estimate", value_name = "PATH")]
    pub outcomes: Vec<String>,
    /// Join key column(s), present on both sides (comma-separated).
    #[arg(
        long,
        required_unless_present = "estimate",
        value_delimiter = ',',
        value_name = "KEYS"
    )]
    pub on: Vec<String>,
    /// Score column in the predictions (a probability for --task binary).
    #[arg(long, default_value = "score", value_name = "COL")]
    pub score: String,
    /// Label column in the outcomes: boolean or 0/1 (binary), numbers (regression).
    #[arg(
        long,
        value_name = "COL",
        required_unless_present_any = ["label_rule", "estimate"],
        conflicts_with = "label_rule"
    )]
    pub label: Option<String>,
    /// Binary label derived from the outcome columns by a SQL expression evaluated by Polars,
    /// e.g. "active_days_30d = 0"; it must yield booleans.
    #[arg(long, value_name = "EXPR")]
    pub label_rule: Option<String>,
    /// binary (probability scores, 0/1 labels) or regression.
    #[arg(long, value_parser = choice::<Task>(task_values()), default_value = "binary")]
    pub task: Task,
    /// Time column in the predictions (needed with --horizon).
    #[arg(long, value_name = "COL")]
    pub prediction_time: Option<String>,
    /// Time column in the outcomes (needed with --horizon).
    #[arg(long, value_name = "COL")]
    pub outcome_time: Option<String>,
    /// Pair each prediction with the outcome of its key at prediction time + HORIZON (30d, 24h).
    #[arg(long, value_name = "DURATION", value_parser = duration)]
    pub horizon: Option<DurationArg>,
    /// Accept the nearest outcome at or after prediction time + horizon, up to this much later.
    /// Default 0: the outcome time must match exactly.
    #[arg(long, default_value = "0", value_name = "DURATION", value_parser = duration)]
    pub tolerance: DurationArg,
    /// Decision threshold for accuracy/precision/recall/F1 (score >= threshold is positive).
    /// Default: the model's own from --model DIR's metadata.json, else 0.5.
    #[arg(long, value_name = "X", value_parser = probability)]
    pub threshold: Option<f64>,
    /// Model directory whose metadata.json supplies the decision threshold.
    #[arg(long, value_name = "DIR")]
    pub model: Option<PathBuf>,
    /// Metrics JSON to compare with: a flat object, a model's metadata.json (holdout_metrics)
    /// or an earlier score-proxy report.
    #[arg(long, value_name = "PATH")]
    pub baseline_metrics: Option<PathBuf>,
    /// Metric that decides the verdict. Default: pr_auc (binary), mae (regression).
    #[arg(long, value_name = "NAME")]
    pub metric: Option<String>,
    /// Largest allowed drop of the metric, in its units (FAIL beyond, WARN beyond half).
    #[arg(long, value_name = "X", conflicts_with = "max_drop_rel", value_parser = non_negative)]
    pub max_drop: Option<f64>,
    /// Largest allowed drop relative to the baseline value (0.1 = 10%).
    #[arg(long, value_name = "X", value_parser = non_negative)]
    pub max_drop_rel: Option<f64>,
    /// Fewer matched rows than this is WARN "insufficient data".
    #[arg(long, default_value_t = 100, value_name = "N")]
    pub min_samples: usize,
    /// Query/user column in the predictions: rank each group's rows by score and judge with
    /// ranking metrics (default ndcg_at_10; precision_at_K, recall_at_K, map_at_K, mrr,
    /// hit_rate_at_K). Labels are relevance: 0/1, or grades >= 0 with --task regression
    /// (NDCG's gain). Scores may be any numbers.
    #[arg(long, value_name = "COL")]
    pub group: Option<String>,
    /// Also estimate the metrics of the predictions whose outcomes have not arrived (all of
    /// them without --outcomes) by confidence-based performance estimation (NannyML's CBPE):
    /// ROC-AUC, PR-AUC, F1, precision, recall and accuracy with a +-3 sampling-error band,
    /// judged by --metric/--max-drop like realized ones and marked "estimated". Binary models.
    #[arg(long, conflicts_with = "group")]
    pub estimate: bool,
    /// The labelled reference for --estimate: a file with `label` and `score` columns.
    /// Default: --model DIR's holdout.parquet.
    #[arg(long, value_name = "PATH", requires = "estimate")]
    pub reference: Option<String>,
    /// Recalibrate the scores on the reference before estimating (isotonic): when it lowers
    /// the calibration error (auto), always or never.
    #[arg(long, default_value = "auto", value_name = "WHEN", requires = "estimate",
          value_parser = ["auto", "always", "never"])]
    pub calibration: String,
}

pub fn run(args: &ScoreProxyArgs, _printer: &Printer) -> Result<CommandReport> {
    let started_at = Utc::now();
    let rule = VerdictRule::new(args.verdict_settings(), args.task, args.group.is_some())?;
    if args.estimate {
        return run_estimate(args, &rule, started_at);
    }
    let plan = JoinPlan::new(args.join_settings())?;
    let threshold = decision_threshold(args.threshold, args.model.as_deref())?;
    let predictions = Table::open(&args.predictions)?;
    let outcomes = Table::open(&args.outcomes)?;
    let matched = Matched::load(&plan, &predictions, &outcomes)?;
    let result = ScoreProxyResult::compute(&matched, threshold, &rule)?;
    let horizon = plan.horizon();
    Ok(CommandReport::new(
        "score-proxy",
        started_at,
        result.status,
        serde_json::to_value(&result)?,
        result.render_text(),
    )
    .with_inputs(matched.inputs()?)
    .with_gauges(result.gauges())
    .resolve("prediction_time", horizon.map(|h| &h.prediction_time))
    .resolve("outcome_time", horizon.map(|h| &h.outcome_time))
    .resolve("threshold", threshold)
    .resolve("metric", &rule.metric))
}

/// --estimate: realized metrics on the predictions that met an outcome (when --outcomes is
/// given), estimated ones on the rest, one verdict over both.
fn run_estimate(
    args: &ScoreProxyArgs,
    rule: &VerdictRule,
    started_at: chrono::DateTime<Utc>,
) -> Result<CommandReport> {
    if args.task != Task::Binary {
        bail!("--estimate estimates a binary model's metrics (CBPE); --task regression has none");
    }
    let threshold = decision_threshold(args.threshold, args.model.as_deref())?;
    let reference = reference_path(args.reference.as_deref(), args.model.as_deref())?;
    let settings = EstimateSettings {
        reference: &reference,
        calibration: match args.calibration.as_str() {
            "always" => Calibration::Always,
            "never" => Calibration::Never,
            _ => Calibration::Auto,
        },
        threshold,
    };
    let predictions = Table::open(&args.predictions)?;
    let (run, horizon) = if args.outcomes.is_empty() {
        (
            estimate_only(&settings, &predictions, &args.score, rule)?,
            None,
        )
    } else {
        if args.on.is_empty() || (args.label.is_none() && args.label_rule.is_none()) {
            bail!("--outcomes needs --on KEYS and --label COL (or --label-rule)");
        }
        let plan = JoinPlan::new(args.join_settings())?;
        let matched = Matched::load(&plan, &predictions, &Table::open(&args.outcomes)?)?;
        let realized = ScoreProxyResult::compute(&matched, threshold, rule)?;
        let run = estimate_beside(&settings, &matched, &realized, rule)?;
        (run, plan.horizon().cloned())
    };
    Ok(
        CommandReport::new("score-proxy", started_at, run.status, run.result, run.text)
            .with_inputs(run.inputs)
            .with_gauges(run.gauges)
            .resolve(
                "prediction_time",
                horizon.as_ref().map(|h| &h.prediction_time),
            )
            .resolve("outcome_time", horizon.as_ref().map(|h| &h.outcome_time))
            .resolve("threshold", threshold)
            .resolve("metric", &rule.metric)
            .resolve("reference", &reference),
    )
}

impl ScoreProxyArgs {
    fn join_settings(&self) -> JoinSettings {
        JoinSettings {
            keys: self.on.clone(),
            score: self.score.clone(),
            label: self.label.clone(),
            label_rule: self.label_rule.clone(),
            task: self.task,
            prediction_time: self.prediction_time.clone(),
            outcome_time: self.outcome_time.clone(),
            horizon_ms: self.horizon.as_ref().map(DurationArg::millis),
            tolerance_ms: self.tolerance.millis(),
            group: self.group.clone(),
        }
    }

    fn verdict_settings(&self) -> VerdictSettings {
        VerdictSettings {
            metric: self.metric.clone(),
            baseline_metrics: self.baseline_metrics.clone(),
            max_drop: self.max_drop,
            max_drop_rel: self.max_drop_rel,
            min_samples: self.min_samples,
        }
    }
}
