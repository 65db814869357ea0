//! Choosing a decision threshold on holdout scores: best F1 (as argmax over scikit-learn's
//! `precision_recall_curve`) or Youden's J (argmax of TPR - FPR over `roc_curve`).

use std::fmt;
use std::str::FromStr;

use anyhow::{bail, Context, Result};
use serde::{Serialize, Serializer};

use super::binary::for_each_threshold;

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ThresholdRule {
    F1,
    Youden,
    Fixed(f64),
}

impl FromStr for ThresholdRule {
    type Err = anyhow::Error;

    fn from_str(text: &str) -> Result<Self> {
        match text {
            "f1" => Ok(ThresholdRule::F1),
            "youden" => Ok(ThresholdRule::Youden),
            other => {
                let value = other
                    .strip_prefix("fixed:")
                    .with_context(|| {
                        format!("unknown threshold rule `{other}`; expected f1, youden or fixed:X")
                    })?
                    .parse::<f64>()
                    .with_context(|| format!("`{other}`: fixed:X needs a number"))?;
                if !(0.0..=1.0).contains(&value) {
                    bail!("`{other}`: a fixed threshold must be within [0, 1]");
                }
                Ok(ThresholdRule::Fixed(value))
            }
        }
    }
}

impl fmt::Display for ThresholdRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ThresholdRule::F1 => write!(f, "f1"),
            ThresholdRule::Youden => write!(f, "youden"),
            ThresholdRule::Fixed(v) => write!(f, "fixed:{v}"),
        }
    }
}

impl Serialize for ThresholdRule {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// The threshold (score >= threshold is positive) that the rule picks. Candidates are the
/// distinct scores. Ties: F1 keeps the lowest threshold, Youden the highest, as `np.argmax`
/// does over scikit-learn's ascending and descending threshold arrays. With one class only
/// there is nothing to optimise and 0.5 is returned.
pub fn choose_threshold(rule: ThresholdRule, labels: &[bool], scores: &[f64]) -> f64 {
    let positives = labels.iter().filter(|&&y| y).count() as f64;
    let negatives = labels.len() as f64 - positives;
    let best = match rule {
        ThresholdRule::Fixed(v) => return v,
        _ if positives == 0.0 || negatives == 0.0 => return 0.5,
        ThresholdRule::F1 => walk_thresholds(labels, scores, true, |tp, fp| {
            // F1 = 2TP / (2TP + FP + FN), FN = P - TP.
            2.0 * tp / (tp + fp + positives)
        }),
        ThresholdRule::Youden => walk_thresholds(labels, scores, false, |tp, fp| {
            tp / positives - fp / negatives
        }),
    };
    best.map(|(threshold, _)| threshold).unwrap_or(0.5)
}

/// Walks distinct scores from the highest down and returns the threshold with the largest
/// objective. On ties the first (highest) threshold is kept unless `lower_wins_ties`.
fn walk_thresholds(
    labels: &[bool],
    scores: &[f64],
    lower_wins_ties: bool,
    objective: impl Fn(f64, f64) -> f64,
) -> Option<(f64, f64)> {
    let mut best: Option<(f64, f64)> = None;
    for_each_threshold(labels, scores, |threshold, tp, fp| {
        let value = objective(tp, fp);
        let better = match best {
            None => true,
            Some((_, b)) => value > b || (lower_wins_ties && value == b),
        };
        if better {
            best = Some((threshold, value));
        }
    });
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rules() {
        assert_eq!("f1".parse::<ThresholdRule>().unwrap(), ThresholdRule::F1);
        assert_eq!(
            "youden".parse::<ThresholdRule>().unwrap(),
            ThresholdRule::Youden
        );
        assert_eq!(
            "fixed:0.3".parse::<ThresholdRule>().unwrap(),
            ThresholdRule::Fixed(0.3)
        );
        assert!("fixed:2".parse::<ThresholdRule>().is_err());
        assert!("best".parse::<ThresholdRule>().is_err());
        assert_eq!(ThresholdRule::Fixed(0.3).to_string(), "fixed:0.3");
    }

    #[test]
    fn one_class_falls_back_to_one_half() {
        assert_eq!(
            choose_threshold(ThresholdRule::F1, &[true, true], &[0.2, 0.9]),
            0.5
        );
    }
}
