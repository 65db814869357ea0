//! The JSON report envelope shared by every subcommand (docs/DESIGN.md).

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use serde_json::Value;

use super::{exit_code_for, FailOn, ReportStatus, Status, EXIT_ERROR};
use crate::data::InputInfo;

pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Serialize)]
pub struct Envelope {
    pub tool: &'static str,
    pub version: &'static str,
    pub command: String,
    pub schema: u32,
    pub started_at: String,
    pub finished_at: String,
    pub status: ReportStatus,
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

/// What an ERROR envelope holds: the command as typed, when it started, its parsed flags and
/// the error as printed on stderr.
pub struct ErrorParts<'a> {
    pub command: &'a str,
    pub started_at: DateTime<Utc>,
    pub params: Value,
    pub message: String,
}

pub fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

impl Envelope {
    pub fn new(parts: EnvelopeParts) -> Envelope {
        Envelope {
            tool: "refit",
            version: env!("CARGO_PKG_VERSION"),
            command: parts.command.to_string(),
            schema: SCHEMA_VERSION,
            started_at: rfc3339(parts.started_at),
            finished_at: rfc3339(Utc::now()),
            status: parts.status.into(),
            exit_code: exit_code_for(parts.status, parts.fail_on),
            inputs: parts.inputs,
            params: parts.params,
            result: parts.result,
            messages: parts.messages,
        }
    }

    /// A run that failed without a verdict: status ERROR, exit code 1, no result.
    pub fn error(parts: ErrorParts) -> Envelope {
        Envelope {
            tool: "refit",
            version: env!("CARGO_PKG_VERSION"),
            command: parts.command.to_string(),
            schema: SCHEMA_VERSION,
            started_at: rfc3339(parts.started_at),
            finished_at: rfc3339(Utc::now()),
            status: ReportStatus::Error,
            exit_code: EXIT_ERROR,
            inputs: Vec::new(),
            params: parts.params,
            result: Value::Null,
            messages: vec![parts.message],
        }
    }

    /// A committed run whose outputs failed: its verdict is now `verdict` (at least WARN),
    /// with the reason among its messages.
    pub fn downgrade_to_warning(&mut self, verdict: Status, warning: String, fail_on: FailOn) {
        self.status = verdict.into();
        self.exit_code = exit_code_for(verdict, fail_on);
        self.messages.push(warning);
    }

    pub fn to_json_pretty(&self) -> anyhow::Result<String> {
        Ok(serde_json::to_string_pretty(self)? + "\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_envelope_has_status_error_exit_one_and_no_result() {
        let envelope = Envelope::error(ErrorParts {
            command: "registry list",
            started_at: Utc::now(),
            params: serde_json::json!({ "format": "json" }),
            message: "reading r/current.json: not found".into(),
        });
        let json: Value = serde_json::from_str(&envelope.to_json_pretty().unwrap()).unwrap();
        assert_eq!(json["status"], "ERROR");
        assert_eq!(json["exit_code"], 1);
        assert_eq!(json["command"], "registry list");
        assert_eq!(json["result"], Value::Null);
        assert_eq!(json["inputs"], serde_json::json!([]));
        assert_eq!(json["params"]["format"], "json");
        assert_eq!(
            json["messages"],
            serde_json::json!(["reading r/current.json: not found"])
        );
    }
}
