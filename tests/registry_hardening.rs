//! The registry against hostile or broken surroundings (issue 14): planted symlinks and FIFOs
//! among its files, special files and the registry itself inside a candidate, --notify values
//! refit cannot use, and pointers at versions that do not exist.

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::{Run, Workdir};
use serde_json::Value;

/// A scratch directory with a trained candidate and a registry path (not yet created).
struct Setup {
    w: Workdir,
    candidate: String,
    registry: String,
}

fn setup() -> Setup {
    let w = Workdir::new();
    let candidate = common::train_linear_churn(Path::new(&w.path("cand")), "tenure_months");
    let registry = w.path("models");
    Setup {
        w,
        candidate,
        registry,
    }
}

impl Setup {
    fn promote(&self, extra: &[&str]) -> Run {
        let args = ["promote", "--registry", &self.registry];
        let args = [&args[..], &["--candidate", &self.candidate], extra].concat();
        self.w.run(&args)
    }

    /// The registry after a first promotion (version 1 is current).
    fn bootstrapped() -> Setup {
        let s = setup();
        s.promote(&[]).assert_exit(0);
        s
    }

    fn forced(&self) -> Run {
        self.promote(&["--force", "--reason", "test"])
    }

    fn at(&self, name: &str) -> PathBuf {
        Path::new(&self.registry).join(name)
    }

    fn current(&self) -> Value {
        serde_json::from_str(&std::fs::read_to_string(self.at("current.json")).unwrap()).unwrap()
    }

    /// Replaces registry file `name` by a symlink to a new file `victim` holding `text`.
    fn plant_link(&self, name: &str, text: &str) -> PathBuf {
        let victim = PathBuf::from(self.w.path("victim"));
        std::fs::write(&victim, text).unwrap();
        let _ = std::fs::remove_file(self.at(name));
        std::os::unix::fs::symlink(&victim, self.at(name)).unwrap();
        victim
    }
}

fn assert_stderr_has(run: &Run, parts: &[&str]) {
    for part in parts {
        assert!(
            run.stderr.contains(part),
            "stderr lacks `{part}`:\n{}",
            run.stderr
        );
    }
}

fn mkfifo(path: &Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .unwrap();
    assert!(status.success());
}

