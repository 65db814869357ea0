//! Registry files (.lock, audit.jsonl, current.json, aliases, promotion.json) are opened
//! without following symlinks, and anything that is not a regular file is refused: a planted
//! `.lock -> ~/.bashrc` must not make refit write through it, and a FIFO must not hang it.
//!
//! std has no `O_NOFOLLOW`, so a path is inspected with `lstat` before it is opened, and the
//! opened file is compared with what was inspected (device and inode) before anything is
//! written. A missing file is created with `O_EXCL`, which never follows a symlink.

use std::fs::{File, Metadata, OpenOptions};
use std::io::{ErrorKind, Read};
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use anyhow::{bail, Context, Result};

pub use crate::data::file_kind::describe;

/// The file's metadata if `path` is a regular file, None if nothing is there; anything else
/// (a symlink, a FIFO, a directory) is an error naming the path.
pub fn check_regular(path: &Path) -> Result<Option<Metadata>> {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_file() => Ok(Some(meta)),
        Ok(meta) => bail!(
            "{}: is {}, not a regular file; registry files are never followed through links \
             (remove it, then run `refit registry verify`)",
            path.display(),
            describe(meta.file_type())
        ),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("inspecting {}", path.display())),
    }
}

/// Whether `path` is a directory of the registry's own (not a symlink to one); an error if it
/// is anything else.
pub fn check_directory(path: &Path) -> Result<bool> {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_dir() => Ok(true),
        Ok(meta) => bail!(
            "{}: is {}, not a directory; the registry's directories are never followed through links",
            path.display(),
            describe(meta.file_type())
        ),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e).with_context(|| format!("inspecting {}", path.display())),
    }
}

/// Opens the regular file at `path` with `options`, which must neither create nor truncate
/// (truncate after opening). With `create`, a missing file is created; without, a missing file
/// is None.
pub fn open_regular(path: &Path, options: &OpenOptions, create: bool) -> Result<Option<File>> {
    // A file created or replaced between the look and the open is looked at again.
    for _ in 0..3 {
        let Some(seen) = check_regular(path)? else {
            if !create {
                return Ok(None);
            }
            match options.clone().create_new(true).open(path) {
                Ok(file) => return Ok(Some(file)),
                Err(e) if e.kind() == ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e).with_context(|| format!("creating {}", path.display())),
            }
        };
        let file = options
            .open(path)
            .with_context(|| format!("opening {}", path.display()))?;
        let opened = file
            .metadata()
            .with_context(|| format!("inspecting {}", path.display()))?;
        if (opened.dev(), opened.ino()) == (seen.dev(), seen.ino()) {
            return Ok(Some(file));
        }
    }
    bail!(
        "{}: replaced while being opened; registry files must be regular files",
        path.display()
    )
}

/// The bytes of the regular file at `path`, None if it does not exist.
pub fn read_regular(path: &Path) -> Result<Option<Vec<u8>>> {
    let Some(mut file) = open_regular(path, OpenOptions::new().read(true), false)? else {
        return Ok(None);
    };
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)
        .with_context(|| format!("reading {}", path.display()))?;
    Ok(Some(bytes))
}

/// [`read_regular`] as UTF-8 text.
pub fn read_regular_text(path: &Path) -> Result<Option<String>> {
    read_regular(path)?
        .map(|bytes| {
            String::from_utf8(bytes).with_context(|| format!("{}: not UTF-8 text", path.display()))
        })
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_symlink_is_refused_and_its_target_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        std::fs::write(&victim, "precious").unwrap();
        let link = dir.path().join(".lock");
        std::os::unix::fs::symlink(&victim, &link).unwrap();
        let mut options = OpenOptions::new();
        options.read(true).write(true);
        let err = open_regular(&link, &options, true).unwrap_err();
        assert!(format!("{err:#}").contains("is a symlink"), "{err:#}");
        assert!(read_regular(&link).is_err());
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    }

    #[test]
    fn a_dangling_symlink_is_not_created_through() {
        let dir = tempfile::tempdir().unwrap();
        let link = dir.path().join("audit.jsonl");
        std::os::unix::fs::symlink(dir.path().join("elsewhere"), &link).unwrap();
        let mut options = OpenOptions::new();
        options.append(true);
        assert!(open_regular(&link, &options, true).is_err());
        assert!(!dir.path().join("elsewhere").exists());
    }

    #[test]
    fn missing_files_are_created_only_when_asked() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.jsonl");
        let mut options = OpenOptions::new();
        options.append(true);
        assert!(open_regular(&path, &options, false).unwrap().is_none());
        assert!(!path.exists());
        assert!(open_regular(&path, &options, true).unwrap().is_some());
        assert!(path.is_file());
        assert_eq!(read_regular(&path).unwrap(), Some(Vec::new()));
    }

    #[test]
    fn directories_are_refused_where_a_file_belongs_and_the_reverse() {
        let dir = tempfile::tempdir().unwrap();
        assert!(check_regular(dir.path()).is_err());
        assert!(check_directory(dir.path()).unwrap());
        let file = dir.path().join("f");
        std::fs::write(&file, "").unwrap();
        assert!(check_directory(&file).is_err());
        let link = dir.path().join("versions");
        std::os::unix::fs::symlink(dir.path(), &link).unwrap();
        assert!(check_directory(&link).is_err());
        assert!(!check_directory(&dir.path().join("missing")).unwrap());
    }
}
