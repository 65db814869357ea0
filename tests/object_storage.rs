//! Inputs and outputs in object storage, run for real: a local S3 and STS endpoint (moto's
//! server, scripts/python/s3_server.py) over HTTPS on loopback with a throwaway CA that refit
//! trusts through SSL_CERT_FILE, as a pod trusts a cluster's CA. Objects are written and read
//! back with boto3, not with refit. Without the venv `make test-setup` makes, a test is skipped
//! with a note, unless REFIT_REQUIRE_DAEMONS=1 (as .ci/run sets): then it fails.

mod common;

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::{deploy_python, fixture, repo_path};
use serde_json::Value;

/// moto's server on a free loopback port, killed by its PID when the test ends.
struct S3 {
    server: Child,
    port: u16,
    python: PathBuf,
    dir: tempfile::TempDir,
}

impl Drop for S3 {
    fn drop(&mut self) {
        let _ = self.server.kill();
        let _ = self.server.wait();
    }
}

impl S3 {
    fn start() -> Option<S3> {
        let python = deploy_python("moto, boto3")?;
        let dir = tempfile::tempdir().unwrap();
        write_certificates(dir.path());
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let server = Command::new(&python)
            .arg(repo_path("scripts/python/s3_server.py"))
            .arg(port.to_string())
            .args(["server.pem", "server.key", "auth.log"])
            .current_dir(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let s3 = S3 {
            server,
            port,
            python,
            dir,
        };
        let start = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "moto did not start"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Some(s3)
    }

    fn endpoint(&self) -> String {
        format!("https://127.0.0.1:{}", self.port)
    }

    /// Runs boto3 with `code` after `s3 = boto3.client(...)` against this endpoint.
    fn boto3(&self, code: &str) -> Output {
        let script = format!(
            "import boto3, sys\n\
             s3 = boto3.client('s3', endpoint_url='{}', region_name='us-east-1', \
             aws_access_key_id='AKIDTEST', aws_secret_access_key='secret', verify='ca.pem')\n{code}",
            self.endpoint()
        );
        let out = Command::new(&self.python)
            .args(["-c", &script])
            .current_dir(self.dir.path())
            .output()
            .unwrap();
        assert!(out.status.success(), "boto3: {out:?}");
        out
    }

    /// Creates `bucket` and uploads each local file under its key.
    fn upload(&self, bucket: &str, objects: &[(&str, String)]) {
        let mut code = format!("s3.create_bucket(Bucket='{bucket}')\n");
        for (key, path) in objects {
            code.push_str(&format!("s3.upload_file('{path}', '{bucket}', '{key}')\n"));
        }
        self.boto3(&code);
    }

    /// The object's bytes, or None when it does not exist.
    fn download(&self, bucket: &str, key: &str) -> Option<Vec<u8>> {
        let out = self.boto3(&format!(
            "try:\n    sys.stdout.buffer.write(s3.get_object(Bucket='{bucket}', Key='{key}')['Body'].read())\n\
             except s3.exceptions.NoSuchKey:\n    sys.exit(0)\n"
        ));
        Some(out.stdout).filter(|bytes| !bytes.is_empty())
    }

    /// refit with the environment of a pod: region, endpoint, the cluster's CA, static keys.
    fn refit(&self, args: &[&str]) -> Output {
        self.refit_with(
            args,
            &[
                ("AWS_ACCESS_KEY_ID", "AKIDTEST"),
                ("AWS_SECRET_ACCESS_KEY", "secret"),
            ],
        )
    }

    fn refit_with(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_refit"))
            .args(args)
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ENDPOINT_URL", self.endpoint())
            .env("SSL_CERT_FILE", self.dir.path().join("ca.pem"))
            .envs(env.iter().copied())
            .current_dir(self.dir.path())
            .output()
            .unwrap()
    }

    /// The access key id that signed each request, in order ("-" for unsigned).
    fn signers(&self) -> Vec<String> {
        std::fs::read_to_string(self.dir.path().join("auth.log"))
            .unwrap_or_default()
            .lines()
            .map(|line| line.rsplit(' ').next().unwrap_or("").to_string())
            .collect()
    }
}

fn write_certificates(dir: &Path) {
    let pki = common::test_pki(&["127.0.0.1"]);
    std::fs::write(dir.join("ca.pem"), &pki.ca_pem).unwrap();
    std::fs::write(dir.join("server.pem"), pki.server_cert.pem()).unwrap();
    std::fs::write(dir.join("server.key"), pki.server_key.serialize_pem()).unwrap();
}

fn stdout_json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {out:?}"))
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).to_string()
}

