//! Loading tables from one or more files. Each file is read on its own so that every error
//! names the file it came from; shards must agree on column kinds.

use std::collections::BTreeSet;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};
use std::thread::JoinHandle;

use anyhow::{bail, Context, Result};
use polars::prelude::{
    col, Column, DataFrame, DataType, Expr, LazyCsvReader, LazyFileListReader, LazyFrame,
    LazyJsonLineReader, PlRefPath, ScanArgsParquet, SchemaRef, Series,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::columns::ColumnKind;

/// What the report envelope records about each input file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InputInfo {
    pub path: String,
    pub rows: usize,
    pub columns: Vec<String>,
    pub sha256: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Parquet,
    Csv,
    NdJson,
}

fn format_of(path: &Path) -> Result<Format> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    match ext.as_str() {
        "parquet" | "pq" => Ok(Format::Parquet),
        "csv" => Ok(Format::Csv),
        "ndjson" | "jsonl" => Ok(Format::NdJson),
        _ => bail!(
            "{}: unknown file type `.{ext}`; expected .parquet, .csv, .ndjson or .jsonl",
            path.display()
        ),
    }
}

/// Expands each spec (a path or a glob) into files, sorted per glob for a stable order.
pub fn expand_paths(specs: &[String]) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for spec in specs {
        if spec.contains(['*', '?', '[']) {
            let mut matched: Vec<PathBuf> = glob::glob(spec)
                .with_context(|| format!("invalid glob pattern `{spec}`"))?
                .collect::<std::result::Result<_, _>>()
                .with_context(|| format!("listing files matching `{spec}`"))?;
            if matched.is_empty() {
                bail!("no files match `{spec}`");
            }
            matched.sort();
            files.extend(matched);
        } else {
            let path = PathBuf::from(spec);
            if !path.is_file() {
                bail!("{spec}: no such file");
            }
            files.push(path);
        }
    }
    if files.is_empty() {
        bail!("no input files given");
    }
    Ok(files)
}

fn scan(path: &Path) -> Result<LazyFrame> {
    let path_str = path
        .to_str()
        .with_context(|| format!("{}: path is not valid UTF-8", path.display()))?;
    let pl_path = PlRefPath::new(path_str);
    let lazy = match format_of(path)? {
        Format::Parquet => LazyFrame::scan_parquet(pl_path, ScanArgsParquet::default()),
        Format::Csv => LazyCsvReader::new(pl_path)
            .with_has_header(true)
            .with_infer_schema_length(Some(10_000))
            .finish(),
        Format::NdJson => LazyJsonLineReader::new(pl_path).finish(),
    };
    lazy.with_context(|| format!("reading {}", path.display()))
}

fn sha256_file(path: &Path) -> Result<String> {
    let mut file = File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file
            .read(&mut buf)
            .with_context(|| format!("reading {}", path.display()))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(format!("{:x}", hasher.finalize()))
}

/// One file of a table: its schema, known before any rows are decoded.
struct Shard {
    path: PathBuf,
    schema: SchemaRef,
}

/// A table spread over one or more files ("shards"), opened but not yet decoded.
pub struct Table {
    /// What the user passed, for messages ("baseline.parquet", "data/*.parquet").
    pub label: String,
    shards: Vec<Shard>,
}

