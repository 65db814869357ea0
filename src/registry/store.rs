//! The filesystem registry: immutable version directories, pointers swapped atomically, and
//! the steps promote, rollback, prune and verify are made of. Every mutation runs under
//! [`super::lock::RegistryLock`]; the pointer swap is each operation's commit point.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};

use super::audit::AuditEntry;
use super::files::{check_directory, check_regular, describe, open_regular, read_regular_text};
use super::layout::{
    check_alias, parse_version_name, version_name, Pointer, ALIASES_DIR, AUDIT_FILE, CURRENT_FILE,
    LATEST_LINK, PROMOTION_FILE, TEMP_PREFIX, VERSIONS_DIR,
};
use crate::data::write_atomic;

pub struct Registry {
    pub dir: PathBuf,
}

/// promotion.json inside a version: how it got there.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PromotionRecord {
    pub version: u32,
    pub promoted_at: String,
    pub actor: String,
    pub source: String,
    pub fingerprint: String,
    #[serde(default)]
    pub report_sha256: Option<String>,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub forced: bool,
}

impl Registry {
    /// Opens `dir`; with `create`, makes it (and versions/) when missing. A file is an error.
    pub fn open(dir: &Path, create: bool) -> Result<Registry> {
        let registry = Registry::at(dir)?;
        if create {
            std::fs::create_dir_all(dir.join(VERSIONS_DIR))
                .with_context(|| format!("creating {}/{VERSIONS_DIR}", dir.display()))?;
        } else if !dir.exists() {
            bail!("registry {}: does not exist", dir.display());
        }
        Ok(registry)
    }

    /// The registry at `dir` as it is, created by nothing (dry runs): a missing directory is an
    /// empty registry, a file is an error.
    pub fn at(dir: &Path) -> Result<Registry> {
        if dir.exists() && !dir.is_dir() {
            bail!("registry {}: is a file, not a directory", dir.display());
        }
        // The registry itself may be a link (/srv/models -> /data/models); what is inside not.
        check_directory(&dir.join(VERSIONS_DIR))?;
        check_directory(&dir.join(ALIASES_DIR))?;
        Ok(Registry {
            dir: dir.to_path_buf(),
        })
    }

    pub fn version_dir(&self, version: u32) -> PathBuf {
        self.dir.join(VERSIONS_DIR).join(version_name(version))
    }

    /// Installed versions, ascending (staged and half-removed ones are not versions).
    pub fn versions(&self) -> Result<Vec<u32>> {
        let dir = self.dir.join(VERSIONS_DIR);
        if !dir.exists() {
            return Ok(Vec::new());
        }
        let mut versions: Vec<u32> = std::fs::read_dir(&dir)
            .with_context(|| format!("listing {}", dir.display()))?
            .filter_map(|e| e.ok())
            .filter_map(|e| parse_version_name(&e.file_name().to_string_lossy()))
            .collect();
        versions.sort_unstable();
        Ok(versions)
    }

    /// Where the pointer lives: current.json or aliases/NAME.json.
    pub fn pointer_path(&self, alias: Option<&str>) -> Result<PathBuf> {
        Ok(match alias {
            None => self.dir.join(CURRENT_FILE),
            Some(name) => {
                check_alias(name)?;
                self.dir.join(ALIASES_DIR).join(format!("{name}.json"))
            }
        })
    }

    /// The pointer, if set; a pointer that does not parse is an error (never "no champion").
    pub fn pointer(&self, alias: Option<&str>) -> Result<Option<Pointer>> {
        let path = self.pointer_path(alias)?;
        let Some(text) = read_regular_text(&path)? else {
            return Ok(None);
        };
        let pointer: Pointer = serde_json::from_str(&text).with_context(|| {
            format!(
                "{}: corrupt pointer (expected {{version, path, promoted_at, previous}}); run `refit registry verify`",
                path.display()
            )
        })?;
        if pointer.path != Pointer::new(pointer.version, String::new(), None).path {
            bail!(
                "{}: path `{}` does not match version {}",
                path.display(),
                pointer.path,
                pointer.version
            );
        }
        Ok(Some(pointer))
    }

    /// Replaces the pointer atomically (temp file, fsync, rename, fsync of the directory).
    pub fn write_pointer(&self, alias: Option<&str>, pointer: &Pointer) -> Result<()> {
        let path = self.pointer_path(alias)?;
        let aliases = self.dir.join(ALIASES_DIR);
        if alias.is_some() && !check_directory(&aliases)? {
            std::fs::create_dir(&aliases)
                .with_context(|| format!("creating {}", aliases.display()))?;
        }
        // The rename would replace a link or FIFO; refuse it like every reader does.
        check_regular(&path)?;
        write_atomic(
            &path,
            (serde_json::to_string_pretty(pointer)? + "\n").as_bytes(),
        )
    }

