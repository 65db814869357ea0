//! validate's JSON result, text and Prometheus gauges, all from one [`Checked`].

use serde::Serialize;

use super::check::{Checked, Summary, Violation};
use crate::report::prometheus::Gauges;
use crate::report::table::{escape_controls, render_table};
use crate::report::Status;

/// The report's `result`; field order is the JSON key order.
#[derive(Debug, Serialize)]
pub struct ValidateResult<'a> {
    /// `check` (data against a contract) or `infer` (a contract written, and its baseline
    /// checked against it).
    pub mode: &'static str,
    /// The contract file checked against, or written.
    pub contract: String,
    pub summary: Summary,
    pub violations: &'a [Violation],
}

/// "validate FAIL: today.csv breaks contract.json: 2 violations (1 error, 1 warning) in 40
/// checks".
pub fn check_headline(checked: &Checked, data: &str, contract: &str) -> String {
    let status = checked.status();
    match status {
        Status::Ok => format!(
            "validate OK: {data} keeps {contract} ({} checks)",
            checked.summary.checks
        ),
        _ => format!(
            "validate {}: {data} breaks {contract}: {}",
            status.as_str(),
            counts(&checked.summary)
        ),
    }
}

/// "validate OK: contract inferred from train.csv -> contract.json (9 columns); the baseline
/// keeps it (31 checks)".
pub fn infer_headline(checked: &Checked, data: &str, out: &str, columns: usize) -> String {
    let status = checked.status();
    let verdict = match status {
        Status::Ok => format!("the baseline keeps it ({} checks)", checked.summary.checks),
        _ => format!("the baseline breaks it: {}", counts(&checked.summary)),
    };
    format!(
        "validate {}: contract inferred from {data} -> {out} ({columns} columns); {verdict}",
        status.as_str()
    )
}

fn counts(s: &Summary) -> String {
    format!(
        "{} ({}, {}) in {} checks",
        plural(s.violations, "violation"),
        plural(s.errors, "error"),
        plural(s.warnings, "warning"),
        s.checks
    )
}

fn plural(n: u64, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// The headline, then one line per violation (up to `limit`), then the notes.
pub fn render_text(headline: &str, checked: &Checked, limit: usize, notes: &[String]) -> String {
    let mut out = format!("{headline}\n");
    if !checked.violations.is_empty() {
        let rows: Vec<Vec<String>> = checked
            .violations
            .iter()
            .take(limit)
            .map(|v| {
                [
                    v.severity.as_str(),
                    &subject(v),
                    v.check.as_str(),
                    &v.expected,
                    &v.observed,
                ]
                .iter()
                .map(|cell| escape_controls(cell).into_owned())
                .collect()
            })
            .collect();
        let header = ["severity", "column", "check", "expected", "observed"];
        out.push('\n');
        out.push_str(&render_table(&header, &rows));
        let hidden = checked.violations.len().saturating_sub(limit);
        if hidden > 0 {
            out.push_str(&format!(
                "... and {hidden} more violations (the JSON report lists them all)\n"
            ));
        }
    }
    for note in notes {
        out.push_str(&format!("note: {}\n", escape_controls(note)));
    }
    out
}

/// `region`, `server_id=s7` for an entity, `(rows)` for the row count.
fn subject(v: &Violation) -> String {
    match (&v.column, &v.entity) {
        (Some(column), Some(entity)) => format!("{column}={entity}"),
        (Some(column), None) => column.clone(),
        (None, Some(entity)) => entity.clone(),
        (None, None) => "(rows)".to_string(),
    }
}

/// `refit_validate_violations{severity}` and `refit_validate_checks`.
pub fn gauges(summary: &Summary) -> Gauges {
    let mut gauges = Gauges::default();
    let help = "Data contract violations the last validate found, by severity.";
    for (severity, count) in [("error", summary.errors), ("warning", summary.warnings)] {
        gauges.gauge(
            "refit_validate_violations",
            help,
            &[("severity", severity)],
            count as f64,
        );
    }
    gauges.gauge(
        "refit_validate_checks",
        "Data contract rules the last validate evaluated.",
        &[],
        summary.checks as f64,
    );
    gauges
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::format::{Check, Severity};

    fn checked() -> Checked {
        let violation = |column: &str, entity: Option<&str>, severity| Violation {
            column: Some(column.into()),
            entity: entity.map(String::from),
            check: Check::Domain,
            expected: "at most 0.00% of values outside the 2 known".into(),
            observed: "50.00% unseen (1 of 2): \u{1b}[31mred (1)".into(),
            severity,
        };
        Checked {
            summary: Summary {
                checks: 12,
                violations: 2,
                errors: 1,
                warnings: 1,
            },
            violations: vec![
                violation("region", None, Severity::Error),
                violation("server", Some("s1"), Severity::Warning),
            ],
        }
    }

    #[test]
    fn the_text_is_a_verdict_then_one_line_per_violation() {
        let c = checked();
        let text = render_text(&check_headline(&c, "today.csv", "c.json"), &c, 1, &[]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "validate FAIL: today.csv breaks c.json: 2 violations (1 error, 1 warning) in 12 checks"
        );
        assert!(lines[2].starts_with("severity  column  check"), "{text}");
        assert!(lines[3].contains("\\u{1b}[31mred"), "{text}");
        assert_eq!(
            lines[4],
            "... and 1 more violations (the JSON report lists them all)"
        );
        let all = render_text("x", &c, 10, &["a note".into()]);
        assert!(all.contains("server=s1"), "{all}");
        assert!(all.ends_with("note: a note\n"), "{all}");
    }

    #[test]
    fn gauges_by_severity() {
        let text = gauges(&checked().summary).render();
        assert!(
            text.contains("refit_validate_violations{severity=\"error\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("refit_validate_violations{severity=\"warning\"} 1"),
            "{text}"
        );
        assert!(text.contains("refit_validate_checks 12"), "{text}");
    }
}
