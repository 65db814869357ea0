//! What a candidate directory may hold, checked before the registry is created or locked:
//! regular files and directories only (a FIFO would hang the copy while the lock is held, a
//! symlink could point anywhere), and never the registry itself (it would copy itself into
//! itself until the path is too long).

use std::path::{Component, Path, PathBuf};

use anyhow::{bail, Context, Result};

use super::files::describe;

/// Refuses a candidate holding anything but regular files and directories, or holding the
/// registry (which need not exist yet).
pub fn check_candidate_files(candidate: &Path, registry: &Path) -> Result<()> {
    let root = candidate
        .canonicalize()
        .with_context(|| format!("candidate {}", candidate.display()))?;
    if resolve(registry)?.starts_with(&root) {
        bail!(
            "the registry {} is inside the candidate {}; keep the registry outside the model directory",
            registry.display(),
            candidate.display()
        );
    }
    check_tree(candidate)
}

fn check_tree(dir: &Path) -> Result<()> {
    for entry in std::fs::read_dir(dir).with_context(|| format!("listing {}", dir.display()))? {
        let entry = entry.with_context(|| format!("listing {}", dir.display()))?;
        let kind = entry
            .file_type()
            .with_context(|| format!("inspecting {}", entry.path().display()))?;
        if kind.is_dir() {
            check_tree(&entry.path())?;
        } else if !kind.is_file() {
            bail!(
                "{}: is {}; a candidate may hold only regular files and directories",
                entry.path().display(),
                describe(kind)
            );
        }
    }
    Ok(())
}

/// `path` made absolute with its links resolved as far as it exists; the part that does not
/// exist yet (and so holds no links) is appended by name.
fn resolve(path: &Path) -> Result<PathBuf> {
    let components: Vec<Component> = path.components().collect();
    for existing in (0..=components.len()).rev() {
        let base: PathBuf = components[..existing].iter().collect();
        let base = if base.as_os_str().is_empty() {
            Path::new(".")
        } else {
            &base
        };
        let Ok(mut resolved) = base.canonicalize() else {
            continue;
        };
        for component in &components[existing..] {
            match component {
                Component::ParentDir => {
                    resolved.pop();
                }
                Component::Normal(name) => resolved.push(name),
                _ => {}
            }
        }
        return Ok(resolved);
    }
    bail!("{}: cannot be resolved", path.display())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candidate() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        std::fs::write(dir.path().join("sub/model.json"), "{}").unwrap();
        dir
    }

    #[test]
    fn files_and_directories_pass() {
        let dir = candidate();
        let elsewhere = tempfile::tempdir().unwrap();
        check_candidate_files(dir.path(), &elsewhere.path().join("models")).unwrap();
    }

    #[test]
    fn a_symlink_deep_inside_is_refused_naming_it() {
        let dir = candidate();
        let link = dir.path().join("sub/link");
        std::os::unix::fs::symlink("/etc/passwd", &link).unwrap();
        let err = check_tree(dir.path()).unwrap_err();
        assert!(
            format!("{err:#}").contains(&format!("{}: is a symlink", link.display())),
            "{err:#}"
        );
    }

    #[test]
    fn a_registry_inside_is_refused_even_before_it_exists() {
        let dir = candidate();
        for registry in ["models", "sub/new/models", "sub/../models"] {
            let err = check_candidate_files(dir.path(), &dir.path().join(registry)).unwrap_err();
            assert!(
                format!("{err:#}").contains("inside the candidate"),
                "{err:#}"
            );
        }
        assert!(check_candidate_files(dir.path(), dir.path()).is_err());
        let outside = dir.path().join("sub/../../elsewhere-models");
        assert!(check_candidate_files(dir.path(), &outside).is_ok());
    }

    #[test]
    fn resolving_appends_what_does_not_exist() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        assert_eq!(
            resolve(&dir.path().join("a/b/../c")).unwrap(),
            root.join("a/c")
        );
        assert_eq!(resolve(dir.path()).unwrap(), root);
    }
}
