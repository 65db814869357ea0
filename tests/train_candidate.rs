//! train-candidate and predict end to end on fixtures/train (make_fixtures.py): a learnable
//! signal, the split by time, linear models against scikit-learn, reloaded predictions,
//! external trainers and every bad input the issue lists.

mod common;

use std::collections::HashMap;
use std::path::Path;

use common::{assert_close, fixture, run, run_json};
use polars::prelude::*;
use serde_json::Value;

fn churn() -> String {
    fixture("train/churn.parquet")
}

fn train_args(out: &Path, extra: &[&str]) -> Vec<String> {
    let mut args: Vec<String> = [
        "train-candidate",
        "--data",
        &churn(),
        "--target",
        "churned",
        "--time",
        "event_time",
        "--exclude",
        "spend,customer_id,device_id",
        "--entity",
        "device_id",
        "--id",
        "customer_id",
        "--out",
        &out.display().to_string(),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

fn strs(a: &[String]) -> Vec<&str> {
    a.iter().map(String::as_str).collect()
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn read_parquet(path: &Path) -> DataFrame {
    ParquetReader::new(std::fs::File::open(path).unwrap())
        .finish()
        .unwrap()
}

fn f64s(frame: &DataFrame, column: &str) -> Vec<f64> {
    frame
        .column(column)
        .unwrap()
        .f64()
        .unwrap()
        .into_no_null_iter()
        .collect()
}

fn strings(frame: &DataFrame, column: &str) -> Vec<String> {
    frame
        .column(column)
        .unwrap()
        .str()
        .unwrap()
        .iter()
        .map(|v| v.expect("no nulls").to_string())
        .collect()
}

fn linear_golden() -> Value {
    read_json(Path::new(&fixture("train/linear_golden.json")))
}

/// Everything in `dir` except the entries in `expected`: leftovers of an aborted write.
fn strays(dir: &Path, expected: &[&str]) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !expected.contains(&n.as_str()))
        .collect()
}

#[test]
fn gbm_learns_the_signal_and_splits_by_time() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("cand");
    let (code, report, stderr) = run_json(&strs(&train_args(&out, &[])));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(report["status"], "OK");
    let meta = read_json(&out.join("metadata.json"));
    let auc = meta["holdout_metrics"]["roc_auc"].as_f64().unwrap();
    assert!((0.65..0.85).contains(&auc), "holdout ROC-AUC {auc}");
    let golden = linear_golden();
    assert_eq!(meta["rows"]["train"], golden["train_rows"]);
    assert_eq!(meta["rows"]["holdout"], golden["holdout_rows"]);
    assert_eq!(
        meta["training_window"]["holdout_start"],
        golden["holdout_start"]
    );
    assert!(meta["training_window"]["train_end"].as_str() < golden["holdout_start"].as_str());
    assert_eq!(meta["trainer"]["engine"], "forust-ml");
    assert_eq!(meta["task"], "binary");
    assert_eq!(
        meta["vocabularies"]["device_id"].as_array().unwrap().len(),
        150
    );
    assert!(meta["decision_threshold"].as_f64().is_some());

    // The holdout holds exactly the rows at or after the cutoff.
    let holdout = read_parquet(&out.join("holdout.parquet"));
    let times = strings(&holdout, "event_time");
    assert_eq!(times.len(), 642);
    let start = golden["holdout_start"].as_str().unwrap();
    assert!(times.iter().all(|t| t.as_str() >= start));
    let scores = f64s(&holdout, "score");
    assert!(scores.iter().all(|s| (0.0..=1.0).contains(s)));
    assert_eq!(
        strays(
            &out,
            &[
                "model.json",
                "metadata.json",
                "holdout.parquet",
                "profile.json",
                "contract.json"
            ]
        ),
        Vec::<String>::new()
    );
    assert_eq!(strays(tmp.path(), &["cand"]), Vec::<String>::new());

    // profile.json is a drift-check baseline: the training data against itself is OK.
    let profile = out.join("profile.json").display().to_string();
    let (code, _, stderr) = run(&[
        "drift-check",
        "--baseline",
        &profile,
        "--current",
        &churn(),
        "--features",
        "tenure_months,region",
    ]);
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn reloaded_model_predicts_what_training_scored() {
    for model in ["gbm", "linear"] {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("cand");
        let (code, _, stderr) = run(&strs(&train_args(&out, &["--model", model])));
        assert_eq!(code, 0, "{stderr}");
        let preds = tmp.path().join("preds.parquet");
        let (code, _, stderr) = run(&[
            "predict",
            "--model",
            &out.display().to_string(),
            "--data",
            &churn(),
            "--id",
            "customer_id",
            "--out",
            &preds.display().to_string(),
        ]);
        assert_eq!(code, 0, "{stderr}");
        let predicted = read_parquet(&preds);
        let by_id: HashMap<String, f64> = strings(&predicted, "customer_id")
            .into_iter()
            .zip(f64s(&predicted, "score"))
            .collect();
        let holdout = read_parquet(&out.join("holdout.parquet"));
        for (id, score) in strings(&holdout, "customer_id")
            .into_iter()
            .zip(f64s(&holdout, "score"))
        {
            assert_eq!(by_id[&id], score, "{model}: {id}");
        }
    }
}

#[test]
fn linear_models_match_scikit_learn() {
    let golden = linear_golden();
    let tmp = tempfile::tempdir().unwrap();
    let logistic = tmp.path().join("logistic");
    let (code, _, stderr) = run(&strs(&train_args(&logistic, &["--model", "linear"])));
    assert_eq!(code, 0, "{stderr}");
    let model = read_json(&logistic.join("model.json"));
    let coefficients = |m: &Value| -> Vec<f64> {
        let mut out = Vec::new();
        for term in m["terms"].as_array().unwrap() {
            match term["kind"].as_str().unwrap() {
                "numeric" => out.push(term["coefficient"].as_f64().unwrap()),
                _ => out.extend(
                    term["coefficients"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|v| v.as_f64().unwrap()),
                ),
            }
        }
        out
    };
    let check = |m: &Value, want: &Value, what: &str| {
        assert_close(
            m["intercept"].as_f64().unwrap(),
            want["intercept"].as_f64().unwrap(),
            1e-8,
            &format!("{what} intercept"),
        );
        let got = coefficients(m);
        let want: Vec<f64> = want["coefficients"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        assert_eq!(got.len(), want.len(), "{what} coefficients");
        for (i, (g, w)) in got.iter().zip(&want).enumerate() {
            assert_close(*g, *w, 1e-8, &format!("{what} coefficient {i}"));
        }
    };
    check(&model, &golden["logistic"], "logistic");
    let meta = read_json(&logistic.join("metadata.json"));
    assert_close(
        meta["holdout_metrics"]["roc_auc"].as_f64().unwrap(),
        golden["logistic"]["holdout_roc_auc"].as_f64().unwrap(),
        1e-12,
        "logistic holdout roc_auc",
    );
    for term in model["terms"].as_array().unwrap() {
        if term["kind"] == "numeric" {
            let name = term["feature"].as_str().unwrap();
            let want = &golden["numeric"][name];
            assert_close(
                term["mean"].as_f64().unwrap(),
                want["mean"].as_f64().unwrap(),
                1e-12,
                name,
            );
            assert_close(
                term["scale"].as_f64().unwrap(),
                want["scale"].as_f64().unwrap(),
                1e-12,
                name,
            );
        }
    }

    let ridge = tmp.path().join("ridge");
    let mut args = train_args(&ridge, &["--model", "linear", "--task", "regression"]);
    let target = args.iter().position(|a| a == "churned").unwrap();
    args[target] = "spend".into();
    let exclude = args
        .iter()
        .position(|a| a == "spend,customer_id,device_id")
        .unwrap();
    args[exclude] = "churned,customer_id,device_id".into();
    let (code, _, stderr) = run(&strs(&args));
    assert_eq!(code, 0, "{stderr}");
    check(
        &read_json(&ridge.join("model.json")),
        &golden["ridge"],
        "ridge",
    );
    let meta = read_json(&ridge.join("metadata.json"));
    assert_eq!(meta["task"], "regression");
    assert!(meta.get("decision_threshold").is_none());
}

#[test]
fn too_few_rows_is_a_warning_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("cand");
    let args = train_args(&out, &["--min-rows", "5000"]);
    let (code, report, _) = run_json(&strs(&args));
    assert_eq!(code, 0);
    assert_eq!(report["status"], "WARN");
    assert!(report["messages"][0]
        .as_str()
        .unwrap()
        .contains("insufficient data"));
    // How many rows were usable and how many were needed, for the loop's ledger and alerts.
    let result = &report["result"];
    assert_eq!(result["insufficient_data"], true);
    assert_eq!(result["rows"]["needed"], 5000);
    let usable = result["rows"]["usable"].as_u64().expect("usable rows");
    assert!(usable > 0 && usable < 5000, "{result}");
    assert!(result["rows"]["input"].as_u64().unwrap() >= usable);
    assert!(result["rows"].get("train").is_none(), "{result}");
    let (_, text, _) = run(&strs(&args));
    assert_eq!(
        text,
        format!(
            "train-candidate WARN: insufficient data ({usable} usable rows < --min-rows 5000); \
             nothing written\n"
        )
    );
    assert!(!out.exists());
    let mut strict = args.clone();
    strict.extend(["--fail-on".to_string(), "warn".to_string()]);
    let (code, _, _) = run(&strs(&strict));
    assert_eq!(code, 3);
    assert!(!out.exists());
}

#[test]
fn enough_rows_say_so_with_the_rows_needed() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("cand");
    let args = train_args(&out, &["--dry-run", "--min-rows", "700"]);
    let (code, report, stderr) = run_json(&strs(&args));
    assert_eq!(code, 0, "{stderr}");
    let result = &report["result"];
    assert_eq!(result["insufficient_data"], false);
    assert_eq!(result["rows"]["needed"], 700);
    assert_eq!(result["rows"]["train"], 2358);
}

