//! Bad input the readers must refuse by name (issue 14): shards whose column types disagree,
//! ragged or duplicate-headed CSV, NDJSON nested deep enough to overflow the stack, inputs that
//! are not files, literal paths that look like globs, empty columns and huge durations. Each
//! hostile file is made in the test's scratch directory.

mod common;

use common::{fixture, Workdir};
use polars::prelude::*;

fn write_parquet(w: &Workdir, name: &str, mut frame: DataFrame) -> String {
    let path = w.path(name);
    let file = std::fs::File::create(&path).expect("create parquet");
    ParquetWriter::new(file)
        .finish(&mut frame)
        .expect("write parquet");
    path
}

fn write(w: &Workdir, name: &str, text: &str) -> String {
    let path = w.path(name);
    std::fs::write(&path, text).expect("write");
    path
}

/// `age` and `city` over `n` rows, `age` as integers.
fn people(n: i64) -> DataFrame {
    let ages: Vec<i64> = (0..n).map(|i| 20 + i % 50).collect();
    let cities: Vec<&str> = (0..n)
        .map(|i| if i % 3 == 0 { "lyon" } else { "oslo" })
        .collect();
    df!("age" => ages, "city" => cities).unwrap()
}

fn people_with_text_age(n: i64) -> DataFrame {
    let ages: Vec<String> = (0..n).map(|i| format!("{}", 20 + i % 50)).collect();
    let cities: Vec<&str> = (0..n).map(|_| "oslo").collect();
    df!("age" => ages, "city" => cities).unwrap()
}

fn assert_stderr_has(run: &common::Run, parts: &[&str]) {
    for part in parts {
        assert!(
            run.stderr.contains(part),
            "{}: stderr lacks {part:?}:\n{}",
            run.command,
            run.stderr
        );
    }
}

#[test]
fn drift_check_refuses_shards_where_age_is_a_number_in_one_and_text_in_another() {
    let w = Workdir::new();
    let base = write_parquet(&w, "base.parquet", people(200));
    write_parquet(&w, "cur-1.parquet", people(100));
    write_parquet(&w, "cur-2.parquet", people_with_text_age(100));
    let run = w.run(&[
        "drift-check",
        "--baseline",
        &base,
        "--current",
        &w.path("cur-*.parquet"),
    ]);
    run.assert_exit(1);
    assert_stderr_has(
        &run,
        &["`age`", "i64", "cur-1.parquet", "str", "cur-2.parquet"],
    );
}

#[test]
fn train_candidate_refuses_shards_where_region_is_integers_in_one() {
    let w = Workdir::new();
    let shard = |regions: Column| {
        let n = regions.len() as i64;
        let mut frame = df!(
            "event_time" => (0..n).map(|i| format!("2026-01-{:02}", 1 + i % 28)).collect::<Vec<_>>(),
            "x" => (0..n).map(|i| i as f64).collect::<Vec<_>>(),
            "churned" => (0..n).map(|i| i % 2).collect::<Vec<_>>(),
        )
        .unwrap();
        frame.with_column(regions).unwrap();
        frame
    };
    let names: Vec<&str> = (0..60).map(|i| ["north", "south"][i % 2]).collect();
    let codes: Vec<i64> = (0..60).map(|i| i % 2).collect();
    write_parquet(
        &w,
        "part-1.parquet",
        shard(Column::new("region".into(), names)),
    );
    write_parquet(
        &w,
        "part-2.parquet",
        shard(Column::new("region".into(), codes)),
    );
    let run = w.run(&[
        "train-candidate",
        "--data",
        &w.path("part-*.parquet"),
        "--target",
        "churned",
        "--time",
        "event_time",
        "--model",
        "linear",
        "--out",
        &w.path("model"),
    ]);
    run.assert_exit(1);
    assert_stderr_has(&run, &["`region`", "part-1.parquet", "part-2.parquet"]);
    assert!(!w.exists("model"), "no model directory after an error");
}

