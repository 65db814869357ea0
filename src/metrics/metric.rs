//! The one `Metric` type: each model metric's name, direction and task, and the orders reports
//! show them in, so score-proxy, shadow-test, train-candidate and the HTML report agree.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use serde::{Serialize, Serializer};

use super::ranking::{RankingMetric, RANKING_CHOICES};
use super::task::Task;

/// A model metric, serialized (and parsed) by its snake_case name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Metric {
    RocAuc,
    PrAuc,
    LogLoss,
    Brier,
    F1,
    Accuracy,
    Precision,
    Recall,
    Mae,
    Rmse,
    R2,
    /// Mean absolute percentage error over rows with a non-zero target (a fraction).
    Mape,
    /// A ranking metric over groups of rows (precision_at_10, ndcg_at_5, mrr, ...): needs the
    /// query/user column (`--group`).
    Ranking(RankingMetric),
}

impl Serialize for Metric {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.name())
    }
}

/// Names of [`Metric::ALL`] for error messages (a unit test keeps the two in step).
pub const METRIC_CHOICES: &str =
    "roc_auc, pr_auc, log_loss, brier, accuracy, precision, recall, f1, mae, rmse, r2, mape";

/// Names of [`Metric::DECISION`] for shadow-test's error messages (kept in step by a test).
pub const DECISION_METRICS: &str =
    "roc_auc, pr_auc, log_loss, brier, f1, accuracy, precision, recall, mae, rmse, r2";

impl Metric {
    /// The binary metrics every report and table shows, in display order.
    pub const BINARY: [Metric; 8] = [
        Metric::RocAuc,
        Metric::PrAuc,
        Metric::LogLoss,
        Metric::Brier,
        Metric::Accuracy,
        Metric::Precision,
        Metric::Recall,
        Metric::F1,
    ];

    /// The regression metrics every report and table shows, in display order.
    pub const REGRESSION: [Metric; 3] = [Metric::Mae, Metric::Rmse, Metric::R2];

    /// Every metric: the table metrics, then MAPE (score-proxy reports and decides on it).
    pub const ALL: [Metric; 12] = [
        Metric::RocAuc,
        Metric::PrAuc,
        Metric::LogLoss,
        Metric::Brier,
        Metric::Accuracy,
        Metric::Precision,
        Metric::Recall,
        Metric::F1,
        Metric::Mae,
        Metric::Rmse,
        Metric::R2,
        Metric::Mape,
    ];

    /// The metrics shadow-test decides on, in the order its messages list them.
    pub const DECISION: [Metric; 11] = [
        Metric::RocAuc,
        Metric::PrAuc,
        Metric::LogLoss,
        Metric::Brier,
        Metric::F1,
        Metric::Accuracy,
        Metric::Precision,
        Metric::Recall,
        Metric::Mae,
        Metric::Rmse,
        Metric::R2,
    ];

    /// The metric named `name` (as in reports and flags), if there is one.
    pub fn parse(name: &str) -> Option<Metric> {
        Metric::ALL
            .into_iter()
            .find(|m| m.name() == name)
            .or_else(|| RankingMetric::parse(name).map(Metric::Ranking))
    }

    /// The name reports, flags, gauges and metadata.json use.
    pub fn name(self) -> Cow<'static, str> {
        match self {
            Metric::Ranking(metric) => Cow::Owned(metric.name()),
            fixed => Cow::Borrowed(fixed.fixed_name()),
        }
    }

    /// The name of a metric that is not a ranking one (those carry their k).
    const fn fixed_name(self) -> &'static str {
        match self {
            Metric::Ranking(_) => "ranking",
            Metric::RocAuc => "roc_auc",
            Metric::PrAuc => "pr_auc",
            Metric::LogLoss => "log_loss",
            Metric::Brier => "brier",
            Metric::F1 => "f1",
            Metric::Accuracy => "accuracy",
            Metric::Precision => "precision",
            Metric::Recall => "recall",
            Metric::Mae => "mae",
            Metric::Rmse => "rmse",
            Metric::R2 => "r2",
            Metric::Mape => "mape",
        }
    }

    /// The ranking metric, if this is one (it needs rows grouped by query/user).
    pub fn ranking(self) -> Option<RankingMetric> {
        match self {
            Metric::Ranking(metric) => Some(metric),
            _ => None,
        }
    }

    /// Losses and errors are lower-is-better; scores and rates are higher-is-better.
    pub fn higher_is_better(self) -> bool {
        !matches!(
            self,
            Metric::LogLoss | Metric::Brier | Metric::Mae | Metric::Rmse | Metric::Mape
        )
    }

    /// The direction in words, as rules and the HTML report state it.
    pub fn direction(self) -> &'static str {
        direction_label(self.higher_is_better())
    }

    /// Regression metrics read numeric targets; the others read 0/1 labels and probabilities.
    pub fn is_regression(self) -> bool {
        matches!(self, Metric::Mae | Metric::Rmse | Metric::R2 | Metric::Mape)
    }

    /// ROC-AUC and PR-AUC need the rows sorted by score; the others read rows in any order.
    pub fn sorts_by_score(self) -> bool {
        matches!(self, Metric::RocAuc | Metric::PrAuc)
    }

    /// The kind of model the metric judges.
    pub fn task(self) -> Task {
        if self.is_regression() {
            Task::Regression
        } else {
            Task::Binary
        }
    }

    /// The metric a command decides on when no --metric is given.
    pub fn default_for(task: Task) -> Metric {
        match task {
            Task::Binary => Metric::PrAuc,
            Task::Regression => Metric::Mae,
        }
    }

    /// The metrics a table shows for `task`, in display order.
    pub fn for_task(task: Task) -> &'static [Metric] {
        match task {
            Task::Binary => &Metric::BINARY,
            Task::Regression => &Metric::REGRESSION,
        }
    }
}

