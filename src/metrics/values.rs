//! One model's metric values, looked up by [`Metric`]: what rules and tables read instead of
//! the report's JSON.

use std::collections::BTreeMap;

use serde_json::Value;

use super::{BinaryMetrics, Metric, RegressionMetrics};

/// Defined values only: a value JSON cannot hold (NaN, infinite) is undefined, as in a report.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MetricValues(BTreeMap<Metric, f64>);

impl MetricValues {
    /// The value of `metric`; `None` when undefined or not computed.
    pub fn get(&self, metric: Metric) -> Option<f64> {
        self.0.get(&metric).copied()
    }

    /// The metrics found as numbers in a flat metrics object (a report's `metrics`), ranking
    /// metrics (precision_at_10, ...) included; other keys are ignored.
    pub fn from_json(metrics: &Value) -> MetricValues {
        let Some(object) = metrics.as_object() else {
            return MetricValues::default();
        };
        object
            .iter()
            .filter_map(|(name, value)| Some((Metric::parse(name)?, value.as_f64()?)))
            .collect()
    }

    /// The metrics that have a value, in order.
    pub fn metrics(&self) -> impl Iterator<Item = Metric> + '_ {
        self.0.keys().copied()
    }
}

impl FromIterator<(Metric, f64)> for MetricValues {
    fn from_iter<I: IntoIterator<Item = (Metric, f64)>>(pairs: I) -> MetricValues {
        MetricValues(pairs.into_iter().filter(|(_, v)| v.is_finite()).collect())
    }
}

impl From<&BinaryMetrics> for MetricValues {
    fn from(m: &BinaryMetrics) -> MetricValues {
        let values = [
            (Metric::RocAuc, m.roc_auc),
            (Metric::PrAuc, m.pr_auc),
            (Metric::LogLoss, Some(m.log_loss)),
            (Metric::Brier, Some(m.brier)),
            (Metric::Accuracy, Some(m.accuracy)),
            (Metric::Precision, Some(m.precision)),
            (Metric::Recall, Some(m.recall)),
            (Metric::F1, Some(m.f1)),
        ];
        values
            .into_iter()
            .filter_map(|(m, v)| Some((m, v?)))
            .collect()
    }
}

impl From<&RegressionMetrics> for MetricValues {
    fn from(m: &RegressionMetrics) -> MetricValues {
        let values = [
            (Metric::Mae, Some(m.mae)),
            (Metric::Rmse, Some(m.rmse)),
            (Metric::R2, m.r2),
            (Metric::Mape, m.mape),
        ];
        values
            .into_iter()
            .filter_map(|(m, v)| Some((m, v?)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::{binary_metrics, regression_metrics};

    #[test]
    fn typed_metrics_and_their_json_give_the_same_values() {
        let labels = [false, true, true, false, true];
        let scores = [0.2, 0.7, 0.4, 0.6, 0.9];
        let binary = binary_metrics(&labels, &scores, 0.5);
        let json = serde_json::to_value(&binary).unwrap();
        assert_eq!(MetricValues::from(&binary), MetricValues::from_json(&json));
        assert_eq!(MetricValues::from(&binary).get(Metric::F1), Some(binary.f1));

        let regression = regression_metrics(&[1.0, 0.0, 3.0], &[1.5, 0.5, 2.0]);
        let json = serde_json::to_value(&regression).unwrap();
        let values = MetricValues::from(&regression);
        assert_eq!(values, MetricValues::from_json(&json));
        assert_eq!(values.get(Metric::Mape), regression.mape);
        assert_eq!(values.get(Metric::RocAuc), None);
    }

    #[test]
    fn undefined_values_are_absent() {
        let labels = [true, true];
        let binary = binary_metrics(&labels, &[0.3, 0.8], 0.5);
        let values = MetricValues::from(&binary);
        assert_eq!(values.get(Metric::RocAuc), None);
        let values: MetricValues = [(Metric::Mae, f64::NAN), (Metric::Rmse, f64::INFINITY)]
            .into_iter()
            .collect();
        assert_eq!(values, MetricValues::default());
    }
}
