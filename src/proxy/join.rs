//! Pairing predictions with outcomes: by key, or by key at prediction time + horizon.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum JoinMode {
    /// Plain key join (no time columns).
    Key,
    /// Outcome time equals prediction time + horizon.
    HorizonExact,
    /// The nearest outcome at or after prediction time + horizon, within the tolerance.
    HorizonNearest,
}

impl JoinMode {
    /// The name reports and the text summary use (the serde name).
    pub fn as_str(self) -> &'static str {
        match self {
            JoinMode::Key => "key",
            JoinMode::HorizonExact => "horizon_exact",
            JoinMode::HorizonNearest => "horizon_nearest",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct JoinSummary {
    pub mode: JoinMode,
    pub matched: usize,
    pub unmatched_predictions: usize,
    pub unmatched_outcomes: usize,
    /// Prediction rows whose key or time is null (counted among the unmatched).
    pub predictions_with_null_key_or_time: usize,
}

#[derive(Debug, Clone)]
pub struct Joined {
    /// (prediction row, outcome row) in prediction order.
    pub pairs: Vec<(usize, usize)>,
    pub summary: JoinSummary,
}

/// The outcomes side has several rows for one join key (and time): the join would be ambiguous.
#[derive(Debug, Clone, PartialEq)]
pub struct AmbiguousOutcomes {
    /// Outcome rows involved in a duplicate.
    pub rows: usize,
    /// The first duplicated key (an interned id) and, for a horizon join, its time.
    pub key: u32,
    pub time: Option<i64>,
}

fn finish(
    mode: JoinMode,
    pairs: Vec<(usize, usize)>,
    predictions: usize,
    outcomes: usize,
    null_rows: usize,
) -> Joined {
    let mut used = vec![false; outcomes];
    for &(_, o) in &pairs {
        used[o] = true;
    }
    let matched = pairs.len();
    Joined {
        summary: JoinSummary {
            mode,
            matched,
            unmatched_predictions: predictions - matched,
            unmatched_outcomes: used.iter().filter(|u| !**u).count(),
            predictions_with_null_key_or_time: null_rows,
        },
        pairs,
    }
}

/// Each prediction meets the one outcome with the same key. Keys are interned ids below
/// `key_count` (see `data::keys::KeyInterner`).
pub fn key_join(
    prediction_keys: &[Option<u32>],
    outcome_keys: &[Option<u32>],
    key_count: usize,
) -> Result<Joined, AmbiguousOutcomes> {
    const NONE: usize = usize::MAX;
    let mut outcome_row = vec![NONE; key_count];
    let mut seen_twice = vec![false; key_count];
    let mut duplicate_rows = 0;
    let mut first_duplicate = None;
    for (row, key) in outcome_keys.iter().enumerate() {
        let Some(key) = *key else { continue };
        let slot = &mut outcome_row[key as usize];
        if *slot == NONE {
            *slot = row;
        } else {
            duplicate_rows += if seen_twice[key as usize] { 1 } else { 2 };
            seen_twice[key as usize] = true;
            first_duplicate.get_or_insert(key);
        }
    }
    if let Some(key) = first_duplicate {
        return Err(AmbiguousOutcomes {
            rows: duplicate_rows,
            key,
            time: None,
        });
    }
    let mut null_rows = 0;
    let mut pairs = Vec::new();
    for (row, key) in prediction_keys.iter().enumerate() {
        match key {
            None => null_rows += 1,
            Some(k) if outcome_row[*k as usize] != NONE => {
                pairs.push((row, outcome_row[*k as usize]))
            }
            Some(_) => {}
        }
    }
    Ok(finish(
        JoinMode::Key,
        pairs,
        prediction_keys.len(),
        outcome_keys.len(),
        null_rows,
    ))
}

/// Each prediction meets the outcome of its key at prediction time + `horizon_ms`: exactly,
/// or with `tolerance_ms > 0` the nearest one at or after it, no later than the tolerance.
pub fn horizon_join(
    prediction_keys: &[Option<u32>],
    prediction_times: &[Option<i64>],
    outcome_keys: &[Option<u32>],
    outcome_times: &[Option<i64>],
    key_count: usize,
    horizon_ms: i64,
    tolerance_ms: i64,
) -> Result<Joined, AmbiguousOutcomes> {
    // Outcomes grouped by key with a counting sort (keys are dense ids), each key's few rows
    // then sorted by time: linear, where one comparison sort of every row was not.
    let mut starts = vec![0usize; key_count + 1];
    for (key, time) in outcome_keys.iter().zip(outcome_times) {
        if let (Some(key), Some(_)) = (key, time) {
            starts[*key as usize + 1] += 1;
        }
    }
    for k in 0..key_count {
        starts[k + 1] += starts[k];
    }
    let mut sorted: Vec<(i64, usize)> = vec![(0, 0); starts[key_count]];
    let mut next = starts.clone();
    for (row, (key, time)) in outcome_keys.iter().zip(outcome_times).enumerate() {
        if let (Some(key), Some(time)) = (key, time) {
            sorted[next[*key as usize]] = (*time, row);
            next[*key as usize] += 1;
        }
    }
    let mut duplicate_rows = 0;
    let mut first_duplicate = None;
    for key in 0..key_count {
        let group = &mut sorted[starts[key]..starts[key + 1]];
        group.sort_unstable();
        for pair in group.windows(2) {
            if pair[0].0 == pair[1].0 {
                duplicate_rows += 1;
                first_duplicate.get_or_insert((key as u32, pair[0].0));
            }
        }
    }
    if let Some((key, time)) = first_duplicate {
        return Err(AmbiguousOutcomes {
            rows: duplicate_rows + 1,
            key,
            time: Some(time),
        });
    }
    let mut null_rows = 0;
    let mut pairs = Vec::new();
    for (row, (key, time)) in prediction_keys.iter().zip(prediction_times).enumerate() {
        let (Some(key), Some(time)) = (key, time) else {
            null_rows += 1;
            continue;
        };
        let candidates = &sorted[starts[*key as usize]..starts[*key as usize + 1]];
        // Callers check the shift with data::time::shift_ms first; saturating keeps the join
        // itself total.
        let target = time.saturating_add(horizon_ms);
        let at = candidates.partition_point(|(t, _)| *t < target);
        if let Some(&(t, outcome_row)) = candidates.get(at) {
            if t <= target.saturating_add(tolerance_ms) {
                pairs.push((row, outcome_row));
            }
        }
    }
    let mode = if tolerance_ms > 0 {
        JoinMode::HorizonNearest
    } else {
        JoinMode::HorizonExact
    };
    Ok(finish(
        mode,
        pairs,
        prediction_keys.len(),
        outcome_keys.len(),
        null_rows,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mode_names_match_the_report() {
        for mode in [
            JoinMode::Key,
            JoinMode::HorizonExact,
            JoinMode::HorizonNearest,
        ] {
            assert_eq!(serde_json::to_value(mode).unwrap(), mode.as_str());
        }
    }

    fn keys(k: &[u32]) -> Vec<Option<u32>> {
        k.iter().map(|&v| Some(v)).collect()
    }

    #[test]
    fn key_join_counts_both_sides() {
        // a=0 b=1 c=2 z=3
        let j = key_join(&keys(&[0, 1, 2]), &keys(&[1, 0, 3]), 4).unwrap();
        assert_eq!(j.pairs, vec![(0, 1), (1, 0)]);
        assert_eq!(
            (
                j.summary.unmatched_predictions,
                j.summary.unmatched_outcomes
            ),
            (1, 1)
        );
    }

    #[test]
    fn duplicate_outcome_keys_are_ambiguous() {
        let err = key_join(&keys(&[0]), &keys(&[0, 1, 0, 0]), 2).unwrap_err();
        assert_eq!(
            err,
            AmbiguousOutcomes {
                rows: 3,
                key: 0,
                time: None
            }
        );
    }

    #[test]
    fn horizon_exact_and_nearest_within_tolerance() {
        let day = crate::data::time::MS_PER_DAY;
        let p_keys = keys(&[0, 0, 1]);
        let p_times = vec![Some(0), Some(day), Some(0)];
        let o_keys = keys(&[0, 0, 1]);
        let o_times = vec![Some(30 * day), Some(33 * day), Some(31 * day)];
        let exact = horizon_join(&p_keys, &p_times, &o_keys, &o_times, 2, 30 * day, 0).unwrap();
        assert_eq!(exact.pairs, vec![(0, 0)]);
        assert_eq!(exact.summary.mode, JoinMode::HorizonExact);
        let near = horizon_join(&p_keys, &p_times, &o_keys, &o_times, 2, 30 * day, day).unwrap();
        // a@day -> target 31: next is 33, too late; b@0 -> 31 within a day.
        assert_eq!(near.pairs, vec![(0, 0), (2, 2)]);
        assert_eq!(near.summary.unmatched_outcomes, 1);
    }

    #[test]
    fn duplicate_outcome_times_are_ambiguous_in_a_horizon_join() {
        let err = horizon_join(
            &keys(&[0]),
            &[Some(0)],
            &keys(&[0, 0]),
            &[Some(5), Some(5)],
            1,
            5,
            0,
        )
        .unwrap_err();
        assert_eq!(
            err,
            AmbiguousOutcomes {
                rows: 2,
                key: 0,
                time: Some(5)
            }
        );
    }
}
