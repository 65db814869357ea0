//! Last-seen times per entity and their classification against the model's vocabulary.

use std::collections::{BTreeSet, HashMap};

use anyhow::{bail, Result};
use serde::Serialize;

use crate::data::time::format_ms;

/// Row-level problems: counted and reported, the rows left out.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct RowIssues {
    pub null_entity: usize,
    pub null_time: usize,
    /// Rows stamped after `now` (clock skew, or a `--now` in the past).
    pub future: usize,
}

impl RowIssues {
    /// One line per kind of left-out row, so a user can tell why counts look low.
    pub fn messages(&self, entity_column: &str, time_column: &str, now: i64) -> Vec<String> {
        let mut messages = Vec::new();
        if self.null_entity > 0 {
            messages.push(format!(
                "{} rows have a null `{entity_column}` and were left out",
                self.null_entity
            ));
        }
        if self.null_time > 0 {
            messages.push(format!(
                "{} rows have a null `{time_column}` and were left out",
                self.null_time
            ));
        }
        if self.future > 0 {
            messages.push(format!(
                "{} rows are stamped after --now {} and were left out",
                self.future,
                format_ms(now)
            ));
        }
        messages
    }
}

/// The latest timestamp per entity id (ids below `entity_count`, see
/// `data::keys::KeyInterner`), ignoring rows after `now` (when given).
pub fn last_seen_by_entity(
    entities: &[Option<u32>],
    times: &[Option<i64>],
    entity_count: usize,
    now: Option<i64>,
) -> (Vec<Option<i64>>, RowIssues) {
    let mut last: Vec<Option<i64>> = vec![None; entity_count];
    let mut issues = RowIssues::default();
    for (entity, time) in entities.iter().zip(times) {
        let Some(entity) = entity else {
            issues.null_entity += 1;
            continue;
        };
        let Some(time) = *time else {
            issues.null_time += 1;
            continue;
        };
        if now.is_some_and(|n| time > n) {
            issues.future += 1;
            continue;
        }
        let slot = &mut last[*entity as usize];
        *slot = Some(slot.map_or(time, |t| t.max(time)));
    }
    (last, issues)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EntityStatus {
    Active,
    Offline,
    SunsetCandidate,
    SunsetConfirmed,
    /// In the vocabulary, never seen in the data.
    NotSeen,
}

impl EntityStatus {
    /// The name in text output, the same as in the JSON report.
    pub fn as_str(self) -> &'static str {
        match self {
            EntityStatus::Active => "active",
            EntityStatus::Offline => "offline",
            EntityStatus::SunsetCandidate => "sunset_candidate",
            EntityStatus::SunsetConfirmed => "sunset_confirmed",
            EntityStatus::NotSeen => "not_seen",
        }
    }
}

/// Silence thresholds, in milliseconds since an entity was last seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Windows {
    pub offline_after: i64,
    pub sunset_candidate_after: i64,
    pub sunset_after: i64,
}

impl Windows {
    /// Checks the windows nest, so that a longer silence never gets a milder status.
    pub fn new(
        offline_after: i64,
        sunset_candidate_after: i64,
        sunset_after: i64,
    ) -> Result<Windows> {
        if !(offline_after <= sunset_candidate_after && sunset_candidate_after <= sunset_after) {
            bail!("expected --offline-after <= --sunset-candidate-after <= --sunset-after");
        }
        Ok(Windows {
            offline_after,
            sunset_candidate_after,
            sunset_after,
        })
    }

