//! A mergeable quantile sketch that carries its own rank-error bound.
//!
//! The sketch is a list of distinct values, ascending, each standing for a number of rows.
//! Its rank of `x` is the weight at or below `x`; `max_rank_error` bounds, in rows, how far
//! that is from the true count of values `<= x` for every `x`, and it is exact bookkeeping,
//! not a probability: a sketch made from one shard starts at 0; merging adds the parts'
//! bounds; each compaction to at most [`SKETCH_CAPACITY`] values adds the largest weight it
//! moved across a value (at most `2n / capacity`, half that in practice). A merge of shard
//! sketches (one compaction each, one for the merge) is therefore within about `4n / 2048`
//! rows, 0.2% of the rank, and the profile states the bound it actually reached.
//!
//! The choice against KLL or t-digest: KLL bounds the error only with high probability and
//! t-digest only in practice, and both depend on the merge order. This one is deterministic:
//! a merge is a function of the multiset of its parts (commutative exactly, associative
//! within the bound), and a Python port (scripts/spark/) follows the same rule.

use serde::{Deserialize, Serialize};

use super::quantile::quantile_by_rank;

/// At most this many values per sketch: a numeric feature's sketch is ~50 KB of JSON.
pub const SKETCH_CAPACITY: usize = 2048;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuantileSketch {
    /// Distinct finite values, ascending; each is one of the data's values.
    pub values: Vec<f64>,
    /// Rows each value stands for (same length as `values`, all positive).
    pub weights: Vec<u64>,
    /// |rank estimate - true rank| <= this many rows, at every point.
    pub max_rank_error: u64,
    /// The smallest and largest value, exactly (compaction may not keep them as values):
    /// outside them the estimate is exact, which bounds Wasserstein's error.
    pub min: Option<f64>,
    pub max: Option<f64>,
}

impl QuantileSketch {
    /// The sketch of ascending finite values (one shard's), compacted to the capacity. Groups
    /// are formed while walking the values, so memory holds one group, not every distinct
    /// value (the same groups and medians as compacting the exact sketch).
    pub fn from_sorted(sorted: &[f64]) -> QuantileSketch {
        let distinct = runs(sorted).count();
        if distinct <= SKETCH_CAPACITY {
            return QuantileSketch::exact(sorted);
        }
        let mut sketch = QuantileSketch {
            values: Vec::with_capacity(SKETCH_CAPACITY),
            weights: Vec::with_capacity(SKETCH_CAPACITY),
            max_rank_error: 0,
            min: sorted.first().copied(),
            max: sorted.last().copied(),
        };
        let limit = group_limit(sorted.len() as u64, SKETCH_CAPACITY);
        let (mut group_values, mut group_weights) = (Vec::new(), Vec::new());
        let (mut group_weight, mut added) = (0u64, 0u64);
        for (value, weight) in runs(sorted) {
            if !group_values.is_empty() && group_weight + weight > limit {
                added = added.max(sketch.keep_median(&group_values, &group_weights));
                group_values.clear();
                group_weights.clear();
                group_weight = 0;
            }
            group_values.push(value);
            group_weights.push(weight);
            group_weight += weight;
        }
        added = added.max(sketch.keep_median(&group_values, &group_weights));
        sketch.max_rank_error = added;
        // The limit bounds the groups to the capacity; a second pass only guards the rule.
        sketch.compact(SKETCH_CAPACITY);
        sketch
    }

    /// The exact weighted distribution of ascending values (no compaction, error 0).
    pub fn exact(sorted: &[f64]) -> QuantileSketch {
        let (values, weights) = runs(sorted).unzip();
        QuantileSketch {
            values,
            weights,
            max_rank_error: 0,
            min: sorted.first().copied(),
            max: sorted.last().copied(),
        }
    }

    /// Rows the sketch stands for.
    pub fn count(&self) -> u64 {
        self.weights.iter().sum()
    }

