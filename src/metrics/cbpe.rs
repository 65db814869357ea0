//! Confidence-based performance estimation (CBPE, as NannyML defines it): a binary model's
//! ROC-AUC, average precision, F1, precision, recall and accuracy estimated on predictions whose
//! outcomes have not arrived, from the scores alone, assuming they are calibrated
//! probabilities. A labelled reference (the model's holdout) fits an isotonic calibration when
//! it helps, and gives each metric's sampling error, which scales as 1/sqrt(n) to the analysed
//! batch; the band is the estimate +- 3 sampling errors, clipped to [0, 1].
//!
//! Pinned to NannyML 0.13.1 (`fixtures/cbpe/make_golden.py`). Intended differences, both where
//! NannyML draws unseeded or differently seeded random numbers: the automatic calibration
//! decision splits the reference into 10 deterministic stratified folds instead of
//! scikit-learn's StratifiedShuffleSplit(random_state=42), and average precision's sampling
//! error resamples with a fixed seed.

use serde::Serialize;

use super::binary::ranking_metrics;

/// Whether the reference scores are recalibrated before estimating.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Calibration {
    /// When calibrating improves the expected calibration error out of sample (NannyML's rule).
    Auto,
    Always,
    Never,
}

/// The metrics CBPE estimates, by their names in refit's reports.
pub const ESTIMATED: [&str; 6] = ["roc_auc", "pr_auc", "f1", "precision", "recall", "accuracy"];

/// NannyML's band: this many sampling errors either side of the estimate.
const SAMPLING_ERROR_RANGE: f64 = 3.0;

/// scikit-learn's IsotonicRegression(increasing=True, out_of_bounds="clip"): a non-decreasing
/// step fit of the labels on the scores (pool adjacent violators), interpolated linearly
/// between its knots.
#[derive(Debug, Clone)]
pub struct IsotonicCalibrator {
    x: Vec<f64>,
    y: Vec<f64>,
}

impl IsotonicCalibrator {
    pub fn fit(scores: &[f64], labels: &[bool]) -> IsotonicCalibrator {
        let mut pairs: Vec<(f64, f64)> = scores
            .iter()
            .zip(labels)
            .map(|(&s, &l)| (s, f64::from(u8::from(l))))
            .collect();
        pairs.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
        // Equal scores become one point: their mean label, weighted by their count.
        let mut x: Vec<f64> = Vec::new();
        let mut sums: Vec<(f64, f64)> = Vec::new();
        for (s, l) in pairs {
            match x.last() {
                Some(&last) if last == s => {
                    let sum = sums.last_mut().expect("a sum per point");
                    sum.0 += l;
                    sum.1 += 1.0;
                }
                _ => {
                    x.push(s);
                    sums.push((l, 1.0));
                }
            }
        }
        // Pool adjacent violators over (mean, weight) blocks.
        let mut blocks: Vec<(f64, f64, usize)> = Vec::with_capacity(x.len());
        for &(sum, weight) in &sums {
            let mut block = (sum / weight, weight, 1usize);
            while let Some(&(mean, w, count)) = blocks.last() {
                if mean < block.0 {
                    break;
                }
                blocks.pop();
                let total = w + block.1;
                block = (
                    (mean * w + block.0 * block.1) / total,
                    total,
                    count + block.2,
                );
            }
            blocks.push(block);
        }
        let y = blocks
            .iter()
            .flat_map(|&(mean, _, count)| std::iter::repeat_n(mean, count))
            .collect();
        IsotonicCalibrator { x, y }
    }

    /// The calibrated probability of `score` (clipped to the fitted range of scores).
    pub fn calibrate(&self, score: f64) -> f64 {
        let (Some(&first), Some(&last)) = (self.x.first(), self.x.last()) else {
            return score;
        };
        let t = score.clamp(first, last);
        let hi = self.x.partition_point(|&x| x < t);
        if hi == 0 || self.x[hi] == t {
            return self.y[hi];
        }
        let lo = hi - 1;
        let slope = (self.y[hi] - self.y[lo]) / (self.x[hi] - self.x[lo]);
        slope * (t - self.x[lo]) + self.y[lo]
    }
}

/// Expected calibration error over equal-count bins of the scores (NannyML's).
fn expected_calibration_error(labels: &[bool], scores: &[f64], bins: &[(usize, usize)]) -> f64 {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    let n = scores.len() as f64;
    bins.iter()
        .map(|&(lo, hi)| {
            let rows = &order[lo..hi];
            let len = rows.len() as f64;
            let mean_score = rows.iter().map(|&i| scores[i]).sum::<f64>() / len;
            let mean_label = rows.iter().filter(|&&i| labels[i]).count() as f64 / len;
            len / n * (mean_score - mean_label).abs()
        })
        .sum()
}

