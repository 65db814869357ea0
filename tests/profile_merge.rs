//! `refit profile --edges-from` and `refit profile merge`: profiles of the parts of a dataset,
//! counted against one baseline's bins, add up to the profile of the whole, whatever the order
//! or grouping of the merges, and drift-check reads the merged profile like any other.

mod common;

use common::{fixture, Workdir};
use serde_json::Value;

const PARTS: [&str; 3] = [
    "drift/shards/part-000.parquet",
    "drift/shards/part-001.parquet",
    "drift/current.parquet",
];

/// The features and rows of a profile: what must be equal (sources and times differ).
fn counts(w: &Workdir, name: &str) -> (Value, Value) {
    let profile: Value = serde_json::from_str(&w.read(name)).unwrap();
    (profile["features"].clone(), profile["rows"].clone())
}

fn profiled_parts(w: &Workdir) {
    w.run(&[
        "profile",
        "--data",
        &fixture("drift/baseline.parquet"),
        "--out",
        "base.json",
    ])
    .assert_exit(0);
    for (i, part) in PARTS.iter().enumerate() {
        w.run(&[
            "profile",
            "--data",
            &fixture(part),
            "--edges-from",
            "base.json",
            "--out",
            &format!("p{i}.json"),
        ])
        .assert_exit(0);
    }
}

#[test]
fn merged_parts_equal_the_profile_of_all_of_them_in_any_grouping() {
    let w = Workdir::new();
    profiled_parts(&w);
    let all: Vec<String> = PARTS.iter().map(|p| fixture(p)).collect();
    let mut whole = vec![
        "profile",
        "--edges-from",
        "base.json",
        "--out",
        "whole.json",
    ];
    for file in &all {
        whole.extend(["--data", file.as_str()]);
    }
    w.run(&whole).assert_exit(0);
    w.run(&[
        "profile", "merge", "p0.json", "p1.json", "p2.json", "--out", "abc.json",
    ])
    .assert_exit(0);
    w.run(&[
        "profile", "merge", "p2.json", "p0.json", "p1.json", "--out", "cab.json",
    ])
    .assert_exit(0);
    w.run(&["profile", "merge", "p1.json", "p2.json", "--out", "bc.json"])
        .assert_exit(0);
    w.run(&[
        "profile",
        "merge",
        "p0.json",
        "bc.json",
        "--out",
        "a_bc.json",
    ])
    .assert_exit(0);
    let expected = counts(&w, "whole.json");
    assert_eq!(expected.1, 8000);
    for merged in ["abc.json", "cab.json", "a_bc.json"] {
        assert_eq!(counts(&w, merged), expected, "{merged}");
    }
    // drift-check reads a merged profile as its baseline, with the same verdict and figures as
    // the profile of the whole.
    let current = fixture("drift/current.parquet");
    let check = |baseline: &str| {
        let run = w.run(&[
            "--format",
            "json",
            "drift-check",
            "--exclude",
            "customer_id",
            "--baseline",
            baseline,
            "--current",
            &current,
        ]);
        let report = run.json();
        (
            report["exit_code"].clone(),
            report["result"]["features"].clone(),
        )
    };
    assert_eq!(check("abc.json"), check("whole.json"));
}

#[test]
fn parts_profiled_on_their_own_bins_do_not_merge() {
    let w = Workdir::new();
    profiled_parts(&w);
    w.run(&["profile", "--data", &fixture(PARTS[0]), "--out", "own.json"])
        .assert_exit(0);
    let run = w.run(&["profile", "merge", "p1.json", "own.json", "--out", "x.json"]);
    run.assert_exit(1);
    assert!(
        run.stderr.contains("own.json: feature `customer_id`"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("--edges-from"), "{}", run.stderr);
    assert!(!w.exists("x.json"), "nothing written");
}
