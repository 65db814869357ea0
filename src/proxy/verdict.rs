//! The rule that turns score-proxy's metrics into a verdict: which metric decides, the baseline
//! it is compared with and the allowed drop (FAIL beyond it, WARN beyond half of it), and the
//! smallest sample that can give an OK.

use std::path::PathBuf;

use anyhow::{bail, Result};

use super::compare::{baseline_metric, higher_is_better, DropLimit, KNOWN_METRICS};
use super::evaluate::{verdict, ProxyVerdict, TaskMetrics, Usable};
use crate::metrics::ranking::{RankingMetric, RANKING_CHOICES};
use crate::metrics::Task;

/// The verdict flags, already parsed; no clap types.
#[derive(Debug, Clone, PartialEq)]
pub struct VerdictSettings {
    /// Default: pr_auc (binary), mae (regression).
    pub metric: Option<String>,
    /// Metrics JSON holding the baseline value of the metric.
    pub baseline_metrics: Option<PathBuf>,
    /// Largest allowed drop in the metric's units; wins over `max_drop_rel`.
    pub max_drop: Option<f64>,
    /// Largest allowed drop relative to the baseline value.
    pub max_drop_rel: Option<f64>,
    /// Fewer usable rows than this is never OK.
    pub min_samples: usize,
}

/// A baseline file and how far below it the live metric may fall.
#[derive(Debug, Clone, PartialEq)]
pub struct Baseline {
    pub path: PathBuf,
    pub limit: DropLimit,
}

/// How score-proxy decides OK, WARN or FAIL.
#[derive(Debug, Clone, PartialEq)]
pub struct VerdictRule {
    pub metric: String,
    /// With --group: the deciding ranking metric, whose k the report's other ranking metrics
    /// share.
    pub ranking: Option<RankingMetric>,
    /// Without one the verdict only guards the sample size and the metric being defined.
    pub baseline: Option<Baseline>,
    pub min_samples: usize,
}

impl VerdictRule {
    /// Checks the metric is known (a ranking metric exactly when rows are `grouped`) and a
    /// baseline comes with its allowed drop (and vice versa).
    pub fn new(settings: VerdictSettings, task: Task, grouped: bool) -> Result<VerdictRule> {
        let metric = settings.metric.unwrap_or_else(|| {
            if grouped {
                DEFAULT_RANKING_METRIC.into()
            } else {
                default_metric(task).into()
            }
        });
        let ranking = RankingMetric::parse(&metric);
        match (grouped, ranking) {
            (true, None) => bail!(
                "--metric {metric}: with --group rows are ranked per group; choose a ranking \
                 metric ({RANKING_CHOICES}, K from 1 to 10000)"
            ),
            (false, Some(_)) => bail!(
                "--metric {metric} is a ranking metric: pass --group COL, the query/user column \
                 whose rows are ranked by score"
            ),
            _ => {}
        }
        if higher_is_better(&metric).is_none() {
            bail!(
                "--metric {metric} is not known; choose one of {KNOWN_METRICS}, or with --group \
                 {RANKING_CHOICES}"
            );
        }
        let limit = match (settings.max_drop, settings.max_drop_rel) {
            (Some(x), _) => Some(DropLimit::Absolute(x)),
            (_, Some(x)) => Some(DropLimit::Relative(x)),
            _ => None,
        };
        let baseline = match (settings.baseline_metrics, limit) {
            (Some(path), Some(limit)) => Some(Baseline { path, limit }),
            (None, None) => None,
            _ => bail!("--baseline-metrics and --max-drop/--max-drop-rel go together"),
        };
        Ok(VerdictRule {
            metric,
            ranking,
            baseline,
            min_samples: settings.min_samples,
        })
    }

    /// The baseline value of the metric, read from the baseline file if there is one.
    pub fn baseline_value(&self) -> Result<Option<f64>> {
        self.baseline
            .as_ref()
            .map(|b| baseline_metric(&b.path, &self.metric))
            .transpose()
    }

    /// The ranking metrics a report shows: each kind at the deciding metric's k (10 when it
    /// has none), MRR over the whole list, and the deciding metric itself.
    pub fn ranking_metrics(&self) -> Vec<RankingMetric> {
        let Some(deciding) = self.ranking else {
            return Vec::new();
        };
        let mut metrics = RankingMetric::standard_set(deciding.k.unwrap_or(10));
        metrics.push(RankingMetric::parse("mrr").expect("mrr is a ranking metric"));
        metrics.push(deciding);
        metrics.sort();
        metrics.dedup();
        metrics
    }

    /// The verdict on `usable` rows given the baseline value `baseline_value` returned.
    pub fn judge(&self, usable: &Usable, baseline: Option<f64>) -> ProxyVerdict {
        let undefined = match &usable.metrics {
            Some(TaskMetrics::Binary(m)) => m.undefined.clone(),
            Some(TaskMetrics::Ranking(r)) if r.groups_evaluated == 0 => vec![format!(
                "{} undefined: none of the {} groups has a relevant item",
                self.metric, r.groups
            )],
            _ => Vec::new(),
        };
        verdict(
            usable,
            &self.metric,
            baseline,
            self.baseline.as_ref().map(|b| b.limit),
            self.min_samples,
            &undefined,
        )
    }
}

/// The metric that decides with --group when --metric is not given.
pub const DEFAULT_RANKING_METRIC: &str = "ndcg_at_10";

