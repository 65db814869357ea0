//! scripts/retrain.sh and the scenarios, executed directly (as cron and the image do) with the
//! real binary, over several simulated days: the loop's exit codes, its run ledger and metrics
//! (checked with the real promtool), the registry it leaves and its audit log, triggers, a dry
//! run, an error in the middle, retention and the one-loop-at-a-time lock.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::fixture;
use serde_json::Value;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn audit_actions(registry: &Path) -> Vec<String> {
    std::fs::read_to_string(registry.join("audit.jsonl"))
        .unwrap_or_default()
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["action"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect()
}

fn current(registry: &Path) -> u64 {
    let text = std::fs::read_to_string(registry.join("current.json")).unwrap();
    serde_json::from_str::<Value>(&text).unwrap()["version"]
        .as_u64()
        .unwrap()
}

/// The registry's run ledger, oldest first.
fn ledger(registry: &Path) -> Vec<Value> {
    std::fs::read_to_string(registry.join("runs.jsonl"))
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn outcomes(registry: &Path) -> Vec<String> {
    ledger(registry)
        .iter()
        .map(|r| r["outcome"].as_str().unwrap().to_string())
        .collect()
}

/// `promtool check metrics` on a metrics file; skipped (with a note) without promtool unless
/// REFIT_REQUIRE_PROMTOOL=1, as in CI.
fn promtool_check(path: &Path) {
    let file = std::fs::File::open(path).unwrap();
    match Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(file)
        .output()
    {
        Ok(out) => assert!(
            out.status.success(),
            "promtool check metrics {}: {}{}",
            path.display(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(e) if std::env::var("REFIT_REQUIRE_PROMTOOL").is_ok_and(|v| v == "1") => {
            panic!("promtool is required (REFIT_REQUIRE_PROMTOOL=1): {e}")
        }
        Err(_) => eprintln!("SKIPPED promtool check of {}: no promtool", path.display()),
    }
}

/// Runs scripts/retrain.sh with the churn loop's settings plus `env`; returns (exit, stderr).
fn retrain(dir: &Path, env: &[(&str, String)]) -> (i32, String) {
    retrain_full(dir, env).0
}

/// [`retrain`], with stdout too: ((exit, stderr), stdout).
fn retrain_full(dir: &Path, env: &[(&str, String)]) -> ((i32, String), String) {
    let history = fixture("loop/churn/history.parquet");
    // Executed directly, not through `sh`: its mode and shebang must work as cron's do.
    let mut cmd = Command::new(repo().join("scripts/retrain.sh"));
    cmd.current_dir(dir)
        .env("REFIT", env!("CARGO_BIN_EXE_refit"))
        .env("REFIT_REGISTRY", dir.join("registry"))
        .env("RUNS_DIR", dir.join("runs"))
        .env("TRAIN_DATA", &history)
        .env("TARGET", "churned")
        .env("TIME", "event_time")
        .env("LABEL", "churned")
        .env("SHADOW_DATA", &history)
        .env(
            "DRIFT_ARGS",
            "--exclude customer_id,event_time,churned --fail-share 0.2",
        )
        .env("TRAIN_ARGS", "--exclude customer_id --model linear")
        .env("SHADOW_ARGS", "--time event_time --last 600 --bootstrap 50")
        .env("METRICS_DIR", dir.join("metrics"))
        .env_remove("CURRENT_DATA")
        .env_remove("ALWAYS_RETRAIN")
        .env_remove("RETRAIN_ON")
        .env_remove("DRY_RUN")
        .env_remove("REFIT_NOW");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    (
        (
            out.status.code().unwrap(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        ),
        String::from_utf8_lossy(&out.stdout).to_string(),
    )
}

#[test]
fn churn_scenario_five_days_in_the_ledger_and_the_metrics() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("churn");
    let result = Command::new(repo().join("scripts/scenarios/churn.sh"))
        .env("REFIT", env!("CARGO_BIN_EXE_refit"))
        .env("OUT", &out)
        .env_remove("REFIT_REGISTRY")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&result.stdout);
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert!(result.status.success(), "{stdout}\n{stderr}");
    let registry = out.join("registry");
    assert_eq!(
        outcomes(&registry),
        [
            "promoted",
            "nothing_to_do",
            "insufficient_data",
            "promoted",
            "rejected"
        ],
        "{stdout}\n{stderr}"
    );
    let runs = ledger(&registry);
    assert_eq!(
        runs[0]["triggers"][0],
        "bootstrap: the registry has no live model"
    );
    assert_eq!(runs[1]["triggers"], serde_json::json!([]));
    // Too little data says how much there was and how much was needed.
    let train = runs[2]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["step"] == "train-candidate")
        .unwrap();
    assert_eq!(train["figures"]["rows"]["usable"], 150);
    assert_eq!(train["figures"]["rows"]["needed"], 500);
    assert!(runs[3]["triggers"][0]
        .as_str()
        .unwrap()
        .starts_with("drift-check FAIL"));
    // Before any label of the batch: CBPE's estimated PR-AUC drop fires too.
    let estimated = runs[3]["triggers"][1].as_str().unwrap();
    assert!(
        estimated.starts_with("score-proxy FAIL: estimated pr_auc dropped by"),
        "{estimated}"
    );
    let drift = runs[3]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["step"] == "drift-check")
        .unwrap();
    // Validation ran first (the live model's contract.json) and passed.
    assert_eq!(runs[3]["steps"][0]["step"], "validate");
    assert_eq!(runs[3]["steps"][0]["exit_code"], 0);
    assert!(!drift["figures"]["failing_features"]
        .as_array()
        .unwrap()
        .is_empty());
    // Day 4's drift is the reason in promotion.json; day 44's model age in the rejection.
    assert_eq!(runs[3]["version"], 2);
    let promotion: Value = serde_json::from_str(
        &std::fs::read_to_string(registry.join("versions/v000002/promotion.json")).unwrap(),
    )
    .unwrap();
    assert!(promotion["reason"]
        .as_str()
        .unwrap()
        .starts_with("drift-check FAIL"));
    let age = runs[4]["triggers"][0].as_str().unwrap();
    assert!(age.starts_with("staleness FAIL: due: model age"), "{age}");
    assert!(runs[4].get("version").is_none());
    let audit = std::fs::read_to_string(registry.join("audit.jsonl")).unwrap();
    let reject = audit.lines().last().unwrap();
    assert!(
        reject.contains("\"reject\"") && reject.contains("trained because: staleness FAIL"),
        "{reject}"
    );
    // The metrics say the same, and promtool accepts them.
    let metrics = out.join("metrics/refit_loop.prom");
    promtool_check(&metrics);
    let text = std::fs::read_to_string(&metrics).unwrap();
    for line in [
        "refit_loop_runs_total{refit_job=\"retrain_loop\",outcome=\"promoted\"} 2",
        "refit_loop_runs_total{refit_job=\"retrain_loop\",outcome=\"rejected\"} 1",
        "refit_loop_runs_total{refit_job=\"retrain_loop\",outcome=\"insufficient_data\"} 1",
        "refit_loop_runs_total{refit_job=\"retrain_loop\",outcome=\"error\"} 0",
        "refit_loop_promotions_total{refit_job=\"retrain_loop\"} 2",
        "refit_loop_duration_seconds_count{refit_job=\"retrain_loop\"} 5",
        "refit_loop_last_run_outcome{refit_job=\"retrain_loop\",outcome=\"rejected\"} 1",
        "refit_registry_current_version{refit_job=\"retrain_loop\",pointer=\"current\"} 2",
    ] {
        assert!(text.lines().any(|l| l == line), "{line} not in:\n{text}");
    }
    assert!(
        text.contains("refit_model_age_seconds{refit_job=\"retrain_loop\",pointer=\"current\"}")
    );
    // `refit runs list` shows every run, rejected and insufficient ones included.
    let list = Command::new(env!("CARGO_BIN_EXE_refit"))
        .args(["runs", "list", "--format", "json", "--registry"])
        .arg(&registry)
        .output()
        .unwrap();
    let list: Value = serde_json::from_slice(&list.stdout).unwrap();
    assert_eq!(list["result"]["runs"].as_array().unwrap().len(), 5);
}

#[test]
fn loop_exit_codes_rejection_errors_and_lock() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let registry = dir.join("registry");

    let (code, stderr) = retrain(dir, &[]);
    assert_eq!(code, 10, "bootstrap: {stderr}");
    assert_eq!(current(&registry), 1);

    // No drift on the training data itself: nothing to do.
    let (code, stderr) = retrain(
        dir,
        &[("CURRENT_DATA", fixture("loop/churn/history.parquet"))],
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("nothing to do"), "{stderr}");

    // A scheduled retrain of a much weaker challenger is rejected; the live model stays.
    let (code, stderr) = retrain(
        dir,
        &[
            ("ALWAYS_RETRAIN", "1".into()),
            ("TRAIN_ARGS", "--features discount --model linear".into()),
        ],
    );
    assert_eq!(code, 2, "{stderr}");
    assert_eq!(current(&registry), 1);
    assert_eq!(audit_actions(&registry), ["bootstrap", "reject"]);
    let audit = std::fs::read_to_string(registry.join("audit.jsonl")).unwrap();
    assert!(
        audit.contains("trained because: schedule: ALWAYS_RETRAIN=1"),
        "{audit}"
    );

    // A corrupt input in the middle of the loop: exit 1, registry unchanged.
    let corrupt = dir.join("corrupt.parquet");
    std::fs::write(&corrupt, b"PAR1 this is not parquet").unwrap();
    let before = std::fs::read(registry.join("audit.jsonl")).unwrap();
    let (code, stderr) = retrain(dir, &[("CURRENT_DATA", corrupt.display().to_string())]);
    assert_eq!(code, 1, "{stderr}");
    // The first step to read today's data, validate, is the one that fails.
    assert!(stderr.contains("validate: error"), "{stderr}");
    assert_eq!(std::fs::read(registry.join("audit.jsonl")).unwrap(), before);
    assert_eq!(current(&registry), 1);
    // The error is in the ledger, with the step that failed, and in the failed step's report.
    assert_eq!(
        outcomes(&registry),
        ["promoted", "nothing_to_do", "rejected", "error"]
    );
    let last = ledger(&registry).pop().unwrap();
    assert_eq!(last["error"]["step"], "validate");
    assert!(last["error"]["message"]
        .as_str()
        .unwrap()
        .contains("corrupt.parquet"));
    let failed = Path::new(last["reports"].as_str().unwrap()).join("validate.json");
    let failed: Value = serde_json::from_str(&std::fs::read_to_string(failed).unwrap()).unwrap();
    assert_eq!(failed["status"], "ERROR");
    assert_eq!(failed["exit_code"], 1);
    let metrics = std::fs::read_to_string(dir.join("metrics/refit_loop.prom")).unwrap();
    assert!(
        metrics.contains("refit_loop_runs_total{refit_job=\"retrain_loop\",outcome=\"error\"} 1")
    );

    // One loop at a time.
    std::fs::create_dir_all(dir.join("runs")).unwrap();
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.join("runs/.retrain.lock"))
        .unwrap();
    lock.lock().unwrap();
    let (code, stderr) = retrain(dir, &[("ALWAYS_RETRAIN", "1".into())]);
    assert_eq!(code, 1);
    assert!(stderr.contains("another loop"), "{stderr}");
    lock.unlock().unwrap();
}

