//! The registry's append-only logs (audit.jsonl, runs.jsonl): one JSON object per line,
//! appended in one write and synced, never rewritten except to drop a partial last line that a
//! crash mid-append left behind.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::files::{open_regular, read_regular};

/// Appends one line. A partial last line is dropped first, so the new line never fuses with it
/// into one that does not parse.
pub fn append<T: Serialize>(path: &Path, entry: &T) -> Result<()> {
    if let Some(at) = read_complete(path)?.1 {
        truncate_at(path, at)?;
    }
    let mut line = serde_json::to_string(entry)?;
    line.push('\n');
    let mut file = open_regular(path, OpenOptions::new().append(true), true)?
        .with_context(|| format!("creating {}", path.display()))?;
    // One write of the whole line: with O_APPEND it lands in one piece at the end.
    file.write_all(line.as_bytes())
        .and_then(|_| file.sync_data())
        .with_context(|| format!("appending to {}", path.display()))
}

/// Every entry of a log, and where a partial last line starts (if a crash left one).
pub struct Log<T> {
    pub entries: Vec<T>,
    pub partial_tail: Option<usize>,
}

/// Reads every complete line; one that does not parse is an error naming its number and `what`
/// a line should be. A missing file is an empty log.
pub fn read<T: DeserializeOwned>(path: &Path, what: &str) -> Result<Log<T>> {
    let (text, partial_tail) = read_complete(path)?;
    let mut entries = Vec::new();
    for (number, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        entries.push(
            serde_json::from_str(line)
                .with_context(|| format!("{} line {}: not {what}", path.display(), number + 1))?,
        );
    }
    Ok(Log {
        entries,
        partial_tail,
    })
}

/// The complete lines as text, and where a partial last line starts (bytes: a crash can cut a
/// line inside a UTF-8 character).
fn read_complete(path: &Path) -> Result<(String, Option<usize>)> {
    let bytes = read_regular(path)?.unwrap_or_default();
    let complete = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let partial_tail = (complete < bytes.len()).then_some(complete);
    let text = String::from_utf8(bytes[..complete].to_vec())
        .with_context(|| format!("{}: not UTF-8 text", path.display()))?;
    Ok((text, partial_tail))
}

/// Drops a partial last line starting at byte `at`.
pub fn truncate_at(path: &Path, at: usize) -> Result<()> {
    let file = open_regular(path, OpenOptions::new().write(true), false)?.with_context(|| {
        format!(
            "{}: vanished before its partial line was dropped",
            path.display()
        )
    })?;
    file.set_len(at as u64)
        .and_then(|_| file.sync_all())
        .with_context(|| format!("truncating {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    #[test]
    fn a_partial_last_line_is_reported_then_dropped_by_the_next_append() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log.jsonl");
        append(&path, &json!({"n": 1})).unwrap();
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap()
            .write_all(b"{\"n\": 2, \"cut")
            .unwrap();
        let log: Log<Value> = read(&path, "an entry").unwrap();
        assert_eq!(log.entries, vec![json!({"n": 1})]);
        assert_eq!(log.partial_tail, Some(8));
        append(&path, &json!({"n": 3})).unwrap();
        let log: Log<Value> = read(&path, "an entry").unwrap();
        assert_eq!(log.entries, vec![json!({"n": 1}), json!({"n": 3})]);
        assert_eq!(log.partial_tail, None);
    }

    #[test]
    fn a_broken_complete_line_names_its_number() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log.jsonl");
        std::fs::write(&path, "{\"n\": 1}\nnot json\n").unwrap();
        let err = read::<Value>(&path, "a run record").err().unwrap();
        assert!(
            format!("{err:#}").contains("line 2: not a run record"),
            "{err:#}"
        );
    }

    #[test]
    fn a_missing_log_is_empty() {
        let dir = tempfile::tempdir().unwrap();
        let log: Log<Value> = read(&dir.path().join("none.jsonl"), "x").unwrap();
        assert!(log.entries.is_empty() && log.partial_tail.is_none());
    }
}
