//! Chi-square test of homogeneity for two count vectors, as `scipy.stats.chi2_contingency`
//! on the 2 x k table (with Yates' continuity correction when there is one degree of freedom,
//! scipy's default).

use serde::Serialize;

use super::special::chi_square_survival;

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Chi2Result {
    pub statistic: f64,
    pub pvalue: f64,
    pub dof: usize,
}

/// Categories empty on both sides must be left out by the caller (scipy rejects them).
pub fn chi_square_homogeneity(baseline: &[u64], current: &[u64]) -> Option<Chi2Result> {
    debug_assert_eq!(baseline.len(), current.len());
    let row_totals = [
        baseline.iter().sum::<u64>() as f64,
        current.iter().sum::<u64>() as f64,
    ];
    let grand = row_totals[0] + row_totals[1];
    if row_totals[0] == 0.0 || row_totals[1] == 0.0 {
        return None;
    }
    let dof = baseline.len().saturating_sub(1);
    if dof == 0 {
        return Some(Chi2Result {
            statistic: 0.0,
            pvalue: 1.0,
            dof,
        });
    }
    let mut statistic = 0.0;
    for (&b, &c) in baseline.iter().zip(current) {
        let column_total = (b + c) as f64;
        for (observed, row_total) in [(b as f64, row_totals[0]), (c as f64, row_totals[1])] {
            let expected = row_total * column_total / grand;
            let mut diff = observed - expected;
            if dof == 1 {
                diff = diff.signum() * (diff.abs() - 0.5).max(0.0);
            }
            statistic += diff * diff / expected;
        }
    }
    let pvalue = chi_square_survival(statistic, dof as f64);
    Some(Chi2Result {
        statistic,
        pvalue,
        dof,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_scipy_without_correction() {
        // chi2_contingency([[10, 20, 30], [15, 15, 40]])
        let r = chi_square_homogeneity(&[10, 20, 30], &[15, 15, 40]).unwrap();
        assert_eq!(r.dof, 2);
        assert!(
            (r.statistic - 2.3877551020408165).abs() < 1e-12,
            "{}",
            r.statistic
        );
        assert!(
            (r.pvalue - 0.30304391468510006).abs() < 1e-12,
            "{}",
            r.pvalue
        );
    }

    #[test]
    fn applies_yates_correction_with_one_degree_of_freedom() {
        // chi2_contingency([[30, 70], [45, 55]])
        let r = chi_square_homogeneity(&[30, 70], &[45, 55]).unwrap();
        assert_eq!(r.dof, 1);
        assert!(
            (r.statistic - 4.181333333333333).abs() < 1e-12,
            "{}",
            r.statistic
        );
        assert!(
            (r.pvalue - 0.04087153408900628).abs() < 1e-14,
            "{}",
            r.pvalue
        );
    }
}
