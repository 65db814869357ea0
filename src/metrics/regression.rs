//! Regression metrics with scikit-learn's definitions.

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RegressionMetrics {
    pub rows: u64,
    pub mae: f64,
    pub rmse: f64,
    /// Null when the targets are constant (R² is undefined).
    pub r2: Option<f64>,
    /// Mean absolute percentage error over rows with a non-zero target (a fraction, not %).
    pub mape: Option<f64>,
    /// Rows left out of MAPE because their target is zero.
    pub mape_zero_targets: u64,
}

pub fn regression_metrics(targets: &[f64], predictions: &[f64]) -> RegressionMetrics {
    debug_assert_eq!(targets.len(), predictions.len());
    let n = targets.len() as f64;
    let mut abs_sum = 0.0;
    let mut sq_sum = 0.0;
    let mut pct_sum = 0.0;
    let mut pct_rows = 0u64;
    for (&y, &p) in targets.iter().zip(predictions) {
        let err = y - p;
        abs_sum += err.abs();
        sq_sum += err * err;
        if y != 0.0 {
            pct_sum += (err / y).abs();
            pct_rows += 1;
        }
    }
    let mean = targets.iter().sum::<f64>() / n;
    let total_ss: f64 = targets.iter().map(|&y| (y - mean) * (y - mean)).sum();
    RegressionMetrics {
        rows: targets.len() as u64,
        mae: abs_sum / n,
        rmse: (sq_sum / n).sqrt(),
        r2: (total_ss > 0.0).then(|| 1.0 - sq_sum / total_ss),
        mape: (pct_rows > 0).then(|| pct_sum / pct_rows as f64),
        mape_zero_targets: targets.len() as u64 - pct_rows,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_sklearn() {
        // mean_absolute_error([3, -0.5, 2, 7], [2.5, 0.0, 2, 8]) == 0.5
        // root_mean_squared_error(...) == 0.6123724356957945, r2_score(...) == 0.9486081370449679
        let m = regression_metrics(&[3.0, -0.5, 2.0, 7.0], &[2.5, 0.0, 2.0, 8.0]);
        assert!((m.mae - 0.5).abs() < 1e-15);
        assert!((m.rmse - 0.6123724356957945).abs() < 1e-15);
        assert!((m.r2.unwrap() - 0.9486081370449679).abs() < 1e-15);
    }

    #[test]
    fn mape_skips_zero_targets_and_counts_them() {
        let m = regression_metrics(&[0.0, 2.0, 4.0], &[1.0, 1.0, 5.0]);
        assert_eq!(m.mape_zero_targets, 1);
        assert!((m.mape.unwrap() - 0.375).abs() < 1e-15);
    }
}
