//! `refit profile`: a baseline profile that drift-check accepts instead of the raw data.

use std::path::PathBuf;

use anyhow::Result;
use chrono::Utc;
use clap::Args;
use rayon::prelude::*;
use serde::Serialize;
use serde_json::json;

use super::args::check_output;
use crate::data::{write_atomic, Table};
use crate::drift::plan::{plan_features, FeaturePlan, FeatureSelection};
use crate::drift::profile::{profile_feature, Profile, PROFILE_FORMAT, PROFILE_SCHEMA};
use crate::report::envelope::rfc3339;
use crate::report::output::{CommandReport, Printer};
use crate::report::Status;

pub const EXAMPLES: &str = "\
Examples:
  refit profile --data train.parquet --out model/profile.json
  refit drift-check --baseline model/profile.json --current today.parquet";

#[derive(Debug, Clone, Args, Serialize)]
pub struct ProfileArgs {
    /// Data to profile: a file, a glob of shards (quote it) or an object URL. Repeat for
    /// several files.
    #[arg(long, required = true, value_name = "PATH")]
    pub data: Vec<String>,
    /// Where to write the profile JSON.
    #[arg(long, value_name = "PATH")]
    pub out: PathBuf,
    /// Features to profile (comma-separated). Default: every comparable column.
    #[arg(long, value_delimiter = ',', value_name = "COLS")]
    pub features: Vec<String>,
    /// Columns to leave out.
    #[arg(long, value_delimiter = ',', value_name = "COLS")]
    pub exclude: Vec<String>,
    /// Treat these columns as categorical whatever their type.
    #[arg(long, value_delimiter = ',', value_name = "COLS")]
    pub categorical: Vec<String>,
    /// Number of quantile bins for numeric features (2 to 1000: one bin cannot show a shift).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u16).range(2..=1000))]
    pub buckets: u16,
}

pub fn run(args: &ProfileArgs, _printer: &Printer) -> Result<CommandReport> {
    let started_at = Utc::now();
    check_output("--out", &args.out)?;
    let table = Table::open(&args.data)?;
    let selection = FeatureSelection {
        requested: &args.features,
        excluded: &args.exclude,
        categorical: &args.categorical,
    };
    // The table against itself: no feature is missing, none changed type.
    let FeaturePlan {
        features, messages, ..
    } = plan_features(&table, &table, &selection)?;
    let names: Vec<String> = features.iter().map(|f| f.name.clone()).collect();
    // One feature decoded at a time per worker thread: memory holds what a feature needs.
    let rows = table.shard_rows()?;
    let fingerprints = table.fingerprint();
    let buckets = usize::from(args.buckets);
    let profiled = features
        .par_iter()
        .map(|f| {
            let data = table.load_fingerprinted(std::slice::from_ref(&f.name), &fingerprints)?;
            profile_feature(f, &data, buckets)
        })
        .collect::<Result<Vec<_>>>()?;
    let inputs = table.inputs(&rows, &fingerprints)?;
    let profile = Profile {
        format: PROFILE_FORMAT.to_string(),
        schema: PROFILE_SCHEMA,
        refit_version: env!("CARGO_PKG_VERSION").to_string(),
        created_at: rfc3339(started_at),
        rows: rows.iter().sum::<usize>() as u64,
        buckets,
        sources: inputs.clone(),
        features: profiled,
    };
    write_atomic(
        &args.out,
        (serde_json::to_string_pretty(&profile)? + "\n").as_bytes(),
    )?;

    let text = format!(
        "profile OK: {} features, {} rows -> {}\n",
        profile.features.len(),
        profile.rows,
        args.out.display()
    );
    let result =
        json!({ "out": args.out, "features": profile.features.len(), "rows": profile.rows });
    Ok(
        CommandReport::new("profile", started_at, Status::Ok, result, text)
            .with_inputs(inputs)
            .with_messages(messages)
            .resolve("features", names),
    )
}
