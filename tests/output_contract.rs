//! The one path from a result to its outputs: params from the parsed flags, all-or-nothing
//! files, a closed stdout, committed changes that never exit 1, and every subcommand's help.

mod common;

use std::io::Read;
use std::process::Stdio;

use common::{fixture, refit_process, train_linear_churn, Workdir};

fn drift_args<'a>(baseline: &'a str, current: &'a str) -> Vec<&'a str> {
    vec!["drift-check", "--baseline", baseline, "--current", current]
}

#[test]
fn report_writes_its_envelope_metrics_and_json_like_every_command() {
    let w = Workdir::new();
    let (b, c) = (
        fixture("drift/baseline.parquet"),
        fixture("drift/current.parquet"),
    );
    let mut args = drift_args(&b, &c);
    let drift_json = w.path("drift.json");
    args.extend(["--report", &drift_json, "--quiet"]);
    w.run(&args).assert_exit(2);

    let (page, envelope, gauges) = (w.path("page.html"), w.path("r.json"), w.path("m.prom"));
    let run = w.run(&[
        "report",
        &drift_json,
        "--out",
        &page,
        "--report",
        &envelope,
        "--metrics-file",
        &gauges,
        "--format",
        "json",
    ]);
    run.assert_exit(0);
    assert_eq!(run.json()["command"], "report");
    assert_eq!(run.json()["result"]["reports"], 1);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&w.read("r.json")).unwrap()["command"],
        "report"
    );
    assert!(w
        .read("m.prom")
        .contains("refit_status{command=\"report\"} 0"));
    assert!(w.read("page.html").contains("drift-check"));
}

#[test]
fn a_closed_stdout_keeps_the_verdicts_exit_code() {
    let w = Workdir::new();
    let (b, c) = (
        fixture("drift/baseline.parquet"),
        fixture("drift/current.parquet"),
    );
    let report = w.path("r.json");
    let mut child = refit_process()
        .args(drift_args(&b, &c))
        .args(["--format", "json", "--report", &report])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawns");
    // `| head -c 1`: read one byte, then close the pipe before the envelope is written whole.
    let mut stdout = child.stdout.take().expect("stdout");
    let mut first = [0u8; 1];
    let _ = stdout.read(&mut first);
    drop(stdout);
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    let status = child.wait().expect("waits");
    assert_eq!(status.code(), Some(2), "stderr: {stderr}");
    assert!(!stderr.contains("Broken pipe"), "{stderr}");
    assert!(w.exists("r.json"));
}

#[test]
fn a_missing_output_directory_fails_before_the_command_runs_leaving_only_its_error_report() {
    let w = Workdir::new();
    let (b, c) = (
        fixture("drift/baseline.parquet"),
        fixture("drift/current.parquet"),
    );
    let mut args = drift_args(&b, &c);
    let (report, html) = (w.path("r.json"), w.path("nodir/h.html"));
    args.extend(["--report", &report, "--html", &html]);
    let run = w.run(&args);
    run.assert_exit(1);
    assert!(
        run.stderr.contains("--html") && run.stderr.contains("does not exist"),
        "{}",
        run.stderr
    );
    assert_eq!(w.files(), ["r.json"], "only the error report may be left");
    let envelope = error_report(&w, "r.json");
    assert!(envelope["messages"][0].as_str().unwrap().contains("--html"));

    // With the report itself in the missing directory, there is nowhere to say anything.
    let (report, gauges) = (w.path("nodir/r.json"), w.path("m.prom"));
    let mut args = drift_args(&b, &c);
    args.extend(["--report", &report, "--metrics-file", &gauges]);
    w.run(&args).assert_exit(1);
    assert_eq!(w.files(), ["r.json"], "nothing more may be left behind");
}

/// Reads an ERROR envelope and checks what every one holds.
fn error_report(w: &Workdir, name: &str) -> serde_json::Value {
    let envelope: serde_json::Value = serde_json::from_str(&w.read(name)).expect("JSON");
    assert_eq!(envelope["status"], "ERROR", "{envelope}");
    assert_eq!(envelope["exit_code"], 1);
    assert_eq!(envelope["result"], serde_json::Value::Null);
    assert_eq!(envelope["tool"], "refit");
    let (started, finished) = (
        envelope["started_at"].as_str().unwrap(),
        envelope["finished_at"].as_str().unwrap(),
    );
    assert!(started.ends_with('Z') && started <= finished, "{envelope}");
    assert_eq!(envelope["messages"].as_array().map(Vec::len), Some(1));
    envelope
}

