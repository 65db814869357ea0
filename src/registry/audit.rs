//! audit.jsonl: one JSON object per line, appended (and synced) under the registry lock, never
//! rewritten except to drop a partial last line a crash left behind.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use super::files::{open_regular, read_regular};
use super::layout::AUDIT_FILE;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub at: String,
    pub actor: String,
    /// bootstrap, promote, reject, rollback, prune, repair.
    pub action: String,
    /// The pointer this entry moved: `current` or an alias name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pointer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report_sha256: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub forced: bool,
}

/// Appends one line. A partial last line (a crash mid-append) is dropped first, so the new
/// line never fuses with it into one that does not parse.
pub fn append_audit(dir: &Path, entry: &AuditEntry) -> Result<()> {
    let path = dir.join(AUDIT_FILE);
    if let Some(at) = read_audit_bytes(&path)?.1 {
        truncate_partial_tail(dir, at)?;
    }
    let mut line = serde_json::to_string(entry)?;
    line.push('\n');
    let mut file = open_regular(&path, OpenOptions::new().append(true), true)?
        .with_context(|| format!("creating {}", path.display()))?;
    // One write of the whole line: with O_APPEND it lands in one piece at the end.
    file.write_all(line.as_bytes())
        .and_then(|_| file.sync_data())
        .with_context(|| format!("appending to {}", path.display()))
}

/// Every entry; a line that does not parse is an error naming its number, except a partial
/// last line without its newline, which is reported in `partial_tail`.
pub struct AuditLog {
    pub entries: Vec<AuditEntry>,
    pub partial_tail: Option<usize>,
}

/// The complete lines as text, and where a partial last line starts (bytes: a crash can cut a
/// line inside a UTF-8 character).
fn read_audit_bytes(path: &Path) -> Result<(String, Option<usize>)> {
    let bytes = read_regular(path)?.unwrap_or_default();
    let complete = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let partial_tail = (complete < bytes.len()).then_some(complete);
    let text = String::from_utf8(bytes[..complete].to_vec())
        .with_context(|| format!("{}: not UTF-8 text", path.display()))?;
    Ok((text, partial_tail))
}

pub fn read_audit(dir: &Path) -> Result<AuditLog> {
    let path = dir.join(AUDIT_FILE);
    let (text, partial_tail) = read_audit_bytes(&path)?;
    let complete = text.len();
    let mut entries = Vec::new();
    for (number, line) in text[..complete].lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        entries.push(serde_json::from_str(line).with_context(|| {
            format!("{} line {}: not an audit entry", path.display(), number + 1)
        })?);
    }
    Ok(AuditLog {
        entries,
        partial_tail,
    })
}

/// Drops a partial last line (a crash mid-append) starting at byte `at`.
pub fn truncate_partial_tail(dir: &Path, at: usize) -> Result<()> {
    let path = dir.join(AUDIT_FILE);
    let file = open_regular(&path, OpenOptions::new().write(true), false)?.with_context(|| {
        format!(
            "{}: vanished before its partial line was dropped",
            path.display()
        )
    })?;
    file.set_len(at as u64)
        .and_then(|_| file.sync_all())
        .with_context(|| format!("truncating {}", path.display()))
}
