//! The JSON report envelope shared by every subcommand (docs/DESIGN.md).

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use serde_json::Value;

use super::{exit_code_for, FailOn, Status};
use crate::data::InputInfo;

pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Serialize)]
pub struct Envelope {
    pub tool: &'static str,
    pub version: &'static str,
    pub command: &'static str,
    pub schema: u32,
    pub started_at: String,
    pub finished_at: String,
    pub status: Status,
    pub exit_code: u8,
    pub inputs: Vec<InputInfo>,
    pub params: Value,
    pub result: Value,
    pub messages: Vec<String>,
}

pub struct EnvelopeParts {
    pub command: &'static str,
    pub started_at: DateTime<Utc>,
    pub status: Status,
    pub fail_on: FailOn,
    pub inputs: Vec<InputInfo>,
    pub params: Value,
    pub result: Value,
    pub messages: Vec<String>,
}

pub fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

impl Envelope {
    pub fn new(parts: EnvelopeParts) -> Envelope {
        Envelope {
            tool: "refit",
            version: env!("CARGO_PKG_VERSION"),
            command: parts.command,
            schema: SCHEMA_VERSION,
            started_at: rfc3339(parts.started_at),
            finished_at: rfc3339(Utc::now()),
            status: parts.status,
            exit_code: exit_code_for(parts.status, parts.fail_on),
            inputs: parts.inputs,
            params: parts.params,
            result: parts.result,
            messages: parts.messages,
        }
    }

    /// A committed run whose outputs failed: at least WARN, with the reason among its messages.
    pub fn downgrade_to_warning(&mut self, warning: String, fail_on: FailOn) {
        self.status = self.status.max(Status::Warn);
        self.exit_code = exit_code_for(self.status, fail_on);
        self.messages.push(warning);
    }

    pub fn to_json_pretty(&self) -> anyhow::Result<String> {
        Ok(serde_json::to_string_pretty(self)? + "\n")
    }
}