#[test]
fn a_failing_drift_check_writes_an_error_report_and_nothing_else() {
    let w = Workdir::new();
    let (b, c) = (
        fixture("drift/baseline.parquet"),
        fixture("drift/bad_truncated.parquet"),
    );
    let (report, gauges, html) = (w.path("r.json"), w.path("m.prom"), w.path("h.html"));
    let mut args = drift_args(&b, &c);
    args.extend([
        "--report",
        &report,
        "--metrics-file",
        &gauges,
        "--html",
        &html,
    ]);
    args.extend(["--format", "json"]);
    let run = w.run(&args);
    run.assert_exit(1);
    assert_eq!(run.stdout, "", "no envelope on stdout for an error");
    assert!(
        run.stderr.starts_with("error: ") && run.stderr.contains("bad_truncated.parquet"),
        "{}",
        run.stderr
    );
    assert_eq!(w.files(), ["r.json"], "no metrics file, no HTML on error");
    let envelope = error_report(&w, "r.json");
    assert_eq!(envelope["command"], "drift-check");
    assert_eq!(envelope["params"]["current"], serde_json::json!([c]));
    assert_eq!(envelope["params"]["metrics_file"], gauges.as_str());
    let message = envelope["messages"][0].as_str().unwrap();
    assert!(message.contains("bad_truncated.parquet"), "{message}");
    // The message is what stderr says, without its `error: `.
    assert_eq!(format!("error: {message}\n"), run.stderr);
}

#[test]
fn an_error_report_names_the_subcommand_as_typed() {
    let w = Workdir::new();
    let (registry, report) = (w.path("no-registry"), w.path("r.json"));
    let run = w.run(&[
        "--report",
        &report,
        "registry",
        "list",
        "--registry",
        &registry,
        "--quiet",
    ]);
    run.assert_exit(1);
    assert_eq!(error_report(&w, "r.json")["command"], "registry list");
}

#[test]
fn a_usage_error_writes_nothing() {
    let w = Workdir::new();
    let (b, report) = (fixture("drift/baseline.parquet"), w.path("r.json"));
    let run = w.run(&["drift-check", "--baseline", &b, "--report", &report]);
    run.assert_exit(1);
    assert!(run.stderr.contains("--current"), "{}", run.stderr);
    assert_eq!(w.files(), Vec::<String>::new());
}

#[test]
fn an_error_report_that_cannot_be_written_is_said_too() {
    let w = Workdir::new();
    // The directory is fine, but no file system takes a name this long: the rename fails.
    let report = w.path(&format!("{}.json", "r".repeat(300)));
    let (b, c) = (
        fixture("drift/baseline.parquet"),
        fixture("drift/bad_truncated.parquet"),
    );
    let run = w.run(&[drift_args(&b, &c), vec!["--report", &report]].concat());
    run.assert_exit(1);
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(lines.len(), 2, "{}", run.stderr);
    assert!(lines[0].contains("bad_truncated.parquet"), "{}", run.stderr);
    assert!(
        lines[1].starts_with("error: the error report was not written"),
        "{}",
        run.stderr
    );
    assert_eq!(w.files(), Vec::<String>::new(), "no temp file left behind");
}

#[test]
fn a_stdout_that_fails_replaces_the_verdict_report_with_an_error_report() {
    let w = Workdir::new();
    let (b, c) = (
        fixture("drift/baseline.parquet"),
        fixture("drift/current_same.parquet"),
    );
    let report = w.path("r.json");
    let out = refit_process()
        .args(drift_args(&b, &c))
        .args(["--report", &report])
        .stdout(std::fs::File::create("/dev/full").expect("/dev/full"))
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let envelope = error_report(&w, "r.json");
    let message = envelope["messages"][0].as_str().unwrap();
    assert!(message.contains("writing to stdout"), "{message}");
}

#[test]
fn promote_and_rollback_check_their_outputs_before_touching_the_registry() {
    let w = Workdir::new();
    let cand = train_linear_churn(std::path::Path::new(&w.path("c1")), "tenure_months");
    let reg = w.path("reg");
    let promote = |extra: &[&str]| {
        let mut args = vec![
            "promote",
            "--registry",
            &reg,
            "--candidate",
            &cand,
            "--force",
            "--reason",
            "r",
        ];
        args.extend(extra);
        w.run(&args)
    };
    promote(&[]).assert_exit(0);
    promote(&[]).assert_exit(0);
    let bad_report = w.path("nodir/r.json");
    promote(&["--report", &bad_report]).assert_exit(1);
    let current =
        || -> serde_json::Value { serde_json::from_str(&w.read("reg/current.json")).unwrap() };
    assert_eq!(current()["version"], 2, "a refused output must not promote");

    let bad_gauges = w.path("nodir/m.prom");
    let run = w.run(&[
        "rollback",
        "--registry",
        &reg,
        "--metrics-file",
        &bad_gauges,
    ]);
    run.assert_exit(1);
    assert_eq!(
        current()["version"],
        2,
        "a refused output must not roll back"
    );
}

