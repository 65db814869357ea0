//! fleet-diff's verdict: entity statuses, drift and unknown-prediction bands, vocabulary and
//! prediction coverage, the overall status and the priority, decided once and kept as typed
//! values.

use std::collections::BTreeSet;

use serde::Serialize;

use super::activity::Activity;
use super::bands::{drift_band, DriftBand, UnknownBand};
use super::coverage::{Coverage, CoverageCheck, ExpectedCheck, Measure, Population};
use super::entities::{classify_entities, EntityRow, EntityStatus, FleetCounts, RowIssues};
use super::predictions::{PredictionLog, PredictionWindow, UnknownPredictions, WindowRows};
use super::settings::FleetSettings;
use crate::report::Status;

/// How soon someone should act: the verdict, refined by which signal raised it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Priority {
    None,
    Low,
    Medium,
    High,
}

impl Priority {
    /// The name in text output, the same as in the JSON report.
    pub fn as_str(self) -> &'static str {
        match self {
            Priority::None => "NONE",
            Priority::Low => "LOW",
            Priority::Medium => "MEDIUM",
            Priority::High => "HIGH",
        }
    }
}

/// The share of active entities with at least one prediction in the window.
#[derive(Debug, Clone, PartialEq)]
pub struct PredictionCoverage {
    pub coverage: Coverage,
    /// `None` when the log has no times and every row counts.
    pub window: Option<PredictionWindow>,
    pub rows: WindowRows,
}

/// Everything fleet-diff decided; the text, JSON and gauges are rendered from this alone.
#[derive(Debug, Clone)]
pub struct FleetAssessment {
    /// UTC milliseconds the statuses are measured at; `None` for an `--expected` list
    /// without any time.
    pub now: Option<i64>,
    /// Every entity of the vocabulary and of the data, most urgent first, then by name.
    pub entities: Vec<EntityRow>,
    pub counts: FleetCounts,
    pub drift_band: DriftBand,
    /// Present when a predictions log was given.
    pub unknown_predictions: Option<UnknownPredictions>,
    /// Present when a predictions log was given.
    pub prediction_coverage: Option<PredictionCoverage>,
    /// Present with `--expected`.
    pub expected: Option<ExpectedCheck>,
    /// One per gate given (`--min-coverage`, `--min-prediction-coverage`), in reason order.
    pub coverage_checks: Vec<CoverageCheck>,
    pub status: Status,
    pub priority: Priority,
    /// One line per signal that went into the status, in a fixed order.
    pub reasons: Vec<String>,
    pub row_issues: RowIssues,
}

/// Applies every rule; `vocabulary` must not be empty (fleet drift is relative to its size).
pub fn assess(
    activity: &Activity,
    vocabulary: &BTreeSet<String>,
    predictions: Option<&PredictionLog>,
    expected: Option<&BTreeSet<String>>,
    settings: &FleetSettings,
) -> FleetAssessment {
    let (entities, counts) = classify_entities(
        vocabulary,
        &activity.last_seen,
        activity.now,
        settings.windows,
    );
    let drift_band = drift_band(counts.fleet_drift, settings.drift_bands);
    let unknown_predictions =
        predictions.map(|p| UnknownPredictions::assess(p.counts, settings.unknown_bands));
    let unknown_band = unknown_predictions.map(|u| u.band);
    let prediction_coverage = predictions.map(|p| PredictionCoverage {
        coverage: Coverage::of(
            entities
                .iter()
                .filter(|r| r.status == EntityStatus::Active)
                .map(|r| r.entity.as_str()),
            |e| p.predicted.entities.contains(e),
        ),
        window: p.predicted.window,
        rows: p.predicted.rows,
    });
    let expected =
        expected.map(|e| ExpectedCheck::assess(e, vocabulary, predictions.map(|p| &p.predicted)));
    let coverage_checks = coverage_checks(
        settings,
        &counts,
        prediction_coverage.as_ref(),
        expected.as_ref(),
        activity.listed,
    );
    let status = overall_status(drift_band, unknown_band, &coverage_checks);
    FleetAssessment {
        now: activity.now,
        reasons: reasons(&counts, drift_band, unknown_predictions, &coverage_checks),
        priority: priority(status, drift_band, unknown_band),
        entities,
        counts,
        drift_band,
        unknown_predictions,
        prediction_coverage,
        expected,
        coverage_checks,
        status,
        row_issues: activity.issues,
    }
}

