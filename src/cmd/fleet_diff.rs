//! `refit fleet-diff`: entities the model does not know, and entities that are gone.

use std::collections::BTreeSet;
use std::path::PathBuf;

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use clap::Args;
use serde::Serialize;

use super::args::{duration, share, DurationArg};
use crate::data::keys::KeyInterner;
use crate::data::read::LoadedTable;
use crate::data::time::{format_ms, table_timestamps};
use crate::data::{InputInfo, Table};
use crate::drift::profile::refuse_profiles;
use crate::fleet::{
    self, vocabulary, Activity, FleetSettings, PredictionLog, PredictionWindow, Windows,
};
use crate::report::output::{CommandReport, Printer};

pub const EXAMPLES: &str = "\
Examples:
  # servers in today's telemetry vs the vocabulary the live model learnt
  refit fleet-diff --data 'telemetry/*.parquet' --entity server_id --time timestamp \\
      --model models/current --min-coverage 1.0

  # every active server must have been predicted in the last 24h (seed 001's dashboard)
  refit fleet-diff --data telemetry.parquet --entity server_id --time ts --model models/current \\
      --predictions predictions.parquet --min-prediction-coverage 1.0 --format json

  # the servers the business runs, no telemetry: known to the model, and predicted
  refit fleet-diff --expected servers.txt --entity server_id --model models/current \\
      --predictions predictions.parquet --min-coverage 1.0 --min-prediction-coverage 1.0

Fleet drift = (new + sunset) / vocabulary size, banded OK < 10% <= LOW < 20% <= MEDIUM <= 35% < HIGH.
Sunset entities are in the vocabulary but not seen within --sunset-after (never seen, or last
seen earlier). An entity is offline when silent for more than --offline-after, a sunset candidate
from --sunset-candidate-after and sunset from --sunset-after: both sunset bounds are inclusive
(seed 001: days_offline >= 7, >= 30). Vocabulary coverage = share of active entities that the
model's vocabulary knows. Prediction coverage = share of active entities with at least one
prediction in --predictions within --prediction-window up to now.
Verdict: FAIL (exit 2) on HIGH drift, a critical unknown-prediction rate (> 15%), vocabulary
coverage below --min-coverage or prediction coverage below --min-prediction-coverage (of the
active entities and of --expected); WARN on LOW/MEDIUM drift or a warning rate (>= 5%).";

#[derive(Debug, Clone, Args, Serialize)]
pub struct FleetDiffArgs {
    /// Current activity data (a file or a quoted glob of shards; repeat for several). Needed
    /// unless --expected is given; needs --time.
    #[arg(
        long,
        value_name = "PATH",
        required_unless_present = "expected",
        requires = "time"
    )]
    pub data: Vec<String>,
    /// Entity id column (server, device, store, user).
    #[arg(long, value_name = "COL")]
    pub entity: String,
    /// Timestamp column of the activity data (--data).
    #[arg(long, value_name = "COL", requires = "data")]
    pub time: Option<String>,
    /// Model directory whose metadata.json holds `vocabularies.<entity>`.
    #[arg(
        long,
        value_name = "DIR",
        required_unless_present = "vocabulary",
        conflicts_with = "vocabulary"
    )]
    pub model: Option<PathBuf>,
    /// Vocabulary file: a JSON list, or a CSV/Parquet with the entity column (or one column).
    #[arg(long, value_name = "PATH")]
    pub vocabulary: Option<String>,
    /// Entities the business runs: a .txt file with one per line, or a file as --vocabulary
    /// takes. Each must be in the vocabulary (and predicted). Without --data, it is the fleet.
    #[arg(long, value_name = "PATH")]
    pub expected: Option<String>,
    /// Reference time (RFC 3339). Default: the latest timestamp in the data (without --data, in
    /// the predictions log), so reruns agree.
    #[arg(long, value_name = "TIME")]
    pub now: Option<String>,
    /// An entity silent for longer than this is offline (no longer active).
    #[arg(long, default_value = "24h", value_name = "DURATION", value_parser = duration)]
    pub offline_after: DurationArg,
    /// An entity silent for this long or longer is a sunset candidate.
    #[arg(long, default_value = "7d", value_name = "DURATION", value_parser = duration)]
    pub sunset_candidate_after: DurationArg,
    /// An entity silent for this long or longer is sunset (confirmed).
    #[arg(long, default_value = "30d", value_name = "DURATION", value_parser = duration)]
    pub sunset_after: DurationArg,
    /// Lower bounds of the LOW, MEDIUM and HIGH fleet-drift bands.
    #[arg(long, value_delimiter = ',', default_values_t = [0.10, 0.20, 0.35], value_name = "L,M,H", value_parser = share)]
    pub drift_bands: Vec<f64>,
    /// Predictions log with the entity column: the unknown-prediction rate and prediction
    /// coverage.
    #[arg(long, value_name = "PATH")]
    pub predictions: Vec<String>,
    /// Entity column in the predictions log (default: --entity).
    #[arg(long, value_name = "COL")]
    pub predictions_entity: Option<String>,
    /// Time column in the predictions log (default: --time, when the log has it; without one,
    /// every row counts for prediction coverage).
    #[arg(long, value_name = "COL")]
    pub predictions_time: Option<String>,
    /// A prediction counts for prediction coverage when stamped this long before now, or less
    /// (default: --offline-after, the window that makes an entity active).
    #[arg(long, value_name = "DURATION", value_parser = duration)]
    pub prediction_window: Option<DurationArg>,
    /// Lower bounds of the warning and critical unknown-prediction bands.
    #[arg(long, value_delimiter = ',', default_values_t = [0.05, 0.15], value_name = "W,C", value_parser = share)]
    pub unknown_bands: Vec<f64>,
    /// FAIL when vocabulary coverage (active, or --expected, entities the model knows) is
    /// below this (e.g. 1.0).
    #[arg(long, value_name = "SHARE", value_parser = share)]
    pub min_coverage: Option<f64>,
    /// FAIL when prediction coverage (active, or --expected, entities with a prediction in the
    /// window) is below this (e.g. 1.0). Needs --predictions.
    #[arg(long, value_name = "SHARE", value_parser = share, requires = "predictions")]
    pub min_prediction_coverage: Option<f64>,
    /// How many entities the text table lists (the JSON report lists all).
    #[arg(long, default_value_t = 50, value_name = "N")]
    pub limit: usize,
}