#[test]
fn dry_run_touches_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("cand");
    let (code, stdout, stderr) = run(&strs(&train_args(&out, &["--dry-run"])));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("would train a binary gbm model on 2358 rows"),
        "{stdout}"
    );
    assert!(!out.exists());
    assert_eq!(strays(tmp.path(), &[]), Vec::<String>::new());
}

/// A small CSV with `ts`, `x`, `cat`, `y` whose rows can be broken one way at a time.
fn small_csv(dir: &Path, name: &str, row: impl Fn(usize) -> String) -> String {
    let mut text = String::from("ts,x,cat,y\n");
    for i in 0..40 {
        text.push_str(&row(i));
        text.push('\n');
    }
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

fn day(i: usize) -> String {
    format!("2026-10-{:02}", 1 + i % 20)
}

fn train_small(data: &str, out: &Path, extra: &[&str]) -> (i32, String) {
    let mut args = vec![
        "train-candidate",
        "--data",
        data,
        "--target",
        "y",
        "--time",
        "ts",
        "--out",
    ];
    let out = out.display().to_string();
    args.push(&out);
    if !extra.contains(&"--min-rows") {
        args.extend(["--min-rows", "10"]);
    }
    args.extend(extra);
    let (code, _, stderr) = run(&args);
    (code, stderr)
}

#[test]
fn bad_inputs_are_errors_that_write_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let out = dir.join("cand");
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "one_class.csv",
            small_csv(dir, "one_class.csv", |i| format!("{},{i},a,0", day(i))),
            "all have class 0",
        ),
        (
            "null_target.csv",
            small_csv(dir, "null_target.csv", |i| {
                let y = if i % 10 == 3 {
                    String::new()
                } else {
                    (i % 2).to_string()
                };
                format!("{},{i},a,{y}", day(i))
            }),
            "4 rows have no value; pass --drop-null-target",
        ),
        (
            "empty_feature.csv",
            small_csv(dir, "empty_feature.csv", |i| {
                format!("{},,a,{}", day(i), i % 2)
            }),
            "x have no values in any training row",
        ),
        (
            "bad_time.csv",
            small_csv(dir, "bad_time.csv", |i| {
                let ts = if i == 7 {
                    "last tuesday".to_string()
                } else {
                    day(i)
                };
                format!("{ts},{i},a,{}", i % 2)
            }),
            "1 rows are not timestamps",
        ),
        (
            "one_day.csv",
            small_csv(dir, "one_day.csv", |i| {
                format!("2026-10-01,{i},a,{}", i % 2)
            }),
            "share their timestamp",
        ),
    ];
    for (name, path, expected) in &cases {
        let (code, stderr) = train_small(path, &out, &[]);
        assert_eq!(code, 1, "{name}: {stderr}");
        assert!(stderr.contains(expected), "{name}: {stderr}");
        assert!(!out.exists(), "{name} left a model directory");
    }
    let mut expected: Vec<&str> = cases.iter().map(|(n, _, _)| *n).collect();
    expected.sort();
    assert_eq!(strays(dir, &expected), Vec::<String>::new());

    // Too few rows is a WARN even when those rows could not be split or have one class.
    for (name, path, _) in &cases {
        if *name == "one_class.csv" || *name == "one_day.csv" {
            let (code, stderr) = train_small(path, &out, &["--min-rows", "1000"]);
            assert_eq!(code, 0, "{name}: {stderr}");
            assert!(!out.exists());
        }
    }

    // Nulls in the target are dropped on request, and counted.
    let (code, stderr) = train_small(&cases[1].1, &out, &["--drop-null-target"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        read_json(&out.join("metadata.json"))["rows"]["dropped_null_target"],
        4
    );

    // An existing --out is not replaced without --force.
    let (code, stderr) = train_small(&cases[1].1, &out, &["--drop-null-target"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("already exists"), "{stderr}");
    let (code, stderr) = train_small(&cases[1].1, &out, &["--drop-null-target", "--force"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        strays(dir, &[&expected[..], &["cand"]].concat()),
        Vec::<String>::new()
    );
}

#[test]
fn predict_counts_unknown_categories_and_checks_the_model_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("cand");
    let (code, _, stderr) = run(&strs(&train_args(&out, &[])));
    assert_eq!(code, 0, "{stderr}");
    let model = out.display().to_string();
    let preds = tmp.path().join("today.csv").display().to_string();
    let today = fixture("train/today.parquet");
    let (code, report, stderr) = run_json(&[
        "predict", "--model", &model, "--data", &today, "--out", &preds,
    ]);
    assert_eq!(code, 0, "{stderr}");
    let unknown = &report["result"]["unknown_categories"]["region"];
    // make_fixtures.py draws "antarctica" for about a sixth of today's 400 rows.
    let antarctica = {
        let frame = read_parquet(Path::new(&today));
        strings(&frame, "region")
            .iter()
            .filter(|r| r.as_str() == "antarctica")
            .count() as u64
    };
    assert!(antarctica > 0);
    assert_eq!(unknown["count"].as_u64().unwrap(), antarctica);
    let csv = std::fs::read_to_string(&preds).unwrap();
    assert!(csv.starts_with("score,prediction\n"));
    assert_eq!(csv.lines().count(), 401);

    // A missing feature column names the column and the file.
    let partial = tmp.path().join("partial.csv");
    std::fs::write(&partial, "tenure_months,region\n3,north\n").unwrap();
    let (code, _, stderr) = run(&[
        "predict",
        "--model",
        &model,
        "--data",
        &partial.display().to_string(),
        "--out",
        &preds,
    ]);
    assert_eq!(code, 1);
    assert!(stderr.contains("`monthly_usage` not found in"), "{stderr}");

    // A categorical read back with another type would match no category: refused.
    let retyped = tmp.path().join("retyped.csv");
    std::fs::write(
        &retyped,
        "tenure_months,monthly_usage,support_calls,discount,region\n3,40,1,0.1,1\n",
    )
    .unwrap();
    let (code, _, stderr) = run(&[
        "predict",
        "--model",
        &model,
        "--data",
        &retyped.display().to_string(),
        "--out",
        &preds,
    ]);
    assert_eq!(code, 1);
    assert!(stderr.contains("categorical feature `region`"), "{stderr}");

    // metadata.json that disagrees with model.json is refused.
    let meta_path = out.join("metadata.json");
    let mut meta = read_json(&meta_path);
    meta["features"].as_array_mut().unwrap().reverse();
    std::fs::write(&meta_path, serde_json::to_string(&meta).unwrap()).unwrap();
    let (code, _, stderr) = run(&[
        "predict", "--model", &model, "--data", &today, "--out", &preds,
    ]);
    assert_eq!(code, 1);
    assert!(stderr.contains("inconsistent"), "{stderr}");
}

#[test]
fn external_trainer_output_is_validated_and_described() {
    let tmp = tempfile::tempdir().unwrap();
    // A first candidate supplies a realistic holdout.parquet for the "external" trainer.
    let source = tmp.path().join("source");
    let (code, _, stderr) = run(&strs(&train_args(&source, &[])));
    assert_eq!(code, 0, "{stderr}");
    let holdout = source.join("holdout.parquet").display().to_string();

    let out = tmp.path().join("external");
    let command = format!(
        "echo training on {{data}} >&2; cp '{holdout}' {{out}}/holdout.parquet && echo weights > {{out}}/weights.bin"
    );
    let (code, _, stderr) = run(&strs(&train_args(&out, &["--command", &command])));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("training on"),
        "the trainer's output is streamed: {stderr}"
    );
    let meta = read_json(&out.join("metadata.json"));
    assert_eq!(meta["trainer"]["model"], "external");
    assert_eq!(meta["trainer"]["command"], command.as_str());
    let source_meta = read_json(&source.join("metadata.json"));
    assert_eq!(
        meta["holdout_metrics"]["roc_auc"],
        source_meta["holdout_metrics"]["roc_auc"]
    );
    assert!(out.join("profile.json").exists());

    // refit cannot score what it did not train.
    let (code, _, stderr) = run(&[
        "predict",
        "--model",
        &out.display().to_string(),
        "--data",
        &churn(),
        "--out",
        &tmp.path().join("p.parquet").display().to_string(),
    ]);
    assert_eq!(code, 1);
    assert!(stderr.contains("external command"), "{stderr}");

    // A trainer that held out other rows than refit's cutoff is refused (its metrics would
    // include rows it trained on).
    let wide = tmp.path().join("wide");
    let (code, _, stderr) = run(&strs(&train_args(&wide, &["--holdout", "0.5"])));
    assert_eq!(code, 0, "{stderr}");
    let wide_holdout = wide.join("holdout.parquet").display().to_string();
    let leaky = tmp.path().join("leaky");
    let command =
        format!("cp '{wide_holdout}' {{out}}/holdout.parquet && echo w > {{out}}/weights.bin");
    let (code, _, stderr) = run(&strs(&train_args(&leaky, &["--command", &command])));
    assert_eq!(code, 1);
    assert!(stderr.contains("before refit's cutoff"), "{stderr}");
    assert!(!leaky.exists());
    std::fs::remove_dir_all(&wide).unwrap();

    // A failing command: exit 1, its status and stderr quoted, nothing left behind.
    let failed = tmp.path().join("failed");
    let (code, _, stderr) = run(&strs(&train_args(
        &failed,
        &["--command", "echo CUDA out of memory >&2; exit 7"],
    )));
    assert_eq!(code, 1);
    assert!(
        stderr.contains("exit status 7") && stderr.contains("CUDA out of memory"),
        "{stderr}"
    );
    // A command that leaves no holdout.
    let (code, _, stderr) = run(&strs(&train_args(
        &failed,
        &["--command", "echo x > {out}/model.bin"],
    )));
    assert_eq!(code, 1);
    assert!(stderr.contains("no holdout.parquet"), "{stderr}");
    // A command that outlives --timeout.
    let (code, _, stderr) = run(&strs(&train_args(
        &failed,
        &["--command", "sleep 30", "--timeout", "1s"],
    )));
    assert_eq!(code, 1);
    assert!(stderr.contains("did not finish within 1s"), "{stderr}");
    assert!(!failed.exists());
    assert_eq!(
        strays(tmp.path(), &["source", "external"]),
        Vec::<String>::new()
    );
}

