//! `refit shadow-test`: champion vs challenger on the same recent labelled rows.

use std::collections::BTreeSet;
use std::path::Path;

use anyhow::{bail, Context, Result};
use chrono::Utc;
use serde_json::{json, Value};

use crate::data::read::LoadedTable;
use crate::data::time::{parse_timestamp, table_timestamps};
use crate::data::Table;
use crate::metrics::bootstrap::{paired_bootstrap, Metric, ScoredModel, DECISION_METRICS};
use crate::metrics::{
    binary_metrics, regression_metrics, BINARY_METRIC_NAMES, REGRESSION_METRIC_NAMES,
};
use crate::model::directory::{model_fingerprint, ModelDir, METADATA_FILE};
use crate::model::encode::encode_features;
use crate::model::Task;
use crate::proxy::label::{binary_labels, finite_values};
use crate::report::output::{CommandReport, Printer};
use crate::report::prometheus::Gauges;
use crate::report::table::render_table;
use crate::report::Status;
use crate::shadow::champion::resolve_champion;
use crate::shadow::decide::{
    compare_with_champion, describe_rule, interval_clears_margin, meets_floor, Tolerance,
};
use crate::shadow::rows::select_recent;
use crate::stats::delong::delong_paired_test;
use crate::stats::mcnemar::mcnemar_test;
use clap::Args;
use serde::Serialize;
use std::path::PathBuf;

pub const EXAMPLES: &str = "\
Examples:
  # the registry's live model vs a fresh candidate on the latest 200 labelled rows
  refit shadow-test --champion /srv/models --challenger candidates/2026-11-23 \\
      --data recent.parquet --label churned --time event_time --last 200 --metric pr_auc

  # seed 002: promote if MAE is worse by at most 10%, and only on solid evidence
  refit shadow-test --champion models/current --challenger cand --data week.parquet \\
      --label kwh --time ts --since 2026-11-16 --metric mae --tolerance-rel 0.10 \\
      --bootstrap 2000 --require-significant

  # scores already in the data (external models), every device must be known to the challenger
  refit shadow-test --champion models/current --challenger cand --data scored.parquet \\
      --label churned --champion-scores old_score --challenger-scores new_score \\
      --entity device_id --min-coverage 1.0

Each model classifies with its own decision threshold (metadata.json; --threshold overrides).
Ties go to the challenger. Fewer rows than --min-samples is FAIL \"insufficient evidence\".
Without a champion (--no-champion, or a registry with no current version) the challenger is
judged against --min-metric floors only; floors apply with a champion too. PASS exits 0, FAIL
exits 2.";

