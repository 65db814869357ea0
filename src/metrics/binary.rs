//! Binary classification metrics with scikit-learn's definitions, ties included.

use serde::Serialize;

/// Probabilities are clipped to [eps, 1 - eps] for log loss, so one confident mistake gives a
/// large finite loss instead of infinity (scikit-learn's `eps="auto"` for float64).
const LOG_LOSS_EPS: f64 = f64::EPSILON;

/// Calibration bins (uniform on [0, 1], as `sklearn.calibration.calibration_curve`).
pub const CALIBRATION_BINS: usize = 10;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CalibrationBin {
    pub lower: f64,
    pub upper: f64,
    pub count: u64,
    pub mean_predicted: Option<f64>,
    pub fraction_positive: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BinaryMetrics {
    pub rows: u64,
    pub positives: u64,
    /// Null (with `undefined`) when only one class is present.
    pub roc_auc: Option<f64>,
    /// Average precision, scikit-learn's step-function definition (not trapezoidal).
    pub pr_auc: Option<f64>,
    pub log_loss: f64,
    pub brier: f64,
    pub threshold: f64,
    pub accuracy: f64,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    /// Share of rows predicted positive at the threshold.
    pub positive_rate: f64,
    /// Share of rows whose label is positive.
    pub base_rate: f64,
    pub calibration: Vec<CalibrationBin>,
    /// Why a metric is null.
    pub undefined: Vec<String>,
}

/// Calls `visit(threshold, tp, fp)` for each distinct score from the highest down, with the
/// cumulative true and false positives of predicting positive at `score >= threshold`: tied
/// scores form one threshold, exactly as `roc_curve`/`precision_recall_curve` group them.
pub fn for_each_threshold(labels: &[bool], scores: &[f64], mut visit: impl FnMut(f64, f64, f64)) {
    if scores.iter().any(|s| !s.is_finite()) {
        return for_each_threshold_by_pairs(labels, scores, visit);
    }
    // Positives' and negatives' scores radix-sorted apart, then merged from the top: two
    // sorts of plain floats instead of one comparison sort of (score, label) pairs.
    let (mut positive, mut negative) = (Vec::new(), Vec::new());
    for (&score, &label) in scores.iter().zip(labels) {
        if label {
            positive.push(score);
        } else {
            negative.push(score);
        }
    }
    crate::stats::sort_finite(&mut positive);
    crate::stats::sort_finite(&mut negative);
    let (mut i, mut j) = (positive.len(), negative.len());
    let (mut tp, mut fp) = (0.0f64, 0.0f64);
    while i > 0 || j > 0 {
        let score = match (i.checked_sub(1), j.checked_sub(1)) {
            (Some(a), Some(b)) if positive[a].total_cmp(&negative[b]).is_ge() => positive[a],
            (Some(_), Some(b)) => negative[b],
            (Some(a), None) => positive[a],
            (None, Some(b)) => negative[b],
            (None, None) => break,
        };
        // `==` groups -0.0 with 0.0, as the pair sort's walk does.
        while i > 0 && positive[i - 1] == score {
            tp += 1.0;
            i -= 1;
        }
        while j > 0 && negative[j - 1] == score {
            fp += 1.0;
            j -= 1;
        }
        visit(score, tp, fp);
    }
}

/// [`for_each_threshold`] for scores that are not all finite: one sort of (score, label) pairs.
fn for_each_threshold_by_pairs(
    labels: &[bool],
    scores: &[f64],
    mut visit: impl FnMut(f64, f64, f64),
) {
    let mut ranked: Vec<(f64, bool)> = scores.iter().copied().zip(labels.iter().copied()).collect();
    ranked.sort_unstable_by(|a, b| b.0.total_cmp(&a.0));
    let (mut tp, mut fp) = (0.0f64, 0.0f64);
    let mut i = 0;
    while i < ranked.len() {
        let score = ranked[i].0;
        while i < ranked.len() && ranked[i].0 == score {
            if ranked[i].1 {
                tp += 1.0;
            } else {
                fp += 1.0;
            }
            i += 1;
        }
        visit(score, tp, fp);
    }
}

/// ROC-AUC and average precision from one pass over the thresholds.
pub fn ranking_metrics(labels: &[bool], scores: &[f64]) -> (Option<f64>, Option<f64>) {
    let positives = labels.iter().filter(|&&y| y).count() as f64;
    let negatives = labels.len() as f64 - positives;
    let (mut prev_tp, mut prev_fp) = (0.0f64, 0.0f64);
    let (mut roc_area, mut average_precision) = (0.0f64, 0.0f64);
    for_each_threshold(labels, scores, |_, tp, fp| {
        roc_area += (fp - prev_fp) * (tp + prev_tp) / 2.0;
        if positives > 0.0 {
            average_precision += (tp - prev_tp) / positives * (tp / (tp + fp));
        }
        prev_tp = tp;
        prev_fp = fp;
    });
    let roc_auc = (positives > 0.0 && negatives > 0.0).then(|| roc_area / (positives * negatives));
    let pr_auc = (positives > 0.0).then_some(average_precision);
    (roc_auc, pr_auc)
}

/// One operating point: predicting positive at `score >= threshold`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CurvePoint {
    pub threshold: f64,
    pub fpr: f64,
    pub tpr: f64,
    pub precision: f64,
}

