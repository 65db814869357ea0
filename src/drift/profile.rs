//! The baseline profile (`refit profile`): per numeric feature the quantile bins and their
//! counts, per categorical feature the category frequencies, null/NaN counts and row count.
//! drift-check accepts it as `--baseline` and gets the same PSI as from the raw data.

use std::path::Path;

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};

use crate::data::columns::MissingCounts;
use crate::data::{CategoryCounts, InputInfo, NumericValues};
use crate::stats::binning::BinEdges;
use crate::stats::quantile_sketch::QuantileSketch;

pub const PROFILE_FORMAT: &str = "refit-profile";
pub const PROFILE_SCHEMA: u32 = 1;
/// `refit profile edges` output: bins for the parts of a baseline, not a profile.
pub const EDGES_FORMAT: &str = "refit-edges";

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
    /// The finite values' distribution for KS and Wasserstein (approximate, with its bound);
    /// absent from profiles written before it was kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sketch: Option<QuantileSketch>,
}

impl NumericProfile {
    pub fn from_values(values: &NumericValues, buckets: usize) -> NumericProfile {
        let edges = BinEdges::from_sorted_baseline(&values.sorted, buckets)
            .unwrap_or(BinEdges { cuts: Vec::new() });
        NumericProfile::with_edges(values, edges)
    }

