//! What shadow-test demands of the challenger, settled once from the flags: the deciding
//! metric, the tolerance, the bootstrap and sample-size demands, coverage and floors.

use std::fmt;
use std::num::ParseFloatError;
use std::str::FromStr;

use anyhow::{bail, Context, Result};
use serde::{Serialize, Serializer};

use super::decide::{describe_rule, meets_floor, Tolerance};
use crate::metrics::metric::DECISION_METRICS;
use crate::metrics::ranking::RANKING_CHOICES;
use crate::metrics::Metric;
use crate::model::Task;

/// The settings [`super::verdict::judge`] applies to the evidence.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub metric: Metric,
    pub tolerance: Tolerance,
    /// PASS also needs the bootstrap interval of the improvement above minus the margin.
    pub require_significant: bool,
    /// Fewer rows than this is FAIL "insufficient evidence".
    pub min_samples: usize,
    /// Least share of the data's entities the challenger must know.
    pub min_coverage: Option<f64>,
    /// Validation minimums the challenger must meet, with or without a champion.
    pub floors: Vec<Floor>,
}

impl Rule {
    /// The rule in words, for the report and the text output.
    pub fn describe(&self) -> String {
        describe_rule(self.metric, self.tolerance, self.require_significant)
    }
}

/// The metric to decide on: --metric, else the default (ndcg_at_10 with `grouped` rows, the
/// task's otherwise); a ranking metric exactly when rows are grouped, else one the paired
/// bootstrap computes that fits the model's task.
pub fn deciding_metric(metric: Option<Metric>, task: Task, grouped: bool) -> Result<Metric> {
    let metric = match (metric, grouped) {
        (Some(metric), _) => metric,
        (None, true) => {
            Metric::parse(DEFAULT_RANKING_METRIC).context("the default ranking metric")?
        }
        (None, false) => Metric::default_for(task),
    };
    check_grouping(metric, grouped, "--metric")?;
    if metric.ranking().is_some() {
        return Ok(metric);
    }
    if !Metric::DECISION.contains(&metric) {
        bail!("--metric {metric}: choose one of {DECISION_METRICS}");
    }
    if metric.task() != task {
        bail!("--metric {metric} does not fit a {} model", task.name());
    }
    Ok(metric)
}

/// The metric that decides with --group when --metric is not given.
pub const DEFAULT_RANKING_METRIC: &str = "ndcg_at_10";

/// Ranking metrics need --group, and with --group only ranking metrics are computed.
pub fn check_grouping(metric: Metric, grouped: bool, flag: &str) -> Result<()> {
    match (metric.ranking().is_some(), grouped) {
        (true, false) => bail!(
            "{flag} {metric} is a ranking metric: pass --group COL, the query/user column whose \
             rows are ranked by score"
        ),
        (false, true) => bail!(
            "{flag} {metric}: with --group rows are ranked per group; choose a ranking metric \
             ({RANKING_CHOICES})"
        ),
        _ => Ok(()),
    }
}

/// A --min-metric floor, `NAME=VALUE`: at least `value` in the metric's direction.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Floor {
    pub metric: Metric,
    pub value: f64,
}

impl Floor {
    /// "At least as good as" the floor, in the metric's direction.
    pub fn is_met_by(self, observed: f64) -> bool {
        meets_floor(self.metric, observed, self.value)
    }
}

/// Why a --min-metric value does not parse; worded to follow "--min-metric SPEC: ".
#[derive(Debug)]
pub enum FloorError {
    NotNameValue,
    UnknownMetric,
    NotANumber {
        text: String,
        source: ParseFloatError,
    },
    /// NaN or infinite: a floor nothing can meet, or one everything meets.
    NotFinite(String),
}

impl fmt::Display for FloorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FloorError::NotNameValue => f.write_str("expected NAME=VALUE, e.g. pr_auc=0.4"),
            FloorError::UnknownMetric => {
                write!(
                    f,
                    "unknown metric; choose one of {DECISION_METRICS}, or with --group \
                     {RANKING_CHOICES}"
                )
            }
            FloorError::NotANumber { text, .. } => write!(f, "`{text}` is not a number"),
            FloorError::NotFinite(text) => write!(f, "`{text}` is not a finite number"),
        }
    }
}

impl std::error::Error for FloorError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            FloorError::NotANumber { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// Parses `NAME=VALUE` (spaces around either side allowed), for clap's value parser.
impl FromStr for Floor {
    type Err = FloorError;

