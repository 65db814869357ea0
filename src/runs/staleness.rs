//! Is the live model due for retraining whatever the data says? Seed 001 retrains on model age;
//! seed 004 once enough new data has accumulated. Both are rules over the live model's
//! metadata.json and, for new rows, the data that arrived after its training window.

use anyhow::{bail, Context, Result};
use serde::Serialize;

use crate::data::read::Table;
use crate::data::time::{parse_timestamp, table_timestamps};
use crate::model::metadata::ModelMetadata;
use crate::registry::files::read_regular_text;
use crate::registry::store::Registry;

/// What makes a model due; each limit is optional.
#[derive(Debug, Clone, Default)]
pub struct StalenessRule {
    pub max_age_ms: Option<i64>,
    pub min_new_rows: Option<u64>,
}

/// The live model as staleness sees it.
#[derive(Debug, Clone, Serialize)]
pub struct LiveModel {
    pub version: u32,
    pub trained_at: String,
    /// The latest time the model's data reached (its holdout's end): rows after it are new.
    pub data_until: String,
    pub target: String,
    pub time_column: String,
    #[serde(skip)]
    trained_at_ms: i64,
    #[serde(skip)]
    data_until_ms: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Staleness {
    pub live: Option<LiveModel>,
    pub model_age_seconds: Option<f64>,
    pub new_rows: Option<u64>,
    /// Every reason the model is due; empty when it is not.
    pub due: Vec<String>,
}

/// Reads the current version's metadata.json; None when nothing is live yet.
pub fn live_model(registry: &Registry) -> Result<Option<LiveModel>> {
    let Some(pointer) = registry.pointer(None)? else {
        return Ok(None);
    };
    let path = registry.version_dir(pointer.version).join("metadata.json");
    let text = read_regular_text(&path)?
        .with_context(|| format!("version {}: {} is missing", pointer.version, path.display()))?;
    let metadata: ModelMetadata = serde_json::from_str(&text)
        .with_context(|| format!("{}: not a model's metadata.json", path.display()))?;
    let time = |what: &str, text: &str| {
        parse_timestamp(text)
            .with_context(|| format!("{}: {what} `{text}` is not a timestamp", path.display()))
    };
    Ok(Some(LiveModel {
        version: pointer.version,
        trained_at_ms: time("trained_at", &metadata.trained_at)?,
        data_until_ms: time(
            "training_window.holdout_end",
            &metadata.training_window.holdout_end,
        )?,
        trained_at: metadata.trained_at,
        data_until: metadata.training_window.holdout_end,
        target: metadata.target,
        time_column: metadata.time_column,
    }))
}

/// Rows of `data` after the model's data ended whose `label` is known.
pub fn count_new_rows(data: &[String], time: &str, label: &str, since_ms: i64) -> Result<u64> {
    let table = Table::open(data)?;
    for column in [time, label] {
        table.require_column(column)?;
    }
    let loaded = table.load(&[time.to_string(), label.to_string()])?;
    let times = table_timestamps(&loaded, time)?;
    let labelled = loaded.map_column(label, |c| {
        Ok((0..c.len())
            .map(|i| !c.get(i).is_ok_and(|v| v.is_null()))
            .collect())
    })?;
    Ok(times
        .iter()
        .zip(labelled)
        .filter(|(t, known)| *known && t.is_some_and(|t| t > since_ms))
        .count() as u64)
}

/// Judges `live` at `now_ms`; `new_rows` is the count of labelled rows after its data.
pub fn judge(
    rule: &StalenessRule,
    live: Option<LiveModel>,
    now_ms: i64,
    new_rows: Option<u64>,
) -> Staleness {
    let Some(live) = live else {
        return Staleness {
            live: None,
            model_age_seconds: None,
            new_rows,
            due: vec!["the registry has no live model".into()],
        };
    };
    let age_ms = now_ms - live.trained_at_ms;
    let mut due = Vec::new();
    if let Some(max) = rule.max_age_ms.filter(|max| age_ms > *max) {
        due.push(format!(
            "model age {} > {} (version {} trained {})",
            human(age_ms),
            human(max),
            live.version,
            live.trained_at
        ));
    }
    if let (Some(min), Some(rows)) = (rule.min_new_rows, new_rows) {
        if rows >= min {
            due.push(format!(
                "{rows} new labelled rows since {} >= {min}",
                live.data_until
            ));
        }
    }
    Staleness {
        model_age_seconds: Some(age_ms as f64 / 1000.0),
        live: Some(live),
        new_rows,
        due,
    }
}

impl LiveModel {
    pub fn data_until_ms(&self) -> i64 {
        self.data_until_ms
    }
}

/// `40d 3h` style: days and hours for ages, which are long.
fn human(ms: i64) -> String {
    let hours = ms / 3_600_000;
    match (hours / 24, hours % 24) {
        (0, h) => format!("{h}h"),
        (d, 0) => format!("{d}d"),
        (d, h) => format!("{d}d {h}h"),
    }
}

/// The new-row count needs data; a rule without it is refused before anything is read.
pub fn check_rule(rule: &StalenessRule, data: &[String]) -> Result<()> {
    if rule.max_age_ms.is_none() && rule.min_new_rows.is_none() {
        bail!("nothing to check: give --max-age, --min-new-rows, or both");
    }
    if rule.min_new_rows.is_some() && data.is_empty() {
        bail!("--min-new-rows needs --data: the labelled rows to count");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400_000;

    fn live() -> LiveModel {
        LiveModel {
            version: 3,
            trained_at: "2026-11-01T03:00:00Z".into(),
            data_until: "2026-10-31T00:00:00Z".into(),
            target: "y".into(),
            time_column: "t".into(),
            trained_at_ms: 100 * DAY,
            data_until_ms: 99 * DAY,
        }
    }

    #[test]
    fn age_over_the_limit_is_due_and_says_by_how_much() {
        let rule = StalenessRule {
            max_age_ms: Some(30 * DAY),
            min_new_rows: None,
        };
        let s = judge(&rule, Some(live()), 131 * DAY + 3_600_000, None);
        assert_eq!(
            s.due,
            vec!["model age 31d 1h > 30d (version 3 trained 2026-11-01T03:00:00Z)"]
        );
        assert_eq!(s.model_age_seconds, Some(31.0 * 86_400.0 + 3_600.0));
        assert!(judge(&rule, Some(live()), 130 * DAY, None).due.is_empty());
    }

    #[test]
    fn enough_new_rows_is_due_and_fewer_is_not() {
        let rule = StalenessRule {
            max_age_ms: None,
            min_new_rows: Some(1000),
        };
        assert_eq!(
            judge(&rule, Some(live()), 101 * DAY, Some(1000)).due.len(),
            1
        );
        assert!(judge(&rule, Some(live()), 101 * DAY, Some(999))
            .due
            .is_empty());
    }

    #[test]
    fn no_live_model_is_due() {
        let s = judge(&StalenessRule::default(), None, 0, None);
        assert_eq!(s.due, vec!["the registry has no live model"]);
    }

    #[test]
    fn a_rule_needs_a_limit_and_new_rows_need_data() {
        assert!(check_rule(&StalenessRule::default(), &[]).is_err());
        let rows = StalenessRule {
            max_age_ms: None,
            min_new_rows: Some(5),
        };
        assert!(check_rule(&rows, &[]).is_err());
        assert!(check_rule(&rows, &["d.parquet".into()]).is_ok());
    }
}
