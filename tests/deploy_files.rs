//! The deployment files, checked as they are deployed: every script with a shebang is mode 755
//! in git and on disk, and the scripts run when executed directly with cron's bare environment
//! (not through `sh`); CronJobs on seed 004's schedules with a time zone, setting only variables
//! their scripts document; crontab commands that exist and are executable; alert rules checked
//! and unit-tested by the real promtool. No cluster runs here: the manifests are parsed.

mod common;

use std::collections::BTreeSet;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{on_path, registry_with_profile};
use yaml_rust2::{Yaml, YamlLoader};

fn path(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(rel)
}

fn load(rel: &str) -> Yaml {
    let text = std::fs::read_to_string(path(rel)).unwrap();
    let mut docs = YamlLoader::load_from_str(&text).unwrap_or_else(|e| panic!("{rel}: {e}"));
    assert_eq!(docs.len(), 1, "{rel}: one document");
    docs.remove(0)
}

fn text(out: &Output) -> String {
    format!(
        "status: {}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

// ---------------------------------------------------------------------------------------------
// Scripts: modes, and runs the way cron and the image run them.

/// Every file under scripts/ that starts with `#!`, relative to the repository root.
fn shebang_scripts() -> Vec<String> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() {
                walk(&p, out);
            } else if std::fs::read(&p).unwrap().starts_with(b"#!") {
                out.push(p);
            }
        }
    }
    let mut found = Vec::new();
    walk(&path("scripts"), &mut found);
    let root = path("");
    let mut rel: Vec<String> = found
        .iter()
        .map(|p| p.strip_prefix(&root).unwrap().display().to_string())
        .collect();
    rel.sort();
    rel
}

/// (mode, path) of every file git tracks under scripts/, or None outside a git checkout.
fn git_modes() -> Option<Vec<(String, String)>> {
    let out = Command::new("git")
        .args(["ls-files", "-s", "--", "scripts"])
        .current_dir(path(""))
        .output()
        .ok()
        .filter(|o| o.status.success())?;
    let listing = String::from_utf8(out.stdout).unwrap();
    Some(
        listing
            .lines()
            .map(|l| {
                let (meta, file) = l.split_once('\t').unwrap();
                (
                    meta.split(' ').next().unwrap().to_string(),
                    file.to_string(),
                )
            })
            .collect(),
    )
}

#[test]
fn scripts_with_a_shebang_are_mode_755_on_disk_and_in_git() {
    let scripts = shebang_scripts();
    for required in ["scripts/retrain.sh", "scripts/drift-daily.sh"] {
        assert!(scripts.iter().any(|s| s == required), "{required}");
    }
    for rel in &scripts {
        let mode = std::fs::metadata(path(rel)).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o755, "{rel} is {mode:o} on disk: chmod 755 {rel}");
    }
    let Some(tracked) = git_modes() else {
        eprintln!("SKIPPED the git modes: not a git checkout");
        return;
    };
    for (mode, file) in tracked.iter().filter(|(_, f)| scripts.contains(f)) {
        assert_eq!(
            mode, "100755",
            "{file} is {mode} in git: git update-index --chmod=+x {file}"
        );
    }
}

/// A script executed directly, as cron runs a job: only PATH and HOME, plus the refit binary.
fn cron_exec(rel: &str, home: &Path) -> Command {
    let mut cmd = Command::new(path(rel));
    cmd.env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("HOME", home)
        .env("REFIT", env!("CARGO_BIN_EXE_refit"))
        .current_dir(home);
    cmd
}

/// Runs a script as cron does and fails if it never started. Executed directly, a script
/// without its x bit is a spawn error here (cron and a shell report 126; 127 for a missing
/// interpreter).
fn ran(cmd: &mut Command) -> Output {
    let program = cmd.get_program().to_string_lossy().to_string();
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{program} did not run ({e}): cron would exit 126/127"));
    assert!(
        !matches!(out.status.code(), Some(126 | 127) | None),
        "{program} did not run:\n{}",
        text(&out)
    );
    out
}

#[test]
fn retrain_sh_executed_by_cron_runs_and_names_a_missing_setting() {
    let tmp = tempfile::tempdir().unwrap();
    let out = ran(&mut cron_exec("scripts/retrain.sh", tmp.path()));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("REFIT_REGISTRY"),
        "{}",
        text(&out)
    );
}

/// The loop's exit codes are its API: a missing setting is an error (1). dash and busybox sh
/// exit 2 on `${VAR:?}`, which reads as "rejected" and which the CronJob maps to success.
#[test]
fn retrain_sh_missing_setting_exits_1_not_2() {
    let tmp = tempfile::tempdir().unwrap();
    let out = ran(&mut cron_exec("scripts/retrain.sh", tmp.path()));
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
}

