//! Comparing two audits by fingerprint: what is new, what was fixed, what is still there.
//!
//! A fingerprint names a fact (rule, subject, entitlement, path identity), never its wording,
//! severity, evidence order or audit time, so a reworded or re-ranked finding is the same
//! finding, and only a changed fact shows up as new or fixed. [`compare`] is what both
//! `residue gate` and `residue diff` use; [`DiffReport`] is `residue diff`'s report, written
//! as JSON ([`render_json`]) and Markdown ([`render_markdown`]).

use super::baseline::{Baseline, FindingRef};
use crate::finding::Severity;
use crate::report::escape;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::{self, Write as _};

/// A finding present in both audits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unchanged {
    /// The finding as the newer audit reports it.
    #[serde(flatten)]
    pub finding: FindingRef,
    /// The older audit's severity, when it differs (a rule override or a new default).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_severity: Option<Severity>,
}

/// Two audits compared by fingerprint; every list sorted worst first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Comparison {
    pub new: Vec<FindingRef>,
    pub fixed: Vec<FindingRef>,
    pub unchanged: Vec<Unchanged>,
}

/// Compares an older and a newer list of findings by fingerprint. A fingerprint listed twice
/// counts once (the first, in the list's order).
pub fn compare(old: &[FindingRef], new: &[FindingRef]) -> Comparison {
    let old_by_fp: BTreeMap<&str, &FindingRef> = old
        .iter()
        .rev()
        .map(|f| (f.fingerprint.as_str(), f))
        .collect();
    let new_fps: BTreeSet<&str> = new.iter().map(|f| f.fingerprint.as_str()).collect();
    let mut out = Comparison::default();
    let mut seen = BTreeSet::new();
    for f in new {
        if !seen.insert(f.fingerprint.as_str()) {
            continue;
        }
        match old_by_fp.get(f.fingerprint.as_str()) {
            Some(before) => out.unchanged.push(Unchanged {
                finding: f.clone(),
                previous_severity: (before.severity != f.severity).then_some(before.severity),
            }),
            None => out.new.push(f.clone()),
        }
    }
    let mut seen = BTreeSet::new();
    for f in old {
        if seen.insert(f.fingerprint.as_str()) && !new_fps.contains(f.fingerprint.as_str()) {
            out.fixed.push(f.clone());
        }
    }
    out.new.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    out.fixed.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    out.unchanged
        .sort_by(|a, b| a.finding.sort_key().cmp(&b.finding.sort_key()));
    out
}

/// Which audit a report side is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditRef {
    pub file: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audit_time: Option<String>,
}

