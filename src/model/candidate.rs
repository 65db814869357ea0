//! Carrying out a [`TrainingPlan`]: the candidate's model directory (model.json,
//! holdout.parquet, profile.json, metadata.json) written atomically, and what train-candidate
//! reports about it (status, result body, messages, text) computed once.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Result;
use chrono::{DateTime, SecondsFormat, Utc};
use polars::prelude::{Column, IdxCa, IdxSize};
use rayon::prelude::*;
use serde::Serialize;
use serde_json::Value;

use super::directory::{StagedDir, HOLDOUT_FILE, METADATA_FILE, MODEL_FILE, PROFILE_FILE};
use super::encode::{learn_vocabularies, FeatureSpec, Vocabularies};
use super::external::{
    check_external_output, external_command, external_holdout_metrics, run_external,
    selected_rows_file, ExternalJob, SignalGuard,
};
use super::metadata::{
    DataFingerprint, ModelMetadata, RowCounts, Trainer as TrainerRecord, TrainingWindow,
    METADATA_FORMAT,
};
use super::plan::{EntityReport, PlannedRows, Selection, TrainerChoice, TrainingPlan};
use super::train::{
    data_fingerprint, fit_candidate, holdout_frame, trainer_params, training_window, PreparedRows,
    Trainer, UsableRows,
};
use super::window::{RequestedWindow, WindowBounds};
use super::Task;
use crate::data::keys::column_ids;
use crate::data::read::LoadedTable;
use crate::data::{CategoryCounts, ColumnKind, InputInfo, NumericValues};
use crate::drift::plan::PlannedFeature;
use crate::drift::profile::{
    profile_feature, FeatureProfile, FeatureSummary, NumericProfile, Profile, PROFILE_FORMAT,
    PROFILE_SCHEMA,
};
use crate::metrics::ranking::{RankedGroups, RankingMetric};
use crate::report::Status;

/// Quantile bins in the profile.json written beside the model (drift-check's default).
const PROFILE_BUCKETS: usize = 10;

const ONE_CLASS_HOLDOUT: &str = "the holdout has one class only: ROC-AUC and PR-AUC are \
     undefined and the decision threshold fell back to 0.5; use more recent data or a larger \
     --holdout";

/// What train-candidate reports, whichever way the plan ended.
#[derive(Debug, Clone)]
pub struct TrainingOutcome {
    pub status: Status,
    /// The report's `result`.
    pub summary: TrainingSummary,
    pub messages: Vec<String>,
    /// The input files, as the report envelope records them.
    pub inputs: Vec<InputInfo>,
    /// The line printed on stdout.
    pub text: String,
}

impl TrainingOutcome {
    /// A holdout metric (roc_auc, mae) for the gauges: only once trained, and if defined.
    pub fn holdout_metric(&self, name: &str) -> Option<f64> {
        self.summary
            .written
            .as_ref()?
            .holdout_metrics
            .get(name)?
            .as_f64()
    }

    /// Rows the candidate was (or in a dry run would be) trained on.
    pub fn train_rows(&self) -> Option<usize> {
        self.summary.rows.train
    }

    /// Entities left out of the rows and the vocabulary, when entity rules were given.
    pub fn entities_dropped(&self) -> Option<usize> {
        self.summary.entities.as_ref().map(|e| e.dropped.len())
    }
}

/// The report's `result`; the field order is the key order reports have always had.
#[derive(Debug, Clone, Serialize)]
pub struct TrainingSummary {
    pub task: Task,
    /// gbm, linear or external.
    pub model: &'static str,
    pub features: Vec<FeatureSpec>,
    pub rows: RowSummary,
    /// Fewer usable rows than `--min-rows`: nothing was trained or written.
    pub insufficient_data: bool,
    /// Absent when too few rows were usable to split and no window was asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub training_window: Option<ReportedWindow>,
    /// Which entities the entity rules left out or failed; only when such a rule is given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entities: Option<EntityReport>,
    /// Present once the model directory is in place.
    #[serde(flatten)]
    pub written: Option<WrittenModel>,
}