/// Runs refit, killed after `limit`: a hang fails the test instead of stalling the suite.
fn run_within(limit: Duration, args: &[&str]) -> (Option<i32>, String) {
    let mut child = common::refit_process()
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while started.elapsed() < limit {
        if let Some(status) = child.try_wait().unwrap() {
            let mut stderr = String::new();
            child
                .stderr
                .take()
                .unwrap()
                .read_to_string(&mut stderr)
                .unwrap();
            return (status.code(), stderr);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    (None, format!("still running after {limit:?}: killed"))
}

// Item 5: registry files are never followed through symlinks.

#[test]
fn a_symlinked_lock_is_refused_and_its_target_untouched() {
    let s = Setup::bootstrapped();
    let victim = s.plant_link(".lock", "precious\n");
    let run = s.forced();
    run.assert_exit(1);
    assert_stderr_has(&run, &[".lock", "is a symlink"]);
    assert_eq!(std::fs::read_to_string(victim).unwrap(), "precious\n");
    assert_eq!(s.current()["version"], 1);
}

#[test]
fn rollback_refuses_a_symlinked_lock() {
    let s = Setup::bootstrapped();
    s.forced().assert_exit(0);
    let victim = s.plant_link(".lock", "precious\n");
    let run = s.w.run(&["rollback", "--registry", &s.registry]);
    run.assert_exit(1);
    assert_stderr_has(&run, &[".lock", "is a symlink"]);
    assert_eq!(std::fs::read_to_string(victim).unwrap(), "precious\n");
    assert_eq!(s.current()["version"], 2);
}

#[test]
fn a_symlinked_audit_log_is_refused_and_its_target_untouched() {
    let s = Setup::bootstrapped();
    let log = std::fs::read_to_string(s.at("audit.jsonl")).unwrap();
    let victim = s.plant_link("audit.jsonl", &log);
    let run = s.forced();
    run.assert_exit(1);
    assert_stderr_has(&run, &["audit.jsonl", "is a symlink"]);
    assert_eq!(std::fs::read_to_string(victim).unwrap(), log);
    assert!(!s.at("versions/v000002").exists());
}

#[test]
fn a_fifo_audit_log_is_refused_without_hanging() {
    let s = Setup::bootstrapped();
    std::fs::remove_file(s.at("audit.jsonl")).unwrap();
    mkfifo(&s.at("audit.jsonl"));
    let args = [
        "promote",
        "--registry",
        &s.registry,
        "--candidate",
        &s.candidate,
    ];
    let (code, stderr) = run_within(
        Duration::from_secs(20),
        &[&args[..], &["--force", "--reason", "t"]].concat(),
    );
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("audit.jsonl: is a FIFO"), "{stderr}");
}

#[test]
fn a_symlinked_current_pointer_is_refused() {
    let s = Setup::bootstrapped();
    let pointer = std::fs::read_to_string(s.at("current.json")).unwrap();
    s.plant_link("current.json", &pointer);
    let run = s.forced();
    run.assert_exit(1);
    assert_stderr_has(&run, &["current.json", "is a symlink"]);
    assert!(!s.at("versions/v000002").exists());
}

#[test]
fn a_symlinked_aliases_directory_is_refused() {
    let s = Setup::bootstrapped();
    let elsewhere = PathBuf::from(s.w.path("elsewhere"));
    std::fs::create_dir(&elsewhere).unwrap();
    std::os::unix::fs::symlink(&elsewhere, s.at("aliases")).unwrap();
    let run = s.promote(&["--alias", "staging", "--force", "--reason", "t"]);
    run.assert_exit(1);
    assert_stderr_has(&run, &["aliases", "is a symlink"]);
    assert!(!elsewhere.join("staging.json").exists());
}

#[test]
fn verify_dry_run_creates_nothing() {
    let s = Setup::bootstrapped();
    std::fs::remove_file(s.at(".lock")).unwrap();
    let before = std::fs::read_dir(&s.registry).unwrap().count();
    let run =
        s.w.run(&["registry", "verify", "--registry", &s.registry, "--dry-run"]);
    run.assert_exit(0);
    assert!(!s.at(".lock").exists(), "a dry run created .lock");
    assert_eq!(std::fs::read_dir(&s.registry).unwrap().count(), before);
}

#[test]
fn verify_dry_run_never_writes_through_a_symlinked_lock() {
    let s = Setup::bootstrapped();
    let victim = s.plant_link(".lock", "precious\n");
    let run =
        s.w.run(&["registry", "verify", "--registry", &s.registry, "--dry-run"]);
    run.assert_exit(1);
    assert_stderr_has(&run, &[".lock", "is a symlink"]);
    assert_eq!(std::fs::read_to_string(victim).unwrap(), "precious\n");
}

#[test]
fn verify_dry_run_waits_for_a_writer_holding_the_lock() {
    let s = Setup::bootstrapped();
    let holder = std::fs::OpenOptions::new()
        .write(true)
        .open(s.at(".lock"))
        .unwrap();
    holder.lock().unwrap();
    let args = [
        "registry",
        "verify",
        "--registry",
        &s.registry,
        "--dry-run",
        "--wait",
        "1s",
    ];
    let run = s.w.run(&args);
    run.assert_exit(1);
    assert_stderr_has(&run, &["registry busy"]);
    holder.unlock().unwrap();
    s.w.run(&args).assert_exit(0);
}

// Item 6: a candidate holds only regular files and directories, and never the registry.

/// Runs promote on the candidate with `special` planted inside it; it must be refused before
/// the registry exists.
fn refuses_special_file(plant: impl FnOnce(&Path), kind: &str) {
    let s = setup();
    let special = Path::new(&s.candidate).join("extra");
    plant(&special);
    let args = [
        "promote",
        "--registry",
        &s.registry,
        "--candidate",
        &s.candidate,
    ];
    let (code, stderr) = run_within(Duration::from_secs(20), &args);
    assert_eq!(code, Some(1), "{stderr}");
    let named = format!("{}: is {kind}", special.display());
    assert!(stderr.contains(&named), "stderr lacks `{named}`: {stderr}");
    assert!(
        !Path::new(&s.registry).exists(),
        "refused only after creating the registry"
    );
}

#[test]
fn a_fifo_in_the_candidate_is_refused_before_the_lock() {
    refuses_special_file(mkfifo, "a FIFO");
}

#[test]
fn a_socket_in_the_candidate_is_refused() {
    let mut listener = None;
    refuses_special_file(
        |path| listener = Some(std::os::unix::net::UnixListener::bind(path).unwrap()),
        "a socket",
    );
}

#[test]
fn a_symlink_in_the_candidate_is_refused_before_the_registry_is_created() {
    refuses_special_file(
        |path| std::os::unix::fs::symlink("/etc/hostname", path).unwrap(),
        "a symlink",
    );
}

#[test]
fn a_registry_inside_the_candidate_is_refused() {
    let s = setup();
    let nested = Path::new(&s.candidate).join("models");
    let run = s.w.run(&[
        "promote",
        "--registry",
        &nested.display().to_string(),
        "--candidate",
        &s.candidate,
    ]);
    run.assert_exit(1);
    assert_stderr_has(&run, &["is inside the candidate"]);
    assert!(!nested.exists());
}

// Item 12: --notify and its flags are checked before anything changes.

#[test]
fn a_notify_url_refit_cannot_call_is_refused_before_anything_changes() {
    let s = setup();
    for url in [
        "ftp://serving/reload",
        "http://serving:http/reload",
        "http:///reload",
    ] {
        let run = s.promote(&["--notify", url]);
        run.assert_exit(1);
        assert_stderr_has(&run, &["--notify"]);
        assert!(
            !Path::new(&s.registry).exists(),
            "{url}: the registry was created"
        );
    }
}

#[test]
fn notify_attempts_and_timeout_have_ranges() {
    let s = setup();
    for (flag, value, range) in [
        ("--notify-attempts", "0", "1..=10"),
        ("--notify-attempts", "11", "1..=10"),
        ("--notify-timeout", "0s", "between 1s and 10m"),
        ("--notify-timeout", "2h", "between 1s and 10m"),
    ] {
        let run = s.promote(&["--notify", "http://127.0.0.1:9/", flag, value]);
        run.assert_exit(1);
        assert_stderr_has(&run, &[flag, range]);
        assert!(!Path::new(&s.registry).exists());
    }
}

/// An HTTP server on loopback that answers 200, one byte every `gap`.
fn trickling_server(gap: Duration) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/reload", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let mut stream = stream.unwrap();
            std::thread::spawn(move || {
                let _ = stream.read(&mut [0u8; 4096]);
                for byte in b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n" {
                    if stream.write_all(&[*byte]).is_err() {
                        return;
                    }
                    std::thread::sleep(gap);
                }
            });
        }
    });
    url
}

