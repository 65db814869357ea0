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
use super::{ModelKind, Task};
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
    Split(PreparedRows),
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
        let usable = usable_rows(
            &data,
            &settings.target,
            &settings.time,
            task,
            settings.drop_null_target,
        )?;
        let rows = plan_rows(usable, &settings, task, &data.source)?;
        Ok(TrainingPlan {
            trainer: TrainerChoice::from_settings(&settings),
            settings,
            data,
            features,
            task,
            rows,
            messages,
        })
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

/// Too few rows is decided before the split, which could fail on them (one class, one day).
pub fn plan_rows(
    usable: UsableRows,
    settings: &TrainingSettings,
    task: Task,
    file: &str,
) -> Result<PlannedRows> {
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
        let rows = plan_rows(usable(vec![1; 4], vec![0.0; 4]), &s, Task::Binary, "f").unwrap();
        assert!(matches!(rows, PlannedRows::Insufficient(u) if u.kept.len() == 4));

        let times: Vec<i64> = (0..10).collect();
        let target: Vec<f64> = (0..10).map(|i| f64::from(i % 2)).collect();
        let rows = plan_rows(usable(times, target), &s, Task::Binary, "f").unwrap();
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
            &s,
            Task::Binary,
            "f",
        )
        .err()
        .expect("one class in training")
        .to_string();
        assert!(err.contains("all have class 0"), "{err}");
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
