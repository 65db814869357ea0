//! `refit predict`: batch scoring with a model directory's features, vocabularies and model.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use chrono::Utc;
use clap::Args;
use polars::prelude::{
    Column, CsvWriter, DataFrame, NamedFrom, ParquetCompression, ParquetWriter, SerWriter, Series,
};
use serde::Serialize;
use serde_json::json;

use super::args::check_output;
use crate::data::read::LoadedTable;
use crate::data::{write_atomic_with, Table};
use crate::model::directory::ModelDir;
use crate::model::encode::encode_features;
use crate::model::Task;
use crate::report::output::{CommandReport, Printer};
use crate::report::prometheus::Gauges;
use crate::report::table::render_table;
use crate::report::Status;

pub const EXAMPLES: &str = "\
Examples:
  refit predict --model models/current --data today.parquet --id customer_id --out preds.parquet
  refit predict --model cand --data today.csv --out preds.csv --format json

Scores are probabilities for a binary model (column `score`), plus `prediction` (0/1 at the
model's decision threshold); values for regression. Categories the model never saw are
counted per feature in the report; fleet-diff reads the rate.";

#[derive(Debug, Clone, Args, Serialize)]
pub struct PredictArgs {
    /// Model directory written by train-candidate.
    #[arg(long, value_name = "DIR")]
    pub model: PathBuf,
    /// Data to score: a file, a quoted glob of shards or an object URL; repeat for several.
    #[arg(long, required = true, value_name = "PATH")]
    pub data: Vec<String>,
    /// Predictions file to write (.parquet or .csv), atomically.
    #[arg(long, value_name = "PATH")]
    pub out: PathBuf,
    /// Columns copied from the data into the output (comma-separated).
    #[arg(long = "id", value_delimiter = ',', value_name = "COLS")]
    pub ids: Vec<String>,
}

pub fn run(args: &PredictArgs, _printer: &Printer) -> Result<CommandReport> {
    let started_at = Utc::now();
    let format = output_format(&args.out)?;
    check_output("--out", &args.out)?;
    let model = ModelDir::load(&args.model)?;
    let meta = &model.metadata;
    let table = Table::open(&args.data)?;
    let mut columns: Vec<String> = meta.features.iter().map(|f| f.name.clone()).collect();
    for column in &columns {
        table
            .require_column(column)
            .with_context(|| format!("the model in {} needs it", args.model.display()))?;
    }
    for id in &args.ids {
        table.require_column(id)?;
        if !columns.contains(id) {
            columns.push(id.clone());
        }
    }
    let data = table.load(&columns)?;
    let (matrix, counts) = encode_features(&data, &meta.features, &meta.vocabularies)?;
    let scores = model.predict(&matrix)?;
    let mut frame = output_frame(
        &data,
        &args.ids,
        &scores,
        meta.task,
        meta.decision_threshold,
    )?;
    write_predictions(&args.out, format, &mut frame)?;

    let unknown = UnknownRates::new(&counts.unknown, data.rows);
    let result = json!({
        "out": args.out,
        "rows": data.rows,
        "task": meta.task,
        "decision_threshold": meta.decision_threshold,
        "unknown_categories": unknown.json(),
        "missing_values": counts.missing,
    });
    let text = format!(
        "predict OK: {} rows scored with {} -> {}\n{}",
        data.rows,
        args.model.display(),
        args.out.display(),
        unknown.table()
    );
    Ok(
        CommandReport::new("predict", started_at, Status::Ok, result, text)
            .with_inputs(data.inputs()?)
            .with_gauges(unknown.gauges(data.rows)),
    )
}

fn write_predictions(path: &Path, format: OutputFormat, frame: &mut DataFrame) -> Result<()> {
    write_atomic_with(path, |file| {
        match format {
            OutputFormat::Parquet => {
                ParquetWriter::new(file)
                    .with_compression(ParquetCompression::Zstd(None))
                    .finish(frame)?;
            }
            OutputFormat::Csv => CsvWriter::new(file).finish(frame)?,
        }
        Ok(())
    })
}

/// Per feature, how many rows held a category the model never saw, and their share.
struct UnknownRates(Vec<(String, u64, f64)>);

impl UnknownRates {
    fn new(unknown: &std::collections::BTreeMap<String, u64>, rows: usize) -> UnknownRates {
        let rows = rows as f64;
        UnknownRates(
            unknown
                .iter()
                .map(|(f, &n)| (f.clone(), n, n as f64 / rows))
                .collect(),
        )
    }

    fn json(&self) -> serde_json::Map<String, serde_json::Value> {
        self.0
            .iter()
            .map(|(f, n, rate)| (f.clone(), json!({ "count": n, "rate": rate })))
            .collect()
    }

    /// The FEATURE/UNKNOWN/RATE table after a blank line, or nothing when every category is known.
    fn table(&self) -> String {
        if self.0.is_empty() {
            return String::new();
        }
        let rows: Vec<Vec<String>> = self
            .0
            .iter()
            .map(|(f, n, rate)| vec![f.clone(), n.to_string(), format!("{:.2}%", 100.0 * rate)])
            .collect();
        format!("\n{}", render_table(&["FEATURE", "UNKNOWN", "RATE"], &rows))
    }

    fn gauges(&self, rows: usize) -> Gauges {
        let mut gauges = Gauges::default();
        gauges.gauge("refit_predict_rows", "Rows scored.", &[], rows as f64);
        for (feature, _, rate) in &self.0 {
            gauges.gauge(
                "refit_predict_unknown_category_rate",
                "Share of rows whose category the model never saw, per feature.",
                &[("feature", feature)],
                *rate,
            );
        }
        gauges
    }
}

#[derive(Clone, Copy)]
enum OutputFormat {
    Parquet,
    Csv,
}

fn output_format(path: &Path) -> Result<OutputFormat> {
    match path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("parquet") | Some("pq") => Ok(OutputFormat::Parquet),
        Some("csv") => Ok(OutputFormat::Csv),
        _ => bail!(
            "--out {}: expected a .parquet or .csv file name",
            path.display()
        ),
    }
}

/// The id columns, `score`, and for a binary model `prediction` (0/1 at its threshold).
fn output_frame(
    data: &LoadedTable,
    ids: &[String],
    scores: &[f64],
    task: Task,
    threshold: Option<f64>,
) -> Result<DataFrame> {
    let mut columns: Vec<Column> = Vec::new();
    for id in ids {
        columns.push(data.whole_column(id)?.into());
    }
    columns.push(Series::new("score".into(), scores).into());
    if task == Task::Binary {
        let threshold = threshold.unwrap_or(0.5);
        let decisions: Vec<i32> = scores.iter().map(|&s| i32::from(s >= threshold)).collect();
        columns.push(Series::new("prediction".into(), decisions).into());
    }
    DataFrame::new(data.rows, columns).context("assembling the predictions")
}
