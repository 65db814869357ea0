//! Checking a table's facts against a contract: one violation per broken rule, per column or
//! per entity, each with what was expected and what was seen. Pure: no I/O, no clock.

use serde::Serialize;

use super::format::{Check, ColumnRule, Contract, Severity};
use super::observe::{ColumnFacts, EntityFacts, Observed, Values};
use crate::data::time::format_ms;
use crate::report::Status;

/// How many unseen categories a domain violation names.
const UNSEEN_SHOWN: usize = 5;

/// One broken rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Violation {
    /// The column the rule is about (the entity column for per-entity rules, the key columns
    /// joined by commas for the key); null for the row count.
    pub column: Option<String>,
    /// The entity, for per-entity rules.
    pub entity: Option<String>,
    pub check: Check,
    pub expected: String,
    pub observed: String,
    pub severity: Severity,
}

/// The counts the report's `summary` holds (the retrain loop's ledger reads `checks` and
/// `violations`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Rules evaluated: one per column and rule, per entity and rule, and per table rule.
    pub checks: u64,
    pub violations: u64,
    pub errors: u64,
    pub warnings: u64,
}

/// A check's outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct Checked {
    pub summary: Summary,
    pub violations: Vec<Violation>,
}

impl Checked {
    /// FAIL on any error, WARN on warnings only, OK when clean.
    pub fn status(&self) -> Status {
        if self.summary.errors > 0 {
            Status::Fail
        } else if self.summary.warnings > 0 {
            Status::Warn
        } else {
            Status::Ok
        }
    }
}

/// Checks `observed` against `contract` at time `now` (UTC milliseconds, for freshness).
/// Violations come in a stable order: columns in the contract's order, extra columns, the
/// table's rules, then entities by name.
pub fn check(contract: &Contract, observed: &Observed, now: i64) -> Checked {
    let mut checker = Checker {
        contract,
        observed,
        checks: 0,
        violations: Vec::new(),
    };
    for rule in &contract.columns {
        checker.column(rule);
    }
    checker.extra_columns();
    checker.rows();
    checker.key();
    checker.freshness(now);
    checker.entities();
    let violations = checker.violations;
    let errors = violations
        .iter()
        .filter(|v| v.severity == Severity::Error)
        .count() as u64;
    let total = violations.len() as u64;
    Checked {
        summary: Summary {
            checks: checker.checks,
            violations: total,
            errors,
            warnings: total - errors,
        },
        violations,
    }
}

struct Checker<'a> {
    contract: &'a Contract,
    observed: &'a Observed,
    checks: u64,
    violations: Vec<Violation>,
}

/// Who a violation is about.
struct Subject<'a> {
    column: Option<&'a str>,
    entity: Option<&'a str>,
}

impl<'a> Subject<'a> {
    fn column(name: &'a str) -> Subject<'a> {
        Subject {
            column: Some(name),
            entity: None,
        }
    }
}

impl Checker<'_> {
    /// Counts one evaluated rule and records its violation, if any.
    fn evaluate(&mut self, check: Check, subject: Subject, broken: Option<(String, String)>) {
        self.checks += 1;
        if let Some((expected, observed)) = broken {
            self.violations.push(Violation {
                column: subject.column.map(str::to_string),
                entity: subject.entity.map(str::to_string),
                check,
                expected,
                observed,
                severity: self.contract.severity.of(check),
            });
        }
    }

    fn present(&self, column: &str) -> bool {
        self.observed.names.iter().any(|n| n == column)
    }

