//! `drift-check --config drift.toml`: per-feature thresholds and overrides.
//!
//! ```toml
//! [features.tenure_days]
//! warn = 0.2        # thresholds for the deciding statistic of this feature
//! fail = 0.4
//! [features.plan]
//! categorical = true
//! [features.customer_id]
//! exclude = true
//! ```

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{bail, Context, Result};
use serde::Deserialize;

use super::verdict::{Statistic, Thresholds};

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DriftConfig {
    #[serde(default)]
    pub features: BTreeMap<String, FeatureConfig>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeatureConfig {
    pub warn: Option<f64>,
    pub fail: Option<f64>,
    #[serde(default)]
    pub categorical: bool,
    #[serde(default)]
    pub exclude: bool,
}

impl DriftConfig {
    pub fn load(path: &Path) -> Result<DriftConfig> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let config: DriftConfig = toml::from_str(&text)
            .with_context(|| format!("{}: invalid drift config", path.display()))?;
        config
            .check_values()
            .with_context(|| format!("{}: invalid drift config", path.display()))?;
        Ok(config)
    }

    /// Thresholds are finite and not negative (NaN would switch a feature's gate off).
    fn check_values(&self) -> Result<()> {
        for (name, feature) in &self.features {
            for (key, value) in [("warn", feature.warn), ("fail", feature.fail)] {
                if let Some(v) = value.filter(|v| !(v.is_finite() && *v >= 0.0)) {
                    bail!("[features.{name}] {key} = {v}: expected a finite number >= 0");
                }
            }
        }
        Ok(())
    }

    /// Every configured feature must be a column of the data: a misspelt section would
    /// otherwise be ignored without a word.
    pub fn check_features(&self, columns: &[String]) -> Result<()> {
        let unknown: Vec<&str> = self
            .features
            .keys()
            .filter(|name| !columns.contains(name))
            .map(String::as_str)
            .collect();
        if !unknown.is_empty() {
            bail!(
                "--config names features that are not columns of the baseline or current data: {}",
                unknown.join(", ")
            );
        }
        Ok(())
    }

    /// The thresholds of `feature`'s deciding statistic: its config entry over the flags'
    /// `defaults`, checked in the statistic's direction.
    pub fn thresholds(
        &self,
        feature: &str,
        statistic: Statistic,
        defaults: (Option<f64>, Option<f64>),
    ) -> Result<Thresholds> {
        let entry = self.feature(feature);
        let warn = entry.and_then(|f| f.warn).or(defaults.0);
        let fail = entry.and_then(|f| f.fail).or(defaults.1);
        let (Some(warn), Some(fail)) = (warn, fail) else {
            bail!(
                "--method wasserstein has no scale-free default: pass --warn-wasserstein and \
                 --fail-wasserstein, or warn/fail for `{feature}` in --config"
            );
        };
        let ordered = if statistic.is_pvalue() {
            0.0 < fail && fail <= warn && warn <= 1.0
        } else {
            warn <= fail
        };
        if !ordered {
            let rule = if statistic.is_pvalue() {
                "0 < fail <= warn <= 1 for a p-value"
            } else {
                "warn <= fail for a distance"
            };
            bail!("`{feature}`: warn {warn} and fail {fail} are out of order; expected {rule}");
        }
        Ok(Thresholds { warn, fail })
    }

    pub fn feature(&self, name: &str) -> Option<&FeatureConfig> {
        self.features.get(name)
    }

    /// Names of the features whose entry sets `flag` (exclude, categorical), in name order.
    pub fn flagged(&self, flag: impl Fn(&FeatureConfig) -> bool) -> Vec<String> {
        self.features
            .iter()
            .filter(|(_, f)| flag(f))
            .map(|(name, _)| name.clone())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_rejects_unknown_keys() {
        let c: DriftConfig = toml::from_str("[features.a]\nwarn = 0.2\nfail = 0.4\n").unwrap();
        assert_eq!(c.feature("a").unwrap().fail, Some(0.4));
        assert!(toml::from_str::<DriftConfig>("[features.a]\nwran = 0.2\n").is_err());
    }

    fn config(text: &str) -> DriftConfig {
        toml::from_str(text).unwrap()
    }

    #[test]
    fn values_that_switch_a_gate_off_are_refused() {
        assert!(config("[features.a]\nwarn = nan\n").check_values().is_err());
        assert!(config("[features.a]\nfail = -1.0\n")
            .check_values()
            .is_err());
        assert!(config("[features.a]\nwarn = 0.1\n").check_values().is_ok());
    }

    #[test]
    fn a_misspelt_feature_is_an_error() {
        let c = config("[features.tenure]\nwarn = 0.2\n");
        let columns = vec!["tenure_days".to_string()];
        let err = c.check_features(&columns).unwrap_err().to_string();
        assert!(err.contains("tenure"), "{err}");
        assert!(config("[features.tenure_days]\n")
            .check_features(&columns)
            .is_ok());
    }

    #[test]
    fn thresholds_follow_the_statistics_direction() {
        let c = config("[features.a]\nwarn = 0.3\nfail = 0.2\n");
        assert!(c.thresholds("a", Statistic::Psi, (None, None)).is_err());
        let p = c
            .thresholds("a", Statistic::KsPvalue, (None, None))
            .unwrap();
        assert_eq!((p.warn, p.fail), (0.3, 0.2));
        let d = c
            .thresholds("b", Statistic::Psi, (Some(0.1), Some(0.25)))
            .unwrap();
        assert_eq!((d.warn, d.fail), (0.1, 0.25));
        assert!(c
            .thresholds("b", Statistic::Wasserstein, (None, None))
            .is_err());
    }
}