/// ROC and precision-recall operating points at every distinct score (as `roc_curve` with
/// `drop_intermediate=False`), thinned to at most `max_points` evenly spaced ones plus the
/// last, for charts. Empty when a class is missing.
pub fn curve_points(labels: &[bool], scores: &[f64], max_points: usize) -> Vec<CurvePoint> {
    let positives = labels.iter().filter(|&&y| y).count() as f64;
    let negatives = labels.len() as f64 - positives;
    if positives == 0.0 || negatives == 0.0 {
        return Vec::new();
    }
    let mut points = Vec::new();
    for_each_threshold(labels, scores, |threshold, tp, fp| {
        points.push(CurvePoint {
            threshold,
            fpr: fp / negatives,
            tpr: tp / positives,
            precision: tp / (tp + fp),
        });
    });
    if points.len() > max_points && max_points >= 2 {
        let last = points.len() - 1;
        let step = last as f64 / (max_points - 1) as f64;
        points = (0..max_points)
            .map(|k| points[((k as f64 * step).round() as usize).min(last)])
            .collect();
    }
    points
}

pub fn log_loss(labels: &[bool], scores: &[f64]) -> f64 {
    let total: f64 = labels
        .iter()
        .zip(scores)
        .map(|(&y, &p)| {
            let p = p.clamp(LOG_LOSS_EPS, 1.0 - LOG_LOSS_EPS);
            if y {
                -p.ln()
            } else {
                -(1.0 - p).ln()
            }
        })
        .sum();
    total / labels.len() as f64
}

pub fn brier_score(labels: &[bool], scores: &[f64]) -> f64 {
    let total: f64 = labels
        .iter()
        .zip(scores)
        .map(|(&y, &p)| {
            let d = p - f64::from(u8::from(y));
            d * d
        })
        .sum();
    total / labels.len() as f64
}

/// `calibration_curve(strategy="uniform", n_bins)`, keeping empty bins (count 0, nulls).
pub fn calibration_table(labels: &[bool], scores: &[f64], bins: usize) -> Vec<CalibrationBin> {
    let edges: Vec<f64> = crate::stats::quantile::linspace_unit(bins);
    let inner = &edges[1..bins];
    let mut sums = vec![0.0f64; bins];
    let mut trues = vec![0u64; bins];
    let mut counts = vec![0u64; bins];
    for (&y, &p) in labels.iter().zip(scores) {
        // np.searchsorted(inner, p) with side="left": the number of inner edges below p.
        let bin = inner.partition_point(|&e| e < p);
        sums[bin] += p;
        trues[bin] += u64::from(y);
        counts[bin] += 1;
    }
    (0..bins)
        .map(|b| CalibrationBin {
            lower: edges[b],
            upper: edges[b + 1],
            count: counts[b],
            mean_predicted: (counts[b] > 0).then(|| sums[b] / counts[b] as f64),
            fraction_positive: (counts[b] > 0).then(|| trues[b] as f64 / counts[b] as f64),
        })
        .collect()
}