/// The gates given, of the active entities then of the expected ones. When the expected list
/// is the fleet (`listed`, no data), its entities are the active ones: checked once, named
/// as expected.
fn coverage_checks(
    settings: &FleetSettings,
    counts: &FleetCounts,
    prediction: Option<&PredictionCoverage>,
    expected: Option<&ExpectedCheck>,
    listed: bool,
) -> Vec<CoverageCheck> {
    let vocabulary = Coverage {
        ratio: counts.vocabulary_coverage,
        covered: counts.active_in_vocabulary,
        total: counts.active,
        missing: Vec::new(),
    };
    let fleet = if listed {
        Population::Expected
    } else {
        Population::Active
    };
    let mut measured = vec![
        (Measure::Vocabulary, fleet, Some(&vocabulary)),
        (Measure::Prediction, fleet, prediction.map(|p| &p.coverage)),
    ];
    if let Some(e) = expected.filter(|_| !listed) {
        measured.push((
            Measure::Vocabulary,
            Population::Expected,
            Some(&e.vocabulary),
        ));
        measured.push((
            Measure::Prediction,
            Population::Expected,
            e.prediction.as_ref(),
        ));
    }
    measured
        .into_iter()
        .filter_map(|(measure, population, coverage)| {
            let minimum = match measure {
                Measure::Vocabulary => settings.min_coverage,
                Measure::Prediction => settings.min_prediction_coverage,
            }?;
            Some(CoverageCheck::new(measure, population, coverage?, minimum))
        })
        .collect()
}

/// The worst of the signals; any coverage below its minimum fails whatever the bands say.
pub fn overall_status(
    drift: DriftBand,
    unknown: Option<UnknownBand>,
    coverage: &[CoverageCheck],
) -> Status {
    if coverage.iter().any(CoverageCheck::is_short) {
        return Status::Fail;
    }
    let drift = drift.status();
    unknown.map_or(drift, |u| drift.max(u.status()))
}

/// FAIL is HIGH; a MEDIUM drift band or an unknown-prediction warning is MEDIUM; any other
/// WARN is LOW.
pub fn priority(status: Status, drift: DriftBand, unknown: Option<UnknownBand>) -> Priority {
    match (status, drift) {
        (Status::Fail, _) => Priority::High,
        (_, DriftBand::Medium) => Priority::Medium,
        (Status::Warn, _) if unknown == Some(UnknownBand::Warning) => Priority::Medium,
        (Status::Warn, _) => Priority::Low,
        (Status::Ok, _) => Priority::None,
    }
}

