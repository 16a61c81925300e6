//! The gate: suppressions, baselines and diffs, and the verdict of `residue gate`.
//!
//! A gate scans, compares the findings with a baseline (a previous JSON report) by
//! fingerprint, and fails on findings that are new since the baseline at or above its
//! threshold. Suppressed findings never fail it. A finding the baseline held only as
//! suppressed counts as new once its suppression has expired: an acceptance that lapsed is
//! no acceptance. [`GateReport`] is what the gate writes (JSON and Markdown) and prints.

pub mod baseline;
pub mod diff;
pub mod suppressions;

use crate::finding::Severity;
use crate::model::time::format_timestamp;
use crate::model::{Diagnostic, Timestamp};
use crate::report::{escape, Coverage, ScanReport};
use baseline::{Baseline, FindingRef};
use diff::{compare, AuditRef, Unchanged};
use serde::Serialize;
use std::fmt::{self, Write as _};

/// What fails the gate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailOn {
    /// Any new finding.
    New,
    /// New findings at or above this severity.
    Severity(Severity),
}

impl FailOn {
    /// `new`, or a severity name.
    pub fn parse(s: &str) -> Result<FailOn, String> {
        if s.eq_ignore_ascii_case("new") {
            return Ok(FailOn::New);
        }
        Severity::parse(s).map(FailOn::Severity).ok_or_else(|| {
            format!(
                "`{s}` is not a gate threshold; expected `new` or a severity (info, low, medium, high, critical)"
            )
        })
    }

    pub fn fails(self, severity: Severity) -> bool {
        match self {
            FailOn::New => true,
            FailOn::Severity(t) => severity >= t,
        }
    }
}

impl fmt::Display for FailOn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FailOn::New => f.write_str("new"),
            FailOn::Severity(s) => write!(f, "{s}"),
        }
    }
}

/// A new finding and whether it fails the gate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewFinding {
    #[serde(flatten)]
    pub finding: FindingRef,
    pub fails: bool,
}

/// A finding a current suppression accepts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SuppressedRef {
    #[serde(flatten)]
    pub finding: FindingRef,
    pub reason: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approved_by: Option<String>,
    pub expires: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct GateSummary {
    pub new: usize,
    pub failing: usize,
    pub fixed: usize,
    pub unchanged: usize,
    pub suppressed: usize,
}

/// The gate's verdict and what it rests on. Every list is sorted worst first.
#[derive(Debug, Clone, Serialize)]
pub struct GateReport {
    pub schema_version: u32,
    pub kind: &'static str,
    pub audit_time: Timestamp,
    pub baseline: AuditRef,
    pub fail_on: String,
    pub passed: bool,
    pub coverage: Coverage,
    pub summary: GateSummary,
    pub new: Vec<NewFinding>,
    pub fixed: Vec<FindingRef>,
    pub unchanged: Vec<Unchanged>,
    pub suppressed: Vec<SuppressedRef>,
    /// Suppressions that expired (and so no longer suppress) or matched nothing.
    pub suppression_notes: Vec<String>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Compares a scan with a baseline and decides. The gate passes when no new finding fails;
/// whether an incomplete scan may pass is the caller's decision (exit code 3).
pub fn evaluate(report: &ScanReport, baseline: &Baseline, fail_on: FailOn) -> GateReport {
    let current: Vec<FindingRef> = report.findings.iter().map(FindingRef::from).collect();
    let suppressed_now: std::collections::BTreeSet<&str> = report
        .suppressed
        .iter()
        .map(|s| s.finding.fingerprint.as_str())
        .collect();
    let comparison = compare(&baseline.findings, &current);
    let new: Vec<NewFinding> = comparison
        .new
        .into_iter()
        .map(|f| NewFinding {
            fails: fail_on.fails(f.severity),
            finding: f,
        })
        .collect();
    // A baseline finding that a suppression now accepts is not fixed: it is still there.
    let fixed: Vec<FindingRef> = comparison
        .fixed
        .into_iter()
        .filter(|f| !suppressed_now.contains(f.fingerprint.as_str()))
        .collect();
    let mut suppressed: Vec<SuppressedRef> = report
        .suppressed
        .iter()
        .map(|s| SuppressedRef {
            finding: FindingRef::from(&s.finding),
            reason: s.reason.clone(),
            approved_by: s.approved_by.clone(),
            expires: s.expires.clone(),
        })
        .collect();
    suppressed.sort_by(|a, b| a.finding.sort_key().cmp(&b.finding.sort_key()));
    let failing = new.iter().filter(|n| n.fails).count();
    GateReport {
        schema_version: 1,
        kind: "gate",
        audit_time: report.audit_time,
        baseline: AuditRef::from(baseline),
        fail_on: fail_on.to_string(),
        passed: failing == 0,
        coverage: report.coverage.clone(),
        summary: GateSummary {
            new: new.len(),
            failing,
            fixed: fixed.len(),
            unchanged: comparison.unchanged.len(),
            suppressed: suppressed.len(),
        },
        new,
        fixed,
        unchanged: comparison.unchanged,
        suppressed,
        suppression_notes: report.suppression_notes.clone(),
        diagnostics: report.diagnostics.clone(),
    }
}

/// The gate report as pretty JSON ending in a newline.
pub fn render_json(report: &GateReport) -> String {
    let mut out = serde_json::to_string_pretty(report)
        .expect("GateReport serializes: every map key is a string");
    out.push('\n');
    out
}

fn md(s: &str) -> std::borrow::Cow<'_, str> {
    escape::markdown_inline(s)
}

