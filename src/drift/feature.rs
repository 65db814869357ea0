//! One feature's drift, whatever its kind, and the baseline it is measured against.

use std::sync::Arc;

use anyhow::{bail, Context, Result};
use serde::Serialize;

use super::categorical::{analyze_categorical, CategoricalDrift};
use super::numeric::{analyze_numeric, NumericDrift, NumericSide};
use super::plan::{ColumnSource, PlannedFeature};
use super::profile::{FeatureSummary, NumericProfile, Profile};
use super::schema::{type_change, ColumnType, SchemaChange};
use super::verdict::Statistic;
use crate::data::read::{Fingerprints, LoadedTable};
use crate::data::{CategoryCounts, ColumnKind, InputInfo, NumericValues, Table};

/// A side of a drift check (baseline or current): raw data, or a profile.json.
pub enum Side {
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

impl ColumnSource for Side {
    fn source(&self) -> String {
        match self {
            Side::Data(t) => t.source.clone(),
            Side::Profile { path, .. } => path.clone(),
        }
    }
    fn names(&self) -> Vec<String> {
        match self {
            Side::Data(t) => t.column_names(),
            Side::Profile { profile, .. } => {
                profile.features.iter().map(|f| f.name.clone()).collect()
            }
        }
    }
    fn kind(&self, column: &str) -> Result<ColumnKind> {
        match self {
            Side::Data(t) => t.column_kind(column),
            Side::Profile { path, profile } => match profile.feature(column) {
                Some(summary) => Ok(summary.kind()),
                None => bail!(
                    "column `{column}` not found in {path}; columns are: {}",
                    self.names().join(", ")
                ),
            },
        }
    }
    fn is_empty(&self, column: &str) -> bool {
        matches!(self, Side::Data(t) if t.column_is_empty(column))
    }
    fn require(&self, column: &str) -> Result<()> {
        match self {
            Side::Data(t) => t.require_column(column),
            Side::Profile { .. } => Ok(()),
        }
    }
}

impl Side {
    pub fn source_for_text(&self) -> String {
        ColumnSource::source(self)
    }

    /// "data" or "profile", as the report's summary says.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Side::Data(_) => "data",
            Side::Profile { .. } => "profile",
        }
    }

    /// Starts hashing the files of a data side; a profile has none.
    fn fingerprint(&self) -> Option<Arc<Fingerprints>> {
        match self {
            Side::Data(table) => Some(table.fingerprint()),
            Side::Profile { .. } => None,
        }
    }

    /// Rows per file of a data side, counted before any decoding; `None` for a profile.
    fn shard_rows(&self) -> Result<Option<Vec<usize>>> {
        match self {
            Side::Data(table) => Ok(Some(table.shard_rows()?)),
            Side::Profile { .. } => Ok(None),
        }
    }

    /// Rows in all: the files' sum, or what the profile counted.
    fn total_rows(&self, rows: &Option<Vec<usize>>) -> u64 {
        match (self, rows) {
            (Side::Profile { profile, .. }, _) => profile.rows,
            (_, Some(rows)) => rows.iter().sum::<usize>() as u64,
            (_, None) => 0,
        }
    }

    fn inputs(
        &self,
        rows: &Option<Vec<usize>>,
        fingerprints: &Option<Arc<Fingerprints>>,
    ) -> Result<Vec<InputInfo>> {
        match (self, fingerprints, rows) {
            (Side::Data(table), Some(prints), Some(rows)) => table.inputs(rows, prints),
            _ => Ok(Vec::new()),
        }
    }

    /// One feature's data: decoded from the files, or the profile's summaries.
    fn load(
        &self,
        feature: &PlannedFeature,
        fingerprints: &Option<Arc<Fingerprints>>,
    ) -> Result<SideData<'_>> {
        Ok(match (self, fingerprints) {
            (Side::Data(table), Some(prints)) => SideData::Data(
                table.load_fingerprinted(std::slice::from_ref(&feature.name), prints)?,
            ),
            (Side::Profile { path, profile }, _) => SideData::Profile { path, profile },
            (Side::Data(_), None) => bail!("data files were not opened for hashing"),
        })
    }
}

/// One feature's decoded baseline column, or the profile's summaries.
pub enum SideData<'a> {
    Data(LoadedTable),
    Profile { path: &'a str, profile: &'a Profile },
}

