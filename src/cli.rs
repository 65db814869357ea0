//! Command-line interface, the top layer: global flags, the subcommand list and the parsed
//! arguments as JSON `params`. Each subcommand's argument struct and examples sit in its
//! `cmd/` file; domain types are converted by value parsers in `cmd/args.rs`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use serde::Serialize;
use serde_json::Value;

use crate::cmd;
use crate::cmd::args::{choice, fail_on_values, format_values};
use crate::report::output::{Destination, OutputOptions};
use crate::report::{FailOn, Format};

const EXIT_CODES: &str = "\
Exit codes:
  0  OK: ran, nothing to act on (WARN too, unless --fail-on warn)
  1  error: usage, unreadable or invalid input, I/O; no verdict (--report gets an ERROR report)
  2  FAIL: action needed
  3  WARN, only with --fail-on warn";

#[derive(Debug, Parser)]
#[command(
    name = "refit",
    version,
    about = "Automate model retraining for batch ML pipelines",
    long_about = "Automate model retraining for batch ML pipelines.\n\n\
        Small subcommands read and write Parquet/CSV/NDJSON and JSON artifacts and signal their \
        verdict with an exit code, so cron, Kubernetes CronJobs, CI and shell can chain them.",
    after_help = EXIT_CODES,
    propagate_version = true
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Flags every subcommand takes: where its results go and which verdicts stop a pipeline.
#[derive(Debug, Clone, Args, Serialize)]
#[command(next_help_heading = "Output")]
pub struct GlobalArgs {
    /// Output on stdout: a compact table, or the JSON report envelope.
    #[arg(long, global = true, value_parser = choice::<Format>(format_values()), default_value = "text")]
    pub format: Format,
    /// Write the JSON report envelope to PATH (atomically), or PUT it to an s3://, gs:// or
    /// az:// URL (credentials from the environment, as for inputs).
    #[arg(long, global = true, value_name = "PATH|URL", value_parser = destination)]
    pub report: Option<Destination>,
    /// Write the run's figures in Prometheus text format to PATH (atomically), for
    /// node_exporter's textfile collector.
    #[arg(long, global = true, value_name = "PATH")]
    pub metrics_file: Option<PathBuf>,
    /// Label every sample of --metrics-file and --pushgateway with refit_job=NAME, so that two
    /// jobs running the same command (a daily drift check and the retrain loop's) write
    /// distinct series; also the Pushgateway job's name.
    #[arg(long, global = true, value_name = "NAME", value_parser = metrics_job_name)]
    pub metrics_job: Option<String>,
    /// Also PUT the run's metrics to this Prometheus Pushgateway (http[s]://HOST[:PORT]), in
    /// the group job=--metrics-job (default refit) plus each --pushgateway-label: how a
    /// CronJob's pod, which no node_exporter reads, gets its figures to Prometheus. Three
    /// attempts; a push that still fails is a warning, never a change of exit code.
    #[arg(long, global = true, value_name = "URL", value_parser = pushgateway_url)]
    pub pushgateway: Option<crate::registry::notify::Endpoint>,
    /// A grouping label of the push, NAME=VALUE (repeatable), e.g. model=churn.
    #[arg(long, global = true, value_name = "NAME=VALUE", value_parser = grouping_label,
          requires = "pushgateway")]
    pub pushgateway_label: Vec<(String, String)>,
    /// How long one push attempt may take (1s to 10m).
    #[arg(long, global = true, default_value = "10s", value_name = "DURATION",
          value_parser = cmd::args::http_timeout)]
    pub pushgateway_timeout: cmd::args::DurationArg,
    /// Also write the report as a self-contained HTML page to PATH (atomically), or PUT it to
    /// an object-storage URL.
    #[arg(long, global = true, value_name = "PATH|URL", value_parser = destination)]
    pub html: Option<Destination>,
    /// Print nothing on stdout and no progress on stderr; errors are still printed.
    #[arg(long, short, global = true)]
    pub quiet: bool,
    /// Which verdicts exit non-zero: `fail` (FAIL exits 2) or `warn` (WARN exits 3 as well).
    #[arg(long, global = true, value_parser = choice::<FailOn>(fail_on_values()), default_value = "fail")]
    pub fail_on: FailOn,
}

impl GlobalArgs {
    /// The Pushgateway client and the group's URL path, or None without --pushgateway;
    /// built before the command runs.
    pub fn pusher(&self) -> anyhow::Result<Option<(crate::registry::notify::Notifier, String)>> {
        let Some(endpoint) = self.pushgateway.clone() else {
            return Ok(None);
        };
        let notifier = crate::registry::notify::Notifier::new(
            endpoint,
            None,
            self.pushgateway_timeout.as_std(),
            3,
            crate::registry::notify::PayloadFormat::Json,
        )?;
        let mut group = format!(
            "/metrics/job/{}",
            self.metrics_job.as_deref().unwrap_or("refit")
        );
        for (name, value) in &self.pushgateway_label {
            group.push_str(&format!("/{name}/{value}"));
        }
        Ok(Some((notifier, group)))
    }

