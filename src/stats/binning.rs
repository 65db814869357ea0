//! Baseline quantile bins for PSI and Jensen-Shannon.
//!
//! Bins are half-open `[lower, upper)` like `np.histogram`, with the outer edges open to
//! -inf/+inf so that current values outside the baseline's range are counted in the outer bins
//! (a plain `np.histogram(current, bins=edges)` silently drops them).

use serde::{Deserialize, Serialize};

use super::quantile::{linspace_unit, quantile_sorted};
use super::quantile_sketch::QuantileSketch;

/// Interior cut points: bin `k` holds values `v` with `cuts[k-1] <= v < cuts[k]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BinEdges {
    pub cuts: Vec<f64>,
}

impl BinEdges {
    /// The very same cuts, bit for bit: counts against them can be added or compared.
    pub fn same_as(&self, other: &BinEdges) -> bool {
        self.cuts.len() == other.cuts.len()
            && self
                .cuts
                .iter()
                .zip(&other.cuts)
                .all(|(x, y)| x.to_bits() == y.to_bits())
    }

    pub fn bin_count(&self) -> usize {
        self.cuts.len() + 1
    }

    /// Edges from the baseline's quantiles at `np.linspace(0, 1, buckets + 1)`, duplicates
    /// merged. Degenerate baselines still get bins that can detect a shift:
    /// - one distinct value `c` (constant column): bins `< c`, `== c`, `> c`;
    /// - two distinct quantile edges `a < b`: bins `<= a` and `> a` (binary and zero-inflated
    ///   features keep their two populations apart).
    pub fn from_sorted_baseline(sorted: &[f64], buckets: usize) -> Option<BinEdges> {
        if sorted.is_empty() {
            return None;
        }
        BinEdges::from_quantiles(buckets, |q| quantile_sorted(sorted, q))
    }

    /// The same rule on a quantile sketch's quantiles: each edge's rank is within the
    /// sketch's `max_rank_error` of the data's, and an exact sketch gives the raw data's
    /// edges bit for bit. This is how the parts of a baseline too large for one process get
    /// their shared edges.
    pub fn from_sketch(sketch: &QuantileSketch, buckets: usize) -> Option<BinEdges> {
        if sketch.count() == 0 {
            return None;
        }
        BinEdges::from_quantiles(buckets, |q| sketch.quantile(q))
    }

    fn from_quantiles(buckets: usize, quantile: impl Fn(f64) -> f64) -> Option<BinEdges> {
        if buckets == 0 {
            return None;
        }
        let mut edges: Vec<f64> = linspace_unit(buckets).into_iter().map(quantile).collect();
        edges.dedup();
        let cuts = match edges.len() {
            1 => vec![edges[0], next_up(edges[0])],
            2 => vec![next_up(edges[0])],
            n => edges[1..n - 1].to_vec(),
        };
        Some(BinEdges { cuts })
    }

    /// Counts per bin of ascending, finite `sorted` values.
    pub fn count_sorted(&self, sorted: &[f64]) -> Vec<u64> {
        let mut counts = Vec::with_capacity(self.bin_count());
        let mut below_previous = 0usize;
        for cut in &self.cuts {
            let below = sorted.partition_point(|v| v < cut);
            counts.push((below - below_previous) as u64);
            below_previous = below;
        }
        counts.push((sorted.len() - below_previous) as u64);
        counts
    }
}

/// The smallest double greater than `x` (`np.nextafter(x, inf)`), for finite `x`.
pub fn next_up(x: f64) -> f64 {
    if x == 0.0 {
        return f64::from_bits(1);
    }
    let bits = x.to_bits();
    if x > 0.0 {
        f64::from_bits(bits + 1)
    } else {
        f64::from_bits(bits - 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantile_edges_and_open_outer_bins() {
        let base: Vec<f64> = (0..100).map(f64::from).collect();
        let edges = BinEdges::from_sorted_baseline(&base, 4).unwrap();
        // np.quantile(range(100), [.25, .5, .75]) = 24.75, 49.5, 74.25
        assert_eq!(edges.cuts, vec![24.75, 49.5, 74.25]);
        let current = [-1000.0, 0.0, 24.75, 50.0, 74.25, 1e9];
        assert_eq!(edges.count_sorted(&current), vec![2, 1, 1, 2]);
    }

    #[test]
    fn an_exact_sketch_gives_the_raw_edges_bit_for_bit() {
        for values in [
            (0..1_000).map(|i| f64::from(i).sqrt()).collect::<Vec<_>>(),
            vec![3.0; 50],
            [vec![0.0; 80], vec![1.0; 20]].concat(),
        ] {
            let sketch = QuantileSketch::exact(&values);
            for buckets in [2, 10, 37] {
                assert_eq!(
                    BinEdges::from_sketch(&sketch, buckets),
                    BinEdges::from_sorted_baseline(&values, buckets)
                );
            }
        }
        assert_eq!(BinEdges::from_sketch(&QuantileSketch::exact(&[]), 10), None);
    }

    #[test]
    fn constant_baseline_gets_three_bins() {
        let edges = BinEdges::from_sorted_baseline(&[5.0; 10], 10).unwrap();
        assert_eq!(edges.bin_count(), 3);
        assert_eq!(edges.count_sorted(&[4.0, 5.0, 5.0, 6.0]), vec![1, 2, 1]);
    }

    #[test]
    fn binary_baseline_keeps_both_values_apart() {
        let mut base = vec![0.0; 70];
        base.extend([1.0; 30]);
        let edges = BinEdges::from_sorted_baseline(&base, 10).unwrap();
        assert_eq!(edges.count_sorted(&base), vec![70, 30]);
    }

    #[test]
    fn next_up_steps_one_ulp() {
        assert!(next_up(1.0) > 1.0);
        assert_eq!(next_up(1.0), 1.0 + f64::EPSILON);
        assert!(next_up(-1.0) > -1.0);
        assert!(next_up(0.0) > 0.0);
    }
}
