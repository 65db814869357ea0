//! `refit validate` end to end: a contract inferred from a tiny baseline each test writes
//! itself, then one test per check on data that breaks it, clean data, a bad contract file,
//! and the contract train-candidate leaves in its model directory.

mod common;

use common::{Run, Workdir};
use serde_json::Value;

/// One row of the test tables: hours since 2026-11-01T00:00:00Z, server, cpu, region.
#[derive(Clone)]
struct Row {
    hour: i64,
    server: &'static str,
    cpu: String,
    region: &'static str,
}

fn stamp(hour: i64) -> String {
    format!("2026-11-{:02}T{:02}:00:00Z", 1 + hour / 24, hour % 24)
}

/// Two servers, ten rows each, six hours apart: 54 hours of history, cpu 10 to 90.
fn baseline() -> Vec<Row> {
    let mut rows = Vec::new();
    for server in ["s1", "s2"] {
        for i in 0..10 {
            rows.push(Row {
                hour: 6 * i,
                server,
                cpu: format!("{}", 10 + (i * 9) % 81),
                region: if i % 2 == 0 { "east" } else { "west" },
            });
        }
    }
    rows
}

fn csv(rows: &[Row]) -> String {
    let mut text = String::from("ts,server,cpu,region\n");
    for r in rows {
        text.push_str(&format!(
            "{},{},{},{}\n",
            stamp(r.hour),
            r.server,
            r.cpu,
            r.region
        ));
    }
    text
}

fn write(w: &Workdir, name: &str, text: &str) {
    std::fs::write(w.path(name), text).unwrap();
}

/// Infers contract.json from the baseline with `extra` flags; the baseline keeps it.
fn infer(w: &Workdir, extra: &[&str]) {
    write(w, "base.csv", &csv(&baseline()));
    let mut args = vec![
        "validate",
        "--infer",
        "--data",
        "base.csv",
        "--out",
        "contract.json",
        "--time",
        "ts",
    ];
    args.extend(extra);
    w.run(&args).assert_exit(0);
}

/// Checks `rows` (as today.csv) against contract.json, JSON on stdout.
fn check(w: &Workdir, rows: &[Row], extra: &[&str]) -> Run {
    write(w, "today.csv", &csv(rows));
    check_file(w, "today.csv", extra)
}

fn check_file(w: &Workdir, file: &str, extra: &[&str]) -> Run {
    let mut args = vec![
        "validate",
        "--contract",
        "contract.json",
        "--data",
        file,
        "--format",
        "json",
    ];
    args.extend(extra);
    w.run(&args)
}

/// (check, column, entity, severity) of each violation.
fn violations(run: &Run) -> Vec<(String, String, String, String)> {
    let text = |v: &Value| v.as_str().unwrap_or("").to_string();
    run.json()["result"]["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                text(&v["check"]),
                text(&v["column"]),
                text(&v["entity"]),
                text(&v["severity"]),
            )
        })
        .collect()
}

fn one(check: &str, column: &str, severity: &str) -> Vec<(String, String, String, String)> {
    vec![(check.into(), column.into(), String::new(), severity.into())]
}

#[test]
fn clean_data_passes() {
    let w = Workdir::new();
    infer(&w, &[]);
    let today: Vec<Row> = baseline().into_iter().skip(3).collect();
    let run = check(&w, &today, &[]);
    run.assert_exit(0);
    let report = run.json();
    assert_eq!(report["status"], "OK");
    assert_eq!(report["result"]["summary"]["violations"], 0);
    assert!(report["result"]["summary"]["checks"].as_u64().unwrap() >= 14);
    assert_eq!(report["result"]["contract"], "contract.json");
}