#[test]
fn retrain_sh_dry_run_executed_by_cron_touches_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let registry = tmp.path().join("registry");
    let runs = tmp.path().join("runs");
    let out = ran(cron_exec("scripts/retrain.sh", tmp.path())
        .env("DRY_RUN", "1")
        .env("REFIT_REGISTRY", &registry)
        .env("RUNS_DIR", &runs)
        .env("METRICS_DIR", tmp.path().join("metrics"))
        .env("TRAIN_DATA", path("fixtures/loop/churn/history.parquet"))
        .env("TARGET", "churned")
        .env("TIME", "event_time"));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    for left in [&registry, &runs, &tmp.path().join("metrics")] {
        assert!(
            !left.exists(),
            "{} was created:\n{}",
            left.display(),
            text(&out)
        );
    }
}

/// A registry whose live version holds only a profile of fixtures/drift/baseline.parquet:
/// all drift-daily.sh reads.
fn dated_reports(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| n.starts_with("drift-check-"))
        .collect();
    names.sort();
    names
}

/// drift-daily.sh with its settings, for `cron_exec` or a busybox run.
fn with_drift_settings<'c>(
    cmd: &'c mut Command,
    dir: &Path,
    registry: &Path,
    current: &str,
) -> &'c mut Command {
    cmd.env("REFIT_REGISTRY", registry)
        .env("CURRENT_DATA", path(current))
        .env("DRIFT_ARGS", "--exclude customer_id")
        .env("REPORTS_DIR", dir.join("reports"))
        .env("METRICS_DIR", dir.join("metrics"))
        .env("KEEP_REPORTS", "3")
}

#[test]
fn drift_daily_keeps_dated_reports_and_exits_with_drift_checks_code() {
    let tmp = tempfile::tempdir().unwrap();
    let registry = registry_with_profile(tmp.path());
    let reports = tmp.path().join("reports");
    std::fs::create_dir_all(&reports).unwrap();
    for day in ["2020-01-01", "2020-01-02", "2020-01-03", "2020-01-04"] {
        std::fs::write(reports.join(format!("drift-check-{day}.json")), "{}").unwrap();
    }
    std::fs::write(reports.join("notes.txt"), "not a report").unwrap();

    let mut cmd = cron_exec("scripts/drift-daily.sh", tmp.path());
    let drifted = "fixtures/drift/current.parquet";
    let out = ran(with_drift_settings(
        &mut cmd,
        tmp.path(),
        &registry,
        drifted,
    ));
    assert_eq!(out.status.code(), Some(2), "drift FAIL:\n{}", text(&out));

    // Today's report is named by its UTC date; the newest KEEP_REPORTS=3 dated reports stay.
    let kept = dated_reports(&reports);
    let today = kept.last().unwrap().clone();
    let envelope: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(reports.join(&today)).unwrap()).unwrap();
    let started = envelope["started_at"].as_str().unwrap();
    assert_eq!(today, format!("drift-check-{}.json", &started[..10]));
    assert_eq!(envelope["exit_code"], 2);
    assert_eq!(
        kept,
        [
            "drift-check-2020-01-03.json",
            "drift-check-2020-01-04.json",
            today.as_str()
        ]
    );
    assert!(
        reports.join("notes.txt").exists(),
        "only dated reports are pruned"
    );
    let metrics =
        std::fs::read_to_string(tmp.path().join("metrics/refit_drift_daily.prom")).unwrap();
    assert!(
        metrics.contains("refit_status{refit_job=\"drift_daily\",command=\"drift-check\"} 2\n"),
        "{metrics}"
    );
    assert!(metrics.contains(
        "refit_last_run_timestamp_seconds{refit_job=\"drift_daily\",command=\"drift-check\"}"
    ));

    // Same data again: OK, exit 0, today's report replaced, still three kept.
    let mut cmd = cron_exec("scripts/drift-daily.sh", tmp.path());
    let same = "fixtures/drift/current_same.parquet";
    let out = ran(with_drift_settings(&mut cmd, tmp.path(), &registry, same));
    assert_eq!(out.status.code(), Some(0), "no drift:\n{}", text(&out));
    assert_eq!(dated_reports(&reports), kept);
}

