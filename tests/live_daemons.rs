//! The deployment run for real: node_exporter serving both CronJobs' metrics files, and the
//! shipped crontab line run by a real cron daemon (busybox crond). Each daemon listens on
//! loopback with its own directories and is stopped by its PID. Without the daemon a test is
//! skipped with a note, unless REFIT_REQUIRE_DAEMONS=1 (as .ci/run sets): then it fails.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{registry_with_profile, repo_path, required_tool};

/// A running daemon, killed by its PID when the test ends (passing or not).
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// GET `path` on loopback; `None` while nothing listens yet.
fn http_get(port: u16, path: &str) -> Option<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    Some(response)
}

fn wait_for<T>(what: &str, limit: Duration, mut poll: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(value) = poll() {
            return value;
        }
        assert!(
            start.elapsed() < limit,
            "timed out after {limit:?} waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The daily job (scripts/drift-daily.sh) and the retrain loop's drift-check both write their
/// metrics into `metrics`; `job_labels` false writes the loop's without a refit_job label,
/// as every command did before --metrics-job.
fn write_both_jobs_metrics(dir: &Path, metrics: &Path, job_labels: bool) {
    let registry = registry_with_profile(dir);
    let refit = env!("CARGO_BIN_EXE_refit");
    let mut daily = Command::new(repo_path("scripts/drift-daily.sh"));
    daily
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("REFIT", refit)
        .env("REFIT_REGISTRY", &registry)
        .env("CURRENT_DATA", repo_path("fixtures/drift/current.parquet"))
        .env("DRIFT_ARGS", "--exclude customer_id")
        .env("REPORTS_DIR", dir.join("reports"))
        .env("METRICS_DIR", metrics);
    let out = daily.output().unwrap();
    assert_eq!(out.status.code(), Some(2), "drift FAIL expected: {out:?}");
    let mut check = Command::new(refit);
    check
        .args(["--quiet", "--metrics-file"])
        .arg(metrics.join("refit_loop_drift-check.prom"))
        .args(["drift-check", "--exclude", "customer_id", "--baseline"])
        .arg(repo_path("fixtures/drift/baseline.parquet"))
        .arg("--current")
        .arg(repo_path("fixtures/drift/current.parquet"));
    if job_labels {
        check.args(["--metrics-job", "retrain_loop"]);
    }
    let out = check.output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    if !job_labels {
        // The daily file without its label, as it was before --metrics-job.
        let daily_file = metrics.join("refit_drift_daily.prom");
        let text = std::fs::read_to_string(&daily_file).unwrap();
        std::fs::write(&daily_file, text.replace("refit_job=\"drift_daily\",", "")).unwrap();
    }
}

/// Starts node_exporter with only the textfile collector on `metrics` and scrapes it once.
fn scrape_node_exporter(binary: &Path, metrics: &Path, log: &Path) -> String {
    let port = free_port();
    let _exporter = Running(
        Command::new(binary)
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .arg("--collector.disable-defaults")
            .arg("--collector.textfile")
            .arg(format!(
                "--collector.textfile.directory={}",
                metrics.display()
            ))
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(log).unwrap())
            .spawn()
            .unwrap(),
    );
    wait_for(
        "node_exporter to serve /metrics",
        Duration::from_secs(20),
        || http_get(port, "/metrics").filter(|r| r.contains("node_textfile_scrape_error")),
    )
}

/// The scrape's sample lines of the metric `name`.
fn samples<'a>(scrape: &'a str, name: &str) -> Vec<&'a str> {
    scrape
        .lines()
        .filter(|l| l.starts_with(name) && l[name.len()..].starts_with(['{', ' ']))
        .collect()
}

/// Both jobs' metrics files in one textfile directory, scraped from a real node_exporter:
/// (the scrape, node_exporter's log), or `None` when it is not installed here.
fn node_exporter_over_both_jobs(job_labels: bool) -> Option<(String, String)> {
    let exporter = required_tool(
        &["prometheus-node-exporter", "node_exporter"],
        "prometheus-node-exporter",
    )?;
    let tmp = tempfile::tempdir().unwrap();
    let metrics = tmp.path().join("textfile");
    std::fs::create_dir_all(&metrics).unwrap();
    write_both_jobs_metrics(tmp.path(), &metrics, job_labels);
    let log = tmp.path().join("node_exporter.log");
    let scrape = scrape_node_exporter(&exporter, &metrics, &log);
    Some((scrape, std::fs::read_to_string(&log).unwrap_or_default()))
}

