//! `refit validate`: infer a data contract from a baseline, or check data against one.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use chrono::{DateTime, SecondsFormat, Utc};
use clap::builder::PossibleValue;
use clap::Args;
use serde::Serialize;

use super::args::{check_output, choice, duration, non_negative, share, DurationArg};
use crate::contract::observe::{ColumnFacts, Values};
use crate::contract::render::{self, ValidateResult};
use crate::contract::{
    self, Check, Checked, Contract, Frames, InferSettings, Inferred, Kind, Limits, Observed, Span,
    CONTRACT_FILE,
};
use crate::data::time::{format_ms, parse_timestamp};
use crate::data::{write_atomic, InputInfo, Table};
use crate::drift::profile::{
    is_profile_path, refuse_profiles, FeatureProfile, FeatureSummary, Profile,
};
use crate::report::output::{CommandReport, Printer};

pub const EXAMPLES: &str = "\
Examples:
  # infer a contract from the training data: columns, types, null shares, ranges, domains,
  # and per-server minimums (7 days of history, 1,000 rows, no gap over 2 days)
  refit validate --infer --data train.parquet --out contract.json \\
      --time timestamp --entity server_id --key server_id,timestamp

  # check today's data against it, or against the contract.json of a model directory
  refit validate --contract contract.json --data today.parquet --max-age 2d
  refit validate --contract models/current --data 'today/*.parquet' --skip entity_history

Checks: required_column, extra_column, type, null_share, range, domain, row_count,
unique_key, freshness, entity_history, entity_rows, entity_gap; each violation is an error or a
warning as the contract's `severity` says (range, domain and the entity checks warn by
default). Verdict: FAIL (exit 2) on any error; WARN (exit 0, or 3 with --fail-on warn) on
warnings only; exit 1 when the data cannot be read or the contract is invalid (the file and
the field are named). --infer also checks its baseline against the contract it wrote
(freshness aside) and says what the baseline breaks.";

#[derive(Debug, Clone, Args, Serialize)]
pub struct ValidateArgs {
    /// Data to check, or to infer from: a file, a quoted glob of shards or an object URL; repeat
    /// for several. To check, also one profile.json (`refit profile`, merged or from Spark):
    /// columns, types, null shares, domains, out-of-range values and rows are decided from its
    /// counts; key, freshness and entity checks need rows and are reported as not evaluated.
    #[arg(long, required = true, value_name = "PATH")]
    pub data: Vec<String>,
    /// The contract to check against: a contract file, or a model directory holding
    /// contract.json (train-candidate writes one).
    #[arg(
        long,
        value_name = "PATH|MODEL_DIR",
        required_unless_present = "infer",
        conflicts_with = "infer"
    )]
    pub contract: Option<PathBuf>,
    /// Infer a contract from --data and write it to --out instead of checking.
    #[arg(long, requires = "out")]
    pub infer: bool,
    /// Where --infer writes the contract (atomically).
    #[arg(long, value_name = "PATH", requires = "infer")]
    pub out: Option<PathBuf>,
    /// Reference time for freshness (RFC 3339). Default: the clock.
    #[arg(long, value_name = "TIME", conflicts_with = "infer")]
    pub now: Option<String>,
    /// Checks to leave out (comma-separated), e.g. entity_history,entity_rows for a daily
    /// batch checked against a training contract.
    #[arg(long, value_delimiter = ',', value_name = "CHECKS", conflicts_with = "infer",
          value_parser = choice::<Check>(check_values()))]
    pub skip: Vec<Check>,
    /// How many violations the text lists (the JSON report lists all).
    #[arg(long, default_value_t = 50, value_name = "N")]
    pub limit: usize,
    /// Time column (date, datetime or ISO 8601 text): freshness, entity history and gaps.
    #[arg(
        long,
        value_name = "COL",
        requires = "infer",
        help_heading = "Inferring (--infer)"
    )]
    pub time: Option<String>,
    /// Entity column (server, device): per-entity history, rows and gaps.
    #[arg(
        long,
        value_name = "COL",
        requires = "infer",
        help_heading = "Inferring (--infer)"
    )]
    pub entity: Option<String>,
    /// Key columns (comma-separated): together unique, never null.
    #[arg(
        long,
        value_delimiter = ',',
        value_name = "COLS",
        requires = "infer",
        help_heading = "Inferring (--infer)"
    )]
    pub key: Vec<String>,
    /// Refuse columns the contract does not list (default: extra columns are allowed).
    #[arg(long, requires = "infer", help_heading = "Inferring (--infer)")]
    pub no_extra_columns: bool,
    /// Null share allowed above the baseline's (absolute).
    #[arg(long, default_value_t = 0.05, value_name = "SHARE", value_parser = share,
          requires = "infer", help_heading = "Inferring (--infer)")]
    pub null_margin: f64,
    /// The baseline's [min, max] widened by this share of its width on each side.
    #[arg(long, default_value_t = 0.1, value_name = "SHARE", value_parser = non_negative,
          requires = "infer", help_heading = "Inferring (--infer)")]
    pub range_margin: f64,
    /// Share of a categorical column's values that may be unseen in the baseline.
    #[arg(long, default_value_t = 0.0, value_name = "SHARE", value_parser = share,
          requires = "infer", help_heading = "Inferring (--infer)")]
    pub max_unseen_share: f64,
    /// Row count bounds at the baseline's rows times (1 - SHARE) and (1 + SHARE).
    /// Default: no bounds (a batch need not be as large as the baseline).
    #[arg(long, value_name = "SHARE", value_parser = share, requires = "infer",
          help_heading = "Inferring (--infer)")]
    pub rows_margin: Option<f64>,
    /// Freshness: the latest timestamp may be at most this old (2d). Default: not checked.
    #[arg(long, value_name = "DURATION", value_parser = duration,
          help_heading = "Limits (--infer, or in place of the contract's)")]
    pub max_age: Option<DurationArg>,
    /// Each entity's history spans at least this long. Default with --infer: 7d.
    #[arg(long, value_name = "DURATION", value_parser = duration,
          help_heading = "Limits (--infer, or in place of the contract's)")]
    pub min_history: Option<DurationArg>,
    /// Each entity has at least this many rows. Default with --infer: 1000.
    #[arg(
        long,
        value_name = "N",
        help_heading = "Limits (--infer, or in place of the contract's)"
    )]
    pub min_entity_rows: Option<u64>,
    /// No entity has two consecutive timestamps further apart. Default with --infer: 2d.
    #[arg(long, value_name = "DURATION", value_parser = duration,
          help_heading = "Limits (--infer, or in place of the contract's)")]
    pub max_gap: Option<DurationArg>,
}