#[test]
fn drift_daily_refuses_what_it_cannot_run_with_exit_1() {
    let tmp = tempfile::tempdir().unwrap();
    let registry = registry_with_profile(tmp.path());
    let escaping = tmp.path().join("escaping");
    std::fs::create_dir(&escaping).unwrap();
    std::fs::write(escaping.join("current.json"), "{\"path\": \"../../etc\"}").unwrap();
    let data = "fixtures/drift/current.parquet";
    let escaping = escaping.display().to_string();
    // (what stderr names, the variable, its broken value or None to unset it)
    let cases = [
        ("CURRENT_DATA", "CURRENT_DATA", None),
        ("KEEP_REPORTS", "KEEP_REPORTS", Some("0")),
        (
            "no live model",
            "REFIT_REGISTRY",
            Some("/nonexistent/registry"),
        ),
        (
            "not versions/vNNNNNN",
            "REFIT_REGISTRY",
            Some(escaping.as_str()),
        ),
    ];
    for (message, variable, value) in cases {
        let mut cmd = cron_exec("scripts/drift-daily.sh", tmp.path());
        with_drift_settings(&mut cmd, tmp.path(), &registry, data);
        match value {
            Some(v) => cmd.env(variable, v),
            None => cmd.env_remove(variable),
        };
        let out = ran(&mut cmd);
        assert_eq!(out.status.code(), Some(1), "{message}:\n{}", text(&out));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(message), "{message}:\n{}", text(&out));
    }
    assert!(
        !tmp.path().join("reports").exists(),
        "nothing ran, nothing written"
    );
}

/// The image's shell and tools are busybox: drift-daily.sh under `busybox sh` with only busybox
/// applets on PATH. Skipped with a note without busybox (scripts/test-setup.sh installs it).
#[test]
fn drift_daily_runs_under_busybox() {
    let Some(busybox) = on_path("busybox") else {
        eprintln!("SKIPPED drift-daily.sh under busybox: no busybox (make test-setup)");
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let applets = tmp.path().join("bin");
    std::fs::create_dir(&applets).unwrap();
    let install = Command::new(&busybox)
        .arg("--install")
        .arg("-s")
        .arg(&applets)
        .output()
        .unwrap();
    assert!(install.status.success(), "{}", text(&install));
    let registry = registry_with_profile(tmp.path());
    let mut cmd = Command::new(&busybox);
    cmd.arg("sh")
        .arg(path("scripts/drift-daily.sh"))
        .env_clear()
        .env("PATH", &applets)
        .env("HOME", tmp.path())
        .env("REFIT", env!("CARGO_BIN_EXE_refit"))
        .current_dir(tmp.path());
    let data = "fixtures/drift/current.parquet";
    let out = ran(with_drift_settings(&mut cmd, tmp.path(), &registry, data));
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert_eq!(dated_reports(&tmp.path().join("reports")).len(), 1);
}

// ---------------------------------------------------------------------------------------------
// Schedules: five-field cron and seed 004's times.

/// A five-field cron schedule (minute hour day-of-month month day-of-week), each field `*` or
/// a comma list of N or N-M, optionally `/step`.
fn check_cron(schedule: &str) -> Result<(), String> {
    let fields: Vec<&str> = schedule.split_whitespace().collect();
    if fields.len() != 5 {
        return Err(format!("{schedule:?}: {} fields, not 5", fields.len()));
    }
    let ranges = [(0, 59), (0, 23), (1, 31), (1, 12), (0, 7)];
    for (field, (lo, hi)) in fields.iter().zip(ranges) {
        for item in field.split(',') {
            let (span, step) = match item.split_once('/') {
                Some((span, step)) => (span, Some(step)),
                None => (item, None),
            };
            let value = |s: &str| s.parse::<u32>().ok().filter(|n| (lo..=hi).contains(n));
            let span_ok = span == "*"
                || value(span).is_some()
                || span.split_once('-').is_some_and(
                    |(a, b)| matches!((value(a), value(b)), (Some(a), Some(b)) if a <= b),
                );
            let step_ok = step.is_none_or(|s| s.parse::<u32>().is_ok_and(|n| n >= 1));
            if !span_ok || !step_ok {
                return Err(format!(
                    "{schedule:?}: {item:?} is not a valid field ({lo}-{hi})"
                ));
            }
        }
    }
    Ok(())
}

#[test]
fn cron_check_accepts_schedules_and_refuses_typos() {
    for good in ["0 1 * * *", "0 3 * * 0", "*/15 2-4 1,15 * 1-5"] {
        assert_eq!(check_cron(good), Ok(()), "{good}");
    }
    for bad in [
        "0 1 * *",
        "60 1 * * *",
        "0 24 * * *",
        "0 3 * * 8",
        "0 3 * * mon-",
        "*/0 * * * *",
    ] {
        assert!(check_cron(bad).is_err(), "{bad}");
    }
}

const DRIFT_SCHEDULE: &str = "0 1 * * *";
const RETRAIN_SCHEDULE: &str = "0 3 * * 0";

// ---------------------------------------------------------------------------------------------
// Kubernetes: CronJobs, the image, the variables the scripts document.

const CRONJOBS: [(&str, &str); 2] = [
    ("scripts/k8s/drift-check-cronjob.yaml", DRIFT_SCHEDULE),
    ("scripts/k8s/retrain-cronjob.yaml", RETRAIN_SCHEDULE),
];

fn container(job: &Yaml) -> &Yaml {
    &job["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
}

fn env_names(container: &Yaml) -> Vec<String> {
    container["env"]
        .as_vec()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap().to_string())
        .collect()
}

fn env_value<'y>(container: &'y Yaml, name: &str) -> &'y str {
    container["env"]
        .as_vec()
        .unwrap()
        .iter()
        .find(|e| e["name"].as_str() == Some(name))
        .and_then(|e| e["value"].as_str())
        .unwrap_or_else(|| panic!("{name} is not set"))
}

