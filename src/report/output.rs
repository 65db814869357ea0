//! The one path from a command's result to the outside world: the envelope (with `params`
//! from the parsed arguments), the report, metrics and HTML files written all-or-nothing,
//! stdout, and the outcome that decides the exit code (docs/DESIGN.md).

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use chrono::{DateTime, Utc};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{Map, Value};

use super::envelope::{Envelope, EnvelopeParts, ErrorParts};
use super::prometheus::Gauges;
use super::table::escape_controls;
use super::{FailOn, Format, Outcome, Status};
use crate::data::atomic::stage_all;
use crate::data::file_kind::describe;
use crate::data::object_storage::{self, ObjectUrl};
use crate::data::InputInfo;

/// Where `--report` or `--html` goes: a local file (replaced atomically by a rename) or an
/// object (one PUT, which object stores apply atomically).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    File(PathBuf),
    Object(ObjectUrl),
}

impl Destination {
    /// An s3://, gs:// or az:// URL is an object; anything else is a path.
    pub fn parse(value: &str) -> Result<Destination> {
        match ObjectUrl::parse(value) {
            Some(url) => Ok(Destination::Object(url?)),
            None => Ok(Destination::File(PathBuf::from(value))),
        }
    }

    fn check(&self, flag: &str) -> Result<()> {
        match self {
            Destination::File(path) => check_destination(flag, path),
            // Only a write can tell whether it is allowed; a failed PUT is reported as such.
            Destination::Object(_) => Ok(()),
        }
    }
}

impl serde::Serialize for Destination {
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        match self {
            Destination::File(path) => path.serialize(serializer),
            Destination::Object(url) => url.serialize(serializer),
        }
    }
}

/// Files are staged beside their destinations, objects PUT, then the files renamed: a failed
/// PUT leaves no file changed. (Of two objects, the first stays written if the second fails.)
fn write_all(outputs: &[(&Destination, Vec<u8>)]) -> Result<()> {
    let mut files = Vec::new();
    let mut objects = Vec::new();
    for (destination, bytes) in outputs {
        match destination {
            Destination::File(path) => files.push((path.as_path(), bytes.clone())),
            Destination::Object(url) => objects.push((url, bytes.clone())),
        }
    }
    let staged = stage_all(&files)?;
    object_storage::put_all(&objects)?;
    staged.commit()
}

/// Where a run's results go and which verdicts stop a pipeline; the CLI's global flags.
#[derive(Debug, Clone)]
pub struct OutputOptions {
    pub format: Format,
    pub report: Option<Destination>,
    pub metrics_file: Option<PathBuf>,
    /// The `refit_job` label on every sample of the metrics file.
    pub metrics_job: Option<String>,
    pub html: Option<Destination>,
    pub quiet: bool,
    pub fail_on: FailOn,
}

impl OutputOptions {
    /// Fails before the command runs when an output could not be written, so a bad path never
    /// costs a half-finished run or a committed change without its report.
    pub fn check_destinations(&self) -> Result<()> {
        if let Some(path) = &self.metrics_file {
            check_destination("--metrics-file", path)?;
        }
        if let Some(html) = &self.html {
            html.check("--html")?;
        }
        self.check_report_destination()
    }

    /// `--report` alone: when it is fine, an error after this point leaves its ERROR report.
    pub fn check_report_destination(&self) -> Result<()> {
        match &self.report {
            Some(report) => report.check("--report"),
            None => Ok(()),
        }
    }
}

/// An output file's directory must exist, and the path, if it exists, must be a regular file.
pub fn check_destination(flag: &str, path: &Path) -> Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if !dir.is_dir() {
        bail!(
            "{flag} {}: directory {} does not exist",
            path.display(),
            dir.display()
        );
    }
    // The file is replaced by a rename: a symlink, device or FIFO there would be replaced
    // itself (as root, `--report /dev/stdout` would replace the system's /dev/stdout).
    match std::fs::symlink_metadata(path) {
        Ok(meta) if !meta.file_type().is_file() => bail!(
            "{flag} {}: exists and is {}, not a regular file; refit only replaces regular files",
            path.display(),
            describe(meta.file_type())
        ),
        _ => Ok(()),
    }
}

/// Decides where progress goes: a bar on stderr only when it is a terminal and not --quiet.
#[derive(Debug, Clone, Copy)]
pub struct Printer {
    quiet: bool,
}