const SHARDS: [&str; 2] = ["part-000.parquet", "part-001.parquet"];

/// The drift fixture in a bucket: the baseline, and the current data as two shards under a
/// day partition, plus an object the glob must not match.
fn drift_lake(s3: &S3) {
    let mut objects = vec![(
        "baseline/all.parquet".to_string(),
        fixture("drift/baseline.parquet"),
    )];
    for shard in SHARDS {
        objects.push((
            format!("current/day=2026-11-23/{shard}"),
            fixture(&format!("drift/shards/{shard}")),
        ));
    }
    objects.push((
        "current/day=2026-11-23/sub/ignored.parquet".to_string(),
        fixture("drift/bad_truncated.parquet"),
    ));
    let refs: Vec<(&str, String)> = objects
        .iter()
        .map(|(k, p)| (k.as_str(), p.clone()))
        .collect();
    s3.upload("lake", &refs);
}

fn drift_args<'a>(baseline: &'a str, current: &'a str) -> Vec<&'a str> {
    vec![
        "--format",
        "json",
        "drift-check",
        "--exclude",
        "customer_id",
        "--baseline",
        baseline,
        "--current",
        current,
    ]
}

#[test]
fn drift_check_over_sharded_objects_equals_the_local_run_and_puts_its_report() {
    let Some(s3) = S3::start() else { return };
    drift_lake(&s3);
    let remote = s3.refit(
        &[
            &[
                "--report",
                "s3://lake/reports/drift.json",
                "--html",
                "s3://lake/reports/drift.html",
            ][..],
            &["--metrics-file", "drift.prom"],
            &drift_args(
                "s3://lake/baseline/all.parquet",
                "s3://lake/current/*/*.parquet",
            )[..],
        ]
        .concat(),
    );
    assert_eq!(
        remote.status.code(),
        Some(2),
        "drift FAIL expected: {}",
        stderr(&remote)
    );
    let shards: Vec<String> = SHARDS
        .iter()
        .map(|s| fixture(&format!("drift/shards/{s}")))
        .collect();
    let local = s3.refit(&drift_args(
        &fixture("drift/baseline.parquet"),
        &format!(
            "{}/*.parquet",
            Path::new(&shards[0]).parent().unwrap().display()
        ),
    ));
    let (remote_json, local_json) = (stdout_json(&remote), stdout_json(&local));
    assert_eq!(
        remote_json["result"], local_json["result"],
        "same figures from objects"
    );

    // The report names each object (the glob expanded, sorted; the sub-prefix not matched)
    // with the same rows and digest as the local file.
    let inputs = remote_json["inputs"].as_array().unwrap();
    let paths: Vec<&str> = inputs.iter().map(|i| i["path"].as_str().unwrap()).collect();
    assert_eq!(
        paths,
        [
            "s3://lake/baseline/all.parquet",
            "s3://lake/current/day=2026-11-23/part-000.parquet",
            "s3://lake/current/day=2026-11-23/part-001.parquet",
        ]
    );
    for (remote, local) in inputs.iter().zip(local_json["inputs"].as_array().unwrap()) {
        assert_eq!(remote["sha256"], local["sha256"]);
        assert_eq!(remote["rows"], local["rows"]);
    }

    let report = s3
        .download("lake", "reports/drift.json")
        .expect("report PUT");
    let report: Value = serde_json::from_slice(&report).unwrap();
    assert_eq!(report["result"], remote_json["result"]);
    assert_eq!(report["params"]["report"], "s3://lake/reports/drift.json");
    let html = s3.download("lake", "reports/drift.html").expect("HTML PUT");
    assert!(String::from_utf8_lossy(&html).contains("<html"));
    assert!(
        s3.dir.path().join("drift.prom").is_file(),
        "local metrics beside"
    );
}

