//! The data contract as a file: what `refit validate --infer` and train-candidate write
//! (contract.json) and what `refit validate --contract` checks. JSON a person can read and edit;
//! every field is described here and in README's "`refit validate`".

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::observe::Roles;
use crate::data::time::{parse_duration, MS_PER_DAY};

/// The `format` of every contract file; a file without it is not a contract.
pub const CONTRACT_FORMAT: &str = "refit-contract/1";

/// The file name of the contract in a model directory, beside profile.json.
pub const CONTRACT_FILE: &str = "contract.json";

/// A data contract: the columns a table must have and what their values may be, plus
/// table-wide and per-entity rules. A rule set to `null` (or an empty `key`) is not checked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Contract {
    /// Always "refit-contract/1".
    #[serde(default)]
    pub format: String,
    /// When the contract was inferred (RFC 3339); informational.
    #[serde(default)]
    pub created_at: Option<String>,
    /// The refit that wrote it; informational.
    #[serde(default)]
    pub refit_version: Option<String>,
    /// The data it was inferred from; informational.
    #[serde(default)]
    pub baseline: Option<Baseline>,
    /// The time column: freshness and the per-entity history and gaps read it.
    #[serde(default)]
    pub time_column: Option<String>,
    /// Columns whose values together identify a row: no two rows may share them, none may be
    /// null. Empty: not checked.
    #[serde(default)]
    pub key: Vec<String>,
    /// Whether the data may hold columns the contract does not list.
    #[serde(default = "default_true")]
    pub allow_extra_columns: bool,
    /// Bounds on the number of rows.
    #[serde(default)]
    pub rows: RowBounds,
    /// How old the latest timestamp may be when the check runs; `null`: not checked.
    #[serde(default)]
    pub freshness: Option<Freshness>,
    /// Per-entity minimums (seed 001: 7 days and 1,000 rows per server, no large gaps).
    #[serde(default)]
    pub entities: Option<EntityRules>,
    /// The columns, in the baseline's order.
    #[serde(default)]
    pub columns: Vec<ColumnRule>,
    /// Which violations fail the check (`error`, exit 2) and which only warn (`warning`).
    #[serde(default)]
    pub severity: Severities,
}

fn default_true() -> bool {
    true
}

/// Where a contract came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    /// The data files as given (`train.parquet`, `'data/*.parquet'`).
    pub source: String,
    pub rows: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RowBounds {
    /// At least this many rows; `null`: no minimum.
    #[serde(default)]
    pub min: Option<u64>,
    /// At most this many rows; `null`: no maximum.
    #[serde(default)]
    pub max: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Freshness {
    /// The latest timestamp must be no older than this when the check runs ("2d", "12h").
    pub max_age: Span,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntityRules {
    /// The entity column (server, device, store).
    pub column: String,
    /// Each entity's first to last timestamp spans at least this long; `null`: not checked.
    #[serde(default)]
    pub min_history: Option<Span>,
    /// Each entity has at least this many rows; `null`: not checked.
    #[serde(default)]
    pub min_rows: Option<u64>,
    /// No two consecutive timestamps of an entity are further apart; `null`: not checked.
    #[serde(default)]
    pub max_gap: Option<Span>,
}

/// One column's rules.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnRule {
    pub name: String,
    /// numeric, categorical (text), boolean or timestamp; `null`: any type.
    #[serde(default, rename = "type")]
    pub kind: Option<Kind>,
    /// Whether the data must have this column (a target column is optional: data to score
    /// has none).
    #[serde(default = "default_true")]
    pub required: bool,
    /// The largest share of rows that may be null (NaN counts as null); `null`: not checked.
    #[serde(default)]
    pub max_null_share: Option<f64>,
    /// Numeric columns: every value within [min, max]; absent: not checked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub range: Option<Range>,
    /// Categorical columns: the known values; absent: not checked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<Domain>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Range {
    pub min: f64,
    pub max: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Domain {
    /// The known values, sorted.
    pub values: BTreeSet<String>,
    /// The largest share of non-null values that may lie outside `values`.
    #[serde(default)]
    pub max_unseen_share: f64,
}

/// refit's column types, as a contract names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Numeric,
    /// Text, categorical or enum values.
    Categorical,
    Boolean,
    /// Dates, datetimes, or text that is all ISO 8601 timestamps (the time column).
    Timestamp,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Numeric => "numeric",
            Kind::Categorical => "categorical",
            Kind::Boolean => "boolean",
            Kind::Timestamp => "timestamp",
        }
    }
}

