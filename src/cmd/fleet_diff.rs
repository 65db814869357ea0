//! `refit fleet-diff`: entities the model does not know, and entities that are gone.

use std::collections::{BTreeSet, HashMap};

use anyhow::{bail, Result};
use chrono::{DateTime, Utc};
use serde_json::json;

use crate::cli::{FleetDiffArgs, GlobalArgs};
use crate::data::keys::KeyInterner;
use crate::data::time::{format_ms, parse_duration, table_timestamps};
use crate::data::Table;
use crate::fleet::vocabulary;
use crate::fleet::{
    classify_entities, drift_band, last_seen_by_entity, unknown_band, DriftBand, UnknownBand,
    Windows,
};
use crate::report::envelope::{Envelope, EnvelopeParts};
use crate::report::output::{emit, CommandOutput};
use crate::report::prometheus::MetricsText;
use crate::report::table::render_table;
use crate::report::{Outcome, Status};

pub fn run(args: &FleetDiffArgs, global: &GlobalArgs) -> Result<Outcome> {
    let started_at = Utc::now();
    let windows = Windows {
        offline_after: parse_duration(&args.offline_after)?,
        sunset_candidate_after: parse_duration(&args.sunset_candidate_after)?,
        sunset_after: parse_duration(&args.sunset_after)?,
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

    let mut metrics = MetricsText::default();
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
    metrics.run_summary("fleet-diff", status);

    let envelope = Envelope::new(EnvelopeParts {
        command: "fleet-diff",
        started_at,
        status,
        fail_on: global.fail_on,
        inputs: data.inputs()?,
        params: json!({
            "data": args.data, "entity": args.entity, "time": args.time, "model": args.model,
            "vocabulary": args.vocabulary, "now": format_ms(now), "now_source": if explicit_now.is_some() { "--now" } else { "latest timestamp in the data" },
            "offline_after": args.offline_after, "sunset_candidate_after": args.sunset_candidate_after,
            "sunset_after": args.sunset_after, "drift_bands": drift_limits, "unknown_bands": unknown_limits,
            "min_coverage": args.min_coverage, "predictions": args.predictions,
        }),
        result: json!({
            "priority": priority, "reasons": reasons, "fleet_drift": counts.fleet_drift, "drift_band": band,
            "counts": counts, "new_entities": sorted_new, "sunset_entities": sorted_sunset,
            "unknown_predictions": unknown, "row_issues": issues, "entities": entity_rows,
        }),
        messages,
    });
    emit(
        &CommandOutput {
            envelope,
            text,
            metrics,
        },
        global,
    )
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
