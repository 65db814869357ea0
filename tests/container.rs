//! The image and the CronJobs run for real: a private Docker daemon (Debian's docker.io, on a
//! unix socket of its own, no network) builds the image as `make image` does
//! (scripts/k8s/build-image.sh, the shipped Dockerfile, the static musl build of refit), then
//! runs each CronJob's container as its manifest says: command, args, env, non-root user,
//! read-only root filesystem, the volume at /data.
//!
//! What differs from production, and why: Docker Hub is unreachable, so the Dockerfile's BASE
//! is a busybox image made here from Debian's static busybox; the binary is the musl debug
//! build (`make static-debug`; a release build of Polars takes too long for CI), not the
//! release one; the env values that describe one user's data (TRAIN_ARGS, SHADOW_ARGS,
//! PROXY_ARGS, FLEET_ARGS, MIN_NEW_ROWS) are set for the churn fixtures, and PUSHGATEWAY and
//! NOTIFY_URL are unset (no network to reach the cluster's). Without dockerd or the
//! static build the test is skipped with a note, unless REFIT_REQUIRE_DAEMONS=1.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::{registry_with_profile, repo_path, required_tool};
use yaml_rust2::{Yaml, YamlLoader};

fn tools() -> Option<(PathBuf, PathBuf, PathBuf)> {
    Some((
        required_tool(&["dockerd"], "docker.io")?,
        required_tool(&["docker"], "docker.io")?,
        required_tool(&["busybox"], "busybox-static")?,
    ))
}

/// A private Docker daemon, stopped by its PID when the test ends.
struct Daemon {
    child: Child,
    docker: PathBuf,
    socket: String,
}

