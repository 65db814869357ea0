//! Last-seen times per entity and their classification against the model's vocabulary.

use std::collections::{BTreeSet, HashMap};

use serde::Serialize;

/// Row-level problems: counted and reported, the rows left out.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct RowIssues {
    pub null_entity: usize,
    pub null_time: usize,
    /// Rows stamped after `now` (clock skew, or a `--now` in the past).
    pub future: usize,
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

/// Silence thresholds, in milliseconds since an entity was last seen.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Windows {
    pub offline_after: i64,
    pub sunset_candidate_after: i64,
    pub sunset_after: i64,
}

impl Windows {
    pub fn status(&self, silent_for: i64) -> EntityStatus {
        if silent_for > self.sunset_after {
            EntityStatus::SunsetConfirmed
        } else if silent_for > self.sunset_candidate_after {
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
    /// (new + sunset) / vocabulary.
    pub fleet_drift: f64,
    /// Share of active entities that are in the vocabulary (1.0 when none are active).
    pub coverage: f64,
}

/// Every entity of the vocabulary and of the data with its status, sorted by urgency then
/// name, and the counts. `vocabulary` must not be empty.
pub fn classify_entities(
    vocabulary: &BTreeSet<String>,
    last_seen: &HashMap<String, i64>,
    now: i64,
    windows: Windows,
) -> (Vec<EntityRow>, FleetCounts) {
    let mut rows: Vec<EntityRow> = last_seen
        .iter()
        .map(|(entity, &seen)| EntityRow {
            entity: entity.clone(),
            in_vocabulary: vocabulary.contains(entity),
            last_seen_ms: Some(seen),
            status: windows.status(now - seen),
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
    let new = count(&|r| !r.in_vocabulary);
    let sunset = count(&|r| {
        r.in_vocabulary
            && matches!(
                r.status,
                EntityStatus::NotSeen | EntityStatus::SunsetConfirmed
            )
    });
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
        fleet_drift: (new + sunset) as f64 / vocabulary.len() as f64,
        coverage: if active == 0 {
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

    #[test]
    fn seed_example_two_new_servers() {
        let seen: HashMap<String, i64> = ["s1", "s2", "s3", "s4", "s5"]
            .iter()
            .map(|s| (s.to_string(), 0))
            .collect();
        let (rows, counts) = classify_entities(&vocab(&["s1", "s2", "s3"]), &seen, HOUR, WINDOWS);
        assert_eq!((counts.new, counts.sunset), (2, 0));
        assert!((counts.fleet_drift - 2.0 / 3.0).abs() < 1e-15);
        assert_eq!(rows[0].entity, "s4");
        assert_eq!(rows[1].entity, "s5");
        assert!((counts.coverage - 0.6).abs() < 1e-15);
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
