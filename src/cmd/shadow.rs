//! `refit shadow-test`: champion vs challenger on the same recent labelled rows.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use chrono::Utc;
use clap::Args;
use serde::Serialize;
use serde_json::{json, Value};

use super::args::{floor, metric, non_negative, probability, resamples, share};
use crate::data::keys::column_ids;
use crate::data::labels::{binary_labels, finite_values};
use crate::data::read::LoadedTable;
use crate::data::time::{parse_timestamp, table_timestamps};
use crate::data::Table;
use crate::metrics::bootstrap::{paired_bootstrap, paired_group_bootstrap, ScoredModel};
use crate::metrics::ranking::{RankedGroups, RankingMetric};
use crate::metrics::{binary_metrics, regression_metrics, Metric, MetricValues};
use crate::model::directory::{model_fingerprint, ModelDir, METADATA_FILE};
use crate::model::encode::encode_features;
use crate::model::Task;
use crate::report::output::{CommandReport, Printer};
use crate::report::prometheus::Gauges;
use crate::shadow::champion::resolve_champion;
use crate::shadow::rows::select_recent;
use crate::shadow::{
    check_grouping, deciding_metric, entity_coverage, judge, parse_floors, render_text, Coverage,
    Evidence, Judgement, Rule, Tolerance,
};
use crate::stats::delong::delong_paired_test;
use crate::stats::mcnemar::mcnemar_test;

pub const EXAMPLES: &str = "\
Examples:
  # the registry's live model vs a fresh candidate on the latest 200 labelled rows
  refit shadow-test --champion /srv/models --challenger candidates/2026-11-23 \\
      --data recent.parquet --label churned --time event_time --last 200 --metric pr_auc

  # seed 002: promote if MAE is worse by at most 10%, and only on solid evidence
  refit shadow-test --champion models/current --challenger cand --data week.parquet \\
      --label kwh --time ts --since 2026-11-16 --metric mae --tolerance-rel 0.10 \\
      --bootstrap 2000 --require-significant

  # seed 003: a recommender must keep precision@10 >= 0.05 and not lose NDCG@10, per user
  refit shadow-test --champion models/current --challenger cand --data impressions.parquet \
      --label clicked --group user_id --metric ndcg_at_10 --min-metric precision_at_10=0.05

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
    /// Recent labelled data: a file, a quoted glob of shards or an object URL; repeat for several.
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
    #[arg(long, value_name = "X", value_parser = probability)]
    pub threshold: Option<f64>,
    /// The deciding metric: pr_auc, roc_auc, log_loss, brier, f1, accuracy, precision, recall
    /// (binary); mae, rmse, r2 (regression). Default: pr_auc or mae.
    #[arg(long, value_name = "NAME", value_parser = metric)]
    pub metric: Option<Metric>,
    /// How much worse than the champion the challenger may be, in the metric's units.
    #[arg(long, default_value_t = 0.0, value_name = "X", value_parser = non_negative)]
    pub tolerance: f64,
    /// ... or as a share of the champion's value (0.10 = 10%).
    #[arg(long, value_name = "X", value_parser = non_negative)]
    pub tolerance_rel: Option<f64>,
    /// Paired bootstrap resamples for the 95% interval of the difference (0 = none; at most
    /// 100000).
    #[arg(long, default_value_t = 1000, value_name = "N", value_parser = resamples)]
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
    #[arg(long, value_name = "SHARE", requires = "entity", value_parser = share)]
    pub min_coverage: Option<f64>,
    /// Floors the challenger must meet, with or without a champion, e.g. pr_auc=0.4
    /// (repeatable; "at least as good as" in the metric's direction).
    #[arg(long, value_name = "NAME=VALUE", value_parser = floor)]
    pub min_metric: Vec<String>,
    /// Query/user column: rank each group's rows by each model's scores and decide on a
    /// ranking metric (default ndcg_at_10; precision_at_K, recall_at_K, map_at_K, mrr,
    /// hit_rate_at_K); the paired bootstrap resamples groups, not rows. Labels are relevance:
    /// 0/1, or grades >= 0 for a regression model (NDCG's gain).
    #[arg(long, value_name = "COL")]
    pub group: Option<String>,
}

