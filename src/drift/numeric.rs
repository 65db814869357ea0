//! Every drift statistic of one numeric feature.

use serde::Serialize;

use crate::data::columns::MissingCounts;
use crate::data::NumericValues;
use crate::stats::binning::BinEdges;
use crate::stats::chi2::{chi_square_homogeneity, Chi2Result};
use crate::stats::ecdf::two_sample_distances;
use crate::stats::jensen_shannon::jensen_shannon_distance;
use crate::stats::ks::{ks_from_statistic, KsResult};
use crate::stats::psi::population_stability_index;

use super::profile::NumericProfile;

/// The baseline side: raw values, or the binned counts kept in a profile.json.
pub enum NumericBaseline<'a> {
    Raw(&'a NumericValues),
    Profile(&'a NumericProfile),
}

#[derive(Debug, Clone, Serialize)]
pub struct NumericDrift {
    /// Interior bin cuts; bin k holds `cuts[k-1] <= v < cuts[k]`, outer bins open.
    pub bin_cuts: Vec<f64>,
    pub baseline_counts: Vec<u64>,
    pub current_counts: Vec<u64>,
    pub psi: Option<f64>,
    /// Jensen-Shannon distance on the PSI bins, base 2.
    pub js_distance: Option<f64>,
    pub ks: Option<KsResult>,
    pub wasserstein: Option<f64>,
    /// Chi-square homogeneity test on the PSI bins (used by `--method chi2`).
    pub chi2: Option<Chi2Result>,
    pub baseline_missing: MissingCounts,
    pub current_missing: MissingCounts,
    pub missing_rate_change: Option<f64>,
    /// Why a statistic is null (no finite values, baseline is a profile, ...).
    pub notes: Vec<String>,
}

pub fn analyze_numeric(
    baseline: NumericBaseline<'_>,
    current: &NumericValues,
    buckets: usize,
) -> NumericDrift {
    let (edges, baseline_counts, baseline_missing, baseline_sorted) = match baseline {
        NumericBaseline::Raw(values) => {
            let edges = BinEdges::from_sorted_baseline(&values.sorted, buckets);
            let counts = edges.as_ref().map(|e| e.count_sorted(&values.sorted));
            (
                edges,
                counts,
                values.missing,
                Some(values.sorted.as_slice()),
            )
        }
        // KS and Wasserstein stay null: a profile keeps bins, not values (said once per run).
        NumericBaseline::Profile(profile) => {
            let has_values = profile.counts.iter().any(|&c| c > 0);
            (
                has_values.then(|| profile.edges.clone()),
                has_values.then(|| profile.counts.clone()),
                profile.missing,
                None,
            )
        }
    };
    let missing_rate_change = {
        let change = current.missing.missing_rate() - baseline_missing.missing_rate();
        change.is_finite().then_some(change)
    };
    let mut drift = NumericDrift {
        bin_cuts: Vec::new(),
        baseline_counts: Vec::new(),
        current_counts: Vec::new(),
        psi: None,
        js_distance: None,
        ks: None,
        wasserstein: None,
        chi2: None,
        baseline_missing,
        current_missing: current.missing,
        missing_rate_change,
        notes: Vec::new(),
    };
    let (Some(edges), Some(baseline_counts)) = (edges, baseline_counts) else {
        drift
            .notes
            .push("baseline has no finite values".to_string());
        return drift;
    };
    drift.bin_cuts = edges.cuts.clone();
    drift.baseline_counts = baseline_counts;
    if current.sorted.is_empty() {
        drift.notes.push("current has no finite values".to_string());
        return drift;
    }
    drift.current_counts = edges.count_sorted(&current.sorted);
    drift.psi = Some(population_stability_index(
        &drift.baseline_counts,
        &drift.current_counts,
    ));
    let as_f64 = |c: &[u64]| c.iter().map(|&v| v as f64).collect::<Vec<_>>();
    drift.js_distance = Some(jensen_shannon_distance(
        &as_f64(&drift.baseline_counts),
        &as_f64(&drift.current_counts),
        2.0,
    ));
    let (occupied_baseline, occupied_current): (Vec<u64>, Vec<u64>) = drift
        .baseline_counts
        .iter()
        .zip(&drift.current_counts)
        .filter(|(b, c)| **b + **c > 0)
        .map(|(b, c)| (*b, *c))
        .unzip();
    drift.chi2 = chi_square_homogeneity(&occupied_baseline, &occupied_current);
    // Both sides have values here (baseline counts exist, current is not empty).
    if let Some(baseline_sorted) = baseline_sorted {
        let distances = two_sample_distances(baseline_sorted, &current.sorted);
        drift.ks = Some(ks_from_statistic(
            baseline_sorted.len(),
            current.sorted.len(),
            distances.ks_statistic,
        ));
        drift.wasserstein = Some(distances.wasserstein);
    }
    drift
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn out_of_range_current_values_land_in_outer_bins() {
        let base = NumericValues::from_values(&(0..100).map(f64::from).collect::<Vec<_>>());
        let cur = NumericValues::from_values(&[-50.0, 500.0, 50.0]);
        let d = analyze_numeric(NumericBaseline::Raw(&base), &cur, 10);
        assert_eq!(d.current_counts.iter().sum::<u64>(), 3);
        assert_eq!(d.current_counts[0], 1);
        assert_eq!(*d.current_counts.last().unwrap(), 1);
        assert!(d.psi.unwrap() > 0.0);
        assert!(d.ks.is_some() && d.wasserstein.is_some());
    }

    #[test]
    fn no_finite_current_values_gives_null_statistics_with_reason() {
        let base = NumericValues::from_values(&[1.0, 2.0]);
        let cur = NumericValues::from_values(&[f64::NAN]);
        let d = analyze_numeric(NumericBaseline::Raw(&base), &cur, 10);
        assert!(d.psi.is_none() && d.ks.is_none());
        assert_eq!(d.notes, vec!["current has no finite values".to_string()]);
        assert_eq!(d.current_missing.nan, 1);
    }
}