    fn column(&mut self, rule: &ColumnRule) {
        let name = rule.name.as_str();
        if !self.present(name) {
            if rule.required {
                let broken = ("present".to_string(), self.missing_text());
                self.evaluate(Check::RequiredColumn, Subject::column(name), Some(broken));
            }
            return;
        }
        if rule.required {
            self.evaluate(Check::RequiredColumn, Subject::column(name), None);
        }
        // Present but not read: a profile that left the column out says nothing of its values.
        let Some(facts) = self.observed.columns.get(name) else {
            return;
        };
        if let (Some(expected), Some(seen)) = (rule.kind, facts.kind) {
            let broken = (seen != expected).then(|| {
                let observed = format!("{} ({})", seen.as_str(), facts.dtype);
                (expected.as_str().to_string(), observed)
            });
            self.evaluate(Check::Type, Subject::column(name), broken);
        }
        if let Some(max) = rule.max_null_share {
            self.evaluate(
                Check::NullShare,
                Subject::column(name),
                null_share(facts, max),
            );
        }
        if let Some(range) = &rule.range {
            let broken = match &facts.values {
                Values::Numbers { sorted, infinite } => {
                    Some(out_of_range(sorted, *infinite, range.min, range.max))
                }
                Values::Extremes { min, max, infinite } => Some(extremes_out_of_range(
                    *min, *max, *infinite, range.min, range.max,
                )),
                _ => None,
            };
            if let Some(broken) = broken {
                self.evaluate(Check::Range, Subject::column(name), broken);
            }
        }
        if let (Some(domain), Values::Categories(counts)) = (&rule.domain, &facts.values) {
            let broken = unseen(counts, &domain.values, domain.max_unseen_share);
            self.evaluate(Check::Domain, Subject::column(name), broken);
        }
    }

    fn missing_text(&self) -> String {
        format!("missing; columns are: {}", self.observed.names.join(", "))
    }

    fn extra_columns(&mut self) {
        if self.contract.allow_extra_columns {
            return;
        }
        for name in &self.observed.names {
            let broken = self.contract.column(name).is_none().then(|| {
                let expected = "only the contract's columns (allow_extra_columns: false)";
                (expected.to_string(), "present".to_string())
            });
            self.evaluate(Check::ExtraColumn, Subject::column(name), broken);
        }
    }

    fn rows(&mut self) {
        let bounds = &self.contract.rows;
        if bounds.min.is_none() && bounds.max.is_none() {
            return;
        }
        let rows = self.observed.rows;
        let low = bounds.min.is_some_and(|min| rows < min);
        let high = bounds.max.is_some_and(|max| rows > max);
        let broken = (low || high).then(|| {
            let expected = match (bounds.min, bounds.max) {
                (Some(min), Some(max)) => format!("{min} to {max} rows"),
                (Some(min), None) => format!("at least {min} rows"),
                (None, Some(max)) => format!("at most {max} rows"),
                (None, None) => unreachable!("bounds checked above"),
            };
            (expected, n_rows(rows))
        });
        let subject = Subject {
            column: None,
            entity: None,
        };
        self.evaluate(Check::RowCount, subject, broken);
    }

    fn key(&mut self) {
        let key = &self.contract.key;
        let Some(facts) = &self.observed.key else {
            return;
        };
        if key.is_empty() || !key.iter().all(|k| self.present(k)) {
            return;
        }
        let broken = (facts.duplicates > 0 || facts.nulls > 0).then(|| {
            let example = facts
                .example
                .as_deref()
                .map_or(String::new(), |e| format!(" (the first: {e})"));
            let observed = format!(
                "{} duplicate {}{example}, {} with a null key",
                facts.duplicates,
                if facts.duplicates == 1 { "key" } else { "keys" },
                n_rows(facts.nulls)
            );
            ("unique, never null".to_string(), observed)
        });
        let columns = key.join(",");
        self.evaluate(Check::UniqueKey, Subject::column(&columns), broken);
    }

    fn freshness(&mut self, now: i64) {
        let (Some(freshness), Some(time), Some(facts)) = (
            &self.contract.freshness,
            &self.contract.time_column,
            self.observed.time,
        ) else {
            return;
        };
        if !self.present(time) {
            return;
        }
        let max_age = freshness.max_age;
        let expected = format!(
            "the latest timestamp within {max_age} of {}",
            format_ms(now)
        );
        let broken = match facts.latest {
            None => Some((expected, "no timestamps".to_string())),
            Some(latest) if now.saturating_sub(latest) > max_age.millis() => {
                let age = humanize(now.saturating_sub(latest));
                Some((expected, format!("{}, {age} old", format_ms(latest))))
            }
            Some(_) => None,
        };
        self.evaluate(Check::Freshness, Subject::column(time), broken);
    }