#[test]
fn cronjobs_forbid_overlap_and_mount_the_registry_claim() {
    let claim = load("scripts/k8s/pvc.yaml");
    assert_eq!(claim["kind"].as_str(), Some("PersistentVolumeClaim"));
    let claim_name = claim["metadata"]["name"].as_str().unwrap();
    for (rel, _) in CRONJOBS {
        let job = load(rel);
        assert_eq!(job["apiVersion"].as_str(), Some("batch/v1"), "{rel}");
        assert_eq!(job["kind"].as_str(), Some("CronJob"), "{rel}");
        let spec = &job["spec"];
        assert_eq!(spec["concurrencyPolicy"].as_str(), Some("Forbid"), "{rel}");
        for field in [
            "startingDeadlineSeconds",
            "successfulJobsHistoryLimit",
            "failedJobsHistoryLimit",
        ] {
            assert!(
                spec[field].as_i64().is_some_and(|n| n > 0),
                "{rel}: {field}"
            );
        }
        assert_eq!(
            spec["jobTemplate"]["spec"]["backoffLimit"].as_i64(),
            Some(0),
            "{rel}"
        );
        let pod = &spec["jobTemplate"]["spec"]["template"]["spec"];
        assert_eq!(pod["restartPolicy"].as_str(), Some("Never"), "{rel}");
        let volume = &pod["volumes"][0];
        assert_eq!(
            volume["persistentVolumeClaim"]["claimName"].as_str(),
            Some(claim_name),
            "{rel}"
        );
        let container = container(&job);
        assert!(
            container["resources"]["requests"]["memory"]
                .as_str()
                .is_some(),
            "{rel}"
        );
        assert_eq!(
            container["volumeMounts"][0]["name"], volume["name"],
            "{rel}"
        );
    }
}

#[test]
fn cronjobs_run_on_seed_004s_schedules_in_a_named_time_zone() {
    for (rel, schedule) in CRONJOBS {
        let spec = &load(rel)["spec"];
        let got = spec["schedule"].as_str().unwrap();
        check_cron(got).unwrap_or_else(|e| panic!("{rel}: {e}"));
        assert_eq!(got, schedule, "{rel}");
        let zone = spec["timeZone"]
            .as_str()
            .unwrap_or_else(|| panic!("{rel}: timeZone"));
        let zoneinfo = Path::new("/usr/share/zoneinfo");
        if zoneinfo.is_dir() {
            assert!(
                zoneinfo.join(zone).is_file(),
                "{rel}: unknown time zone {zone}"
            );
        }
    }
}

/// Names documented in a script's header comment: lines `#   NAME  text`, `#   A, B  text`
/// or `#   NAME=1 text`.
fn documented_variables(rel: &str) -> BTreeSet<String> {
    let script = std::fs::read_to_string(path(rel)).unwrap();
    let is_name = |w: &str| {
        w.starts_with(|c: char| c.is_ascii_uppercase())
            && w.chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
    };
    let mut names = BTreeSet::new();
    for line in script.lines().skip(1).take_while(|l| l.starts_with('#')) {
        let Some(entry) = line.strip_prefix("#   ") else {
            continue;
        };
        for word in entry.split_whitespace() {
            let name = word.trim_end_matches(',').split('=').next().unwrap();
            if !is_name(name) {
                break;
            }
            names.insert(name.to_string());
            if !word.ends_with(',') {
                break;
            }
        }
    }
    names
}

/// What the loop reads: the variables its header documents.
fn loop_variables() -> BTreeSet<String> {
    let names = documented_variables("scripts/retrain.sh");
    for name in ["REFIT_REGISTRY", "TRAIN_DATA", "RETRAIN_ON", "KEEP_RUNS"] {
        assert!(
            names.contains(name),
            "retrain.sh documents {name}: {names:?}"
        );
    }
    names
}

