//! promote, rollback and verify as sequences of crash-safe steps. The order is the contract:
//! install the version (invisible until renamed), swap the pointer (the commit point), then
//! the `latest` link, the audit line and pruning, each of which `verify` (in `verify.rs`) can
//! finish if a crash interrupts it.

use std::path::Path;

use anyhow::{bail, Context, Result};
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::audit::{append_audit, read_audit, AuditEntry};
use super::layout::{version_name, Pointer};
use super::store::{PromotionRecord, Registry};
pub use super::verify::{verify, VerifyOutcome};
use crate::model::directory::{model_fingerprint, ModelDir, METADATA_FILE, MODEL_FILE};
use crate::report::envelope::rfc3339;

pub struct PromoteRequest<'a> {
    pub candidate: &'a Path,
    pub shadow_report: Option<&'a Path>,
    pub force: bool,
    pub reason: Option<&'a str>,
    pub actor: &'a str,
    pub alias: Option<&'a str>,
    pub link: bool,
    pub keep: Option<usize>,
    pub dry_run: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct PromoteOutcome {
    /// bootstrap, promote, reject, or dry-run.
    pub action: String,
    pub from: Option<u32>,
    pub to: Option<u32>,
    pub path: Option<String>,
    pub fingerprint: String,
    pub report_sha256: Option<String>,
    pub pruned: Vec<u32>,
    pub reason: String,
    /// Steps after the commit point (the pointer swap) that failed: the promotion stands,
    /// `registry verify` finishes them.
    pub warnings: Vec<String>,
}

/// Why a report does not allow promoting this candidate, if it does not.
fn check_report(path: &Path, fingerprint: &str) -> Result<(Option<String>, String)> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let digest = format!("{:x}", Sha256::digest(&bytes));
    let report: Value = serde_json::from_slice(&bytes)
        .with_context(|| format!("{}: not a JSON report", path.display()))?;
    if report["command"] != "shadow-test" {
        bail!(
            "{}: a `{}` report, not a shadow-test report",
            path.display(),
            report["command"].as_str().unwrap_or("?")
        );
    }
    let reported = report["result"]["challenger"]["fingerprint"]
        .as_str()
        .unwrap_or_default();
    if reported != fingerprint {
        bail!(
            "{} is about another candidate (fingerprint {} there, {} here)",
            path.display(),
            short(reported),
            short(fingerprint)
        );
    }
    if report["result"]["verdict"] != "PASS" {
        let reasons = report["result"]["reasons"]
            .as_array()
            .map(|r| {
                r.iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join("; ")
            })
            .unwrap_or_default();
        return Ok((
            Some(format!("the shadow test did not pass: {reasons}")),
            digest,
        ));
    }
    Ok((None, digest))
}

fn short(fingerprint: &str) -> String {
    fingerprint.chars().take(12).collect()
}

pub(super) fn pointer_name(alias: Option<&str>) -> String {
    alias.unwrap_or("current").to_string()
}

/// Checks the candidate directory: metadata.json consistent with model.json (or an external
/// model's files), and at least one model file.
pub fn check_candidate(candidate: &Path) -> Result<String> {
    if !candidate.join(METADATA_FILE).is_file() {
        bail!("candidate {}: no {METADATA_FILE}", candidate.display());
    }
    let model = ModelDir::load(candidate)?;
    if model.metadata.trainer.model != "external" && !candidate.join(MODEL_FILE).is_file() {
        bail!("candidate {}: no {MODEL_FILE}", candidate.display());
    }
    model_fingerprint(candidate)
}

