//! `refit staleness`: is the live model due for retraining by age or by new labelled data?

use anyhow::Result;
use chrono::{DateTime, Utc};
use clap::Args;
use serde::Serialize;
use serde_json::json;

use super::args::{positive_duration, DurationArg, RegistryLocation};
use super::runs::timestamp;
use crate::registry::store::Registry;
use crate::report::output::{CommandReport, Printer};
use crate::report::prometheus::Gauges;
use crate::report::Status;
use crate::runs::staleness::{check_rule, count_new_rows, judge, live_model, StalenessRule};

pub const EXAMPLES: &str = "\
Examples:
  refit staleness --registry /srv/models --max-age 30d
  refit staleness --registry /srv/models --min-new-rows 5000 --data 'landing/*.parquet'
  refit staleness --registry /srv/models --max-age 30d --min-new-rows 5000 --data new.parquet \\
      --time event_time --label churned

Exit 2 (FAIL) when the model is due: older than --max-age (since it was trained), at least
--min-new-rows labelled rows newer than its training data, or no live model at all. New rows
are rows whose time is after the live model's holdout ended and whose label is not null.";

#[derive(Debug, Clone, Args, Serialize)]
pub struct StalenessArgs {
    #[command(flatten)]
    #[serde(flatten)]
    pub location: RegistryLocation,
    /// Due when the live model was trained longer ago than this (30d, 12h).
    #[arg(long, value_name = "DURATION", value_parser = positive_duration)]
    pub max_age: Option<DurationArg>,
    /// Due when at least N labelled rows arrived after the live model's data (needs --data).
    #[arg(long, value_name = "N")]
    pub min_new_rows: Option<u64>,
    /// Data to count new rows in: a file, a quoted glob of shards or an object URL; repeat for several.
    #[arg(long, value_name = "PATH")]
    pub data: Vec<String>,
    /// Time column of --data (default: the live model's).
    #[arg(long, value_name = "COLUMN")]
    pub time: Option<String>,
    /// Label column of --data: rows without one are not counted (default: the model's target).
    #[arg(long, value_name = "COLUMN")]
    pub label: Option<String>,
    /// The time the model's age is measured at (RFC 3339). For replays and tests.
    #[arg(long, env = "REFIT_NOW", value_name = "TIME", value_parser = timestamp)]
    pub now: Option<DateTime<Utc>>,
}

pub fn run(args: &StalenessArgs, _printer: &Printer) -> Result<CommandReport> {
    let started_at = Utc::now();
    let rule = StalenessRule {
        max_age_ms: args.max_age.as_ref().map(DurationArg::millis),
        min_new_rows: args.min_new_rows,
    };
    check_rule(&rule, &args.data)?;
    let live = live_model(&Registry::open(&args.location.registry, false)?)?;
    let new_rows = match (&live, rule.min_new_rows) {
        (Some(live), Some(_)) => Some(count_new_rows(
            &args.data,
            args.time.as_deref().unwrap_or(&live.time_column),
            args.label.as_deref().unwrap_or(&live.target),
            live.data_until_ms(),
        )?),
        _ => None,
    };
    let now = args.now.unwrap_or(started_at);
    let staleness = judge(&rule, live, now.timestamp_millis(), new_rows);
    let status = if staleness.due.is_empty() {
        Status::Ok
    } else {
        Status::Fail
    };
    let text = match staleness.due.as_slice() {
        [] => format!(
            "staleness OK: not due{}\n",
            age_note(staleness.model_age_seconds)
        ),
        due => format!("staleness FAIL: due: {}\n", due.join("; ")),
    };
    let mut gauges = Gauges::default();
    gauges.gauge(
        "refit_staleness_due",
        "1 when the live model is due for retraining by age or new data.",
        &[],
        f64::from(u8::from(!staleness.due.is_empty())),
    );
    if let Some(rows) = staleness.new_rows {
        gauges.gauge(
            "refit_staleness_new_rows",
            "Labelled rows newer than the live model's training data.",
            &[],
            rows as f64,
        );
    }
    let result = json!(staleness);
    Ok(CommandReport::new("staleness", started_at, status, result, text).with_gauges(gauges))
}

fn age_note(age_seconds: Option<f64>) -> String {
    age_seconds.map_or(String::new(), |s| {
        format!(" (model age {:.1} days)", s / 86_400.0)
    })
}
