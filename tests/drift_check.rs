//! drift-check end to end: the real binary on fixtures, numbers against scipy's golden values,
//! verdicts and exit codes, and every bad-input case.

mod common;

use common::{assert_close, fixture, golden, run, run_json};
use serde_json::Value;

const REL: f64 = 1e-9;

fn feature<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["result"]["features"]
        .as_array()
        .expect("features array")
        .iter()
        .find(|f| f["name"] == name)
        .unwrap_or_else(|| panic!("feature {name} in report"))
}

fn opt_close(got: &Value, want: &Value, what: &str) {
    match (got.as_f64(), want.as_f64()) {
        (Some(g), Some(w)) => assert_close(g, w, REL, what),
        (None, None) => {}
        _ => panic!("{what}: got {got}, want {want}"),
    }
}

fn check_against_golden(report: &Value, golden: &Value, features: &[&str]) {
    for &name in features {
        let want = &golden[name];
        let got = &feature(report, name)["statistics"];
        opt_close(&got["psi"], &want["psi"], &format!("{name} psi"));
        opt_close(
            &got["js_distance"],
            &want["js_distance"],
            &format!("{name} js"),
        );
        opt_close(
            &got["missing_rate_change"],
            &want["missing_rate_change"],
            &format!("{name} missing rate change"),
        );
        if want["chi2"].is_object() {
            opt_close(
                &got["chi2"]["statistic"],
                &want["chi2"]["statistic"],
                &format!("{name} chi2"),
            );
            opt_close(
                &got["chi2"]["pvalue"],
                &want["chi2"]["pvalue"],
                &format!("{name} chi2 p"),
            );
            assert_eq!(got["chi2"]["dof"], want["chi2"]["dof"], "{name} chi2 dof");
        }
        if want["kind"] == "numeric" && want["psi"].is_number() {
            assert_eq!(
                got["baseline_counts"], want["baseline_counts"],
                "{name} baseline bin counts"
            );
            assert_eq!(
                got["current_counts"], want["current_counts"],
                "{name} current bin counts"
            );
            assert_eq!(got["bin_cuts"], want["bin_cuts"], "{name} bin cuts");
            opt_close(
                &got["ks"]["statistic"],
                &want["ks"]["statistic"],
                &format!("{name} ks"),
            );
            opt_close(
                &got["ks"]["pvalue"],
                &want["ks"]["pvalue"],
                &format!("{name} ks p"),
            );
            opt_close(
                &got["wasserstein"],
                &want["wasserstein"],
                &format!("{name} wasserstein"),
            );
            for key in ["null", "nan", "pos_inf", "neg_inf", "rows"] {
                assert_eq!(
                    got["current_missing"][key], want["current_missing"][key],
                    "{name} current {key}"
                );
                assert_eq!(
                    got["baseline_missing"][key], want["baseline_missing"][key],
                    "{name} baseline {key}"
                );
            }
        }
        if want["kind"] == "categorical" {
            opt_close(
                &got["new_category_share"],
                &want["new_category_share"],
                &format!("{name} new share"),
            );
            assert_eq!(
                got["new_categories"], want["new_categories"],
                "{name} new categories"
            );
        }
    }
}

const ALL: [&str; 8] = [
    "age",
    "income",
    "tenure_months",
    "discount",
    "plan",
    "region",
    "is_active",
    "sensor",
];

