//! Interning row keys (ids, composite keys) into dense integers, allocating once per distinct
//! key rather than once per row: joins and per-entity state then index plain vectors.

use std::collections::HashMap;

use anyhow::Result;
use polars::prelude::{Column, DataType};

/// Separates the parts of a composite key; cannot occur in CSV/Parquet text keys in practice.
const PART_SEPARATOR: char = '\u{1f}';

/// Keys are ids and names we read ourselves, not attacker-chosen: a fast fixed-seed hash
/// (foldhash, already in Polars' dependency tree) beats SipHash several-fold here.
type FastMap<K, V> = HashMap<K, V, foldhash::fast::FixedState>;

/// Each row's value of `column` as a dense id (its text form, as vocabularies read it), and
/// the names of the ids: entities, ranking groups.
pub fn column_ids(
    data: &crate::data::read::LoadedTable,
    column: &str,
) -> Result<(Vec<Option<u32>>, KeyInterner)> {
    let mut names = KeyInterner::default();
    let ids = data.map_column(column, |c| names.intern_columns(&[c]))?;
    Ok((ids, names))
}

#[derive(Debug, Default)]
pub struct KeyInterner {
    ids: FastMap<String, u32>,
    names: Vec<String>,
}

impl KeyInterner {
    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    pub fn name(&self, id: u32) -> &str {
        &self.names[id as usize]
    }

    pub fn get(&self, key: &str) -> Option<u32> {
        self.ids.get(key).copied()
    }

    pub fn intern(&mut self, key: &str) -> u32 {
        if let Some(&id) = self.ids.get(key) {
            return id;
        }
        let id = self.names.len() as u32;
        self.ids.insert(key.to_string(), id);
        self.names.push(key.to_string());
        id
    }

    /// One id per row of the key columns (their text form); a null in any part gives `None`.
    pub fn intern_columns(&mut self, parts: &[&Column]) -> Result<Vec<Option<u32>>> {
        let texts = parts
            .iter()
            .map(|c| c.cast(&DataType::String))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        let arrays = texts
            .iter()
            .map(|c| c.as_materialized_series().str().cloned())
            .collect::<std::result::Result<Vec<_>, _>>()?;
        if let [only] = arrays.as_slice() {
            return Ok(only.iter().map(|v| v.map(|key| self.intern(key))).collect());
        }
        let mut iterators: Vec<_> = arrays.iter().map(|a| a.iter()).collect();
        let rows = arrays.first().map_or(0, |a| a.len());
        let mut buffer = String::new();
        let mut ids = Vec::with_capacity(rows);
        for _ in 0..rows {
            buffer.clear();
            let mut complete = true;
            for (i, it) in iterators.iter_mut().enumerate() {
                match it.next().flatten() {
                    Some(part) => {
                        if i > 0 {
                            buffer.push(PART_SEPARATOR);
                        }
                        buffer.push_str(part);
                    }
                    None => complete = false,
                }
            }
            ids.push(complete.then(|| self.intern(&buffer)));
        }
        Ok(ids)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interns_single_and_composite_keys() {
        let mut keys = KeyInterner::default();
        let a = Column::new("a".into(), &[Some("x"), Some("y"), None, Some("x")]);
        assert_eq!(
            keys.intern_columns(&[&a]).unwrap(),
            vec![Some(0), Some(1), None, Some(0)]
        );
        let n = Column::new("n".into(), &[Some(1i64), Some(1), Some(2), None]);
        let ids = keys.intern_columns(&[&a, &n]).unwrap();
        assert_eq!(ids[2], None);
        assert_eq!(ids[3], None);
        assert_eq!(keys.name(ids[0].unwrap()), "x\u{1f}1");
        assert_eq!(keys.get("y"), Some(1));
        assert_eq!(keys.len(), 4);
    }
}