#[test]
fn data_that_breaks_its_contract_stops_the_loop_as_invalid_data() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    assert_eq!(retrain(dir, &[]).0, 10, "bootstrap");
    assert!(dir.join("registry/latest/contract.json").is_file());
    // Today's extract lost the `region` column upstream.
    let broken = dir.join("today.csv");
    std::fs::write(
        &broken,
        "customer_id,event_time,tenure_months,monthly_usage,support_calls,discount,churned\n\
         1,2026-11-20T00:00:00Z,12.0,50.0,1.0,0.1,0\n\
         2,2026-11-20T01:00:00Z,3.0,70.0,4.0,0.0,1\n",
    )
    .unwrap();
    let (code, stderr) = retrain(
        dir,
        &[
            ("CURRENT_DATA", broken.display().to_string()),
            ("ALWAYS_RETRAIN", "1".into()),
        ],
    );
    assert_eq!(code, 5, "{stderr}");
    assert_eq!(
        outcomes(&dir.join("registry")),
        ["promoted", "invalid_data"]
    );
    let last = ledger(&dir.join("registry")).pop().unwrap();
    let steps: Vec<&str> = last["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["step"].as_str().unwrap())
        .collect();
    assert_eq!(steps, ["validate"], "nothing ran after validate");
    assert!(last["steps"][0]["figures"]["violations"].as_u64().unwrap() >= 1);
    assert_eq!(current(&dir.join("registry")), 1);
}

