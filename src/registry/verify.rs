//! `registry verify` as named checks run in a fixed order. Each check reports what holds and
//! what is broken, with the repair that finishes or undoes what a crash interrupted; `verify`
//! applies a check's repairs before the next check runs, since later checks read their result.

use std::path::PathBuf;

use anyhow::{Context, Result};
use serde::Serialize;

use super::audit::{append_audit, read_audit, truncate_partial_tail, AuditEntry};
use super::layout::{Pointer, PROMOTION_FILE};
use super::ops::{pointer_name, was_live};
use super::store::Registry;
use crate::model::directory::METADATA_FILE;
use crate::report::envelope::rfc3339;

/// What verify saw hold, what it repaired and what is left for a person, each in check order.
#[derive(Debug, Clone, Default, Serialize)]
pub struct VerifyOutcome {
    pub checks: Vec<String>,
    pub repairs: Vec<String>,
    pub problems: Vec<String>,
}

/// One invariant of the registry. The order of [`Check::ALL`] is the contract: leftovers go
/// first, and the pointers are known before versions are judged by them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// No staged versions, half-removed versions, temp links or pointer temp files.
    Leftovers,
    /// audit.jsonl parses; a partial last line is a crash mid-append.
    AuditLog,
    /// current.json and every alias pointer parse.
    PointersParse,
    /// Each pointer names a complete version, and the last audited move of it names that one.
    PointerTargets,
    /// Versions no pointer names were live once and were not being pruned; all are complete.
    Versions,
    /// The `latest` link, where there is one, follows current.
    LatestLink,
}

/// What a check found.
#[derive(Debug, Clone, PartialEq)]
pub enum Finding {
    /// An invariant that holds, for the report's `checks`.
    Holds(String),
    /// An invariant that does not, and the repair that restores it if verify has one.
    Broken {
        problem: String,
        repair: Option<Repair>,
    },
}

/// A change that finishes or undoes an interrupted operation.
#[derive(Debug, Clone, PartialEq)]
pub enum Repair {
    /// Delete a temp file or directory an interrupted operation left behind.
    RemoveLeftover(PathBuf),
    /// Truncate audit.jsonl at this byte offset.
    DropPartialAuditLine(usize),
    /// Audit a pointer move whose own audit line was lost.
    AuditMove { pointer: String, target: Pointer },
    /// Remove a version; `audit` says whether the removal still needs its audit line (an
    /// interrupted prune already has one).
    RemoveVersion {
        version: u32,
        why: &'static str,
        audit: bool,
    },
    /// Move `latest` from version `was` to current's version.
    PointLatest { current: u32, was: u32 },
}

/// What the checks share: the audit log as read and extended, and the pointers that parse.
pub struct VerifyState<'a> {
    registry: &'a Registry,
    actor: &'a str,
    entries: Vec<AuditEntry>,
    /// `current` first, then aliases by name.
    pointers: Vec<(String, Pointer)>,
}

/// Checks every invariant and finishes or undoes what a crash interrupted, saying what it did.
/// With `repair` false it only reports.
pub fn verify(registry: &Registry, actor: &str, repair: bool) -> Result<VerifyOutcome> {
    let mut state = VerifyState::new(registry, actor);
    let mut out = VerifyOutcome::default();
    for check in Check::ALL {
        for finding in check.run(&mut state)? {
            match finding {
                Finding::Holds(what) => out.checks.push(what),
                Finding::Broken {
                    repair: Some(fix), ..
                } if repair => out.repairs.push(fix.apply(&mut state)?),
                Finding::Broken { problem, .. } => out.problems.push(problem),
            }
        }
    }
    out.checks
        .push(format!("{} versions installed", registry.versions()?.len()));
    Ok(out)
}

impl Check {
    pub const ALL: [Check; 6] = [
        Check::Leftovers,
        Check::AuditLog,
        Check::PointersParse,
        Check::PointerTargets,
        Check::Versions,
        Check::LatestLink,
    ];

