//! `refit validate` (stub, being written).

use anyhow::{bail, Result};
use clap::Args;
use serde::Serialize;

use crate::report::output::{CommandReport, Printer};

pub const EXAMPLES: &str = "Examples:\n  refit validate";

#[derive(Debug, Clone, Args, Serialize)]
pub struct ValidateArgs {}

pub fn run(_args: &ValidateArgs, _printer: &Printer) -> Result<CommandReport> {
    bail!("refit validate is not written yet")
}
