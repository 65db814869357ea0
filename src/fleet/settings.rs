//! fleet-diff's thresholds as plain values, validated once.

use anyhow::{anyhow, bail, Result};

use super::entities::Windows;

/// Everything the rules in [`super::assess`] are parameterised by.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FleetSettings {
    pub windows: Windows,
    /// How far back from `now` a prediction counts for prediction coverage (milliseconds).
    pub prediction_window: i64,
    /// LOW, MEDIUM and HIGH lower bounds of the fleet-drift bands.
    pub drift_bands: [f64; 3],
    /// Warning and critical lower bounds of the unknown-prediction bands.
    pub unknown_bands: [f64; 2],
    /// FAIL below this vocabulary coverage (of the active, and of the expected entities).
    pub min_coverage: Option<f64>,
    /// FAIL below this prediction coverage (of the active, and of the expected entities).
    pub min_prediction_coverage: Option<f64>,
}

impl FleetSettings {
    /// Bands arrive as the lists the user typed; errors name the flag and what it takes. No
    /// gates; the prediction window is the active window (`offline_after`): an entity seen in
    /// it is active, and should have been predicted in it.
    pub fn new(
        windows: Windows,
        drift_bands: &[f64],
        unknown_bands: &[f64],
    ) -> Result<FleetSettings> {
        Ok(FleetSettings {
            windows,
            prediction_window: windows.offline_after,
            drift_bands: bands(drift_bands, "--drift-bands")?,
            unknown_bands: bands(unknown_bands, "--unknown-bands")?,
            min_coverage: None,
            min_prediction_coverage: None,
        })
    }
}

/// Exactly `N` shares in [0, 1], non-decreasing, so that each band has a place.
fn bands<const N: usize>(values: &[f64], flag: &str) -> Result<[f64; N]> {
    let bands: [f64; N] = values.try_into().map_err(|_| {
        anyhow!(
            "{flag} takes {N} comma-separated numbers, got {}",
            values.len()
        )
    })?;
    if bands.windows(2).any(|w| w[0] > w[1]) || bands.iter().any(|b| !(0.0..=1.0).contains(b)) {
        bail!("{flag} must be increasing shares between 0 and 1");
    }
    Ok(bands)
}

#[cfg(test)]
mod tests {
    use super::*;

    const WINDOWS: Windows = Windows {
        offline_after: 1,
        sunset_candidate_after: 2,
        sunset_after: 3,
    };

    fn error(drift: &[f64], unknown: &[f64]) -> String {
        FleetSettings::new(WINDOWS, drift, unknown)
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn defaults_are_accepted() {
        let s = FleetSettings::new(WINDOWS, &[0.10, 0.20, 0.35], &[0.05, 0.15]).unwrap();
        assert_eq!(s.drift_bands, [0.10, 0.20, 0.35]);
        assert_eq!(s.unknown_bands, [0.05, 0.15]);
        assert_eq!((s.min_coverage, s.min_prediction_coverage), (None, None));
        assert_eq!(s.prediction_window, WINDOWS.offline_after);
    }

    #[test]
    fn edges_and_equal_bounds_are_accepted() {
        assert!(FleetSettings::new(WINDOWS, &[0.0, 0.5, 1.0], &[0.2, 0.2]).is_ok());
    }

    #[test]
    fn wrong_counts_name_the_flag() {
        assert_eq!(
            error(&[0.1, 0.2], &[0.05, 0.15]),
            "--drift-bands takes 3 comma-separated numbers, got 2"
        );
        assert_eq!(
            error(&[0.1, 0.2, 0.3], &[0.05, 0.1, 0.15]),
            "--unknown-bands takes 2 comma-separated numbers, got 3"
        );
    }

    #[test]
    fn decreasing_or_out_of_range_bands_are_refused() {
        let drift = "--drift-bands must be increasing shares between 0 and 1";
        assert_eq!(error(&[0.3, 0.2, 0.35], &[0.05, 0.15]), drift);
        assert_eq!(error(&[0.1, 0.2, 1.5], &[0.05, 0.15]), drift);
        assert_eq!(error(&[-0.1, 0.2, 0.3], &[0.05, 0.15]), drift);
        assert_eq!(error(&[f64::NAN, 0.2, 0.3], &[0.05, 0.15]), drift);
        assert_eq!(
            error(&[0.1, 0.2, 0.3], &[0.15, 0.05]),
            "--unknown-bands must be increasing shares between 0 and 1"
        );
    }

    #[test]
    fn drift_bands_are_checked_before_unknown_bands() {
        assert_eq!(
            error(&[0.1], &[0.1]),
            "--drift-bands takes 3 comma-separated numbers, got 1"
        );
    }
}