fn check_values() -> Vec<PossibleValue> {
    Check::ALL
        .iter()
        .map(|c| PossibleValue::new(c.as_str()).help(c.describe()))
        .collect()
}

pub fn run(args: &ValidateArgs, _printer: &Printer) -> Result<CommandReport> {
    let started_at = Utc::now();
    match &args.out {
        Some(out) if args.infer => infer(args, out, started_at),
        _ => check(args, started_at),
    }
}

/// Why validate reads rows, not profiles.
const PROFILE_REFUSAL: &str = "inferring a contract reads rows (keys, time column, entity \
     history) that a profile does not keep, and a profile must be the only --data; infer from \
     the data itself, and check a profile with `validate --contract C --data profile.json`";

/// Writes the contract the baseline keeps, and reports what the baseline breaks of the
/// limits given explicitly.
fn infer(args: &ValidateArgs, out: &Path, started_at: DateTime<Utc>) -> Result<CommandReport> {
    check_output("--out", out)?;
    let settings = infer_settings(args);
    refuse_profiles("--data", &args.data, PROFILE_REFUSAL)?;
    let table = Table::open(&args.data)?;
    for column in settings.role_columns() {
        table.require_column(&column)?;
    }
    let names = present_columns(&table);
    let data = table.load(&names)?;
    let observed = contract::observe(Frames::of(&data), names.clone(), &settings.roles(&names))?;
    let Inferred {
        mut contract,
        notes,
    } = contract::infer(&observed, &settings)?;
    contract.created_at = Some(started_at.to_rfc3339_opts(SecondsFormat::Millis, true));
    // A baseline is old by nature: its age says nothing about the contract.
    let baseline_rules = contract.clone().without(Check::Freshness);
    let checked = contract::check(&baseline_rules, &observed, started_at.timestamp_millis());
    write_atomic(out, contract.to_json()?.as_bytes())?;
    let out_text = out.display().to_string();
    let headline =
        render::infer_headline(&checked, &data.source, &out_text, contract.columns.len());
    let text = render::render_text(&headline, &checked, args.limit, &notes);
    let entities = contract.entities.clone();
    Ok(
        report("infer", out_text, checked, text, data.inputs()?, started_at)?
            .with_messages(notes)
            .resolve("min_history", entities.as_ref().map(|e| e.min_history))
            .resolve("min_entity_rows", entities.as_ref().map(|e| e.min_rows))
            .resolve("max_gap", entities.as_ref().map(|e| e.max_gap)),
    )
}

