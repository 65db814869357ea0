//! The time-based holdout: the latest share of rows by time, never splitting a timestamp.

use anyhow::{bail, Result};

#[derive(Debug, Clone, PartialEq)]
pub struct TimeSplit {
    /// Rows with a time at or after this (epoch ms) are in the holdout.
    pub cutoff_ms: i64,
    /// Row indices, ascending.
    pub train: Vec<usize>,
    pub holdout: Vec<usize>,
}

/// Puts the latest `fraction` of rows (rounded up) in the holdout. Rows that share the cutoff
/// timestamp all go to the holdout, so training never sees a moment the holdout is judged on;
/// the holdout can therefore be a little larger than asked.
pub fn time_holdout_split(times_ms: &[i64], fraction: f64) -> Result<TimeSplit> {
    if !(fraction > 0.0 && fraction < 1.0) {
        bail!("holdout fraction must be between 0 and 1 (exclusive), got {fraction}");
    }
    let n = times_ms.len();
    if n < 2 {
        bail!("{n} rows cannot be split into training and holdout rows");
    }
    // The tiny allowance keeps 0.07 * 100 = 7.000000000000001 from rounding up to 8.
    let wanted = ((fraction * n as f64 - 1e-9).ceil() as usize).clamp(1, n - 1);
    let mut sorted = times_ms.to_vec();
    sorted.sort_unstable();
    let cutoff_ms = sorted[n - wanted];
    if cutoff_ms == sorted[0] {
        bail!(
            "the latest {wanted} rows share their timestamp with the earliest rows, so no \
             training rows are older than the holdout; use more days of data or a smaller --holdout"
        );
    }
    let (holdout, train): (Vec<usize>, Vec<usize>) =
        (0..n).partition(|&i| times_ms[i] >= cutoff_ms);
    Ok(TimeSplit {
        cutoff_ms,
        train,
        holdout,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latest_rows_go_to_the_holdout() {
        let times = [5, 1, 4, 2, 3, 6, 8, 7, 10, 9];
        let split = time_holdout_split(&times, 0.2).unwrap();
        assert_eq!(split.cutoff_ms, 9);
        assert_eq!(split.holdout, vec![8, 9]);
        assert_eq!(split.train.len(), 8);
    }

    #[test]
    fn a_timestamp_never_straddles_the_split() {
        // 20% of 10 is 2 rows, but the 2nd-latest time is shared by four rows.
        let times = [1, 1, 2, 2, 3, 3, 4, 4, 4, 5];
        let split = time_holdout_split(&times, 0.2).unwrap();
        assert_eq!(split.cutoff_ms, 4);
        assert_eq!(split.holdout, vec![6, 7, 8, 9]);
        let latest_train = split.train.iter().map(|&i| times[i]).max().unwrap();
        assert!(latest_train < split.cutoff_ms);
    }

    #[test]
    fn rounds_the_holdout_up() {
        let split = time_holdout_split(&[1, 2, 3], 0.2).unwrap();
        assert_eq!(split.holdout, vec![2]);
    }

    #[test]
    fn float_noise_does_not_round_up() {
        let times: Vec<i64> = (0..100).collect();
        assert_eq!(time_holdout_split(&times, 0.07).unwrap().holdout.len(), 7);
    }

    #[test]
    fn one_timestamp_cannot_be_split() {
        let err = time_holdout_split(&[7, 7, 7, 7], 0.25).unwrap_err();
        assert!(err.to_string().contains("share their timestamp"));
        assert!(time_holdout_split(&[1], 0.5).is_err());
        assert!(time_holdout_split(&[1, 2], 1.0).is_err());
    }
}
