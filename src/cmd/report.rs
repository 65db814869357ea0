//! `refit report`: JSON report envelopes (files or run folders) as one HTML page.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use chrono::Utc;
use clap::Args;
use serde::Serialize;
use serde_json::{json, Value};

use super::args::check_output;
use crate::data::write_atomic;
use crate::html::render_page;
use crate::registry::store::Registry;
use crate::report::output::{CommandReport, Printer};
use crate::report::Status;
use crate::runs::ledger;

pub const EXAMPLES: &str = "\
Examples:
  refit report out/drift.json --out drift.html
  refit report runs/20261123T030000Z --out run.html     # every report of a run folder
  refit drift-check --baseline train.parquet --current today.parquet --html drift.html
  refit report runs/20261123T030000Z --registry /srv/models --last 10 --out loop.html
                                                        # + the loop's last 10 runs as a timeline

The page has inline CSS and inline SVG charts, no scripts and no external requests: it opens
offline and can be attached to a ticket or kept as a CI artifact.";

#[derive(Debug, Clone, Args, Serialize)]
pub struct ReportArgs {
    /// JSON reports written by --report, or directories holding them.
    #[arg(required_unless_present = "registry", value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,
    /// Also show the retrain loop's newest runs from this registry's ledger, as a timeline.
    #[arg(long, value_name = "DIR")]
    pub registry: Option<PathBuf>,
    /// How many of the newest runs --registry shows.
    #[arg(long, default_value_t = 10, value_name = "N", requires = "registry")]
    pub last: usize,
    /// The HTML file to write.
    #[arg(long, value_name = "PATH")]
    pub out: PathBuf,
}

/// The report files of one input: the file itself, or a folder's `*.json` in name order
/// (JSON that is not a refit report, such as a profile, is skipped there).
fn report_files(input: &Path) -> Result<Vec<(PathBuf, bool)>> {
    if input.is_dir() {
        let mut files: Vec<PathBuf> = std::fs::read_dir(input)
            .with_context(|| format!("listing {}", input.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        files.sort();
        Ok(files.into_iter().map(|f| (f, false)).collect())
    } else {
        Ok(vec![(input.to_path_buf(), true)])
    }
}

pub fn run(args: &ReportArgs, _printer: &Printer) -> Result<CommandReport> {
    let started_at = Utc::now();
    check_output("--out", &args.out)?;
    let mut reports = if args.inputs.is_empty() {
        Vec::new()
    } else {
        read_reports(&args.inputs)?
    };
    if let Some(registry) = &args.registry {
        reports.push(timeline(registry, args.last, started_at)?);
    }
    write_atomic(&args.out, render_page(&reports).as_bytes())?;
    let commands: Vec<&str> = reports
        .iter()
        .filter_map(|r| r["command"].as_str())
        .collect();
    let text = format!(
        "report: {} report(s) -> {}\n",
        reports.len(),
        args.out.display()
    );
    let result = json!({ "out": args.out, "reports": reports.len(), "commands": commands });
    Ok(CommandReport::new(
        "report",
        started_at,
        Status::Ok,
        result,
        text,
    ))
}

/// The ledger's newest `last` runs as a `runs list` envelope, which the page renders as a
/// timeline.
fn timeline(registry: &Path, last: usize, at: chrono::DateTime<Utc>) -> Result<Value> {
    let runs = ledger::read(&Registry::open(registry, false)?.dir)?;
    let shown = &runs[runs.len().saturating_sub(last)..];
    let at = at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    Ok(json!({
        "tool": "refit", "command": "runs list", "status": "OK", "exit_code": 0,
        "started_at": at, "finished_at": at,
        "result": { "runs": shown, "recorded": runs.len() },
    }))
}

/// Every refit report among the inputs, in pipeline order (by start time).
fn read_reports(inputs: &[PathBuf]) -> Result<Vec<Value>> {
    let mut reports = Vec::new();
    for input in inputs {
        for (path, explicit) in report_files(input)? {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("reading {}", path.display()))?;
            let json: Value = serde_json::from_str(&text)
                .with_context(|| format!("{}: not JSON", path.display()))?;
            if json["tool"] != "refit" || !json["command"].is_string() {
                if explicit {
                    bail!(
                        "{}: not a refit report (expected the envelope written by --report)",
                        path.display()
                    );
                }
                continue;
            }
            reports.push(json);
        }
    }
    if reports.is_empty() {
        bail!("no refit reports found in the inputs");
    }
    // A run folder reads in pipeline order: by start time (RFC 3339 sorts as text).
    reports.sort_by(|a, b| {
        a["started_at"]
            .as_str()
            .unwrap_or("")
            .cmp(b["started_at"].as_str().unwrap_or(""))
    });
    Ok(reports)
}
