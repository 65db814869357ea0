//! Shared helpers for integration tests: run the real binary on fixtures.
#![allow(dead_code)]

use std::path::PathBuf;

use assert_cmd::Command;
use serde_json::Value;

pub fn fixture(rel: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(rel)
        .display()
        .to_string()
}

pub fn refit() -> Command {
    let mut cmd = Command::cargo_bin("refit").expect("refit binary is built");
    cmd.env_remove("REFIT_REGISTRY");
    cmd
}

/// Runs refit with `--format json` and returns (exit code, parsed stdout, stderr).
pub fn run_json(args: &[&str]) -> (i32, Value, String) {
    let out = refit()
        .args(args)
        .args(["--format", "json"])
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    let json = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {stdout}\nstderr: {stderr}"));
    (out.status.code().expect("exit code"), json, stderr)
}

/// Runs refit and returns (exit code, stdout, stderr).
pub fn run(args: &[&str]) -> (i32, String, String) {
    let out = refit().args(args).output().expect("runs");
    (
        out.status.code().expect("exit code"),
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

/// Relative agreement to `rel` (absolute near zero), the golden-value contract.
pub fn assert_close(got: f64, want: f64, rel: f64, what: &str) {
    let tolerance = rel * want.abs().max(1e-300);
    assert!(
        (got - want).abs() <= tolerance || (want == 0.0 && got.abs() < 1e-15),
        "{what}: got {got:e}, want {want:e} (rel tol {rel:e})"
    );
}

pub fn golden() -> Value {
    let text = std::fs::read_to_string(fixture("drift/golden.json")).expect("golden.json");
    serde_json::from_str(&text).expect("golden.json parses")
}

/// Compares a help text with its committed snapshot; `UPDATE_SNAPSHOTS=1` rewrites it.
pub fn assert_snapshot(name: &str, actual: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots")
        .join(name);
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, actual).expect("write snapshot");
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!(
            "missing snapshot {}; run with UPDATE_SNAPSHOTS=1",
            path.display()
        )
    });
    assert_eq!(
        expected, actual,
        "snapshot {name} changed; if intended, rerun with UPDATE_SNAPSHOTS=1"
    );
}

/// Trains a linear churn model on fixtures/train/churn.parquet with `features` (and the
/// device_id vocabulary) into `out`, by the real binary; returns `out` as a string.
pub fn train_linear_churn(out: &std::path::Path, features: &str) -> String {
    let out = out.display().to_string();
    let (code, _, stderr) = run(&[
        "train-candidate",
        "--data",
        &fixture("train/churn.parquet"),
        "--target",
        "churned",
        "--time",
        "event_time",
        "--features",
        features,
        "--entity",
        "device_id",
        "--model",
        "linear",
        "--out",
        &out,
    ]);
    assert_eq!(code, 0, "{stderr}");
    out
}
