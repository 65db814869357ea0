//! Which features to compare, and as what kind: requested names or every baseline column,
//! minus exclusions, with categorical overrides. Structural problems of the baseline are
//! errors naming the file; a feature the current data lacks is planned, and reported as such.

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
    /// Fails, naming the file, when a column of `names` is missing from part of the source
    /// (a shard): the source does not have it as a whole.
    fn require(&self, _column: &str) -> Result<()> {
        Ok(())
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

/// The features to check, in baseline order, and what the plan has to say.
#[derive(Debug, Clone, Default)]
pub struct FeaturePlan {
    pub features: Vec<PlannedFeature>,
    /// Features of `features` the current data does not have.
    pub missing: Vec<String>,
    /// Columns left out, and why.
    pub messages: Vec<String>,
}

impl FeaturePlan {
    pub fn is_missing(&self, name: &str) -> bool {
        self.missing.iter().any(|m| m == name)
    }

    /// The names of the features the current data has.
    pub fn present(&self) -> Vec<String> {
        self.features
            .iter()
            .filter(|f| !self.is_missing(&f.name))
            .map(|f| f.name.clone())
            .collect()
    }
}

/// Plans the features: the requested ones, or every comparable baseline column. A feature the
/// baseline lacks is an error when requested; one the current data lacks is planned and listed
/// in `missing`. Whether a present feature's type changed is decided on the decoded columns
/// (`schema::type_change`).
pub fn plan_features(
    baseline: &dyn ColumnSource,
    current: &dyn ColumnSource,
    selection: &FeatureSelection<'_>,
) -> Result<FeaturePlan> {
    let explicit = !selection.requested.is_empty();
    let baseline_names = baseline.names();
    let current_names = current.names();
    let mut plan = FeaturePlan {
        messages: check_overrides(baseline, &baseline_names, selection)?,
        ..FeaturePlan::default()
    };
    let candidates = if explicit {
        selection.requested.to_vec()
    } else {
        let only_current: Vec<&str> = current_names
            .iter()
            .filter(|n| !baseline_names.contains(n))
            .map(String::as_str)
            .collect();
        if !only_current.is_empty() {
            plan.messages.push(format!(
                "columns only in the current data, not compared: {}",
                only_current.join(", ")
            ));
        }
        baseline_names
    };
    for name in candidates {
        if selection.excluded.contains(&name) {
            continue;
        }
        let in_current = whole_in(current, &current_names, &name, &mut plan.messages);
        let kind = match planned_kind(baseline, current, &name, in_current) {
            Ok(kind) => kind,
            Err(e) if explicit => return Err(e),
            Err(e) => {
                plan.messages.push(format!("skipped: {e:#}"));
                continue;
            }
        };
        if !in_current {
            plan.missing.push(name.clone());
        }
        let kind = if selection.categorical.contains(&name) {
            ColumnKind::Categorical
        } else {
            kind
        };
        plan.features.push(PlannedFeature { name, kind });
    }
    if plan.features.is_empty() {
        bail!(
            "no features to compare between {} and {}; check --features/--exclude",
            baseline.source(),
            current.source()
        );
    }
    Ok(plan)
}

/// Whether every part of `source` has the column: a shard without it leaves the feature
/// missing from the current data, with a message naming the shard.
fn whole_in(
    source: &dyn ColumnSource,
    names: &[String],
    name: &str,
    messages: &mut Vec<String>,
) -> bool {
    if !names.iter().any(|n| n == name) {
        return false;
    }
    match source.require(name) {
        Ok(()) => true,
        Err(e) => {
            messages.push(format!("{e:#}"));
            false
        }
    }
}

/// The baseline's kind; an all-empty baseline column has no type of its own, so it takes the
/// current data's kind.
fn planned_kind(
    baseline: &dyn ColumnSource,
    current: &dyn ColumnSource,
    name: &str,
    in_current: bool,
) -> Result<ColumnKind> {
    let kind = baseline.kind(name)?;
    if in_current && baseline.is_empty(name) && !current.is_empty(name) {
        return current.kind(name);
    }
    Ok(kind)
}

/// --categorical must name baseline columns; --exclude may name others, with a message.
fn check_overrides(
    baseline: &dyn ColumnSource,
    baseline_names: &[String],
    selection: &FeatureSelection<'_>,
) -> Result<Vec<String>> {
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
    if absent.is_empty() {
        return Ok(Vec::new());
    }
    Ok(vec![format!(
        "--exclude names columns not in {}: {}",
        baseline.source(),
        absent.join(", ")
    )])
}

#[cfg(test)]
mod tests {
    use anyhow::anyhow;

    use super::*;

    /// Columns by name and kind; `None` is a type refit cannot compare.
    struct Columns(&'static str, Vec<(&'static str, Option<ColumnKind>)>);

    impl ColumnSource for Columns {
        fn source(&self) -> String {
            self.0.to_string()
        }
        fn names(&self) -> Vec<String> {
            self.1.iter().map(|(n, _)| n.to_string()).collect()
        }
        fn kind(&self, column: &str) -> Result<ColumnKind> {
            match self.1.iter().find(|(n, _)| *n == column) {
                Some((_, Some(kind))) => Ok(*kind),
                Some((_, None)) => Err(anyhow!("column `{column}` in {} has type date", self.0)),
                None => Err(anyhow!("column `{column}` not found in {}", self.0)),
            }
        }
    }

    use ColumnKind::{Categorical, Numeric};

    fn baseline() -> Columns {
        Columns(
            "train.parquet",
            vec![
                ("age", Some(Numeric)),
                ("plan", Some(Categorical)),
                ("day", None),
            ],
        )
    }

    fn select<'a>(requested: &'a [String], categorical: &'a [String]) -> FeatureSelection<'a> {
        FeatureSelection {
            requested,
            excluded: &[],
            categorical,
        }
    }

    fn names(plan: &FeaturePlan) -> Vec<&str> {
        plan.features.iter().map(|f| f.name.as_str()).collect()
    }

    #[test]
    fn a_baseline_column_missing_today_is_planned_and_listed() {
        let current = Columns("today.csv", vec![("plan", Some(Categorical))]);
        let plan = plan_features(&baseline(), &current, &select(&[], &[])).unwrap();
        assert_eq!(names(&plan), ["age", "plan"]);
        assert_eq!(plan.missing, ["age"]);
        assert_eq!(plan.present(), ["plan"]);
        assert_eq!(plan.features[0].kind, Numeric, "the baseline's kind");
        assert!(plan.messages[0].starts_with("skipped: column `day`"));
    }

    #[test]
    fn a_requested_feature_missing_today_is_planned_but_missing_in_the_baseline_is_an_error() {
        let current = Columns("today.csv", vec![("plan", Some(Categorical))]);
        let requested = vec!["age".to_string()];
        let plan = plan_features(&baseline(), &current, &select(&requested, &[])).unwrap();
        assert_eq!(plan.missing, ["age"]);
        let requested = vec!["churned".to_string()];
        let err = plan_features(&baseline(), &current, &select(&requested, &[]))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("`churned` not found in train.parquet"),
            "{err}"
        );
    }

    #[test]
    fn a_kind_that_differs_today_is_planned_as_the_baselines() {
        let current = Columns(
            "today.csv",
            vec![("age", Some(Categorical)), ("plan", None)],
        );
        let plan = plan_features(&baseline(), &current, &select(&[], &[])).unwrap();
        assert_eq!(names(&plan), ["age", "plan"]);
        assert!(plan.missing.is_empty());
        assert_eq!(plan.features[0].kind, Numeric);
        let categorical = vec!["age".to_string()];
        let plan = plan_features(&baseline(), &current, &select(&[], &categorical)).unwrap();
        assert_eq!(plan.features[0].kind, Categorical);
    }
}
