//! `refit score-proxy`: is the live model decaying, judged by outcomes that arrived later?

use anyhow::{bail, Context, Result};
use chrono::Utc;
use serde_json::json;

use super::args::{choice, duration, task_values, DurationArg};
use crate::data::keys::KeyInterner;
use crate::data::time::{format_ms, table_timestamps};
use crate::data::Table;
use crate::metrics::{BINARY_METRIC_NAMES, REGRESSION_METRIC_NAMES};
use crate::model::Task;
use crate::proxy::compare::{baseline_metric, higher_is_better, DropLimit, KNOWN_METRICS};
use crate::proxy::evaluate::{evaluate, verdict, Labels, TaskMetrics};
use crate::proxy::join::{horizon_join, key_join, AmbiguousOutcomes};
use crate::proxy::label::{
    binary_labels, check_key_types, finite_values, probability_scores, rule_labels,
};
use crate::report::output::{CommandReport, Printer};
use crate::report::prometheus::Gauges;
use crate::report::Status;
use clap::Args;
use serde::Serialize;
use std::path::PathBuf;

pub const EXAMPLES: &str = "\
Examples:
  # churn scores made on day D, judged by activity 30 days later (nearest outcome within 2 days)
  refit score-proxy --predictions preds.parquet --outcomes activity.parquet --on customer_id \\
      --prediction-time predicted_at --outcome-time observed_at --horizon 30d --tolerance 2d \\
      --label churned --baseline-metrics model/metadata.json --metric pr_auc --max-drop 0.1

  # label derived from outcome columns by a SQL expression
  refit score-proxy --predictions preds.parquet --outcomes activity.parquet --on customer_id \\
      --label-rule 'active_days_30d = 0' --score churn_score

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
    #[arg(long, required = true, value_name = "PATH")]
    pub outcomes: Vec<String>,
    /// Join key column(s), present on both sides (comma-separated).
    #[arg(long, required = true, value_delimiter = ',', value_name = "KEYS")]
    pub on: Vec<String>,
    /// Score column in the predictions (a probability for --task binary).
    #[arg(long, default_value = "score", value_name = "COL")]
    pub score: String,
    /// Label column in the outcomes: boolean or 0/1 (binary), numbers (regression).
    #[arg(
        long,
        value_name = "COL",
        required_unless_present = "label_rule",
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
    #[arg(long, value_name = "X")]
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
    #[arg(long, value_name = "X", conflicts_with = "max_drop_rel")]
    pub max_drop: Option<f64>,
    /// Largest allowed drop relative to the baseline value (0.1 = 10%).
    #[arg(long, value_name = "X")]
    pub max_drop_rel: Option<f64>,
    /// Fewer matched rows than this is WARN "insufficient data".
    #[arg(long, default_value_t = 100, value_name = "N")]
    pub min_samples: usize,
}

