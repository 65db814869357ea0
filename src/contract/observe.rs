//! What a table shows, read once through `data`: per column its kind, nulls and values, the
//! latest timestamp, key duplicates and per-entity history. [`super::infer`] and
//! [`super::check`] decide everything from these plain facts.

use std::collections::BTreeMap;

use anyhow::{Context, Result};
use polars::prelude::{Column, DataFrame, DataType, IdxCa, IdxSize};

use super::format::Kind;
use crate::data::keys::KeyInterner;
use crate::data::read::LoadedTable;
use crate::data::time::timestamps_ms;
use crate::data::{CategoryCounts, NumericValues};

/// The columns to read and the roles some of them play.
#[derive(Debug, Clone, Default)]
pub struct Roles {
    /// Columns to read, in file order; each must be in the loaded table.
    pub columns: Vec<String>,
    pub time: Option<String>,
    pub entity: Option<String>,
    pub key: Vec<String>,
}

/// The facts of one table.
#[derive(Debug, Clone, Default)]
pub struct Observed {
    /// The files, as given.
    pub source: String,
    pub rows: u64,
    /// Every column of the data (present in every shard), in file order.
    pub names: Vec<String>,
    /// The columns read.
    pub columns: BTreeMap<String, ColumnFacts>,
    /// The time column's timestamps, when it was read.
    pub time: Option<TimeFacts>,
    /// Duplicate and null keys, when key columns were read.
    pub key: Option<KeyFacts>,
    /// Per entity, sorted by name, when an entity column was read.
    pub entities: Option<Vec<EntityFacts>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ColumnFacts {
    /// `None`: no value to tell (all null), or a type refit does not check (lists, structs).
    pub kind: Option<Kind>,
    /// The type as Polars names it ("f64", "str").
    pub dtype: String,
    pub rows: u64,
    /// Null values, NaN included.
    pub nulls: u64,
    pub values: Values,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Values {
    /// Finite values sorted ascending, and the infinities apart.
    Numbers { sorted: Vec<f64>, infinite: u64 },
    /// How often each text value occurs.
    Categories(BTreeMap<String, u64>),
    /// A profile's numbers: only the extremes of the finite values, and the infinities. Enough
    /// to tell whether any value is out of range, not how many.
    Extremes {
        min: Option<f64>,
        max: Option<f64>,
        infinite: u64,
    },
    /// Booleans and timestamps: only nulls are checked.
    Other,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TimeFacts {
    pub latest: Option<i64>,
    /// Text values that are not timestamps.
    pub unparsed: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyFacts {
    /// Rows whose key an earlier row already had.
    pub duplicates: u64,
    /// Rows with a null in a key column.
    pub nulls: u64,
    /// The first key that repeats, for the message.
    pub example: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntityFacts {
    pub entity: String,
    pub rows: u64,
    pub first: Option<i64>,
    pub last: Option<i64>,
    /// The longest time between two consecutive timestamps: (from, to).
    pub largest_gap: Option<(i64, i64)>,
}

/// Decoded data to observe: a loaded table's frames, or a selection of its rows.
#[derive(Clone, Copy)]
pub struct Frames<'a> {
    /// The files, for messages.
    pub source: &'a str,
    pub frames: &'a [DataFrame],
}

impl<'a> Frames<'a> {
    pub fn of(data: &'a LoadedTable) -> Frames<'a> {
        Frames {
            source: &data.source,
            frames: &data.frames,
        }
    }

    fn rows(&self) -> usize {
        self.frames.iter().map(DataFrame::height).sum()
    }

    fn parts(&self, name: &str) -> Result<Vec<&'a Column>> {
        let source = self.source;
        self.frames
            .iter()
            .map(|f| {
                f.column(name)
                    .with_context(|| format!("column `{name}` missing in {source}"))
            })
            .collect()
    }
}

/// `columns` of the given rows of `data`, as one frame (train-candidate's selected rows).
pub fn select_rows(data: &LoadedTable, columns: &[String], rows: &[usize]) -> Result<DataFrame> {
    let indices = IdxCa::from_vec("row".into(), rows.iter().map(|&i| i as IdxSize).collect());
    let columns = columns
        .iter()
        .map(|name| Ok(Column::from(data.whole_column(name)?.take(&indices)?)))
        .collect::<Result<Vec<Column>>>()?;
    DataFrame::new(rows.len(), columns).context("selecting the training rows")
}

/// Reads the facts of `data`; `names` are all of its columns, in file order.
pub fn observe(data: Frames, names: Vec<String>, roles: &Roles) -> Result<Observed> {
    let times = match &roles.time {
        Some(time) if holds_times(&data.parts(time)?) => Some(read_times(data, time)?),
        _ => None,
    };
    let mut columns = BTreeMap::new();
    for name in &roles.columns {
        let mut facts = column_facts(&data.parts(name)?)
            .with_context(|| format!("reading column `{name}` of {}", data.source))?;
        if roles.time.as_deref() == Some(name.as_str()) {
            facts.kind = time_kind(&facts, times.as_ref().map_or(0, |t| t.1));
        }
        columns.insert(name.clone(), facts);
    }
    let entities = match &roles.entity {
        Some(entity) => Some(entity_facts(data, entity, times.as_ref().map(|t| &t.0))?),
        None => None,
    };
    let key = if roles.key.is_empty() {
        None
    } else {
        Some(key_facts(data, &roles.key)?)
    };
    Ok(Observed {
        source: data.source.to_string(),
        rows: data.rows() as u64,
        names,
        columns,
        time: times.map(|(values, unparsed)| TimeFacts {
            latest: values.iter().flatten().max().copied(),
            unparsed: unparsed as u64,
        }),
        key,
        entities,
    })
}

fn kind_of(dtype: &DataType) -> Option<Kind> {
    if dtype.is_bool() {
        Some(Kind::Boolean)
    } else if dtype.is_primitive_numeric() {
        Some(Kind::Numeric)
    } else if dtype.is_string() || dtype.is_categorical() || dtype.is_enum() {
        Some(Kind::Categorical)
    } else if matches!(dtype, DataType::Date | DataType::Datetime(_, _)) {
        Some(Kind::Timestamp)
    } else {
        None
    }
}

fn column_facts(parts: &[&Column]) -> Result<ColumnFacts> {
    let dtype = parts.first().map_or(DataType::Null, |c| c.dtype().clone());
    let rows: u64 = parts.iter().map(|c| c.len() as u64).sum();
    let kind = kind_of(&dtype);
    let (nulls, values) = match kind {
        Some(Kind::Numeric) => {
            let numbers = NumericValues::from_columns(parts)?;
            let m = numbers.missing;
            let values = Values::Numbers {
                sorted: numbers.sorted,
                infinite: m.pos_inf + m.neg_inf,
            };
            (m.null + m.nan, values)
        }
        Some(Kind::Categorical) => {
            let counts = CategoryCounts::from_columns(parts)?;
            (counts.missing.null, Values::Categories(counts.counts))
        }
        _ => (
            parts.iter().map(|c| c.null_count() as u64).sum(),
            Values::Other,
        ),
    };
    Ok(ColumnFacts {
        // A column without a single value says nothing about its type.
        kind: kind.filter(|_| nulls < rows),
        dtype: dtype.to_string(),
        rows,
        nulls,
        values,
    })
}

/// The time column is a timestamp when its text all parses; otherwise it is text.
fn time_kind(facts: &ColumnFacts, unparsed: usize) -> Option<Kind> {
    match facts.kind {
        Some(Kind::Categorical) if unparsed == 0 => Some(Kind::Timestamp),
        kind => kind,
    }
}

/// Dates, datetimes and text can hold timestamps; a column of another type is a type
/// violation for the check, never an unreadable input.
fn holds_times(parts: &[&Column]) -> bool {
    parts.first().is_some_and(|c| {
        matches!(
            c.dtype(),
            DataType::Date | DataType::Datetime(_, _) | DataType::String
        )
    })
}

/// Milliseconds per row (`None` for nulls and text that is not a timestamp), and how many
/// text values did not parse.
fn read_times(data: Frames, column: &str) -> Result<(Vec<Option<i64>>, usize)> {
    let mut unparsed = 0;
    let mut values = Vec::with_capacity(data.rows());
    for part in data.parts(column)? {
        let (times, bad) = timestamps_ms(part)
            .with_context(|| format!("reading the time column of {}", data.source))?;
        unparsed += bad;
        values.extend(times);
    }
    Ok((values, unparsed))
}

fn key_facts(data: Frames, key: &[String]) -> Result<KeyFacts> {
    let mut keys = KeyInterner::default();
    let mut ids = Vec::with_capacity(data.rows());
    for frame in data.frames {
        let parts = key
            .iter()
            .map(|c| frame.column(c))
            .collect::<polars::prelude::PolarsResult<Vec<_>>>()?;
        ids.extend(keys.intern_columns(&parts)?);
    }
    let mut seen = vec![false; keys.len()];
    let mut facts = KeyFacts::default();
    for id in ids {
        let Some(id) = id else {
            facts.nulls += 1;
            continue;
        };
        if std::mem::replace(&mut seen[id as usize], true) {
            facts.duplicates += 1;
            if facts.example.is_none() {
                facts.example = Some(keys.name(id).replace('\u{1f}', ","));
            }
        }
    }
    Ok(facts)
}

fn entity_facts(
    data: Frames,
    column: &str,
    times: Option<&Vec<Option<i64>>>,
) -> Result<Vec<EntityFacts>> {
    let mut names = KeyInterner::default();
    let mut ids = Vec::with_capacity(data.rows());
    for part in data.parts(column)? {
        ids.extend(names.intern_columns(&[part])?);
    }
    let mut rows = vec![0u64; names.len()];
    let mut stamps: Vec<Vec<i64>> = vec![Vec::new(); names.len()];
    for (row, id) in ids.iter().enumerate() {
        let Some(id) = *id else { continue };
        rows[id as usize] += 1;
        if let Some(Some(t)) = times.map(|t| t[row]) {
            stamps[id as usize].push(t);
        }
    }
    let mut facts: Vec<EntityFacts> = stamps
        .into_iter()
        .enumerate()
        .map(|(id, mut times)| {
            times.sort_unstable();
            EntityFacts {
                entity: names.name(id as u32).to_string(),
                rows: rows[id],
                first: times.first().copied(),
                last: times.last().copied(),
                largest_gap: largest_gap(&times),
            }
        })
        .collect();
    facts.sort_by(|a, b| a.entity.cmp(&b.entity));
    Ok(facts)
}

/// The longest step between consecutive sorted timestamps (the first one, on ties).
pub fn largest_gap(sorted: &[i64]) -> Option<(i64, i64)> {
    sorted
        .windows(2)
        .map(|w| (w[0], w[1]))
        .fold(None, |best, (a, b)| match best {
            Some((x, y)) if y - x >= b - a => Some((x, y)),
            _ => Some((a, b)),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_largest_gap_is_the_first_longest_step() {
        assert_eq!(largest_gap(&[1, 3, 10, 11, 18]), Some((3, 10)));
        assert_eq!(largest_gap(&[5]), None);
        assert_eq!(largest_gap(&[]), None);
    }

    #[test]
    fn column_facts_count_nulls_and_nan_and_keep_infinities_apart() {
        let c = Column::new(
            "x".into(),
            &[Some(1.0), None, Some(f64::NAN), Some(f64::INFINITY)],
        );
        let facts = column_facts(&[&c]).unwrap();
        assert_eq!(facts.kind, Some(Kind::Numeric));
        assert_eq!((facts.rows, facts.nulls), (4, 2));
        assert_eq!(
            facts.values,
            Values::Numbers {
                sorted: vec![1.0],
                infinite: 1
            }
        );
        let s = Column::new("s".into(), &[Some("a"), None, Some("a")]);
        let facts = column_facts(&[&s]).unwrap();
        assert_eq!(facts.kind, Some(Kind::Categorical));
        assert_eq!(facts.nulls, 1);
        let b = Column::new("b".into(), &[true, false]);
        assert_eq!(column_facts(&[&b]).unwrap().kind, Some(Kind::Boolean));
        let empty = Column::new("e".into(), &[None::<&str>, None]);
        assert_eq!(column_facts(&[&empty]).unwrap().kind, None);
    }
}
