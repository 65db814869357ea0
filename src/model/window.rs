//! Which rows train-candidate trains on: a time window (`--since`, `--window`), the most
//! recent N rows (`--max-rows`), and entity hygiene (seed 001): entities silent for too long
//! are sunset, entities with too little history are dropped or stop the run. Pure functions
//! over timestamps (epoch ms) and dense entity ids, so every rule is unit-tested here.

use std::collections::BTreeMap;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use crate::data::time::{format_ms, shift_ms, MS_PER_DAY};

/// A duration flag's length and its text as typed, which reasons and reports quote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    pub millis: i64,
    pub text: String,
}

/// Where the window starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WindowStart {
    /// `--since`: rows at or after this instant (epoch ms).
    Since(i64),
    /// `--window`: rows at or after the latest timestamp in the data minus this span.
    Last(Span),
}

/// The window asked for; the default (nothing set) keeps every usable row.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RowWindow {
    pub start: Option<WindowStart>,
    /// `--max-rows`: at most this many of the most recent rows in the window.
    pub max_rows: Option<usize>,
}

impl RowWindow {
    pub fn is_set(&self) -> bool {
        self.start.is_some() || self.max_rows.is_some()
    }

    /// What the report says was asked: `{"window": "30d"}`, `{"since": ...}`, `max_rows`.
    pub fn requested(&self) -> RequestedWindow {
        let (since, window) = match &self.start {
            Some(WindowStart::Since(ms)) => (Some(format_ms(*ms)), None),
            Some(WindowStart::Last(span)) => (None, Some(span.text.clone())),
            None => (None, None),
        };
        RequestedWindow {
            since,
            window,
            max_rows: self.max_rows,
        }
    }
}

/// The window as metadata.json's `training_window` and the report record it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WindowBounds {
    pub requested: RequestedWindow,
    /// Rows before this time were left out (the window's start, or with `--max-rows` the
    /// oldest row kept when that is later).
    pub data_start: String,
    /// The latest timestamp in the data, which `--window` and entity silence count back from.
    pub data_end: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestedWindow {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_rows: Option<usize>,
}

/// The rows inside a window, as indices into `times_ms` (ascending), and its bounds.
#[derive(Debug, Clone, PartialEq)]
pub struct Windowed {
    pub rows: Vec<usize>,
    pub bounds: WindowBounds,
}

/// Applies `window` to the usable rows' times; `latest_ms` is the latest timestamp in the
/// data (every row, labelled or not), which `--window` counts back from.
///
/// `--max-rows N` keeps the N most recent rows in the window, exactly N when there are more:
/// among rows sharing the oldest kept timestamp, the later ones in input order (files in the
/// order given, a glob's matches sorted, rows in file order) are kept, as shadow-test's
/// `--last` does. The result does not depend on how rows are sorted within a timestamp's
/// run elsewhere, only on input order.
pub fn apply_window(times_ms: &[i64], latest_ms: i64, window: &RowWindow) -> Result<Windowed> {
    let start_ms = match &window.start {
        None => None,
        Some(WindowStart::Since(ms)) => Some(*ms),
        Some(WindowStart::Last(span)) => Some(
            shift_ms(latest_ms, -span.millis).with_context(|| format!("--window {}", span.text))?,
        ),
    };
    let mut rows: Vec<usize> = (0..times_ms.len())
        .filter(|&i| start_ms.is_none_or(|s| times_ms[i] >= s))
        .collect();
    if let Some(n) = window.max_rows {
        rows = most_recent(times_ms, rows, n);
    }
    let oldest_kept = window
        .max_rows
        .and_then(|_| rows.iter().map(|&i| times_ms[i]).min());
    let data_start = match (start_ms, oldest_kept) {
        (Some(s), Some(o)) => s.max(o),
        (Some(s), None) => s,
        (None, Some(o)) => o,
        (None, None) => latest_ms,
    };
    Ok(Windowed {
        rows,
        bounds: WindowBounds {
            requested: window.requested(),
            data_start: format_ms(data_start),
            data_end: format_ms(latest_ms),
        },
    })
}

