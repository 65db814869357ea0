//! `refit rollback`: point the live pointer back to the previous (or a named) version.

use anyhow::Result;
use chrono::Utc;
use clap::Args;
use serde::Serialize;
use serde_json::json;

use super::args::{version, RegistryLocation};
use super::promote::{actor, command_line, lock};
use crate::registry::ops::{rollback, RollbackOutcome};
use crate::registry::store::Registry;
use crate::report::output::{CommandReport, Printer};
use crate::report::prometheus::Gauges;
use crate::report::Status;

pub const EXAMPLES: &str = "\
Examples:
  refit rollback --registry /srv/models
  refit rollback --registry /srv/models --to 7 --reason 'v8 doubles the false positives'";

#[derive(Debug, Clone, Args, Serialize)]
pub struct RollbackArgs {
    #[command(flatten)]
    #[serde(flatten)]
    pub location: RegistryLocation,
    /// The version to go back to (default: the pointer's previous one).
    #[arg(long, value_name = "N", value_parser = version)]
    pub to: Option<u32>,
    /// Move this alias instead of current.
    #[arg(long, value_name = "NAME")]
    pub alias: Option<String>,
    /// Why, for the audit log.
    #[arg(long, value_name = "TEXT")]
    pub reason: Option<String>,
    /// Who, for the audit log. Default: $USER.
    #[arg(long, value_name = "NAME")]
    pub actor: Option<String>,
    /// Also swap the `latest` symlink.
    #[arg(long)]
    pub link: bool,
    /// Say which version the pointer would move to; change nothing.
    #[arg(long)]
    pub dry_run: bool,
}

pub fn run(args: &RollbackArgs, _printer: &Printer) -> Result<CommandReport> {
    let started_at = Utc::now();
    let registry = Registry::open(&args.location.registry, false)?;
    let actor = actor(&args.actor);
    let roll = || {
        rollback(
            &registry,
            args.alias.as_deref(),
            args.to,
            &actor,
            args.reason.as_deref(),
            args.link,
            args.dry_run,
        )
    };
    let outcome = if args.dry_run {
        roll()?
    } else {
        let _lock = lock(&args.location, &registry, &command_line())?;
        roll()?
    };
    let pointer = args.alias.as_deref().unwrap_or("current");
    let report = CommandReport::new(
        "rollback",
        started_at,
        Status::Ok,
        json!({ "rollback": outcome }),
        render_text(pointer, &outcome),
    )
    .with_gauges(gauges(pointer, &outcome))
    .resolve("actor", actor);
    Ok(if outcome.dry_run {
        report
    } else {
        report.committed(format!(
            "{pointer} moved from version {} to version {} (audited)",
            outcome.from, outcome.to
        ))
    })
}

fn render_text(pointer: &str, outcome: &RollbackOutcome) -> String {
    let moved = if outcome.dry_run {
        "would move from"
    } else {
        "moved from"
    };
    format!(
        "rollback OK: {pointer} {moved} version {} -> version {}\n",
        outcome.from, outcome.to
    )
}

fn gauges(pointer: &str, outcome: &RollbackOutcome) -> Gauges {
    let live = if outcome.dry_run {
        outcome.from
    } else {
        outcome.to
    };
    let mut gauges = Gauges::default();
    gauges.gauge(
        "refit_registry_current_version",
        "The version the pointer names after this run.",
        &[("pointer", pointer)],
        f64::from(live),
    );
    gauges
}