    fn from_str(spec: &str) -> Result<Floor, FloorError> {
        let (name, value) = spec.split_once('=').ok_or(FloorError::NotNameValue)?;
        let metric = Metric::parse(name.trim())
            .filter(|m| Metric::DECISION.contains(m) || m.ranking().is_some())
            .ok_or(FloorError::UnknownMetric)?;
        let value = value
            .trim()
            .parse()
            .map_err(|source| FloorError::NotANumber {
                text: value.to_string(),
                source,
            })?;
        if !f64::is_finite(value) {
            return Err(FloorError::NotFinite(spec.to_string()));
        }
        Ok(Floor { metric, value })
    }
}

/// `NAME=VALUE` again (the value as Rust prints it: `pr_auc=1.0` shows as `pr_auc=1`).
impl fmt::Display for Floor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}", self.metric, self.value)
    }
}

impl Serialize for Floor {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Every --min-metric value, each error prefixed with the flag and its value.
pub fn parse_floors(specs: &[String]) -> Result<Vec<Floor>> {
    specs
        .iter()
        .map(|spec| {
            spec.parse::<Floor>()
                .map_err(|e| anyhow::Error::new(e).context(format!("--min-metric {spec}")))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn floors_error(spec: &str) -> String {
        format!("{:#}", parse_floors(&[spec.to_string()]).unwrap_err())
    }

    #[test]
    fn floors_parse_with_spaces_and_keep_their_order() {
        let specs = ["pr_auc=0.4".to_string(), " mae = 12 ".to_string()];
        let floors = parse_floors(&specs).unwrap();
        assert_eq!(
            floors,
            [
                Floor {
                    metric: Metric::PrAuc,
                    value: 0.4
                },
                Floor {
                    metric: Metric::Mae,
                    value: 12.0
                },
            ]
        );
        assert_eq!(floors[1].to_string(), "mae=12");
        assert_eq!(serde_json::to_value(floors[0]).unwrap(), "pr_auc=0.4");
        assert!(floors[0].is_met_by(0.4) && !floors[1].is_met_by(12.5));
    }

    #[test]
    fn floor_errors_name_the_flag_and_the_fix() {
        assert_eq!(
            floors_error("pr_auc"),
            "--min-metric pr_auc: expected NAME=VALUE, e.g. pr_auc=0.4"
        );
        assert_eq!(
            floors_error("auc=0.4"),
            format!(
                "--min-metric auc=0.4: unknown metric; choose one of {DECISION_METRICS}, or with \
                 --group {RANKING_CHOICES}"
            )
        );
        assert_eq!(
            floors_error("mape=0.1"),
            format!(
                "--min-metric mape=0.1: unknown metric; choose one of {DECISION_METRICS}, or \
                 with --group {RANKING_CHOICES}"
            )
        );
        assert_eq!(
            floors_error("pr_auc=high"),
            "--min-metric pr_auc=high: `high` is not a number: invalid float literal"
        );
    }

    #[test]
    fn the_deciding_metric_defaults_by_task_and_must_fit_it() {
        let pick = |name: Option<&str>, task, grouped| {
            deciding_metric(name.map(|n| Metric::parse(n).unwrap()), task, grouped)
        };
        assert_eq!(pick(None, Task::Binary, false).unwrap(), Metric::PrAuc);
        assert_eq!(pick(None, Task::Regression, false).unwrap(), Metric::Mae);
        assert_eq!(
            pick(Some("r2"), Task::Regression, false).unwrap(),
            Metric::R2
        );
        let err = pick(Some("mae"), Task::Binary, false).unwrap_err();
        assert_eq!(err.to_string(), "--metric mae does not fit a binary model");
        let err = pick(Some("mape"), Task::Regression, false).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("--metric mape: choose one of {DECISION_METRICS}")
        );
    }

    #[test]
    fn ranking_metrics_go_with_groups_for_either_task() {
        let pick = |name: Option<&str>, task, grouped| {
            deciding_metric(name.map(|n| Metric::parse(n).unwrap()), task, grouped)
        };
        assert_eq!(
            pick(None, Task::Binary, true).unwrap().to_string(),
            "ndcg_at_10"
        );
        let graded = pick(Some("ndcg_at_5"), Task::Regression, true).unwrap();
        assert_eq!(graded.to_string(), "ndcg_at_5");
        let err = pick(Some("precision_at_10"), Task::Binary, false).unwrap_err();
        assert!(err.to_string().contains("pass --group COL"), "{err}");
        let err = pick(Some("pr_auc"), Task::Binary, true).unwrap_err();
        assert!(err.to_string().contains("choose a ranking metric"), "{err}");
    }
}
