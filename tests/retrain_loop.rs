//! scripts/retrain.sh and the churn scenario, run by `sh` with the real binary: the loop's
//! exit codes, the registry it leaves and its audit log, a rejected challenger, an error in
//! the middle, and the one-loop-at-a-time lock.

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

/// Runs scripts/retrain.sh with the churn loop's settings plus `env`; returns (exit, stderr).
fn retrain(dir: &Path, env: &[(&str, String)]) -> (i32, String) {
    let history = fixture("loop/churn/history.parquet");
    let mut cmd = Command::new("sh");
    cmd.arg(repo().join("scripts/retrain.sh"))
        .current_dir(dir)
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
        .env_remove("CURRENT_DATA")
        .env_remove("ALWAYS_RETRAIN");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

#[test]
fn churn_scenario_bootstraps_then_retrains_on_drift() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("churn");
    let result = Command::new("sh")
        .arg(repo().join("scripts/scenarios/churn.sh"))
        .env("REFIT", env!("CARGO_BIN_EXE_refit"))
        .env("OUT", &out)
        .env_remove("REFIT_REGISTRY")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&result.stdout);
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert!(result.status.success(), "{stdout}\n{stderr}");
    assert_eq!(
        stdout.matches("loop exit 10: challenger promoted").count(),
        2,
        "{stdout}"
    );
    assert!(stderr.contains("drift-check: the data drifted"), "{stderr}");
    let registry = out.join("registry");
    assert_eq!(current(&registry), 2);
    assert_eq!(audit_actions(&registry), ["bootstrap", "promote"]);
    // Every step left its report and metrics file.
    let runs: Vec<PathBuf> = std::fs::read_dir(out.join("runs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    assert_eq!(runs.len(), 2);
    let second = runs.iter().max().unwrap();
    for step in ["drift-check", "train-candidate", "shadow-test", "promote"] {
        assert!(
            second.join(format!("{step}.json")).is_file(),
            "{step} report"
        );
        assert!(
            out.join("metrics")
                .join(format!("refit_{step}.prom"))
                .is_file(),
            "{step} metrics"
        );
    }
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

    // A corrupt input in the middle of the loop: exit 1, registry unchanged.
    let corrupt = dir.join("corrupt.parquet");
    std::fs::write(&corrupt, b"PAR1 this is not parquet").unwrap();
    let before = std::fs::read(registry.join("audit.jsonl")).unwrap();
    let (code, stderr) = retrain(dir, &[("CURRENT_DATA", corrupt.display().to_string())]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("drift-check: error"), "{stderr}");
    assert_eq!(std::fs::read(registry.join("audit.jsonl")).unwrap(), before);
    assert_eq!(current(&registry), 1);

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

/// Runs scripts/scenarios/NAME.sh into a temp dir; returns (stdout, stderr, registry path).
fn scenario(name: &str, env: &[(&str, String)]) -> (String, String, PathBuf, tempfile::TempDir) {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join(name);
    let mut cmd = Command::new("sh");
    cmd.arg(repo().join(format!("scripts/scenarios/{name}.sh")))
        .env("REFIT", env!("CARGO_BIN_EXE_refit"))
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
    assert!(stderr.contains("fleet-diff: the fleet moved"), "{stderr}");
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
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/reload", listener.local_addr().unwrap());
    let server = std::thread::spawn(move || {
        let mut bodies = Vec::new();
        for _ in 0..2 {
            let (mut stream, _) = listener.accept().unwrap();
            let mut buf = vec![0u8; 8192];
            let n = std::io::Read::read(&mut stream, &mut buf).unwrap();
            bodies.push(String::from_utf8_lossy(&buf[..n]).to_string());
            std::io::Write::write_all(
                &mut stream,
                b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n",
            )
            .unwrap();
        }
        bodies
    });
    let (stdout, stderr, registry, _tmp) = scenario("recsys", &[("NOTIFY_URL", url)]);
    assert_eq!(
        stdout.matches("loop exit 10").count(),
        2,
        "{stdout}\n{stderr}"
    );
    assert!(stderr.contains("scheduled retraining"), "{stderr}");
    assert_eq!(current(&registry), 2);
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
    assert_eq!(report["params"]["min_metric"][0], "roc_auc=0.6");
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
        stdout.contains("run 1") && stdout.contains("loop exit 10"),
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
    let promoted = stdout.matches("loop exit 10").count();
    let rejected = stdout.matches("loop exit 2:").count();
    assert_eq!(promoted + rejected, 2, "{stdout}");
    assert_eq!(current(&registry), promoted as u64);
}
