//! train-candidate's plan: every decision taken before a model is fitted (the features and
//! their kinds, the task, the usable rows and their time split, the trainer, whether anything
//! is written), made from typed settings so each one is unit-tested without the binary.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Result};

use super::encode::FeatureSpec;
use super::gbm::GbmParams;
use super::train::{
    feature_specs, infer_task, select_features, split_rows, usable_rows, ChosenFeatures,
    FeatureChoice, PreparedRows, Trainer, UsableRows,
};
use super::window::{
    apply_window, judge_entities, EntityJudgement, EntityPolicy, EntityRules, RowWindow,
    WindowBounds,
};
use super::{ModelKind, Task};
use crate::data::keys::{column_ids, KeyInterner};
use crate::data::read::LoadedTable;
use crate::data::Table;
use crate::drift::plan::ColumnSource;
use crate::metrics::ThresholdRule;

/// train-candidate's settings, typed and already range-checked where the CLI parses its
/// arguments.
#[derive(Debug, Clone)]
pub struct TrainingSettings {
    /// Files or globs of shards.
    pub data: Vec<String>,
    pub target: String,
    /// `None`: inferred from the target's values.
    pub task: Option<Task>,
    pub time: String,
    /// Empty: every column that is neither reserved nor excluded.
    pub features: Vec<String>,
    pub exclude: Vec<String>,
    pub categorical: Vec<String>,
    pub ids: Vec<String>,
    pub entity: Option<String>,
    /// Query/user column: the holdout metrics add ranking metrics per group.
    pub group: Option<String>,
    /// Share of the latest rows held out, in (0, 1).
    pub holdout: f64,
    pub out: PathBuf,
    pub force: bool,
    pub min_rows: usize,
    pub model: ModelKind,
    pub seed: u64,
    pub iterations: usize,
    pub learning_rate: f64,
    pub max_depth: usize,
    pub l2: f64,
    pub threshold_rule: ThresholdRule,
    pub drop_null_target: bool,
    /// An external trainer's command template; when given, `model` is not used.
    pub command: Option<String>,
    pub timeout: Duration,
    pub dry_run: bool,
    /// `--since`/`--window` and `--max-rows`; nothing set keeps every usable row.
    pub window: RowWindow,
    /// Entity hygiene (`--drop-entities-silent-for`, per-entity minimums, the policy); needs
    /// `entity`.
    pub entity_rules: EntityRules,
}

/// Who fits the model: one of refit's trainers, or the user's command.
#[derive(Debug, Clone, PartialEq)]
pub enum TrainerChoice {
    BuiltIn(Trainer),
    External { command: String, timeout: Duration },
}

impl TrainerChoice {
    /// `--command` replaces the built-in trainers, whatever `--model` says.
    pub fn from_settings(settings: &TrainingSettings) -> TrainerChoice {
        if let Some(command) = &settings.command {
            return TrainerChoice::External {
                command: command.clone(),
                timeout: settings.timeout,
            };
        }
        TrainerChoice::BuiltIn(match settings.model {
            ModelKind::Gbm => Trainer::Gbm(GbmParams {
                iterations: settings.iterations,
                learning_rate: settings.learning_rate,
                max_depth: settings.max_depth,
                seed: settings.seed,
            }),
            ModelKind::Linear => Trainer::Linear { l2: settings.l2 },
        })
    }

    /// The name reports and metadata.json's `trainer.model` use (ModelDir::load reads it).
    pub fn model_name(&self) -> &'static str {
        match self {
            TrainerChoice::External { .. } => "external",
            TrainerChoice::BuiltIn(Trainer::Gbm(_)) => "gbm",
            TrainerChoice::BuiltIn(Trainer::Linear { .. }) => "linear",
        }
    }
}

/// The usable rows, split by time unless there are too few to train on.
pub enum PlannedRows {
    /// Fewer usable rows than `min_rows`: WARN "insufficient data", nothing written.
    Insufficient(UsableRows),
    /// `--entity-policy fail` and entities below the per-entity minimums: FAIL, nothing
    /// written.
    EntitiesFailed(UsableRows),
    Split(PreparedRows),
}

/// Which usable rows the window and the entity rules left, and why the others went; absent
/// when none of their flags is given.
#[derive(Debug, Clone, PartialEq)]
pub struct Selection {
    /// Usable rows before the selection.
    pub usable: usize,
    pub outside_window: usize,
    /// Rows in the window of entities left out (silent, or short under `--entity-policy drop`).
    pub from_dropped_entities: usize,
    pub window: Option<WindowBounds>,
    pub entities: Option<EntityReport>,
}

