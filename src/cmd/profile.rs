//! `refit profile`: a baseline profile that drift-check accepts instead of the raw data.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use chrono::Utc;
use clap::{Args, Subcommand};
use rayon::prelude::*;
use serde::Serialize;
use serde_json::json;

use super::args::check_output;
use crate::data::ColumnKind;
use crate::data::{write_atomic, Fingerprints, Table};
use crate::drift::edges::{edges_from_sketches, EdgesSource, FeatureBins};
use crate::drift::plan::{plan_features, FeaturePlan, FeatureSelection, PlannedFeature};
use crate::drift::profile::{
    merge_profiles, profile_feature, FeatureProfile, Profile, PROFILE_FORMAT, PROFILE_SCHEMA,
};
use crate::report::envelope::rfc3339;
use crate::report::output::{CommandReport, Printer};
use crate::report::Status;
use crate::stats::binning::BinEdges;

pub const EXAMPLES: &str = "\
Examples:
  refit profile --data train.parquet --out model/profile.json
  refit drift-check --baseline model/profile.json --current today.parquet

  # a dataset too large for one process: profile each partition against the baseline's bins,
  # then add the profiles (exact counts)
  refit profile --data 'lake/day=2026-11-23/part-00*.parquet' --edges-from model/profile.json \\
      --out parts/00.json
  refit profile merge parts/*.json --out day.json

  # a baseline too large for one process: two passes over its parts
  # (1) each part on its own bins, (2) the shared edges, (3) each part on them, (4) merge
  refit profile --data 'lake/train/part-00*.parquet' --out pass1/00.json
  refit profile edges pass1/*.json --out model/edges.json
  refit profile --data 'lake/train/part-00*.parquet' --edges-from model/edges.json \\
      --out pass2/00.json
  refit profile merge pass2/*.json --out model/profile.json";

#[derive(Debug, Clone, Args, Serialize)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct ProfileArgs {
    #[command(subcommand)]
    pub action: Option<ProfileAction>,
    /// Data to profile: a file, a glob of shards (quote it) or an object URL. Repeat for
    /// several files.
    #[arg(long, required = true, value_name = "PATH")]
    pub data: Vec<String>,
    /// Where to write the profile JSON.
    #[arg(long, required = true, value_name = "PATH")]
    pub out: Option<PathBuf>,
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
    /// Count numeric features against these bin edges (a baseline profile, or the edges
    /// `refit profile edges` wrote) instead of the data's own quantiles, so that profiles of
    /// the parts of a dataset can be merged exactly.
    #[arg(long, value_name = "PROFILE|EDGES", conflicts_with = "buckets")]
    pub edges_from: Option<PathBuf>,
}

#[derive(Debug, Clone, Subcommand, Serialize)]
pub enum ProfileAction {
    /// Add profiles of disjoint parts of one dataset (shards, partitions, days) into the
    /// profile of all of them: exact counts, in any order. Numeric features need the same bin
    /// edges (profile the parts with --edges-from).
    Merge(MergeArgs),
    /// Bin edges for the parts of a baseline too large for one process: merges the quantile
    /// sketches of the parts' profiles (each on its own bins) and cuts each numeric feature
    /// into quantile bins, each cut within the merged sketch's stated rank error. Profile the
    /// parts again --edges-from the result and merge them: the baseline profile.
    Edges(EdgesArgs),
}

#[derive(Debug, Clone, Args, Serialize)]
pub struct EdgesArgs {
    /// Profiles of every part of the baseline (at least one).
    #[arg(required = true, value_name = "PROFILE")]
    pub profiles: Vec<PathBuf>,
    /// Quantile bins per numeric feature (2 to 1000). Default: the parts' own.
    #[arg(long, value_parser = clap::value_parser!(u16).range(2..=1000))]
    pub buckets: Option<u16>,
    /// Where to write the edges JSON (`--edges-from` reads it).
    #[arg(long, value_name = "PATH")]
    pub out: PathBuf,
}

#[derive(Debug, Clone, Args, Serialize)]
pub struct MergeArgs {
    /// Profiles to add (at least one).
    #[arg(required = true, value_name = "PROFILE")]
    pub profiles: Vec<PathBuf>,
    /// Where to write the merged profile JSON.
    #[arg(long, value_name = "PATH")]
    pub out: PathBuf,
}

pub fn run(args: &ProfileArgs, printer: &Printer) -> Result<CommandReport> {
    match &args.action {
        Some(ProfileAction::Merge(merge)) => run_merge(merge, printer),
        Some(ProfileAction::Edges(edges)) => run_edges(edges),
        None => run_profile(args),
    }
}

fn run_profile(args: &ProfileArgs) -> Result<CommandReport> {
    let started_at = Utc::now();
    let out = args.out.as_ref().context("--out is required")?;
    check_output("--out", out)?;
    let baseline = args
        .edges_from
        .as_deref()
        .map(EdgesSource::load)
        .transpose()?;
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
    let rows = table.shard_rows()?;
    let fingerprints = table.fingerprint();
    let buckets = baseline
        .as_ref()
        .map_or(usize::from(args.buckets), EdgesSource::buckets);
    let profiled = profile_features(&table, &fingerprints, &features, baseline.as_ref(), buckets)?;
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
        out,
        (serde_json::to_string_pretty(&profile)? + "\n").as_bytes(),
    )?;

    let text = format!(
        "profile OK: {} features, {} rows -> {}\n",
        profile.features.len(),
        profile.rows,
        out.display()
    );
    let result = json!({ "out": out, "features": profile.features.len(), "rows": profile.rows });
    Ok(
        CommandReport::new("profile", started_at, Status::Ok, result, text)
            .with_inputs(inputs)
            .with_messages(messages)
            .resolve("features", names),
    )
}

/// Each feature's summary, one feature decoded at a time per worker thread so that memory
/// holds what one feature needs.
fn profile_features(
    table: &Table,
    fingerprints: &Arc<Fingerprints>,
    features: &[PlannedFeature],
    baseline: Option<&EdgesSource>,
    buckets: usize,
) -> Result<Vec<FeatureProfile>> {
    features
        .par_iter()
        .map(|f| {
            let edges = match baseline {
                Some(baseline) => baseline_edges(baseline, f)?,
                None => None,
            };
            let data = table.load_fingerprinted(std::slice::from_ref(&f.name), fingerprints)?;
            profile_feature(f, &data, buckets, edges)
        })
        .collect()
}

/// The bin edges `--edges-from` gives a numeric feature; a feature the baseline does not
/// profile as numeric is an error (its counts could not be merged with the baseline's).
fn baseline_edges<'a>(
    baseline: &'a EdgesSource,
    feature: &PlannedFeature,
) -> Result<Option<&'a BinEdges>> {
    if feature.kind != ColumnKind::Numeric {
        return Ok(None);
    }
    match baseline.feature(&feature.name) {
        Some((ColumnKind::Numeric, edges)) => Ok(edges),
        Some(_) => bail!(
            "--edges-from: feature `{}` is categorical in the baseline and numeric here",
            feature.name
        ),
        None => bail!(
            "--edges-from: the baseline has no feature `{}`; profile the same features",
            feature.name
        ),
    }
}

fn run_merge(args: &MergeArgs, _printer: &Printer) -> Result<CommandReport> {
    let started_at = Utc::now();
    check_output("--out", &args.out)?;
    let (profiles, names) = load_profiles(&args.profiles)?;
    let merged = merge_profiles(&profiles, &names, rfc3339(started_at))?;
    write_atomic(
        &args.out,
        (serde_json::to_string_pretty(&merged)? + "\n").as_bytes(),
    )?;
    let text = format!(
        "profile merge OK: {} profiles, {} features, {} rows -> {}\n",
        profiles.len(),
        merged.features.len(),
        merged.rows,
        args.out.display()
    );
    let result = json!({
        "out": args.out,
        "profiles": names,
        "features": merged.features.len(),
        "rows": merged.rows,
    });
    Ok(
        CommandReport::new("profile", started_at, Status::Ok, result, text)
            .with_inputs(merged.sources.clone()),
    )
}

fn run_edges(args: &EdgesArgs) -> Result<CommandReport> {
    let started_at = Utc::now();
    check_output("--out", &args.out)?;
    let (profiles, names) = load_profiles(&args.profiles)?;
    let buckets = match args.buckets {
        Some(buckets) => usize::from(buckets),
        None => profiles.first().map_or(10, |p| p.buckets),
    };
    let edges = edges_from_sketches(&profiles, &names, buckets, rfc3339(started_at))?;
    write_atomic(
        &args.out,
        (serde_json::to_string_pretty(&edges)? + "\n").as_bytes(),
    )?;
    let max_rank_error = edges
        .features
        .iter()
        .filter_map(|f| match &f.bins {
            FeatureBins::Numeric(n) => Some(n.max_rank_error),
            FeatureBins::Categorical => None,
        })
        .max()
        .unwrap_or(0);
    let text = format!(
        "profile edges OK: {} profiles, {} features, {} rows, {buckets} buckets, cuts within \
         {max_rank_error} rows of their quantiles -> {}\n",
        profiles.len(),
        edges.features.len(),
        edges.rows,
        args.out.display()
    );
    let result = json!({
        "out": args.out,
        "profiles": names,
        "features": edges.features.len(),
        "rows": edges.rows,
        "buckets": buckets,
        "max_rank_error": max_rank_error,
    });
    Ok(
        CommandReport::new("profile", started_at, Status::Ok, result, text)
            .with_inputs(edges.sources.clone()),
    )
}

/// The profiles given as arguments, with the names their errors use.
fn load_profiles(paths: &[PathBuf]) -> Result<(Vec<Profile>, Vec<String>)> {
    let profiles = paths
        .iter()
        .map(|p| Profile::load(p))
        .collect::<Result<Vec<_>>>()?;
    let names = paths.iter().map(|p| p.display().to_string()).collect();
    Ok((profiles, names))
}