    /// Runs the check against the registry as `state` has seen it so far.
    pub fn run(self, state: &mut VerifyState<'_>) -> Result<Vec<Finding>> {
        match self {
            Check::Leftovers => leftovers(state),
            Check::AuditLog => audit_log(state),
            Check::PointersParse => pointers_parse(state),
            Check::PointerTargets => pointer_targets(state),
            Check::Versions => versions(state),
            Check::LatestLink => latest_link(state),
        }
    }
}

impl<'a> VerifyState<'a> {
    /// Nothing read yet: the audit log and pointers are loaded by their checks.
    pub fn new(registry: &'a Registry, actor: &'a str) -> VerifyState<'a> {
        VerifyState {
            registry,
            actor,
            entries: Vec::new(),
            pointers: Vec::new(),
        }
    }

    /// Appends `entry` to audit.jsonl and to what later checks see.
    fn append(&mut self, entry: AuditEntry) -> Result<()> {
        append_audit(&self.registry.dir, &entry)?;
        self.entries.push(entry);
        Ok(())
    }

    /// A `repair` audit line by this run's actor.
    fn repair_entry(
        &self,
        pointer: Option<String>,
        from: Option<u32>,
        to: Option<u32>,
        reason: String,
    ) -> AuditEntry {
        AuditEntry {
            at: rfc3339(chrono::Utc::now()),
            actor: self.actor.to_string(),
            action: "repair".into(),
            pointer,
            from,
            to,
            reason: Some(reason),
            report_sha256: None,
            fingerprint: None,
            forced: false,
        }
    }
}

fn broken(problem: String, repair: Option<Repair>) -> Finding {
    Finding::Broken { problem, repair }
}

/// Staged and half-removed versions, temp links and pointer temp files are removed.
fn leftovers(state: &mut VerifyState<'_>) -> Result<Vec<Finding>> {
    Ok(state
        .registry
        .leftovers()?
        .into_iter()
        .map(|path| {
            broken(
                format!("leftover {}", path.display()),
                Some(Repair::RemoveLeftover(path)),
            )
        })
        .collect())
}

/// Loads the audit log for later checks; only a partial last line is repairable.
fn audit_log(state: &mut VerifyState<'_>) -> Result<Vec<Finding>> {
    let log = read_audit(&state.registry.dir)?;
    let mut findings = Vec::new();
    if let Some(at) = log.partial_tail {
        findings.push(broken(
            "audit.jsonl ends with a partial line".into(),
            Some(Repair::DropPartialAuditLine(at)),
        ));
    }
    findings.push(Finding::Holds(format!(
        "audit.jsonl: {} entries parse",
        log.entries.len()
    )));
    state.entries = log.entries;
    Ok(findings)
}

/// Loads the pointers that parse; one that does not is a problem only a person can fix.
fn pointers_parse(state: &mut VerifyState<'_>) -> Result<Vec<Finding>> {
    let mut names = vec![None];
    names.extend(state.registry.aliases()?.into_iter().map(Some));
    let mut findings = Vec::new();
    for alias in names {
        let name = pointer_name(alias.as_deref());
        match state.registry.pointer(alias.as_deref()) {
            Ok(Some(p)) => state.pointers.push((name, p)),
            Ok(None) => {}
            Err(e) => findings.push(broken(format!("{name}: {e:#}"), None)),
        }
    }
    Ok(findings)
}

/// A pointer at an incomplete version is reported; a move without its audit line (the last
/// move of that pointer names another version) is audited now.
fn pointer_targets(state: &mut VerifyState<'_>) -> Result<Vec<Finding>> {
    let mut findings = Vec::new();
    for (name, pointer) in &state.pointers {
        let dir = state.registry.version_dir(pointer.version);
        if !dir.join(METADATA_FILE).is_file() {
            findings.push(broken(
                format!(
                    "{name} points at version {} which is missing or incomplete",
                    pointer.version
                ),
                None,
            ));
            continue;
        }
        findings.push(Finding::Holds(format!(
            "{name} -> version {} (complete)",
            pointer.version
        )));
        if last_move_to(&state.entries, name) != Some(pointer.version) {
            findings.push(broken(
                format!("{name} -> version {} has no audit line", pointer.version),
                Some(Repair::AuditMove {
                    pointer: name.clone(),
                    target: pointer.clone(),
                }),
            ));
        }
    }
    Ok(findings)
}

