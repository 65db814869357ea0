//! Time columns and durations: timestamps become UTC milliseconds since the epoch.

use anyhow::{bail, Context, Result};
use chrono::{DateTime, NaiveDate, NaiveDateTime};
use polars::prelude::{Column, DataType, TimeUnit};

pub const MS_PER_DAY: i64 = 86_400_000;

/// Parses `30d`, `24h`, `90m`, `45s`, `2w` (and `0`) into milliseconds; a value too large
/// for milliseconds in an `i64` (about 292 million years) is an error naming it.
pub fn parse_duration(text: &str) -> Result<i64> {
    let text = text.trim();
    if text == "0" {
        return Ok(0);
    }
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    if number.is_empty() {
        bail!("duration `{text}`: expected a number and a unit, e.g. 30d, 24h, 15m");
    }
    let unit_ms = match unit {
        "w" => 7 * MS_PER_DAY,
        "d" => MS_PER_DAY,
        "h" => 3_600_000,
        "m" => 60_000,
        "s" => 1_000,
        _ => bail!("duration `{text}`: unknown unit `{unit}`; use w, d, h, m or s"),
    };
    number
        .parse::<i64>()
        .ok()
        .and_then(|n| n.checked_mul(unit_ms))
        .with_context(|| {
            format!("duration `{text}` is too large; the limit is about 292 million years")
        })
}

/// `time_ms` moved by `by_ms` (a horizon, a tolerance, a window), or an error when the result
/// leaves the range of millisecond timestamps. Callers add the flag or file as context.
pub fn shift_ms(time_ms: i64, by_ms: i64) -> Result<i64> {
    time_ms.checked_add(by_ms).with_context(|| {
        format!(
            "{} moved by {by_ms} ms is outside the range of timestamps (about 292 million \
             years either side of 1970)",
            format_ms(time_ms)
        )
    })
}

/// Parses one timestamp string: RFC 3339 (with offset), `YYYY-MM-DD HH:MM:SS[.f]` (UTC) or
/// `YYYY-MM-DD` (midnight UTC).
pub fn parse_timestamp(text: &str) -> Option<i64> {
    let text = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.timestamp_millis());
    }
    for format in ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(text, format) {
            return Some(t.and_utc().timestamp_millis());
        }
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc().timestamp_millis())
}

/// Milliseconds since the epoch per row (`None` for nulls). Dates, datetimes (any unit; a
/// time zone is honoured by Polars' physical UTC value) and strings are accepted.
/// Returns the values and the number of rows whose string did not parse.
pub fn timestamps_ms(column: &Column) -> Result<(Vec<Option<i64>>, usize)> {
    let name = column.name().to_string();
    match column.dtype() {
        DataType::Date => {
            let days = column.cast(&DataType::Int32)?;
            let ca = days.as_materialized_series().i32()?.clone();
            Ok((
                ca.iter()
                    .map(|d| d.map(|d| i64::from(d) * MS_PER_DAY))
                    .collect(),
                0,
            ))
        }
        DataType::Datetime(unit, _) => {
            let divisor = match unit {
                TimeUnit::Milliseconds => 1,
                TimeUnit::Microseconds => 1_000,
                TimeUnit::Nanoseconds => 1_000_000,
            };
            let raw = column.cast(&DataType::Int64)?;
            let ca = raw.as_materialized_series().i64()?.clone();
            Ok((
                ca.iter()
                    .map(|v| v.map(|v| v.div_euclid(divisor)))
                    .collect(),
                0,
            ))
        }
        DataType::String => {
            let ca = column.as_materialized_series().str()?.clone();
            let mut unparsed = 0;
            let values = ca
                .iter()
                .map(|v| {
                    v.and_then(|s| {
                        let parsed = parse_timestamp(s);
                        if parsed.is_none() {
                            unparsed += 1;
                        }
                        parsed
                    })
                })
                .collect();
            Ok((values, unparsed))
        }
        other => bail!(
            "column `{name}` has type {other}; expected a date, a datetime or an ISO 8601 string"
        ),
    }
}

/// Timestamps of a whole table's column; strings that do not parse are an error that counts them.
pub fn table_timestamps(
    table: &crate::data::read::LoadedTable,
    column: &str,
) -> Result<Vec<Option<i64>>> {
    let mut unparsed = 0;
    let values = table.map_column(column, |c| {
        let (values, bad) =
            timestamps_ms(c).with_context(|| format!("reading times from {}", table.source))?;
        unparsed += bad;
        Ok(values)
    })?;
    if unparsed > 0 {
        bail!(
            "time column `{column}` in {}: {unparsed} rows are not timestamps (expected ISO 8601, e.g. 2026-11-23 or 2026-11-23T08:00:00Z)",
            table.source
        );
    }
    Ok(values)
}

pub fn format_ms(ms: i64) -> String {
    DateTime::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_else(|| ms.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30d").unwrap(), 30 * MS_PER_DAY);
        assert_eq!(parse_duration("24h").unwrap(), MS_PER_DAY);
        assert_eq!(parse_duration("0").unwrap(), 0);
        assert!(parse_duration("30 days").is_err());
        assert!(parse_duration("d").is_err());
        assert!(parse_duration("").is_err());
    }

    #[test]
    fn huge_durations_and_shifts_are_errors_not_overflows() {
        assert_eq!(
            parse_duration("15250284452w").unwrap(),
            15_250_284_452 * 7 * MS_PER_DAY
        );
        let err = format!("{:#}", parse_duration("999999999999w").unwrap_err());
        assert!(err.contains("`999999999999w` is too large"), "{err}");
        let err = format!("{:#}", parse_duration("99999999999999999999s").unwrap_err());
        assert!(err.contains("too large"), "{err}");
        let horizon = parse_duration("106751991000d").unwrap();
        assert!(shift_ms(parse_timestamp("2026-01-01").unwrap(), horizon).is_err());
        assert_eq!(shift_ms(1_000, -MS_PER_DAY).unwrap(), 1_000 - MS_PER_DAY);
    }

    #[test]
    fn timestamps_in_several_forms_and_zones() {
        let day = parse_timestamp("2026-01-02").unwrap();
        assert_eq!(day, 20_455 * MS_PER_DAY);
        assert_eq!(parse_timestamp("2026-01-02T00:00:00Z"), Some(day));
        assert_eq!(parse_timestamp("2026-01-02T01:00:00+01:00"), Some(day));
        assert_eq!(parse_timestamp("2026-01-02 00:00:00"), Some(day));
        assert_eq!(parse_timestamp("yesterday"), None);
    }
}
