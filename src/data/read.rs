//! Loading tables from one or more files. Each file is read on its own so that every error
//! names the file it came from; shards must agree on column types.

mod csv_shape;
mod json_depth;
mod paths;
mod schema;

pub use paths::expand_paths;

use std::collections::BTreeSet;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::JoinHandle;

use anyhow::{bail, Context, Result};
use polars::prelude::{
    col, len, Column, DataFrame, DataType, Expr, LazyCsvReader, LazyFileListReader, LazyFrame,
    LazyJsonLineReader, PlRefPath, ScanArgsParquet, Schema, SchemaRef, Series,
};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::columns::ColumnKind;
use super::object_storage::{self, ObjectUrl};

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

/// One file, never a glob: [`expand_paths`] has expanded the user's globs already, and a
/// file named `x[1].csv` is that file.
fn scan(path: &Path) -> Result<LazyFrame> {
    let path_str = path
        .to_str()
        .with_context(|| format!("{}: path is not valid UTF-8", path.display()))?;
    let pl_path = PlRefPath::new(path_str);
    let lazy = match format_of(path)? {
        Format::Parquet => LazyFrame::scan_parquet(
            pl_path,
            ScanArgsParquet {
                glob: false,
                ..ScanArgsParquet::default()
            },
        ),
        Format::Csv => LazyCsvReader::new(pl_path)
            .with_has_header(true)
            .with_infer_schema_length(Some(10_000))
            .with_glob(false)
            .finish(),
        // The NDJSON reader always globs, so its path is escaped instead.
        Format::NdJson => {
            LazyJsonLineReader::new(PlRefPath::new(glob::Pattern::escape(path_str))).finish()
        }
    };
    lazy.with_context(|| format!("reading {}", path.display()))
}