    /// The sunset bounds are inclusive, as seed 001's `days_offline >= 7` (and `>= 30`) with
    /// whole days floored: for whole-day windows `floor(silence / day) >= N` is `silence >= N
    /// days`. Offline is "silent for more than --offline-after": exactly 24h is still active.
    pub fn status(&self, silent_for: i64) -> EntityStatus {
        if silent_for >= self.sunset_after {
            EntityStatus::SunsetConfirmed
        } else if silent_for >= self.sunset_candidate_after {
            EntityStatus::SunsetCandidate
        } else if silent_for > self.offline_after {
            EntityStatus::Offline
        } else {
            EntityStatus::Active
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct EntityRow {
    pub entity: String,
    pub in_vocabulary: bool,
    pub last_seen_ms: Option<i64>,
    pub status: EntityStatus,
}

impl EntityRow {
    /// Seen in the data within the sunset window, unknown to the model. An unknown entity
    /// silent for the sunset window or longer has left the fleet (seed 001: "remove from active
    /// fleet", as train-candidate's --drop-entities-silent-for does), so it counts nowhere:
    /// otherwise a history that still holds it keeps fleet drift up after every retrain.
    pub fn is_new(&self) -> bool {
        !self.in_vocabulary && self.status != EntityStatus::SunsetConfirmed
    }

    /// Known to the model, not seen within the sunset window (never seen, or confirmed).
    pub fn is_sunset(&self) -> bool {
        self.in_vocabulary
            && matches!(
                self.status,
                EntityStatus::NotSeen | EntityStatus::SunsetConfirmed
            )
    }

    /// New entities first, then the gone, then the quiet, then the healthy.
    pub fn urgency(&self) -> u8 {
        match (self.in_vocabulary, self.status) {
            (false, EntityStatus::Active) => 0,
            (true, EntityStatus::NotSeen | EntityStatus::SunsetConfirmed) => 1,
            (_, EntityStatus::SunsetCandidate) => 2,
            (_, EntityStatus::Offline) => 3,
            (false, _) => 4,
            (true, EntityStatus::Active) => 5,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct FleetCounts {
    pub vocabulary: usize,
    pub seen: usize,
    /// Seen in the data, not in the vocabulary.
    pub new: usize,
    /// In the vocabulary and not seen within the sunset window (never seen, or confirmed).
    pub sunset: usize,
    pub active: usize,
    pub offline: usize,
    pub sunset_candidate: usize,
    pub sunset_confirmed: usize,
    /// Active entities that are in the vocabulary.
    pub active_in_vocabulary: usize,
    /// (new + sunset) / vocabulary.
    pub fleet_drift: f64,
    /// Vocabulary coverage: the share of active entities that are in the vocabulary (1.0 when
    /// none are active). Not prediction coverage (see `super::coverage`).
    pub vocabulary_coverage: f64,
}

/// Every entity of the vocabulary and of the data with its status, sorted by urgency then
/// name, and the counts. `last_seen` without a time (an `--expected` list standing in for
/// the data) is active; a time needs `now`. `vocabulary` must not be empty.
pub fn classify_entities(
    vocabulary: &BTreeSet<String>,
    last_seen: &HashMap<String, Option<i64>>,
    now: Option<i64>,
    windows: Windows,
) -> (Vec<EntityRow>, FleetCounts) {
    let mut rows: Vec<EntityRow> = last_seen
        .iter()
        .map(|(entity, &seen)| EntityRow {
            entity: entity.clone(),
            in_vocabulary: vocabulary.contains(entity),
            last_seen_ms: seen,
            status: match (seen, now) {
                (Some(seen), Some(now)) => windows.status(now - seen),
                _ => EntityStatus::Active,
            },
        })
        .collect();
    rows.extend(
        vocabulary
            .iter()
            .filter(|v| !last_seen.contains_key(*v))
            .map(|v| EntityRow {
                entity: v.clone(),
                in_vocabulary: true,
                last_seen_ms: None,
                status: EntityStatus::NotSeen,
            }),
    );
    rows.sort_by(|a, b| {
        a.urgency()
            .cmp(&b.urgency())
            .then_with(|| a.entity.cmp(&b.entity))
    });

    let count = |f: &dyn Fn(&EntityRow) -> bool| rows.iter().filter(|r| f(r)).count();
    let new = count(&|r| r.is_new());
    let sunset = count(&|r| r.is_sunset());
    let active = count(&|r| r.status == EntityStatus::Active);
    let active_known = count(&|r| r.status == EntityStatus::Active && r.in_vocabulary);
    let counts = FleetCounts {
        vocabulary: vocabulary.len(),
        seen: last_seen.len(),
        new,
        sunset,
        active,
        offline: count(&|r| r.status == EntityStatus::Offline),
        sunset_candidate: count(&|r| r.status == EntityStatus::SunsetCandidate),
        sunset_confirmed: count(&|r| r.status == EntityStatus::SunsetConfirmed),
        active_in_vocabulary: active_known,
        fleet_drift: (new + sunset) as f64 / vocabulary.len() as f64,
        vocabulary_coverage: if active == 0 {
            1.0
        } else {
            active_known as f64 / active as f64
        },
    };
    (rows, counts)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: i64 = 3_600_000;
    const WINDOWS: Windows = Windows {
        offline_after: 24 * HOUR,
        sunset_candidate_after: 7 * 24 * HOUR,
        sunset_after: 30 * 24 * HOUR,
    };

    fn vocab(names: &[&str]) -> BTreeSet<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    fn seen_at(names: &[&str], at: Option<i64>) -> HashMap<String, Option<i64>> {
        names.iter().map(|s| (s.to_string(), at)).collect()
    }

    #[test]
    fn seed_example_two_new_servers() {
        let seen = seen_at(&["s1", "s2", "s3", "s4", "s5"], Some(0));
        let (rows, counts) =
            classify_entities(&vocab(&["s1", "s2", "s3"]), &seen, Some(HOUR), WINDOWS);
        assert_eq!((counts.new, counts.sunset), (2, 0));
        assert!((counts.fleet_drift - 2.0 / 3.0).abs() < 1e-15);
        assert_eq!(rows[0].entity, "s4");
        assert_eq!(rows[1].entity, "s5");
        assert_eq!((counts.active, counts.active_in_vocabulary), (5, 3));
        assert!((counts.vocabulary_coverage - 0.6).abs() < 1e-15);
    }

    /// Seed 001's `calculate_fleet_drift(current, model)` on sets: an expected list without
    /// times stands in for the data, every listed entity active.
    #[test]
    fn a_listed_fleet_without_times_is_active() {
        let seen = seen_at(&["s1", "s2", "s3", "s4", "s5"], None);
        let (rows, counts) = classify_entities(&vocab(&["s1", "s2", "s3"]), &seen, None, WINDOWS);
        assert!(rows.iter().all(|r| r.status == EntityStatus::Active));
        assert_eq!((counts.new, counts.sunset, counts.active), (2, 0, 5));
        assert!((counts.fleet_drift - 2.0 / 3.0).abs() < 1e-15);
        let (rows, counts) = classify_entities(&vocab(&["s1", "s9"]), &seen, None, WINDOWS);
        assert_eq!((counts.new, counts.sunset), (4, 1));
        assert_eq!(rows[4].entity, "s9");
        assert_eq!(rows[4].status, EntityStatus::NotSeen);
    }

    #[test]
    fn statuses_by_silence() {
        assert_eq!(WINDOWS.status(HOUR), EntityStatus::Active);
        assert_eq!(WINDOWS.status(25 * HOUR), EntityStatus::Offline);
        assert_eq!(WINDOWS.status(8 * 24 * HOUR), EntityStatus::SunsetCandidate);
        assert_eq!(
            WINDOWS.status(31 * 24 * HOUR),
            EntityStatus::SunsetConfirmed
        );
    }

    #[test]
    fn offline_is_more_than_its_window() {
        assert_eq!(WINDOWS.status(0), EntityStatus::Active);
        assert_eq!(WINDOWS.status(24 * HOUR), EntityStatus::Active);
        assert_eq!(WINDOWS.status(24 * HOUR + 1), EntityStatus::Offline);
    }

    /// Seed 001: `days_offline = (now - last).days` (floored) `>= 7` is a candidate, `>= 30`
    /// confirmed.
    #[test]
    fn sunset_bounds_are_inclusive_like_the_seed() {
        let day = 24 * HOUR;
        let seed = |silence: i64| match silence / day {
            d if d >= 30 => EntityStatus::SunsetConfirmed,
            d if d >= 7 => EntityStatus::SunsetCandidate,
            _ => EntityStatus::Offline,
        };
        for (silence, want) in [
            (6 * day + 23 * HOUR, EntityStatus::Offline),
            (7 * day - 1, EntityStatus::Offline),
            (7 * day, EntityStatus::SunsetCandidate),
            (7 * day + 1, EntityStatus::SunsetCandidate),
            (29 * day, EntityStatus::SunsetCandidate),
            (29 * day + 23 * HOUR, EntityStatus::SunsetCandidate),
            (30 * day - 1, EntityStatus::SunsetCandidate),
            (30 * day, EntityStatus::SunsetConfirmed),
            (31 * day, EntityStatus::SunsetConfirmed),
        ] {
            assert_eq!(WINDOWS.status(silence), want, "silent for {silence} ms");
            assert_eq!(seed(silence), want, "the seed's rule at {silence} ms");
        }
    }

    #[test]
    fn windows_must_nest() {
        let w = Windows::new(HOUR, HOUR, HOUR).unwrap();
        assert_eq!(w.status(HOUR - 1), EntityStatus::Active);
        assert_eq!(w.status(HOUR), EntityStatus::SunsetConfirmed);
        for (a, b, c) in [(2, 1, 3), (1, 3, 2), (3, 2, 1)] {
            let err = Windows::new(a, b, c).unwrap_err().to_string();
            assert_eq!(
                err,
                "expected --offline-after <= --sunset-candidate-after <= --sunset-after"
            );
        }
    }

    #[test]
    fn every_status_and_urgency_in_one_fleet() {
        let day = 24 * HOUR;
        let now = 100 * day;
        let seen: HashMap<String, Option<i64>> = [
            ("k_active", now),
            ("k_offline", now - 2 * day),
            ("k_candidate", now - 8 * day),
            ("k_gone", now - 31 * day),
            ("n_active", now),
            ("n_offline", now - 2 * day),
            ("n_gone", now - 31 * day),
        ]
        .iter()
        .map(|(s, t)| (s.to_string(), Some(*t)))
        .collect();
        let vocabulary = vocab(&["k_active", "k_offline", "k_candidate", "k_gone", "k_never"]);
        let (rows, counts) = classify_entities(&vocabulary, &seen, Some(now), WINDOWS);
        let order: Vec<(&str, EntityStatus)> =
            rows.iter().map(|r| (r.entity.as_str(), r.status)).collect();
        assert_eq!(
            order,
            vec![
                ("n_active", EntityStatus::Active),
                ("k_gone", EntityStatus::SunsetConfirmed),
                ("k_never", EntityStatus::NotSeen),
                ("k_candidate", EntityStatus::SunsetCandidate),
                ("k_offline", EntityStatus::Offline),
                ("n_offline", EntityStatus::Offline),
                ("n_gone", EntityStatus::SunsetConfirmed),
                ("k_active", EntityStatus::Active),
            ]
        );
        // n_gone has left the fleet: neither new (gone) nor sunset (unknown to the model).
        assert_eq!((counts.new, counts.sunset), (2, 2));
        assert_eq!((counts.active, counts.offline), (2, 2));
        assert_eq!((counts.sunset_candidate, counts.sunset_confirmed), (1, 2));
        assert_eq!((counts.vocabulary, counts.seen), (5, 7));
        assert_eq!(counts.fleet_drift, 0.8);
        assert_eq!(counts.vocabulary_coverage, 0.5);
    }

    /// Seed 001's week after a retrain: the model dropped the servers silent for 30 days, the
    /// history still holds them; they are gone, not new, so the loop converges.
    #[test]
    fn an_unknown_entity_silent_for_the_sunset_window_has_left_the_fleet() {
        let day = 24 * HOUR;
        let now = 100 * day;
        let seen: HashMap<String, Option<i64>> = [
            ("known", now),
            ("left_30d", now - 30 * day),
            ("quiet_29d", now - 29 * day),
        ]
        .iter()
        .map(|(s, t)| (s.to_string(), Some(*t)))
        .collect();
        let (rows, counts) = classify_entities(&vocab(&["known"]), &seen, Some(now), WINDOWS);
        let new: Vec<&str> = rows
            .iter()
            .filter(|r| r.is_new())
            .map(|r| r.entity.as_str())
            .collect();
        assert_eq!(new, vec!["quiet_29d"]);
        assert_eq!((counts.new, counts.sunset, counts.fleet_drift), (1, 0, 1.0));
        assert_eq!(counts.sunset_confirmed, 1);
    }

    #[test]
    fn coverage_is_full_when_nothing_is_active() {
        let seen = seen_at(&["a"], Some(0));
        let (_, counts) = classify_entities(&vocab(&["a"]), &seen, Some(40 * 24 * HOUR), WINDOWS);
        assert_eq!((counts.active, counts.vocabulary_coverage), (0, 1.0));
        assert_eq!((counts.sunset, counts.fleet_drift), (1, 1.0));
    }

    #[test]
    fn status_names_match_the_json_report() {
        for status in [
            EntityStatus::Active,
            EntityStatus::Offline,
            EntityStatus::SunsetCandidate,
            EntityStatus::SunsetConfirmed,
            EntityStatus::NotSeen,
        ] {
            assert_eq!(serde_json::to_value(status).unwrap(), status.as_str());
        }
    }

    #[test]
    fn row_issue_messages_name_the_column_and_now() {
        let none = RowIssues::default();
        assert!(none.messages("server_id", "ts", 0).is_empty());
        let all = RowIssues {
            null_entity: 1,
            null_time: 2,
            future: 3,
        };
        assert_eq!(
            all.messages("server_id", "ts", 1_795_132_800_000),
            vec![
                "1 rows have a null `server_id` and were left out",
                "2 rows have a null `ts` and were left out",
                "3 rows are stamped after --now 2026-11-20T00:00:00Z and were left out",
            ]
        );
    }

    #[test]
    fn last_seen_counts_row_problems() {
        // a = 0, b = 1
        let e = vec![Some(0), None, Some(0), Some(1), Some(1)];
        let t = vec![Some(5), Some(1), Some(9), None, Some(100)];
        let (last, issues) = last_seen_by_entity(&e, &t, 2, Some(50));
        assert_eq!(last, vec![Some(9), None]);
        assert_eq!(
            issues,
            RowIssues {
                null_entity: 1,
                null_time: 1,
                future: 1
            }
        );
    }
}
