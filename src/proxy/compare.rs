//! Comparing a live metric with its baseline: direction per metric, absolute or relative
//! allowed drop, FAIL beyond it, WARN beyond half of it.

use std::path::Path;

use anyhow::{bail, Context, Result};
use serde::Serialize;
use serde_json::Value;

use crate::metrics::ranking::RankingMetric;
use crate::metrics::Metric;
use crate::report::Status;

/// The metric names score-proxy accepts, for its error message.
pub use crate::metrics::metric::METRIC_CHOICES as KNOWN_METRICS;

/// Whether a larger value of `metric` is better; `None` for a name that is not a metric.
pub fn higher_is_better(metric: &str) -> Option<bool> {
    Metric::parse(metric)
        .map(Metric::higher_is_better)
        .or_else(|| RankingMetric::parse(metric).map(|_| true))
}

/// Finds `metric` in a metrics JSON: a flat object, a model's metadata.json
/// (`holdout_metrics`), or a refit report (`result.metrics`).
pub fn baseline_metric(path: &Path, metric: &str) -> Result<f64> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let json: Value = serde_json::from_str(&text)
        .with_context(|| format!("{}: not valid JSON", path.display()))?;
    let candidates = [
        json.get(metric),
        json.get("holdout_metrics").and_then(|m| m.get(metric)),
        json.get("metrics").and_then(|m| m.get(metric)),
        json.get("result")
            .and_then(|r| r.get("metrics"))
            .and_then(|m| m.get(metric)),
    ];
    let found = candidates.into_iter().flatten().next().cloned();
    match found {
        Some(v) => v.as_f64().with_context(|| format!("{}: `{metric}` is {v}, expected a number", path.display())),
        None => bail!(
            "{}: no `{metric}` found (looked at the top level, holdout_metrics, metrics and result.metrics)",
            path.display()
        ),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DropLimit {
    Absolute(f64),
    Relative(f64),
}

#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    pub metric: String,
    pub higher_is_better: bool,
    pub baseline: f64,
    pub current: f64,
    /// How much worse the current value is (positive = worse), in the metric's units.
    pub drop: f64,
    /// `drop` divided by |baseline|.
    pub drop_relative: Option<f64>,
    pub limit: DropLimit,
    pub status: Status,
    pub reason: String,
}

pub fn compare_metric(metric: &str, baseline: f64, current: f64, limit: DropLimit) -> Comparison {
    let higher = higher_is_better(metric).unwrap_or(true);
    let drop = if higher {
        baseline - current
    } else {
        current - baseline
    };
    let drop_relative = (baseline != 0.0).then(|| drop / baseline.abs());
    let (measured, allowed, unit) = match limit {
        DropLimit::Absolute(l) => (Some(drop), l, ""),
        DropLimit::Relative(l) => (drop_relative, l, " (relative)"),
    };
    let (status, reason) = match measured {
        None => (
            Status::Warn,
            "relative drop undefined: baseline is 0".to_string(),
        ),
        Some(d) if d > allowed => (
            Status::Fail,
            format!("{metric} dropped by {d:.4}{unit} > allowed {allowed}"),
        ),
        Some(d) if d > allowed / 2.0 => (
            Status::Warn,
            format!("{metric} dropped by {d:.4}{unit} > half the allowed {allowed}"),
        ),
        Some(d) => (
            Status::Ok,
            format!(
                "{metric} change {:+.4}{unit} within allowed drop {allowed}",
                -d
            ),
        ),
    };
    Comparison {
        metric: metric.to_string(),
        higher_is_better: higher,
        baseline,
        current,
        drop,
        drop_relative,
        limit,
        status,
        reason,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn direction_and_bands() {
        let c = compare_metric("pr_auc", 0.8, 0.65, DropLimit::Absolute(0.1));
        assert_eq!(c.status, Status::Fail);
        let c = compare_metric("pr_auc", 0.8, 0.74, DropLimit::Absolute(0.1));
        assert_eq!(c.status, Status::Warn);
        let c = compare_metric("pr_auc", 0.8, 0.9, DropLimit::Absolute(0.1));
        assert_eq!(c.status, Status::Ok);
        // Lower is better for MAE: a rise is a drop in quality.
        let c = compare_metric("mae", 10.0, 11.5, DropLimit::Relative(0.1));
        assert_eq!(c.status, Status::Fail);
        assert!((c.drop_relative.unwrap() - 0.15).abs() < 1e-12);
        let c = compare_metric("mae", 10.0, 9.0, DropLimit::Relative(0.1));
        assert_eq!(c.status, Status::Ok);
    }

    #[test]
    fn directions_come_from_the_metric_type() {
        assert_eq!(higher_is_better("pr_auc"), Some(true));
        assert_eq!(higher_is_better("mape"), Some(false));
        assert_eq!(higher_is_better("auc"), None);
        assert_eq!(
            KNOWN_METRICS,
            "roc_auc, pr_auc, log_loss, brier, accuracy, precision, recall, f1, mae, rmse, r2, mape"
        );
    }
}
