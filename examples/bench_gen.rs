//! `make bench` data, deterministic:
//! - `drift OUT_DIR ROWS [SHARDS]`: a baseline/current Parquet pair of ROWS x 15 features (13
//!   numeric, 2 categorical), with drift in a few features of the current side; with SHARDS,
//!   each side is that many files in OUT_DIR/baseline/ and OUT_DIR/current/;
//! - `proxy OUT_DIR ROWS`: ROWS churn predictions and their outcomes 30 days later;
//! - `fleet OUT_DIR ENTITIES ROWS_PER_ENTITY`: server telemetry and a vocabulary that misses
//!   a tenth of the servers.

use std::fs::File;

use anyhow::{Context, Result};
use polars::prelude::{Column, DataFrame, DataType, ParquetCompression, ParquetWriter, TimeUnit};

#[path = "support/rng.rs"]
mod rng;
use rng::Rng;

const CATEGORIES: [&str; 8] = ["a", "b", "c", "d", "e", "f", "g", "h"];

fn table(rows: usize, seed: u64, shift: f64) -> Result<DataFrame> {
    let mut rng = Rng(seed);
    let mut columns = Vec::new();
    for f in 0..13 {
        // Features 0-2 drift on the current side (shift > 0); a few NaN in feature 3.
        let mean = if f < 3 {
            shift * (f + 1) as f64 * 0.1
        } else {
            0.0
        };
        let scale = 1.0 + f as f64;
        let values: Vec<f64> = (0..rows)
            .map(|_| {
                if f == 3 && rng.uniform() < 0.01 {
                    f64::NAN
                } else {
                    (mean + rng.normal()) * scale
                }
            })
            .collect();
        columns.push(Column::new(format!("num_{f:02}").into(), values));
    }
    for c in 0..2 {
        let skew = if c == 0 { shift * 0.2 } else { 0.0 };
        let values: Vec<&str> = (0..rows)
            .map(|_| {
                let u = rng.uniform().powf(1.0 + skew);
                CATEGORIES[(u * CATEGORIES.len() as f64) as usize % CATEGORIES.len()]
            })
            .collect();
        columns.push(Column::new(format!("cat_{c}").into(), values));
    }
    Ok(DataFrame::new_infer_height(columns)?)
}

fn write(df: &mut DataFrame, path: &str) -> Result<()> {
    let file = File::create(path).with_context(|| format!("creating {path}"))?;
    ParquetWriter::new(file)
        .with_compression(ParquetCompression::Snappy)
        .finish(df)?;
    eprintln!(
        "wrote {path} ({} rows x {} columns)",
        df.height(),
        df.width()
    );
    Ok(())
}

/// One file per side, or with `shards > 1` that many files per side under `baseline/` and
/// `current/` (how a lake partitions a large table; every shard has its own seed).
fn drift(out: &str, rows: usize, shards: usize) -> Result<()> {
    for (name, seed, shift) in [("baseline", 1, 0.0), ("current", 2, 1.0)] {
        if shards <= 1 {
            write(
                &mut table(rows, seed, shift)?,
                &format!("{out}/{name}.parquet"),
            )?;
            continue;
        }
        std::fs::create_dir_all(format!("{out}/{name}"))?;
        for shard in 0..shards {
            let shard_seed = seed * 1_000 + shard as u64;
            write(
                &mut table(rows / shards, shard_seed, shift)?,
                &format!("{out}/{name}/part-{shard:03}.parquet"),
            )?;
        }
    }
    Ok(())
}

/// The current side only, as `shards` partitions of `rows / shards` rows: the data a fan-out
/// of profile processes reads (`make bench`'s fanout run).
fn partitions(out: &str, rows: usize, shards: usize) -> Result<()> {
    for shard in 0..shards {
        write(
            &mut table(rows / shards, 2_000 + shard as u64, 1.0)?,
            &format!("{out}/part-{shard:03}.parquet"),
        )?;
    }
    Ok(())
}

fn proxy(out: &str, rows: usize) -> Result<()> {
    const DAYS: usize = 50;
    let customers = rows / DAYS;
    let mut rng = Rng(3);
    let ids: Vec<String> = (0..customers * DAYS)
        .map(|i| format!("c{:07}", i % customers))
        .collect();
    let days: Vec<i32> = (0..customers * DAYS)
        .map(|i| 20_000 + (i / customers) as i32)
        .collect();
    let churned: Vec<bool> = (0..ids.len()).map(|_| rng.uniform() < 0.3).collect();
    let scores: Vec<f64> = churned
        .iter()
        .map(|&c| (if c { 0.6 } else { 0.35 } + 0.2 * rng.normal()).clamp(0.0, 1.0))
        .collect();
    let outcome_days: Vec<i32> = days.iter().map(|d| d + 30).collect();
    let date = |name: &str, v: Vec<i32>| Column::new(name.into(), v).cast(&DataType::Date);
    let mut predictions = DataFrame::new_infer_height(vec![
        Column::new("customer_id".into(), ids.clone()),
        date("predicted_at", days)?,
        Column::new("churn_score".into(), scores),
    ])?;
    let mut outcomes = DataFrame::new_infer_height(vec![
        Column::new("customer_id".into(), ids),
        date("observed_at", outcome_days)?,
        Column::new("churned".into(), churned),
    ])?;
    write(&mut predictions, &format!("{out}/predictions.parquet"))?;
    write(&mut outcomes, &format!("{out}/outcomes.parquet"))
}

