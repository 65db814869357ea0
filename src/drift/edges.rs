//! Shared bin edges for a baseline too large for one process (`refit profile edges`): the parts'
//! quantile sketches merged, and each numeric feature's cuts taken from the merged sketch by
//! the rule raw data uses. Parts profiled `--edges-from` the result count against the same
//! cuts, so their profiles merge exactly into the baseline profile.

use std::path::Path;

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};

use super::profile::{same_features, FeatureSummary, Profile, EDGES_FORMAT, PROFILE_FORMAT};
use crate::data::{ColumnKind, InputInfo};
use crate::stats::binning::BinEdges;
use crate::stats::quantile_sketch::QuantileSketch;

pub const EDGES_SCHEMA: u32 = 1;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SharedEdges {
    /// Always "refit-edges".
    pub format: String,
    pub schema: u32,
    pub refit_version: String,
    pub created_at: String,
    /// Rows of the parts the sketches came from.
    pub rows: u64,
    pub buckets: usize,
    pub sources: Vec<InputInfo>,
    pub features: Vec<FeatureEdges>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FeatureEdges {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dtype: Option<String>,
    #[serde(flatten)]
    pub bins: FeatureBins,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum FeatureBins {
    Numeric(SketchedEdges),
    /// Categories need no edges; listed so that a part's feature kinds are checked.
    Categorical,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SketchedEdges {
    #[serde(flatten)]
    pub edges: BinEdges,
    /// The merged sketch's bound, in rows: each cut holds a true rank within this many rows of
    /// its quantile's (0: the cuts are the raw data's, bit for bit).
    pub max_rank_error: u64,
}

/// Where `--edges-from` takes a numeric feature's bins: a baseline profile or shared edges.
pub enum EdgesSource {
    Profile(Profile),
    Shared(SharedEdges),
}

impl EdgesSource {
    pub fn load(path: &Path) -> Result<EdgesSource> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        if format_of(&text).as_deref() != Some(EDGES_FORMAT) {
            return Profile::parse(&text, path).map(EdgesSource::Profile);
        }
        let shared: SharedEdges = serde_json::from_str(&text).with_context(|| {
            format!(
                "{}: not refit bin edges (expected the JSON written by `refit profile edges`)",
                path.display()
            )
        })?;
        if shared.schema != EDGES_SCHEMA {
            bail!(
                "{}: edges schema {} is not supported (this refit reads schema {EDGES_SCHEMA})",
                path.display(),
                shared.schema
            );
        }
        Ok(EdgesSource::Shared(shared))
    }

    pub fn buckets(&self) -> usize {
        match self {
            EdgesSource::Profile(p) => p.buckets,
            EdgesSource::Shared(s) => s.buckets,
        }
    }

    /// The kind the baseline recorded for `name`, with a numeric feature's edges.
    pub fn feature(&self, name: &str) -> Option<(ColumnKind, Option<&BinEdges>)> {
        match self {
            EdgesSource::Profile(p) => p.feature(name).map(|s| match s {
                FeatureSummary::Numeric(n) => (ColumnKind::Numeric, Some(&n.edges)),
                FeatureSummary::Categorical(_) => (ColumnKind::Categorical, None),
            }),
            EdgesSource::Shared(s) => s.features.iter().find(|f| f.name == name).map(|f| match &f
                .bins
            {
                FeatureBins::Numeric(n) => (ColumnKind::Numeric, Some(&n.edges)),
                FeatureBins::Categorical => (ColumnKind::Categorical, None),
            }),
        }
    }
}

/// The bins of the whole from profiles of its parts, each profiled on its own bins (pass one
/// of two): every numeric feature's sketches merged and cut into `buckets` quantile bins.
/// The parts must have the same features of the same kinds; `names` say which file is which.
pub fn edges_from_sketches(
    profiles: &[Profile],
    names: &[String],
    buckets: usize,
    created_at: String,
) -> Result<SharedEdges> {
    let Some(first) = profiles.first() else {
        bail!("no profiles: give the profiles of every part");
    };
    for (profile, name) in profiles.iter().zip(names).skip(1) {
        same_features(profile, name, first, &names[0])?;
    }
    let features = first
        .features
        .iter()
        .map(|feature| {
            let bins = match &feature.summary {
                FeatureSummary::Categorical(_) => FeatureBins::Categorical,
                FeatureSummary::Numeric(_) => {
                    let sketch = merged_sketch(profiles, names, &feature.name)?;
                    FeatureBins::Numeric(SketchedEdges {
                        edges: BinEdges::from_sketch(&sketch, buckets)
                            .unwrap_or(BinEdges { cuts: Vec::new() }),
                        max_rank_error: sketch.max_rank_error,
                    })
                }
            };
            Ok(FeatureEdges {
                name: feature.name.clone(),
                dtype: feature.dtype.clone(),
                bins,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(SharedEdges {
        format: EDGES_FORMAT.to_string(),
        schema: EDGES_SCHEMA,
        refit_version: env!("CARGO_PKG_VERSION").to_string(),
        created_at,
        rows: profiles.iter().map(|p| p.rows).sum(),
        buckets,
        sources: profiles.iter().flat_map(|p| p.sources.clone()).collect(),
        features,
    })
}

/// One numeric feature's sketches from every part, merged at once (one compaction).
fn merged_sketch(profiles: &[Profile], names: &[String], feature: &str) -> Result<QuantileSketch> {
    let parts = profiles
        .iter()
        .zip(names)
        .map(|(profile, name)| match profile.feature(feature) {
            Some(FeatureSummary::Numeric(n)) => n.sketch.as_ref().with_context(|| {
                format!(
                    "{name}: feature `{feature}` has no quantile sketch (a profile from before \
                     refit kept them); profile that part again"
                )
            }),
            _ => bail!("{name}: feature `{feature}` is not numeric in every part"),
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(QuantileSketch::merge(&parts))
}

/// The `format` a refit JSON document names, if it names one.
pub(super) fn format_of(text: &str) -> Option<String> {
    #[derive(Deserialize)]
    struct Format {
        format: Option<String>,
    }
    serde_json::from_str::<Format>(text).ok()?.format
}

/// What drift-check says when handed edges where it needs a profile.
pub fn not_a_profile(path: &Path) -> String {
    format!(
        "{}: bin edges (`{EDGES_FORMAT}`), not a profile: profile the parts with --edges-from \
         it and `refit profile merge` them into the `{PROFILE_FORMAT}` drift-check reads",
        path.display()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::columns::MissingCounts;
    use crate::drift::profile::{FeatureProfile, NumericProfile, PROFILE_SCHEMA};
    use crate::stats::quantile_sketch::tests::Stream;

    fn part(values: &[f64]) -> Profile {
        let mut sorted = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        let sketch = QuantileSketch::from_sorted(&sorted);
        let edges = BinEdges::from_sorted_baseline(&sorted, 10).unwrap();
        Profile {
            format: PROFILE_FORMAT.into(),
            schema: PROFILE_SCHEMA,
            refit_version: "test".into(),
            created_at: "now".into(),
            rows: values.len() as u64,
            buckets: 10,
            sources: Vec::new(),
            features: vec![FeatureProfile {
                name: "x".into(),
                dtype: Some("f64".into()),
                summary: FeatureSummary::Numeric(NumericProfile {
                    counts: edges.count_sorted(&sorted),
                    edges,
                    missing: MissingCounts::default(),
                    min: sorted.first().copied(),
                    max: sorted.last().copied(),
                    sketch: Some(sketch),
                }),
            }],
        }
    }

    fn cuts(shared: &SharedEdges) -> (&[f64], u64) {
        match &shared.features[0].bins {
            FeatureBins::Numeric(n) => (&n.edges.cuts, n.max_rank_error),
            FeatureBins::Categorical => panic!("numeric"),
        }
    }

    #[test]
    fn small_parts_give_the_edges_of_the_whole_bit_for_bit() {
        let values: Vec<f64> = (0..3_000).map(|i| f64::from(i % 1_500) * 0.7).collect();
        let parts = [part(&values[..1_000]), part(&values[1_000..])];
        let names = ["a".to_string(), "b".to_string()];
        let shared = edges_from_sketches(&parts, &names, 10, "now".into()).unwrap();
        let mut all = values.clone();
        all.sort_by(f64::total_cmp);
        let (got, bound) = cuts(&shared);
        assert_eq!(bound, 0);
        assert_eq!(got, BinEdges::from_sorted_baseline(&all, 10).unwrap().cuts);
        assert_eq!(shared.rows, 3_000);
    }

    #[test]
    fn large_parts_give_cuts_within_the_stated_rank_bound() {
        let mut stream = Stream(17);
        let raw: Vec<Vec<f64>> = (0..5)
            .map(|k| {
                (0..20_000)
                    .map(|_| stream.unit().powi(3) * 100.0 + k as f64)
                    .collect()
            })
            .collect();
        let parts: Vec<Profile> = raw.iter().map(|values| part(values)).collect();
        let names: Vec<String> = (0..5).map(|k| format!("p{k}")).collect();
        let shared = edges_from_sketches(&parts, &names, 10, "now".into()).unwrap();
        let (got, bound) = cuts(&shared);
        assert!(bound > 0);
        let mut all = raw.concat();
        all.sort_by(f64::total_cmp);
        assert_eq!(got.len(), 9);
        for (k, cut) in got.iter().enumerate() {
            let target = (all.len() - 1) as f64 * (k + 1) as f64 / 10.0;
            let below = all.partition_point(|v| v < cut) as f64;
            let at_or_below = all.partition_point(|v| v <= cut) as f64;
            let slack = bound as f64 + 1.0;
            assert!(
                below <= target + slack && at_or_below >= target - slack,
                "cut {k}: {cut} holds ranks {below}..{at_or_below}, target {target}"
            );
        }
    }

    #[test]
    fn parts_with_other_features_or_no_sketch_are_refused_naming_the_file() {
        let a = part(&[1.0, 2.0, 3.0]);
        let mut b = part(&[4.0, 5.0]);
        let names = ["a.json".to_string(), "b.json".to_string()];
        b.features[0].name = "y".into();
        let err = edges_from_sketches(&[a.clone(), b], &names, 10, "now".into()).unwrap_err();
        assert!(format!("{err:#}").contains("b.json"), "{err:#}");
        let mut c = part(&[4.0, 5.0]);
        if let FeatureSummary::Numeric(n) = &mut c.features[0].summary {
            n.sketch = None;
        }
        let err = edges_from_sketches(&[a, c], &names, 10, "now".into()).unwrap_err();
        assert!(
            format!("{err:#}").contains("b.json: feature `x` has no quantile sketch"),
            "{err:#}"
        );
    }
}