#[derive(Debug, Clone, Args, Serialize)]
pub struct ShadowTestArgs {
    /// The live model: a model directory, or a registry whose current version is used.
    #[arg(
        long,
        value_name = "DIR",
        required_unless_present = "no_champion",
        conflicts_with = "no_champion"
    )]
    pub champion: Option<PathBuf>,
    /// There is no live model yet: judge the challenger against --min-metric floors only.
    #[arg(long)]
    pub no_champion: bool,
    /// The candidate's model directory (from train-candidate).
    #[arg(long, value_name = "DIR")]
    pub challenger: PathBuf,
    /// Recent labelled data: a file or a quoted glob of shards; repeat for several.
    #[arg(long, required = true, value_name = "PATH")]
    pub data: Vec<String>,
    /// Label column: boolean or 0/1 (binary), numbers (regression).
    #[arg(long, value_name = "COL")]
    pub label: String,
    /// Time column for --last and --since.
    #[arg(long, value_name = "COL")]
    pub time: Option<String>,
    /// Use only the N most recent rows by --time.
    #[arg(long, value_name = "N", requires = "time")]
    pub last: Option<usize>,
    /// Use only rows at or after this time (RFC 3339 or YYYY-MM-DD).
    #[arg(long, value_name = "TIME", requires = "time")]
    pub since: Option<String>,
    /// Column holding the champion's scores, instead of scoring with refit (external models).
    #[arg(long, value_name = "COL")]
    pub champion_scores: Option<String>,
    /// Column holding the challenger's scores, instead of scoring with refit.
    #[arg(long, value_name = "COL")]
    pub challenger_scores: Option<String>,
    /// Decision threshold for both models, instead of each model's own.
    #[arg(long, value_name = "X")]
    pub threshold: Option<f64>,
    /// The deciding metric: pr_auc, roc_auc, log_loss, brier, f1, accuracy, precision, recall
    /// (binary); mae, rmse, r2 (regression). Default: pr_auc or mae.
    #[arg(long, value_name = "NAME")]
    pub metric: Option<String>,
    /// How much worse than the champion the challenger may be, in the metric's units.
    #[arg(long, default_value_t = 0.0, value_name = "X")]
    pub tolerance: f64,
    /// ... or as a share of the champion's value (0.10 = 10%).
    #[arg(long, value_name = "X")]
    pub tolerance_rel: Option<f64>,
    /// Paired bootstrap resamples for the 95% interval of the difference (0 = none).
    #[arg(long, default_value_t = 1000, value_name = "N")]
    pub bootstrap: usize,
    /// Seed of the bootstrap.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// PASS also needs the bootstrap interval of the improvement above minus the margin.
    #[arg(long)]
    pub require_significant: bool,
    /// Fewer rows than this is FAIL "insufficient evidence".
    #[arg(long, default_value_t = 100, value_name = "N")]
    pub min_samples: usize,
    /// Entity column whose values must be in the challenger's vocabulary (see --min-coverage).
    #[arg(long, value_name = "COL")]
    pub entity: Option<String>,
    /// Least share of the data's entities the challenger must know (1.0 = all).
    #[arg(long, value_name = "SHARE", requires = "entity")]
    pub min_coverage: Option<f64>,
    /// Floors the challenger must meet, with or without a champion, e.g. pr_auc=0.4
    /// (repeatable; "at least as good as" in the metric's direction).
    #[arg(long, value_name = "NAME=VALUE")]
    pub min_metric: Vec<String>,
}