fn fleet(out: &str, entities: usize, rows_per_entity: usize) -> Result<()> {
    let mut rng = Rng(4);
    let start_ms: i64 = 1_790_000_000_000;
    let mut ids = Vec::with_capacity(entities * rows_per_entity);
    let mut times = Vec::with_capacity(entities * rows_per_entity);
    for r in 0..rows_per_entity {
        for e in 0..entities {
            ids.push(format!("srv-{e:06}"));
            times.push(start_ms + (r as i64) * 3_600_000 + (rng.uniform() * 60_000.0) as i64);
        }
    }
    let mut df = DataFrame::new_infer_height(vec![
        Column::new("server_id".into(), ids),
        Column::new("timestamp".into(), times)
            .cast(&DataType::Datetime(TimeUnit::Milliseconds, None))?,
    ])?;
    write(&mut df, &format!("{out}/telemetry.parquet"))?;
    let known: Vec<String> = (0..entities)
        .filter(|e| e % 10 != 0)
        .map(|e| format!("srv-{e:06}"))
        .collect();
    std::fs::write(
        format!("{out}/vocabulary.json"),
        serde_json::to_string(&known)?,
    )?;
    Ok(())
}

/// 20 features (17 numeric, 3 categorical) over 100 days and a binary target with
/// interactions and thresholds, so trees have something to find beyond a linear margin.
fn train(out: &str, rows: usize) -> Result<()> {
    const NUMERIC: usize = 17;
    const DAYS: usize = 100;
    let mut rng = Rng(6);
    let mut numeric: Vec<Vec<f64>> = (0..NUMERIC).map(|_| Vec::with_capacity(rows)).collect();
    let regions = ["north", "south", "east", "west", "central"];
    let plans = ["free", "basic", "pro", "team"];
    let mut region = Vec::with_capacity(rows);
    let mut plan = Vec::with_capacity(rows);
    let mut device = Vec::with_capacity(rows);
    let mut label = Vec::with_capacity(rows);
    let days: Vec<i32> = (0..rows)
        .map(|i| 20_300 + (i * DAYS / rows) as i32)
        .collect();
    for _ in 0..rows {
        let x: Vec<f64> = (0..NUMERIC).map(|_| rng.normal()).collect();
        let r = (rng.uniform() * regions.len() as f64) as usize;
        let p = (rng.uniform() * plans.len() as f64) as usize;
        let d = (rng.uniform() * 50.0) as usize;
        let margin = 0.8 * x[0] - 0.6 * x[1]
            + 0.5 * x[2] * x[3]
            + if x[4] > 0.5 { 0.7 } else { -0.2 }
            + 0.3 * x[5].abs()
            - 0.4 * (x[6] > 1.0 && x[7] < 0.0) as u8 as f64
            + [0.3, -0.2, 0.0, 0.1, -0.4][r]
            + [0.5, 0.1, -0.3, -0.5][p]
            + if d.is_multiple_of(7) { 0.4 } else { 0.0 }
            - 0.3;
        label.push(rng.uniform() < 1.0 / (1.0 + (-margin).exp()));
        for (column, value) in numeric.iter_mut().zip(x) {
            column.push(value);
        }
        region.push(regions[r]);
        plan.push(plans[p]);
        device.push(format!("model-{d:02}"));
    }
    let mut columns = vec![
        Column::new("day".into(), days).cast(&DataType::Date)?,
        Column::new("region".into(), region),
        Column::new("plan".into(), plan),
        Column::new("device_model".into(), device),
    ];
    for (j, values) in numeric.into_iter().enumerate() {
        columns.push(Column::new(format!("x{j:02}").into(), values));
    }
    columns.push(Column::new("churned".into(), label));
    write(
        &mut DataFrame::new_infer_height(columns)?,
        &format!("{out}/train.parquet"),
    )
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let number = |i: usize, default: usize| -> Result<usize> {
        args.get(i)
            .map(|v| v.parse().context("expected a number"))
            .transpose()
            .map(|v| v.unwrap_or(default))
    };
    let usage = "usage: bench_gen drift|partitions|proxy|fleet|train OUT_DIR [N [M]]";
    let out = args.get(1).context(usage)?;
    std::fs::create_dir_all(out)?;
    match args.first().map(String::as_str) {
        Some("drift") => drift(out, number(2, 5_000_000)?, number(3, 1)?),
        Some("partitions") => partitions(out, number(2, 80_000_000)?, number(3, 16)?),
        Some("proxy") => proxy(out, number(2, 5_000_000)?),
        Some("fleet") => fleet(out, number(2, 50_000)?, number(3, 100)?),
        Some("train") => train(out, number(2, 1_000_000)?),
        _ => anyhow::bail!(usage),
    }
}