impl Printer {
    pub fn new(quiet: bool) -> Printer {
        Printer { quiet }
    }

    /// Whether the user asked for silence (an external trainer's output is then not echoed).
    pub fn is_quiet(&self) -> bool {
        self.quiet
    }

    pub fn progress_bar(&self, len: u64, what: &str) -> ProgressBar {
        if self.quiet || !std::io::stderr().is_terminal() {
            return ProgressBar::hidden();
        }
        let bar = ProgressBar::new(len);
        if let Ok(style) = ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} {elapsed}") {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message(what.to_string());
        bar
    }
}

/// What a command computed, typed and complete, before anything is written.
#[derive(Debug)]
pub struct CommandReport {
    pub command: &'static str,
    pub started_at: DateTime<Utc>,
    pub status: Status,
    pub inputs: Vec<InputInfo>,
    /// Values the command resolved (defaults filled in, lists expanded); they replace the
    /// parsed flag of the same name in the envelope's `params`.
    pub resolved: Map<String, Value>,
    pub result: Value,
    pub messages: Vec<String>,
    /// The human table for stdout.
    pub text: String,
    pub gauges: Gauges,
    /// Set by commands that changed state (a promotion, a rollback, a repair), saying what:
    /// a later failure to write an output is then a warning, never an error.
    pub committed: Option<String>,
}

impl CommandReport {
    /// A report with the status, result and text; gauges hold the run summary.
    pub fn new(
        command: &'static str,
        started_at: DateTime<Utc>,
        status: Status,
        result: Value,
        text: String,
    ) -> CommandReport {
        let mut gauges = Gauges::default();
        gauges.run_summary(command, status);
        CommandReport {
            command,
            started_at,
            status,
            inputs: Vec::new(),
            resolved: Map::new(),
            result,
            messages: Vec::new(),
            text,
            gauges,
            committed: None,
        }
    }

    pub fn with_inputs(mut self, inputs: Vec<InputInfo>) -> CommandReport {
        self.inputs = inputs;
        self
    }

    pub fn with_messages(mut self, messages: Vec<String>) -> CommandReport {
        self.messages = messages;
        self
    }

    /// Command-specific gauges, followed by the run summary every command writes.
    pub fn with_gauges(mut self, mut gauges: Gauges) -> CommandReport {
        gauges.run_summary(self.command, self.status);
        self.gauges = gauges;
        self
    }

    pub fn resolve(mut self, name: &str, value: impl serde::Serialize) -> CommandReport {
        let value = serde_json::to_value(value).unwrap_or(Value::Null);
        self.resolved.insert(name.to_string(), value);
        self
    }

    pub fn committed(mut self, what: String) -> CommandReport {
        self.committed = Some(what);
        self
    }
}

