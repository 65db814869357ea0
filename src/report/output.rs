//! Writing a command's results: the JSON report file, the metrics file and stdout.

use std::io::{IsTerminal, Write};

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};

use super::envelope::Envelope;
use super::prometheus::MetricsText;
use super::Outcome;
use crate::cli::{Format, GlobalArgs};
use crate::data::write_atomic;

/// Everything a command produced, ready to be written.
pub struct CommandOutput {
    pub envelope: Envelope,
    pub text: String,
    pub metrics: MetricsText,
}

/// Files first (so a pipeline never sees stdout claim a report that is not there), then stdout.
/// Returns the run's outcome, taken from the envelope's status.
pub fn emit(output: &CommandOutput, global: &GlobalArgs) -> Result<Outcome> {
    let json = output.envelope.to_json_pretty()?;
    if let Some(path) = &global.report {
        write_atomic(path, json.as_bytes())?;
    }
    if let Some(path) = &global.html {
        let page = crate::html::render_page(&[serde_json::from_str(&json)?]);
        write_atomic(path, page.as_bytes())?;
    }
    if let Some(path) = &global.metrics_file {
        write_atomic(path, output.metrics.render().as_bytes())?;
    }
    let outcome = Outcome {
        status: output.envelope.status,
        fail_on: global.fail_on,
    };
    if global.quiet {
        return Ok(outcome);
    }
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let body = match global.format {
        Format::Json => json.as_str(),
        Format::Text => output.text.as_str(),
    };
    out.write_all(body.as_bytes())
        .and_then(|_| out.flush())
        .context("writing to stdout")?;
    Ok(outcome)
}

/// A progress bar on stderr, only when stderr is a terminal and output is not quiet.
pub fn progress_bar(len: u64, what: &str, global: &GlobalArgs) -> ProgressBar {
    if global.quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len);
    if let Ok(style) = ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} {elapsed}") {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(what.to_string());
    bar
}
