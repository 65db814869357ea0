//! One type per column for a table spread over shards. Shards may differ in width (i32 and
//! i64, f32 and f64), in text encoding (string and categorical) or in time unit: those are
//! cast to one type when decoded. A column that is a number in one shard and text in another
//! is an error naming both files, checked on the files' schemas alone.

use std::path::Path;

use anyhow::{bail, Result};
use polars::prelude::{DataType, Schema, TimeUnit};

/// What a type means to refit; shards must agree on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    Number,
    Text,
    Boolean,
    Time,
    /// Every value is missing (an all-null column, or an all-empty CSV column): fits any family.
    Empty,
    /// Anything else (lists, structs, binary) must match exactly.
    Other,
}

impl Family {
    fn of(dtype: &DataType) -> Family {
        match dtype {
            DataType::Null => Family::Empty,
            DataType::Boolean => Family::Boolean,
            DataType::Date | DataType::Datetime(..) => Family::Time,
            d if d.is_primitive_numeric() => Family::Number,
            d if d.is_string() || d.is_categorical() || d.is_enum() => Family::Text,
            _ => Family::Other,
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Family::Number => "a number",
            Family::Text => "text",
            Family::Boolean => "a boolean",
            Family::Time => "a date/time",
            Family::Empty => "empty",
            Family::Other => "a nested or binary type",
        }
    }
}

/// The first shard that gave a column a type, for messages.
struct Seen<'a> {
    path: &'a Path,
    dtype: DataType,
}

/// The table's type for every column of any shard, in order of first appearance; a column
/// that is empty in every shard stays `Null`.
pub fn unify<'a>(shards: impl Iterator<Item = (&'a Path, &'a Schema)>) -> Result<Schema> {
    let mut types = Schema::default();
    let mut first: Vec<Option<Seen<'a>>> = Vec::new();
    for (path, schema) in shards {
        for (name, dtype) in schema.iter() {
            let index = types.index_of(name).unwrap_or_else(|| {
                types.with_column(name.clone(), DataType::Null);
                first.push(None);
                first.len() - 1
            });
            if Family::of(dtype) == Family::Empty {
                continue;
            }
            let unified = match &first[index] {
                None => {
                    first[index] = Some(Seen {
                        path,
                        dtype: dtype.clone(),
                    });
                    dtype.clone()
                }
                Some(seen) => {
                    let so_far = types.get_at_index(index).expect("indexed").1;
                    join(name, seen, path, so_far, dtype)?
                }
            };
            types.set_dtype_at_index(index, unified);
        }
    }
    Ok(types)
}

/// The type that holds both `so_far` and `dtype`, or an error naming both files and types.
fn join(
    name: &str,
    seen: &Seen,
    path: &Path,
    so_far: &DataType,
    dtype: &DataType,
) -> Result<DataType> {
    if so_far == dtype {
        return Ok(dtype.clone());
    }
    let (was, is) = (Family::of(&seen.dtype), Family::of(dtype));
    if was != is || is == Family::Other {
        bail!(
            "column `{name}` is {} ({}) in {} but {} ({}) in {}; the files of one table must \
             give each column the same type (convert it in one of them)",
            seen.dtype,
            was.describe(),
            seen.path.display(),
            dtype,
            is.describe(),
            path.display()
        );
    }
    Ok(match is {
        Family::Number if so_far.is_float() || dtype.is_float() => DataType::Float64,
        Family::Number => DataType::Int64,
        Family::Time => DataType::Datetime(TimeUnit::Milliseconds, time_zone(so_far, dtype)),
        _ => DataType::String,
    })
}

/// The time zone both sides share, if any; a date has none and takes the other side's.
fn time_zone(a: &DataType, b: &DataType) -> Option<polars::prelude::TimeZone> {
    match (a, b) {
        (DataType::Datetime(_, x), DataType::Datetime(_, y)) if x == y => x.clone(),
        (DataType::Datetime(_, tz), DataType::Date)
        | (DataType::Date, DataType::Datetime(_, tz)) => tz.clone(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema(columns: &[(&str, DataType)]) -> Schema {
        columns
            .iter()
            .map(|(n, d)| ((*n).into(), d.clone()))
            .collect()
    }

    fn unified(shards: &[Schema]) -> Result<Schema> {
        let paths = ["a.parquet", "b.parquet", "c.csv"];
        unify(
            shards
                .iter()
                .enumerate()
                .map(|(i, s)| (Path::new(paths[i]), s)),
        )
    }

    #[test]
    fn widens_numbers_and_fills_empty_columns() {
        let a = schema(&[("x", DataType::Int32), ("e", DataType::Null)]);
        let b = schema(&[("x", DataType::Float32), ("e", DataType::Int64)]);
        let c = schema(&[
            ("x", DataType::Int64),
            ("e", DataType::Null),
            ("n", DataType::Null),
        ]);
        let s = unified(&[a, b, c]).unwrap();
        assert_eq!(s.get("x"), Some(&DataType::Float64));
        assert_eq!(s.get("e"), Some(&DataType::Int64));
        assert_eq!(s.get("n"), Some(&DataType::Null));
    }

    #[test]
    fn a_number_in_one_shard_and_text_in_another_names_both() {
        let a = schema(&[("age", DataType::Int64)]);
        let b = schema(&[("age", DataType::String)]);
        let err = unified(&[a, b]).unwrap_err().to_string();
        assert!(
            err.contains("`age` is i64 (a number) in a.parquet but str (text) in b.parquet"),
            "{err}"
        );
    }
}
