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
use crate::data::Table;
use crate::fleet::{self, vocabulary, Activity, FleetSettings, PredictionCounts, Windows};
use crate::report::output::{CommandReport, Printer};

pub const EXAMPLES: &str = "\
Examples:
  # servers in today's telemetry vs the vocabulary the live model learnt
  refit fleet-diff --data 'telemetry/*.parquet' --entity server_id --time timestamp \\
      --model models/current --min-coverage 1.0

  # vocabulary from a file, unknown-prediction rate from the predictions log, JSON for a scheduler
  refit fleet-diff --data telemetry.parquet --entity server_id --time ts \\
      --vocabulary known_servers.json --predictions predictions.parquet --format json

Fleet drift = (new + sunset) / vocabulary size, banded OK < 10% <= LOW < 20% <= MEDIUM <= 35% < HIGH.
Sunset entities are in the vocabulary but not seen within --sunset-after (never seen, or last
seen earlier). Coverage = share of active entities that the vocabulary knows.
Verdict: FAIL (exit 2) on HIGH drift, a critical unknown-prediction rate (> 15%) or coverage
below --min-coverage; WARN on LOW/MEDIUM drift or a warning rate (>= 5%).";

#[derive(Debug, Clone, Args, Serialize)]
pub struct FleetDiffArgs {
    /// Current activity data (a file or a quoted glob of shards; repeat for several).
    #[arg(long, required = true, value_name = "PATH")]
    pub data: Vec<String>,
    /// Entity id column (server, device, store, user).
    #[arg(long, value_name = "COL")]
    pub entity: String,
    /// Timestamp column of the activity data.
    #[arg(long, value_name = "COL")]
    pub time: String,
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
    /// Reference time (RFC 3339). Default: the latest timestamp in the data, so reruns agree.
    #[arg(long, value_name = "TIME")]
    pub now: Option<String>,
    /// An entity silent for longer than this is offline.
    #[arg(long, default_value = "24h", value_name = "DURATION", value_parser = duration)]
    pub offline_after: DurationArg,
    /// An entity silent for longer than this is a sunset candidate.
    #[arg(long, default_value = "7d", value_name = "DURATION", value_parser = duration)]
    pub sunset_candidate_after: DurationArg,
    /// An entity silent for longer than this is sunset (confirmed).
    #[arg(long, default_value = "30d", value_name = "DURATION", value_parser = duration)]
    pub sunset_after: DurationArg,
    /// Lower bounds of the LOW, MEDIUM and HIGH fleet-drift bands.
    #[arg(long, value_delimiter = ',', default_values_t = [0.10, 0.20, 0.35], value_name = "L,M,H", value_parser = share)]
    pub drift_bands: Vec<f64>,
    /// Predictions log with the entity column: measures the unknown-prediction rate.
    #[arg(long, value_name = "PATH")]
    pub predictions: Vec<String>,
    /// Entity column in the predictions log (default: --entity).
    #[arg(long, value_name = "COL")]
    pub predictions_entity: Option<String>,
    /// Lower bounds of the warning and critical unknown-prediction bands.
    #[arg(long, value_delimiter = ',', default_values_t = [0.05, 0.15], value_name = "W,C", value_parser = share)]
    pub unknown_bands: Vec<f64>,
    /// FAIL when the share of active entities in the vocabulary is below this (e.g. 1.0).
    #[arg(long, value_name = "SHARE", value_parser = share)]
    pub min_coverage: Option<f64>,
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
    let (data, activity) = read_activity(args, explicit_now)?;
    let predictions = predictions(args, &vocabulary)?;
    let assessment = fleet::assess(&activity, &vocabulary, predictions, &settings);
    let result = serde_json::to_value(fleet::fleet_result(&assessment))?;
    let text = fleet::render_text(&assessment, args.limit);
    let messages = activity
        .issues
        .messages(&args.entity, &args.time, activity.now);
    Ok(
        CommandReport::new("fleet-diff", started_at, assessment.status, result, text)
            .with_inputs(data.inputs()?)
            .with_gauges(fleet::gauges(&assessment))
            .with_messages(messages)
            .resolve("now", format_ms(activity.now))
            .resolve("now_source", activity.now_source)
            .resolve("drift_bands", settings.drift_bands)
            .resolve("unknown_bands", settings.unknown_bands),
    )
}

fn settings(args: &FleetDiffArgs) -> Result<FleetSettings> {
    let windows = Windows::new(
        args.offline_after.millis(),
        args.sunset_candidate_after.millis(),
        args.sunset_after.millis(),
    )?;
    FleetSettings::new(
        windows,
        &args.drift_bands,
        &args.unknown_bands,
        args.min_coverage,
    )
}

/// When each entity was last seen, from the activity data.
fn read_activity(
    args: &FleetDiffArgs,
    explicit_now: Option<i64>,
) -> Result<(LoadedTable, Activity)> {
    let table = Table::open(&args.data)?;
    table.require_column(&args.entity)?;
    table.require_column(&args.time)?;
    let data = table.load(&[args.entity.clone(), args.time.clone()])?;
    let mut ids = KeyInterner::default();
    let entities = data.map_columns(std::slice::from_ref(&args.entity), |p| {
        ids.intern_columns(p)
    })?;
    let times = table_timestamps(&data, &args.time)?;
    let activity =
        Activity::from_rows(&entities, &ids, &times, explicit_now).with_context(|| {
            format!(
                "time column `{}` in {} has no timestamps (all null)",
                args.time, data.source
            )
        })?;
    Ok((data, activity))
}

fn parse_now(t: &str) -> Result<i64> {
    DateTime::parse_from_rfc3339(t)
        .map(|t| t.timestamp_millis())
        .map_err(|e| {
            anyhow::anyhow!("--now `{t}`: {e}; expected RFC 3339, e.g. 2026-11-23T08:00:00Z")
        })
}

/// How many predictions named an entity the vocabulary lacks (with --predictions).
fn predictions(
    args: &FleetDiffArgs,
    vocabulary: &BTreeSet<String>,
) -> Result<Option<PredictionCounts>> {
    if args.predictions.is_empty() {
        return Ok(None);
    }
    let column = args
        .predictions_entity
        .clone()
        .unwrap_or_else(|| args.entity.clone());
    let table = Table::open(&args.predictions)?;
    table.require_column(&column)?;
    let loaded = table.load(std::slice::from_ref(&column))?;
    let mut names = KeyInterner::default();
    let ids = loaded.map_columns(std::slice::from_ref(&column), |p| names.intern_columns(p))?;
    Ok(Some(PredictionCounts::count(&ids, &names, vocabulary)))
}