    /// The bound as a share of the rows (the KS statistic's units).
    pub fn rank_error(&self) -> f64 {
        match self.count() {
            0 => 0.0,
            n => self.max_rank_error as f64 / n as f64,
        }
    }

    /// numpy's linear quantile of the rows the sketch stands for (each value repeated by its
    /// weight; the exact min and max at the ends). The value returned for rank `r` has a
    /// true rank within `max_rank_error` of `r`; an exact sketch gives `np.quantile`.
    pub fn quantile(&self, q: f64) -> f64 {
        let n = self.count();
        let last = n.saturating_sub(1);
        let value_at = |rank: usize| {
            let rank = rank as u64;
            if rank == 0 {
                if let Some(min) = self.min {
                    return min;
                }
            }
            if rank == last {
                if let Some(max) = self.max {
                    return max;
                }
            }
            let mut below = 0u64;
            for (value, weight) in self.values.iter().zip(&self.weights) {
                below += weight;
                if rank < below {
                    return *value;
                }
            }
            self.values.last().copied().unwrap_or(f64::NAN)
        };
        quantile_by_rank(n as usize, q, value_at)
    }

    /// The sketch of the union of the parts' rows: a function of the multiset of parts, so
    /// the order they come in does not matter.
    pub fn merge(parts: &[&QuantileSketch]) -> QuantileSketch {
        let mut pairs: Vec<(f64, u64)> = parts
            .iter()
            .flat_map(|s| s.values.iter().copied().zip(s.weights.iter().copied()))
            .collect();
        pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut merged = QuantileSketch {
            values: Vec::with_capacity(pairs.len()),
            weights: Vec::with_capacity(pairs.len()),
            max_rank_error: parts.iter().map(|s| s.max_rank_error).sum(),
            min: parts.iter().filter_map(|s| s.min).reduce(f64::min),
            max: parts.iter().filter_map(|s| s.max).reduce(f64::max),
        };
        for (v, w) in pairs {
            match merged.values.last() {
                Some(&last) if last == v => *merged.weights.last_mut().expect("same length") += w,
                _ => {
                    merged.values.push(v);
                    merged.weights.push(w);
                }
            }
        }
        merged.compact(SKETCH_CAPACITY);
        merged
    }

    /// Groups neighbouring values into at most `capacity` and keeps, per group, the value at
    /// its weighted median with the group's weight. Moving a group's weight onto one of its
    /// values changes the rank only inside the group, by at most the weight on either side
    /// of that value, which is what the bound grows by.
    fn compact(&mut self, capacity: usize) {
        if self.values.len() <= capacity {
            return;
        }
        let mut limit = group_limit(self.count(), capacity);
        loop {
            let groups = greedy_groups(&self.weights, limit);
            if groups.len() <= capacity {
                let (values, weights) = (
                    std::mem::take(&mut self.values),
                    std::mem::take(&mut self.weights),
                );
                let mut added = 0;
                for (start, end) in groups {
                    added = added.max(self.keep_median(&values[start..end], &weights[start..end]));
                }
                self.max_rank_error += added;
                return;
            }
            limit *= 2;
        }
    }

    /// Appends one group as its weighted median carrying the group's weight: the value that
    /// leaves the least weight on its heavier side. Returns that weight, how far ranks inside
    /// the group move; a compaction adds the largest of its groups' moves to the bound (not
    /// their sum: groups do not overlap).
    fn keep_median(&mut self, values: &[f64], weights: &[u64]) -> u64 {
        let total: u64 = weights.iter().sum();
        let (mut below, mut best, mut best_side) = (0u64, 0usize, u64::MAX);
        for (i, &w) in weights.iter().enumerate() {
            let side = below.max(total - below - w);
            if side < best_side {
                (best, best_side) = (i, side);
            }
            below += w;
        }
        self.values.push(values[best]);
        self.weights.push(total);
        best_side
    }
}