pub fn run(args: &ShadowTestArgs, _printer: &Printer) -> Result<CommandReport> {
    let started_at = Utc::now();
    let challenger = ModelDir::load(&args.challenger)?;
    let task = challenger.metadata.task;
    let rule = rule(args, task)?;
    let mut messages = Vec::new();
    let champion = load_champion(args, &challenger, &mut messages)?;
    let data = load_data(args, champion.as_ref(), &challenger)?;
    let rows = select_rows(args, &data)?;
    let targets = labels(&data, &args.label, task, &rows)?;
    let grouping = match &args.group {
        Some(group) => Some(Grouping::new(&data, group, &rows, &targets, &rule)?),
        None => None,
    };
    let scored = |model, column: &Option<String>| {
        Contender::score(
            model,
            &data,
            column.as_deref(),
            &rows,
            &targets,
            args.threshold,
            grouping.as_ref(),
        )
    };
    let challenger = scored(&challenger, &args.challenger_scores)?;
    let champion = match &champion {
        Some(model) => Some(scored(model, &args.champion_scores)?),
        None => None,
    };
    let mut evidence = evidence(args, &data, &rows, &targets, champion.as_ref(), &challenger)?;
    let tests = paired_tests(
        args,
        &rule,
        &targets,
        champion.as_ref(),
        &challenger,
        &mut evidence,
    )?;
    let judgement = judge(&evidence, &rule);
    messages.extend(judgement.messages.iter().cloned());
    let text = render_text(&rule, &evidence, &judgement);
    let result = result_json(
        &rule,
        &evidence,
        &judgement,
        champion.as_ref(),
        &challenger,
        tests,
    )?;
    Ok(
        CommandReport::new("shadow-test", started_at, judgement.status(), result, text)
            .with_inputs(data.inputs()?)
            .with_gauges(gauges(&rule, &evidence, &judgement))
            .with_messages(messages)
            .resolve("metric", rule.metric.name())
            .resolve("tolerance", rule.tolerance),
    )
}

fn rule(args: &ShadowTestArgs, task: Task) -> Result<Rule> {
    let grouped = args.group.is_some();
    let floors = parse_floors(&args.min_metric)?;
    for floor in &floors {
        check_grouping(floor.metric, grouped, "--min-metric")?;
    }
    Ok(Rule {
        metric: deciding_metric(args.metric, task, grouped)?,
        tolerance: Tolerance::from_flags(args.tolerance, args.tolerance_rel),
        require_significant: args.require_significant,
        min_samples: args.min_samples,
        min_coverage: args.min_coverage,
        floors,
    })
}

/// With --group: each selected row's group, and the ranking metrics to compute (each kind
/// at the deciding metric's K, MRR, the deciding metric and every floor's).
struct Grouping {
    groups: Vec<u32>,
    metrics: Vec<RankingMetric>,
    deciding: RankingMetric,
}

impl Grouping {
    fn new(
        data: &LoadedTable,
        column: &str,
        rows: &[usize],
        targets: &[f64],
        rule: &Rule,
    ) -> Result<Grouping> {
        let (all, _) = column_ids(data, column)?;
        let groups: Vec<Option<u32>> = rows.iter().map(|&i| all[i]).collect();
        let missing = groups.iter().filter(|g| g.is_none()).count();
        if missing > 0 {
            bail!(
                "group column `{column}` in {}: {missing} of the selected rows have no group",
                data.source
            );
        }
        let negative = targets.iter().filter(|&&y| y < 0.0).count();
        if negative > 0 {
            bail!(
                "label in {}: {negative} of the selected rows are negative; relevance for ranking \
                 metrics must be >= 0 (0 = not relevant)",
                data.source
            );
        }
        let deciding = rule
            .metric
            .ranking()
            .context("--group needs a ranking metric")?;
        let mut metrics = RankingMetric::standard_set(deciding.k.unwrap_or(10));
        metrics.extend(RankingMetric::parse("mrr"));
        metrics.push(deciding);
        metrics.extend(rule.floors.iter().filter_map(|f| f.metric.ranking()));
        metrics.sort();
        metrics.dedup();
        Ok(Grouping {
            groups: groups.into_iter().flatten().collect(),
            metrics,
            deciding,
        })
    }

    /// The ranking metrics of one model's scores, and each evaluated group's value of the
    /// deciding metric (what the bootstrap resamples).
    fn evaluate(&self, targets: &[f64], scores: &[f64]) -> (Value, Vec<f64>) {
        let ranked = RankedGroups::new(&self.groups, targets, scores);
        let mut metrics = serde_json::Map::new();
        for &metric in &self.metrics {
            if let Some(value) = ranked.mean(metric) {
                metrics.insert(metric.name(), json!(value));
            }
        }
        metrics.insert("groups".into(), json!(ranked.groups));
        metrics.insert("groups_evaluated".into(), json!(ranked.evaluated.len()));
        metrics.insert(
            "groups_without_relevant".into(),
            json!(ranked.groups_without_relevant),
        );
        (Value::Object(metrics), ranked.per_group(self.deciding))
    }
}

