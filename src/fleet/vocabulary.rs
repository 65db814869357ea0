//! The model's entity vocabulary: from a model directory's metadata.json
//! (`vocabularies.<entity>`), or a JSON list, or a one-column CSV/Parquet file. And the
//! `--expected` list of entities the business runs, in the same formats or as plain text.

use std::collections::BTreeSet;
use std::path::Path;

use anyhow::{bail, Context, Result};
use serde_json::Value;

use crate::data::keys::KeyInterner;
use crate::data::Table;

/// From a model directory (preferred) or a vocabulary file; an empty vocabulary is refused,
/// since fleet drift is a share of its size.
pub fn load(model: Option<&Path>, file: Option<&str>, entity: &str) -> Result<BTreeSet<String>> {
    let vocabulary = match (model, file) {
        (Some(dir), _) => from_model_dir(dir, entity)?,
        (None, Some(path)) => from_file(path, entity)?,
        (None, None) => bail!("pass --model DIR or --vocabulary PATH"),
    };
    if vocabulary.is_empty() {
        bail!("the vocabulary of `{entity}` is empty: fleet drift is relative to it and undefined");
    }
    Ok(vocabulary)
}

pub fn from_model_dir(dir: &Path, entity: &str) -> Result<BTreeSet<String>> {
    let path = dir.join("metadata.json");
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let json: Value = serde_json::from_str(&text)
        .with_context(|| format!("{}: not valid JSON", path.display()))?;
    let list = json
        .get("vocabularies")
        .and_then(|v| v.get(entity))
        .with_context(|| {
            format!(
                "{}: no `vocabularies.{entity}` (the entity column's vocabulary)",
                path.display()
            )
        })?;
    json_list(list, &path.display().to_string())
}

fn json_list(value: &Value, file: &str) -> Result<BTreeSet<String>> {
    let items = value
        .as_array()
        .with_context(|| format!("{file}: the vocabulary must be a JSON list"))?;
    items
        .iter()
        .map(|v| match v {
            Value::String(s) => Ok(s.clone()),
            Value::Number(n) => Ok(n.to_string()),
            other => bail!("{file}: vocabulary entries must be strings or numbers, found {other}"),
        })
        .collect()
}

/// A `.json` list, or the `entity` column (else the only column) of a CSV/Parquet/NDJSON file.
pub fn from_file(path: &str, entity: &str) -> Result<BTreeSet<String>> {
    if path.to_ascii_lowercase().ends_with(".json") {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {path}"))?;
        let json: Value =
            serde_json::from_str(&text).with_context(|| format!("{path}: not valid JSON"))?;
        return json_list(&json, path);
    }
    let table = Table::open(&[path.to_string()])?;
    let names = table.column_names();
    let column = if names.iter().any(|n| n == entity) {
        entity.to_string()
    } else if names.len() == 1 {
        names[0].clone()
    } else {
        bail!(
            "{path}: expected a column `{entity}` or a single column; columns are: {}",
            names.join(", ")
        );
    };
    let loaded = table.load(std::slice::from_ref(&column))?;
    let mut interned = KeyInterner::default();
    loaded.map_columns(std::slice::from_ref(&column), |parts| {
        interned.intern_columns(parts)
    })?;
    Ok((0..interned.len())
        .map(|id| interned.name(id as u32).to_string())
        .collect())
}

/// The `--expected` entities: a `.txt` file with one entity per line (blank lines and lines
/// starting with `#` skipped), or any file `--vocabulary` takes. An empty list is refused: it
/// would pass every check.
pub fn expected_from_file(path: &str, entity: &str) -> Result<BTreeSet<String>> {
    let expected = if path.to_ascii_lowercase().ends_with(".txt") {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {path}"))?;
        lines(&text)
    } else {
        from_file(path, entity)?
    };
    if expected.is_empty() {
        bail!("--expected {path} lists no entities");
    }
    Ok(expected)
}

fn lines(text: &str) -> BTreeSet<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(String::from)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expected_text_takes_one_entity_per_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("servers.txt");
        std::fs::write(&path, "# the fleet\nsrv2\n\n  srv1  \r\nsrv2\n").unwrap();
        let got = expected_from_file(path.to_str().unwrap(), "server_id").unwrap();
        assert_eq!(got.into_iter().collect::<Vec<_>>(), vec!["srv1", "srv2"]);
        std::fs::write(&path, "# nothing\n\n").unwrap();
        let err = expected_from_file(path.to_str().unwrap(), "server_id")
            .unwrap_err()
            .to_string();
        assert!(err.ends_with("servers.txt lists no entities"), "{err}");
        let csv = dir.path().join("servers.csv");
        std::fs::write(&csv, "server_id,rack\nsrv9,r1\n").unwrap();
        let got = expected_from_file(csv.to_str().unwrap(), "server_id").unwrap();
        assert_eq!(got.into_iter().collect::<Vec<_>>(), vec!["srv9"]);
    }

    #[test]
    fn load_needs_a_source_and_a_non_empty_list() {
        let err = load(None, None, "server_id").unwrap_err().to_string();
        assert_eq!(err, "pass --model DIR or --vocabulary PATH");
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty.json");
        std::fs::write(&empty, "[]").unwrap();
        let err = load(None, empty.to_str(), "server_id")
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "the vocabulary of `server_id` is empty: fleet drift is relative to it and undefined"
        );
    }

    #[test]
    fn json_lists_take_strings_and_numbers() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v.json");
        std::fs::write(&path, r#"["s1", 7]"#).unwrap();
        let got = load(None, path.to_str(), "server_id").unwrap();
        assert_eq!(got.into_iter().collect::<Vec<_>>(), vec!["7", "s1"]);
        std::fs::write(&path, r#"[null]"#).unwrap();
        assert!(load(None, path.to_str(), "id").is_err());
    }

    #[test]
    fn model_dir_wins_and_names_the_missing_key() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("metadata.json"),
            r#"{"vocabularies": {"server_id": ["a"]}}"#,
        )
        .unwrap();
        let got = load(Some(dir.path()), Some("ignored.json"), "server_id").unwrap();
        assert_eq!(got.len(), 1);
        let err = load(Some(dir.path()), None, "store")
            .unwrap_err()
            .to_string();
        assert!(err.contains("no `vocabularies.store`"), "{err}");
    }
}