#[test]
fn a_committed_promotion_never_exits_one() {
    let w = Workdir::new();
    let cand = train_linear_churn(std::path::Path::new(&w.path("c1")), "tenure_months");
    let reg = w.path("reg");
    // stdout on a full device: the write fails after the pointer moved.
    let out = refit_process()
        .args([
            "promote",
            "--registry",
            &reg,
            "--candidate",
            &cand,
            "--force",
            "--reason",
            "r",
        ])
        .stdout(std::fs::File::create("/dev/full").expect("/dev/full"))
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("warning: version 1 is live"), "{stderr}");

    // The same failure without a committed change is an error.
    let (b, c) = (
        fixture("drift/baseline.parquet"),
        fixture("drift/current_same.parquet"),
    );
    let out = refit_process()
        .args(drift_args(&b, &c))
        .stdout(std::fs::File::create("/dev/full").expect("/dev/full"))
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn registry_show_names_a_version_without_clashing_with_version() {
    let w = Workdir::new();
    let cand = train_linear_churn(std::path::Path::new(&w.path("c1")), "tenure_months");
    let reg = w.path("reg");
    w.run(&[
        "promote",
        "--registry",
        &reg,
        "--candidate",
        &cand,
        "--force",
        "--reason",
        "r",
    ])
    .assert_exit(0);
    let shown = w.run(&["registry", "show", "--registry", &reg, "--format", "json"]);
    shown.assert_exit(0);
    assert_eq!(shown.json()["result"]["version"], 1);
    let named = w.run(&[
        "registry",
        "show",
        "v000001",
        "--registry",
        &reg,
        "--format",
        "json",
    ]);
    named.assert_exit(0);
    assert_eq!(named.json()["params"]["which"], 1);
}

#[test]
fn params_hold_every_flag_of_the_command() {
    let w = Workdir::new();
    let (b, c) = (
        fixture("drift/baseline.parquet"),
        fixture("drift/current.parquet"),
    );
    let run = w.run(&[drift_args(&b, &c), vec!["--format", "json"]].concat());
    run.assert_exit(2);
    let params = run.json()["params"].clone();
    for flag in [
        "baseline",
        "current",
        "features",
        "exclude",
        "categorical",
        "buckets",
        "method",
        "warn_psi",
        "fail_psi",
        "warn_js",
        "fail_js",
        "warn_p",
        "fail_p",
        "warn_wasserstein",
        "fail_wasserstein",
        "correction",
        "fail_share",
        "config",
        "format",
        "report",
        "metrics_file",
        "html",
        "quiet",
        "fail_on",
    ] {
        assert!(params.get(flag).is_some(), "params lack `{flag}`: {params}");
    }
}

#[test]
fn help_of_every_command_is_snapshotted() {
    for command in [
        vec![],
        vec!["drift-check"],
        vec!["profile"],
        vec!["profile", "merge"],
        vec!["profile", "edges"],
        vec!["score-proxy"],
        vec!["fleet-diff"],
        vec!["train-candidate"],
        vec!["predict"],
        vec!["shadow-test"],
        vec!["promote"],
        vec!["rollback"],
        vec!["registry"],
        vec!["registry", "list"],
        vec!["registry", "show"],
        vec!["registry", "verify"],
        vec!["report"],
    ] {
        let w = Workdir::new();
        let run = w.run(&[command.clone(), vec!["--help"]].concat());
        run.assert_exit(0);
        let name = if command.is_empty() {
            "refit".to_string()
        } else {
            format!("refit {}", command.join(" "))
        };
        insta::assert_snapshot!(name.replace(' ', "-"), run.stdout);
    }
}

#[test]
fn outputs_onto_a_symlink_or_fifo_are_refused_and_left_alone() {
    let w = Workdir::new();
    std::fs::write(w.path("target.txt"), "keep").unwrap();
    std::os::unix::fs::symlink(w.path("target.txt"), w.path("link.json")).unwrap();
    let fifo = w.path("gauges.prom");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let (b, c) = (
        fixture("drift/baseline.parquet"),
        fixture("drift/current.parquet"),
    );
    let link = w.path("link.json");
    let run = w.run(&[drift_args(&b, &c), vec!["--report", &link]].concat());
    run.assert_exit(1);
    assert!(run.stderr.contains("a symlink"), "{}", run.stderr);
    assert_eq!(w.read("target.txt"), "keep");
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    let run = w.run(&[drift_args(&b, &c), vec!["--metrics-file", &fifo]].concat());
    run.assert_exit(1);
    assert!(run.stderr.contains("a FIFO"), "{}", run.stderr);
}

#[test]
fn control_sequences_in_data_are_escaped_in_text_output() {
    let w = Workdir::new();
    std::fs::write(
        w.path("telemetry.csv"),
        "server_id,ts\nsrv-\u{1b}[2J,2026-11-01T00:00:00Z\nsrv-a,2026-11-01T00:00:00Z\n",
    )
    .unwrap();
    std::fs::write(
        w.path("vocab.json"),
        "[\"srv-a\", \"srv-\\u001b]0;owned\\u0007\"]",
    )
    .unwrap();
    let (data, vocab) = (w.path("telemetry.csv"), w.path("vocab.json"));
    let run = w.run(&[
        "fleet-diff",
        "--data",
        &data,
        "--entity",
        "server_id",
        "--time",
        "ts",
        "--vocabulary",
        &vocab,
    ]);
    assert!(run.code == 0 || run.code == 2, "{}", run.stderr);
    assert!(
        !run.stdout.contains('\u{1b}') && !run.stdout.contains('\u{7}'),
        "{:?}",
        run.stdout
    );
    assert!(run.stdout.contains("\\u{1b}"), "{}", run.stdout);
}