/// The gate report as GitHub-flavoured Markdown (fit for a pull-request comment or a job
/// summary), ending in a newline.
pub fn render_markdown(report: &GateReport) -> String {
    let mut out = String::new();
    write_markdown(&mut out, report).expect("writing to a String cannot fail");
    out
}

fn write_markdown(out: &mut String, r: &GateReport) -> fmt::Result {
    let verdict = if r.passed { "passed" } else { "FAILED" };
    writeln!(out, "# residue gate: {verdict}")?;
    writeln!(out)?;
    writeln!(out, "- **Audit time:** {}", format_timestamp(r.audit_time))?;
    writeln!(
        out,
        "- **Baseline:** {}{}",
        md(&r.baseline.file),
        r.baseline
            .audit_time
            .as_deref()
            .map(|t| format!(" (audit time {})", md(t)))
            .unwrap_or_default()
    )?;
    writeln!(out, "- **Fails on:** {} findings", md(&r.fail_on))?;
    writeln!(
        out,
        "- **Changes:** {} new ({} failing), {} fixed, {} still present, {} suppressed",
        r.summary.new,
        r.summary.failing,
        r.summary.fixed,
        r.summary.unchanged,
        r.summary.suppressed
    )?;
    if !r.coverage.complete {
        writeln!(
            out,
            "- **⚠️ Incomplete audit:** {}",
            r.coverage
                .gaps
                .iter()
                .map(|g| md(g).into_owned())
                .collect::<Vec<_>>()
                .join("; ")
        )?;
    }
    writeln!(out)?;
    let new: Vec<FindingRef> = r.new.iter().map(|n| n.finding.clone()).collect();
    diff::write_table(out, "New findings", &new)?;
    diff::write_table(out, "Fixed findings", &r.fixed)?;
    writeln!(out, "## Still present ({})", r.unchanged.len())?;
    writeln!(out)?;
    if r.unchanged.is_empty() {
        writeln!(out, "None.")?;
    }
    for u in &r.unchanged {
        let f = &u.finding;
        writeln!(
            out,
            "- {} {} {}{}",
            f.severity,
            md(&f.rule_id),
            md(&f.subject),
            f.entitlement
                .as_deref()
                .map(|e| format!(" → {}", md(e)))
                .unwrap_or_default()
        )?;
    }
    writeln!(out)?;
    if !r.suppressed.is_empty() {
        writeln!(out, "## Suppressed ({})", r.suppressed.len())?;
        writeln!(out)?;
        for s in &r.suppressed {
            writeln!(
                out,
                "- {} {} {}: {} (approved by {}, until {})",
                s.finding.severity,
                md(&s.finding.rule_id),
                md(&s.finding.subject),
                md(&s.reason),
                s.approved_by.as_deref().map_or("—".into(), md),
                md(&s.expires)
            )?;
        }
        writeln!(out)?;
    }
    if !r.suppression_notes.is_empty() {
        writeln!(out, "## Suppression notes")?;
        writeln!(out)?;
        for n in &r.suppression_notes {
            writeln!(out, "- {}", md(n))?;
        }
        writeln!(out)?;
    }
    Ok(())
}

