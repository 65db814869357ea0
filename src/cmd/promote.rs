//! `refit promote`: version a challenger in the registry and move the live pointer to it.

use std::path::PathBuf;

use anyhow::Result;
use chrono::Utc;
use clap::Args;
use serde::Serialize;
use serde_json::json;

use super::args::{NotifyOptions, RegistryLocation};
use crate::registry::candidate::check_candidate_files;
use crate::registry::gauges::live_model;
use crate::registry::layout::check_alias;
use crate::registry::lock::RegistryLock;
use crate::registry::notify::{Delivery, Notifier, Payload, PointerMove};
use crate::registry::ops::{check_candidate, promote, PromoteOutcome, PromoteRequest};
use crate::registry::store::Registry;
use crate::report::output::{CommandReport, Printer};
use crate::report::prometheus::Gauges;
use crate::report::Status;

pub const EXAMPLES: &str = "\
Examples:
  # after a passing shadow test; the first promotion into an empty registry needs no report
  refit promote --registry /srv/models --candidate candidates/2026-11-23 \\
      --shadow-report out/shadow.json --keep 10 --link --notify http://serving:8080/reload

  # an override, recorded in the audit log with its reason
  refit promote --registry /srv/models --candidate cand --force --reason 'hotfix for INC-123'

Layout: versions/v000001/ (immutable copies), current.json (what serving reads), aliases/NAME.json,
latest -> versions/vN (with --link), audit.jsonl, .lock. A refused promotion exits 2 and is
audited as `reject`; a failed --notify is WARN (the promotion stands).";