pub fn run(args: &ShadowTestArgs, _printer: &Printer) -> Result<CommandReport> {
    let started_at = Utc::now();
    let challenger = ModelDir::load(&args.challenger)?;
    let task = challenger.metadata.task;
    let metric_name = args.metric.clone().unwrap_or_else(|| match task {
        Task::Binary => "pr_auc".into(),
        Task::Regression => "mae".into(),
    });
    let metric = Metric::parse(&metric_name)
        .with_context(|| format!("--metric {metric_name}: choose one of {DECISION_METRICS}"))?;
    if metric.is_regression() != (task == Task::Regression) {
        bail!(
            "--metric {metric_name} does not fit a {} model",
            serde_json::to_value(task)?.as_str().unwrap_or("?")
        );
    }
    let tolerance = match args.tolerance_rel {
        Some(r) => Tolerance::Relative(r),
        None => Tolerance::Absolute(args.tolerance),
    };
    let floors = parse_floors(&args.min_metric)?;

    let mut messages = Vec::new();
    let champion_dir = match (&args.champion, args.no_champion) {
        (Some(path), false) => resolve_champion(path)?,
        _ => None,
    };
    if args.champion.is_some() && champion_dir.is_none() {
        messages.push("the registry has no current version: no champion".to_string());
    }
    let champion = champion_dir.as_deref().map(ModelDir::load).transpose()?;
    if let Some(champ) = &champion {
        if same_directory(&champ.path, &challenger.path) {
            bail!(
                "champion and challenger are the same model directory ({}): nothing to compare",
                challenger.path.display()
            );
        }
        let (a, b) = (&champ.metadata, &challenger.metadata);
        if a.task != b.task || a.target != b.target {
            bail!(
                "the champion predicts `{}` ({:?}) but the challenger `{}` ({:?}); they cannot be compared",
                a.target,
                a.task,
                b.target,
                b.task
            );
        }
    }

    // Columns: the label, time, entity, score columns, and every feature a refit-scored model needs.
    let table = Table::open(&args.data)?;
    let mut columns = vec![args.label.clone()];
    columns.extend(args.time.iter().cloned());
    columns.extend(args.entity.iter().cloned());
    columns.extend(args.champion_scores.iter().cloned());
    columns.extend(args.challenger_scores.iter().cloned());
    let scored_by_refit = [
        (champion.as_ref(), args.champion_scores.is_none()),
        (Some(&challenger), args.challenger_scores.is_none()),
    ];
    for (model, by_refit) in scored_by_refit {
        if let (Some(model), true) = (model, by_refit) {
            for feature in &model.metadata.features {
                table
                    .require_column(&feature.name)
                    .with_context(|| format!("the model in {} needs it", model.path.display()))?;
                columns.push(feature.name.clone());
            }
        }
    }
    for column in &columns {
        table.require_column(column)?;
    }
    let mut seen = BTreeSet::new();
    columns.retain(|c| seen.insert(c.clone()));
    let data = table.load(&columns)?;

    let rows = match &args.time {
        Some(time) => {
            let times = table_timestamps(&data, time)?;
            let missing = times.iter().filter(|t| t.is_none()).count();
            if missing > 0 {
                bail!(
                    "time column `{time}` in {}: {missing} rows have no time",
                    data.label
                );
            }
            let times: Vec<i64> = times.into_iter().flatten().collect();
            let since = args
                .since
                .as_deref()
                .map(|s| {
                    parse_timestamp(s)
                        .with_context(|| format!("--since {s}: expected RFC 3339 or YYYY-MM-DD"))
                })
                .transpose()?;
            select_recent(&times, args.last, since)
        }
        None => (0..data.rows).collect(),
    };
    let targets = labels(&data, &args.label, task, &rows)?;

    let challenger_scores = scores(
        &challenger,
        &data,
        args.challenger_scores.as_deref(),
        &rows,
        task,
    )?;
    let champion_scores = champion
        .as_ref()
        .map(|c| scores(c, &data, args.champion_scores.as_deref(), &rows, task))
        .transpose()?;
    let threshold_of = |m: &ModelDir| {
        args.threshold
            .or(m.metadata.decision_threshold)
            .unwrap_or(0.5)
    };
    let challenger_threshold = threshold_of(&challenger);
    let champion_threshold = champion.as_ref().map(threshold_of);

    let challenger_metrics =
        full_metrics(task, &targets, &challenger_scores, challenger_threshold)?;
    let champion_metrics = match (&champion_scores, champion_threshold) {
        (Some(s), Some(t)) => Some(full_metrics(task, &targets, s, t)?),
        _ => None,
    };
    let value = |metrics: &Value| metrics.get(metric.name()).and_then(Value::as_f64);

    let mut reasons = Vec::new();
    let mut passed = true;
    let n = targets.len();
    if n < args.min_samples {
        passed = false;
        reasons.push(format!(
            "insufficient evidence: {n} rows, --min-samples is {}",
            args.min_samples
        ));
    }
    let coverage = match (&args.entity, args.min_coverage) {
        (Some(entity), min) => {
            let result = entity_coverage(&data, entity, &challenger, &rows)?;
            if let Some(min) = min {
                if result.coverage < min {
                    passed = false;
                    reasons.push(format!(
                        "coverage {:.2}% of `{entity}` values < required {:.2}%; unknown to the challenger: {}",
                        100.0 * result.coverage,
                        100.0 * min,
                        result.missing.join(", ")
                    ));
                }
            }
            Some(result)
        }
        _ => None,
    };

    // An undefined metric (no rows, one class only) is missing evidence: FAIL, never a pass.
    let challenger_value = value(&challenger_metrics).unwrap_or(f64::NAN);
    let champion_value = champion_metrics.as_ref().and_then(value);
    let undefined =
        challenger_value.is_nan() || (champion_scores.is_some() && champion_value.is_none());
    if undefined {
        passed = false;
        reasons.push(format!(
            "insufficient evidence: {} is undefined on these {n} rows (no rows, or one class only)",
            metric.name()
        ));
    }
    let mut comparison = None;
    let mut bootstrap = json!("no champion");
    let mut delong = Value::Null;
    let mut mcnemar = Value::Null;
    match (&champion_scores, champion_value) {
        _ if undefined => {}
        (Some(champ_scores), Some(champion_value)) => {
            let c = compare_with_champion(metric, champion_value, challenger_value, tolerance);
            if !c.passed {
                passed = false;
                reasons.push(format!(
                    "{} {:.4} vs champion {:.4}: worse by {:.4}, more than the allowed {:.4}",
                    metric.name(),
                    challenger_value,
                    champion_value,
                    -c.improvement,
                    c.margin
                ));
            }
            let champion_model =
                ScoredModel::new(champ_scores, champion_threshold.unwrap_or(0.5), metric);
            let challenger_model =
                ScoredModel::new(&challenger_scores, challenger_threshold, metric);
            let interval = paired_bootstrap(
                metric,
                &targets,
                &champion_model,
                &challenger_model,
                args.bootstrap,
                args.seed,
            );
            if args.require_significant {
                match &interval {
                    Some(i) if interval_clears_margin(i, c.margin) => {}
                    Some(i) => {
                        passed = false;
                        reasons.push(format!(
                            "not significant: the 95% bootstrap interval of the improvement [{:.4}, {:.4}] does not clear {:.4}",
                            i.improvement_low, i.improvement_high, -c.margin
                        ));
                    }
                    None => {
                        passed = false;
                        reasons.push("not significant: no bootstrap interval (--bootstrap 0 or no defined resample)".into());
                    }
                }
            }
            bootstrap = serde_json::to_value(&interval)?;
            if task == Task::Binary {
                let bools: Vec<bool> = targets.iter().map(|&y| y == 1.0).collect();
                delong = serde_json::to_value(delong_paired_test(
                    &bools,
                    champ_scores,
                    &challenger_scores,
                ))?;
                let decide = |s: &[f64], t: f64| s.iter().map(|&x| x >= t).collect::<Vec<bool>>();
                mcnemar = serde_json::to_value(mcnemar_test(
                    &bools,
                    &decide(champ_scores, champion_threshold.unwrap_or(0.5)),
                    &decide(&challenger_scores, challenger_threshold),
                ))?;
            }
            comparison = Some(c);
        }
        _ => {
            if floors.is_empty() {
                messages.push("no champion and no --min-metric floors: nothing to beat".into());
            }
        }
    }
    // Floors apply with or without a champion: a validation minimum the challenger must meet.
    for (name, floor) in &floors {
        match challenger_metrics.get(name.name()).and_then(Value::as_f64) {
            Some(v) if meets_floor(*name, v, *floor) => {}
            Some(v) => {
                passed = false;
                reasons.push(format!("{} {v:.4} misses the floor {floor}", name.name()));
            }
            None => {
                passed = false;
                reasons.push(format!("{} is undefined on these rows", name.name()));
            }
        }
    }
    if passed {
        reasons.push(match &comparison {
            Some(c) => format!(
                "{} {:.4} vs champion {:.4} (improvement {:+.4})",
                metric.name(),
                c.challenger,
                c.champion,
                c.improvement
            ),
            None => format!("no champion; {} {:.4}", metric.name(), challenger_value),
        });
    }
    let status = if passed { Status::Ok } else { Status::Fail };
    let verdict = if passed { "PASS" } else { "FAIL" };
    let rule = describe_rule(metric, tolerance, args.require_significant);

    let text = render_text(
        verdict,
        &reasons,
        &rule,
        metric,
        &champion_metrics,
        &challenger_metrics,
        n,
    );
    let mut metrics = Gauges::default();
    metrics.gauge(
        "refit_shadow_rows",
        "Rows both models were compared on.",
        &[],
        n as f64,
    );
    metrics.gauge(
        "refit_shadow_metric",
        "The deciding metric per model.",
        &[("metric", metric.name()), ("model", "challenger")],
        challenger_value,
    );
    if let Some(c) = &comparison {
        metrics.gauge(
            "refit_shadow_metric",
            "The deciding metric per model.",
            &[("metric", metric.name()), ("model", "champion")],
            c.champion,
        );
        metrics.gauge(
            "refit_shadow_improvement",
            "Challenger minus champion, positive = challenger better.",
            &[("metric", metric.name())],
            c.improvement,
        );
    }
    let describe = |m: &ModelDir, metrics: &Value, threshold: f64| -> Result<Value> {
        Ok(json!({
            "path": m.path,
            "trained_at": m.metadata.trained_at,
            "data_fingerprint": m.metadata.data_fingerprint.sha256,
            "fingerprint": model_fingerprint(&m.path)?,
            "decision_threshold": threshold,
            "metrics": metrics,
        }))
    };
    let report = CommandReport::new("shadow-test", started_at, status, json!({
            "verdict": verdict,
            "rule": rule,
            "rows": n,
            "champion": match (&champion, &champion_metrics) {
                (Some(m), Some(metrics)) => describe(m, metrics, champion_threshold.unwrap_or(0.5))?,
                _ => Value::Null,
            },
            "challenger": describe(&challenger, &challenger_metrics, challenger_threshold)?,
            "comparison": comparison,
            "bootstrap": bootstrap,
            "delong": delong,
            "mcnemar": mcnemar,
            "coverage": coverage.map(|c| json!({
                "entity": args.entity, "coverage": c.coverage, "entities": c.entities,
                "missing": c.missing,
            })),
            "reasons": reasons,
        }), text)
        .with_inputs(data.inputs()?)
        .with_gauges(metrics)
        .with_messages(messages);
    let report = report
        .resolve("metric", metric.name())
        .resolve("tolerance", tolerance);
    Ok(report)
}

