//! refit: small subcommands that automate model retraining for batch ML pipelines.
//!
//! The binary parses arguments and calls [`run`]; each subcommand in [`cmd`] wires the library
//! modules together and returns an [`report::Outcome`], which the binary turns into the exit
//! code (DESIGN.md's contract).

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
use report::Outcome;

pub fn run(cli: Cli) -> Result<Outcome> {
    match &cli.command {
        Command::DriftCheck(args) => cmd::drift_check::run(args, &cli.global),
        Command::Profile(args) => cmd::profile::run(args, &cli.global),
        Command::ScoreProxy(args) => cmd::score_proxy::run(args, &cli.global),
        Command::FleetDiff(args) => cmd::fleet_diff::run(args, &cli.global),
        Command::TrainCandidate(args) => cmd::train_candidate::run(args, &cli.global),
        Command::Predict(args) => cmd::predict::run(args, &cli.global),
        Command::ShadowTest(args) => cmd::shadow_test::run(args, &cli.global),
        Command::Promote(args) => cmd::promote::run(args, &cli.global),
        Command::Rollback(args) => cmd::promote::rollback(args, &cli.global),
        Command::Registry(args) => cmd::registry::run(args, &cli.global),
        Command::Report(args) => cmd::report::run(args, &cli.global),
    }
}
