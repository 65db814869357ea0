//! The IO edge of score-proxy: decode the columns a [`JoinPlan`] names, check them, turn them
//! into keys, scores and labels, and pair predictions with outcomes.

use anyhow::{anyhow, Context, Result};

use super::evaluate::Labels;
use super::join::{horizon_join, key_join, AmbiguousOutcomes, Joined};
use super::plan::{JoinKind, JoinPlan, LabelSource};
use crate::data::keys::{column_ids, KeyInterner};
use crate::data::labels::{
    binary_labels, check_key_types, finite_values, probability_scores, rule_labels,
};
use crate::data::read::LoadedTable;
use crate::data::time::{format_ms, shift_ms, table_timestamps};
use crate::data::{InputInfo, Table};
use crate::metrics::Task;

/// Predictions paired with outcomes, with the decoded score and label of every row.
pub struct Matched {
    pub joined: Joined,
    /// Per prediction row.
    pub scores: Vec<Option<f64>>,
    /// Per outcome row.
    pub labels: Labels,
    /// Per prediction row, with --group: the group's id (0-based, dense).
    pub groups: Option<Vec<u32>>,
    predictions: LoadedTable,
    outcomes: LoadedTable,
}

impl Matched {
    /// Reads what `plan` needs from both tables and joins them; every error names the file
    /// and column and, for row-level problems, counts the rows.
    pub fn load(plan: &JoinPlan, predictions: &Table, outcomes: &Table) -> Result<Matched> {
        let (predictions, outcomes) = load_columns(plan, predictions, outcomes)?;
        let mut keys = KeyInterner::default();
        let prediction_keys =
            predictions.map_columns(&plan.keys, |parts| keys.intern_columns(parts))?;
        let outcome_keys = outcomes.map_columns(&plan.keys, |parts| keys.intern_columns(parts))?;
        let scores = decode_scores(plan, &predictions)?;
        let labels = decode_labels(plan, &outcomes)?;
        let groups = plan
            .group
            .as_ref()
            .map(|group| decode_groups(group, &predictions))
            .transpose()?;
        let joined = match &plan.join {
            JoinKind::Key => key_join(&prediction_keys, &outcome_keys, keys.len()),
            JoinKind::Horizon(h) => horizon_join(
                &prediction_keys,
                &shiftable(
                    table_timestamps(&predictions, &h.prediction_time)?,
                    h.horizon_ms,
                )?,
                &outcome_keys,
                &table_timestamps(&outcomes, &h.outcome_time)?,
                keys.len(),
                h.horizon_ms,
                h.tolerance_ms,
            ),
        }
        .map_err(|a| ambiguity_error(&a, plan, &keys, &outcomes.source))?;
        Ok(Matched {
            joined,
            scores,
            labels,
            groups,
            predictions,
            outcomes,
        })
    }

    /// What the report records about the input files, predictions first (waits for digests).
    pub fn inputs(&self) -> Result<Vec<InputInfo>> {
        let mut inputs = self.predictions.inputs()?;
        inputs.extend(self.outcomes.inputs()?);
        Ok(inputs)
    }
}

/// Checks every needed column exists (keys with a comparable type) before decoding any.
fn load_columns(
    plan: &JoinPlan,
    predictions: &Table,
    outcomes: &Table,
) -> Result<(LoadedTable, LoadedTable)> {
    let prediction_columns = plan.prediction_columns();
    let outcome_columns = plan.outcome_columns(&outcomes.column_names());
    for key in &plan.keys {
        predictions.column_kind(key)?;
        outcomes.column_kind(key)?;
    }
    for c in &prediction_columns {
        predictions.require_column(c)?;
    }
    for c in &outcome_columns {
        outcomes.require_column(c)?;
    }
    let predictions = predictions.load(&prediction_columns)?;
    let outcomes = outcomes.load(&outcome_columns)?;
    for key in &plan.keys {
        check_key_types(
            key,
            predictions.frames[0].column(key)?.dtype(),
            &predictions.source,
            outcomes.frames[0].column(key)?.dtype(),
            &outcomes.source,
        )?;
    }
    Ok((predictions, outcomes))
}

/// Probabilities for a binary task, finite numbers for regression and for ranking (a
/// recommender's scores need not be probabilities).
fn decode_scores(plan: &JoinPlan, predictions: &LoadedTable) -> Result<Vec<Option<f64>>> {
    predictions.map_column(&plan.score, |c| match (plan.task, &plan.group) {
        (Task::Binary, None) => probability_scores(c, &predictions.source),
        _ => finite_values(c, &predictions.source, "score"),
    })
}

/// Each prediction row's group as a dense id; a row without one is an error (it could not be
/// ranked with anything).
fn decode_groups(group: &str, predictions: &LoadedTable) -> Result<Vec<u32>> {
    let (ids, _) = column_ids(predictions, group)?;
    let missing = ids.iter().filter(|id| id.is_none()).count();
    if missing > 0 {
        anyhow::bail!(
            "{}: {missing} prediction rows have no value in the group column `{group}`; \
             every row must belong to a query/user to be ranked",
            predictions.source
        );
    }
    Ok(ids.into_iter().flatten().collect())
}

/// The label column decoded for the task, or the rule evaluated over the outcome columns.
fn decode_labels(plan: &JoinPlan, outcomes: &LoadedTable) -> Result<Labels> {
    let file = &outcomes.source;
    Ok(match (plan.task, &plan.label) {
        (Task::Binary, LabelSource::Column(label)) => {
            Labels::Binary(outcomes.map_column(label, |c| binary_labels(c, file))?)
        }
        (Task::Binary, LabelSource::Rule(rule)) => {
            Labels::Binary(rule_labels(&outcomes.frames, rule, file)?)
        }
        (Task::Regression, LabelSource::Column(label)) => {
            let values = outcomes.map_column(label, |c| finite_values(c, file, "label"))?;
            if plan.group.is_some() {
                let negative = values.iter().flatten().filter(|v| **v < 0.0).count();
                if negative > 0 {
                    anyhow::bail!(
                        "label column `{label}` in {file}: {negative} rows are negative; graded \
                         relevance for ranking metrics must be >= 0 (0 = not relevant)"
                    );
                }
            }
            Labels::Regression(values)
        }
        // JoinPlan::new refuses this combination; kept as an error rather than a panic.
        (Task::Regression, LabelSource::Rule(_)) => {
            anyhow::bail!("--label-rule yields binary labels; --task regression needs --label COL")
        }
    })
}

/// Names the file, the duplicated key (and time) and the fix.
fn ambiguity_error(
    a: &AmbiguousOutcomes,
    plan: &JoinPlan,
    keys: &KeyInterner,
    file: &str,
) -> anyhow::Error {
    let example = match a.time {
        Some(t) => format!("{} at {}", keys.name(a.key), format_ms(t)),
        None => keys.name(a.key).to_string(),
    };
    anyhow!(
        "{file}: {} outcome rows share a join key ({}; e.g. {example}); the join would be \
         ambiguous. Deduplicate the outcomes or join on more columns",
        a.rows,
        plan.keys.join(", "),
    )
}

/// Prediction times that can be moved by the horizon without leaving the range of timestamps.
fn shiftable(times: Vec<Option<i64>>, horizon_ms: i64) -> Result<Vec<Option<i64>>> {
    let extremes = [times.iter().flatten().min(), times.iter().flatten().max()];
    for time in extremes.into_iter().flatten() {
        shift_ms(*time, horizon_ms).context("--horizon")?;
    }
    Ok(times)
}
