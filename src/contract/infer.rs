//! A contract from a baseline: the columns, their types, null shares, ranges and domains as the
//! baseline shows them, widened by margins; the table-wide and per-entity rules from settings
//! (seed 001's 7 days, 1,000 rows and no gap over 2 days per entity by default).

use anyhow::{bail, Result};

use super::format::{
    Baseline, ColumnRule, Contract, Domain, EntityRules, Freshness, Kind, Range, RowBounds,
    Severities, Span, CONTRACT_FORMAT,
};
use super::observe::{ColumnFacts, Observed, Roles, Values};
use crate::data::time::MS_PER_DAY;

/// A categorical column with more distinct values than this gets no domain (an id, a free
/// text): every new value would be unseen.
pub const MAX_DOMAIN: usize = 1000;

/// How a contract is inferred; [`Default`] holds refit's defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct InferSettings {
    pub time: Option<String>,
    pub entity: Option<String>,
    pub key: Vec<String>,
    /// Columns the data need not have (train-candidate's target: data to score has none).
    pub optional: Vec<String>,
    pub allow_extra_columns: bool,
    /// Added to the baseline's null share (absolute).
    pub null_margin: f64,
    /// The baseline's [min, max] widened by this share of its width on each side.
    pub range_margin: f64,
    pub max_unseen_share: f64,
    /// Row bounds at the baseline's count times (1 - m) and (1 + m); `None`: no bounds.
    pub rows_margin: Option<f64>,
    /// `None`: freshness is not checked (a baseline cannot say how old tomorrow's data may be).
    pub max_age: Option<Span>,
    pub min_history: Option<Span>,
    pub min_entity_rows: Option<u64>,
    pub max_gap: Option<Span>,
}

impl Default for InferSettings {
    fn default() -> InferSettings {
        InferSettings {
            time: None,
            entity: None,
            key: Vec::new(),
            optional: Vec::new(),
            allow_extra_columns: true,
            null_margin: 0.05,
            range_margin: 0.1,
            max_unseen_share: 0.0,
            rows_margin: None,
            max_age: None,
            min_history: Some(Span::from_millis(7 * MS_PER_DAY)),
            min_entity_rows: Some(1000),
            max_gap: Some(Span::from_millis(2 * MS_PER_DAY)),
        }
    }
}

impl InferSettings {
    /// The columns with a role (time, entity, key), which the data must have.
    pub fn role_columns(&self) -> Vec<String> {
        let mut columns: Vec<String> = self.time.iter().chain(&self.entity).cloned().collect();
        columns.extend(self.key.iter().cloned());
        columns
    }

    /// Every column of the baseline is read.
    pub fn roles(&self, names: &[String]) -> Roles {
        Roles {
            columns: names.to_vec(),
            time: self.time.clone(),
            entity: self.entity.clone(),
            key: self.key.clone(),
        }
    }

    fn has_role(&self, name: &str) -> bool {
        self.time.as_deref() == Some(name)
            || self.entity.as_deref() == Some(name)
            || self.key.iter().any(|k| k == name)
    }
}

/// A contract, and notes on what it leaves out and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Inferred {
    pub contract: Contract,
    pub notes: Vec<String>,
}