/// Promotes under the lock the caller holds.
pub fn promote(registry: &Registry, request: &PromoteRequest<'_>) -> Result<PromoteOutcome> {
    let fingerprint = check_candidate(request.candidate)?;
    let audit = read_audit(&registry.dir)?.entries;
    let current = registry.pointer(request.alias)?;
    let empty = current.is_none() && registry.versions()?.is_empty();
    let (rejection, report_sha256) = match (request.shadow_report, empty) {
        (Some(path), _) => {
            let (why, digest) = check_report(path, &fingerprint)?;
            (why, Some(digest))
        }
        (None, true) => (None, None),
        (None, false) => (
            Some(
                "no --shadow-report (needed unless the registry is empty, or --force --reason)"
                    .to_string(),
            ),
            None,
        ),
    };
    let forced = request.force && rejection.is_some();
    let from = current.as_ref().map(|p| p.version);
    let now = rfc3339(chrono::Utc::now());
    if let Some(why) = rejection.filter(|_| !request.force) {
        if !request.dry_run {
            append_audit(
                &registry.dir,
                &AuditEntry {
                    at: now,
                    actor: request.actor.to_string(),
                    action: "reject".into(),
                    pointer: Some(pointer_name(request.alias)),
                    from,
                    to: None,
                    reason: Some(why.clone()),
                    report_sha256: report_sha256.clone(),
                    fingerprint: Some(fingerprint.clone()),
                    forced: false,
                },
            )?;
        }
        return Ok(PromoteOutcome {
            action: "reject".into(),
            from,
            to: None,
            path: None,
            fingerprint,
            report_sha256,
            pruned: Vec::new(),
            reason: why,
            warnings: Vec::new(),
        });
    }
    if request.force && request.reason.is_none_or(|r| r.trim().is_empty()) {
        bail!("--force needs --reason TEXT: an override is recorded with its reason");
    }
    let action = if empty { "bootstrap" } else { "promote" };
    let version = registry.next_version(&audit)?;
    let reason = match (request.reason, empty) {
        (Some(r), _) => r.to_string(),
        (None, true) => "first version of an empty registry".to_string(),
        (None, false) => "shadow test passed".to_string(),
    };
    if request.dry_run {
        return Ok(PromoteOutcome {
            action: format!("dry-run ({action})"),
            from,
            to: Some(version),
            path: Some(format!("versions/{}", version_name(version))),
            fingerprint,
            report_sha256,
            pruned: Vec::new(),
            reason,
            warnings: Vec::new(),
        });
    }
    let record = PromotionRecord {
        version,
        promoted_at: now.clone(),
        actor: request.actor.to_string(),
        source: request.candidate.display().to_string(),
        fingerprint: fingerprint.clone(),
        report_sha256: report_sha256.clone(),
        reason: Some(reason.clone()),
        forced,
    };
    registry.install_version(request.candidate, &record)?;
    let pointer = Pointer::new(version, now.clone(), from);
    // The commit point. What follows is audited or finished by `registry verify` if it fails.
    registry.write_pointer(request.alias, &pointer)?;
    let mut warnings = Vec::new();
    if let Err(e) = append_audit(
        &registry.dir,
        &AuditEntry {
            at: now,
            actor: request.actor.to_string(),
            action: action.into(),
            pointer: Some(pointer_name(request.alias)),
            from,
            to: Some(version),
            reason: Some(reason.clone()),
            report_sha256: report_sha256.clone(),
            fingerprint: Some(fingerprint.clone()),
            forced,
        },
    ) {
        warnings.push(format!(
            "promoted, but the audit line was not written ({e:#}); run `refit registry verify`"
        ));
    }
    // Once a registry has a `latest` link, it follows current.
    if (request.link || registry.latest_link().is_some()) && request.alias.is_none() {
        if let Err(e) = registry.swap_latest_link(version) {
            warnings.push(format!(
                "promoted, but `latest` was not swapped ({e:#}); run `refit registry verify`"
            ));
        }
    }
    let pruned = match request
        .keep
        .map(|keep| prune(registry, keep, request.actor))
    {
        Some(Ok(pruned)) => pruned,
        Some(Err(e)) => {
            warnings.push(format!("promoted, but pruning failed ({e:#})"));
            Vec::new()
        }
        None => Vec::new(),
    };
    Ok(PromoteOutcome {
        action: action.into(),
        from,
        to: Some(version),
        path: Some(pointer.path),
        fingerprint,
        report_sha256,
        pruned,
        reason,
        warnings,
    })
}