#[test]
fn a_dry_run_runs_the_checks_and_changes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let registry = dir.join("registry");
    assert_eq!(retrain(dir, &[]).0, 10);
    let snapshot = |p: &Path| -> Vec<(PathBuf, Vec<u8>)> {
        let mut files = Vec::new();
        let mut stack = vec![p.to_path_buf()];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).unwrap() {
                let path = e.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                } else {
                    files.push((path.clone(), std::fs::read(&path).unwrap_or_default()));
                }
            }
        }
        files.sort();
        files
    };
    let before = snapshot(dir);
    let ((code, stderr), stdout) = retrain_full(
        dir,
        &[
            ("DRY_RUN", "1".into()),
            ("CURRENT_DATA", fixture("loop/churn/batch.parquet")),
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("dry run: would retrain because: drift-check FAIL"),
        "{stdout}"
    );
    assert_eq!(snapshot(dir), before, "a dry run changed files");
    assert_eq!(outcomes(&registry), ["promoted"]);
}

#[test]
fn retrain_on_warn_makes_medium_fleet_drift_a_trigger() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let fleet = |extra: &[(&str, String)]| {
        let mut env = vec![
            ("TRAIN_DATA", fixture("loop/fleet/history.parquet")),
            ("SHADOW_DATA", fixture("loop/fleet/history.parquet")),
            ("TARGET", "failed_24h".into()),
            ("TIME", "ts".into()),
            ("LABEL", "failed_24h".into()),
            (
                "TRAIN_ARGS",
                "--exclude server_id --entity server_id --model linear".into(),
            ),
            ("SHADOW_ARGS", "--time ts --last 400 --bootstrap 50".into()),
            (
                "FLEET_ARGS",
                format!(
                    "--data {} --entity server_id --time ts",
                    fixture("loop/fleet/batch.parquet")
                ),
            ),
        ];
        env.extend(extra.iter().cloned());
        retrain(dir, &env)
    };
    assert_eq!(fleet(&[]).0, 10, "bootstrap");
    // 30% fleet drift is MEDIUM: a WARN, which only RETRAIN_ON=fleet-diff=warn acts on.
    let (code, stderr) = fleet(&[]);
    assert_eq!(code, 0, "{stderr}");
    let (code, stderr) = fleet(&[("RETRAIN_ON", "fleet-diff=warn".into())]);
    assert_ne!(code, 0, "{stderr}");
    let last = ledger(&dir.join("registry")).pop().unwrap();
    let trigger = last["triggers"][0].as_str().unwrap();
    assert!(trigger.starts_with("fleet-diff WARN"), "{trigger}");
    assert!(trigger.contains("MEDIUM"), "{trigger}");
    promtool_check(&dir.join("metrics/refit_loop_fleet-diff.prom"));
}