pub fn run(args: &ScoreProxyArgs, _printer: &Printer) -> Result<CommandReport> {
    let started_at = Utc::now();
    let metric = args.metric.clone().unwrap_or_else(|| match args.task {
        Task::Binary => "pr_auc".into(),
        Task::Regression => "mae".into(),
    });
    if higher_is_better(&metric).is_none() {
        bail!("--metric {metric} is not known; choose one of {KNOWN_METRICS}");
    }
    let limit = match (args.max_drop, args.max_drop_rel) {
        (Some(x), _) => Some(DropLimit::Absolute(x)),
        (_, Some(x)) => Some(DropLimit::Relative(x)),
        _ => None,
    };
    if args.baseline_metrics.is_some() != limit.is_some() {
        bail!("--baseline-metrics and --max-drop/--max-drop-rel go together");
    }
    let horizon = args.horizon.as_ref().map(DurationArg::millis);
    let tolerance = args.tolerance.millis();
    let (prediction_time, outcome_time) = match (horizon, &args.prediction_time, &args.outcome_time)
    {
        (None, _, _) => (None, None),
        (Some(_), Some(p), Some(o)) => (Some(p.clone()), Some(o.clone())),
        (Some(_), _, _) => bail!("--horizon needs --prediction-time and --outcome-time"),
    };
    let threshold = decision_threshold(args)?;

    let predictions = Table::open(&args.predictions)?;
    let outcomes = Table::open(&args.outcomes)?;
    let mut prediction_columns = args.on.clone();
    prediction_columns.push(args.score.clone());
    prediction_columns.extend(prediction_time.clone());
    let mut outcome_columns = args.on.clone();
    match (&args.label, &args.label_rule, args.task) {
        (Some(label), _, _) => outcome_columns.push(label.clone()),
        (None, Some(_), Task::Binary) => {
            // The rule may reference any outcome column: decode them all.
            outcome_columns.extend(
                outcomes
                    .column_names()
                    .into_iter()
                    .filter(|c| !args.on.contains(c)),
            );
        }
        (None, Some(_), Task::Regression) => {
            bail!("--label-rule yields binary labels; --task regression needs --label COL")
        }
        (None, None, _) => bail!("pass --label COL or --label-rule EXPR"),
    }
    outcome_columns.extend(
        outcome_time
            .clone()
            .filter(|t| !outcome_columns.contains(t)),
    );
    for key in &args.on {
        predictions.column_kind(key)?;
        outcomes.column_kind(key)?;
    }
    for c in &prediction_columns {
        predictions.require_column(c)?;
    }
    for c in &outcome_columns {
        outcomes.require_column(c)?;
    }
    let predictions = predictions.load(&prediction_columns)?;
    let outcomes = outcomes.load(&outcome_columns)?;
    for key in &args.on {
        check_key_types(
            key,
            predictions.frames[0].column(key)?.dtype(),
            &predictions.label,
            outcomes.frames[0].column(key)?.dtype(),
            &outcomes.label,
        )?;
    }

    let mut keys = KeyInterner::default();
    let prediction_keys = predictions.map_columns(&args.on, |parts| keys.intern_columns(parts))?;
    let outcome_keys = outcomes.map_columns(&args.on, |parts| keys.intern_columns(parts))?;
    let scores = predictions.map_column(&args.score, |c| match args.task {
        Task::Binary => probability_scores(c, &predictions.label),
        Task::Regression => finite_values(c, &predictions.label, "score"),
    })?;
    let labels = match (args.task, &args.label, &args.label_rule) {
        (Task::Binary, Some(label), _) => {
            Labels::Binary(outcomes.map_column(label, |c| binary_labels(c, &outcomes.label))?)
        }
        (Task::Binary, None, Some(rule)) => {
            Labels::Binary(rule_labels(&outcomes.frames, rule, &outcomes.label)?)
        }
        (Task::Regression, Some(label), _) => Labels::Regression(
            outcomes.map_column(label, |c| finite_values(c, &outcomes.label, "label"))?,
        ),
        _ => bail!("pass --label COL or --label-rule EXPR"),
    };
    let joined = match (horizon, &prediction_time, &outcome_time) {
        (Some(h), Some(pt), Some(ot)) => {
            let p_times = table_timestamps(&predictions, pt)?;
            let o_times = table_timestamps(&outcomes, ot)?;
            horizon_join(
                &prediction_keys,
                &p_times,
                &outcome_keys,
                &o_times,
                keys.len(),
                h,
                tolerance,
            )
        }
        _ => key_join(&prediction_keys, &outcome_keys, keys.len()),
    }
    .map_err(|a: AmbiguousOutcomes| {
        anyhow::anyhow!(
            "{}: {} outcome rows share a join key ({}; e.g. {}); the join would be ambiguous. \
             Deduplicate the outcomes or join on more columns",
            outcomes.label,
            a.rows,
            args.on.join(", "),
            match a.time {
                Some(t) => format!("{} at {}", keys.name(a.key), format_ms(t)),
                None => keys.name(a.key).to_string(),
            }
        )
    })?;

    let usable = evaluate(&joined, &labels, &scores, threshold);
    let undefined = match &usable.metrics {
        Some(TaskMetrics::Binary(m)) => m.undefined.clone(),
        _ => Vec::new(),
    };
    let baseline = args
        .baseline_metrics
        .as_deref()
        .map(|p| baseline_metric(p, &metric))
        .transpose()?;
    let verdict = verdict(
        &usable,
        &metric,
        baseline,
        limit,
        args.min_samples,
        &undefined,
    );
    let status = verdict.status;

    let current_value = usable.metrics.as_ref().and_then(|m| m.get(&metric));
    let text = render_text(
        &verdict.reasons,
        status,
        &metric,
        current_value,
        baseline,
        &joined.summary,
        usable.rows,
    );
    let mut metrics = Gauges::default();
    if let Some(m) = &usable.metrics {
        let names = BINARY_METRIC_NAMES
            .iter()
            .chain(&REGRESSION_METRIC_NAMES)
            .chain(&["mape"]);
        for &name in names {
            if let Some(v) = m.get(name) {
                metrics.gauge(
                    "refit_score_proxy_metric",
                    "Live model metric on matched predictions.",
                    &[("metric", name)],
                    v,
                );
            }
        }
    }
    metrics.gauge(
        "refit_score_proxy_matched_rows",
        "Predictions matched with an outcome and usable.",
        &[],
        usable.rows as f64,
    );
    if let Some(c) = &verdict.comparison {
        metrics.gauge(
            "refit_score_proxy_metric_drop",
            "How much worse the metric is than its baseline.",
            &[("metric", &metric)],
            c.drop,
        );
    }
    let mut inputs = predictions.inputs()?;
    inputs.extend(outcomes.inputs()?);
    let report = CommandReport::new(
        "score-proxy",
        started_at,
        status,
        json!({
            "join": joined.summary,
            "usable_rows": usable.rows,
            "null_label_or_score": usable.null_label_or_score,
            "metrics": usable.metrics,
            "curve": usable.curve,
            "comparison": verdict.comparison,
            "reasons": verdict.reasons,
        }),
        text,
    )
    .with_inputs(inputs)
    .with_gauges(metrics)
    .with_messages(Vec::new());
    let report = report
        .resolve("prediction_time", prediction_time)
        .resolve("outcome_time", outcome_time)
        .resolve("threshold", threshold)
        .resolve("metric", metric);
    Ok(report)
}

