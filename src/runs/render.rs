//! The ledger as text: one line per run for `runs list`, the whole story of one for `runs show`.

use std::fmt::Write;

use super::RunRecord;
use crate::report::table::escape_controls;

/// The figure that says most about a step, for the one-line view.
fn headline(record: &RunRecord) -> String {
    if let Some(error) = &record.error {
        return format!("{} failed: {}", error.step, error.message);
    }
    if let Some(version) = record.version {
        return format!("promoted v{version}");
    }
    let step = |name: &str| record.steps.iter().find(|s| s.step == name);
    if let Some(shadow) = step("shadow-test") {
        let verdict = shadow.figures.get("verdict").and_then(|v| v.as_str());
        return format!("shadow test {}", verdict.unwrap_or(&shadow.status));
    }
    if let Some(rows) = step("train-candidate").and_then(|s| s.figures.get("rows")) {
        return format!("{} usable rows, {} needed", rows["usable"], rows["needed"]);
    }
    String::new()
}

pub fn list(runs: &[RunRecord]) -> String {
    if runs.is_empty() {
        return "no runs recorded yet\n".into();
    }
    let mut out = format!(
        "{:<20} {:<24} {:>9}  {:<17} {}\n",
        "RUN", "STARTED", "DURATION", "OUTCOME", "TRIGGER / DETAIL"
    );
    for run in runs {
        let trigger = if run.triggers.is_empty() {
            "-".to_string()
        } else {
            run.triggers.join("; ")
        };
        let detail = headline(run);
        let _ = writeln!(
            out,
            "{:<20} {:<24} {:>8.1}s  {:<17} {}{}",
            escape_controls(&run.run),
            run.started_at,
            run.duration_seconds,
            run.outcome.as_str(),
            escape_controls(&trigger),
            if detail.is_empty() {
                String::new()
            } else {
                format!(" -> {}", escape_controls(&detail))
            }
        );
    }
    out
}

pub fn show(run: &RunRecord) -> String {
    let mut out = format!(
        "run {}: {} (loop exit {})\nstarted {}, finished {} ({:.1}s)\n",
        escape_controls(&run.run),
        run.outcome.as_str(),
        run.outcome.exit_code(),
        run.started_at,
        run.finished_at,
        run.duration_seconds
    );
    match run.triggers.as_slice() {
        [] => out.push_str("triggers: none fired\n"),
        triggers => {
            let _ = writeln!(out, "triggers: {}", escape_controls(&triggers.join("; ")));
        }
    }
    for step in &run.steps {
        let figures = serde_json::to_string(&step.figures).unwrap_or_default();
        let _ = writeln!(
            out,
            "  {:<16} {:<5} exit {}  {}",
            step.step,
            step.status,
            step.exit_code,
            escape_controls(&figures)
        );
    }
    if let Some(version) = run.version {
        let _ = writeln!(out, "promoted: version {version}");
    }
    if let Some(candidate) = &run.candidate {
        let _ = writeln!(
            out,
            "candidate: {} {}",
            escape_controls(candidate),
            run.fingerprint.as_deref().unwrap_or("")
        );
    }
    if let Some(error) = &run.error {
        let _ = writeln!(
            out,
            "error in {}: {}",
            error.step,
            escape_controls(&error.message)
        );
    }
    let _ = writeln!(out, "reports: {}", escape_controls(&run.reports));
    out
}
