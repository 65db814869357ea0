//! Reading inputs (Parquet, CSV, NDJSON by extension; globs and shards), column checks,
//! value extraction and atomic writers. Every command reads files through here.

pub mod atomic;
pub mod columns;
pub mod file_kind;
pub mod keys;
pub mod labels;
pub mod object_storage;
pub mod read;
pub mod time;

pub use atomic::{write_atomic, write_atomic_all, write_atomic_with};
pub use columns::{CategoryCounts, ColumnKind, NumericValues};
pub use read::{Fingerprints, InputInfo, Table};
