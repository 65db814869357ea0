//! Fleet drift and unknown-prediction bands, and the verdict each band carries.

use serde::Serialize;

use crate::report::Status;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum DriftBand {
    Ok,
    Low,
    Medium,
    High,
}

impl DriftBand {
    /// The name in text output, the same as in the JSON report.
    pub fn as_str(self) -> &'static str {
        match self {
            DriftBand::Ok => "OK",
            DriftBand::Low => "LOW",
            DriftBand::Medium => "MEDIUM",
            DriftBand::High => "HIGH",
        }
    }

    /// Any drift outside OK needs a look; only HIGH stops a pipeline.
    pub fn status(self) -> Status {
        match self {
            DriftBand::High => Status::Fail,
            DriftBand::Medium | DriftBand::Low => Status::Warn,
            DriftBand::Ok => Status::Ok,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum UnknownBand {
    Acceptable,
    Warning,
    Critical,
}

impl UnknownBand {
    /// The name in text output, the same as in the JSON report.
    pub fn as_str(self) -> &'static str {
        match self {
            UnknownBand::Acceptable => "acceptable",
            UnknownBand::Warning => "warning",
            UnknownBand::Critical => "critical",
        }
    }

    /// Critical means many live predictions are guesses for entities the model never saw.
    pub fn status(self) -> Status {
        match self {
            UnknownBand::Critical => Status::Fail,
            UnknownBand::Warning => Status::Warn,
            UnknownBand::Acceptable => Status::Ok,
        }
    }
}

/// `limits` are the LOW, MEDIUM and HIGH lower bounds (default 0.10, 0.20, 0.35); a drift
/// exactly on a bound belongs to the band above ("< 10% OK"), except HIGH ("<= 35% MEDIUM").
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

/// `limits` are the warning and critical lower bounds (default 0.05, 0.15); a rate exactly
/// on the critical bound is still a warning.
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

    const DRIFT: [f64; 3] = [0.10, 0.20, 0.35];
    const UNKNOWN: [f64; 2] = [0.05, 0.15];

    #[test]
    fn bands_follow_the_issue_table() {
        assert_eq!(drift_band(0.0999, DRIFT), DriftBand::Ok);
        assert_eq!(drift_band(0.10, DRIFT), DriftBand::Low);
        assert_eq!(drift_band(0.25, DRIFT), DriftBand::Medium);
        assert_eq!(drift_band(0.35, DRIFT), DriftBand::Medium);
        assert_eq!(drift_band(0.6667, DRIFT), DriftBand::High);
        assert_eq!(unknown_band(0.04, UNKNOWN), UnknownBand::Acceptable);
        assert_eq!(unknown_band(0.10, UNKNOWN), UnknownBand::Warning);
        assert_eq!(unknown_band(0.20, UNKNOWN), UnknownBand::Critical);
    }

    #[test]
    fn drift_band_edges_ok_low_medium_high() {
        // OK < 10% <= LOW < 20% <= MEDIUM <= 35% < HIGH
        assert_eq!(drift_band(0.0, DRIFT), DriftBand::Ok);
        assert_eq!(
            drift_band(f64::from_bits(0.10f64.to_bits() - 1), DRIFT),
            DriftBand::Ok
        );
        assert_eq!(drift_band(0.10, DRIFT), DriftBand::Low);
        assert_eq!(
            drift_band(f64::from_bits(0.20f64.to_bits() - 1), DRIFT),
            DriftBand::Low
        );
        assert_eq!(drift_band(0.20, DRIFT), DriftBand::Medium);
        assert_eq!(drift_band(0.35, DRIFT), DriftBand::Medium);
        assert_eq!(
            drift_band(f64::from_bits(0.35f64.to_bits() + 1), DRIFT),
            DriftBand::High
        );
        assert_eq!(drift_band(5.0 / 3.0, DRIFT), DriftBand::High);
    }

    #[test]
    fn unknown_band_edges_acceptable_warning_critical() {
        // acceptable < 5% <= warning <= 15% < critical
        assert_eq!(unknown_band(0.0, UNKNOWN), UnknownBand::Acceptable);
        assert_eq!(
            unknown_band(f64::from_bits(0.05f64.to_bits() - 1), UNKNOWN),
            UnknownBand::Acceptable
        );
        assert_eq!(unknown_band(0.05, UNKNOWN), UnknownBand::Warning);
        assert_eq!(unknown_band(3.0 / 20.0, UNKNOWN), UnknownBand::Warning);
        assert_eq!(
            unknown_band(f64::from_bits(0.15f64.to_bits() + 1), UNKNOWN),
            UnknownBand::Critical
        );
        assert_eq!(unknown_band(1.0, UNKNOWN), UnknownBand::Critical);
    }

    #[test]
    fn equal_limits_skip_a_band() {
        assert_eq!(drift_band(0.2, [0.2, 0.2, 0.35]), DriftBand::Medium);
        assert_eq!(unknown_band(0.1, [0.1, 0.1]), UnknownBand::Warning);
    }

    #[test]
    fn each_band_carries_its_verdict() {
        assert_eq!(DriftBand::Ok.status(), Status::Ok);
        assert_eq!(DriftBand::Low.status(), Status::Warn);
        assert_eq!(DriftBand::Medium.status(), Status::Warn);
        assert_eq!(DriftBand::High.status(), Status::Fail);
        assert_eq!(UnknownBand::Acceptable.status(), Status::Ok);
        assert_eq!(UnknownBand::Warning.status(), Status::Warn);
        assert_eq!(UnknownBand::Critical.status(), Status::Fail);
    }

    #[test]
    fn text_names_match_the_json_report() {
        for band in [
            DriftBand::Ok,
            DriftBand::Low,
            DriftBand::Medium,
            DriftBand::High,
        ] {
            assert_eq!(serde_json::to_value(band).unwrap(), band.as_str());
        }
        for band in [
            UnknownBand::Acceptable,
            UnknownBand::Warning,
            UnknownBand::Critical,
        ] {
            assert_eq!(serde_json::to_value(band).unwrap(), band.as_str());
        }
    }
}
