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
