//! score-proxy's result, computed once and then written out: the report's `result` (serde),
//! the text summary and the Prometheus gauges.

use anyhow::Result;
use serde::Serialize;

use super::compare::Comparison;
use super::evaluate::{evaluate, ProxyVerdict, Ranking, TaskMetrics, Usable};
use super::join::JoinSummary;
use super::matched::Matched;
use super::verdict::VerdictRule;
use crate::metrics::{CurvePoint, BINARY_METRIC_NAMES, REGRESSION_METRIC_NAMES};
use crate::report::prometheus::Gauges;
use crate::report::table::render_table;
use crate::report::Status;

/// The report's `result`; status, metric and baseline value travel beside it for the envelope
/// and the text.
#[derive(Debug, Clone, Serialize)]
pub struct ScoreProxyResult {
    pub join: JoinSummary,
    pub usable_rows: usize,
    pub null_label_or_score: usize,
    pub metrics: Option<TaskMetrics>,
    pub curve: Vec<CurvePoint>,
    pub comparison: Option<Comparison>,
    pub reasons: Vec<String>,
    /// The envelope's status, not part of `result`.
    #[serde(skip)]
    pub status: Status,
    /// The metric that decides.
    #[serde(skip)]
    pub metric: String,
    /// Shown in the text table even when the comparison is undefined.
    #[serde(skip)]
    pub baseline: Option<f64>,
}

impl ScoreProxyResult {
    /// Scores `matched` at `threshold` and judges it by `rule` (reading the baseline file).
    pub fn compute(
        matched: &Matched,
        threshold: f64,
        rule: &VerdictRule,
    ) -> Result<ScoreProxyResult> {
        let ranking = matched.groups.as_deref().map(|groups| Ranking {
            groups,
            metrics: rule.ranking_metrics(),
        });
        let usable = evaluate(
            &matched.joined,
            &matched.labels,
            &matched.scores,
            threshold,
            ranking.as_ref(),
        );
        let baseline = rule.baseline_value()?;
        let verdict = rule.judge(&usable, baseline);
        Ok(ScoreProxyResult::new(
            matched.joined.summary.clone(),
            usable,
            verdict,
            &rule.metric,
            baseline,
        ))
    }

    /// Assembles the result from its computed parts (no IO).
    pub fn new(
        join: JoinSummary,
        usable: Usable,
        verdict: ProxyVerdict,
        metric: &str,
        baseline: Option<f64>,
    ) -> ScoreProxyResult {
        ScoreProxyResult {
            join,
            usable_rows: usable.rows,
            null_label_or_score: usable.null_label_or_score,
            metrics: usable.metrics,
            curve: usable.curve,
            comparison: verdict.comparison,
            reasons: verdict.reasons,
            status: verdict.status,
            metric: metric.to_string(),
            baseline,
        }
    }

    /// The deciding metric's live value, if it is defined.
    pub fn current(&self) -> Option<f64> {
        self.metrics.as_ref().and_then(|m| m.get(&self.metric))
    }

    /// The verdict line, the join counts and a one-row table of the deciding metric.
    pub fn render_text(&self) -> String {
        let fmt = |v: Option<f64>| v.map_or("-".to_string(), |x| format!("{x:.4}"));
        let reasons = self.reasons.join("; ");
        let rows = vec![vec![
            self.metric.clone(),
            fmt(self.current()),
            fmt(self.baseline),
            self.status.as_str().to_string(),
            reasons.clone(),
        ]];
        let j = &self.join;
        let groups = match &self.metrics {
            Some(TaskMetrics::Ranking(r)) => format!(
                "groups: {} ranked, {} without a relevant item (left out of the means)\n",
                r.groups_evaluated, r.groups_without_relevant
            ),
            _ => String::new(),
        };
        format!(
            "score-proxy {}: {reasons}\njoin {}: {} matched ({} usable), {} predictions unmatched, \
             {} outcomes unmatched\n{groups}\n{}",
            self.status.as_str(),
            j.mode.as_str(),
            j.matched,
            self.usable_rows,
            j.unmatched_predictions,
            j.unmatched_outcomes,
            render_table(&["METRIC", "CURRENT", "BASELINE", "STATUS", "REASON"], &rows)
        )
    }

