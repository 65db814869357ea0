//! What a predictions log says: how often the live model scored an entity it never learnt
//! (the unknown-prediction rate, over the whole log), and which entities it scored at all
//! within the prediction window (for prediction coverage).

use std::collections::BTreeSet;

use serde::Serialize;

use super::bands::{unknown_band, UnknownBand};
use crate::data::keys::KeyInterner;
use crate::data::time::format_ms;

/// Rows of a predictions log, by whether the model knew their entity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PredictionCounts {
    /// Rows with an entity.
    pub predictions: usize,
    /// Rows whose entity is outside the vocabulary.
    pub unknown: usize,
    /// Rows without an entity, left out of both counts.
    pub null_entity: usize,
}

impl PredictionCounts {
    /// Counts the interned entity column of a predictions log against the vocabulary.
    pub fn count(
        ids: &[Option<u32>],
        names: &KeyInterner,
        vocabulary: &BTreeSet<String>,
    ) -> PredictionCounts {
        // One vocabulary lookup per distinct entity, not per row.
        let known: Vec<bool> = (0..names.len())
            .map(|id| vocabulary.contains(names.name(id as u32)))
            .collect();
        let predictions = ids.iter().flatten().count();
        let unknown = ids
            .iter()
            .flatten()
            .filter(|id| !known[**id as usize])
            .count();
        PredictionCounts {
            predictions,
            unknown,
            null_entity: ids.len() - predictions,
        }
    }

    /// Share of predictions for unknown entities; 0 for an empty log (nothing was misjudged).
    pub fn rate(&self) -> f64 {
        if self.predictions == 0 {
            0.0
        } else {
            self.unknown as f64 / self.predictions as f64
        }
    }
}

/// The stretch of the log prediction coverage reads, both ends inclusive (UTC milliseconds):
/// the same rule as an entity's activity window, so "seen in the last 24h" and "predicted in
/// the last 24h" line up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PredictionWindow {
    pub start: i64,
    /// `now`: later predictions are left out.
    pub end: i64,
}

impl PredictionWindow {
    /// The `length` milliseconds up to and including `now`.
    pub fn ending_at(now: i64, length: i64) -> PredictionWindow {
        PredictionWindow {
            start: now.saturating_sub(length),
            end: now,
        }
    }
}

/// Rows with an entity of a timed predictions log, by where they fall against the window.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct WindowRows {
    pub in_window: usize,
    pub before_window: usize,
    pub after_now: usize,
    pub null_time: usize,
}

/// The entities with at least one prediction in the window.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PredictedEntities {
    pub entities: BTreeSet<String>,
    /// `None` when the log has no times: then every row counts.
    pub window: Option<PredictionWindow>,
    pub rows: WindowRows,
}

impl PredictedEntities {
    /// From the interned entity column; `timed` is the time column and the window it is
    /// read against. Rows without an entity count nowhere (see `PredictionCounts`).
    pub fn collect(
        ids: &[Option<u32>],
        names: &KeyInterner,
        timed: Option<(&[Option<i64>], PredictionWindow)>,
    ) -> PredictedEntities {
        let mut predicted = vec![false; names.len()];
        let mut rows = WindowRows::default();
        for (row, id) in ids.iter().enumerate() {
            let Some(id) = id else { continue };
            let inside = match timed {
                None => true,
                Some((times, window)) => match times[row] {
                    None => {
                        rows.null_time += 1;
                        false
                    }
                    Some(t) if t > window.end => {
                        rows.after_now += 1;
                        false
                    }
                    Some(t) if t < window.start => {
                        rows.before_window += 1;
                        false
                    }
                    Some(_) => true,
                },
            };
            if inside {
                rows.in_window += 1;
                predicted[*id as usize] = true;
            }
        }
        PredictedEntities {
            entities: (0..names.len())
                .filter(|id| predicted[*id])
                .map(|id| names.name(id as u32).to_string())
                .collect(),
            window: timed.map(|(_, window)| window),
            rows,
        }
    }
}

/// A predictions log read against the vocabulary and the prediction window.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PredictionLog {
    pub counts: PredictionCounts,
    pub predicted: PredictedEntities,
}

impl PredictionLog {
    /// The unknown-prediction rate reads every row; prediction coverage the rows in `window`
    /// (every row when the log has no `times` or there is no window).
    pub fn from_rows(
        ids: &[Option<u32>],
        names: &KeyInterner,
        times: Option<&[Option<i64>]>,
        vocabulary: &BTreeSet<String>,
        window: Option<PredictionWindow>,
    ) -> PredictionLog {
        PredictionLog {
            counts: PredictionCounts::count(ids, names, vocabulary),
            predicted: PredictedEntities::collect(ids, names, times.zip(window)),
        }
    }
}

impl WindowRows {
    /// Rows prediction coverage left out that a user may not expect to be (earlier rows are
    /// simply outside the window).
    pub fn messages(&self, time_column: &str, end: i64) -> Vec<String> {
        let mut messages = Vec::new();
        if self.after_now > 0 {
            messages.push(format!(
                "{} predictions are stamped after now {} and were left out of prediction coverage",
                self.after_now,
                format_ms(end)
            ));
        }
        if self.null_time > 0 {
            messages.push(format!(
                "{} predictions have a null `{time_column}` and were left out of prediction coverage",
                self.null_time
            ));
        }
        messages
    }
}

/// The report's `unknown_predictions`: the counts, their rate and its band.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct UnknownPredictions {
    pub predictions: usize,
    pub unknown: usize,
    pub rate: f64,
    pub band: UnknownBand,
    pub null_entity: usize,
}

