//! The contract train-candidate writes into the model directory beside profile.json.

use anyhow::Result;
use chrono::{DateTime, SecondsFormat, Utc};

use super::format::{Contract, Span};
use super::infer::{infer, InferSettings};
use super::observe::{observe, select_rows, Frames};
use crate::data::read::LoadedTable;

/// The columns of a training table that play a role in its contract.
#[derive(Debug, Clone, Copy)]
pub struct TrainingColumns<'a> {
    /// Optional in the contract: data to score has no target.
    pub target: &'a str,
    pub time: &'a str,
    pub entity: Option<&'a str>,
    /// The contract's key, when their values are unique in the training rows.
    pub ids: &'a [String],
    /// train-candidate's per-entity minimums (--min-entity-rows, --min-entity-history,
    /// --max-entity-gap), which replace the seed defaults when given: new data is held to
    /// what training demanded.
    pub min_entity_rows: Option<u64>,
    pub min_history_ms: Option<i64>,
    pub max_gap_ms: Option<i64>,
}

/// The contract the training rows keep (`rows`: the rows a window or entity rules selected;
/// `None`: all), inferred with refit's defaults: the time column, the entity column's
/// minimums, the id columns as key only if they are unique.
pub fn for_training(
    data: &LoadedTable,
    rows: Option<&[usize]>,
    columns: TrainingColumns,
    created_at: DateTime<Utc>,
) -> Result<Contract> {
    let names: Vec<String> = data
        .frames
        .first()
        .map(|f| f.get_column_names().iter().map(|n| n.to_string()).collect())
        .unwrap_or_default();
    let mut settings = InferSettings {
        time: Some(columns.time.to_string()),
        entity: columns.entity.map(String::from),
        key: columns.ids.to_vec(),
        optional: vec![columns.target.to_string()],
        ..InferSettings::default()
    };
    if let Some(rows) = columns.min_entity_rows {
        settings.min_entity_rows = Some(rows);
    }
    if let Some(ms) = columns.min_history_ms {
        settings.min_history = Some(Span::from_millis(ms));
    }
    if let Some(ms) = columns.max_gap_ms {
        settings.max_gap = Some(Span::from_millis(ms));
    }
    let roles = settings.roles(&names);
    let observed = match rows {
        Some(rows) => {
            let selected = [select_rows(data, &names, rows)?];
            let frames = Frames {
                source: &data.source,
                frames: &selected,
            };
            observe(frames, names, &roles)?
        }
        None => observe(Frames::of(data), names, &roles)?,
    };
    if observed
        .key
        .as_ref()
        .is_some_and(|k| k.duplicates > 0 || k.nulls > 0)
    {
        settings.key.clear();
    }
    let mut contract = infer(&observed, &settings)?.contract;
    contract.created_at = Some(created_at.to_rfc3339_opts(SecondsFormat::Millis, true));
    Ok(contract)
}
