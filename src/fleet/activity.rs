//! What the activity data says: when each entity was last seen, as of which moment. Without
//! data, an `--expected` list stands in for it: every listed entity is active, seen at no time.

use std::collections::{BTreeSet, HashMap};

use serde::{Serialize, Serializer};

use super::entities::{last_seen_by_entity, RowIssues};
use crate::data::keys::KeyInterner;

/// Where `now` came from; reported so that a rerun can reproduce the statuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NowSource {
    /// Given with `--now`.
    Explicit,
    /// The latest timestamp in the data, so reruns on the same data agree.
    LatestTimestamp,
    /// No data: the latest timestamp in the predictions log.
    LatestPrediction,
    /// No data and no timed predictions: nothing is measured against a moment.
    NoTimestamps,
}

impl NowSource {
    /// The wording of the report's `params.now_source`.
    pub fn as_str(self) -> &'static str {
        match self {
            NowSource::Explicit => "--now",
            NowSource::LatestTimestamp => "latest timestamp in the data",
            NowSource::LatestPrediction => "latest timestamp in the predictions log",
            NowSource::NoTimestamps => "none: no --data and no prediction times",
        }
    }
}

impl Serialize for NowSource {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// The latest sighting of every entity in the data, as of `now`.
#[derive(Debug, Clone, PartialEq)]
pub struct Activity {
    /// UTC milliseconds; silences are measured up to here. Always set with data.
    pub now: Option<i64>,
    pub now_source: NowSource,
    /// Entity name to its latest timestamp at or before `now`; `None` for a listed entity.
    pub last_seen: HashMap<String, Option<i64>>,
    /// Rows left out (null entity or time, or stamped after `now`).
    pub issues: RowIssues,
    /// The fleet is an `--expected` list, not activity data.
    pub listed: bool,
}

impl Activity {
    /// From the interned entity column and the time column; `None` when there is no
    /// `explicit_now` and no timestamp to take it from, as then no silence can be measured.
    pub fn from_rows(
        entities: &[Option<u32>],
        names: &KeyInterner,
        times: &[Option<i64>],
        explicit_now: Option<i64>,
    ) -> Option<Activity> {
        let (now, now_source) = match explicit_now {
            Some(now) => (now, NowSource::Explicit),
            None => (*times.iter().flatten().max()?, NowSource::LatestTimestamp),
        };
        let (by_id, issues) = last_seen_by_entity(entities, times, names.len(), Some(now));
        let last_seen = by_id
            .iter()
            .enumerate()
            .filter_map(|(id, seen)| Some((names.name(id as u32).to_string(), Some((*seen)?))))
            .collect();
        Some(Activity {
            now: Some(now),
            now_source,
            last_seen,
            issues,
            listed: false,
        })
    }

    /// The `--expected` entities as the current fleet (seed 001's set of servers the business
    /// runs); `now` is `explicit_now`, else the latest prediction, else none.
    pub fn listed(
        expected: &BTreeSet<String>,
        explicit_now: Option<i64>,
        latest_prediction: Option<i64>,
    ) -> Activity {
        let (now, now_source) = match (explicit_now, latest_prediction) {
            (Some(now), _) => (Some(now), NowSource::Explicit),
            (None, Some(now)) => (Some(now), NowSource::LatestPrediction),
            (None, None) => (None, NowSource::NoTimestamps),
        };
        Activity {
            now,
            now_source,
            last_seen: expected.iter().map(|e| (e.clone(), None)).collect(),
            issues: RowIssues::default(),
            listed: true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn interned(keys: &[Option<&str>]) -> (Vec<Option<u32>>, KeyInterner) {
        let mut names = KeyInterner::default();
        let ids = keys.iter().map(|k| k.map(|k| names.intern(k))).collect();
        (ids, names)
    }

    #[test]
    fn now_defaults_to_the_latest_timestamp() {
        let (ids, names) = interned(&[Some("a"), Some("b"), Some("a"), None]);
        let times = [Some(10), Some(30), Some(20), Some(40)];
        let activity = Activity::from_rows(&ids, &names, &times, None).unwrap();
        // The null-entity row's 40 still sets `now`: it is the latest moment the data covers.
        assert_eq!(
            (activity.now, activity.now_source),
            (Some(40), NowSource::LatestTimestamp)
        );
        assert_eq!(activity.last_seen["a"], Some(20));
        assert_eq!(activity.last_seen["b"], Some(30));
        assert_eq!(activity.issues.null_entity, 1);
    }

    #[test]
    fn explicit_now_leaves_out_later_rows_and_their_entities() {
        let (ids, names) = interned(&[Some("a"), Some("b"), Some("a")]);
        let times = [Some(10), Some(30), Some(20)];
        let activity = Activity::from_rows(&ids, &names, &times, Some(15)).unwrap();
        assert_eq!(
            (activity.now, activity.now_source),
            (Some(15), NowSource::Explicit)
        );
        assert_eq!(activity.last_seen.len(), 1);
        assert_eq!(activity.last_seen["a"], Some(10));
        assert_eq!(activity.issues.future, 2);
    }

    #[test]
    fn no_timestamps_and_no_now_is_nothing_to_measure() {
        let (ids, names) = interned(&[Some("a")]);
        assert_eq!(Activity::from_rows(&ids, &names, &[None], None), None);
        let explicit = Activity::from_rows(&ids, &names, &[None], Some(5)).unwrap();
        assert!(explicit.last_seen.is_empty());
        assert_eq!(explicit.issues.null_time, 1);
    }

    #[test]
    fn a_listed_fleet_takes_now_from_the_flag_then_the_predictions() {
        let expected: BTreeSet<String> = ["a", "b"].iter().map(|s| s.to_string()).collect();
        let listed = Activity::listed(&expected, None, None);
        assert_eq!(
            (listed.now, listed.now_source),
            (None, NowSource::NoTimestamps)
        );
        assert_eq!(listed.last_seen.len(), 2);
        assert_eq!(listed.last_seen["a"], None);
        let timed = Activity::listed(&expected, None, Some(7));
        assert_eq!(
            (timed.now, timed.now_source),
            (Some(7), NowSource::LatestPrediction)
        );
        let explicit = Activity::listed(&expected, Some(5), Some(7));
        assert_eq!(
            (explicit.now, explicit.now_source),
            (Some(5), NowSource::Explicit)
        );
    }

    #[test]
    fn now_source_wording() {
        assert_eq!(serde_json::to_value(NowSource::Explicit).unwrap(), "--now");
        assert_eq!(
            serde_json::to_value(NowSource::LatestTimestamp).unwrap(),
            "latest timestamp in the data"
        );
    }
}
