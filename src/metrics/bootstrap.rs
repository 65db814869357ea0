//! Paired bootstrap of a metric difference: both models are scored on the same resampled
//! rows, so the interval reflects how much the comparison itself could move. A resample is a
//! vector of row multiplicities; each metric is computed with those weights in one pass over
//! rows pre-sorted by score, so a resample costs O(n), not a sort.

use rayon::prelude::*;
use serde::Serialize;

use crate::stats::quantile::quantile_sorted;

/// Metrics shadow-test can decide on; ranking metrics need the rows sorted by score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    RocAuc,
    PrAuc,
    LogLoss,
    Brier,
    F1,
    Accuracy,
    Precision,
    Recall,
    Mae,
    Rmse,
    R2,
}

pub const DECISION_METRICS: &str =
    "roc_auc, pr_auc, log_loss, brier, f1, accuracy, precision, recall, mae, rmse, r2";

impl Metric {
    pub fn parse(name: &str) -> Option<Metric> {
        Some(match name {
            "roc_auc" => Metric::RocAuc,
            "pr_auc" => Metric::PrAuc,
            "log_loss" => Metric::LogLoss,
            "brier" => Metric::Brier,
            "f1" => Metric::F1,
            "accuracy" => Metric::Accuracy,
            "precision" => Metric::Precision,
            "recall" => Metric::Recall,
            "mae" => Metric::Mae,
            "rmse" => Metric::Rmse,
            "r2" => Metric::R2,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Metric::RocAuc => "roc_auc",
            Metric::PrAuc => "pr_auc",
            Metric::LogLoss => "log_loss",
            Metric::Brier => "brier",
            Metric::F1 => "f1",
            Metric::Accuracy => "accuracy",
            Metric::Precision => "precision",
            Metric::Recall => "recall",
            Metric::Mae => "mae",
            Metric::Rmse => "rmse",
            Metric::R2 => "r2",
        }
    }

    pub fn higher_is_better(self) -> bool {
        !matches!(
            self,
            Metric::LogLoss | Metric::Brier | Metric::Mae | Metric::Rmse
        )
    }

    pub fn is_regression(self) -> bool {
        matches!(self, Metric::Mae | Metric::Rmse | Metric::R2)
    }
}

/// One model's side of the comparison.
pub struct ScoredModel<'a> {
    pub scores: &'a [f64],
    /// Binary decisions are score >= threshold.
    pub threshold: f64,
    /// Row indices by descending score (ranking metrics only).
    pub order: Vec<u32>,
}

