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

use anyhow::{Context, Result};
use serde::Deserialize;

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
        toml::from_str(&text).with_context(|| format!("{}: invalid drift config", path.display()))
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
}
