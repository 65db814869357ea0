//! Paired bootstrap of a metric difference: both models are scored on the same resampled
//! rows, so the interval reflects how much the comparison itself could move. A resample gives
//! each row a multiplicity (weight); each metric is computed with those weights in one pass
//! over rows pre-sorted by score, so a resample costs O(n), not a sort.

use rayon::prelude::*;
use serde::Serialize;

use crate::stats::quantile::quantile_sorted;

pub use super::metric::{Metric, DECISION_METRICS};

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
        let order = if metric.sorts_by_score() {
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

/// One model's rows laid out for a sequential pass: scores and targets in pass order
/// (descending score for ranking metrics), and where each row's weight lives in the weight
/// vector (`None`: at the same position). Laying rows out once keeps every resample's pass
/// sequential in memory except for at most one gather.
struct Pass {
    scores: Vec<f64>,
    targets: Vec<f64>,
    /// `targets` as 0/1 counts, for the ranking metrics' integer sums.
    positive: Vec<u8>,
    threshold: f64,
    weight_at: Option<Vec<u32>>,
}

impl Pass {
    fn new(
        model: &ScoredModel<'_>,
        targets: &[f64],
        order: Option<&[u32]>,
        weight_at: Option<Vec<u32>>,
    ) -> Pass {
        let (scores, targets) = match order {
            Some(order) => (
                order.iter().map(|&i| model.scores[i as usize]).collect(),
                order.iter().map(|&i| targets[i as usize]).collect(),
            ),
            None => (model.scores.to_vec(), targets.to_vec()),
        };
        let positive = targets.iter().map(|&y| u8::from(y == 1.0)).collect();
        Pass {
            scores,
            targets,
            positive,
            threshold: model.threshold,
            weight_at,
        }
    }

    /// Where the weight of pass position `j` lives.
    #[inline]
    fn weight_index(&self, j: usize) -> usize {
        match &self.weight_at {
            Some(at) => at[j] as usize,
            None => j,
        }
    }
}

/// `metric` of one model with row weights (bootstrap multiplicities, indexed by row); `None`
/// when undefined for these weights (one class only for a ranking metric, ...).
pub fn weighted_metric(
    metric: Metric,
    targets: &[f64],
    model: &ScoredModel<'_>,
    weights: &[u16],
) -> Option<f64> {
    let pass = if metric.sorts_by_score() {
        Pass::new(
            model,
            targets,
            Some(&model.order),
            Some(model.order.clone()),
        )
    } else {
        Pass::new(model, targets, None, None)
    };
    pass_metric(metric, &pass, weights)
}

/// The metric over a pass; `weights[i]` is the weight stored at index `i` (a slice, not a
/// closure, so the hot loops read it inline).
fn pass_metric<W: Copy + Into<u32>>(metric: Metric, pass: &Pass, weights: &[W]) -> Option<f64> {
    let weight = |i: usize| -> u32 { weights[i].into() };
    let (scores, targets) = (&pass.scores, &pass.targets);
    let n = scores.len();
    match metric {
        Metric::RocAuc | Metric::PrAuc => {
            // Weights and labels are integers: integer sums are exact and their additions do
            // not wait on float latency; twice the ROC area is an integer too.
            let roc = metric == Metric::RocAuc;
            let (mut tp, mut fp) = (0u64, 0u64);
            let (mut prev_tp, mut prev_fp) = (0u64, 0u64);
            let mut twice_area = 0u128;
            let mut precision_sum = 0.0f64;
            let mut i = 0;
            while i < n {
                let score = scores[i];
                while i < n && scores[i] == score {
                    let w = u64::from(weight(pass.weight_index(i)));
                    let y = u64::from(pass.positive[i]);
                    tp += w * y;
                    fp += w * (1 - y);
                    i += 1;
                }
                if roc {
                    twice_area += u128::from(fp - prev_fp) * u128::from(tp + prev_tp);
                } else {
                    // Zero when no positive joined (no branch on random labels).
                    precision_sum += (tp - prev_tp) as f64 * tp as f64 / (tp + fp).max(1) as f64;
                }
                prev_tp = tp;
                prev_fp = fp;
            }
            let (tp, fp) = (tp as f64, fp as f64);
            match metric {
                Metric::RocAuc if tp > 0.0 && fp > 0.0 => Some(twice_area as f64 / 2.0 / (tp * fp)),
                Metric::PrAuc if tp > 0.0 => Some(precision_sum / tp),
                _ => None,
            }
        }
        _ => {
            let mut sums = [0.0f64; 4];
            let mut total = 0.0f64;
            for j in 0..n {
                let w = weight(pass.weight_index(j));
                if w == 0 {
                    continue;
                }
                let w = f64::from(w);
                let (y, s) = (targets[j], scores[j]);
                total += w;
                match metric {
                    Metric::LogLoss => {
                        let p = s.clamp(f64::EPSILON, 1.0 - f64::EPSILON);
                        sums[0] -= w * if y == 1.0 { p.ln() } else { (1.0 - p).ln() };
                    }
                    Metric::Brier | Metric::Rmse => sums[0] += w * (s - y) * (s - y),
                    Metric::Mae => sums[0] += w * (s - y).abs(),
                    Metric::Mape if y != 0.0 => {
                        sums[0] += w * ((s - y) / y).abs();
                        sums[1] += w;
                    }
                    Metric::Mape => {}
                    Metric::R2 => {
                        sums[0] += w * (s - y) * (s - y);
                        sums[1] += w * y;
                        sums[2] += w * y * y;
                    }
                    _ => {
                        let predicted = s >= pass.threshold;
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
            let [a, b, c, d] = sums;
            match metric {
                Metric::LogLoss | Metric::Brier | Metric::Mae => Some(a / total),
                Metric::Rmse => Some((a / total).sqrt()),
                // Rows with a zero target are left out, as in `regression_metrics`.
                Metric::Mape => (b > 0.0).then(|| a / b),
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

/// Cumulative probabilities of Poisson(1) at 0..=9; beyond that, 10 (probability < 1e-7).
const POISSON_ONE_CDF: [f64; 10] = [
    0.36787944117144245,
    0.7357588823428847,
    0.9196986029286058,
    0.9810118431238462,
    0.9963401531726563,
    0.9994058151824183,
    0.999916758850712,
    0.9999897508033253,
    0.999998874797402,
    0.9999998885745217,
];

/// The Poisson(1) weight of row `index` in resample `stream`: a pure function of both, so a
/// weight is recomputed where it is needed instead of fetched from a vector (splitmix64's
/// finaliser for the uniform, the CDF table for the count).
#[inline]
fn poisson_one(stream: u64, index: u64) -> u8 {
    let mut z = stream ^ index.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    let u = (z >> 11) as f64 * (1.0 / (1u64 << 53) as f64);
    // The count of CDF steps below u (the table is increasing): the first four without a
    // branch, the rest only for the 1.9% of draws of 4 or more.
    let head: u8 = POISSON_ONE_CDF[..4].iter().map(|&c| u8::from(u >= c)).sum();
    if head < 4 {
        return head;
    }
    head + POISSON_ONE_CDF[4..]
        .iter()
        .map(|&c| u8::from(u >= c))
        .sum::<u8>()
}

/// The Poisson bootstrap (each row weighted by an independent Poisson(1) count; Hanley &
/// MacGibbon 2006, as used for online experiments at scale): the large-sample equivalent of
/// resampling n rows with replacement, without a weight vector per resample. Both models see
/// the same weights (paired). Resample `r`'s weights depend on the seed and `r` only, not on
/// how many threads run the resamples.
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
    // Weights are indexed by the champion's pass position (rows by its descending score for
    // ranking metrics, else row order); the challenger's pass gathers them through its map.
    let (champion_pass, challenger_pass) = if metric.sorts_by_score() {
        let mut position = vec![0u32; n];
        for (p, &row) in champion.order.iter().enumerate() {
            position[row as usize] = p as u32;
        }
        let gather = challenger
            .order
            .iter()
            .map(|&row| position[row as usize])
            .collect();
        (
            Pass::new(champion, targets, Some(&champion.order), None),
            Pass::new(challenger, targets, Some(&challenger.order), Some(gather)),
        )
    } else {
        (
            Pass::new(champion, targets, None, None),
            Pass::new(challenger, targets, None, None),
        )
    };
    // Each resample's weights are drawn once into a buffer both models' passes read.
    let differences: Vec<Option<f64>> = (0..resamples)
        .into_par_iter()
        .map_init(
            || vec![0u8; n],
            |weights, r| {
                let stream = seed ^ (r as u64).wrapping_mul(0xD134_2543_DE82_EF95);
                for (i, w) in weights.iter_mut().enumerate() {
                    *w = poisson_one(stream, i as u64);
                }
                let a = pass_metric(metric, &champion_pass, weights)?;
                let b = pass_metric(metric, &challenger_pass, weights)?;
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

/// The paired bootstrap for a ranking metric: groups (queries, users) are resampled, not rows,
/// since the rows of one user are not independent. `champion[g]` and `challenger[g]` are the
/// metric of group g under each model; each resample weights every group by a Poisson(1)
/// count (as [`paired_bootstrap`] weights rows) and compares the weighted means.
pub fn paired_group_bootstrap(
    champion: &[f64],
    challenger: &[f64],
    resamples: usize,
    seed: u64,
) -> Option<BootstrapInterval> {
    let groups = champion.len().min(challenger.len());
    if groups == 0 || resamples == 0 {
        return None;
    }
    let differences: Vec<Option<f64>> = (0..resamples)
        .into_par_iter()
        .map(|r| {
            let stream = seed ^ (r as u64).wrapping_mul(0xD134_2543_DE82_EF95);
            let (mut total, mut a, mut b) = (0u64, 0.0, 0.0);
            for g in 0..groups {
                let w = poisson_one(stream, g as u64);
                total += u64::from(w);
                a += f64::from(w) * champion[g];
                b += f64::from(w) * challenger[g];
            }
            (total > 0).then(|| (b - a) / total as f64)
        })
        .collect();
    let mut defined: Vec<f64> = differences.iter().flatten().copied().collect();
    if defined.is_empty() {
        return None;
    }
    defined.sort_unstable_by(f64::total_cmp);
    let (low, high) = (
        quantile_sorted(&defined, 0.025),
        quantile_sorted(&defined, 0.975),
    );
    Some(BootstrapInterval {
        resamples,
        seed,
        undefined: resamples - defined.len(),
        difference_low: low,
        difference_high: high,
        improvement_low: low,
        improvement_high: high,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_group_bootstrap_brackets_a_uniform_gain_and_is_seeded() {
        // Every group gains exactly 0.1: every resample's difference is 0.1.
        let champion: Vec<f64> = (0..50).map(|g| f64::from(g % 5) / 10.0).collect();
        let challenger: Vec<f64> = champion.iter().map(|v| v + 0.1).collect();
        let interval = paired_group_bootstrap(&champion, &challenger, 200, 7).unwrap();
        assert!((interval.difference_low - 0.1).abs() < 1e-12);
        assert!((interval.difference_high - 0.1).abs() < 1e-12);
        // Mixed gains: the interval holds the observed mean difference, the same for a seed.
        let mixed: Vec<f64> = champion
            .iter()
            .enumerate()
            .map(|(g, v)| v + if g % 2 == 0 { 0.2 } else { -0.1 })
            .collect();
        let a = paired_group_bootstrap(&champion, &mixed, 500, 3).unwrap();
        assert!(a.difference_low < 0.05 && 0.05 < a.difference_high, "{a:?}");
        let b = paired_group_bootstrap(&champion, &mixed, 500, 3).unwrap();
        assert_eq!(
            (a.difference_low, a.difference_high),
            (b.difference_low, b.difference_high)
        );
        assert!(paired_group_bootstrap(&[], &[], 100, 0).is_none());
    }
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
        let ones = vec![1u16; labels.len()];
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
    fn weighted_mape_leaves_out_zero_targets_like_regression_metrics() {
        let targets = [3.0, -0.5, 0.0, 7.0];
        let predictions = [2.5, 0.0, 1.0, 8.0];
        let model = ScoredModel::new(&predictions, 0.5, Metric::Mape);
        let want = regression_metrics(&targets, &predictions).mape.unwrap();
        let got = weighted_metric(Metric::Mape, &targets, &model, &[1; 4]).unwrap();
        assert!((got - want).abs() < 1e-12, "{got} vs {want}");
        // Repeating the first row twice weighs it twice.
        let got = weighted_metric(Metric::Mape, &targets, &model, &[2, 1, 1, 0]).unwrap();
        let want = (2.0 * (0.5 / 3.0) + 1.0) / 3.0;
        assert!((got - want).abs() < 1e-12, "{got} vs {want}");
        let zeros = [0.0; 4];
        assert_eq!(weighted_metric(Metric::Mape, &zeros, &model, &[1; 4]), None);
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
    fn poisson_weights_have_mean_and_variance_one() {
        let n = 1_000_000;
        let draws: Vec<f64> = (0..n).map(|i| f64::from(poisson_one(42, i))).collect();
        let mean = draws.iter().sum::<f64>() / n as f64;
        let variance = draws.iter().map(|w| (w - mean).powi(2)).sum::<f64>() / n as f64;
        assert!((mean - 1.0).abs() < 0.005, "mean {mean}");
        assert!((variance - 1.0).abs() < 0.01, "variance {variance}");
        let zeros = draws.iter().filter(|&&w| w == 0.0).count() as f64 / n as f64;
        assert!((zeros - (-1.0f64).exp()).abs() < 0.002, "P(0) {zeros}");
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