/// Keeps the newest `keep` versions and every version a pointer names (or names as previous).
/// Each removal is audited before it happens, so verify can finish an interrupted one.
pub fn prune(registry: &Registry, keep: usize, actor: &str) -> Result<Vec<u32>> {
    let versions = registry.versions()?;
    let protected = registry.protected_versions()?;
    let cut = versions.len().saturating_sub(keep);
    let doomed: Vec<u32> = versions[..cut]
        .iter()
        .copied()
        .filter(|v| !protected.contains(v))
        .collect();
    for &version in &doomed {
        append_audit(
            &registry.dir,
            &AuditEntry {
                at: rfc3339(chrono::Utc::now()),
                actor: actor.to_string(),
                action: "prune".into(),
                pointer: None,
                from: Some(version),
                to: None,
                reason: Some(format!("--keep {keep}")),
                report_sha256: None,
                fingerprint: None,
                forced: false,
            },
        )?;
        registry.remove_version(version)?;
    }
    Ok(doomed)
}

#[derive(Debug, Clone, Serialize)]
pub struct RollbackOutcome {
    pub from: u32,
    pub to: u32,
    pub dry_run: bool,
}

/// Points the pointer back to its previous version, or `to`; a pruned or unknown version is
/// refused.
pub fn rollback(
    registry: &Registry,
    alias: Option<&str>,
    to: Option<u32>,
    actor: &str,
    reason: Option<&str>,
    link: bool,
    dry_run: bool,
) -> Result<RollbackOutcome> {
    let current = registry.pointer(alias)?.with_context(|| {
        format!(
            "{} has no {} version to roll back from",
            registry.dir.display(),
            pointer_name(alias)
        )
    })?;
    let target = match to {
        Some(v) => v,
        None => current.previous.with_context(|| {
            format!(
                "version {} has no previous version; pass --to N",
                current.version
            )
        })?,
    };
    if target == current.version {
        bail!("version {target} is already {}", pointer_name(alias));
    }
    let dir = registry.version_dir(target);
    let audit = read_audit(&registry.dir)?.entries;
    if audit
        .iter()
        .any(|e| e.action == "prune" && e.from == Some(target))
    {
        bail!("version {target} was pruned; nothing to roll back to");
    }
    if !dir.join(METADATA_FILE).is_file() || !dir.join(super::layout::PROMOTION_FILE).is_file() {
        bail!("version {target} does not exist; nothing to roll back to");
    }
    // Only a version that was really live, not one left behind by a killed promote.
    if !was_live(&audit, target) {
        bail!(
            "version {target} was never promoted (no audit line names it); run `refit registry verify`"
        );
    }
    if dry_run {
        return Ok(RollbackOutcome {
            from: current.version,
            to: target,
            dry_run,
        });
    }
    let now = rfc3339(chrono::Utc::now());
    registry.write_pointer(
        alias,
        &Pointer::new(target, now.clone(), Some(current.version)),
    )?;
    append_audit(
        &registry.dir,
        &AuditEntry {
            at: now,
            actor: actor.to_string(),
            action: "rollback".into(),
            pointer: Some(pointer_name(alias)),
            from: Some(current.version),
            to: Some(target),
            reason: reason.map(String::from),
            report_sha256: None,
            fingerprint: None,
            forced: false,
        },
    )?;
    // After the audit line: a failure here leaves only the link behind, which verify fixes.
    if (link || registry.latest_link().is_some()) && alias.is_none() {
        registry.swap_latest_link(target)?;
    }
    Ok(RollbackOutcome {
        from: current.version,
        to: target,
        dry_run,
    })
}

/// Whether the audit log shows a pointer at `version` at some time: moved to it, or moved
/// away from it (a crash can lose the line that moved it there, never the later one). A
/// repair's `from` is a removal, and a prune's is the end of the version: neither counts.
pub(super) fn was_live(entries: &[AuditEntry], version: u32) -> bool {
    entries.iter().any(|e| {
        e.action != "prune"
            && (e.to == Some(version) || (e.from == Some(version) && e.action != "repair"))
    })
}
