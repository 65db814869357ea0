//! One test per branch of the rule; reasons are compared whole, as the reports carry them.

use super::*;
use crate::shadow::coverage::entity_coverage;
use crate::shadow::decide::Tolerance;

fn values(pairs: &[(Metric, f64)]) -> MetricValues {
    pairs.iter().copied().collect()
}

fn pr_auc(value: f64) -> MetricValues {
    values(&[(Metric::PrAuc, value), (Metric::RocAuc, 0.8)])
}

fn rule() -> Rule {
    Rule {
        metric: Metric::PrAuc,
        tolerance: Tolerance::Absolute(0.0),
        require_significant: false,
        min_samples: 100,
        min_coverage: None,
        floors: Vec::new(),
    }
}

fn evidence(champion: Option<f64>, challenger: f64) -> Evidence {
    Evidence {
        rows: 200,
        challenger: pr_auc(challenger),
        champion: champion.map(pr_auc),
        interval: None,
        coverage: None,
        classes: Some((120, 80)),
    }
}

fn interval(low: f64, high: f64) -> BootstrapInterval {
    BootstrapInterval {
        resamples: 1000,
        seed: 0,
        undefined: 0,
        difference_low: low,
        difference_high: high,
        improvement_low: low,
        improvement_high: high,
    }
}

fn floor(metric: Metric, value: f64) -> Floor {
    Floor { metric, value }
}

#[test]
fn a_better_challenger_passes_with_the_comparison_as_reason() {
    let j = judge(&evidence(Some(0.6), 0.65), &rule());
    assert!(j.passed);
    assert_eq!((j.verdict(), j.status()), ("PASS", Status::Ok));
    assert_eq!(
        j.reasons,
        ["pr_auc 0.6500 vs champion 0.6000 (improvement +0.0500)"]
    );
    assert!(j.comparison.unwrap().passed);
    assert!(j.messages.is_empty());
}

#[test]
fn a_tie_goes_to_the_challenger() {
    let j = judge(&evidence(Some(0.6), 0.6), &rule());
    assert_eq!(
        j.reasons,
        ["pr_auc 0.6000 vs champion 0.6000 (improvement +0.0000)"]
    );
}

#[test]
fn fewer_rows_than_min_samples_is_insufficient_evidence() {
    let mut e = evidence(Some(0.6), 0.65);
    e.rows = 50;
    let j = judge(&e, &rule());
    assert_eq!((j.verdict(), j.status()), ("FAIL", Status::Fail));
    assert_eq!(
        j.reasons,
        ["insufficient evidence: 50 rows, --min-samples is 100"]
    );
}

#[test]
fn an_undefined_challenger_metric_fails_and_skips_the_comparison() {
    let mut e = evidence(Some(0.6), 0.65);
    e.challenger = values(&[(Metric::RocAuc, 0.8)]);
    let j = judge(&e, &rule());
    assert!(!j.passed);
    assert_eq!(
        j.reasons,
        ["insufficient evidence: pr_auc is undefined on these 200 rows (no rows, or one class only)"]
    );
    assert_eq!(j.comparison, None);
}

#[test]
fn an_undefined_champion_metric_fails_too() {
    let mut e = evidence(Some(0.6), 0.65);
    e.champion = Some(MetricValues::default());
    let j = judge(&e, &rule());
    assert!(!j.passed && j.comparison.is_none());
    assert!(j.reasons[0].starts_with("insufficient evidence: pr_auc is undefined"));
    assert!(j.messages.is_empty(), "a champion was given");
}

#[test]
fn worse_than_the_tolerance_fails() {
    let mut r = rule();
    r.tolerance = Tolerance::Absolute(0.01);
    let j = judge(&evidence(Some(0.6), 0.58), &r);
    assert_eq!(
        j.reasons,
        ["pr_auc 0.5800 vs champion 0.6000: worse by 0.0200, more than the allowed 0.0100"]
    );
    let j = judge(&evidence(Some(0.6), 0.595), &r);
    assert!(j.passed, "within the tolerance");
}

#[test]
fn lower_is_better_metrics_with_relative_tolerance() {
    let r = Rule {
        metric: Metric::Mae,
        tolerance: Tolerance::Relative(0.1),
        ..rule()
    };
    let e = |mae: f64| Evidence {
        challenger: values(&[(Metric::Mae, mae)]),
        champion: Some(values(&[(Metric::Mae, 10.0)])),
        ..evidence(None, 0.0)
    };
    assert!(judge(&e(10.9), &r).passed);
    assert_eq!(
        judge(&e(11.5), &r).reasons,
        ["mae 11.5000 vs champion 10.0000: worse by 1.5000, more than the allowed 1.0000"]
    );
}

#[test]
fn require_significant_needs_the_interval_above_minus_the_margin() {
    let r = Rule {
        require_significant: true,
        ..rule()
    };
    let mut e = evidence(Some(0.6), 0.65);
    e.interval = Some(interval(0.01, 0.09));
    assert!(judge(&e, &r).passed);
    e.interval = Some(interval(-0.02, 0.09));
    assert_eq!(
        judge(&e, &r).reasons,
        ["not significant: the 95% bootstrap interval of the improvement [-0.0200, 0.0900] does not clear -0.0000"]
    );
    e.interval = Some(interval(0.0, 0.09));
    assert!(
        !judge(&e, &r).passed,
        "the interval must clear the margin strictly"
    );
}