pub fn run(args: &FleetDiffArgs, _printer: &Printer) -> Result<CommandReport> {
    let started_at = Utc::now();
    let settings = settings(args)?;
    let explicit_now = args.now.as_deref().map(parse_now).transpose()?;
    let vocabulary = vocabulary::load(
        args.model.as_deref(),
        args.vocabulary.as_deref(),
        &args.entity,
    )?;
    let expected = args
        .expected
        .as_deref()
        .map(|path| vocabulary::expected_from_file(path, &args.entity))
        .transpose()?;
    let log = read_predictions(args)?;
    let (inputs, activity) = fleet_activity(args, explicit_now, expected.as_ref(), log.as_ref())?;
    let window = activity
        .now
        .map(|now| PredictionWindow::ending_at(now, settings.prediction_window));
    let predictions = log.as_ref().map(|l| l.against(&vocabulary, window));
    let assessment = fleet::assess(
        &activity,
        &vocabulary,
        predictions.as_ref(),
        expected.as_ref(),
        &settings,
    );
    let result = serde_json::to_value(fleet::fleet_result(&assessment))?;
    let text = fleet::render_text(&assessment, args.limit);
    Ok(
        CommandReport::new("fleet-diff", started_at, assessment.status, result, text)
            .with_inputs(inputs)
            .with_gauges(fleet::gauges(&assessment))
            .with_messages(messages(
                args,
                &activity,
                log.as_ref(),
                predictions.as_ref(),
            ))
            .resolve("now", activity.now.map(format_ms))
            .resolve("now_source", activity.now_source)
            .resolve("drift_bands", settings.drift_bands)
            .resolve("unknown_bands", settings.unknown_bands)
            .resolve("prediction_window", prediction_window(args).text())
            .resolve("predictions_time", log.and_then(|l| l.time_column)),
    )
}

fn prediction_window(args: &FleetDiffArgs) -> &DurationArg {
    args.prediction_window
        .as_ref()
        .unwrap_or(&args.offline_after)
}

fn settings(args: &FleetDiffArgs) -> Result<FleetSettings> {
    let windows = Windows::new(
        args.offline_after.millis(),
        args.sunset_candidate_after.millis(),
        args.sunset_after.millis(),
    )?;
    Ok(FleetSettings {
        prediction_window: prediction_window(args).millis(),
        min_coverage: args.min_coverage,
        min_prediction_coverage: args.min_prediction_coverage,
        ..FleetSettings::new(windows, &args.drift_bands, &args.unknown_bands)?
    })
}

/// The fleet and the inputs it was read from: the activity data, or without --data the
/// --expected list.
fn fleet_activity(
    args: &FleetDiffArgs,
    explicit_now: Option<i64>,
    expected: Option<&BTreeSet<String>>,
    log: Option<&RawLog>,
) -> Result<(Vec<InputInfo>, Activity)> {
    if let Some((table, activity)) = read_activity(args, explicit_now)? {
        return Ok((table.inputs()?, activity));
    }
    let expected = expected.context("pass --data or --expected")?;
    let latest_prediction = log.and_then(RawLog::latest);
    Ok((
        Vec::new(),
        Activity::listed(expected, explicit_now, latest_prediction),
    ))
}

