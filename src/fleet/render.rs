//! fleet-diff's JSON result, text table and Prometheus gauges, all from one assessment.

use serde::Serialize;

use super::assess::{FleetAssessment, PredictionCoverage, Priority};
use super::bands::DriftBand;
use super::coverage::{Coverage, ExpectedCheck};
use super::entities::{EntityRow, EntityStatus, FleetCounts, RowIssues};
use super::predictions::{UnknownPredictions, WindowRows};
use crate::data::time::format_ms;
use crate::report::prometheus::Gauges;
use crate::report::table::render_table;

/// How many names a text line lists before "and N more".
const NAMES_IN_TEXT: usize = 5;

/// The report's `result`; field order is the JSON key order.
#[derive(Debug, Serialize)]
pub struct FleetResult<'a> {
    pub priority: Priority,
    pub reasons: &'a [String],
    pub fleet_drift: f64,
    pub drift_band: DriftBand,
    pub counts: CountsResult<'a>,
    /// Sorted by name.
    pub new_entities: Vec<&'a str>,
    /// Sorted by name.
    pub sunset_entities: Vec<&'a str>,
    pub unknown_predictions: Option<&'a UnknownPredictions>,
    pub prediction_coverage: Option<PredictionCoverageResult<'a>>,
    pub expected: Option<ExpectedResult<'a>>,
    pub row_issues: RowIssues,
    /// Every entity, most urgent first.
    pub entities: Vec<EntityResult<'a>>,
}

/// The counts, with vocabulary coverage also under its first name.
#[derive(Debug, Serialize)]
pub struct CountsResult<'a> {
    #[serde(flatten)]
    pub counts: &'a FleetCounts,
    /// `vocabulary_coverage` again: `runs` figures and older scripts read `counts.coverage`.
    pub coverage: f64,
}

/// The report's `prediction_coverage`: active entities with at least one prediction in the
/// window, and those without (sorted by name).
#[derive(Debug, Serialize)]
pub struct PredictionCoverageResult<'a> {
    pub ratio: f64,
    pub predicted: usize,
    pub active: usize,
    pub without_prediction: &'a [String],
    /// `null` when the log has no time column: then the whole log is the window.
    pub window: Option<WindowResult>,
    pub rows: WindowRows,
}

#[derive(Debug, Serialize)]
pub struct WindowResult {
    pub start: String,
    pub end: String,
}

/// The report's `expected`: the `--expected` entities the model does not know, and (with a
/// predictions log) those that got no prediction; both sorted by name.
#[derive(Debug, Serialize)]
pub struct ExpectedResult<'a> {
    pub entities: usize,
    pub vocabulary_coverage: f64,
    pub unknown_to_model: &'a [String],
    pub prediction_coverage: Option<f64>,
    pub without_prediction: Option<&'a [String]>,
}

/// One entity in the report, its last sighting as RFC 3339.
#[derive(Debug, Serialize)]
pub struct EntityResult<'a> {
    pub entity: &'a str,
    pub in_vocabulary: bool,
    pub status: EntityStatus,
    pub last_seen: Option<String>,
}

/// The JSON result; entity lists are sorted by name so reports diff cleanly.
pub fn fleet_result(a: &FleetAssessment) -> FleetResult<'_> {
    let names = |keep: fn(&EntityRow) -> bool| {
        let mut names: Vec<&str> = a
            .entities
            .iter()
            .filter(|r| keep(r))
            .map(|r| r.entity.as_str())
            .collect();
        names.sort_unstable();
        names
    };
    FleetResult {
        priority: a.priority,
        reasons: &a.reasons,
        fleet_drift: a.counts.fleet_drift,
        drift_band: a.drift_band,
        counts: CountsResult {
            counts: &a.counts,
            coverage: a.counts.vocabulary_coverage,
        },
        new_entities: names(EntityRow::is_new),
        sunset_entities: names(EntityRow::is_sunset),
        unknown_predictions: a.unknown_predictions.as_ref(),
        prediction_coverage: a.prediction_coverage.as_ref().map(prediction_result),
        expected: a.expected.as_ref().map(expected_result),
        row_issues: a.row_issues,
        entities: a
            .entities
            .iter()
            .map(|r| EntityResult {
                entity: &r.entity,
                in_vocabulary: r.in_vocabulary,
                status: r.status,
                last_seen: r.last_seen_ms.map(format_ms),
            })
            .collect(),
    }
}