impl From<&Baseline> for AuditRef {
    fn from(b: &Baseline) -> Self {
        AuditRef {
            file: b.file.clone(),
            audit_time: b.audit_time.clone(),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DiffSummary {
    pub new: usize,
    pub fixed: usize,
    pub unchanged: usize,
    pub severity_changed: usize,
}

/// The changes an auditor asks about first, by rule family: standing admin (SP001),
/// escalation paths to admin (SP004), secrets past their rotation or use limits (SC001,
/// SC002). Each list repeats findings from the report's `new` or `fixed` list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Highlights {
    pub new_standing_admins: Vec<FindingRef>,
    pub fixed_standing_admins: Vec<FindingRef>,
    pub new_escalation_paths: Vec<FindingRef>,
    pub fixed_escalation_paths: Vec<FindingRef>,
    pub newly_stale_secrets: Vec<FindingRef>,
}

const STANDING_ADMIN: &[&str] = &["SP001"];
const ESCALATION: &[&str] = &["SP004"];
const STALE_SECRET: &[&str] = &["SC001", "SC002"];

/// `residue diff OLD NEW`: what changed between two audits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DiffReport {
    pub schema_version: u32,
    pub kind: &'static str,
    pub old: AuditRef,
    pub new: AuditRef,
    pub summary: DiffSummary,
    pub highlights: Highlights,
    pub changes: Comparison,
}

impl DiffReport {
    pub fn of(old: &Baseline, new: &Baseline) -> DiffReport {
        let changes = compare(&old.findings, &new.findings);
        let pick = |list: &[FindingRef], rules: &[&str]| -> Vec<FindingRef> {
            list.iter()
                .filter(|f| rules.contains(&f.rule_id.as_str()))
                .cloned()
                .collect()
        };
        let highlights = Highlights {
            new_standing_admins: pick(&changes.new, STANDING_ADMIN),
            fixed_standing_admins: pick(&changes.fixed, STANDING_ADMIN),
            new_escalation_paths: pick(&changes.new, ESCALATION),
            fixed_escalation_paths: pick(&changes.fixed, ESCALATION),
            newly_stale_secrets: pick(&changes.new, STALE_SECRET),
        };
        DiffReport {
            schema_version: 1,
            kind: "diff",
            old: AuditRef::from(old),
            new: AuditRef::from(new),
            summary: DiffSummary {
                new: changes.new.len(),
                fixed: changes.fixed.len(),
                unchanged: changes.unchanged.len(),
                severity_changed: changes
                    .unchanged
                    .iter()
                    .filter(|u| u.previous_severity.is_some())
                    .count(),
            },
            highlights,
            changes,
        }
    }
}

/// The diff as pretty JSON ending in a newline.
pub fn render_json(report: &DiffReport) -> String {
    let mut out = serde_json::to_string_pretty(report)
        .expect("DiffReport serializes: every map key is a string");
    out.push('\n');
    out
}

/// The diff as GitHub-flavoured Markdown ending in a newline.
pub fn render_markdown(report: &DiffReport) -> String {
    let mut out = String::new();
    write_diff(&mut out, report).expect("writing to a String cannot fail");
    out
}

fn md(s: &str) -> std::borrow::Cow<'_, str> {
    escape::markdown_inline(s)
}

fn audit_line(a: &AuditRef) -> String {
    match &a.audit_time {
        Some(t) => format!("{} (audit time {})", md(&a.file), md(t)),
        None => md(&a.file).into_owned(),
    }
}

fn write_diff(out: &mut String, r: &DiffReport) -> fmt::Result {
    writeln!(out, "# Residual privilege: what changed")?;
    writeln!(out)?;
    writeln!(out, "- **Before:** {}", audit_line(&r.old))?;
    writeln!(out, "- **After:** {}", audit_line(&r.new))?;
    writeln!(
        out,
        "- **Changes:** {} new, {} fixed, {} still present ({} with a changed severity)",
        r.summary.new, r.summary.fixed, r.summary.unchanged, r.summary.severity_changed
    )?;
    writeln!(out)?;
    writeln!(out, "## Highlights")?;
    writeln!(out)?;
    let h = &r.highlights;
    for (title, list) in [
        ("New standing admins", &h.new_standing_admins),
        ("Standing admins removed", &h.fixed_standing_admins),
        ("New escalation paths to admin", &h.new_escalation_paths),
        ("Escalation paths removed", &h.fixed_escalation_paths),
        ("Secrets that became stale", &h.newly_stale_secrets),
    ] {
        writeln!(out, "- **{title}:** {}", list.len())?;
        for f in list {
            let what = match &f.entitlement {
                Some(e) => format!("{} → {}", md(&f.subject), md(e)),
                None => md(&f.subject).into_owned(),
            };
            writeln!(out, "  - {what} ({}, {})", md(&f.rule_id), f.severity)?;
        }
    }
    writeln!(out)?;
    write_table(out, "New findings", &r.changes.new)?;
    write_table(out, "Fixed findings", &r.changes.fixed)?;
    writeln!(out, "## Still present ({})", r.changes.unchanged.len())?;
    writeln!(out)?;
    if r.changes.unchanged.is_empty() {
        writeln!(out, "None.")?;
    } else {
        writeln!(
            out,
            "| Severity | Rule | Subject | Entitlement | Fingerprint |"
        )?;
        writeln!(out, "|---|---|---|---|---|")?;
        for u in &r.changes.unchanged {
            let f = &u.finding;
            let severity = match u.previous_severity {
                Some(before) => format!("{} (was {before})", f.severity),
                None => f.severity.to_string(),
            };
            writeln!(
                out,
                "| {severity} | {} | {} | {} | {} |",
                md(&f.rule_id),
                md(&f.subject),
                f.entitlement.as_deref().map_or("—".into(), md),
                md(&f.fingerprint)
            )?;
        }
    }
    Ok(())
}

