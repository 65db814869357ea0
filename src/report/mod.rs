//! Verdicts, the exit-code contract, the JSON report envelope, the Prometheus textfile and the
//! one path that writes them ([`output::emit`]).

pub mod envelope;
pub mod output;
pub mod prometheus;
pub mod table;

use serde::{Deserialize, Serialize};

/// A verdict. Ordered by severity so `max` combines them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Status {
    Ok,
    Warn,
    Fail,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "OK",
            Status::Warn => "WARN",
            Status::Fail => "FAIL",
        }
    }

    /// The gauge value used in metrics files: 0 OK, 1 WARN, 2 FAIL.
    pub fn severity(self) -> u8 {
        self as u8
    }
}

/// What a report envelope says happened: a verdict, or ERROR for a run that failed without
/// one (exit 1). Kept apart from [`Status`] because an error is never a verdict to combine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum ReportStatus {
    Ok,
    Warn,
    Fail,
    Error,
}

impl From<Status> for ReportStatus {
    fn from(status: Status) -> ReportStatus {
        match status {
            Status::Ok => ReportStatus::Ok,
            Status::Warn => ReportStatus::Warn,
            Status::Fail => ReportStatus::Fail,
        }
    }
}

/// When WARN should stop a pipeline (`--fail-on warn`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FailOn {
    /// Only FAIL exits non-zero (2); WARN exits 0.
    #[default]
    Fail,
    /// WARN exits 3, FAIL exits 2.
    Warn,
}

impl std::str::FromStr for FailOn {
    type Err = String;
    fn from_str(s: &str) -> Result<FailOn, String> {
        match s {
            "fail" => Ok(FailOn::Fail),
            "warn" => Ok(FailOn::Warn),
            other => Err(format!("unknown verdict `{other}`: expected fail or warn")),
        }
    }
}

/// What stdout carries: the human table, or the JSON envelope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    #[default]
    Text,
    Json,
}

impl std::str::FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Format, String> {
        match s {
            "text" => Ok(Format::Text),
            "json" => Ok(Format::Json),
            other => Err(format!("unknown format `{other}`: expected text or json")),
        }
    }
}

/// What a subcommand returns to the binary: its verdict. Errors travel as `anyhow::Error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    pub status: Status,
    pub fail_on: FailOn,
}

impl Outcome {
    /// The one place where a verdict becomes a process exit code (docs/DESIGN.md).
    pub fn exit_code(self) -> u8 {
        exit_code_for(self.status, self.fail_on)
    }
}

pub fn exit_code_for(status: Status, fail_on: FailOn) -> u8 {
    match (status, fail_on) {
        (Status::Ok, _) => 0,
        (Status::Warn, FailOn::Fail) => 0,
        (Status::Warn, FailOn::Warn) => 3,
        (Status::Fail, _) => 2,
    }
}

/// Exit code for errors: usage, unreadable or invalid input, I/O.
pub const EXIT_ERROR: u8 = 1;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_follow_the_contract() {
        assert_eq!(exit_code_for(Status::Ok, FailOn::Warn), 0);
        assert_eq!(exit_code_for(Status::Warn, FailOn::Fail), 0);
        assert_eq!(exit_code_for(Status::Warn, FailOn::Warn), 3);
        assert_eq!(exit_code_for(Status::Fail, FailOn::Fail), 2);
        assert_eq!(Status::Ok.max(Status::Fail), Status::Fail);
    }

    #[test]
    fn a_report_says_its_verdict_or_error_in_capitals() {
        let said = |s: ReportStatus| serde_json::to_value(s).unwrap();
        assert_eq!(said(Status::Warn.into()), "WARN");
        assert_eq!(said(ReportStatus::Error), "ERROR");
    }
}