/// The report's `result.entities`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct EntityReport {
    pub column: String,
    pub policy: EntityPolicy,
    /// Entities with rows in the window that every rule let through.
    pub kept: usize,
    /// Left out of the rows and the vocabulary, by entity.
    pub dropped: Vec<EntityNote>,
    /// `--entity-policy fail`: the entities that stopped the run.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub failed: Vec<EntityNote>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct EntityNote {
    pub entity: String,
    pub reason: String,
}

/// What train-candidate will do, decided from the settings and the data before any fitting.
pub struct TrainingPlan {
    pub settings: TrainingSettings,
    /// The features, reserved columns (target, time, ids, entity) and nothing else.
    pub data: LoadedTable,
    pub features: Vec<FeatureSpec>,
    pub task: Task,
    pub trainer: TrainerChoice,
    pub rows: PlannedRows,
    /// What the window and the entity rules did, when given.
    pub selection: Option<Selection>,
    /// Why columns were left out of the features.
    pub messages: Vec<String>,
}

impl TrainingPlan {
    /// Opens the data, picks the features, settles the task and splits the usable rows by time.
    pub fn new(settings: TrainingSettings) -> Result<TrainingPlan> {
        let table = Table::open(&settings.data)?;
        let reserved = reserved_columns(&settings);
        for column in &reserved {
            table.require_column(column)?;
        }
        let (chosen, messages) = choose_features(&table, &settings, &reserved)?;
        let data = table.load(&columns_to_load(&chosen, &reserved))?;
        let features = feature_specs(&data, &chosen)?;
        let task = match settings.task {
            Some(task) => task,
            None => infer_task(&data, &settings.target)?,
        };
        let (usable, times) = usable_rows(
            &data,
            &settings.target,
            &settings.time,
            task,
            settings.drop_null_target,
        )?;
        let entities = match (&settings.entity, settings.entity_rules.is_set()) {
            (Some(column), true) => Some(column_ids(&data, column)?),
            _ => None,
        };
        let (usable, selection) = select_rows(usable, &times, entities.as_ref(), &settings)?;
        let rows = plan_rows(usable, selection.as_ref(), &settings, task, &data.source)?;
        Ok(TrainingPlan {
            trainer: TrainerChoice::from_settings(&settings),
            settings,
            data,
            features,
            task,
            rows,
            selection,
            messages,
        })
    }

    /// The rows training uses, as indices into the loaded table, when a selection left some
    /// out; `None` when every row is used (profile.json then covers the whole input).
    pub fn selected_rows(&self) -> Option<&[usize]> {
        self.selection.as_ref()?;
        match &self.rows {
            PlannedRows::Split(rows) => Some(&rows.kept),
            PlannedRows::Insufficient(rows) | PlannedRows::EntitiesFailed(rows) => Some(&rows.kept),
        }
    }

    /// The features' names, in the order the model reads them.
    pub fn feature_names(&self) -> Vec<&str> {
        self.features.iter().map(|f| f.name.as_str()).collect()
    }
}

/// Columns that are never features unless requested by name: target, time, ids, entity.
pub fn reserved_columns(settings: &TrainingSettings) -> Vec<String> {
    let mut reserved = vec![settings.target.clone(), settings.time.clone()];
    reserved.extend(settings.ids.iter().cloned());
    reserved.extend(settings.entity.iter().cloned());
    reserved.extend(settings.group.iter().cloned());
    reserved
}

/// The features and their kinds; the target may not be one, even when requested by name.
pub fn choose_features(
    columns: &dyn ColumnSource,
    settings: &TrainingSettings,
    reserved: &[String],
) -> Result<(ChosenFeatures, Vec<String>)> {
    let (chosen, messages) = select_features(
        columns,
        &FeatureChoice {
            requested: &settings.features,
            excluded: &settings.exclude,
            categorical: &settings.categorical,
            reserved,
        },
    )?;
    if chosen.iter().any(|(name, _)| name == &settings.target) {
        bail!("the target `{}` cannot also be a feature", settings.target);
    }
    Ok((chosen, messages))
}

/// The features first, then whichever reserved columns are not features already.
fn columns_to_load(chosen: &ChosenFeatures, reserved: &[String]) -> Vec<String> {
    let mut columns: Vec<String> = chosen.iter().map(|(name, _)| name.clone()).collect();
    for column in reserved {
        if !columns.contains(column) {
            columns.push(column.clone());
        }
    }
    columns
}

