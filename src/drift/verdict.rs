//! Per-feature and dataset-level verdicts from the deciding statistic.

use serde::Serialize;

use super::schema::SchemaChange;
use crate::report::Status;
use crate::stats::correction::{adjust_pvalues, Correction};

/// The deciding statistic chosen with `--method`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// Population Stability Index on baseline quantile bins / category shares.
    Psi,
    /// Kolmogorov-Smirnov p-value (categorical features: chi-square p-value).
    Ks,
    /// Wasserstein-1 distance, in the feature's units (categorical features: PSI).
    Wasserstein,
    /// Jensen-Shannon distance, base 2, on the PSI bins / category shares.
    Js,
    /// Chi-square homogeneity p-value on the PSI bins / category counts.
    Chi2,
}

impl Method {
    pub const ALL: [Method; 5] = [
        Method::Psi,
        Method::Ks,
        Method::Wasserstein,
        Method::Js,
        Method::Chi2,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Method::Psi => "psi",
            Method::Ks => "ks",
            Method::Wasserstein => "wasserstein",
            Method::Js => "js",
            Method::Chi2 => "chi2",
        }
    }

    /// What the method decides on, for `--help`.
    pub fn describe(self) -> &'static str {
        match self {
            Method::Psi => "Population Stability Index on baseline quantile bins / category shares",
            Method::Ks => "Kolmogorov-Smirnov p-value (categorical features: chi-square p-value)",
            Method::Wasserstein => {
                "Wasserstein-1 distance, in the feature's units (categorical features: PSI)"
            }
            Method::Js => "Jensen-Shannon distance, base 2, on the PSI bins / category shares",
            Method::Chi2 => "Chi-square homogeneity p-value on the PSI bins / category counts",
        }
    }
}

impl std::str::FromStr for Method {
    type Err = String;
    fn from_str(s: &str) -> Result<Method, String> {
        Method::ALL
            .into_iter()
            .find(|m| m.name() == s)
            .ok_or_else(|| {
                format!("unknown method `{s}`: expected psi, ks, wasserstein, js or chi2")
            })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Statistic {
    Psi,
    JsDistance,
    KsPvalue,
    Chi2Pvalue,
    Wasserstein,
}

impl Statistic {
    pub fn for_method(method: Method, categorical: bool) -> Statistic {
        match (method, categorical) {
            (Method::Psi, _) | (Method::Wasserstein, true) => Statistic::Psi,
            (Method::Js, _) => Statistic::JsDistance,
            (Method::Ks, false) => Statistic::KsPvalue,
            (Method::Ks, true) | (Method::Chi2, _) => Statistic::Chi2Pvalue,
            (Method::Wasserstein, false) => Statistic::Wasserstein,
        }
    }

    pub fn is_pvalue(self) -> bool {
        matches!(self, Statistic::KsPvalue | Statistic::Chi2Pvalue)
    }

    pub fn label(self) -> &'static str {
        match self {
            Statistic::Psi => "psi",
            Statistic::JsDistance => "js",
            Statistic::KsPvalue => "ks p",
            Statistic::Chi2Pvalue => "chi2 p",
            Statistic::Wasserstein => "wasserstein",
        }
    }
}

/// Warn and fail levels. For distances a value at or above a level trips it; for p-values a
/// value below it does.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Thresholds {
    pub warn: f64,
    pub fail: f64,
}

/// What the verdict of one feature is decided on.
#[derive(Debug, Clone, Copy)]
pub struct FeatureDecisionInput<'a> {
    pub statistic: Statistic,
    /// `None` when the statistic is undefined (no finite values on a side).
    pub value: Option<f64>,
    pub thresholds: Thresholds,
    /// Set when the current data lacks the feature or changed its type: a FAIL, whatever
    /// the statistic.
    pub schema_change: Option<&'a SchemaChange>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FeatureVerdict {
    pub statistic: Statistic,
    pub value: Option<f64>,
    /// The p-value after the multiple-testing correction (p-value statistics only).
    pub adjusted_pvalue: Option<f64>,
    pub thresholds: Thresholds,
    pub status: Status,
    pub reason: String,
}