#[test]
fn node_exporter_serves_the_daily_job_and_the_loop_side_by_side() {
    let Some((scrape, log)) = node_exporter_over_both_jobs(true) else {
        return;
    };
    assert!(
        !log.contains("collected before"),
        "node_exporter saw duplicates:\n{log}"
    );
    assert!(scrape.contains("node_textfile_scrape_error 0"), "{scrape}");
    let status = samples(&scrape, "refit_status");
    for job in ["drift_daily", "retrain_loop"] {
        assert!(
            status
                .iter()
                .any(|l| l.contains(&format!("refit_job=\"{job}\"")) && l.ends_with(" 2")),
            "no FAIL verdict of {job} in {status:?}"
        );
    }
    // Every series is served once.
    let mut series: Vec<&str> = scrape
        .lines()
        .filter(|l| l.starts_with("refit_"))
        .filter_map(|l| l.rsplit_once(' ').map(|(s, _)| s))
        .collect();
    let total = series.len();
    series.sort_unstable();
    series.dedup();
    assert_eq!(series.len(), total, "duplicate series in the scrape");
    assert!(total > 20, "{scrape}");
}

#[test]
fn node_exporter_reports_the_collision_the_labels_prevent() {
    let Some((scrape, log)) = node_exporter_over_both_jobs(false) else {
        return;
    };
    assert!(
        log.contains("collected before") || scrape.contains("collected before"),
        "the same series in two files should be reported:\nlog: {log}\nscrape: {scrape}"
    );
    assert!(
        !samples(&scrape, "refit_status")
            .iter()
            .any(|l| l.contains("refit_job")),
        "{scrape}"
    );
}

