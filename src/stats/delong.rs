//! DeLong's test for two correlated ROC-AUCs on the same rows, by Sun & Xu's fast midrank
//! algorithm, as R's `pROC::roc.test(paired = TRUE)` computes it. Pinned to MLstatkit's
//! `Delong_test` (fixtures/shadow/make_fixtures.py).

use ndarray::{array, stack, Array1, Array2, ArrayView2, Axis};
use serde::Serialize;

use super::special::chi_square_survival;

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct DeLongResult {
    pub auc_a: f64,
    pub auc_b: f64,
    /// (AUC_b - AUC_a) / its standard error.
    pub z: f64,
    /// Two-sided.
    pub p_value: f64,
    pub variance_of_difference: f64,
}

/// 1-based ranks with ties given their average rank.
fn midranks(values: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_unstable_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut ranks = vec![0.0; values.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && values[order[j + 1]] == values[order[i]] {
            j += 1;
        }
        let rank = (i + j) as f64 / 2.0 + 1.0;
        for &k in &order[i..=j] {
            ranks[k] = rank;
        }
        i = j + 1;
    }
    ranks
}

/// Per model: AUC and the structural components V10 (per positive) and V01 (per negative).
fn components(labels: &[bool], scores: &[f64]) -> (f64, Array1<f64>, Array1<f64>) {
    let positives: Vec<f64> = labels
        .iter()
        .zip(scores)
        .filter(|(y, _)| **y)
        .map(|(_, &s)| s)
        .collect();
    let negatives: Vec<f64> = labels
        .iter()
        .zip(scores)
        .filter(|(y, _)| !**y)
        .map(|(_, &s)| s)
        .collect();
    let (m, n) = (positives.len() as f64, negatives.len() as f64);
    let combined: Vec<f64> = positives.iter().chain(&negatives).copied().collect();
    let tz = midranks(&combined);
    let tx = midranks(&positives);
    let ty = midranks(&negatives);
    let v10 = (0..positives.len()).map(|i| (tz[i] - tx[i]) / n).collect();
    let v01 = (0..negatives.len())
        .map(|j| 1.0 - (tz[positives.len() + j] - ty[j]) / m)
        .collect();
    let auc = (tz[..positives.len()].iter().sum::<f64>() - m * (m + 1.0) / 2.0) / (m * n);
    (auc, v10, v01)
}

/// Covariance matrix of the rows of `v` (n - 1 in the denominator), as `numpy.cov`.
fn covariance(v: ArrayView2<f64>) -> Array2<f64> {
    let means = v.mean_axis(Axis(1)).expect("at least one column");
    let centered = &v - &means.insert_axis(Axis(1));
    centered.dot(&centered.t()) / (v.ncols() as f64 - 1.0)
}

/// `None` with fewer than two positives or two negatives, or when the difference has no
/// variance (identical rankings): the test is undefined there.
pub fn delong_paired_test(
    labels: &[bool],
    scores_a: &[f64],
    scores_b: &[f64],
) -> Option<DeLongResult> {
    let positives = labels.iter().filter(|&&y| y).count();
    if positives < 2 || labels.len() - positives < 2 {
        return None;
    }
    let (auc_a, v10_a, v01_a) = components(labels, scores_a);
    let (auc_b, v10_b, v01_b) = components(labels, scores_b);
    let (m, n) = (positives as f64, (labels.len() - positives) as f64);
    // One row per model: S = S10 / m + S01 / n is the covariance of (AUC_a, AUC_b), and
    // Var(AUC_b - AUC_a) = c' S c for the contrast c = (-1, 1).
    let s10 = covariance(stack![Axis(0), v10_a, v10_b].view());
    let s01 = covariance(stack![Axis(0), v01_a, v01_b].view());
    let contrast = array![-1.0, 1.0];
    let variance = contrast.dot(&(s10 / m + s01 / n).dot(&contrast));
    if variance.is_nan() || variance <= 0.0 {
        return None;
    }
    let z = (auc_b - auc_a) / variance.sqrt();
    Some(DeLongResult {
        auc_a,
        auc_b,
        z,
        p_value: chi_square_survival(z * z, 1.0),
        variance_of_difference: variance,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn midranks_average_ties() {
        assert_eq!(midranks(&[3.0, 1.0, 3.0, 2.0]), vec![3.5, 1.0, 3.5, 2.0]);
    }

    #[test]
    fn identical_models_have_no_test() {
        let labels = [true, false, true, false, true];
        let scores = [0.9, 0.1, 0.4, 0.5, 0.7];
        assert!(delong_paired_test(&labels, &scores, &scores).is_none());
        assert!(delong_paired_test(&[true, false], &[0.1, 0.2], &[0.2, 0.1]).is_none());
    }
}
