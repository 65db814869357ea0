//! Categorical drift's L-infinity and total variation distances against numpy's (and NannyML's
//! LInfinityDistance) values from fixtures/drift/make_ks_golden.py, in the library and through
//! drift-check's JSON, gauges and text table.

mod common;

use common::{assert_close, fixture, run, run_json};
use refit::data::CategoryCounts;
use refit::drift::analyze_categorical;
use serde_json::Value;

const REL: f64 = 1e-9;

fn ks_golden() -> Value {
    let text = std::fs::read_to_string(fixture("drift/ks_golden.json")).expect("ks_golden.json");
    serde_json::from_str(&text).expect("ks_golden.json parses")
}

fn counts(categories: &[Value], values: &Value, nulls: u64) -> CategoryCounts {
    let mut out = CategoryCounts::default();
    for (category, n) in categories.iter().zip(values.as_array().unwrap()) {
        let n = n.as_u64().unwrap();
        if n > 0 {
            out.counts.insert(category.as_str().unwrap().to_string(), n);
        }
        out.missing.rows += n;
    }
    out.missing.rows += nulls;
    out.missing.null = nulls;
    out
}

/// Relative agreement, or exact agreement for a zero reference.
fn assert_distance(got: Option<f64>, want: &Value, what: &str) {
    let (got, want) = (got.expect(what), want.as_f64().expect(what));
    if want == 0.0 {
        assert_eq!(got, 0.0, "{what}");
    } else {
        assert_close(got, want, REL, what);
    }
}

#[test]
fn distances_match_numpy_and_nannyml() {
    for case in ks_golden()["categorical"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let categories = case["categories"].as_array().unwrap();
        let nulls = case["current_nulls"].as_u64().unwrap();
        let drift = analyze_categorical(
            &counts(categories, &case["baseline"], 0),
            &counts(categories, &case["current"], nulls),
        );
        assert_distance(drift.linf, &case["linf"], &format!("{name}: linf"));
        assert_eq!(
            drift.linf_category.as_deref(),
            case["linf_category"].as_str(),
            "{name}: linf category"
        );
        assert_distance(drift.tvd, &case["tvd"], &format!("{name}: tvd"));
        if case["nannyml_linf"].is_number() {
            assert_distance(
                drift.linf,
                &case["nannyml_linf"],
                &format!("{name}: NannyML"),
            );
        }
    }
}

#[test]
fn drift_check_reports_linf_and_tvd_per_categorical_feature() {
    let dir = tempfile::tempdir().unwrap();
    let metrics = dir.path().join("drift.prom");
    let (code, report, stderr) = run_json(&[
        "drift-check",
        "--baseline",
        &fixture("drift/baseline.parquet"),
        "--current",
        &fixture("drift/current.parquet"),
        "--exclude",
        "customer_id",
        "--metrics-file",
        metrics.to_str().unwrap(),
    ]);
    assert_eq!(code, 2, "{stderr}");
    let golden = ks_golden();
    let prom = std::fs::read_to_string(&metrics).unwrap();
    let features = report["result"]["features"].as_array().unwrap();
    for (name, want) in golden["drift_fixture"]["drifted"].as_object().unwrap() {
        let feature = features.iter().find(|f| f["name"] == *name).unwrap();
        let stats = &feature["statistics"];
        assert_distance(
            stats["linf"].as_f64(),
            &want["linf"],
            &format!("{name}: linf"),
        );
        assert_eq!(stats["linf_category"], want["linf_category"], "{name}");
        assert_distance(stats["tvd"].as_f64(), &want["tvd"], &format!("{name}: tvd"));
        for (gauge, key) in [("refit_drift_linf", "linf"), ("refit_drift_tvd", "tvd")] {
            let prefix = format!("{gauge}{{feature=\"{name}\"}} ");
            let line = prom.lines().find(|l| l.starts_with(&prefix));
            let value: f64 = line.expect(&prefix)[prefix.len()..].parse().unwrap();
            assert_close(value, want[key].as_f64().unwrap(), REL, &prefix);
        }
    }
    // Numeric features have neither.
    let age = features.iter().find(|f| f["name"] == "age").unwrap();
    assert!(age["statistics"].get("linf").is_none());
    assert!(
        !prom.contains("refit_drift_linf{feature=\"age\"}"),
        "{prom}"
    );
}

#[test]
fn the_text_table_stays_one_short_row_at_thousands_of_categories() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, rows: Vec<String>| {
        let path = dir.path().join(name);
        std::fs::write(&path, format!("merchant\n{}\n", rows.join("\n"))).unwrap();
        path.display().to_string()
    };
    // 2,500 merchant ids; today 100 are gone, 100 are new and m00007 triples.
    let rows = |ids: std::ops::Range<usize>, boost: usize| -> Vec<String> {
        ids.flat_map(|i| {
            let n = if i == boost { 30 } else { i % 7 + 1 };
            std::iter::repeat_n(format!("m{i:05}"), n)
        })
        .collect()
    };
    let base = write("baseline.csv", rows(0..2500, usize::MAX));
    let cur = write("today.csv", rows(100..2600, 7));
    let (code, stdout, stderr) = run(&["drift-check", "--baseline", &base, "--current", &cur]);
    assert!(code == 0 || code == 2, "{stderr}");
    let header = stdout.lines().nth(3).unwrap();
    assert!(
        header.contains("LINF") && header.contains("TOP_CHANGES"),
        "{stdout}"
    );
    let row = stdout.lines().nth(4).unwrap();
    assert!(row.starts_with("merchant "), "{stdout}");
    assert!(row.len() < 300, "one bounded row: {row}");
    assert!(
        row.contains("other(2597)"),
        "three listed, the rest as one: {row}"
    );
    assert_eq!(stdout.lines().count(), 5, "{stdout}");
}