/// Whether a violation fails the check or only warns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// Every check a contract can make; the names violations carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Check {
    RequiredColumn,
    ExtraColumn,
    Type,
    NullShare,
    Range,
    Domain,
    RowCount,
    UniqueKey,
    Freshness,
    EntityHistory,
    EntityRows,
    EntityGap,
}

impl Check {
    pub const ALL: [Check; 12] = [
        Check::RequiredColumn,
        Check::ExtraColumn,
        Check::Type,
        Check::NullShare,
        Check::Range,
        Check::Domain,
        Check::RowCount,
        Check::UniqueKey,
        Check::Freshness,
        Check::EntityHistory,
        Check::EntityRows,
        Check::EntityGap,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Check::RequiredColumn => "required_column",
            Check::ExtraColumn => "extra_column",
            Check::Type => "type",
            Check::NullShare => "null_share",
            Check::Range => "range",
            Check::Domain => "domain",
            Check::RowCount => "row_count",
            Check::UniqueKey => "unique_key",
            Check::Freshness => "freshness",
            Check::EntityHistory => "entity_history",
            Check::EntityRows => "entity_rows",
            Check::EntityGap => "entity_gap",
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Check::RequiredColumn => "a required column is missing",
            Check::ExtraColumn => "a column the contract does not list (allow_extra_columns)",
            Check::Type => "a column's type changed",
            Check::NullShare => "more nulls than max_null_share",
            Check::Range => "numbers outside the column's range",
            Check::Domain => "more unseen categories than max_unseen_share",
            Check::RowCount => "fewer or more rows than the bounds",
            Check::UniqueKey => "duplicate or null keys",
            Check::Freshness => "the latest timestamp is older than max_age",
            Check::EntityHistory => "an entity has less history than min_history",
            Check::EntityRows => "an entity has fewer rows than min_rows",
            Check::EntityGap => "an entity has a gap longer than max_gap",
        }
    }
}

impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Check {
    type Err = String;
    fn from_str(s: &str) -> Result<Check, String> {
        Check::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = Check::ALL.iter().map(|c| c.as_str()).collect();
                format!("unknown check `{s}`: expected one of {}", names.join(", "))
            })
    }
}

/// The severity of each check. Broken structure is an error; values beyond the baseline (a
/// range, a new category) and entities short of their minimums are warnings by default, since
/// drift-check judges shifts and a young entity is not a broken table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Severities {
    pub required_column: Severity,
    pub extra_column: Severity,
    #[serde(rename = "type")]
    pub kind: Severity,
    pub null_share: Severity,
    pub range: Severity,
    pub domain: Severity,
    pub row_count: Severity,
    pub unique_key: Severity,
    pub freshness: Severity,
    pub entity_history: Severity,
    pub entity_rows: Severity,
    pub entity_gap: Severity,
}

impl Default for Severities {
    fn default() -> Severities {
        use Severity::{Error, Warning};
        Severities {
            required_column: Error,
            extra_column: Error,
            kind: Error,
            null_share: Error,
            range: Warning,
            domain: Warning,
            row_count: Error,
            unique_key: Error,
            freshness: Error,
            entity_history: Warning,
            entity_rows: Warning,
            entity_gap: Warning,
        }
    }
}

impl Severities {
    pub fn of(&self, check: Check) -> Severity {
        match check {
            Check::RequiredColumn => self.required_column,
            Check::ExtraColumn => self.extra_column,
            Check::Type => self.kind,
            Check::NullShare => self.null_share,
            Check::Range => self.range,
            Check::Domain => self.domain,
            Check::RowCount => self.row_count,
            Check::UniqueKey => self.unique_key,
            Check::Freshness => self.freshness,
            Check::EntityHistory => self.entity_history,
            Check::EntityRows => self.entity_rows,
            Check::EntityGap => self.entity_gap,
        }
    }
}

