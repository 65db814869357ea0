//! audit.jsonl: one JSON object per line, appended (and synced) under the registry lock, never
//! rewritten except to drop a partial last line a crash left behind.

use std::path::Path;

use anyhow::Result;
use serde::{Deserialize, Serialize};

use super::jsonl;
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

/// Appends one line (a partial last line a crash left is dropped first).
pub fn append_audit(dir: &Path, entry: &AuditEntry) -> Result<()> {
    jsonl::append(&dir.join(AUDIT_FILE), entry)
}

/// Every entry; a line that does not parse is an error naming its number, except a partial
/// last line without its newline, which is reported in `partial_tail`.
pub type AuditLog = jsonl::Log<AuditEntry>;

pub fn read_audit(dir: &Path) -> Result<AuditLog> {
    jsonl::read(&dir.join(AUDIT_FILE), "an audit entry")
}

/// Drops a partial last line (a crash mid-append) starting at byte `at`.
pub fn truncate_partial_tail(dir: &Path, at: usize) -> Result<()> {
    jsonl::truncate_at(&dir.join(AUDIT_FILE), at)
}
