//! fleet-diff's verdict: entity statuses, drift and unknown-prediction bands, coverage, the
//! overall status and the priority, decided once and kept as typed values.

use std::collections::BTreeSet;

use serde::Serialize;

use super::activity::Activity;
use super::bands::{drift_band, DriftBand, UnknownBand};
use super::entities::{classify_entities, EntityRow, FleetCounts, RowIssues};
use super::predictions::{PredictionCounts, UnknownPredictions};
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

/// Coverage against `--min-coverage`, when one is set.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CoverageCheck {
    pub coverage: f64,
    pub minimum: f64,
}

impl CoverageCheck {
    /// Coverage exactly at the minimum meets it.
    pub fn is_short(&self) -> bool {
        self.coverage < self.minimum
    }
}

/// Everything fleet-diff decided; the text, JSON and gauges are rendered from this alone.
#[derive(Debug, Clone)]
pub struct FleetAssessment {
    /// UTC milliseconds the statuses are measured at.
    pub now: i64,
    /// Every entity of the vocabulary and of the data, most urgent first, then by name.
    pub entities: Vec<EntityRow>,
    pub counts: FleetCounts,
    pub drift_band: DriftBand,
    /// Present when a predictions log was given.
    pub unknown_predictions: Option<UnknownPredictions>,
    /// Present when `--min-coverage` was given.
    pub coverage_check: Option<CoverageCheck>,
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
    predictions: Option<PredictionCounts>,
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
        predictions.map(|p| UnknownPredictions::assess(p, settings.unknown_bands));
    let unknown_band = unknown_predictions.map(|u| u.band);
    let coverage_check = settings.min_coverage.map(|minimum| CoverageCheck {
        coverage: counts.coverage,
        minimum,
    });
    let status = overall_status(drift_band, unknown_band, coverage_check);
    FleetAssessment {
        now: activity.now,
        reasons: reasons(&counts, drift_band, unknown_predictions, coverage_check),
        priority: priority(status, drift_band, unknown_band),
        entities,
        counts,
        drift_band,
        unknown_predictions,
        coverage_check,
        status,
        row_issues: activity.issues,
    }
}

