//! scripts/spark/refit_profile.py run by local-mode PySpark (Java 17): its profile of the drift
//! fixture's files equals refit's own profile of them in every count, its sketch keeps the
//! bound it states, and refit reads it as the current side of drift-check and merges it with
//! its own profiles.

mod common;

use std::path::Path;
use std::process::Command;

use common::{assert_drift_agrees, deploy_python, fixture, repo_path, required_tool, Workdir};
use serde_json::Value;

const FILES: [&str; 3] = [
    "drift/shards/part-000.parquet",
    "drift/shards/part-001.parquet",
    "drift/current.parquet",
];

/// snappy-java picks its musl build when /lib/ld-musl-x86_64.so.1 exists, which the musl
/// toolchain for the image test installs on a glibc machine; the JVM is pointed at the glibc
/// build from the same jar instead.
fn glibc_snappy(python: &Path, dir: &Path) -> String {
    let script = r#"
import glob, os, sys, zipfile, pyspark
jar = glob.glob(os.path.join(os.path.dirname(pyspark.__file__), "jars", "snappy-java-*.jar"))[0]
with zipfile.ZipFile(jar) as z, open(os.path.join(sys.argv[1], "libsnappyjava.so"), "wb") as out:
    out.write(z.read("org/xerial/snappy/native/Linux/x86_64/libsnappyjava.so"))
"#;
    let out = Command::new(python)
        .args(["-c", script])
        .arg(dir)
        .output()
        .expect("python runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    format!(
        "-Dorg.xerial.snappy.lib.path={} -Dorg.xerial.snappy.lib.name=libsnappyjava.so",
        dir.display()
    )
}

fn features(w: &Workdir, name: &str) -> (Value, Vec<Value>) {
    let profile: Value = serde_json::from_str(&w.read(name)).unwrap();
    (
        profile["rows"].clone(),
        profile["features"].as_array().unwrap().clone(),
    )
}

/// Runs scripts/spark/refit_profile.py in local mode with `args`; None when PySpark or Java
/// is not installed (required in CI).
fn spark_profile(w: &Workdir, args: &[&str]) -> Option<()> {
    let (Some(python), Some(_java)) = (
        deploy_python("pyspark"),
        required_tool(&["java"], "openjdk-17-jre-headless"),
    ) else {
        return None;
    };
    let snappy_dir = tempfile::tempdir().unwrap();
    let out = Command::new(&python)
        .arg(repo_path("scripts/spark/refit_profile.py"))
        .args(["--master", "local[2]"])
        .args(args)
        .current_dir(w.path("."))
        .env("JDK_JAVA_OPTIONS", glibc_snappy(&python, snappy_dir.path()))
        .env("SPARK_LOCAL_IP", "127.0.0.1")
        .output()
        .expect("spark job runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(())
}

/// Every count, type and extreme of two profiles' features, in order.
fn assert_same_counts(theirs: &[Value], ours: &[Value]) {
    assert_eq!(theirs.len(), ours.len());
    for (theirs, ours) in theirs.iter().zip(ours) {
        let name = &ours["name"];
        for key in [
            "name", "dtype", "kind", "cuts", "counts", "missing", "min", "max",
        ] {
            assert_eq!(theirs[key], ours[key], "{name}: {key}");
        }
    }
}

#[test]
fn the_spark_profile_equals_refits_in_every_count() {
    let w = Workdir::new();
    w.run(&[
        "profile",
        "--data",
        &fixture("drift/baseline.parquet"),
        "--out",
        "base.json",
    ])
    .assert_exit(0);
    let files: Vec<String> = FILES.iter().map(|f| fixture(f)).collect();
    let mut own = vec![
        "profile",
        "--edges-from",
        "base.json",
        "--out",
        "refit.json",
    ];
    for f in &files {
        own.extend(["--data", f.as_str()]);
    }
    w.run(&own).assert_exit(0);

    let mut spark = vec!["--edges-from", "base.json", "--out", "spark.json"];
    for f in &files {
        spark.extend(["--data", f.as_str()]);
    }
    if spark_profile(&w, &spark).is_none() {
        return;
    }

    let (rows, refit_features) = features(&w, "refit.json");
    let (spark_rows, spark_features) = features(&w, "spark.json");
    assert_eq!(rows, 8000);
    assert_eq!(spark_rows, rows);
    assert_same_counts(&spark_features, &refit_features);
    for (theirs, ours) in spark_features.iter().zip(&refit_features) {
        let name = &ours["name"];
        if ours["kind"] == "numeric" {
            let weight = |s: &Value| -> u64 {
                s["weights"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|w| w.as_u64().unwrap())
                    .sum()
            };
            assert_eq!(weight(&theirs["sketch"]), weight(&ours["sketch"]), "{name}");
            for key in ["min", "max"] {
                assert_eq!(
                    theirs["sketch"][key], ours["sketch"][key],
                    "{name}: sketch {key}"
                );
            }
        }
    }

    // drift-check reads the Spark profile as its current side: the binned statistics equal the
    // raw run's, KS and Wasserstein are within the bound the Spark sketch states.
    let raw = w.drift_json(
        "base.json",
        &files.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    assert_drift_agrees(
        &w.drift_json("base.json", &["spark.json"]),
        &raw,
        "spark.json",
    );

    // And it merges with refit's own profiles of other parts.
    w.run(&[
        "profile",
        "--data",
        &fixture("drift/current_same.parquet"),
        "--edges-from",
        "base.json",
        "--out",
        "more.json",
    ])
    .assert_exit(0);
    w.run(&[
        "profile",
        "merge",
        "spark.json",
        "more.json",
        "--out",
        "all.json",
    ])
    .assert_exit(0);
}

/// Without --edges-from the Spark job profiles a baseline in two passes, its cuts from the
/// merged sketch: on one file (one Spark partition) they equal refit's `profile edges` of the
/// file's profile bit for bit, sketched features included, and so does every count.
#[test]
fn spark_profiles_a_baseline_with_refits_edges_rule() {
    let w = Workdir::new();
    let baseline = fixture("drift/baseline.parquet");
    if spark_profile(&w, &["--data", &baseline, "--out", "spark-base.json"]).is_none() {
        return;
    }
    w.run(&["profile", "--data", &baseline, "--out", "pass1.json"])
        .assert_exit(0);
    w.run(&["profile", "edges", "pass1.json", "--out", "edges.json"])
        .assert_exit(0);
    w.run(&[
        "profile",
        "--data",
        &baseline,
        "--edges-from",
        "edges.json",
        "--out",
        "refit-base.json",
    ])
    .assert_exit(0);
    let edges: Value = serde_json::from_str(&w.read("edges.json")).unwrap();
    assert!(
        edges["features"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["max_rank_error"].as_u64() > Some(0)),
        "some feature's cuts come from a compacted sketch"
    );
    let (rows, ours) = features(&w, "refit-base.json");
    let (spark_rows, theirs) = features(&w, "spark-base.json");
    assert_eq!((spark_rows, rows.clone()), (rows, 5000.into()));
    assert_same_counts(&theirs, &ours);
}