/// The result's `training_window`.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum ReportedWindow {
    /// The rows were split: the split's bounds, with the window asked for if any.
    Split(TrainingWindow),
    /// Nothing was split (too few rows, or entities failed): the window asked for.
    Requested(WindowBounds),
}

#[derive(Debug, Clone, Serialize)]
pub struct RowSummary {
    pub input: usize,
    /// Rows with a target.
    pub usable: usize,
    /// Usable rows before `--since`/`--window`, or beyond `--max-rows` (with a window only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outside_window: Option<usize>,
    /// Usable rows in the window of the entities left out (with entity rules only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from_dropped_entities: Option<usize>,
    /// Usable rows left for training and holdout, which `--min-rows` is checked against
    /// (with a window or entity rules only; otherwise that is `usable`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub selected: Option<usize>,
    /// Usable rows needed to train (`--min-rows`).
    pub needed: usize,
    /// Absent when too few rows were usable to split.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub train: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub holdout: Option<usize>,
    pub dropped_null_target: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct WrittenModel {
    pub out: PathBuf,
    pub holdout_metrics: Value,
    pub decision_threshold: Option<f64>,
    pub data_fingerprint: String,
}

/// Carries out the plan: a warning, a dry run's description, or a written model directory.
/// `started_at` dates profile.json; `quiet` silences an external trainer's output.
pub fn execute(
    plan: &TrainingPlan,
    started_at: DateTime<Utc>,
    quiet: bool,
) -> Result<TrainingOutcome> {
    match &plan.rows {
        PlannedRows::Insufficient(usable) => insufficient(plan, usable),
        PlannedRows::EntitiesFailed(usable) => entities_failed(plan, usable),
        PlannedRows::Split(rows) if plan.settings.dry_run => dry_run(plan, rows),
        PlannedRows::Split(rows) => train(plan, rows, started_at, quiet),
    }
}

/// Too little data is a WARN that writes nothing, so a scheduled loop can simply wait.
/// With a window or entity rules, "usable" is what they left ("selected").
fn insufficient(plan: &TrainingPlan, usable: &UsableRows) -> Result<TrainingOutcome> {
    let count = usable.kept.len();
    let min_rows = plan.settings.min_rows;
    let which = if plan.selection.is_some() {
        "selected"
    } else {
        "usable"
    };
    let mut messages = plan.messages.clone();
    messages.push(format!(
        "insufficient data: {count} {which} rows, --min-rows is {min_rows}; no model written"
    ));
    let rows = row_summary(plan, count, usable.dropped_null_target, None);
    Ok(TrainingOutcome {
        status: Status::Warn,
        summary: summary(plan, rows, None, None),
        messages,
        inputs: plan.data.inputs()?,
        text: format!(
            "train-candidate WARN: insufficient data ({count} {which} rows < --min-rows \
             {min_rows}); nothing written\n{}",
            selection_text(plan, count)
        ),
    })
}

/// `--entity-policy fail`: entities below the per-entity minimums are a data problem that
/// needs action, so the run is a FAIL (exit 2) that writes nothing and names them.
fn entities_failed(plan: &TrainingPlan, usable: &UsableRows) -> Result<TrainingOutcome> {
    let count = usable.kept.len();
    let failed = plan
        .selection
        .as_ref()
        .and_then(|s| s.entities.as_ref())
        .map_or(&[][..], |e| e.failed.as_slice());
    let entity = plan.settings.entity.as_deref().unwrap_or_default();
    let mut messages = plan.messages.clone();
    messages.push(format!(
        "{} entities of `{entity}` fall short of the per-entity minimums and --entity-policy \
         is fail; no model written",
        failed.len()
    ));
    messages.extend(failed.iter().map(|n| format!("{}: {}", n.entity, n.reason)));
    let named: Vec<String> = failed
        .iter()
        .take(3)
        .map(|n| format!("{} ({})", n.entity, n.reason))
        .collect();
    let more = match failed.len().saturating_sub(named.len()) {
        0 => String::new(),
        n => format!(" and {n} more"),
    };
    let rows = row_summary(plan, count, usable.dropped_null_target, None);
    Ok(TrainingOutcome {
        status: Status::Fail,
        summary: summary(plan, rows, None, None),
        messages,
        inputs: plan.data.inputs()?,
        text: format!(
            "train-candidate FAIL: {} entities of `{entity}` fall short of the per-entity \
             minimums (--entity-policy fail): {}{more}; nothing written\n{}",
            failed.len(),
            named.join(", "),
            selection_text(plan, count)
        ),
    })
}

/// Everything but the fitting and the writing: the split is real, so its errors show.
fn dry_run(plan: &TrainingPlan, rows: &PreparedRows) -> Result<TrainingOutcome> {
    let window = training_window(rows, window_bounds(plan));
    let text = format!(
        "train-candidate dry run: would train a {} {} model on {} rows ({} features), holding \
         out {} rows from {} -> {}\n{}",
        plan.task.name(),
        plan.trainer.model_name(),
        rows.split.train.len(),
        plan.features.len(),
        rows.split.holdout.len(),
        window.holdout_start,
        plan.settings.out.display(),
        selection_text(plan, rows.kept.len())
    );
    Ok(TrainingOutcome {
        status: Status::Ok,
        summary: summary(plan, split_summary(plan, rows), Some(window), None),
        messages: plan.messages.clone(),
        inputs: plan.data.inputs()?,
        text,
    })
}

/// Trains into a hidden directory beside `--out`, which appears only once complete.
fn train(
    plan: &TrainingPlan,
    rows: &PreparedRows,
    started_at: DateTime<Utc>,
    quiet: bool,
) -> Result<TrainingOutcome> {
    // Before the staging directory, so that on an error the directory goes first.
    let signals = stop_signals(&plan.trainer)?;
    let staged = StagedDir::new(&plan.settings.out, plan.settings.force)?;
    let fitted = match &plan.trainer {
        TrainerChoice::BuiltIn(trainer) => fit_built_in(plan, rows, trainer, &staged)?,
        TrainerChoice::External { command, timeout } => {
            let stop = || signals.as_ref().and_then(SignalGuard::take);
            fit_external(plan, rows, command, *timeout, quiet, &staged, &stop)?
        }
    };
    let inputs = plan.data.inputs()?;
    let profile = training_profile(plan, started_at)?;
    staged.write_json(PROFILE_FILE, &profile)?;
    let rules = &plan.settings.entity_rules;
    let columns = crate::contract::TrainingColumns {
        target: &plan.settings.target,
        time: &plan.settings.time,
        entity: plan.settings.entity.as_deref(),
        ids: &plan.settings.ids,
        min_entity_rows: rules.min_rows.map(|n| n as u64),
        min_history_ms: rules.min_history.as_ref().map(|s| s.millis),
        max_gap_ms: rules.max_gap.as_ref().map(|s| s.millis),
    };
    let contract =
        crate::contract::for_training(&plan.data, plan.selected_rows(), columns, started_at)?;
    staged.write_json(crate::contract::CONTRACT_FILE, &contract)?;
    let metadata = model_metadata(plan, rows, fitted, &inputs);
    staged.write_json(METADATA_FILE, &metadata)?;
    // A signal that came after the trainer ended still stops the run before the commit point.
    signals.as_ref().map_or(Ok(()), SignalGuard::check)?;
    let out = staged.commit()?;
    Ok(trained(plan, rows, &metadata, out, inputs))
}

/// An external trainer runs long, so SIGTERM, SIGINT and SIGHUP stop it, remove the staging
/// directory and end the run as [`Interrupted`](super::external::Interrupted); refit's own
/// trainers keep the signals' default effect.
fn stop_signals(trainer: &TrainerChoice) -> Result<Option<SignalGuard>> {
    match trainer {
        TrainerChoice::External { .. } => SignalGuard::install().map(Some),
        TrainerChoice::BuiltIn(_) => Ok(None),
    }
}

/// What a trainer leaves for metadata.json besides its model files.
struct Fitted {
    trainer: TrainerRecord,
    vocabularies: Vocabularies,
    holdout_metrics: Value,
    decision_threshold: Option<f64>,
}

/// refit's own trainers: model.json and holdout.parquet come from the fitted model.
fn fit_built_in(
    plan: &TrainingPlan,
    rows: &PreparedRows,
    trainer: &Trainer,
    staged: &StagedDir,
) -> Result<Fitted> {
    let settings = &plan.settings;
    let candidate = fit_candidate(
        &plan.data,
        &plan.features,
        settings.entity.as_slice(),
        rows,
        plan.task,
        trainer,
        settings.threshold_rule,
    )?;
    staged.write(MODEL_FILE, candidate.model.to_json()?.as_bytes())?;
    write_holdout(staged, plan, rows, &candidate.holdout_scores)?;
    let mut holdout_metrics = candidate.holdout_metrics;
    if let Some(group) = &settings.group {
        add_ranking_metrics(
            &mut holdout_metrics,
            plan,
            group,
            rows,
            &candidate.holdout_scores,
        )?;
    }
    let (engine, engine_version) = candidate.model.engine();
    Ok(Fitted {
        trainer: TrainerRecord {
            model: plan.trainer.model_name().into(),
            engine: engine.into(),
            engine_version: engine_version.into(),
            params: trainer_params(trainer),
            command: None,
        },
        vocabularies: candidate.vocabularies,
        holdout_metrics,
        decision_threshold: candidate.decision_threshold,
    })
}

/// The ranking metrics of the holdout rows grouped by `group` (relevance: the target, which
/// must be >= 0), added to the holdout metrics with the group counts.
fn add_ranking_metrics(
    metrics: &mut Value,
    plan: &TrainingPlan,
    group: &str,
    rows: &PreparedRows,
    scores: &[f64],
) -> Result<()> {
    let (ids, _) = column_ids(&plan.data, group)?;
    let holdout = rows.holdout_table_rows();
    let groups: Vec<Option<u32>> = holdout.iter().map(|&i| ids[i]).collect();
    let missing = groups.iter().filter(|g| g.is_none()).count();
    if missing > 0 {
        anyhow::bail!(
            "group column `{group}` in {}: {missing} holdout rows have no group",
            plan.data.source
        );
    }
    let targets = rows.holdout_targets();
    if targets.iter().any(|&t| t < 0.0) {
        anyhow::bail!(
            "target `{}` in {}: negative values cannot be relevance for ranking metrics (--group)",
            plan.settings.target,
            plan.data.source
        );
    }
    let groups: Vec<u32> = groups.into_iter().flatten().collect();
    let ranked = RankedGroups::new(&groups, &targets, scores);
    let mut ranking = RankingMetric::standard_set(5);
    ranking.extend(RankingMetric::standard_set(10));
    ranking.extend(
        ["ndcg", "map", "mrr"]
            .iter()
            .filter_map(|n| RankingMetric::parse(n)),
    );
    let Some(object) = metrics.as_object_mut() else {
        anyhow::bail!("holdout metrics are not an object");
    };
    for metric in ranking {
        if let Some(value) = ranked.mean(metric) {
            object.insert(metric.name(), serde_json::json!(value));
        }
    }
    object.insert("ranking_groups".into(), serde_json::json!(ranked.groups));
    object.insert(
        "ranking_groups_without_relevant".into(),
        serde_json::json!(ranked.groups_without_relevant),
    );
    Ok(())
}

/// The user's trainer writes its own files; refit checks them and scores its holdout.
/// `stop` says whether refit was told to stop while the trainer ran.
fn fit_external(
    plan: &TrainingPlan,
    rows: &PreparedRows,
    template: &str,
    timeout: Duration,
    quiet: bool,
    staged: &StagedDir,
    stop: &dyn Fn() -> Option<i32>,
) -> Result<Fitted> {
    let settings = &plan.settings;
    // Kept until the trainer is done: the temp directory goes when it is dropped.
    let selected = match plan.selection {
        Some(_) => Some(selected_rows_file(
            &settings.data,
            &rows.kept,
            &settings.out,
        )?),
        None => None,
    };
    let data = match &selected {
        Some(file) => vec![file.path().display().to_string()],
        None => settings.data.clone(),
    };
    let job = ExternalJob {
        data: &data,
        out: staged.path(),
        target: &settings.target,
        time: &settings.time,
        holdout: settings.holdout,
        cutoff_ms: rows.split.cutoff_ms,
    };
    run_external(&external_command(template, &job)?, timeout, quiet, stop)?;
    check_external_output(staged.path(), HOLDOUT_FILE)?;
    let vocabularies = learn_vocabularies(
        &plan.data,
        &plan.features,
        settings.entity.as_slice(),
        &rows.train_table_rows(),
    )?;
    let (holdout_metrics, decision_threshold) = external_holdout_metrics(
        &staged.path().join(HOLDOUT_FILE),
        plan.task,
        settings.threshold_rule,
        &settings.time,
        rows.split.cutoff_ms,
    )?;
    Ok(Fitted {
        trainer: TrainerRecord {
            model: plan.trainer.model_name().into(),
            engine: "external".into(),
            engine_version: String::new(),
            params: Value::Null,
            command: Some(template.to_string()),
        },
        vocabularies,
        holdout_metrics,
        decision_threshold,
    })
}

/// holdout.parquet: the held-out rows' ids, time and group, then label and score.
fn write_holdout(
    staged: &StagedDir,
    plan: &TrainingPlan,
    rows: &PreparedRows,
    scores: &[f64],
) -> Result<()> {
    let columns = holdout_columns(
        &plan.settings.ids,
        &plan.settings.time,
        plan.settings.group.as_deref(),
    );
    let mut frame = holdout_frame(
        &plan.data,
        &columns,
        &rows.holdout_table_rows(),
        &rows.holdout_targets(),
        scores,
        plan.task,
    )?;
    staged.write_parquet(HOLDOUT_FILE, &mut frame)
}

/// The id columns, then the time column unless it is one of them.
fn holdout_columns(ids: &[String], time: &str, group: Option<&str>) -> Vec<String> {
    let mut columns = ids.to_vec();
    for column in std::iter::once(time).chain(group) {
        if !columns.iter().any(|c| c == column) {
            columns.push(column.to_string());
        }
    }
    columns
}

/// profile.json: the training data as a drift-check baseline for the features: every input
/// row, or with a window or entity rules the selected rows only (so a sunset entity's
/// categories are not part of the baseline either).
fn training_profile(plan: &TrainingPlan, started_at: DateTime<Utc>) -> Result<Profile> {
    let data = &plan.data;
    let selected = plan.selected_rows();
    let profiled = plan
        .features
        .par_iter()
        .map(|f| match selected {
            Some(rows) => profile_rows(f, data, rows),
            None => {
                let planned = PlannedFeature {
                    name: f.name.clone(),
                    kind: f.role,
                };
                profile_feature(&planned, data, PROFILE_BUCKETS, None)
            }
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Profile {
        format: PROFILE_FORMAT.to_string(),
        schema: PROFILE_SCHEMA,
        refit_version: env!("CARGO_PKG_VERSION").to_string(),
        created_at: rfc3339(started_at),
        rows: selected.map_or(data.rows, <[usize]>::len) as u64,
        buckets: PROFILE_BUCKETS,
        sources: data.inputs()?,
        features: profiled,
    })
}

/// One feature's profile over the given rows only: `profile_feature`'s record (so whatever
/// else it holds about the column stays the same) with the summary of those rows.
fn profile_rows(
    feature: &FeatureSpec,
    data: &LoadedTable,
    rows: &[usize],
) -> Result<FeatureProfile> {
    let planned = PlannedFeature {
        name: feature.name.clone(),
        kind: feature.role,
    };
    let mut profile = profile_feature(&planned, data, PROFILE_BUCKETS, None)?;
    let indices = IdxCa::from_vec("row".into(), rows.iter().map(|&i| i as IdxSize).collect());
    let column: Column = data.whole_column(&feature.name)?.take(&indices)?.into();
    let summary = match feature.role {
        ColumnKind::Numeric => FeatureSummary::Numeric(NumericProfile::from_values(
            &NumericValues::from_columns(&[&column])?,
            PROFILE_BUCKETS,
        )),
        ColumnKind::Categorical => {
            FeatureSummary::Categorical(CategoryCounts::from_columns(&[&column])?)
        }
    };
    profile.summary = summary;
    Ok(profile)
}

/// metadata.json: what score-proxy, fleet-diff, predict and promote read about the model.
fn model_metadata(
    plan: &TrainingPlan,
    rows: &PreparedRows,
    fitted: Fitted,
    inputs: &[InputInfo],
) -> ModelMetadata {
    let settings = &plan.settings;
    ModelMetadata {
        format: METADATA_FORMAT.into(),
        task: plan.task,
        target: settings.target.clone(),
        time_column: settings.time.clone(),
        id_columns: settings.ids.clone(),
        features: plan.features.clone(),
        vocabularies: fitted.vocabularies,
        decision_threshold: fitted.decision_threshold,
        threshold_rule: fitted
            .decision_threshold
            .map(|_| settings.threshold_rule.to_string()),
        training_window: training_window(rows, window_bounds(plan)),
        rows: RowCounts {
            input: plan.data.rows as u64,
            train: rows.split.train.len() as u64,
            holdout: rows.split.holdout.len() as u64,
            dropped_null_target: rows.dropped_null_target,
        },
        holdout_metrics: fitted.holdout_metrics,
        data_fingerprint: DataFingerprint {
            sha256: data_fingerprint(inputs),
            inputs: inputs.to_vec(),
        },
        trainer: fitted.trainer,
        refit_version: env!("CARGO_PKG_VERSION").into(),
        trained_at: rfc3339(Utc::now()),
    }
}

/// The outcome once the directory is in place; a one-class holdout makes it a WARN.
fn trained(
    plan: &TrainingPlan,
    rows: &PreparedRows,
    metadata: &ModelMetadata,
    out: PathBuf,
    inputs: Vec<InputInfo>,
) -> TrainingOutcome {
    let mut messages = plan.messages.clone();
    let status = if one_class_holdout(plan.task, &metadata.holdout_metrics) {
        messages.push(ONE_CLASS_HOLDOUT.to_string());
        Status::Warn
    } else {
        Status::Ok
    };
    let text = trained_text(plan, rows, status, metadata, &out);
    let written = WrittenModel {
        out,
        holdout_metrics: metadata.holdout_metrics.clone(),
        decision_threshold: metadata.decision_threshold,
        data_fingerprint: metadata.data_fingerprint.sha256.clone(),
    };
    let window = Some(metadata.training_window.clone());
    TrainingOutcome {
        status,
        summary: summary(plan, split_summary(plan, rows), window, Some(written)),
        messages,
        inputs,
        text,
    }
}

/// "train-candidate OK: gbm binary model, ... holdout roc_auc 0.7712 -> cand (threshold ...)".
fn trained_text(
    plan: &TrainingPlan,
    rows: &PreparedRows,
    status: Status,
    metadata: &ModelMetadata,
    out: &Path,
) -> String {
    let headline = headline_metric(plan.task, &metadata.holdout_metrics)
        .map(|(name, v)| format!("{name} {v:.4}"))
        .unwrap_or_else(|| "metric undefined".into());
    let threshold = metadata
        .decision_threshold
        .map(|t| format!(" (threshold {t:.4}, {})", plan.settings.threshold_rule))
        .unwrap_or_default();
    format!(
        "train-candidate {}: {} {} model, {} train / {} holdout rows, holdout {headline} -> \
         {}{threshold}\n{}",
        status.as_str(),
        plan.trainer.model_name(),
        plan.task.name(),
        rows.split.train.len(),
        rows.split.holdout.len(),
        out.display(),
        selection_text(plan, rows.kept.len()),
    )
}

/// The window asked for, as metadata.json's `training_window` records it.
fn window_bounds(plan: &TrainingPlan) -> Option<WindowBounds> {
    plan.selection.as_ref()?.window.clone()
}

/// A second line for the text output when a window or entity rules chose the rows: "  selected
/// 2400 of 3000 usable rows: 600 outside the window (--window 30d: 2026-10-24T00:00:00Z to
/// 2026-11-23T00:00:00Z); 16 entities of `server_id` dropped (120 rows), 24 kept".
fn selection_text(plan: &TrainingPlan, selected: usize) -> String {
    let Some(selection) = &plan.selection else {
        return String::new();
    };
    let Selection {
        usable,
        outside_window,
        from_dropped_entities,
        window,
        entities,
    } = selection;
    let mut parts = Vec::new();
    if let Some(window) = window {
        parts.push(format!(
            "{outside_window} outside the window ({}: {} to {})",
            requested_flags(&window.requested),
            window.data_start,
            window.data_end
        ));
    }
    if let Some(entities) = entities {
        parts.push(format!(
            "{} entities of `{}` dropped ({from_dropped_entities} rows), {} kept",
            entities.dropped.len(),
            entities.column,
            entities.kept
        ));
    }
    format!(
        "  selected {selected} of {usable} usable rows: {}\n",
        parts.join("; ")
    )
}

/// "--window 30d --max-rows 50000": the window's flags as they were given.
fn requested_flags(requested: &RequestedWindow) -> String {
    let RequestedWindow {
        since,
        window,
        max_rows,
    } = requested;
    let mut flags = Vec::new();
    if let Some(since) = since {
        flags.push(format!("--since {since}"));
    }
    if let Some(window) = window {
        flags.push(format!("--window {window}"));
    }
    if let Some(max_rows) = max_rows {
        flags.push(format!("--max-rows {max_rows}"));
    }
    flags.join(" ")
}

/// The result body; without a split, the window asked for (if any) stands in for the split's
/// bounds.
fn summary(
    plan: &TrainingPlan,
    rows: RowSummary,
    training_window: Option<TrainingWindow>,
    written: Option<WrittenModel>,
) -> TrainingSummary {
    let training_window = training_window
        .map(ReportedWindow::Split)
        .or_else(|| window_bounds(plan).map(ReportedWindow::Requested));
    TrainingSummary {
        task: plan.task,
        model: plan.trainer.model_name(),
        features: plan.features.clone(),
        rows,
        insufficient_data: matches!(plan.rows, PlannedRows::Insufficient(_)),
        training_window,
        entities: plan.selection.as_ref().and_then(|s| s.entities.clone()),
        written,
    }
}

fn split_summary(plan: &TrainingPlan, rows: &PreparedRows) -> RowSummary {
    row_summary(
        plan,
        rows.kept.len(),
        rows.dropped_null_target,
        Some((rows.split.train.len(), rows.split.holdout.len())),
    )
}

/// Row counts; `selected` are the rows left for training and holdout, `split` their counts.
fn row_summary(
    plan: &TrainingPlan,
    selected: usize,
    dropped_null_target: u64,
    split: Option<(usize, usize)>,
) -> RowSummary {
    let selection = plan.selection.as_ref();
    RowSummary {
        input: plan.data.rows,
        usable: selection.map_or(selected, |s| s.usable),
        outside_window: selection
            .filter(|s| s.window.is_some())
            .map(|s| s.outside_window),
        from_dropped_entities: selection
            .filter(|s| s.entities.is_some())
            .map(|s| s.from_dropped_entities),
        selected: selection.map(|_| selected),
        needed: plan.settings.min_rows,
        train: split.map(|(train, _)| train),
        holdout: split.map(|(_, holdout)| holdout),
        dropped_null_target,
    }
}

/// The one metric the text line shows: ROC-AUC ranks a binary model, MAE a regression.
pub fn headline_metric(task: Task, metrics: &Value) -> Option<(&'static str, f64)> {
    let name = match task {
        Task::Binary => "roc_auc",
        Task::Regression => "mae",
    };
    metrics.get(name)?.as_f64().map(|v| (name, v))
}

/// A binary holdout with one class cannot rank, so nobody should promote on its metrics.
pub fn one_class_holdout(task: Task, metrics: &Value) -> bool {
    task == Task::Binary && metrics["roc_auc"].is_null()
}

/// The report envelope's timestamp format, so profile.json and metadata.json match it.
fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::ColumnKind;
    use serde_json::json;

    #[test]
    fn the_headline_is_roc_auc_or_mae() {
        let binary = json!({ "roc_auc": 0.75, "mae": 0.1 });
        assert_eq!(
            headline_metric(Task::Binary, &binary),
            Some(("roc_auc", 0.75))
        );
        assert_eq!(
            headline_metric(Task::Regression, &binary),
            Some(("mae", 0.1))
        );
        assert_eq!(
            headline_metric(Task::Binary, &json!({ "roc_auc": null })),
            None
        );
    }

    #[test]
    fn an_undefined_roc_auc_is_a_one_class_holdout() {
        assert!(one_class_holdout(Task::Binary, &json!({ "roc_auc": null })));
        assert!(!one_class_holdout(Task::Binary, &json!({ "roc_auc": 0.5 })));
        assert!(!one_class_holdout(Task::Regression, &json!({ "mae": 1.0 })));
    }

    #[test]
    fn the_time_column_follows_the_ids_once() {
        let ids = vec!["customer_id".to_string()];
        assert_eq!(holdout_columns(&ids, "ts", None), ["customer_id", "ts"]);
        assert_eq!(holdout_columns(&ids, "customer_id", None), ["customer_id"]);
        assert_eq!(holdout_columns(&[], "ts", None), ["ts"]);
        assert_eq!(
            holdout_columns(&ids, "ts", Some("user_id")),
            ["customer_id", "ts", "user_id"]
        );
    }

    fn window() -> TrainingWindow {
        TrainingWindow {
            train_start: "2026-01-01T00:00:00.000Z".into(),
            train_end: "2026-01-08T00:00:00.000Z".into(),
            holdout_start: "2026-01-09T00:00:00.000Z".into(),
            holdout_end: "2026-01-10T00:00:00.000Z".into(),
            selection: None,
        }
    }

    fn features() -> Vec<FeatureSpec> {
        vec![FeatureSpec {
            name: "tenure".into(),
            role: ColumnKind::Numeric,
            dtype: "i64".into(),
        }]
    }

    fn rows(split: bool) -> RowSummary {
        RowSummary {
            input: 100,
            usable: 98,
            outside_window: None,
            from_dropped_entities: None,
            selected: None,
            needed: 50,
            train: split.then_some(78),
            holdout: split.then_some(20),
            dropped_null_target: 2,
        }
    }

    /// The JSON the command built by hand before the summary was typed, plus `needed` and
    /// `insufficient_data` (issue 15).
    #[test]
    fn the_summary_serializes_as_the_report_always_did() {
        let features = features();
        let shape = |rows: RowSummary, window: Option<TrainingWindow>, written| {
            let summary = TrainingSummary {
                task: Task::Binary,
                model: "gbm",
                features: features.clone(),
                insufficient_data: rows.train.is_none(),
                rows,
                training_window: window.map(ReportedWindow::Split),
                entities: None,
                written,
            };
            serde_json::to_string(&serde_json::to_value(summary).unwrap()).unwrap()
        };
        let expected = json!({
            "task": Task::Binary, "model": "gbm", "features": &features,
            "rows": { "input": 100, "usable": 98, "needed": 50, "dropped_null_target": 2 },
            "insufficient_data": true,
        });
        assert_eq!(shape(rows(false), None, None), expected.to_string());

        let mut expected = json!({
            "task": Task::Binary, "model": "gbm", "features": &features,
            "rows": { "input": 100, "usable": 98, "needed": 50, "train": 78, "holdout": 20,
                      "dropped_null_target": 2 },
            "insufficient_data": false,
            "training_window": window(),
        });
        assert_eq!(
            shape(rows(true), Some(window()), None),
            expected.to_string()
        );

        let written = WrittenModel {
            out: "cand".into(),
            holdout_metrics: json!({ "roc_auc": 0.7, "f1": 0.5 }),
            decision_threshold: None,
            data_fingerprint: "abc".into(),
        };
        expected["out"] = json!(PathBuf::from("cand"));
        expected["holdout_metrics"] = written.holdout_metrics.clone();
        expected["decision_threshold"] = json!(None::<f64>);
        expected["data_fingerprint"] = json!("abc");
        let got = shape(rows(true), Some(window()), Some(written));
        assert_eq!(got, expected.to_string());
    }
}
