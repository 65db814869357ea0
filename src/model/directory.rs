//! The model directory (DESIGN.md): built in a hidden temp dir beside its destination, then
//! renamed into place, so a reader never sees a half-written model; and loaded back with
//! metadata.json checked against model.json.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use forust_ml::GradientBooster;
use polars::prelude::{DataFrame, ParquetCompression, ParquetWriter};
use sha2::{Digest, Sha256};

use super::encode::FeatureMatrix;
use super::gbm::{gbm_feature_names, gbm_from_json, gbm_predict};
use super::linear::LinearModel;
use super::metadata::{ModelMetadata, METADATA_FORMAT};

pub const MODEL_FILE: &str = "model.json";
pub const METADATA_FILE: &str = "metadata.json";
pub const HOLDOUT_FILE: &str = "holdout.parquet";
pub const PROFILE_FILE: &str = "profile.json";

/// Attempts, 100 ms apart, at removing an unfinished staging directory.
const REMOVE_ATTEMPTS: u32 = 20;

/// A model directory being built; dropped without [`StagedDir::commit`], it disappears.
pub struct StagedDir {
    staging: PathBuf,
    out: PathBuf,
    replace: bool,
    committed: bool,
}

impl Drop for StagedDir {
    fn drop(&mut self) {
        if !self.committed {
            remove_staging(&self.staging);
        }
    }
}

/// Removes an unfinished staging directory, retrying for a while: a trainer killed a moment
/// ago may still finish a write into it, and then one removal fails ("directory not empty").
fn remove_staging(dir: &Path) {
    for _ in 0..REMOVE_ATTEMPTS {
        match std::fs::remove_dir_all(dir) {
            Ok(()) => return,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return,
            Err(_) => std::thread::sleep(std::time::Duration::from_millis(100)),
        }
    }
    if let Err(e) = std::fs::remove_dir_all(dir) {
        eprintln!(
            "warning: could not remove the unfinished model directory {}: {e}",
            dir.display()
        );
    }
}

impl StagedDir {
    /// Fails early when `out` exists (unless `replace`) or its parent is missing.
    pub fn new(out: &Path, replace: bool) -> Result<StagedDir> {
        if out.exists() && !replace {
            bail!(
                "{} already exists; choose a new --out or pass --force to replace it",
                out.display()
            );
        }
        let parent = match out.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        if !parent.is_dir() {
            bail!("{}: directory does not exist", parent.display());
        }
        let staging = tempfile::Builder::new()
            .prefix(".refit-tmp-")
            .tempdir_in(parent)
            .with_context(|| format!("creating a temporary directory in {}", parent.display()))?
            // From here on, Drop removes it (see `remove_staging`).
            .keep();
        Ok(StagedDir {
            staging,
            out: out.to_path_buf(),
            replace,
            committed: false,
        })
    }

    pub fn path(&self) -> &Path {
        &self.staging
    }

    pub fn write(&self, name: &str, bytes: &[u8]) -> Result<()> {
        let path = self.path().join(name);
        let mut file =
            File::create(&path).with_context(|| format!("creating {}", path.display()))?;
        file.write_all(bytes)
            .and_then(|_| file.sync_all())
            .with_context(|| format!("writing {}", path.display()))
    }

    /// Pretty JSON with a final newline, as every JSON file in a model directory is written.
    pub fn write_json(&self, name: &str, value: &impl serde::Serialize) -> Result<()> {
        let text =
            serde_json::to_string_pretty(value).with_context(|| format!("serialising {name}"))?;
        self.write(name, (text + "\n").as_bytes())
    }

    pub fn write_parquet(&self, name: &str, frame: &mut DataFrame) -> Result<()> {
        let path = self.path().join(name);
        let file = File::create(&path).with_context(|| format!("creating {}", path.display()))?;
        ParquetWriter::new(file)
            .with_compression(ParquetCompression::Zstd(None))
            .finish(frame)
            .with_context(|| format!("writing {}", path.display()))?;
        File::open(&path)
            .and_then(|f| f.sync_all())
            .with_context(|| format!("syncing {}", path.display()))
    }

    /// Renames the directory into place. With `replace`, an existing directory is first moved
    /// aside and removed only after the new one is in place.
    pub fn commit(mut self) -> Result<PathBuf> {
        let staged = self.staging.clone();
        let mut old = None;
        if self.out.exists() && self.replace {
            let aside = staged.with_extension("old");
            std::fs::rename(&self.out, &aside)
                .with_context(|| format!("moving the old {} aside", self.out.display()))?;
            old = Some(aside);
        }
        if let Err(e) = std::fs::rename(&staged, &self.out) {
            if let Some(aside) = &old {
                let _ = std::fs::rename(aside, &self.out);
            }
            return Err(e).with_context(|| format!("moving the model into {}", self.out.display()));
        }
        self.committed = true;
        if let Some(parent) = self.out.parent() {
            if let Ok(dir) = File::open(if parent.as_os_str().is_empty() {
                Path::new(".")
            } else {
                parent
            }) {
                let _ = dir.sync_all();
            }
        }
        if let Some(aside) = old {
            // The new model is in place: a leftover old copy is worth a warning, not a failure.
            if let Err(e) = remove_replaced(&aside) {
                eprintln!(
                    "warning: could not remove the replaced model at {}: {e}",
                    aside.display()
                );
            }
        }
        Ok(self.out.clone())
    }
}