/// When each entity was last seen, from the activity data (none without --data).
fn read_activity(
    args: &FleetDiffArgs,
    explicit_now: Option<i64>,
) -> Result<Option<(LoadedTable, Activity)>> {
    refuse_profiles(
        "--data",
        &args.data,
        "fleet-diff needs each entity's last activity time, which a profile does not keep; \
         pass the activity data",
    )?;
    let Some(time) = args.time.as_deref().filter(|_| !args.data.is_empty()) else {
        return Ok(None);
    };
    let table = Table::open(&args.data)?;
    table.require_column(&args.entity)?;
    table.require_column(time)?;
    let data = table.load(&[args.entity.clone(), time.to_string()])?;
    let mut ids = KeyInterner::default();
    let entities = data.map_columns(std::slice::from_ref(&args.entity), |p| {
        ids.intern_columns(p)
    })?;
    let times = table_timestamps(&data, time)?;
    let activity =
        Activity::from_rows(&entities, &ids, &times, explicit_now).with_context(|| {
            format!(
                "time column `{time}` in {} has no timestamps (all null)",
                data.source
            )
        })?;
    Ok(Some((data, activity)))
}

fn parse_now(t: &str) -> Result<i64> {
    DateTime::parse_from_rfc3339(t)
        .map(|t| t.timestamp_millis())
        .map_err(|e| {
            anyhow::anyhow!("--now `{t}`: {e}; expected RFC 3339, e.g. 2026-11-23T08:00:00Z")
        })
}

/// The predictions log's entity column, interned, and its time column when it has one.
struct RawLog {
    ids: Vec<Option<u32>>,
    names: KeyInterner,
    time_column: Option<String>,
    times: Option<Vec<Option<i64>>>,
}

impl RawLog {
    fn latest(&self) -> Option<i64> {
        self.times.as_ref()?.iter().flatten().max().copied()
    }

    fn against(
        &self,
        vocabulary: &BTreeSet<String>,
        window: Option<PredictionWindow>,
    ) -> PredictionLog {
        PredictionLog::from_rows(
            &self.ids,
            &self.names,
            self.times.as_deref(),
            vocabulary,
            window,
        )
    }
}

/// The predictions log (with --predictions): its time column is --predictions-time, else
/// --time when the log has that column, else none.
fn read_predictions(args: &FleetDiffArgs) -> Result<Option<RawLog>> {
    if args.predictions.is_empty() {
        return Ok(None);
    }
    let column = args
        .predictions_entity
        .clone()
        .unwrap_or_else(|| args.entity.clone());
    let table = Table::open(&args.predictions)?;
    table.require_column(&column)?;
    let time_column = match (&args.predictions_time, &args.time) {
        (Some(time), _) => Some(time.clone()),
        (None, Some(time)) if table.column_names().contains(time) => Some(time.clone()),
        _ => None,
    };
    let mut columns = vec![column.clone()];
    if let Some(time) = &time_column {
        table.require_column(time)?;
        columns.push(time.clone());
    }
    let loaded = table.load(&columns)?;
    let mut names = KeyInterner::default();
    let ids = loaded.map_columns(std::slice::from_ref(&column), |p| names.intern_columns(p))?;
    let times = time_column
        .as_deref()
        .map(|time| table_timestamps(&loaded, time))
        .transpose()?;
    Ok(Some(RawLog {
        ids,
        names,
        time_column,
        times,
    }))
}

/// Rows left out of the data and of the prediction window, and an untimed log said as such.
fn messages(
    args: &FleetDiffArgs,
    activity: &Activity,
    log: Option<&RawLog>,
    predictions: Option<&PredictionLog>,
) -> Vec<String> {
    let mut messages = match (&args.time, activity.now) {
        (Some(time), Some(now)) => activity.issues.messages(&args.entity, time, now),
        _ => Vec::new(),
    };
    let (Some(log), Some(predictions)) = (log, predictions) else {
        return messages;
    };
    match (&log.time_column, predictions.predicted.window) {
        (Some(time), Some(window)) => {
            messages.extend(predictions.predicted.rows.messages(time, window.end))
        }
        (Some(time), None) => messages.push(format!(
            "`{time}` in the predictions log has no timestamps: every prediction counts for \
             prediction coverage"
        )),
        (None, _) => messages.push(
            "the predictions log has no time column: every prediction counts for prediction \
             coverage (pass --predictions-time COL to read only the window)"
                .to_string(),
        ),
    }
    messages
}
