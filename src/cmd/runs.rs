//! `refit runs list|show|record`: the retrain loop's run ledger (runs.jsonl in the registry).

use std::path::PathBuf;

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use clap::{Args, Subcommand};
use serde::Serialize;
use serde_json::json;

use super::args::{choice, RegistryLocation};
use crate::registry::gauges::live_model;
use crate::registry::store::Registry;
use crate::report::output::{CommandReport, Printer};
use crate::report::prometheus::Gauges;
use crate::report::Status;
use crate::runs::record::{assemble, RunError, RunFacts};
use crate::runs::{ledger, metrics, render, RunOutcome, RunRecord};

pub const EXAMPLES: &str = "\
Examples:
  refit runs list --registry /srv/models --last 10
  refit runs show --registry /srv/models                  # the newest run
  refit runs show --registry /srv/models 20261122T030000Z --format json
  # what scripts/retrain.sh does at the end of every run:
  refit runs record runs/20261122T030000Z --registry /srv/models --outcome rejected \\
      --trigger 'drift-check FAIL' --started-at 2026-11-22T03:00:00Z \\
      --metrics-file /var/lib/node_exporter/refit_loop.prom

Loop exit codes (scripts/retrain.sh), one per outcome:
  0 nothing_to_do, 1 error, 2 rejected, 4 insufficient_data, 5 invalid_data, 10 promoted";

#[derive(Debug, Clone, Args, Serialize)]
pub struct RunsArgs {
    #[command(subcommand)]
    #[serde(flatten)]
    pub action: RunsAction,
}

#[derive(Debug, Clone, Subcommand, Serialize)]
#[serde(untagged)]
pub enum RunsAction {
    /// The newest runs, one line each: when, how long, outcome, trigger.
    List {
        #[command(flatten)]
        #[serde(flatten)]
        location: RegistryLocation,
        /// How many of the newest runs to show (0: all).
        #[arg(long, default_value_t = 20, value_name = "N")]
        last: usize,
    },
    /// One run (default: the newest) with every step's figures.
    Show {
        #[command(flatten)]
        #[serde(flatten)]
        location: RegistryLocation,
        /// The run's id (its run folder's name), or `last`.
        #[arg(value_name = "RUN")]
        run: Option<String>,
    },
    /// Append the run in RUN_DIR to the ledger from its step reports; with --metrics-file,
    /// write the loop's metrics (counters, duration histogram, live model's age).
    Record(RecordArgs),
}

#[derive(Debug, Clone, Args, Serialize)]
pub struct RecordArgs {
    #[command(flatten)]
    #[serde(flatten)]
    pub location: RegistryLocation,
    /// The run folder holding the steps' JSON reports (<step>.json).
    #[arg(value_name = "RUN_DIR")]
    pub run_dir: PathBuf,
    /// How the run ended.
    #[arg(long, value_parser = choice::<RunOutcome>(outcome_values()))]
    pub outcome: RunOutcome,
    /// A trigger that fired (repeat for each), e.g. 'drift-check FAIL'.
    #[arg(long = "trigger", value_name = "TEXT")]
    pub triggers: Vec<String>,
    /// When the run started (RFC 3339). Default: the earliest step report's start.
    #[arg(long, value_name = "TIME", value_parser = timestamp)]
    pub started_at: Option<DateTime<Utc>>,
    /// The step that failed, when the outcome is error (default: the first ERROR report).
    #[arg(long, value_name = "STEP", requires = "error_message")]
    pub error_step: Option<String>,
    /// What went wrong in --error-step.
    #[arg(long, value_name = "TEXT", requires = "error_step")]
    pub error_message: Option<String>,
    /// The time the live model's age is measured at (RFC 3339). For replays and tests.
    #[arg(long, env = "REFIT_NOW", value_name = "TIME", value_parser = timestamp)]
    pub now: Option<DateTime<Utc>>,
}

fn outcome_values() -> Vec<clap::builder::PossibleValue> {
    RunOutcome::ALL
        .iter()
        .map(|o| clap::builder::PossibleValue::new(o.as_str()))
        .collect()
}

/// An RFC 3339 time (`2026-11-22T03:00:00Z`).
pub fn timestamp(text: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| format!("`{text}`: not an RFC 3339 time like 2026-11-22T03:00:00Z ({e})"))
}

pub fn run(args: &RunsArgs, _printer: &Printer) -> Result<CommandReport> {
    let started_at = Utc::now();
    match &args.action {
        RunsAction::List { location, last } => {
            let runs = ledger::read(&Registry::open(&location.registry, false)?.dir)?;
            let shown = newest(&runs, *last);
            let result = json!({ "runs": shown, "recorded": runs.len() });
            let text = render::list(shown);
            Ok(CommandReport::new(
                "runs list",
                started_at,
                Status::Ok,
                result,
                text,
            ))
        }
        RunsAction::Show { location, run } => {
            let runs = ledger::read(&Registry::open(&location.registry, false)?.dir)?;
            let record = ledger::find(&runs, run.as_deref())?;
            let text = render::show(record);
            let result = serde_json::to_value(record)?;
            Ok(CommandReport::new(
                "runs show",
                started_at,
                Status::Ok,
                result,
                text,
            ))
        }
        RunsAction::Record(record) => self::record(record, started_at),
    }
}

/// The newest `last` runs (all of them when `last` is 0), oldest first.
fn newest(runs: &[RunRecord], last: usize) -> &[RunRecord] {
    match last {
        0 => runs,
        n => &runs[runs.len().saturating_sub(n)..],
    }
}

/// Appends the run, then derives the loop's metrics from the whole ledger and the registry.
fn record(args: &RecordArgs, started_at: DateTime<Utc>) -> Result<CommandReport> {
    let error = match (&args.error_step, &args.error_message) {
        (Some(step), Some(message)) => Some(RunError {
            step: step.clone(),
            message: message.clone(),
        }),
        _ => None,
    };
    let facts = RunFacts {
        outcome: args.outcome,
        triggers: args.triggers.clone(),
        started_at: args.started_at,
        finished_at: started_at,
        error,
    };
    let record = assemble(&args.run_dir, facts)
        .with_context(|| format!("recording {}", args.run_dir.display()))?;
    let runs = ledger::append(
        &args.location.registry,
        args.location.wait.as_std(),
        &record,
    )?;
    // Committed: from here on a problem is a warning, never an error.
    let mut gauges = Gauges::default();
    metrics::loop_gauges(&runs, &mut gauges);
    let mut messages = Vec::new();
    let now = args.now.unwrap_or(started_at);
    if let Err(e) = Registry::open(&args.location.registry, false)
        .and_then(|registry| live_model(&registry, now, &mut gauges))
    {
        messages.push(format!("the live model's age is not in the metrics: {e:#}"));
    }
    let status = if messages.is_empty() {
        Status::Ok
    } else {
        Status::Warn
    };
    let text = format!(
        "runs record: {} {} (run {} of the ledger)\n",
        record.run,
        record.outcome.as_str(),
        runs.len()
    );
    let ledger_path = ledger::path(&args.location.registry);
    Ok(CommandReport::new(
        "runs record",
        started_at,
        status,
        serde_json::to_value(&record)?,
        text,
    )
    .with_gauges(gauges)
    .with_messages(messages)
    .committed(format!(
        "run {} is recorded in {}",
        record.run,
        ledger_path.display()
    )))
}