    /// Alias names with a pointer file.
    pub fn aliases(&self) -> Result<Vec<String>> {
        let dir = self.dir.join(ALIASES_DIR);
        if !dir.exists() {
            return Ok(Vec::new());
        }
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .with_context(|| format!("listing {}", dir.display()))?
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                e.file_name()
                    .to_string_lossy()
                    .strip_suffix(".json")
                    .map(String::from)
            })
            .filter(|n| check_alias(n).is_ok())
            .collect();
        names.sort();
        Ok(names)
    }

    /// Versions are never reused: one past every version installed, pointed at or audited.
    /// Past the largest number there is no next one: an error naming where that number is.
    pub fn next_version(&self, audit: &[AuditEntry]) -> Result<u32> {
        let installed = self.versions()?.into_iter().max().unwrap_or(0);
        let audited = audit
            .iter()
            .flat_map(|e| [e.from, e.to])
            .flatten()
            .max()
            .unwrap_or(0);
        let pointed = self.pointer(None)?.map_or(0, |p| p.version);
        let (highest, source) = [
            (installed, self.dir.join(VERSIONS_DIR)),
            (audited, self.dir.join(AUDIT_FILE)),
            (pointed, self.dir.join(CURRENT_FILE)),
        ]
        .into_iter()
        .max_by_key(|(version, _)| *version)
        .expect("three sources");
        highest.checked_add(1).with_context(|| {
            format!(
                "{}: version {highest} is the largest version number; there is no next one",
                source.display()
            )
        })
    }

    /// Copies `candidate` into a staged directory, writes promotion.json, syncs everything and
    /// renames it to versions/vNNNNNN: the version appears complete or not at all.
    pub fn install_version(&self, candidate: &Path, record: &PromotionRecord) -> Result<PathBuf> {
        let versions = self.dir.join(VERSIONS_DIR);
        let staged = tempfile::Builder::new()
            .prefix(TEMP_PREFIX)
            .tempdir_in(&versions)
            .with_context(|| format!("staging a version in {}", versions.display()))?;
        copy_tree(candidate, staged.path())?;
        write_record(&staged.path().join(PROMOTION_FILE), record)?;
        sync_tree(staged.path())?;
        let target = self.version_dir(record.version);
        if target.exists() {
            bail!(
                "{} already exists; versions are immutable",
                target.display()
            );
        }
        let staged = staged.keep();
        std::fs::rename(&staged, &target).with_context(|| {
            let _ = std::fs::remove_dir_all(&staged);
            format!("installing {}", target.display())
        })?;
        sync_dir(&versions);
        Ok(target)
    }

    /// Points the `latest` symlink at a version: a new link beside it, renamed over it.
    pub fn swap_latest_link(&self, version: u32) -> Result<()> {
        let temp = self
            .dir
            .join(format!("{TEMP_PREFIX}link-{}", std::process::id()));
        let _ = std::fs::remove_file(&temp);
        let target = Path::new(VERSIONS_DIR).join(version_name(version));
        std::os::unix::fs::symlink(&target, &temp)
            .with_context(|| format!("creating {}", temp.display()))?;
        std::fs::rename(&temp, self.dir.join(LATEST_LINK))
            .with_context(|| format!("replacing {}/{LATEST_LINK}", self.dir.display()))?;
        sync_dir(&self.dir);
        Ok(())
    }

    /// Where `latest` points, if it is a link into versions/.
    pub fn latest_link(&self) -> Option<u32> {
        let target = std::fs::read_link(self.dir.join(LATEST_LINK)).ok()?;
        parse_version_name(&target.file_name()?.to_string_lossy())
    }

    /// Removes a version: renamed to a temp name first (atomic disappearance), then deleted.
    pub fn remove_version(&self, version: u32) -> Result<()> {
        let dir = self.version_dir(version);
        let doomed = self
            .dir
            .join(VERSIONS_DIR)
            .join(format!("{TEMP_PREFIX}pruned-{}", version_name(version)));
        std::fs::rename(&dir, &doomed).with_context(|| format!("removing {}", dir.display()))?;
        sync_dir(&self.dir.join(VERSIONS_DIR));
        std::fs::remove_dir_all(&doomed).with_context(|| format!("removing {}", doomed.display()))
    }

    /// Every version any pointer (current or alias) names, with the previous ones: never pruned.
    pub fn protected_versions(&self) -> Result<Vec<u32>> {
        let mut protected = Vec::new();
        let mut pointers = vec![self.pointer(None)?];
        for alias in self.aliases()? {
            pointers.push(self.pointer(Some(&alias))?);
        }
        for p in pointers.into_iter().flatten() {
            protected.push(p.version);
            protected.extend(p.previous);
        }
        Ok(protected)
    }

    /// Leftovers of interrupted operations: staged versions, half-removed ones, temp files.
    pub fn leftovers(&self) -> Result<Vec<PathBuf>> {
        let mut found = Vec::new();
        for dir in [
            self.dir.clone(),
            self.dir.join(VERSIONS_DIR),
            self.dir.join(ALIASES_DIR),
        ] {
            if !dir.exists() {
                continue;
            }
            for entry in
                std::fs::read_dir(&dir).with_context(|| format!("listing {}", dir.display()))?
            {
                let entry = entry?;
                if entry.file_name().to_string_lossy().starts_with(TEMP_PREFIX) {
                    found.push(entry.path());
                }
            }
        }
        found.sort();
        Ok(found)
    }

    pub fn promotion_record(&self, version: u32) -> Result<PromotionRecord> {
        let path = self.version_dir(version).join(PROMOTION_FILE);
        let text =
            read_regular_text(&path)?.with_context(|| format!("{}: missing", path.display()))?;
        serde_json::from_str(&text)
            .with_context(|| format!("{}: not a promotion record", path.display()))
    }
}