impl Daemon {
    fn start(dockerd: &Path, docker: &Path, dir: &Path) -> Daemon {
        let socket = format!("unix://{}", dir.join("d.sock").display());
        let log = std::fs::File::create(dir.join("dockerd.log")).unwrap();
        let child = Command::new(dockerd)
            .arg("--data-root")
            .arg(dir.join("data"))
            .arg("--exec-root")
            .arg(dir.join("exec"))
            .arg("--pidfile")
            .arg(dir.join("dockerd.pid"))
            .args(["--host", &socket])
            .args(["--iptables=false", "--ip6tables=false", "--bridge=none"])
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        let daemon = Daemon {
            child,
            docker: docker.to_path_buf(),
            socket,
        };
        let start = Instant::now();
        while !daemon.docker(&["version"]).status.success() {
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "dockerd did not start: {}",
                std::fs::read_to_string(dir.join("dockerd.log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(300));
        }
        daemon
    }

    fn command(&self) -> Command {
        let mut cmd = Command::new(&self.docker);
        cmd.args(["-H", &self.socket]).env("DOCKER_BUILDKIT", "0");
        cmd
    }

    fn docker(&self, args: &[&str]) -> Output {
        self.command().args(args).output().unwrap()
    }

    fn build(&self, context: &Path, tag: &str) {
        let out = self
            .command()
            .args(["build", "-q", "-t", tag])
            .arg(context)
            .output()
            .unwrap();
        assert!(out.status.success(), "docker build {tag}: {}", text(&out));
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(20) {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn text(out: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn copy(from: &Path, to: &Path) {
    std::fs::create_dir_all(to.parent().unwrap()).unwrap();
    std::fs::copy(from, to)
        .unwrap_or_else(|e| panic!("{} -> {}: {e}", from.display(), to.display()));
}

/// The static musl build of this checkout's refit: $REFIT_STATIC_BINARY, or the debug build
/// `make static-debug` leaves beside this test's binary (.ci/run builds it first). Rebuild it
/// after changing the sources: this test does not.
fn static_binary() -> Option<PathBuf> {
    let built = Path::new(env!("CARGO_BIN_EXE_refit"))
        .parent()
        .and_then(Path::parent)
        .map(|target| target.join("x86_64-unknown-linux-musl/debug/refit"));
    let binary = std::env::var_os("REFIT_STATIC_BINARY")
        .map(PathBuf::from)
        .or(built)
        .filter(|p| p.is_file());
    if binary.is_none() {
        if std::env::var("REFIT_REQUIRE_DAEMONS").is_ok_and(|v| v == "1") {
            panic!(
                "the static build is required (REFIT_REQUIRE_DAEMONS=1): run `make static-debug`"
            );
        }
        eprintln!("SKIPPED: no static musl build of refit (`make static-debug`)");
    }
    binary
}

/// Builds the base from Debian's static busybox, then the image exactly as `make image` does
/// (scripts/k8s/build-image.sh with the shipped Dockerfile), with that base as BASE and the
/// static build as the binary.
fn build_image(daemon: &Daemon, busybox: &Path, binary: &Path, dir: &Path) -> String {
    let base = "refit-test-busybox:latest";
    let base_context = dir.join("base");
    copy(busybox, &base_context.join("busybox"));
    std::fs::write(
        base_context.join("Dockerfile"),
        "FROM scratch\nCOPY busybox /bin/busybox\nRUN [\"/bin/busybox\", \"--install\", \"-s\", \"/bin\"]\n",
    )
    .unwrap();
    daemon.build(&base_context, base);

    let tag = "refit-test:latest";
    let out = Command::new(repo_path("scripts/k8s/build-image.sh"))
        .arg(binary)
        .arg(tag)
        .args(["-q", "--build-arg", &format!("BASE={base}")])
        .env("DOCKER", &daemon.docker)
        .env("DOCKER_HOST", &daemon.socket)
        .env("DOCKER_BUILDKIT", "0")
        .env("TMPDIR", dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "build-image.sh: {}", text(&out));
    tag.to_string()
}

fn cronjob(rel: &str) -> Yaml {
    let text = std::fs::read_to_string(repo_path(rel)).unwrap();
    YamlLoader::load_from_str(&text).unwrap().remove(0)
}

/// `docker run` of the CronJob's container as its manifest specifies, with `overrides` on
/// top of its env (`None` removes a variable).
fn run_cronjob(
    daemon: &Daemon,
    image: &str,
    job: &Yaml,
    data: &Path,
    overrides: &[(&str, Option<&str>)],
) -> Output {
    let pod = &job["spec"]["jobTemplate"]["spec"]["template"]["spec"];
    let container = &pod["containers"][0];
    let user = pod["securityContext"]["runAsUser"].as_i64().unwrap();
    let group = pod["securityContext"]["fsGroup"].as_i64().unwrap();
    let mount = container["volumeMounts"][0]["mountPath"].as_str().unwrap();
    let mut cmd = daemon.command();
    cmd.args(["run", "--rm", "--network", "none", "--read-only"])
        .args(["--user", &format!("{user}:{group}")])
        .arg("-v")
        .arg(format!("{}:{mount}", data.display()));
    for var in container["env"].as_vec().unwrap() {
        let name = var["name"].as_str().unwrap();
        if overrides.iter().any(|(n, _)| *n == name) {
            continue;
        }
        cmd.args(["-e", &format!("{name}={}", var["value"].as_str().unwrap())]);
    }
    for (name, value) in overrides {
        if let Some(value) = value {
            cmd.args(["-e", &format!("{name}={value}")]);
        }
    }
    let command: Vec<&str> = container["command"]
        .as_vec()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    cmd.args(["--entrypoint", command[0], image]);
    cmd.args(&command[1..]);
    if let Some(args) = container["args"].as_vec() {
        cmd.args(args.iter().map(|a| a.as_str().unwrap()));
    }
    cmd.output().unwrap()
}

/// The volume as fsGroup makes it: owned by the pod's user.
fn chown_volume(data: &Path, owner: &str) {
    let status = Command::new("chown")
        .args(["-R", owner])
        .arg(data)
        .status()
        .unwrap();
    assert!(status.success());
}

/// The containers have no network, so the manifests' Pushgateway and serving endpoint are out
/// of reach, and the static binary's resolver (musl) spends its whole timeout on each name
/// (~15 s a promote's notify). Pushing and notifying run against real servers in
/// tests/live_daemons.rs and tests/notify.rs.
const NO_ENDPOINTS: [(&str, Option<&str>); 2] = [("PUSHGATEWAY", None), ("NOTIFY_URL", None)];

fn ledger_outcomes(data: &Path) -> Vec<String> {
    std::fs::read_to_string(data.join("registry/runs.jsonl"))
        .unwrap_or_default()
        .lines()
        .map(|l| {
            let record: serde_json::Value = serde_json::from_str(l).unwrap();
            record["outcome"].as_str().unwrap().to_string()
        })
        .collect()
}

#[test]
fn the_image_runs_both_cronjobs_as_their_manifests_say() {
    let Some((dockerd, docker, busybox)) = tools() else {
        return;
    };
    let Some(binary) = static_binary() else {
        return;
    };
    // A short path: the daemon's unix socket lives in it.
    let tmp = tempfile::Builder::new()
        .prefix("rfd")
        .tempdir_in("/tmp")
        .unwrap();
    let daemon = Daemon::start(&dockerd, &docker, tmp.path());
    let image = build_image(&daemon, &busybox, &binary, tmp.path());

    // The drift CronJob: yesterday's batch against the live model's profile; drift exits 2.
    let drift = cronjob("scripts/k8s/drift-check-cronjob.yaml");
    let data = tmp.path().join("drift-data");
    registry_with_profile(&data);
    copy(
        &repo_path("fixtures/drift/current.parquet"),
        &data.join("features/day=yesterday/part-0.parquet"),
    );
    chown_volume(&data, "65532:65532");
    let out = run_cronjob(&daemon, &image, &drift, &data, &NO_ENDPOINTS);
    assert_eq!(out.status.code(), Some(2), "drift FAIL:\n{}", text(&out));
    let reports: Vec<String> = std::fs::read_dir(data.join("reports/drift-check"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    assert!(
        reports.len() == 1 && reports[0].starts_with("drift-check-"),
        "{reports:?}"
    );
    let metrics = std::fs::read_to_string(data.join("metrics/refit_drift_daily.prom")).unwrap();
    assert!(
        metrics.contains("refit_status{refit_job=\"drift_daily\",command=\"drift-check\"} 2"),
        "{metrics}"
    );

    // The retrain CronJob: bootstrap on the history, then a drifted batch lands and the loop
    // retrains and promotes. The wrapper in its args maps the loop's 10 (promoted) to 0.
    let retrain = cronjob("scripts/k8s/retrain-cronjob.yaml");
    let data = tmp.path().join("retrain-data");
    copy(
        &repo_path("fixtures/loop/churn/history.parquet"),
        &data.join("features/history.parquet"),
    );
    copy(
        &repo_path("fixtures/loop/churn/history.parquet"),
        &data.join("labelled/last-week.parquet"),
    );
    chown_volume(&data, "65532:65532");
    let fixture_shaped: [(&str, Option<&str>); 8] = [
        NO_ENDPOINTS[0],
        NO_ENDPOINTS[1],
        (
            "TRAIN_ARGS",
            Some("--exclude customer_id --id customer_id --min-rows 500"),
        ),
        (
            "SHADOW_ARGS",
            Some("--time event_time --last 600 --metric pr_auc --bootstrap 200"),
        ),
        ("DRIFT_ARGS", Some("--fail-share 0.2")),
        ("PROXY_ARGS", None),
        ("FLEET_ARGS", None),
        ("MIN_NEW_ROWS", None),
    ];
    let out = run_cronjob(&daemon, &image, &retrain, &data, &fixture_shaped);
    assert_eq!(out.status.code(), Some(0), "bootstrap:\n{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("retrain loop exit 10"),
        "{}",
        text(&out)
    );
    assert_eq!(ledger_outcomes(&data), ["promoted"]);

    copy(
        &repo_path("fixtures/loop/churn/batch.parquet"),
        &data.join("features/batch.parquet"),
    );
    copy(
        &repo_path("fixtures/loop/churn/batch.parquet"),
        &data.join("features/day=yesterday/batch.parquet"),
    );
    copy(
        &repo_path("fixtures/loop/churn/batch.parquet"),
        &data.join("labelled/last-week.parquet"),
    );
    chown_volume(&data, "65532:65532");
    let out = run_cronjob(&daemon, &image, &retrain, &data, &fixture_shaped);
    assert_eq!(out.status.code(), Some(0), "drifted batch:\n{}", text(&out));
    assert_eq!(
        ledger_outcomes(&data),
        ["promoted", "promoted"],
        "{}",
        text(&out)
    );
    let pointer = std::fs::read_to_string(data.join("registry/current.json")).unwrap();
    assert!(pointer.contains("versions/v000002"), "{pointer}");
}