/// A `## title (n)` section with one row per finding, or `None.`.
pub(crate) fn write_table(out: &mut String, title: &str, list: &[FindingRef]) -> fmt::Result {
    writeln!(out, "## {title} ({})", list.len())?;
    writeln!(out)?;
    if list.is_empty() {
        writeln!(out, "None.")?;
        writeln!(out)?;
        return Ok(());
    }
    writeln!(
        out,
        "| Severity | Rule | Subject | Entitlement | Message | Where | Fingerprint |"
    )?;
    writeln!(out, "|---|---|---|---|---|---|---|")?;
    for f in list {
        writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} |",
            f.severity,
            md(&f.rule_id),
            md(&f.subject),
            f.entitlement.as_deref().map_or("—".into(), md),
            md(&f.message),
            f.location()
                .as_deref()
                .map_or("—".into(), |l| md(l).into_owned()),
            md(&f.fingerprint)
        )?;
    }
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(fp: &str, rule: &str, sev: Severity, subject: &str, message: &str) -> FindingRef {
        FindingRef {
            fingerprint: fp.into(),
            rule_id: rule.into(),
            severity: sev,
            subject: subject.into(),
            entitlement: Some("prod-admin".into()),
            message: message.into(),
            sources: Vec::new(),
        }
    }

    #[test]
    fn compares_by_fingerprint_only() {
        let old = vec![
            f("a", "SP001", Severity::High, "alice", "old wording"),
            f("b", "SC001", Severity::Medium, "key-1", "m"),
        ];
        let new = vec![
            f("c", "SP001", Severity::High, "carol", "m"),
            f("a", "SP001", Severity::Critical, "alice", "new wording"),
            f("c", "SP001", Severity::High, "carol", "duplicate"),
        ];
        let c = compare(&old, &new);
        assert_eq!(c.new.len(), 1);
        assert_eq!(c.new[0].subject, "carol");
        assert_eq!(c.fixed.len(), 1);
        assert_eq!(c.fixed[0].fingerprint, "b");
        assert_eq!(c.unchanged.len(), 1);
        assert_eq!(c.unchanged[0].finding.message, "new wording");
        assert_eq!(c.unchanged[0].previous_severity, Some(Severity::High));
    }

    #[test]
    fn diff_report_highlights_standing_admins_escalations_and_stale_secrets() {
        let base = |findings: Vec<FindingRef>, file: &str| Baseline {
            file: file.into(),
            audit_time: Some("2026-11-20T09:00:00Z".into()),
            findings,
            suppressed: Vec::new(),
        };
        let old = base(
            vec![
                f("a", "SP001", Severity::High, "alice", "m"),
                f("e", "SP004", Severity::High, "eve", "m"),
            ],
            "old.json",
        );
        let new = base(
            vec![
                f("b", "SP001", Severity::High, "bob", "m"),
                f("k", "SC002", Severity::Medium, "key|1", "m"),
                f("e", "SP004", Severity::High, "eve", "m"),
            ],
            "new.json",
        );
        let r = DiffReport::of(&old, &new);
        assert_eq!(r.highlights.new_standing_admins[0].subject, "bob");
        assert_eq!(r.highlights.fixed_standing_admins[0].subject, "alice");
        assert!(r.highlights.new_escalation_paths.is_empty());
        assert_eq!(r.highlights.newly_stale_secrets[0].subject, "key|1");
        assert_eq!(r.summary.unchanged, 1);
        let md = render_markdown(&r);
        assert!(
            md.contains("- **New standing admins:** 1\n  - bob → prod-admin (SP001, high)"),
            "{md}"
        );
        assert!(md.contains("key\\|1"), "hostile names are escaped: {md}");
        let json: serde_json::Value = serde_json::from_str(&render_json(&r)).unwrap();
        assert_eq!(json["summary"]["new"], 2);
        assert_eq!(json["changes"]["fixed"][0]["fingerprint"], "a");
        assert_eq!(render_json(&r), render_json(&DiffReport::of(&old, &new)));
    }
}
