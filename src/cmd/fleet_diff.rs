//! `refit fleet-diff`: entities the model does not know, and entities that are gone.

use std::collections::{BTreeSet, HashMap};

use anyhow::{bail, Result};
use chrono::{DateTime, Utc};
use serde_json::json;

use super::args::{duration, DurationArg};
use crate::data::keys::KeyInterner;
use crate::data::time::{format_ms, table_timestamps};
use crate::data::Table;
use crate::fleet::vocabulary;
use crate::fleet::{
    classify_entities, drift_band, last_seen_by_entity, unknown_band, DriftBand, UnknownBand,
    Windows,
};
use crate::report::output::{CommandReport, Printer};
use crate::report::prometheus::Gauges;
use crate::report::table::render_table;
use crate::report::Status;
use clap::Args;
use serde::Serialize;
use std::path::PathBuf;

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
    #[arg(long, value_delimiter = ',', default_values_t = [0.10, 0.20, 0.35], value_name = "L,M,H")]
    pub drift_bands: Vec<f64>,
    /// Predictions log with the entity column: measures the unknown-prediction rate.
    #[arg(long, value_name = "PATH")]
    pub predictions: Vec<String>,
    /// Entity column in the predictions log (default: --entity).
    #[arg(long, value_name = "COL")]
    pub predictions_entity: Option<String>,
    /// Lower bounds of the warning and critical unknown-prediction bands.
    #[arg(long, value_delimiter = ',', default_values_t = [0.05, 0.15], value_name = "W,C")]
    pub unknown_bands: Vec<f64>,
    /// FAIL when the share of active entities in the vocabulary is below this (e.g. 1.0).
    #[arg(long, value_name = "SHARE")]
    pub min_coverage: Option<f64>,
    /// How many entities the text table lists (the JSON report lists all).
    #[arg(long, default_value_t = 50, value_name = "N")]
    pub limit: usize,
}

