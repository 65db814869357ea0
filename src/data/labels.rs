//! Labels, scores and join keys from decoded columns (score-proxy, shadow-test, training), with
//! row-level validation that names the column and counts the offending rows.

use anyhow::{bail, Context, Result};
use polars::prelude::{Column, DataFrame, DataType, IntoLazy};

/// Binary labels from a boolean column or a numeric 0/1 column; nulls stay `None`.
pub fn binary_labels(column: &Column, file: &str) -> Result<Vec<Option<bool>>> {
    let name = column.name();
    if column.dtype().is_bool() {
        return Ok(column.as_materialized_series().bool()?.iter().collect());
    }
    if !column.dtype().is_primitive_numeric() {
        bail!(
            "label column `{name}` in {file} has type {}; expected boolean or 0/1",
            column.dtype()
        );
    }
    let floats = column.cast(&DataType::Float64)?;
    let ca = floats.as_materialized_series().f64()?.clone();
    let mut bad = 0usize;
    let labels: Vec<Option<bool>> = ca
        .iter()
        .map(|v| match v {
            Some(0.0) => Some(false),
            Some(1.0) => Some(true),
            Some(_) => {
                bad += 1;
                None
            }
            None => None,
        })
        .collect();
    if bad > 0 {
        bail!("label column `{name}` in {file}: {bad} rows are neither 0 nor 1");
    }
    Ok(labels)
}

/// Numeric values (regression targets or scores); nulls stay `None`; NaN/inf are errors.
pub fn finite_values(column: &Column, file: &str, what: &str) -> Result<Vec<Option<f64>>> {
    let name = column.name();
    if !column.dtype().is_primitive_numeric() {
        bail!(
            "{what} column `{name}` in {file} has type {}; expected numbers",
            column.dtype()
        );
    }
    let floats = column.cast(&DataType::Float64)?;
    let values: Vec<Option<f64>> = floats.as_materialized_series().f64()?.iter().collect();
    let bad = values
        .iter()
        .filter(|v| v.is_some_and(|x| !x.is_finite()))
        .count();
    if bad > 0 {
        bail!("{what} column `{name}` in {file}: {bad} rows are NaN or infinite");
    }
    Ok(values)
}

/// Probability scores for a binary task: finite and within [0, 1].
pub fn probability_scores(column: &Column, file: &str) -> Result<Vec<Option<f64>>> {
    let values = finite_values(column, file, "score")?;
    let outside = values
        .iter()
        .filter(|v| v.is_some_and(|x| !(0.0..=1.0).contains(&x)))
        .count();
    if outside > 0 {
        bail!(
            "score column `{}` in {file}: {outside} rows are outside [0, 1]; a binary task needs probabilities",
            column.name()
        );
    }
    Ok(values)
}

/// Key columns must have the same kind on both sides (an integer id never equals a string).
pub fn check_key_types(
    key: &str,
    left: &DataType,
    left_file: &str,
    right: &DataType,
    right_file: &str,
) -> Result<()> {
    let family = |d: &DataType| {
        if d.is_integer() {
            "integer"
        } else if d.is_string() || d.is_categorical() || d.is_enum() {
            "string"
        } else if d.is_float() {
            "float"
        } else {
            "other"
        }
    };
    if family(left) != family(right) {
        bail!("key `{key}` is {left} in {left_file} but {right} in {right_file}; cast one side so the types match");
    }
    Ok(())
}

/// Binary labels from a SQL boolean expression over the outcome columns, parsed and evaluated
/// by Polars (`polars::sql::sql_expr`), shard by shard.
pub fn rule_labels(frames: &[DataFrame], rule: &str, file: &str) -> Result<Vec<Option<bool>>> {
    const LABEL: &str = "__refit_label";
    let expr = polars::sql::sql_expr(rule).with_context(|| {
        format!("--label-rule `{rule}` is not a SQL expression Polars can parse")
    })?;
    let mut labels = Vec::new();
    for frame in frames {
        for name in expr.clone().meta().root_names() {
            if frame.column(name.as_str()).is_err() {
                let names: Vec<&str> = frame
                    .get_column_names()
                    .into_iter()
                    .map(|n| n.as_str())
                    .collect();
                bail!("--label-rule `{rule}` uses column `{name}`, which is not in {file}; columns are: {}", names.join(", "));
            }
        }
        let result = frame
            .clone()
            .lazy()
            .select([expr.clone().alias(LABEL)])
            .collect()
            .with_context(|| format!("evaluating --label-rule `{rule}` on {file}"))?;
        let column = result.column(LABEL)?;
        if !column.dtype().is_bool() {
            bail!(
                "--label-rule `{rule}` yields {} on {file}, not booleans; write a condition such as `active_days_30d = 0`",
                column.dtype()
            );
        }
        if result.height() != frame.height() {
            bail!("--label-rule `{rule}` gives {} values for {} rows of {file}; it must be a per-row condition", result.height(), frame.height());
        }
        labels.extend(column.as_materialized_series().bool()?.iter());
    }
    Ok(labels)
}
