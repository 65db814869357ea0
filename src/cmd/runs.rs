//! `refit runs` (stub, being written).

use anyhow::{bail, Result};
use clap::Args;
use serde::Serialize;

use crate::report::output::{CommandReport, Printer};

pub const EXAMPLES: &str = "Examples:\n  refit runs";

#[derive(Debug, Clone, Args, Serialize)]
pub struct RunsArgs {}

pub fn run(_args: &RunsArgs, _printer: &Printer) -> Result<CommandReport> {
    bail!("refit runs is not written yet")
}