#[test]
fn shards_that_differ_only_in_number_width_are_one_numeric_column() {
    let w = Workdir::new();
    let base = write_parquet(&w, "base.parquet", people(200));
    write_parquet(&w, "cur-1.parquet", people(100));
    let mut narrow = people(100);
    narrow
        .apply("age", |c| c.cast(&DataType::Float32).unwrap())
        .unwrap();
    write_parquet(&w, "cur-2.parquet", narrow);
    let run = w.run(&[
        "drift-check",
        "--baseline",
        &base,
        "--current",
        &w.path("cur-*.parquet"),
        "--format",
        "json",
    ]);
    run.assert_exit(0);
    let features = run.json()["result"]["features"].clone();
    assert!(
        features.to_string().contains("\"age\""),
        "age compared: {features}"
    );
}

#[test]
fn a_csv_shard_whose_column_is_all_empty_takes_the_other_shards_type() {
    let w = Workdir::new();
    let base = write(&w, "base.csv", "age,city\n30,oslo\n40,lyon\n50,oslo\n");
    write(&w, "cur-1.csv", "age,city\n31,oslo\n41,lyon\n");
    write(&w, "cur-2.csv", "age,city\n,oslo\n,lyon\n");
    let run = w.run(&[
        "drift-check",
        "--baseline",
        &base,
        "--current",
        &w.path("cur-*.csv"),
        "--features",
        "age",
    ]);
    assert!(run.code == 0 || run.code == 2, "{}", run.stderr);
}

#[test]
fn an_all_empty_csv_column_is_compared_as_the_baseline_kind_not_sent_to_categorical() {
    let w = Workdir::new();
    let base = write(&w, "base.csv", "age,city\n30,oslo\n40,lyon\n");
    let cur = write(&w, "empty_age.csv", "age,city\n,oslo\n,lyon\n");
    let run = w.run(&[
        "drift-check",
        "--baseline",
        &base,
        "--current",
        &cur,
        "--features",
        "age",
        "--format",
        "json",
    ]);
    assert!(!run.stderr.contains("--categorical"), "{}", run.stderr);
    run.assert_exit(0);
    let age = run.json()["result"]["features"][0].clone();
    assert_eq!(age["kind"], "numeric", "{age}");
}

#[test]
fn a_csv_row_with_an_extra_field_names_the_file_and_line() {
    let w = Workdir::new();
    let base = write(&w, "base.csv", "age,city\n30,oslo\n40,lyon\n");
    let cur = write(
        &w,
        "ragged.csv",
        "age,city\n30,oslo\n40,lyon,extra\n50,oslo\n",
    );
    let run = w.run(&["drift-check", "--baseline", &base, "--current", &cur]);
    run.assert_exit(1);
    assert_stderr_has(&run, &["ragged.csv", "line 3", "3 fields", "header has 2"]);
}

#[test]
fn a_csv_row_with_a_missing_field_names_the_file_and_line() {
    let w = Workdir::new();
    let base = write(&w, "base.csv", "age,city\n30,oslo\n40,lyon\n");
    let cur = write(&w, "short.csv", "age,city\n30,oslo\n40,lyon\n50\n60,oslo\n");
    let run = w.run(&["drift-check", "--baseline", &base, "--current", &cur]);
    run.assert_exit(1);
    assert_stderr_has(&run, &["short.csv", "line 4", "1 field,", "header has 2"]);
}

#[test]
fn a_duplicate_csv_header_names_the_file_and_column() {
    let w = Workdir::new();
    let base = write(&w, "base.csv", "age,city\n30,oslo\n40,lyon\n");
    let cur = write(&w, "dup.csv", "age,city,age\n30,oslo,1\n40,lyon,2\n");
    let run = w.run(&["drift-check", "--baseline", &base, "--current", &cur]);
    run.assert_exit(1);
    assert_stderr_has(&run, &["dup.csv", "`age`", "twice"]);
}

