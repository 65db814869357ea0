//! `refit drift-check`: is the current data distributed like the baseline?

use anyhow::{bail, Result};
use chrono::Utc;
use rayon::prelude::*;
use serde_json::json;

use crate::cli::{DriftCheckArgs, GlobalArgs};
use crate::data::Table;
use crate::drift::config::DriftConfig;
use crate::drift::feature::{analyze_feature, Baseline, BaselineData};
use crate::drift::plan::{plan_features, FeatureSelection};
use crate::drift::profile::{is_profile_path, Profile};
use crate::drift::render::{drift_result, metrics, render_text, Summary};
use crate::drift::{decide_features, DatasetRule, FeatureDecisionInput, Statistic, Thresholds};
use crate::report::envelope::{Envelope, EnvelopeParts};
use crate::report::output::{emit, progress_bar, CommandOutput};
use crate::report::{Outcome, Status};

pub fn run(args: &DriftCheckArgs, global: &GlobalArgs) -> Result<Outcome> {
    let started_at = Utc::now();
    validate_thresholds(args)?;
    let config = match &args.config {
        Some(path) => DriftConfig::load(path)?,
        None => DriftConfig::default(),
    };
    let baseline = open_baseline(&args.baseline)?;
    let current = Table::open(&args.current)?;
    let mut messages = Vec::new();
    if let Baseline::Profile { path, profile } = &baseline {
        if args.method.needs_raw_baseline() {
            bail!(
                "--method {} compares raw values, but {path} is a profile (binned counts only); \
                 pass the raw baseline data or use --method psi|js|chi2",
                args.method.name()
            );
        }
        messages.push(format!(
            "baseline {path} is a profile: KS and Wasserstein need raw baseline values and are null"
        ));
        if profile.buckets != usize::from(args.buckets) {
            messages.push(format!(
                "baseline profile has {} buckets; --buckets {} ignored",
                profile.buckets, args.buckets
            ));
        }
    }

    let excluded = merged(
        &args.exclude,
        config
            .features
            .iter()
            .filter(|(_, f)| f.exclude)
            .map(|(n, _)| n),
    );
    let categorical = merged(
        &args.categorical,
        config
            .features
            .iter()
            .filter(|(_, f)| f.categorical)
            .map(|(n, _)| n),
    );
    let selection = FeatureSelection {
        requested: &args.features,
        excluded: &excluded,
        categorical: &categorical,
    };
    let (features, plan_messages) = plan_features(&baseline, &current, &selection)?;
    messages.extend(plan_messages);

    let names: Vec<String> = features.iter().map(|f| f.name.clone()).collect();
    let current_data = current.load(&names)?;
    let baseline_table;
    let (baseline_data, baseline_rows, baseline_kind) = match &baseline {
        Baseline::Data(table) => {
            baseline_table = table.load(&names)?;
            (
                BaselineData::Data(&baseline_table),
                baseline_table.rows as u64,
                "data",
            )
        }
        Baseline::Profile { path, profile } => (
            BaselineData::Profile { path, profile },
            profile.rows,
            "profile",
        ),
    };

    let bar = progress_bar(features.len() as u64, "drift-check", global);
    let drifts = features
        .par_iter()
        .map(|f| {
            let drift =
                analyze_feature(f, &baseline_data, &current_data, usize::from(args.buckets));
            bar.inc(1);
            drift
        })
        .collect::<Result<Vec<_>>>()?;
    bar.finish_and_clear();

    let decision_inputs = drifts
        .iter()
        .map(|d| {
            let statistic =
                Statistic::for_method(args.method, d.kind == crate::data::ColumnKind::Categorical);
            Ok(FeatureDecisionInput {
                statistic,
                value: d.statistic(statistic),
                thresholds: thresholds_for(&d.name, statistic, args, &config)?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let verdicts = decide_features(&decision_inputs, args.correction);
    let rule = DatasetRule {
        fail_share: args.fail_share,
    };
    let statuses: Vec<Status> = verdicts.iter().map(|v| v.status).collect();
    let status = rule.overall(&statuses);

    let count = |s: Status| statuses.iter().filter(|x| **x == s).count();
    let summary = Summary {
        features: drifts.len(),
        fail: count(Status::Fail),
        warn: count(Status::Warn),
        ok: count(Status::Ok),
        rule: rule.describe(),
        method: args.method,
        js_base: 2,
        baseline_kind,
        baseline_rows,
        current_rows: current_data.rows as u64,
    };
    let result = drift_result(summary, &drifts, &verdicts);
    let text = render_text(
        &result,
        status,
        &baseline.label_for_text(),
        &current.label,
        &drifts,
    );
    let mut inputs = match &baseline_data {
        BaselineData::Data(t) => t.inputs()?,
        BaselineData::Profile { .. } => Vec::new(),
    };
    inputs.extend(current_data.inputs()?);
    let envelope = Envelope::new(EnvelopeParts {
        command: "drift-check",
        started_at,
        status,
        fail_on: global.fail_on,
        inputs,
        params: json!({
            "baseline": args.baseline, "current": args.current, "features": names,
            "method": args.method, "buckets": args.buckets,
            "warn_psi": args.warn_psi, "fail_psi": args.fail_psi,
            "warn_js": args.warn_js, "fail_js": args.fail_js,
            "warn_p": args.warn_p, "fail_p": args.fail_p,
            "warn_wasserstein": args.warn_wasserstein, "fail_wasserstein": args.fail_wasserstein,
            "correction": args.correction, "fail_share": args.fail_share,
            "config": args.config, "psi_min_proportion": crate::stats::psi::PSI_MIN_PROPORTION,
        }),
        result: serde_json::to_value(&result)?,
        messages,
    });
    let output = CommandOutput {
        metrics: metrics(&drifts, &verdicts, status),
        envelope,
        text,
    };
    emit(&output, global)
}

fn open_baseline(specs: &[String]) -> Result<Baseline> {
    match specs {
        [single] if is_profile_path(single) => Ok(Baseline::Profile {
            path: single.clone(),
            profile: Profile::load(std::path::Path::new(single))?,
        }),
        _ if specs.iter().any(|s| is_profile_path(s)) => {
            bail!("a profile.json baseline must be the only --baseline")
        }
        _ => Ok(Baseline::Data(Table::open(specs)?)),
    }
}

fn merged<'a>(flags: &[String], from_config: impl Iterator<Item = &'a String>) -> Vec<String> {
    let mut all = flags.to_vec();
    all.extend(from_config.cloned());
    all
}

fn thresholds_for(
    feature: &str,
    statistic: Statistic,
    args: &DriftCheckArgs,
    config: &DriftConfig,
) -> Result<Thresholds> {
    let (warn, fail) = match statistic {
        Statistic::Psi => (Some(args.warn_psi), Some(args.fail_psi)),
        Statistic::JsDistance => (Some(args.warn_js), Some(args.fail_js)),
        Statistic::KsPvalue | Statistic::Chi2Pvalue => (Some(args.warn_p), Some(args.fail_p)),
        Statistic::Wasserstein => (args.warn_wasserstein, args.fail_wasserstein),
    };
    let overrides = config.feature(feature);
    let warn = overrides.and_then(|f| f.warn).or(warn);
    let fail = overrides.and_then(|f| f.fail).or(fail);
    match (warn, fail) {
        (Some(warn), Some(fail)) => Ok(Thresholds { warn, fail }),
        _ => bail!(
            "--method wasserstein has no scale-free default: pass --warn-wasserstein and \
             --fail-wasserstein, or warn/fail for `{feature}` in --config"
        ),
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
    if let Some(share) = args.fail_share {
        if !(share > 0.0 && share <= 1.0) {
            bail!("--fail-share {share} must be in (0, 1]");
        }
    }
    Ok(())
}