/// NannyML's bin edges: `count` bins of length / count, the last taking the remainder.
fn bin_edges(length: usize, count: usize) -> Vec<(usize, usize)> {
    let count = if length <= 2 * count {
        length / 2
    } else {
        count
    }
    .max(1);
    let size = length / count;
    (0..count)
        .map(|b| {
            (
                b * size,
                if b + 1 == count {
                    length
                } else {
                    (b + 1) * size
                },
            )
        })
        .collect()
}

/// NannyML's rule with deterministic folds: calibrate when the isotonic fit, learnt on nine
/// tenths of the reference and applied to the rest (ten stratified folds, each row tested
/// once), lowers the expected calibration error over 10 bins. One class, or a ROC-AUC above
/// 0.999, needs none.
pub fn needs_calibration(labels: &[bool], scores: &[f64]) -> bool {
    let positives = labels.iter().filter(|&&l| l).count();
    if positives == 0 || positives == labels.len() || labels.len() < 20 {
        return false;
    }
    if ranking_metrics(labels, scores)
        .0
        .is_some_and(|auc| auc > 0.999)
    {
        return false;
    }
    // Rows by score within each class, dealt round-robin into 10 folds (stratified).
    let mut fold = vec![0usize; labels.len()];
    for class in [false, true] {
        let mut rows: Vec<usize> = (0..labels.len()).filter(|&i| labels[i] == class).collect();
        rows.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
        for (rank, row) in rows.into_iter().enumerate() {
            fold[row] = rank % 10;
        }
    }
    let (mut test_labels, mut raw, mut calibrated) = (Vec::new(), Vec::new(), Vec::new());
    for f in 0..10 {
        let (train_x, train_y): (Vec<f64>, Vec<bool>) = (0..labels.len())
            .filter(|&i| fold[i] != f)
            .map(|i| (scores[i], labels[i]))
            .unzip();
        let calibrator = IsotonicCalibrator::fit(&train_x, &train_y);
        for i in (0..labels.len()).filter(|&i| fold[i] == f) {
            test_labels.push(labels[i]);
            raw.push(scores[i]);
            calibrated.push(calibrator.calibrate(scores[i]));
        }
    }
    let bins = bin_edges(raw.len(), 10);
    expected_calibration_error(&test_labels, &raw, &bins)
        > expected_calibration_error(&test_labels, &calibrated, &bins)
}

/// Population standard deviation (numpy's default, ddof = 0).
fn std(values: &[f64]) -> f64 {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    (values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n).sqrt()
}

/// What the reference says about each metric's spread: a standard deviation and the share of
/// rows it applies to; the sampling error on n rows is std / sqrt(n * share).
#[derive(Debug, Clone, Copy)]
struct Spread {
    std: f64,
    share: f64,
}

impl Spread {
    fn error(self, rows: usize) -> Option<f64> {
        let error = self.std / (rows as f64 * self.share).sqrt();
        error.is_finite().then_some(error)
    }
}

/// Resamples for average precision's spread, and the largest resample (NannyML's).
const AP_RESAMPLES: usize = 50;
const AP_MAX_RESAMPLE: usize = 50_000;

/// The estimator fitted on a labelled reference.
#[derive(Debug, Clone)]
pub struct Estimator {
    pub threshold: f64,
    /// Whether the reference scores are recalibrated (the decision, for the report).
    pub calibrated: bool,
    calibrator: Option<IsotonicCalibrator>,
    roc_auc: Option<Spread>,
    /// Standard deviation of AP over resamples, and the resample size.
    pr_auc: Option<(f64, usize)>,
    f1: Option<Spread>,
    precision: Option<Spread>,
    recall: Option<Spread>,
    accuracy: Spread,
}

/// One estimated metric: its value and NannyML's band.
#[derive(Debug, Clone, Serialize)]
pub struct Estimated {
    pub metric: &'static str,
    pub value: Option<f64>,
    pub sampling_error: Option<f64>,
    pub lower: Option<f64>,
    pub upper: Option<f64>,
}

