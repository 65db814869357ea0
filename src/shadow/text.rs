//! shadow-test's text output: the verdict with its reasons, the rule, and a table of both
//! models' metrics with the deciding one starred.

use super::rule::Rule;
use super::verdict::{Evidence, Judgement};
use crate::metrics::{Metric, MetricValues};
use crate::report::table::render_table;

/// The text stdout shows (without --format json).
pub fn render_text(rule: &Rule, evidence: &Evidence, judgement: &Judgement) -> String {
    let cell = |values: Option<&MetricValues>, metric: Metric| {
        values
            .and_then(|v| v.get(metric))
            .map_or("-".to_string(), |v| format!("{v:.4}"))
    };
    // Ranking metrics are the ones computed for this run (their K follows the flags).
    let metrics: Vec<Metric> = match rule.metric.ranking() {
        Some(_) => evidence.challenger.metrics().collect(),
        None => Metric::for_task(rule.metric.task()).to_vec(),
    };
    let table: Vec<Vec<String>> = metrics
        .iter()
        .map(|&metric| {
            let marker = if metric == rule.metric { " *" } else { "" };
            vec![
                format!("{metric}{marker}"),
                cell(evidence.champion.as_ref(), metric),
                cell(Some(&evidence.challenger), metric),
            ]
        })
        .collect();
    format!(
        "shadow-test {}: {}\n{} rows; rule: {}\n\n{}",
        judgement.verdict(),
        judgement.reasons.join("; "),
        evidence.rows,
        rule.describe(),
        render_table(&["METRIC", "CHAMPION", "CHALLENGER"], &table)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shadow::decide::Tolerance;
    use crate::shadow::verdict::judge;

    #[test]
    fn verdict_rule_and_metric_table() {
        let rule = Rule {
            metric: Metric::Mae,
            tolerance: Tolerance::Relative(0.1),
            require_significant: false,
            min_samples: 10,
            min_coverage: None,
            floors: Vec::new(),
        };
        let champion = [(Metric::Mae, 10.0), (Metric::Rmse, 12.5)];
        let challenger = [(Metric::Mae, 10.5), (Metric::Rmse, 12.0), (Metric::R2, 0.5)];
        let evidence = Evidence {
            rows: 42,
            champion: Some(champion.into_iter().collect()),
            challenger: challenger.into_iter().collect(),
            interval: None,
            coverage: None,
            classes: None,
        };
        let text = render_text(&rule, &evidence, &judge(&evidence, &rule));
        assert_eq!(
            text,
            "shadow-test PASS: mae 10.5000 vs champion 10.0000 (improvement -0.5000)\n\
             42 rows; rule: PASS if the challenger's mae (lower is better) is worse than the \
             champion by at most 10%; ties go to the challenger\n\
             \n\
             METRIC  CHAMPION  CHALLENGER\n\
             mae *   10.0000   10.5000\n\
             rmse    12.5000   12.0000\n\
             r2      -         0.5000\n"
        );
    }
}