impl SideData<'_> {
    /// The type of a planned feature: the decoded column's, or what the profile recorded.
    fn column_type(&self, feature: &PlannedFeature, empty: bool) -> Result<ColumnType> {
        match self {
            SideData::Data(table) => decoded_type(table, &feature.name, empty),
            SideData::Profile { path, profile } => {
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
    pub baseline: &'a Side,
    pub current: &'a Side,
    baseline_fingerprints: Option<Arc<Fingerprints>>,
    current_fingerprints: Option<Arc<Fingerprints>>,
}

/// Each side's rows per file, counted before any column is decoded (`None` for a profile).
pub struct SideRows {
    pub baseline: Option<Vec<usize>>,
    pub current: Option<Vec<usize>>,
}

impl<'a> Sides<'a> {
    /// Starts hashing both sides' files.
    pub fn open(baseline: &'a Side, current: &'a Side) -> Sides<'a> {
        Sides {
            baseline,
            current,
            baseline_fingerprints: baseline.fingerprint(),
            current_fingerprints: current.fingerprint(),
        }
    }

    /// Rows per file on each side; an empty side is an error, found before any decoding.
    pub fn rows(&self) -> Result<SideRows> {
        Ok(SideRows {
            baseline: self.baseline.shard_rows()?,
            current: self.current.shard_rows()?,
        })
    }

    pub fn baseline_total(&self, rows: &SideRows) -> u64 {
        self.baseline.total_rows(&rows.baseline)
    }

    pub fn current_total(&self, rows: &SideRows) -> u64 {
        self.current.total_rows(&rows.current)
    }

    /// What the report records about every input file (waits for the digests).
    pub fn inputs(&self, rows: &SideRows) -> Result<Vec<InputInfo>> {
        let mut inputs = self
            .baseline
            .inputs(&rows.baseline, &self.baseline_fingerprints)?;
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
        let baseline = self.baseline.load(feature, &self.baseline_fingerprints)?;
        let current = self.current.load(feature, &self.current_fingerprints)?;
        let baseline_type = baseline.column_type(feature, self.baseline.is_empty(name))?;
        let current_type = current.column_type(feature, self.current.is_empty(name))?;
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
    baseline: SideData<'_>,
    current: SideData<'_>,
    buckets: usize,
) -> Result<FeatureDrift> {
    let name = feature.name.as_str();
    let statistics = match feature.kind {
        ColumnKind::Numeric => {
            let current = current.numeric(name)?;
            let baseline = baseline.numeric(name)?;
            FeatureDetail::Numeric(
                analyze_numeric(baseline.side(), current.side(), buckets)
                    .with_context(|| format!("feature `{name}`"))?,
            )
        }
        ColumnKind::Categorical => {
            let current = current.categories(name)?;
            let baseline = baseline.categories(name)?;
            FeatureDetail::Categorical(analyze_categorical(&baseline, &current))
        }
    };
    Ok(FeatureDrift {
        name: name.to_string(),
        kind: feature.kind,
        measurement: Measurement::Statistics(Box::new(statistics)),
    })
}

/// A numeric feature's values, extracted (and the decoded column dropped), or its profile.
enum NumericData<'a> {
    Values(NumericValues),
    Profile(&'a NumericProfile),
}

impl NumericData<'_> {
    fn side(&self) -> NumericSide<'_> {
        match self {
            NumericData::Values(values) => NumericSide::Raw(values),
            NumericData::Profile(profile) => NumericSide::Profile(profile),
        }
    }
}

impl<'a> SideData<'a> {
    fn numeric(self, name: &str) -> Result<NumericData<'a>> {
        match self {
            SideData::Data(table) => Ok(NumericData::Values(NumericValues::from_columns(
                &table.column_parts(name)?,
            )?)),
            SideData::Profile { path, profile } => match profile.feature(name) {
                Some(FeatureSummary::Numeric(p)) => Ok(NumericData::Profile(p)),
                _ => bail!("column `{name}` is not profiled as numeric in {path}"),
            },
        }
    }

    fn categories(self, name: &str) -> Result<CategoryCounts> {
        match self {
            SideData::Data(table) => CategoryCounts::from_columns(&table.column_parts(name)?),
            SideData::Profile { path, profile } => match profile.feature(name) {
                Some(FeatureSummary::Categorical(c)) => Ok(c.clone()),
                _ => bail!(
                    "column `{name}` is profiled as numeric in {path}; re-run `refit profile \
                     --categorical {name}` to compare it as categories"
                ),
            },
        }
    }
}