#[test]
fn cronjobs_set_only_variables_their_scripts_document() {
    let checks = [
        ("scripts/k8s/retrain-cronjob.yaml", loop_variables()),
        (
            "scripts/k8s/drift-check-cronjob.yaml",
            documented_variables("scripts/drift-daily.sh"),
        ),
    ];
    for (rel, documented) in checks {
        for name in env_names(container(&load(rel))) {
            assert!(
                documented.contains(&name),
                "{rel} sets {name}, undocumented: {documented:?}"
            );
        }
    }
    let retrain = load("scripts/k8s/retrain-cronjob.yaml");
    let set = env_names(container(&retrain));
    for required in [
        "REFIT_REGISTRY",
        "TRAIN_DATA",
        "TARGET",
        "TIME",
        "PROXY_ARGS",
        "FLEET_ARGS",
        "RETRAIN_ON",
        "MAX_MODEL_AGE",
        "MIN_NEW_ROWS",
        "NOTIFY_URL",
        "KEEP_RUNS",
        "METRICS_DIR",
    ] {
        assert!(
            set.iter().any(|s| s == required),
            "retrain CronJob sets {required}"
        );
    }
    assert_eq!(env_value(container(&retrain), "MAX_MODEL_AGE"), "30d");
    let drift = load("scripts/k8s/drift-check-cronjob.yaml");
    for required in [
        "REFIT_REGISTRY",
        "CURRENT_DATA",
        "REPORTS_DIR",
        "KEEP_REPORTS",
        "METRICS_DIR",
    ] {
        assert!(
            env_names(container(&drift)).iter().any(|s| s == required),
            "{required}"
        );
    }
}

/// The loop splits *_ARGS unquoted, so a bare glob would be expanded by the shell into several
/// words; `--flag=glob` matches no file and reaches refit whole.
#[test]
fn globs_in_loop_arguments_are_attached_to_their_flag() {
    let retrain = load("scripts/k8s/retrain-cronjob.yaml");
    let env_file = std::fs::read_to_string(path("scripts/cron/retrain.env")).unwrap();
    let k8s = env_names(container(&retrain))
        .into_iter()
        .filter(|n| n.ends_with("_ARGS"))
        .map(|n| env_value(container(&retrain), &n).to_string());
    let env_lines = env_file.lines().filter(|l| !l.starts_with('#'));
    for value in k8s.chain(env_lines.map(str::to_string)) {
        for word in value.split_whitespace().filter(|w| w.contains('*')) {
            // retrain.env: `NAME='value`; a *_DATA variable is a path list the loop quotes.
            let (name, word) = match word.split_once('=') {
                Some((k, v)) if !k.starts_with('-') => (k, v),
                _ => ("", word),
            };
            let word = word.trim_start_matches(['\'', '"']);
            assert!(
                name.ends_with("_DATA") || word.starts_with("--") && word.contains('='),
                "{word}: write --flag=glob"
            );
        }
    }
}

#[test]
fn the_image_installs_the_scripts_the_cronjobs_execute_as_0755() {
    let dockerfile = std::fs::read_to_string(path("scripts/k8s/Dockerfile")).unwrap();
    let drift = load("scripts/k8s/drift-check-cronjob.yaml");
    let command = container(&drift)["command"][0].as_str().unwrap();
    assert_eq!(
        command, "/usr/local/bin/drift-daily.sh",
        "executed directly"
    );
    let retrain = load("scripts/k8s/retrain-cronjob.yaml");
    let wrapper = container(&retrain)["args"][0].as_str().unwrap();
    assert!(
        wrapper.contains("/usr/local/bin/retrain.sh ||"),
        "{wrapper}"
    );
    // The loop's success codes map to success; insufficient data (4), errors and 126 do not.
    assert!(wrapper.contains("0|2|10) exit 0"), "{wrapper}");
    // build-image.sh makes the context: the scripts go in 0755 whatever the checkout kept.
    let build = std::fs::read_to_string(path("scripts/k8s/build-image.sh")).unwrap();
    let install = build
        .lines()
        .find(|l| l.starts_with("install -m 0755 \"$root/scripts/"))
        .expect("build-image.sh installs the scripts 0755");
    let copy = dockerfile
        .lines()
        .find(|l| l.starts_with("COPY refit "))
        .expect("the Dockerfile copies the binary and the scripts");
    for script in ["retrain.sh", "drift-daily.sh"] {
        assert!(install.contains(&format!("scripts/{script}")), "{install}");
        assert!(copy.contains(&format!(" {script}")), "{copy}");
    }
    assert!(copy.ends_with(" /usr/local/bin/"), "{copy}");
    // The classic builder (Debian's docker.io without buildx) rejects COPY --chmod.
    let instructions = dockerfile.lines().filter(|l| !l.starts_with('#'));
    assert!(
        !instructions.into_iter().any(|l| l.contains("--chmod")),
        "needs BuildKit"
    );
}

// ---------------------------------------------------------------------------------------------
// cron

/// The crontab's job lines (not comments, blanks or VAR=value settings).
fn crontab_jobs() -> Vec<String> {
    std::fs::read_to_string(path("scripts/cron/crontab"))
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .filter(|l| !l.split_whitespace().next().unwrap_or("").contains('='))
        .map(str::to_string)
        .collect()
}