/// Drift first, then the unknown-prediction rate, then the coverage gates: the order users
/// read them.
fn reasons(
    counts: &FleetCounts,
    drift: DriftBand,
    unknown: Option<UnknownPredictions>,
    coverage: &[CoverageCheck],
) -> Vec<String> {
    let mut reasons = vec![format!(
        "fleet drift {:.2}% ({})",
        counts.fleet_drift * 100.0,
        drift.as_str()
    )];
    if let Some(u) = unknown {
        reasons.push(format!(
            "unknown-prediction rate {:.2}% ({})",
            u.rate * 100.0,
            u.band.as_str()
        ));
    }
    reasons.extend(coverage.iter().map(CoverageCheck::reason));
    reasons
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::fleet::activity::NowSource;
    use crate::fleet::entities::Windows;
    use crate::fleet::predictions::{PredictedEntities, PredictionCounts};

    const HOUR: i64 = 3_600_000;
    const NOW: i64 = 1_000 * HOUR;

    fn settings(min_coverage: Option<f64>) -> FleetSettings {
        let windows = Windows::new(24 * HOUR, 7 * 24 * HOUR, 30 * 24 * HOUR).unwrap();
        FleetSettings {
            min_coverage,
            ..FleetSettings::new(windows, &[0.10, 0.20, 0.35], &[0.05, 0.15]).unwrap()
        }
    }

    fn names(list: &[&str]) -> BTreeSet<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    /// Every listed entity seen just now.
    fn activity(seen: &[&str]) -> Activity {
        Activity {
            now: Some(NOW),
            now_source: NowSource::LatestTimestamp,
            last_seen: seen
                .iter()
                .map(|s| (s.to_string(), Some(NOW)))
                .collect::<HashMap<_, _>>(),
            issues: RowIssues::default(),
            listed: false,
        }
    }

    /// `predictions` rows, `unknown` of them outside the vocabulary; `predicted` scored.
    fn log(predictions: usize, unknown: usize, predicted: &[&str]) -> PredictionLog {
        PredictionLog {
            counts: PredictionCounts {
                predictions,
                unknown,
                null_entity: 0,
            },
            predicted: PredictedEntities {
                entities: names(predicted),
                ..PredictedEntities::default()
            },
        }
    }

    fn fleet_of(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("srv{i:03}")).collect()
    }

    #[test]
    fn seed_example_two_new_servers_is_high() {
        let a = assess(
            &activity(&["s1", "s2", "s3", "s4", "s5"]),
            &names(&["s1", "s2", "s3"]),
            None,
            None,
            &settings(None),
        );
        assert_eq!(
            (a.drift_band, a.status, a.priority),
            (DriftBand::High, Status::Fail, Priority::High)
        );
        assert_eq!(a.reasons, vec!["fleet drift 66.67% (HIGH)"]);
        assert_eq!(a.entities[0].entity, "s4");
        assert_eq!(a.now, Some(NOW));
        assert_eq!((a.prediction_coverage, a.expected), (None, None));
    }

    #[test]
    fn a_steady_fleet_is_ok_with_no_priority() {
        let fleet = names(&["a", "b", "c"]);
        let gates = FleetSettings {
            min_prediction_coverage: Some(1.0),
            ..settings(Some(1.0))
        };
        let logged = log(10, 0, &["a", "b", "c"]);
        let a = assess(
            &activity(&["a", "b", "c"]),
            &fleet,
            Some(&logged),
            None,
            &gates,
        );
        assert_eq!((a.status, a.priority), (Status::Ok, Priority::None));
        assert_eq!(
            a.reasons,
            vec![
                "fleet drift 0.00% (OK)",
                "unknown-prediction rate 0.00% (acceptable)",
                "vocabulary coverage 100.00% (3 of 3 active entities) meets --min-coverage 100.00%",
                "prediction coverage 100.00% (3 of 3 active entities) meets \
                 --min-prediction-coverage 100.00%",
            ]
        );
    }

    /// Seed 001: 400 servers trained and running, 170 ever predicted. Vocabulary coverage is
    /// full and fleet drift is 0%, so only prediction coverage can see it.
    #[test]
    fn seed_170_of_400_predicted_fails_only_on_prediction_coverage() {
        let fleet = fleet_of(400);
        let fleet: Vec<&str> = fleet.iter().map(String::as_str).collect();
        let logged = log(170, 0, &fleet[..170]);
        let gates = FleetSettings {
            min_prediction_coverage: Some(1.0),
            ..settings(Some(1.0))
        };
        let a = assess(
            &activity(&fleet),
            &names(&fleet),
            Some(&logged),
            None,
            &gates,
        );
        assert_eq!((a.status, a.priority), (Status::Fail, Priority::High));
        assert_eq!(a.drift_band, DriftBand::Ok);
        assert_eq!(a.counts.vocabulary_coverage, 1.0);
        let p = a.prediction_coverage.as_ref().unwrap();
        assert_eq!((p.coverage.covered, p.coverage.total), (170, 400));
        assert_eq!(p.coverage.missing.len(), 230);
        assert_eq!(p.coverage.missing[0], "srv170");
        assert_eq!(
            a.reasons[3],
            "prediction coverage 42.50% (170 of 400 active entities) below \
             --min-prediction-coverage 100.00%"
        );
        // Reported without the gate, never judged.
        let a = assess(
            &activity(&fleet),
            &names(&fleet),
            Some(&logged),
            None,
            &settings(None),
        );
        assert_eq!(a.status, Status::Ok);
        assert_eq!(a.prediction_coverage.unwrap().coverage.ratio, 0.425);
    }

    #[test]
    fn only_active_entities_are_owed_a_prediction() {
        let mut quiet = activity(&["a", "b"]);
        quiet
            .last_seen
            .insert("gone".into(), Some(NOW - 40 * 24 * HOUR));
        let logged = log(1, 0, &["a", "b"]);
        let a = assess(
            &quiet,
            &names(&["a", "b", "gone"]),
            Some(&logged),
            None,
            &settings(None),
        );
        assert_eq!(a.prediction_coverage.unwrap().coverage.total, 2);
    }

    #[test]
    fn expected_entities_unknown_to_the_model_fail_the_coverage_gate() {
        let seen = activity(&["s1", "s2"]);
        let expected = names(&["s1", "s2", "s3", "s4"]);
        let logged = log(2, 0, &["s1", "s2"]);
        let vocabulary = names(&["s1", "s2", "s3"]);
        let a = assess(
            &seen,
            &vocabulary,
            Some(&logged),
            Some(&expected),
            &settings(Some(1.0)),
        );
        assert_eq!(a.status, Status::Fail);
        let e = a.expected.as_ref().unwrap();
        assert_eq!(e.vocabulary.missing, vec!["s4"]);
        assert_eq!(e.prediction.as_ref().unwrap().missing, vec!["s3", "s4"]);
        assert_eq!(
            a.reasons[2..],
            [
                "vocabulary coverage 100.00% (2 of 2 active entities) meets --min-coverage 100.00%",
                "vocabulary coverage 75.00% (3 of 4 expected entities) below --min-coverage 100.00%",
            ]
        );
        // Without the gate the missing ones are reported, the verdict is the drift's.
        let a = assess(&seen, &vocabulary, None, Some(&expected), &settings(None));
        assert_eq!(a.status, Status::Warn);
        assert_eq!(a.expected.unwrap().vocabulary.missing, vec!["s4"]);
    }

    /// No data: the expected list is the fleet, checked once and named as expected.
    #[test]
    fn a_listed_fleet_is_checked_once() {
        let expected = names(&["s1", "s2", "s3", "s4"]);
        let listed = Activity::listed(&expected, None, None);
        let gates = FleetSettings {
            min_prediction_coverage: Some(1.0),
            drift_bands: [0.5, 0.6, 0.7],
            ..settings(Some(1.0))
        };
        let logged = log(3, 0, &["s1", "s2", "s3"]);
        let a = assess(
            &listed,
            &names(&["s1", "s2", "s3"]),
            Some(&logged),
            Some(&expected),
            &gates,
        );
        assert_eq!(a.status, Status::Fail);
        assert_eq!(a.now, None);
        assert_eq!(
            a.reasons[2..],
            [
                "vocabulary coverage 75.00% (3 of 4 expected entities) below --min-coverage 100.00%",
                "prediction coverage 75.00% (3 of 4 expected entities) below \
                 --min-prediction-coverage 100.00%",
            ]
        );
        assert_eq!(a.coverage_checks.len(), 2);
        assert_eq!(a.expected.unwrap().vocabulary.missing, vec!["s4"]);
    }

    #[test]
    fn the_worst_signal_sets_the_status() {
        use DriftBand as D;
        use UnknownBand as U;
        assert_eq!(overall_status(D::Ok, None, &[]), Status::Ok);
        assert_eq!(overall_status(D::Low, None, &[]), Status::Warn);
        assert_eq!(overall_status(D::Medium, None, &[]), Status::Warn);
        assert_eq!(overall_status(D::High, None, &[]), Status::Fail);
        assert_eq!(overall_status(D::Ok, Some(U::Acceptable), &[]), Status::Ok);
        assert_eq!(overall_status(D::Ok, Some(U::Warning), &[]), Status::Warn);
        assert_eq!(overall_status(D::Low, Some(U::Critical), &[]), Status::Fail);
        assert_eq!(
            overall_status(D::High, Some(U::Acceptable), &[]),
            Status::Fail
        );
    }

    #[test]
    fn coverage_below_the_minimum_fails_even_when_the_bands_are_ok() {
        let at = |coverage| CoverageCheck {
            measure: Measure::Vocabulary,
            population: Population::Active,
            covered: 0,
            total: 0,
            coverage,
            minimum: 0.9,
        };
        assert_eq!(overall_status(DriftBand::Ok, None, &[at(0.9)]), Status::Ok);
        assert_eq!(
            overall_status(DriftBand::Ok, None, &[at(0.8999)]),
            Status::Fail
        );
        assert_eq!(
            overall_status(DriftBand::Low, None, &[at(1.0)]),
            Status::Warn
        );
        assert_eq!(
            overall_status(DriftBand::Ok, None, &[at(1.0), at(0.5)]),
            Status::Fail
        );
    }

    #[test]
    fn coverage_reason_says_below_or_meets() {
        // 3 known of 5 active: vocabulary coverage 60%.
        let fleet = activity(&["s1", "s2", "s3", "s4", "s5"]);
        let wide_bands = FleetSettings {
            drift_bands: [0.7, 0.8, 0.9],
            ..settings(Some(1.0))
        };
        let a = assess(&fleet, &names(&["s1", "s2", "s3"]), None, None, &wide_bands);
        assert_eq!(
            (a.drift_band, a.status, a.priority),
            (DriftBand::Ok, Status::Fail, Priority::High)
        );
        assert_eq!(
            a.reasons[1],
            "vocabulary coverage 60.00% (3 of 5 active entities) below --min-coverage 100.00%"
        );
        let lenient = FleetSettings {
            min_coverage: Some(0.6),
            ..wide_bands
        };
        let a = assess(&fleet, &names(&["s1", "s2", "s3"]), None, None, &lenient);
        assert_eq!((a.status, a.priority), (Status::Ok, Priority::None));
        assert_eq!(
            a.reasons[1],
            "vocabulary coverage 60.00% (3 of 5 active entities) meets --min-coverage 60.00%"
        );
    }

    #[test]
    fn priority_rules() {
        use DriftBand as D;
        use UnknownBand as U;
        assert_eq!(priority(Status::Fail, D::Ok, None), Priority::High);
        assert_eq!(
            priority(Status::Fail, D::Medium, Some(U::Warning)),
            Priority::High
        );
        assert_eq!(priority(Status::Warn, D::Medium, None), Priority::Medium);
        assert_eq!(
            priority(Status::Warn, D::Medium, Some(U::Acceptable)),
            Priority::Medium
        );
        assert_eq!(
            priority(Status::Warn, D::Low, Some(U::Warning)),
            Priority::Medium
        );
        assert_eq!(
            priority(Status::Warn, D::Ok, Some(U::Warning)),
            Priority::Medium
        );
        assert_eq!(priority(Status::Warn, D::Low, None), Priority::Low);
        assert_eq!(
            priority(Status::Warn, D::Low, Some(U::Acceptable)),
            Priority::Low
        );
        assert_eq!(
            priority(Status::Ok, D::Ok, Some(U::Acceptable)),
            Priority::None
        );
    }

    #[test]
    fn unknown_predictions_raise_status_and_priority() {
        let all = ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"];
        let fleet = names(&all);
        let seen = activity(&all);
        let a = assess(
            &seen,
            &fleet,
            Some(&log(20, 3, &all)),
            None,
            &settings(None),
        );
        assert_eq!((a.status, a.priority), (Status::Warn, Priority::Medium));
        assert_eq!(a.reasons[1], "unknown-prediction rate 15.00% (warning)");
        let a = assess(
            &seen,
            &fleet,
            Some(&log(20, 4, &all)),
            None,
            &settings(None),
        );
        assert_eq!((a.status, a.priority), (Status::Fail, Priority::High));
        assert_eq!(a.unknown_predictions.unwrap().band, UnknownBand::Critical);
    }

    #[test]
    fn low_drift_alone_is_low_priority() {
        // 1 of 10 known entities never seen: drift 10%, LOW.
        let fleet = names(&["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"]);
        let a = assess(
            &activity(&["a", "b", "c", "d", "e", "f", "g", "h", "i"]),
            &fleet,
            None,
            None,
            &settings(None),
        );
        assert_eq!(
            (a.drift_band, a.status, a.priority),
            (DriftBand::Low, Status::Warn, Priority::Low)
        );
        assert_eq!(a.counts.sunset, 1);
    }

    #[test]
    fn priority_names_match_the_json_report() {
        for p in [
            Priority::None,
            Priority::Low,
            Priority::Medium,
            Priority::High,
        ] {
            assert_eq!(serde_json::to_value(p).unwrap(), p.as_str());
        }
    }
}
