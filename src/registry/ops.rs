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
use super::layout::Pointer;
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

/// The pointer, which must name an installed version: promoting past a pointer at nothing
/// would record a `previous` that cannot be rolled back to.
fn existing_pointer(registry: &Registry, alias: Option<&str>) -> Result<Option<Pointer>> {
    let pointer = registry.pointer(alias)?;
    if let Some(p) = &pointer {
        if !registry
            .version_dir(p.version)
            .join(METADATA_FILE)
            .is_file()
        {
            bail!(
                "{}: names version {}, which does not exist ({} has no {METADATA_FILE}); \
                 run `refit registry verify`, then point it at an installed version",
                registry.pointer_path(alias)?.display(),
                p.version,
                registry.version_dir(p.version).display()
            );
        }
    }
    Ok(pointer)
}

/// What promote found before deciding: the candidate, the pointer, and the report's verdict.
struct Findings {
    fingerprint: String,
    audit: Vec<AuditEntry>,
    from: Option<u32>,
    empty: bool,
    /// Why the report does not allow this promotion, if it does not.
    rejection: Option<String>,
    report_sha256: Option<String>,
}

impl Findings {
    fn gather(registry: &Registry, request: &PromoteRequest<'_>) -> Result<Findings> {
        let fingerprint = check_candidate(request.candidate)?;
        let audit = read_audit(&registry.dir)?.entries;
        let current = existing_pointer(registry, request.alias)?;
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
        Ok(Findings {
            fingerprint,
            audit,
            from: current.map(|p| p.version),
            empty,
            rejection,
            report_sha256,
        })
    }

    /// An audit line about this candidate.
    fn entry(&self, request: &PromoteRequest<'_>, at: &str, action: &str) -> AuditEntry {
        AuditEntry {
            at: at.to_string(),
            actor: request.actor.to_string(),
            action: action.into(),
            pointer: Some(pointer_name(request.alias)),
            from: self.from,
            to: None,
            reason: None,
            report_sha256: self.report_sha256.clone(),
            fingerprint: Some(self.fingerprint.clone()),
            forced: false,
        }
    }

    /// The outcome of `action`, moving the pointer to `to` if it moves.
    fn outcome(self, action: String, to: Option<u32>, reason: String) -> PromoteOutcome {
        PromoteOutcome {
            action,
            from: self.from,
            to,
            path: to.map(|v| Pointer::new(v, String::new(), None).path),
            fingerprint: self.fingerprint,
            report_sha256: self.report_sha256,
            pruned: Vec::new(),
            reason,
            warnings: Vec::new(),
        }
    }
}

/// Promotes under the lock the caller holds.
pub fn promote(registry: &Registry, request: &PromoteRequest<'_>) -> Result<PromoteOutcome> {
    let found = Findings::gather(registry, request)?;
    let now = rfc3339(chrono::Utc::now());
    if let Some(why) = found.rejection.clone().filter(|_| !request.force) {
        if !request.dry_run {
            let mut entry = found.entry(request, &now, "reject");
            // The caller's reason (a loop's triggers) is why it was trained; keep both.
            entry.reason = Some(match request.reason {
                Some(r) if !r.trim().is_empty() => format!("{why} (trained because: {r})"),
                _ => why.clone(),
            });
            append_audit(&registry.dir, &entry)?;
        }
        return Ok(found.outcome("reject".into(), None, why));
    }
    if request.force && request.reason.is_none_or(|r| r.trim().is_empty()) {
        bail!("--force needs --reason TEXT: an override is recorded with its reason");
    }
    let action = if found.empty { "bootstrap" } else { "promote" };
    let version = registry.next_version(&found.audit)?;
    let reason = match (request.reason, found.empty) {
        (Some(r), _) => r.to_string(),
        (None, true) => "first version of an empty registry".to_string(),
        (None, false) => "shadow test passed".to_string(),
    };
    if request.dry_run {
        return Ok(found.outcome(format!("dry-run ({action})"), Some(version), reason));
    }
    let mut entry = found.entry(request, &now, action);
    entry.to = Some(version);
    entry.reason = Some(reason.clone());
    entry.forced = request.force && found.rejection.is_some();
    let record = PromotionRecord {
        version,
        promoted_at: now.clone(),
        actor: request.actor.to_string(),
        source: request.candidate.display().to_string(),
        fingerprint: found.fingerprint.clone(),
        report_sha256: found.report_sha256.clone(),
        reason: Some(reason.clone()),
        forced: entry.forced,
    };
    registry.install_version(request.candidate, &record)?;
    // The commit point. What follows is audited or finished by `registry verify` if it fails.
    registry.write_pointer(request.alias, &Pointer::new(version, now, found.from))?;
    let (pruned, warnings) = after_commit(registry, request, &entry, version);
    let mut outcome = found.outcome(action.into(), Some(version), reason);
    outcome.pruned = pruned;
    outcome.warnings = warnings;
    Ok(outcome)
}

/// The steps after the pointer swap: the audit line, the `latest` link and pruning. A failure
/// is a warning (the promotion stands); returns the pruned versions and the warnings.
fn after_commit(
    registry: &Registry,
    request: &PromoteRequest<'_>,
    entry: &AuditEntry,
    version: u32,
) -> (Vec<u32>, Vec<String>) {
    let mut warnings = Vec::new();
    if let Err(e) = append_audit(&registry.dir, entry) {
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
    (pruned, warnings)
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
    /// What failed after the pointer moved (the rollback stands): audit line, `latest` link.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
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
    let target = rollback_target(registry, alias, to, &current)?;
    if dry_run {
        return Ok(RollbackOutcome {
            from: current.version,
            to: target,
            dry_run,
            warnings: Vec::new(),
        });
    }
    let now = rfc3339(chrono::Utc::now());
    registry.write_pointer(
        alias,
        &Pointer::new(target, now.clone(), Some(current.version)),
    )?;
    // The commit point: what follows is a warning if it fails, never an error.
    let mut warnings = Vec::new();
    let entry = AuditEntry {
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
    };
    if let Err(e) = append_audit(&registry.dir, &entry) {
        warnings.push(format!(
            "rolled back, but the audit line was not written ({e:#}); run `refit registry verify`"
        ));
    }
    // A failure here leaves only the link behind, which verify fixes.
    if (link || registry.latest_link().is_some()) && alias.is_none() {
        if let Err(e) = registry.swap_latest_link(target) {
            warnings.push(format!(
                "rolled back, but the `latest` link was not moved ({e:#}); run `refit registry verify`"
            ));
        }
    }
    Ok(RollbackOutcome {
        from: current.version,
        to: target,
        dry_run,
        warnings,
    })
}

/// The version a rollback of `current` goes to: `to`, or the pointer's previous one; it must
/// exist and have been live.
fn rollback_target(
    registry: &Registry,
    alias: Option<&str>,
    to: Option<u32>,
    current: &Pointer,
) -> Result<u32> {
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
    Ok(target)
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
