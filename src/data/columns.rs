//! Turning decoded columns into what the statistics consume: finite numbers (with nulls,
//! NaN and infinities counted apart) or category counts.

use std::collections::BTreeMap;

use anyhow::{Context, Result};
use polars::prelude::{Column, DataType};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ColumnKind {
    Numeric,
    Categorical,
}

impl ColumnKind {
    /// Numbers are numeric; strings, booleans and categoricals are categorical; anything else
    /// (dates, lists, structs) is not comparable and gives `None`.
    pub fn of(dtype: &DataType) -> Option<ColumnKind> {
        if dtype.is_primitive_numeric() {
            Some(ColumnKind::Numeric)
        } else if dtype.is_string() || dtype.is_bool() || dtype.is_categorical() || dtype.is_enum()
        {
            Some(ColumnKind::Categorical)
        } else {
            None
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            ColumnKind::Numeric => "numeric",
            ColumnKind::Categorical => "a string/categorical",
        }
    }
}

/// Values that are not finite numbers, counted per side and left out of every statistic.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MissingCounts {
    pub rows: u64,
    pub null: u64,
    pub nan: u64,
    pub pos_inf: u64,
    pub neg_inf: u64,
}

impl MissingCounts {
    /// Share of rows that are null or NaN (infinities are reported, not counted as missing).
    pub fn missing_rate(&self) -> f64 {
        if self.rows == 0 {
            return f64::NAN;
        }
        (self.null + self.nan) as f64 / self.rows as f64
    }
}

/// A numeric column: finite values sorted ascending, plus what was left out.
#[derive(Debug, Clone, Default)]
pub struct NumericValues {
    pub sorted: Vec<f64>,
    pub missing: MissingCounts,
}

impl NumericValues {
    pub fn from_columns(parts: &[&Column]) -> Result<NumericValues> {
        let mut out = NumericValues::unsorted_from_columns(parts)?;
        out.sort();
        Ok(out)
    }

    /// The values in column order: a caller that drops the decoded columns before calling
    /// [`NumericValues::sort`] never holds the column, its copy and the sort's buffer at once.
    pub fn unsorted_from_columns(parts: &[&Column]) -> Result<NumericValues> {
        let mut out = NumericValues::default();
        let total: usize = parts.iter().map(|c| c.len()).sum();
        out.sorted.reserve(total);
        for part in parts {
            let floats = part
                .cast(&DataType::Float64)
                .with_context(|| format!("column `{}` as numbers", part.name()))?;
            let ca = floats
                .as_materialized_series()
                .f64()
                .with_context(|| format!("column `{}` as numbers", part.name()))?
                .clone();
            out.missing.rows += ca.len() as u64;
            out.missing.null += ca.null_count() as u64;
            for array in ca.downcast_iter() {
                let values = array.values().as_slice();
                match array.validity().filter(|v| v.unset_bits() > 0) {
                    None => values.iter().for_each(|&v| out.push(v)),
                    Some(valid) => values
                        .iter()
                        .zip(valid.iter())
                        .filter(|(_, ok)| *ok)
                        .for_each(|(&v, _)| out.push(v)),
                }
            }
        }
        Ok(out)
    }

    /// Sorts the values ascending (they are all finite).
    pub fn sort(&mut self) {
        super::super::stats::sort_finite(&mut self.sorted);
    }

    /// Test and profile helper: values as if read from a column.
    pub fn from_values(values: &[f64]) -> NumericValues {
        let mut out = NumericValues::default();
        out.missing.rows = values.len() as u64;
        values.iter().for_each(|&v| out.push(v));
        super::super::stats::sort_finite(&mut out.sorted);
        out
    }

    #[inline]
    fn push(&mut self, v: f64) {
        if v.is_finite() {
            self.sorted.push(v);
        } else if v.is_nan() {
            self.missing.nan += 1;
        } else if v > 0.0 {
            self.missing.pos_inf += 1;
        } else {
            self.missing.neg_inf += 1;
        }
    }
}

/// Category frequencies (sorted by category, so output order is stable) and nulls.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CategoryCounts {
    pub counts: BTreeMap<String, u64>,
    pub missing: MissingCounts,
}

impl CategoryCounts {
    pub fn from_columns(parts: &[&Column]) -> Result<CategoryCounts> {
        let mut out = CategoryCounts::default();
        for part in parts {
            let strings = part
                .cast(&DataType::String)
                .with_context(|| format!("column `{}` as text", part.name()))?;
            let ca = strings
                .as_materialized_series()
                .str()
                .with_context(|| format!("column `{}` as text", part.name()))?
                .clone();
            out.missing.rows += ca.len() as u64;
            for value in ca.iter() {
                match value {
                    Some(v) => match out.counts.get_mut(v) {
                        Some(n) => *n += 1,
                        None => {
                            out.counts.insert(v.to_string(), 1);
                        }
                    },
                    None => out.missing.null += 1,
                }
            }
        }
        Ok(out)
    }

    pub fn observed(&self) -> u64 {
        self.counts.values().sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_non_finite_values_apart() {
        let v = NumericValues::from_values(&[3.0, f64::NAN, 1.0, f64::INFINITY, f64::NEG_INFINITY]);
        assert_eq!(v.sorted, vec![1.0, 3.0]);
        assert_eq!(
            (v.missing.nan, v.missing.pos_inf, v.missing.neg_inf),
            (1, 1, 1)
        );
        assert_eq!(v.missing.rows, 5);
    }

    #[test]
    fn reads_nulls_from_polars_columns() {
        let c = Column::new("x".into(), &[Some(1i64), None, Some(-2)]);
        let v = NumericValues::from_columns(&[&c]).unwrap();
        assert_eq!(v.sorted, vec![-2.0, 1.0]);
        assert_eq!(v.missing.null, 1);

        let s = Column::new("s".into(), &[Some("b"), None, Some("a"), Some("b")]);
        let cats = CategoryCounts::from_columns(&[&s]).unwrap();
        assert_eq!(cats.counts.get("b"), Some(&2));
        assert_eq!(cats.missing.null, 1);
        assert_eq!(cats.observed(), 3);
    }
}
