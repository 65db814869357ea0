//! The live model's gauges, read from the registry itself so every command that writes them
//! (promote and rollback whatever their outcome, the loop's run record) tells the same truth:
//! a rejected promotion still reports how old the live model is.
//!
//! Per pointer (`current`, then each alias, labelled `pointer=NAME`):
//! `refit_registry_current_version`, `refit_registry_promoted_timestamp_seconds` (the pointer's
//! `promoted_at`: when it last moved, a rollback included), `refit_registry_trained_timestamp_seconds`
//! (`trained_at` in the version's metadata.json) and `refit_model_age_seconds` (now minus
//! trained_at). A pointer that is not set yet, as in a registry before its first promotion,
//! has no series at all: alert on that with `absent(refit_registry_current_version)`.

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::files::read_regular_text;
use super::layout::Pointer;
use super::store::Registry;
use crate::report::prometheus::Gauges;

/// What one pointer serves, with the two instants its gauges need.
#[derive(Debug, Clone, PartialEq)]
struct LiveModel {
    pointer: String,
    version: u32,
    promoted_at: DateTime<Utc>,
    trained_at: DateTime<Utc>,
}

/// The one field of metadata.json read here (an external trainer's metadata has it too).
#[derive(Deserialize)]
struct Trained {
    trained_at: String,
}

/// Adds the live model's gauges for every set pointer. A pointer, or a live version's
/// metadata.json, that cannot be read is an error naming the file, and then nothing is added.
pub fn live_model(registry: &Registry, now: DateTime<Utc>, gauges: &mut Gauges) -> Result<()> {
    let mut live = Vec::new();
    let aliases = registry.aliases()?;
    let names = std::iter::once(None).chain(aliases.iter().map(|a| Some(a.as_str())));
    for alias in names {
        if let Some(pointer) = registry.pointer(alias)? {
            live.push(read_live(registry, alias.unwrap_or("current"), &pointer)?);
        }
    }
    for model in &live {
        emit(model, now, gauges);
    }
    Ok(())
}

fn read_live(registry: &Registry, name: &str, pointer: &Pointer) -> Result<LiveModel> {
    let pointer_file = registry.pointer_path((name != "current").then_some(name))?;
    let promoted_at = instant(&pointer.promoted_at).with_context(|| {
        format!(
            "{}: promoted_at `{}` is not an RFC 3339 time",
            pointer_file.display(),
            pointer.promoted_at
        )
    })?;
    let metadata = registry.version_dir(pointer.version).join("metadata.json");
    let text = read_regular_text(&metadata)?.with_context(|| {
        format!(
            "{}: missing, so the age of version {} is unknown",
            metadata.display(),
            pointer.version
        )
    })?;
    let trained: Trained = serde_json::from_str(&text)
        .with_context(|| format!("{}: no trained_at", metadata.display()))?;
    let trained_at = instant(&trained.trained_at).with_context(|| {
        format!(
            "{}: trained_at `{}` is not an RFC 3339 time",
            metadata.display(),
            trained.trained_at
        )
    })?;
    Ok(LiveModel {
        pointer: name.to_string(),
        version: pointer.version,
        promoted_at,
        trained_at,
    })
}

fn instant(text: &str) -> Result<DateTime<Utc>> {
    Ok(DateTime::parse_from_rfc3339(text)?.with_timezone(&Utc))
}

fn seconds(at: DateTime<Utc>) -> f64 {
    at.timestamp_millis() as f64 / 1000.0
}

fn emit(model: &LiveModel, now: DateTime<Utc>, gauges: &mut Gauges) {
    let labels = [("pointer", model.pointer.as_str())];
    gauges.gauge(
        "refit_registry_current_version",
        "The version the pointer names after this run.",
        &labels,
        f64::from(model.version),
    );
    // The model-age alert: time() minus this is how long the pointer has served its version.
    gauges.gauge(
        "refit_registry_promoted_timestamp_seconds",
        "Unix time the pointer last moved to a new version.",
        &labels,
        seconds(model.promoted_at),
    );
    gauges.gauge(
        "refit_registry_trained_timestamp_seconds",
        "Unix time the pointer's version was trained (trained_at in its metadata.json).",
        &labels,
        seconds(model.trained_at),
    );
    gauges.gauge(
        "refit_model_age_seconds",
        "Seconds since the pointer's version was trained.",
        &labels,
        (now - model.trained_at).num_milliseconds() as f64 / 1000.0,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn install(registry: &Registry, version: u32, trained_at: &str) {
        let dir = registry.version_dir(version);
        std::fs::create_dir_all(&dir).unwrap();
        let metadata = serde_json::json!({ "format": "refit-model/1", "trained_at": trained_at });
        std::fs::write(dir.join("metadata.json"), metadata.to_string()).unwrap();
    }

    fn at(text: &str) -> DateTime<Utc> {
        instant(text).unwrap()
    }

    #[test]
    fn every_set_pointer_reports_its_version_promotion_training_and_age() {
        let dir = tempfile::tempdir().unwrap();
        let registry = Registry::open(dir.path(), true).unwrap();
        install(&registry, 1, "2026-01-01T00:00:00.000Z");
        install(&registry, 2, "2026-01-10T12:00:00.500Z");
        let current = Pointer::new(2, "2026-01-11T00:00:00.000Z".into(), Some(1));
        registry.write_pointer(None, &current).unwrap();
        let canary = Pointer::new(1, "2026-01-02T00:00:00.000Z".into(), None);
        registry.write_pointer(Some("canary"), &canary).unwrap();
        let mut gauges = Gauges::default();
        live_model(&registry, at("2026-01-20T12:00:00.500Z"), &mut gauges).unwrap();
        let text = gauges.render();
        for sample in [
            "refit_registry_current_version{pointer=\"current\"} 2\n",
            "refit_registry_current_version{pointer=\"canary\"} 1\n",
            // 2026-01-11T00:00:00Z
            "refit_registry_promoted_timestamp_seconds{pointer=\"current\"} 1768089600\n",
            "refit_registry_trained_timestamp_seconds{pointer=\"current\"} 1768046400.5\n",
            // Ten days: 864000 s.
            "refit_model_age_seconds{pointer=\"current\"} 864000\n",
            "refit_model_age_seconds{pointer=\"canary\"} 1684800.5\n",
        ] {
            assert!(text.contains(sample), "{sample} missing from:\n{text}");
        }
        assert_eq!(
            text.matches("# TYPE refit_model_age_seconds gauge").count(),
            1
        );
    }

    #[test]
    fn no_live_model_means_no_series() {
        let dir = tempfile::tempdir().unwrap();
        let mut gauges = Gauges::default();
        let empty = Registry::open(dir.path(), true).unwrap();
        live_model(&empty, Utc::now(), &mut gauges).unwrap();
        let missing = Registry::at(&dir.path().join("not-yet")).unwrap();
        live_model(&missing, Utc::now(), &mut gauges).unwrap();
        assert_eq!(gauges.render(), "");
    }

    #[test]
    fn an_unreadable_live_version_is_an_error_naming_the_file_and_adds_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let registry = Registry::open(dir.path(), true).unwrap();
        install(&registry, 1, "yesterday");
        let pointer = Pointer::new(1, "2026-01-02T00:00:00.000Z".into(), None);
        registry.write_pointer(None, &pointer).unwrap();
        let mut gauges = Gauges::default();
        let err = live_model(&registry, Utc::now(), &mut gauges).unwrap_err();
        let err = format!("{err:#}");
        assert!(
            err.contains("v000001/metadata.json: trained_at `yesterday`"),
            "{err}"
        );
        assert_eq!(gauges.render(), "");
    }
}
