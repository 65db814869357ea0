//! One loop run as the ledger keeps it: when, why (the triggers), what each step said, and how
//! it ended.

use std::path::Path;
use std::str::FromStr;

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::figures::figures;

/// How a loop run ended. Each outcome is also the loop's exit code (scripts/retrain.sh).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunOutcome {
    /// No trigger fired (or a dry run found one and did nothing).
    NothingToDo,
    /// A trigger fired, but there were fewer usable rows than the training minimum.
    InsufficientData,
    /// The data broke its contract (`refit validate` FAIL): nothing was checked or trained.
    InvalidData,
    /// A challenger was trained and the shadow test or promote refused it.
    Rejected,
    /// A challenger became the live model.
    Promoted,
    /// A step failed (exit 1); the registry is unchanged.
    Error,
}

impl RunOutcome {
    pub const ALL: [RunOutcome; 6] = [
        RunOutcome::NothingToDo,
        RunOutcome::InsufficientData,
        RunOutcome::InvalidData,
        RunOutcome::Rejected,
        RunOutcome::Promoted,
        RunOutcome::Error,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RunOutcome::NothingToDo => "nothing_to_do",
            RunOutcome::InsufficientData => "insufficient_data",
            RunOutcome::InvalidData => "invalid_data",
            RunOutcome::Rejected => "rejected",
            RunOutcome::Promoted => "promoted",
            RunOutcome::Error => "error",
        }
    }

    /// The loop's exit code for this outcome (documented in the README next to 0/1/2/3).
    pub fn exit_code(self) -> i32 {
        match self {
            RunOutcome::NothingToDo => 0,
            RunOutcome::Error => 1,
            RunOutcome::Rejected => 2,
            RunOutcome::InsufficientData => 4,
            RunOutcome::InvalidData => 5,
            RunOutcome::Promoted => 10,
        }
    }

    /// The loop did its job: it decided, and trained when asked to. Too little or broken data
    /// is not a success: seed 000's guard fired silently for months because it looked like one.
    pub fn is_success(self) -> bool {
        matches!(
            self,
            RunOutcome::NothingToDo | RunOutcome::Rejected | RunOutcome::Promoted
        )
    }
}

impl FromStr for RunOutcome {
    type Err = String;

    fn from_str(text: &str) -> Result<RunOutcome, String> {
        RunOutcome::ALL
            .into_iter()
            .find(|o| o.as_str() == text.replace('-', "_"))
            .ok_or_else(|| {
                let names: Vec<&str> = RunOutcome::ALL.iter().map(|o| o.as_str()).collect();
                format!("`{text}`: not an outcome ({})", names.join(", "))
            })
    }
}

/// What one step reported: its exit code and status, and the figures that matter later.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepSummary {
    pub step: String,
    pub status: String,
    pub exit_code: i64,
    /// The step's report, relative to the run folder.
    pub report: String,
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub figures: Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunError {
    pub step: String,
    pub message: String,
}

/// One line of runs.jsonl.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    /// The run folder's name: unique per loop, sortable by time.
    pub run: String,
    pub started_at: String,
    pub finished_at: String,
    pub duration_seconds: f64,
    pub outcome: RunOutcome,
    /// Every trigger that fired, in the loop's order; empty when nothing fired.
    #[serde(default)]
    pub triggers: Vec<String>,
    /// The steps that ran, in the loop's order.
    #[serde(default)]
    pub steps: Vec<StepSummary>,
    /// The version promoted by this run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<u32>,
    /// The challenger's model directory and fingerprint, when one was trained.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub candidate: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<RunError>,
    /// The run folder with every step's report and log.
    pub reports: String,
}

/// The loop's steps in the order it runs them; each leaves `<step>.json` in the run folder.
pub const STEPS: [&str; 8] = [
    "validate",
    "staleness",
    "drift-check",
    "score-proxy",
    "fleet-diff",
    "train-candidate",
    "shadow-test",
    "promote",
];

/// What the loop says about a run it just finished.
pub struct RunFacts {
    pub outcome: RunOutcome,
    pub triggers: Vec<String>,
    /// Default: the earliest step report's start, else `finished_at`.
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: DateTime<Utc>,
    /// The failed step and its message, when the loop knows better than the reports.
    pub error: Option<RunError>,
}

/// Builds the record of the run in `run_dir` from the step reports found there.
pub fn assemble(run_dir: &Path, facts: RunFacts) -> Result<RunRecord> {
    let run = run_dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .with_context(|| format!("{}: not a run folder", run_dir.display()))?;
    let reports = read_step_reports(run_dir)?;
    let steps: Vec<StepSummary> = reports.iter().map(|(s, r)| summarize(s, r)).collect();
    let promote = reports
        .iter()
        .find(|(s, _)| *s == "promote")
        .map(|(_, r)| r);
    let version = promote
        .filter(|_| facts.outcome == RunOutcome::Promoted)
        .and_then(|r| r.pointer("/result/promotion/to")?.as_u64())
        .and_then(|v| u32::try_from(v).ok());
    let training = reports.iter().find(|(s, _)| *s == "train-candidate");
    let candidate = training
        .and_then(|(_, r)| r.pointer("/result/out")?.as_str().map(String::from))
        .filter(|out| Path::new(out).join("model.json").exists() || version.is_some());
    let fingerprint = reports
        .iter()
        .find(|(s, _)| *s == "shadow-test")
        .and_then(|(_, r)| r.pointer("/result/challenger/fingerprint")?.as_str())
        .or_else(|| promote?.pointer("/result/promotion/fingerprint")?.as_str())
        .map(String::from);
    let error = match facts.outcome {
        RunOutcome::Error => facts.error.or_else(|| first_error(&reports)),
        _ => None,
    };
    let started_at = facts
        .started_at
        .or_else(|| earliest_start(&reports))
        .unwrap_or(facts.finished_at);
    let duration = (facts.finished_at - started_at).num_milliseconds().max(0) as f64 / 1000.0;
    Ok(RunRecord {
        run,
        started_at: rfc3339(started_at),
        finished_at: rfc3339(facts.finished_at),
        duration_seconds: duration,
        outcome: facts.outcome,
        triggers: facts.triggers,
        steps,
        version,
        candidate,
        fingerprint,
        error,
        reports: run_dir.display().to_string(),
    })
}

