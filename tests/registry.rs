//! The registry with real processes on a real filesystem: promotion rules, rollback, pruning,
//! notify against a real HTTP server on loopback, the lock, SIGKILL at random instants,
//! concurrent promotes and a reader polling during promotions.

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{fixture, run, run_json};
use serde_json::Value;

/// Two small linear candidates, trained once per test by the real binary.
struct Candidates {
    _tmp: tempfile::TempDir,
    weak: String,
    strong: String,
}

fn candidates() -> Candidates {
    let tmp = tempfile::tempdir().unwrap();
    let train =
        |name: &str, features: &str| common::train_linear_churn(&tmp.path().join(name), features);
    let weak = train("weak", "tenure_months");
    let strong = train(
        "strong",
        "tenure_months,monthly_usage,support_calls,discount,region",
    );
    Candidates {
        _tmp: tmp,
        weak,
        strong,
    }
}

fn shadow_report(champion: &str, challenger: &str, out: &Path) -> i32 {
    let (code, _, _) = run(&[
        "shadow-test",
        "--champion",
        champion,
        "--challenger",
        challenger,
        "--data",
        &fixture("train/churn.parquet"),
        "--label",
        "churned",
        "--time",
        "event_time",
        "--last",
        "600",
        "--bootstrap",
        "50",
        "--report",
        &out.display().to_string(),
        "--quiet",
    ]);
    code
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn audit(registry: &Path) -> Vec<Value> {
    std::fs::read_to_string(registry.join("audit.jsonl"))
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn current(registry: &Path) -> u64 {
    read_json(&registry.join("current.json"))["version"]
        .as_u64()
        .unwrap()
}

fn reg(path: &Path) -> String {
    path.display().to_string()
}

#[test]
fn promotion_needs_a_passing_report_for_this_candidate() {
    let c = candidates();
    let tmp = tempfile::tempdir().unwrap();
    let registry = tmp.path().join("models");
    let r = reg(&registry);

    // An empty registry takes its first version without a report: "bootstrap".
    let (code, report, stderr) = run_json(&[
        "promote",
        "--registry",
        &r,
        "--candidate",
        &c.weak,
        "--actor",
        "ci",
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(report["result"]["promotion"]["action"], "bootstrap");
    assert_eq!(current(&registry), 1);
    assert!(registry.join("versions/v000001/model.json").is_file());
    assert!(registry.join("versions/v000001/promotion.json").is_file());

    // No report: rejected (exit 2) and audited.
    let (code, _, _) = run(&["promote", "--registry", &r, "--candidate", &c.strong]);
    assert_eq!(code, 2);
    // A failing report (the weak model challenging the strong one) is rejected too.
    let failing = tmp.path().join("failing.json");
    assert_eq!(shadow_report(&c.strong, &c.weak, &failing), 2);
    let (code, _, _) = run(&[
        "promote",
        "--registry",
        &r,
        "--candidate",
        &c.weak,
        "--shadow-report",
        &reg(&failing),
    ]);
    assert_eq!(code, 2);
    // A passing report about another candidate is an error.
    let passing = tmp.path().join("passing.json");
    assert_eq!(shadow_report(&r, &c.strong, &passing), 0);
    let (code, _, stderr) = run(&[
        "promote",
        "--registry",
        &r,
        "--candidate",
        &c.weak,
        "--shadow-report",
        &reg(&passing),
    ]);
    assert_eq!(code, 1);
    assert!(stderr.contains("about another candidate"), "{stderr}");
    assert_eq!(current(&registry), 1);

    // Dry run: says what would happen, changes nothing.
    let before = std::fs::read(registry.join("audit.jsonl")).unwrap();
    let (code, report, _) = run_json(&[
        "promote",
        "--registry",
        &r,
        "--candidate",
        &c.strong,
        "--shadow-report",
        &reg(&passing),
        "--dry-run",
    ]);
    assert_eq!(code, 0);
    assert_eq!(report["result"]["promotion"]["to"], 2);
    assert_eq!(std::fs::read(registry.join("audit.jsonl")).unwrap(), before);
    assert!(!registry.join("versions/v000002").exists());

    let (code, _, stderr) = run(&[
        "promote",
        "--registry",
        &r,
        "--candidate",
        &c.strong,
        "--shadow-report",
        &reg(&passing),
        "--actor",
        "ci",
    ]);
    assert_eq!(code, 0, "{stderr}");
    let pointer = read_json(&registry.join("current.json"));
    assert_eq!(pointer["version"], 2);
    assert_eq!(pointer["previous"], 1);
    assert_eq!(pointer["path"], "versions/v000002");

    // Overrides need a reason and are recorded as forced.
    let (code, _, _) = run(&[
        "promote",
        "--registry",
        &r,
        "--candidate",
        &c.weak,
        "--force",
    ]);
    assert_eq!(code, 1);
    let (code, _, _) = run(&[
        "promote",
        "--registry",
        &r,
        "--candidate",
        &c.weak,
        "--force",
        "--reason",
        "INC-42",
    ]);
    assert_eq!(code, 0);
    let log = audit(&registry);
    let actions: Vec<&str> = log.iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(
        actions,
        ["bootstrap", "reject", "reject", "promote", "promote"]
    );
    assert_eq!(log[3]["actor"], "ci");
    assert_eq!(log[3]["report_sha256"].as_str().unwrap().len(), 64);
    assert_eq!(log[4]["forced"], true);
    assert_eq!(log[4]["reason"], "INC-42");
}

#[test]
fn rollback_prune_aliases_and_bad_inputs() {
    let c = candidates();
    let tmp = tempfile::tempdir().unwrap();
    let registry = tmp.path().join("models");
    let r = reg(&registry);
    for i in 0..5 {
        let candidate = if i % 2 == 0 { &c.weak } else { &c.strong };
        let (code, _, stderr) = run(&[
            "promote",
            "--registry",
            &r,
            "--candidate",
            candidate,
            "--force",
            "--reason",
            "test",
            "--keep",
            "3",
            "--link",
        ]);
        assert_eq!(code, 0, "{stderr}");
    }
    // Five promotions, keep 3: versions 1 and 2 pruned (audited), 3..5 kept.
    let versions: Vec<String> = std::fs::read_dir(registry.join("versions"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    assert_eq!(versions, ["v000003", "v000004", "v000005"]);
    assert_eq!(
        audit(&registry)
            .iter()
            .filter(|e| e["action"] == "prune")
            .count(),
        2
    );
    assert_eq!(
        std::fs::read_link(registry.join("latest")).unwrap(),
        Path::new("versions/v000005")
    );

    let (code, _, stderr) = run(&["rollback", "--registry", &r]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(current(&registry), 4);
    assert_eq!(
        std::fs::read_link(registry.join("latest")).unwrap(),
        Path::new("versions/v000004")
    );
    let (code, _, stderr) = run(&["rollback", "--registry", &r, "--to", "1"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("version 1 was pruned"), "{stderr}");
    let (code, _, stderr) = run(&["rollback", "--registry", &r, "--to", "../../etc"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("is not a version"), "{stderr}");

    // An alias moves on its own; current stays.
    let (code, _, _) = run(&[
        "promote",
        "--registry",
        &r,
        "--candidate",
        &c.strong,
        "--alias",
        "staging",
        "--force",
        "--reason",
        "canary",
    ]);
    assert_eq!(code, 0);
    assert_eq!(
        read_json(&registry.join("aliases/staging.json"))["version"],
        6
    );
    assert_eq!(current(&registry), 4);
    let (code, report, _) = run_json(&["registry", "list", "--registry", &r]);
    assert_eq!(code, 0);
    assert_eq!(report["result"]["versions"].as_array().unwrap().len(), 4);
    let (code, report, _) = run_json(&["registry", "verify", "--registry", &r]);
    assert_eq!(code, 0, "{report}");
    assert_eq!(report["result"]["repairs"], serde_json::json!([]));

    // Bad inputs: exit 1 and the registry untouched.
    let snapshot = std::fs::read(registry.join("audit.jsonl")).unwrap();
    let not_a_model = tmp.path().join("empty");
    std::fs::create_dir(&not_a_model).unwrap();
    let (code, _, stderr) = run(&[
        "promote",
        "--registry",
        &r,
        "--candidate",
        &reg(&not_a_model),
        "--force",
        "--reason",
        "x",
    ]);
    assert_eq!(code, 1);
    assert!(stderr.contains("no metadata.json"), "{stderr}");
    let file = tmp.path().join("file");
    std::fs::write(&file, "x").unwrap();
    let (code, _, stderr) = run(&["promote", "--registry", &reg(&file), "--candidate", &c.weak]);
    assert_eq!(code, 1);
    assert!(stderr.contains("is a file"), "{stderr}");
    std::fs::write(registry.join("current.json"), "{\"version\": 4, \"pa").unwrap();
    let (code, _, stderr) = run(&[
        "promote",
        "--registry",
        &r,
        "--candidate",
        &c.weak,
        "--force",
        "--reason",
        "x",
    ]);
    assert_eq!(code, 1);
    assert!(stderr.contains("corrupt pointer"), "{stderr}");
    assert_eq!(
        std::fs::read(registry.join("audit.jsonl")).unwrap(),
        snapshot
    );
}

/// A real HTTP server on loopback answering `status`; records request bodies.
fn http_server(status: u16) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/reload", listener.local_addr().unwrap());
    let bodies = Arc::new(Mutex::new(Vec::new()));
    let seen = bodies.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let mut stream = stream.unwrap();
            let mut request = Vec::new();
            let mut buf = [0u8; 4096];
            // Read headers, then Content-Length bytes of body.
            loop {
                let n = stream.read(&mut buf).unwrap();
                request.extend_from_slice(&buf[..n]);
                let text = String::from_utf8_lossy(&request).to_string();
                if let Some(end) = text.find("\r\n\r\n") {
                    let length: usize = text
                        .lines()
                        .find_map(|l| l.strip_prefix("Content-Length: "))
                        .map_or(0, |v| v.trim().parse().unwrap());
                    if request.len() >= end + 4 + length {
                        seen.lock()
                            .unwrap()
                            .push(text[end + 4..end + 4 + length].to_string());
                        break;
                    }
                }
                if n == 0 {
                    break;
                }
            }
            let reply =
                format!("HTTP/1.1 {status} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
            let _ = stream.write_all(reply.as_bytes());
        }
    });
    (url, bodies)
}

#[test]
fn notify_posts_to_the_serving_side_and_a_failure_is_a_warning() {
    let c = candidates();
    let tmp = tempfile::tempdir().unwrap();
    let r = reg(&tmp.path().join("models"));
    let (url, bodies) = http_server(200);
    let (code, report, stderr) = run_json(&[
        "promote",
        "--registry",
        &r,
        "--candidate",
        &c.weak,
        "--notify",
        &url,
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(report["result"]["notify"]["status"], 200);
    let body: Value = serde_json::from_str(&bodies.lock().unwrap()[0]).unwrap();
    assert_eq!(body["event"], "bootstrap");
    assert_eq!(body["version"], 1);
    assert_eq!(body["from"], Value::Null);
    assert_eq!(body["pointer"], "current");
    assert_eq!(body["fingerprint"].as_str().unwrap().len(), 64);

    let (url, bodies) = http_server(503);
    let args = [
        "promote",
        "--registry",
        &r,
        "--candidate",
        &c.strong,
        "--force",
        "--reason",
        "x",
        "--notify",
        &url,
        "--notify-attempts",
        "2",
        "--notify-timeout",
        "2s",
    ];
    let (code, report, _) = run_json(&args);
    assert_eq!(code, 0, "WARN exits 0 unless --fail-on warn");
    assert_eq!(report["status"], "WARN");
    assert!(report["result"]["notify"]["error"]
        .as_str()
        .unwrap()
        .contains("HTTP 503"));
    assert_eq!(bodies.lock().unwrap().len(), 2, "retried");
    let body: Value = serde_json::from_str(&bodies.lock().unwrap()[0]).unwrap();
    assert_eq!(body["event"], "promote");
    assert_eq!(
        (body["from"].clone(), body["to"].clone()),
        (1.into(), 2.into())
    );
    // The promotion stands.
    assert_eq!(current(&tmp.path().join("models")), 2);
    let mut strict = args.to_vec();
    strict.extend(["--fail-on", "warn"]);
    let (code, _, _) = run(&strict);
    assert_eq!(code, 3);
}

#[test]
fn a_held_lock_makes_the_registry_busy() {
    let c = candidates();
    let tmp = tempfile::tempdir().unwrap();
    let registry = tmp.path().join("models");
    let r = reg(&registry);
    let (code, _, _) = run(&["promote", "--registry", &r, "--candidate", &c.weak]);
    assert_eq!(code, 0);
    let holder = std::fs::OpenOptions::new()
        .write(true)
        .open(registry.join(".lock"))
        .unwrap();
    holder.lock().unwrap();
    std::fs::write(registry.join(".lock"), "pid 4242 (nightly retrain)\n").unwrap();
    let (code, _, stderr) = run(&["rollback", "--registry", &r, "--to", "1", "--wait", "1s"]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("registry busy") && stderr.contains("pid 4242"),
        "{stderr}"
    );
    holder.unlock().unwrap();
}

fn refit_binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_refit"))
}

/// A tiny deterministic generator for kill instants.
struct Lcg(u64);
impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

#[test]
fn sigkill_at_random_instants_leaves_the_old_or_the_new_state() {
    let iterations: usize = std::env::var("REFIT_STRESS_ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let c = candidates();
    let tmp = tempfile::tempdir().unwrap();
    let registry = tmp.path().join("models");
    let r = reg(&registry);
    let (code, _, _) = run(&[
        "promote",
        "--registry",
        &r,
        "--candidate",
        &c.weak,
        "--link",
    ]);
    assert_eq!(code, 0);
    let mut rng = Lcg(7);
    let (mut repaired, mut completed) = (0, 0);
    for i in 0..iterations {
        let before = current(&registry);
        let rollback = i % 4 == 3;
        let mut cmd = Command::new(refit_binary());
        cmd.env_remove("REFIT_REGISTRY")
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if rollback {
            cmd.args(["rollback", "--registry", &r, "--to", "1"]);
        } else {
            let candidate = if i % 2 == 0 { &c.strong } else { &c.weak };
            cmd.args([
                "promote",
                "--registry",
                &r,
                "--candidate",
                candidate,
                "--force",
                "--reason",
                "stress",
                "--keep",
                "5",
            ]);
        }
        let mut child = cmd.spawn().unwrap();
        std::thread::sleep(Duration::from_micros(rng.below(40_000)));
        let _ = child.kill();
        let _ = child.wait();
        let (code, report, _) = run_json(&["registry", "verify", "--registry", &r]);
        assert_eq!(code, 0, "iteration {i}: {report}");
        if !report["result"]["repairs"].as_array().unwrap().is_empty() {
            repaired += 1;
        }
        if current(&registry) != before {
            completed += 1;
        }
        let after = current(&registry);
        let max_version = std::fs::read_dir(registry.join("versions"))
            .unwrap()
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                e.file_name()
                    .to_string_lossy()
                    .strip_prefix('v')
                    .and_then(|d| d.parse::<u64>().ok())
            })
            .max()
            .unwrap();
        if rollback {
            assert!(
                after == before || after == 1,
                "iteration {i}: {before} -> {after}"
            );
        } else {
            assert!(
                after == before || after == max_version,
                "iteration {i}: {before} -> {after} (max {max_version})"
            );
        }
        // The pointer names a complete version, nothing half-done is left, every version is audited.
        let dir = registry.join(
            read_json(&registry.join("current.json"))["path"]
                .as_str()
                .unwrap(),
        );
        assert!(
            dir.join("metadata.json").is_file() && dir.join("promotion.json").is_file(),
            "iteration {i}"
        );
        for sub in [registry.clone(), registry.join("versions")] {
            for entry in std::fs::read_dir(&sub).unwrap() {
                let name = entry.unwrap().file_name().to_string_lossy().into_owned();
                assert!(
                    !name.starts_with(".refit-tmp-"),
                    "iteration {i}: leftover {name}"
                );
            }
        }
        let log = audit(&registry);
        assert!(
            log.iter().any(|e| e["to"].as_u64() == Some(after)),
            "iteration {i}: version {after} unaudited"
        );
        assert_eq!(
            std::fs::read_link(registry.join("latest")).unwrap(),
            Path::new(&format!("versions/v{after:06}"))
        );
    }
    // The kills must land mid-operation often enough to test something: some runs completed,
    // some were cut short with leftovers for verify to repair.
    eprintln!("{iterations} kills: {completed} left the new state, {repaired} needed repairs");
    assert!(
        repaired > 0 && completed > 0,
        "{repaired} repaired, {completed} completed"
    );
}

#[test]
fn twenty_simultaneous_promotes_make_a_linear_history() {
    let c = candidates();
    let tmp = tempfile::tempdir().unwrap();
    let registry = tmp.path().join("models");
    let r = reg(&registry);
    let children: Vec<_> = (0..20)
        .map(|i| {
            Command::new(refit_binary())
                .env_remove("REFIT_REGISTRY")
                .args([
                    "promote",
                    "--registry",
                    &r,
                    "--candidate",
                    if i % 2 == 0 { &c.weak } else { &c.strong },
                    "--force",
                    "--reason",
                    &format!("writer {i}"),
                    "--wait",
                    "120s",
                    "--quiet",
                ])
                .spawn()
                .unwrap()
        })
        .collect();
    for mut child in children {
        assert!(child.wait().unwrap().success());
    }
    let log = audit(&registry);
    assert_eq!(log.len(), 20, "one audit line each");
    // A linear history: each promotion moved current from the version the previous one set.
    for (i, entry) in log.iter().enumerate() {
        assert_eq!(entry["to"].as_u64(), Some(i as u64 + 1));
        let expected_from = if i == 0 {
            Value::Null
        } else {
            Value::from(i as u64)
        };
        assert_eq!(
            entry.get("from").cloned().unwrap_or(Value::Null),
            expected_from
        );
    }
    let mut reasons: Vec<String> = log
        .iter()
        .map(|e| e["reason"].as_str().unwrap().to_string())
        .collect();
    reasons.sort();
    reasons.dedup();
    assert_eq!(reasons.len(), 20, "no lost or duplicated writer");
    assert_eq!(current(&registry), 20);
}

#[test]
fn a_polling_reader_never_sees_a_partial_pointer_or_missing_version() {
    let c = candidates();
    let tmp = tempfile::tempdir().unwrap();
    let registry = tmp.path().join("models");
    let r = reg(&registry);
    let (code, _, _) = run(&["promote", "--registry", &r, "--candidate", &c.weak]);
    assert_eq!(code, 0);
    let stop = Arc::new(AtomicBool::new(false));
    let reader = {
        let stop = stop.clone();
        let registry = registry.clone();
        std::thread::spawn(move || {
            let mut reads = 0u64;
            while !stop.load(Ordering::Relaxed) {
                let text = std::fs::read_to_string(registry.join("current.json"))
                    .expect("current.json readable");
                let pointer: Value = serde_json::from_str(&text)
                    .unwrap_or_else(|e| panic!("partial pointer {text:?}: {e}"));
                let dir = registry.join(pointer["path"].as_str().unwrap());
                assert!(
                    dir.join("metadata.json").is_file(),
                    "missing version {}",
                    dir.display()
                );
                reads += 1;
            }
            reads
        })
    };
    for i in 0..100 {
        let candidate = if i % 2 == 0 { &c.strong } else { &c.weak };
        let (code, _, stderr) = run(&[
            "promote",
            "--registry",
            &r,
            "--candidate",
            candidate,
            "--force",
            "--reason",
            "poll",
            "--keep",
            "5",
        ]);
        assert_eq!(code, 0, "{stderr}");
    }
    stop.store(true, Ordering::Relaxed);
    let reads = reader
        .join()
        .expect("the reader saw only whole pointers and versions");
    assert!(reads > 100, "the reader actually polled ({reads} reads)");
    assert_eq!(current(&registry), 101);
}

#[test]
fn verify_keeps_unaudited_live_versions_and_appends_never_fuse() {
    let c = candidates();
    let tmp = tempfile::tempdir().unwrap();
    let registry = tmp.path().join("models");
    let r = reg(&registry);
    let promote = |candidate: &str| {
        let (code, _, stderr) = run(&[
            "promote",
            "--registry",
            &r,
            "--candidate",
            candidate,
            "--force",
            "--reason",
            "t",
        ]);
        assert_eq!(code, 0, "{stderr}");
    };
    promote(&c.weak);
    promote(&c.strong);
    // A crash after v2's pointer swap, before its audit line: drop that line.
    let text = std::fs::read_to_string(registry.join("audit.jsonl")).unwrap();
    let first_line = text.lines().next().unwrap().to_string() + "\n";
    std::fs::write(registry.join("audit.jsonl"), &first_line).unwrap();
    // Another promote before anyone runs verify: v2 is now `previous`, and must survive verify.
    promote(&c.weak);
    let (code, report, _) = run_json(&["registry", "verify", "--registry", &r]);
    assert_eq!(code, 0, "{report}");
    assert!(
        registry.join("versions/v000002/metadata.json").is_file(),
        "{report}"
    );
    // v2 was live (v3's line moved current away from it), so it is a valid rollback target.
    let (code, _, stderr) = run(&["rollback", "--registry", &r]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(current(&registry), 2);

    // A partial last line (a crash mid-append) does not fuse with the next line.
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(registry.join("audit.jsonl"))
        .unwrap();
    file.write_all(b"{\"at\":\"2026-11-23T00:00:00Z\",\"act")
        .unwrap();
    drop(file);
    promote(&c.strong);
    let log = audit(&registry);
    assert_eq!(log.last().unwrap()["to"], 4);
    assert_eq!(log.last().unwrap()["from"], 2);

    // A version left by a promote killed before its swap is removed by verify, audited, and
    // its number is not handed out again.
    std::fs::create_dir(registry.join("versions/v000005")).unwrap();
    std::fs::write(registry.join("versions/v000005/metadata.json"), "{}").unwrap();
    let (code, _, stderr) = run(&["rollback", "--registry", &r, "--to", "5"]);
    assert_eq!(code, 1, "an orphan is not a rollback target: {stderr}");
    let (code, report, _) = run_json(&["registry", "verify", "--registry", &r]);
    assert_eq!(code, 0);
    assert!(
        report["result"]["repairs"][0]
            .as_str()
            .unwrap()
            .contains("removed version 5"),
        "{report}"
    );
    promote(&c.weak);
    assert_eq!(current(&registry), 6);

    // A bad candidate leaves no registry behind.
    let fresh = tmp.path().join("fresh");
    let (code, _, _) = run(&[
        "promote",
        "--registry",
        &reg(&fresh),
        "--candidate",
        &reg(tmp.path()),
    ]);
    assert_eq!(code, 1);
    assert!(!fresh.exists());
    // A dry run of a first promotion works on a registry that does not exist yet.
    let (code, report, stderr) = run_json(&[
        "promote",
        "--registry",
        &reg(&fresh),
        "--candidate",
        &c.weak,
        "--dry-run",
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        report["result"]["promotion"]["action"],
        "dry-run (bootstrap)"
    );
    assert!(!fresh.exists());
}
