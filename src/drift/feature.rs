//! One feature's drift, whatever its kind, and the baseline it is measured against.

use std::sync::Arc;

use anyhow::{bail, Context, Result};
use serde::Serialize;

use super::categorical::{analyze_categorical, CategoricalDrift};
use super::numeric::{analyze_numeric, NumericBaseline, NumericDrift};
use super::plan::{ColumnSource, PlannedFeature};
use super::profile::{FeatureSummary, Profile};
use super::schema::{type_change, ColumnType, SchemaChange};
use super::verdict::Statistic;
use crate::data::read::{Fingerprints, LoadedTable};
use crate::data::{CategoryCounts, ColumnKind, InputInfo, NumericValues, Table};

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
    fn require(&self, column: &str) -> Result<()> {
        self.require_column(column)
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
                Some(summary) => Ok(summary.kind()),
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
    fn require(&self, column: &str) -> Result<()> {
        match self {
            Baseline::Data(t) => t.require_column(column),
            Baseline::Profile { .. } => Ok(()),
        }
    }
}

impl Baseline {
    pub fn source_for_text(&self) -> String {
        ColumnSource::source(self)
    }
}

/// One feature's decoded baseline column, or the profile's summaries.
pub enum BaselineData<'a> {
    Data(LoadedTable),
    Profile { path: &'a str, profile: &'a Profile },
}

impl BaselineData<'_> {
    /// The type of a planned feature: the decoded column's, or what the profile recorded.
    fn column_type(&self, feature: &PlannedFeature, empty: bool) -> Result<ColumnType> {
        match self {
            BaselineData::Data(table) => decoded_type(table, &feature.name, empty),
            BaselineData::Profile { path, profile } => {
                let profiled = profile
                    .features
                    .iter()
                    .find(|f| f.name == feature.name)
                    .with_context(|| format!("column `{}` not found in {path}", feature.name))?;
                Ok(ColumnType::profiled(
                    profiled.dtype.as_deref(),
                    profiled.summary.kind(),
                ))
            }
        }
    }
}

/// A decoded column's type as Polars names it (the shards are decoded to one type).
fn decoded_type(table: &LoadedTable, column: &str, empty: bool) -> Result<ColumnType> {
    let parts = table.column_parts(column)?;
    let dtype = parts
        .first()
        .map_or_else(|| "null".to_string(), |c| c.dtype().to_string());
    Ok(ColumnType::named(&dtype, empty))
}

/// The two sides of a drift check, opened but not decoded: each feature is decoded when it is
/// checked and dropped after, so memory holds the features being checked (one per worker
/// thread), never the whole table. The files are hashed once, on a background thread.
pub struct Sides<'a> {
    pub baseline: &'a Baseline,
    pub current: &'a Table,
    baseline_fingerprints: Option<Arc<Fingerprints>>,
    current_fingerprints: Arc<Fingerprints>,
}

/// Each side's rows per file, counted before any column is decoded.
pub struct SideRows {
    /// Per baseline file; `None` for a profile.
    pub baseline: Option<Vec<usize>>,
    pub current: Vec<usize>,
}

impl SideRows {
    pub fn baseline_total(&self, baseline: &Baseline) -> u64 {
        match (baseline, &self.baseline) {
            (Baseline::Profile { profile, .. }, _) => profile.rows,
            (_, Some(rows)) => rows.iter().sum::<usize>() as u64,
            (_, None) => 0,
        }
    }

    pub fn current_total(&self) -> u64 {
        self.current.iter().sum::<usize>() as u64
    }
}