fn parse_floors(specs: &[String]) -> Result<Vec<(Metric, f64)>> {
    specs
        .iter()
        .map(|spec| {
            let (name, value) = spec.split_once('=').with_context(|| {
                format!("--min-metric {spec}: expected NAME=VALUE, e.g. pr_auc=0.4")
            })?;
            let metric = Metric::parse(name.trim()).with_context(|| {
                format!("--min-metric {spec}: unknown metric; choose one of {DECISION_METRICS}")
            })?;
            let value: f64 = value
                .trim()
                .parse()
                .with_context(|| format!("--min-metric {spec}: `{value}` is not a number"))?;
            Ok((metric, value))
        })
        .collect()
}

fn same_directory(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(x), Ok(y)) => x == y,
        _ => a == b,
    }
}

/// Labels of the selected rows: 0/1 for binary; nulls are an error (they cannot be judged).
fn labels(data: &LoadedTable, column: &str, task: Task, rows: &[usize]) -> Result<Vec<f64>> {
    let all: Vec<Option<f64>> = match task {
        Task::Binary => data
            .map_column(column, |c| binary_labels(c, &data.label))?
            .into_iter()
            .map(|v| v.map(|b| f64::from(u8::from(b))))
            .collect(),
        Task::Regression => data.map_column(column, |c| finite_values(c, &data.label, "label"))?,
    };
    let selected: Vec<Option<f64>> = rows.iter().map(|&i| all[i]).collect();
    let nulls = selected.iter().filter(|v| v.is_none()).count();
    if nulls > 0 {
        bail!(
            "label `{column}` in {}: {nulls} of the selected rows have no label",
            data.label
        );
    }
    Ok(selected.into_iter().flatten().collect())
}