    fn entities(&mut self) {
        let (Some(rules), Some(entities)) = (&self.contract.entities, &self.observed.entities)
        else {
            return;
        };
        let timed = self.observed.time.is_some();
        for facts in entities {
            let subject = || Subject {
                column: Some(rules.column.as_str()),
                entity: Some(facts.entity.as_str()),
            };
            if let Some(min) = rules.min_history.filter(|_| timed) {
                self.evaluate(
                    Check::EntityHistory,
                    subject(),
                    short_history(facts, min.millis()),
                );
            }
            if let Some(min) = rules.min_rows {
                let broken = (facts.rows < min)
                    .then(|| (format!("at least {}", n_rows(min)), n_rows(facts.rows)));
                self.evaluate(Check::EntityRows, subject(), broken);
            }
            if let Some(max) = rules.max_gap.filter(|_| timed) {
                self.evaluate(Check::EntityGap, subject(), long_gap(facts, max.millis()));
            }
        }
    }
}

fn null_share(facts: &ColumnFacts, max: f64) -> Option<(String, String)> {
    let share = if facts.rows == 0 {
        0.0
    } else {
        facts.nulls as f64 / facts.rows as f64
    };
    // A tolerance for shares that were rounded when the contract was written.
    (share > max + 1e-9).then(|| {
        (
            format!("at most {} null", percent(max)),
            format!(
                "{} null ({} of {} rows)",
                percent(share),
                facts.nulls,
                facts.rows
            ),
        )
    })
}

fn out_of_range(sorted: &[f64], infinite: u64, min: f64, max: f64) -> Option<(String, String)> {
    let below = sorted.partition_point(|v| *v < min) as u64;
    let above = (sorted.len() - sorted.partition_point(|v| *v <= max)) as u64;
    let outside = below + above + infinite;
    (outside > 0).then(|| {
        let total = sorted.len() as u64 + infinite;
        let seen = match (sorted.first(), sorted.last()) {
            (Some(lo), Some(hi)) => format!("; min {lo}, max {hi}"),
            _ => String::new(),
        };
        let infinities = if infinite > 0 {
            format!(", {infinite} infinite")
        } else {
            String::new()
        };
        (
            format!("values within [{min}, {max}]"),
            format!("{outside} of {total} values outside{infinities}{seen}"),
        )
    })
}

/// The range check from a profile: exact on whether a value is outside (the extremes and the
/// infinities say so), silent on how many.
fn extremes_out_of_range(
    seen_min: Option<f64>,
    seen_max: Option<f64>,
    infinite: u64,
    min: f64,
    max: f64,
) -> Option<(String, String)> {
    let outside = seen_min.is_some_and(|lo| lo < min) || seen_max.is_some_and(|hi| hi > max);
    (outside || infinite > 0).then(|| {
        let seen = match (seen_min, seen_max) {
            (Some(lo), Some(hi)) => format!("min {lo}, max {hi}"),
            _ => "no finite value".to_string(),
        };
        let infinities = if infinite > 0 {
            format!(", {infinite} infinite")
        } else {
            String::new()
        };
        (
            format!("values within [{min}, {max}]"),
            format!("values outside ({seen}{infinities}; a profile does not count them)"),
        )
    })
}

fn unseen(
    counts: &std::collections::BTreeMap<String, u64>,
    known: &std::collections::BTreeSet<String>,
    max_share: f64,
) -> Option<(String, String)> {
    let mut new: Vec<(&str, u64)> = counts
        .iter()
        .filter(|(value, _)| !known.contains(*value))
        .map(|(value, n)| (value.as_str(), *n))
        .collect();
    let unseen: u64 = new.iter().map(|(_, n)| n).sum();
    let total: u64 = counts.values().sum();
    let share = if total == 0 {
        0.0
    } else {
        unseen as f64 / total as f64
    };
    (unseen > 0 && share > max_share + 1e-9).then(|| {
        new.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        let mut names: Vec<String> = new
            .iter()
            .take(UNSEEN_SHOWN)
            .map(|(value, n)| format!("{value} ({n})"))
            .collect();
        if new.len() > UNSEEN_SHOWN {
            names.push(format!("{} more", new.len() - UNSEEN_SHOWN));
        }
        (
            format!(
                "at most {} of values outside the {} known",
                percent(max_share),
                known.len()
            ),
            format!(
                "{} unseen ({unseen} of {total}): {}",
                percent(share),
                names.join(", ")
            ),
        )
    })
}

