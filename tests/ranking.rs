//! Ranking metrics end to end: score-proxy with --group on the recommendations and graded
//! outcomes fixtures/ranking/make_golden.py writes, against the values ranx, trec_eval and
//! scikit-learn give for the same rows (fixtures/ranking/golden.json, case random_users).

mod common;

use common::{fixture, run, run_json, Workdir};
use serde_json::Value;

fn golden_metrics() -> Value {
    let text = std::fs::read_to_string(fixture("ranking/golden.json")).unwrap();
    let golden: Value = serde_json::from_str(&text).unwrap();
    golden["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "random_users")
        .unwrap()
        .clone()
}

fn proxy_args<'a>(label: &'a [&'a str], metric: &'a str) -> Vec<&'a str> {
    let mut args = vec![
        "score-proxy",
        "--on",
        "user_id,item_id",
        "--group",
        "user_id",
        "--score",
        "score",
        "--metric",
        metric,
    ];
    args.extend_from_slice(label);
    args
}

fn with_inputs(
    mut args: Vec<&str>,
    predictions: &'static str,
    outcomes: &'static str,
) -> Vec<String> {
    let mut all: Vec<String> = args.drain(..).map(String::from).collect();
    all.extend([
        "--predictions".into(),
        fixture(predictions),
        "--outcomes".into(),
        fixture(outcomes),
    ]);
    all
}

fn strs(args: &[String]) -> Vec<&str> {
    args.iter().map(String::as_str).collect()
}

#[test]
fn graded_relevance_equals_ranx_trec_eval_and_sklearn() {
    let golden = golden_metrics();
    for k in ["5", "10"] {
        let metric = format!("ndcg_at_{k}");
        let args = with_inputs(
            proxy_args(&["--label", "grade", "--task", "regression"], &metric),
            "ranking/predictions.csv",
            "ranking/outcomes.csv",
        );
        let (code, report, stderr) = run_json(&strs(&args));
        assert_eq!(code, 0, "{stderr}");
        let metrics = &report["result"]["metrics"];
        for kind in ["precision", "recall", "ndcg", "map", "hit_rate", "mrr"] {
            let name = format!("{kind}_at_{k}");
            let got = metrics[&name].as_f64().unwrap();
            let want = golden["metrics"][&name].as_f64().unwrap();
            assert!((got - want).abs() < 1e-12, "{name}: {got} vs {want}");
        }
        let mrr = metrics["mrr"].as_f64().unwrap();
        assert!((mrr - golden["metrics"]["mrr"].as_f64().unwrap()).abs() < 1e-12);
        assert_eq!(
            metrics["groups_without_relevant"],
            golden["groups_without_relevant"]
        );
        assert_eq!(metrics["groups_evaluated"], golden["groups_evaluated"]);
        assert_eq!(metrics["groups"], 40);
    }
}

/// Binary relevance (a rule over the grade): every metric but NDCG only asks "relevant or
/// not", so they equal the graded golden values; NDCG's gains become 1.
#[test]
fn binary_relevance_from_a_label_rule() {
    let golden = golden_metrics();
    let args = with_inputs(
        proxy_args(&["--label-rule", "grade > 0"], "precision_at_10"),
        "ranking/predictions.csv",
        "ranking/outcomes.csv",
    );
    let (code, report, stderr) = run_json(&strs(&args));
    assert_eq!(code, 0, "{stderr}");
    let metrics = &report["result"]["metrics"];
    for name in [
        "precision_at_10",
        "recall_at_10",
        "map_at_10",
        "hit_rate_at_10",
        "mrr",
    ] {
        let got = metrics[name].as_f64().unwrap();
        let want = golden["metrics"][name].as_f64().unwrap();
        assert!((got - want).abs() < 1e-12, "{name}: {got} vs {want}");
    }
    let ndcg = metrics["ndcg_at_10"].as_f64().unwrap();
    assert!(ndcg != golden["metrics"]["ndcg_at_10"].as_f64().unwrap());
}

