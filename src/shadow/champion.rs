//! Where the champion is: a model directory, or a registry (docs/DESIGN.md) whose current.json
//! points at the live version; an empty registry has no champion.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use crate::model::directory::METADATA_FILE;

/// The champion's model directory, or `None` for a registry with no current version.
pub fn resolve_champion(path: &Path) -> Result<Option<PathBuf>> {
    if path.join(METADATA_FILE).is_file() {
        return Ok(Some(path.to_path_buf()));
    }
    let pointer = path.join("current.json");
    if pointer.is_file() {
        let text = std::fs::read_to_string(&pointer)
            .with_context(|| format!("reading {}", pointer.display()))?;
        let json: serde_json::Value = serde_json::from_str(&text)
            .with_context(|| format!("{}: not valid JSON", pointer.display()))?;
        let version = json
            .get("path")
            .and_then(|p| p.as_str())
            .with_context(|| format!("{}: no `path` to the current version", pointer.display()))?;
        return Ok(Some(path.join(version)));
    }
    if path.join("versions").is_dir() {
        return Ok(None);
    }
    bail!(
        "--champion {}: neither a model directory (no {METADATA_FILE}) nor a registry (no current.json or versions/)",
        path.display()
    )
}
