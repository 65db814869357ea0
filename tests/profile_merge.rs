//! `refit profile --edges-from` and `refit profile merge`: profiles of the parts of a dataset,
//! counted against one baseline's bins, add up to the profile of the whole, whatever the order
//! or grouping of the merges, and drift-check reads the merged profile like any other.

mod common;

use common::{assert_drift_agrees, fixture, profile_counts, Workdir};
use serde_json::Value;

const PARTS: [&str; 3] = [
    "drift/shards/part-000.parquet",
    "drift/shards/part-001.parquet",
    "drift/current.parquet",
];

fn counts(w: &Workdir, name: &str) -> (Value, Value) {
    profile_counts(std::path::Path::new(&w.path(name)))
}

/// Each numeric feature's sketch: its row count and stated rank-error bound.
fn sketches(w: &Workdir, name: &str) -> Vec<(String, u64, u64)> {
    let profile: Value = serde_json::from_str(&w.read(name)).unwrap();
    profile["features"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"] == "numeric")
        .map(|f| {
            let sketch = &f["sketch"];
            let rows = sketch["weights"]
                .as_array()
                .unwrap()
                .iter()
                .map(|w| w.as_u64().unwrap())
                .sum();
            let bound = sketch["max_rank_error"].as_u64().unwrap();
            (f["name"].as_str().unwrap().to_string(), rows, bound)
        })
        .collect()
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
    assert_eq!(expected.0, 8000);
    for merged in ["abc.json", "cab.json", "a_bc.json"] {
        assert_eq!(counts(&w, merged), expected, "{merged}");
        for (name, rows, bound) in sketches(&w, merged) {
            let finite = expected
                .1
                .as_array()
                .unwrap()
                .iter()
                .find(|f| f["name"] == name.as_str())
                .map(|f| {
                    f["counts"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|c| c.as_u64().unwrap())
                        .sum::<u64>()
                })
                .unwrap();
            assert_eq!(
                rows, finite,
                "{merged} {name}: the sketch stands for every finite value"
            );
            assert!(
                bound * 500 <= rows,
                "{merged} {name}: rank error {bound} of {rows} rows"
            );
        }
    }
    // A merge of sketches is a function of the parts, whatever their order.
    assert_eq!(
        w.read("abc.json").split("\"features\"").nth(1),
        w.read("cab.json").split("\"features\"").nth(1)
    );
    // drift-check reads a merged profile as its baseline, with the same verdicts and binned
    // figures as the profile of the whole, and KS and Wasserstein within both bounds.
    let current = fixture("drift/current.parquet");
    assert_drift_agrees(
        &w.drift_json("abc.json", &[&current]),
        &w.drift_json("whole.json", &[&current]),
        "merged baseline",
    );
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
    assert!(run.stderr.contains("refit profile edges"), "{}", run.stderr);
    assert!(!w.exists("x.json"), "nothing written");
}

/// drift-check of the merged profile of the current shards against the baseline, as raw data
/// or as its profile: PSI, JS and chi-square equal the raw run's; KS and Wasserstein are within
/// the bound each feature states.
#[test]
fn a_merged_current_profile_checks_like_the_raw_current_data() {
    let w = Workdir::new();
    profiled_parts(&w);
    w.run(&[
        "profile",
        "merge",
        "p0.json",
        "p1.json",
        "p2.json",
        "--out",
        "current.json",
    ])
    .assert_exit(0);
    let raw_files: Vec<String> = PARTS.iter().map(|p| fixture(p)).collect();
    let raw_refs: Vec<&str> = raw_files.iter().map(String::as_str).collect();
    let baseline = fixture("drift/baseline.parquet");
    let raw = w.drift_json(&baseline, &raw_refs);
    for baseline in [baseline.as_str(), "base.json"] {
        let profiled = w.drift_json(baseline, &["current.json"]);
        assert_eq!(profiled["result"]["summary"]["current_kind"], "profile");
        assert_drift_agrees(&profiled, &raw, baseline);
    }
}

#[test]
fn a_current_profile_on_other_bins_is_refused_naming_the_feature() {
    let w = Workdir::new();
    w.run(&["profile", "--data", &fixture(PARTS[0]), "--out", "own.json"])
        .assert_exit(0);
    let run = w.run(&[
        "drift-check",
        "--baseline",
        &fixture("drift/baseline.parquet"),
        "--current",
        "own.json",
    ]);
    run.assert_exit(1);
    assert!(run.stderr.contains("error: feature `"), "{}", run.stderr);
    assert!(run.stderr.contains("--edges-from"), "{}", run.stderr);
}

/// Inferring a contract and fleet-diff read rows a profile does not keep: each refuses one,
/// saying why.
#[test]
fn validate_infer_and_fleet_diff_refuse_a_profile_saying_why() {
    let w = Workdir::new();
    w.run(&["profile", "--data", &fixture(PARTS[0]), "--out", "p.json"])
        .assert_exit(0);
    std::fs::write(w.path("vocabulary.json"), "[\"100000\"]").unwrap();
    let run = w.run(&["validate", "--infer", "--data", "p.json", "--out", "c.json"]);
    run.assert_exit(1);
    assert!(
        run.stderr
            .contains("--data p.json is a refit profile: inferring a contract reads rows"),
        "{}",
        run.stderr
    );
    assert!(!w.exists("c.json"));
    let run = w.run(&[
        "fleet-diff",
        "--data",
        "p.json",
        "--entity",
        "customer_id",
        "--time",
        "ts",
        "--vocabulary",
        "vocabulary.json",
    ]);
    run.assert_exit(1);
    assert!(
        run.stderr
            .contains("--data p.json is a refit profile: fleet-diff needs"),
        "{}",
        run.stderr
    );
}

/// validate --contract against a profile decides the checks its counts allow with the raw
/// data's verdicts, and names the ones it cannot evaluate.
#[test]
fn validate_checks_a_profile_where_its_counts_allow() {
    let w = Workdir::new();
    w.run(&[
        "--quiet",
        "validate",
        "--infer",
        "--data",
        &fixture("drift/baseline.parquet"),
        "--key",
        "customer_id",
        "--out",
        "contract.json",
    ])
    .assert_exit(0);
    let current = fixture("drift/current.parquet");
    w.run(&["profile", "--data", &current, "--out", "current.json"])
        .assert_exit(0);
    let check = |data: &str| {
        let run = w.run(&[
            "--format",
            "json",
            "validate",
            "--contract",
            "contract.json",
            "--data",
            data,
        ]);
        let report = run.json();
        let found: Vec<(Value, Value, Value)> = report["result"]["violations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| {
                (
                    v["column"].clone(),
                    v["check"].clone(),
                    v["severity"].clone(),
                )
            })
            .collect();
        (run.code, found, report["messages"].clone())
    };
    let (raw_code, raw, _) = check(&current);
    let (code, profiled, messages) = check("current.json");
    assert_eq!(code, raw_code);
    assert_eq!(code, 2, "the fixture's current data breaks the contract");
    assert_eq!(
        profiled, raw,
        "the same violations (the raw data has no duplicate key)"
    );
    assert!(
        messages
            .to_string()
            .contains("not evaluated (they need rows): unique_key"),
        "{messages}"
    );
}