#[test]
fn copies_of_objects_are_removed_after_the_run() {
    let Some(s3) = S3::start() else { return };
    drift_lake(&s3);
    let tmp = s3.dir.path().join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    let tmp_text = tmp.display().to_string();
    let creds = [
        ("AWS_ACCESS_KEY_ID", "AKIDTEST"),
        ("AWS_SECRET_ACCESS_KEY", "secret"),
        ("TMPDIR", tmp_text.as_str()),
    ];
    let out = s3.refit_with(
        &drift_args(
            "s3://lake/baseline/all.parquet",
            "s3://lake/current/*/*.parquet",
        ),
        &creds,
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_eq!(
        std::fs::read_dir(&tmp).unwrap().count(),
        0,
        "copies removed"
    );
}

#[test]
fn score_proxy_and_validate_read_their_inputs_from_objects() {
    let Some(s3) = S3::start() else { return };
    s3.upload(
        "scores",
        &[
            (
                "2026/11/predictions.parquet",
                fixture("score_proxy/predictions.parquet"),
            ),
            (
                "2026/11/outcomes.parquet",
                fixture("score_proxy/outcomes.parquet"),
            ),
            ("train/churn.parquet", fixture("train/churn.parquet")),
        ],
    );
    let proxy = |predictions: &str, outcomes: &str| {
        s3.refit(&[
            "--format",
            "json",
            "score-proxy",
            "--predictions",
            predictions,
            "--outcomes",
            outcomes,
            "--on",
            "customer_id",
            "--score",
            "churn_score",
            "--label",
            "churned",
            "--prediction-time",
            "predicted_at",
            "--outcome-time",
            "observed_at",
            "--horizon",
            "30d",
        ])
    };
    let remote = proxy(
        "s3://scores/2026/11/predictions.parquet",
        "s3://scores/2026/11/outcomes.parquet",
    );
    let local = proxy(
        &fixture("score_proxy/predictions.parquet"),
        &fixture("score_proxy/outcomes.parquet"),
    );
    assert_eq!(
        remote.status.code(),
        local.status.code(),
        "{}",
        stderr(&remote)
    );
    assert_eq!(
        stdout_json(&remote)["result"],
        stdout_json(&local)["result"]
    );

    let infer = s3.refit(&[
        "validate",
        "--infer",
        "--data",
        "s3://scores/train/*.parquet",
        "--out",
        "contract.json",
    ]);
    assert_eq!(infer.status.code(), Some(0), "{}", stderr(&infer));
    let check = s3.refit(&[
        "--format",
        "json",
        "validate",
        "--contract",
        "contract.json",
        "--data",
        "s3://scores/train/churn.parquet",
    ]);
    assert_eq!(check.status.code(), Some(0), "{}", stderr(&check));
    assert_eq!(
        stdout_json(&check)["inputs"][0]["path"],
        "s3://scores/train/churn.parquet"
    );
}

/// IRSA: the pod has no keys, only a web-identity token file and a role; refit exchanges the
/// token at STS and signs every S3 request with the temporary key it gets (ASIA...).
#[test]
fn web_identity_credentials_are_exchanged_at_sts_and_sign_the_requests() {
    let Some(s3) = S3::start() else { return };
    drift_lake(&s3);
    std::fs::write(s3.dir.path().join("token"), "eyJhbGciOiJSUzI1NiJ9.e30.c2ln").unwrap();
    let sts = s3.endpoint();
    let before = s3.signers().len();
    let out = s3.refit_with(
        &drift_args(
            "s3://lake/baseline/all.parquet",
            "s3://lake/current/*/*.parquet",
        ),
        &[
            ("AWS_WEB_IDENTITY_TOKEN_FILE", "token"),
            ("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/refit-drift"),
            ("AWS_ENDPOINT_URL_STS", sts.as_str()),
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let signers = s3.signers()[before..].to_vec();
    assert_eq!(
        signers.first().map(String::as_str),
        Some("-"),
        "STS first, unsigned: {signers:?}"
    );
    let s3_requests: Vec<&String> = signers.iter().filter(|k| *k != "-").collect();
    assert!(
        s3_requests.len() >= 4 && s3_requests.iter().all(|k| k.starts_with("ASIA")),
        "every S3 request signed with STS's temporary key: {signers:?}"
    );
}

#[test]
fn missing_objects_and_unreachable_stores_are_errors_that_leave_nothing() {
    let Some(s3) = S3::start() else { return };
    drift_lake(&s3);
    let baseline = "s3://lake/baseline/all.parquet";
    let cases = [
        (
            "s3://lake/current/*/*.csv",
            "s3://lake/current/*/*.csv: no objects match",
        ),
        (
            "s3://lake/current/day=1/x.parquet",
            "s3://lake/current/day=1/x.parquet: no such object",
        ),
        ("s3://lake", "expected s3://BUCKET/KEY"),
        (
            "s3://lake/current/day=2026-11-23/sub/*.parquet",
            "reading s3://lake/current/day=2026-11-23/sub/ignored.parquet",
        ),
    ];
    for (current, expected) in cases {
        let out = s3.refit(
            &[
                &["--metrics-file", "m.prom"][..],
                &drift_args(baseline, current),
            ]
            .concat(),
        );
        assert_eq!(out.status.code(), Some(1), "{current}: {}", stderr(&out));
        assert!(
            stderr(&out).contains(expected),
            "{current}: {}",
            stderr(&out)
        );
        assert!(!s3.dir.path().join("m.prom").exists());
    }

    // A report to a bucket that does not exist: exit 1, and the local metrics file that would
    // have gone with it is not written either.
    let out = s3.refit(
        &[
            &[
                "--report",
                "s3://no-such-bucket/r.json",
                "--metrics-file",
                "m.prom",
            ][..],
            &drift_args(baseline, "s3://lake/current/*/*.parquet"),
        ]
        .concat(),
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("writing s3://no-such-bucket/r.json: no such bucket"),
        "{}",
        stderr(&out)
    );
    assert!(
        !s3.dir.path().join("m.prom").exists(),
        "all outputs or none"
    );

    // Without the CA the certificate is refused; with nothing listening the refusal is named.
    let untrusted = s3.refit_with(
        &drift_args(baseline, "s3://lake/current/*/*.parquet"),
        &[
            ("AWS_ACCESS_KEY_ID", "AKIDTEST"),
            ("AWS_SECRET_ACCESS_KEY", "secret"),
            ("SSL_CERT_FILE", "/dev/null"),
        ],
    );
    assert_eq!(untrusted.status.code(), Some(1));
    assert!(
        stderr(&untrusted).to_lowercase().contains("certificate"),
        "{}",
        stderr(&untrusted)
    );
    let unreachable = s3.refit_with(
        &drift_args(baseline, "s3://lake/current/*/*.parquet"),
        &[
            ("AWS_ACCESS_KEY_ID", "AKIDTEST"),
            ("AWS_SECRET_ACCESS_KEY", "secret"),
            ("AWS_ENDPOINT_URL", "https://127.0.0.1:9"),
        ],
    );
    assert_eq!(unreachable.status.code(), Some(1));
    assert!(
        stderr(&unreachable).contains("Connection refused"),
        "{}",
        stderr(&unreachable)
    );
}