/// `params`: every parsed flag (so none can be forgotten), then what the command resolved.
fn merge_params(parsed: Value, resolved: Map<String, Value>) -> Value {
    let mut params = match parsed {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    params.extend(resolved);
    Value::Object(params)
}

/// Writes the report, metrics and HTML files all-or-nothing, then stdout; returns the outcome.
/// A closed stdout is a normal end: the files are written and the verdict's exit code stands.
pub fn emit(report: CommandReport, parsed: Value, options: &OutputOptions) -> Result<Outcome> {
    let CommandReport {
        command,
        started_at,
        mut status,
        inputs,
        resolved,
        result,
        messages,
        text,
        gauges,
        committed,
    } = report;
    let mut envelope = Envelope::new(EnvelopeParts {
        command,
        started_at,
        status,
        fail_on: options.fail_on,
        inputs,
        params: merge_params(parsed, resolved),
        result,
        messages,
    });
    let mut json = envelope.to_json_pretty()?;
    if let Err(err) = write_files(&json, &gauges, options) {
        let Some(what) = &committed else {
            return Err(err);
        };
        let warning = format!("{what}, but the run's outputs were not written: {err:#}");
        eprintln!("warning: {warning}");
        status = status.max(Status::Warn);
        envelope.downgrade_to_warning(status, warning, options.fail_on);
        json = envelope.to_json_pretty()?;
    }
    let outcome = Outcome {
        status,
        fail_on: options.fail_on,
    };
    if !options.quiet {
        // JSON escapes control characters itself; the text table gets the same care.
        let body = match options.format {
            Format::Json => std::borrow::Cow::Borrowed(json.as_str()),
            Format::Text => escape_controls(&text),
        };
        if let Err(err) = write_stdout(&body) {
            // After a commit the change stands: a lost stdout is worth a warning, not exit 1.
            match &committed {
                Some(what) => eprintln!("warning: {what}, but {err:#}"),
                None => return Err(err),
            }
        }
    }
    Ok(outcome)
}

/// A run that failed after its arguments were parsed: the ERROR envelope goes to `--report`
/// (atomically) and nothing else is written: no metrics, no HTML, nothing on stdout, since
/// none of them has a verdict to carry. The binary prints the error and exits 1.
pub fn emit_error(parts: ErrorParts, options: &OutputOptions) -> Result<()> {
    let Some(report) = &options.report else {
        return Ok(());
    };
    report.check("--report")?;
    let json = Envelope::error(parts).to_json_pretty()?;
    write_all(&[(report, json.into_bytes())])
}

fn write_files(json: &str, gauges: &Gauges, options: &OutputOptions) -> Result<()> {
    let metrics_file = options.metrics_file.clone().map(Destination::File);
    let mut outputs: Vec<(&Destination, Vec<u8>)> = Vec::new();
    if let Some(html) = &options.html {
        let page = crate::html::render_page(&[serde_json::from_str(json)?]);
        outputs.push((html, page.into_bytes()));
    }
    // The report is PUT last: a pipeline that reads it finds the HTML page already there.
    if let Some(report) = &options.report {
        outputs.push((report, json.as_bytes().to_vec()));
    }
    if let Some(path) = &metrics_file {
        let text = gauges.render_for_job(options.metrics_job.as_deref());
        outputs.push((path, text.into_bytes()));
    }
    write_all(&outputs)
}

/// Writes to stdout; a reader that went away (`| head`) is not an error.
pub fn write_stdout(body: &str) -> Result<()> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match out.write_all(body.as_bytes()).and_then(|_| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.context("writing to stdout"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn resolved_values_replace_parsed_flags() {
        let mut resolved = Map::new();
        resolved.insert("metric".into(), json!("pr_auc"));
        let params = merge_params(json!({"metric": null, "seed": 0}), resolved);
        assert_eq!(params, json!({"metric": "pr_auc", "seed": 0}));
    }

    fn options(report: Option<PathBuf>) -> OutputOptions {
        OutputOptions {
            format: Format::Json,
            report: report.map(Destination::File),
            metrics_file: None,
            metrics_job: None,
            html: None,
            quiet: false,
            fail_on: FailOn::Fail,
        }
    }

    fn failure(message: &str) -> ErrorParts<'static> {
        ErrorParts {
            command: "drift-check",
            started_at: Utc::now(),
            params: json!({ "baseline": "b.parquet" }),
            message: message.into(),
        }
    }

    #[test]
    fn an_error_report_is_written_only_to_the_report_path() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.json");
        emit_error(
            failure("b.parquet: not found"),
            &options(Some(path.clone())),
        )
        .unwrap();
        let report: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(report["status"], "ERROR");
        assert_eq!(report["messages"], json!(["b.parquet: not found"]));
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1, "no temp file left beside the report");
        assert!(emit_error(failure("x"), &options(None)).is_ok());
    }

    #[test]
    fn an_error_report_that_cannot_be_written_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let err = emit_error(failure("x"), &options(Some(dir.path().to_path_buf())))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("--report") && err.contains("a directory"),
            "{err}"
        );
    }

    #[test]
    fn a_missing_output_directory_is_refused() {
        let err = check_destination("--report", Path::new("/nonexistent-dir/r.json"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("--report") && err.contains("does not exist"),
            "{err}"
        );
        assert!(check_destination("--report", Path::new("r.json")).is_ok());
    }

    #[test]
    fn only_regular_files_are_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("target.txt");
        std::fs::write(&target, "keep").unwrap();
        let link = dir.path().join("link.json");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let err = check_destination("--report", &link)
            .unwrap_err()
            .to_string();
        assert!(err.contains("a symlink"), "{err}");
        let err = check_destination("--html", dir.path())
            .unwrap_err()
            .to_string();
        assert!(err.contains("a directory"), "{err}");
        let err = check_destination("--report", Path::new("/dev/null"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("a device"), "{err}");
        assert!(check_destination("--report", &target).is_ok());
    }
}