/// The gate's terminal summary: the verdict, the counts, and the new and fixed findings.
/// Every value taken from data goes through [`escape::terminal`].
pub fn terminal_summary(r: &GateReport) -> String {
    let t = |s: &str| escape::terminal(s).into_owned();
    let mut out = String::new();
    let verdict = if r.passed { "passed" } else { "FAILED" };
    let _ = writeln!(
        out,
        "gate {verdict}: {} new ({} failing on `{}`), {} fixed, {} still present, {} suppressed (baseline {})",
        r.summary.new,
        r.summary.failing,
        r.fail_on,
        r.summary.fixed,
        r.summary.unchanged,
        r.summary.suppressed,
        t(&r.baseline.file)
    );
    let line = |out: &mut String, tag: &str, f: &FindingRef| {
        let _ = writeln!(
            out,
            "  {tag} {:<8} {} {}{}{}",
            f.severity.as_str(),
            t(&f.rule_id),
            t(&f.subject),
            f.entitlement
                .as_deref()
                .map(|e| format!(" -> {}", t(e)))
                .unwrap_or_default(),
            f.location()
                .map(|l| format!(" ({})", t(&l)))
                .unwrap_or_default()
        );
        let _ = writeln!(out, "        {}", t(&f.message));
    };
    for n in &r.new {
        line(
            &mut out,
            if n.fails { "NEW! " } else { "new  " },
            &n.finding,
        );
    }
    for f in &r.fixed {
        line(&mut out, "fixed", f);
    }
    for n in &r.suppression_notes {
        let _ = writeln!(out, "  note: {}", t(n));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::test_support::{finding, sample_report};

    fn baseline_of(report: &ScanReport) -> Baseline {
        baseline::parse(&crate::report::json::render(report), "base.json").unwrap()
    }

    #[test]
    fn thresholds_parse_and_decide() {
        assert_eq!(FailOn::parse("new"), Ok(FailOn::New));
        assert_eq!(FailOn::parse("HIGH"), Ok(FailOn::Severity(Severity::High)));
        assert!(FailOn::parse("urgent")
            .unwrap_err()
            .contains("expected `new`"));
        assert!(FailOn::New.fails(Severity::Info));
        assert!(!FailOn::Severity(Severity::High).fails(Severity::Medium));
        assert!(FailOn::Severity(Severity::High).fails(Severity::Critical));
    }

    #[test]
    fn same_facts_pass_even_reworded_reranked_and_later() {
        let before = sample_report();
        let base = baseline_of(&before);
        let mut after = sample_report();
        after.audit_time = "2027-01-01T00:00:00Z".parse().unwrap();
        for f in &mut after.findings {
            f.message = format!("Reworded: {}", f.message);
            f.severity = Severity::Critical;
            f.evidence.sources.reverse();
        }
        after.findings.reverse();
        let g = evaluate(&after, &base, FailOn::New);
        assert!(g.passed, "{}", terminal_summary(&g));
        assert_eq!(g.summary.unchanged, 2);
        assert_eq!(g.summary.new + g.summary.fixed, 0);
        let sp001 = g
            .unchanged
            .iter()
            .find(|u| u.finding.rule_id == "SP001")
            .unwrap();
        assert_eq!(
            sp001.previous_severity,
            Some(Severity::High),
            "the re-ranking is shown, not counted as new"
        );
    }

    #[test]
    fn new_findings_fail_at_the_threshold_and_fixed_ones_are_listed() {
        let base = baseline_of(&sample_report());
        let mut after = sample_report();
        let removed = after.findings.remove(1);
        after.findings.push(finding(
            "SP001",
            Severity::High,
            "mallory",
            Some("prod-admin"),
            "mallory holds admin role prod-admin as standing access.",
        ));
        after
            .findings
            .push(finding("SC002", Severity::Medium, "key-9", None, "unused"));
        let g = evaluate(&after, &base, FailOn::Severity(Severity::High));
        assert!(!g.passed);
        assert_eq!(g.summary.new, 2);
        assert_eq!(g.summary.failing, 1);
        assert!(g.new[0].fails && g.new[0].finding.subject == "mallory");
        assert!(!g.new[1].fails);
        assert_eq!(g.fixed.len(), 1);
        assert_eq!(g.fixed[0].fingerprint, removed.fingerprint);
        let text = terminal_summary(&g);
        assert!(
            text.starts_with("gate FAILED: 2 new (1 failing on `high`), 1 fixed"),
            "{text}"
        );
        assert!(
            text.contains("NEW!  high     SP001 mallory -> prod-admin"),
            "{text}"
        );
        assert!(
            text.contains("fixed medium   SC001 key/ci-deployer/AKIA0001"),
            "{text}"
        );
        let md = render_markdown(&g);
        assert!(md.starts_with("# residue gate: FAILED\n"), "{md}");
        assert!(md.contains("## New findings (2)"), "{md}");
        let json: serde_json::Value = serde_json::from_str(&render_json(&g)).unwrap();
        assert_eq!(json["passed"], false);
        assert_eq!(json["new"][0]["fails"], true);
        assert_eq!(json["new"][0]["subject"], "mallory");
        assert!(!evaluate(&after, &base, FailOn::New).passed);
        assert!(evaluate(&after, &base, FailOn::Severity(Severity::Critical)).passed);
    }

    #[test]
    fn suppressed_findings_never_fail_and_are_not_fixed() {
        let base = baseline_of(&sample_report());
        let mut after = sample_report();
        // The baseline's first finding is now accepted by a suppression.
        let accepted = after.findings.remove(0);
        after.suppressed.push(crate::report::SuppressedFinding {
            finding: accepted,
            reason: "accepted".into(),
            approved_by: Some("ciso".into()),
            expires: "2027-01-01".into(),
        });
        let g = evaluate(&after, &base, FailOn::New);
        assert!(g.passed);
        assert!(g.fixed.is_empty(), "{:?}", g.fixed);
        assert_eq!(g.summary.suppressed, 2);
    }
}
