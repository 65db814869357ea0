//! `refit runs list|show|record` and `refit staleness` through the real binary: the ledger's
//! lines, what the commands print, and the refusals.

mod common;

use common::{fixture, train_linear_churn, Workdir};
use serde_json::Value;

/// A run folder with a drift-check FAIL and a promote report, as the loop leaves them.
fn run_folder(w: &Workdir, name: &str) -> String {
    let dir = std::path::PathBuf::from(w.path(name));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("drift-check.json"),
        r#"{"status": "FAIL", "exit_code": 2, "started_at": "2026-11-22T03:00:01Z",
            "result": {"summary": {"features": 2, "fail": 1, "warn": 0},
            "features": [{"name": "x", "status": "FAIL", "verdict": {"statistic": "psi", "value": 0.4}}]}}"#,
    )
    .unwrap();
    dir.display().to_string()
}

/// `refit runs record RUN --registry W/registry --outcome OUTCOME EXTRA...`.
fn record(w: &Workdir, run: &str, outcome: &str, extra: &[&str]) -> common::Run {
    let registry = w.path("registry");
    let args = [
        &[
            "runs",
            "record",
            run,
            "--registry",
            &registry,
            "--outcome",
            outcome,
        ][..],
        extra,
    ]
    .concat();
    w.run(&args)
}

#[test]
fn record_appends_one_line_and_list_and_show_read_it() {
    let w = Workdir::new();
    let run = run_folder(&w, "runs/20261122T030000Z");
    let registry = w.path("registry");
    let registry = registry.as_str();
    let record = w.run(&[
        "--format",
        "json",
        "--metrics-file",
        &w.path("loop.prom"),
        "runs",
        "record",
        &run,
        "--registry",
        registry,
        "--outcome",
        "insufficient_data",
        "--trigger",
        "drift-check FAIL",
        "--started-at",
        "2026-11-22T03:00:00Z",
    ]);
    record.assert_exit(0);
    let ledger = std::fs::read_to_string(format!("{registry}/runs.jsonl")).unwrap();
    assert_eq!(ledger.lines().count(), 1);
    let line: Value = serde_json::from_str(ledger.lines().next().unwrap()).unwrap();
    assert_eq!(line["outcome"], "insufficient_data");
    assert_eq!(line["triggers"][0], "drift-check FAIL");
    assert_eq!(line["steps"][0]["figures"]["failing_features"][0], "x");
    let metrics = std::fs::read_to_string(w.path("loop.prom")).unwrap();
    assert!(metrics.contains("refit_loop_runs_total{outcome=\"insufficient_data\"} 1"));
    assert!(metrics.contains("refit_loop_last_run_outcome{outcome=\"insufficient_data\"} 1"));
    // An empty registry has no live model: no model-age series rather than a made-up one.
    assert!(!metrics.contains("refit_model_age_seconds"));

    let list = w.run(&["runs", "list", "--registry", registry]);
    list.assert_exit(0);
    assert!(list.stdout.contains("20261122T030000Z"), "{}", list.stdout);
    assert!(list.stdout.contains("insufficient_data"));
    let show = w.run(&["runs", "show", "--registry", registry]);
    show.assert_exit(0);
    assert!(show.stdout.contains("loop exit 4"), "{}", show.stdout);
    assert!(show.stdout.contains("drift-check"));
}

#[test]
fn the_same_run_is_not_recorded_twice() {
    let w = Workdir::new();
    let run = run_folder(&w, "runs/20261122T030000Z");
    record(&w, &run, "nothing_to_do", &[]).assert_exit(0);
    let again = record(&w, &run, "nothing_to_do", &[]);
    again.assert_exit(1);
    assert!(
        again.stderr.contains("already recorded"),
        "{}",
        again.stderr
    );
}

#[test]
fn show_names_a_run_that_is_not_there() {
    let w = Workdir::new();
    let run = run_folder(&w, "runs/a");
    let registry = w.path("registry");
    let registry = registry.as_str();
    record(&w, &run, "nothing_to_do", &[]).assert_exit(0);
    let show = w.run(&["runs", "show", "nope", "--registry", registry]);
    show.assert_exit(1);
    assert!(show.stderr.contains("no run `nope`"), "{}", show.stderr);
}

#[test]
fn a_broken_ledger_line_is_an_error_naming_the_line() {
    let w = Workdir::new();
    std::fs::create_dir_all(w.path("registry/versions")).unwrap();
    std::fs::write(w.path("registry/runs.jsonl"), "{\"run\": 1}\n").unwrap();
    let list = w.run(&["runs", "list", "--registry", &w.path("registry")]);
    list.assert_exit(1);
    assert!(
        list.stderr.contains("line 1: not a run record"),
        "{}",
        list.stderr
    );
}

#[test]
fn staleness_by_age_and_by_new_rows() {
    let w = Workdir::new();
    let model = train_linear_churn(std::path::Path::new(&w.path("model")), "tenure_months");
    let registry = w.path("registry");
    let registry = registry.as_str();
    w.run(&["promote", "--registry", registry, "--candidate", &model])
        .assert_exit(0);
    let fresh = w.run(&["staleness", "--registry", registry, "--max-age", "30d"]);
    fresh.assert_exit(0);
    let later = w.run(&[
        "--format",
        "json",
        "staleness",
        "--registry",
        registry,
        "--max-age",
        "30d",
        "--now",
        "2099-01-01T00:00:00Z",
    ]);
    later.assert_exit(2);
    let report: Value = serde_json::from_str(&later.stdout).unwrap();
    assert!(report["result"]["due"][0]
        .as_str()
        .unwrap()
        .starts_with("model age"));
    // The churn batch is later than the history the model was trained on.
    let batch = fixture("loop/churn/batch.parquet");
    let rows = w.run(&[
        "--format",
        "json",
        "staleness",
        "--registry",
        registry,
        "--min-new-rows",
        "1000",
        "--data",
        &batch,
    ]);
    rows.assert_exit(2);
    let report: Value = serde_json::from_str(&rows.stdout).unwrap();
    assert_eq!(report["result"]["new_rows"], 1500);
    let no_data = w.run(&["staleness", "--registry", registry, "--min-new-rows", "5"]);
    no_data.assert_exit(1);
    assert!(no_data.stderr.contains("--min-new-rows needs --data"));
}

#[test]
fn help_of_runs_and_staleness_is_snapshotted() {
    for command in [
        vec!["runs"],
        vec!["runs", "list"],
        vec!["runs", "show"],
        vec!["runs", "record"],
        vec!["staleness"],
    ] {
        let w = Workdir::new();
        let run = w.run(&[command.clone(), vec!["--help"]].concat());
        run.assert_exit(0);
        insta::assert_snapshot!(format!("refit-{}", command.join("-")), run.stdout);
    }
}

#[test]
fn report_shows_the_ledger_as_a_timeline() {
    let w = Workdir::new();
    let run = run_folder(&w, "runs/20261122T030000Z");
    let registry = w.path("registry");
    let error = [
        "--error-step",
        "score-proxy",
        "--error-message",
        "outcomes.parquet: no such file",
    ];
    record(&w, &run, "error", &error).assert_exit(0);
    let page = w.path("loop.html");
    w.run(&["report", "--registry", &registry, "--out", &page])
        .assert_exit(0);
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.contains("Retrain-loop runs (1)"), "{html}");
    assert!(html.contains("20261122T030000Z"));
    assert!(html.contains("score-proxy failed: outcomes.parquet: no such file"));
}
