//! One feature's drift, whatever its kind, and the baseline it is measured against.

use anyhow::{bail, Result};
use serde::Serialize;

use super::categorical::{analyze_categorical, CategoricalDrift};
use super::numeric::{analyze_numeric, NumericBaseline, NumericDrift};
use super::plan::{ColumnSource, PlannedFeature};
use super::profile::{FeatureSummary, Profile};
use super::verdict::Statistic;
use crate::data::read::LoadedTable;
use crate::data::{CategoryCounts, ColumnKind, NumericValues, Table};

/// The baseline of a drift check: raw data, or a profile.json.
pub enum Baseline {
    Data(Table),
    Profile { path: String, profile: Profile },
}

impl ColumnSource for Table {
    fn source(&self) -> String {
        self.source.clone()
    }
    fn names(&self) -> Vec<String> {
        self.column_names()
    }
    fn kind(&self, column: &str) -> Result<ColumnKind> {
        self.column_kind(column)
    }
    fn is_empty(&self, column: &str) -> bool {
        self.column_is_empty(column)
    }
}

impl ColumnSource for Baseline {
    fn source(&self) -> String {
        match self {
            Baseline::Data(t) => t.source.clone(),
            Baseline::Profile { path, .. } => path.clone(),
        }
    }
    fn names(&self) -> Vec<String> {
        match self {
            Baseline::Data(t) => t.column_names(),
            Baseline::Profile { profile, .. } => {
                profile.features.iter().map(|f| f.name.clone()).collect()
            }
        }
    }
    fn kind(&self, column: &str) -> Result<ColumnKind> {
        match self {
            Baseline::Data(t) => t.column_kind(column),
            Baseline::Profile { path, profile } => match profile.feature(column) {
                Some(FeatureSummary::Numeric(_)) => Ok(ColumnKind::Numeric),
                Some(FeatureSummary::Categorical(_)) => Ok(ColumnKind::Categorical),
                None => bail!(
                    "column `{column}` not found in {path}; columns are: {}",
                    self.names().join(", ")
                ),
            },
        }
    }
    fn is_empty(&self, column: &str) -> bool {
        matches!(self, Baseline::Data(t) if t.column_is_empty(column))
    }
}

impl Baseline {
    pub fn source_for_text(&self) -> String {
        ColumnSource::source(self)
    }

    /// Decodes the baseline's `columns` (a profile has nothing to decode).
    pub fn load(&self, columns: &[String]) -> Result<BaselineData<'_>> {
        Ok(match self {
            Baseline::Data(table) => BaselineData::Data(table.load(columns)?),
            Baseline::Profile { path, profile } => BaselineData::Profile { path, profile },
        })
    }
}

/// Decoded baseline columns, or the profile's summaries.
pub enum BaselineData<'a> {
    Data(LoadedTable),
    Profile { path: &'a str, profile: &'a Profile },
}

#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum FeatureDetail {
    Numeric(NumericDrift),
    Categorical(CategoricalDrift),
}

#[derive(Debug, Clone, Serialize)]
pub struct FeatureDrift {
    pub name: String,
    pub kind: ColumnKind,
    pub statistics: FeatureDetail,
}

impl FeatureDrift {
    pub fn statistic(&self, statistic: Statistic) -> Option<f64> {
        match (&self.statistics, statistic) {
            (FeatureDetail::Numeric(n), Statistic::Psi) => n.psi,
            (FeatureDetail::Numeric(n), Statistic::JsDistance) => n.js_distance,
            (FeatureDetail::Numeric(n), Statistic::KsPvalue) => n.ks.map(|k| k.pvalue),
            (FeatureDetail::Numeric(n), Statistic::Chi2Pvalue) => n.chi2.map(|c| c.pvalue),
            (FeatureDetail::Numeric(n), Statistic::Wasserstein) => n.wasserstein,
            (FeatureDetail::Categorical(c), Statistic::Psi) => c.psi,
            (FeatureDetail::Categorical(c), Statistic::JsDistance) => c.js_distance,
            (FeatureDetail::Categorical(c), Statistic::Chi2Pvalue) => c.chi2.map(|x| x.pvalue),
            (FeatureDetail::Categorical(_), _) => None,
        }
    }

    pub fn notes(&self) -> &[String] {
        match &self.statistics {
            FeatureDetail::Numeric(n) => &n.notes,
            FeatureDetail::Categorical(c) => &c.notes,
        }
    }

    pub fn missing_rate_change(&self) -> Option<f64> {
        match &self.statistics {
            FeatureDetail::Numeric(n) => n.missing_rate_change,
            FeatureDetail::Categorical(c) => c.missing_rate_change,
        }
    }
}

/// Reads one feature from both sides and computes every statistic for it.
pub fn analyze_feature(
    feature: &PlannedFeature,
    baseline: &BaselineData<'_>,
    current: &LoadedTable,
    buckets: usize,
) -> Result<FeatureDrift> {
    let name = feature.name.as_str();
    let statistics =
        match feature.kind {
            ColumnKind::Numeric => {
                let current_values = NumericValues::from_columns(&current.column_parts(name)?)?;
                match baseline {
                    BaselineData::Data(table) => {
                        let base = NumericValues::from_columns(&table.column_parts(name)?)?;
                        FeatureDetail::Numeric(analyze_numeric(
                            NumericBaseline::Raw(&base),
                            &current_values,
                            buckets,
                        ))
                    }
                    BaselineData::Profile { path, profile } => match profile.feature(name) {
                        Some(FeatureSummary::Numeric(p)) => FeatureDetail::Numeric(
                            analyze_numeric(NumericBaseline::Profile(p), &current_values, buckets),
                        ),
                        _ => bail!("column `{name}` is not numeric in {path}"),
                    },
                }
            }
            ColumnKind::Categorical => {
                let current_counts = CategoryCounts::from_columns(&current.column_parts(name)?)?;
                let base = match baseline {
                    BaselineData::Data(table) => {
                        CategoryCounts::from_columns(&table.column_parts(name)?)?
                    }
                    BaselineData::Profile { path, profile } => match profile.feature(name) {
                        Some(FeatureSummary::Categorical(c)) => c.clone(),
                        _ => bail!(
                        "column `{name}` is profiled as numeric in {path}; re-run `refit profile \
                         --categorical {name}` to compare it as categories"
                    ),
                    },
                };
                FeatureDetail::Categorical(analyze_categorical(&base, &current_counts))
            }
        };
    Ok(FeatureDrift {
        name: name.to_string(),
        kind: feature.kind,
        statistics,
    })
}