#[test]
fn drifted_data_matches_scipy_and_fails() {
    let (code, report, _) = run_json(&[
        "drift-check",
        "--baseline",
        &fixture("drift/baseline.parquet"),
        "--current",
        &fixture("drift/current.parquet"),
        "--exclude",
        "customer_id",
    ]);
    assert_eq!(code, 2, "drift FAIL exits 2");
    assert_eq!(report["status"], "FAIL");
    assert_eq!(report["exit_code"], 2);
    assert_eq!(report["command"], "drift-check");
    check_against_golden(&report, &golden()["drifted"], &ALL);
    let status = |n: &str| feature(&report, n)["status"].as_str().unwrap().to_string();
    assert_eq!(status("age"), "FAIL");
    assert_eq!(status("discount"), "FAIL");
    assert_eq!(status("plan"), "FAIL");
    assert_eq!(status("tenure_months"), "WARN");
    assert_eq!(status("income"), "OK");
    // No finite values on the current side: null statistics with the reason, WARN.
    assert_eq!(status("sensor"), "WARN");
    let sensor = &feature(&report, "sensor")["statistics"];
    assert!(sensor["psi"].is_null());
    assert_eq!(sensor["notes"][0], "current has no finite values");
    // Infinite current values are counted, not binned.
    let income = &feature(&report, "income")["statistics"];
    assert_eq!(income["current_missing"]["pos_inf"], 5);
    assert_eq!(income["current_missing"]["neg_inf"], 3);
    assert_eq!(report["result"]["summary"]["js_base"], 2);
}

#[test]
fn same_distribution_is_ok_and_matches_scipy() {
    let (code, report, _) = run_json(&[
        "drift-check",
        "--baseline",
        &fixture("drift/baseline.parquet"),
        "--current",
        &fixture("drift/current_same.parquet"),
        "--exclude",
        "customer_id",
    ]);
    assert_eq!(code, 0);
    assert_eq!(report["status"], "OK");
    check_against_golden(&report, &golden()["same"], &ALL);
}

#[test]
fn warn_exits_zero_unless_fail_on_warn() {
    let base = fixture("drift/baseline.parquet");
    let cur = fixture("drift/current.parquet");
    let args = [
        "drift-check",
        "--baseline",
        &base,
        "--current",
        &cur,
        "--features",
        "tenure_months",
    ];
    let (code, report, _) = run_json(&args);
    assert_eq!((code, report["status"].as_str()), (0, Some("WARN")));
    let mut with_fail_on = args.to_vec();
    with_fail_on.extend(["--fail-on", "warn"]);
    let (code, report, _) = run_json(&with_fail_on);
    assert_eq!((code, report["exit_code"].as_i64()), (3, Some(3)));
}

#[test]
fn ks_pvalues_are_bonferroni_corrected() {
    let (code, report, _) = run_json(&[
        "drift-check",
        "--baseline",
        &fixture("drift/baseline.parquet"),
        "--current",
        &fixture("drift/current_same.parquet"),
        "--features",
        "age,income,tenure_months,plan",
        "--method",
        "ks",
    ]);
    assert_eq!(code, 0);
    let g = &golden()["same"];
    let raw = g["income"]["ks"]["pvalue"].as_f64().unwrap();
    let income = feature(&report, "income");
    assert_close(
        income["verdict"]["adjusted_pvalue"].as_f64().unwrap(),
        (raw * 4.0).min(1.0),
        REL,
        "bonferroni",
    );
    // Categorical features are judged by the chi-square p-value under --method ks.
    assert_eq!(
        feature(&report, "plan")["verdict"]["statistic"],
        "chi2_pvalue"
    );
}

#[test]
fn fail_share_turns_a_single_failure_into_warn() {
    let (code, report, _) = run_json(&[
        "drift-check",
        "--baseline",
        &fixture("drift/baseline.parquet"),
        "--current",
        &fixture("drift/current.parquet"),
        "--features",
        "age,income,region,is_active",
        "--fail-share",
        "0.5",
    ]);
    assert_eq!((code, report["status"].as_str()), (0, Some("WARN")));
}

#[test]
fn per_feature_thresholds_from_config() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("drift.toml");
    std::fs::write(
        &config,
        "[features.age]\nwarn = 0.5\nfail = 0.9\n[features.customer_id]\nexclude = true\n",
    )
    .unwrap();
    let (code, report, _) = run_json(&[
        "drift-check",
        "--baseline",
        &fixture("drift/baseline.parquet"),
        "--current",
        &fixture("drift/current.parquet"),
        "--features",
        "age",
        "--config",
        config.to_str().unwrap(),
    ]);
    assert_eq!(code, 0);
    assert_eq!(feature(&report, "age")["status"], "OK");
}