fn count_rows(path: &Path) -> Result<usize> {
    let counted = scan(path)?
        .select([len()])
        .collect()
        .with_context(|| format!("counting rows of {}", path.display()))?;
    counted
        .columns()
        .first()
        .and_then(|c| c.get(0).ok())
        .and_then(|v| v.extract::<u64>())
        .map(|n| n as usize)
        .with_context(|| format!("counting rows of {}", path.display()))
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

/// A file to read and what messages call it (its path, or the URL of the object it copies).
type NamedFile = (PathBuf, String);

/// The files `specs` name (paths, globs, object URLs) with the names messages give them; the
/// local copies of objects live in the returned directory.
fn input_files(specs: &[String]) -> Result<(Vec<NamedFile>, Option<Arc<tempfile::TempDir>>)> {
    let urls = specs
        .iter()
        .filter_map(|spec| ObjectUrl::parse(spec))
        .collect::<Result<Vec<_>>>()?;
    let fetched = if urls.is_empty() {
        None
    } else {
        Some(object_storage::fetch(&urls)?)
    };
    let mut copies = fetched
        .as_ref()
        .map(|f| f.files.iter())
        .into_iter()
        .flatten();
    let mut files = Vec::new();
    for spec in specs {
        if ObjectUrl::is_url(spec) {
            files.extend(copies.next().into_iter().flatten().cloned());
        } else {
            for path in expand_paths(std::slice::from_ref(spec))? {
                let name = path.display().to_string();
                files.push((path, name));
            }
        }
    }
    if files.is_empty() {
        bail!("no input files given");
    }
    Ok((files, fetched.map(|f| f.dir)))
}

/// One file of a table: its schema, known before any rows are decoded.
struct Shard {
    /// Where it is read: the file, or the local copy of an object.
    path: PathBuf,
    /// What messages and the report call it: the path, or the object's URL.
    name: String,
    /// The types Polars reads.
    schema: SchemaRef,
    /// The same, with `Null` for a CSV column without a single value (Polars reads it as
    /// text), so that it takes the type the other shards give the column.
    typing: SchemaRef,
    /// Data rows, when known before decoding (CSV).
    rows: Option<u64>,
}

impl Shard {
    /// Checks what the reader would let pass (ragged CSV rows, duplicate CSV headers, NDJSON
    /// nested deep enough to overflow the stack), then reads the schema.
    fn open(path: PathBuf, name: String) -> Result<Shard> {
        if name != path.display().to_string() {
            // A copy of an object: errors name the object, not the temporary file.
            let local = path.display().to_string();
            return Shard::open_file(path, name.clone())
                .map_err(|e| anyhow::anyhow!("{}", format!("{e:#}").replace(&local, &name)));
        }
        Shard::open_file(path, name)
    }

    fn open_file(path: PathBuf, name: String) -> Result<Shard> {
        let shape = match format_of(&path)? {
            Format::Csv => csv_shape::check_csv(&path)?,
            Format::NdJson => {
                json_depth::check_ndjson_depth(&path)?;
                None
            }
            Format::Parquet => None,
        };
        let schema = scan(&path)?
            .collect_schema()
            .with_context(|| format!("reading {}", path.display()))?;
        let typing = match &shape {
            Some(shape) => Arc::new(empty_columns_as_null(&schema, shape)),
            None => schema.clone(),
        };
        Ok(Shard {
            path,
            name,
            schema,
            typing,
            rows: shape.map(|shape| shape.rows),
        })
    }

    /// What the report records about the file, digest still to come.
    fn info(&self, rows: usize) -> InputInfo {
        InputInfo {
            path: self.name.clone(),
            rows,
            columns: self.schema.iter_names().map(|n| n.to_string()).collect(),
            sha256: String::new(),
        }
    }

    fn column_list(&self) -> String {
        let names: Vec<&str> = self.schema.iter_names().map(|n| n.as_str()).collect();
        names.join(", ")
    }
}

fn empty_columns_as_null(schema: &Schema, shape: &csv_shape::CsvShape) -> Schema {
    let mut typing = schema.clone();
    for index in shape.empty_columns() {
        if schema
            .get_at_index(index)
            .is_some_and(|(_, dtype)| dtype.is_string())
        {
            typing.set_dtype_at_index(index, DataType::Null);
        }
    }
    typing
}

/// A table spread over one or more files ("shards"), opened but not yet decoded.
pub struct Table {
    /// What the user passed, for messages ("baseline.parquet", "data/*.parquet"); `label`
    /// is the target column everywhere in refit, so this is the source.
    pub source: String,
    shards: Vec<Shard>,
    /// One type per column over all shards: the one Polars reads where they agree, a wider
    /// one where they differ in width, unit or encoding.
    types: Schema,
    /// Columns without a value in any shard (null, or every CSV field empty).
    empty: BTreeSet<String>,
    /// The local copies of objects read from object storage, kept while anything reads them.
    objects: Option<Arc<tempfile::TempDir>>,
}

impl Table {
    /// Opens every file and reads its schema; a truncated or unreadable file, or shards that
    /// disagree on a column's type, fail here.
    pub fn open(specs: &[String]) -> Result<Table> {
        let label = specs.join(",");
        let (files, objects) = input_files(specs)?;
        let opened: Vec<Result<Shard>> = files
            .into_par_iter()
            .map(|(path, name)| Shard::open(path, name))
            .collect();
        let shards = opened.into_iter().collect::<Result<Vec<_>>>()?;
        if shards.iter().all(|s| s.rows == Some(0)) {
            bail!("{label}: the table is empty (no rows)");
        }
        let mut types = schema::unify(shards.iter().map(|s| (Path::new(&s.name), &*s.typing)))?;
        let mut empty = BTreeSet::new();
        for (name, dtype) in types.iter_mut() {
            if dtype.is_null() {
                // Empty everywhere: read as the first file reads it, as before shards mattered.
                let first = shards.iter().find_map(|s| s.schema.get(name));
                *dtype = first.cloned().unwrap_or(DataType::Null);
                empty.insert(name.to_string());
            }
        }
        Ok(Table {
            source: label,
            shards,
            types,
            empty,
            objects,
        })
    }

    /// Column names of the first shard, in file order.
    pub fn column_names(&self) -> Vec<String> {
        self.shards[0]
            .schema
            .iter_names()
            .map(|n| n.to_string())
            .collect()
    }

    /// The kind of `column` over every shard; errors name the file and the column.
    pub fn column_kind(&self, column: &str) -> Result<ColumnKind> {
        self.require_column(column)?;
        let dtype = self.types.get(column).context("table has no files")?;
        ColumnKind::of(dtype).with_context(|| {
            let file = self
                .shards
                .iter()
                .find(|s| s.schema.get(column) == Some(dtype))
                .map_or(self.source.clone(), |s| s.name.clone());
            format!(
                "column `{column}` in {file} has type {dtype}, which refit cannot compare; \
                 expected a number, a string, a boolean or a categorical"
            )
        })
    }

    /// Whether `column` has no value in any shard (all null, or every CSV field empty): its
    /// type then says nothing, and a comparison should take the other side's kind.
    pub fn column_is_empty(&self, column: &str) -> bool {
        self.empty.contains(column)
    }

    /// Fails with the file and the available columns when `column` is missing in a shard.
    pub fn require_column(&self, column: &str) -> Result<()> {
        for shard in &self.shards {
            if shard.schema.get(column).is_none() {
                bail!(
                    "column `{column}` not found in {}; columns are: {}",
                    shard.name,
                    shard.column_list()
                );
            }
        }
        Ok(())
    }

    /// Decodes `columns` from every shard; an empty table is an error. The files' SHA-256
    /// digests (for the report) are computed on a background thread meanwhile.
    pub fn load(&self, columns: &[String]) -> Result<LoadedTable> {
        self.load_fingerprinted(columns, &self.fingerprint())
    }

    /// Starts the files' SHA-256 digests on a background thread, so that hashing overlaps
    /// with decoding; several partial loads of one table can share them.
    pub fn fingerprint(&self) -> Arc<Fingerprints> {
        let paths: Vec<PathBuf> = self.shards.iter().map(|s| s.path.clone()).collect();
        let objects = self.objects.clone();
        let job = std::thread::spawn(move || {
            let digests = paths
                .iter()
                .map(|p| sha256_file(p))
                .collect::<Result<Vec<_>>>();
            drop(objects);
            digests
        });
        Arc::new(Fingerprints {
            job: Mutex::new(Some(job)),
            digests: OnceLock::new(),
        })
    }

    /// [`Table::load`] with digests already under way: a command that decodes a few columns
    /// at a time (to bound its memory) hashes each file once.
    pub fn load_fingerprinted(
        &self,
        columns: &[String],
        fingerprints: &Arc<Fingerprints>,
    ) -> Result<LoadedTable> {
        let mut frames = Vec::with_capacity(self.shards.len());
        let mut shards = Vec::with_capacity(self.shards.len());
        for shard in &self.shards {
            let exprs: Vec<Expr> = columns.iter().map(|c| self.select(shard, c)).collect();
            let frame = scan(&shard.path)?
                .select(exprs)
                .collect()
                .with_context(|| format!("reading {}", shard.name))?;
            shards.push(shard.info(frame.height()));
            frames.push(frame);
        }
        let rows: usize = frames.iter().map(|f| f.height()).sum();
        if rows == 0 {
            bail!("{}: the table is empty (no rows)", self.source);
        }
        Ok(LoadedTable {
            source: self.source.clone(),
            frames,
            rows,
            shards,
            fingerprints: Arc::clone(fingerprints),
        })
    }

    /// Each file's row count, without decoding a column (Parquet keeps it in its footer);
    /// an empty table is an error.
    pub fn shard_rows(&self) -> Result<Vec<usize>> {
        let mut rows = Vec::with_capacity(self.shards.len());
        for shard in &self.shards {
            rows.push(match shard.rows {
                Some(known) => known as usize,
                None => count_rows(&shard.path)?,
            });
        }
        if rows.iter().all(|&r| r == 0) {
            bail!("{}: the table is empty (no rows)", self.source);
        }
        Ok(rows)
    }

    /// What the report records about each file, given its rows (waits for the digests).
    pub fn inputs(&self, rows: &[usize], fingerprints: &Fingerprints) -> Result<Vec<InputInfo>> {
        let shards: Vec<InputInfo> = self
            .shards
            .iter()
            .zip(rows)
            .map(|(shard, &rows)| shard.info(rows))
            .collect();
        fingerprints.fill(&shards)
    }

    /// `column` of `shard` as the table's type (a no-op unless the shards differ).
    fn select(&self, shard: &Shard, column: &str) -> Expr {
        let read = shard.schema.get(column);
        match self.types.get(column) {
            Some(unified) if !unified.is_null() && read != Some(unified) => {
                col(column).cast(unified.clone())
            }
            _ => col(column),
        }
    }
}

type DigestJob = JoinHandle<Result<Vec<String>>>;

/// The SHA-256 digests of a table's files, computed on a background thread.
pub struct Fingerprints {
    job: Mutex<Option<DigestJob>>,
    digests: OnceLock<std::result::Result<Vec<String>, String>>,
}

impl Fingerprints {
    /// `shards` with their digests filled in (waits for the background thread).
    fn fill(&self, shards: &[InputInfo]) -> Result<Vec<InputInfo>> {
        let digests = self.digests.get_or_init(|| {
            let job = self
                .job
                .lock()
                .map_err(|_| "digest job lock poisoned".to_string())?
                .take()
                .ok_or_else(|| "digests already taken".to_string())?;
            let digests = job
                .join()
                .map_err(|_| "digest thread panicked".to_string())?;
            digests.map_err(|e| format!("{e:#}"))
        });
        let digests = digests.clone().map_err(anyhow::Error::msg)?;
        Ok(shards
            .iter()
            .zip(digests)
            .map(|(info, sha256)| InputInfo {
                sha256,
                ..info.clone()
            })
            .collect())
    }
}

/// Decoded columns of a table, one frame per shard.
pub struct LoadedTable {
    /// The files it came from, for messages (as [`Table::source`]).
    pub source: String,
    pub frames: Vec<DataFrame>,
    pub rows: usize,
    shards: Vec<InputInfo>,
    fingerprints: Arc<Fingerprints>,
}

impl LoadedTable {
    /// What the report records about each shard, SHA-256 included (waits for the digests).
    pub fn inputs(&self) -> Result<Vec<InputInfo>> {
        self.fingerprints.fill(&self.shards)
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
                        .with_context(|| format!("column `{c}` missing in {}", self.source))
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
                        self.source
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
                .with_context(|| format!("reading `{column}` from {} as text", self.source))?;
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
                    .with_context(|| format!("column `{column}` missing in {}", self.source))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use polars::prelude::*;

    use super::*;

    fn write_parquet(dir: &Path, name: &str, mut frame: DataFrame) -> String {
        let path = dir.join(name);
        let file = File::create(&path).unwrap();
        ParquetWriter::new(file).finish(&mut frame).unwrap();
        path.display().to_string()
    }

    #[test]
    fn shards_of_different_widths_encodings_and_units_load_as_one_type() {
        let dir = tempfile::tempdir().unwrap();
        let mut a = df!("x" => [1i32, 2], "city" => ["oslo", "lyon"], "t" => [1i64, 2]).unwrap();
        a.apply("city", |c| {
            c.cast(&DataType::from_categories(Categories::global()))
                .unwrap()
        })
        .unwrap();
        a.apply("t", |c| c.cast(&DataType::Date).unwrap()).unwrap();
        let mut b = df!("x" => [0.5f64], "city" => ["rome"], "t" => [86_400_000_000i64]).unwrap();
        b.apply("t", |c| {
            c.cast(&DataType::Datetime(TimeUnit::Microseconds, None))
                .unwrap()
        })
        .unwrap();
        let specs = [
            write_parquet(dir.path(), "a.parquet", a),
            write_parquet(dir.path(), "b.parquet", b),
        ];
        let table = Table::open(&specs).unwrap();
        let columns = ["x", "city", "t"].map(String::from);
        let loaded = table.load(&columns).unwrap();
        for column in &columns {
            let whole = loaded.whole_column(column).unwrap();
            assert_eq!(whole.len(), 3, "{column}");
        }
        assert_eq!(
            loaded.whole_column("x").unwrap().dtype(),
            &DataType::Float64
        );
        assert_eq!(
            loaded.whole_column("city").unwrap().dtype(),
            &DataType::String
        );
        let (times, _) =
            super::super::time::timestamps_ms(&loaded.whole_column("t").unwrap().into_column())
                .unwrap();
        assert_eq!(
            times,
            vec![Some(86_400_000), Some(172_800_000), Some(86_400_000)]
        );
    }
}