/// The metric that decides when --metric is not given: ranking quality for binary scores
/// (robust to a shifted base rate), absolute error for regression.
pub fn default_metric(task: Task) -> &'static str {
    match task {
        Task::Binary => "pr_auc",
        Task::Regression => "mae",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::regression_metrics;
    use crate::report::Status;

    fn settings() -> VerdictSettings {
        VerdictSettings {
            metric: None,
            baseline_metrics: None,
            max_drop: None,
            max_drop_rel: None,
            min_samples: 3,
        }
    }

    /// Regression rows with this MAE (targets 0, predictions `mae`), `rows` of them.
    fn usable(rows: usize, mae: Option<f64>) -> Usable {
        let metrics = mae
            .map(|e| TaskMetrics::Regression(regression_metrics(&vec![0.0; rows], &vec![e; rows])));
        Usable {
            rows,
            null_label_or_score: 0,
            metrics,
            curve: Vec::new(),
        }
    }

    fn with_baseline(max_drop: f64) -> VerdictRule {
        VerdictRule {
            metric: "mae".into(),
            ranking: None,
            baseline: Some(Baseline {
                path: "b.json".into(),
                limit: DropLimit::Absolute(max_drop),
            }),
            min_samples: 3,
        }
    }

    #[test]
    fn the_metric_defaults_by_task_and_must_be_known() {
        let rule = VerdictRule::new(settings(), Task::Binary, false).unwrap();
        assert_eq!((rule.metric.as_str(), rule.baseline), ("pr_auc", None));
        let rule = VerdictRule::new(settings(), Task::Regression, false).unwrap();
        assert_eq!(rule.metric, "mae");
        let mut s = settings();
        s.metric = Some("auc".into());
        let err = VerdictRule::new(s, Task::Binary, false)
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("--metric auc is not known"), "{err}");
    }

    #[test]
    fn a_baseline_and_an_allowed_drop_go_together() {
        let mut s = settings();
        s.baseline_metrics = Some("b.json".into());
        let err = VerdictRule::new(s.clone(), Task::Binary, false).unwrap_err();
        assert!(err.to_string().contains("go together"));
        s.max_drop_rel = Some(0.1);
        let rule = VerdictRule::new(s.clone(), Task::Binary, false).unwrap();
        assert_eq!(rule.baseline.unwrap().limit, DropLimit::Relative(0.1));
        s.max_drop = Some(0.2);
        let rule = VerdictRule::new(s.clone(), Task::Binary, false).unwrap();
        assert_eq!(rule.baseline.unwrap().limit, DropLimit::Absolute(0.2));
        s.baseline_metrics = None;
        assert!(VerdictRule::new(s, Task::Binary, false).is_err());
    }

    #[test]
    fn without_a_baseline_enough_rows_are_ok_and_name_the_value() {
        let rule = VerdictRule::new(settings(), Task::Regression, false).unwrap();
        let v = rule.judge(&usable(3, Some(2.0)), None);
        assert_eq!(
            (v.status, v.reasons),
            (Status::Ok, vec!["mae = 2.0000".into()])
        );
        assert!(v.comparison.is_none());
    }

    #[test]
    fn beyond_the_allowed_drop_fails_beyond_half_warns() {
        let rule = with_baseline(1.0);
        let fail = rule.judge(&usable(3, Some(2.5)), Some(1.0));
        assert_eq!(fail.status, Status::Fail);
        assert_eq!(fail.comparison.unwrap().drop, 1.5);
        let warn = rule.judge(&usable(3, Some(1.75)), Some(1.0));
        assert_eq!(warn.status, Status::Warn);
        let ok = rule.judge(&usable(3, Some(1.25)), Some(1.0));
        assert_eq!(ok.status, Status::Ok);
        assert_eq!(ok.reasons.len(), 1);
    }

    #[test]
    fn too_few_rows_warn_even_when_the_metric_holds() {
        let v = with_baseline(1.0).judge(&usable(2, Some(1.0)), Some(1.0));
        assert_eq!(v.status, Status::Warn);
        assert_eq!(v.reasons.len(), 2);
        assert_eq!(
            v.reasons[1],
            "insufficient data: 2 matched rows < --min-samples 3"
        );
    }

    #[test]
    fn too_few_rows_turn_a_fail_into_a_warn() {
        let v = with_baseline(1.0).judge(&usable(2, Some(5.0)), Some(1.0));
        assert_eq!(v.status, Status::Warn);
        assert_eq!(v.comparison.unwrap().status, Status::Fail);
    }

    #[test]
    fn an_undefined_metric_against_a_baseline_warns() {
        let v = with_baseline(1.0).judge(&usable(0, None), Some(1.0));
        assert_eq!(v.status, Status::Warn);
        assert_eq!(v.reasons[0], "mae undefined: no usable rows");
        assert!(v.reasons[1].starts_with("insufficient data"));
    }

    #[test]
    fn the_baseline_value_is_read_from_the_baseline_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("metadata.json");
        std::fs::write(&path, r#"{"holdout_metrics": {"mae": 4.5}}"#).unwrap();
        let mut rule = with_baseline(1.0);
        rule.baseline.as_mut().unwrap().path = path;
        assert_eq!(rule.baseline_value().unwrap(), Some(4.5));
        rule.baseline = None;
        assert_eq!(rule.baseline_value().unwrap(), None);
    }
}
