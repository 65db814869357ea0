//! The metrics module against scikit-learn's values (fixtures/metrics/make_golden.py):
//! ties, one class only, tiny and large inputs.

mod common;

use common::assert_close;
use refit::metrics::{binary_metrics, choose_threshold, regression_metrics, ThresholdRule};
use serde_json::Value;

const REL: f64 = 1e-9;

fn golden() -> Value {
    let text = std::fs::read_to_string(common::fixture("metrics/golden.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

fn optional(got: Option<f64>, want: &Value, what: &str) {
    match (got, want.as_f64()) {
        (Some(g), Some(w)) => assert_close(g, w, REL, what),
        (None, None) => {}
        _ => panic!("{what}: got {got:?}, want {want}"),
    }
}

#[test]
fn binary_metrics_match_sklearn() {
    for case in golden()["binary"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let labels: Vec<bool> = case["labels"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_i64() == Some(1))
            .collect();
        let scores = floats(&case["scores"]);
        let m = binary_metrics(&labels, &scores, case["threshold"].as_f64().unwrap());
        for (rule, key) in [
            (ThresholdRule::F1, "threshold_f1"),
            (ThresholdRule::Youden, "threshold_youden"),
        ] {
            assert_eq!(
                choose_threshold(rule, &labels, &scores),
                case[key].as_f64().unwrap(),
                "{name} {key}"
            );
        }
        optional(m.roc_auc, &case["roc_auc"], &format!("{name} roc_auc"));
        optional(m.pr_auc, &case["pr_auc"], &format!("{name} pr_auc"));
        for (got, key) in [
            (m.log_loss, "log_loss"),
            (m.brier, "brier"),
            (m.accuracy, "accuracy"),
            (m.precision, "precision"),
            (m.recall, "recall"),
            (m.f1, "f1"),
        ] {
            assert_close(
                got,
                case[key].as_f64().unwrap(),
                REL,
                &format!("{name} {key}"),
            );
        }
        let want_fraction = floats(&case["calibration_fraction_positive"]);
        if !want_fraction.is_empty() {
            let occupied: Vec<_> = m.calibration.iter().filter(|b| b.count > 0).collect();
            assert_eq!(
                occupied.len(),
                want_fraction.len(),
                "{name} calibration bins"
            );
            for ((bin, fraction), predicted) in occupied
                .iter()
                .zip(want_fraction)
                .zip(floats(&case["calibration_mean_predicted"]))
            {
                assert_close(
                    bin.fraction_positive.unwrap(),
                    fraction,
                    REL,
                    &format!("{name} calibration fraction"),
                );
                assert_close(
                    bin.mean_predicted.unwrap(),
                    predicted,
                    REL,
                    &format!("{name} calibration mean"),
                );
            }
        }
    }
}

#[test]
fn regression_metrics_match_sklearn() {
    for case in golden()["regression"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let m = regression_metrics(&floats(&case["targets"]), &floats(&case["predictions"]));
        assert_close(
            m.mae,
            case["mae"].as_f64().unwrap(),
            REL,
            &format!("{name} mae"),
        );
        assert_close(
            m.rmse,
            case["rmse"].as_f64().unwrap(),
            REL,
            &format!("{name} rmse"),
        );
        optional(m.r2, &case["r2"], &format!("{name} r2"));
        optional(m.mape, &case["mape"], &format!("{name} mape"));
        assert_eq!(
            m.mape_zero_targets,
            case["mape_zero_targets"].as_u64().unwrap(),
            "{name} zero targets"
        );
    }
}
