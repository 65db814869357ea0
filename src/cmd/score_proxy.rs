//! `refit score-proxy`: is the live model decaying, judged by outcomes that arrived later?

use anyhow::{bail, Context, Result};
use chrono::Utc;
use serde_json::json;

use crate::cli::{GlobalArgs, ScoreProxyArgs, Task};
use crate::data::keys::KeyInterner;
use crate::data::time::{format_ms, parse_duration, table_timestamps};
use crate::data::Table;
use crate::metrics::{BINARY_METRIC_NAMES, REGRESSION_METRIC_NAMES};
use crate::proxy::compare::{baseline_metric, higher_is_better, DropLimit, KNOWN_METRICS};
use crate::proxy::evaluate::{evaluate, verdict, Labels, TaskMetrics};
use crate::proxy::join::{horizon_join, key_join, AmbiguousOutcomes};
use crate::proxy::label::{
    binary_labels, check_key_types, finite_values, probability_scores, rule_labels,
};
use crate::report::envelope::{Envelope, EnvelopeParts};
use crate::report::output::{emit, CommandOutput};
use crate::report::prometheus::MetricsText;
use crate::report::{Outcome, Status};

pub fn run(args: &ScoreProxyArgs, global: &GlobalArgs) -> Result<Outcome> {
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
    let horizon = args.horizon.as_deref().map(parse_duration).transpose()?;
    let tolerance = parse_duration(&args.tolerance)?;
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
    let mut metrics = MetricsText::default();
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
    metrics.run_summary("score-proxy", status);
    let mut inputs = predictions.inputs()?;
    inputs.extend(outcomes.inputs()?);
    let envelope = Envelope::new(EnvelopeParts {
        command: "score-proxy",
        started_at,
        status,
        fail_on: global.fail_on,
        inputs,
        params: json!({
            "predictions": args.predictions, "outcomes": args.outcomes, "on": args.on,
            "score": args.score, "label": args.label, "label_rule": args.label_rule, "task": args.task,
            "prediction_time": prediction_time, "outcome_time": outcome_time,
            "horizon": args.horizon, "tolerance": args.tolerance, "threshold": threshold,
            "baseline_metrics": args.baseline_metrics, "metric": metric,
            "max_drop": args.max_drop, "max_drop_rel": args.max_drop_rel, "min_samples": args.min_samples,
        }),
        result: json!({
            "join": joined.summary,
            "usable_rows": usable.rows,
            "null_label_or_score": usable.null_label_or_score,
            "metrics": usable.metrics,
            "curve": usable.curve,
            "comparison": verdict.comparison,
            "reasons": verdict.reasons,
        }),
        messages: Vec::new(),
    });
    emit(
        &CommandOutput {
            envelope,
            text,
            metrics,
        },
        global,
    )
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
