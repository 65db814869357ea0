//! The unknown-prediction rate: how often the live model scored an entity it never learnt.

use std::collections::BTreeSet;

use serde::Serialize;

use super::bands::{unknown_band, UnknownBand};
use crate::data::keys::KeyInterner;

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
