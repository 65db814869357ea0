//! Population Stability Index.

/// Proportions below this are clipped before the log, so an empty bin gives a large but
/// finite PSI instead of infinity (the convention of the seed scripts and most tools).
pub const PSI_MIN_PROPORTION: f64 = 1e-6;

/// PSI = sum over bins of (actual - expected) * ln(actual / expected), on bin proportions
/// clipped to [`PSI_MIN_PROPORTION`]. Counts are per bin, same bins on both sides.
pub fn population_stability_index(expected_counts: &[u64], actual_counts: &[u64]) -> f64 {
    debug_assert_eq!(expected_counts.len(), actual_counts.len());
    let expected_total: u64 = expected_counts.iter().sum();
    let actual_total: u64 = actual_counts.iter().sum();
    if expected_total == 0 || actual_total == 0 {
        return f64::NAN;
    }
    expected_counts
        .iter()
        .zip(actual_counts)
        .map(|(&e, &a)| {
            let e = (e as f64 / expected_total as f64).max(PSI_MIN_PROPORTION);
            let a = (a as f64 / actual_total as f64).max(PSI_MIN_PROPORTION);
            (a - e) * (a / e).ln()
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_distributions_have_zero_psi() {
        assert_eq!(population_stability_index(&[10, 20, 30], &[1, 2, 3]), 0.0);
    }

    #[test]
    fn matches_numpy_reference() {
        // e = [.5, .5], a = [.9, .1]: (.4*ln(1.8)) + (-.4*ln(.2))
        let want = 0.4 * 1.8f64.ln() - 0.4 * 0.2f64.ln();
        let got = population_stability_index(&[50, 50], &[90, 10]);
        assert!((got - want).abs() < 1e-15);
    }

    #[test]
    fn empty_bin_is_clipped_not_infinite() {
        let psi = population_stability_index(&[100, 0], &[50, 50]);
        assert!(psi.is_finite() && psi > 1.0);
    }
}