/// Limits a command line sets in place of a contract's (each `None`: the contract's own).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Limits {
    pub max_age: Option<Span>,
    pub min_history: Option<Span>,
    pub min_rows: Option<u64>,
    pub max_gap: Option<Span>,
}

impl Limits {
    fn touches_entities(&self) -> bool {
        self.min_history.is_some() || self.min_rows.is_some() || self.max_gap.is_some()
    }
}

/// A length of time, written as refit's durations are ("7d", "36h", "90m", "45s").
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Span(i64);

impl Span {
    pub fn from_millis(ms: i64) -> Span {
        Span(ms)
    }

    pub fn millis(self) -> i64 {
        self.0
    }

    pub fn parse(text: &str) -> anyhow::Result<Span> {
        parse_duration(text).map(Span)
    }
}

/// The largest unit that divides the span exactly: 172800000 ms is "2d", 5400000 ms "90m".
impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const UNITS: [(i64, &str); 3] = [(MS_PER_DAY, "d"), (3_600_000, "h"), (60_000, "m")];
        if self.0 == 0 {
            return f.write_str("0");
        }
        for (unit, name) in UNITS {
            if self.0 % unit == 0 {
                return write!(f, "{}{name}", self.0 / unit);
            }
        }
        // Whole seconds, rounded up: parse_duration has no smaller unit.
        write!(f, "{}s", (self.0 + 999).div_euclid(1_000))
    }
}

impl Serialize for Span {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Span {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Span, D::Error> {
        let text = String::deserialize(deserializer)?;
        Span::parse(&text).map_err(|e| serde::de::Error::custom(format!("{e:#}")))
    }
}

impl Contract {
    /// The contract without one check: the CLI's `--skip`.
    pub fn without(mut self, check: Check) -> Contract {
        match check {
            Check::RequiredColumn => self.columns.iter_mut().for_each(|c| c.required = false),
            Check::ExtraColumn => self.allow_extra_columns = true,
            Check::Type => self.columns.iter_mut().for_each(|c| c.kind = None),
            Check::NullShare => self
                .columns
                .iter_mut()
                .for_each(|c| c.max_null_share = None),
            Check::Range => self.columns.iter_mut().for_each(|c| c.range = None),
            Check::Domain => self.columns.iter_mut().for_each(|c| c.domain = None),
            Check::RowCount => self.rows = RowBounds::default(),
            Check::UniqueKey => self.key.clear(),
            Check::Freshness => self.freshness = None,
            Check::EntityHistory => self.entity_rule(|e| e.min_history = None),
            Check::EntityRows => self.entity_rule(|e| e.min_rows = None),
            Check::EntityGap => self.entity_rule(|e| e.max_gap = None),
        }
        self
    }

    fn entity_rule(&mut self, clear: impl FnOnce(&mut EntityRules)) {
        if let Some(rules) = self.entities.as_mut() {
            clear(rules);
        }
    }

    /// Columns to read from data whose columns are `names` (in file order), and the roles the
    /// contract gives them; a role whose column is missing is left out.
    pub fn roles(&self, names: &[String]) -> Roles {
        let present = |c: &String| names.contains(c);
        Roles {
            columns: names
                .iter()
                .filter(|n| self.column(n).is_some())
                .cloned()
                .collect(),
            time: self.time_column.clone().filter(present),
            entity: self
                .entities
                .as_ref()
                .map(|e| e.column.clone())
                .filter(present),
            key: if self.key.iter().all(present) {
                self.key.clone()
            } else {
                Vec::new()
            },
        }
    }

    /// The contract with the limits given on the command line in place of its own.
    pub fn with_limits(mut self, limits: &Limits) -> anyhow::Result<Contract> {
        let timed = self.time_column.is_some();
        if let Some(max_age) = limits.max_age {
            if !timed {
                anyhow::bail!("--max-age: the contract has no time_column to check freshness on");
            }
            self.freshness = Some(Freshness { max_age });
        }
        if limits.touches_entities() {
            let Some(rules) = self.entities.as_mut() else {
                anyhow::bail!(
                    "--min-history, --min-entity-rows and --max-gap replace the contract's \
                     entity rules, and it has none (infer one with --entity)"
                );
            };
            if (limits.min_history.is_some() || limits.max_gap.is_some()) && !timed {
                anyhow::bail!("--min-history and --max-gap: the contract has no time_column");
            }
            rules.min_history = limits.min_history.or(rules.min_history);
            rules.min_rows = limits.min_rows.or(rules.min_rows);
            rules.max_gap = limits.max_gap.or(rules.max_gap);
        }
        Ok(self)
    }

