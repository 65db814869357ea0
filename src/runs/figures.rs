//! The few figures of each step's report that the ledger keeps: enough to read a run's story
//! months later without the run folder (which retention may have removed).

use serde_json::{Map, Value};

/// Copies the values at `pointers` (named) from `report`; absent or null ones are skipped.
fn pick(report: &Value, pointers: &[(&str, &str)]) -> Map<String, Value> {
    pointers
        .iter()
        .filter_map(|(name, pointer)| {
            let value = report.pointer(pointer)?;
            (!value.is_null()).then(|| (name.to_string(), value.clone()))
        })
        .collect()
}

/// A step's key figures. Unknown steps keep none (their report is still in the run folder).
pub fn figures(step: &str, report: &Value) -> Map<String, Value> {
    let mut out = match step {
        "staleness" => pick(
            report,
            &[
                ("model_age_seconds", "/result/model_age_seconds"),
                ("new_rows", "/result/new_rows"),
                ("due", "/result/due"),
            ],
        ),
        "drift-check" => drift(report),
        "score-proxy" => pick(
            report,
            &[
                ("metric", "/result/comparison/metric"),
                ("baseline", "/result/comparison/baseline"),
                ("current", "/result/comparison/current"),
                ("drop", "/result/comparison/drop"),
                ("matched_rows", "/result/usable_rows"),
            ],
        ),
        "fleet-diff" => pick(
            report,
            &[
                ("fleet_drift", "/result/fleet_drift"),
                ("drift_band", "/result/drift_band"),
                ("priority", "/result/priority"),
                ("coverage", "/result/counts/coverage"),
                ("prediction_coverage", "/result/prediction_coverage/ratio"),
                ("new", "/result/counts/new"),
                ("sunset", "/result/counts/sunset"),
                (
                    "unknown_prediction_rate",
                    "/result/unknown_predictions/rate",
                ),
            ],
        ),
        "train-candidate" => train(report),
        "shadow-test" => pick(
            report,
            &[
                ("verdict", "/result/verdict"),
                ("rows", "/result/rows"),
                ("metric", "/result/comparison/metric"),
                ("champion", "/result/comparison/champion"),
                ("challenger", "/result/comparison/challenger"),
                ("difference", "/result/comparison/difference"),
                ("difference_low", "/result/bootstrap/difference_low"),
                ("difference_high", "/result/bootstrap/difference_high"),
                ("reasons", "/result/reasons"),
            ],
        ),
        "promote" => pick(
            report,
            &[
                ("action", "/result/promotion/action"),
                ("from", "/result/promotion/from"),
                ("to", "/result/promotion/to"),
                ("reason", "/result/promotion/reason"),
            ],
        ),
        "validate" => pick(
            report,
            &[
                ("violations", "/result/summary/violations"),
                ("errors", "/result/summary/errors"),
                ("warnings", "/result/summary/warnings"),
                ("checks", "/result/summary/checks"),
            ],
        ),
        _ => Map::new(),
    };
    if report["status"] == "ERROR" {
        if let Some(message) = report.pointer("/messages/0") {
            out.insert("error".into(), message.clone());
        }
    }
    out
}

/// Counts, the largest statistic and the features that failed.
fn drift(report: &Value) -> Map<String, Value> {
    let mut out = pick(
        report,
        &[
            ("features", "/result/summary/features"),
            ("failed", "/result/summary/fail"),
            ("warned", "/result/summary/warn"),
            ("method", "/result/summary/method"),
        ],
    );
    let features = report
        .pointer("/result/features")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let largest = features
        .iter()
        .filter_map(|f| {
            let value = f.pointer("/verdict/value")?.as_f64()?;
            Some((f, value))
        })
        .filter(|(_, v)| v.is_finite())
        .max_by(|a, b| a.1.total_cmp(&b.1));
    if let Some((feature, value)) = largest {
        out.insert(
            "max_statistic".into(),
            serde_json::json!({
                "feature": feature["name"],
                "statistic": feature.pointer("/verdict/statistic"),
                "value": value,
            }),
        );
    }
    let failing: Vec<Value> = features
        .iter()
        .filter(|f| f["status"] == "FAIL")
        .map(|f| f["name"].clone())
        .collect();
    if !failing.is_empty() {
        out.insert("failing_features".into(), Value::Array(failing));
    }
    out
}

/// Rows used (and needed, when there were too few), the holdout's headline metrics.
fn train(report: &Value) -> Map<String, Value> {
    let mut out = pick(
        report,
        &[
            ("model", "/result/model"),
            ("rows", "/result/rows"),
            ("insufficient_data", "/result/insufficient_data"),
            ("training_window", "/result/training_window"),
            ("data_fingerprint", "/result/data_fingerprint"),
        ],
    );
    if let Some(Value::Object(metrics)) = report.pointer("/result/holdout_metrics") {
        let headline: Map<String, Value> = metrics
            .iter()
            .filter(|(_, v)| v.is_number())
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        out.insert("holdout_metrics".into(), Value::Object(headline));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn drift_keeps_counts_the_largest_statistic_and_failing_features() {
        let report = json!({"status": "FAIL", "result": {
        "summary": {"features": 3, "fail": 1, "warn": 1, "method": "psi"},
        "features": [
            {"name": "a", "status": "OK", "verdict": {"statistic": "psi", "value": 0.01}},
            {"name": "b", "status": "FAIL", "verdict": {"statistic": "psi", "value": 0.4}},
            {"name": "c", "status": "WARN", "verdict": {"statistic": "psi", "value": 0.12}},
        ]}});
        let f = figures("drift-check", &report);
        assert_eq!(f["failed"], 1);
        assert_eq!(f["max_statistic"]["feature"], "b");
        assert_eq!(f["max_statistic"]["value"], 0.4);
        assert_eq!(f["failing_features"], json!(["b"]));
    }

    #[test]
    fn training_keeps_numeric_holdout_metrics_only() {
        let report = json!({"status": "OK", "result": {"model": "gbm",
            "rows": {"usable": 10, "needed": 5},
            "holdout_metrics": {"roc_auc": 0.7, "calibration": [1, 2], "undefined": []}}});
        let f = figures("train-candidate", &report);
        assert_eq!(f["holdout_metrics"], json!({"roc_auc": 0.7}));
        assert_eq!(f["rows"]["needed"], 5);
    }

    #[test]
    fn an_error_report_keeps_its_message() {
        let report = json!({"status": "ERROR", "result": null, "messages": ["bad column"]});
        assert_eq!(figures("score-proxy", &report)["error"], "bad column");
    }

    #[test]
    fn absent_values_are_skipped() {
        assert!(figures("shadow-test", &json!({"status": "OK", "result": {}})).is_empty());
        assert!(figures("unknown", &json!({"status": "OK"})).is_empty());
    }
}