/// "higher is better" / "lower is better", for code that only has the direction (a report).
pub fn direction_label(higher_is_better: bool) -> &'static str {
    if higher_is_better {
        "higher is better"
    } else {
        "lower is better"
    }
}

/// The names of `metrics`, in order: a const view for the older `&str` lists.
pub const fn names<const N: usize>(metrics: [Metric; N]) -> [&'static str; N] {
    let mut out = [""; N];
    let mut i = 0;
    while i < N {
        out[i] = metrics[i].fixed_name();
        i += 1;
    }
    out
}

impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

/// For parsing flags: an unknown name is an error that lists the choices.
impl FromStr for Metric {
    type Err = String;

    fn from_str(name: &str) -> Result<Metric, String> {
        Metric::parse(name).ok_or_else(|| {
            format!(
                "unknown metric `{name}`; choose one of {METRIC_CHOICES}, or a ranking metric \
                 ({RANKING_CHOICES})"
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn joined(metrics: &[Metric]) -> String {
        metrics
            .iter()
            .map(|m| m.name())
            .collect::<Vec<_>>()
            .join(", ")
    }

    #[test]
    fn names_round_trip_through_parse_display_and_serde() {
        for metric in Metric::ALL {
            assert_eq!(Metric::parse(&metric.name()), Some(metric));
            assert_eq!(metric.name().parse::<Metric>(), Ok(metric));
            assert_eq!(metric.to_string(), metric.name());
            assert_eq!(serde_json::to_value(metric).unwrap(), *metric.name());
        }
        assert_eq!(Metric::parse("auc"), None);
    }

    #[test]
    fn an_unknown_name_lists_the_choices() {
        let err = "auc".parse::<Metric>().unwrap_err();
        assert_eq!(
            err,
            "unknown metric `auc`; choose one of roc_auc, pr_auc, log_loss, brier, accuracy, \
             precision, recall, f1, mae, rmse, r2, mape, or a ranking metric (precision_at_K, \
             recall_at_K, ndcg_at_K, map_at_K, hit_rate_at_K, mrr_at_K, ndcg, map, mrr)"
        );
    }

    #[test]
    fn choice_strings_follow_the_lists() {
        assert_eq!(METRIC_CHOICES, joined(&Metric::ALL));
        assert_eq!(DECISION_METRICS, joined(&Metric::DECISION));
        let tables: Vec<Metric> = [&Metric::BINARY[..], &Metric::REGRESSION[..]].concat();
        assert_eq!(tables, Metric::ALL[..11]);
        assert_eq!(names(Metric::REGRESSION), ["mae", "rmse", "r2"]);
    }

    #[test]
    fn directions() {
        let lower = [
            Metric::LogLoss,
            Metric::Brier,
            Metric::Mae,
            Metric::Rmse,
            Metric::Mape,
        ];
        for metric in Metric::ALL {
            assert_eq!(
                metric.higher_is_better(),
                !lower.contains(&metric),
                "{metric}"
            );
        }
        assert_eq!(Metric::R2.direction(), "higher is better");
        assert_eq!(Metric::Mae.direction(), "lower is better");
    }

    #[test]
    fn tasks_and_defaults() {
        for metric in Metric::BINARY {
            assert_eq!(metric.task(), Task::Binary, "{metric}");
        }
        for metric in Metric::REGRESSION.into_iter().chain([Metric::Mape]) {
            assert_eq!(metric.task(), Task::Regression, "{metric}");
        }
        assert_eq!(Metric::default_for(Task::Binary), Metric::PrAuc);
        assert_eq!(Metric::default_for(Task::Regression), Metric::Mae);
        assert_eq!(Metric::for_task(Task::Regression), &Metric::REGRESSION);
        let ranking: Vec<Metric> = Metric::ALL
            .into_iter()
            .filter(|m| m.sorts_by_score())
            .collect();
        assert_eq!(ranking, [Metric::RocAuc, Metric::PrAuc]);
    }
}
