//! Quantiles with numpy's default (`method="linear"`) interpolation, bit for bit.

/// `np.linspace(0, 1, buckets + 1)`: the probabilities of the quantile edges.
pub fn linspace_unit(buckets: usize) -> Vec<f64> {
    let step = 1.0 / buckets as f64;
    let mut probs: Vec<f64> = (0..=buckets).map(|i| i as f64 * step).collect();
    // numpy pins the end point exactly.
    if let Some(last) = probs.last_mut() {
        *last = 1.0;
    }
    probs
}

/// numpy's `_lerp`: the two-sided form keeps results monotone and exact at the ends.
pub(crate) fn lerp(a: f64, b: f64, t: f64) -> f64 {
    let diff = b - a;
    if t >= 0.5 {
        b - diff * (1.0 - t)
    } else {
        a + diff * t
    }
}

/// `np.quantile(sorted, q)` for ascending, finite, non-empty `sorted`.
pub fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    quantile_by_rank(sorted.len(), q, |rank| sorted[rank])
}

/// numpy's linear quantile of `n` ascending values that `value_at(rank)` gives (rank 0 is
/// the smallest): the rule shared by raw data and quantile sketches.
pub fn quantile_by_rank(n: usize, q: f64, value_at: impl Fn(usize) -> f64) -> f64 {
    debug_assert!(n > 0);
    let virtual_index = (n - 1) as f64 * q;
    let below = virtual_index.floor();
    let gamma = virtual_index - below;
    let lo = (below as usize).min(n - 1);
    let hi = (lo + 1).min(n - 1);
    lerp(value_at(lo), value_at(hi), gamma)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_numpy_linear_quantiles() {
        // np.quantile([1, 2, 4, 8, 16], [0, .1, .25, .5, .9, 1])
        let data = [1.0, 2.0, 4.0, 8.0, 16.0];
        let expected = [1.0, 1.4, 2.0, 4.0, 12.8, 16.0];
        for (q, want) in [0.0, 0.1, 0.25, 0.5, 0.9, 1.0].iter().zip(expected) {
            let got = quantile_sorted(&data, *q);
            assert!(
                (got - want).abs() <= 1e-12 * want.abs(),
                "q={q}: {got} vs {want}"
            );
        }
    }

    #[test]
    fn linspace_has_exact_end_points() {
        let p = linspace_unit(10);
        assert_eq!(p.len(), 11);
        assert_eq!(p[0], 0.0);
        assert_eq!(p[10], 1.0);
        assert_eq!(p[3], 3.0 * 0.1);
    }
}