/// The version the last audited move of pointer `name` went to.
fn last_move_to(entries: &[AuditEntry], name: &str) -> Option<u32> {
    entries
        .iter()
        .rev()
        .find(|e| {
            e.pointer.as_deref().unwrap_or("current") == name
                && e.to.is_some()
                && matches!(
                    e.action.as_str(),
                    "promote" | "bootstrap" | "rollback" | "repair"
                )
        })
        .and_then(|e| e.to)
}

/// Any version a pointer names (now or as previous) is kept. Otherwise one no audit line ever
/// moved a pointer to was installed by a promote killed before its pointer swap, and one
/// audited as pruned is an interrupted prune: both are removed, and the removal audited so the
/// number is never handed out again.
fn versions(state: &mut VerifyState<'_>) -> Result<Vec<Finding>> {
    let protected: Vec<u32> = state
        .pointers
        .iter()
        .flat_map(|(_, p)| std::iter::once(p.version).chain(p.previous))
        .collect();
    let pruned: Vec<u32> = state
        .entries
        .iter()
        .filter(|e| e.action == "prune")
        .filter_map(|e| e.from)
        .collect();
    let mut findings = Vec::new();
    for version in state.registry.versions()? {
        if protected.contains(&version) {
            continue;
        }
        let why = if pruned.contains(&version) {
            Some("its prune was interrupted")
        } else if !was_live(&state.entries, version) {
            Some("installed by a promote interrupted before its pointer swap")
        } else {
            None
        };
        let complete = || {
            state
                .registry
                .version_dir(version)
                .join(PROMOTION_FILE)
                .is_file()
        };
        match why {
            Some(why) => findings.push(broken(
                format!("version {version} is a leftover ({why})"),
                Some(Repair::RemoveVersion {
                    version,
                    why,
                    audit: !pruned.contains(&version),
                }),
            )),
            None if !complete() => findings.push(broken(
                format!("version {version} is incomplete (promotion.json missing)"),
                None,
            )),
            None => {}
        }
    }
    Ok(findings)
}

/// A `latest` link that lags behind current (a crash after the pointer swap) is moved.
fn latest_link(state: &mut VerifyState<'_>) -> Result<Vec<Finding>> {
    let current = state
        .pointers
        .iter()
        .find(|(n, _)| n == "current")
        .map(|(_, p)| p.version);
    Ok(match (state.registry.latest_link(), current) {
        (Some(was), Some(current)) if was != current => vec![broken(
            format!("latest -> {was} but current is {current}"),
            Some(Repair::PointLatest { current, was }),
        )],
        _ => Vec::new(),
    })
}

impl Repair {
    /// Carries the repair out; returns what the report's `repairs` says about it.
    pub fn apply(&self, state: &mut VerifyState<'_>) -> Result<String> {
        let registry = state.registry;
        match self {
            Repair::RemoveLeftover(path) => {
                // A leftover that is a link is removed itself, never what it points at.
                let is_dir = std::fs::symlink_metadata(path).is_ok_and(|m| m.is_dir());
                if is_dir {
                    std::fs::remove_dir_all(path)
                } else {
                    std::fs::remove_file(path)
                }
                .with_context(|| format!("removing {}", path.display()))?;
                Ok(format!("removed leftover {}", path.display()))
            }
            Repair::DropPartialAuditLine(at) => {
                truncate_partial_tail(&registry.dir, *at)?;
                Ok("dropped a partial last line of audit.jsonl".into())
            }
            Repair::AuditMove { pointer, target } => audit_move(state, pointer, target),
            Repair::RemoveVersion {
                version,
                why,
                audit,
            } => {
                registry.remove_version(*version)?;
                let reason = format!("removed version {version}: {why}");
                if *audit {
                    let entry = state.repair_entry(None, Some(*version), None, reason.clone());
                    state.append(entry)?;
                }
                Ok(reason)
            }
            Repair::PointLatest { current, was } => {
                registry.swap_latest_link(*current)?;
                Ok(format!("pointed latest at version {current} (was {was})"))
            }
        }
    }
}