/// The `n` most recent of `rows` (indices into `times_ms`, ascending), ascending again; ties
/// at the boundary keep the rows that come later in input order.
pub fn most_recent(times_ms: &[i64], mut rows: Vec<usize>, n: usize) -> Vec<usize> {
    if rows.len() <= n {
        return rows;
    }
    // A stable sort keeps input order within a timestamp, so the drain removes earlier rows.
    rows.sort_by_key(|&i| times_ms[i]);
    rows.drain(..rows.len() - n);
    rows.sort_unstable();
    rows
}

/// What happens to entities that fail the per-entity minimums.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EntityPolicy {
    /// Leave them out of the rows and the vocabulary, with a reason.
    #[default]
    Drop,
    /// Stop the run: FAIL (exit 2), nothing written.
    Fail,
}

impl std::str::FromStr for EntityPolicy {
    type Err = String;
    fn from_str(s: &str) -> Result<EntityPolicy, String> {
        match s {
            "drop" => Ok(EntityPolicy::Drop),
            "fail" => Ok(EntityPolicy::Fail),
            other => Err(format!(
                "unknown entity policy `{other}`: expected drop or fail"
            )),
        }
    }
}

/// The entity rules; each is off unless given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EntityRules {
    /// `--drop-entities-silent-for`: sunset when the entity's latest row is at least this old.
    pub silent_for: Option<Span>,
    /// `--min-entity-rows`: rows in the window.
    pub min_rows: Option<usize>,
    /// `--min-entity-history`: span from the entity's first to its last row in the window.
    pub min_history: Option<Span>,
    /// `--max-entity-gap`: the longest time between two consecutive rows in the window.
    pub max_gap: Option<Span>,
    pub policy: EntityPolicy,
}

impl EntityRules {
    pub fn is_set(&self) -> bool {
        self.silent_for.is_some() || self.has_minimums()
    }

    pub fn has_minimums(&self) -> bool {
        self.min_rows.is_some() || self.min_history.is_some() || self.max_gap.is_some()
    }
}

/// Entities judged by [`judge_entities`], by id, each with its reason.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EntityJudgement {
    /// Silent for at least `--drop-entities-silent-for`: always left out (sunset).
    pub silent: BTreeMap<u32, String>,
    /// Below a per-entity minimum in the window: left out, or the run stops (the policy).
    pub short: BTreeMap<u32, String>,
    /// Entities with rows in the window that pass every rule.
    pub kept: usize,
}

impl EntityJudgement {
    /// Whether rows of `entity` stay in training under `policy` (`--entity-policy fail`
    /// stops the run before the rows matter, so only silence removes them then).
    pub fn keeps(&self, entity: u32, policy: EntityPolicy) -> bool {
        !self.silent.contains_key(&entity)
            && (policy == EntityPolicy::Fail || !self.short.contains_key(&entity))
    }
}

/// Judges every entity. `entities` and `times_ms` cover every row of the data (an entity's
/// silence counts its latest row, labelled or not, back from `latest_ms`); `rows` are the
/// rows in the window, which the minimums count. A row without an entity is judged by no rule.
/// Silence is inclusive, as seed 001's `days_offline >= 30`; a minimum fails strictly below
/// it (`rows < N`, `history < span`) and a gap strictly above `--max-entity-gap`.
pub fn judge_entities(
    entities: &[Option<u32>],
    times_ms: &[i64],
    rows: &[usize],
    latest_ms: i64,
    rules: &EntityRules,
) -> EntityJudgement {
    let mut judgement = EntityJudgement::default();
    if let Some(silent_for) = &rules.silent_for {
        for (entity, last) in last_seen(entities, times_ms) {
            if let Some(reason) = silence(latest_ms - last, silent_for) {
                judgement.silent.insert(entity, reason);
            }
        }
    }
    let mut in_window: BTreeMap<u32, Vec<i64>> = BTreeMap::new();
    for &i in rows {
        if let Some(entity) = entities[i] {
            in_window.entry(entity).or_default().push(times_ms[i]);
        }
    }
    for (entity, mut times) in in_window {
        if judgement.silent.contains_key(&entity) {
            continue;
        }
        times.sort_unstable();
        match shortfall(&times, rules) {
            Some(reason) => {
                judgement.short.insert(entity, reason);
            }
            None => judgement.kept += 1,
        }
    }
    judgement
}