    /// Every defined metric, the usable row count and the drop against the baseline; the run
    /// summary (status, timestamp) every command writes is the report writer's to add.
    pub fn gauges(&self) -> Gauges {
        let mut gauges = Gauges::default();
        if let Some(TaskMetrics::Ranking(r)) = &self.metrics {
            for (name, &value) in &r.values {
                gauges.gauge(
                    "refit_score_proxy_metric",
                    "Live model metric on matched predictions.",
                    &[("metric", name)],
                    value,
                );
            }
            gauges.gauge(
                "refit_score_proxy_groups_without_relevant",
                "Groups left out of the ranking metrics: no relevant item among their rows.",
                &[],
                r.groups_without_relevant as f64,
            );
        } else if let Some(m) = &self.metrics {
            let names = BINARY_METRIC_NAMES
                .iter()
                .chain(&REGRESSION_METRIC_NAMES)
                .chain(&["mape"]);
            for &name in names {
                if let Some(v) = m.get(name) {
                    gauges.gauge(
                        "refit_score_proxy_metric",
                        "Live model metric on matched predictions.",
                        &[("metric", name)],
                        v,
                    );
                }
            }
        }
        gauges.gauge(
            "refit_score_proxy_matched_rows",
            "Predictions matched with an outcome and usable.",
            &[],
            self.usable_rows as f64,
        );
        if let Some(c) = &self.comparison {
            gauges.gauge(
                "refit_score_proxy_metric_drop",
                "How much worse the metric is than its baseline.",
                &[("metric", &self.metric)],
                c.drop,
            );
        }
        gauges
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::regression_metrics;
    use crate::proxy::compare::compare_metric;
    use crate::proxy::compare::DropLimit;
    use crate::proxy::join::JoinMode;

    fn result(comparison: bool) -> ScoreProxyResult {
        let metrics = regression_metrics(&[1.0, 2.0, 4.0], &[1.5, 2.0, 3.0]);
        let comparison =
            comparison.then(|| compare_metric("mae", 0.25, 0.5, DropLimit::Absolute(0.2)));
        let reasons = match &comparison {
            Some(c) => vec![c.reason.clone()],
            None => vec!["mae = 0.5000".into()],
        };
        ScoreProxyResult {
            join: JoinSummary {
                mode: JoinMode::HorizonNearest,
                matched: 4,
                unmatched_predictions: 1,
                unmatched_outcomes: 2,
                predictions_with_null_key_or_time: 0,
            },
            usable_rows: 3,
            null_label_or_score: 1,
            metrics: Some(TaskMetrics::Regression(metrics)),
            curve: Vec::new(),
            status: comparison.as_ref().map_or(Status::Ok, |c| c.status),
            comparison,
            reasons,
            metric: "mae".into(),
            baseline: Some(0.25),
        }
    }

    #[test]
    fn text_has_the_verdict_the_join_and_the_metric_row() {
        let text = result(true).render_text();
        let expected = "\
score-proxy FAIL: mae dropped by 0.2500 > allowed 0.2
join horizon_nearest: 4 matched (3 usable), 1 predictions unmatched, 2 outcomes unmatched

METRIC  CURRENT  BASELINE  STATUS  REASON
mae     0.5000   0.2500    FAIL    mae dropped by 0.2500 > allowed 0.2
";
        assert_eq!(text, expected);
    }

    #[test]
    fn gauges_name_each_defined_metric_and_the_drop() {
        let text = result(true).gauges().render();
        for needle in [
            "refit_score_proxy_metric{metric=\"mae\"} 0.5\n",
            "refit_score_proxy_metric{metric=\"mape\"}",
            "refit_score_proxy_matched_rows 3\n",
            "refit_score_proxy_metric_drop{metric=\"mae\"} 0.25\n",
        ] {
            assert!(text.contains(needle), "{needle} in\n{text}");
        }
        assert!(
            !text.contains("refit_status"),
            "the report writer adds the run summary"
        );
        let without = result(false).gauges().render();
        assert!(!without.contains("refit_score_proxy_metric_drop"));
    }

    #[test]
    fn the_result_json_leaves_the_envelope_fields_out() {
        let json = serde_json::to_value(result(true)).unwrap();
        let mut keys: Vec<&str> = json
            .as_object()
            .unwrap()
            .keys()
            .map(|k| k.as_str())
            .collect();
        keys.sort();
        assert_eq!(
            keys,
            [
                "comparison",
                "curve",
                "join",
                "metrics",
                "null_label_or_score",
                "reasons",
                "usable_rows"
            ]
        );
    }
}
