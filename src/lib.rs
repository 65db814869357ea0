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
pub mod data;
pub mod drift;
pub mod fleet;
pub mod html;
pub mod metrics;
pub mod model;
pub mod proxy;
pub mod registry;
pub mod report;
pub mod shadow;
pub mod stats;

use anyhow::Result;

use cli::{Cli, Command};
use report::output::{emit, CommandReport, Printer};
use report::Outcome;

/// Runs one parsed command line: outputs checked, the command run, its report written.
pub fn run(cli: Cli) -> Result<Outcome> {
    let options = cli.global.output_options();
    options.check_destinations()?;
    let printer = Printer::new(options.quiet);
    let report = dispatch(&cli.command, &printer)?;
    emit(report, cli.params()?, &options)
}

fn dispatch(command: &Command, printer: &Printer) -> Result<CommandReport> {
    match command {
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