    /// The column rule named `name`.
    pub fn column(&self, name: &str) -> Option<&ColumnRule> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// Pretty JSON ending with a newline, as refit writes every JSON file.
    pub fn to_json(&self) -> serde_json::Result<String> {
        serde_json::to_string_pretty(self).map(|json| json + "\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_print_in_the_largest_exact_unit() {
        let text = |ms: i64| Span::from_millis(ms).to_string();
        assert_eq!(text(2 * MS_PER_DAY), "2d");
        assert_eq!(text(36 * 3_600_000), "36h");
        assert_eq!(text(90 * 60_000), "90m");
        assert_eq!(text(1_500), "2s");
        assert_eq!(text(0), "0");
        assert_eq!(Span::parse("48h").unwrap().to_string(), "2d");
    }

    fn contract() -> Contract {
        let json = r#"{"format": "refit-contract/1", "time_column": "ts",
            "key": ["id"], "entities": {"column": "host", "min_rows": 1000},
            "columns": [{"name": "ts"}, {"name": "id"}, {"name": "host"}, {"name": "cpu"}]}"#;
        Contract::from_json(json).unwrap()
    }

    #[test]
    fn roles_are_the_contract_columns_the_data_has() {
        let names: Vec<String> = ["cpu", "extra", "ts", "host"].map(String::from).into();
        let roles = contract().roles(&names);
        assert_eq!(roles.columns, ["cpu", "ts", "host"]);
        assert_eq!(roles.time.as_deref(), Some("ts"));
        assert_eq!(roles.entity.as_deref(), Some("host"));
        assert!(roles.key.is_empty(), "the key column `id` is missing");
    }

    #[test]
    fn command_line_limits_replace_the_contract_s() {
        let day = Span::from_millis(MS_PER_DAY);
        let limits = Limits {
            max_age: Some(day),
            min_rows: Some(10),
            ..Limits::default()
        };
        let c = contract().with_limits(&limits).unwrap();
        assert_eq!(c.freshness.unwrap().max_age, day);
        let e = c.entities.unwrap();
        assert_eq!((e.min_rows, e.min_history), (Some(10), None));
        let mut untimed = contract();
        untimed.time_column = None;
        let err = untimed.with_limits(&limits).unwrap_err().to_string();
        assert!(err.starts_with("--max-age"), "{err}");
        let mut no_entities = contract();
        no_entities.entities = None;
        let only_rows = Limits {
            min_rows: Some(1),
            ..Limits::default()
        };
        assert!(no_entities.with_limits(&only_rows).is_err());
        assert_eq!(
            contract()
                .without(Check::EntityRows)
                .entities
                .unwrap()
                .min_rows,
            None
        );
    }

    #[test]
    fn checks_parse_by_their_report_names() {
        for check in Check::ALL {
            assert_eq!(check.as_str().parse::<Check>(), Ok(check));
            let json = serde_json::to_value(check).unwrap();
            assert_eq!(json, check.as_str());
        }
        let err = "ranges".parse::<Check>().unwrap_err();
        assert!(err.contains("range, domain"), "{err}");
    }

    #[test]
    fn structure_fails_and_values_warn_by_default() {
        let s = Severities::default();
        assert_eq!(s.of(Check::RequiredColumn), Severity::Error);
        assert_eq!(s.of(Check::Type), Severity::Error);
        assert_eq!(s.of(Check::Range), Severity::Warning);
        assert_eq!(s.of(Check::EntityHistory), Severity::Warning);
        let json = serde_json::to_value(s).unwrap();
        assert_eq!(json["type"], "error");
        let partial: Severities = serde_json::from_str(r#"{"range": "error"}"#).unwrap();
        assert_eq!(partial.range, Severity::Error);
        assert_eq!(partial.domain, Severity::Warning);
    }
}
