//! fleet-diff end to end on hand-checkable fixtures (fixtures/fleet/README.md).

mod common;

use common::{assert_close, fixture, run, run_json};

fn args(data: &str, vocabulary: &str) -> Vec<String> {
    [
        "fleet-diff",
        "--data",
        &fixture(data),
        "--entity",
        "server_id",
        "--time",
        "timestamp",
        "--vocabulary",
        &fixture(vocabulary),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

fn strs(a: &[String]) -> Vec<&str> {
    a.iter().map(String::as_str).collect()
}

#[test]
fn seed_example_two_new_servers_is_high_drift() {
    let a = args("fleet/seed_telemetry.csv", "fleet/seed_vocabulary.json");
    let (code, report, _) = run_json(&strs(&a));
    assert_eq!(code, 2);
    let r = &report["result"];
    assert_close(
        r["fleet_drift"].as_f64().unwrap(),
        2.0 / 3.0,
        1e-12,
        "drift",
    );
    assert_eq!(r["drift_band"], "HIGH");
    assert_eq!(r["priority"], "HIGH");
    assert_eq!(r["new_entities"], serde_json::json!(["s4", "s5"]));
    assert_eq!(r["sunset_entities"], serde_json::json!([]));
    // --now defaults to the latest timestamp in the data, so reruns agree.
    assert_eq!(report["params"]["now"], "2026-11-20T08:00:00Z");
}

#[test]
fn vocabulary_from_a_model_directory() {
    let mut a = args("fleet/seed_telemetry.csv", "fleet/seed_vocabulary.json");
    a.truncate(a.len() - 2);
    a.extend(["--model".to_string(), fixture("fleet/model")]);
    let (code, report, _) = run_json(&strs(&a));
    assert_eq!(code, 2);
    assert_eq!(report["result"]["counts"]["vocabulary"], 3);
}

#[test]
fn all_new_fleet_counts_new_and_sunset() {
    let a = args("fleet/all_new_telemetry.csv", "fleet/seed_vocabulary.json");
    let (code, report, _) = run_json(&strs(&a));
    assert_eq!(code, 2);
    let counts = &report["result"]["counts"];
    assert_eq!(
        (counts["new"].as_u64(), counts["sunset"].as_u64()),
        (Some(2), Some(3))
    );
    assert_close(
        report["result"]["fleet_drift"].as_f64().unwrap(),
        5.0 / 3.0,
        1e-12,
        "drift",
    );
    assert_eq!(counts["coverage"], 0.0);
}

#[test]
fn shrunk_fleet_is_low_drift_warn_with_a_sunset_candidate() {
    let a = args("fleet/shrunk_telemetry.csv", "fleet/shrunk_vocabulary.json");
    let (code, report, _) = run_json(&strs(&a));
    assert_eq!((code, report["status"].as_str()), (0, Some("WARN")));
    let r = &report["result"];
    assert_eq!(r["drift_band"], "LOW");
    assert_eq!(r["sunset_entities"], serde_json::json!(["s10"]));
    assert_eq!(r["counts"]["sunset_candidate"], 1);
    let s09 = r["entities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["entity"] == "s09")
        .unwrap();
    assert_eq!(s09["status"], "sunset_candidate");
    let mut strict = a.clone();
    strict.extend(["--fail-on".to_string(), "warn".to_string()]);
    assert_eq!(run_json(&strs(&strict)).0, 3);
}

#[test]
fn mixed_time_zones_null_ids_unknown_rate_and_coverage() {
    let mut a = args("fleet/mixed_zones.csv", "fleet/seed_vocabulary.json");
    a.extend([
        "--predictions".into(),
        fixture("fleet/predictions.csv"),
        "--min-coverage".into(),
        "1.0".into(),
    ]);
    let (code, report, _) = run_json(&strs(&a));
    // 3 of 20 predictions unknown = 15%: warning band, not critical; coverage 100%.
    assert_eq!((code, report["status"].as_str()), (0, Some("WARN")));
    let r = &report["result"];
    assert_eq!(report["params"]["now"], "2026-11-20T08:00:00Z");
    assert_eq!(r["unknown_predictions"]["band"], "warning");
    assert_close(
        r["unknown_predictions"]["rate"].as_f64().unwrap(),
        0.15,
        1e-12,
        "unknown rate",
    );
    assert_eq!(r["row_issues"]["null_entity"], 1);
    let last_seen = |id: &str| {
        r["entities"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["entity"] == id)
            .unwrap()["last_seen"]
            .clone()
    };
    assert_eq!(last_seen("s1"), "2026-11-20T08:00:00Z");
    assert_eq!(last_seen("s2"), "2026-11-20T07:30:00Z");
    assert_eq!(last_seen("s3"), "2026-11-20T01:00:00Z");
    assert!(report["messages"][0]
        .as_str()
        .unwrap()
        .contains("null `server_id`"));
}

#[test]
fn coverage_below_minimum_fails() {
    let mut a = args("fleet/seed_telemetry.csv", "fleet/seed_vocabulary.json");
    a.extend([
        "--min-coverage".into(),
        "1.0".into(),
        "--drift-bands".into(),
        "0.7,0.8,0.9".into(),
    ]);
    let (code, report, _) = run_json(&strs(&a));
    assert_eq!(
        code, 2,
        "drift is OK under these bands, coverage 60% < 100% fails"
    );
    assert_eq!(report["result"]["drift_band"], "OK");
}

#[test]
fn explicit_now_counts_future_rows() {
    let mut a = args("fleet/seed_telemetry.csv", "fleet/seed_vocabulary.json");
    a.extend(["--now".into(), "2026-11-20T07:30:00Z".into()]);
    let (_, report, _) = run_json(&strs(&a));
    assert_eq!(report["result"]["row_issues"]["future"], 3);
    assert_eq!(report["params"]["now_source"], "--now");
}

#[test]
fn structural_errors_exit_one() {
    let bad_time = args("fleet/bad_timestamps.csv", "fleet/seed_vocabulary.json");
    let (code, _, stderr) = run(&strs(&bad_time));
    assert_eq!(code, 1);
    assert!(
        stderr.contains("`timestamp`")
            && stderr.contains("bad_timestamps.csv")
            && stderr.contains("1 rows"),
        "{stderr}"
    );

    let mut missing = args("fleet/seed_telemetry.csv", "fleet/seed_vocabulary.json");
    missing[4] = "host".into();
    let (code, _, stderr) = run(&strs(&missing));
    assert_eq!(code, 1);
    assert!(
        stderr.contains("`host` not found in") && stderr.contains("seed_telemetry.csv"),
        "{stderr}"
    );

    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.json");
    std::fs::write(&empty, "[]").unwrap();
    let mut a = args("fleet/seed_telemetry.csv", "fleet/seed_vocabulary.json");
    let last = a.len() - 1;
    a[last] = empty.display().to_string();
    let (code, _, stderr) = run(&strs(&a));
    assert_eq!(code, 1);
    assert!(stderr.contains("empty"), "{stderr}");
}