fn prediction_result(p: &PredictionCoverage) -> PredictionCoverageResult<'_> {
    PredictionCoverageResult {
        ratio: p.coverage.ratio,
        predicted: p.coverage.covered,
        active: p.coverage.total,
        without_prediction: &p.coverage.missing,
        window: p.window.map(|w| WindowResult {
            start: format_ms(w.start),
            end: format_ms(w.end),
        }),
        rows: p.rows,
    }
}

fn expected_result(e: &ExpectedCheck) -> ExpectedResult<'_> {
    ExpectedResult {
        entities: e.vocabulary.total,
        vocabulary_coverage: e.vocabulary.ratio,
        unknown_to_model: &e.vocabulary.missing,
        prediction_coverage: e.prediction.as_ref().map(|p| p.ratio),
        without_prediction: e.prediction.as_ref().map(|p| p.missing.as_slice()),
    }
}

/// A summary line, the counts, the coverage shortfalls, then up to `limit` entities that need
/// a look (known and active ones do not).
pub fn render_text(a: &FleetAssessment, limit: usize) -> String {
    let c = &a.counts;
    let mut out = format!(
        "fleet-diff {} (priority {}): {}\nnow {}: {} known, {} seen, {} new, {} sunset, {} active, {} offline, {} sunset candidates; vocabulary coverage {:.2}%",
        a.status.as_str(),
        a.priority.as_str(),
        a.reasons.join("; "),
        a.now.map_or("none (no timestamps)".into(), format_ms),
        c.vocabulary,
        c.seen,
        c.new,
        c.sunset,
        c.active,
        c.offline,
        c.sunset_candidate,
        c.vocabulary_coverage * 100.0,
    );
    if let Some(p) = &a.prediction_coverage {
        out.push_str(&format!(
            "; prediction coverage {:.2}% ({} of {})",
            p.coverage.ratio * 100.0,
            p.coverage.covered,
            p.coverage.total
        ));
    }
    out.push('\n');
    for line in coverage_lines(a) {
        out.push_str(&line);
        out.push('\n');
    }
    out.push('\n');
    let rows: Vec<Vec<String>> = a
        .entities
        .iter()
        .filter(|r| !(r.in_vocabulary && r.status == EntityStatus::Active))
        .take(limit)
        .map(table_row)
        .collect();
    if rows.is_empty() {
        out.push_str("every known entity is active and no new ones appeared\n");
    } else {
        out.push_str(&render_table(
            &["ENTITY", "VOCABULARY", "STATUS", "LAST_SEEN"],
            &rows,
        ));
    }
    out
}

/// The active entities without a prediction and the expected ones missing, a few names each.
fn coverage_lines(a: &FleetAssessment) -> Vec<String> {
    let mut lines = Vec::new();
    if let Some(p) = a
        .prediction_coverage
        .as_ref()
        .filter(|p| p.coverage.covered < p.coverage.total)
    {
        let window = p.window.map_or("in the predictions log".to_string(), |w| {
            format!("from {} to {}", format_ms(w.start), format_ms(w.end))
        });
        lines.push(format!(
            "{} active entities without a prediction {window}: {}",
            p.coverage.missing.len(),
            first_names(&p.coverage.missing)
        ));
    }
    if let Some(e) = &a.expected {
        lines.push(expected_line(e));
    }
    lines
}

fn expected_line(e: &ExpectedCheck) -> String {
    let missing = |c: &Coverage, what: &str, all: &str| {
        if c.missing.is_empty() {
            all.to_string()
        } else {
            format!("{} {what} ({})", c.missing.len(), first_names(&c.missing))
        }
    };
    let mut line = format!(
        "expected {} entities: {}",
        e.vocabulary.total,
        missing(
            &e.vocabulary,
            "unknown to the model",
            "all known to the model"
        )
    );
    if let Some(p) = &e.prediction {
        line.push_str(", ");
        line.push_str(&missing(p, "without a prediction", "all predicted"));
    }
    line
}

/// "a, b, c, d, e and 3 more"
fn first_names(names: &[String]) -> String {
    let shown = names[..names.len().min(NAMES_IN_TEXT)].join(", ");
    match names.len().saturating_sub(NAMES_IN_TEXT) {
        0 => shown,
        more => format!("{shown} and {more} more"),
    }
}

