//! `make bench` data: a deterministic baseline/current Parquet pair of ROWS x 15 features
//! (13 numeric, 2 categorical), with drift in a few features of the current side.
//!
//! Usage: bench_gen OUT_DIR [ROWS]

use std::fs::File;

use anyhow::{Context, Result};
use polars::prelude::{Column, DataFrame, ParquetCompression, ParquetWriter};

/// splitmix64: tiny, fast, and the same on every machine.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn normal(&mut self) -> f64 {
        // Box-Muller; 1 - u keeps the log finite.
        let (u, v) = (1.0 - self.uniform(), self.uniform());
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }
}

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

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let out = args.next().context("usage: bench_gen OUT_DIR [ROWS]")?;
    let rows: usize = args
        .next()
        .map(|r| r.parse())
        .transpose()?
        .unwrap_or(5_000_000);
    std::fs::create_dir_all(&out)?;
    for (name, seed, shift) in [("baseline", 1, 0.0), ("current", 2, 1.0)] {
        let mut df = table(rows, seed, shift)?;
        let path = format!("{out}/{name}.parquet");
        let file = File::create(&path).with_context(|| format!("creating {path}"))?;
        ParquetWriter::new(file)
            .with_compression(ParquetCompression::Snappy)
            .finish(&mut df)?;
        eprintln!("wrote {path} ({rows} rows x {} columns)", df.width());
    }
    Ok(())
}