#[test]
fn crontab_lines_are_seed_schedules_under_flock() {
    let jobs = crontab_jobs();
    assert_eq!(jobs.len(), 2);
    for (job, schedule) in jobs.iter().zip([DRIFT_SCHEDULE, RETRAIN_SCHEDULE]) {
        let fields: Vec<&str> = job.split_whitespace().take(5).collect();
        assert_eq!(fields.join(" "), schedule, "{job}");
        check_cron(schedule).unwrap();
        assert!(job.contains("flock -n"), "{job}");
        // cron treats a bare % as a newline: every date format must escape it.
        assert!(!job.replace("\\%", "").contains('%'), "{job}");
    }
    let crontab = std::fs::read_to_string(path("scripts/cron/crontab")).unwrap();
    assert!(
        crontab.lines().any(|l| l.starts_with("CRON_TZ=")),
        "CRON_TZ"
    );
}

#[test]
fn crontab_commands_exist_and_scripts_it_executes_are_executable() {
    for job in crontab_jobs() {
        let words: Vec<&str> = job
            .split(|c: char| c.is_whitespace() || c == '\'' || c == '"')
            .filter(|w| !w.is_empty())
            .collect();
        let scripts: Vec<(usize, &str)> = words
            .iter()
            .enumerate()
            .filter(|(_, w)| w.starts_with("scripts/"))
            .map(|(i, w)| (i, *w))
            .collect();
        assert!(
            !scripts.is_empty(),
            "{job}: runs no script from this repository"
        );
        for (i, rel) in scripts {
            let file = path(rel);
            assert!(file.is_file(), "{job}: {rel} does not exist");
            if words[i - 1] == "." {
                continue; // sourced, not executed
            }
            let mode = std::fs::metadata(&file).unwrap().permissions().mode();
            assert_eq!(mode & 0o111, 0o111, "{job}: {rel} is not executable");
            assert_eq!(words[i - 1], "exec", "{job}: {rel} is executed directly");
        }
    }
}

#[test]
fn cron_environment_sets_only_documented_variables() {
    let mut documented = loop_variables();
    documented.extend(documented_variables("scripts/drift-daily.sh"));
    let env = std::fs::read_to_string(path("scripts/cron/retrain.env")).unwrap();
    let mut exported = 0;
    for line in env.lines().filter(|l| l.starts_with("export ")) {
        for assignment in line["export ".len()..].split_whitespace() {
            let Some((name, _)) = assignment.split_once('=') else {
                continue;
            };
            if name.chars().all(|c| c.is_ascii_uppercase() || c == '_') {
                assert!(
                    documented.contains(name),
                    "retrain.env exports {name}, undocumented"
                );
                exported += 1;
            }
        }
    }
    assert!(exported >= 10, "{exported}");
}

// ---------------------------------------------------------------------------------------------
// Alert rules.

fn rules() -> Vec<Yaml> {
    let file = load("scripts/k8s/alerts.yaml");
    file["groups"]
        .as_vec()
        .unwrap()
        .iter()
        .flat_map(|g| g["rules"].as_vec().unwrap().clone())
        .collect()
}

fn rust_sources(dir: &Path, text: &mut String) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let p = entry.unwrap().path();
        if p.is_dir() {
            rust_sources(&p, text);
        } else if p.extension().is_some_and(|e| e == "rs") {
            text.push_str(&std::fs::read_to_string(&p).unwrap());
        }
    }
}

#[test]
fn alert_rules_use_metrics_refit_writes() {
    let mut sources = String::new();
    rust_sources(&path("src"), &mut sources);
    let rules = rules();
    assert!(rules.len() >= 10, "{}", rules.len());
    for rule in &rules {
        let expr = rule["expr"].as_str().unwrap();
        // Label matchers ({refit_job="drift_daily"}) name labels, not metrics.
        let mut names = String::new();
        let mut depth = 0;
        for c in expr.chars() {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                _ if depth == 0 => names.push(c),
                _ => {}
            }
        }
        let metrics: BTreeSet<&str> = names
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .filter(|w| w.starts_with("refit_"))
            .collect();
        assert!(!metrics.is_empty(), "{expr}: no refit metric");
        for metric in metrics {
            let written = sources.contains(&format!("\"{metric}\""));
            assert!(written, "{metric} is not written by refit");
        }
    }
}