    /// Counts against given edges (another profile's): profiles of shards counted against the
    /// same edges add up exactly to the profile of all of them.
    pub fn with_edges(values: &NumericValues, edges: BinEdges) -> NumericProfile {
        let counts = edges.count_sorted(&values.sorted);
        NumericProfile {
            edges,
            counts,
            missing: values.missing,
            min: values.sorted.first().copied(),
            max: values.sorted.last().copied(),
            sketch: Some(QuantileSketch::from_sorted(&values.sorted)),
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
        Profile::parse(&text, path)
    }

    /// The profile `text` read from `path` holds, checked. Bin edges (`refit profile edges`)
    /// are told apart only when they fail as a profile, so a profile is parsed once.
    pub fn parse(text: &str, path: &Path) -> Result<Profile> {
        let is_edges = || super::edges::format_of(text).as_deref() == Some(EDGES_FORMAT);
        let profile: Profile = match serde_json::from_str(text) {
            Ok(profile) => profile,
            Err(_) if is_edges() => bail!("{}", super::edges::not_a_profile(path)),
            Err(e) => {
                return Err(e).with_context(|| {
                    format!(
                        "{}: not a refit profile (expected the JSON written by `refit profile`)",
                        path.display()
                    )
                })
            }
        };
        if profile.format == EDGES_FORMAT {
            bail!("{}", super::edges::not_a_profile(path));
        }
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

/// An error when one of `specs` is a profile.json: for commands whose checks need rows that a
/// profile does not keep; `why` names them.
pub fn refuse_profiles(flag: &str, specs: &[String], why: &str) -> Result<()> {
    match specs.iter().find(|s| is_profile_path(s)) {
        Some(spec) => bail!("{flag} {spec} is a refit profile: {why}"),
        None => Ok(()),
    }
}

/// Profiles one planned feature of a loaded table: numeric bins from its own quantiles, or
/// against `edges` when given (`--edges-from`).
pub fn profile_feature(
    feature: &super::plan::PlannedFeature,
    data: &crate::data::read::LoadedTable,
    buckets: usize,
    edges: Option<&BinEdges>,
) -> Result<FeatureProfile> {
    let parts = data.column_parts(&feature.name)?;
    let dtype = parts.first().map(|c| c.dtype().to_string());
    let summary = match feature.kind {
        crate::data::ColumnKind::Numeric => {
            let values = NumericValues::from_columns(&parts)?;
            FeatureSummary::Numeric(match edges {
                Some(edges) => NumericProfile::with_edges(&values, edges.clone()),
                None => NumericProfile::from_values(&values, buckets),
            })
        }
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

/// Adds profiles of disjoint parts of one dataset (shards, partitions, days) into the profile
/// of all of them: exact, associative and commutative for every count. Each must have the
/// same features of the same kinds, and numeric features the same bin edges (profile the
/// parts with `--edges-from` one baseline profile); `names` say which file is which.
pub fn merge_profiles(
    profiles: &[Profile],
    names: &[String],
    created_at: String,
) -> Result<Profile> {
    let Some(first) = profiles.first() else {
        bail!("nothing to merge: give at least one profile");
    };
    let mut merged = first.clone();
    merged.created_at = created_at;
    for (profile, name) in profiles.iter().zip(names).skip(1) {
        if profile.buckets != merged.buckets {
            bail!(
                "{name}: {} buckets, {} has {}; profiles merge only with the same bins",
                profile.buckets,
                names[0],
                merged.buckets
            );
        }
        same_features(profile, name, first, &names[0])?;
        for feature in &mut merged.features {
            let other = profile
                .feature(&feature.name)
                .context("features were checked to match")?;
            add_summary(&mut feature.summary, other)
                .with_context(|| format!("{name}: feature `{}`", feature.name))?;
        }
        merged.rows += profile.rows;
        merged.sources.extend(profile.sources.iter().cloned());
    }
    // All parts' sketches at once: one compaction, where pairwise merges would add one each.
    for feature in &mut merged.features {
        if let FeatureSummary::Numeric(numeric) = &mut feature.summary {
            let parts: Option<Vec<&QuantileSketch>> = profiles
                .iter()
                .map(|p| match p.feature(&feature.name) {
                    Some(FeatureSummary::Numeric(n)) => n.sketch.as_ref(),
                    _ => None,
                })
                .collect();
            numeric.sketch = parts.map(|parts| QuantileSketch::merge(&parts));
        }
    }
    Ok(merged)
}

/// Parts of one dataset have the same features (in any order); `name` and `first_name` say
/// which files differ.
pub(super) fn same_features(
    profile: &Profile,
    name: &str,
    first: &Profile,
    first_name: &str,
) -> Result<()> {
    let theirs: Vec<&str> = profile.features.iter().map(|f| f.name.as_str()).collect();
    let ours: Vec<&str> = first.features.iter().map(|f| f.name.as_str()).collect();
    let mut sorted_theirs = theirs.clone();
    let mut sorted_ours = ours.clone();
    sorted_theirs.sort_unstable();
    sorted_ours.sort_unstable();
    if sorted_theirs != sorted_ours {
        bail!(
            "{name}: features {} differ from {first_name}'s {}; profile every part with the \
             same --features",
            theirs.join(", "),
            ours.join(", ")
        );
    }
    Ok(())
}

fn add_summary(ours: &mut FeatureSummary, theirs: &FeatureSummary) -> Result<()> {
    match (ours, theirs) {
        (FeatureSummary::Numeric(a), FeatureSummary::Numeric(b)) => {
            if !a.edges.same_as(&b.edges) {
                bail!(
                    "its bin edges differ; profile every part with --edges-from the same \
                     baseline profile (or the `refit profile edges` of the parts) so that \
                     counts can be added"
                );
            }
            for (count, more) in a.counts.iter_mut().zip(&b.counts) {
                *count += more;
            }
            add_missing(&mut a.missing, &b.missing);
            a.min = extreme(a.min, b.min, f64::min);
            a.max = extreme(a.max, b.max, f64::max);
        }
        (FeatureSummary::Categorical(a), FeatureSummary::Categorical(b)) => {
            for (category, count) in &b.counts {
                *a.counts.entry(category.clone()).or_insert(0) += count;
            }
            add_missing(&mut a.missing, &b.missing);
        }
        (ours, theirs) => bail!(
            "is {:?} in one profile and {:?} in the other",
            ours.kind(),
            theirs.kind()
        ),
    }
    Ok(())
}

fn add_missing(a: &mut MissingCounts, b: &MissingCounts) {
    a.rows += b.rows;
    a.null += b.null;
    a.nan += b.nan;
    a.pos_inf += b.pos_inf;
    a.neg_inf += b.neg_inf;
}

fn extreme(a: Option<f64>, b: Option<f64>, pick: fn(f64, f64) -> f64) -> Option<f64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(pick(x, y)),
        (x, y) => x.or(y),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::stats::quantile_sketch::tests::Stream;

    /// A profile of `values` (numbers, with NaN and inf among them) and `categories` against
    /// `edges`, as `refit profile --edges-from` writes it.
    fn profile_of(values: &[f64], categories: &[&str], edges: &BinEdges) -> Profile {
        let numeric =
            NumericProfile::with_edges(&NumericValues::from_values(values), edges.clone());
        let mut counts = CategoryCounts::default();
        for c in categories {
            *counts.counts.entry(c.to_string()).or_insert(0) += 1;
        }
        counts.missing.rows = categories.len() as u64;
        Profile {
            format: PROFILE_FORMAT.into(),
            schema: PROFILE_SCHEMA,
            refit_version: "test".into(),
            created_at: "t".into(),
            rows: values.len() as u64,
            buckets: 10,
            sources: Vec::new(),
            features: vec![
                FeatureProfile {
                    name: "x".into(),
                    dtype: None,
                    summary: FeatureSummary::Numeric(numeric),
                },
                FeatureProfile {
                    name: "c".into(),
                    dtype: None,
                    summary: FeatureSummary::Categorical(counts),
                },
            ],
        }
    }

    fn counts(profile: &Profile) -> String {
        serde_json::to_string(&profile.features).unwrap() + &profile.rows.to_string()
    }

    fn merged(parts: &[&Profile]) -> Profile {
        let owned: Vec<Profile> = parts.iter().map(|p| (*p).clone()).collect();
        let names: Vec<String> = (0..owned.len()).map(|i| format!("p{i}")).collect();
        merge_profiles(&owned, &names, "t".into()).unwrap()
    }

    #[test]
    fn merging_the_parts_of_random_splits_gives_the_whole_in_any_order_and_grouping() {
        let mut stream = Stream(20);
        let labels = ["a", "b", "c", "d"];
        for _ in 0..50 {
            let n = 1 + (stream.next() % 400) as usize;
            let values: Vec<f64> = (0..n)
                .map(|_| match stream.next() % 50 {
                    0 => f64::NAN,
                    1 => f64::INFINITY,
                    _ => (stream.unit() * 100.0).floor() / 4.0,
                })
                .collect();
            let categories: Vec<&str> = (0..n)
                .map(|_| labels[(stream.next() % 4) as usize])
                .collect();
            let edges = BinEdges {
                cuts: vec![2.5, 10.0, 10.25, 17.0, 24.75],
            };
            let whole = profile_of(&values, &categories, &edges);
            let (i, j) = {
                let mut cut = [
                    (stream.next() as usize) % (n + 1),
                    (stream.next() as usize) % (n + 1),
                ];
                cut.sort_unstable();
                (cut[0], cut[1])
            };
            let parts: Vec<Profile> = [(0, i), (i, j), (j, n)]
                .iter()
                .map(|&(a, b)| profile_of(&values[a..b], &categories[a..b], &edges))
                .collect();
            let (a, b, c) = (&parts[0], &parts[1], &parts[2]);
            let expected = counts(&whole);
            assert_eq!(counts(&merged(&[a, b, c])), expected, "the concatenation");
            assert_eq!(counts(&merged(&[c, a, b])), expected, "commutative");
            assert_eq!(
                counts(&merged(&[&merged(&[a, b]), c])),
                expected,
                "associative"
            );
            assert_eq!(
                counts(&merged(&[a, &merged(&[b, c])])),
                expected,
                "associative"
            );
        }
    }

    #[test]
    fn different_edges_or_features_do_not_merge() {
        let a = profile_of(&[1.0, 2.0], &["a", "b"], &BinEdges { cuts: vec![1.5] });
        let b = profile_of(&[1.0, 2.0], &["a", "b"], &BinEdges { cuts: vec![1.6] });
        let names = vec!["a.json".to_string(), "b.json".to_string()];
        let err = merge_profiles(&[a.clone(), b], &names, "t".into()).unwrap_err();
        let message = format!("{err:#}");
        assert!(
            message.contains("b.json: feature `x`") && message.contains("--edges-from"),
            "{message}"
        );
        let mut fewer = a.clone();
        fewer.features.pop();
        let err = merge_profiles(&[a, fewer], &names, "t".into()).unwrap_err();
        assert!(err.to_string().contains("features x differ"), "{err}");
    }
}
