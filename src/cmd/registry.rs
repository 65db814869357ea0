//! `refit registry list|show|verify`.

use anyhow::{Context, Result};
use chrono::Utc;
use clap::{Args, Subcommand};
use serde::Serialize;
use serde_json::{json, Value};

use super::args::{version, RegistryLocation};
use super::promote::{actor, lock};
use crate::registry::audit::read_audit;
use crate::registry::files::read_regular_text;
use crate::registry::lock::RegistryLock;
use crate::registry::ops::{verify, VerifyOutcome};
use crate::registry::store::Registry;
use crate::report::output::{CommandReport, Printer};
use crate::report::table::render_table;
use crate::report::Status;

#[derive(Debug, Clone, Args, Serialize)]
pub struct RegistryArgs {
    #[command(subcommand)]
    #[serde(flatten)]
    pub action: RegistryAction,
}

#[derive(Debug, Clone, Subcommand, Serialize)]
#[serde(untagged)]
pub enum RegistryAction {
    /// Every version with its metrics, who promoted it and which pointers name it.
    List(RegistryLocation),
    /// One version (default: current) with its metadata and promotion record.
    Show {
        #[command(flatten)]
        #[serde(flatten)]
        location: RegistryLocation,
        /// The version to show: 7 or v000007 (default: current). Not named `version`: that
        /// id belongs to the global --version flag.
        #[arg(value_name = "VERSION", value_parser = version)]
        which: Option<u32>,
    },
    /// Check every invariant and repair what a crash left behind, saying what was done.
    Verify {
        #[command(flatten)]
        #[serde(flatten)]
        location: RegistryLocation,
        /// Only report; change nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

pub fn run(args: &RegistryArgs, _printer: &Printer) -> Result<CommandReport> {
    let started_at = Utc::now();
    let report = match &args.action {
        RegistryAction::List(location) => {
            let registry = Registry::open(&location.registry, false)?;
            let (text, result) = list(&registry)?;
            CommandReport::new("registry list", started_at, Status::Ok, result, text)
        }
        RegistryAction::Show { location, which } => {
            let registry = Registry::open(&location.registry, false)?;
            let result = show(&registry, *which)?;
            let text = serde_json::to_string_pretty(&result)? + "\n";
            CommandReport::new("registry show", started_at, Status::Ok, result, text)
        }
        RegistryAction::Verify { location, dry_run } => {
            let registry = Registry::open(&location.registry, false)?;
            // A dry run creates nothing, not even .lock: it shares the lock if there is one.
            let _lock = if *dry_run {
                RegistryLock::shared(&registry.dir, location.wait.as_std())?
            } else {
                Some(lock(location, &registry, "refit registry verify")?)
            };
            let outcome = verify(&registry, &actor(&None), !dry_run)?;
            verify_report(&outcome, started_at)?
        }
    };
    Ok(report)
}

/// One version (default: current) with its metadata and promotion record.
fn show(registry: &Registry, which: Option<u32>) -> Result<Value> {
    let version = match which {
        Some(v) => v,
        None => {
            registry
                .pointer(None)?
                .context("the registry has no current version; name one")?
                .version
        }
    };
    let dir = registry.version_dir(version);
    let read = |name: &str| -> Result<Value> {
        let path = dir.join(name);
        let text = read_regular_text(&path)?
            .with_context(|| format!("version {version}: {} is missing", path.display()))?;
        serde_json::from_str(&text).with_context(|| format!("{}: not JSON", path.display()))
    };
    Ok(json!({
        "version": version,
        "path": dir,
        "metadata": read("metadata.json")?,
        "promotion": read("promotion.json")?,
    }))
}

fn verify_report(
    outcome: &VerifyOutcome,
    started_at: chrono::DateTime<Utc>,
) -> Result<CommandReport> {
    let status = if outcome.problems.is_empty() {
        Status::Ok
    } else {
        Status::Fail
    };
    let mut text = format!("registry verify {}\n", status.as_str());
    for line in &outcome.checks {
        text.push_str(&format!("  ok       {line}\n"));
    }
    for line in &outcome.repairs {
        text.push_str(&format!("  repaired {line}\n"));
    }
    for line in &outcome.problems {
        text.push_str(&format!("  PROBLEM  {line}\n"));
    }
    let repaired = (!outcome.repairs.is_empty())
        .then(|| format!("the registry was repaired ({})", outcome.repairs.join("; ")));
    let report = CommandReport::new(
        "registry verify",
        started_at,
        status,
        serde_json::to_value(outcome)?,
        text,
    );
    Ok(match repaired {
        Some(what) => report.committed(what),
        None => report,
    })
}

/// A version's holdout metrics from its metadata.json; null when it cannot be read.
fn holdout_metrics(registry: &Registry, version: u32) -> Value {
    read_regular_text(&registry.version_dir(version).join("metadata.json"))
        .ok()
        .flatten()
        .and_then(|text| serde_json::from_str::<Value>(&text).ok())
        .map_or(Value::Null, |metadata| metadata["holdout_metrics"].clone())
}

fn list(registry: &Registry) -> Result<(String, Value)> {
    let current = registry.pointer(None)?;
    let mut named: Vec<(String, u32)> = current
        .iter()
        .map(|p| ("current".to_string(), p.version))
        .collect();
    for alias in registry.aliases()? {
        if let Some(p) = registry.pointer(Some(&alias))? {
            named.push((alias, p.version));
        }
    }
    let audit = read_audit(&registry.dir)?.entries;
    let mut rows = Vec::new();
    let mut versions = Vec::new();
    for version in registry.versions()? {
        let record = registry.promotion_record(version).ok();
        let metrics = holdout_metrics(registry, version);
        let pointers: Vec<&str> = named
            .iter()
            .filter(|(_, v)| *v == version)
            .map(|(n, _)| n.as_str())
            .collect();
        let headline = ["roc_auc", "mae"]
            .iter()
            .find_map(|m| metrics[*m].as_f64().map(|v| format!("{m} {v:.4}")))
            .unwrap_or_else(|| "-".into());
        let promoted_by = audit
            .iter()
            .rev()
            .find(|e| e.to == Some(version) && (e.action == "promote" || e.action == "bootstrap"))
            .map(|e| e.actor.clone())
            .or_else(|| record.as_ref().map(|r| r.actor.clone()))
            .unwrap_or_default();
        rows.push(vec![
            version.to_string(),
            pointers.join(","),
            record
                .as_ref()
                .map(|r| r.promoted_at.clone())
                .unwrap_or_default(),
            promoted_by.clone(),
            headline,
        ]);
        versions.push(json!({
            "version": version, "pointers": pointers, "promoted_by": promoted_by,
            "promotion": record, "holdout_metrics": metrics,
        }));
    }
    let text = render_table(
        &["VERSION", "POINTERS", "PROMOTED_AT", "BY", "HOLDOUT"],
        &rows,
    );
    Ok((
        text,
        json!({ "versions": versions, "current": current, "audit": audit }),
    ))
}