impl<'a> Sides<'a> {
    /// Starts hashing both sides' files.
    pub fn open(baseline: &'a Baseline, current: &'a Table) -> Sides<'a> {
        Sides {
            baseline,
            current,
            baseline_fingerprints: match baseline {
                Baseline::Data(table) => Some(table.fingerprint()),
                Baseline::Profile { .. } => None,
            },
            current_fingerprints: current.fingerprint(),
        }
    }

    /// Rows per file on each side; an empty side is an error, found before any decoding.
    pub fn rows(&self) -> Result<SideRows> {
        Ok(SideRows {
            baseline: match self.baseline {
                Baseline::Data(table) => Some(table.shard_rows()?),
                Baseline::Profile { .. } => None,
            },
            current: self.current.shard_rows()?,
        })
    }

    /// What the report records about every input file (waits for the digests).
    pub fn inputs(&self, rows: &SideRows) -> Result<Vec<InputInfo>> {
        let mut inputs = match (self.baseline, &self.baseline_fingerprints, &rows.baseline) {
            (Baseline::Data(table), Some(prints), Some(rows)) => table.inputs(rows, prints)?,
            _ => Vec::new(),
        };
        inputs.extend(
            self.current
                .inputs(&rows.current, &self.current_fingerprints)?,
        );
        Ok(inputs)
    }

    /// The feature's drift, or the schema change that keeps it from being measured; decodes
    /// the feature on both sides.
    pub fn check(
        &self,
        feature: &PlannedFeature,
        in_current: bool,
        as_categories: bool,
        buckets: usize,
    ) -> Result<FeatureDrift> {
        if !in_current {
            return Ok(FeatureDrift::unmeasured(
                feature,
                SchemaChange::MissingInCurrent,
            ));
        }
        let name = feature.name.as_str();
        let columns = [feature.name.clone()];
        let baseline = match (self.baseline, &self.baseline_fingerprints) {
            (Baseline::Data(table), Some(prints)) => {
                BaselineData::Data(table.load_fingerprinted(&columns, prints)?)
            }
            (Baseline::Profile { path, profile }, _) => BaselineData::Profile { path, profile },
            (Baseline::Data(_), None) => bail!("baseline files were not opened for hashing"),
        };
        let current = self
            .current
            .load_fingerprinted(&columns, &self.current_fingerprints)?;
        let baseline_type = baseline.column_type(feature, self.baseline.is_empty(name))?;
        let current_type = decoded_type(&current, name, self.current.is_empty(name))?;
        Ok(
            match type_change(&baseline_type, &current_type, as_categories) {
                Some(change) => FeatureDrift::unmeasured(feature, change),
                None => analyze_feature(feature, baseline, current, buckets)?,
            },
        )
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum FeatureDetail {
    Numeric(NumericDrift),
    Categorical(CategoricalDrift),
}

/// One feature's statistics, or why the current data could not be measured against the
/// baseline on it.
#[derive(Debug, Clone)]
pub enum Measurement {
    Statistics(Box<FeatureDetail>),
    SchemaChange(SchemaChange),
}

#[derive(Debug, Clone)]
pub struct FeatureDrift {
    pub name: String,
    /// The kind it is compared as: the baseline's, whatever the current data holds.
    pub kind: ColumnKind,
    pub measurement: Measurement,
}

impl FeatureDrift {
    pub fn unmeasured(feature: &PlannedFeature, change: SchemaChange) -> FeatureDrift {
        FeatureDrift {
            name: feature.name.clone(),
            kind: feature.kind,
            measurement: Measurement::SchemaChange(change),
        }
    }

    pub fn statistics(&self) -> Option<&FeatureDetail> {
        match &self.measurement {
            Measurement::Statistics(detail) => Some(detail),
            Measurement::SchemaChange(_) => None,
        }
    }

    pub fn schema_change(&self) -> Option<&SchemaChange> {
        match &self.measurement {
            Measurement::Statistics(_) => None,
            Measurement::SchemaChange(change) => Some(change),
        }
    }

    pub fn statistic(&self, statistic: Statistic) -> Option<f64> {
        match (self.statistics()?, statistic) {
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
        match self.statistics() {
            Some(FeatureDetail::Numeric(n)) => &n.notes,
            Some(FeatureDetail::Categorical(c)) => &c.notes,
            None => &[],
        }
    }

    pub fn missing_rate_change(&self) -> Option<f64> {
        match self.statistics()? {
            FeatureDetail::Numeric(n) => n.missing_rate_change,
            FeatureDetail::Categorical(c) => c.missing_rate_change,
        }
    }
}

/// Computes every statistic of one feature from its decoded columns, which are dropped as soon
/// as their values are extracted (a feature's memory peak is its values, not two copies).
pub fn analyze_feature(
    feature: &PlannedFeature,
    baseline: BaselineData<'_>,
    current: LoadedTable,
    buckets: usize,
) -> Result<FeatureDrift> {
    let name = feature.name.as_str();
    let statistics =
        match feature.kind {
            ColumnKind::Numeric => {
                let current_values = NumericValues::from_columns(&current.column_parts(name)?)?;
                drop(current);
                match baseline {
                    BaselineData::Data(table) => {
                        let base = NumericValues::from_columns(&table.column_parts(name)?)?;
                        drop(table);
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
                drop(current);
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
        measurement: Measurement::Statistics(Box::new(statistics)),
    })
}
