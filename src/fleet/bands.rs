//! Fleet drift and unknown-prediction bands.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum DriftBand {
    Ok,
    Low,
    Medium,
    High,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum UnknownBand {
    Acceptable,
    Warning,
    Critical,
}

/// `limits` are the LOW, MEDIUM and HIGH lower bounds (default 0.10, 0.20, 0.35); a drift
/// exactly on a bound belongs to the band above ("< 10% OK").
pub fn drift_band(drift: f64, limits: [f64; 3]) -> DriftBand {
    if drift > limits[2] {
        DriftBand::High
    } else if drift >= limits[1] {
        DriftBand::Medium
    } else if drift >= limits[0] {
        DriftBand::Low
    } else {
        DriftBand::Ok
    }
}

/// `limits` are the warning and critical lower bounds (default 0.05, 0.15).
pub fn unknown_band(rate: f64, limits: [f64; 2]) -> UnknownBand {
    if rate > limits[1] {
        UnknownBand::Critical
    } else if rate >= limits[0] {
        UnknownBand::Warning
    } else {
        UnknownBand::Acceptable
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bands_follow_the_issue_table() {
        let l = [0.10, 0.20, 0.35];
        assert_eq!(drift_band(0.0999, l), DriftBand::Ok);
        assert_eq!(drift_band(0.10, l), DriftBand::Low);
        assert_eq!(drift_band(0.25, l), DriftBand::Medium);
        assert_eq!(drift_band(0.35, l), DriftBand::Medium);
        assert_eq!(drift_band(0.6667, l), DriftBand::High);
        assert_eq!(unknown_band(0.04, [0.05, 0.15]), UnknownBand::Acceptable);
        assert_eq!(unknown_band(0.10, [0.05, 0.15]), UnknownBand::Warning);
        assert_eq!(unknown_band(0.20, [0.05, 0.15]), UnknownBand::Critical);
    }
}