#[derive(Debug, Clone, Args, Serialize)]
pub struct PromoteArgs {
    #[command(flatten)]
    #[serde(flatten)]
    pub location: RegistryLocation,
    /// The model directory to promote (from train-candidate).
    #[arg(long, value_name = "DIR")]
    pub candidate: PathBuf,
    /// shadow-test's JSON report for this candidate; must be PASS with its fingerprint.
    #[arg(long, value_name = "PATH")]
    pub shadow_report: Option<PathBuf>,
    /// Promote even without a passing report (needs --reason; audited as forced).
    #[arg(long, requires = "reason")]
    pub force: bool,
    /// Why, for the audit log.
    #[arg(long, value_name = "TEXT")]
    pub reason: Option<String>,
    /// Who, for the audit log. Default: $USER.
    #[arg(long, value_name = "NAME")]
    pub actor: Option<String>,
    /// Move this alias (aliases/NAME.json) instead of current.
    #[arg(long, value_name = "NAME")]
    pub alias: Option<String>,
    /// Also swap the `latest` symlink atomically, for serving code that watches a path.
    #[arg(long)]
    pub link: bool,
    /// Keep this many versions (never the current or previous one of any pointer).
    #[arg(long, value_name = "N")]
    pub keep: Option<usize>,
    #[command(flatten)]
    #[serde(flatten)]
    pub notify: NotifyOptions,
    /// Say what would happen; change nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// `--actor`, else $USER, else "unknown".
pub(crate) fn actor(given: &Option<String>) -> String {
    given
        .clone()
        .or_else(|| std::env::var("USER").ok())
        .unwrap_or_else(|| "unknown".into())
}

/// The registry's lock, waiting as long as --wait says.
pub(crate) fn lock(
    location: &RegistryLocation,
    registry: &Registry,
    command: &str,
) -> Result<RegistryLock> {
    RegistryLock::acquire(&registry.dir, location.wait.as_std(), command)
}

pub(crate) fn command_line() -> String {
    std::env::args().collect::<Vec<_>>().join(" ")
}

pub fn run(args: &PromoteArgs, _printer: &Printer) -> Result<CommandReport> {
    let started_at = Utc::now();
    // Bad input must leave no trace: check the candidate, the alias and the notify trust store
    // before the registry is created or locked.
    check_candidate(&args.candidate)?;
    check_candidate_files(&args.candidate, &args.location.registry)?;
    if let Some(alias) = &args.alias {
        check_alias(alias)?;
    }
    let notifier = args.notify.notifier()?;
    let registry = if args.dry_run {
        Registry::at(&args.location.registry)?
    } else {
        Registry::open(&args.location.registry, true)?
    };
    let actor = actor(&args.actor);
    let request = PromoteRequest {
        candidate: &args.candidate,
        shadow_report: args.shadow_report.as_deref(),
        force: args.force,
        reason: args.reason.as_deref(),
        actor: &actor,
        alias: args.alias.as_deref(),
        link: args.link,
        keep: args.keep,
        dry_run: args.dry_run,
    };
    let outcome = if args.dry_run {
        promote(&registry, &request)?
    } else {
        let _lock = lock(&args.location, &registry, &command_line())?;
        promote(&registry, &request)?
    };
    let mut messages = outcome.warnings.clone();
    let notified = notifier
        .as_ref()
        .and_then(|n| notify_serving(n, args, &registry, &outcome, &mut messages));
    let gauges = live_gauges(&registry, &mut messages);
    let status = match outcome.action.as_str() {
        "reject" => Status::Fail,
        _ if !messages.is_empty() => Status::Warn,
        _ => Status::Ok,
    };
    let text = render_text(args, &outcome, status, &messages);
    let committed = committed(args, &outcome);
    let report = CommandReport::new(
        "promote",
        started_at,
        status,
        json!({ "promotion": outcome, "notify": notified }),
        text,
    )
    .with_gauges(gauges)
    .with_messages(messages)
    .resolve("actor", actor);
    Ok(match committed {
        Some(what) => report.committed(what),
        None => report,
    })
}

/// The live model's gauges read back from the registry, whatever this run did (a rejected or
/// dry run included), so the model-age alert keeps its series. A change may be committed by
/// now, so a registry that cannot be read is a message (WARN), never exit 1.
pub(crate) fn live_gauges(registry: &Registry, messages: &mut Vec<String>) -> Gauges {
    let mut gauges = Gauges::default();
    if let Err(e) = live_model(registry, Utc::now(), &mut gauges) {
        messages.push(format!("the live model's gauges are left out: {e:#}"));
    }
    gauges
}

/// What this run changed in the registry, if anything, for a later output failure's warning.
fn committed(args: &PromoteArgs, outcome: &PromoteOutcome) -> Option<String> {
    let pointer = args.alias.as_deref().unwrap_or("current");
    match (outcome.action.as_str(), outcome.to) {
        ("promote" | "bootstrap", Some(version)) => Some(format!(
            "version {version} is live as {pointer} (promoted and audited)"
        )),
        ("reject", _) => Some(format!(
            "the rejection of {} is audited",
            args.candidate.display()
        )),
        _ => None,
    }
}

/// POSTs the new version to --notify; a failure is a message (the promotion stands). Nothing
/// is sent for a rejection or a dry run.
fn notify_serving(
    notifier: &Notifier,
    args: &PromoteArgs,
    registry: &Registry,
    outcome: &PromoteOutcome,
    messages: &mut Vec<String>,
) -> Option<Delivery> {
    let (Some(version), event @ ("promote" | "bootstrap")) = (outcome.to, outcome.action.as_str())
    else {
        return None;
    };
    let path = registry.version_dir(version);
    let payload = Payload::pointer_moved(&PointerMove {
        event,
        pointer: args.alias.as_deref().unwrap_or("current"),
        from: outcome.from,
        to: version,
        path: &path,
        fingerprint: Some(&outcome.fingerprint),
    });
    let delivery = notifier.deliver(&payload);
    if let Some(error) = &delivery.error {
        messages.push(format!(
            "promoted, but the serving side was not notified: {error}"
        ));
    }
    Some(delivery)
}

fn render_text(
    args: &PromoteArgs,
    outcome: &PromoteOutcome,
    status: Status,
    messages: &[String],
) -> String {
    let pointer = args.alias.as_deref().unwrap_or("current");
    match outcome.action.as_str() {
        "reject" => format!(
            "promote FAIL: rejected {}: {}\n",
            args.candidate.display(),
            outcome.reason
        ),
        action => format!(
            "promote {}: {action} {} -> version {} ({pointer} was {}){}{}\n",
            status.as_str(),
            args.candidate.display(),
            outcome.to.map_or("-".into(), |v| v.to_string()),
            outcome.from.map_or("none".into(), |v| v.to_string()),
            if outcome.pruned.is_empty() {
                String::new()
            } else {
                format!("; pruned {:?}", outcome.pruned)
            },
            messages
                .first()
                .map(|m| format!("\n{m}"))
                .unwrap_or_default(),
        ),
    }
}
