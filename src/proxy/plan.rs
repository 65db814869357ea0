//! The join plan: how predictions meet outcomes (by key, or by key at prediction time +
//! horizon), where the label comes from and which columns each side must decode, all decided
//! from parsed settings before any file is read.

use anyhow::{bail, Result};

use crate::metrics::Task;

/// What the user asked for, already parsed: durations in milliseconds, no clap types.
#[derive(Debug, Clone, PartialEq)]
pub struct JoinSettings {
    /// Join key columns, present on both sides.
    pub keys: Vec<String>,
    /// Score column in the predictions.
    pub score: String,
    /// Label column in the outcomes.
    pub label: Option<String>,
    /// SQL expression over the outcome columns that yields the binary label.
    pub label_rule: Option<String>,
    pub task: Task,
    pub prediction_time: Option<String>,
    pub outcome_time: Option<String>,
    /// With a horizon the join pairs each prediction with the outcome at time + horizon.
    pub horizon_ms: Option<i64>,
    /// How much later than time + horizon an outcome may be and still match.
    pub tolerance_ms: i64,
    /// Query/user column of the predictions: rows are ranked per group (ranking metrics).
    pub group: Option<String>,
}

/// Where the label comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LabelSource {
    /// An outcome column: boolean or 0/1 (binary), numbers (regression).
    Column(String),
    /// A SQL condition over the outcome columns (binary only).
    Rule(String),
}

/// The time side of a horizon join.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Horizon {
    pub prediction_time: String,
    pub outcome_time: String,
    pub horizon_ms: i64,
    pub tolerance_ms: i64,
}

/// How rows meet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JoinKind {
    /// One outcome per key, no times.
    Key,
    /// The outcome of the key at prediction time + horizon (within the tolerance).
    Horizon(Horizon),
}

/// Everything score-proxy needs to know before reading the predictions and outcomes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinPlan {
    pub keys: Vec<String>,
    pub score: String,
    pub task: Task,
    pub label: LabelSource,
    pub join: JoinKind,
    /// With a group, scores are any finite numbers and labels are relevance (0/1 or graded).
    pub group: Option<String>,
}

impl JoinPlan {
    /// Checks the settings fit together; errors name the flags that fix them.
    pub fn new(settings: JoinSettings) -> Result<JoinPlan> {
        let join = join_kind(&settings)?;
        let label = match (settings.label, settings.label_rule, settings.task) {
            (Some(label), _, _) => LabelSource::Column(label),
            (None, Some(rule), Task::Binary) => LabelSource::Rule(rule),
            (None, Some(_), Task::Regression) => {
                bail!("--label-rule yields binary labels; --task regression needs --label COL")
            }
            (None, None, _) => bail!("pass --label COL or --label-rule EXPR"),
        };
        Ok(JoinPlan {
            keys: settings.keys,
            score: settings.score,
            task: settings.task,
            label,
            join,
            group: settings.group,
        })
    }

    /// The horizon join's time columns, if the plan has them (for the report's params).
    pub fn horizon(&self) -> Option<&Horizon> {
        match &self.join {
            JoinKind::Key => None,
            JoinKind::Horizon(h) => Some(h),
        }
    }

    /// Keys, the score and, for a horizon join, the prediction time.
    pub fn prediction_columns(&self) -> Vec<String> {
        let mut columns = self.keys.clone();
        columns.push(self.score.clone());
        columns.extend(self.horizon().map(|h| h.prediction_time.clone()));
        if let Some(group) = &self.group {
            if !columns.contains(group) {
                columns.push(group.clone());
            }
        }
        columns
    }

    /// Keys, the label (a rule may name any column of `available`, so all of them) and, for a
    /// horizon join, the outcome time.
    pub fn outcome_columns(&self, available: &[String]) -> Vec<String> {
        let mut columns = self.keys.clone();
        match &self.label {
            LabelSource::Column(label) => columns.push(label.clone()),
            LabelSource::Rule(_) => {
                columns.extend(available.iter().filter(|c| !self.keys.contains(c)).cloned())
            }
        }
        if let Some(h) = self.horizon() {
            if !columns.contains(&h.outcome_time) {
                columns.push(h.outcome_time.clone());
            }
        }
        columns
    }
}

