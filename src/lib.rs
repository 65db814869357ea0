//! refit: small subcommands that automate model retraining for batch ML pipelines.
//!
//! Layers, top to bottom (an import only ever points down; docs/DESIGN.md):
//! `bin` -> [`run`] -> [`cli`] (clap) -> [`cmd`] (one recipe per subcommand) -> the domains
//! ([`drift`], [`fleet`], [`proxy`], [`shadow`], [`model`], [`registry`], [`html`]) ->
//! [`report`], [`metrics`], [`stats`], [`data`]. A command returns a typed
//! [`report::output::CommandReport`]; [`run`] writes it out in one place and returns the
//! [`report::Outcome`] that the binary turns into the exit code.

pub mod cli;
pub mod cmd;
pub mod contract;
pub mod data;
pub mod drift;
pub mod fleet;
pub mod html;
pub mod metrics;
pub mod model;
pub mod proxy;
pub mod registry;
pub mod report;
pub mod runs;
pub mod shadow;
pub mod stats;

use std::ffi::OsString;

use anyhow::Result;
use chrono::Utc;
use clap::{ArgMatches, CommandFactory, FromArgMatches};

use cli::{Cli, Command};
use model::external::Interrupted;
use report::envelope::ErrorParts;
use report::output::{emit, emit_error, CommandReport, OutputOptions, Printer};
use report::{Outcome, EXIT_ERROR};

/// A parsed command line, with the subcommand's name as typed (`registry list`) for the
/// report an error leaves behind.
#[derive(Debug)]
pub struct Invocation {
    pub cli: Cli,
    pub command: String,
}

impl Invocation {
    /// Parses like `Cli::try_parse_from`; a usage error is clap's, and nothing is written.
    pub fn parse_from<I, T>(args: I) -> Result<Invocation, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<OsString> + Clone,
    {
        let mut matches = Cli::command().try_get_matches_from(args)?;
        let command = subcommand_path(&matches);
        let cli =
            Cli::from_arg_matches_mut(&mut matches).map_err(|e| e.format(&mut Cli::command()))?;
        Ok(Invocation { cli, command })
    }
}

/// "registry list": the subcommand names down to the one that ran.
fn subcommand_path(matches: &ArgMatches) -> String {
    let mut names = Vec::new();
    let mut current = matches;
    while let Some((name, sub)) = current.subcommand() {
        names.push(name);
        current = sub;
    }
    names.join(" ")
}

/// A run that ended in an error instead of a verdict.
#[derive(Debug)]
pub struct Failure {
    pub error: anyhow::Error,
    /// Why the ERROR report could not be written to `--report`, when it could not.
    pub unreported: Option<anyhow::Error>,
}

impl Failure {
    /// 1, or 128 + N when signal N stopped an external trainer (then nothing is written).
    pub fn exit_code(&self) -> u8 {
        self.error
            .downcast_ref::<Interrupted>()
            .map_or(EXIT_ERROR, Interrupted::exit_code)
    }
}

/// Runs one parsed command line: outputs checked, the command run, its report written. An
/// error that exits 1 leaves an ERROR report at `--report` when that path is usable.
pub fn run(invocation: Invocation) -> Result<Outcome, Failure> {
    let started_at = Utc::now();
    let Invocation { cli, command } = invocation;
    let options = cli.global.output_options();
    // With an unusable --report there is nowhere to record the error but stderr.
    if let Err(error) = options.check_report_destination() {
        return Err(Failure {
            error,
            unreported: None,
        });
    }
    let error = match run_command(&cli, &options) {
        Ok(outcome) => return Ok(outcome),
        Err(error) => error,
    };
    let mut failure = Failure {
        error,
        unreported: None,
    };
    if failure.exit_code() == EXIT_ERROR {
        let parts = ErrorParts {
            command: &command,
            started_at,
            params: cli.params().unwrap_or_default(),
            message: format!("{:#}", failure.error),
        };
        failure.unreported = emit_error(parts, &options).err();
    }
    Err(failure)
}

fn run_command(cli: &Cli, options: &OutputOptions) -> Result<Outcome> {
    options.check_destinations()?;
    let pusher = cli.global.pusher()?;
    let printer = Printer::new(options.quiet);
    let mut report = dispatch(&cli.command, &printer)?;
    if let Some((pushgateway, group)) = pusher {
        // Replaces the group's metrics (PUT), as a batch job's last run should. A push that
        // fails is said, in the report too; the verdict stands.
        let text = report.gauges.render_for_job(options.metrics_job.as_deref());
        if let Err(error) = pushgateway.put(&group, PROMETHEUS_TEXT, &text) {
            let warning = format!("metrics not pushed: {error:#}");
            eprintln!("warning: {warning}");
            report.messages.push(warning);
        }
    }
    emit(report, cli.params()?, options)
}

/// The Prometheus text exposition format's content type.
const PROMETHEUS_TEXT: &str = "text/plain; version=0.0.4; charset=utf-8";

fn dispatch(command: &Command, printer: &Printer) -> Result<CommandReport> {
    match command {
        Command::Validate(args) => cmd::validate::run(args, printer),
        Command::DriftCheck(args) => cmd::drift_check::run(args, printer),
        Command::Profile(args) => cmd::profile::run(args, printer),
        Command::ScoreProxy(args) => cmd::score_proxy::run(args, printer),
        Command::FleetDiff(args) => cmd::fleet_diff::run(args, printer),
        Command::TrainCandidate(args) => cmd::train_candidate::run(args, printer),
        Command::Predict(args) => cmd::predict::run(args, printer),
        Command::ShadowTest(args) => cmd::shadow::run(args, printer),
        Command::Promote(args) => cmd::promote::run(args, printer),
        Command::Rollback(args) => cmd::rollback::run(args, printer),
        Command::Registry(args) => cmd::registry::run(args, printer),
        Command::Report(args) => cmd::report::run(args, printer),
        Command::Runs(args) => cmd::runs::run(args, printer),
        Command::Staleness(args) => cmd::staleness::run(args, printer),
        Command::Notify(args) => cmd::notify::run(args, printer),
    }
}