fn short_history(facts: &EntityFacts, min: i64) -> Option<(String, String)> {
    let expected = || {
        format!(
            "at least {} of history",
            super::format::Span::from_millis(min)
        )
    };
    match (facts.first, facts.last) {
        (Some(first), Some(last)) if last - first >= min => None,
        (Some(first), Some(last)) => Some((
            expected(),
            format!(
                "{} ({} to {})",
                humanize(last - first),
                format_ms(first),
                format_ms(last)
            ),
        )),
        _ => Some((expected(), "no timestamps".to_string())),
    }
}

fn long_gap(facts: &EntityFacts, max: i64) -> Option<(String, String)> {
    let (from, to) = facts.largest_gap?;
    (to - from > max).then(|| {
        (
            format!(
                "no gap longer than {}",
                super::format::Span::from_millis(max)
            ),
            format!(
                "{} ({} to {})",
                humanize(to - from),
                format_ms(from),
                format_ms(to)
            ),
        )
    })
}

fn n_rows(n: u64) -> String {
    if n == 1 {
        "1 row".to_string()
    } else {
        format!("{n} rows")
    }
}

fn percent(share: f64) -> String {
    format!("{:.2}%", share * 100.0)
}

/// "4d 7h", "2h 5m", "45s": the two largest units that are not zero.
pub fn humanize(ms: i64) -> String {
    if ms == 0 {
        return "0s".to_string();
    }
    if ms < 1_000 {
        return format!("{ms}ms");
    }
    let units = [
        (86_400_000, "d"),
        (3_600_000, "h"),
        (60_000, "m"),
        (1_000, "s"),
    ];
    let mut rest = ms;
    let mut parts = Vec::new();
    for (unit, name) in units {
        if rest >= unit {
            parts.push(format!("{}{name}", rest / unit));
            rest %= unit;
        }
    }
    parts.truncate(2);
    parts.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::format::{
        Domain, EntityRules, Freshness, Kind, Range, RowBounds, Span, CONTRACT_FORMAT,
    };
    use crate::contract::observe::{KeyFacts, TimeFacts};
    use crate::data::time::MS_PER_DAY;
    use std::collections::BTreeMap;

    fn rule(name: &str, kind: Kind) -> ColumnRule {
        ColumnRule {
            name: name.into(),
            kind: Some(kind),
            required: true,
            max_null_share: Some(0.1),
            range: None,
            domain: None,
        }
    }

    fn contract(columns: Vec<ColumnRule>) -> Contract {
        Contract::from_json(&format!("{{\"format\": \"{CONTRACT_FORMAT}\"}}"))
            .map(|c| Contract { columns, ..c })
            .unwrap()
    }

    fn numbers(values: &[f64], nulls: u64) -> ColumnFacts {
        ColumnFacts {
            kind: Some(Kind::Numeric),
            dtype: "f64".into(),
            rows: values.len() as u64 + nulls,
            nulls,
            values: Values::Numbers {
                sorted: values.to_vec(),
                infinite: 0,
            },
        }
    }

    fn table(columns: Vec<(&str, ColumnFacts)>) -> Observed {
        Observed {
            source: "today.csv".into(),
            rows: columns.first().map_or(0, |(_, f)| f.rows),
            names: columns.iter().map(|(n, _)| n.to_string()).collect(),
            columns: columns
                .into_iter()
                .map(|(n, f)| (n.to_string(), f))
                .collect(),
            ..Observed::default()
        }
    }

    fn only(checked: &Checked) -> &Violation {
        assert_eq!(checked.violations.len(), 1, "{:?}", checked.violations);
        &checked.violations[0]
    }

    #[test]
    fn a_missing_required_column_is_an_error_and_an_optional_one_is_fine() {
        let mut c = contract(vec![rule("cpu", Kind::Numeric), rule("mem", Kind::Numeric)]);
        let data = table(vec![("cpu", numbers(&[1.0], 0))]);
        let checked = check(&c, &data, 0);
        let v = only(&checked);
        assert_eq!(
            (v.check, v.severity),
            (Check::RequiredColumn, Severity::Error)
        );
        assert_eq!(v.observed, "missing; columns are: cpu");
        assert_eq!(checked.status(), Status::Fail);
        c.columns[1].required = false;
        assert!(check(&c, &data, 0).violations.is_empty());
    }

    #[test]
    fn extra_columns_only_when_not_allowed() {
        let mut c = contract(vec![rule("cpu", Kind::Numeric)]);
        let data = table(vec![
            ("cpu", numbers(&[1.0], 0)),
            ("new", numbers(&[1.0], 0)),
        ]);
        assert!(check(&c, &data, 0).violations.is_empty());
        c.allow_extra_columns = false;
        let checked = check(&c, &data, 0);
        assert_eq!(only(&checked).column.as_deref(), Some("new"));
    }

    #[test]
    fn a_changed_type_names_both() {
        let c = contract(vec![rule("cpu", Kind::Numeric)]);
        let mut text = numbers(&[], 0);
        text.kind = Some(Kind::Categorical);
        text.dtype = "str".into();
        text.rows = 3;
        text.values = Values::Categories(BTreeMap::from([("12".to_string(), 3)]));
        let checked = check(&c, &table(vec![("cpu", text)]), 0);
        let v = only(&checked);
        assert_eq!(
            (v.expected.as_str(), v.observed.as_str()),
            ("numeric", "categorical (str)")
        );
    }

    #[test]
    fn null_shares_above_the_limit() {
        let c = contract(vec![rule("cpu", Kind::Numeric)]);
        let checked = check(&c, &table(vec![("cpu", numbers(&[1.0, 2.0, 3.0], 1))]), 0);
        let v = only(&checked);
        assert_eq!(v.observed, "25.00% null (1 of 4 rows)");
        assert_eq!(v.expected, "at most 10.00% null");
    }

    #[test]
    fn values_outside_the_range_and_infinities_warn() {
        let mut r = rule("cpu", Kind::Numeric);
        r.range = Some(Range {
            min: 0.0,
            max: 10.0,
        });
        let c = contract(vec![r]);
        let mut facts = numbers(&[-1.0, 0.0, 10.0, 11.0], 0);
        facts.values = Values::Numbers {
            sorted: vec![-1.0, 0.0, 10.0, 11.0],
            infinite: 1,
        };
        let checked = check(&c, &table(vec![("cpu", facts)]), 0);
        let v = only(&checked);
        assert_eq!(v.severity, Severity::Warning);
        assert_eq!(
            v.observed,
            "3 of 5 values outside, 1 infinite; min -1, max 11"
        );
        assert_eq!(checked.status(), Status::Warn);
    }

    #[test]
    fn a_profiles_extremes_tell_whether_a_value_is_out_of_range() {
        let mut r = rule("cpu", Kind::Numeric);
        r.range = Some(Range {
            min: 0.0,
            max: 10.0,
        });
        let c = contract(vec![r]);
        let extremes = |min: f64, max: f64, infinite: u64| {
            let mut facts = numbers(&[], 0);
            facts.values = Values::Extremes {
                min: Some(min),
                max: Some(max),
                infinite,
            };
            table(vec![("cpu", facts)])
        };
        assert!(check(&c, &extremes(0.0, 10.0, 0), 0).violations.is_empty());
        let checked = check(&c, &extremes(0.0, 11.0, 0), 0);
        assert_eq!(
            only(&checked).observed,
            "values outside (min 0, max 11; a profile does not count them)"
        );
        assert_eq!(check(&c, &extremes(1.0, 2.0, 2), 0).violations.len(), 1);
    }

    #[test]
    fn a_present_column_without_facts_is_not_judged() {
        let c = contract(vec![rule("cpu", Kind::Numeric)]);
        let mut observed = table(vec![]);
        observed.names = vec!["cpu".to_string()];
        let checked = check(&c, &observed, 0);
        assert!(checked.violations.is_empty(), "{:?}", checked.violations);
    }

    #[test]
    fn unseen_categories_beyond_their_share() {
        let mut r = rule("region", Kind::Categorical);
        r.domain = Some(Domain {
            values: ["east".to_string(), "west".to_string()].into(),
            max_unseen_share: 0.1,
        });
        let c = contract(vec![r]);
        let counts = BTreeMap::from([
            ("east".to_string(), 6),
            ("mars".to_string(), 1),
            ("moon".to_string(), 3),
        ]);
        let facts = ColumnFacts {
            kind: Some(Kind::Categorical),
            dtype: "str".into(),
            rows: 10,
            nulls: 0,
            values: Values::Categories(counts),
        };
        let checked = check(&c, &table(vec![("region", facts)]), 0);
        assert_eq!(
            only(&checked).observed,
            "40.00% unseen (4 of 10): moon (3), mars (1)"
        );
    }

    #[test]
    fn row_bounds_keys_and_freshness() {
        let mut c = contract(vec![rule("id", Kind::Numeric), rule("ts", Kind::Timestamp)]);
        c.rows = RowBounds {
            min: Some(5),
            max: None,
        };
        c.key = vec!["id".into()];
        c.time_column = Some("ts".into());
        c.freshness = Some(Freshness {
            max_age: Span::from_millis(2 * MS_PER_DAY),
        });
        let mut ts = numbers(&[], 0);
        ts.kind = Some(Kind::Timestamp);
        ts.rows = 3;
        let mut data = table(vec![("id", numbers(&[1.0, 1.0, 2.0], 0)), ("ts", ts)]);
        data.key = Some(KeyFacts {
            duplicates: 1,
            nulls: 0,
            example: Some("1".into()),
        });
        data.time = Some(TimeFacts {
            latest: Some(MS_PER_DAY),
            unparsed: 0,
        });
        let now = 5 * MS_PER_DAY + 3_600_000;
        let checked = check(&c, &data, now);
        let got: Vec<(Check, &str)> = checked
            .violations
            .iter()
            .map(|v| (v.check, v.observed.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                (Check::RowCount, "3 rows"),
                (
                    Check::UniqueKey,
                    "1 duplicate key (the first: 1), 0 rows with a null key"
                ),
                (Check::Freshness, "1970-01-02T00:00:00Z, 4d 1h old"),
            ]
        );
        assert!(check(&c, &data, 2 * MS_PER_DAY).violations.len() == 2);
    }

    #[test]
    fn entities_short_of_history_rows_or_with_gaps() {
        let mut c = contract(vec![]);
        c.entities = Some(EntityRules {
            column: "server".into(),
            min_history: Some(Span::from_millis(7 * MS_PER_DAY)),
            min_rows: Some(3),
            max_gap: Some(Span::from_millis(2 * MS_PER_DAY)),
        });
        let mut data = table(vec![]);
        data.time = Some(TimeFacts::default());
        let entity = |name: &str, rows, first, last, gap| EntityFacts {
            entity: name.into(),
            rows,
            first: Some(first * MS_PER_DAY),
            last: Some(last * MS_PER_DAY),
            largest_gap: Some(gap),
        };
        data.entities = Some(vec![
            entity("good", 10, 0, 8, (0, MS_PER_DAY)),
            entity("young", 2, 6, 8, (6 * MS_PER_DAY, 8 * MS_PER_DAY)),
            entity("holey", 5, 0, 9, (MS_PER_DAY, 7 * MS_PER_DAY)),
        ]);
        let checked = check(&c, &data, 0);
        let got: Vec<(&str, Check)> = checked
            .violations
            .iter()
            .map(|v| (v.entity.as_deref().unwrap(), v.check))
            .collect();
        assert_eq!(
            got,
            [
                ("young", Check::EntityHistory),
                ("young", Check::EntityRows),
                ("holey", Check::EntityGap),
            ]
        );
        assert_eq!(
            checked.violations[2].observed,
            "6d (1970-01-02T00:00:00Z to 1970-01-08T00:00:00Z)"
        );
        assert_eq!(checked.summary.checks, 9);
        assert_eq!(checked.summary.warnings, 3);
    }

    #[test]
    fn durations_read_as_people_write_them() {
        assert_eq!(humanize(4 * MS_PER_DAY + 7 * 3_600_000 + 5_000), "4d 7h");
        assert_eq!(humanize(125 * 60_000), "2h 5m");
        assert_eq!(humanize(45_000), "45s");
        assert_eq!(humanize(10), "10ms");
        assert_eq!(humanize(0), "0s");
    }
}