    pub fn output_options(&self) -> OutputOptions {
        OutputOptions {
            format: self.format,
            report: self.report.clone(),
            metrics_file: self.metrics_file.clone(),
            metrics_job: self.metrics_job.clone(),
            html: self.html.clone(),
            quiet: self.quiet,
            fail_on: self.fail_on,
        }
    }
}

/// Every subcommand takes negative numbers as values (`--fail-psi -1` is a range error that
/// names the flag, not an unknown argument).
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Does the data keep its contract? Infer a contract (columns, types, ranges, domains,
    /// per-entity minimums) from a baseline, or check new data against one.
    #[command(after_help = cmd::validate::EXAMPLES, allow_negative_numbers = true)]
    Validate(cmd::validate::ValidateArgs),
    /// Is today's data distributed like the baseline? PSI, KS, Wasserstein, JS, chi-square.
    #[command(after_help = cmd::drift_check::EXAMPLES, allow_negative_numbers = true)]
    DriftCheck(cmd::drift_check::DriftCheckArgs),
    /// Write a baseline profile (quantile bins, category frequencies, null counts) that
    /// drift-check accepts as --baseline instead of the raw data.
    #[command(after_help = cmd::profile::EXAMPLES, allow_negative_numbers = true)]
    Profile(cmd::profile::ProfileArgs),
    /// Is the live model decaying? Join past predictions with outcomes that arrived later,
    /// compute its metrics and compare them with its baseline.
    #[command(after_help = cmd::score_proxy::EXAMPLES, allow_negative_numbers = true)]
    ScoreProxy(cmd::score_proxy::ScoreProxyArgs),
    /// Which entities are new, offline or gone since the model learnt its vocabulary, which
    /// active ones got no prediction, and what share of predictions hit unknown entities?
    #[command(after_help = cmd::fleet_diff::EXAMPLES, allow_negative_numbers = true)]
    FleetDiff(cmd::fleet_diff::FleetDiffArgs),
    /// Train a challenger on fresh data with a time-based holdout and write a model directory
    /// (model.json, metadata.json, holdout.parquet, profile.json, contract.json).
    #[command(after_help = cmd::train_candidate::EXAMPLES, allow_negative_numbers = true)]
    TrainCandidate(cmd::train_candidate::TrainCandidateArgs),
    /// Score a data set with a model directory's model, vocabularies and feature order.
    #[command(after_help = cmd::predict::EXAMPLES, allow_negative_numbers = true)]
    Predict(cmd::predict::PredictArgs),
    /// Champion vs challenger on the same recent labelled rows: PASS only if the challenger is
    /// not worse, with the rule stated and the evidence (bootstrap, DeLong, McNemar) saved.
    #[command(after_help = cmd::shadow::EXAMPLES, allow_negative_numbers = true)]
    ShadowTest(cmd::shadow::ShadowTestArgs),
    /// Version a challenger in the registry and swap the live pointer atomically, if its
    /// shadow test passed; audited, pruned, serving notified.
    #[command(after_help = cmd::promote::EXAMPLES, allow_negative_numbers = true)]
    Promote(cmd::promote::PromoteArgs),
    /// Point the live pointer back to the previous (or a named) version; audited.
    #[command(after_help = cmd::rollback::EXAMPLES, allow_negative_numbers = true)]
    Rollback(cmd::rollback::RollbackArgs),
    /// Inspect the registry: list versions, show one, verify (and repair) its invariants.
    #[command(allow_negative_numbers = true)]
    Registry(cmd::registry::RegistryArgs),
    /// Render JSON reports (files, or run folders of them) as one self-contained HTML page.
    #[command(after_help = cmd::report::EXAMPLES, allow_negative_numbers = true)]
    Report(cmd::report::ReportArgs),
    /// The retrain loop's run ledger (runs.jsonl in the registry): list runs, show one, or
    /// record the run a loop just finished, with the loop's metrics.
    #[command(after_help = cmd::runs::EXAMPLES, allow_negative_numbers = true)]
    Runs(cmd::runs::RunsArgs),
    /// Is the live model due for retraining whatever the data says? Its age, and the labelled
    /// rows that arrived after its training window.
    #[command(after_help = cmd::staleness::EXAMPLES, allow_negative_numbers = true)]
    Staleness(cmd::staleness::StalenessArgs),
    /// Send an event to a webhook (JSON or Slack-compatible), over HTTP or HTTPS.
    #[command(after_help = cmd::notify::EXAMPLES, allow_negative_numbers = true)]
    Notify(cmd::notify::NotifyArgs),
}