#[test]
fn shards_csv_and_ndjson_give_the_same_numbers() {
    let g = golden();
    let base = fixture("drift/baseline.parquet");
    let glob = fixture("drift/shards/part-*.parquet");
    let (code, report, _) = run_json(&[
        "drift-check",
        "--baseline",
        &base,
        "--current",
        &glob,
        "--exclude",
        "customer_id",
    ]);
    assert_eq!(code, 2);
    assert_eq!(
        report["inputs"].as_array().unwrap().len(),
        3,
        "baseline + two shards"
    );
    check_against_golden(&report, &g["drifted"], &ALL);

    let csv = fixture("drift/current.csv");
    let (_, report, _) = run_json(&[
        "drift-check",
        "--baseline",
        &base,
        "--current",
        &csv,
        "--features",
        "age,tenure_months,discount",
    ]);
    check_against_golden(
        &report,
        &g["drifted"],
        &["age", "tenure_months", "discount"],
    );

    let ndjson = fixture("drift/current.ndjson");
    let (_, report, _) = run_json(&[
        "drift-check",
        "--baseline",
        &base,
        "--current",
        &ndjson,
        "--features",
        "age,plan",
    ]);
    check_against_golden(&report, &g["drifted"], &["age", "plan"]);
}

#[test]
fn profile_baseline_gives_the_same_psi_as_raw_data() {
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("profile.json");
    let (code, _, stderr) = run(&[
        "profile",
        "--data",
        &fixture("drift/baseline.parquet"),
        "--out",
        profile.to_str().unwrap(),
        "--exclude",
        "customer_id",
    ]);
    assert_eq!(code, 0, "{stderr}");
    let (code, report, _) = run_json(&[
        "drift-check",
        "--baseline",
        profile.to_str().unwrap(),
        "--current",
        &fixture("drift/current.parquet"),
        "--exclude",
        "customer_id",
    ]);
    assert_eq!(code, 2);
    let g = &golden()["drifted"];
    for name in ["age", "tenure_months", "discount", "plan", "income"] {
        let got = &feature(&report, name)["statistics"];
        opt_close(
            &got["psi"],
            &g[name]["psi"],
            &format!("{name} psi from profile"),
        );
        opt_close(
            &got["js_distance"],
            &g[name]["js_distance"],
            &format!("{name} js from profile"),
        );
        if name == "plan" {
            continue;
        }
        // KS and Wasserstein from the profile's quantile sketch: within the bound it states.
        let bound = &got["approximate"];
        let ks_error = bound["ks_statistic_max_error"].as_f64().unwrap();
        let w_error = bound["wasserstein_max_error"].as_f64().unwrap();
        assert!(ks_error < 0.002, "{name}: {bound}");
        let ks = got["ks"]["statistic"].as_f64().unwrap();
        let want = g[name]["ks"]["statistic"].as_f64().unwrap();
        assert!(
            (ks - want).abs() <= ks_error + 1e-12,
            "{name} ks {ks} vs {want}"
        );
        let w = got["wasserstein"].as_f64().unwrap();
        let want = g[name]["wasserstein"].as_f64().unwrap();
        assert!(
            (w - want).abs() <= w_error * (1.0 + 1e-12),
            "{name} wasserstein {w} vs {want}"
        );
    }
    // --method ks decides on the approximate statistic; the message says so.
    let (code, report, stderr) = run_json(&[
        "drift-check",
        "--baseline",
        profile.to_str().unwrap(),
        "--current",
        &fixture("drift/current.parquet"),
        "--method",
        "ks",
    ]);
    assert_eq!(code, 2, "{stderr}");
    let messages = report["messages"].to_string();
    assert!(messages.contains("approximate"), "{messages}");
}

