//! McNemar's test on paired thresholded decisions, with continuity correction, as mlxtend's
//! `mcnemar(corrected=True)` (fixtures/shadow/make_fixtures.py pins it).

use serde::Serialize;

use super::special::chi_square_survival;

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct McNemarResult {
    /// Rows model A classified correctly and model B did not.
    pub only_a_correct: u64,
    /// Rows model B classified correctly and model A did not.
    pub only_b_correct: u64,
    pub chi2: f64,
    pub p_value: f64,
}

/// `None` when the models never disagree (the statistic is 0/0).
pub fn mcnemar_test(
    labels: &[bool],
    decisions_a: &[bool],
    decisions_b: &[bool],
) -> Option<McNemarResult> {
    let (mut only_a, mut only_b) = (0u64, 0u64);
    for ((&y, &a), &b) in labels.iter().zip(decisions_a).zip(decisions_b) {
        match (a == y, b == y) {
            (true, false) => only_a += 1,
            (false, true) => only_b += 1,
            _ => {}
        }
    }
    let discordant = (only_a + only_b) as f64;
    if discordant == 0.0 {
        return None;
    }
    let diff = (only_a as f64 - only_b as f64).abs() - 1.0;
    let chi2 = diff * diff / discordant;
    Some(McNemarResult {
        only_a_correct: only_a,
        only_b_correct: only_b,
        chi2,
        p_value: chi_square_survival(chi2, 1.0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_discordant_pairs() {
        let y = [true, true, false, false, true];
        let a = [true, false, false, true, true];
        let b = [true, true, true, true, false];
        let r = mcnemar_test(&y, &a, &b).unwrap();
        assert_eq!((r.only_a_correct, r.only_b_correct), (2, 1));
        assert!(mcnemar_test(&y, &a, &a).is_none());
    }
}
