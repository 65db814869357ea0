//! `refit report`: JSON report envelopes (files or run folders) as one HTML page.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde_json::Value;

use crate::cli::{GlobalArgs, ReportArgs};
use crate::data::write_atomic;
use crate::html::render_page;
use crate::report::{Outcome, Status};

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

pub fn run(args: &ReportArgs, global: &GlobalArgs) -> Result<Outcome> {
    let mut reports = Vec::new();
    for input in &args.inputs {
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
    write_atomic(&args.out, render_page(&reports).as_bytes())?;
    if !global.quiet {
        println!(
            "report: {} report(s) -> {}",
            reports.len(),
            args.out.display()
        );
    }
    Ok(Outcome {
        status: Status::Ok,
        fail_on: global.fail_on,
    })
}