#[test]
fn report_and_metrics_files_are_written() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("drift.json");
    let metrics = dir.path().join("drift.prom");
    let (code, stdout, _) = run(&[
        "drift-check",
        "--baseline",
        &fixture("drift/baseline.parquet"),
        "--current",
        &fixture("drift/current.parquet"),
        "--exclude",
        "customer_id",
        "--report",
        report.to_str().unwrap(),
        "--metrics-file",
        metrics.to_str().unwrap(),
    ]);
    assert_eq!(code, 2);
    assert!(
        stdout.starts_with("drift-check FAIL: 3 of 8 features FAIL, 2 WARN"),
        "{stdout}"
    );
    // Text output is sorted by severity.
    let statuses: Vec<&str> = stdout
        .lines()
        .skip(4)
        .map(|l| l.split_whitespace().nth(2).unwrap())
        .collect();
    assert_eq!(
        statuses,
        ["FAIL", "FAIL", "FAIL", "WARN", "WARN", "OK", "OK", "OK"]
    );
    let envelope: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    for key in [
        "tool",
        "version",
        "command",
        "schema",
        "started_at",
        "finished_at",
        "status",
        "exit_code",
        "inputs",
        "params",
        "result",
        "messages",
    ] {
        assert!(envelope.get(key).is_some(), "envelope has {key}");
    }
    assert_eq!(envelope["inputs"][0]["rows"], 5000);
    assert_eq!(envelope["inputs"][0]["sha256"].as_str().unwrap().len(), 64);
    let prom = std::fs::read_to_string(&metrics).unwrap();
    let psi_age = golden()["drifted"]["age"]["psi"].as_f64().unwrap();
    let line = prom
        .lines()
        .find(|l| l.starts_with("refit_drift_psi{feature=\"age\"}"))
        .expect("age psi metric");
    let value: f64 = line.split_whitespace().last().unwrap().parse().unwrap();
    assert_close(value, psi_age, REL, "metric psi");
    assert!(prom.contains("refit_status{command=\"drift-check\"} 2"));
    assert!(prom.contains("# TYPE refit_last_run_timestamp_seconds gauge"));
}

#[test]
fn quiet_prints_nothing_but_keeps_the_exit_code() {
    let (code, stdout, stderr) = run(&[
        "drift-check",
        "--quiet",
        "--baseline",
        &fixture("drift/baseline.parquet"),
        "--current",
        &fixture("drift/current.parquet"),
    ]);
    assert_eq!((code, stdout.as_str(), stderr.as_str()), (2, "", ""));
}

/// Every bad input exits 1 with one clear line naming the file (and column), and writes no report.
fn assert_error(args: &[&str], needles: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.json");
    let mut full = args.to_vec();
    full.extend(["--report", report.to_str().unwrap()]);
    let (code, stdout, stderr) = run(&full);
    assert_eq!(code, 1, "args {args:?}: stderr {stderr}");
    assert!(stdout.is_empty(), "nothing on stdout: {stdout}");
    for needle in needles {
        assert!(
            stderr.contains(needle),
            "stderr should mention {needle:?}: {stderr}"
        );
    }
    // A usage error (clap's, before anything runs) leaves nothing; any other error leaves
    // exactly the ERROR report --report asked for.
    let usage = stderr.contains("For more information, try '--help'");
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    if usage {
        assert!(left.is_empty(), "a usage error writes nothing: {args:?}");
        return;
    }
    let text = std::fs::read_to_string(&report)
        .unwrap_or_else(|e| panic!("{args:?}: no ERROR report ({e}); stderr {stderr}"));
    let written: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(written["status"], "ERROR");
    assert_eq!(written["exit_code"], 1);
    assert_eq!(left.len(), 1, "only the report: {args:?}");
}

