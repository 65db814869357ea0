//! runs.jsonl in the registry directory: appended under the registry lock like audit.jsonl,
//! one intact, synced line per run.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Result};

use super::RunRecord;
use crate::registry::jsonl;
use crate::registry::layout::RUNS_FILE;
use crate::registry::lock::RegistryLock;
use crate::registry::store::Registry;

pub fn path(registry: &Path) -> PathBuf {
    registry.join(RUNS_FILE)
}

/// Appends `record` (creating the registry directory on a loop's very first run, which may
/// fail before anything is promoted) and returns the whole ledger with it.
pub fn append(registry: &Path, wait: Duration, record: &RunRecord) -> Result<Vec<RunRecord>> {
    Registry::open(registry, true)?;
    let _lock = RegistryLock::acquire(registry, wait, "runs record")?;
    let path = path(registry);
    let mut runs = read(registry)?;
    if runs.iter().any(|r| r.run == record.run) {
        bail!(
            "{}: run {} is already recorded (one record per run folder)",
            path.display(),
            record.run
        );
    }
    jsonl::append(&path, record)?;
    runs.push(record.clone());
    Ok(runs)
}

/// Every recorded run, oldest first; a missing ledger is an empty one.
pub fn read(registry: &Path) -> Result<Vec<RunRecord>> {
    Ok(jsonl::read(&path(registry), "a run record")?.entries)
}

/// The run named `id` ("last" or none: the newest).
pub fn find<'a>(runs: &'a [RunRecord], id: Option<&str>) -> Result<&'a RunRecord> {
    let found = match id {
        None | Some("last") => runs.last(),
        Some(id) => runs.iter().rev().find(|r| r.run == id),
    };
    match (found, id) {
        (Some(run), _) => Ok(run),
        (None, None | Some("last")) => bail!("the ledger has no runs yet"),
        (None, Some(id)) => bail!("no run `{id}` in the ledger (refit runs list shows them)"),
    }
}