/// Applies the window, then the entity rules, to the usable rows: silence is judged on every
/// row (`times` and `entities` cover the whole table), the per-entity minimums on the rows in
/// the window. Returns the rows left and what happened, or the rows unchanged and `None` when
/// no window or entity rule is given.
pub fn select_rows(
    usable: UsableRows,
    times: &[i64],
    entities: Option<&(Vec<Option<u32>>, KeyInterner)>,
    settings: &TrainingSettings,
) -> Result<(UsableRows, Option<Selection>)> {
    let rules = &settings.entity_rules;
    if !settings.window.is_set() && !rules.is_set() {
        return Ok((usable, None));
    }
    let latest_ms = times.iter().copied().max().unwrap_or_default();
    let windowed = apply_window(&usable.times_ms, latest_ms, &settings.window)?;
    let in_window = windowed.rows;
    let (keep, entities) = match (entities, &settings.entity) {
        (Some((ids, names)), Some(column)) => {
            let table_rows: Vec<usize> = in_window.iter().map(|&i| usable.kept[i]).collect();
            let judgement = judge_entities(ids, times, &table_rows, latest_ms, rules);
            let keep: Vec<usize> = in_window
                .iter()
                .copied()
                .filter(|&i| ids[usable.kept[i]].is_none_or(|e| judgement.keeps(e, rules.policy)))
                .collect();
            let report = entity_report(column, &judgement, names, rules.policy);
            (keep, Some(report))
        }
        _ => (in_window.clone(), None),
    };
    let selection = Selection {
        usable: usable.kept.len(),
        outside_window: usable.kept.len() - in_window.len(),
        from_dropped_entities: in_window.len() - keep.len(),
        window: settings.window.is_set().then_some(windowed.bounds),
        entities,
    };
    Ok((usable.retain(&keep), Some(selection)))
}

/// The judgement by entity name, sorted by name: silent entities are always dropped; short
/// ones are dropped or, under `--entity-policy fail`, fail the run.
fn entity_report(
    column: &str,
    judgement: &EntityJudgement,
    names: &KeyInterner,
    policy: EntityPolicy,
) -> EntityReport {
    let notes = |judged: &mut dyn Iterator<Item = (&u32, &String)>| {
        let mut notes: Vec<EntityNote> = judged
            .map(|(&id, reason)| EntityNote {
                entity: names.name(id).to_string(),
                reason: reason.clone(),
            })
            .collect();
        notes.sort_by(|a, b| a.entity.cmp(&b.entity));
        notes
    };
    let (dropped, failed) = match policy {
        EntityPolicy::Drop => (
            notes(&mut judgement.silent.iter().chain(&judgement.short)),
            Vec::new(),
        ),
        EntityPolicy::Fail => (
            notes(&mut judgement.silent.iter()),
            notes(&mut judgement.short.iter()),
        ),
    };
    EntityReport {
        column: column.to_string(),
        policy,
        kept: judgement.kept,
        dropped,
        failed,
    }
}

