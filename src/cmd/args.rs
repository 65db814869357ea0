//! Flag groups several commands share, and the value parsers that turn flag text into domain
//! types at the edge (the domain enums carry no clap derives).

use std::path::PathBuf;
use std::str::FromStr;

use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use clap::Args;
use serde::{Serialize, Serializer};

use crate::data::time::parse_duration;
use crate::drift::Method;
use crate::metrics::{Metric, ThresholdRule};
use crate::registry::layout::parse_version_arg;
use crate::registry::notify::{Endpoint, Notifier, PayloadFormat};
use crate::shadow::Floor;

/// Where the registry lives and how long to wait for its lock.
#[derive(Debug, Clone, Args, Serialize)]
pub struct RegistryLocation {
    /// Registry directory.
    #[arg(long, env = "REFIT_REGISTRY", value_name = "DIR")]
    pub registry: PathBuf,
    /// How long to wait for another refit holding the registry's lock (30s, 2m).
    #[arg(long, default_value = "30s", value_name = "DURATION", value_parser = duration)]
    pub wait: DurationArg,
}

/// Where and how to tell another service what happened: promote, rollback and notify share
/// these flags (no environment fallbacks: a webhook is named on the command line).
#[derive(Debug, Clone, Args, Serialize)]
pub struct NotifyOptions {
    /// POST the event (a promotion, a rollback, notify's --event) to this URL, after any change
    /// is committed; checked before anything changes: http[s]://HOST[:PORT][/PATH]. Redirects
    /// are not followed.
    #[arg(long, value_name = "URL", value_parser = notify_url)]
    pub notify: Option<Endpoint>,
    /// Trust only the CA certificates in this PEM bundle for an https --notify URL, instead of
    /// the Mozilla roots built into refit (a private CA).
    #[arg(long, value_name = "PEM", requires = "notify")]
    pub notify_ca: Option<PathBuf>,
    /// The body of --notify: the event's JSON object, or {"text": one line} for Slack-compatible
    /// incoming webhooks.
    #[arg(long, default_value = "json", value_name = "FORMAT", requires = "notify",
          value_parser = choice::<PayloadFormat>(notify_format_values()))]
    pub notify_format: PayloadFormat,
    /// Time allowed for each --notify attempt as a whole: connect, TLS handshake, send and
    /// answer (1s to 10m).
    #[arg(long, default_value = "5s", value_name = "DURATION", value_parser = http_timeout)]
    pub notify_timeout: DurationArg,
    /// Attempts of --notify, 1 to 10; the pause between them doubles from 0.2s up to 5s.
    #[arg(long, default_value_t = 3, value_name = "N",
          value_parser = clap::value_parser!(u32).range(1..=10))]
    pub notify_attempts: u32,
}

impl NotifyOptions {
    /// The notifier with its trust store loaded, or None without --notify; called before
    /// anything changes, so an unreadable --notify-ca stops the run while nothing is committed.
    pub fn notifier(&self) -> anyhow::Result<Option<Notifier>> {
        self.notify
            .clone()
            .map(|endpoint| {
                Notifier::new(
                    endpoint,
                    self.notify_ca.as_deref(),
                    self.notify_timeout.as_std(),
                    self.notify_attempts,
                    self.notify_format,
                )
            })
            .transpose()
    }
}

/// --notify: a URL refit can call, so a bad one is refused before any promotion.
fn notify_url(text: &str) -> Result<Endpoint, String> {
    text.parse()
}

/// --notify-timeout and --pushgateway-timeout: a duration from 1s to 10m.
pub fn http_timeout(text: &str) -> Result<DurationArg, String> {
    let timeout = duration(text)?;
    if (1_000..=600_000).contains(&timeout.millis()) {
        Ok(timeout)
    } else {
        Err(format!("{text} is not between 1s and 10m"))
    }
}

pub fn notify_format_values() -> Vec<PossibleValue> {
    values(&[
        ("json", Some("The event's JSON object")),
        (
            "slack",
            Some("{\"text\": one line}, for Slack-compatible incoming webhooks"),
        ),
    ])
}

/// A domain enum's value parser: the listed choices (shown in --help), converted by `FromStr`.
pub fn choice<T>(values: Vec<PossibleValue>) -> impl TypedValueParser<Value = T>
where
    T: FromStr<Err = String> + Clone + Send + Sync + 'static,
{
    PossibleValuesParser::new(values).try_map(|text| text.parse::<T>())
}

fn values(named: &[(&'static str, Option<&'static str>)]) -> Vec<PossibleValue> {
    named
        .iter()
        .map(|&(name, help)| {
            let value = PossibleValue::new(name);
            match help {
                Some(help) => value.help(help),
                None => value,
            }
        })
        .collect()
}

pub fn format_values() -> Vec<PossibleValue> {
    values(&[("text", None), ("json", None)])
}

pub fn fail_on_values() -> Vec<PossibleValue> {
    values(&[
        ("fail", Some("Only FAIL exits non-zero (2); WARN exits 0")),
        ("warn", Some("WARN exits 3, FAIL exits 2")),
    ])
}

pub fn task_values() -> Vec<PossibleValue> {
    values(&[("binary", None), ("regression", None)])
}

pub fn model_kind_values() -> Vec<PossibleValue> {
    values(&[
        ("gbm", Some("Gradient-boosted trees (forust-ml)")),
        (
            "linear",
            Some("Logistic (binary) or ridge (regression) regression"),
        ),
    ])
}

pub fn method_values() -> Vec<PossibleValue> {
    Method::ALL
        .iter()
        .map(|m| PossibleValue::new(m.name()).help(m.describe()))
        .collect()
}