/// Infers the contract `observed` keeps; `created_at` is left for the caller to stamp.
pub fn infer(observed: &Observed, settings: &InferSettings) -> Result<Inferred> {
    check_time_column(observed, settings)?;
    let mut notes = Vec::new();
    let mut columns = Vec::new();
    for name in &observed.names {
        if let Some(facts) = observed.columns.get(name) {
            let (rule, note) = column_rule(name, facts, settings);
            columns.push(rule);
            notes.extend(note);
        }
    }
    let entities = settings.entity.clone().map(|column| {
        let timed = settings.time.is_some();
        if !timed {
            notes.push(format!(
                "no time column: the history and gaps of `{column}` are not checked"
            ));
        }
        EntityRules {
            column,
            min_history: settings.min_history.filter(|_| timed),
            min_rows: settings.min_entity_rows,
            max_gap: settings.max_gap.filter(|_| timed),
        }
    });
    let contract = Contract {
        format: CONTRACT_FORMAT.to_string(),
        created_at: None,
        refit_version: Some(env!("CARGO_PKG_VERSION").to_string()),
        baseline: Some(Baseline {
            source: observed.source.clone(),
            rows: observed.rows,
        }),
        time_column: settings.time.clone(),
        key: settings.key.clone(),
        allow_extra_columns: settings.allow_extra_columns,
        rows: row_bounds(observed.rows, settings.rows_margin),
        freshness: settings
            .max_age
            .filter(|_| settings.time.is_some())
            .map(|max_age| Freshness { max_age }),
        entities,
        columns,
        severity: Severities::default(),
    };
    Ok(Inferred { contract, notes })
}

fn check_time_column(observed: &Observed, settings: &InferSettings) -> Result<()> {
    let Some(time) = &settings.time else {
        return Ok(());
    };
    let facts = observed.columns.get(time);
    if facts.and_then(|f| f.kind) != Some(Kind::Timestamp) {
        let unparsed = observed.time.map_or(0, |t| t.unparsed);
        let dtype = facts.map_or("missing", |f| f.dtype.as_str());
        bail!(
            "time column `{time}` in {} holds no timestamps (type {dtype}, {unparsed} values \
             that do not parse); expected dates, datetimes or ISO 8601 text, e.g. \
             2026-11-23T08:00:00Z",
            observed.source
        );
    }
    Ok(())
}

fn column_rule(name: &str, facts: &ColumnFacts, s: &InferSettings) -> (ColumnRule, Option<String>) {
    let mut note = None;
    if facts.kind.is_none() {
        note = Some(format!(
            "column `{name}` has no values in the baseline (type {}): its type is not checked",
            facts.dtype
        ));
    }
    let null_share = share(facts.nulls, facts.rows);
    let range = match &facts.values {
        Values::Numbers { sorted, .. } if !s.has_role(name) => widen(sorted, s.range_margin),
        _ => None,
    };
    let domain = match &facts.values {
        Values::Categories(counts) if !s.has_role(name) => {
            let observed: u64 = counts.values().sum();
            let small = counts.len() <= 20 || 2 * counts.len() as u64 <= observed;
            if counts.len() <= MAX_DOMAIN && small {
                Some(Domain {
                    values: counts.keys().cloned().collect(),
                    max_unseen_share: s.max_unseen_share,
                })
            } else {
                note = Some(format!(
                    "column `{name}` has {} distinct values in {observed} rows, too many for a \
                     domain: its values are not checked",
                    counts.len()
                ));
                None
            }
        }
        _ => None,
    };
    let rule = ColumnRule {
        name: name.to_string(),
        kind: facts.kind,
        required: !s.optional.iter().any(|o| o == name),
        max_null_share: Some(round_up((null_share + s.null_margin).min(1.0), 4)),
        range,
        domain,
    };
    (rule, note)
}