#[test]
fn force_onto_a_regular_file_replaces_it_and_leaves_nothing_behind() {
    let w = common::Workdir::new();
    std::fs::write(w.path("cand"), "not a model").unwrap();
    let (data, out) = (fixture("train/churn.parquet"), w.path("cand"));
    w.run(&[
        "train-candidate",
        "--data",
        &data,
        "--target",
        "churned",
        "--time",
        "event_time",
        "--features",
        "tenure_months",
        "--model",
        "linear",
        "--out",
        &out,
        "--force",
    ])
    .assert_exit(0);
    assert_eq!(
        w.files(),
        vec!["cand".to_string()],
        "no .refit-tmp-* may be left"
    );
    assert!(w.exists("cand/metadata.json"));
}

// Training windows and entity hygiene (issue 16): --since, --window, --max-rows, silent
// entities, per-entity minimums and --entity-policy, through the real binary.

fn fleet_history() -> String {
    fixture("loop/fleet/history.parquet")
}

/// Seed 001's fleet over weeks: the history, then week 2 with all 40 servers and week 6 with
/// 24 of them, so 16 servers have been silent for about 33 days.
fn fleet_weeks() -> Vec<String> {
    vec![
        fleet_history(),
        fixture("loop/fleet-weeks/week2.parquet"),
        fixture("loop/fleet-weeks/week6.parquet"),
    ]
}