#[test]
fn keep_runs_prunes_old_run_folders_but_the_ledger_keeps_every_run() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    for _ in 0..3 {
        let (code, stderr) = retrain(
            dir,
            &[
                ("KEEP_RUNS", "2".into()),
                ("CURRENT_DATA", fixture("loop/churn/history.parquet")),
            ],
        );
        assert!(code == 0 || code == 10, "{stderr}");
    }
    let folders = std::fs::read_dir(dir.join("runs"))
        .unwrap()
        .filter(|e| e.as_ref().unwrap().path().is_dir())
        .count();
    assert_eq!(folders, 2);
    assert_eq!(ledger(&dir.join("registry")).len(), 3);
}

#[test]
fn the_loop_posts_its_events_to_the_webhook() {
    let (url, server) = endpoint(
        "/hook",
        2,
        b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
    );
    let tmp = tempfile::tempdir().unwrap();
    let (code, stderr) = retrain(
        tmp.path(),
        &[("WEBHOOK_URL", url), ("WEBHOOK_FORMAT", "slack".into())],
    );
    assert_eq!(code, 10, "{stderr}");
    let bodies = server.join().unwrap();
    assert!(bodies[0].contains("triggered"), "{}", bodies[0]);
    assert!(bodies[0].contains("\"text\""), "{}", bodies[0]);
    assert!(bodies[1].contains("promoted"), "{}", bodies[1]);
    assert!(bodies[1].contains("bootstrap"), "{}", bodies[1]);
}

