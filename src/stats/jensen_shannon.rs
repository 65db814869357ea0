//! Jensen-Shannon distance, as `scipy.spatial.distance.jensenshannon(p, q, base)`.

/// Jensen-Shannon *distance* (the square root of the divergence) between two count or
/// probability vectors, with logarithms in `base` (refit reports base 2, bounded by 1).
pub fn jensen_shannon_distance(p: &[f64], q: &[f64], base: f64) -> f64 {
    let p_total: f64 = p.iter().sum();
    let q_total: f64 = q.iter().sum();
    if p_total <= 0.0 || q_total <= 0.0 {
        return f64::NAN;
    }
    let mut left = 0.0;
    let mut right = 0.0;
    for (&pi, &qi) in p.iter().zip(q) {
        let pi = pi / p_total;
        let qi = qi / q_total;
        let mi = (pi + qi) / 2.0;
        left += relative_entropy(pi, mi);
        right += relative_entropy(qi, mi);
    }
    let divergence = (left + right) / base.ln();
    (divergence / 2.0).max(0.0).sqrt()
}

/// `scipy.special.rel_entr`.
fn relative_entropy(x: f64, y: f64) -> f64 {
    if x > 0.0 && y > 0.0 {
        x * (x / y).ln()
    } else if x == 0.0 && y >= 0.0 {
        0.0
    } else {
        f64::INFINITY
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_scipy_reference() {
        // scipy.spatial.distance.jensenshannon([1, 0], [0.5, 0.5], base=2)
        let got = jensen_shannon_distance(&[1.0, 0.0], &[0.5, 0.5], 2.0);
        assert!((got - 0.5579230452841438).abs() < 1e-15, "{got}");
    }

    #[test]
    fn disjoint_supports_have_distance_one_in_base_two() {
        let got = jensen_shannon_distance(&[3.0, 0.0], &[0.0, 7.0], 2.0);
        assert!((got - 1.0).abs() < 1e-15);
    }
}