#[test]
fn infer_then_check_on_the_same_data_is_clean() {
    let w = Workdir::new();
    infer(&w, &["--key", "server,ts", "--rows-margin", "0.5"]);
    let contract: Value = serde_json::from_str(&w.read("contract.json")).unwrap();
    assert_eq!(contract["format"], "refit-contract/1");
    assert_eq!(contract["key"], serde_json::json!(["server", "ts"]));
    assert_eq!(
        contract["rows"],
        serde_json::json!({ "min": 10, "max": 30 })
    );
    let run = check_file(&w, "base.csv", &[]);
    run.assert_exit(0);
    assert_eq!(run.json()["result"]["summary"]["violations"], 0);
    let text = w.run(&[
        "validate",
        "--contract",
        "contract.json",
        "--data",
        "base.csv",
    ]);
    text.assert_exit(0);
    assert!(
        text.stdout
            .starts_with("validate OK: base.csv keeps contract.json ("),
        "{}",
        text.stdout
    );
}

#[test]
fn a_missing_required_column_fails() {
    let w = Workdir::new();
    infer(&w, &[]);
    write(
        &w,
        "today.csv",
        "ts,server,cpu\n2026-11-02T00:00:00Z,s1,50\n",
    );
    let run = check_file(&w, "today.csv", &[]);
    run.assert_exit(2);
    assert_eq!(violations(&run), one("required_column", "region", "error"));
    let v = &run.json()["result"]["violations"][0];
    assert_eq!(v["observed"], "missing; columns are: ts, server, cpu");
}

#[test]
fn extra_columns_fail_only_when_the_contract_says_so() {
    let w = Workdir::new();
    infer(&w, &[]);
    write(
        &w,
        "today.csv",
        "ts,server,cpu,region,mem\n2026-11-02T00:00:00Z,s1,50,east,3\n",
    );
    check_file(&w, "today.csv", &[]).assert_exit(0);
    infer(&w, &["--no-extra-columns"]);
    let run = check_file(&w, "today.csv", &[]);
    run.assert_exit(2);
    assert_eq!(violations(&run), one("extra_column", "mem", "error"));
}

#[test]
fn a_type_change_fails() {
    let w = Workdir::new();
    infer(&w, &[]);
    let mut today = baseline();
    today[0].cpu = "high".into();
    let run = check(&w, &today, &[]);
    run.assert_exit(2);
    assert_eq!(violations(&run), one("type", "cpu", "error"));
    let v = &run.json()["result"]["violations"][0];
    assert_eq!(
        (v["expected"].as_str(), v["observed"].as_str()),
        (Some("numeric"), Some("categorical (str)"))
    );
}

#[test]
fn a_null_share_above_the_baseline_plus_margin_fails() {
    let w = Workdir::new();
    infer(&w, &["--null-margin", "0.1"]);
    let mut today = baseline();
    for row in today.iter_mut().take(3) {
        row.cpu = String::new();
    }
    let run = check(&w, &today, &[]);
    run.assert_exit(2);
    assert_eq!(violations(&run), one("null_share", "cpu", "error"));
    let v = &run.json()["result"]["violations"][0];
    assert_eq!(v["observed"], "15.00% null (3 of 20 rows)");
    assert_eq!(v["expected"], "at most 10.00% null");
}

#[test]
fn values_outside_the_widened_range_warn() {
    let w = Workdir::new();
    infer(&w, &[]);
    let contract: Value = serde_json::from_str(&w.read("contract.json")).unwrap();
    // cpu 10..82 in the baseline, widened by 10% of its width on each side.
    assert_eq!(
        contract["columns"][2]["range"],
        serde_json::json!({ "min": 2.8, "max": 89.2 })
    );
    let mut today = baseline();
    today[0].cpu = "89".into();
    check(&w, &today, &[]).assert_exit(0);
    today[1].cpu = "95".into();
    let run = check(&w, &today, &[]);
    run.assert_exit(0);
    assert_eq!(run.json()["status"], "WARN");
    assert_eq!(violations(&run), one("range", "cpu", "warning"));
    check(&w, &today, &["--fail-on", "warn"]).assert_exit(3);
}