/// Each entity's latest timestamp.
pub fn last_seen(entities: &[Option<u32>], times_ms: &[i64]) -> BTreeMap<u32, i64> {
    let mut last: BTreeMap<u32, i64> = BTreeMap::new();
    for (entity, &t) in entities.iter().zip(times_ms) {
        if let Some(entity) = entity {
            let seen = last.entry(*entity).or_insert(t);
            *seen = (*seen).max(t);
        }
    }
    last
}

/// "silent for 41 days (>= 30d)" when `silent_ms` reaches the limit.
pub fn silence(silent_ms: i64, limit: &Span) -> Option<String> {
    (silent_ms >= limit.millis).then(|| {
        format!(
            "silent for {} (>= {})",
            describe_span(silent_ms),
            limit.text
        )
    })
}

/// Why an entity's rows in the window (sorted times) fall short of the minimums, every
/// failed rule in one line; `None` when it passes them all.
pub fn shortfall(sorted_ms: &[i64], rules: &EntityRules) -> Option<String> {
    let mut reasons = Vec::new();
    if let Some(min) = rules.min_rows {
        if sorted_ms.len() < min {
            let rows = sorted_ms.len();
            let plural = if rows == 1 { "" } else { "s" };
            reasons.push(format!("{rows} row{plural} (< {min})"));
        }
    }
    if let (Some(min), Some(first), Some(last)) =
        (&rules.min_history, sorted_ms.first(), sorted_ms.last())
    {
        if last - first < min.millis {
            let history = describe_span(last - first);
            reasons.push(format!("history of {history} (< {})", min.text));
        }
    }
    if let Some(max) = &rules.max_gap {
        let gap = sorted_ms.windows(2).map(|w| w[1] - w[0]).max();
        if let Some(gap) = gap.filter(|&g| g > max.millis) {
            reasons.push(format!("gap of {} (> {})", describe_span(gap), max.text));
        }
    }
    (!reasons.is_empty()).then(|| reasons.join("; "))
}