#[test]
fn bad_inputs_are_errors_naming_file_and_column() {
    let base = fixture("drift/baseline.parquet");
    let cur = fixture("drift/current.parquet");
    assert_error(
        &[
            "drift-check",
            "--baseline",
            "nope.parquet",
            "--current",
            &cur,
        ],
        &["nope.parquet", "no such file"],
    );
    let truncated = fixture("drift/bad_truncated.parquet");
    assert_error(
        &["drift-check", "--baseline", &truncated, "--current", &cur],
        &["bad_truncated.parquet"],
    );
    let non_utf8 = fixture("drift/bad_non_utf8.csv");
    assert_error(
        &[
            "drift-check",
            "--baseline",
            &base,
            "--current",
            &non_utf8,
            "--features",
            "plan",
        ],
        &["bad_non_utf8.csv"],
    );
    let empty = fixture("drift/bad_empty.parquet");
    assert_error(
        &["drift-check", "--baseline", &empty, "--current", &cur],
        &["bad_empty.parquet", "empty"],
    );
    assert_error(
        &[
            "drift-check",
            "--baseline",
            &base,
            "--current",
            &cur,
            "--features",
            "age,churned",
        ],
        &["`churned`", "baseline.parquet", "columns are"],
    );
    assert_error(
        &[
            "drift-check",
            "--baseline",
            &base,
            "--current",
            &cur,
            "--no-such-flag",
        ],
        &["--no-such-flag"],
    );
    assert_error(&["drift-check", "--baseline", &base], &["--current"]);
    assert_error(
        &[
            "drift-check",
            "--baseline",
            &base,
            "--current",
            &cur,
            "--method",
            "wasserstein",
        ],
        &["--warn-wasserstein"],
    );
    assert_error(
        &[
            "drift-check",
            "--baseline",
            &base,
            "--current",
            "*.nothing-matches",
        ],
        &["no files match"],
    );
}

#[test]
fn unknown_subcommand_exits_one_and_help_exits_zero() {
    let (code, _, _) = run(&["frobnicate"]);
    assert_eq!(code, 1);
    let (code, stdout, _) = run(&["--help"]);
    assert_eq!(code, 0);
    assert!(stdout.contains("Exit codes"));
}

// A feature the current data lacks, or whose type changed, is a data problem: FAIL for that
// feature with the reason, counted in the verdict, never OK and never exit 1 (issue 16).