/// The worst of the signals; coverage below the minimum fails whatever the bands say.
pub fn overall_status(
    drift: DriftBand,
    unknown: Option<UnknownBand>,
    coverage: Option<CoverageCheck>,
) -> Status {
    if coverage.is_some_and(|c| c.is_short()) {
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

/// Drift first, then the unknown-prediction rate, then coverage: the order users read them.
fn reasons(
    counts: &FleetCounts,
    drift: DriftBand,
    unknown: Option<UnknownPredictions>,
    coverage: Option<CoverageCheck>,
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
    if let Some(c) = coverage {
        let verdict = if c.is_short() { "below" } else { "meets" };
        reasons.push(format!(
            "coverage {:.2}% {verdict} --min-coverage {:.2}%",
            c.coverage * 100.0,
            c.minimum * 100.0
        ));
    }
    reasons
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::fleet::activity::NowSource;
    use crate::fleet::entities::Windows;

    const HOUR: i64 = 3_600_000;
    const NOW: i64 = 1_000 * HOUR;

    fn settings(min_coverage: Option<f64>) -> FleetSettings {
        let windows = Windows::new(24 * HOUR, 7 * 24 * HOUR, 30 * 24 * HOUR).unwrap();
        FleetSettings::new(windows, &[0.10, 0.20, 0.35], &[0.05, 0.15], min_coverage).unwrap()
    }

    fn names(list: &[&str]) -> BTreeSet<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    /// Every listed entity seen just now.
    fn activity(seen: &[&str]) -> Activity {
        Activity {
            now: NOW,
            now_source: NowSource::LatestTimestamp,
            last_seen: seen
                .iter()
                .map(|s| (s.to_string(), NOW))
                .collect::<HashMap<_, _>>(),
            issues: RowIssues::default(),
        }
    }

    fn logged(predictions: usize, unknown: usize) -> Option<PredictionCounts> {
        Some(PredictionCounts {
            predictions,
            unknown,
            null_entity: 0,
        })
    }

    #[test]
    fn seed_example_two_new_servers_is_high() {
        let a = assess(
            &activity(&["s1", "s2", "s3", "s4", "s5"]),
            &names(&["s1", "s2", "s3"]),
            None,
            &settings(None),
        );
        assert_eq!(
            (a.drift_band, a.status, a.priority),
            (DriftBand::High, Status::Fail, Priority::High)
        );
        assert_eq!(a.reasons, vec!["fleet drift 66.67% (HIGH)"]);
        assert_eq!(a.entities[0].entity, "s4");
        assert_eq!(a.now, NOW);
    }

    #[test]
    fn a_steady_fleet_is_ok_with_no_priority() {
        let fleet = names(&["a", "b", "c"]);
        let a = assess(
            &activity(&["a", "b", "c"]),
            &fleet,
            logged(10, 0),
            &settings(Some(1.0)),
        );
        assert_eq!((a.status, a.priority), (Status::Ok, Priority::None));
        assert_eq!(
            a.reasons,
            vec![
                "fleet drift 0.00% (OK)",
                "unknown-prediction rate 0.00% (acceptable)",
                "coverage 100.00% meets --min-coverage 100.00%",
            ]
        );
    }

    #[test]
    fn the_worst_signal_sets_the_status() {
        use DriftBand as D;
        use UnknownBand as U;
        assert_eq!(overall_status(D::Ok, None, None), Status::Ok);
        assert_eq!(overall_status(D::Low, None, None), Status::Warn);
        assert_eq!(overall_status(D::Medium, None, None), Status::Warn);
        assert_eq!(overall_status(D::High, None, None), Status::Fail);
        assert_eq!(overall_status(D::Ok, Some(U::Acceptable), None), Status::Ok);
        assert_eq!(overall_status(D::Ok, Some(U::Warning), None), Status::Warn);
        assert_eq!(
            overall_status(D::Low, Some(U::Critical), None),
            Status::Fail
        );
        assert_eq!(
            overall_status(D::High, Some(U::Acceptable), None),
            Status::Fail
        );
    }

    #[test]
    fn coverage_below_the_minimum_fails_even_when_the_bands_are_ok() {
        let at = |coverage| CoverageCheck {
            coverage,
            minimum: 0.9,
        };
        assert_eq!(
            overall_status(DriftBand::Ok, None, Some(at(0.9))),
            Status::Ok
        );
        assert_eq!(
            overall_status(DriftBand::Ok, None, Some(at(0.8999))),
            Status::Fail
        );
        assert_eq!(
            overall_status(DriftBand::Low, None, Some(at(1.0))),
            Status::Warn
        );
    }

    #[test]
    fn coverage_reason_says_below_or_meets() {
        // 3 known of 5 active: coverage 60%.
        let fleet = activity(&["s1", "s2", "s3", "s4", "s5"]);
        let wide_bands = FleetSettings {
            drift_bands: [0.7, 0.8, 0.9],
            ..settings(Some(1.0))
        };
        let a = assess(&fleet, &names(&["s1", "s2", "s3"]), None, &wide_bands);
        assert_eq!(
            (a.drift_band, a.status, a.priority),
            (DriftBand::Ok, Status::Fail, Priority::High)
        );
        assert_eq!(a.reasons[1], "coverage 60.00% below --min-coverage 100.00%");
        let lenient = FleetSettings {
            min_coverage: Some(0.6),
            ..wide_bands
        };
        let a = assess(&fleet, &names(&["s1", "s2", "s3"]), None, &lenient);
        assert_eq!((a.status, a.priority), (Status::Ok, Priority::None));
        assert_eq!(a.reasons[1], "coverage 60.00% meets --min-coverage 60.00%");
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
        let fleet = names(&["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"]);
        let seen = activity(&["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"]);
        let a = assess(&seen, &fleet, logged(20, 3), &settings(None));
        assert_eq!((a.status, a.priority), (Status::Warn, Priority::Medium));
        assert_eq!(a.reasons[1], "unknown-prediction rate 15.00% (warning)");
        let a = assess(&seen, &fleet, logged(20, 4), &settings(None));
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
