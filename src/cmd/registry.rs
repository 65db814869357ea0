//! `refit registry list|show|verify`.

use anyhow::{Context, Result};
use chrono::Utc;
use serde_json::{json, Value};

use crate::cli::{GlobalArgs, RegistryAction, RegistryArgs};
use crate::registry::audit::read_audit;
use crate::registry::layout::parse_version_arg;
use crate::registry::ops::verify;
use crate::registry::store::Registry;
use crate::report::envelope::{Envelope, EnvelopeParts};
use crate::report::output::{emit, CommandOutput};
use crate::report::prometheus::MetricsText;
use crate::report::table::render_table;
use crate::report::{Outcome, Status};

pub fn run(args: &RegistryArgs, global: &GlobalArgs) -> Result<Outcome> {
    let started_at = Utc::now();
    let (command, status, text, result) = match &args.action {
        RegistryAction::List(location) => {
            let registry = Registry::open(&location.registry, false)?;
            let (text, result) = list(&registry)?;
            ("registry list", Status::Ok, text, result)
        }
        RegistryAction::Show { location, version } => {
            let registry = Registry::open(&location.registry, false)?;
            let version = match version {
                Some(v) => parse_version_arg(v)?,
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
                let text = std::fs::read_to_string(&path)
                    .with_context(|| format!("version {version}: reading {}", path.display()))?;
                serde_json::from_str(&text).with_context(|| format!("{}: not JSON", path.display()))
            };
            let result = json!({
                "version": version,
                "path": dir,
                "metadata": read("metadata.json")?,
                "promotion": read("promotion.json")?,
            });
            let text = serde_json::to_string_pretty(&result)? + "\n";
            ("registry show", Status::Ok, text, result)
        }
        RegistryAction::Verify { location, dry_run } => {
            let registry = Registry::open(&location.registry, false)?;
            let _lock = super::promote::lock(location, &registry, "refit registry verify")?;
            let actor = super::promote::actor(&None);
            let outcome = verify(&registry, &actor, !dry_run)?;
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
            (
                "registry verify",
                status,
                text,
                serde_json::to_value(&outcome)?,
            )
        }
    };
    let mut metrics = MetricsText::default();
    metrics.run_summary(command, status);
    let envelope = Envelope::new(EnvelopeParts {
        command,
        started_at,
        status,
        fail_on: global.fail_on,
        inputs: Vec::new(),
        params: json!({}),
        result,
        messages: Vec::new(),
    });
    emit(
        &CommandOutput {
            envelope,
            text,
            metrics,
        },
        global,
    )
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
        let metadata: Option<Value> =
            std::fs::read_to_string(registry.version_dir(version).join("metadata.json"))
                .ok()
                .and_then(|t| serde_json::from_str(&t).ok());
        let metrics = metadata
            .as_ref()
            .map(|m| m["holdout_metrics"].clone())
            .unwrap_or(Value::Null);
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
