//! Features as numbers: numeric columns as f64 (null, NaN and +/-inf become missing = NaN),
//! categorical columns as their index in a vocabulary learnt at training. A category the
//! vocabulary does not know is missing too, and counted, so predict can report the rate.

use std::collections::{BTreeMap, HashMap};

use anyhow::{bail, Context, Result};
use polars::prelude::{Column, DataType};
use serde::{Deserialize, Serialize};

use crate::data::read::LoadedTable;
use crate::data::ColumnKind;

/// One model input, as recorded in metadata.json.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureSpec {
    pub name: String,
    /// numeric or categorical: how the model reads the column.
    pub role: ColumnKind,
    /// The column's type in the training data, e.g. "f64", "str".
    pub dtype: String,
}

/// Category -> index, per categorical feature; values sorted, so the encoding is stable.
pub type Vocabularies = BTreeMap<String, Vec<String>>;

/// Features in column-major order (one contiguous run of `rows` values per feature), the
/// layout forust's `Matrix` reads without a copy.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureMatrix {
    pub values: Vec<f64>,
    pub rows: usize,
    pub cols: usize,
}

impl FeatureMatrix {
    pub fn column(&self, j: usize) -> &[f64] {
        &self.values[j * self.rows..(j + 1) * self.rows]
    }

    /// The given rows, in the given order.
    pub fn take_rows(&self, rows: &[usize]) -> FeatureMatrix {
        let mut values = Vec::with_capacity(rows.len() * self.cols);
        for j in 0..self.cols {
            let column = self.column(j);
            values.extend(rows.iter().map(|&i| column[i]));
        }
        FeatureMatrix {
            values,
            rows: rows.len(),
            cols: self.cols,
        }
    }
}

/// What encoding met besides plain values: per feature, missing values and (categorical)
/// categories outside the vocabulary.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct EncodingCounts {
    pub missing: BTreeMap<String, u64>,
    pub unknown: BTreeMap<String, u64>,
}

impl EncodingCounts {
    pub fn unknown_total(&self) -> u64 {
        self.unknown.values().sum()
    }
}

/// The distinct non-null values of each categorical feature (and of `extra` columns such as
/// the entity id, which fleet-diff reads), sorted, over `rows` (the training rows: a category
/// first seen in the holdout is unknown to the model, as it will be live).
pub fn learn_vocabularies(
    table: &LoadedTable,
    features: &[FeatureSpec],
    extra: &[String],
    rows: &[usize],
) -> Result<Vocabularies> {
    let names = features
        .iter()
        .filter(|f| f.role == ColumnKind::Categorical)
        .map(|f| f.name.clone())
        .chain(extra.iter().cloned());
    let mut vocabularies = Vocabularies::new();
    for name in names {
        let vocabulary: Vec<String> = table.distinct_text(&name, rows)?.into_iter().collect();
        vocabularies.insert(name, vocabulary);
    }
    Ok(vocabularies)
}

/// Encodes `features` of every row. A numeric feature whose column is not numeric is an
/// error naming the column and the file.
pub fn encode_features(
    table: &LoadedTable,
    features: &[FeatureSpec],
    vocabularies: &Vocabularies,
) -> Result<(FeatureMatrix, EncodingCounts)> {
    let rows = table.rows;
    let mut values = Vec::with_capacity(rows * features.len());
    let mut counts = EncodingCounts::default();
    for feature in features {
        let parts = table.column_parts(&feature.name)?;
        let before = values.len();
        match feature.role {
            ColumnKind::Numeric => {
                for part in &parts {
                    push_numeric(part, &table.source, &mut values)?;
                }
            }
            ColumnKind::Categorical => {
                check_category_dtype(feature, &parts, &table.source)?;
                let vocabulary = vocabularies.get(&feature.name).with_context(|| {
                    format!("no vocabulary for categorical feature `{}`", feature.name)
                })?;
                let index: HashMap<&str, f64> = vocabulary
                    .iter()
                    .enumerate()
                    .map(|(i, v)| (v.as_str(), i as f64))
                    .collect();
                let mut unknown = 0u64;
                for part in &parts {
                    unknown += push_categorical(part, &table.source, &index, &mut values)?;
                }
                counts.unknown.insert(feature.name.clone(), unknown);
            }
        }
        let missing = values[before..].iter().filter(|v| v.is_nan()).count() as u64;
        counts.missing.insert(feature.name.clone(), missing);
    }
    let matrix = FeatureMatrix {
        values,
        rows,
        cols: features.len(),
    };
    Ok((matrix, counts))
}

/// Categories are matched as text, so their type must be the training one: an integer id
/// read back as a float ("17" vs "17.0") would make every value unknown.
fn check_category_dtype(feature: &FeatureSpec, parts: &[&Column], file: &str) -> Result<()> {
    let textual = |d: &DataType| d.is_string() || d.is_categorical() || d.is_enum();
    for part in parts {
        let dtype = part.dtype();
        let trained_textual = matches!(feature.dtype.as_str(), "str" | "cat" | "enum")
            || feature.dtype.starts_with("cat")
            || feature.dtype.starts_with("enum");
        let same = dtype.to_string() == feature.dtype || (textual(dtype) && trained_textual);
        if !same {
            bail!(
                "categorical feature `{}` in {file} has type {dtype}, but {} at training; \
                 categories would not match (cast the column back to {})",
                feature.name,
                feature.dtype,
                feature.dtype
            );
        }
    }
    Ok(())
}

fn push_numeric(part: &Column, file: &str, out: &mut Vec<f64>) -> Result<()> {
    if !part.dtype().is_primitive_numeric() {
        bail!(
            "feature `{}` in {file} has type {}; expected numbers (it was numeric at training)",
            part.name(),
            part.dtype()
        );
    }
    let floats = part.cast(&DataType::Float64)?;
    let ca = floats.as_materialized_series().f64()?.clone();
    out.extend(ca.iter().map(|v| match v {
        Some(x) if x.is_finite() => x,
        _ => f64::NAN,
    }));
    Ok(())
}

/// Returns how many non-null values were not in the vocabulary.
fn push_categorical(
    part: &Column,
    file: &str,
    index: &HashMap<&str, f64>,
    out: &mut Vec<f64>,
) -> Result<u64> {
    let strings = part
        .cast(&DataType::String)
        .with_context(|| format!("feature `{}` in {file} as text", part.name()))?;
    let ca = strings.as_materialized_series().str()?.clone();
    let mut unknown = 0;
    out.extend(ca.iter().map(|v| match v {
        Some(s) => match index.get(s) {
            Some(&i) => i,
            None => {
                unknown += 1;
                f64::NAN
            }
        },
        None => f64::NAN,
    }));
    Ok(unknown)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn takes_rows_from_a_column_major_matrix() {
        let m = FeatureMatrix {
            values: vec![1.0, 2.0, 3.0, 10.0, 20.0, 30.0],
            rows: 3,
            cols: 2,
        };
        let t = m.take_rows(&[2, 0]);
        assert_eq!(t.values, vec![3.0, 1.0, 30.0, 10.0]);
        assert_eq!(t.column(1), &[30.0, 10.0]);
    }
}