impl<'a> ScoredModel<'a> {
    pub fn new(scores: &'a [f64], threshold: f64, metric: Metric) -> ScoredModel<'a> {
        let order = if matches!(metric, Metric::RocAuc | Metric::PrAuc) {
            let mut order: Vec<u32> = (0..scores.len() as u32).collect();
            order.sort_unstable_by(|&a, &b| scores[b as usize].total_cmp(&scores[a as usize]));
            order
        } else {
            Vec::new()
        };
        ScoredModel {
            scores,
            threshold,
            order,
        }
    }
}

/// `metric` of one model with row weights (bootstrap multiplicities); `None` when undefined
/// for this resample (one class only for a ranking metric, no predicted positives, ...).
pub fn weighted_metric(
    metric: Metric,
    targets: &[f64],
    model: &ScoredModel<'_>,
    weights: &[u32],
) -> Option<f64> {
    let scores = model.scores;
    match metric {
        Metric::RocAuc | Metric::PrAuc => {
            let (mut tp, mut fp) = (0.0f64, 0.0f64);
            let (mut prev_tp, mut prev_fp) = (0.0f64, 0.0f64);
            let (mut area, mut precision_sum) = (0.0f64, 0.0f64);
            let order = &model.order;
            let mut i = 0;
            while i < order.len() {
                let score = scores[order[i] as usize];
                while i < order.len() && scores[order[i] as usize] == score {
                    let row = order[i] as usize;
                    let w = f64::from(weights[row]);
                    if targets[row] == 1.0 {
                        tp += w;
                    } else {
                        fp += w;
                    }
                    i += 1;
                }
                area += (fp - prev_fp) * (tp + prev_tp) / 2.0;
                if tp > prev_tp {
                    precision_sum += (tp - prev_tp) * tp / (tp + fp);
                }
                prev_tp = tp;
                prev_fp = fp;
            }
            match metric {
                Metric::RocAuc if tp > 0.0 && fp > 0.0 => Some(area / (tp * fp)),
                Metric::PrAuc if tp > 0.0 => Some(precision_sum / tp),
                _ => None,
            }
        }
        _ => {
            let mut sums = [0.0f64; 6];
            let mut total = 0.0f64;
            for ((&y, &s), &w) in targets.iter().zip(scores).zip(weights) {
                if w == 0 {
                    continue;
                }
                let w = f64::from(w);
                total += w;
                match metric {
                    Metric::LogLoss => {
                        let p = s.clamp(f64::EPSILON, 1.0 - f64::EPSILON);
                        sums[0] -= w * if y == 1.0 { p.ln() } else { (1.0 - p).ln() };
                    }
                    Metric::Brier => sums[0] += w * (s - y) * (s - y),
                    Metric::Mae => sums[0] += w * (s - y).abs(),
                    Metric::Rmse => sums[0] += w * (s - y) * (s - y),
                    Metric::R2 => {
                        sums[0] += w * (s - y) * (s - y);
                        sums[1] += w * y;
                        sums[2] += w * y * y;
                    }
                    _ => {
                        let predicted = s >= model.threshold;
                        let actual = y == 1.0;
                        // tp, fp, fn, correct
                        sums[0] += w * f64::from(u8::from(predicted && actual));
                        sums[1] += w * f64::from(u8::from(predicted && !actual));
                        sums[2] += w * f64::from(u8::from(!predicted && actual));
                        sums[3] += w * f64::from(u8::from(predicted == actual));
                    }
                }
            }
            if total == 0.0 {
                return None;
            }
            let [a, b, c, d, ..] = sums;
            match metric {
                Metric::LogLoss | Metric::Brier | Metric::Mae => Some(a / total),
                Metric::Rmse => Some((a / total).sqrt()),
                Metric::R2 => {
                    let total_ss = c - b * b / total;
                    (total_ss > 0.0).then(|| 1.0 - a / total_ss)
                }
                Metric::Accuracy => Some(d / total),
                Metric::Precision => Some(if a + b > 0.0 { a / (a + b) } else { 0.0 }),
                Metric::Recall => Some(if a + c > 0.0 { a / (a + c) } else { 0.0 }),
                Metric::F1 => Some(if a > 0.0 {
                    2.0 * a / (2.0 * a + b + c)
                } else {
                    0.0
                }),
                _ => unreachable!("ranking metrics are handled above"),
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BootstrapInterval {
    pub resamples: usize,
    pub seed: u64,
    /// Resamples where the metric was undefined for a model (e.g. one class only), left out.
    pub undefined: usize,
    /// Challenger minus champion, in the metric's units: 2.5% and 97.5% percentiles.
    pub difference_low: f64,
    pub difference_high: f64,
    /// The same interval oriented so that positive means "challenger better".
    pub improvement_low: f64,
    pub improvement_high: f64,
}

/// splitmix64: a tiny RNG whose stream is the same on every machine and version.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in 0..n (multiply-shift; the bias is below 2^-32 for any n that fits in RAM).
    fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next()) * n as u128) >> 64) as usize
    }
}