impl Cli {
    /// The envelope's `params`: the global flags and every flag of the subcommand, as parsed.
    pub fn params(&self) -> serde_json::Result<Value> {
        let mut params = serde_json::to_value(&self.global)?;
        let command = match &self.command {
            Command::Validate(a) => serde_json::to_value(a),
            Command::DriftCheck(a) => serde_json::to_value(a),
            Command::Profile(a) => serde_json::to_value(a),
            Command::ScoreProxy(a) => serde_json::to_value(a),
            Command::FleetDiff(a) => serde_json::to_value(a),
            Command::TrainCandidate(a) => serde_json::to_value(a),
            Command::Predict(a) => serde_json::to_value(a),
            Command::ShadowTest(a) => serde_json::to_value(a),
            Command::Promote(a) => serde_json::to_value(a),
            Command::Rollback(a) => serde_json::to_value(a),
            Command::Registry(a) => serde_json::to_value(a),
            Command::Report(a) => serde_json::to_value(a),
            Command::Runs(a) => serde_json::to_value(a),
            Command::Staleness(a) => serde_json::to_value(a),
            Command::Notify(a) => serde_json::to_value(a),
        }?;
        if let (Value::Object(all), Value::Object(own)) = (&mut params, command) {
            all.extend(own);
        }
        Ok(params)
    }
}

/// A job name: letters, digits, `_`, `-` and `.` (it is also a path segment of a Pushgateway
/// URL), at most 64 characters.
fn metrics_job_name(value: &str) -> Result<String, String> {
    let valid = !value.is_empty()
        && value.len() <= 64
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if valid {
        Ok(value.to_string())
    } else {
        Err(format!(
            "`{value}` is not a job name: use 1 to 64 letters, digits, '_', '-' or '.'"
        ))
    }
}

fn destination(text: &str) -> Result<Destination, String> {
    Destination::parse(text).map_err(|e| format!("{e:#}"))
}

fn pushgateway_url(text: &str) -> Result<crate::registry::notify::Endpoint, String> {
    text.parse()
}

/// NAME=VALUE with a label name ([a-zA-Z_][a-zA-Z0-9_]*, not `job`) and a value that is a
/// plain URL segment (letters, digits, `_`, `-`, `.`), as the Pushgateway path carries it.
fn grouping_label(text: &str) -> Result<(String, String), String> {
    let (name, value) = text
        .split_once('=')
        .ok_or_else(|| format!("`{text}`: expected NAME=VALUE"))?;
    let name_ok = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !name.starts_with("__");
    if !name_ok || name == "job" {
        return Err(format!(
            "`{name}` is not a grouping label name (letters, digits and '_'; not `job`, which \
             --metrics-job sets)"
        ));
    }
    metrics_job_name(value).map_err(|_| {
        format!("`{value}`: a label value here is 1 to 64 letters, digits, '_', '-' or '.'")
    })?;
    Ok((name.to_string(), value.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    /// The least each subcommand parses, to compare its `params` with its flags.
    const COMMAND_LINES: &[&[&str]] = &[
        &["drift-check", "--baseline", "b", "--current", "c"],
        &["profile", "--data", "d", "--out", "o"],
        &[
            "score-proxy",
            "--predictions",
            "p",
            "--outcomes",
            "o",
            "--on",
            "k",
            "--label",
            "y",
        ],
        &[
            "fleet-diff",
            "--data",
            "d",
            "--entity",
            "e",
            "--time",
            "t",
            "--vocabulary",
            "v",
        ],
        &[
            "train-candidate",
            "--data",
            "d",
            "--target",
            "y",
            "--time",
            "t",
            "--out",
            "o",
        ],
        &["predict", "--model", "m", "--data", "d", "--out", "o"],
        &[
            "shadow-test",
            "--champion",
            "c",
            "--challenger",
            "x",
            "--data",
            "d",
            "--label",
            "y",
        ],
        &["promote", "--registry", "r", "--candidate", "c"],
        &["rollback", "--registry", "r"],
        &["registry", "list", "--registry", "r"],
        &["registry", "show", "--registry", "r"],
        &["registry", "verify", "--registry", "r"],
        &["report", "in.json", "--out", "o.html"],
        &["runs", "list", "--registry", "r"],
        &["runs", "show", "--registry", "r"],
        &[
            "runs",
            "record",
            "run",
            "--registry",
            "r",
            "--outcome",
            "error",
        ],
        &["staleness", "--registry", "r", "--max-age", "30d"],
        &[
            "notify",
            "--notify",
            "http://h/",
            "--event",
            "e",
            "--message",
            "m",
        ],
    ];

    #[test]
    fn params_name_every_flag_of_every_command() {
        let mut root = Cli::command();
        root.build();
        for line in COMMAND_LINES {
            let cli = Cli::try_parse_from(std::iter::once("refit").chain(line.iter().copied()))
                .unwrap_or_else(|e| panic!("{line:?}: {e}"));
            let params = cli.params().expect("params serialize");
            let mut command = &root;
            for word in line.iter().take_while(|w| !w.starts_with('-')) {
                if let Some(sub) = command.find_subcommand(word) {
                    command = sub;
                }
            }
            for arg in command.get_arguments() {
                let id = arg.get_id().as_str();
                if id != "help" && id != "version" {
                    assert!(
                        params.get(id).is_some(),
                        "{line:?}: params lack `{id}`: {params}"
                    );
                }
            }
        }
    }

    #[test]
    fn the_cli_passes_clap_debug_asserts() {
        // Builds every subcommand eagerly: clap checks subcommands lazily, so a clash in one
        // (like a positional named `version`) would otherwise panic only when it is run.
        Cli::command().debug_assert();
    }
}