#[test]
fn notify_timeout_bounds_the_whole_call_not_each_read() {
    let s = setup();
    // "HTTP/1.1 200" takes 12 bytes, 4.8s at this pace: every read succeeds within 1s.
    let url = trickling_server(Duration::from_millis(400));
    let started = Instant::now();
    let args = [
        "--notify",
        &url,
        "--notify-timeout",
        "1s",
        "--notify-attempts",
        "1",
    ];
    let run = s.promote(&[&args[..], &["--format", "json"]].concat());
    let took = started.elapsed();
    run.assert_exit(0);
    let error = run.json()["result"]["notify"]["error"].to_string();
    assert!(error.contains("timed out"), "{error}");
    assert!(
        took < Duration::from_secs(4),
        "promote took {took:?} with a 1s timeout"
    );
    assert_eq!(s.current()["version"], 1, "the promotion stands");
}

// Should fix: pointers at versions that do not exist, and version numbers that run out.

#[test]
fn promote_refuses_a_current_pointer_at_a_missing_version() {
    let s = Setup::bootstrapped();
    let mut pointer = s.current();
    pointer["version"] = 7.into();
    pointer["path"] = "versions/v000007".into();
    std::fs::write(s.at("current.json"), pointer.to_string()).unwrap();
    let run = s.forced();
    run.assert_exit(1);
    assert_stderr_has(&run, &["current.json", "version 7, which does not exist"]);
    assert!(!s.at("versions/v000008").exists());
}

#[test]
fn a_current_version_at_the_largest_number_exits_1_naming_the_file() {
    let s = Setup::bootstrapped();
    let last = s.at("versions/v4294967295");
    std::fs::create_dir(&last).unwrap();
    for file in ["metadata.json", "promotion.json"] {
        std::fs::copy(s.at("versions/v000001").join(file), last.join(file)).unwrap();
    }
    let mut pointer = s.current();
    pointer["version"] = 4294967295u32.into();
    pointer["path"] = "versions/v4294967295".into();
    std::fs::write(s.at("current.json"), pointer.to_string()).unwrap();
    let run = s.forced();
    run.assert_exit(1);
    assert_stderr_has(&run, &["current.json", "largest version number"]);
}