impl Table {
    /// Opens every file and reads its schema; a truncated or unreadable file fails here.
    pub fn open(specs: &[String]) -> Result<Table> {
        let label = specs.join(",");
        let shards = expand_paths(specs)?
            .into_iter()
            .map(|path| {
                let schema = scan(&path)?
                    .collect_schema()
                    .with_context(|| format!("reading {}", path.display()))?;
                Ok(Shard { path, schema })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Table { label, shards })
    }

    /// Column names of the first shard, in file order.
    pub fn column_names(&self) -> Vec<String> {
        self.shards[0]
            .schema
            .iter_names()
            .map(|n| n.to_string())
            .collect()
    }

    /// The kind of `column`, checked on every shard; errors name the file and the column.
    pub fn column_kind(&self, column: &str) -> Result<ColumnKind> {
        let mut kind = None;
        for shard in &self.shards {
            let dtype = shard.schema.get(column).with_context(|| {
                let names: Vec<&str> = shard.schema.iter_names().map(|n| n.as_str()).collect();
                format!(
                    "column `{column}` not found in {}; columns are: {}",
                    shard.path.display(),
                    names.join(", ")
                )
            })?;
            let this = ColumnKind::of(dtype).with_context(|| {
                format!(
                    "column `{column}` in {} has type {dtype}, which refit cannot compare; \
                     expected a number, a string, a boolean or a categorical",
                    shard.path.display()
                )
            })?;
            match kind {
                None => kind = Some(this),
                Some(k) if k != this => bail!(
                    "column `{column}` is {} in {} but {} in {}",
                    k.describe(),
                    self.shards[0].path.display(),
                    this.describe(),
                    shard.path.display()
                ),
                Some(_) => {}
            }
        }
        kind.context("table has no files")
    }

    /// Fails with the file and the available columns when `column` is missing in a shard.
    pub fn require_column(&self, column: &str) -> Result<()> {
        for shard in &self.shards {
            if shard.schema.get(column).is_none() {
                let names: Vec<&str> = shard.schema.iter_names().map(|n| n.as_str()).collect();
                bail!(
                    "column `{column}` not found in {}; columns are: {}",
                    shard.path.display(),
                    names.join(", ")
                );
            }
        }
        Ok(())
    }

    /// Decodes `columns` from every shard; an empty table is an error. The files' SHA-256
    /// digests (for the report) are computed on a background thread meanwhile.
    pub fn load(&self, columns: &[String]) -> Result<LoadedTable> {
        let paths: Vec<PathBuf> = self.shards.iter().map(|s| s.path.clone()).collect();
        let digests = std::thread::spawn(move || {
            paths
                .iter()
                .map(|p| sha256_file(p))
                .collect::<Result<Vec<_>>>()
        });
        let mut frames = Vec::with_capacity(self.shards.len());
        let mut shards = Vec::with_capacity(self.shards.len());
        for shard in &self.shards {
            let exprs: Vec<Expr> = columns.iter().map(|c| col(c.as_str())).collect();
            let frame = scan(&shard.path)?
                .select(exprs)
                .collect()
                .with_context(|| format!("reading {}", shard.path.display()))?;
            shards.push(InputInfo {
                path: shard.path.display().to_string(),
                rows: frame.height(),
                columns: shard.schema.iter_names().map(|n| n.to_string()).collect(),
                sha256: String::new(),
            });
            frames.push(frame);
        }
        let rows: usize = frames.iter().map(|f| f.height()).sum();
        if rows == 0 {
            bail!("{}: the table is empty (no rows)", self.label);
        }
        Ok(LoadedTable {
            label: self.label.clone(),
            frames,
            rows,
            shards,
            digests: Mutex::new(Some(digests)),
            digested: OnceLock::new(),
        })
    }
}

type DigestJob = JoinHandle<Result<Vec<String>>>;

/// Decoded columns of a table, one frame per shard.
pub struct LoadedTable {
    pub label: String,
    pub frames: Vec<DataFrame>,
    pub rows: usize,
    shards: Vec<InputInfo>,
    digests: Mutex<Option<DigestJob>>,
    digested: OnceLock<std::result::Result<Vec<InputInfo>, String>>,
}

impl LoadedTable {
    /// What the report records about each shard, SHA-256 included (waits for the digests).
    pub fn inputs(&self) -> Result<Vec<InputInfo>> {
        let result = self.digested.get_or_init(|| {
            let job = self
                .digests
                .lock()
                .map_err(|_| "digest job lock poisoned".to_string())?
                .take();
            let digests = match job {
                Some(job) => job
                    .join()
                    .map_err(|_| "digest thread panicked".to_string())?,
                None => return Err("digests already taken".to_string()),
            };
            let digests = digests.map_err(|e| format!("{e:#}"))?;
            Ok(self
                .shards
                .iter()
                .zip(digests)
                .map(|(info, sha256)| InputInfo {
                    sha256,
                    ..info.clone()
                })
                .collect())
        });
        result.clone().map_err(anyhow::Error::msg)
    }

    /// Applies `f` to the named columns of each shard and concatenates the results.
    pub fn map_columns<T>(
        &self,
        columns: &[String],
        mut f: impl FnMut(&[&Column]) -> Result<Vec<T>>,
    ) -> Result<Vec<T>> {
        let mut out = Vec::with_capacity(self.rows);
        for frame in &self.frames {
            let parts = columns
                .iter()
                .map(|c| {
                    frame
                        .column(c)
                        .with_context(|| format!("column `{c}` missing in {}", self.label))
                })
                .collect::<Result<Vec<_>>>()?;
            out.extend(f(&parts)?);
        }
        Ok(out)
    }

    /// [`LoadedTable::map_columns`] for one column.
    pub fn map_column<T>(
        &self,
        column: &str,
        mut f: impl FnMut(&Column) -> Result<Vec<T>>,
    ) -> Result<Vec<T>> {
        self.map_columns(&[column.to_string()], |parts| f(parts[0]))
    }

    /// The column as one series over all shards (for copying id columns into outputs).
    pub fn whole_column(&self, column: &str) -> Result<Series> {
        let mut parts = self.column_parts(column)?.into_iter();
        let mut whole = parts
            .next()
            .context("table has no files")?
            .as_materialized_series()
            .clone();
        for part in parts {
            whole
                .append(part.as_materialized_series())
                .with_context(|| {
                    format!(
                        "column `{column}` differs in type between shards of {}",
                        self.label
                    )
                })?;
        }
        Ok(whole)
    }

    /// The distinct non-null values of `column` as text, over the given rows only.
    pub fn distinct_text(&self, column: &str, rows: &[usize]) -> Result<BTreeSet<String>> {
        let mut values: Vec<Option<String>> = Vec::with_capacity(self.rows);
        for part in self.column_parts(column)? {
            let strings = part
                .cast(&DataType::String)
                .with_context(|| format!("reading `{column}` from {} as text", self.label))?;
            values.extend(
                strings
                    .as_materialized_series()
                    .str()?
                    .iter()
                    .map(|v| v.map(String::from)),
            );
        }
        Ok(rows.iter().filter_map(|&i| values[i].clone()).collect())
    }

    /// The column's pieces, shard by shard.
    pub fn column_parts(&self, column: &str) -> Result<Vec<&Column>> {
        self.frames
            .iter()
            .map(|f| {
                f.column(column)
                    .with_context(|| format!("column `{column}` missing in {}", self.label))
            })
            .collect()
    }
}
