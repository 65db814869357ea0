//! `make bench` baseline: a bare Polars scan that decodes every column of the given Parquet
//! files, the floor any drift check over the same data has to pay. Prints the decoded size.
//!
//! Usage: bench_scan FILE...

use anyhow::{Context, Result};
use polars::prelude::{LazyFrame, PlRefPath, ScanArgsParquet};

fn main() -> Result<()> {
    let mut decoded = 0usize;
    for path in std::env::args().skip(1) {
        let df =
            LazyFrame::scan_parquet(PlRefPath::new(path.as_str()), ScanArgsParquet::default())?
                .collect()
                .with_context(|| format!("scanning {path}"))?;
        decoded += df.estimated_size();
    }
    println!("{decoded}");
    Ok(())
}