fn compare(statistic: Statistic, value: f64, t: Thresholds) -> (Status, String) {
    let name = statistic.label();
    if statistic.is_pvalue() {
        if value < t.fail {
            (
                Status::Fail,
                format!("{name} {value:.3e} < fail {}", t.fail),
            )
        } else if value < t.warn {
            (
                Status::Warn,
                format!("{name} {value:.3e} < warn {}", t.warn),
            )
        } else {
            (Status::Ok, format!("{name} {value:.3e} >= warn {}", t.warn))
        }
    } else if value >= t.fail {
        (
            Status::Fail,
            format!("{name} {value:.4} >= fail {}", t.fail),
        )
    } else if value >= t.warn {
        (
            Status::Warn,
            format!("{name} {value:.4} >= warn {}", t.warn),
        )
    } else {
        (Status::Ok, format!("{name} {value:.4} < warn {}", t.warn))
    }
}

/// Verdicts for all features; p-values are corrected together for the number of features
/// tested with one. A schema change is a FAIL with its reason and takes no part in the
/// correction.
pub fn decide_features(
    inputs: &[FeatureDecisionInput<'_>],
    correction: Correction,
) -> Vec<FeatureVerdict> {
    let tested: Vec<(usize, f64)> = inputs
        .iter()
        .enumerate()
        .filter(|(_, i)| i.statistic.is_pvalue() && i.schema_change.is_none())
        .filter_map(|(k, i)| i.value.map(|v| (k, v)))
        .collect();
    let raw: Vec<f64> = tested.iter().map(|(_, p)| *p).collect();
    let adjusted = adjust_pvalues(&raw, correction);
    let mut adjusted_by_feature = vec![None; inputs.len()];
    for ((k, _), a) in tested.iter().zip(adjusted) {
        adjusted_by_feature[*k] = Some(a);
    }
    inputs
        .iter()
        .zip(adjusted_by_feature)
        .map(|(input, adjusted_pvalue)| {
            let (status, reason) = match (input.schema_change, input.value, adjusted_pvalue) {
                (Some(change), _, _) => (Status::Fail, change.reason()),
                (None, None, _) => (
                    Status::Warn,
                    format!("{} undefined", input.statistic.label()),
                ),
                (None, Some(_), Some(p)) => {
                    let (s, r) = compare(input.statistic, p, input.thresholds);
                    let note = match correction {
                        Correction::None => String::new(),
                        c => format!(" ({} over {} tests)", correction_name(c), tested.len()),
                    };
                    (s, format!("{r}{note}"))
                }
                (None, Some(v), None) => compare(input.statistic, v, input.thresholds),
            };
            FeatureVerdict {
                statistic: input.statistic,
                value: input.value,
                adjusted_pvalue,
                thresholds: input.thresholds,
                status,
                reason,
            }
        })
        .collect()
}

fn correction_name(c: Correction) -> &'static str {
    match c {
        Correction::Bonferroni => "bonferroni",
        Correction::Bh => "benjamini-hochberg",
        Correction::None => "none",
    }
}

/// `--fail-share`: the dataset FAILs when at least this share of features FAIL; without it,
/// any failing feature fails the dataset.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct DatasetRule {
    pub fail_share: Option<f64>,
}

impl DatasetRule {
    pub fn describe(&self) -> String {
        match self.fail_share {
            None => "FAIL when any feature FAILs".to_string(),
            Some(s) => format!("FAIL when at least {:.0}% of features FAIL", s * 100.0),
        }
    }