/// Too few rows is decided before the split, which could fail on them (one class, one day);
/// entities that fail the minimums under `--entity-policy fail` are decided before that.
pub fn plan_rows(
    usable: UsableRows,
    selection: Option<&Selection>,
    settings: &TrainingSettings,
    task: Task,
    file: &str,
) -> Result<PlannedRows> {
    let failed = selection
        .and_then(|s| s.entities.as_ref())
        .is_some_and(|e| !e.failed.is_empty());
    if failed {
        return Ok(PlannedRows::EntitiesFailed(usable));
    }
    if usable.kept.len() < settings.min_rows {
        return Ok(PlannedRows::Insufficient(usable));
    }
    let rows = split_rows(
        usable,
        settings.holdout,
        task,
        file,
        &settings.target,
        &settings.time,
    )?;
    Ok(PlannedRows::Split(rows))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::ColumnKind;

    fn settings() -> TrainingSettings {
        TrainingSettings {
            data: vec!["train.parquet".into()],
            target: "churned".into(),
            task: None,
            time: "ts".into(),
            features: vec![],
            exclude: vec![],
            categorical: vec![],
            ids: vec![],
            entity: None,
            group: None,
            holdout: 0.2,
            out: "cand".into(),
            force: false,
            min_rows: 500,
            model: ModelKind::Gbm,
            seed: 7,
            iterations: 100,
            learning_rate: 0.1,
            max_depth: 6,
            l2: 1.0,
            threshold_rule: ThresholdRule::F1,
            drop_null_target: false,
            command: None,
            timeout: Duration::from_secs(3600),
            dry_run: false,
            window: RowWindow::default(),
            entity_rules: EntityRules::default(),
        }
    }

    /// A table schema without a file: (name, kind), `None` for a type refit cannot read.
    struct Columns(Vec<(&'static str, Option<ColumnKind>)>);

    impl ColumnSource for Columns {
        fn source(&self) -> String {
            "train.parquet".into()
        }
        fn names(&self) -> Vec<String> {
            self.0.iter().map(|(n, _)| n.to_string()).collect()
        }
        fn kind(&self, column: &str) -> Result<ColumnKind> {
            match self.0.iter().find(|(n, _)| *n == column) {
                Some((_, Some(kind))) => Ok(*kind),
                Some((_, None)) => bail!("column `{column}` has type date"),
                None => bail!("column `{column}` not found in train.parquet"),
            }
        }
    }

    fn churn_columns() -> Columns {
        use ColumnKind::{Categorical, Numeric};
        Columns(vec![
            ("customer_id", Some(Categorical)),
            ("ts", None),
            ("tenure", Some(Numeric)),
            ("region", Some(Categorical)),
            ("device", Some(Categorical)),
            ("plan_code", Some(Numeric)),
            ("spend", Some(Numeric)),
            ("churned", Some(Numeric)),
        ])
    }

    fn chosen(settings: &TrainingSettings) -> Result<(ChosenFeatures, Vec<String>)> {
        choose_features(&churn_columns(), settings, &reserved_columns(settings))
    }

    fn names(features: &ChosenFeatures) -> Vec<&str> {
        features.iter().map(|(n, _)| n.as_str()).collect()
    }

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn default_features_leave_out_reserved_and_excluded_columns() {
        let mut s = settings();
        s.ids = strings(&["customer_id"]);
        s.entity = Some("device".into());
        s.exclude = strings(&["spend"]);
        let (features, messages) = chosen(&s).unwrap();
        assert_eq!(names(&features), ["tenure", "region", "plan_code"]);
        assert!(messages.is_empty(), "{messages:?}");
        assert_eq!(
            reserved_columns(&s),
            ["churned", "ts", "customer_id", "device"]
        );
    }

    #[test]
    fn unreadable_columns_are_reported_not_fatal_by_default() {
        let mut s = settings();
        s.time = "tenure".into();
        let (features, messages) = chosen(&s).unwrap();
        assert!(!names(&features).contains(&"ts"));
        assert_eq!(messages.len(), 1);
        assert!(messages[0].contains("has type date"), "{messages:?}");
    }

    #[test]
    fn requested_features_keep_their_order_and_forced_kinds() {
        let mut s = settings();
        s.features = strings(&["plan_code", "tenure"]);
        s.categorical = strings(&["plan_code"]);
        let (features, _) = chosen(&s).unwrap();
        assert_eq!(
            features,
            vec![
                ("plan_code".to_string(), ColumnKind::Categorical),
                ("tenure".to_string(), ColumnKind::Numeric),
            ]
        );
        // An entity or id requested by name is a feature too.
        s.entity = Some("device".into());
        s.features = strings(&["device"]);
        s.categorical.clear();
        assert_eq!(names(&chosen(&s).unwrap().0), ["device"]);
    }

    #[test]
    fn feature_selection_errors_name_the_fix() {
        let mut s = settings();
        s.features = strings(&["tenure", "churned"]);
        let err = chosen(&s).unwrap_err().to_string();
        assert!(err.contains("cannot also be a feature"), "{err}");

        let mut s = settings();
        s.features = strings(&["nope"]);
        assert!(chosen(&s).unwrap_err().to_string().contains("not found"));

        let mut s = settings();
        s.categorical = strings(&["spend"]);
        s.exclude = strings(&["spend"]);
        let err = chosen(&s).unwrap_err().to_string();
        assert!(err.contains("--categorical spend"), "{err}");

        let mut s = settings();
        s.exclude = strings(&["customer_id", "tenure", "region", "device", "plan_code"]);
        s.exclude.push("spend".into());
        let err = chosen(&s).unwrap_err().to_string();
        assert!(err.contains("no feature columns left"), "{err}");
    }

    #[test]
    fn reserved_columns_are_loaded_once_after_the_features() {
        let features = vec![
            ("tenure".to_string(), ColumnKind::Numeric),
            ("device".to_string(), ColumnKind::Categorical),
        ];
        let reserved = strings(&["churned", "ts", "device"]);
        assert_eq!(
            columns_to_load(&features, &reserved),
            ["tenure", "device", "churned", "ts"]
        );
    }

    fn usable(times_ms: Vec<i64>, target: Vec<f64>) -> UsableRows {
        UsableRows {
            kept: (0..times_ms.len()).collect(),
            target,
            times_ms,
            dropped_null_target: 0,
        }
    }

    #[test]
    fn too_few_rows_are_insufficient_before_the_split_can_fail() {
        let mut s = settings();
        s.min_rows = 5;
        // One class and one timestamp: the split would fail, but too few rows decides first.
        let rows = plan_rows(
            usable(vec![1; 4], vec![0.0; 4]),
            None,
            &s,
            Task::Binary,
            "f",
        )
        .unwrap();
        assert!(matches!(rows, PlannedRows::Insufficient(u) if u.kept.len() == 4));

        let times: Vec<i64> = (0..10).collect();
        let target: Vec<f64> = (0..10).map(|i| f64::from(i % 2)).collect();
        let rows = plan_rows(usable(times, target), None, &s, Task::Binary, "f").unwrap();
        let PlannedRows::Split(rows) = rows else {
            panic!("10 rows >= --min-rows 5 should be split");
        };
        assert_eq!(rows.split.holdout, vec![8, 9]);
        assert_eq!(rows.split.cutoff_ms, 8);
    }

    #[test]
    fn enough_rows_with_one_training_class_is_an_error() {
        let mut s = settings();
        s.min_rows = 4;
        let err = plan_rows(
            usable(vec![1, 2, 3, 4], vec![0.0, 0.0, 0.0, 1.0]),
            None,
            &s,
            Task::Binary,
            "f",
        )
        .err()
        .expect("one class in training")
        .to_string();
        assert!(err.contains("all have class 0"), "{err}");
    }

    const DAY: i64 = crate::data::time::MS_PER_DAY;

    /// Rows of entities a (days 0..=9, every day), b (days 0..=2, then silent) and c (days
    /// 6..=9, one row per day), in that order, with a label on every row.
    fn fleet() -> (UsableRows, Vec<i64>, (Vec<Option<u32>>, KeyInterner)) {
        let mut names = KeyInterner::default();
        let (mut ids, mut times) = (Vec::new(), Vec::new());
        for (entity, days) in [("a", 0..=9), ("b", 0..=2), ("c", 6..=9)] {
            for d in days {
                ids.push(Some(names.intern(entity)));
                times.push(d * DAY);
            }
        }
        let n = times.len();
        let usable = UsableRows {
            kept: (0..n).collect(),
            target: (0..n).map(|i| f64::from(i as u8 % 2)).collect(),
            times_ms: times.clone(),
            dropped_null_target: 0,
        };
        (usable, times, (ids, names))
    }

    fn span(days: i64) -> crate::model::window::Span {
        crate::model::window::Span {
            millis: days * DAY,
            text: format!("{days}d"),
        }
    }

    #[test]
    fn without_a_window_or_entity_rules_every_usable_row_stays() {
        let (usable, times, entities) = fleet();
        let mut s = settings();
        s.entity = Some("server".into());
        let (rows, selection) = select_rows(usable, &times, Some(&entities), &s).unwrap();
        assert_eq!(rows.kept.len(), 17);
        assert_eq!(selection, None);
    }

    #[test]
    fn a_window_selects_rows_before_min_rows_is_checked() {
        let (usable, times, _) = fleet();
        let mut s = settings();
        s.window.start = Some(crate::model::window::WindowStart::Last(span(3)));
        s.min_rows = 9;
        let (rows, selection) = select_rows(usable, &times, None, &s).unwrap();
        let selection = selection.unwrap();
        // Days 6..=9 of a and c: 8 rows, fewer than --min-rows 9.
        assert_eq!(rows.kept, [6, 7, 8, 9, 13, 14, 15, 16]);
        assert_eq!((selection.usable, selection.outside_window), (17, 9));
        assert_eq!(selection.window.unwrap().data_start, "1970-01-07T00:00:00Z");
        let planned = plan_rows(rows, None, &s, Task::Binary, "f").unwrap();
        assert!(matches!(planned, PlannedRows::Insufficient(r) if r.kept.len() == 8));
    }

    #[test]
    fn silent_entities_leave_the_rows_and_are_listed_by_name() {
        let (usable, times, entities) = fleet();
        let mut s = settings();
        s.entity = Some("server".into());
        s.entity_rules.silent_for = Some(span(7));
        let (rows, selection) = select_rows(usable, &times, Some(&entities), &s).unwrap();
        assert!(rows.kept.iter().all(|&i| !(10..13).contains(&i)));
        let selection = selection.unwrap();
        assert_eq!(selection.from_dropped_entities, 3);
        assert_eq!(selection.window, None);
        let report = selection.entities.unwrap();
        assert_eq!(report.kept, 2);
        assert_eq!(
            report.dropped,
            [EntityNote {
                entity: "b".into(),
                reason: "silent for 7 days (>= 7d)".into()
            }]
        );
    }

    #[test]
    fn short_entities_are_dropped_or_fail_the_run_by_policy() {
        let (usable, times, entities) = fleet();
        let mut s = settings();
        s.entity = Some("server".into());
        s.min_rows = 2;
        s.entity_rules.min_history = Some(span(5));
        let (rows, selection) = select_rows(usable, &times, Some(&entities), &s).unwrap();
        let report = selection.as_ref().unwrap().entities.clone().unwrap();
        // b has 2 days of history, c 3: both dropped, a (9 days) stays.
        assert_eq!(rows.kept, (0..10).collect::<Vec<_>>());
        let dropped: Vec<&str> = report.dropped.iter().map(|n| n.entity.as_str()).collect();
        assert_eq!(dropped, ["b", "c"]);
        assert_eq!(report.dropped[1].reason, "history of 3 days (< 5d)");
        assert!(report.failed.is_empty());

        let (usable, times, entities) = fleet();
        s.entity_rules.policy = EntityPolicy::Fail;
        let (rows, selection) = select_rows(usable, &times, Some(&entities), &s).unwrap();
        let report = selection.as_ref().unwrap().entities.clone().unwrap();
        assert!(report.dropped.is_empty());
        assert_eq!(report.failed.len(), 2);
        assert_eq!(rows.kept.len(), 17);
        let planned = plan_rows(rows, selection.as_ref(), &s, Task::Binary, "f").unwrap();
        assert!(matches!(planned, PlannedRows::EntitiesFailed(_)));
    }

    #[test]
    fn only_zeros_and_ones_make_a_binary_task() {
        use crate::model::train::task_of_values;
        assert_eq!(task_of_values(&[Some(0.0), None, Some(1.0)]), Task::Binary);
        assert_eq!(task_of_values(&[Some(0.0), Some(2.0)]), Task::Regression);
        assert_eq!(task_of_values(&[Some(0.5)]), Task::Regression);
    }

    #[test]
    fn the_task_is_inferred_from_the_target_column() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.csv");
        std::fs::write(&path, "flag,bit,amount,word\ntrue,1,2.5,a\nfalse,0,0,b\n").unwrap();
        let spec = vec![path.display().to_string()];
        let data = Table::open(&spec)
            .unwrap()
            .load(&strings(&["flag", "bit", "amount", "word"]))
            .unwrap();
        assert_eq!(infer_task(&data, "flag").unwrap(), Task::Binary);
        assert_eq!(infer_task(&data, "bit").unwrap(), Task::Binary);
        assert_eq!(infer_task(&data, "amount").unwrap(), Task::Regression);
        let err = infer_task(&data, "word").unwrap_err().to_string();
        assert!(err.contains("expected a boolean, 0/1 or numbers"), "{err}");
    }

    #[test]
    fn the_command_replaces_the_built_in_trainers() {
        let mut s = settings();
        let gbm = TrainerChoice::from_settings(&s);
        assert_eq!(gbm.model_name(), "gbm");
        let TrainerChoice::BuiltIn(Trainer::Gbm(params)) = gbm else {
            panic!("{gbm:?}");
        };
        assert_eq!(
            (params.iterations, params.max_depth, params.seed),
            (100, 6, 7)
        );

        s.model = ModelKind::Linear;
        s.l2 = 0.5;
        let linear = TrainerChoice::from_settings(&s);
        assert_eq!(linear, TrainerChoice::BuiltIn(Trainer::Linear { l2: 0.5 }));
        assert_eq!(linear.model_name(), "linear");

        s.command = Some("python train.py --out {out}".into());
        let external = TrainerChoice::from_settings(&s);
        assert_eq!(external.model_name(), "external");
        assert_eq!(
            external,
            TrainerChoice::External {
                command: "python train.py --out {out}".into(),
                timeout: Duration::from_secs(3600),
            }
        );
    }
}