/// Checks the data against the contract, with the command line's limits and skips applied.
fn check(args: &ValidateArgs, started_at: DateTime<Utc>) -> Result<CommandReport> {
    let path = contract_path(args.contract.as_deref().context("--contract is required")?)?;
    let contract = Contract::load(&path)?.with_limits(&limits(args))?;
    let contract = args
        .skip
        .iter()
        .fold(contract, |c, check| c.without(*check));
    let now = match &args.now {
        Some(text) => parse_timestamp(text).with_context(|| {
            format!("--now `{text}`: expected RFC 3339, e.g. 2026-11-23T08:00:00Z")
        })?,
        None => started_at.timestamp_millis(),
    };
    if let [single] = args.data.as_slice() {
        if is_profile_path(single) {
            return check_profile(args, single, &path, &contract, now, started_at);
        }
    }
    refuse_profiles("--data", &args.data, PROFILE_REFUSAL)?;
    let table = Table::open(&args.data)?;
    let names = present_columns(&table);
    let roles = contract.roles(&names);
    // At least one column, so the table's rows are counted even when none is the contract's.
    let load = if roles.columns.is_empty() {
        names.iter().take(1).cloned().collect()
    } else {
        roles.columns.clone()
    };
    let data = table.load(&load)?;
    let observed = contract::observe(Frames::of(&data), names, &roles)?;
    let checked = contract::check(&contract, &observed, now);
    let path_text = path.display().to_string();
    let headline = render::check_headline(&checked, &data.source, &path_text);
    let text = render::render_text(&headline, &checked, args.limit, &[]);
    Ok(report(
        "check",
        path_text,
        checked,
        text,
        data.inputs()?,
        started_at,
    )?
    .resolve("contract", &path)
    .resolve("now", format_ms(now)))
}

/// `--data profile.json`: the checks a profile's counts can decide (columns, types, null
/// shares, domains, whether a value is out of range, rows); the others are listed as not
/// evaluated, never passed silently.
fn check_profile(
    args: &ValidateArgs,
    profile_path: &str,
    contract_path: &Path,
    contract: &Contract,
    now: i64,
    started_at: DateTime<Utc>,
) -> Result<CommandReport> {
    let profile = Profile::load(Path::new(profile_path))?;
    let observed = observe_profile(&profile, profile_path);
    let notes = unevaluated(contract, &observed, profile_path);
    let checked = contract::check(contract, &observed, now);
    let path_text = contract_path.display().to_string();
    let headline = render::check_headline(&checked, profile_path, &path_text);
    let text = render::render_text(&headline, &checked, args.limit, &notes);
    Ok(report(
        "check",
        path_text,
        checked,
        text,
        profile.sources.clone(),
        started_at,
    )?
    .with_messages(notes)
    .resolve("contract", contract_path)
    .resolve("now", format_ms(now)))
}

/// What a profile shows as a table's facts: its rows, every column of its sources, and per
/// profiled feature its type, nulls, categories or the extremes of its numbers.
fn observe_profile(profile: &Profile, path: &str) -> Observed {
    let mut names: Vec<String> = profile
        .sources
        .first()
        .map(|s| s.columns.clone())
        .unwrap_or_default();
    names.retain(|n| profile.sources.iter().all(|s| s.columns.contains(n)));
    if names.is_empty() {
        names = profile.features.iter().map(|f| f.name.clone()).collect();
    }
    let columns = profile
        .features
        .iter()
        .map(|f| (f.name.clone(), profiled_facts(f)))
        .collect();
    Observed {
        source: path.to_string(),
        rows: profile.rows,
        names,
        columns,
        ..Observed::default()
    }
}