/// Every binary metric; a row is predicted positive when `score >= threshold`.
/// Precision with no predicted positives is 0, as scikit-learn's `zero_division` default.
pub fn binary_metrics(labels: &[bool], scores: &[f64], threshold: f64) -> BinaryMetrics {
    debug_assert_eq!(labels.len(), scores.len());
    let n = labels.len();
    let (roc_auc, pr_auc) = ranking_metrics(labels, scores);
    let (mut tp, mut fp, mut tn, mut fn_) = (0u64, 0u64, 0u64, 0u64);
    for (&y, &p) in labels.iter().zip(scores) {
        match (y, p >= threshold) {
            (true, true) => tp += 1,
            (false, true) => fp += 1,
            (false, false) => tn += 1,
            (true, false) => fn_ += 1,
        }
    }
    let ratio = |a: u64, b: u64| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    let precision = ratio(tp, tp + fp);
    let recall = ratio(tp, tp + fn_);
    let f1 = ratio(2 * tp, 2 * tp + fp + fn_);
    let positives = tp + fn_;
    let mut undefined = Vec::new();
    if roc_auc.is_none() {
        let class = if positives == 0 {
            "negative"
        } else {
            "positive"
        };
        undefined.push(format!("roc_auc: every label is {class} (one class only)"));
    }
    if pr_auc.is_none() {
        undefined.push("pr_auc: no positive labels".to_string());
    }
    BinaryMetrics {
        rows: n as u64,
        positives,
        roc_auc,
        pr_auc,
        log_loss: log_loss(labels, scores),
        brier: brier_score(labels, scores),
        threshold,
        accuracy: ratio(tp + tn, n as u64),
        precision,
        recall,
        f1,
        positive_rate: ratio(tp + fp, n as u64),
        base_rate: ratio(positives, n as u64),
        calibration: calibration_table(labels, scores, CALIBRATION_BINS),
        undefined,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_merged_walk_visits_the_thresholds_the_pair_sort_does() {
        let scores: Vec<f64> = (0..3000)
            .map(|i| match i % 7 {
                0 => 0.0,
                1 => -0.0,
                2 => 0.5,
                k => ((i as f64 * 0.61).sin() * k as f64 * 4.0).round() / 4.0,
            })
            .collect();
        let labels: Vec<bool> = (0..3000).map(|i| (i * 7919) % 3 == 0).collect();
        let walk = |by_pairs: bool| {
            let mut seen = Vec::new();
            let visit = |t: f64, tp: f64, fp: f64| seen.push((t.to_bits(), tp, fp));
            if by_pairs {
                super::for_each_threshold_by_pairs(&labels, &scores, visit);
            } else {
                super::for_each_threshold(&labels, &scores, visit);
            }
            seen
        };
        assert_eq!(walk(false), walk(true));
    }

    use super::*;

    #[test]
    fn curve_walks_distinct_scores_and_thins() {
        let labels = [true, false, true, false];
        let scores = [0.9, 0.8, 0.8, 0.1];
        let points = curve_points(&labels, &scores, 100);
        assert_eq!(points.len(), 3);
        assert_eq!((points[1].fpr, points[1].tpr), (0.5, 1.0));
        assert_eq!(points[2].fpr, 1.0);
        let many: Vec<f64> = (0..1000).map(|i| f64::from(i) / 1000.0).collect();
        let labels: Vec<bool> = (0..1000).map(|i| i % 3 == 0).collect();
        let thin = curve_points(&labels, &many, 101);
        assert_eq!(thin.len(), 101);
        assert_eq!(thin.last().unwrap().fpr, 1.0);
        assert!(curve_points(&[true], &[0.5], 10).is_empty());
    }

    #[test]
    fn roc_auc_with_ties_matches_sklearn() {
        // roc_auc_score([0, 0, 1, 1, 1, 0], [0.1, 0.4, 0.4, 0.8, 0.4, 0.9]) == 0.5555555555555556
        // average_precision_score(same) == 0.5666666666666667
        let y = [false, false, true, true, true, false];
        let s = [0.1, 0.4, 0.4, 0.8, 0.4, 0.9];
        let (auc, ap) = ranking_metrics(&y, &s);
        assert!((auc.unwrap() - 0.5555555555555556).abs() < 1e-15, "{auc:?}");
        assert!((ap.unwrap() - 0.5666666666666667).abs() < 1e-15, "{ap:?}");
    }

    #[test]
    fn one_class_makes_roc_auc_undefined() {
        let m = binary_metrics(&[true, true], &[0.2, 0.9], 0.5);
        assert!(m.roc_auc.is_none());
        assert_eq!(m.pr_auc, Some(1.0));
        assert_eq!(m.undefined.len(), 1);
        let m = binary_metrics(&[false, false], &[0.2, 0.9], 0.5);
        assert!(m.roc_auc.is_none() && m.pr_auc.is_none());
    }

    #[test]
    fn threshold_metrics_keep_their_names() {
        let m = binary_metrics(&[true, false, true, false], &[0.9, 0.8, 0.3, 0.1], 0.5);
        assert_eq!((m.accuracy, m.precision, m.recall), (0.5, 0.5, 0.5));
        assert_eq!(m.positive_rate, 0.5);
    }
}