/// train-candidate on `data` (server telemetry, `failed_24h` by `ts`, entity `server_id`) into
/// `out`, with `--format json` and `extra` flags.
fn fleet_run(w: &common::Workdir, data: &[String], out: &str, extra: &[&str]) -> common::Run {
    let mut args = vec!["train-candidate"];
    for file in data {
        args.extend(["--data", file.as_str()]);
    }
    args.extend([
        "--target",
        "failed_24h",
        "--time",
        "ts",
        "--entity",
        "server_id",
        "--exclude",
        "server_id",
        "--model",
        "linear",
        "--format",
        "json",
        "--out",
    ]);
    let out = w.path(out);
    args.push(&out);
    args.extend(extra);
    w.run(&args)
}

/// A column of text (the fixtures' ISO timestamps and server ids) over several files.
fn text_column(files: &[String], column: &str) -> Vec<String> {
    files
        .iter()
        .flat_map(|f| strings(&read_parquet(Path::new(f)), column))
        .collect()
}

/// `time` (the fixtures' `%Y-%m-%dT%H:%M:%SZ`) moved back by `days`, in the same format.
fn days_before(time: &str, days: i64) -> String {
    let t = chrono::DateTime::parse_from_rfc3339(time).unwrap() - chrono::Duration::days(days);
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

#[test]
fn a_window_trains_on_the_latest_days_and_records_them() {
    let w = common::Workdir::new();
    let times = text_column(&[fleet_history()], "ts");
    let latest = times.iter().max().unwrap().clone();
    let start = days_before(&latest, 10);
    let expected = times.iter().filter(|t| **t >= start).count();
    assert!(expected > 500 && expected < times.len(), "{expected}");

    let run = fleet_run(&w, &[fleet_history()], "cand", &["--window", "10d"]);
    run.assert_exit(0);
    let result = &run.json()["result"];
    let rows = &result["rows"];
    assert_eq!(rows["usable"], times.len());
    assert_eq!(rows["selected"], expected);
    assert_eq!(rows["outside_window"], times.len() - expected);
    let split = rows["train"].as_u64().unwrap() + rows["holdout"].as_u64().unwrap();
    assert_eq!(split as usize, expected);
    let window = &result["training_window"];
    assert_eq!(window["requested"], serde_json::json!({ "window": "10d" }));
    assert_eq!(window["data_start"], start.as_str());
    assert_eq!(window["data_end"], latest.as_str());

    // metadata.json keeps the split's bounds and adds the window; profile.json covers it.
    let out = Path::new(&w.path("cand")).to_path_buf();
    let meta = read_json(&out.join("metadata.json"));
    let recorded = &meta["training_window"];
    assert_eq!(recorded["requested"]["window"], "10d");
    assert_eq!(recorded["data_start"], start.as_str());
    assert!(recorded["train_start"].as_str().unwrap() >= start.as_str());
    assert!(recorded["holdout_start"].is_string() && recorded["holdout_end"].is_string());
    assert_eq!(meta["rows"]["train"], rows["train"]);
    assert_eq!(read_json(&out.join("profile.json"))["rows"], expected);
}

#[test]
fn since_keeps_the_rows_at_or_after_it() {
    let w = common::Workdir::new();
    let times = text_column(&[fleet_history()], "ts");
    let expected = times
        .iter()
        .filter(|t| t.as_str() >= "2026-10-20T00:00:00Z")
        .count();
    let run = fleet_run(
        &w,
        &[fleet_history()],
        "cand",
        &["--since", "2026-10-20", "--dry-run"],
    );
    run.assert_exit(0);
    let result = &run.json()["result"];
    assert_eq!(result["rows"]["selected"], expected);
    let window = &result["training_window"];
    assert_eq!(window["requested"]["since"], "2026-10-20T00:00:00Z");
    assert_eq!(window["data_start"], "2026-10-20T00:00:00Z");
    assert!(window["train_start"].as_str().unwrap() >= "2026-10-20T00:00:00Z");
    assert!(!w.exists("cand"));
}

#[test]
fn max_rows_keeps_the_most_recent_rows() {
    let w = common::Workdir::new();
    let mut times = text_column(&[fleet_history()], "ts");
    times.sort_unstable_by(|a, b| b.cmp(a));
    // The 700th most recent row is the oldest kept (the fixture's times do not tie there).
    assert_ne!(times[699], times[700]);
    let run = fleet_run(
        &w,
        &[fleet_history()],
        "cand",
        &["--max-rows", "700", "--dry-run"],
    );
    run.assert_exit(0);
    let result = &run.json()["result"];
    assert_eq!(result["rows"]["selected"], 700);
    assert_eq!(result["rows"]["outside_window"], times.len() - 700);
    let window = &result["training_window"];
    assert_eq!(window["requested"], serde_json::json!({ "max_rows": 700 }));
    assert_eq!(window["data_start"], times[699].as_str());
    assert_eq!(window["train_start"], times[699].as_str());
    // The text output says what the window did.
    let text = w.run(&[
        "train-candidate",
        "--data",
        &fleet_history(),
        "--target",
        "failed_24h",
        "--time",
        "ts",
        "--exclude",
        "server_id",
        "--out",
        &w.path("cand"),
        "--max-rows",
        "700",
        "--dry-run",
    ]);
    text.assert_exit(0);
    assert!(
        text.stdout.contains(&format!(
            "  selected 700 of 3000 usable rows: 2300 outside the window (--max-rows 700: {} to ",
            times[699]
        )),
        "{}",
        text.stdout
    );
}

#[test]
fn too_few_rows_in_the_window_is_insufficient_data() {
    let w = common::Workdir::new();
    let run = fleet_run(&w, &[fleet_history()], "cand", &["--window", "2d"]);
    run.assert_exit(0);
    let report = run.json();
    assert_eq!(report["status"], "WARN");
    let result = &report["result"];
    assert_eq!(result["insufficient_data"], true);
    let selected = result["rows"]["selected"].as_u64().unwrap();
    assert!(selected > 0 && selected < 500, "{result}");
    assert_eq!(result["rows"]["usable"], 3000);
    assert_eq!(result["rows"]["needed"], 500);
    assert!(result["rows"].get("train").is_none(), "{result}");
    // No split, but the window asked for is still reported.
    assert_eq!(result["training_window"]["requested"]["window"], "2d");
    assert!(result["training_window"].get("train_start").is_none());
    assert!(report["messages"][0]
        .as_str()
        .unwrap()
        .contains(&format!("insufficient data: {selected} selected rows")));
    assert!(!w.exists("cand"));
    assert_eq!(w.files(), Vec::<String>::new());
}

#[test]
fn silent_entities_leave_the_rows_and_the_vocabulary_and_are_listed() {
    let w = common::Workdir::new();
    let data = fleet_weeks();
    let run = fleet_run(&w, &data, "cand", &["--drop-entities-silent-for", "30d"]);
    run.assert_exit(0);
    let result = &run.json()["result"];
    let entities = &result["entities"];
    assert_eq!(entities["column"], "server_id");
    assert_eq!(entities["policy"], "drop");
    assert_eq!(entities["kept"], 24);
    let dropped = entities["dropped"].as_array().unwrap();
    assert_eq!(dropped.len(), 16);
    let names: Vec<&str> = dropped
        .iter()
        .map(|d| d["entity"].as_str().unwrap())
        .collect();
    assert_eq!(names[0], "srv-000");
    for d in dropped {
        let reason = d["reason"].as_str().unwrap();
        assert!(
            reason.starts_with("silent for 33") && reason.ends_with("days (>= 30d)"),
            "{reason}"
        );
    }
    // Every row of those servers is left out; the window flags are not given.
    let servers = text_column(&data, "server_id");
    let silent_rows = servers
        .iter()
        .filter(|s| names.contains(&s.as_str()))
        .count();
    assert_eq!(result["rows"]["from_dropped_entities"], silent_rows);
    assert_eq!(result["rows"]["selected"], servers.len() - silent_rows);
    assert!(result["rows"].get("outside_window").is_none());
    assert!(result
        .get("training_window")
        .unwrap()
        .get("requested")
        .is_none());

    let meta = read_json(&Path::new(&w.path("cand")).join("metadata.json"));
    let vocabulary: Vec<&str> = meta["vocabularies"]["server_id"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(vocabulary.len(), 24);
    assert!(names.iter().all(|n| !vocabulary.contains(n)));
}

/// A small fleet as CSV: s1 reports daily for 30 days, s2 five days only, s3 30 days with an
/// 8-day hole; `x` carries the label's signal.
fn small_fleet(w: &common::Workdir) -> String {
    let mut text = String::from("ts,server,x,y\n");
    let days = [
        ("s1", (1..=30).collect::<Vec<u32>>()),
        ("s2", (25..=29).collect()),
        ("s3", (1..=12).chain(21..=30).collect()),
    ];
    for (server, days) in days {
        for (i, d) in days.iter().enumerate() {
            let y = i % 2;
            let x = y as f64 + 0.1 * (i % 3) as f64;
            text.push_str(&format!("2026-10-{d:02}T06:00:00Z,{server},{x},{y}\n"));
        }
    }
    std::fs::write(w.path("fleet.csv"), text).unwrap();
    w.path("fleet.csv")
}

fn small_fleet_run(w: &common::Workdir, extra: &[&str]) -> common::Run {
    let data = small_fleet(w);
    let out = w.path("cand");
    let mut args = vec![
        "train-candidate",
        "--data",
        &data,
        "--target",
        "y",
        "--time",
        "ts",
        "--entity",
        "server",
        "--model",
        "linear",
        "--min-rows",
        "10",
        "--out",
        &out,
        "--min-entity-rows",
        "10",
        "--min-entity-history",
        "7d",
        "--max-entity-gap",
        "3d",
    ];
    args.extend(extra);
    w.run(&args)
}

#[test]
fn entities_below_the_minimums_are_dropped_with_their_reasons() {
    let w = common::Workdir::new();
    let run = small_fleet_run(&w, &["--format", "json"]);
    run.assert_exit(0);
    let result = &run.json()["result"];
    assert_eq!(
        result["entities"]["dropped"],
        serde_json::json!([
            { "entity": "s2", "reason": "5 rows (< 10); history of 4 days (< 7d)" },
            { "entity": "s3", "reason": "gap of 9 days (> 3d)" },
        ])
    );
    assert!(result["entities"].get("failed").is_none());
    assert_eq!(result["entities"]["kept"], 1);
    assert_eq!(result["rows"]["from_dropped_entities"], 5 + 22);
    assert_eq!(result["rows"]["selected"], 30);
    let meta = read_json(&Path::new(&w.path("cand")).join("metadata.json"));
    assert_eq!(meta["vocabularies"]["server"], serde_json::json!(["s1"]));
}

#[test]
fn entity_policy_fail_is_a_fail_verdict_that_writes_nothing() {
    let w = common::Workdir::new();
    let report = w.path("report.json");
    let run = small_fleet_run(&w, &["--entity-policy", "fail", "--report", &report]);
    run.assert_exit(2);
    assert!(
        run.stdout.starts_with(
            "train-candidate FAIL: 2 entities of `server` fall short of the per-entity \
             minimums (--entity-policy fail): s2 (5 rows (< 10); history of 4 days (< 7d)), \
             s3 (gap of 9 days (> 3d)); nothing written\n"
        ),
        "{}",
        run.stdout
    );
    assert!(!w.exists("cand"));
    assert_eq!(w.files(), ["fleet.csv", "report.json"]);
    let report = read_json(Path::new(&report));
    assert_eq!(report["status"], "FAIL");
    assert_eq!(report["exit_code"], 2);
    let entities = &report["result"]["entities"];
    assert_eq!(entities["policy"], "fail");
    assert_eq!(entities["dropped"], serde_json::json!([]));
    let failed: Vec<&str> = entities["failed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["entity"].as_str().unwrap())
        .collect();
    assert_eq!(failed, ["s2", "s3"]);
    // A dry run reaches the same verdict.
    small_fleet_run(&w, &["--entity-policy", "fail", "--dry-run"]).assert_exit(2);
    // With nothing below the minimums, fail trains as drop would.
    w.run(&[
        "train-candidate",
        "--data",
        &w.path("fleet.csv"),
        "--target",
        "y",
        "--time",
        "ts",
        "--entity",
        "server",
        "--model",
        "linear",
        "--min-rows",
        "10",
        "--out",
        &w.path("cand"),
        "--min-entity-rows",
        "5",
        "--entity-policy",
        "fail",
    ])
    .assert_exit(0);
}

#[test]
fn window_and_entity_flags_are_checked_before_anything_is_read() {
    let w = common::Workdir::new();
    let both = fleet_run(
        &w,
        &[fleet_history()],
        "cand",
        &["--window", "7d", "--since", "2026-10-01"],
    );
    both.assert_exit(1);
    assert!(
        both.stderr.contains("--window") && both.stderr.contains("--since"),
        "{}",
        both.stderr
    );
    for (flag, value) in [
        ("--drop-entities-silent-for", "30d"),
        ("--min-entity-rows", "1000"),
        ("--min-entity-history", "7d"),
        ("--max-entity-gap", "2d"),
        ("--entity-policy", "fail"),
    ] {
        let run = w.run(&[
            "train-candidate",
            "--data",
            &fleet_history(),
            "--target",
            "failed_24h",
            "--time",
            "ts",
            "--out",
            &w.path("cand"),
            flag,
            value,
        ]);
        run.assert_exit(1);
        assert!(
            run.stderr.contains("--entity <COL>"),
            "{flag}: {}",
            run.stderr
        );
    }
    for (flag, value) in [
        ("--max-rows", "0"),
        ("--window", "0"),
        ("--since", "last week"),
        ("--min-entity-rows", "0"),
        ("--entity-policy", "keep"),
    ] {
        let run = fleet_run(&w, &[fleet_history()], "cand", &[flag, value]);
        run.assert_exit(1);
        assert!(run.stderr.contains(flag), "{flag}: {}", run.stderr);
    }
    assert_eq!(w.files(), Vec::<String>::new());
}

#[test]
fn an_external_trainer_reads_exactly_the_selected_rows() {
    let w = common::Workdir::new();
    let seen = w.path("seen.parquet");
    // The trainer keeps a copy of {data} and fails, so the copy is all that is left.
    let command = format!("cp {{data}} '{seen}'; exit 3");
    let run = fleet_run(
        &w,
        &fleet_weeks(),
        "cand",
        &[
            "--window",
            "30d",
            "--drop-entities-silent-for",
            "30d",
            "--command",
            &command,
        ],
    );
    run.assert_exit(1);
    assert!(run.stderr.contains("exit status 3"), "{}", run.stderr);
    let dry = fleet_run(
        &w,
        &fleet_weeks(),
        "cand",
        &[
            "--window",
            "30d",
            "--drop-entities-silent-for",
            "30d",
            "--dry-run",
        ],
    );
    dry.assert_exit(0);
    let selected = dry.json()["result"]["rows"]["selected"].as_u64().unwrap();
    let frame = read_parquet(Path::new(&seen));
    assert_eq!(frame.height() as u64, selected);
    // Every column of the input, the excluded server_id too, and no silent server.
    let columns: Vec<String> = frame
        .get_column_names()
        .iter()
        .map(|c| c.to_string())
        .collect();
    assert_eq!(
        columns,
        [
            "server_id",
            "ts",
            "cpu",
            "mem",
            "temp_c",
            "errors",
            "failed_24h"
        ]
    );
    assert!(strings(&frame, "server_id")
        .iter()
        .all(|s| s.as_str() >= "srv-016"));
    // The temp directory that held the file is gone with the failed run.
    assert_eq!(w.files(), ["seen.parquet"]);
}