/// A model's scores on the selected rows: from a column of the data, or by refit's predict.
fn scores(
    model: &ModelDir,
    data: &LoadedTable,
    column: Option<&str>,
    rows: &[usize],
    task: Task,
) -> Result<Vec<f64>> {
    let all = match column {
        Some(column) => {
            let values = data.map_column(column, |c| finite_values(c, &data.label, "score"))?;
            let nulls = rows.iter().filter(|&&i| values[i].is_none()).count();
            if nulls > 0 {
                bail!(
                    "score column `{column}` in {}: {nulls} of the selected rows are null",
                    data.label
                );
            }
            values.into_iter().map(|v| v.unwrap_or(f64::NAN)).collect()
        }
        None => {
            let (matrix, _) =
                encode_features(data, &model.metadata.features, &model.metadata.vocabularies)?;
            model.predict(&matrix.take_rows(rows))?
        }
    };
    let selected: Vec<f64> = if column.is_some() {
        rows.iter().map(|&i| all[i]).collect()
    } else {
        all
    };
    if task == Task::Binary && selected.iter().any(|s| !(0.0..=1.0).contains(s)) {
        bail!(
            "scores of {} are not probabilities within [0, 1]",
            model.path.display()
        );
    }
    Ok(selected)
}

fn full_metrics(task: Task, targets: &[f64], scores: &[f64], threshold: f64) -> Result<Value> {
    Ok(match task {
        Task::Binary => {
            let labels: Vec<bool> = targets.iter().map(|&y| y == 1.0).collect();
            serde_json::to_value(binary_metrics(&labels, scores, threshold))?
        }
        Task::Regression => serde_json::to_value(regression_metrics(targets, scores))?,
    })
}

