//! Which features to compare, and as what kind: requested names or all shared columns, minus
//! exclusions, with categorical overrides. Structural problems are errors naming the file.

use anyhow::{bail, Result};
use serde::Serialize;

use crate::data::ColumnKind;

/// One side's view of its columns: names in file order, and each column's kind (an error
/// names the file and the column when the column is missing or has an unusable type).
pub trait ColumnSource {
    fn source(&self) -> String;
    fn names(&self) -> Vec<String>;
    fn kind(&self, column: &str) -> Result<ColumnKind>;
    /// Whether the column holds no value at all (an empty CSV column has no type of its own).
    fn is_empty(&self, _column: &str) -> bool {
        false
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct PlannedFeature {
    pub name: String,
    pub kind: ColumnKind,
}

pub struct FeatureSelection<'a> {
    pub requested: &'a [String],
    pub excluded: &'a [String],
    pub categorical: &'a [String],
}

/// Returns the features and messages about columns left out.
pub fn plan_features(
    baseline: &dyn ColumnSource,
    current: &dyn ColumnSource,
    selection: &FeatureSelection<'_>,
) -> Result<(Vec<PlannedFeature>, Vec<String>)> {
    let mut messages = Vec::new();
    let explicit = !selection.requested.is_empty();
    let current_names = current.names();
    let candidates: Vec<String> = if explicit {
        selection.requested.to_vec()
    } else {
        let baseline_names = baseline.names();
        let only_baseline: Vec<&str> = baseline_names
            .iter()
            .filter(|n| !current_names.contains(n))
            .map(String::as_str)
            .collect();
        let only_current: Vec<&str> = current_names
            .iter()
            .filter(|n| !baseline_names.contains(n))
            .map(String::as_str)
            .collect();
        if !only_baseline.is_empty() {
            messages.push(format!(
                "columns only in the baseline, not compared: {}",
                only_baseline.join(", ")
            ));
        }
        if !only_current.is_empty() {
            messages.push(format!(
                "columns only in the current data, not compared: {}",
                only_current.join(", ")
            ));
        }
        baseline_names
            .into_iter()
            .filter(|n| current_names.contains(n))
            .collect()
    };
    let baseline_names = baseline.names();
    for name in selection.categorical {
        if !baseline_names.contains(name) {
            bail!(
                "column `{name}` given to --categorical is not in {}",
                baseline.source()
            );
        }
    }
    let absent: Vec<&str> = selection
        .excluded
        .iter()
        .filter(|n| !baseline_names.contains(n))
        .map(String::as_str)
        .collect();
    if !absent.is_empty() {
        messages.push(format!(
            "--exclude names columns not in {}: {}",
            baseline.source(),
            absent.join(", ")
        ));
    }
    let mut planned = Vec::new();
    for name in candidates {
        if selection.excluded.contains(&name) {
            continue;
        }
        let (base_kind, cur_kind) = if explicit {
            (baseline.kind(&name)?, current.kind(&name)?)
        } else {
            match (baseline.kind(&name), current.kind(&name)) {
                (Ok(b), Ok(c)) => (b, c),
                (Err(e), _) | (_, Err(e)) => {
                    messages.push(format!("skipped: {e:#}"));
                    continue;
                }
            }
        };
        // An all-empty column has no type of its own: compare it as the other side's kind.
        let (base_kind, cur_kind) = match (baseline.is_empty(&name), current.is_empty(&name)) {
            (true, false) => (cur_kind, cur_kind),
            (false, true) => (base_kind, base_kind),
            _ => (base_kind, cur_kind),
        };
        let forced_categorical = selection.categorical.contains(&name);
        if base_kind != cur_kind && !forced_categorical {
            bail!(
                "column `{name}` is {} in {} but {} in {}; pass --categorical {name} to compare it as categories",
                base_kind.describe(),
                baseline.source(),
                cur_kind.describe(),
                current.source()
            );
        }
        let kind = if forced_categorical {
            ColumnKind::Categorical
        } else {
            base_kind
        };
        planned.push(PlannedFeature { name, kind });
    }
    if planned.is_empty() {
        bail!(
            "no features to compare between {} and {}; check --features/--exclude",
            baseline.source(),
            current.source()
        );
    }
    Ok((planned, messages))
}
