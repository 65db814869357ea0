//! Every drift statistic of one numeric feature.

use anyhow::{Context, Result};
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
use crate::stats::quantile_sketch::{sketch_distances, Distribution};

/// One side of the comparison: raw values, or the counts (and sketch) kept in a profile.json.
pub enum NumericSide<'a> {
    Raw(&'a NumericValues),
    Profile(&'a NumericProfile),
}

impl NumericSide<'_> {
    fn missing(&self) -> MissingCounts {
        match self {
            NumericSide::Raw(values) => values.missing,
            NumericSide::Profile(profile) => profile.missing,
        }
    }

    fn has_values(&self) -> bool {
        match self {
            NumericSide::Raw(values) => !values.sorted.is_empty(),
            NumericSide::Profile(profile) => profile.counts.iter().any(|&c| c > 0),
        }
    }

    /// Counts per bin of `edges`; a profile's only when it was counted against them.
    fn counts(&self, edges: &BinEdges) -> Option<Vec<u64>> {
        match self {
            NumericSide::Raw(values) => Some(edges.count_sorted(&values.sorted)),
            NumericSide::Profile(profile) => {
                (profile.edges.same_as(edges)).then(|| profile.counts.clone())
            }
        }
    }

    /// The side's distribution for KS and Wasserstein: its values, exactly, or a profile's
    /// sketch (absent from profiles written before sketches were kept).
    fn distribution(&self) -> Option<Distribution<'_>> {
        match self {
            NumericSide::Raw(values) => Some(Distribution::Sorted(&values.sorted)),
            NumericSide::Profile(profile) => profile.sketch.as_ref().map(Distribution::Sketch),
        }
    }
}

/// How far the statistics computed from quantile sketches can be from the exact ones.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct SketchBound {
    pub ks_statistic_max_error: f64,
    pub wasserstein_max_error: f64,
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
    /// Set when KS and Wasserstein come from a profile's quantile sketch: approximate, within
    /// these bounds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approximate: Option<SketchBound>,
    /// Chi-square homogeneity test on the PSI bins (used by `--method chi2`).
    pub chi2: Option<Chi2Result>,
    pub baseline_missing: MissingCounts,
    pub current_missing: MissingCounts,
    pub missing_rate_change: Option<f64>,
    /// Why a statistic is null (no finite values, a profile without a sketch, ...).
    pub notes: Vec<String>,
}

/// Every statistic of one feature. Bins are the baseline's quantiles (or its profile's
/// edges); a current profile must have been counted against the same edges, which is the one
/// error here.
pub fn analyze_numeric(
    baseline: NumericSide<'_>,
    current: NumericSide<'_>,
    buckets: usize,
) -> Result<NumericDrift> {
    let (baseline_missing, current_missing) = (baseline.missing(), current.missing());
    let missing_rate_change = {
        let change = current_missing.missing_rate() - baseline_missing.missing_rate();
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
        approximate: None,
        chi2: None,
        baseline_missing,
        current_missing,
        missing_rate_change,
        notes: Vec::new(),
    };
    let edges = match &baseline {
        NumericSide::Raw(values) => BinEdges::from_sorted_baseline(&values.sorted, buckets),
        NumericSide::Profile(profile) => baseline.has_values().then(|| profile.edges.clone()),
    };
    let Some(edges) = edges else {
        drift
            .notes
            .push("baseline has no finite values".to_string());
        return Ok(drift);
    };
    drift.bin_cuts = edges.cuts.clone();
    drift.baseline_counts = baseline
        .counts(&edges)
        .context("baseline counts its own edges")?;
    if !current.has_values() {
        drift.notes.push("current has no finite values".to_string());
        return Ok(drift);
    }
    drift.current_counts = current.counts(&edges).context(
        "the current profile was counted against other bin edges than the baseline's; \
         profile the current data with --edges-from the baseline profile",
    )?;
    binned_statistics(&mut drift);
    // Both sides have values here (baseline counts exist, current is not empty).
    match (&baseline, &current) {
        (NumericSide::Raw(base), NumericSide::Raw(cur)) => {
            let distances = two_sample_distances(&base.sorted, &cur.sorted);
            drift.ks = Some(ks_from_statistic(
                base.sorted.len(),
                cur.sorted.len(),
                distances.ks_statistic,
            ));
            drift.wasserstein = Some(distances.wasserstein);
        }
        _ => sketched_statistics(&mut drift, &baseline, &current),
    }
    Ok(drift)
}

/// PSI, JS and chi-square on the bins: exact whatever the sides are.
fn binned_statistics(drift: &mut NumericDrift) {
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
}

/// KS and Wasserstein when a side is a profile: from its quantile sketch, with the bound.
fn sketched_statistics(
    drift: &mut NumericDrift,
    baseline: &NumericSide<'_>,
    current: &NumericSide<'_>,
) {
    let (Some(base), Some(cur)) = (baseline.distribution(), current.distribution()) else {
        drift.notes.push(
            "a profile holds no quantile sketch (written by an older refit): KS and \
             Wasserstein are null"
                .to_string(),
        );
        return;
    };
    let Some(distances) = sketch_distances(base, cur) else {
        return;
    };
    let finite = |counts: &[u64]| counts.iter().sum::<u64>() as usize;
    drift.ks = Some(ks_from_statistic(
        finite(&drift.baseline_counts),
        finite(&drift.current_counts),
        distances.ks_statistic,
    ));
    drift.wasserstein = Some(distances.wasserstein);
    drift.approximate = Some(SketchBound {
        ks_statistic_max_error: distances.ks_max_error,
        wasserstein_max_error: distances.wasserstein_max_error,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn out_of_range_current_values_land_in_outer_bins() {
        let base = NumericValues::from_values(&(0..100).map(f64::from).collect::<Vec<_>>());
        let cur = NumericValues::from_values(&[-50.0, 500.0, 50.0]);
        let d = analyze_numeric(NumericSide::Raw(&base), NumericSide::Raw(&cur), 10).unwrap();
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
        let d = analyze_numeric(NumericSide::Raw(&base), NumericSide::Raw(&cur), 10).unwrap();
        assert!(d.psi.is_none() && d.ks.is_none());
        assert_eq!(d.notes, vec!["current has no finite values".to_string()]);
        assert_eq!(d.current_missing.nan, 1);
    }
}