#[test]
fn the_contract_decides_a_check_s_severity() {
    let w = Workdir::new();
    infer(&w, &[]);
    let text = w
        .read("contract.json")
        .replace("\"range\": \"warning\"", "\"range\": \"error\"");
    write(&w, "contract.json", &text);
    let mut today = baseline();
    today[1].cpu = "95".into();
    let run = check(&w, &today, &[]);
    run.assert_exit(2);
    assert_eq!(violations(&run), one("range", "cpu", "error"));
    check(&w, &today, &["--skip", "range"]).assert_exit(0);
}

#[test]
fn unseen_categories_beyond_their_share_warn() {
    let w = Workdir::new();
    infer(&w, &["--max-unseen-share", "0.1"]);
    let mut today = baseline();
    today[0].region = "mars";
    check(&w, &today, &[]).assert_exit(0);
    today[1].region = "mars";
    today[2].region = "moon";
    let run = check(&w, &today, &[]);
    assert_eq!(violations(&run), one("domain", "region", "warning"));
    let v = &run.json()["result"]["violations"][0];
    assert_eq!(v["observed"], "15.00% unseen (3 of 20): mars (2), moon (1)");
}

#[test]
fn a_row_count_outside_its_bounds_fails() {
    let w = Workdir::new();
    infer(&w, &["--rows-margin", "0.5"]);
    let run = check(&w, &baseline()[..5], &[]);
    run.assert_exit(2);
    assert_eq!(
        violations(&run),
        vec![(
            "row_count".into(),
            String::new(),
            String::new(),
            "error".into()
        )]
    );
    let v = &run.json()["result"]["violations"][0];
    assert_eq!(
        (v["expected"].as_str(), v["observed"].as_str()),
        (Some("10 to 30 rows"), Some("5 rows"))
    );
}

#[test]
fn duplicate_keys_fail() {
    let w = Workdir::new();
    infer(&w, &["--key", "server,ts"]);
    let mut today = baseline();
    today.push(today[4].clone());
    let run = check(&w, &today, &[]);
    run.assert_exit(2);
    assert_eq!(violations(&run), one("unique_key", "server,ts", "error"));
    let v = &run.json()["result"]["violations"][0];
    assert_eq!(
        v["observed"],
        "1 duplicate key (the first: s1,2026-11-02T00:00:00Z), 0 rows with a null key"
    );
}

#[test]
fn stale_data_fails_freshness() {
    let w = Workdir::new();
    infer(&w, &["--max-age", "1d"]);
    // The latest row is 2026-11-03T06:00:00Z.
    check(&w, &baseline(), &["--now", "2026-11-04T00:00:00Z"]).assert_exit(0);
    let run = check(&w, &baseline(), &["--now", "2026-11-05T00:00:00Z"]);
    run.assert_exit(2);
    assert_eq!(violations(&run), one("freshness", "ts", "error"));
    assert_eq!(
        run.json()["result"]["violations"][0]["observed"],
        "2026-11-03T06:00:00Z, 1d 18h old"
    );
    // The command line's limit replaces the contract's.
    check(
        &w,
        &baseline(),
        &["--now", "2026-11-05T00:00:00Z", "--max-age", "2d"],
    )
    .assert_exit(0);
}

/// Entity rules small enough for ten rows per server.
const ENTITY_RULES: [&str; 8] = [
    "--entity",
    "server",
    "--min-history",
    "2d",
    "--min-entity-rows",
    "10",
    "--max-gap",
    "12h",
];

#[test]
fn an_entity_with_too_little_history_warns() {
    let w = Workdir::new();
    infer(&w, &ENTITY_RULES);
    let mut today = baseline();
    for row in today.iter_mut().filter(|r| r.server == "s2") {
        row.hour /= 2;
    }
    let run = check(&w, &today, &[]);
    run.assert_exit(0);
    let v = &run.json()["result"]["violations"][0];
    assert_eq!(
        (v["check"].as_str(), v["entity"].as_str()),
        (Some("entity_history"), Some("s2"))
    );
    assert_eq!(
        v["observed"],
        "1d 3h (2026-11-01T00:00:00Z to 2026-11-02T03:00:00Z)"
    );
    assert_eq!(v["column"], "server");
    assert_eq!(violations(&run).len(), 1);
}