#[test]
fn every_alert_has_a_unit_test_where_it_fires_and_one_where_it_does_not() {
    let tests = load("scripts/k8s/alerts.test.yaml");
    let mut fired = BTreeSet::new();
    let mut quiet = BTreeSet::new();
    for case in tests["tests"].as_vec().unwrap() {
        for check in case["alert_rule_test"].as_vec().unwrap() {
            let name = check["alertname"].as_str().unwrap().to_string();
            match check["exp_alerts"].as_vec().is_some_and(|a| !a.is_empty()) {
                true => fired.insert(name),
                false => quiet.insert(name),
            };
        }
    }
    for rule in rules() {
        let name = rule["alert"].as_str().unwrap();
        assert!(fired.contains(name), "{name}: no test where it fires");
        assert!(quiet.contains(name), "{name}: no test where it stays quiet");
        assert!(
            rule["labels"]["severity"].as_str().is_some(),
            "{name}: severity"
        );
        assert!(
            rule["annotations"]["summary"].as_str().is_some(),
            "{name}: summary"
        );
    }
}

/// promtool from PATH. Without it the test is skipped with a note, unless
/// REFIT_REQUIRE_PROMTOOL=1 (as .ci/run sets): then it fails.
fn promtool() -> Option<PathBuf> {
    let found = on_path("promtool");
    if found.is_none() {
        if std::env::var("REFIT_REQUIRE_PROMTOOL").is_ok_and(|v| v == "1") {
            panic!("promtool is required (REFIT_REQUIRE_PROMTOOL=1): run `make test-setup`");
        }
        eprintln!("SKIPPED: no promtool (Debian's prometheus package; `make test-setup`)");
    }
    found
}

fn promtool_run(promtool: &Path, args: &[&str], file: &Path) -> Output {
    Command::new(promtool)
        .args(args)
        .arg(file)
        .output()
        .unwrap()
}

#[test]
fn promtool_checks_the_alert_rules() {
    let Some(promtool) = promtool() else { return };
    let check = ["check", "rules", "--lint=all", "--lint-fatal"];
    let out = promtool_run(&promtool, &check, &path("scripts/k8s/alerts.yaml"));
    assert!(out.status.success(), "{}", text(&out));
    // The control: a broken rule file must fail, or the check above proves nothing.
    let tmp = tempfile::tempdir().unwrap();
    let broken = tmp.path().join("alerts.yaml");
    let rules = std::fs::read_to_string(path("scripts/k8s/alerts.yaml")).unwrap();
    std::fs::write(&broken, rules.replace("> 0.35", "> > 0.35")).unwrap();
    assert!(!promtool_run(&promtool, &check, &broken).status.success());
}