/// The live model, if there is one; it must predict what the challenger predicts.
fn load_champion(
    args: &ShadowTestArgs,
    challenger: &ModelDir,
    messages: &mut Vec<String>,
) -> Result<Option<ModelDir>> {
    let dir = match (&args.champion, args.no_champion) {
        (Some(path), false) => resolve_champion(path)?,
        _ => None,
    };
    if args.champion.is_some() && dir.is_none() {
        messages.push("the registry has no current version: no champion".to_string());
    }
    let Some(champion) = dir.as_deref().map(ModelDir::load).transpose()? else {
        return Ok(None);
    };
    if same_directory(&champion.path, &challenger.path) {
        bail!(
            "champion and challenger are the same model directory ({}): nothing to compare",
            challenger.path.display()
        );
    }
    let (a, b) = (&champion.metadata, &challenger.metadata);
    if a.task != b.task || a.target != b.target {
        bail!(
            "the champion predicts `{}` ({:?}) but the challenger `{}` ({:?}); they cannot be compared",
            a.target,
            a.task,
            b.target,
            b.task
        );
    }
    Ok(Some(champion))
}

/// The label, time, entity and score columns, and every feature a refit-scored model needs.
fn load_data(
    args: &ShadowTestArgs,
    champion: Option<&ModelDir>,
    challenger: &ModelDir,
) -> Result<LoadedTable> {
    let table = Table::open(&args.data)?;
    let mut columns = vec![args.label.clone()];
    columns.extend(args.time.iter().cloned());
    columns.extend(args.entity.iter().cloned());
    columns.extend(args.group.iter().cloned());
    columns.extend(args.champion_scores.iter().cloned());
    columns.extend(args.challenger_scores.iter().cloned());
    let scored_by_refit = [
        (champion, args.champion_scores.is_none()),
        (Some(challenger), args.challenger_scores.is_none()),
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
    table.load(&columns)
}

/// What the rule judges: rows, both models' metrics, classes and entity coverage.
fn evidence(
    args: &ShadowTestArgs,
    data: &LoadedTable,
    rows: &[usize],
    targets: &[f64],
    champion: Option<&Contender>,
    challenger: &Contender,
) -> Result<Evidence> {
    let coverage = match &args.entity {
        Some(entity) => Some(coverage_of(data, entity, challenger.model, rows)?),
        None => None,
    };
    let binary = challenger.model.metadata.task == Task::Binary;
    Ok(Evidence {
        rows: targets.len(),
        challenger: challenger.values(),
        champion: champion.map(Contender::values),
        interval: None,
        coverage,
        classes: binary.then(|| class_counts(targets)),
    })
}

/// The rows to compare on: all, or the latest by --time (--last, --since).
fn select_rows(args: &ShadowTestArgs, data: &LoadedTable) -> Result<Vec<usize>> {
    let Some(time) = &args.time else {
        return Ok((0..data.rows).collect());
    };
    let times = table_timestamps(data, time)?;
    let missing = times.iter().filter(|t| t.is_none()).count();
    if missing > 0 {
        bail!(
            "time column `{time}` in {}: {missing} rows have no time",
            data.source
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
    Ok(select_recent(&times, args.last, since))
}

/// One model in the comparison: its scores on the selected rows, threshold and metrics.
struct Contender<'a> {
    model: &'a ModelDir,
    scores: Vec<f64>,
    threshold: f64,
    metrics: Value,
    /// With --group: the deciding ranking metric of each evaluated group.
    per_group: Vec<f64>,
}

impl<'a> Contender<'a> {
    fn score(
        model: &'a ModelDir,
        data: &LoadedTable,
        column: Option<&str>,
        rows: &[usize],
        targets: &[f64],
        threshold: Option<f64>,
        grouping: Option<&Grouping>,
    ) -> Result<Contender<'a>> {
        let task = model.metadata.task;
        let scores = scores(model, data, column, rows, task)?;
        let threshold = threshold
            .or(model.metadata.decision_threshold)
            .unwrap_or(0.5);
        let (metrics, per_group) = match grouping {
            Some(grouping) => grouping.evaluate(targets, &scores),
            None => (full_metrics(task, targets, &scores, threshold)?, Vec::new()),
        };
        Ok(Contender {
            model,
            scores,
            threshold,
            metrics,
            per_group,
        })
    }

    fn values(&self) -> MetricValues {
        MetricValues::from_json(&self.metrics)
    }

    fn scored(&self, metric: Metric) -> ScoredModel<'_> {
        ScoredModel::new(&self.scores, self.threshold, metric)
    }

    fn decisions(&self) -> Vec<bool> {
        self.scores.iter().map(|&s| s >= self.threshold).collect()
    }

    fn describe(&self) -> Result<Value> {
        let m = self.model;
        Ok(json!({
            "path": m.path,
            "trained_at": m.metadata.trained_at,
            "data_fingerprint": m.metadata.data_fingerprint.sha256,
            "fingerprint": model_fingerprint(&m.path)?,
            "decision_threshold": self.threshold,
            "metrics": self.metrics,
        }))
    }
}

