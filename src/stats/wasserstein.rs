//! Wasserstein-1 (earth mover's) distance between two samples, as
//! `scipy.stats.wasserstein_distance(u, v)`: the area between the two empirical CDFs.

/// Both inputs ascending, finite and non-empty.
pub fn wasserstein_distance_sorted(u: &[f64], v: &[f64]) -> f64 {
    let (n, m) = (u.len(), v.len());
    if n == 0 || m == 0 {
        return f64::NAN;
    }
    let (nf, mf) = (n as f64, m as f64);
    let (mut i, mut j) = (0usize, 0usize);
    let mut at = u[0].min(v[0]);
    let mut area = 0.0;
    loop {
        while i < n && u[i] <= at {
            i += 1;
        }
        while j < m && v[j] <= at {
            j += 1;
        }
        let next = match (u.get(i), v.get(j)) {
            (Some(&a), Some(&b)) => a.min(b),
            (Some(&a), None) => a,
            (None, Some(&b)) => b,
            (None, None) => break,
        };
        area += (i as f64 / nf - j as f64 / mf).abs() * (next - at);
        at = next;
    }
    area
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_scipy_reference() {
        // scipy.stats.wasserstein_distance([0, 1, 3], [5, 6, 8]) == 5.0
        assert_eq!(
            wasserstein_distance_sorted(&[0.0, 1.0, 3.0], &[5.0, 6.0, 8.0]),
            5.0
        );
        // scipy.stats.wasserstein_distance([0, 1], [0, 1, 2, 2]) == 0.75
        let got = wasserstein_distance_sorted(&[0.0, 1.0], &[0.0, 1.0, 2.0, 2.0]);
        assert!((got - 0.75).abs() < 1e-15);
    }

    #[test]
    fn identical_samples_are_zero_apart() {
        assert_eq!(wasserstein_distance_sorted(&[1.0, 2.0], &[1.0, 2.0]), 0.0);
    }
}