#[test]
fn promtool_unit_tests_pass_and_fail_when_a_threshold_moves() {
    let Some(promtool) = promtool() else { return };
    let test = ["test", "rules"];
    let out = promtool_run(&promtool, &test, &path("scripts/k8s/alerts.test.yaml"));
    assert!(out.status.success(), "{}", text(&out));
    let rules = std::fs::read_to_string(path("scripts/k8s/alerts.yaml")).unwrap();
    let tests = std::fs::read_to_string(path("scripts/k8s/alerts.test.yaml")).unwrap();
    let mutations = [
        ("> 0.35", "> 0.30"),
        (">= 0.20", "> 0.20"),
        ("> 0.15", ">= 0.15"),
        (
            "outcome=\"insufficient_data\"} == 1",
            "outcome=\"nothing_to_do\"} == 1",
        ),
        ("30 * 86400", "32 * 86400"),
        ("\n          and on() count", "\n          or on() count"),
        ("\n          or increase", "\n          or 0 * increase"),
        ("8 * 86400", "9 * 86400"),
        ("for: 8d", "for: 6d"),
        ("2 * 86400", "3 * 86400"),
    ];
    // One directory per mutant, all run at once.
    let tmp = tempfile::tempdir().unwrap();
    let runs: Vec<_> = mutations
        .iter()
        .enumerate()
        .map(|(i, (from, to))| {
            assert!(rules.contains(from), "{from}");
            let dir = tmp.path().join(i.to_string());
            std::fs::create_dir(&dir).unwrap();
            std::fs::write(dir.join("alerts.yaml"), rules.replacen(from, to, 1)).unwrap();
            std::fs::write(dir.join("alerts.test.yaml"), &tests).unwrap();
            Command::new(&promtool)
                .args(test)
                .arg(dir.join("alerts.test.yaml"))
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for (mut run, (from, to)) in runs.into_iter().zip(mutations) {
        let status = run.wait().unwrap();
        assert!(!status.success(), "the unit tests miss {from:?} -> {to:?}");
    }
}

/// The venv `make test-setup` makes for scripts/k8s/check_manifests.py.
fn manifest_checker() -> Option<PathBuf> {
    common::deploy_python("kubernetes_validate, croniter")
}

const MANIFESTS: [&str; 5] = [
    "scripts/k8s/retrain-cronjob.yaml",
    "scripts/k8s/drift-check-cronjob.yaml",
    "scripts/k8s/pvc.yaml",
    "scripts/k8s/profile-fanout.yaml",
    "scripts/k8s/profile-baseline.yaml",
];

#[test]
fn manifests_pass_the_strict_offline_schema_and_rule_checks() {
    let Some(python) = manifest_checker() else {
        return;
    };
    let out = Command::new(python)
        .arg(path("scripts/k8s/check_manifests.py"))
        .args(MANIFESTS.map(path))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
}

#[test]
fn a_broken_copy_of_each_manifest_fails_the_checks() {
    let Some(python) = manifest_checker() else {
        return;
    };
    // (manifest, what is broken, the text replaced, its replacement)
    let cronjob_breaks = [
        (
            "unknown field",
            "concurrencyPolicy: Forbid",
            "concurrencyPolicy: Forbid\n  concurrency: Forbid",
        ),
        ("wrong type", "backoffLimit: 0", "backoffLimit: none"),
        (
            "missing required field",
            "containers:\n            - name: ",
            "containers:\n            - title: ",
        ),
        (
            "unknown apiVersion",
            "apiVersion: batch/v1",
            "apiVersion: batch/v9",
        ),
        ("cron syntax", "schedule: \"0 ", "schedule: \"61 "),
        (
            "time zone",
            "timeZone: \"Etc/UTC\"",
            "timeZone: \"Mars/Olympus\"",
        ),
        (
            "concurrencyPolicy enum",
            "concurrencyPolicy: Forbid",
            "concurrencyPolicy: Sometimes",
        ),
        (
            "Job restart rule",
            "restartPolicy: Never",
            "restartPolicy: Always",
        ),
        (
            "quantity",
            "limits: {memory: ",
            "limits: {memory: lots, cpu: ",
        ),
        (
            "requests above limits",
            "requests: {cpu: ",
            "requests: {ephemeral-storage: 2Gi, cpu: ",
        ),
    ];
    let tmp = tempfile::tempdir().unwrap();
    let mut broken = Vec::new();
    for manifest in &MANIFESTS[..2] {
        let original = std::fs::read_to_string(path(manifest)).unwrap();
        for (i, (what, from, to)) in cronjob_breaks.iter().enumerate() {
            assert!(
                original.contains(from),
                "{manifest}: `{from}` not found for {what}"
            );
            let copy = tmp
                .path()
                .join(format!("{i}-{}", manifest.rsplit('/').next().unwrap()));
            let text = original.replacen(from, to, 1);
            // `requests above limits` needs its limit too.
            let text = if *what == "requests above limits" {
                text.replacen(
                    "limits: {memory: ",
                    "limits: {ephemeral-storage: 1Gi, memory: ",
                    1,
                )
            } else {
                text
            };
            std::fs::write(&copy, text).unwrap();
            broken.push((copy, *what));
        }
    }
    let pvc = std::fs::read_to_string(path("scripts/k8s/pvc.yaml")).unwrap();
    for (what, from, to) in [
        (
            "accessModes enum",
            "[\"ReadWriteMany\"]",
            "[\"ReadWriteSometimes\"]",
        ),
        ("storage quantity", "storage: ", "storage: big"),
    ] {
        assert!(
            pvc.contains(from),
            "pvc.yaml: `{from}` not found for {what}"
        );
        let copy = tmp
            .path()
            .join(format!("pvc-{}.yaml", what.replace(' ', "-")));
        std::fs::write(&copy, pvc.replacen(from, to, 1)).unwrap();
        broken.push((copy, what));
    }
    let fanout = std::fs::read_to_string(path("scripts/k8s/profile-fanout.yaml")).unwrap();
    for (what, from, to) in [
        (
            "completionMode enum",
            "completionMode: Indexed",
            "completionMode: Indexd",
        ),
        ("Indexed without completions", "completions: 16\n", ""),
        (
            "second document's restart rule",
            "backoffLimit: 0\n  activeDeadlineSeconds: 7200\n  ttlSecondsAfterFinished: 86400\n  template:\n    spec:\n      restartPolicy: Never",
            "backoffLimit: 0\n  activeDeadlineSeconds: 7200\n  ttlSecondsAfterFinished: 86400\n  template:\n    spec:\n      restartPolicy: Always",
        ),
        ("wrong type", "parallelism: 16", "parallelism: all"),
    ] {
        assert!(
            fanout.contains(from),
            "profile-fanout.yaml: `{from}` not found for {what}"
        );
        let copy = tmp
            .path()
            .join(format!("fanout-{}.yaml", what.replace(' ', "-")));
        std::fs::write(&copy, fanout.replacen(from, to, 1)).unwrap();
        broken.push((copy, what));
    }
    let out = Command::new(python)
        .arg(path("scripts/k8s/check_manifests.py"))
        .args(broken.iter().map(|(p, _)| p))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let report = String::from_utf8_lossy(&out.stdout);
    for (copy, what) in &broken {
        assert!(
            report.contains(&format!("{}:", copy.display())),
            "{what} in {} was not caught:\n{report}",
            copy.display()
        );
    }
}