#[test]
fn a_deeply_nested_ndjson_line_is_an_error_not_a_stack_overflow() {
    let w = Workdir::new();
    let base = write(&w, "base.ndjson", "{\"age\": 30}\n{\"age\": 40}\n");
    let deep = format!(
        "{{\"age\": 30}}\n{{\"age\": {}1{}}}\n",
        "[".repeat(5000),
        "]".repeat(5000)
    );
    let cur = write(&w, "deep.ndjson", &deep);
    let run = w.run(&["drift-check", "--baseline", &base, "--current", &cur]);
    run.assert_exit(1);
    assert_stderr_has(&run, &["deep.ndjson", "line 2", "nested deeper than"]);
}

#[test]
fn a_directory_given_as_data_is_named_a_directory() {
    let w = Workdir::new();
    std::fs::create_dir(w.path("data.parquet")).unwrap();
    let run = w.run(&[
        "profile",
        "--data",
        &w.path("data.parquet"),
        "--out",
        &w.path("p.json"),
    ]);
    run.assert_exit(1);
    assert_stderr_has(
        &run,
        &["data.parquet", "is a directory, expected a data file"],
    );
}

#[cfg(unix)]
#[test]
fn a_fifo_given_as_data_is_named_a_fifo_without_opening_it() {
    let w = Workdir::new();
    let fifo = w.path("pipe.csv");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    if !made.is_ok_and(|s| s.success()) {
        eprintln!("mkfifo unavailable; skipped");
        return;
    }
    let run = w.run(&["profile", "--data", &fifo, "--out", &w.path("p.json")]);
    run.assert_exit(1);
    assert_stderr_has(&run, &["pipe.csv", "is a FIFO", "expected a data file"]);
}

#[test]
fn a_device_given_as_data_is_named_a_device() {
    let w = Workdir::new();
    let run = w.run(&["profile", "--data", "/dev/null", "--out", &w.path("p.json")]);
    run.assert_exit(1);
    assert_stderr_has(&run, &["/dev/null", "is a device"]);
}

#[test]
fn an_existing_file_whose_name_holds_brackets_is_read_as_itself() {
    let w = Workdir::new();
    let base = fixture("drift/baseline.parquet");
    let cur = w.path("current[2026].csv");
    std::fs::copy(fixture("drift/current.csv"), &cur).unwrap();
    let run = w.run(&[
        "drift-check",
        "--baseline",
        &base,
        "--current",
        &cur,
        "--features",
        "age",
    ]);
    assert!(run.code == 0 || run.code == 2, "{}", run.stderr);
}

/// score-proxy's horizon join on the bundled fixtures, with `horizon`.
fn horizon_join(w: &Workdir, horizon: &str) -> common::Run {
    let predictions = fixture("score_proxy/predictions.parquet");
    let outcomes = fixture("score_proxy/outcomes.parquet");
    w.run(&[
        "score-proxy",
        "--predictions",
        &predictions,
        "--outcomes",
        &outcomes,
        "--on",
        "customer_id",
        "--score",
        "churn_score",
        "--label",
        "churned",
        "--prediction-time",
        "predicted_at",
        "--outcome-time",
        "observed_at",
        "--horizon",
        horizon,
    ])
}

#[test]
fn a_huge_duration_is_an_error_naming_it_not_an_overflow() {
    let w = Workdir::new();
    let run = horizon_join(&w, "999999999999w");
    run.assert_exit(1);
    assert_stderr_has(&run, &["999999999999w", "too large"]);
}

#[test]
fn a_horizon_past_the_range_of_timestamps_is_an_error_not_an_overflow() {
    let w = Workdir::new();
    let run = horizon_join(&w, "106751991000d");
    run.assert_exit(1);
    assert_stderr_has(&run, &["--horizon", "outside the range of timestamps"]);
}