/// promotion.json in a staged version, replacing a copy the candidate brought along.
fn write_record(path: &Path, record: &PromotionRecord) -> Result<()> {
    let mut file = open_regular(path, OpenOptions::new().write(true), true)?
        .with_context(|| format!("creating {}", path.display()))?;
    let text = serde_json::to_string_pretty(record)? + "\n";
    file.set_len(0)
        .and_then(|_| file.write_all(text.as_bytes()))
        .with_context(|| format!("writing {}", path.display()))
}

/// Regular files and directories only; a symlink in a candidate is refused (it could point
/// anywhere, and a version must be self-contained), and so is a FIFO, socket or device (a
/// copy would hang on it or read without end while the registry is locked).
fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    for entry in std::fs::read_dir(from).with_context(|| format!("listing {}", from.display()))? {
        let entry = entry?;
        let kind = entry.file_type()?;
        let target = to.join(entry.file_name());
        if kind.is_dir() {
            std::fs::create_dir(&target)
                .with_context(|| format!("creating {}", target.display()))?;
            copy_tree(&entry.path(), &target)?;
        } else if kind.is_file() {
            std::fs::copy(entry.path(), &target).with_context(|| {
                format!("copying {} to {}", entry.path().display(), target.display())
            })?;
        } else {
            bail!(
                "{}: is {}; a candidate holds only regular files and directories",
                entry.path().display(),
                describe(kind)
            );
        }
    }
    Ok(())
}

fn sync_tree(dir: &Path) -> Result<()> {
    for entry in std::fs::read_dir(dir).with_context(|| format!("listing {}", dir.display()))? {
        let entry = entry?;
        if entry.file_type()?.is_dir() {
            sync_tree(&entry.path())?;
        } else {
            File::open(entry.path())
                .and_then(|f| f.sync_all())
                .with_context(|| format!("syncing {}", entry.path().display()))?;
        }
    }
    sync_dir(dir);
    Ok(())
}

/// Makes renames in `dir` durable; not every filesystem allows syncing a directory.
pub fn sync_dir(dir: &Path) {
    if let Ok(handle) = File::open(dir) {
        let _ = handle.sync_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(to: u32) -> AuditEntry {
        AuditEntry {
            at: "2026-01-01T00:00:00Z".into(),
            actor: "ci".into(),
            action: "promote".into(),
            pointer: Some("current".into()),
            from: None,
            to: Some(to),
            reason: None,
            report_sha256: None,
            fingerprint: None,
            forced: false,
        }
    }

    #[test]
    fn the_next_version_is_one_past_every_known_one() {
        let dir = tempfile::tempdir().unwrap();
        let registry = Registry::open(dir.path(), true).unwrap();
        assert_eq!(registry.next_version(&[]).unwrap(), 1);
        assert_eq!(registry.next_version(&[entry(41)]).unwrap(), 42);
    }

    #[test]
    fn past_the_largest_version_number_is_an_error_naming_where_it_is() {
        let dir = tempfile::tempdir().unwrap();
        let registry = Registry::open(dir.path(), true).unwrap();
        let err = registry.next_version(&[entry(u32::MAX)]).unwrap_err();
        let text = format!("{err:#}");
        assert!(
            text.contains(AUDIT_FILE) && text.contains("4294967295"),
            "{text}"
        );
    }

    #[test]
    fn a_symlinked_versions_directory_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let elsewhere = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(elsewhere.path(), dir.path().join(VERSIONS_DIR)).unwrap();
        let err = Registry::open(dir.path(), true).err().unwrap();
        assert!(format!("{err:#}").contains("is a symlink"), "{err:#}");
    }
}
