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

/// The binary as a plain `std::process::Command`, for tests that wire stdout themselves.
pub fn refit_process() -> std::process::Command {
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("refit"));
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

/// A file of the repository (a script, a manifest, a fixture) by its path from the root.
pub fn repo_path(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// `name` on PATH, or in the directories Debian installs daemons to (/usr/sbin is not on
/// every user's PATH).
pub fn on_path(name: &str) -> Option<PathBuf> {
    let paths = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&paths)
        .chain(["/usr/sbin", "/usr/bin", "/usr/local/bin"].map(PathBuf::from))
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// The first of `names` found, for a deployment test: `None` with a note when none is
/// installed here, a panic when REFIT_REQUIRE_DAEMONS=1 (as .ci/run sets).
pub fn required_tool(names: &[&str], package: &str) -> Option<PathBuf> {
    let found = names.iter().find_map(|name| on_path(name));
    if found.is_none() {
        if std::env::var("REFIT_REQUIRE_DAEMONS").is_ok_and(|v| v == "1") {
            panic!("{package} is required (REFIT_REQUIRE_DAEMONS=1): run `make test-setup`");
        }
        eprintln!(
            "SKIPPED: no {} (Debian's {package}; `make test-setup`)",
            names[0]
        );
    }
    found
}

/// The Python of the venv `make test-setup` makes for the deployment checks
/// ($REFIT_DEPLOY_VENV, default ~/.cache/refit-deploy-venv) when it can import `modules`;
/// `None` with a note otherwise, a panic when REFIT_REQUIRE_DAEMONS=1 (as .ci/run sets).
pub fn deploy_python(modules: &str) -> Option<PathBuf> {
    let venv = std::env::var_os("REFIT_DEPLOY_VENV")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/refit-deploy-venv"))
        })?;
    let python = venv.join("bin/python");
    let ready = std::process::Command::new(&python)
        .args(["-c", &format!("import {modules}")])
        .output()
        .is_ok_and(|o| o.status.success());
    if ready {
        return Some(python);
    }
    if std::env::var("REFIT_REQUIRE_DAEMONS").is_ok_and(|v| v == "1") {
        panic!(
            "{} cannot import {modules}: run `make test-setup`",
            python.display()
        );
    }
    eprintln!(
        "SKIPPED: {} cannot import {modules} (`make test-setup`)",
        python.display()
    );
    None
}

/// A registry under `dir` whose live version v000001 holds a profile of the drift fixture's
/// baseline (what drift-daily.sh and the drift CronJob read), written by the real binary.
pub fn registry_with_profile(dir: &std::path::Path) -> PathBuf {
    let registry = dir.join("registry");
    let version = registry.join("versions/v000001");
    std::fs::create_dir_all(&version).unwrap();
    let profile = version.join("profile.json").display().to_string();
    let (code, _, stderr) = run(&[
        "--quiet",
        "profile",
        "--data",
        &fixture("drift/baseline.parquet"),
        "--out",
        &profile,
    ]);
    assert_eq!(code, 0, "{stderr}");
    let pointer = "{\n  \"version\": 1,\n  \"path\": \"versions/v000001\",\n  \
                   \"promoted_at\": \"2024-01-01T00:00:00Z\",\n  \"previous\": null\n}\n";
    std::fs::write(registry.join("current.json"), pointer).unwrap();
    registry
}

/// A scratch directory to run the real binary in, in the manner of xsv's `Workdir`: one
/// behaviour is one short test, and a failed expectation prints the whole run.
pub struct Workdir {
    dir: tempfile::TempDir,
}

/// One finished run of the binary, with what it printed.
pub struct Run {
    pub command: String,
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Workdir {
    pub fn new() -> Workdir {
        Workdir {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    /// A path inside the scratch directory, as the string the CLI takes.
    pub fn path(&self, name: &str) -> String {
        self.dir.path().join(name).display().to_string()
    }

    pub fn exists(&self, name: &str) -> bool {
        self.dir.path().join(name).exists()
    }

    pub fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.path().join(name))
            .unwrap_or_else(|e| panic!("reading {name}: {e}"))
    }

    /// The names in the scratch directory, sorted.
    pub fn files(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.dir.path())
            .expect("list")
            .map(|e| e.expect("entry").file_name().to_string_lossy().to_string())
            .collect();
        names.sort();
        names
    }

