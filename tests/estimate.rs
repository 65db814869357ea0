//! score-proxy --estimate end to end: CBPE estimates through the binary equal NannyML's
//! (fixtures/cbpe/golden.json), realized and estimated figures side by side when some outcomes
//! have arrived, the verdict on an estimated drop, and the refusals.

mod common;

use common::{fixture, run, run_json, Workdir};
use serde_json::Value;

fn golden() -> Value {
    let text = std::fs::read_to_string(fixture("cbpe/golden.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn estimate_args<'a>(reference: &'a str, predictions: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "score-proxy",
        "--estimate",
        "--predictions",
        predictions,
        "--score",
        "score",
        "--reference",
        reference,
        "--threshold",
        "0.5",
    ];
    args.extend_from_slice(extra);
    args
}

#[test]
fn estimates_equal_nannyml_through_the_binary() {
    let golden = golden();
    for (case, mode) in [("overconfident", "always"), ("calibrated", "never")] {
        let reference = fixture(&format!("cbpe/{case}_reference.csv"));
        let analysis = fixture(&format!("cbpe/{case}_analysis.csv"));
        let args = estimate_args(
            &reference,
            &analysis,
            &["--calibration", mode, "--metric", "roc_auc"],
        );
        let (code, report, stderr) = run_json(&args);
        assert_eq!(code, 0, "{stderr}");
        let estimated = &report["result"]["estimated"];
        assert_eq!(estimated["rows"], 1500);
        assert_eq!(estimated["calibrated"], mode == "always");
        for e in estimated["metrics"].as_array().unwrap() {
            let name = e["metric"].as_str().unwrap();
            let nannyml = if name == "pr_auc" {
                "average_precision"
            } else {
                name
            };
            let want = &golden["cases"][case][mode][nannyml];
            let got = e["value"].as_f64().unwrap();
            assert!(
                (got - want["value"].as_f64().unwrap()).abs() < 1e-6,
                "{case} {name}"
            );
            if name != "pr_auc" {
                let upper = e["upper"].as_f64().unwrap();
                let want_upper = want["upper_confidence_boundary"].as_f64().unwrap();
                assert!((upper - want_upper).abs() < 1e-6, "{case} {name} band");
            }
        }
    }
}

/// Half of the batch has its outcomes: realized metrics on that half, estimates on the rest,
/// in one report; the metrics file carries both.
#[test]
fn realized_and_estimated_stand_side_by_side() {
    let w = Workdir::new();
    let text = std::fs::read_to_string(fixture("cbpe/calibrated_analysis.csv")).unwrap();
    let (mut predictions, mut outcomes) = (String::from("id,score\n"), String::from("id,label\n"));
    for (i, line) in text.lines().skip(1).enumerate() {
        let (label, score) = line.split_once(',').unwrap();
        predictions.push_str(&format!("r{i},{score}\n"));
        if i % 2 == 0 {
            outcomes.push_str(&format!("r{i},{label}\n"));
        }
    }
    std::fs::write(w.path("p.csv"), predictions).unwrap();
    std::fs::write(w.path("o.csv"), outcomes).unwrap();
    let reference = fixture("cbpe/calibrated_reference.csv");
    let (p, o, m) = (w.path("p.csv"), w.path("o.csv"), w.path("m.prom"));
    let args = estimate_args(
        &reference,
        &p,
        &[
            "--outcomes",
            &o,
            "--on",
            "id",
            "--label",
            "label",
            "--metrics-file",
            &m,
        ],
    );
    let (code, report, stderr) = run_json(&args);
    assert_eq!(code, 0, "{stderr}");
    let result = &report["result"];
    assert_eq!(result["usable_rows"], 750);
    assert_eq!(result["estimated"]["rows"], 750);
    assert!(result["metrics"]["pr_auc"].is_f64(), "realized");
    let reasons = result["reasons"].to_string();
    assert!(
        reasons.contains("realized pr_auc") && reasons.contains("estimated pr_auc"),
        "{reasons}"
    );
    let metrics = w.read("m.prom");
    assert!(
        metrics.contains("refit_score_proxy_metric{metric=\"pr_auc\"}"),
        "{metrics}"
    );
    assert!(
        metrics.contains("refit_score_proxy_estimated_metric{metric=\"pr_auc\"}"),
        "{metrics}"
    );
}

/// The loop can act before labels arrive: an estimated drop beyond --max-drop is FAIL.
#[test]
fn an_estimated_drop_beyond_the_limit_fails() {
    let w = Workdir::new();
    std::fs::write(w.path("baseline.json"), r#"{"roc_auc": 0.95}"#).unwrap();
    let reference = fixture("cbpe/calibrated_reference.csv");
    let analysis = fixture("cbpe/calibrated_analysis.csv");
    let baseline = w.path("baseline.json");
    let args = estimate_args(
        &reference,
        &analysis,
        &[
            "--metric",
            "roc_auc",
            "--baseline-metrics",
            &baseline,
            "--max-drop",
            "0.05",
        ],
    );
    let (code, stdout, stderr) = run(&args);
    assert_eq!(code, 2, "{stdout}{stderr}");
    assert!(stdout.contains("estimated roc_auc dropped by"), "{stdout}");
}

#[test]
fn an_estimate_needs_a_reference_and_an_estimable_metric() {
    let analysis = fixture("cbpe/calibrated_analysis.csv");
    let (code, _, stderr) = run(&[
        "score-proxy",
        "--estimate",
        "--predictions",
        &analysis,
        "--score",
        "score",
    ]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("--estimate needs a labelled reference"),
        "{stderr}"
    );
    let reference = fixture("cbpe/calibrated_reference.csv");
    let (code, _, stderr) = run(&estimate_args(
        &reference,
        &analysis,
        &["--metric", "log_loss"],
    ));
    assert_eq!(code, 1);
    assert!(
        stderr.contains("--metric log_loss is not one of them"),
        "{stderr}"
    );
    let (code, _, stderr) = run(&estimate_args(
        &reference,
        &analysis,
        &["--outcomes", &analysis],
    ));
    assert_eq!(code, 1);
    assert!(stderr.contains("--outcomes needs --on KEYS"), "{stderr}");
}
