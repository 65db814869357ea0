//! `refit drift-check`: is the current data distributed like the baseline?

use std::path::PathBuf;

use anyhow::{bail, Result};
use chrono::Utc;
use clap::Args;
use rayon::prelude::*;
use serde::Serialize;

use super::args::{choice, correction_values, method_values, non_negative, positive_share};
use crate::data::Table;
use crate::drift::config::DriftConfig;
use crate::drift::feature::{FeatureDrift, Side, SideRows, Sides};
use crate::drift::plan::{plan_features, ColumnSource, FeaturePlan, FeatureSelection};
use crate::drift::profile::{is_profile_path, Profile};
use crate::drift::render::{drift_result, gauges, render_text, Summary};
use crate::drift::{
    decide_features, DatasetRule, FeatureDecisionInput, FeatureVerdict, Method, Statistic,
};
use crate::report::output::{CommandReport, Printer};
use crate::report::Status;
use crate::stats::correction::Correction;

pub const EXAMPLES: &str = "\
Examples:
  # PSI on every baseline column, seed bands (WARN >= 0.1, FAIL >= 0.25)
  refit drift-check --baseline train.parquet --current 'today/*.parquet'

  # KS test per numeric feature, Benjamini-Hochberg over features, JSON report for the pipeline
  refit drift-check --baseline train.parquet --current today.csv --method ks --correction bh \\
      --report out/drift.json --metrics-file /var/lib/node_exporter/refit_drift.prom

  # against a profile made once by `refit profile`, failing on WARN too
  refit drift-check --baseline profile.json --current today.parquet --fail-on warn

  # both sides as profiles (today's merged from its partitions): PSI, JS and chi-square exact,
  # KS and Wasserstein from the profiles' quantile sketches, within the error they state
  refit drift-check --baseline profile.json --current today.json

