//! The promotion rule, as a pure function of the numbers: the challenger passes when it is
//! not worse than the champion by more than the tolerance (ties go to the challenger), with
//! optional demands on the bootstrap interval, the sample size and entity coverage.

use serde::Serialize;

use crate::metrics::bootstrap::BootstrapInterval;
use crate::metrics::Metric;

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "kind", content = "value", rename_all = "lowercase")]
pub enum Tolerance {
    /// In the metric's units.
    Absolute(f64),
    /// A share of the champion's value (0.10 = 10% worse is still a pass).
    Relative(f64),
}

impl Tolerance {
    /// --tolerance-rel, when given, wins over --tolerance (which defaults to 0).
    pub fn from_flags(absolute: f64, relative: Option<f64>) -> Tolerance {
        match relative {
            Some(r) => Tolerance::Relative(r),
            None => Tolerance::Absolute(absolute),
        }
    }

    /// How much worse than `champion` the challenger may be, in the metric's units.
    pub fn margin(self, champion: f64) -> f64 {
        match self {
            Tolerance::Absolute(t) => t,
            Tolerance::Relative(r) => r * champion.abs(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    pub metric: Metric,
    pub champion: f64,
    pub challenger: f64,
    /// Challenger minus champion.
    pub difference: f64,
    /// The difference oriented so that positive means "challenger better".
    pub improvement: f64,
    /// Allowed worsening, in the metric's units.
    pub margin: f64,
    pub passed: bool,
}

/// The metric rule: improvement >= -margin. Equal values pass: ties go to the challenger.
pub fn compare_with_champion(
    metric: Metric,
    champion: f64,
    challenger: f64,
    tolerance: Tolerance,
) -> Comparison {
    let difference = challenger - champion;
    let improvement = if metric.higher_is_better() {
        difference
    } else {
        -difference
    };
    let margin = tolerance.margin(champion);
    Comparison {
        metric,
        champion,
        challenger,
        difference,
        improvement,
        margin,
        passed: improvement >= -margin,
    }
}

/// The rule in words, for the report.
pub fn describe_rule(metric: Metric, tolerance: Tolerance, require_significant: bool) -> String {
    let direction = metric.direction();
    let allowed = match tolerance {
        Tolerance::Absolute(0.0) => "no worse than the champion".to_string(),
        Tolerance::Absolute(t) => format!("worse than the champion by at most {t}"),
        Tolerance::Relative(r) => format!("worse than the champion by at most {}%", r * 100.0),
    };
    let mut rule = format!(
        "PASS if the challenger's {} ({direction}) is {allowed}; ties go to the challenger",
        metric.name()
    );
    if require_significant {
        rule.push_str(
            "; and the 95% paired-bootstrap interval of the improvement lies above minus the \
             allowed margin",
        );
    }
    rule
}

/// With --require-significant: the whole interval must clear the margin, so a lucky
/// point estimate cannot pass on its own.
pub fn interval_clears_margin(interval: &BootstrapInterval, margin: f64) -> bool {
    interval.improvement_low > -margin
}

/// A --min-metric floor for a first model: at least `floor` in the metric's direction.
pub fn meets_floor(metric: Metric, value: f64, floor: f64) -> bool {
    if metric.higher_is_better() {
        value >= floor
    } else {
        value <= floor
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ties_go_to_the_challenger() {
        let c = compare_with_champion(Metric::PrAuc, 0.6, 0.6, Tolerance::Absolute(0.0));
        assert!(c.passed);
        let c = compare_with_champion(Metric::PrAuc, 0.6, 0.599, Tolerance::Absolute(0.0));
        assert!(!c.passed);
    }

    #[test]
    fn lower_is_better_metrics_and_relative_tolerance() {
        // Seed 002: promote if MAE is worse by at most 10%.
        let c = compare_with_champion(Metric::Mae, 10.0, 10.9, Tolerance::Relative(0.10));
        assert!(c.passed);
        assert!((c.improvement + 0.9).abs() < 1e-12);
        let c = compare_with_champion(Metric::Mae, 10.0, 11.1, Tolerance::Relative(0.10));
        assert!(!c.passed);
        let c = compare_with_champion(Metric::LogLoss, 0.5, 0.4, Tolerance::Absolute(0.0));
        assert!(c.passed && c.improvement > 0.0);
    }

    #[test]
    fn floors_follow_the_metric_direction() {
        assert!(meets_floor(Metric::RocAuc, 0.8, 0.75));
        assert!(!meets_floor(Metric::Mae, 12.0, 10.0));
    }

    #[test]
    fn tolerance_from_flags_prefers_the_relative_one() {
        assert_eq!(Tolerance::from_flags(0.0, None), Tolerance::Absolute(0.0));
        assert_eq!(
            Tolerance::from_flags(0.02, Some(0.1)),
            Tolerance::Relative(0.1)
        );
    }
}