#[test]
fn an_entity_with_too_few_rows_warns_and_fails_with_fail_on_warn() {
    let w = Workdir::new();
    infer(&w, &ENTITY_RULES);
    let mut today = baseline();
    today.remove(0);
    let run = check(&w, &today, &[]);
    run.assert_exit(0);
    assert_eq!(
        violations(&run),
        vec![(
            "entity_rows".into(),
            "server".into(),
            "s1".into(),
            "warning".into()
        )]
    );
    check(&w, &today, &["--fail-on", "warn"]).assert_exit(3);
    check(&w, &today, &["--fail-on", "warn", "--min-entity-rows", "9"]).assert_exit(0);
}

#[test]
fn an_entity_with_a_large_gap_warns() {
    let w = Workdir::new();
    infer(&w, &ENTITY_RULES);
    let mut today = baseline();
    for row in today
        .iter_mut()
        .filter(|r| r.server == "s1" && r.hour >= 30)
    {
        row.hour += 24;
    }
    let run = check(&w, &today, &[]);
    let v = &run.json()["result"]["violations"][0];
    assert_eq!(
        (v["check"].as_str(), v["entity"].as_str()),
        (Some("entity_gap"), Some("s1"))
    );
    assert_eq!(
        v["observed"],
        "1d 6h (2026-11-02T00:00:00Z to 2026-11-03T06:00:00Z)"
    );
    assert_eq!(violations(&run).len(), 1);
}

#[test]
fn an_invalid_contract_is_an_error_naming_the_file_and_the_field() {
    let w = Workdir::new();
    infer(&w, &[]);
    let text = w.read("contract.json").replacen(
        "\"max_null_share\": 0.05",
        "\"max_null_share\": \"lots\"",
        1,
    );
    write(&w, "contract.json", &text);
    write(&w, "today.csv", &csv(&baseline()));
    let run = w.run(&[
        "validate",
        "--contract",
        "contract.json",
        "--data",
        "today.csv",
        "--report",
        "r.json",
    ]);
    run.assert_exit(1);
    assert!(
        run.stderr.contains(
            "error: contract.json: field `columns[0].max_null_share`: invalid type: string \"lots\""
        ),
        "{}",
        run.stderr
    );
    let report: Value = serde_json::from_str(&w.read("r.json")).unwrap();
    assert_eq!(report["status"], "ERROR");
}

#[test]
fn unreadable_data_or_a_model_directory_without_a_contract_is_an_error() {
    let w = Workdir::new();
    infer(&w, &[]);
    write(&w, "broken.csv", "ts,server\n1,2,3\n");
    check_file(&w, "broken.csv", &[]).assert_exit(1);
    std::fs::create_dir(w.path("model")).unwrap();
    let run = w.run(&["validate", "--contract", "model", "--data", "base.csv"]);
    run.assert_exit(1);
    assert!(
        run.stderr.contains("holds no contract.json"),
        "{}",
        run.stderr
    );
    let run = w.run(&[
        "validate",
        "--contract",
        "contract.json",
        "--data",
        "base.csv",
        "--time",
        "ts",
    ]);
    run.assert_exit(1);
}

#[test]
fn metrics_count_violations_by_severity() {
    let w = Workdir::new();
    infer(&w, &[]);
    let mut today = baseline();
    today[1].cpu = "95".into();
    check(&w, &today, &["--metrics-file", "v.prom"]).assert_exit(0);
    let gauges = w.read("v.prom");
    assert!(
        gauges.contains("refit_validate_violations{severity=\"error\"} 0"),
        "{gauges}"
    );
    assert!(
        gauges.contains("refit_validate_violations{severity=\"warning\"} 1"),
        "{gauges}"
    );
    assert!(
        gauges.contains("refit_status{command=\"validate\"} 1"),
        "{gauges}"
    );
}