/// The audit line a lost move should have had, with the version's report and fingerprint.
fn audit_move(state: &mut VerifyState<'_>, name: &str, target: &Pointer) -> Result<String> {
    let record = state.registry.promotion_record(target.version).ok();
    let mut entry = state.repair_entry(
        Some(name.to_string()),
        target.previous,
        Some(target.version),
        format!(
            "{name} was moved to version {} by an operation interrupted before its audit line",
            target.version
        ),
    );
    entry.report_sha256 = record.as_ref().and_then(|r| r.report_sha256.clone());
    entry.fingerprint = record.map(|r| r.fingerprint);
    state.append(entry)?;
    Ok(format!(
        "audited the move of {name} to version {}",
        target.version
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::layout::{version_name, AUDIT_FILE, TEMP_PREFIX, VERSIONS_DIR};
    use crate::registry::store::PromotionRecord;

    fn registry() -> (tempfile::TempDir, Registry) {
        let dir = tempfile::tempdir().unwrap();
        let registry = Registry::open(dir.path(), true).unwrap();
        (dir, registry)
    }

    /// A complete version: metadata.json and promotion.json.
    fn install(registry: &Registry, version: u32) {
        let dir = registry.version_dir(version);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(METADATA_FILE), "{}").unwrap();
        let record = PromotionRecord {
            version,
            promoted_at: "2026-01-01T00:00:00Z".into(),
            actor: "ci".into(),
            source: "cand".into(),
            fingerprint: format!("fp{version}"),
            report_sha256: Some("abc".into()),
            reason: None,
            forced: false,
        };
        let text = serde_json::to_string(&record).unwrap();
        std::fs::write(dir.join(PROMOTION_FILE), text).unwrap();
    }

    fn point(registry: &Registry, alias: Option<&str>, version: u32, previous: Option<u32>) {
        let pointer = Pointer::new(version, "2026-01-01T00:00:00Z".into(), previous);
        registry.write_pointer(alias, &pointer).unwrap();
    }

    fn audit(registry: &Registry, action: &str, from: Option<u32>, to: Option<u32>) {
        let entry = AuditEntry {
            at: "2026-01-01T00:00:00Z".into(),
            actor: "ci".into(),
            action: action.into(),
            pointer: (action != "prune").then(|| "current".into()),
            from,
            to,
            reason: None,
            report_sha256: None,
            fingerprint: None,
            forced: false,
        };
        append_audit(&registry.dir, &entry).unwrap();
    }

    /// v1 promoted and live, audited: every check holds.
    fn healthy() -> (tempfile::TempDir, Registry) {
        let (dir, registry) = registry();
        install(&registry, 1);
        point(&registry, None, 1, None);
        audit(&registry, "bootstrap", None, Some(1));
        (dir, registry)
    }

    /// What `check` finds once the checks before it have run (without repairs).
    fn findings(registry: &Registry, check: Check) -> Vec<Finding> {
        let mut state = VerifyState::new(registry, "verifier");
        for earlier in Check::ALL.into_iter().take_while(|c| *c != check) {
            earlier.run(&mut state).unwrap();
        }
        check.run(&mut state).unwrap()
    }

    fn problems(findings: &[Finding]) -> Vec<&str> {
        findings
            .iter()
            .filter_map(|f| match f {
                Finding::Broken { problem, .. } => Some(problem.as_str()),
                Finding::Holds(_) => None,
            })
            .collect()
    }

    #[test]
    fn a_healthy_registry_has_no_problems_and_nothing_to_repair() {
        let (_dir, registry) = healthy();
        let out = verify(&registry, "verifier", true).unwrap();
        assert!(out.problems.is_empty() && out.repairs.is_empty(), "{out:?}");
        assert_eq!(
            out.checks,
            [
                "audit.jsonl: 1 entries parse",
                "current -> version 1 (complete)",
                "1 versions installed"
            ]
        );
    }

    #[test]
    fn leftovers_are_found_everywhere_and_removed() {
        let (_dir, registry) = healthy();
        let staged = registry
            .dir
            .join(VERSIONS_DIR)
            .join(format!("{TEMP_PREFIX}stage"));
        std::fs::create_dir(&staged).unwrap();
        let link = registry.dir.join(format!("{TEMP_PREFIX}link-1"));
        std::fs::write(&link, "").unwrap();
        let found = findings(&registry, Check::Leftovers);
        assert_eq!(found.len(), 2);
        assert!(
            matches!(&found[0], Finding::Broken { repair: Some(Repair::RemoveLeftover(p)), .. } if *p == link)
        );
        let out = verify(&registry, "verifier", false).unwrap();
        assert_eq!(out.problems.len(), 2);
        assert!(staged.exists(), "a dry run changes nothing");
        let out = verify(&registry, "verifier", true).unwrap();
        assert_eq!(out.repairs.len(), 2);
        assert!(!staged.exists() && !link.exists());
    }

    #[test]
    fn a_partial_audit_line_is_dropped() {
        let (_dir, registry) = healthy();
        let path = registry.dir.join(AUDIT_FILE);
        let complete = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, format!("{complete}{{\"at\":")).unwrap();
        let found = findings(&registry, Check::AuditLog);
        assert_eq!(
            found,
            [
                broken(
                    "audit.jsonl ends with a partial line".into(),
                    Some(Repair::DropPartialAuditLine(complete.len()))
                ),
                Finding::Holds("audit.jsonl: 1 entries parse".into()),
            ]
        );
        verify(&registry, "verifier", true).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), complete);
    }

    #[test]
    fn a_corrupt_alias_pointer_is_a_problem_without_a_repair() {
        let (_dir, registry) = healthy();
        point(&registry, Some("staging"), 1, None);
        std::fs::write(registry.dir.join("aliases/staging.json"), "{").unwrap();
        let found = findings(&registry, Check::PointersParse);
        assert_eq!(found.len(), 1);
        assert!(
            matches!(&found[0], Finding::Broken { problem, repair: None } if problem.starts_with("staging: "))
        );
        let out = verify(&registry, "verifier", true).unwrap();
        assert_eq!(out.problems.len(), 1);
    }

    #[test]
    fn a_pointer_at_a_missing_version_is_reported() {
        let (_dir, registry) = healthy();
        point(&registry, Some("canary"), 7, None);
        let found = findings(&registry, Check::PointerTargets);
        assert_eq!(
            problems(&found),
            ["canary points at version 7 which is missing or incomplete"]
        );
    }

    #[test]
    fn a_move_without_its_audit_line_is_audited_with_the_versions_record() {
        let (_dir, registry) = healthy();
        install(&registry, 2);
        point(&registry, None, 2, Some(1));
        let found = findings(&registry, Check::PointerTargets);
        assert_eq!(problems(&found), ["current -> version 2 has no audit line"]);
        let out = verify(&registry, "verifier", true).unwrap();
        assert_eq!(out.repairs, ["audited the move of current to version 2"]);
        let last = read_audit(&registry.dir).unwrap().entries.pop().unwrap();
        assert_eq!(
            (last.action.as_str(), last.from, last.to),
            ("repair", Some(1), Some(2))
        );
        assert_eq!(last.fingerprint.as_deref(), Some("fp2"));
        assert_eq!(last.actor, "verifier");
        assert!(verify(&registry, "verifier", true)
            .unwrap()
            .repairs
            .is_empty());
    }

    #[test]
    fn a_never_promoted_version_is_removed_and_its_number_audited() {
        let (_dir, registry) = healthy();
        install(&registry, 2);
        let found = findings(&registry, Check::Versions);
        assert_eq!(
            problems(&found),
            ["version 2 is a leftover (installed by a promote interrupted before its pointer swap)"]
        );
        verify(&registry, "verifier", true).unwrap();
        assert_eq!(registry.versions().unwrap(), [1]);
        let last = read_audit(&registry.dir).unwrap().entries.pop().unwrap();
        assert_eq!((last.action.as_str(), last.from), ("repair", Some(2)));
    }

    #[test]
    fn an_interrupted_prune_is_finished_without_a_second_audit_line() {
        let (_dir, registry) = healthy();
        install(&registry, 2);
        audit(&registry, "promote", Some(1), Some(2));
        point(&registry, None, 3, Some(2));
        install(&registry, 3);
        audit(&registry, "promote", Some(2), Some(3));
        // v1 is neither current nor previous: its prune was audited, then cut short.
        audit(&registry, "prune", Some(1), None);
        let found = findings(&registry, Check::Versions);
        assert_eq!(
            problems(&found),
            ["version 1 is a leftover (its prune was interrupted)"]
        );
        let lines = read_audit(&registry.dir).unwrap().entries.len();
        verify(&registry, "verifier", true).unwrap();
        assert_eq!(registry.versions().unwrap(), [2, 3]);
        assert_eq!(read_audit(&registry.dir).unwrap().entries.len(), lines);
    }

    #[test]
    fn never_removes_a_version_that_was_live() {
        let (_dir, registry) = healthy();
        // v2 went live but its audit line was lost; v3 followed, so v2 is only `previous`.
        install(&registry, 2);
        install(&registry, 3);
        point(&registry, None, 3, Some(2));
        audit(&registry, "promote", Some(2), Some(3));
        assert!(problems(&findings(&registry, Check::Versions)).is_empty());
        // Later still v4 is current: v2 is no longer protected, but the audit shows it was live.
        install(&registry, 4);
        point(&registry, None, 4, Some(3));
        audit(&registry, "promote", Some(3), Some(4));
        assert!(problems(&findings(&registry, Check::Versions)).is_empty());
        verify(&registry, "verifier", true).unwrap();
        assert_eq!(registry.versions().unwrap(), [1, 2, 3, 4]);
    }

    #[test]
    fn a_live_version_without_its_record_is_incomplete() {
        let (_dir, registry) = healthy();
        install(&registry, 2);
        audit(&registry, "promote", Some(1), Some(2));
        audit(&registry, "rollback", Some(2), Some(1));
        std::fs::remove_file(registry.version_dir(2).join(PROMOTION_FILE)).unwrap();
        let found = findings(&registry, Check::Versions);
        assert_eq!(
            found,
            [broken(
                "version 2 is incomplete (promotion.json missing)".into(),
                None
            )]
        );
    }

    #[test]
    fn a_lagging_latest_link_follows_current() {
        let (_dir, registry) = healthy();
        registry.swap_latest_link(1).unwrap();
        install(&registry, 2);
        point(&registry, None, 2, Some(1));
        audit(&registry, "promote", Some(1), Some(2));
        let found = findings(&registry, Check::LatestLink);
        assert_eq!(
            found,
            [broken(
                "latest -> 1 but current is 2".into(),
                Some(Repair::PointLatest { current: 2, was: 1 })
            )]
        );
        let out = verify(&registry, "verifier", true).unwrap();
        assert_eq!(out.repairs, ["pointed latest at version 2 (was 1)"]);
        assert_eq!(registry.latest_link(), Some(2));
        let target = std::fs::read_link(registry.dir.join("latest")).unwrap();
        assert!(target.ends_with(version_name(2)));
    }
}