struct Coverage {
    coverage: f64,
    entities: usize,
    missing: Vec<String>,
}

/// Share of distinct entity values in the selected rows that the challenger's vocabulary knows.
fn entity_coverage(
    data: &LoadedTable,
    entity: &str,
    model: &ModelDir,
    rows: &[usize],
) -> Result<Coverage> {
    let vocabulary = model.metadata.vocabularies.get(entity).with_context(|| {
        format!(
            "{}: no vocabulary for `{entity}` (train with --entity {entity})",
            model.path.join(METADATA_FILE).display()
        )
    })?;
    let seen = data.distinct_text(entity, rows)?;
    let known: BTreeSet<String> = vocabulary.iter().cloned().collect();
    let missing: Vec<String> = seen.difference(&known).cloned().collect();
    let coverage = if seen.is_empty() {
        1.0
    } else {
        1.0 - missing.len() as f64 / seen.len() as f64
    };
    Ok(Coverage {
        coverage,
        entities: seen.len(),
        missing,
    })
}

fn render_text(
    verdict: &str,
    reasons: &[String],
    rule: &str,
    metric: Metric,
    champion: &Option<Value>,
    challenger: &Value,
    rows: usize,
) -> String {
    let names: &[&str] = if metric.is_regression() {
        &REGRESSION_METRIC_NAMES
    } else {
        &BINARY_METRIC_NAMES
    };
    let fmt = |m: Option<&Value>, name: &str| {
        m.and_then(|m| m.get(name))
            .and_then(Value::as_f64)
            .map_or("-".to_string(), |v| format!("{v:.4}"))
    };
    let table: Vec<Vec<String>> = names
        .iter()
        .map(|name| {
            let marker = if *name == metric.name() { " *" } else { "" };
            vec![
                format!("{name}{marker}"),
                fmt(champion.as_ref(), name),
                fmt(Some(challenger), name),
            ]
        })
        .collect();
    format!(
        "shadow-test {verdict}: {}\n{rows} rows; rule: {rule}\n\n{}",
        reasons.join("; "),
        render_table(&["METRIC", "CHAMPION", "CHALLENGER"], &table)
    )
}
