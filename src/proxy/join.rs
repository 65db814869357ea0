//! Pairing predictions with outcomes: by key, or by key at prediction time + horizon.

use std::collections::HashMap;

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

/// The outcomes side has several rows for one join key: the join would be ambiguous.
#[derive(Debug, Clone, PartialEq)]
pub struct AmbiguousOutcomes {
    pub rows: usize,
    pub example: String,
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

/// Each prediction meets the one outcome with the same key.
pub fn key_join(
    prediction_keys: &[Option<String>],
    outcome_keys: &[Option<String>],
) -> Result<Joined, AmbiguousOutcomes> {
    let mut index: HashMap<&str, usize> = HashMap::with_capacity(outcome_keys.len());
    let mut duplicated: HashMap<&str, usize> = HashMap::new();
    for (row, key) in outcome_keys.iter().enumerate() {
        if let Some(key) = key {
            if index.insert(key, row).is_some() {
                *duplicated.entry(key).or_insert(1) += 1;
            }
        }
    }
    if let Some(example) = duplicated.keys().min() {
        return Err(AmbiguousOutcomes {
            rows: duplicated.values().sum(),
            example: example.to_string(),
        });
    }
    let mut null_rows = 0;
    let pairs = prediction_keys
        .iter()
        .enumerate()
        .filter_map(|(row, key)| match key {
            None => {
                null_rows += 1;
                None
            }
            Some(k) => index.get(k.as_str()).map(|&o| (row, o)),
        })
        .collect();
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
    prediction_keys: &[Option<String>],
    prediction_times: &[Option<i64>],
    outcome_keys: &[Option<String>],
    outcome_times: &[Option<i64>],
    horizon_ms: i64,
    tolerance_ms: i64,
) -> Result<Joined, AmbiguousOutcomes> {
    let mut by_key: HashMap<&str, Vec<(i64, usize)>> = HashMap::new();
    for (row, (key, time)) in outcome_keys.iter().zip(outcome_times).enumerate() {
        if let (Some(key), Some(time)) = (key, time) {
            by_key.entry(key).or_default().push((*time, row));
        }
    }
    let mut duplicates = 0usize;
    let mut example = None;
    for (key, rows) in by_key.iter_mut() {
        rows.sort_unstable();
        for pair in rows.windows(2) {
            if pair[0].0 == pair[1].0 {
                duplicates += 1;
                let candidate = format!("{key} at {}", crate::data::time::format_ms(pair[0].0));
                if example.as_ref().is_none_or(|e: &String| &candidate < e) {
                    example = Some(candidate);
                }
            }
        }
    }
    if let Some(example) = example {
        return Err(AmbiguousOutcomes {
            rows: duplicates + 1,
            example,
        });
    }
    let mut null_rows = 0;
    let mut pairs = Vec::new();
    for (row, (key, time)) in prediction_keys.iter().zip(prediction_times).enumerate() {
        let (Some(key), Some(time)) = (key, time) else {
            null_rows += 1;
            continue;
        };
        let Some(rows) = by_key.get(key.as_str()) else {
            continue;
        };
        let target = time + horizon_ms;
        let at = rows.partition_point(|(t, _)| *t < target);
        if let Some(&(t, outcome_row)) = rows.get(at) {
            if t - target <= tolerance_ms {
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

    fn keys(k: &[&str]) -> Vec<Option<String>> {
        k.iter().map(|s| Some(s.to_string())).collect()
    }

    #[test]
    fn key_join_counts_both_sides() {
        let j = key_join(&keys(&["a", "b", "c"]), &keys(&["b", "a", "z"])).unwrap();
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
        let err = key_join(&keys(&["a"]), &keys(&["a", "b", "a"])).unwrap_err();
        assert_eq!(
            err,
            AmbiguousOutcomes {
                rows: 2,
                example: "a".into()
            }
        );
    }

    #[test]
    fn horizon_exact_and_nearest_within_tolerance() {
        let day = crate::data::time::MS_PER_DAY;
        let p_keys = keys(&["a", "a", "b"]);
        let p_times = vec![Some(0), Some(day), Some(0)];
        let o_keys = keys(&["a", "a", "b"]);
        let o_times = vec![Some(30 * day), Some(33 * day), Some(31 * day)];
        let exact = horizon_join(&p_keys, &p_times, &o_keys, &o_times, 30 * day, 0).unwrap();
        assert_eq!(exact.pairs, vec![(0, 0)]);
        assert_eq!(exact.summary.mode, JoinMode::HorizonExact);
        let near = horizon_join(&p_keys, &p_times, &o_keys, &o_times, 30 * day, day).unwrap();
        // a@day -> target 31: next is 33, too late; b@0 -> 31 within a day.
        assert_eq!(near.pairs, vec![(0, 0), (2, 2)]);
        assert_eq!(near.summary.unmatched_outcomes, 1);
    }
}