#[test]
fn the_text_is_a_verdict_then_one_line_per_violation() {
    let w = Workdir::new();
    infer(&w, &[]);
    write(
        &w,
        "today.csv",
        "ts,server,cpu,region\n2026-11-02T00:00:00Z,s1,50,\u{1b}[31mred\n",
    );
    let run = w.run(&[
        "validate",
        "--contract",
        "contract.json",
        "--data",
        "today.csv",
    ]);
    run.assert_exit(0);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(
        lines[0],
        "validate WARN: today.csv breaks contract.json: 1 violation (0 errors, 1 warning) in 15 checks"
    );
    assert!(
        lines[2].starts_with("severity  column  check"),
        "{}",
        run.stdout
    );
    assert!(
        lines[3].starts_with("warning   region  domain"),
        "{}",
        run.stdout
    );
    assert!(
        lines[3].ends_with("100.00% unseen (1 of 1): \\u{1b}[31mred (1)"),
        "{}",
        run.stdout
    );
    assert_eq!(lines.len(), 4, "{}", run.stdout);
}

/// Two servers, a reading every 10 minutes for a little over 7 days: seed 001's minimums hold.
fn training_csv() -> String {
    let mut text = String::from("id,ts,server,cpu,mem,failed\n");
    for (s, server) in ["s1", "s2"].iter().enumerate() {
        for i in 0..1010i64 {
            let minutes = i * 10;
            let ts = format!(
                "2026-11-{:02}T{:02}:{:02}:00Z",
                1 + minutes / 1440,
                (minutes % 1440) / 60,
                minutes % 60
            );
            let cpu = (i * 37 + s as i64 * 11) % 100;
            let mem = (i * 13) % 64;
            let failed = i64::from(cpu + mem / 4 > 60);
            text.push_str(&format!(
                "{server}-{i},{ts},{server},{cpu},{mem},{failed}\n"
            ));
        }
    }
    text
}

#[test]
fn train_candidate_leaves_a_contract_its_training_data_keeps() {
    let w = Workdir::new();
    write(&w, "train.csv", &training_csv());
    let train = |ids: &str, out: &str, extra: &[&str]| {
        let base = [
            "train-candidate",
            "--data",
            "train.csv",
            "--target",
            "failed",
            "--time",
            "ts",
            "--entity",
            "server",
            "--id",
            ids,
            "--features",
            "cpu,mem",
            "--model",
            "linear",
            "--out",
            out,
        ];
        w.run(&[&base[..], extra].concat()).assert_exit(0);
        let text = w.read(&format!("{out}/contract.json"));
        serde_json::from_str::<Value>(&text).unwrap()
    };
    let contract = train("id", "model", &[]);
    assert_eq!(contract["key"], serde_json::json!(["id"]));
    assert_eq!(contract["time_column"], "ts");
    assert_eq!(contract["entities"]["column"], "server");
    assert_eq!(contract["entities"]["min_rows"], 1000, "seed 001's default");
    let failed = contract["columns"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "failed")
        .unwrap();
    assert_eq!(failed["required"], false, "data to score has no target");
    let run = w.run(&[
        "validate",
        "--contract",
        "model",
        "--data",
        "train.csv",
        "--format",
        "json",
    ]);
    run.assert_exit(0);
    let report = run.json();
    assert_eq!(report["status"], "OK", "{report}");
    assert_eq!(report["result"]["contract"], "model/contract.json");
    // Ids that repeat are no key.
    let contract = train("server", "model2", &[]);
    assert_eq!(contract["key"], serde_json::json!([]));
    // Training's own per-entity minimums become the contract's.
    let contract = train("id", "model3", &["--min-entity-rows", "500"]);
    assert_eq!(contract["entities"]["min_rows"], 500);
}

#[test]
fn help() {
    let w = Workdir::new();
    let run = w.run(&["validate", "--help"]);
    run.assert_exit(0);
    insta::assert_snapshot!("refit-validate", run.stdout);
}
