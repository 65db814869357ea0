//! The registry's layout (docs/DESIGN.md): names, the pointer format, and strict parsing of
//! version and alias names so that no argument can point outside the registry.

use anyhow::{bail, Result};
use serde::{Deserialize, Serialize};

pub const VERSIONS_DIR: &str = "versions";
pub const CURRENT_FILE: &str = "current.json";
pub const ALIASES_DIR: &str = "aliases";
pub const AUDIT_FILE: &str = "audit.jsonl";
/// The retrain loop's run ledger (`refit runs`).
pub const RUNS_FILE: &str = "runs.jsonl";
pub const LOCK_FILE: &str = ".lock";
pub const LATEST_LINK: &str = "latest";
/// Written inside each version directory before it becomes visible.
pub const PROMOTION_FILE: &str = "promotion.json";
/// Prefix of everything half-done (staged versions, pruned versions being removed, temp links);
/// `registry verify` removes such leftovers.
pub const TEMP_PREFIX: &str = ".refit-tmp-";

pub fn version_name(version: u32) -> String {
    format!("v{version:06}")
}

/// `v000042` -> 42; anything else (other names, `..`, separators) is not a version.
pub fn parse_version_name(name: &str) -> Option<u32> {
    let digits = name.strip_prefix('v')?;
    if digits.len() < 6 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// A version as the user writes it: `42` or `v000042`.
pub fn parse_version_arg(text: &str) -> Result<u32> {
    if let Some(v) = parse_version_name(text) {
        return Ok(v);
    }
    match text.parse::<u32>() {
        Ok(v) if v > 0 && text.bytes().all(|b| b.is_ascii_digit()) => Ok(v),
        _ => bail!("`{text}` is not a version: expected a number like 3 or a name like v000003"),
    }
}

/// Alias names become file names: lower-case letters, digits, `-` and `_`, at most 64.
pub fn check_alias(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
        && name != "current";
    if !ok {
        bail!("alias `{name}`: use 1-64 of a-z, 0-9, - and _ (and not `current`)");
    }
    Ok(())
}

/// current.json (and aliases/NAME.json): which version serving reads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pointer {
    pub version: u32,
    /// Relative to the registry: `versions/v000042`.
    pub path: String,
    pub promoted_at: String,
    pub previous: Option<u32>,
}

impl Pointer {
    pub fn new(version: u32, promoted_at: String, previous: Option<u32>) -> Pointer {
        Pointer {
            version,
            path: format!("{VERSIONS_DIR}/{}", version_name(version)),
            promoted_at,
            previous,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_names_are_strict() {
        assert_eq!(version_name(42), "v000042");
        assert_eq!(parse_version_name("v000042"), Some(42));
        assert_eq!(parse_version_name("v1234567"), Some(1_234_567));
        for bad in ["v42", "v00004x", "../v000001", "v000001/..", "42", ""] {
            assert_eq!(parse_version_name(bad), None, "{bad}");
        }
        assert_eq!(parse_version_arg("3").unwrap(), 3);
        assert_eq!(parse_version_arg("v000003").unwrap(), 3);
        for bad in ["../3", "0", "-1", "3/..", "v3"] {
            assert!(parse_version_arg(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn alias_names_are_file_safe() {
        assert!(check_alias("staging").is_ok());
        assert!(check_alias("canary-2").is_ok());
        for bad in ["", "../x", "Prod", "a/b", "current"] {
            assert!(check_alias(bad).is_err(), "{bad}");
        }
    }
}