    /// Overall status; failing features below the share still make the dataset WARN.
    pub fn overall(&self, statuses: &[Status]) -> Status {
        let failed = statuses.iter().filter(|s| **s == Status::Fail).count();
        let worst = statuses.iter().copied().max().unwrap_or(Status::Ok);
        if failed == 0 {
            return worst;
        }
        let share = failed as f64 / statuses.len() as f64;
        match self.fail_share {
            Some(limit) if share < limit => Status::Warn,
            _ => Status::Fail,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PSI: Thresholds = Thresholds {
        warn: 0.1,
        fail: 0.25,
    };
    const P: Thresholds = Thresholds {
        warn: 0.05,
        fail: 0.01,
    };

    fn input(
        statistic: Statistic,
        value: Option<f64>,
        thresholds: Thresholds,
    ) -> FeatureDecisionInput<'static> {
        FeatureDecisionInput {
            statistic,
            value,
            thresholds,
            schema_change: None,
        }
    }

    #[test]
    fn distance_bands() {
        let v = decide_features(
            &[
                input(Statistic::Psi, Some(0.05), PSI),
                input(Statistic::Psi, Some(0.1), PSI),
                input(Statistic::Psi, Some(0.3), PSI),
                input(Statistic::Psi, None, PSI),
            ],
            Correction::Bonferroni,
        );
        let s: Vec<Status> = v.iter().map(|f| f.status).collect();
        assert_eq!(s, [Status::Ok, Status::Warn, Status::Fail, Status::Warn]);
    }

    #[test]
    fn pvalues_are_corrected_before_comparison() {
        // 0.008 alone fails at 0.01, but Bonferroni over 2 tests gives 0.016: WARN.
        let inputs = [
            input(Statistic::KsPvalue, Some(0.008), P),
            input(Statistic::KsPvalue, Some(0.9), P),
        ];
        let v = decide_features(&inputs, Correction::Bonferroni);
        assert_eq!(v[0].status, Status::Warn);
        assert_eq!(v[0].adjusted_pvalue, Some(0.016));
        let v = decide_features(&inputs, Correction::None);
        assert_eq!(v[0].status, Status::Fail);
    }

    #[test]
    fn dataset_rule_by_share() {
        let s = [Status::Fail, Status::Ok, Status::Ok, Status::Ok];
        assert_eq!(DatasetRule { fail_share: None }.overall(&s), Status::Fail);
        assert_eq!(
            DatasetRule {
                fail_share: Some(0.5)
            }
            .overall(&s),
            Status::Warn
        );
        assert_eq!(
            DatasetRule {
                fail_share: Some(0.25)
            }
            .overall(&s),
            Status::Fail
        );
        assert_eq!(
            DatasetRule { fail_share: None }.overall(&[Status::Ok]),
            Status::Ok
        );
    }

    #[test]
    fn a_schema_change_fails_the_feature_with_its_reason() {
        let missing = SchemaChange::MissingInCurrent;
        let changed = SchemaChange::TypeChanged {
            baseline: "f64".into(),
            current: "str".into(),
        };
        let mut inputs = [
            input(Statistic::Psi, None, PSI),
            input(Statistic::Psi, None, PSI),
            input(Statistic::Psi, Some(0.01), PSI),
        ];
        inputs[0].schema_change = Some(&missing);
        inputs[1].schema_change = Some(&changed);
        let v = decide_features(&inputs, Correction::Bonferroni);
        assert_eq!(
            (v[0].status, v[0].reason.as_str(), v[0].value),
            (Status::Fail, "missing in current", None)
        );
        assert_eq!(
            (v[1].status, v[1].reason.as_str()),
            (Status::Fail, "type changed: f64 -> str")
        );
        assert_eq!(v[2].status, Status::Ok);
    }

    #[test]
    fn schema_changes_count_in_the_fail_share_but_not_in_the_correction() {
        let missing = SchemaChange::MissingInCurrent;
        let mut inputs = [
            input(Statistic::KsPvalue, Some(0.008), P),
            input(Statistic::KsPvalue, None, P),
        ];
        inputs[1].schema_change = Some(&missing);
        // One p-value tested: 0.008 stays below the fail level, uncorrected by the absent one.
        let v = decide_features(&inputs, Correction::Bonferroni);
        assert_eq!(v[0].adjusted_pvalue, Some(0.008));
        assert_eq!(v[0].status, Status::Fail);
        assert_eq!(v[1].status, Status::Fail);
        assert_eq!(v[1].adjusted_pvalue, None);

        let statuses = |failing: usize| {
            let mut s = vec![Status::Ok; 5];
            s[..failing].fill(Status::Fail);
            s
        };
        let half = DatasetRule {
            fail_share: Some(0.5),
        };
        assert_eq!(half.overall(&statuses(1)), Status::Warn);
        assert_eq!(half.overall(&statuses(3)), Status::Fail);
    }
}