    /// Runs refit in the scratch directory.
    pub fn run(&self, args: &[&str]) -> Run {
        let out = refit()
            .current_dir(self.dir.path())
            .args(args)
            .output()
            .expect("runs");
        Run {
            command: format!("refit {}", args.join(" ")),
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).to_string(),
            stderr: String::from_utf8_lossy(&out.stderr).to_string(),
        }
    }
}

impl Run {
    /// Asserts the exit code; on failure shows the command, its exit code, stdout and stderr.
    pub fn assert_exit(&self, code: i32) -> &Run {
        assert_eq!(
            self.code, code,
            "\ncommand: {}\nexit code: {} (expected {code})\n--- stdout\n{}\n--- stderr\n{}",
            self.command, self.code, self.stdout, self.stderr
        );
        self
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "{}: stdout is not JSON ({e}):\n{}",
                self.command, self.stdout
            )
        })
    }
}

/// A CA made for one test, and a server certificate it signed for `names` (TLS tests).
pub struct TestPki {
    pub ca_pem: String,
    pub server_cert: rcgen::Certificate,
    pub server_key: rcgen::KeyPair,
}

pub fn test_pki(names: &[&str]) -> TestPki {
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose,
    };
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    ca.distinguished_name
        .push(DnType::CommonName, "refit test CA");
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca, ca_key);
    let server_key = KeyPair::generate().unwrap();
    let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    let server_cert = CertificateParams::new(names)
        .unwrap()
        .signed_by(&server_key, &issuer)
        .unwrap();
    TestPki {
        ca_pem: ca_cert.pem(),
        server_cert,
        server_key,
    }
}

impl Workdir {
    /// `refit --format json drift-check` of the drift fixture's features (customer_id left
    /// out) in the scratch directory: each side a data file or a profile.json.
    pub fn drift_json(&self, baseline: &str, current: &[&str]) -> Value {
        let mut args = vec![
            "--format",
            "json",
            "drift-check",
            "--exclude",
            "customer_id",
            "--baseline",
            baseline,
        ];
        for c in current {
            args.extend(["--current", c]);
        }
        self.run(&args).json()
    }
}

/// A drift-check report `got` with a profile on a side agrees with `want` (the same check on
/// other sides): the exit code, every verdict and the binned statistics exactly; KS and
/// Wasserstein within the error bounds the two reports state (none for a raw-data report).
pub fn assert_drift_agrees(got: &Value, want: &Value, what: &str) {
    assert_eq!(got["exit_code"], want["exit_code"], "{what}: exit code");
    let (got_features, want_features) = (
        got["result"]["features"].as_array().unwrap(),
        want["result"]["features"].as_array().unwrap(),
    );
    assert!(!want_features.is_empty(), "{what}: no features compared");
    assert_eq!(got_features.len(), want_features.len(), "{what}: features");
    for (got, want) in got_features.iter().zip(want_features) {
        let name = format!("{what}: {}", want["name"]);
        assert_eq!(got["name"], want["name"], "{name}");
        assert_eq!(got["status"], want["status"], "{name}: status");
        let (got, want) = (&got["statistics"], &want["statistics"]);
        for exact in [
            "psi",
            "js_distance",
            "chi2",
            "current_counts",
            "baseline_counts",
        ] {
            assert_eq!(got[exact], want[exact], "{name}: {exact}");
        }
        let bound = |key: &str| {
            got["approximate"][key].as_f64().unwrap_or(0.0)
                + want["approximate"][key].as_f64().unwrap_or(0.0)
        };
        if let (Some(a), Some(b)) = (
            got["ks"]["statistic"].as_f64(),
            want["ks"]["statistic"].as_f64(),
        ) {
            let limit = bound("ks_statistic_max_error") + 1e-12;
            assert!(
                (a - b).abs() <= limit,
                "{name}: ks {a} vs {b}, bound {limit}"
            );
        }
        if let (Some(a), Some(b)) = (got["wasserstein"].as_f64(), want["wasserstein"].as_f64()) {
            let limit = bound("wasserstein_max_error") * (1.0 + 1e-12);
            assert!(
                (a - b).abs() <= limit,
                "{name}: wasserstein {a} vs {b}, bound {limit}"
            );
        }
    }
}

/// What profiles of the same rows must share: the row count and every feature's counts, bins,
/// types and extremes (sources and times differ; sketches are equal only within their bound).
pub fn profile_counts(path: &std::path::Path) -> (Value, Value) {
    let mut profile: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    for feature in profile["features"].as_array_mut().unwrap() {
        feature.as_object_mut().unwrap().remove("sketch");
    }
    (profile["rows"].clone(), profile["features"].clone())
}
