//! The Prometheus text refit writes, checked by the real `promtool check metrics` (Debian's
//! prometheus package): gauges, counters and histograms as rendered, and the metrics files of
//! real runs. Without promtool the tests are skipped with a note, unless
//! REFIT_REQUIRE_PROMTOOL=1 makes its absence a failure.

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

use common::{fixture, Workdir};
use refit::report::prometheus::Gauges;

/// Whether promtool runs here; its absence is a failure only when REFIT_REQUIRE_PROMTOOL=1.
fn promtool_available(test: &str) -> bool {
    let found = Command::new("promtool")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !found {
        assert!(
            std::env::var("REFIT_REQUIRE_PROMTOOL").as_deref() != Ok("1"),
            "REFIT_REQUIRE_PROMTOOL=1 but promtool is not on PATH (apt-get install prometheus)"
        );
        eprintln!("note: {test} skipped: promtool is not on PATH");
    }
    found
}

/// Pipes `text` through `promtool check metrics`; panics with its findings unless it is clean.
fn assert_promtool_accepts(what: &str, text: &str) {
    let mut child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool starts");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(text.as_bytes())
        .expect("promtool reads");
    let out = child.wait_with_output().expect("promtool ends");
    let findings = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success() && findings.trim().is_empty(),
        "promtool check metrics on {what}: {}\n{findings}\n--- text\n{text}",
        out.status
    );
}

/// promtool accepts a series written twice; node_exporter refuses it ("collected before with
/// the same name and label values") and drift-check once wrote its verdict twice.
fn assert_each_series_once(what: &str, text: &str) {
    let mut seen = std::collections::BTreeSet::new();
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let series = line.rsplit_once(' ').map_or(line, |(s, _)| s);
        assert!(
            seen.insert(series),
            "{what}: {series} written twice
{text}"
        );
    }
}

#[test]
fn promtool_accepts_gauges_counters_and_histograms() {
    if !promtool_available("promtool_accepts_gauges_counters_and_histograms") {
        return;
    }
    let mut gauges = Gauges::default();
    gauges.gauge(
        "refit_loop_last_run_timestamp_seconds",
        "Unix time the last retrain-loop run finished.",
        &[],
        1_794_106_800.0,
    );
    for (outcome, runs) in [("promoted", 2.0), ("error", 0.0)] {
        gauges.counter(
            "refit_loop_runs_total",
            "Retrain-loop runs by outcome.",
            &[("outcome", outcome)],
            runs,
        );
    }
    gauges.histogram(
        "refit_loop_duration_seconds",
        "Wall time of retrain-loop runs.",
        &[("loop", "churn \"weekly\"")],
        &[5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0],
        &[3.5, 42.0, 700.0],
    );
    gauges.histogram(
        "refit_loop_duration_seconds",
        "Wall time of retrain-loop runs.",
        &[("loop", "empty")],
        &[5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0],
        &[],
    );
    gauges.run_summary("runs record", refit::report::Status::Warn);
    let text = gauges.render();
    assert!(
        text.contains("# TYPE refit_loop_runs_total counter\n"),
        "{text}"
    );
    assert!(text.contains("# TYPE refit_loop_duration_seconds histogram\n"));
    assert_promtool_accepts("all three types", &text);
}

/// The metrics files of drift-check, fleet-diff and train-candidate (trained and with too few
/// rows), as the real binary writes them.
#[test]
fn promtool_accepts_the_metrics_files_refit_writes() {
    if !promtool_available("promtool_accepts_the_metrics_files_refit_writes") {
        return;
    }
    let w = Workdir::new();
    let (churn, out) = (fixture("train/churn.parquet"), w.path("cand"));
    let train = |extra: &[&str]| -> Vec<String> {
        let mut args = vec![
            "train-candidate",
            "--data",
            &churn,
            "--target",
            "churned",
            "--time",
            "event_time",
            "--exclude",
            "spend,customer_id,device_id",
            "--model",
            "linear",
            "--out",
            &out,
        ];
        args.extend(extra);
        args.into_iter().map(String::from).collect()
    };
    let runs: Vec<(&str, Vec<String>, i32)> = vec![
        (
            "drift-check",
            [
                "drift-check",
                "--baseline",
                &fixture("drift/baseline.parquet"),
                "--current",
                &fixture("drift/current.parquet"),
            ]
            .map(String::from)
            .to_vec(),
            2,
        ),
        (
            "fleet-diff",
            [
                "fleet-diff",
                "--data",
                &fixture("fleet/seed_telemetry.csv"),
                "--entity",
                "server_id",
                "--time",
                "timestamp",
                "--vocabulary",
                &fixture("fleet/seed_vocabulary.json"),
            ]
            .map(String::from)
            .to_vec(),
            2,
        ),
        ("train-candidate", train(&[]), 0),
        (
            "train-candidate-insufficient",
            train(&["--min-rows", "1000000", "--force"]),
            0,
        ),
    ];
    for (name, args, code) in runs {
        let prom = format!("{name}.prom");
        let metrics_file = w.path(&prom);
        let mut args: Vec<&str> = args.iter().map(String::as_str).collect();
        args.extend(["--metrics-file", &metrics_file, "--quiet"]);
        w.run(&args).assert_exit(code);
        assert_promtool_accepts(&prom, &w.read(&prom));
        assert_each_series_once(&prom, &w.read(&prom));
    }
}

/// Runs drift-check with `flags` and expects a usage error (exit 1) whose message holds `says`.
fn assert_usage_error(w: &Workdir, flags: &[&str], says: &str) {
    let baseline = fixture("drift/baseline.parquet");
    let mut args = vec![
        "drift-check",
        "--baseline",
        &baseline,
        "--current",
        &baseline,
    ];
    args.extend(flags);
    let run = w.run(&args);
    run.assert_exit(1);
    assert!(run.stderr.contains(says), "{flags:?}: {}", run.stderr);
}

#[test]
fn a_metrics_job_that_cannot_be_a_label_or_url_segment_is_a_usage_error() {
    let w = Workdir::new();
    let metrics_file = w.path("m.prom");
    for bad in ["", "a b", "x/y", "é"] {
        let flags = ["--metrics-file", &metrics_file, "--metrics-job", bad];
        assert_usage_error(&w, &flags, "is not a job name");
    }
    assert!(!w.exists("m.prom"), "a usage error writes nothing");
}

#[test]
fn a_pushgateway_label_that_cannot_be_a_group_is_a_usage_error() {
    let w = Workdir::new();
    for bad in ["job=x", "model", "1x=y", "model=a/b", "model="] {
        let flags = [
            "--pushgateway",
            "http://127.0.0.1:9",
            "--pushgateway-label",
            bad,
        ];
        assert_usage_error(&w, &flags, "--pushgateway-label");
    }
}