pub fn correction_values() -> Vec<PossibleValue> {
    values(&[
        ("bonferroni", Some("Family-wise error control: p * m")),
        (
            "bh",
            Some("Benjamini-Hochberg false discovery rate (statsmodels' `fdr_bh`)"),
        ),
        ("none", Some("Raw p-values")),
    ])
}

/// A duration flag (30s, 15m, 24h, 7d, 2w): its text for the report, its length for the code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DurationArg {
    text: String,
    millis: i64,
}

impl DurationArg {
    pub fn millis(&self) -> i64 {
        self.millis
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn as_std(&self) -> std::time::Duration {
        std::time::Duration::from_millis(u64::try_from(self.millis).unwrap_or(0))
    }
}

impl Serialize for DurationArg {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

/// The value parser of every duration flag, so a bad duration is a usage error naming the flag.
pub fn duration(text: &str) -> Result<DurationArg, String> {
    let millis = parse_duration(text).map_err(|e| format!("{e:#}"))?;
    Ok(DurationArg {
        text: text.to_string(),
        millis,
    })
}

/// Checks a command's own output path before any work, like the global outputs.
pub fn check_output(flag: &str, path: &std::path::Path) -> anyhow::Result<()> {
    crate::report::output::check_destination(flag, path)
}

/// A registry version: 7 or v000007.
pub fn version(text: &str) -> Result<u32, String> {
    parse_version_arg(text).map_err(|e| format!("{e:#}"))
}

/// A metric name (roc_auc, pr_auc, mae...); which metrics fit is the command's to check.
pub fn metric(text: &str) -> Result<Metric, String> {
    text.parse()
}

/// A `--min-metric NAME=VALUE` floor, checked here and kept as written for the report.
pub fn floor(text: &str) -> Result<String, String> {
    text.parse::<Floor>().map_err(|e| e.to_string())?;
    Ok(text.to_string())
}

fn number(text: &str) -> Result<f64, String> {
    let value: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("`{text}` is not a number"))?;
    if value.is_finite() {
        Ok(value)
    } else {
        Err(format!("{text} is not a finite number"))
    }
}

/// A duration longer than zero (a timeout of 0 would kill a trainer before it starts).
pub fn positive_duration(text: &str) -> Result<DurationArg, String> {
    let parsed = duration(text)?;
    if parsed.millis > 0 {
        Ok(parsed)
    } else {
        Err(format!("{text} must be longer than zero"))
    }
}

/// How train-candidate picks the decision threshold: f1, youden or fixed:X.
pub fn threshold_rule(text: &str) -> Result<ThresholdRule, String> {
    text.parse().map_err(|e: anyhow::Error| format!("{e:#}"))
}

/// A share in [0, 1] (coverage, bands), checked once by clap.
pub fn share(text: &str) -> Result<f64, String> {
    let value = number(text)?;
    if (0.0..=1.0).contains(&value) {
        Ok(value)
    } else {
        Err(format!("{value} is not a share between 0 and 1"))
    }
}

/// A share in (0, 1]: zero would switch the rule off.
pub fn positive_share(text: &str) -> Result<f64, String> {
    match share(text)? {
        v if v > 0.0 => Ok(v),
        v => Err(format!("{v} must be above 0 and at most 1")),
    }
}

/// A fraction strictly between 0 and 1 (a holdout share).
pub fn open_fraction(text: &str) -> Result<f64, String> {
    match share(text)? {
        v if v > 0.0 && v < 1.0 => Ok(v),
        v => Err(format!("{v} must be strictly between 0 and 1")),
    }
}

/// A probability threshold in [0, 1].
pub fn probability(text: &str) -> Result<f64, String> {
    share(text).map_err(|_| format!("`{text}` is not a probability between 0 and 1"))
}

/// A limit, tolerance or distance: a finite number >= 0 (NaN would switch a gate off).
pub fn non_negative(text: &str) -> Result<f64, String> {
    match number(text)? {
        v if v >= 0.0 => Ok(v),
        v => Err(format!("{v} must be 0 or more")),
    }
}

/// Bootstrap resamples: enough for a stable 95% interval, bounded so a run ends.
pub const MAX_RESAMPLES: usize = 100_000;

pub fn resamples(text: &str) -> Result<usize, String> {
    let value: usize = text
        .trim()
        .parse()
        .map_err(|_| format!("`{text}` is not a whole number"))?;
    if value <= MAX_RESAMPLES {
        Ok(value)
    } else {
        Err(format!("{value} is more than {MAX_RESAMPLES} resamples"))
    }
}

/// A step size or scale: a finite number > 0.
pub fn positive(text: &str) -> Result<f64, String> {
    match number(text)? {
        v if v > 0.0 => Ok(v),
        v => Err(format!("{v} must be above 0")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_keep_their_text_for_the_report() {
        let d = duration("2m").unwrap();
        assert_eq!(d.millis(), 120_000);
        assert_eq!(serde_json::to_value(&d).unwrap(), "2m");
        assert!(duration("soon").is_err());
    }

    #[test]
    fn shares_are_range_checked() {
        assert_eq!(share("1.0"), Ok(1.0));
        assert!(share("1.5").is_err());
        assert!(share("-0.1").is_err());
        assert!(share("NaN").is_err());
        assert!(positive_share("0").is_err());
        assert!(open_fraction("1").is_err() && open_fraction("0").is_err());
        assert_eq!(open_fraction("0.2"), Ok(0.2));
    }

    #[test]
    fn gate_values_that_would_switch_a_gate_off_are_refused() {
        assert!(non_negative("NaN").is_err());
        assert!(non_negative("-1").is_err());
        assert_eq!(non_negative("0"), Ok(0.0));
        assert!(positive("0").is_err());
        assert!(probability("1.5").is_err());
        assert!(number("inf").is_err());
    }
}
