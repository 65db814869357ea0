//! `refit profile`: a baseline profile that drift-check accepts instead of the raw data.

use anyhow::Result;
use chrono::Utc;
use rayon::prelude::*;
use serde_json::json;

use crate::cli::{GlobalArgs, ProfileArgs};
use crate::data::{write_atomic, Table};
use crate::drift::plan::{plan_features, FeatureSelection};
use crate::drift::profile::{profile_feature, Profile, PROFILE_FORMAT, PROFILE_SCHEMA};
use crate::report::envelope::{rfc3339, Envelope, EnvelopeParts};
use crate::report::output::{emit, CommandOutput};
use crate::report::prometheus::MetricsText;
use crate::report::{Outcome, Status};

pub fn run(args: &ProfileArgs, global: &GlobalArgs) -> Result<Outcome> {
    let started_at = Utc::now();
    let table = Table::open(&args.data)?;
    let selection = FeatureSelection {
        requested: &args.features,
        excluded: &args.exclude,
        categorical: &args.categorical,
    };
    let (features, messages) = plan_features(&table, &table, &selection)?;
    let names: Vec<String> = features.iter().map(|f| f.name.clone()).collect();
    let data = table.load(&names)?;
    let buckets = usize::from(args.buckets);
    let profiled = features
        .par_iter()
        .map(|f| profile_feature(f, &data, buckets))
        .collect::<Result<Vec<_>>>()?;
    let profile = Profile {
        format: PROFILE_FORMAT.to_string(),
        schema: PROFILE_SCHEMA,
        refit_version: env!("CARGO_PKG_VERSION").to_string(),
        created_at: rfc3339(started_at),
        rows: data.rows as u64,
        buckets,
        sources: data.inputs()?,
        features: profiled,
    };
    write_atomic(
        &args.out,
        (serde_json::to_string_pretty(&profile)? + "\n").as_bytes(),
    )?;

    let status = Status::Ok;
    let text = format!(
        "profile OK: {} features, {} rows -> {}\n",
        profile.features.len(),
        profile.rows,
        args.out.display()
    );
    let mut metrics = MetricsText::default();
    metrics.run_summary("profile", Status::Ok);
    let envelope = Envelope::new(EnvelopeParts {
        command: "profile",
        started_at,
        status,
        fail_on: global.fail_on,
        inputs: data.inputs()?,
        params: json!({ "data": args.data, "features": names, "buckets": buckets }),
        result: json!({ "out": args.out, "features": profile.features.len(), "rows": profile.rows }),
        messages,
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
