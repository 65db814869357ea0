//! `refit predict`: batch scoring with a model directory's features, vocabularies and model.

use std::path::Path;

use anyhow::{bail, Context, Result};
use chrono::Utc;
use polars::prelude::{
    Column, CsvWriter, DataFrame, NamedFrom, ParquetCompression, ParquetWriter, SerWriter, Series,
};
use serde_json::json;

use crate::cli::{GlobalArgs, PredictArgs, Task};
use crate::data::read::LoadedTable;
use crate::data::{write_atomic_with, Table};
use crate::model::directory::ModelDir;
use crate::model::encode::encode_features;
use crate::report::envelope::{Envelope, EnvelopeParts};
use crate::report::output::{emit, CommandOutput};
use crate::report::prometheus::MetricsText;
use crate::report::table::render_table;
use crate::report::{Outcome, Status};

pub fn run(args: &PredictArgs, global: &GlobalArgs) -> Result<Outcome> {
    let started_at = Utc::now();
    let format = output_format(&args.out)?;
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
    write_atomic_with(&args.out, |file| {
        match format {
            OutputFormat::Parquet => {
                ParquetWriter::new(file)
                    .with_compression(ParquetCompression::Zstd(None))
                    .finish(&mut frame)?;
            }
            OutputFormat::Csv => CsvWriter::new(file).finish(&mut frame)?,
        }
        Ok(())
    })?;

    let rows = data.rows as f64;
    let mut metrics = MetricsText::default();
    metrics.gauge("refit_predict_rows", "Rows scored.", &[], data.rows as f64);
    let mut table_rows = Vec::new();
    for (feature, &unknown) in &counts.unknown {
        let rate = unknown as f64 / rows;
        metrics.gauge(
            "refit_predict_unknown_category_rate",
            "Share of rows whose category the model never saw, per feature.",
            &[("feature", feature)],
            rate,
        );
        table_rows.push(vec![
            feature.clone(),
            unknown.to_string(),
            format!("{:.2}%", 100.0 * rate),
        ]);
    }
    metrics.run_summary("predict", Status::Ok);
    let unknown: serde_json::Map<String, serde_json::Value> = counts
        .unknown
        .iter()
        .map(|(f, &n)| (f.clone(), json!({ "count": n, "rate": n as f64 / rows })))
        .collect();
    let mut text = format!(
        "predict OK: {} rows scored with {} -> {}\n",
        data.rows,
        args.model.display(),
        args.out.display()
    );
    if !table_rows.is_empty() {
        text.push('\n');
        text.push_str(&render_table(&["FEATURE", "UNKNOWN", "RATE"], &table_rows));
    }
    let envelope = Envelope::new(EnvelopeParts {
        command: "predict",
        started_at,
        status: Status::Ok,
        fail_on: global.fail_on,
        inputs: data.inputs()?,
        params: json!({ "model": args.model, "data": args.data, "out": args.out, "ids": args.ids }),
        result: json!({
            "out": args.out,
            "rows": data.rows,
            "task": meta.task,
            "decision_threshold": meta.decision_threshold,
            "unknown_categories": unknown,
            "missing_values": counts.missing,
        }),
        messages: Vec::new(),
    });
    emit(
        &CommandOutput {
            envelope,
            text,
            metrics,
        },
        global,
    )
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