impl Estimator {
    /// Fits on the reference's labels and (uncalibrated) scores; `threshold` classifies.
    pub fn fit(
        labels: &[bool],
        scores: &[f64],
        threshold: f64,
        calibration: Calibration,
    ) -> Estimator {
        let calibrated = match calibration {
            Calibration::Always => true,
            Calibration::Never => false,
            Calibration::Auto => needs_calibration(labels, scores),
        };
        let predicted: Vec<bool> = scores.iter().map(|&s| s >= threshold).collect();
        Estimator {
            threshold,
            calibrated,
            calibrator: calibrated.then(|| IsotonicCalibrator::fit(scores, labels)),
            roc_auc: roc_auc_spread(labels, scores),
            pr_auc: pr_auc_spread(labels, scores),
            f1: confusion_spread(labels, &predicted, Confusion::F1),
            precision: confusion_spread(labels, &predicted, Confusion::Precision),
            recall: confusion_spread(labels, &predicted, Confusion::Recall),
            accuracy: Spread {
                std: std(&labels
                    .iter()
                    .zip(&predicted)
                    .map(|(l, p)| f64::from(u8::from(l == p)))
                    .collect::<Vec<_>>()),
                share: 1.0,
            },
        }
    }

    /// The estimates on `scores` (a batch without outcomes), in [`ESTIMATED`] order.
    pub fn estimate(&self, scores: &[f64]) -> Vec<Estimated> {
        let n = scores.len();
        let probabilities: Vec<f64> = match &self.calibrator {
            Some(c) => scores.iter().map(|&s| c.calibrate(s)).collect(),
            None => scores.to_vec(),
        };
        let predicted: Vec<bool> = scores.iter().map(|&s| s >= self.threshold).collect();
        let (mut tp, mut fp, mut fn_, mut tn) = (0.0, 0.0, 0.0, 0.0);
        for (&p, &positive) in probabilities.iter().zip(&predicted) {
            if positive {
                tp += p;
                fp += 1.0 - p;
            } else {
                fn_ += p;
                tn += 1.0 - p;
            }
        }
        let ratio = |num: f64, den: f64| if den != 0.0 { num / den } else { 0.0 };
        let (roc, ap) = curves(scores, &probabilities);
        let values = [
            (roc, self.roc_auc.and_then(|s| s.error(n))),
            (
                ap,
                self.pr_auc
                    .map(|(std, size)| std * (size as f64 / n as f64).sqrt())
                    .filter(|e| e.is_finite()),
            ),
            (
                Some(ratio(tp, tp + 0.5 * (fp + fn_))),
                self.f1.and_then(|s| s.error(n)),
            ),
            (
                Some(ratio(tp, tp + fp)),
                self.precision.and_then(|s| s.error(n)),
            ),
            (
                Some(ratio(tp, tp + fn_)),
                self.recall.and_then(|s| s.error(n)),
            ),
            (Some(ratio(tp + tn, n as f64)), self.accuracy.error(n)),
        ];
        ESTIMATED
            .iter()
            .zip(values)
            .map(|(&metric, (value, error))| {
                let value = value.filter(|v| v.is_finite() && n > 0);
                let band = |sign: f64| {
                    value
                        .zip(error)
                        .map(|(v, e)| (v + sign * SAMPLING_ERROR_RANGE * e).clamp(0.0, 1.0))
                };
                Estimated {
                    metric,
                    value,
                    sampling_error: error,
                    lower: band(-1.0),
                    upper: band(1.0),
                }
            })
            .collect()
    }
}

/// numpy's round(x, 5): scale, round half to even, unscale.
fn round5(x: f64) -> f64 {
    (x * 1e5).round_ties_even() / 1e5
}

/// Expected ROC-AUC and average precision: rows by descending raw score, each contributing
/// its calibrated probability as an expected positive and the rest as an expected negative
/// (NannyML's estimate_roc_auc and estimate_ap, cumulative counts rounded to 5 decimals).
fn curves(scores: &[f64], probabilities: &[f64]) -> (Option<f64>, Option<f64>) {
    if scores.is_empty() {
        return (None, None);
    }
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    let mut tps = Vec::with_capacity(order.len() + 1);
    let mut fps = Vec::with_capacity(order.len() + 1);
    tps.push(0.0);
    fps.push(0.0);
    let mut cumulative = 0.0;
    for (k, &i) in order.iter().enumerate() {
        cumulative += probabilities[i];
        tps.push(round5(cumulative));
        fps.push(round5(1.0 + k as f64 - cumulative));
    }
    let (tp_total, fp_total) = (tps[tps.len() - 1], fps[fps.len() - 1]);
    let roc = (tp_total > 0.0 && fp_total > 0.0).then(|| {
        (1..tps.len())
            .map(|i| {
                let dx = (fps[i] - fps[i - 1]) / fp_total;
                dx * (tps[i] + tps[i - 1]) / tp_total / 2.0
            })
            .sum()
    });
    // AP: precision at each row (1 before the first), recall steps; ties in recall add 0.
    let ap = (tp_total > 0.0).then(|| {
        (1..tps.len())
            .map(|i| {
                let precision = tps[i] / i as f64;
                (tps[i] - tps[i - 1]) / tp_total * precision
            })
            .sum()
    });
    (roc, ap)
}