fn share(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

/// `value` rounded up at `decimals` (a bound a person reads: 0.1013, not 0.10123456).
fn round_up(value: f64, decimals: i32) -> f64 {
    let scale = 10f64.powi(decimals);
    let up = ((value * scale) - 1e-9).ceil() / scale;
    tidy(up.max(value), decimals)
}

/// The shortest decimal of `value` at `decimals` places, so bounds print as written.
fn tidy(value: f64, decimals: i32) -> f64 {
    let places = decimals.clamp(0, 15) as usize;
    format!("{value:.places$}").parse().unwrap_or(value)
}

/// [min, max] widened by `margin` of its width (of the value, for a constant column) on each
/// side, rounded outwards at four significant digits of the width.
pub fn widen(sorted: &[f64], margin: f64) -> Option<Range> {
    let (&min, &max) = (sorted.first()?, sorted.last()?);
    let width = if max > min { max - min } else { max.abs() };
    let (low, high) = (min - margin * width, max + margin * width);
    if high - low <= 0.0 {
        return Some(Range { min, max });
    }
    let decimals = 3 - (high - low).log10().floor() as i32;
    let scale = 10f64.powi(decimals);
    // The tolerance keeps float noise (89.2 * 100 = 8920.000000000002) from adding a step;
    // the baseline's own values always stay inside.
    let low = tidy((low * scale + 1e-6).floor() / scale, decimals).min(min);
    let high = tidy((high * scale - 1e-6).ceil() / scale, decimals).max(max);
    Some(Range {
        min: low,
        max: high,
    })
}

fn row_bounds(rows: u64, margin: Option<f64>) -> RowBounds {
    match margin {
        Some(m) => RowBounds {
            min: Some((rows as f64 * (1.0 - m)).max(0.0).floor() as u64),
            max: Some((rows as f64 * (1.0 + m)).ceil() as u64),
        },
        None => RowBounds::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::check::check;
    use crate::contract::observe::{EntityFacts, TimeFacts};
    use std::collections::BTreeMap;

    fn numbers(values: &[f64]) -> ColumnFacts {
        ColumnFacts {
            kind: Some(Kind::Numeric),
            dtype: "f64".into(),
            rows: values.len() as u64 + 1,
            nulls: 1,
            values: Values::Numbers {
                sorted: values.to_vec(),
                infinite: 0,
            },
        }
    }

    fn categories(values: &[(&str, u64)]) -> ColumnFacts {
        let counts: BTreeMap<String, u64> =
            values.iter().map(|(v, n)| (v.to_string(), *n)).collect();
        ColumnFacts {
            kind: Some(Kind::Categorical),
            dtype: "str".into(),
            rows: counts.values().sum(),
            nulls: 0,
            values: Values::Categories(counts),
        }
    }

    fn baseline() -> Observed {
        let mut columns = BTreeMap::new();
        columns.insert("cpu".to_string(), numbers(&[0.0, 40.0, 100.0]));
        columns.insert(
            "region".to_string(),
            categories(&[("east", 2), ("west", 2)]),
        );
        let mut ts = categories(&[("2026-11-01", 4)]);
        ts.kind = Some(Kind::Timestamp);
        ts.values = Values::Other;
        columns.insert("ts".to_string(), ts);
        Observed {
            source: "train.csv".into(),
            rows: 4,
            names: vec!["ts".into(), "cpu".into(), "region".into()],
            columns,
            time: Some(TimeFacts {
                latest: Some(20 * MS_PER_DAY),
                unparsed: 0,
            }),
            key: None,
            entities: None,
        }
    }

    #[test]
    fn ranges_widen_by_a_share_of_their_width_and_round_outwards() {
        let r = widen(&[0.0, 100.0], 0.1).unwrap();
        assert_eq!((r.min, r.max), (-10.0, 110.0));
        let r = widen(&[0.123456, 0.987654], 0.0).unwrap();
        assert_eq!((r.min, r.max), (0.1234, 0.9877));
        let r = widen(&[10.0, 82.0], 0.1).unwrap();
        assert_eq!((r.min, r.max), (2.8, 89.2));
        let r = widen(&[5.0, 5.0], 0.1).unwrap();
        assert_eq!((r.min, r.max), (4.5, 5.5));
        let r = widen(&[0.0], 0.1).unwrap();
        assert_eq!((r.min, r.max), (0.0, 0.0));
        assert_eq!(widen(&[], 0.1), None);
    }

    #[test]
    fn null_shares_round_up_so_the_baseline_keeps_them() {
        assert_eq!(round_up(0.05, 4), 0.05);
        assert_eq!(round_up(0.101234, 4), 0.1013);
        assert!(round_up(1.0 / 3.0, 4) >= 1.0 / 3.0);
    }

    #[test]
    fn a_baseline_gives_types_null_shares_ranges_and_domains() {
        let inferred = infer(&baseline(), &InferSettings::default()).unwrap();
        let c = &inferred.contract;
        let names: Vec<&str> = c.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["ts", "cpu", "region"]);
        let cpu = c.column("cpu").unwrap();
        assert_eq!(cpu.kind, Some(Kind::Numeric));
        assert_eq!(cpu.max_null_share, Some(0.3));
        assert_eq!(
            cpu.range,
            Some(Range {
                min: -10.0,
                max: 110.0
            })
        );
        let region = c.column("region").unwrap();
        assert_eq!(region.domain.as_ref().unwrap().values.len(), 2);
        assert_eq!(c.freshness, None);
        assert_eq!(c.rows, RowBounds::default());
    }

    #[test]
    fn roles_get_no_range_or_domain_and_entity_rules_take_the_seed_defaults() {
        let settings = InferSettings {
            time: Some("ts".into()),
            entity: Some("region".into()),
            max_age: Some(Span::from_millis(MS_PER_DAY)),
            rows_margin: Some(0.5),
            ..InferSettings::default()
        };
        let c = infer(&baseline(), &settings).unwrap().contract;
        assert_eq!(c.column("region").unwrap().domain, None);
        let e = c.entities.unwrap();
        assert_eq!(e.min_history.unwrap().to_string(), "7d");
        assert_eq!(
            (e.min_rows, e.max_gap.unwrap().to_string()),
            (Some(1000), "2d".into())
        );
        assert_eq!(c.freshness.unwrap().max_age.to_string(), "1d");
        assert_eq!((c.rows.min, c.rows.max), (Some(2), Some(6)));
    }

    #[test]
    fn a_baseline_keeps_the_contract_inferred_from_it() {
        let settings = InferSettings {
            time: Some("ts".into()),
            ..InferSettings::default()
        };
        let c = infer(&baseline(), &settings).unwrap().contract;
        let checked = check(&c, &baseline(), 20 * MS_PER_DAY);
        assert!(checked.violations.is_empty(), "{:?}", checked.violations);
        assert!(checked.summary.checks >= 8, "{:?}", checked.summary);
    }

    #[test]
    fn many_distinct_values_get_no_domain_and_a_note() {
        let mut observed = baseline();
        let ids: Vec<(String, u64)> = (0..30).map(|i| (format!("id{i}"), 1)).collect();
        let ids: Vec<(&str, u64)> = ids.iter().map(|(v, n)| (v.as_str(), *n)).collect();
        observed.columns.insert("region".into(), categories(&ids));
        let inferred = infer(&observed, &InferSettings::default()).unwrap();
        assert_eq!(inferred.contract.column("region").unwrap().domain, None);
        assert!(
            inferred.notes[0].contains("30 distinct values"),
            "{:?}",
            inferred.notes
        );
    }

    #[test]
    fn a_time_column_without_timestamps_is_an_error() {
        let settings = InferSettings {
            time: Some("region".into()),
            ..InferSettings::default()
        };
        let err = infer(&baseline(), &settings).unwrap_err().to_string();
        assert!(
            err.contains("time column `region` in train.csv holds no timestamps"),
            "{err}"
        );
    }

    #[test]
    fn an_entity_without_a_time_column_checks_rows_only() {
        let mut observed = baseline();
        observed.entities = Some(vec![EntityFacts {
            entity: "east".into(),
            rows: 2,
            first: None,
            last: None,
            largest_gap: None,
        }]);
        let settings = InferSettings {
            entity: Some("region".into()),
            ..InferSettings::default()
        };
        let inferred = infer(&observed, &settings).unwrap();
        let e = inferred.contract.entities.unwrap();
        assert_eq!(
            (e.min_history, e.max_gap, e.min_rows),
            (None, None, Some(1000))
        );
        assert!(inferred.notes[0].contains("not checked"));
    }
}