Numeric features are binned on the baseline's quantiles (numpy's linear interpolation), with
the outer bins open to -inf/+inf so values beyond the baseline's range are counted (a plain
np.histogram drops them). Nulls, NaN and +/-inf are counted per side and left out of every
statistic. A constant baseline gets the bins <c, =c, >c. Jensen-Shannon is a distance in base 2.
A feature missing from the current data, or whose type changed, is a FAIL for that feature
(\"missing in current\", \"type changed: f64 -> str\").

Exit codes: 0 OK (and WARN unless --fail-on warn), 1 error, 2 FAIL, 3 WARN with --fail-on warn.";

#[derive(Debug, Clone, Args, Serialize)]
pub struct DriftCheckArgs {
    /// Baseline: a data file, a glob of shards (quote it), an object URL such as
    /// 's3://bucket/day=*/*.parquet', or a local profile.json from `refit profile`. Repeat
    /// for several files.
    #[arg(long, required = true, value_name = "PATH")]
    pub baseline: Vec<String>,
    /// Current data: a file, a glob of shards (quote it), an s3://, gs:// or az:// URL (globs
    /// too), or a profile.json counted with --edges-from the baseline's profile (e.g. merged
    /// from partitions by `refit profile merge`). Repeat for several files.
    #[arg(long, required = true, value_name = "PATH")]
    pub current: Vec<String>,
    /// Features to compare (comma-separated). Default: every column of the baseline.
    #[arg(long, value_delimiter = ',', value_name = "COLS")]
    pub features: Vec<String>,
    /// Columns to leave out (ids, timestamps, labels).
    #[arg(long, value_delimiter = ',', value_name = "COLS")]
    pub exclude: Vec<String>,
    /// Treat these columns as categorical whatever their type (e.g. integer codes).
    #[arg(long, value_delimiter = ',', value_name = "COLS")]
    pub categorical: Vec<String>,
    /// Number of baseline quantile bins for numeric features (2 to 1000: one bin cannot show a shift).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u16).range(2..=1000))]
    pub buckets: u16,
    /// The statistic that decides each feature's verdict.
    #[arg(long, value_parser = choice::<Method>(method_values()), default_value = "psi")]
    pub method: Method,
    /// PSI at or above this is WARN.
    #[arg(long, default_value_t = 0.1, value_name = "X", value_parser = non_negative)]
    pub warn_psi: f64,
    /// PSI at or above this is FAIL.
    #[arg(long, default_value_t = 0.25, value_name = "X", value_parser = non_negative)]
    pub fail_psi: f64,
    /// Jensen-Shannon distance (base 2) at or above this is WARN (--method js).
    #[arg(long, default_value_t = 0.1, value_name = "X", value_parser = non_negative)]
    pub warn_js: f64,
    /// Jensen-Shannon distance (base 2) at or above this is FAIL (--method js).
    #[arg(long, default_value_t = 0.2, value_name = "X", value_parser = non_negative)]
    pub fail_js: f64,
    /// Corrected p-value below this is WARN (--method ks|chi2).
    #[arg(long, default_value_t = 0.05, value_name = "P", value_parser = positive_share)]
    pub warn_p: f64,
    /// Corrected p-value below this is FAIL (--method ks|chi2).
    #[arg(long, default_value_t = 0.01, value_name = "P", value_parser = positive_share)]
    pub fail_p: f64,
    /// Wasserstein distance at or above this is WARN; in the feature's units, so no default
    /// (required with --method wasserstein unless every feature has one in --config).
    #[arg(long, value_name = "X", value_parser = non_negative)]
    pub warn_wasserstein: Option<f64>,
    /// Wasserstein distance at or above this is FAIL (see --warn-wasserstein).
    #[arg(long, value_name = "X", value_parser = non_negative)]
    pub fail_wasserstein: Option<f64>,
    /// Multiple-testing correction for p-value methods.
    #[arg(long, value_parser = choice::<Correction>(correction_values()), default_value = "bonferroni")]
    pub correction: Correction,
    /// The dataset FAILs when at least this share (0-1] of features FAIL. Default: any feature.
    #[arg(long, value_name = "SHARE", value_parser = positive_share)]
    pub fail_share: Option<f64>,
    /// TOML file with per-feature thresholds and overrides ([features.NAME] warn/fail/
    /// categorical/exclude).
    #[arg(long, value_name = "PATH")]
    pub config: Option<PathBuf>,
}

pub fn run(args: &DriftCheckArgs, printer: &Printer) -> Result<CommandReport> {
    let started_at = Utc::now();
    validate_thresholds(args)?;
    let config = match &args.config {
        Some(path) => DriftConfig::load(path)?,
        None => DriftConfig::default(),
    };
    let baseline = open_side("--baseline", &args.baseline)?;
    let current = open_side("--current", &args.current)?;
    let mut messages = profile_messages(&baseline, &current, args)?;
    let categorical = merged(&args.categorical, config.flagged(|f| f.categorical));
    let plan = plan(&baseline, &current, args, &config, &categorical)?;
    messages.extend(plan.messages.iter().cloned());
    let sides = Sides::open(&baseline, &current);
    let rows = sides.rows()?;
    let drifts = analyze(&plan, &sides, &categorical, args, printer)?;
    let verdicts = decide(&drifts, args, &config)?;
    let statuses: Vec<Status> = verdicts.iter().map(|v| v.status).collect();
    let rule = DatasetRule {
        fail_share: args.fail_share,
    };
    let status = rule.overall(&statuses);
    let summary = summarize(&statuses, &rule, args, &sides, &rows);
    let result = drift_result(summary, &drifts, &verdicts);
    let text = render_text(
        &result,
        status,
        &baseline.source_for_text(),
        &current.source_for_text(),
        &drifts,
    );
    let result = serde_json::to_value(&result)?;
    let names: Vec<String> = plan.features.iter().map(|f| f.name.clone()).collect();
    Ok(
        CommandReport::new("drift-check", started_at, status, result, text)
            .with_inputs(sides.inputs(&rows)?)
            .with_gauges(gauges(&drifts, &verdicts))
            .with_messages(messages)
            .resolve("features", names)
            .resolve("psi_min_proportion", crate::stats::psi::PSI_MIN_PROPORTION),
    )
}

/// The features to check, from the flags and --config.
fn plan(
    baseline: &Side,
    current: &Side,
    args: &DriftCheckArgs,
    config: &DriftConfig,
    categorical: &[String],
) -> Result<FeaturePlan> {
    let excluded = merged(&args.exclude, config.flagged(|f| f.exclude));
    let mut columns = baseline.names();
    columns.extend(current.names());
    config.check_features(&columns)?;
    plan_features(
        baseline,
        current,
        &FeatureSelection {
            requested: &args.features,
            excluded: &excluded,
            categorical,
        },
    )
}

/// What profiles cannot give, said once. KS and Wasserstein come from their quantile
/// sketches, approximately; the text names the bound per feature.
fn profile_messages(baseline: &Side, current: &Side, args: &DriftCheckArgs) -> Result<Vec<String>> {
    let profiles: Vec<&str> = [baseline, current]
        .iter()
        .filter_map(|side| match side {
            Side::Profile { path, .. } => Some(path.as_str()),
            Side::Data(_) => None,
        })
        .collect();
    let mut messages = Vec::new();
    if !profiles.is_empty() {
        messages.push(format!(
            "{} {}: PSI, JS and chi-square are exact on the bins; KS and Wasserstein come from \
             quantile sketches and are approximate (each feature's `approximate` gives the \
             largest possible error)",
            profiles.join(" and "),
            if profiles.len() == 1 {
                "is a profile"
            } else {
                "are profiles"
            },
        ));
    }
    if let Side::Profile { profile, .. } = baseline {
        if profile.buckets != usize::from(args.buckets) {
            messages.push(format!(
                "baseline profile has {} buckets; --buckets {} ignored",
                profile.buckets, args.buckets
            ));
        }
    }
    Ok(messages)
}

/// Every statistic of every feature, features in parallel; a feature the current data lacks or
/// changed the type of is not measured.
fn analyze(
    plan: &FeaturePlan,
    sides: &Sides<'_>,
    categorical: &[String],
    args: &DriftCheckArgs,
    printer: &Printer,
) -> Result<Vec<FeatureDrift>> {
    let bar = printer.progress_bar(plan.features.len() as u64, "drift-check");
    let drifts = plan
        .features
        .par_iter()
        .map(|f| {
            let drift = sides.check(
                f,
                !plan.is_missing(&f.name),
                categorical.contains(&f.name),
                usize::from(args.buckets),
            );
            bar.inc(1);
            drift
        })
        .collect::<Result<Vec<_>>>()?;
    bar.finish_and_clear();
    Ok(drifts)
}

/// Each feature's verdict from its deciding statistic and thresholds, p-values corrected.
fn decide(
    drifts: &[FeatureDrift],
    args: &DriftCheckArgs,
    config: &DriftConfig,
) -> Result<Vec<FeatureVerdict>> {
    let inputs = drifts
        .iter()
        .map(|d| {
            let categorical = d.kind == crate::data::ColumnKind::Categorical;
            let statistic = Statistic::for_method(args.method, categorical);
            Ok(FeatureDecisionInput {
                statistic,
                value: d.statistic(statistic),
                schema_change: d.schema_change(),
                thresholds: config.thresholds(
                    &d.name,
                    statistic,
                    flag_thresholds(statistic, args),
                )?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(decide_features(&inputs, args.correction))
}

fn summarize(
    statuses: &[Status],
    rule: &DatasetRule,
    args: &DriftCheckArgs,
    sides: &Sides<'_>,
    rows: &SideRows,
) -> Summary {
    let count = |s: Status| statuses.iter().filter(|x| **x == s).count();
    Summary {
        features: statuses.len(),
        fail: count(Status::Fail),
        warn: count(Status::Warn),
        ok: count(Status::Ok),
        rule: rule.describe(),
        method: args.method,
        js_base: 2,
        baseline_kind: sides.baseline.kind_name(),
        baseline_rows: sides.baseline_total(rows),
        current_kind: sides.current.kind_name(),
        current_rows: sides.current_total(rows),
    }
}

/// A side's data files, or the one profile.json standing for them.
fn open_side(flag: &str, specs: &[String]) -> Result<Side> {
    match specs {
        [single] if is_profile_path(single) => Ok(Side::Profile {
            path: single.clone(),
            profile: Profile::load(std::path::Path::new(single))?,
        }),
        _ if specs.iter().any(|s| is_profile_path(s)) => {
            bail!(
                "a profile.json must be the only {flag}; merge profiles with `refit profile merge`"
            )
        }
        _ => Ok(Side::Data(Table::open(specs)?)),
    }
}

fn merged(flags: &[String], from_config: Vec<String>) -> Vec<String> {
    let mut all = flags.to_vec();
    all.extend(from_config);
    all
}

/// The flags' thresholds for a statistic, before any --config entry.
fn flag_thresholds(statistic: Statistic, args: &DriftCheckArgs) -> (Option<f64>, Option<f64>) {
    match statistic {
        Statistic::Psi => (Some(args.warn_psi), Some(args.fail_psi)),
        Statistic::JsDistance => (Some(args.warn_js), Some(args.fail_js)),
        Statistic::KsPvalue | Statistic::Chi2Pvalue => (Some(args.warn_p), Some(args.fail_p)),
        Statistic::Wasserstein => (args.warn_wasserstein, args.fail_wasserstein),
    }
}

fn validate_thresholds(args: &DriftCheckArgs) -> Result<()> {
    for (name, warn, fail) in [
        ("psi", args.warn_psi, args.fail_psi),
        ("js", args.warn_js, args.fail_js),
    ] {
        if !(0.0..=fail).contains(&warn) {
            bail!("--warn-{name} {warn} must be between 0 and --fail-{name} {fail}");
        }
    }
    if let (Some(warn), Some(fail)) = (args.warn_wasserstein, args.fail_wasserstein) {
        if !(0.0..=fail).contains(&warn) {
            bail!("--warn-wasserstein {warn} must be between 0 and --fail-wasserstein {fail}");
        }
    }
    if !(0.0 < args.fail_p && args.fail_p <= args.warn_p && args.warn_p <= 1.0) {
        bail!(
            "p-value thresholds must satisfy 0 < --fail-p <= --warn-p <= 1 (got {} and {})",
            args.fail_p,
            args.warn_p
        );
    }
    Ok(())
}