#[test]
fn a_loop_killed_mid_step_is_recorded_as_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let history = fixture("loop/churn/history.parquet");
    let child = Command::new(repo().join("scripts/retrain.sh"))
        .current_dir(dir)
        .env("REFIT", env!("CARGO_BIN_EXE_refit"))
        .env("REFIT_REGISTRY", dir.join("registry"))
        .env("RUNS_DIR", dir.join("runs"))
        .env("TRAIN_DATA", &history)
        .env("TARGET", "churned")
        .env("TIME", "event_time")
        // A trainer that takes its time, so the signal lands mid-step.
        .env("TRAIN_COMMAND", "sleep 3")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(800));
    // What Kubernetes sends a Job's container at its deadline.
    // SAFETY: kill(2) on our own child's pid has no memory-safety preconditions.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let last = ledger(&dir.join("registry")).pop().expect("a ledger line");
    assert_eq!(last["outcome"], "error");
    assert_eq!(
        last["error"]["message"],
        "killed by SIGTERM during train-candidate"
    );
}

/// A loopback HTTP endpoint that answers `reply` to `requests` requests; returns its URL (with
/// `path`) and the thread that yields each request (headers and whole body) as text.
fn endpoint(
    path: &str,
    requests: usize,
    reply: &'static [u8],
) -> (String, std::thread::JoinHandle<Vec<String>>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}{path}", listener.local_addr().unwrap());
    let server = std::thread::spawn(move || {
        (0..requests)
            .map(|_| {
                let (mut stream, _) = listener.accept().unwrap();
                let request = read_request(&mut stream);
                std::io::Write::write_all(&mut stream, reply).unwrap();
                request
            })
            .collect()
    });
    (url, server)
}

/// Reads until the headers and Content-Length bytes of body have arrived.
fn read_request(stream: &mut std::net::TcpStream) -> String {
    let mut bytes = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = std::io::Read::read(stream, &mut buf).unwrap();
        bytes.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&bytes).to_string();
        if let Some(end) = text.find("\r\n\r\n") {
            let length = text[..end]
                .lines()
                .find_map(|l| {
                    let (name, value) = l.split_once(':')?;
                    name.eq_ignore_ascii_case("content-length")
                        .then(|| value.trim().parse::<usize>().ok())?
                })
                .unwrap_or(0);
            if bytes.len() >= end + 4 + length || n == 0 {
                return text;
            }
        } else if n == 0 {
            return text;
        }
    }
}

/// Runs scripts/scenarios/NAME.sh into a temp dir; returns (stdout, stderr, registry path).
fn scenario(name: &str, env: &[(&str, String)]) -> (String, String, PathBuf, tempfile::TempDir) {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join(name);
    let mut cmd = Command::new(repo().join(format!("scripts/scenarios/{name}.sh")));
    cmd.env("REFIT", env!("CARGO_BIN_EXE_refit"))
        .env("OUT", &out)
        .env_remove("REFIT_REGISTRY")
        .env_remove("NOTIFY_URL");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let result = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&result.stdout).to_string();
    let stderr = String::from_utf8_lossy(&result.stderr).to_string();
    assert!(result.status.success(), "{name}: {stdout}\n{stderr}");
    (stdout, stderr, out.join("registry"), tmp)
}

