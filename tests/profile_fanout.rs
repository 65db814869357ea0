//! scripts/k8s/profile-fanout.yaml run as local processes: each index of the Indexed Job runs
//! its container's script with JOB_COMPLETION_INDEX set, concurrently, while the merge Job's
//! script waits for the parts, merges them and runs drift-check. The verdict and the binned
//! statistics equal drift-check's over the raw partitions. scripts/k8s/profile-baseline.yaml's
//! four Jobs, run the same way, make the baseline profile in two passes.

mod common;

use std::path::Path;
use std::process::{Child, Command};

use common::{assert_drift_agrees, fixture, profile_counts, repo_path, Workdir};
use serde_json::Value;
use yaml_rust2::{Yaml, YamlLoader};

const PARTITIONS: [&str; 3] = [
    "drift/shards/part-000.parquet",
    "drift/shards/part-001.parquet",
    "drift/current.parquet",
];

/// The container's script, started as Kubernetes would start it, with the volume at `data`
/// instead of /data and `env` on top of the manifest's.
fn start(job: &Yaml, data: &Path, env: &[(&str, &str)]) -> Child {
    let container = &job["spec"]["template"]["spec"]["containers"][0];
    let mount = container["volumeMounts"][0]["mountPath"].as_str().unwrap();
    let command: Vec<&str> = container["command"]
        .as_vec()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    let mut cmd = Command::new(command[0]);
    cmd.args(&command[1..])
        .env_clear()
        .env("PATH", "/usr/bin:/bin");
    for var in container["env"].as_vec().unwrap() {
        let value = var["value"].as_str().unwrap();
        let value = match value.strip_prefix(mount) {
            Some(rest) => format!("{}{rest}", data.display()),
            None => value.to_string(),
        };
        cmd.env(var["name"].as_str().unwrap(), value);
    }
    cmd.env("REFIT", env!("CARGO_BIN_EXE_refit"));
    for (name, value) in env {
        cmd.env(name, value);
    }
    cmd.stdout(std::process::Stdio::null())
        .spawn()
        .expect("starts the container's command")
}

#[test]
fn the_indexed_job_and_its_merge_run_as_local_processes() {
    let text = std::fs::read_to_string(repo_path("scripts/k8s/profile-fanout.yaml")).unwrap();
    let jobs = YamlLoader::load_from_str(&text).unwrap();
    let (partitions, merge) = (&jobs[0], &jobs[1]);
    assert_eq!(
        partitions["spec"]["completionMode"].as_str(),
        Some("Indexed")
    );

    let w = Workdir::new();
    let data = Path::new(&w.path("data")).to_path_buf();
    let day = data.join("features/day=yesterday");
    std::fs::create_dir_all(&day).unwrap();
    for (i, part) in PARTITIONS.iter().enumerate() {
        std::fs::copy(fixture(part), day.join(format!("part-{i:02}-0.parquet"))).unwrap();
    }
    std::fs::create_dir_all(data.join("registry/latest")).unwrap();
    w.run(&[
        "profile",
        "--data",
        &fixture("drift/baseline.parquet"),
        "--out",
        &data
            .join("registry/latest/profile.json")
            .display()
            .to_string(),
    ])
    .assert_exit(0);

    let parts = PARTITIONS.len().to_string();
    let mut merging = start(merge, &data, &[("PARTS", &parts), ("POLL_SECONDS", "1")]);
    let indexes: Vec<Child> = (0..PARTITIONS.len())
        .map(|i| {
            start(
                partitions,
                &data,
                &[("JOB_COMPLETION_INDEX", &i.to_string())],
            )
        })
        .collect();
    for mut index in indexes {
        assert!(index.wait().unwrap().success(), "an index failed");
    }
    let merged = merging.wait().unwrap();

    let raw_files: Vec<String> = (0..PARTITIONS.len())
        .map(|i| {
            day.join(format!("part-{i:02}-0.parquet"))
                .display()
                .to_string()
        })
        .collect();
    let baseline = data
        .join("registry/latest/profile.json")
        .display()
        .to_string();
    let raw_refs: Vec<&str> = raw_files.iter().map(String::as_str).collect();
    let raw = w.drift_json(&baseline, &raw_refs);
    assert_eq!(merged.code(), raw["exit_code"].as_i64().map(|c| c as i32));
    let parts_dir = data.join("profiles/day=yesterday");
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(parts_dir.join("drift.json")).unwrap())
            .unwrap();
    assert_eq!(report["result"]["summary"]["current_kind"], "profile");
    assert_eq!(report["result"]["summary"]["current_rows"], 8000);
    assert_drift_agrees(&report, &raw, "the merge Job's report");
}

/// The two-pass baseline's Jobs started at once (each later one waits for the files of the one
/// before): the merged profile counts exactly what one process counts against the same edges.
#[test]
fn the_two_pass_baseline_jobs_run_as_local_processes() {
    let text = std::fs::read_to_string(repo_path("scripts/k8s/profile-baseline.yaml")).unwrap();
    let jobs = YamlLoader::load_from_str(&text).unwrap();
    let steps: Vec<&str> = jobs
        .iter()
        .map(|j| j["metadata"]["labels"]["refit.dev/step"].as_str().unwrap())
        .collect();
    assert_eq!(steps, ["pass1", "edges", "pass2", "merge"]);
    let (pass1, edges, pass2, merge) = (&jobs[0], &jobs[1], &jobs[2], &jobs[3]);

    let w = Workdir::new();
    let data = Path::new(&w.path("data")).to_path_buf();
    let train = data.join("train");
    std::fs::create_dir_all(&train).unwrap();
    let files = [
        "drift/baseline.parquet",
        "drift/shards/part-000.parquet",
        "drift/shards/part-001.parquet",
    ];
    for (i, file) in files.iter().enumerate() {
        std::fs::copy(fixture(file), train.join(format!("part-{i:02}-0.parquet"))).unwrap();
    }
    let parts = files.len().to_string();
    let waits = [("PARTS", parts.as_str()), ("POLL_SECONDS", "1")];
    let mut children = vec![start(merge, &data, &waits), start(edges, &data, &waits)];
    for job in [pass2, pass1] {
        for i in 0..files.len() {
            let index = i.to_string();
            children.push(start(
                job,
                &data,
                &[("JOB_COMPLETION_INDEX", &index), ("POLL_SECONDS", "1")],
            ));
        }
    }
    for mut child in children {
        assert!(child.wait().unwrap().success(), "a Job's script failed");
    }

    let dir = data.join("profiles/baseline");
    let mut whole = vec![
        "profile".to_string(),
        "--edges-from".into(),
        dir.join("edges.json").display().to_string(),
        "--out".into(),
        "whole.json".into(),
    ];
    for i in 0..files.len() {
        whole.push("--data".into());
        whole.push(
            train
                .join(format!("part-{i:02}-0.parquet"))
                .display()
                .to_string(),
        );
    }
    w.run(&whole.iter().map(String::as_str).collect::<Vec<_>>())
        .assert_exit(0);
    let baseline = profile_counts(&dir.join("profile.json"));
    assert_eq!(baseline.0, 9000);
    assert_eq!(baseline, profile_counts(Path::new(&w.path("whole.json"))));
}