/// A length of time in the largest unit it reaches, floored to a tenth: "41 days",
/// "1.5 days", "6 hours", "0 seconds". Floored, so it never reads as past a limit it is not.
pub fn describe_span(ms: i64) -> String {
    const UNITS: [(i64, &str); 4] = [
        (MS_PER_DAY, "day"),
        (3_600_000, "hour"),
        (60_000, "minute"),
        (1_000, "second"),
    ];
    let (unit, name) = UNITS
        .iter()
        .copied()
        .find(|&(unit, _)| ms >= unit)
        .unwrap_or((1_000, "second"));
    let tenths = ms.max(0) / (unit / 10);
    let (whole, tenth) = (tenths / 10, tenths % 10);
    let plural = if whole == 1 && tenth == 0 { "" } else { "s" };
    if tenth == 0 {
        format!("{whole} {name}{plural}")
    } else {
        format!("{whole}.{tenth} {name}{plural}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = MS_PER_DAY;

    fn span(days: i64) -> Span {
        Span {
            millis: days * DAY,
            text: format!("{days}d"),
        }
    }

    fn window(start: Option<WindowStart>, max_rows: Option<usize>) -> RowWindow {
        RowWindow { start, max_rows }
    }

    #[test]
    fn no_window_keeps_every_row() {
        let times = [3 * DAY, DAY, 2 * DAY];
        let w = apply_window(&times, 3 * DAY, &RowWindow::default()).unwrap();
        assert_eq!(w.rows, [0, 1, 2]);
        assert!(!RowWindow::default().is_set());
    }

    #[test]
    fn a_window_counts_back_from_the_latest_timestamp_inclusively() {
        // Days 0..=10; the latest is day 10, so --window 3d keeps days 7, 8, 9, 10.
        let times: Vec<i64> = (0..=10).map(|d| d * DAY).collect();
        let w = apply_window(
            &times,
            10 * DAY,
            &window(Some(WindowStart::Last(span(3))), None),
        )
        .unwrap();
        assert_eq!(w.rows, [7, 8, 9, 10]);
        assert_eq!(w.bounds.data_start, "1970-01-08T00:00:00Z");
        assert_eq!(w.bounds.data_end, "1970-01-11T00:00:00Z");
        assert_eq!(w.bounds.requested.window.as_deref(), Some("3d"));
        assert_eq!(
            serde_json::to_value(&w.bounds.requested).unwrap(),
            serde_json::json!({ "window": "3d" })
        );
    }

    #[test]
    fn since_keeps_rows_at_or_after_the_instant() {
        let times = [5 * DAY, DAY, 4 * DAY, 4 * DAY - 1];
        let w = apply_window(
            &times,
            5 * DAY,
            &window(Some(WindowStart::Since(4 * DAY)), None),
        )
        .unwrap();
        assert_eq!(w.rows, [0, 2]);
        assert_eq!(
            w.bounds.requested.since.as_deref(),
            Some("1970-01-05T00:00:00Z")
        );
        // A start after the data leaves nothing, which is then "insufficient data".
        let w = apply_window(
            &times,
            5 * DAY,
            &window(Some(WindowStart::Since(9 * DAY)), None),
        )
        .unwrap();
        assert!(w.rows.is_empty());
    }

    #[test]
    fn max_rows_keeps_the_most_recent_and_breaks_ties_by_input_order() {
        let times = [5, 1, 9, 3, 9, 7];
        assert_eq!(most_recent(&times, (0..6).collect(), 2), [2, 4]);
        assert_eq!(most_recent(&times, (0..6).collect(), 3), [2, 4, 5]);
        assert_eq!(most_recent(&times, (0..6).collect(), 10).len(), 6);
        // Three rows share the boundary time 4: the later two in input order are kept.
        let tied = [4, 8, 4, 4, 6];
        assert_eq!(most_recent(&tied, (0..5).collect(), 4), [1, 2, 3, 4]);
        assert_eq!(most_recent(&tied, (0..5).collect(), 3), [1, 3, 4]);
    }

    #[test]
    fn max_rows_applies_inside_the_window_and_moves_data_start() {
        let times: Vec<i64> = (0..10).map(|d| d * DAY).collect();
        let w = apply_window(
            &times,
            9 * DAY,
            &window(Some(WindowStart::Last(span(5))), Some(3)),
        )
        .unwrap();
        assert_eq!(w.rows, [7, 8, 9]);
        assert_eq!(w.bounds.data_start, "1970-01-08T00:00:00Z");
        assert_eq!(w.bounds.requested.max_rows, Some(3));
        // Fewer rows than --max-rows: the window's own start stands.
        let w = apply_window(
            &times,
            9 * DAY,
            &window(Some(WindowStart::Last(span(2))), Some(50)),
        )
        .unwrap();
        assert_eq!(w.rows, [7, 8, 9]);
        assert_eq!(w.bounds.data_start, "1970-01-08T00:00:00Z");
    }

    #[test]
    fn a_window_beyond_the_range_of_timestamps_is_an_error_naming_the_flag() {
        let huge = Span {
            millis: i64::MAX,
            text: "15250284452w".into(),
        };
        let err =
            apply_window(&[-DAY], -DAY, &window(Some(WindowStart::Last(huge)), None)).unwrap_err();
        assert!(
            format!("{err:#}").contains("--window 15250284452w"),
            "{err:#}"
        );
    }

    fn rules() -> EntityRules {
        EntityRules::default()
    }

    #[test]
    fn silence_is_inclusive_as_in_the_seed() {
        let limit = span(30);
        assert_eq!(
            silence(30 * DAY, &limit).as_deref(),
            Some("silent for 30 days (>= 30d)")
        );
        assert_eq!(
            silence(41 * DAY + DAY / 2, &limit).as_deref(),
            Some("silent for 41.5 days (>= 30d)")
        );
        assert_eq!(silence(30 * DAY - 1, &limit), None);
    }

    #[test]
    fn silent_entities_are_judged_on_every_row_and_left_out() {
        // Entity 0 last reported on day 2, entity 1 on day 40 (unlabelled rows count too),
        // entity 2 on day 40; rows without an entity are judged by no rule.
        let entities = [Some(0), Some(1), Some(2), Some(0), None, Some(1)];
        let times = [DAY, 20 * DAY, 40 * DAY, 2 * DAY, 0, 40 * DAY];
        let mut r = rules();
        r.silent_for = Some(span(30));
        let j = judge_entities(&entities, &times, &[0, 1, 2, 3, 4], 40 * DAY, &r);
        assert_eq!(
            j.silent,
            BTreeMap::from([(0, "silent for 38 days (>= 30d)".to_string())])
        );
        assert!(j.short.is_empty());
        assert_eq!(j.kept, 2);
        assert!(!j.keeps(0, EntityPolicy::Drop) && !j.keeps(0, EntityPolicy::Fail));
        assert!(j.keeps(1, EntityPolicy::Drop));
    }

    #[test]
    fn minimums_count_the_rows_in_the_window() {
        let mut r = rules();
        r.min_rows = Some(3);
        r.min_history = Some(span(7));
        r.max_gap = Some(span(2));
        assert!(r.is_set() && r.has_minimums());
        // Eight days of daily rows passes everything.
        let daily: Vec<i64> = (0..=8).map(|d| d * DAY).collect();
        assert_eq!(shortfall(&daily, &r), None);
        // Exactly 7 days of history and a gap of exactly 2 days pass: the bounds are allowed.
        assert_eq!(
            shortfall(&[0, 2 * DAY, 4 * DAY, 6 * DAY, 7 * DAY], &r),
            None
        );
        assert_eq!(
            shortfall(&[0, DAY], &r).as_deref(),
            Some("2 rows (< 3); history of 1 day (< 7d)")
        );
        assert_eq!(
            shortfall(&[0, DAY, 2 * DAY, 8 * DAY], &r).as_deref(),
            Some("gap of 6 days (> 2d)")
        );
        assert_eq!(
            shortfall(&[0, 0, 6 * DAY + 12 * 3_600_000], &r).as_deref(),
            Some("history of 6.5 days (< 7d); gap of 6.5 days (> 2d)")
        );
    }

    #[test]
    fn the_policy_decides_whether_short_entities_leave_the_rows() {
        let entities = [Some(0), Some(0), Some(0), Some(1)];
        let times = [0, DAY, 2 * DAY, 2 * DAY];
        let mut r = rules();
        r.min_rows = Some(2);
        // Only rows in the window count: entity 0 has 2 there.
        let j = judge_entities(&entities, &times, &[1, 2, 3], 2 * DAY, &r);
        assert_eq!(j.short, BTreeMap::from([(1, "1 row (< 2)".to_string())]));
        assert_eq!(j.kept, 1);
        assert!(!j.keeps(1, EntityPolicy::Drop));
        assert!(j.keeps(1, EntityPolicy::Fail));
        assert!(j.keeps(0, EntityPolicy::Drop));
        assert_eq!("fail".parse(), Ok(EntityPolicy::Fail));
        assert!("keep".parse::<EntityPolicy>().is_err());
    }

    #[test]
    fn spans_read_in_their_largest_unit_floored() {
        assert_eq!(describe_span(41 * DAY), "41 days");
        assert_eq!(describe_span(DAY), "1 day");
        assert_eq!(describe_span(DAY * 3 / 2), "1.5 days");
        assert_eq!(describe_span(30 * DAY - 1), "29.9 days");
        assert_eq!(describe_span(6 * 3_600_000), "6 hours");
        assert_eq!(describe_span(90_000), "1.5 minutes");
        assert_eq!(describe_span(0), "0 seconds");
    }
}
