//! The decision threshold for accuracy, precision, recall and F1: the live model should be
//! judged at the threshold it is served with, not at an arbitrary 0.5.

use std::path::Path;

use anyhow::{Context, Result};

/// Used when neither --threshold nor a model directory says otherwise.
pub const DEFAULT_THRESHOLD: f64 = 0.5;

/// `explicit` (--threshold), else `model_dir`'s metadata.json `decision_threshold`, else 0.5.
pub fn decision_threshold(explicit: Option<f64>, model_dir: Option<&Path>) -> Result<f64> {
    if let Some(t) = explicit {
        return Ok(t);
    }
    let Some(dir) = model_dir else {
        return Ok(DEFAULT_THRESHOLD);
    };
    let path = dir.join("metadata.json");
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    threshold_in_metadata(&text, &path)
}

/// The numeric `decision_threshold` of a metadata.json's text; `path` is for messages.
fn threshold_in_metadata(text: &str, path: &Path) -> Result<f64> {
    let json: serde_json::Value = serde_json::from_str(text)
        .with_context(|| format!("{}: not valid JSON", path.display()))?;
    json.get("decision_threshold")
        .and_then(|v| v.as_f64())
        .with_context(|| format!("{}: no numeric `decision_threshold`", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_flag_wins_then_the_model_then_one_half() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("metadata.json"),
            r#"{"decision_threshold": 0.45}"#,
        )
        .unwrap();
        assert_eq!(
            decision_threshold(Some(0.3), Some(dir.path())).unwrap(),
            0.3
        );
        assert_eq!(decision_threshold(None, Some(dir.path())).unwrap(), 0.45);
        assert_eq!(decision_threshold(None, None).unwrap(), DEFAULT_THRESHOLD);
    }

    #[test]
    fn a_model_without_a_usable_threshold_is_an_error_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let err = decision_threshold(None, Some(dir.path())).unwrap_err();
        assert!(format!("{err:#}").contains("metadata.json"), "{err:#}");
        let path = Path::new("m/metadata.json");
        let err = threshold_in_metadata(r#"{"decision_threshold": "high"}"#, path).unwrap_err();
        assert_eq!(
            err.to_string(),
            "m/metadata.json: no numeric `decision_threshold`"
        );
        let err = threshold_in_metadata("{", path).unwrap_err();
        assert_eq!(err.to_string(), "m/metadata.json: not valid JSON");
    }
}