/// The shipped crontab's drift line, made to fire every minute in a private checkout.
fn crontab_for(srv: &Path, locks: &Path) -> String {
    let shipped = std::fs::read_to_string(repo_path("scripts/cron/crontab")).unwrap();
    let mut out = String::new();
    for line in shipped.lines() {
        if line.trim_start().starts_with('#') || line.trim().is_empty() {
            continue;
        }
        if line.contains("drift-daily.sh") {
            let command = line
                .strip_prefix("0 1 * * *")
                .unwrap_or_else(|| panic!("the drift line's schedule moved: {line}"));
            out.push_str("* * * * *");
            out.push_str(
                &command
                    .replace("/srv/refit", &srv.display().to_string())
                    .replace("/var/lock", &locks.display().to_string()),
            );
            out.push('\n');
        } else if line.contains('=') && !line.contains(".sh") {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

#[test]
fn busybox_crond_runs_the_shipped_drift_line_and_the_report_lands() {
    let Some(busybox) = required_tool(&["busybox"], "busybox-static") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let srv = tmp.path().join("srv");
    let scripts = srv.join("scripts");
    std::fs::create_dir_all(scripts.join("cron")).unwrap();
    std::fs::create_dir_all(srv.join("logs")).unwrap();
    let locks = tmp.path().join("lock");
    std::fs::create_dir_all(&locks).unwrap();
    // The checkout the crontab line cds into: the script as shipped (mode kept) and an
    // environment file pointing at this test's registry and data.
    std::fs::copy(
        repo_path("scripts/drift-daily.sh"),
        scripts.join("drift-daily.sh"),
    )
    .unwrap();
    let registry = registry_with_profile(tmp.path());
    let reports = tmp.path().join("reports");
    let env = format!(
        "export REFIT={}\nexport REFIT_REGISTRY={}\nexport CURRENT_DATA={}\n\
         export DRIFT_ARGS='--exclude customer_id'\nexport REPORTS_DIR={}\n\
         export METRICS_DIR={}\nexport KEEP_REPORTS=30\n",
        env!("CARGO_BIN_EXE_refit"),
        registry.display(),
        repo_path("fixtures/drift/current.parquet").display(),
        reports.display(),
        tmp.path().join("metrics").display(),
    );
    std::fs::write(scripts.join("cron/retrain.env"), env).unwrap();
    let crontabs = tmp.path().join("crontabs");
    std::fs::create_dir_all(&crontabs).unwrap();
    std::fs::write(crontabs.join("root"), crontab_for(&srv, &locks)).unwrap();

    let cron_log = tmp.path().join("crond.log");
    let _crond = Running(
        Command::new(&busybox)
            .args(["crond", "-f", "-l", "0", "-c"])
            .arg(&crontabs)
            .arg("-L")
            .arg(&cron_log)
            .env("TZ", "UTC")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    // cron fires on the minute: at most ~60 s, plus the run.
    let report = wait_for(
        "crond to run the drift line and its report to land",
        Duration::from_secs(150),
        || {
            std::fs::read_dir(&reports)
                .ok()?
                .filter_map(|e| e.ok())
                .map(|e| e.path())
                .find(|p| p.extension().is_some_and(|x| x == "json"))
                .filter(|p| std::fs::metadata(p).is_ok_and(|m| m.len() > 0))
        },
    );
    let envelope: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(envelope["command"], "drift-check");
    assert_eq!(
        envelope["exit_code"],
        2,
        "drift FAIL in {}",
        report.display()
    );
    // The line's own log, named by the day, holds the script's stderr.
    let logs: Vec<_> = std::fs::read_dir(srv.join("logs"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    assert!(
        logs.iter()
            .any(|n| n.starts_with("drift-") && n.ends_with(".log")),
        "{logs:?}"
    );
}

/// A Pushgateway on loopback with its own (unpersisted) state, and its port; `None` (a note)
/// when it is not installed here.
fn pushgateway() -> Option<(Running, u16)> {
    let binary = required_tool(
        &["prometheus-pushgateway", "pushgateway"],
        "prometheus-pushgateway",
    )?;
    Some(start_pushgateway(&binary))
}

fn start_pushgateway(binary: &Path) -> (Running, u16) {
    let port = free_port();
    let gateway = Running(
        Command::new(binary)
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_for(
        "the Pushgateway to serve /metrics",
        Duration::from_secs(20),
        || http_get(port, "/metrics").filter(|r| r.contains("pushgateway_build_info")),
    );
    (gateway, port)
}

fn drift_check_pushing(pushgateway: &str, extra: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_refit"))
        .args([
            "--quiet",
            "--pushgateway",
            pushgateway,
            "--metrics-job",
            "drift_daily",
        ])
        .args(extra)
        .args(["drift-check", "--exclude", "customer_id", "--baseline"])
        .arg(repo_path("fixtures/drift/baseline.parquet"))
        .arg("--current")
        .arg(repo_path("fixtures/drift/current.parquet"))
        .output()
        .unwrap()
}

#[test]
fn a_run_pushes_its_metrics_to_a_real_pushgateway_in_its_group() {
    let Some((_gateway, port)) = pushgateway() else {
        return;
    };
    let url = format!("http://127.0.0.1:{port}");
    let out = drift_check_pushing(&url, &["--pushgateway-label", "model=churn"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let scrape = http_get(port, "/metrics").unwrap();
    let status = samples(&scrape, "refit_status");
    assert!(
        status.iter().any(|l| l.contains("job=\"drift_daily\"")
            && l.contains("model=\"churn\"")
            && l.contains("refit_job=\"drift_daily\"")
            && l.ends_with(" 2")),
        "{status:?}\n{scrape}"
    );
    assert!(scrape.contains("push_time_seconds{"), "{scrape}");
    // A second push replaces the group (PUT): still one verdict series.
    let again = drift_check_pushing(&url, &["--pushgateway-label", "model=churn"]);
    assert_eq!(again.status.code(), Some(2));
    let scrape = http_get(port, "/metrics").unwrap();
    assert_eq!(samples(&scrape, "refit_status").len(), 1, "{scrape}");
}

#[test]
fn a_pushgateway_that_is_down_is_a_warning_not_a_new_exit_code() {
    let url = format!("http://127.0.0.1:{}", free_port());
    let out = drift_check_pushing(&url, &["--pushgateway-timeout", "1s"]);
    assert_eq!(out.status.code(), Some(2), "the verdict stands: {out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("warning: metrics not pushed") && stderr.contains("attempt 3 of 3"),
        "{stderr}"
    );
}

#[test]
fn the_retrain_loop_pushes_its_own_and_its_checks_metrics() {
    let Some((_gateway, port)) = pushgateway() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let history = repo_path("fixtures/loop/churn/history.parquet");
    let run_loop = || {
        Command::new(repo_path("scripts/retrain.sh"))
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("REFIT", env!("CARGO_BIN_EXE_refit"))
            .env("REFIT_REGISTRY", tmp.path().join("registry"))
            .env("RUNS_DIR", tmp.path().join("runs"))
            .env("METRICS_DIR", tmp.path().join("metrics"))
            .env("TRAIN_DATA", &history)
            .env("SHADOW_DATA", &history)
            .env("TARGET", "churned")
            .env("TIME", "event_time")
            .env("TRAIN_ARGS", "--exclude customer_id --model linear")
            .env("SHADOW_ARGS", "--time event_time --last 600 --bootstrap 50")
            .env("MAX_MODEL_AGE", "30d")
            .env("PUSHGATEWAY", format!("http://127.0.0.1:{port}"))
            .current_dir(tmp.path())
            .output()
            .unwrap()
    };
    let first = run_loop();
    assert_eq!(
        first.status.code(),
        Some(10),
        "bootstrap promotes: {first:?}"
    );
    let second = run_loop();
    assert_eq!(second.status.code(), Some(0), "nothing to do: {second:?}");
    let scrape = http_get(port, "/metrics").unwrap();
    let runs = samples(&scrape, "refit_loop_runs_total");
    for (outcome, count) in [("promoted", 1), ("nothing_to_do", 1)] {
        assert!(
            runs.iter()
                .any(|l| l.contains(&format!("outcome=\"{outcome}\""))
                    && l.contains("job=\"retrain_loop\"")
                    && l.contains("step=\"runs_record\"")
                    && l.ends_with(&format!(" {count}"))),
            "{runs:?}"
        );
    }
    assert!(
        samples(&scrape, "refit_staleness_due")
            .iter()
            .any(|l| l.contains("step=\"staleness\"") && l.ends_with(" 0")),
        "{scrape}"
    );
}

#[test]
fn prometheus_scrapes_the_pushgateway_and_evaluates_the_shipped_alerts() {
    let Some(prometheus) = required_tool(&["prometheus"], "prometheus") else {
        return;
    };
    let Some((_gateway, gateway_port)) = pushgateway() else {
        return;
    };
    let out = drift_check_pushing(&format!("http://127.0.0.1:{gateway_port}"), &[]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");

    let tmp = tempfile::tempdir().unwrap();
    let config = tmp.path().join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global: {{scrape_interval: 1s, evaluation_interval: 1s}}\n\
             rule_files: [{}]\n\
             scrape_configs:\n  - job_name: pushgateway\n    honor_labels: true\n    \
             static_configs: [{{targets: ['127.0.0.1:{gateway_port}']}}]\n",
            repo_path("scripts/k8s/alerts.yaml").display()
        ),
    )
    .unwrap();
    let port = free_port();
    let _server = Running(
        Command::new(prometheus)
            .arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                tmp.path().join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(tmp.path().join("prometheus.log")).unwrap())
            .spawn()
            .unwrap(),
    );
    // The drift FAIL reaches the alert: pending, since RefitDriftFail waits an hour to fire.
    let alerts = wait_for(
        "RefitDriftFail to be pending",
        Duration::from_secs(60),
        || {
            http_get(port, "/api/v1/alerts").filter(|r| {
                r.contains("\"alertname\":\"RefitDriftFail\"")
                    && r.contains("\"state\":\"pending\"")
            })
        },
    );
    assert!(alerts.contains("\"refit_job\":\"drift_daily\""), "{alerts}");
    let rules = http_get(port, "/api/v1/rules").unwrap();
    assert!(
        rules.contains("RefitLoopNeverRan") && rules.contains("\"health\":\"ok\""),
        "{rules}"
    );
    assert!(
        !rules.contains("\"health\":\"err\""),
        "a shipped rule fails to evaluate: {rules}"
    );
}