/// The bootstrap interval (into the evidence), DeLong and McNemar: paired evidence that
/// needs a champion whose deciding metric is defined.
struct PairedTests {
    bootstrap: Value,
    delong: Value,
    mcnemar: Value,
}

fn paired_tests(
    args: &ShadowTestArgs,
    rule: &Rule,
    targets: &[f64],
    champion: Option<&Contender>,
    challenger: &Contender,
    evidence: &mut Evidence,
) -> Result<PairedTests> {
    let mut tests = PairedTests {
        bootstrap: json!("no champion"),
        delong: Value::Null,
        mcnemar: Value::Null,
    };
    let (Some(champion), Some(_)) = (champion, evidence.comparable(rule.metric)) else {
        return Ok(tests);
    };
    if rule.metric.ranking().is_some() {
        // Rows of one user are not independent: resample groups. DeLong and McNemar are
        // row-level tests of classifiers, not of rankings.
        evidence.interval = paired_group_bootstrap(
            &champion.per_group,
            &challenger.per_group,
            args.bootstrap,
            args.seed,
        );
        tests.bootstrap = serde_json::to_value(&evidence.interval)?;
        return Ok(tests);
    }
    evidence.interval = paired_bootstrap(
        rule.metric,
        targets,
        &champion.scored(rule.metric),
        &challenger.scored(rule.metric),
        args.bootstrap,
        args.seed,
    );
    tests.bootstrap = serde_json::to_value(&evidence.interval)?;
    if challenger.model.metadata.task == Task::Binary {
        let truth: Vec<bool> = targets.iter().map(|&y| y == 1.0).collect();
        let delong = delong_paired_test(&truth, &champion.scores, &challenger.scores);
        let mcnemar = mcnemar_test(&truth, &champion.decisions(), &challenger.decisions());
        tests.delong = serde_json::to_value(delong)?;
        tests.mcnemar = serde_json::to_value(mcnemar)?;
    }
    Ok(tests)
}

fn result_json(
    rule: &Rule,
    evidence: &Evidence,
    judgement: &Judgement,
    champion: Option<&Contender>,
    challenger: &Contender,
    tests: PairedTests,
) -> Result<Value> {
    Ok(json!({
        "verdict": judgement.verdict(),
        "rule": rule.describe(),
        "rows": evidence.rows,
        "champion": champion.map(Contender::describe).transpose()?,
        "challenger": challenger.describe()?,
        "comparison": judgement.comparison,
        "bootstrap": tests.bootstrap,
        "delong": tests.delong,
        "mcnemar": tests.mcnemar,
        "coverage": evidence.coverage,
        "reasons": judgement.reasons,
    }))
}

fn gauges(rule: &Rule, evidence: &Evidence, judgement: &Judgement) -> Gauges {
    let metric = rule.metric.name();
    let metric = metric.as_ref();
    let mut gauges = Gauges::default();
    gauges.gauge(
        "refit_shadow_rows",
        "Rows both models were compared on.",
        &[],
        evidence.rows as f64,
    );
    gauges.gauge(
        "refit_shadow_metric",
        "The deciding metric per model.",
        &[("metric", metric), ("model", "challenger")],
        evidence.challenger.get(rule.metric).unwrap_or(f64::NAN),
    );
    if let Some(c) = &judgement.comparison {
        gauges.gauge(
            "refit_shadow_metric",
            "The deciding metric per model.",
            &[("metric", metric), ("model", "champion")],
            c.champion,
        );
        gauges.gauge(
            "refit_shadow_improvement",
            "Challenger minus champion, positive = challenger better.",
            &[("metric", metric)],
            c.improvement,
        );
    }
    gauges
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
            .map_column(column, |c| binary_labels(c, &data.source))?
            .into_iter()
            .map(|v| v.map(|b| f64::from(u8::from(b))))
            .collect(),
        Task::Regression => data.map_column(column, |c| finite_values(c, &data.source, "label"))?,
    };
    let selected: Vec<Option<f64>> = rows.iter().map(|&i| all[i]).collect();
    let nulls = selected.iter().filter(|v| v.is_none()).count();
    if nulls > 0 {
        bail!(
            "label `{column}` in {}: {nulls} of the selected rows have no label",
            data.source
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
            let values = data.map_column(column, |c| finite_values(c, &data.source, "score"))?;
            let nulls = rows.iter().filter(|&&i| values[i].is_none()).count();
            if nulls > 0 {
                bail!(
                    "score column `{column}` in {}: {nulls} of the selected rows are null",
                    data.source
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

/// Which of the data's entities the challenger's vocabulary knows.
fn coverage_of(
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
    Ok(entity_coverage(entity, &seen, vocabulary))
}

/// (negatives, positives) among 0/1 labels.
fn class_counts(targets: &[f64]) -> (usize, usize) {
    let positives = targets.iter().filter(|&&y| y == 1.0).count();
    (targets.len() - positives, positives)
}