/// A column of the small tables below: its name and its value on row `i`.
type Column = (&'static str, fn(usize) -> String);

const A: Column = ("a", |i| format!("{}", i % 17));
const B: Column = ("b", |i| format!("{:.2}", (i % 23) as f64 * 1.5));
const C: Column = ("c", |i| format!("{}", (i * 7) % 13));
const PLAN: Column = ("plan", |i| ["basic", "pro", "max"][i % 3].to_string());
const REGION: Column = ("region", |i| ["north", "south"][i % 2].to_string());
/// `b` as text, as an upstream change would leave it.
const B_AS_TEXT: Column = ("b", |i| ["low", "high"][i % 2].to_string());
/// `c` as text.
const C_AS_TEXT: Column = ("c", |i| format!("c{}", i % 3));

/// Writes 300 rows of `columns` as CSV; both sides of a check hold the same values, so every
/// feature they share and agree on the type of is OK.
fn table(dir: &std::path::Path, name: &str, columns: &[Column]) -> String {
    let mut text = columns.iter().map(|c| c.0).collect::<Vec<_>>().join(",") + "\n";
    for i in 0..300 {
        let row: Vec<String> = columns.iter().map(|c| (c.1)(i)).collect();
        text.push_str(&(row.join(",") + "\n"));
    }
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

fn baseline_table(dir: &std::path::Path) -> String {
    table(dir, "baseline.csv", &[A, B, C, PLAN, REGION])
}

fn status_of(report: &Value, name: &str) -> String {
    feature(report, name)["status"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn a_numeric_feature_missing_today_fails_with_its_reason_everywhere() {
    let dir = tempfile::tempdir().unwrap();
    let base = baseline_table(dir.path());
    let cur = table(dir.path(), "today.csv", &[A, C, PLAN, REGION]);
    let metrics = dir.path().join("drift.prom");
    let html = dir.path().join("drift.html");
    let (code, report, stderr) = run_json(&[
        "drift-check",
        "--baseline",
        &base,
        "--current",
        &cur,
        "--metrics-file",
        metrics.to_str().unwrap(),
        "--html",
        html.to_str().unwrap(),
    ]);
    assert_eq!(code, 2, "a missing feature is a FAIL, not OK: {stderr}");
    assert_eq!(report["status"], "FAIL");
    let b = feature(&report, "b");
    assert_eq!(b["status"], "FAIL");
    assert_eq!(b["reason"], "missing in current");
    assert_eq!(b["kind"], "numeric", "the baseline's kind");
    assert!(b["statistics"].is_null(), "{b}");
    assert!(b["verdict"]["value"].is_null(), "{b}");
    assert_eq!(b["schema_change"]["change"], "missing_in_current");
    for other in ["a", "c", "plan", "region"] {
        assert_eq!(status_of(&report, other), "OK", "{other}");
    }
    let summary = &report["result"]["summary"];
    assert_eq!(
        (summary["features"].as_u64(), summary["fail"].as_u64()),
        (Some(5), Some(1))
    );
    assert_eq!(
        report["params"]["features"][1], "b",
        "resolved features include it"
    );

    let prom = std::fs::read_to_string(&metrics).unwrap();
    assert!(
        prom.contains("refit_drift_feature_status{feature=\"b\"} 2"),
        "{prom}"
    );
    assert!(!prom.contains("refit_drift_psi{feature=\"b\"}"), "{prom}");
    assert!(prom.contains("refit_drift_features_failed 1"), "{prom}");
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(
        page.contains("missing in current"),
        "the HTML names the reason"
    );

    // The text table lists it first, with the reason.
    let (code, stdout, _) = run(&["drift-check", "--baseline", &base, "--current", &cur]);
    assert_eq!(code, 2);
    assert!(
        stdout.starts_with("drift-check FAIL: 1 of 5 features FAIL"),
        "{stdout}"
    );
    let first = stdout.lines().nth(4).unwrap();
    assert!(
        first.starts_with("b ")
            && first.contains("num")
            && first.trim_end().ends_with("missing in current"),
        "{stdout}"
    );
}

#[test]
fn a_categorical_feature_missing_today_fails_against_a_profile() {
    let dir = tempfile::tempdir().unwrap();
    let base = baseline_table(dir.path());
    let profile = dir.path().join("profile.json");
    let (code, _, stderr) = run(&[
        "profile",
        "--data",
        &base,
        "--out",
        profile.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    let cur = table(dir.path(), "today.csv", &[A, B, C, REGION]);
    for listed in [None, Some("a,plan")] {
        let mut args = vec![
            "drift-check",
            "--baseline",
            profile.to_str().unwrap(),
            "--current",
            &cur,
        ];
        args.extend(listed.map(|f| ["--features", f]).into_iter().flatten());
        let (code, report, stderr) = run_json(&args);
        assert_eq!(code, 2, "{listed:?}: {stderr}");
        let plan = feature(&report, "plan");
        assert_eq!(plan["status"], "FAIL", "{listed:?}");
        assert_eq!(plan["reason"], "missing in current");
        assert_eq!(plan["kind"], "categorical");
        assert!(plan["statistics"].is_null());
        assert_eq!(status_of(&report, "a"), "OK");
    }
}

#[test]
fn a_type_change_fails_with_both_types() {
    let dir = tempfile::tempdir().unwrap();
    let base = baseline_table(dir.path());
    let cur = table(dir.path(), "today.csv", &[A, B_AS_TEXT, C, PLAN, REGION]);
    for listed in [None, Some("a,b")] {
        let mut args = vec!["drift-check", "--baseline", &base, "--current", &cur];
        args.extend(listed.map(|f| ["--features", f]).into_iter().flatten());
        let (code, report, stderr) = run_json(&args);
        assert_eq!(code, 2, "a type change is a FAIL, not exit 1: {stderr}");
        let b = feature(&report, "b");
        assert_eq!(b["status"], "FAIL");
        assert_eq!(b["reason"], "type changed: f64 -> str");
        assert_eq!(b["kind"], "numeric");
        assert!(b["statistics"].is_null());
        assert_eq!(b["schema_change"]["baseline"], "f64");
        assert_eq!(b["schema_change"]["current"], "str");
        assert_eq!(status_of(&report, "a"), "OK");
    }
    // Against a profile too: it records each feature's type.
    let profile = dir.path().join("profile.json");
    let (code, _, _) = run(&[
        "profile",
        "--data",
        &base,
        "--out",
        profile.to_str().unwrap(),
    ]);
    assert_eq!(code, 0);
    let (code, report, _) = run_json(&[
        "drift-check",
        "--baseline",
        profile.to_str().unwrap(),
        "--current",
        &cur,
    ]);
    assert_eq!(code, 2);
    assert_eq!(feature(&report, "b")["reason"], "type changed: f64 -> str");
    // --categorical still compares a column as categories whatever its type.
    let (code, report, _) = run_json(&[
        "drift-check",
        "--baseline",
        &base,
        "--current",
        &cur,
        "--features",
        "b",
        "--categorical",
        "b",
    ]);
    assert_eq!(code, 2, "every category is new");
    assert!(feature(&report, "b")["statistics"]["psi"].is_number());
}

#[test]
fn the_fixtures_age_as_text_is_a_type_change() {
    // This used to exit 1 as a usage error; a type changed upstream is a data problem.
    let (code, report, stderr) = run_json(&[
        "drift-check",
        "--baseline",
        &fixture("drift/baseline.parquet"),
        "--current",
        &fixture("drift/bad_age_as_text.csv"),
        "--features",
        "age",
    ]);
    assert_eq!(code, 2, "{stderr}");
    assert_eq!(
        feature(&report, "age")["reason"],
        "type changed: f64 -> str"
    );
}

#[test]
fn schema_changes_count_in_the_fail_share() {
    let dir = tempfile::tempdir().unwrap();
    let base = baseline_table(dir.path());
    // 1 of 5 failing, below --fail-share 0.5: WARN, exit 0.
    let one = table(dir.path(), "one.csv", &[A, B, C, REGION]);
    let (code, report, stderr) = run_json(&[
        "drift-check",
        "--baseline",
        &base,
        "--current",
        &one,
        "--fail-share",
        "0.5",
    ]);
    assert_eq!(
        (code, report["status"].as_str()),
        (0, Some("WARN")),
        "{stderr}"
    );
    assert_eq!(report["result"]["summary"]["fail"], 1);
    // 3 of 5: two missing, one type changed: FAIL, exit 2.
    let three = table(dir.path(), "three.csv", &[A, C_AS_TEXT, REGION]);
    let (code, report, stderr) = run_json(&[
        "drift-check",
        "--baseline",
        &base,
        "--current",
        &three,
        "--fail-share",
        "0.5",
    ]);
    assert_eq!(
        (code, report["status"].as_str()),
        (2, Some("FAIL")),
        "{stderr}"
    );
    assert_eq!(report["result"]["summary"]["fail"], 3);
    assert_eq!(feature(&report, "c")["reason"], "type changed: i64 -> str");
    // With --fail-on warn the one-of-five WARN exits 3, still not 1.
    let (code, _, _) = run_json(&[
        "drift-check",
        "--baseline",
        &base,
        "--current",
        &one,
        "--fail-share",
        "0.5",
        "--fail-on",
        "warn",
    ]);
    assert_eq!(code, 3);
}

#[test]
fn only_a_feature_missing_from_the_baseline_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let base = baseline_table(dir.path());
    // Every feature missing today: still a verdict.
    let none = table(dir.path(), "none.csv", &[("other", |i| i.to_string())]);
    let (code, report, stderr) =
        run_json(&["drift-check", "--baseline", &base, "--current", &none]);
    assert_eq!(code, 2, "{stderr}");
    assert_eq!(report["result"]["summary"]["fail"], 5);
    assert_eq!(report["result"]["summary"]["current_rows"], 300);
    // Listed but in neither file: a usage error naming the baseline.
    let cur = table(dir.path(), "today.csv", &[A, B, C, PLAN, REGION]);
    assert_error(
        &[
            "drift-check",
            "--baseline",
            &base,
            "--current",
            &cur,
            "--features",
            "a,churned",
        ],
        &["`churned`", "baseline.csv", "columns are"],
    );
}
