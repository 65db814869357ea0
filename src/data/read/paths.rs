//! Turning what the user passed (paths and globs) into data files, refusing anything that is
//! not a regular file before a reader opens it (a FIFO would block the open forever).

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use crate::data::file_kind::describe;

/// Expands each spec (a path or a glob) into files, sorted per glob for a stable order. A spec
/// that names an existing path is that path, even when it contains `*`, `?` or `[`.
pub fn expand_paths(specs: &[String]) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for spec in specs {
        let literal = Path::new(spec);
        if is_glob(spec) && literal.symlink_metadata().is_err() {
            files.extend(expand_glob(spec)?);
        } else {
            check_data_file(literal)?;
            files.push(literal.to_path_buf());
        }
    }
    if files.is_empty() {
        bail!("no input files given");
    }
    Ok(files)
}

fn is_glob(spec: &str) -> bool {
    spec.contains(['*', '?', '['])
}

fn expand_glob(spec: &str) -> Result<Vec<PathBuf>> {
    let mut matched: Vec<PathBuf> = glob::glob(spec)
        .with_context(|| format!("invalid glob pattern `{spec}`"))?
        .collect::<std::result::Result<_, _>>()
        .with_context(|| format!("listing files matching `{spec}`"))?;
    if matched.is_empty() {
        bail!("no files match `{spec}` (a file whose name holds `[`, `*` or `?` is read as itself only when it exists)");
    }
    matched.sort();
    for path in &matched {
        check_data_file(path)?;
    }
    Ok(matched)
}

/// A regular file (or a link to one) passes; anything else is named for what it is.
fn check_data_file(path: &Path) -> Result<()> {
    let metadata = match std::fs::metadata(path) {
        Ok(metadata) => metadata,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            bail!("{}: no such file", path.display())
        }
        Err(e) => return Err(e).with_context(|| format!("{}: cannot read", path.display())),
    };
    if metadata.is_file() {
        return Ok(());
    }
    bail!(
        "{}: is {}, expected a data file (.parquet, .csv, .ndjson or .jsonl)",
        path.display(),
        describe(metadata.file_type())
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_what_a_non_file_is() {
        let dir = tempfile::tempdir().unwrap();
        let spec = dir.path().display().to_string();
        let err = format!("{:#}", expand_paths(&[spec]).unwrap_err());
        assert!(
            err.contains("is a directory, expected a data file"),
            "{err}"
        );
        let err = format!(
            "{:#}",
            expand_paths(&["/dev/null".to_string()]).unwrap_err()
        );
        assert!(err.contains("is a device"), "{err}");
    }

    #[test]
    fn an_existing_path_with_brackets_is_itself() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("x[1].csv");
        std::fs::write(&file, "a\n1\n").unwrap();
        let spec = file.display().to_string();
        assert_eq!(expand_paths(&[spec]).unwrap(), vec![file]);
    }
}