/// --threshold, else the model's own (metadata.json `decision_threshold`), else 0.5.
fn decision_threshold(args: &ScoreProxyArgs) -> Result<f64> {
    if let Some(t) = args.threshold {
        return Ok(t);
    }
    let Some(dir) = &args.model else {
        return Ok(0.5);
    };
    let path = dir.join("metadata.json");
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let json: serde_json::Value = serde_json::from_str(&text)
        .with_context(|| format!("{}: not valid JSON", path.display()))?;
    json.get("decision_threshold")
        .and_then(|v| v.as_f64())
        .with_context(|| format!("{}: no numeric `decision_threshold`", path.display()))
}

fn render_text(
    reasons: &[String],
    status: Status,
    metric: &str,
    current: Option<f64>,
    baseline: Option<f64>,
    join: &crate::proxy::join::JoinSummary,
    usable: usize,
) -> String {
    let fmt = |v: Option<f64>| v.map_or("-".to_string(), |x| format!("{x:.4}"));
    let rows = vec![vec![
        metric.to_string(),
        fmt(current),
        fmt(baseline),
        status.as_str().to_string(),
        reasons.join("; "),
    ]];
    format!(
        "score-proxy {}: {}\njoin {}: {} matched ({} usable), {} predictions unmatched, {} outcomes unmatched\n\n{}",
        status.as_str(),
        reasons.join("; "),
        serde_json::to_value(join.mode).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default(),
        join.matched,
        usable,
        join.unmatched_predictions,
        join.unmatched_outcomes,
        crate::report::table::render_table(&["METRIC", "CURRENT", "BASELINE", "STATUS", "REASON"], &rows)
    )
}