/// NannyML's AUROC spread: AUROC as a Mann-Whitney statistic, the standard deviation of each
/// positive's share of negatives ranked below it (the minority class taken as positive).
fn roc_auc_spread(labels: &[bool], scores: &[f64]) -> Option<Spread> {
    let n = labels.len();
    let positives = labels.iter().filter(|&&l| l).count();
    if positives == 0 || positives == n {
        return None;
    }
    let flip = positives as f64 / n as f64 > 0.5;
    let (labels, scores): (Vec<bool>, Vec<f64>) = labels
        .iter()
        .zip(scores)
        .map(|(&l, &s)| if flip { (!l, 1.0 - s) } else { (l, s) })
        .unzip();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    let n_pos = labels.iter().filter(|&&l| l).count();
    let n_neg = (n - n_pos) as f64;
    // numpy: unique(label * rank)[1:], so a positive ranked first (rank 0) is dropped too.
    let ranks: Vec<usize> = order
        .iter()
        .enumerate()
        .filter(|&(rank, &row)| labels[row] && rank > 0)
        .map(|(rank, _)| rank)
        .collect();
    let shares: Vec<f64> = ranks
        .iter()
        .enumerate()
        .map(|(i, &rank)| (rank - i) as f64 / n_neg)
        .collect();
    Some(Spread {
        std: std(&shares),
        share: n_pos as f64 / n as f64,
    })
}

/// Average precision's spread over seeded resamples of half the reference (at most 50,000
/// rows), scaled to a batch by sqrt(resample size / batch size).
fn pr_auc_spread(labels: &[bool], scores: &[f64]) -> Option<(f64, usize)> {
    if !labels.iter().any(|&l| l) {
        return None;
    }
    let size = (labels.len() / 2).min(AP_MAX_RESAMPLE);
    if size == 0 {
        return None;
    }
    let mut state: u64 = 0x5EED_CB9E;
    let mut next = || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    let values: Vec<f64> = (0..AP_RESAMPLES)
        .filter_map(|_| {
            let (y, s): (Vec<bool>, Vec<f64>) = (0..size)
                .map(|_| {
                    let i = (next() % labels.len() as u64) as usize;
                    (labels[i], scores[i])
                })
                .unzip();
            ranking_metrics(&y, &s).1
        })
        .collect();
    (!values.is_empty()).then(|| (std(&values), size))
}

#[derive(Clone, Copy)]
enum Confusion {
    F1,
    Precision,
    Recall,
}