/// The heaviest a group may be for at most `capacity` groups: two neighbouring groups together
/// weigh more than the limit (else the greedy walk would have joined them), so there are fewer
/// than `2 * total / limit + 1` groups.
fn group_limit(total: u64, capacity: usize) -> u64 {
    (2 * total).div_ceil(capacity as u64 - 1).max(1)
}

/// Each distinct value of ascending values with how often it occurs.
fn runs(sorted: &[f64]) -> impl Iterator<Item = (f64, u64)> + '_ {
    let mut i = 0;
    std::iter::from_fn(move || {
        let value = *sorted.get(i)?;
        let start = i;
        while sorted.get(i) == Some(&value) {
            i += 1;
        }
        Some((value, (i - start) as u64))
    })
}

/// Consecutive runs of weights, each as heavy as possible without passing `limit` (a single
/// heavier weight is a run of its own): `(start, end)` index ranges.
fn greedy_groups(weights: &[u64], limit: u64) -> Vec<(usize, usize)> {
    let mut groups = Vec::new();
    let (mut start, mut weight) = (0usize, 0u64);
    for (i, &w) in weights.iter().enumerate() {
        if i > start && weight + w > limit {
            groups.push((start, i));
            (start, weight) = (i, 0);
        }
        weight += w;
    }
    if start < weights.len() {
        groups.push((start, weights.len()));
    }
    groups
}

/// The KS statistic and Wasserstein-1 distance between two weighted distributions, with how
/// far each can be from the exact one given the sketches' rank errors.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SketchDistances {
    pub ks_statistic: f64,
    pub wasserstein: f64,
    /// |KS - exact KS| <= this.
    pub ks_max_error: f64,
    /// |Wasserstein - exact Wasserstein| <= this, in the feature's units.
    pub wasserstein_max_error: f64,
}

/// One side of a comparison: a sketch, or raw ascending finite values (exact, read in place
/// so that no copy of millions of distinct values is made).
#[derive(Debug, Clone, Copy)]
pub enum Distribution<'a> {
    Sketch(&'a QuantileSketch),
    Sorted(&'a [f64]),
}

impl Distribution<'_> {
    fn count(&self) -> u64 {
        match self {
            Distribution::Sketch(s) => s.count(),
            Distribution::Sorted(v) => v.len() as u64,
        }
    }

    fn rank_error(&self) -> f64 {
        match self {
            Distribution::Sketch(s) => s.rank_error(),
            Distribution::Sorted(_) => 0.0,
        }
    }

    fn span(&self) -> f64 {
        let (lo, hi) = match self {
            Distribution::Sketch(s) => (s.min, s.max),
            Distribution::Sorted(v) => (v.first().copied(), v.last().copied()),
        };
        match (lo, hi) {
            (Some(lo), Some(hi)) => hi - lo,
            _ => 0.0,
        }
    }

    fn runs(&self) -> Box<dyn Iterator<Item = (f64, u64)> + '_> {
        match self {
            Distribution::Sketch(s) => {
                Box::new(s.values.iter().copied().zip(s.weights.iter().copied()))
            }
            Distribution::Sorted(v) => Box::new(runs(v)),
        }
    }
}

