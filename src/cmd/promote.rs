//! `refit promote` and `refit rollback`: mutations of the registry under its lock.

use std::time::Duration;

use anyhow::{Context, Result};
use chrono::Utc;
use serde_json::json;

use crate::cli::{GlobalArgs, PromoteArgs, RegistryLocation, RollbackArgs};
use crate::data::time::parse_duration;
use crate::registry::layout::{check_alias, parse_version_arg};
use crate::registry::lock::RegistryLock;
use crate::registry::notify::notify;
use crate::registry::ops::{
    check_candidate, promote, rollback as rollback_registry, PromoteRequest,
};
use crate::registry::store::Registry;
use crate::report::envelope::{Envelope, EnvelopeParts};
use crate::report::output::{emit, CommandOutput};
use crate::report::prometheus::MetricsText;
use crate::report::{Outcome, Status};

fn duration(text: &str, flag: &str) -> Result<Duration> {
    let ms = parse_duration(text).with_context(|| flag.to_string())?;
    Ok(Duration::from_millis(u64::try_from(ms).unwrap_or(0)))
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
    RegistryLock::acquire(&registry.dir, duration(&location.wait, "--wait")?, command)
}

fn command_line() -> String {
    std::env::args().collect::<Vec<_>>().join(" ")
}

pub fn run(args: &PromoteArgs, global: &GlobalArgs) -> Result<Outcome> {
    let started_at = Utc::now();
    let notify_timeout = duration(&args.notify_timeout, "--notify-timeout")?;
    // Bad input must leave no trace: check the candidate and the alias before the registry is
    // created or locked.
    check_candidate(&args.candidate)?;
    if let Some(alias) = &args.alias {
        check_alias(alias)?;
    }
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
    let mut status = if outcome.action == "reject" {
        Status::Fail
    } else {
        Status::Ok
    };
    let mut messages = outcome.warnings.clone();
    if !messages.is_empty() {
        status = Status::Warn;
    }
    let mut notified = serde_json::Value::Null;
    if let (Some(url), Some(version), "promote" | "bootstrap") =
        (&args.notify, outcome.to, outcome.action.as_str())
    {
        let body = json!({
            "version": version,
            "path": registry.version_dir(version),
            "fingerprint": outcome.fingerprint,
            "pointer": args.alias.as_deref().unwrap_or("current"),
        })
        .to_string();
        notified = match notify(url, &body, notify_timeout, args.notify_attempts) {
            Ok(code) => json!({ "url": url, "status": code }),
            Err(e) => {
                status = Status::Warn;
                let error = format!("{e:#}");
                messages.push(format!(
                    "promoted, but the serving side was not notified: {error}"
                ));
                json!({ "url": url, "error": error })
            }
        };
    }
    let pointer = args.alias.as_deref().unwrap_or("current");
    let text = match outcome.action.as_str() {
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
    };
    let mut metrics = MetricsText::default();
    if let Some(v) = outcome.to {
        metrics.gauge(
            "refit_registry_current_version",
            "The version the pointer names after this run.",
            &[("pointer", pointer)],
            f64::from(v),
        );
    }
    if matches!(outcome.action.as_str(), "promote" | "bootstrap") {
        // The model-age alert: time() minus this is how long the live model has served.
        metrics.gauge(
            "refit_registry_promoted_timestamp_seconds",
            "Unix time the pointer last moved to a new version.",
            &[("pointer", pointer)],
            started_at.timestamp_millis() as f64 / 1000.0,
        );
    }
    metrics.run_summary("promote", status);
    let envelope = Envelope::new(EnvelopeParts {
        command: "promote",
        started_at,
        status,
        fail_on: global.fail_on,
        inputs: Vec::new(),
        params: json!({
            "registry": args.location.registry, "candidate": args.candidate,
            "shadow_report": args.shadow_report, "force": args.force, "reason": args.reason,
            "actor": actor, "alias": args.alias, "link": args.link, "keep": args.keep,
            "notify": args.notify, "dry_run": args.dry_run,
        }),
        result: json!({ "promotion": outcome, "notify": notified }),
        messages,
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

pub fn rollback(args: &RollbackArgs, global: &GlobalArgs) -> Result<Outcome> {
    let started_at = Utc::now();
    let registry = Registry::open(&args.location.registry, false)?;
    let to = args.to.as_deref().map(parse_version_arg).transpose()?;
    let actor = actor(&args.actor);
    let run = || {
        rollback_registry(
            &registry,
            args.alias.as_deref(),
            to,
            &actor,
            args.reason.as_deref(),
            args.link,
            args.dry_run,
        )
    };
    let outcome = if args.dry_run {
        run()?
    } else {
        let _lock = lock(&args.location, &registry, &command_line())?;
        run()?
    };
    let pointer = args.alias.as_deref().unwrap_or("current");
    let text = format!(
        "rollback OK: {pointer} {} version {} -> version {}\n",
        if args.dry_run {
            "would move from"
        } else {
            "moved from"
        },
        outcome.from,
        outcome.to
    );
    let mut metrics = MetricsText::default();
    metrics.gauge(
        "refit_registry_current_version",
        "The version the pointer names after this run.",
        &[("pointer", pointer)],
        f64::from(if args.dry_run {
            outcome.from
        } else {
            outcome.to
        }),
    );
    metrics.run_summary("rollback", Status::Ok);
    let envelope = Envelope::new(EnvelopeParts {
        command: "rollback",
        started_at,
        status: Status::Ok,
        fail_on: global.fail_on,
        inputs: Vec::new(),
        params: json!({
            "registry": args.location.registry, "to": to, "alias": args.alias,
            "reason": args.reason, "actor": actor, "dry_run": args.dry_run,
        }),
        result: json!({ "rollback": outcome }),
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
