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

/// A scratch directory for fixtures written by the test itself.
struct Scratch(tempfile::TempDir);

impl Scratch {
    fn new() -> Scratch {
        Scratch(tempfile::tempdir().unwrap())
    }

    fn write(&self, name: &str, text: &str) -> String {
        let path = self.0.path().join(name);
        std::fs::write(&path, text).unwrap();
        path.display().to_string()
    }

    /// `server_id,timestamp` rows.
    fn telemetry(&self, rows: &[(String, &str)]) -> String {
        let mut csv = String::from("server_id,timestamp\n");
        for (server, at) in rows {
            csv.push_str(&format!("{server},{at}\n"));
        }
        self.write("telemetry.csv", &csv)
    }

    /// `server_id,timestamp,score` rows.
    fn predictions(&self, rows: &[(String, &str)]) -> String {
        let mut csv = String::from("server_id,timestamp,score\n");
        for (server, at) in rows {
            csv.push_str(&format!("{server},{at},0.5\n"));
        }
        self.write("predictions.csv", &csv)
    }

    fn vocabulary(&self, servers: &[String]) -> String {
        self.write("vocabulary.json", &serde_json::to_string(servers).unwrap())
    }
}

const NOW: &str = "2026-11-20T08:00:00Z";

fn servers(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("srv{i:03}")).collect()
}

fn at(servers: &[String], time: &'static str) -> Vec<(String, &'static str)> {
    servers.iter().map(|s| (s.clone(), time)).collect()
}

