//! `refit notify` (stub, being written).

use anyhow::{bail, Result};
use clap::Args;
use serde::Serialize;

use crate::report::output::{CommandReport, Printer};

pub const EXAMPLES: &str = "Examples:\n  refit notify";

#[derive(Debug, Clone, Args, Serialize)]
pub struct NotifyArgs {}

pub fn run(_args: &NotifyArgs, _printer: &Printer) -> Result<CommandReport> {
    bail!("refit notify is not written yet")
}