/// A horizon needs both time columns; without one the times are ignored.
fn join_kind(settings: &JoinSettings) -> Result<JoinKind> {
    let Some(horizon_ms) = settings.horizon_ms else {
        return Ok(JoinKind::Key);
    };
    match (&settings.prediction_time, &settings.outcome_time) {
        (Some(p), Some(o)) => Ok(JoinKind::Horizon(Horizon {
            prediction_time: p.clone(),
            outcome_time: o.clone(),
            horizon_ms,
            tolerance_ms: settings.tolerance_ms,
        })),
        _ => bail!("--horizon needs --prediction-time and --outcome-time"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = crate::data::time::MS_PER_DAY;

    fn settings() -> JoinSettings {
        JoinSettings {
            keys: vec!["customer_id".into()],
            score: "churn_score".into(),
            label: Some("churned".into()),
            label_rule: None,
            task: Task::Binary,
            prediction_time: None,
            outcome_time: None,
            horizon_ms: None,
            tolerance_ms: 0,
            group: None,
        }
    }

    fn strings(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn key_join_needs_keys_score_and_label() {
        let plan = JoinPlan::new(settings()).unwrap();
        assert_eq!(plan.join, JoinKind::Key);
        assert_eq!(plan.label, LabelSource::Column("churned".into()));
        assert_eq!(
            plan.prediction_columns(),
            strings(&["customer_id", "churn_score"])
        );
        assert_eq!(
            plan.outcome_columns(&[]),
            strings(&["customer_id", "churned"])
        );
    }

    #[test]
    fn time_columns_without_a_horizon_are_ignored() {
        let mut s = settings();
        s.prediction_time = Some("predicted_at".into());
        s.outcome_time = Some("observed_at".into());
        let plan = JoinPlan::new(s).unwrap();
        assert_eq!(plan.join, JoinKind::Key);
        assert!(plan.horizon().is_none());
        assert_eq!(plan.prediction_columns().len(), 2);
    }

    #[test]
    fn horizon_join_adds_each_side_its_time_column() {
        let mut s = settings();
        s.prediction_time = Some("predicted_at".into());
        s.outcome_time = Some("observed_at".into());
        s.horizon_ms = Some(30 * DAY);
        s.tolerance_ms = 2 * DAY;
        let plan = JoinPlan::new(s).unwrap();
        let horizon = plan.horizon().unwrap();
        assert_eq!(
            (horizon.horizon_ms, horizon.tolerance_ms),
            (30 * DAY, 2 * DAY)
        );
        assert_eq!(
            plan.prediction_columns(),
            strings(&["customer_id", "churn_score", "predicted_at"])
        );
        assert_eq!(
            plan.outcome_columns(&[]),
            strings(&["customer_id", "churned", "observed_at"])
        );
    }

    #[test]
    fn horizon_without_both_time_columns_is_an_error() {
        let mut s = settings();
        s.horizon_ms = Some(DAY);
        s.prediction_time = Some("predicted_at".into());
        let err = JoinPlan::new(s).unwrap_err().to_string();
        assert_eq!(err, "--horizon needs --prediction-time and --outcome-time");
    }

    #[test]
    fn a_label_rule_decodes_every_outcome_column_once() {
        let mut s = settings();
        s.label = None;
        s.label_rule = Some("active_days_30d = 0".into());
        s.prediction_time = Some("predicted_at".into());
        s.outcome_time = Some("observed_at".into());
        s.horizon_ms = Some(30 * DAY);
        let plan = JoinPlan::new(s).unwrap();
        assert_eq!(plan.label, LabelSource::Rule("active_days_30d = 0".into()));
        let available = strings(&["customer_id", "observed_at", "active_days_30d"]);
        assert_eq!(
            plan.outcome_columns(&available),
            strings(&["customer_id", "observed_at", "active_days_30d"])
        );
    }

    #[test]
    fn a_label_rule_is_binary_only_and_a_label_is_required() {
        let mut s = settings();
        s.label = None;
        s.label_rule = Some("x = 0".into());
        s.task = Task::Regression;
        let err = JoinPlan::new(s.clone()).unwrap_err().to_string();
        assert!(err.contains("--task regression needs --label COL"), "{err}");
        s.label_rule = None;
        let err = JoinPlan::new(s).unwrap_err().to_string();
        assert_eq!(err, "pass --label COL or --label-rule EXPR");
    }

    #[test]
    fn a_label_column_wins_over_a_rule() {
        let mut s = settings();
        s.label_rule = Some("x = 0".into());
        s.task = Task::Regression;
        let plan = JoinPlan::new(s).unwrap();
        assert_eq!(plan.label, LabelSource::Column("churned".into()));
    }
}
