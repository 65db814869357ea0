//! shadow-test end to end: golden DeLong/McNemar/metrics on externally scored rows
//! (fixtures/shadow/make_fixtures.py), and real models trained by train-candidate that are
//! clearly better, clearly worse, tied, failing coverage, or missing.

mod common;

use std::path::Path;

use common::{assert_close, fixture, run, run_json};
use refit::stats::delong::delong_paired_test;
use refit::stats::mcnemar::mcnemar_test;
use serde_json::Value;

fn golden() -> Value {
    let text = std::fs::read_to_string(fixture("shadow/golden.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn bools(v: &Value) -> Vec<bool> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_i64() == Some(1))
        .collect()
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

#[test]
fn delong_and_mcnemar_match_the_reference_libraries() {
    let g = golden();
    let case = &g["cases"]["delong_ties"];
    let r = delong_paired_test(
        &bools(&case["labels"]),
        &floats(&case["a"]),
        &floats(&case["b"]),
    )
    .unwrap();
    assert_close(r.z, case["z"].as_f64().unwrap(), 1e-10, "delong z");
    assert_close(
        r.p_value,
        case["p_value"].as_f64().unwrap(),
        1e-10,
        "delong p",
    );
    let case = &g["cases"]["mcnemar_small"];
    let r = mcnemar_test(
        &bools(&case["labels"]),
        &bools(&case["a"]),
        &bools(&case["b"]),
    )
    .unwrap();
    assert_close(
        r.chi2,
        case["chi2"].as_f64().unwrap(),
        1e-12,
        "mcnemar chi2",
    );
    assert_close(
        r.p_value,
        case["p_value"].as_f64().unwrap(),
        1e-10,
        "mcnemar p",
    );
}

fn scored_args(extra: &[&str]) -> Vec<String> {
    let mut args: Vec<String> = [
        "shadow-test",
        "--champion",
        &fixture("shadow/champion"),
        "--challenger",
        &fixture("shadow/challenger"),
        "--data",
        &fixture("shadow/scored.parquet"),
        "--label",
        "churned",
        "--time",
        "ts",
        "--last",
        "1500",
        "--champion-scores",
        "champion_score",
        "--challenger-scores",
        "challenger_score",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

fn strs(a: &[String]) -> Vec<&str> {
    a.iter().map(String::as_str).collect()
}

#[test]
fn externally_scored_models_get_golden_numbers_at_their_own_thresholds() {
    let g = golden();
    let (code, report, stderr) = run_json(&strs(&scored_args(&[])));
    assert_eq!(code, 0, "{stderr}");
    let r = &report["result"];
    assert_eq!(r["verdict"], "PASS");
    assert_eq!(r["rows"], 1500);
    for side in ["champion", "challenger"] {
        for metric in ["roc_auc", "pr_auc", "log_loss", "accuracy"] {
            assert_close(
                r[side]["metrics"][metric].as_f64().unwrap(),
                g[side][metric].as_f64().unwrap(),
                1e-10,
                &format!("{side} {metric}"),
            );
        }
    }
    // Each model used its own threshold from metadata.json: 0.5 and 0.4.
    assert_eq!(r["champion"]["decision_threshold"], 0.5);
    assert_eq!(r["challenger"]["decision_threshold"], 0.4);
    assert_close(
        r["delong"]["z"].as_f64().unwrap(),
        g["delong"]["z"].as_f64().unwrap(),
        1e-9,
        "delong z",
    );
    assert_close(
        r["delong"]["p_value"].as_f64().unwrap(),
        g["delong"]["p_value"].as_f64().unwrap(),
        1e-6,
        "delong p",
    );
    let mc = &g["mcnemar_thresholds_0.5_0.4"];
    assert_close(
        r["mcnemar"]["chi2"].as_f64().unwrap(),
        mc["chi2"].as_f64().unwrap(),
        1e-12,
        "mcnemar chi2",
    );
    assert_close(
        r["mcnemar"]["p_value"].as_f64().unwrap(),
        mc["p_value"].as_f64().unwrap(),
        1e-9,
        "mcnemar p",
    );
    assert!(r["rule"]
        .as_str()
        .unwrap()
        .contains("ties go to the challenger"));
    // The challenger is clearly better: the whole interval favours it.
    assert!(r["bootstrap"]["improvement_low"].as_f64().unwrap() > 0.0);
    assert_eq!(r["challenger"]["fingerprint"].as_str().unwrap().len(), 64);
}

#[test]
fn bootstrap_is_reproducible_by_seed() {
    let interval = |seed: &str| {
        let (code, report, stderr) =
            run_json(&strs(&scored_args(&["--seed", seed, "--bootstrap", "300"])));
        assert_eq!(code, 0, "{stderr}");
        report["result"]["bootstrap"].clone()
    };
    let a = interval("7");
    assert_eq!(a, interval("7"));
    assert_ne!(a["difference_low"], interval("8")["difference_low"]);
}

#[test]
fn coverage_gate_lists_the_entities_the_challenger_does_not_know() {
    let (code, report, _) = run_json(&strs(&scored_args(&[
        "--entity",
        "device_id",
        "--min-coverage",
        "1.0",
    ])));
    assert_eq!(code, 2);
    let r = &report["result"];
    assert_eq!(r["verdict"], "FAIL");
    assert_eq!(
        r["coverage"]["missing"],
        serde_json::json!(["dev-038", "dev-039"])
    );
    assert_close(
        r["coverage"]["coverage"].as_f64().unwrap(),
        38.0 / 40.0,
        1e-12,
        "coverage",
    );
}

#[test]
fn too_few_rows_is_insufficient_evidence() {
    // No rows at all (a --since after the data): the metric is undefined, FAIL not an error.
    let (code, report, stderr) = run_json(&strs(&scored_args(&["--since", "2030-01-01"])));
    assert_eq!(code, 2, "{stderr}");
    assert!(report["result"]["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r.as_str().unwrap().contains("is undefined")));

    let mut args = scored_args(&[]);
    let last = args.iter().position(|a| a == "1500").unwrap();
    args[last] = "50".into();
    let (code, report, _) = run_json(&strs(&args));
    assert_eq!(code, 2);
    assert!(report["result"]["reasons"][0]
        .as_str()
        .unwrap()
        .contains("insufficient evidence: 50 rows"));
}

/// Trains a linear model on fixtures/train/churn.parquet with the given features.
fn train(dir: &Path, name: &str, features: &str) -> String {
    common::train_linear_churn(&dir.join(name), features)
}

fn shadow(champion: &str, challenger: &str, extra: &[&str]) -> (i32, Value, String) {
    let churn = fixture("train/churn.parquet");
    let mut args = vec![
        "shadow-test",
        "--champion",
        champion,
        "--challenger",
        challenger,
        "--data",
        &churn,
        "--label",
        "churned",
        "--time",
        "event_time",
        "--last",
        "600",
    ];
    args.extend(extra);
    run_json(&args)
}

const ALL: &str = "tenure_months,monthly_usage,support_calls,discount,region";

#[test]
fn refit_scored_models_better_worse_and_tied() {
    let tmp = tempfile::tempdir().unwrap();
    let strong = train(tmp.path(), "strong", ALL);
    let weak = train(tmp.path(), "weak", "tenure_months");
    let twin = train(tmp.path(), "twin", ALL);

    let (code, report, stderr) = shadow(&weak, &strong, &[]);
    assert_eq!(code, 0, "better challenger: {stderr}");
    // A floor applies on top of the comparison.
    let (code, report_floor, _) = shadow(&weak, &strong, &["--min-metric", "roc_auc=0.99"]);
    assert_eq!(code, 2);
    assert!(report_floor["result"]["reasons"][0]
        .as_str()
        .unwrap()
        .contains("misses the floor 0.99"));
    assert!(
        report["result"]["comparison"]["improvement"]
            .as_f64()
            .unwrap()
            > 0.05
    );

    let (code, report, _) = shadow(&strong, &weak, &["--metric", "roc_auc"]);
    assert_eq!(code, 2, "worse challenger");
    assert_eq!(report["result"]["verdict"], "FAIL");
    assert!(report["result"]["delong"]["z"].as_f64().unwrap() < -2.0);

    // An identically trained twin ties: ties go to the challenger...
    let (code, report, _) = shadow(&strong, &twin, &[]);
    assert_eq!(code, 0);
    assert_eq!(report["result"]["comparison"]["difference"], 0.0);
    // ...but a tie is not significant evidence.
    let (code, report, _) = shadow(&strong, &twin, &["--require-significant"]);
    assert_eq!(code, 2);
    assert!(report["result"]["reasons"][0]
        .as_str()
        .unwrap()
        .starts_with("not significant"));

    // A worse challenger within a generous relative tolerance passes.
    let (code, _, _) = shadow(
        &strong,
        &weak,
        &["--metric", "log_loss", "--tolerance-rel", "0.5"],
    );
    assert_eq!(code, 0);
}

#[test]
fn without_a_champion_only_floors_apply_and_nothing_compares_with_itself() {
    let tmp = tempfile::tempdir().unwrap();
    let strong = train(tmp.path(), "strong", ALL);
    let (code, report, _) = run_json(&[
        "shadow-test",
        "--no-champion",
        "--challenger",
        &strong,
        "--data",
        &fixture("train/churn.parquet"),
        "--label",
        "churned",
        "--min-metric",
        "roc_auc=0.7",
    ]);
    assert_eq!(code, 0);
    assert_eq!(report["result"]["bootstrap"], "no champion");
    assert_eq!(report["result"]["champion"], Value::Null);
    let (code, report, _) = run_json(&[
        "shadow-test",
        "--no-champion",
        "--challenger",
        &strong,
        "--data",
        &fixture("train/churn.parquet"),
        "--label",
        "churned",
        "--min-metric",
        "roc_auc=0.95",
    ]);
    assert_eq!(code, 2);
    assert!(report["result"]["reasons"][0]
        .as_str()
        .unwrap()
        .contains("misses the floor 0.95"));

    // An empty registry has no champion either.
    let registry = tmp.path().join("registry");
    std::fs::create_dir_all(registry.join("versions")).unwrap();
    let (code, report, _) = shadow(&registry.display().to_string(), &strong, &[]);
    assert_eq!(code, 0);
    assert_eq!(report["result"]["bootstrap"], "no champion");
    // A registry with a current version supplies it.
    std::fs::write(
        registry.join("current.json"),
        r#"{"version": 1, "path": "versions/v000001"}"#,
    )
    .unwrap();
    std::fs::rename(
        train(tmp.path(), "weak", "tenure_months"),
        registry.join("versions/v000001"),
    )
    .unwrap();
    let (code, report, _) = shadow(&registry.display().to_string(), &strong, &[]);
    assert_eq!(code, 0);
    assert!(report["result"]["champion"]["path"]
        .as_str()
        .unwrap()
        .ends_with("versions/v000001"));

    let (code, _, stderr) = run(&[
        "shadow-test",
        "--champion",
        &strong,
        "--challenger",
        &strong,
        "--data",
        &fixture("train/churn.parquet"),
        "--label",
        "churned",
    ]);
    assert_eq!(code, 1);
    assert!(stderr.contains("nothing to compare"), "{stderr}");
}

#[test]
fn incompatible_models_and_inputs_are_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let strong = train(tmp.path(), "strong", ALL);
    // A regression model of another target.
    let spend = tmp.path().join("spend");
    let (code, _, stderr) = run(&[
        "train-candidate",
        "--data",
        &fixture("train/churn.parquet"),
        "--target",
        "spend",
        "--time",
        "event_time",
        "--features",
        "monthly_usage",
        "--model",
        "linear",
        "--out",
        &spend.display().to_string(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    let (code, _, stderr) = run(&[
        "shadow-test",
        "--champion",
        &spend.display().to_string(),
        "--challenger",
        &strong,
        "--data",
        &fixture("train/churn.parquet"),
        "--label",
        "churned",
    ]);
    assert_eq!(code, 1);
    assert!(stderr.contains("cannot be compared"), "{stderr}");

    let partial = tmp.path().join("partial.csv");
    std::fs::write(&partial, "tenure_months,churned\n3,1\n5,0\n").unwrap();
    let (code, _, stderr) = run(&[
        "shadow-test",
        "--no-champion",
        "--challenger",
        &strong,
        "--data",
        &partial.display().to_string(),
        "--label",
        "churned",
    ]);
    assert_eq!(code, 1);
    assert!(stderr.contains("`monthly_usage` not found"), "{stderr}");
    let (code, _, stderr) = run(&[
        "shadow-test",
        "--no-champion",
        "--challenger",
        &strong,
        "--data",
        &fixture("train/today.parquet"),
        "--label",
        "outcome",
    ]);
    assert_eq!(code, 1);
    assert!(stderr.contains("`outcome` not found"), "{stderr}");
}

#[test]
fn one_row_is_insufficient_evidence_whatever_min_samples_says() {
    let mut args = scored_args(&["--min-samples", "0", "--metric", "accuracy"]);
    let last = args.iter().position(|a| a == "--last").unwrap();
    args[last + 1] = "1".into();
    let (code, report, _) = run_json(&strs(&args));
    assert_eq!(code, 2, "{report}");
    let reasons = report["result"]["reasons"].to_string();
    assert!(
        reasons.contains("insufficient evidence: 1 rows"),
        "{reasons}"
    );
}