#[test]
fn require_significant_without_an_interval_fails() {
    let r = Rule {
        require_significant: true,
        ..rule()
    };
    let j = judge(&evidence(Some(0.6), 0.65), &r);
    assert_eq!(
        j.reasons,
        ["not significant: no bootstrap interval (--bootstrap 0 or no defined resample)"]
    );
}

#[test]
fn the_interval_is_ignored_without_require_significant() {
    let mut e = evidence(Some(0.6), 0.65);
    e.interval = Some(interval(-0.5, 0.5));
    assert!(judge(&e, &rule()).passed);
}

#[test]
fn a_missed_floor_fails_with_or_without_a_champion() {
    let r = Rule {
        floors: vec![floor(Metric::RocAuc, 0.99), floor(Metric::PrAuc, 0.5)],
        ..rule()
    };
    for champion in [None, Some(0.6)] {
        let j = judge(&evidence(champion, 0.65), &r);
        assert_eq!(j.reasons, ["roc_auc 0.8000 misses the floor 0.99"]);
    }
}

#[test]
fn an_undefined_floor_metric_fails() {
    let r = Rule {
        floors: vec![floor(Metric::F1, 0.5)],
        ..rule()
    };
    let j = judge(&evidence(None, 0.65), &r);
    assert_eq!(j.reasons, ["f1 is undefined on these rows"]);
}

#[test]
fn floors_met_without_a_champion_pass() {
    let r = Rule {
        floors: vec![floor(Metric::PrAuc, 0.4)],
        ..rule()
    };
    let j = judge(&evidence(None, 0.65), &r);
    assert_eq!(j.reasons, ["no champion; pr_auc 0.6500"]);
    assert!(j.messages.is_empty());
}

#[test]
fn coverage_below_the_minimum_fails_and_names_the_unknown_values() {
    let seen = ["a", "b", "c", "d"].map(String::from).into_iter().collect();
    let vocabulary = ["a".to_string(), "b".to_string(), "c".to_string()];
    let mut e = evidence(Some(0.6), 0.65);
    e.coverage = Some(entity_coverage("device_id", &seen, &vocabulary));
    let r = Rule {
        min_coverage: Some(1.0),
        ..rule()
    };
    assert_eq!(
        judge(&e, &r).reasons,
        ["coverage 75.00% of `device_id` values < required 100.00%; unknown to the challenger: d"]
    );
    let r = Rule {
        min_coverage: Some(0.75),
        ..rule()
    };
    assert!(judge(&e, &r).passed);
    assert!(
        judge(&e, &rule()).passed,
        "coverage is reported, not required"
    );
}

#[test]
fn no_champion_and_no_floors_passes_with_nothing_to_beat() {
    let j = judge(&evidence(None, 0.65), &rule());
    assert!(j.passed && j.comparison.is_none());
    assert_eq!(j.reasons, ["no champion; pr_auc 0.6500"]);
    assert_eq!(
        j.messages,
        ["no champion and no --min-metric floors: nothing to beat"]
    );
}

#[test]
fn every_shortfall_is_reported_in_order() {
    let mut e = evidence(Some(0.6), 0.5);
    e.rows = 10;
    e.coverage = Some(entity_coverage(
        "store",
        &["x".to_string()].into_iter().collect(),
        &[],
    ));
    let r = Rule {
        require_significant: true,
        min_coverage: Some(0.5),
        floors: vec![floor(Metric::PrAuc, 0.55)],
        ..rule()
    };
    let j = judge(&e, &r);
    let starts: Vec<&str> = j
        .reasons
        .iter()
        .map(|r| r.split(':').next().unwrap())
        .collect();
    assert_eq!(
        starts,
        [
            "insufficient evidence",
            "coverage 0.00% of `store` values < required 50.00%; unknown to the challenger",
            "pr_auc 0.5000 vs champion 0.6000",
            "not significant",
            "pr_auc 0.5000 misses the floor 0.55",
        ]
    );
}

#[test]
fn one_row_or_one_class_is_insufficient_whatever_min_samples_says() {
    let lenient = Rule {
        min_samples: 0,
        ..rule()
    };
    let one_row = Evidence {
        rows: 1,
        ..evidence(None, 0.9)
    };
    let j = judge(&one_row, &lenient);
    assert!(!j.passed);
    assert_eq!(
        j.reasons,
        ["insufficient evidence: 1 rows; no metric is defined on fewer than 2"]
    );
    let one_class = Evidence {
        classes: Some((0, 200)),
        ..evidence(Some(0.5), 0.9)
    };
    let j = judge(&one_class, &lenient);
    assert!(!j.passed);
    assert_eq!(
        j.reasons,
        ["insufficient evidence: the 200 rows hold one class only (200 positive, 0 negative); a binary metric needs both"]
    );
}
