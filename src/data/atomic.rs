//! Atomic file writes: a temp file in the destination directory, fsync, then rename, so a
//! reader (or a crash) sees the old file or the new one, never a partial one.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};

pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomic_with(path, |file| file.write_all(bytes).map_err(Into::into))
}

/// [`write_atomic`] for writers that stream into a file (Parquet, CSV).
pub fn write_atomic_with(
    path: &Path,
    write: impl FnOnce(&mut std::fs::File) -> Result<()>,
) -> Result<()> {
    stage(path, write)?.commit()
}

/// Several files written together: every one is staged (written and synced beside its
/// destination) before any is renamed into place, so a failure leaves none of them.
pub fn write_atomic_all(files: &[(&Path, Vec<u8>)]) -> Result<()> {
    stage_all(files)?.commit()
}

/// The first half of [`write_atomic_all`]: every file written and synced beside its
/// destination, renamed into place by [`StagedFiles::commit`] (or removed when dropped), so
/// another write (an object PUT) can go between.
pub fn stage_all<'a>(files: &[(&'a Path, Vec<u8>)]) -> Result<StagedFiles<'a>> {
    let staged = files
        .iter()
        .map(|(path, bytes)| stage(path, |file| file.write_all(bytes).map_err(Into::into)))
        .collect::<Result<Vec<_>>>()?;
    Ok(StagedFiles(staged))
}

/// Files staged by [`stage_all`].
pub struct StagedFiles<'a>(Vec<Staged<'a>>);

impl StagedFiles<'_> {
    pub fn commit(self) -> Result<()> {
        self.0.into_iter().try_for_each(Staged::commit)
    }
}

/// A complete, synced temporary file waiting to replace its destination; dropped, it is removed.
struct Staged<'a> {
    tmp: tempfile::NamedTempFile,
    path: &'a Path,
    dir: &'a Path,
}

fn stage<'a>(
    path: &'a Path,
    write: impl FnOnce(&mut std::fs::File) -> Result<()>,
) -> Result<Staged<'a>> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".refit-tmp-")
        .tempfile_in(dir)
        .with_context(|| format!("creating a temporary file in {}", dir.display()))?;
    // tempfile creates 0600; reports, metrics and registry pointers are read by other users
    // (node_exporter, serving), so they get the usual 0644.
    use std::os::unix::fs::PermissionsExt;
    tmp.as_file()
        .set_permissions(std::fs::Permissions::from_mode(0o644))
        .with_context(|| {
            format!(
                "setting permissions of a temporary file in {}",
                dir.display()
            )
        })?;
    write(tmp.as_file_mut())
        .and_then(|_| tmp.as_file().sync_all().map_err(Into::into))
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(Staged { tmp, path, dir })
}

impl Staged<'_> {
    fn commit(self) -> Result<()> {
        self.tmp
            .persist(self.path)
            .with_context(|| format!("replacing {}", self.path.display()))?;
        if let Ok(dir_handle) = std::fs::File::open(self.dir) {
            // Makes the rename itself durable; not all platforms allow syncing a directory.
            let _ = dir_handle.sync_all();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_content_and_leaves_no_temp_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.json");
        write_atomic(&path, b"one").unwrap();
        write_atomic(&path, b"two").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_failed_file_leaves_none_of_a_set() {
        let dir = tempfile::tempdir().unwrap();
        let good = dir.path().join("report.json");
        let bad = dir.path().join("missing/page.html");
        let err = write_atomic_all(&[(&good, b"{}".to_vec()), (&bad, b"x".to_vec())]);
        assert!(err.is_err());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn missing_directory_is_an_error_naming_it() {
        let err = write_atomic(Path::new("/nonexistent-dir/x.json"), b"x").unwrap_err();
        assert!(format!("{err:#}").contains("/nonexistent-dir"));
    }
}