/// NannyML's spreads of F1, precision and recall: each relevant reference row is 1 (a true
/// positive) or 0 (a false positive or negative), F1's scaled by its correcting factor.
fn confusion_spread(labels: &[bool], predicted: &[bool], metric: Confusion) -> Option<Spread> {
    let count = |l: bool, p: bool| {
        labels
            .iter()
            .zip(predicted)
            .filter(|&(&a, &b)| a == l && b == p)
            .count()
    };
    let (tp, fp, fn_) = (count(true, true), count(false, true), count(true, false));
    let n = labels.len() as f64;
    let (ones, zeros, factor, share) = match metric {
        Confusion::F1 => {
            let all = (tp + fp + fn_) as f64;
            let factor = all / ((fn_ + fp) as f64 * 0.5 + tp as f64);
            (tp, fp + fn_, factor, all / n)
        }
        Confusion::Precision => (tp, fp, 1.0, (tp + fp) as f64 / n),
        Confusion::Recall => (tp, fn_, 1.0, (tp + fn_) as f64 / n),
    };
    if ones + zeros == 0 {
        return None;
    }
    let values: Vec<f64> = std::iter::repeat_n(factor, ones)
        .chain(std::iter::repeat_n(0.0, zeros))
        .collect();
    Some(Spread {
        std: std(&values),
        share,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn read(name: &str) -> (Vec<bool>, Vec<f64>) {
        let path = format!("{}/fixtures/cbpe/{name}.csv", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(path).unwrap();
        text.lines()
            .skip(1)
            .map(|line| {
                let (label, score) = line.split_once(',').unwrap();
                (label == "1", score.parse::<f64>().unwrap())
            })
            .unzip()
    }

    fn golden() -> Value {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/cbpe/golden.json");
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    fn nannyml_name(metric: &str) -> &str {
        if metric == "pr_auc" {
            "average_precision"
        } else {
            metric
        }
    }

    #[test]
    fn estimates_and_bands_equal_nannyml_with_calibration_forced_either_way() {
        let golden = golden();
        for case in ["overconfident", "calibrated"] {
            let (labels, scores) = read(&format!("{case}_reference"));
            let (_, analysis) = read(&format!("{case}_analysis"));
            for (mode, calibration) in [
                ("always", Calibration::Always),
                ("never", Calibration::Never),
            ] {
                let estimator = Estimator::fit(&labels, &scores, 0.5, calibration);
                for e in estimator.estimate(&analysis) {
                    let want = &golden["cases"][case][mode][nannyml_name(e.metric)];
                    let close = |got: Option<f64>, key: &str| {
                        let want = want[key].as_f64().unwrap();
                        let got = got.unwrap();
                        assert!(
                            (got - want).abs() < 1e-6,
                            "{case} {mode} {} {key}: {got} vs {want}",
                            e.metric
                        );
                    };
                    close(e.value, "value");
                    if e.metric != "pr_auc" {
                        close(e.sampling_error, "sampling_error");
                        close(e.lower, "lower_confidence_boundary");
                        close(e.upper, "upper_confidence_boundary");
                    }
                }
            }
        }
    }

    /// NannyML decides on random shuffle splits, refit on fixed folds: both calibrate the
    /// overconfident reference; on the calibrated one (ECE 0.020 -> 0.008 in refit's folds,
    /// 0.025 -> 0.031 in NannyML's) refit calibrates and NannyML does not, and refit's
    /// estimates stay inside NannyML's own bands.
    #[test]
    fn the_automatic_decision_and_where_it_differs_from_nannyml() {
        let golden = golden();
        let (labels, scores) = read("overconfident_reference");
        assert!(needs_calibration(&labels, &scores));
        assert_eq!(
            golden["cases"]["overconfident"]["auto"]["needs_calibration"],
            true
        );
        let (labels, scores) = read("calibrated_reference");
        let (_, analysis) = read("calibrated_analysis");
        let estimator = Estimator::fit(&labels, &scores, 0.5, Calibration::Auto);
        assert!(estimator.calibrated);
        for e in estimator.estimate(&analysis) {
            let nannyml = &golden["cases"]["calibrated"]["auto"][nannyml_name(e.metric)];
            let (low, high) = (
                nannyml["lower_confidence_boundary"].as_f64().unwrap(),
                nannyml["upper_confidence_boundary"].as_f64().unwrap(),
            );
            let value = e.value.unwrap();
            assert!(
                low <= value && value <= high,
                "{}: {value} outside [{low}, {high}]",
                e.metric
            );
        }
    }

    /// Where calibration holds (the calibrated reference), each estimate is within its own
    /// band of the metric realized once the labels are known.
    #[test]
    fn a_calibrated_model_s_estimate_brackets_the_realized_metric() {
        let (labels, scores) = read("calibrated_reference");
        let (truth, analysis) = read("calibrated_analysis");
        let realized = super::super::binary::binary_metrics(&truth, &analysis, 0.5);
        let estimator = Estimator::fit(&labels, &scores, 0.5, Calibration::Never);
        for e in estimator.estimate(&analysis) {
            let actual = match e.metric {
                "roc_auc" => realized.roc_auc.unwrap(),
                "pr_auc" => realized.pr_auc.unwrap(),
                "f1" => realized.f1,
                "precision" => realized.precision,
                "recall" => realized.recall,
                _ => realized.accuracy,
            };
            let (low, high) = (e.lower.unwrap(), e.upper.unwrap());
            assert!(
                low <= actual && actual <= high,
                "{}: realized {actual} outside [{low}, {high}]",
                e.metric
            );
        }
    }

    #[test]
    fn isotonic_fit_is_monotone_and_pools_violators() {
        let c = IsotonicCalibrator::fit(&[0.1, 0.2, 0.3, 0.4], &[false, true, false, true]);
        // 0.2 and 0.3 violate the order and pool to 0.5; clipped outside the fitted range.
        assert_eq!(c.calibrate(0.2), 0.5);
        assert_eq!(c.calibrate(0.3), 0.5);
        assert_eq!(c.calibrate(0.0), 0.0);
        assert_eq!(c.calibrate(1.0), 1.0);
        assert!(
            (c.calibrate(0.15) - 0.25).abs() < 1e-15,
            "linear between knots"
        );
    }
}