fn profiled_facts(feature: &FeatureProfile) -> ColumnFacts {
    let dtype = feature.dtype.clone().unwrap_or_default();
    let numeric_type = dtype
        .strip_prefix(['i', 'u', 'f'])
        .is_some_and(|bits| !bits.is_empty() && bits.chars().all(|c| c.is_ascii_digit()));
    let (kind, rows, nulls, values) = match &feature.summary {
        FeatureSummary::Numeric(n) => (
            Kind::Numeric,
            n.missing.rows,
            n.missing.null + n.missing.nan,
            Values::Extremes {
                min: n.min,
                max: n.max,
                infinite: n.missing.pos_inf + n.missing.neg_inf,
            },
        ),
        FeatureSummary::Categorical(c) => {
            let (kind, values) = match dtype.as_str() {
                "bool" => (Kind::Boolean, Values::Other),
                _ if numeric_type => (Kind::Numeric, Values::Other),
                _ => (Kind::Categorical, Values::Categories(c.counts.clone())),
            };
            (kind, c.missing.rows, c.missing.null, values)
        }
    };
    ColumnFacts {
        // A column without a single value says nothing about its type.
        kind: (nulls < rows).then_some(kind),
        dtype,
        rows,
        nulls,
        values,
    }
}

/// The contract's checks a profile cannot decide, said in the report.
fn unevaluated(contract: &Contract, observed: &Observed, path: &str) -> Vec<String> {
    let mut checks = Vec::new();
    if !contract.key.is_empty() {
        checks.push("unique_key");
    }
    if contract.freshness.is_some() && contract.time_column.is_some() {
        checks.push("freshness");
    }
    if contract.entities.is_some() {
        checks.push("entity_history, entity_rows, entity_gap");
    }
    let mut notes = Vec::new();
    if !checks.is_empty() {
        notes.push(format!(
            "{path} is a profile; not evaluated (they need rows): {}",
            checks.join(", ")
        ));
    }
    let unprofiled: Vec<&str> = contract
        .columns
        .iter()
        .map(|c| c.name.as_str())
        .filter(|n| observed.names.iter().any(|m| m == n) && !observed.columns.contains_key(*n))
        .collect();
    if !unprofiled.is_empty() {
        notes.push(format!(
            "{path} does not profile {}: only their presence was checked",
            unprofiled.join(", ")
        ));
    }
    notes
}

fn report(
    mode: &'static str,
    contract: String,
    checked: Checked,
    text: String,
    inputs: Vec<InputInfo>,
    started_at: DateTime<Utc>,
) -> Result<CommandReport> {
    let result = ValidateResult {
        mode,
        contract,
        summary: checked.summary,
        violations: &checked.violations,
    };
    let result = serde_json::to_value(result)?;
    Ok(
        CommandReport::new("validate", started_at, checked.status(), result, text)
            .with_inputs(inputs)
            .with_gauges(render::gauges(&checked.summary)),
    )
}

/// Every flag that shapes the contract, by name.
fn infer_settings(args: &ValidateArgs) -> InferSettings {
    let defaults = InferSettings::default();
    let span = |d: &Option<DurationArg>| d.as_ref().map(|d| Span::from_millis(d.millis()));
    InferSettings {
        time: args.time.clone(),
        entity: args.entity.clone(),
        key: args.key.clone(),
        optional: Vec::new(),
        allow_extra_columns: !args.no_extra_columns,
        null_margin: args.null_margin,
        range_margin: args.range_margin,
        max_unseen_share: args.max_unseen_share,
        rows_margin: args.rows_margin,
        max_age: span(&args.max_age),
        min_history: span(&args.min_history).or(defaults.min_history),
        min_entity_rows: args.min_entity_rows.or(defaults.min_entity_rows),
        max_gap: span(&args.max_gap).or(defaults.max_gap),
    }
}

fn limits(args: &ValidateArgs) -> Limits {
    let span = |d: &Option<DurationArg>| d.as_ref().map(|d| Span::from_millis(d.millis()));
    Limits {
        max_age: span(&args.max_age),
        min_history: span(&args.min_history),
        min_rows: args.min_entity_rows,
        max_gap: span(&args.max_gap),
    }
}

/// A contract file, or the contract.json of a model directory.
fn contract_path(given: &Path) -> Result<PathBuf> {
    if !given.is_dir() {
        return Ok(given.to_path_buf());
    }
    let path = given.join(CONTRACT_FILE);
    if !path.exists() {
        bail!(
            "{} holds no {CONTRACT_FILE} (a model trained before refit wrote one?); infer one: \
             refit validate --infer --data TRAINING_DATA --out {}",
            given.display(),
            path.display()
        );
    }
    Ok(path)
}

/// The columns every shard has, in the first shard's order.
fn present_columns(table: &Table) -> Vec<String> {
    table
        .column_names()
        .into_iter()
        .filter(|c| table.require_column(c).is_ok())
        .collect()
}