fn versions(registry: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(registry.join("versions"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn solar_scenario_regression_gate_keeps_five_versions() {
    let (stdout, _, registry, _tmp) = scenario("solar", &[]);
    assert_eq!(stdout.matches("loop exit 10").count(), 6, "{stdout}");
    assert_eq!(current(&registry), 6);
    assert_eq!(outcomes(&registry), ["promoted"; 6]);
    promtool_check(&registry.parent().unwrap().join("metrics/refit_loop.prom"));
    assert_eq!(
        versions(&registry),
        ["v000002", "v000003", "v000004", "v000005", "v000006"]
    );
    let actions = audit_actions(&registry);
    assert_eq!(actions.iter().filter(|a| *a == "prune").count(), 1);
    assert_eq!(actions[0], "bootstrap");
    let runs = registry.parent().unwrap().join("runs");
    let last = std::fs::read_dir(&runs)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .max()
        .unwrap();
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(last.join("shadow-test.json")).unwrap())
            .unwrap();
    assert_eq!(report["params"]["metric"], "mae");
    assert_eq!(report["params"]["tolerance"]["kind"], "relative");
}

#[test]
fn fleet_scenario_coverage_decides_and_rollback_moves_latest() {
    let (stdout, stderr, registry, _tmp) = scenario("fleet", &[]);
    assert_eq!(stdout.matches("loop exit 10").count(), 2, "{stdout}");
    assert_eq!(
        outcomes(&registry),
        ["promoted", "nothing_to_do", "promoted"]
    );
    assert!(stderr.contains("trigger: fleet-diff FAIL"), "{stderr}");
    let fleet = &ledger(&registry)[2]["steps"][0];
    assert_eq!(fleet["step"], "fleet-diff");
    assert_eq!(fleet["figures"]["drift_band"], "MEDIUM");
    assert_eq!(current(&registry), 1, "rolled back");
    assert_eq!(
        std::fs::read_link(registry.join("latest")).unwrap(),
        Path::new("versions/v000001")
    );
    assert_eq!(
        audit_actions(&registry),
        ["bootstrap", "promote", "rollback"]
    );
    // The promoted challenger knows the new servers.
    let meta: Value = serde_json::from_str(
        &std::fs::read_to_string(registry.join("versions/v000002/metadata.json")).unwrap(),
    )
    .unwrap();
    let servers = meta["vocabularies"]["server_id"].as_array().unwrap();
    assert!(servers.iter().any(|s| s == "srv-045"));
}

#[test]
fn recsys_scenario_retrains_every_run_and_notifies_serving() {
    // A real HTTP endpoint on loopback stands in for the serving side's reload URL.
    let (url, server) = endpoint(
        "/reload",
        3,
        b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n",
    );
    let (stdout, stderr, registry, _tmp) = scenario("recsys", &[("NOTIFY_URL", url)]);
    assert_eq!(
        stdout.matches("loop exit 10").count(),
        3,
        "{stdout}\n{stderr}"
    );
    assert!(
        stderr.contains("trigger: schedule: ALWAYS_RETRAIN=1"),
        "{stderr}"
    );
    assert_eq!(current(&registry), 3);
    assert_eq!(outcomes(&registry), ["promoted"; 3]);
    let bodies = server.join().unwrap();
    assert!(bodies[0].starts_with("POST /reload HTTP/1.1"));
    assert!(bodies[1].contains("\"version\":2"), "{}", bodies[1]);
    let runs = registry.parent().unwrap().join("runs");
    let last = std::fs::read_dir(&runs)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .max()
        .unwrap();
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(last.join("shadow-test.json")).unwrap())
            .unwrap();
    // Seed 003's gate, judged per user.
    assert_eq!(report["params"]["min_metric"][0], "precision_at_10=0.05");
    assert_eq!(report["params"]["group"], "user_id");
    let precision = report["result"]["challenger"]["metrics"]["precision_at_10"]
        .as_f64()
        .unwrap();
    assert!(precision >= 0.05, "{precision}");
}

/// A Python with numpy, pandas and pyarrow for the external trainer, if this machine has one.
fn python_with_pandas() -> Option<String> {
    let venv = std::env::var("HOME")
        .ok()
        .map(|h| format!("{h}/.cache/refit-venv/bin/python"));
    [std::env::var("PYTHON").ok(), venv, Some("python3".into())]
        .into_iter()
        .flatten()
        .find(|p| {
            Command::new(p)
                .args(["-c", "import numpy, pandas, pyarrow"])
                .output()
                .is_ok_and(|o| o.status.success())
        })
}

#[test]
fn anomaly_scenario_external_trainer_and_scored_shadow_test() {
    let Some(python) = python_with_pandas() else {
        eprintln!(
            "SKIPPED: no Python with numpy, pandas and pyarrow (make interop-setup installs one)"
        );
        return;
    };
    let (stdout, _, registry, _tmp) = scenario("anomaly", &[("PYTHON", python)]);
    assert!(
        stdout.contains("day 1") && stdout.contains("loop exit 10"),
        "{stdout}"
    );
    let meta: Value = serde_json::from_str(
        &std::fs::read_to_string(registry.join("versions/v000001/metadata.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(meta["trainer"]["model"], "external");
    assert!(meta["trainer"]["command"]
        .as_str()
        .unwrap()
        .contains("train.py"));
    assert!(registry.join("versions/v000001/profile.json").is_file());
    // The second run's verdict follows the scored comparison on the 200 most recent rows.
    let runs = registry.parent().unwrap().join("runs");
    let last = std::fs::read_dir(&runs)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .max()
        .unwrap();
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(last.join("shadow-test.json")).unwrap())
            .unwrap();
    assert_eq!(report["result"]["rows"], 200);
    assert_eq!(report["params"]["last"], 200);
    // Day 2 landed nothing new; day 3's 800 labelled readings pass MIN_NEW_ROWS=500.
    let runs = outcomes(&registry);
    assert_eq!(runs[..2], ["promoted", "nothing_to_do"], "{stdout}");
    assert!(["promoted", "rejected"].contains(&runs[2].as_str()));
    let trigger = ledger(&registry)[2]["triggers"][0]
        .as_str()
        .unwrap()
        .to_string();
    assert!(trigger.contains("800 new labelled rows"), "{trigger}");
    let promoted = runs.iter().filter(|o| *o == "promoted").count();
    assert_eq!(current(&registry), promoted as u64);
}

#[test]
fn fleet_weeks_scenario_converges_after_servers_leave() {
    let (stdout, stderr, registry, _tmp) = scenario("fleet-weeks", &[]);
    assert_eq!(
        outcomes(&registry),
        ["promoted", "nothing_to_do", "promoted", "nothing_to_do"],
        "{stdout}\n{stderr}"
    );
    let runs = ledger(&registry);
    let fleet = |run: &Value| -> Value {
        run["steps"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["step"] == "fleet-diff")
            .unwrap()["figures"]
            .clone()
    };
    // Week 6: 16 of 40 servers silent for 33 days is 40% fleet drift, HIGH.
    let week6 = fleet(&runs[2]);
    assert_eq!(week6["drift_band"], "HIGH", "{week6}");
    assert_eq!(week6["fleet_drift"], 0.4);
    assert!(runs[2]["triggers"][0]
        .as_str()
        .unwrap()
        .starts_with("fleet-diff FAIL"));
    // The retrained model knows the 24 servers that remain, so week 7 is quiet: converged.
    let meta: Value = serde_json::from_str(
        &std::fs::read_to_string(registry.join("versions/v000002/metadata.json")).unwrap(),
    )
    .unwrap();
    let servers = meta["vocabularies"]["server_id"].as_array().unwrap();
    assert_eq!(servers.len(), 24);
    assert!(!servers.iter().any(|s| s == "srv-015"));
    assert_eq!(fleet(&runs[3])["fleet_drift"], 0.0);
}
