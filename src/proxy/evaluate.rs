//! From joined rows to metrics and a verdict.

use std::collections::BTreeMap;

use serde::Serialize;

use super::compare::{compare_metric, Comparison, DropLimit};
use super::join::Joined;
use crate::metrics::ranking::{RankedGroups, RankingMetric};
use crate::metrics::{
    binary_metrics, curve_points, regression_metrics, BinaryMetrics, CurvePoint, RegressionMetrics,
};

/// Operating points kept in a report: enough for a smooth chart, small in JSON.
const CURVE_POINTS: usize = 101;
use crate::report::Status;

#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum TaskMetrics {
    Binary(BinaryMetrics),
    Regression(RegressionMetrics),
    Ranking(RankingReport),
}

/// Ranking metrics by name (means over the groups with a relevant item) and the group counts.
#[derive(Debug, Clone, Serialize)]
pub struct RankingReport {
    #[serde(flatten)]
    pub values: BTreeMap<String, f64>,
    /// Groups among the usable rows.
    pub groups: usize,
    /// Groups with at least one relevant item: the ones every mean is over.
    pub groups_evaluated: usize,
    /// Groups without a relevant item, left out of the means (their metrics are undefined).
    pub groups_without_relevant: usize,
}

/// With --group: each prediction row's group, and the metrics to compute.
pub struct Ranking<'a> {
    pub groups: &'a [u32],
    pub metrics: Vec<RankingMetric>,
}

impl TaskMetrics {
    pub fn get(&self, metric: &str) -> Option<f64> {
        let value = serde_json::to_value(self).ok()?;
        value.get(metric)?.as_f64()
    }
}

/// The label side of matched rows: booleans (binary) or numbers (regression).
pub enum Labels {
    Binary(Vec<Option<bool>>),
    Regression(Vec<Option<f64>>),
}

/// Matched rows where both the label and the score are present, in prediction order.
pub struct Usable {
    pub rows: usize,
    /// Matched rows left out because the label or the score is null.
    pub null_label_or_score: usize,
    pub metrics: Option<TaskMetrics>,
    /// Binary only: ROC/PR operating points for the HTML report (at most 101).
    pub curve: Vec<CurvePoint>,
}

pub fn evaluate(
    joined: &Joined,
    labels: &Labels,
    scores: &[Option<f64>],
    threshold: f64,
    ranking: Option<&Ranking>,
) -> Usable {
    if let Some(ranking) = ranking {
        return evaluate_ranking(joined, labels, scores, ranking);
    }
    let mut null_label_or_score = 0;
    let mut curve = Vec::new();
    let metrics = match labels {
        Labels::Binary(labels) => {
            let (mut y, mut s) = (Vec::new(), Vec::new());
            for &(p, o) in &joined.pairs {
                match (labels[o], scores[p]) {
                    (Some(label), Some(score)) => {
                        y.push(label);
                        s.push(score);
                    }
                    _ => null_label_or_score += 1,
                }
            }
            curve = curve_points(&y, &s, CURVE_POINTS);
            (!y.is_empty()).then(|| TaskMetrics::Binary(binary_metrics(&y, &s, threshold)))
        }
        Labels::Regression(targets) => {
            let (mut y, mut s) = (Vec::new(), Vec::new());
            for &(p, o) in &joined.pairs {
                match (targets[o], scores[p]) {
                    (Some(target), Some(score)) => {
                        y.push(target);
                        s.push(score);
                    }
                    _ => null_label_or_score += 1,
                }
            }
            (!y.is_empty()).then(|| TaskMetrics::Regression(regression_metrics(&y, &s)))
        }
    };
    Usable {
        rows: joined.pairs.len() - null_label_or_score,
        null_label_or_score,
        metrics,
        curve,
    }
}

/// Matched rows ranked within their groups; a label is relevance (true = 1, or a grade).
fn evaluate_ranking(
    joined: &Joined,
    labels: &Labels,
    scores: &[Option<f64>],
    ranking: &Ranking,
) -> Usable {
    let relevance = |o: usize| match labels {
        Labels::Binary(labels) => labels[o].map(f64::from),
        Labels::Regression(grades) => grades[o],
    };
    let (mut groups, mut grades, mut kept) = (Vec::new(), Vec::new(), Vec::new());
    let mut null_label_or_score = 0;
    for &(p, o) in &joined.pairs {
        match (relevance(o), scores[p]) {
            (Some(grade), Some(score)) => {
                groups.push(ranking.groups[p]);
                grades.push(grade);
                kept.push(score);
            }
            _ => null_label_or_score += 1,
        }
    }
    let ranked = RankedGroups::new(&groups, &grades, &kept);
    let values = ranking
        .metrics
        .iter()
        .filter_map(|&m| ranked.mean(m).map(|v| (m.name(), v)))
        .collect();
    let metrics = (!groups.is_empty()).then_some(TaskMetrics::Ranking(RankingReport {
        values,
        groups: ranked.groups,
        groups_evaluated: ranked.evaluated.len(),
        groups_without_relevant: ranked.groups_without_relevant,
    }));
    Usable {
        rows: groups.len(),
        null_label_or_score,
        metrics,
        curve: Vec::new(),
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ProxyVerdict {
    pub status: Status,
    pub reasons: Vec<String>,
    pub comparison: Option<Comparison>,
}

/// The verdict: the comparison's, but never OK on too little data or an undefined metric.
pub fn verdict(
    usable: &Usable,
    metric: &str,
    baseline: Option<f64>,
    limit: Option<DropLimit>,
    min_samples: usize,
    undefined_reasons: &[String],
) -> ProxyVerdict {
    let mut status = Status::Ok;
    let mut reasons = Vec::new();
    let current = usable.metrics.as_ref().and_then(|m| m.get(metric));
    let comparison = match (baseline, limit, current) {
        (Some(b), Some(l), Some(c)) => Some(compare_metric(metric, b, c, l)),
        _ => None,
    };
    if let Some(c) = &comparison {
        status = c.status;
        reasons.push(c.reason.clone());
    } else if baseline.is_some() && current.is_none() {
        status = Status::Warn;
        let why = undefined_reasons
            .iter()
            .find(|r| r.starts_with(metric))
            .cloned()
            .unwrap_or_else(|| format!("{metric} undefined: no usable rows"));
        reasons.push(why);
    }
    if usable.rows < min_samples {
        status = Status::Warn;
        reasons.push(format!(
            "insufficient data: {} matched rows < --min-samples {min_samples}",
            usable.rows
        ));
    }
    if reasons.is_empty() {
        reasons.push(format!(
            "{metric} = {}",
            current.map_or("undefined".into(), |v| format!("{v:.4}"))
        ));
    }
    ProxyVerdict {
        status,
        reasons,
        comparison,
    }
}
