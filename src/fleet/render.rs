//! fleet-diff's JSON result, text table and Prometheus gauges, all from one assessment.

use serde::Serialize;

use super::assess::{FleetAssessment, Priority};
use super::bands::DriftBand;
use super::entities::{EntityRow, EntityStatus, FleetCounts, RowIssues};
use super::predictions::UnknownPredictions;
use crate::data::time::format_ms;
use crate::report::prometheus::Gauges;
use crate::report::table::render_table;

/// The report's `result`; field order is the JSON key order.
#[derive(Debug, Serialize)]
pub struct FleetResult<'a> {
    pub priority: Priority,
    pub reasons: &'a [String],
    pub fleet_drift: f64,
    pub drift_band: DriftBand,
    pub counts: &'a FleetCounts,
    /// Sorted by name.
    pub new_entities: Vec<&'a str>,
    /// Sorted by name.
    pub sunset_entities: Vec<&'a str>,
    pub unknown_predictions: Option<&'a UnknownPredictions>,
    pub row_issues: RowIssues,
    /// Every entity, most urgent first.
    pub entities: Vec<EntityResult<'a>>,
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
        counts: &a.counts,
        new_entities: names(EntityRow::is_new),
        sunset_entities: names(EntityRow::is_sunset),
        unknown_predictions: a.unknown_predictions.as_ref(),
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

/// A summary line, the counts, then up to `limit` entities that need a look (known and
/// active ones do not).
pub fn render_text(a: &FleetAssessment, limit: usize) -> String {
    let c = &a.counts;
    let mut out = format!(
        "fleet-diff {} (priority {}): {}\nnow {}: {} known, {} seen, {} new, {} sunset, {} active, {} offline, {} sunset candidates; coverage {:.2}%\n\n",
        a.status.as_str(),
        a.priority.as_str(),
        a.reasons.join("; "),
        format_ms(a.now),
        c.vocabulary,
        c.seen,
        c.new,
        c.sunset,
        c.active,
        c.offline,
        c.sunset_candidate,
        c.coverage * 100.0,
    );
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

fn table_row(r: &EntityRow) -> Vec<String> {
    let vocabulary = if r.in_vocabulary { "known" } else { "NEW" };
    vec![
        r.entity.clone(),
        vocabulary.into(),
        r.status.as_str().into(),
        r.last_seen_ms.map_or("never".into(), format_ms),
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
        "Share of active entities in the vocabulary.",
        &[],
        c.coverage,
    );
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
    use crate::fleet::predictions::PredictionCounts;
    use crate::fleet::settings::FleetSettings;

    const HOUR: i64 = 3_600_000;
    /// 2026-11-20T08:00:00Z, the fixtures' latest timestamp.
    const NOW: i64 = 1_795_132_800_000 + 8 * HOUR;

    /// s1 active, s2 offline, s3 never seen, s9 new and active; 2 of 20 predictions unknown.
    fn example(predictions: bool, min_coverage: Option<f64>) -> FleetAssessment {
        let windows = Windows::new(24 * HOUR, 7 * 24 * HOUR, 30 * 24 * HOUR).unwrap();
        let settings =
            FleetSettings::new(windows, &[0.10, 0.20, 0.35], &[0.05, 0.15], min_coverage).unwrap();
        let last_seen: HashMap<String, i64> =
            [("s1", NOW), ("s2", NOW - 48 * HOUR), ("s9", NOW - HOUR)]
                .iter()
                .map(|(s, t)| (s.to_string(), *t))
                .collect();
        let activity = Activity {
            now: NOW,
            now_source: NowSource::LatestTimestamp,
            last_seen,
            issues: RowIssues {
                null_entity: 1,
                null_time: 0,
                future: 0,
            },
        };
        let vocabulary: BTreeSet<String> =
            ["s1", "s2", "s3"].iter().map(|s| s.to_string()).collect();
        let logged = predictions.then_some(PredictionCounts {
            predictions: 20,
            unknown: 2,
            null_entity: 0,
        });
        assess(&activity, &vocabulary, logged, &settings)
    }

    #[test]
    fn text_lists_what_needs_a_look() {
        let a = example(true, Some(1.0));
        assert_eq!(
            render_text(&a, 50),
            "fleet-diff FAIL (priority HIGH): fleet drift 66.67% (HIGH); unknown-prediction rate 10.00% (warning); coverage 50.00% below --min-coverage 100.00%\n\
             now 2026-11-20T08:00:00Z: 3 known, 3 seen, 1 new, 1 sunset, 2 active, 1 offline, 0 sunset candidates; coverage 50.00%\n\
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

    /// The pre-refactor command built the result with `json!`; the typed result must match it.
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
            "drift_band": "HIGH", "counts": a.counts, "new_entities": ["s9"],
            "sunset_entities": ["s3"],
            "unknown_predictions": {
                "predictions": 20, "unknown": 2, "rate": 0.1, "band": "warning", "null_entity": 0,
            },
            "row_issues": a.row_issues, "entities": entities,
        });
        let actual = serde_json::to_value(fleet_result(&a)).unwrap();
        assert_eq!(
            serde_json::to_string_pretty(&actual).unwrap(),
            serde_json::to_string_pretty(&expected).unwrap()
        );
        let without = serde_json::to_value(fleet_result(&example(false, None))).unwrap();
        assert_eq!(without["unknown_predictions"], serde_json::Value::Null);
    }

    #[test]
    fn entity_lists_are_sorted_by_name() {
        let mut a = example(false, None);
        for name in ["b_new", "a_new"] {
            a.entities.push(EntityRow {
                entity: name.into(),
                in_vocabulary: false,
                last_seen_ms: Some(NOW - 40 * 24 * HOUR),
                status: EntityStatus::SunsetConfirmed,
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
             # HELP refit_fleet_coverage_ratio Share of active entities in the vocabulary.\n\
             # TYPE refit_fleet_coverage_ratio gauge\n\
             refit_fleet_coverage_ratio 0.5\n\
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
        assert!(!gauges(&example(false, None))
            .render()
            .contains("unknown_prediction"));
    }
}