/// What model.json holds, by the metadata's `trainer.model`.
pub enum ModelBody {
    Gbm(Box<GradientBooster>),
    Linear(LinearModel),
    /// Trained by an external command: refit reads its holdout, but cannot score new data.
    External,
}

pub struct ModelDir {
    pub path: PathBuf,
    pub metadata: ModelMetadata,
    pub body: ModelBody,
}

impl ModelDir {
    /// Loads metadata.json and model.json and checks that they describe the same features.
    pub fn load(dir: &Path) -> Result<ModelDir> {
        if !dir.is_dir() {
            bail!("{}: not a model directory", dir.display());
        }
        let metadata_path = dir.join(METADATA_FILE);
        let text = std::fs::read_to_string(&metadata_path)
            .with_context(|| format!("reading {}", metadata_path.display()))?;
        let metadata: ModelMetadata = serde_json::from_str(&text).with_context(|| {
            format!(
                "{}: not a refit model metadata file ({METADATA_FORMAT})",
                metadata_path.display()
            )
        })?;
        if metadata.format != METADATA_FORMAT {
            bail!(
                "{}: format `{}`, this refit reads `{METADATA_FORMAT}`",
                metadata_path.display(),
                metadata.format
            );
        }
        let model_path = dir.join(MODEL_FILE);
        let model_label = model_path.display().to_string();
        let expected: Vec<&str> = metadata.features.iter().map(|f| f.name.as_str()).collect();
        let body = match metadata.trainer.model.as_str() {
            "external" => ModelBody::External,
            kind => {
                let text = std::fs::read_to_string(&model_path)
                    .with_context(|| format!("reading {model_label}"))?;
                let (body, names) = match kind {
                    "gbm" => {
                        let booster = gbm_from_json(&text, &model_label)?;
                        let names = gbm_feature_names(&booster).unwrap_or_default();
                        (ModelBody::Gbm(Box::new(booster)), names)
                    }
                    "linear" => {
                        let model: LinearModel = serde_json::from_str(&text)
                            .with_context(|| format!("{model_label}: not a refit linear model"))?;
                        let names = model
                            .feature_names()
                            .into_iter()
                            .map(String::from)
                            .collect();
                        (ModelBody::Linear(model), names)
                    }
                    other => bail!(
                        "{}: unknown trainer.model `{other}`; expected gbm, linear or external",
                        metadata_path.display()
                    ),
                };
                if names != expected {
                    bail!(
                        "{model_label} was trained on features [{}] but {} lists [{}]; the \
                         directory is inconsistent",
                        names.join(", "),
                        metadata_path.display(),
                        expected.join(", ")
                    );
                }
                body
            }
        };
        Ok(ModelDir {
            path: dir.to_path_buf(),
            metadata,
            body,
        })
    }

    /// Scores (probabilities for binary) for features encoded in the metadata's order.
    pub fn predict(&self, x: &FeatureMatrix) -> Result<Vec<f64>> {
        match &self.body {
            ModelBody::Gbm(booster) => Ok(gbm_predict(booster, x, self.metadata.task)),
            ModelBody::Linear(model) => Ok(model.predict(x)),
            ModelBody::External => bail!(
                "{}: trained by an external command (`{}`); refit cannot score it, use that \
                 trainer's own predict step",
                self.path.display(),
                self.metadata.trainer.command.as_deref().unwrap_or("?")
            ),
        }
    }
}

/// SHA-256 over metadata.json and model.json: what promote checks a report against.
pub fn model_fingerprint(dir: &Path) -> Result<String> {
    let mut hasher = Sha256::new();
    for name in [METADATA_FILE, MODEL_FILE] {
        let path = dir.join(name);
        if path.exists() {
            let bytes =
                std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
            hasher.update(name.as_bytes());
            hasher.update((bytes.len() as u64).to_le_bytes());
            hasher.update(&bytes);
        }
    }
    Ok(format!("{:x}", hasher.finalize()))
}

/// Removes what --force replaced: a model directory, or whatever single file stood there.
fn remove_replaced(path: &Path) -> std::io::Result<()> {
    if std::fs::symlink_metadata(path)?.is_dir() {
        std::fs::remove_dir_all(path)
    } else {
        std::fs::remove_file(path)
    }
}