/// The text table and the HTML report give KS and Wasserstein from sketches with their largest
/// error; from raw data on both sides, without one.
#[test]
fn text_and_html_show_sketch_statistics_with_their_bound() {
    let w = Workdir::new();
    profiled_parts(&w);
    let baseline = fixture("drift/baseline.parquet");
    let current = fixture(PARTS[2]);
    let args = |baseline: &str, html: &str| {
        let run = w.run(&[
            "drift-check",
            "--exclude",
            "customer_id",
            "--baseline",
            baseline,
            "--current",
            &current,
            "--html",
            html,
        ]);
        assert!(run.code == 0 || run.code == 2, "{}", run.stderr);
        run.stdout
    };
    let sketched = args("base.json", "sketched.html");
    let income = sketched.lines().find(|l| l.starts_with("income ")).unwrap();
    assert!(income.contains('±'), "{sketched}");
    assert!(w.read("sketched.html").contains("from quantile sketches"));
    let raw = args(&baseline, "raw.html");
    assert!(!raw.contains('±'), "{raw}");
    assert!(!w.read("raw.html").contains("from quantile sketches"));
}

/// A baseline too large for one process, in two passes over its parts: each part on its own
/// bins, `profile edges` of those, each part again `--edges-from` the edges, merged. The result
/// counts exactly what one process counts against the same edges; cuts are the one process's
/// own where the merged sketch is exact, and within its stated rank error where it is not.
#[test]
fn a_baseline_profiled_in_two_passes_over_its_parts_merges_into_its_profile() {
    let w = Workdir::new();
    let parts = [
        fixture("drift/baseline.parquet"),
        fixture("drift/shards/part-000.parquet"),
        fixture("drift/shards/part-001.parquet"),
    ];
    let profile_parts = |pass: &str, edges: &[&str]| -> Vec<String> {
        let outs: Vec<String> = (0..parts.len())
            .map(|i| format!("{pass}-{i}.json"))
            .collect();
        for (part, out) in parts.iter().zip(&outs) {
            let mut args = vec!["profile", "--data", part, "--out", out];
            args.extend(edges);
            w.run(&args).assert_exit(0);
        }
        outs
    };
    let pass1 = profile_parts("pass1", &[]);
    let mut edges = vec!["profile", "edges", "--out", "edges.json"];
    edges.extend(pass1.iter().map(String::as_str));
    let run = w.run(&edges);
    run.assert_exit(0);
    assert!(
        run.stdout.contains("9000 rows, 10 buckets"),
        "{}",
        run.stdout
    );
    let pass2 = profile_parts("pass2", &["--edges-from", "edges.json"]);
    let mut merge = vec!["profile", "merge", "--out", "base.json"];
    merge.extend(pass2.iter().map(String::as_str));
    w.run(&merge).assert_exit(0);

    let mut whole = vec!["profile", "--out", "whole.json"];
    for part in &parts {
        whole.extend(["--data", part.as_str()]);
    }
    let mut against_edges = whole.clone();
    against_edges[2] = "whole-on-edges.json";
    against_edges.extend(["--edges-from", "edges.json"]);
    w.run(&whole).assert_exit(0);
    w.run(&against_edges).assert_exit(0);
    assert_eq!(counts(&w, "base.json"), counts(&w, "whole-on-edges.json"));

    let shared: Value = serde_json::from_str(&w.read("edges.json")).unwrap();
    let own: Value = serde_json::from_str(&w.read("whole.json")).unwrap();
    let (mut exact, mut sketched) = (0, 0);
    for feature in shared["features"].as_array().unwrap() {
        if feature["kind"] != "numeric" {
            assert_eq!(feature["kind"], "categorical");
            continue;
        }
        let name = feature["name"].as_str().unwrap();
        let own = own["features"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["name"] == name)
            .unwrap();
        let bound = feature["max_rank_error"].as_u64().unwrap();
        if bound == 0 {
            exact += 1;
            assert_eq!(
                feature["cuts"], own["cuts"],
                "{name}: an exact sketch's cuts"
            );
            continue;
        }
        // A continuous feature: rows below each cut are within the bound of its quantile.
        sketched += 1;
        let bins: Vec<u64> = own_counts(&w, "base.json", name);
        let finite: u64 = bins.iter().sum();
        let mut below = 0;
        for (k, count) in bins.iter().take(bins.len() - 1).enumerate() {
            below += count;
            let target = (finite - 1) as f64 * (k + 1) as f64 / 10.0;
            assert!(
                (below as f64 - target).abs() <= bound as f64 + 1.0,
                "{name}: cut {k} has {below} rows below it, quantile rank {target}, bound {bound}"
            );
        }
    }
    assert!(
        exact > 0 && sketched > 0,
        "{exact} exact, {sketched} sketched"
    );

    // drift-check reads the two-pass profile; it refuses the edges, saying what they are.
    let current = fixture("drift/current.parquet");
    let code = w
        .run(&[
            "drift-check",
            "--baseline",
            "base.json",
            "--current",
            &current,
        ])
        .code;
    assert!(code == 0 || code == 2, "exit {code}");
    let run = w.run(&[
        "drift-check",
        "--baseline",
        "edges.json",
        "--current",
        &current,
    ]);
    run.assert_exit(1);
    assert!(
        run.stderr.contains("edges.json: bin edges"),
        "{}",
        run.stderr
    );
}

/// One numeric feature's bin counts in a profile.
fn own_counts(w: &Workdir, profile: &str, name: &str) -> Vec<u64> {
    let profile: Value = serde_json::from_str(&w.read(profile)).unwrap();
    profile["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == name)
        .unwrap()["counts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_u64().unwrap())
        .collect()
}