pub fn run(args: &FleetDiffArgs, _printer: &Printer) -> Result<CommandReport> {
    let started_at = Utc::now();
    let windows = Windows {
        offline_after: args.offline_after.millis(),
        sunset_candidate_after: args.sunset_candidate_after.millis(),
        sunset_after: args.sunset_after.millis(),
    };
    if !(windows.offline_after <= windows.sunset_candidate_after
        && windows.sunset_candidate_after <= windows.sunset_after)
    {
        bail!("expected --offline-after <= --sunset-candidate-after <= --sunset-after");
    }
    let drift_limits: [f64; 3] = bands_arg(&args.drift_bands, "--drift-bands")?;
    let unknown_limits: [f64; 2] = bands_arg(&args.unknown_bands, "--unknown-bands")?;
    let explicit_now = args
        .now
        .as_deref()
        .map(|t| {
            DateTime::parse_from_rfc3339(t)
                .map(|t| t.timestamp_millis())
                .map_err(|e| {
                    anyhow::anyhow!(
                        "--now `{t}`: {e}; expected RFC 3339, e.g. 2026-11-23T08:00:00Z"
                    )
                })
        })
        .transpose()?;

    let vocabulary: BTreeSet<String> = match (&args.model, &args.vocabulary) {
        (Some(dir), _) => vocabulary::from_model_dir(dir, &args.entity)?,
        (None, Some(path)) => vocabulary::from_file(path, &args.entity)?,
        (None, None) => bail!("pass --model DIR or --vocabulary PATH"),
    };
    if vocabulary.is_empty() {
        bail!(
            "the vocabulary of `{}` is empty: fleet drift is relative to it and undefined",
            args.entity
        );
    }

    let table = Table::open(&args.data)?;
    table.require_column(&args.entity)?;
    table.require_column(&args.time)?;
    let data = table.load(&[args.entity.clone(), args.time.clone()])?;
    let mut ids = KeyInterner::default();
    let entities = data.map_columns(std::slice::from_ref(&args.entity), |parts| {
        ids.intern_columns(parts)
    })?;
    let times = table_timestamps(&data, &args.time)?;
    let now = match explicit_now.or_else(|| times.iter().flatten().max().copied()) {
        Some(now) => now,
        None => bail!(
            "time column `{}` in {} has no timestamps (all null)",
            args.time,
            data.label
        ),
    };
    let (last_seen_by_id, issues) = last_seen_by_entity(&entities, &times, ids.len(), Some(now));
    let last_seen: HashMap<String, i64> = last_seen_by_id
        .iter()
        .enumerate()
        .filter_map(|(id, seen)| Some((ids.name(id as u32).to_string(), (*seen)?)))
        .collect();
    let (rows, counts) = classify_entities(&vocabulary, &last_seen, now, windows);

    let mut messages = Vec::new();
    if issues.null_entity > 0 {
        messages.push(format!(
            "{} rows have a null `{}` and were left out",
            issues.null_entity, args.entity
        ));
    }
    if issues.null_time > 0 {
        messages.push(format!(
            "{} rows have a null `{}` and were left out",
            issues.null_time, args.time
        ));
    }
    if issues.future > 0 {
        messages.push(format!(
            "{} rows are stamped after --now {} and were left out",
            issues.future,
            format_ms(now)
        ));
    }

    let unknown = match args.predictions.is_empty() {
        true => None,
        false => {
            let column = args
                .predictions_entity
                .clone()
                .unwrap_or_else(|| args.entity.clone());
            let table = Table::open(&args.predictions)?;
            table.require_column(&column)?;
            let loaded = table.load(std::slice::from_ref(&column))?;
            let mut logged = KeyInterner::default();
            let ids = loaded.map_columns(std::slice::from_ref(&column), |parts| {
                logged.intern_columns(parts)
            })?;
            let known: Vec<bool> = (0..logged.len())
                .map(|id| vocabulary.contains(logged.name(id as u32)))
                .collect();
            let total = ids.iter().flatten().count();
            let unknown_rows = ids
                .iter()
                .flatten()
                .filter(|id| !known[**id as usize])
                .count();
            let rate = if total == 0 {
                0.0
            } else {
                unknown_rows as f64 / total as f64
            };
            Some(json!({
                "predictions": total, "unknown": unknown_rows, "rate": rate,
                "band": unknown_band(rate, unknown_limits), "null_entity": ids.len() - total,
            }))
        }
    };

    let band = drift_band(counts.fleet_drift, drift_limits);
    let unknown_band_value = unknown
        .as_ref()
        .map(|u| unknown_band(u["rate"].as_f64().unwrap_or(0.0), unknown_limits));
    let coverage_short = args.min_coverage.is_some_and(|m| counts.coverage < m);
    let mut reasons = vec![format!(
        "fleet drift {:.2}% ({})",
        counts.fleet_drift * 100.0,
        label(band)
    )];
    let mut status = match band {
        DriftBand::High => Status::Fail,
        DriftBand::Medium | DriftBand::Low => Status::Warn,
        DriftBand::Ok => Status::Ok,
    };
    if let Some(u) = unknown_band_value {
        reasons.push(format!(
            "unknown-prediction rate {:.2}% ({})",
            unknown
                .as_ref()
                .and_then(|x| x["rate"].as_f64())
                .unwrap_or(0.0)
                * 100.0,
            label(u)
        ));
        status = status.max(match u {
            UnknownBand::Critical => Status::Fail,
            UnknownBand::Warning => Status::Warn,
            UnknownBand::Acceptable => Status::Ok,
        });
    }
    if let Some(min) = args.min_coverage {
        let verdict = if coverage_short { "below" } else { "meets" };
        reasons.push(format!(
            "coverage {:.2}% {verdict} --min-coverage {:.2}%",
            counts.coverage * 100.0,
            min * 100.0
        ));
        if coverage_short {
            status = Status::Fail;
        }
    }
    let priority = match (status, band) {
        (Status::Fail, _) => "HIGH",
        (_, DriftBand::Medium) => "MEDIUM",
        (Status::Warn, _) => {
            if unknown_band_value == Some(UnknownBand::Warning) {
                "MEDIUM"
            } else {
                "LOW"
            }
        }
        _ => "NONE",
    };

    let entity_rows: Vec<serde_json::Value> = rows
        .iter()
        .map(|r| {
            json!({
                "entity": r.entity, "in_vocabulary": r.in_vocabulary, "status": r.status,
                "last_seen": r.last_seen_ms.map(format_ms),
            })
        })
        .collect();
    let new: Vec<&str> = rows
        .iter()
        .filter(|r| !r.in_vocabulary)
        .map(|r| r.entity.as_str())
        .collect();
    let sunset: Vec<&str> = rows
        .iter()
        .filter(|r| {
            r.in_vocabulary
                && matches!(
                    r.status,
                    crate::fleet::EntityStatus::NotSeen
                        | crate::fleet::EntityStatus::SunsetConfirmed
                )
        })
        .map(|r| r.entity.as_str())
        .collect();
    let mut sorted_new = new.clone();
    sorted_new.sort_unstable();
    let mut sorted_sunset = sunset.clone();
    sorted_sunset.sort_unstable();

    let text = {
        let mut out = format!(
            "fleet-diff {} (priority {priority}): {}\nnow {}: {} known, {} seen, {} new, {} sunset, {} active, {} offline, {} sunset candidates; coverage {:.2}%\n\n",
            status.as_str(),
            reasons.join("; "),
            format_ms(now),
            counts.vocabulary,
            counts.seen,
            counts.new,
            counts.sunset,
            counts.active,
            counts.offline,
            counts.sunset_candidate,
            counts.coverage * 100.0,
        );
        let table_rows: Vec<Vec<String>> = rows
            .iter()
            .filter(|r| !(r.in_vocabulary && r.status == crate::fleet::EntityStatus::Active))
            .take(args.limit)
            .map(|r| {
                vec![
                    r.entity.clone(),
                    if r.in_vocabulary {
                        "known".into()
                    } else {
                        "NEW".into()
                    },
                    label(r.status),
                    r.last_seen_ms.map_or("never".into(), format_ms),
                ]
            })
            .collect();
        if table_rows.is_empty() {
            out.push_str("every known entity is active and no new ones appeared\n");
        } else {
            out.push_str(&render_table(
                &["ENTITY", "VOCABULARY", "STATUS", "LAST_SEEN"],
                &table_rows,
            ));
        }
        out
    };

    let mut metrics = Gauges::default();
    metrics.gauge(
        "refit_fleet_drift_ratio",
        "(new + sunset) / vocabulary size.",
        &[],
        counts.fleet_drift,
    );
    metrics.gauge(
        "refit_fleet_coverage_ratio",
        "Share of active entities in the vocabulary.",
        &[],
        counts.coverage,
    );
    for (status_name, n) in [
        ("new", counts.new),
        ("sunset", counts.sunset),
        ("active", counts.active),
        ("offline", counts.offline),
        ("sunset_candidate", counts.sunset_candidate),
    ] {
        metrics.gauge(
            "refit_fleet_entities",
            "Entities by status.",
            &[("status", status_name)],
            n as f64,
        );
    }
    if let Some(u) = &unknown {
        metrics.gauge(
            "refit_fleet_unknown_prediction_ratio",
            "Share of predictions for entities outside the vocabulary.",
            &[],
            u["rate"].as_f64().unwrap_or(0.0),
        );
    }

    let report = CommandReport::new("fleet-diff", started_at, status, json!({
            "priority": priority, "reasons": reasons, "fleet_drift": counts.fleet_drift, "drift_band": band,
            "counts": counts, "new_entities": sorted_new, "sunset_entities": sorted_sunset,
            "unknown_predictions": unknown, "row_issues": issues, "entities": entity_rows,
        }), text)
        .with_inputs(data.inputs()?)
        .with_gauges(metrics)
        .with_messages(messages);
    let report = report
        .resolve("now", format_ms(now))
        .resolve(
            "now_source",
            if explicit_now.is_some() {
                "--now"
            } else {
                "latest timestamp in the data"
            },
        )
        .resolve("drift_bands", drift_limits)
        .resolve("unknown_bands", unknown_limits);
    Ok(report)
}

fn bands_arg<const N: usize>(values: &[f64], flag: &str) -> Result<[f64; N]> {
    let bands: [f64; N] = values.try_into().map_err(|_| {
        anyhow::anyhow!(
            "{flag} takes {N} comma-separated numbers, got {}",
            values.len()
        )
    })?;
    if bands.windows(2).any(|w| w[0] > w[1]) || bands.iter().any(|b| !(0.0..=1.0).contains(b)) {
        bail!("{flag} must be increasing shares between 0 and 1");
    }
    Ok(bands)
}

/// A value's name as it appears in the JSON report.
fn label<T: serde::Serialize>(value: T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(String::from))
        .unwrap_or_default()
}
