//! Labels, scores and join keys from decoded columns, with row-level validation that names
//! the column and counts the offending rows.

use anyhow::{bail, Result};
use polars::prelude::{Column, DataType};

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

/// Composite join keys (parts joined by U+001F); a null in any part makes the key null.
pub fn join_keys(columns: &[&Column]) -> Result<Vec<Option<String>>> {
    let n = columns.first().map_or(0, |c| c.len());
    let mut keys: Vec<Option<String>> = vec![Some(String::new()); n];
    for (i, column) in columns.iter().enumerate() {
        let text = column.cast(&DataType::String)?;
        for (key, part) in keys
            .iter_mut()
            .zip(text.as_materialized_series().str()?.iter())
        {
            match (key.as_mut(), part) {
                (Some(k), Some(p)) => {
                    if i > 0 {
                        k.push('\u{1f}');
                    }
                    k.push_str(p);
                }
                _ => *key = None,
            }
        }
    }
    Ok(keys)
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