/// Seed 001's fleet: 400 servers reporting now, all 400 in the model's vocabulary, and a
/// predictions log `rows`.
fn seed_fleet(w: &Scratch, rows: &[(String, &str)]) -> Vec<String> {
    let fleet = servers(400);
    [
        "fleet-diff",
        "--data",
        &w.telemetry(&at(&fleet, NOW)),
        "--entity",
        "server_id",
        "--time",
        "timestamp",
        "--vocabulary",
        &w.vocabulary(&fleet),
        "--predictions",
        &w.predictions(rows),
        "--min-coverage",
        "1.0",
        "--min-prediction-coverage",
        "1.0",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// Seed 001: "we train 400 and only 170 are ever predicted on the dashboard: that is broken".
/// Stale predictions (two days old) and ones after now do not count.
#[test]
fn seed_170_of_400_predicted_is_a_fail() {
    let w = Scratch::new();
    let fleet = servers(400);
    let mut log = at(&fleet[..170], "2026-11-20T07:00:00Z");
    log.extend(at(&fleet[170..300], "2026-11-18T07:00:00Z"));
    log.extend(at(&fleet[300..], "2026-11-20T09:00:00Z"));
    let a = seed_fleet(&w, &log);
    let (code, report, _) = run_json(&strs(&a));
    assert_eq!((code, report["status"].as_str()), (2, Some("FAIL")));
    let r = &report["result"];
    assert_eq!(r["drift_band"], "OK");
    assert_eq!(r["counts"]["vocabulary_coverage"], 1.0);
    assert_eq!(r["counts"]["coverage"], 1.0, "the old key stays");
    let p = &r["prediction_coverage"];
    assert_eq!(
        (p["predicted"].as_u64(), p["active"].as_u64()),
        (Some(170), Some(400))
    );
    assert_eq!(p["ratio"], 0.425);
    let missing = p["without_prediction"].as_array().unwrap();
    assert_eq!(missing.len(), 230);
    assert_eq!(
        (missing[0].as_str(), missing[229].as_str()),
        (Some("srv170"), Some("srv399"))
    );
    assert_eq!(
        p["window"],
        serde_json::json!({"start": "2026-11-19T08:00:00Z", "end": NOW})
    );
    assert_eq!(p["rows"]["before_window"], 130);
    assert_eq!(p["rows"]["after_now"], 100);
    assert!(r["reasons"]
        .as_array()
        .unwrap()
        .contains(&serde_json::json!(
            "prediction coverage 42.50% (170 of 400 active entities) below \
         --min-prediction-coverage 100.00%"
        )));
    assert_eq!(report["params"]["predictions_time"], "timestamp");
    assert_eq!(report["params"]["prediction_window"], "24h");
    assert!(report["messages"][0]
        .as_str()
        .unwrap()
        .starts_with("100 predictions are stamped after now"));

    let (code, text, _) = run(&strs(&a));
    assert_eq!(code, 2);
    assert!(
        text.contains("prediction coverage 42.50% (170 of 400)")
            && text.contains(
                "230 active entities without a prediction from 2026-11-19T08:00:00Z to \
                 2026-11-20T08:00:00Z: srv170, srv171, srv172, srv173, srv174 and 225 more"
            ),
        "{text}"
    );
}

#[test]
fn full_prediction_coverage_passes() {
    let w = Scratch::new();
    let fleet = servers(400);
    let mut log = at(&fleet[..170], "2026-11-20T07:00:00Z");
    log.extend(at(&fleet[170..], "2026-11-19T08:00:00Z"));
    let (code, report, _) = run_json(&strs(&seed_fleet(&w, &log)));
    assert_eq!((code, report["status"].as_str()), (0, Some("OK")));
    let p = &report["result"]["prediction_coverage"];
    assert_eq!(p["ratio"], 1.0);
    assert_eq!(p["without_prediction"], serde_json::json!([]));
}

#[test]
fn a_longer_prediction_window_counts_older_predictions() {
    let w = Scratch::new();
    let fleet = servers(400);
    let mut log = at(&fleet[..170], "2026-11-20T07:00:00Z");
    log.extend(at(&fleet[170..], "2026-11-18T07:00:00Z"));
    let mut a = seed_fleet(&w, &log);
    assert_eq!(run_json(&strs(&a)).0, 2);
    a.extend(["--prediction-window".into(), "3d".into()]);
    let (code, report, _) = run_json(&strs(&a));
    assert_eq!(code, 0);
    assert_eq!(report["result"]["prediction_coverage"]["ratio"], 1.0);
}

#[test]
fn an_untimed_log_counts_every_prediction_and_says_so() {
    let mut a = args("fleet/mixed_zones.csv", "fleet/seed_vocabulary.json");
    a.extend([
        "--predictions".into(),
        fixture("fleet/predictions.csv"),
        "--min-prediction-coverage".into(),
        "1.0".into(),
    ]);
    let (code, report, _) = run_json(&strs(&a));
    assert_eq!(code, 0);
    let p = &report["result"]["prediction_coverage"];
    assert_eq!(
        (p["ratio"].as_f64(), &p["window"]),
        (Some(1.0), &serde_json::Value::Null)
    );
    assert_eq!(
        report["params"]["predictions_time"],
        serde_json::Value::Null
    );
    let messages = report["messages"].to_string();
    assert!(
        messages.contains("the predictions log has no time column"),
        "{messages}"
    );
}

#[test]
fn expected_servers_unknown_to_the_model_fail_min_coverage() {
    let w = Scratch::new();
    let fleet = servers(4);
    let mut a: Vec<String> = [
        "fleet-diff",
        "--data",
        &w.telemetry(&at(&fleet, NOW)),
        "--entity",
        "server_id",
        "--time",
        "timestamp",
        "--vocabulary",
        &w.vocabulary(&fleet),
        "--expected",
        &w.write(
            "servers.txt",
            "# the fleet\nsrv000\nsrv001\nsrv007\nsrv009\n",
        ),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let (code, report, _) = run_json(&strs(&a));
    assert_eq!(code, 0, "without the gate the missing ones are reported");
    let e = &report["result"]["expected"];
    assert_eq!(e["entities"], 4);
    assert_eq!(
        e["unknown_to_model"],
        serde_json::json!(["srv007", "srv009"])
    );
    assert_eq!(e["prediction_coverage"], serde_json::Value::Null);

    a.extend(["--min-coverage".into(), "1.0".into()]);
    let (code, report, _) = run_json(&strs(&a));
    assert_eq!(code, 2);
    let reasons = report["result"]["reasons"].to_string();
    assert!(
        reasons.contains(
            "vocabulary coverage 50.00% (2 of 4 expected entities) below --min-coverage 100.00%"
        ),
        "{reasons}"
    );
}

/// Seed 001's `validate_server_coverage(model, expected_servers)`: no telemetry, only the
/// list the business runs, the model and (optionally) the predictions log.
#[test]
fn an_expected_list_without_data_is_the_fleet() {
    let w = Scratch::new();
    let fleet = servers(5);
    let model = w.0.path().join("model");
    std::fs::create_dir(&model).unwrap();
    std::fs::write(
        model.join("metadata.json"),
        serde_json::json!({"vocabularies": {"server_id": fleet[..4]}}).to_string(),
    )
    .unwrap();
    let mut a: Vec<String> = [
        "fleet-diff",
        "--expected",
        &w.write("servers.txt", &fleet.join("\n")),
        "--entity",
        "server_id",
        "--model",
        &model.display().to_string(),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let (code, report, _) = run_json(&strs(&a));
    let r = &report["result"];
    // Seed 001's calculate_fleet_drift on sets: 1 new of 4 known is 25%, MEDIUM.
    assert_eq!((code, report["status"].as_str()), (0, Some("WARN")), "{r}");
    assert_eq!(r["drift_band"], "MEDIUM");
    assert_eq!(report["params"]["now"], serde_json::Value::Null);
    assert_eq!(r["new_entities"], serde_json::json!(["srv004"]));
    assert_eq!(
        r["expected"]["unknown_to_model"],
        serde_json::json!(["srv004"])
    );

    a.extend([
        "--predictions".into(),
        w.predictions(&at(&fleet[..3], NOW)),
        "--predictions-time".into(),
        "timestamp".into(),
        "--min-prediction-coverage".into(),
        "1.0".into(),
        "--drift-bands".into(),
        "0.5,0.6,0.7".into(),
    ]);
    let (code, report, _) = run_json(&strs(&a));
    let r = &report["result"];
    assert_eq!(code, 2);
    assert_eq!(
        report["params"]["now"], NOW,
        "now from the latest prediction"
    );
    assert_eq!(
        r["expected"]["without_prediction"],
        serde_json::json!(["srv003", "srv004"])
    );
    assert_eq!(
        r["reasons"][2],
        "prediction coverage 60.00% (3 of 5 expected entities) below \
         --min-prediction-coverage 100.00%"
    );
}

#[test]
fn data_and_time_go_together_and_one_of_data_or_expected_is_needed() {
    let vocabulary = fixture("fleet/seed_vocabulary.json");
    let telemetry = fixture("fleet/seed_telemetry.csv");
    let base = [
        "fleet-diff",
        "--entity",
        "server_id",
        "--vocabulary",
        &vocabulary,
    ];
    for extra in [
        vec![],
        vec!["--data", telemetry.as_str()],
        vec!["--time", "timestamp"],
    ] {
        let (code, _, stderr) = run(&[&base[..], &extra[..]].concat());
        assert_eq!(code, 1, "{extra:?}: {stderr}");
    }
}

/// Seed 001: `days_offline = (now - last_seen).days >= 7` is a sunset candidate, `>= 30`
/// confirmed; whole days, floored.
#[test]
fn sunset_bounds_are_inclusive_like_the_seed() {
    let w = Scratch::new();
    let rows: Vec<(String, &str)> = [
        ("now", NOW),
        ("d6h23", "2026-11-13T09:00:00Z"),
        ("d7", "2026-11-13T08:00:00Z"),
        ("d29", "2026-10-22T08:00:00Z"),
        ("d30", "2026-10-21T08:00:00Z"),
    ]
    .iter()
    .map(|(s, t)| (s.to_string(), *t))
    .collect();
    let names: Vec<String> = rows.iter().map(|(s, _)| s.clone()).collect();
    let a: Vec<String> = [
        "fleet-diff",
        "--data",
        &w.telemetry(&rows),
        "--entity",
        "server_id",
        "--time",
        "timestamp",
        "--vocabulary",
        &w.vocabulary(&names),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let (_, report, _) = run_json(&strs(&a));
    let status = |id: &str| {
        report["result"]["entities"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["entity"] == id)
            .unwrap()["status"]
            .clone()
    };
    assert_eq!(status("now"), "active");
    assert_eq!(status("d6h23"), "offline");
    assert_eq!(status("d7"), "sunset_candidate");
    assert_eq!(status("d29"), "sunset_candidate");
    assert_eq!(status("d30"), "sunset_confirmed");
    assert_eq!(
        report["result"]["sunset_entities"],
        serde_json::json!(["d30"])
    );
}

#[test]
fn the_html_report_shows_both_coverages() {
    let w = Scratch::new();
    let fleet = servers(400);
    let mut a = seed_fleet(&w, &at(&fleet[..170], "2026-11-20T07:00:00Z"));
    let html = w.0.path().join("fleet.html");
    a.extend([
        "--html".into(),
        html.display().to_string(),
        "--quiet".into(),
    ]);
    assert_eq!(run(&strs(&a)).0, 2);
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(
        page.contains("vocabulary coverage 100.00% of active entities known to the model")
            && page.contains("prediction coverage 42.50% (170 of 400 active entities")
            && page.contains("<h3>Active entities without a prediction</h3><p>srv170, srv171"),
        "{page}"
    );
}

#[test]
fn min_prediction_coverage_is_a_share_and_needs_a_log() {
    let a = args("fleet/seed_telemetry.csv", "fleet/seed_vocabulary.json");
    let predictions = fixture("fleet/predictions.csv");
    for extra in [
        vec![
            "--predictions",
            predictions.as_str(),
            "--min-prediction-coverage",
            "1.5",
        ],
        vec!["--min-prediction-coverage", "1.0"],
    ] {
        let (code, _, stderr) = run(&[&strs(&a)[..], &extra[..]].concat());
        assert_eq!(code, 1, "{extra:?}: {stderr}");
        assert!(stderr.contains("--min-prediction-coverage"), "{stderr}");
    }
}
