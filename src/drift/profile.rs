//! The baseline profile (`refit profile`): per numeric feature the quantile bins and their
//! counts, per categorical feature the category frequencies, null/NaN counts and row count.
//! drift-check accepts it as `--baseline` and gets the same PSI as from the raw data.

use std::path::Path;

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};

use crate::data::columns::MissingCounts;
use crate::data::{CategoryCounts, InputInfo, NumericValues};
use crate::stats::binning::BinEdges;

pub const PROFILE_FORMAT: &str = "refit-profile";
pub const PROFILE_SCHEMA: u32 = 1;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Profile {
    /// Always "refit-profile": how drift-check tells a profile from a data file.
    pub format: String,
    pub schema: u32,
    pub refit_version: String,
    pub created_at: String,
    pub rows: u64,
    pub buckets: usize,
    pub sources: Vec<InputInfo>,
    pub features: Vec<FeatureProfile>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FeatureProfile {
    pub name: String,
    /// The column's type as Polars names it ("f64", "str"), so drift-check can tell a type
    /// change from a profile; absent in profiles written before it was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dtype: Option<String>,
    #[serde(flatten)]
    pub summary: FeatureSummary,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum FeatureSummary {
    Numeric(NumericProfile),
    Categorical(CategoryCounts),
}

impl FeatureSummary {
    pub fn kind(&self) -> crate::data::ColumnKind {
        match self {
            FeatureSummary::Numeric(_) => crate::data::ColumnKind::Numeric,
            FeatureSummary::Categorical(_) => crate::data::ColumnKind::Categorical,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NumericProfile {
    #[serde(flatten)]
    pub edges: BinEdges,
    pub counts: Vec<u64>,
    pub missing: MissingCounts,
    pub min: Option<f64>,
    pub max: Option<f64>,
}

impl NumericProfile {
    pub fn from_values(values: &NumericValues, buckets: usize) -> NumericProfile {
        let edges = BinEdges::from_sorted_baseline(&values.sorted, buckets)
            .unwrap_or(BinEdges { cuts: Vec::new() });
        let counts = edges.count_sorted(&values.sorted);
        NumericProfile {
            edges,
            counts,
            missing: values.missing,
            min: values.sorted.first().copied(),
            max: values.sorted.last().copied(),
        }
    }
}

impl Profile {
    pub fn feature(&self, name: &str) -> Option<&FeatureSummary> {
        self.features
            .iter()
            .find(|f| f.name == name)
            .map(|f| &f.summary)
    }

    pub fn load(path: &Path) -> Result<Profile> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let profile: Profile = serde_json::from_str(&text).with_context(|| {
            format!(
                "{}: not a refit profile (expected the JSON written by `refit profile`)",
                path.display()
            )
        })?;
        if profile.format != PROFILE_FORMAT {
            bail!(
                "{}: `format` is `{}`, expected `{PROFILE_FORMAT}`",
                path.display(),
                profile.format
            );
        }
        if profile.schema != PROFILE_SCHEMA {
            bail!(
                "{}: profile schema {} is not supported (this refit reads schema {PROFILE_SCHEMA})",
                path.display(),
                profile.schema
            );
        }
        for feature in &profile.features {
            if let FeatureSummary::Numeric(n) = &feature.summary {
                if n.counts.len() != n.edges.bin_count() {
                    bail!(
                        "{}: feature `{}` has {} counts for {} bins",
                        path.display(),
                        feature.name,
                        n.counts.len(),
                        n.edges.bin_count()
                    );
                }
            }
        }
        Ok(profile)
    }
}

/// A `.json` baseline is a profile; data files are Parquet, CSV or NDJSON.
pub fn is_profile_path(path: &str) -> bool {
    Path::new(path)
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("json"))
}

/// Profiles one planned feature of a loaded table.
pub fn profile_feature(
    feature: &super::plan::PlannedFeature,
    data: &crate::data::read::LoadedTable,
    buckets: usize,
) -> Result<FeatureProfile> {
    let parts = data.column_parts(&feature.name)?;
    let dtype = parts.first().map(|c| c.dtype().to_string());
    let summary = match feature.kind {
        crate::data::ColumnKind::Numeric => FeatureSummary::Numeric(NumericProfile::from_values(
            &NumericValues::from_columns(&parts)?,
            buckets,
        )),
        crate::data::ColumnKind::Categorical => {
            FeatureSummary::Categorical(CategoryCounts::from_columns(&parts)?)
        }
    };
    Ok(FeatureProfile {
        name: feature.name.clone(),
        dtype,
        summary,
    })
}