pub fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// `<step>.json` for every loop step present, in the loop's order. A report that does not
/// parse is an error: the ledger must not silently lose what a step said.
fn read_step_reports(run_dir: &Path) -> Result<Vec<(&'static str, Value)>> {
    if !run_dir.is_dir() {
        anyhow::bail!("run folder {}: not a directory", run_dir.display());
    }
    let mut reports = Vec::new();
    for step in STEPS {
        let path = run_dir.join(format!("{step}.json"));
        if !path.exists() {
            continue;
        }
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        let report: Value = serde_json::from_str(&text)
            .with_context(|| format!("{}: not a refit JSON report", path.display()))?;
        reports.push((step, report));
    }
    Ok(reports)
}

fn earliest_start(reports: &[(&'static str, Value)]) -> Option<DateTime<Utc>> {
    reports
        .iter()
        .filter_map(|(_, r)| DateTime::parse_from_rfc3339(r["started_at"].as_str()?).ok())
        .map(|t| t.with_timezone(&Utc))
        .min()
}

fn summarize(step: &str, report: &Value) -> StepSummary {
    StepSummary {
        step: step.to_string(),
        status: report["status"].as_str().unwrap_or("?").to_string(),
        exit_code: report["exit_code"].as_i64().unwrap_or(-1),
        report: format!("{step}.json"),
        figures: figures(step, report),
    }
}

/// The first step whose report says ERROR, with its message.
fn first_error(reports: &[(&'static str, Value)]) -> Option<RunError> {
    let (step, report) = reports.iter().find(|(_, r)| r["status"] == "ERROR")?;
    let message = report["messages"]
        .as_array()
        .map(|m| {
            m.iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join("; ")
        })
        .unwrap_or_default();
    Some(RunError {
        step: step.to_string(),
        message,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn write(dir: &Path, step: &str, report: Value) {
        std::fs::write(dir.join(format!("{step}.json")), report.to_string()).unwrap();
    }

    fn facts(outcome: RunOutcome) -> RunFacts {
        let started_at: DateTime<Utc> = "2026-11-22T03:00:00Z".parse().unwrap();
        RunFacts {
            outcome,
            triggers: vec!["drift-check FAIL".into()],
            started_at: Some(started_at),
            finished_at: started_at + chrono::Duration::milliseconds(61_500),
            error: None,
        }
    }

    #[test]
    fn outcomes_parse_and_map_to_the_loop_exit_codes() {
        let codes: Vec<i32> = RunOutcome::ALL.iter().map(|o| o.exit_code()).collect();
        assert_eq!(codes, vec![0, 4, 5, 2, 10, 1]);
        assert_eq!(
            "insufficient-data".parse(),
            Ok(RunOutcome::InsufficientData)
        );
        assert!("done"
            .parse::<RunOutcome>()
            .unwrap_err()
            .contains("nothing_to_do"));
        assert!(!RunOutcome::InsufficientData.is_success());
    }

    #[test]
    fn a_promoted_run_carries_its_version_steps_and_duration() {
        let dir = tempfile::tempdir().unwrap();
        let run = dir.path().join("20261122T030000Z");
        std::fs::create_dir(&run).unwrap();
        write(
            &run,
            "drift-check",
            json!({"status": "FAIL", "exit_code": 2,
            "result": {"summary": {"features": 5, "fail": 3, "warn": 0}, "features": []}}),
        );
        write(
            &run,
            "promote",
            json!({"status": "OK", "exit_code": 0,
            "result": {"promotion": {"action": "promote", "from": 1, "to": 2, "fingerprint": "ab"}}}),
        );
        let record = assemble(&run, facts(RunOutcome::Promoted)).unwrap();
        assert_eq!(record.run, "20261122T030000Z");
        assert_eq!(record.version, Some(2));
        assert_eq!(record.fingerprint.as_deref(), Some("ab"));
        assert_eq!(record.duration_seconds, 61.5);
        let steps: Vec<&str> = record.steps.iter().map(|s| s.step.as_str()).collect();
        assert_eq!(steps, vec!["drift-check", "promote"]);
        assert_eq!(record.steps[0].exit_code, 2);
    }

    #[test]
    fn an_error_names_the_step_that_failed() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "train-candidate",
            json!({"status": "ERROR", "exit_code": 1,
            "result": null, "messages": ["train.parquet: column `y` not found"]}),
        );
        let record = assemble(dir.path(), facts(RunOutcome::Error)).unwrap();
        let error = record.error.unwrap();
        assert_eq!(error.step, "train-candidate");
        assert!(error.message.contains("column `y`"));
    }

    #[test]
    fn a_report_that_is_not_json_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("promote.json"), "{").unwrap();
        let err = assemble(dir.path(), facts(RunOutcome::Error))
            .err()
            .unwrap();
        assert!(format!("{err:#}").contains("promote.json"));
    }
}
