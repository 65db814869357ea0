//! `refit staleness` (stub, being written).

use anyhow::{bail, Result};
use clap::Args;
use serde::Serialize;

use crate::report::output::{CommandReport, Printer};

pub const EXAMPLES: &str = "Examples:\n  refit staleness";

#[derive(Debug, Clone, Args, Serialize)]
pub struct StalenessArgs {}

pub fn run(_args: &StalenessArgs, _printer: &Printer) -> Result<CommandReport> {
    bail!("refit staleness is not written yet")
}