/// Resample `r` draws its rows from its own stream, so results depend on the seed only, not
/// on how many threads run the resamples.
pub fn paired_bootstrap(
    metric: Metric,
    targets: &[f64],
    champion: &ScoredModel<'_>,
    challenger: &ScoredModel<'_>,
    resamples: usize,
    seed: u64,
) -> Option<BootstrapInterval> {
    let n = targets.len();
    if n == 0 || resamples == 0 {
        return None;
    }
    let differences: Vec<Option<f64>> = (0..resamples)
        .into_par_iter()
        .map_init(
            || vec![0u32; n],
            |weights, r| {
                weights.fill(0);
                let mut rng = SplitMix(seed ^ (r as u64).wrapping_mul(0xD134_2543_DE82_EF95));
                for _ in 0..n {
                    weights[rng.below(n)] += 1;
                }
                let a = weighted_metric(metric, targets, champion, weights)?;
                let b = weighted_metric(metric, targets, challenger, weights)?;
                Some(b - a)
            },
        )
        .collect();
    let mut defined: Vec<f64> = differences.iter().flatten().copied().collect();
    let undefined = resamples - defined.len();
    if defined.is_empty() {
        return None;
    }
    defined.sort_unstable_by(f64::total_cmp);
    let low = quantile_sorted(&defined, 0.025);
    let high = quantile_sorted(&defined, 0.975);
    let (improvement_low, improvement_high) = if metric.higher_is_better() {
        (low, high)
    } else {
        (-high, -low)
    };
    Some(BootstrapInterval {
        resamples,
        seed,
        undefined,
        difference_low: low,
        difference_high: high,
        improvement_low,
        improvement_high,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::{binary_metrics, regression_metrics};

    fn sample() -> (Vec<f64>, Vec<f64>) {
        let labels = vec![0.0, 0.0, 1.0, 1.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0];
        let scores = vec![0.1, 0.4, 0.4, 0.8, 0.35, 0.9, 0.7, 0.2, 0.6, 0.5];
        (labels, scores)
    }

    #[test]
    fn unit_weights_reproduce_the_sklearn_pinned_metrics() {
        let (labels, scores) = sample();
        let bools: Vec<bool> = labels.iter().map(|&y| y == 1.0).collect();
        let reference = binary_metrics(&bools, &scores, 0.5);
        let ones = vec![1u32; labels.len()];
        for (metric, want) in [
            (Metric::RocAuc, reference.roc_auc.unwrap()),
            (Metric::PrAuc, reference.pr_auc.unwrap()),
            (Metric::LogLoss, reference.log_loss),
            (Metric::Brier, reference.brier),
            (Metric::F1, reference.f1),
            (Metric::Accuracy, reference.accuracy),
            (Metric::Precision, reference.precision),
            (Metric::Recall, reference.recall),
        ] {
            let model = ScoredModel::new(&scores, 0.5, metric);
            let got = weighted_metric(metric, &labels, &model, &ones).unwrap();
            assert!((got - want).abs() < 1e-12, "{metric:?}: {got} vs {want}");
        }
        let targets = [3.0, -0.5, 2.0, 7.0];
        let predictions = [2.5, 0.0, 2.0, 8.0];
        let reference = regression_metrics(&targets, &predictions);
        for (metric, want) in [
            (Metric::Mae, reference.mae),
            (Metric::Rmse, reference.rmse),
            (Metric::R2, reference.r2.unwrap()),
        ] {
            let model = ScoredModel::new(&predictions, 0.5, metric);
            let got = weighted_metric(metric, &targets, &model, &[1; 4]).unwrap();
            assert!((got - want).abs() < 1e-12, "{metric:?}: {got} vs {want}");
        }
    }

    #[test]
    fn weights_act_as_repeated_rows() {
        let (labels, scores) = sample();
        let weights = [2, 0, 1, 3, 0, 1, 1, 2, 0, 1];
        let mut rep_labels = Vec::new();
        let mut rep_scores = Vec::new();
        for (i, &w) in weights.iter().enumerate() {
            for _ in 0..w {
                rep_labels.push(labels[i]);
                rep_scores.push(scores[i]);
            }
        }
        for metric in [Metric::RocAuc, Metric::PrAuc, Metric::LogLoss, Metric::F1] {
            let weighted = weighted_metric(
                metric,
                &labels,
                &ScoredModel::new(&scores, 0.5, metric),
                &weights,
            );
            let ones = vec![1; rep_labels.len()];
            let repeated = weighted_metric(
                metric,
                &rep_labels,
                &ScoredModel::new(&rep_scores, 0.5, metric),
                &ones,
            );
            assert!(
                (weighted.unwrap() - repeated.unwrap()).abs() < 1e-12,
                "{metric:?}"
            );
        }
    }

    #[test]
    fn bootstrap_is_reproducible_and_oriented() {
        let (labels, scores) = sample();
        let worse: Vec<f64> = scores.iter().map(|s| 1.0 - s).collect();
        let metric = Metric::LogLoss;
        let champion = ScoredModel::new(&worse, 0.5, metric);
        let challenger = ScoredModel::new(&scores, 0.5, metric);
        let a = paired_bootstrap(metric, &labels, &champion, &challenger, 200, 7).unwrap();
        let b = paired_bootstrap(metric, &labels, &champion, &challenger, 200, 7).unwrap();
        assert_eq!(a, b);
        // Lower log loss is better: the improvement interval is the negated difference.
        assert_eq!(a.improvement_low, -a.difference_high);
        assert!(a.improvement_low <= a.improvement_high);
    }
}