fn table_row(r: &EntityRow) -> Vec<String> {
    let vocabulary = if r.in_vocabulary { "known" } else { "NEW" };
    // An --expected entity standing in for the data has no time.
    let never = if r.status == EntityStatus::Active {
        "listed"
    } else {
        "never"
    };
    vec![
        r.entity.clone(),
        vocabulary.into(),
        r.status.as_str().into(),
        r.last_seen_ms.map_or(never.into(), format_ms),
    ]
}

/// fleet-diff's own gauges; the caller appends the run summary every command writes.
pub fn gauges(a: &FleetAssessment) -> Gauges {
    let c = &a.counts;
    let mut gauges = Gauges::default();
    gauges.gauge(
        "refit_fleet_drift_ratio",
        "(new + sunset) / vocabulary size.",
        &[],
        c.fleet_drift,
    );
    gauges.gauge(
        "refit_fleet_coverage_ratio",
        "Vocabulary coverage: share of active entities in the model's vocabulary.",
        &[],
        c.vocabulary_coverage,
    );
    if let Some(p) = &a.prediction_coverage {
        gauges.gauge(
            "refit_fleet_prediction_coverage_ratio",
            "Prediction coverage: share of active entities with a prediction in the window.",
            &[],
            p.coverage.ratio,
        );
    }
    for (status, n) in [
        ("new", c.new),
        ("sunset", c.sunset),
        ("active", c.active),
        ("offline", c.offline),
        ("sunset_candidate", c.sunset_candidate),
    ] {
        gauges.gauge(
            "refit_fleet_entities",
            "Entities by status.",
            &[("status", status)],
            n as f64,
        );
    }
    if let Some(u) = &a.unknown_predictions {
        gauges.gauge(
            "refit_fleet_unknown_prediction_ratio",
            "Share of predictions for entities outside the vocabulary.",
            &[],
            u.rate,
        );
    }
    if let Some(e) = &a.expected {
        gauges.gauge(
            "refit_fleet_expected_vocabulary_coverage_ratio",
            "Share of the --expected entities in the model's vocabulary.",
            &[],
            e.vocabulary.ratio,
        );
        if let Some(p) = &e.prediction {
            gauges.gauge(
                "refit_fleet_expected_prediction_coverage_ratio",
                "Share of the --expected entities with a prediction in the window.",
                &[],
                p.ratio,
            );
        }
    }
    gauges
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeSet, HashMap};

    use serde_json::json;

    use super::*;
    use crate::fleet::activity::{Activity, NowSource};
    use crate::fleet::assess::assess;
    use crate::fleet::entities::Windows;
    use crate::fleet::predictions::{
        PredictedEntities, PredictionCounts, PredictionLog, PredictionWindow,
    };
    use crate::fleet::settings::FleetSettings;

    const HOUR: i64 = 3_600_000;
    /// 2026-11-20T08:00:00Z, the fixtures' latest timestamp.
    const NOW: i64 = 1_795_132_800_000 + 8 * HOUR;

    fn set(names: &[&str]) -> BTreeSet<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    fn settings(min_coverage: Option<f64>) -> FleetSettings {
        let windows = Windows::new(24 * HOUR, 7 * 24 * HOUR, 30 * 24 * HOUR).unwrap();
        FleetSettings {
            min_coverage,
            ..FleetSettings::new(windows, &[0.10, 0.20, 0.35], &[0.05, 0.15]).unwrap()
        }
    }

    /// s1 active, s2 offline, s3 never seen, s9 new and active; 2 of 20 predictions unknown,
    /// only s1 predicted in the last 24h.
    fn example(predictions: bool, min_coverage: Option<f64>) -> FleetAssessment {
        let last_seen: HashMap<String, Option<i64>> =
            [("s1", NOW), ("s2", NOW - 48 * HOUR), ("s9", NOW - HOUR)]
                .iter()
                .map(|(s, t)| (s.to_string(), Some(*t)))
                .collect();
        let activity = Activity {
            now: Some(NOW),
            now_source: NowSource::LatestTimestamp,
            last_seen,
            issues: RowIssues {
                null_entity: 1,
                null_time: 0,
                future: 0,
            },
            listed: false,
        };
        let logged = predictions.then(|| PredictionLog {
            counts: PredictionCounts {
                predictions: 20,
                unknown: 2,
                null_entity: 0,
            },
            predicted: PredictedEntities {
                entities: set(&["s1"]),
                window: Some(PredictionWindow::ending_at(NOW, 24 * HOUR)),
                rows: WindowRows {
                    in_window: 18,
                    before_window: 2,
                    after_now: 0,
                    null_time: 0,
                },
            },
        });
        let vocabulary = set(&["s1", "s2", "s3"]);
        assess(
            &activity,
            &vocabulary,
            logged.as_ref(),
            None,
            &settings(min_coverage),
        )
    }

    #[test]
    fn text_lists_what_needs_a_look() {
        let a = example(true, Some(1.0));
        assert_eq!(
            render_text(&a, 50),
            "fleet-diff FAIL (priority HIGH): fleet drift 66.67% (HIGH); unknown-prediction rate 10.00% (warning); vocabulary coverage 50.00% (1 of 2 active entities) below --min-coverage 100.00%\n\
             now 2026-11-20T08:00:00Z: 3 known, 3 seen, 1 new, 1 sunset, 2 active, 1 offline, 0 sunset candidates; vocabulary coverage 50.00%; prediction coverage 50.00% (1 of 2)\n\
             1 active entities without a prediction from 2026-11-19T08:00:00Z to 2026-11-20T08:00:00Z: s9\n\
             \n\
             ENTITY  VOCABULARY  STATUS    LAST_SEEN\n\
             s9      NEW         active    2026-11-20T07:00:00Z\n\
             s3      known       not_seen  never\n\
             s2      known       offline   2026-11-18T08:00:00Z\n"
        );
    }

    #[test]
    fn text_limit_cuts_the_table_and_a_quiet_fleet_says_so() {
        let a = example(false, None);
        assert!(render_text(&a, 1)
            .ends_with("LAST_SEEN\ns9      NEW         active  2026-11-20T07:00:00Z\n"));
        let mut quiet = example(false, None);
        quiet.entities.retain(|r| r.entity == "s1");
        assert!(render_text(&quiet, 50)
            .ends_with("\n\nevery known entity is active and no new ones appeared\n"));
    }

    #[test]
    fn text_names_a_few_missing_and_counts_the_rest() {
        let many: Vec<String> = (1..=8).map(|i| format!("e{i}")).collect();
        assert_eq!(first_names(&many), "e1, e2, e3, e4, e5 and 3 more");
        assert_eq!(first_names(&many[..2]), "e1, e2");
        let check = ExpectedCheck {
            vocabulary: Coverage::of(["a", "b"], |_| true),
            prediction: Some(Coverage::of(["a", "b"], |e| e == "a")),
        };
        assert_eq!(
            expected_line(&check),
            "expected 2 entities: all known to the model, 1 without a prediction (b)"
        );
        let unknown = ExpectedCheck {
            vocabulary: Coverage::of(["a", "b"], |_| false),
            prediction: None,
        };
        assert_eq!(
            expected_line(&unknown),
            "expected 2 entities: 2 unknown to the model (a, b)"
        );
    }

    /// The pre-refactor command built the result with `json!`; the typed result must match it,
    /// with the prediction coverage and the vocabulary coverage's own name added.
    #[test]
    fn json_result_matches_the_reports_shape_and_key_order() {
        let a = example(true, None);
        let entities: Vec<serde_json::Value> = a
            .entities
            .iter()
            .map(|r| {
                json!({
                    "entity": r.entity, "in_vocabulary": r.in_vocabulary, "status": r.status,
                    "last_seen": r.last_seen_ms.map(format_ms),
                })
            })
            .collect();
        let expected = json!({
            "priority": "HIGH", "reasons": a.reasons, "fleet_drift": a.counts.fleet_drift,
            "drift_band": "HIGH",
            "counts": {
                "vocabulary": 3, "seen": 3, "new": 1, "sunset": 1, "active": 2, "offline": 1,
                "sunset_candidate": 0, "sunset_confirmed": 0, "active_in_vocabulary": 1,
                "fleet_drift": a.counts.fleet_drift, "vocabulary_coverage": 0.5, "coverage": 0.5,
            },
            "new_entities": ["s9"],
            "sunset_entities": ["s3"],
            "unknown_predictions": {
                "predictions": 20, "unknown": 2, "rate": 0.1, "band": "warning", "null_entity": 0,
            },
            "prediction_coverage": {
                "ratio": 0.5, "predicted": 1, "active": 2, "without_prediction": ["s9"],
                "window": {"start": "2026-11-19T08:00:00Z", "end": "2026-11-20T08:00:00Z"},
                "rows": {"in_window": 18, "before_window": 2, "after_now": 0, "null_time": 0},
            },
            "expected": null,
            "row_issues": a.row_issues, "entities": entities,
        });
        let actual = serde_json::to_value(fleet_result(&a)).unwrap();
        assert_eq!(
            serde_json::to_string_pretty(&actual).unwrap(),
            serde_json::to_string_pretty(&expected).unwrap()
        );
        let without = serde_json::to_value(fleet_result(&example(false, None))).unwrap();
        assert_eq!(without["unknown_predictions"], serde_json::Value::Null);
        assert_eq!(without["prediction_coverage"], serde_json::Value::Null);
    }

    #[test]
    fn expected_json_lists_what_is_missing() {
        let e = ExpectedCheck {
            vocabulary: Coverage::of(["a", "b", "c", "d"], |e| e != "d"),
            prediction: Some(Coverage::of(["a", "b", "c", "d"], |e| e == "a")),
        };
        assert_eq!(
            serde_json::to_value(expected_result(&e)).unwrap(),
            json!({
                "entities": 4, "vocabulary_coverage": 0.75, "unknown_to_model": ["d"],
                "prediction_coverage": 0.25, "without_prediction": ["b", "c", "d"],
            })
        );
        let e = ExpectedCheck {
            prediction: None,
            ..e
        };
        let json = serde_json::to_value(expected_result(&e)).unwrap();
        assert_eq!(
            (&json["prediction_coverage"], &json["without_prediction"]),
            (&serde_json::Value::Null, &serde_json::Value::Null)
        );
    }

    #[test]
    fn entity_lists_are_sorted_by_name() {
        let mut a = example(false, None);
        for name in ["b_new", "a_new"] {
            a.entities.push(EntityRow {
                entity: name.into(),
                in_vocabulary: false,
                last_seen_ms: Some(NOW - 40 * HOUR),
                status: EntityStatus::Offline,
            });
        }
        assert_eq!(fleet_result(&a).new_entities, vec!["a_new", "b_new", "s9"]);
    }

    #[test]
    fn gauges_in_family_order() {
        assert_eq!(
            gauges(&example(true, None)).render(),
            "# HELP refit_fleet_drift_ratio (new + sunset) / vocabulary size.\n\
             # TYPE refit_fleet_drift_ratio gauge\n\
             refit_fleet_drift_ratio 0.6666666666666666\n\
             # HELP refit_fleet_coverage_ratio Vocabulary coverage: share of active entities in the model's vocabulary.\n\
             # TYPE refit_fleet_coverage_ratio gauge\n\
             refit_fleet_coverage_ratio 0.5\n\
             # HELP refit_fleet_prediction_coverage_ratio Prediction coverage: share of active entities with a prediction in the window.\n\
             # TYPE refit_fleet_prediction_coverage_ratio gauge\n\
             refit_fleet_prediction_coverage_ratio 0.5\n\
             # HELP refit_fleet_entities Entities by status.\n\
             # TYPE refit_fleet_entities gauge\n\
             refit_fleet_entities{status=\"new\"} 1\n\
             refit_fleet_entities{status=\"sunset\"} 1\n\
             refit_fleet_entities{status=\"active\"} 2\n\
             refit_fleet_entities{status=\"offline\"} 1\n\
             refit_fleet_entities{status=\"sunset_candidate\"} 0\n\
             # HELP refit_fleet_unknown_prediction_ratio Share of predictions for entities outside the vocabulary.\n\
             # TYPE refit_fleet_unknown_prediction_ratio gauge\n\
             refit_fleet_unknown_prediction_ratio 0.1\n"
        );
        let without = gauges(&example(false, None)).render();
        assert!(
            !without.contains("unknown_prediction") && !without.contains("prediction_coverage")
        );
    }

    #[test]
    fn expected_gauges_follow_the_others() {
        let mut a = example(false, None);
        a.expected = Some(ExpectedCheck {
            vocabulary: Coverage::of(["a", "b"], |e| e == "a"),
            prediction: Some(Coverage::of(["a", "b"], |_| true)),
        });
        assert!(gauges(&a).render().ends_with(
            "refit_fleet_expected_vocabulary_coverage_ratio 0.5\n\
             # HELP refit_fleet_expected_prediction_coverage_ratio Share of the --expected entities with a prediction in the window.\n\
             # TYPE refit_fleet_expected_prediction_coverage_ratio gauge\n\
             refit_fleet_expected_prediction_coverage_ratio 1\n"
        ));
    }
}
