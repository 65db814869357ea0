//! PASS or FAIL from the evidence: the rule applied to plain numbers, every shortfall named
//! in a reason (the report's and the text output's wording).

use super::coverage::Coverage;
use super::decide::{compare_with_champion, interval_clears_margin, Comparison};
use super::rule::{Floor, Rule};
use crate::metrics::bootstrap::BootstrapInterval;
use crate::metrics::{Metric, MetricValues};
use crate::report::Status;

/// What the run measured; computed by the command, judged here.
#[derive(Debug, Clone, PartialEq)]
pub struct Evidence {
    /// Labelled rows both models were scored on.
    pub rows: usize,
    pub challenger: MetricValues,
    /// `None` without a champion.
    pub champion: Option<MetricValues>,
    /// The paired bootstrap of the deciding metric, when one was run.
    pub interval: Option<BootstrapInterval>,
    /// With --entity.
    pub coverage: Option<Coverage>,
    /// Binary labels among the rows: (negatives, positives); `None` for regression.
    pub classes: Option<(usize, usize)>,
}

/// Fewer rows than any metric is defined on (a single error, a variance of one value).
pub const MIN_ROWS: usize = 2;

/// Too little data for any metric to mean something, whatever --min-samples says.
fn too_little_evidence(evidence: &Evidence) -> Option<String> {
    let n = evidence.rows;
    if n < MIN_ROWS {
        return Some(format!(
            "insufficient evidence: {n} rows; no metric is defined on fewer than {MIN_ROWS}"
        ));
    }
    match evidence.classes {
        Some((negatives, positives)) if negatives == 0 || positives == 0 => Some(format!(
            "insufficient evidence: the {n} rows hold one class only ({positives} positive, \
             {negatives} negative); a binary metric needs both"
        )),
        _ => None,
    }
}

impl Evidence {
    /// (champion, challenger) values of `metric` when both are defined: only then are the
    /// comparison, the bootstrap and the paired tests worth running.
    pub fn comparable(&self, metric: Metric) -> Option<(f64, f64)> {
        let champion = self.champion.as_ref()?.get(metric)?;
        Some((champion, self.challenger.get(metric)?))
    }

    /// An undefined metric (no rows, one class only) is missing evidence, never a pass.
    fn undefined(&self, metric: Metric) -> bool {
        self.challenger.get(metric).is_none()
            || self
                .champion
                .as_ref()
                .is_some_and(|c| c.get(metric).is_none())
    }
}

/// The outcome: `reasons` name every shortfall, or say why the challenger passed.
#[derive(Debug, Clone, PartialEq)]
pub struct Judgement {
    pub passed: bool,
    pub reasons: Vec<String>,
    /// Set when both models have a defined deciding metric.
    pub comparison: Option<Comparison>,
    /// Notes for the report's `messages` (not reasons: they do not decide).
    pub messages: Vec<String>,
}

impl Judgement {
    /// The word the report and the text output lead with.
    pub fn verdict(&self) -> &'static str {
        if self.passed {
            "PASS"
        } else {
            "FAIL"
        }
    }

    /// FAIL is the status that exits 2; there is no WARN in shadow-test.
    pub fn status(&self) -> Status {
        if self.passed {
            Status::Ok
        } else {
            Status::Fail
        }
    }
}

/// Applies `rule` to `evidence`; reasons come in a fixed order: sample size, coverage,
/// undefined metric, the champion comparison, floors.
pub fn judge(evidence: &Evidence, rule: &Rule) -> Judgement {
    let metric = rule.metric;
    let mut reasons = Vec::new();
    let n = evidence.rows;
    if n < rule.min_samples {
        reasons.push(format!(
            "insufficient evidence: {n} rows, --min-samples is {}",
            rule.min_samples
        ));
    }
    reasons.extend(coverage_shortfall(
        evidence.coverage.as_ref(),
        rule.min_coverage,
    ));
    let too_little = too_little_evidence(evidence);
    reasons.extend(too_little.iter().cloned());
    if evidence.undefined(metric) {
        reasons.push(format!(
            "insufficient evidence: {} is undefined on these {n} rows (no rows, or one class only)",
            metric.name()
        ));
    }
    let comparison = evidence.comparable(metric).map(|(champion, challenger)| {
        compare_with_champion(metric, champion, challenger, rule.tolerance)
    });
    if let Some(c) = &comparison {
        reasons.extend(champion_shortfalls(c, evidence.interval.as_ref(), rule));
    }
    let mut messages = Vec::new();
    let undefined = evidence.undefined(metric) || too_little.is_some();
    if !undefined && evidence.champion.is_none() && rule.floors.is_empty() {
        messages.push("no champion and no --min-metric floors: nothing to beat".into());
    }
    let floors = rule.floors.iter();
    reasons.extend(floors.filter_map(|f| floor_shortfall(*f, &evidence.challenger)));
    let passed = reasons.is_empty();
    if passed {
        reasons.push(pass_reason(
            metric,
            comparison.as_ref(),
            &evidence.challenger,
        ));
    }
    Judgement {
        passed,
        reasons,
        comparison,
        messages,
    }
}

/// With --min-coverage: the challenger must know enough of the data's entities.
fn coverage_shortfall(coverage: Option<&Coverage>, min: Option<f64>) -> Option<String> {
    let (c, min) = (coverage?, min?);
    (c.coverage < min).then(|| {
        format!(
            "coverage {:.2}% of `{}` values < required {:.2}%; unknown to the challenger: {}",
            100.0 * c.coverage,
            c.entity,
            100.0 * min,
            c.missing.join(", ")
        )
    })
}

/// Worse than the tolerance allows, and (with --require-significant) not clearly so.
fn champion_shortfalls(
    c: &Comparison,
    interval: Option<&BootstrapInterval>,
    rule: &Rule,
) -> Vec<String> {
    let mut reasons = Vec::new();
    if !c.passed {
        reasons.push(format!(
            "{} {:.4} vs champion {:.4}: worse by {:.4}, more than the allowed {:.4}",
            c.metric.name(),
            c.challenger,
            c.champion,
            -c.improvement,
            c.margin
        ));
    }
    if rule.require_significant {
        match interval {
            Some(i) if interval_clears_margin(i, c.margin) => {}
            Some(i) => reasons.push(format!(
                "not significant: the 95% bootstrap interval of the improvement [{:.4}, {:.4}] does not clear {:.4}",
                i.improvement_low, i.improvement_high, -c.margin
            )),
            None => reasons.push(
                "not significant: no bootstrap interval (--bootstrap 0 or no defined resample)"
                    .into(),
            ),
        }
    }
    reasons
}

/// A floor applies with or without a champion; an undefined value misses it.
fn floor_shortfall(floor: Floor, challenger: &MetricValues) -> Option<String> {
    let name = floor.metric.name();
    match challenger.get(floor.metric) {
        Some(v) if floor.is_met_by(v) => None,
        Some(v) => Some(format!("{name} {v:.4} misses the floor {}", floor.value)),
        None => Some(format!("{name} is undefined on these rows")),
    }
}

/// A pass still says why: the comparison, or the challenger's value when there is no champion.
fn pass_reason(
    metric: Metric,
    comparison: Option<&Comparison>,
    challenger: &MetricValues,
) -> String {
    match comparison {
        Some(c) => format!(
            "{} {:.4} vs champion {:.4} (improvement {:+.4})",
            metric.name(),
            c.challenger,
            c.champion,
            c.improvement
        ),
        None => format!(
            "no champion; {} {:.4}",
            metric.name(),
            challenger.get(metric).unwrap_or(f64::NAN)
        ),
    }
}

#[cfg(test)]
mod tests;