/// Both read |F_a - F_b| between consecutive distinct values of the union: KS takes its
/// maximum, Wasserstein its integral. Each estimated CDF is within its rank error of the true
/// one between the data's min and max and exact outside them, which bounds both statistics.
pub fn sketch_distances(a: Distribution<'_>, b: Distribution<'_>) -> Option<SketchDistances> {
    let (na, nb) = (a.count() as f64, b.count() as f64);
    if na == 0.0 || nb == 0.0 {
        return None;
    }
    let (mut runs_a, mut runs_b) = (a.runs().peekable(), b.runs().peekable());
    let (mut ra, mut rb) = (0u64, 0u64);
    let (mut ks, mut area) = (0.0f64, 0.0f64);
    let next_value = |x: Option<&(f64, u64)>, y: Option<&(f64, u64)>| match (x, y) {
        (Some(&(u, _)), Some(&(v, _))) => Some(u.min(v)),
        (Some(&(u, _)), None) => Some(u),
        (None, Some(&(v, _))) => Some(v),
        (None, None) => None,
    };
    while let Some(x) = next_value(runs_a.peek(), runs_b.peek()) {
        if let Some((_, w)) = runs_a.next_if(|&(v, _)| v == x) {
            ra += w;
        }
        if let Some((_, w)) = runs_b.next_if(|&(v, _)| v == x) {
            rb += w;
        }
        let diff = (ra as f64 / na - rb as f64 / nb).abs();
        ks = ks.max(diff);
        if let Some(next) = next_value(runs_a.peek(), runs_b.peek()) {
            area += diff * (next - x);
        }
    }
    Some(SketchDistances {
        ks_statistic: ks,
        wasserstein: area,
        ks_max_error: a.rank_error() + b.rank_error(),
        wasserstein_max_error: a.rank_error() * a.span() + b.rank_error() * b.span(),
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::stats::ecdf::two_sample_distances;

    /// splitmix64: reproducible values for the property tests.
    pub(crate) struct Stream(pub(crate) u64);

    impl Stream {
        pub(crate) fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }
        pub(crate) fn unit(&mut self) -> f64 {
            (self.next() >> 11) as f64 / (1u64 << 53) as f64
        }
    }

    fn sorted(mut values: Vec<f64>) -> Vec<f64> {
        values.sort_by(f64::total_cmp);
        values
    }

    /// The largest |sketch rank - true rank| over every data value and the points just below.
    fn worst_rank_error(sketch: &QuantileSketch, sorted: &[f64]) -> u64 {
        let estimate = |x: f64| -> u64 {
            sketch
                .values
                .iter()
                .zip(&sketch.weights)
                .take_while(|(v, _)| **v <= x)
                .map(|(_, w)| w)
                .sum()
        };
        let truth = |x: f64| sorted.partition_point(|v| *v <= x) as u64;
        let mut points: Vec<f64> = sketch.values.clone();
        points.extend(sorted.iter().step_by(97).copied());
        points
            .iter()
            .flat_map(|&x| [x, x - 1e-9])
            .map(|x| estimate(x).abs_diff(truth(x)))
            .max()
            .unwrap_or(0)
    }

    #[test]
    fn the_streamed_sketch_equals_the_compacted_exact_one() {
        let mut stream = Stream(3);
        for n in [2_049, 10_000, 77_777] {
            let values = sorted((0..n).map(|_| (stream.unit() * 5_000.0).floor()).collect());
            let mut compacted = QuantileSketch::exact(&values);
            compacted.compact(SKETCH_CAPACITY);
            assert_eq!(
                QuantileSketch::from_sorted(&values),
                compacted,
                "{n} values"
            );
        }
    }

    #[test]
    fn quantiles_equal_numpy_on_exact_sketches_and_stay_within_the_bound() {
        let mut stream = Stream(5);
        let shards: Vec<Vec<f64>> = (0..4)
            .map(|k| {
                sorted(
                    (0..9_000 + k * 3_000)
                        .map(|_| (-stream.unit().ln()).powi(2) + k as f64)
                        .collect(),
                )
            })
            .collect();
        let all = sorted(shards.concat());
        let sketches: Vec<QuantileSketch> = shards
            .iter()
            .map(|s| QuantileSketch::from_sorted(s))
            .collect();
        let merged = QuantileSketch::merge(&sketches.iter().collect::<Vec<_>>());
        let exact = QuantileSketch::exact(&all);
        let bound = merged.max_rank_error as f64 + 1.0;
        for i in 0..=40 {
            let q = i as f64 / 40.0;
            let want = crate::stats::quantile::quantile_sorted(&all, q);
            assert_eq!(exact.quantile(q).to_bits(), want.to_bits(), "q {q}");
            // The value returned for rank r holds true ranks within the bound of r.
            let got = merged.quantile(q);
            let target = (all.len() - 1) as f64 * q;
            let below = all.partition_point(|v| *v < got) as f64;
            let at_or_below = all.partition_point(|v| *v <= got) as f64;
            assert!(
                below <= target + bound && at_or_below >= target - bound,
                "q {q}: {got} holds ranks {below}..{at_or_below}, target {target} +- {bound}"
            );
        }
        assert_eq!(merged.quantile(0.0), all[0]);
        assert_eq!(merged.quantile(1.0), all[all.len() - 1]);
    }

    #[test]
    fn small_inputs_are_kept_exactly() {
        let s = QuantileSketch::from_sorted(&[1.0, 1.0, 2.0, 5.0]);
        assert_eq!(s.values, vec![1.0, 2.0, 5.0]);
        assert_eq!(s.weights, vec![2, 1, 1]);
        assert_eq!(s.max_rank_error, 0);
    }

    #[test]
    fn the_stated_bound_holds_for_shards_and_their_merge_in_any_order() {
        let mut stream = Stream(7);
        for round in 0..6 {
            let shards: Vec<Vec<f64>> = (0..4)
                .map(|k| {
                    let n = 3_000 + (stream.next() % 20_000) as usize;
                    sorted(
                        (0..n)
                            .map(|_| match round % 3 {
                                // heavy ties, a skewed tail, a shift per shard
                                0 => (stream.unit() * 50.0).floor(),
                                1 => (-stream.unit().ln()).powi(3),
                                _ => stream.unit() + k as f64 * 0.3,
                            })
                            .collect(),
                    )
                })
                .collect();
            let sketches: Vec<QuantileSketch> = shards
                .iter()
                .map(|s| QuantileSketch::from_sorted(s))
                .collect();
            let all = sorted(shards.concat());
            let refs: Vec<&QuantileSketch> = sketches.iter().collect();
            let merged = QuantileSketch::merge(&refs);
            assert!(merged.values.len() <= SKETCH_CAPACITY);
            assert_eq!(merged.count(), all.len() as u64);
            assert!(worst_rank_error(&merged, &all) <= merged.max_rank_error);
            assert!(
                merged.rank_error() < 4.0 / SKETCH_CAPACITY as f64,
                "{merged:?}"
            );
            let reversed: Vec<&QuantileSketch> = sketches.iter().rev().collect();
            assert_eq!(QuantileSketch::merge(&reversed), merged, "commutative");
            let left =
                QuantileSketch::merge(&[&QuantileSketch::merge(&refs[..2]), refs[2], refs[3]]);
            assert!(
                worst_rank_error(&left, &all) <= left.max_rank_error,
                "regrouped"
            );
            let direct = QuantileSketch::from_sorted(&all);
            assert!(worst_rank_error(&direct, &all) <= direct.max_rank_error);
        }
    }

    #[test]
    fn distances_equal_the_exact_ones_on_exact_sketches_and_stay_within_the_bound() {
        let mut stream = Stream(11);
        let a = sorted((0..30_000).map(|_| stream.unit()).collect());
        let b = sorted((0..20_000).map(|_| stream.unit().powf(1.3)).collect());
        let exact = two_sample_distances(&a, &b);
        let same = sketch_distances(
            Distribution::Sketch(&QuantileSketch::exact(&a)),
            Distribution::Sorted(&b),
        )
        .unwrap();
        assert!((same.ks_statistic - exact.ks_statistic).abs() < 1e-12);
        assert!((same.wasserstein - exact.wasserstein).abs() < 1e-12);
        assert_eq!(same.ks_max_error, 0.0);
        let compact_a = QuantileSketch::from_sorted(&a);
        let approx =
            sketch_distances(Distribution::Sketch(&compact_a), Distribution::Sorted(&b)).unwrap();
        assert!(approx.ks_max_error > 0.0);
        assert!((approx.ks_statistic - exact.ks_statistic).abs() <= approx.ks_max_error + 1e-12);
        assert!(
            (approx.wasserstein - exact.wasserstein).abs()
                <= approx.wasserstein_max_error * (1.0 + 1e-12)
        );
    }
}
