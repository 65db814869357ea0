//! Multiple-testing corrections for per-feature p-values.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Correction {
    /// Family-wise error control: p * m.
    Bonferroni,
    /// Benjamini-Hochberg false discovery rate (statsmodels' `fdr_bh`).
    Bh,
    /// Raw p-values.
    None,
}

impl std::str::FromStr for Correction {
    type Err = String;
    fn from_str(s: &str) -> Result<Correction, String> {
        match s {
            "bonferroni" => Ok(Correction::Bonferroni),
            "bh" => Ok(Correction::Bh),
            "none" => Ok(Correction::None),
            other => Err(format!(
                "unknown correction `{other}`: expected bonferroni, bh or none"
            )),
        }
    }
}

/// Adjusted p-values, same order as the input, each clipped to 1.
pub fn adjust_pvalues(pvalues: &[f64], correction: Correction) -> Vec<f64> {
    let m = pvalues.len() as f64;
    match correction {
        Correction::None => pvalues.to_vec(),
        Correction::Bonferroni => pvalues.iter().map(|p| (p * m).min(1.0)).collect(),
        Correction::Bh => {
            let mut order: Vec<usize> = (0..pvalues.len()).collect();
            order.sort_by(|&a, &b| pvalues[a].total_cmp(&pvalues[b]));
            let mut adjusted = vec![0.0; pvalues.len()];
            let mut running_min: f64 = 1.0;
            for (rank, &index) in order.iter().enumerate().rev() {
                let scaled = pvalues[index] * m / (rank + 1) as f64;
                running_min = running_min.min(scaled);
                adjusted[index] = running_min;
            }
            adjusted
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn benjamini_hochberg_matches_statsmodels() {
        // statsmodels multipletests([0.01, 0.04, 0.03, 0.2], method="fdr_bh")[1]
        let got = adjust_pvalues(&[0.01, 0.04, 0.03, 0.2], Correction::Bh);
        let want = [0.04, 0.05333333333333334, 0.05333333333333334, 0.2];
        for (g, w) in got.iter().zip(want) {
            assert!((g - w).abs() < 1e-15, "{got:?}");
        }
    }

    #[test]
    fn bonferroni_multiplies_and_clips() {
        assert_eq!(
            adjust_pvalues(&[0.01, 0.5], Correction::Bonferroni),
            vec![0.02, 1.0]
        );
    }
}