impl UnknownPredictions {
    /// Bands the rate with `limits` (warning, critical lower bounds).
    pub fn assess(counts: PredictionCounts, limits: [f64; 2]) -> UnknownPredictions {
        let rate = counts.rate();
        UnknownPredictions {
            predictions: counts.predictions,
            unknown: counts.unknown,
            rate,
            band: unknown_band(rate, limits),
            null_entity: counts.null_entity,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(keys: &[Option<&str>], vocabulary: &[&str]) -> PredictionCounts {
        let mut names = KeyInterner::default();
        let ids: Vec<Option<u32>> = keys.iter().map(|k| k.map(|k| names.intern(k))).collect();
        let vocabulary = vocabulary.iter().map(|s| s.to_string()).collect();
        PredictionCounts::count(&ids, &names, &vocabulary)
    }

    #[test]
    fn counts_rows_not_entities() {
        let c = counts(&[Some("s1"), Some("s9"), Some("s9"), None], &["s1"]);
        assert_eq!(
            c,
            PredictionCounts {
                predictions: 3,
                unknown: 2,
                null_entity: 1
            }
        );
        assert_eq!(c.rate(), 2.0 / 3.0);
    }

    #[test]
    fn an_empty_log_has_rate_zero() {
        assert_eq!(counts(&[None], &["s1"]).rate(), 0.0);
        assert_eq!(counts(&[], &["s1"]).rate(), 0.0);
    }

    #[test]
    fn rate_is_banded() {
        let limits = [0.05, 0.15];
        // The fixture's 3 of 20: exactly on the critical bound, so a warning.
        let c = PredictionCounts {
            predictions: 20,
            unknown: 3,
            null_entity: 0,
        };
        assert_eq!(
            UnknownPredictions::assess(c, limits).band,
            UnknownBand::Warning
        );
        let c = PredictionCounts { unknown: 4, ..c };
        assert_eq!(
            UnknownPredictions::assess(c, limits).band,
            UnknownBand::Critical
        );
        let c = PredictionCounts { unknown: 0, ..c };
        assert_eq!(
            UnknownPredictions::assess(c, limits).band,
            UnknownBand::Acceptable
        );
    }

    fn predicted(
        keys: &[Option<&str>],
        times: Option<&[Option<i64>]>,
        window: PredictionWindow,
    ) -> PredictedEntities {
        let mut names = KeyInterner::default();
        let ids: Vec<Option<u32>> = keys.iter().map(|k| k.map(|k| names.intern(k))).collect();
        PredictedEntities::collect(&ids, &names, times.map(|t| (t, window)))
    }

    #[test]
    fn the_window_includes_both_ends_and_counts_what_it_leaves_out() {
        let window = PredictionWindow::ending_at(100, 24);
        assert_eq!(
            window,
            PredictionWindow {
                start: 76,
                end: 100
            }
        );
        let keys = [
            Some("early"),
            Some("start"),
            Some("end"),
            Some("late"),
            Some("untimed"),
            None,
            Some("start"),
        ];
        let times = [
            Some(75),
            Some(76),
            Some(100),
            Some(101),
            None,
            Some(90),
            Some(80),
        ];
        let p = predicted(&keys, Some(&times), window);
        assert_eq!(
            p.entities.into_iter().collect::<Vec<_>>(),
            vec!["end", "start"]
        );
        assert_eq!(p.window, Some(window));
        assert_eq!(
            p.rows,
            WindowRows {
                in_window: 3,
                before_window: 1,
                after_now: 1,
                null_time: 1,
            }
        );
    }

    #[test]
    fn rows_left_out_of_the_window_are_said() {
        let rows = WindowRows {
            in_window: 5,
            before_window: 9,
            after_now: 2,
            null_time: 1,
        };
        assert_eq!(
            rows.messages("ts", 1_795_132_800_000),
            vec![
                "2 predictions are stamped after now 2026-11-20T00:00:00Z and were left out of prediction coverage",
                "1 predictions have a null `ts` and were left out of prediction coverage",
            ]
        );
        assert!(WindowRows::default().messages("ts", 0).is_empty());
    }

    #[test]
    fn the_rate_reads_the_whole_log_and_coverage_the_window() {
        let mut names = KeyInterner::default();
        let ids: Vec<Option<u32>> = ["a", "x", "b"]
            .iter()
            .map(|k| Some(names.intern(k)))
            .collect();
        let times = [Some(10), Some(50), Some(99)];
        let vocabulary: BTreeSet<String> = ["a", "b"].iter().map(|s| s.to_string()).collect();
        let window = PredictionWindow::ending_at(60, 20);
        let log = PredictionLog::from_rows(&ids, &names, Some(&times), &vocabulary, Some(window));
        assert_eq!((log.counts.predictions, log.counts.unknown), (3, 1));
        assert_eq!(
            log.predicted.entities.into_iter().collect::<Vec<_>>(),
            vec!["x"]
        );
        let untimed = PredictionLog::from_rows(&ids, &names, None, &vocabulary, Some(window));
        assert_eq!(untimed.predicted.entities.len(), 3);
    }

    #[test]
    fn a_log_without_times_is_one_window() {
        let p = predicted(
            &[Some("a"), Some("a"), None, Some("b")],
            None,
            PredictionWindow::ending_at(0, 0),
        );
        assert_eq!(p.entities.len(), 2);
        assert_eq!((p.window, p.rows.in_window), (None, 3));
    }

    #[test]
    fn json_keys_in_report_order() {
        let u = UnknownPredictions::assess(
            PredictionCounts {
                predictions: 20,
                unknown: 3,
                null_entity: 1,
            },
            [0.05, 0.15],
        );
        assert_eq!(
            serde_json::to_string(&u).unwrap(),
            r#"{"predictions":20,"unknown":3,"rate":0.15,"band":"warning","null_entity":1}"#
        );
    }
}