/// Seed 003's gate: keep the old model when precision@10 falls; a drop beyond --max-drop is
/// FAIL (exit 2) and the metrics file carries each ranking metric and the skipped groups.
#[test]
fn a_precision_drop_beyond_the_limit_fails() {
    let w = Workdir::new();
    std::fs::write(w.path("baseline.json"), r#"{"precision_at_10": 0.40}"#).unwrap();
    let mut args = with_inputs(
        proxy_args(
            &["--label", "grade", "--task", "regression"],
            "precision_at_10",
        ),
        "ranking/predictions.csv",
        "ranking/outcomes.csv",
    );
    args.extend([
        "--baseline-metrics".into(),
        w.path("baseline.json"),
        "--max-drop".into(),
        "0.05".into(),
        "--metrics-file".into(),
        w.path("m.prom"),
        "--min-samples".into(),
        "10".into(),
    ]);
    let (code, stdout, stderr) = run(&strs(&args));
    assert_eq!(code, 2, "{stdout}{stderr}");
    assert!(stdout.contains("precision_at_10 dropped by"), "{stdout}");
    assert!(
        stdout.contains("groups: 36 ranked, 4 without a relevant item"),
        "{stdout}"
    );
    let metrics = w.read("m.prom");
    assert!(
        metrics.contains("refit_score_proxy_metric{metric=\"ndcg_at_10\"}"),
        "{metrics}"
    );
    assert!(
        metrics.contains("refit_score_proxy_groups_without_relevant 4"),
        "{metrics}"
    );
}

#[test]
fn ranking_metrics_and_groups_go_together() {
    let base = [
        "--predictions",
        "x.csv",
        "--outcomes",
        "y.csv",
        "--on",
        "user_id",
        "--label",
        "grade",
    ];
    let (code, _, stderr) =
        run(&[&["score-proxy"][..], &base, &["--metric", "ndcg_at_10"]].concat());
    assert_eq!(code, 1);
    assert!(
        stderr.contains("is a ranking metric: pass --group COL"),
        "{stderr}"
    );
    let (code, _, stderr) = run(&[
        &["score-proxy"][..],
        &base,
        &["--group", "user_id", "--metric", "roc_auc"],
    ]
    .concat());
    assert_eq!(code, 1);
    assert!(stderr.contains("choose a ranking metric"), "{stderr}");
    let (code, _, stderr) = run(&[
        &["score-proxy"][..],
        &base,
        &["--group", "user_id", "--metric", "precision"],
    ]
    .concat());
    assert_eq!(code, 1, "precision needs a k with --group");
    assert!(stderr.contains("precision_at_K"), "{stderr}");
}

#[test]
fn negative_grades_and_rows_without_a_group_are_refused() {
    let w = Workdir::new();
    std::fs::write(
        w.path("p.csv"),
        "user_id,item_id,score\nu1,a,0.9\nu1,b,0.1\n,c,0.5\n",
    )
    .unwrap();
    std::fs::write(
        w.path("o.csv"),
        "user_id,item_id,grade\nu1,a,1\nu1,b,0\n,c,0\n",
    )
    .unwrap();
    let args = |p: &str, o: &str| -> Vec<String> {
        let mut args: Vec<String> =
            proxy_args(&["--label", "grade", "--task", "regression"], "ndcg_at_3")
                .into_iter()
                .map(String::from)
                .collect();
        args.extend([
            "--predictions".into(),
            w.path(p),
            "--outcomes".into(),
            w.path(o),
        ]);
        args
    };
    let (code, _, stderr) = run(&strs(&args("p.csv", "o.csv")));
    assert_eq!(code, 1);
    assert!(
        stderr.contains("1 prediction rows have no value in the group column `user_id`"),
        "{stderr}"
    );
    std::fs::write(
        w.path("p.csv"),
        "user_id,item_id,score\nu1,a,0.9\nu1,b,0.1\n",
    )
    .unwrap();
    std::fs::write(w.path("o.csv"), "user_id,item_id,grade\nu1,a,1\nu1,b,-1\n").unwrap();
    let (code, _, stderr) = run(&strs(&args("p.csv", "o.csv")));
    assert_eq!(code, 1);
    assert!(
        stderr.contains("graded relevance for ranking metrics must be >= 0"),
        "{stderr}"
    );
    assert!(stderr.contains("o.csv"), "names the file: {stderr}");
}

/// shadow-test --group on the golden users: the champion scores as in the golden case, the
/// challenger ranks every relevant item first. Binary relevance (label > 0), so every metric
/// but NDCG equals the golden value for the champion.
fn shadow_data(w: &Workdir) -> String {
    let golden = golden_metrics();
    let mut csv = String::from("user_id,churned,champion_score,challenger_score,ts\n");
    let rows = golden["groups"].as_array().unwrap().len();
    for i in 0..rows {
        let relevant = golden["relevance"][i].as_f64().unwrap() > 0.0;
        let score = golden["scores"][i].as_f64().unwrap();
        let perfect = if relevant { 0.9 } else { 0.1 } + score / 100.0;
        csv.push_str(&format!(
            "{},{},{score},{perfect},2026-11-{:02}\n",
            golden["groups"][i].as_str().unwrap(),
            u8::from(relevant),
            1 + i % 20
        ));
    }
    let path = w.path("impressions.csv");
    std::fs::write(&path, csv).unwrap();
    path
}

fn shadow_args(data: &str, extra: &[&str]) -> Vec<String> {
    let mut args: Vec<String> = [
        "shadow-test",
        "--champion",
        &fixture("shadow/champion"),
        "--challenger",
        &fixture("shadow/challenger"),
        "--data",
        data,
        "--label",
        "churned",
        "--champion-scores",
        "champion_score",
        "--challenger-scores",
        "challenger_score",
        "--group",
        "user_id",
        "--min-samples",
        "50",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

#[test]
fn shadow_test_ranks_per_group_and_bootstraps_over_groups() {
    let w = Workdir::new();
    let data = shadow_data(&w);
    let golden = golden_metrics();
    let args = shadow_args(&data, &["--metric", "precision_at_5", "--bootstrap", "300"]);
    let (code, report, stderr) = run_json(&strs(&args));
    assert_eq!(code, 0, "{stderr}");
    let r = &report["result"];
    assert_eq!(r["verdict"], "PASS");
    for name in [
        "precision_at_5",
        "recall_at_5",
        "map_at_5",
        "hit_rate_at_5",
        "mrr",
    ] {
        let got = r["champion"]["metrics"][name].as_f64().unwrap();
        let want = golden["metrics"][name].as_f64().unwrap();
        assert!(
            (got - want).abs() < 1e-12,
            "champion {name}: {got} vs {want}"
        );
    }
    assert_eq!(r["challenger"]["metrics"]["ndcg_at_5"], 1.0);
    assert_eq!(r["challenger"]["metrics"]["groups_evaluated"], 36);
    assert_eq!(r["challenger"]["metrics"]["groups_without_relevant"], 4);
    let bootstrap = &r["bootstrap"];
    assert_eq!(bootstrap["resamples"], 300);
    let low = bootstrap["improvement_low"].as_f64().unwrap();
    let observed = r["comparison"]["improvement"].as_f64().unwrap();
    assert!(low > 0.0 && low <= observed, "{bootstrap}");
    assert!(
        r["delong"].is_null(),
        "DeLong is a row-level classifier test"
    );
}

/// Seed 003's gate as a floor: the challenger must reach precision@10 >= the floor.
#[test]
fn a_ranking_floor_fails_a_challenger_below_it() {
    let w = Workdir::new();
    let data = shadow_data(&w);
    let pass = shadow_args(
        &data,
        &["--min-metric", "precision_at_10=0.05", "--bootstrap", "0"],
    );
    let (code, _, stderr) = run_json(&strs(&pass));
    assert_eq!(code, 0, "{stderr}");
    let fail = shadow_args(
        &data,
        &["--min-metric", "precision_at_10=0.9", "--bootstrap", "0"],
    );
    let (code, report, stderr) = run_json(&strs(&fail));
    assert_eq!(code, 2, "{stderr}");
    let reasons = report["result"]["reasons"].to_string();
    assert!(reasons.contains("precision_at_10"), "{reasons}");
    let wrong = shadow_args(&data, &["--min-metric", "pr_auc=0.5"]);
    let (code, _, stderr) = run(&strs(&wrong));
    assert_eq!(code, 1);
    assert!(
        stderr.contains("--min-metric pr_auc: with --group"),
        "{stderr}"
    );
}

/// train-candidate --group: metadata.json's holdout metrics gain ranking metrics, and they are
/// what score-proxy computes from the model's own holdout.parquet (which keeps the group).
#[test]
fn train_candidate_records_holdout_ranking_metrics_score_proxy_agrees_with() {
    let w = Workdir::new();
    let out = w.path("model");
    let (code, _, stderr) = run(&[
        "train-candidate",
        "--data",
        &fixture("loop/recsys/history.parquet"),
        "--target",
        "clicked",
        "--time",
        "ts",
        "--exclude",
        "impression_id,user_id",
        "--id",
        "impression_id",
        "--group",
        "user_id",
        "--out",
        &out,
    ]);
    assert_eq!(code, 0, "{stderr}");
    let metadata: Value =
        serde_json::from_str(&std::fs::read_to_string(format!("{out}/metadata.json")).unwrap())
            .unwrap();
    let holdout = &metadata["holdout_metrics"];
    assert_eq!(holdout["ranking_groups"], 50);
    assert!(holdout["roc_auc"].is_f64(), "the classifier metrics stay");
    assert!(
        !metadata["features"].to_string().contains("user_id"),
        "the group is not a feature"
    );
    let holdout_file = format!("{out}/holdout.parquet");
    let (code, report, stderr) = run_json(&[
        "score-proxy",
        "--predictions",
        &holdout_file,
        "--outcomes",
        &holdout_file,
        "--on",
        "impression_id",
        "--group",
        "user_id",
        "--label",
        "label",
        "--metric",
        "precision_at_10",
        "--baseline-metrics",
        &format!("{out}/metadata.json"),
        "--max-drop",
        "0",
    ]);
    assert_eq!(code, 0, "{stderr}");
    for name in [
        "precision_at_10",
        "ndcg_at_10",
        "map_at_10",
        "mrr",
        "hit_rate_at_10",
    ] {
        let live = report["result"]["metrics"][name].as_f64().unwrap();
        let recorded = holdout[name].as_f64().unwrap();
        assert!(
            (live - recorded).abs() < 1e-12,
            "{name}: {live} vs {recorded}"
        );
    }
    let drop = report["result"]["comparison"]["drop"].as_f64().unwrap();
    assert!(drop.abs() < 1e-12, "{drop}");
}
