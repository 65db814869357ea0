//! `refit rollback`: point the live pointer back to the previous (or a named) version.

use anyhow::Result;
use chrono::Utc;
use clap::Args;
use serde::Serialize;
use serde_json::json;

use super::args::{version, NotifyOptions, RegistryLocation};
use super::promote::{actor, command_line, live_gauges, lock};
use crate::registry::notify::{Delivery, Notifier, Payload, PointerMove};
use crate::registry::ops::{rollback, RollbackOutcome};
use crate::registry::store::Registry;
use crate::report::output::{CommandReport, Printer};
use crate::report::Status;

pub const EXAMPLES: &str = "\
Examples:
  refit rollback --registry /srv/models
  refit rollback --registry /srv/models --to 7 --reason 'v8 doubles the false positives'

  # tell serving to reload the version now live (POST {event: rollback, from, to, ...})
  refit rollback --registry /srv/models --notify http://serving:8080/reload

A failed --notify is WARN (the rollback stands); --dry-run sends nothing.";

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
    #[command(flatten)]
    #[serde(flatten)]
    pub notify: NotifyOptions,
    /// Say which version the pointer would move to; change nothing.
    #[arg(long)]
    pub dry_run: bool,
}

pub fn run(args: &RollbackArgs, _printer: &Printer) -> Result<CommandReport> {
    let started_at = Utc::now();
    let notifier = args.notify.notifier()?;
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
    let mut messages = outcome.warnings.clone();
    let notified = notifier
        .as_ref()
        .filter(|_| !outcome.dry_run)
        .map(|n| notify_serving(n, &registry, pointer, &outcome, &mut messages));
    let gauges = live_gauges(&registry, &mut messages);
    let status = if messages.is_empty() {
        Status::Ok
    } else {
        Status::Warn
    };
    let report = CommandReport::new(
        "rollback",
        started_at,
        status,
        json!({ "rollback": outcome, "notify": notified }),
        render_text(pointer, &outcome, status, &messages),
    )
    .with_gauges(gauges)
    .with_messages(messages)
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

/// POSTs {event: rollback, from, to, ...} to --notify; a failure is a message (the rollback
/// stands).
fn notify_serving(
    notifier: &Notifier,
    registry: &Registry,
    pointer: &str,
    outcome: &RollbackOutcome,
    messages: &mut Vec<String>,
) -> Delivery {
    let path = registry.version_dir(outcome.to);
    // The fingerprint was recorded when the version was promoted; without it the reload
    // still matters more than the field.
    let fingerprint = registry
        .promotion_record(outcome.to)
        .ok()
        .map(|record| record.fingerprint);
    let payload = Payload::pointer_moved(&PointerMove {
        event: "rollback",
        pointer,
        from: Some(outcome.from),
        to: outcome.to,
        path: &path,
        fingerprint: fingerprint.as_deref(),
    });
    let delivery = notifier.deliver(&payload);
    if let Some(error) = &delivery.error {
        messages.push(format!(
            "rolled back, but the serving side was not notified: {error}"
        ));
    }
    delivery
}

fn render_text(
    pointer: &str,
    outcome: &RollbackOutcome,
    status: Status,
    messages: &[String],
) -> String {
    let moved = if outcome.dry_run {
        "would move from"
    } else {
        "moved from"
    };
    let mut text = format!(
        "rollback {}: {pointer} {moved} version {} -> version {}\n",
        status.as_str(),
        outcome.from,
        outcome.to
    );
    for message in messages {
        text.push_str(message);
        text.push('\n');
    }
    text
}
