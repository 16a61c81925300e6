//! The Markdown report: what a security lead reads, in the order they ask.
//!
//! Audit time and tool; coverage, loudly when incomplete; the sources and the policy the audit
//! used; counts by severity and by rule; the findings grouped by severity, worst first, each
//! group a table with the evidence (path, facts, grant, source records) listed under it; then
//! suppressed findings, suppression notes and diagnostics.
//!
//! Every value taken from data goes through [`escape::markdown_inline`], so a hostile name can
//! neither break a table, inject HTML or links, nor start a new block. Data is never put in
//! code spans: backslash escapes do not apply inside them.

use super::{escape, ScanReport};
use crate::finding::{Finding, Severity};
use crate::model::time::{format_duration, format_timestamp};
use std::fmt::{self, Write as _};

/// Renders the report as GitHub-flavoured Markdown ending in a newline.
pub fn render(report: &ScanReport) -> String {
    let mut out = String::new();
    write_report(&mut out, report).expect("writing to a String cannot fail");
    out
}

fn md(s: &str) -> std::borrow::Cow<'_, str> {
    escape::markdown_inline(s)
}

fn write_report(out: &mut String, report: &ScanReport) -> fmt::Result {
    writeln!(out, "# Residual privilege audit")?;
    writeln!(out)?;
    writeln!(
        out,
        "- **Audit time:** {}",
        format_timestamp(report.audit_time)
    )?;
    writeln!(
        out,
        "- **Tool:** {} {} (report schema {})",
        md(&report.tool.name),
        md(&report.tool.version),
        report.schema_version
    )?;
    let rules: Vec<_> = report.rules.iter().map(|r| md(r)).collect();
    writeln!(
        out,
        "- **Rules run:** {} ({})",
        rules.len(),
        rules.join(", ")
    )?;
    writeln!(
        out,
        "- **Findings:** {} ({} suppressed)",
        report.findings.len(),
        report.suppressed.len()
    )?;
    writeln!(out)?;

    write_coverage(out, report)?;
    write_sources(out, report)?;
    write_policy(out, report)?;
    write_summary(out, report)?;
    write_findings(out, report)?;
    write_suppressed(out, report)?;
    write_suppression_notes(out, report)?;
    write_diagnostics(out, report)
}

fn write_coverage(out: &mut String, report: &ScanReport) -> fmt::Result {
    writeln!(out, "## Coverage")?;
    writeln!(out)?;
    if report.coverage.complete && report.coverage.gaps.is_empty() {
        writeln!(
            out,
            "Complete: every configured source was read and every rule ran."
        )?;
    } else {
        // Loud on purpose: an incomplete audit with few findings must not read as a clean one.
        writeln!(
            out,
            "> **⚠️ INCOMPLETE AUDIT.** Part of what was asked was not examined; the absence of a \
             finding below proves nothing about it."
        )?;
        if !report.coverage.gaps.is_empty() {
            writeln!(out, ">")?;
        }
        for gap in &report.coverage.gaps {
            writeln!(out, "> - {}", md(gap))?;
        }
    }
    writeln!(out)
}

fn write_sources(out: &mut String, report: &ScanReport) -> fmt::Result {
    writeln!(out, "## Sources")?;
    writeln!(out)?;
    if report.sources.is_empty() {
        writeln!(out, "No sources were read.")?;
        return writeln!(out);
    }
    writeln!(out, "| Source | Format | File | Records |")?;
    writeln!(out, "| --- | --- | --- | --- |")?;
    for source in &report.sources {
        let records: Vec<String> = source
            .records
            .iter()
            .map(|(kind, count)| format!("{}: {count}", md(kind)))
            .collect();
        writeln!(
            out,
            "| {} | {} | {} | {} |",
            md(&source.name),
            md(&source.format),
            md(&source.file),
            if records.is_empty() {
                "none".to_string()
            } else {
                records.join(", ")
            }
        )?;
    }
    writeln!(out)
}

fn write_policy(out: &mut String, report: &ScanReport) -> fmt::Result {
    let policy = &report.policy;
    writeln!(out, "## Audit policy")?;
    writeln!(out)?;
    let break_glass: Vec<_> = policy.break_glass.iter().map(|id| md(id)).collect();
    writeln!(
        out,
        "- Break-glass identities: {}",
        if break_glass.is_empty() {
            "none".to_string()
        } else {
            break_glass.join(", ")
        }
    )?;
    writeln!(
        out,
        "- Secrets: rotate within {} days; remove when unused for {} days",
        policy.secrets_max_age_days, policy.secrets_unused_days
    )?;
    writeln!(
        out,
        "- JIT window assumed when a grant records no end: {}",
        format_duration(policy.jit_default_window)
    )?;
    let windows: Vec<String> = policy
        .windows
        .iter()
        .rev()
        .map(|(level, limit)| format!("{} {}", level.as_str(), format_duration(*limit)))
        .collect();
    writeln!(
        out,
        "- Longest JIT window per privilege level: {}",
        if windows.is_empty() {
            "no limits".to_string()
        } else {
            windows.join(", ")
        }
    )?;
    writeln!(out)
}

fn write_summary(out: &mut String, report: &ScanReport) -> fmt::Result {
    writeln!(out, "## Summary")?;
    writeln!(out)?;
    writeln!(out, "| Severity | Findings |")?;
    writeln!(out, "| --- | ---: |")?;
    for severity in Severity::ALL.into_iter().rev() {
        let count = report
            .summary
            .by_severity
            .get(&severity)
            .copied()
            .unwrap_or(0);
        writeln!(out, "| {severity} | {count} |")?;
    }
    writeln!(out)?;
    if !report.summary.by_rule.is_empty() {
        writeln!(out, "| Rule | Findings |")?;
        writeln!(out, "| --- | ---: |")?;
        for (rule, count) in &report.summary.by_rule {
            writeln!(out, "| {} | {count} |", md(rule))?;
        }
        writeln!(out)?;
    }
    Ok(())
}

fn write_findings(out: &mut String, report: &ScanReport) -> fmt::Result {
    writeln!(out, "## Findings")?;
    writeln!(out)?;
    if report.findings.is_empty() {
        writeln!(out, "No findings.")?;
        return writeln!(out);
    }
    let mut findings: Vec<&Finding> = report.findings.iter().collect();
    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    for severity in Severity::ALL.into_iter().rev() {
        let group: Vec<&Finding> = findings
            .iter()
            .copied()
            .filter(|f| f.severity == severity)
            .collect();
        if group.is_empty() {
            continue;
        }
        writeln!(out, "### {} ({})", severity_title(severity), group.len())?;
        writeln!(out)?;
        writeln!(out, "| Severity | Rule | Subject | Entitlement | Message |")?;
        writeln!(out, "| --- | --- | --- | --- | --- |")?;
        for f in &group {
            writeln!(
                out,
                "| {} | {} {} | {} | {} | {} |",
                f.severity,
                md(&f.rule_id),
                md(&f.rule_name),
                md(&f.subject),
                entitlement_cell(f),
                md(&f.message)
            )?;
        }
        writeln!(out)?;
        write_evidence(out, &group)?;
    }
    Ok(())
}

/// Under each severity table: what a reader needs to check each finding without the tool.
fn write_evidence(out: &mut String, group: &[&Finding]) -> fmt::Result {
    for f in group {
        writeln!(
            out,
            "- **{}** {} → {} (fingerprint {})",
            md(&f.rule_id),
            md(&f.subject),
            entitlement_cell(f),
            md(&f.fingerprint)
        )?;
        let evidence = &f.evidence;
        if let Some(path) = &evidence.path {
            let guarded = if path.conditional {
                " (conditional: a hop is guarded)"
            } else {
                ""
            };
            writeln!(out, "  - Path: {}{guarded}", md(&path.to_string()))?;
        }
        if let Some(grant) = &evidence.grant {
            writeln!(
                out,
                "  - Grant: {}{}",
                md(&grant.id),
                if grant.break_glass {
                    " (break-glass)"
                } else {
                    ""
                }
            )?;
        }
        if !evidence.facts.is_empty() {
            let facts: Vec<String> = evidence
                .facts
                .iter()
                .map(|(name, value)| format!("{} = {}", md(name), md(value)))
                .collect();
            writeln!(out, "  - Facts: {}", facts.join(", "))?;
        }
        if !evidence.sources.is_empty() {
            let sources: Vec<String> = evidence
                .sources
                .iter()
                .map(|p| md(&p.to_string()).into_owned())
                .collect();
            writeln!(out, "  - Sources: {}", sources.join(", "))?;
        }
    }
    writeln!(out)
}

fn write_suppressed(out: &mut String, report: &ScanReport) -> fmt::Result {
    writeln!(out, "## Suppressed findings ({})", report.suppressed.len())?;
    writeln!(out)?;
    if report.suppressed.is_empty() {
        writeln!(out, "None.")?;
        return writeln!(out);
    }
    writeln!(
        out,
        "Shown for the record: a suppressed finding never fails the run."
    )?;
    writeln!(out)?;
    writeln!(
        out,
        "| Severity | Rule | Subject | Entitlement | Reason | Approved by | Expires |"
    )?;
    writeln!(out, "| --- | --- | --- | --- | --- | --- | --- |")?;
    for s in &report.suppressed {
        let f = &s.finding;
        writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} |",
            f.severity,
            md(&f.rule_id),
            md(&f.subject),
            entitlement_cell(f),
            md(&s.reason),
            s.approved_by.as_deref().map_or("—".into(), md),
            md(&s.expires)
        )?;
    }
    writeln!(out)
}

fn write_suppression_notes(out: &mut String, report: &ScanReport) -> fmt::Result {
    if report.suppression_notes.is_empty() {
        return Ok(());
    }
    writeln!(out, "## Suppression notes")?;
    writeln!(out)?;
    for note in &report.suppression_notes {
        writeln!(out, "- {}", md(note))?;
    }
    writeln!(out)
}

fn write_diagnostics(out: &mut String, report: &ScanReport) -> fmt::Result {
    writeln!(out, "## Diagnostics ({})", report.diagnostics.len())?;
    writeln!(out)?;
    if report.diagnostics.is_empty() {
        return writeln!(out, "None.");
    }
    writeln!(out, "| Level | Location | Message |")?;
    writeln!(out, "| --- | --- | --- |")?;
    for d in &report.diagnostics {
        let level = match d.level {
            crate::model::DiagnosticLevel::Info => "info",
            crate::model::DiagnosticLevel::Warning => "warning",
        };
        writeln!(
            out,
            "| {level} | {} | {} |",
            md(&d.provenance.to_string()),
            md(&d.message)
        )?;
    }
    Ok(())
}

fn entitlement_cell(f: &Finding) -> std::borrow::Cow<'_, str> {
    f.entitlement.as_deref().map_or("—".into(), md)
}

fn severity_title(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "Critical",
        Severity::High => "High",
        Severity::Medium => "Medium",
        Severity::Low => "Low",
        Severity::Info => "Info",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::test_support::{finding, report_with_subject, sample_report};
    use crate::report::Summary;

    /// The tables of a rendered report: runs of consecutive `|` lines, each row split into
    /// cells on unescaped `|`.
    fn tables(text: &str) -> Vec<Vec<Vec<String>>> {
        let mut tables: Vec<Vec<Vec<String>>> = Vec::new();
        let mut in_table = false;
        for line in text.lines() {
            if !line.starts_with('|') {
                in_table = false;
                continue;
            }
            if !in_table {
                tables.push(Vec::new());
                in_table = true;
            }
            let mut cells = Vec::new();
            let mut cell = String::new();
            let mut chars = line.chars();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => {
                        cell.push(c);
                        cell.extend(chars.next());
                    }
                    '|' => cells.push(std::mem::take(&mut cell).trim().to_string()),
                    c => cell.push(c),
                }
            }
            // Drop the empty text before the first `|`; the text after the last one is never pushed.
            cells.remove(0);
            tables.last_mut().expect("a table was started").push(cells);
        }
        tables
    }

    #[test]
    fn states_time_tool_coverage_sources_and_counts() {
        let text = render(&sample_report());
        assert!(text.starts_with("# Residual privilege audit\n"));
        assert!(text.contains("- **Audit time:** 2026-03-01T09:30:00Z\n"));
        assert!(text.contains(&format!(
            "- **Tool:** residue {}",
            env!("CARGO_PKG_VERSION")
        )));
        assert!(text.contains("Complete: every configured source was read"));
        assert!(
            text.contains("| okta | generic | okta/groups.json | assignments: 5, identities: 4 |")
        );
        assert!(text.contains("| high | 1 |\n| medium | 1 |"));
        assert!(text.contains("| critical | 0 |"));
        assert!(text.contains("| SP001 | 1 |"));
        assert!(text.contains("admin 4h, permissions-management 4h, write 12h, read 1d"));
        assert!(text.ends_with("\n"));
    }

    #[test]
    fn findings_are_grouped_worst_first_with_path_and_sources() {
        let text = render(&sample_report());
        let high = text.find("### High (1)").expect("high group");
        let medium = text.find("### Medium (1)").expect("medium group");
        assert!(high < medium);
        assert!(!text.contains("### Critical"), "empty groups are left out");
        assert!(text.contains(
            "| high | SP001 sp001-rule | alice@acme.example | prod-admin | alice@acme.example holds admin role prod-admin through group platform \\(standing\\). |"
        ));
        assert!(text.contains(
            "  - Path: alice@acme.example -member-of\\(standing\\)-&gt; platform -assigned\\(standing\\)-&gt; prod-admin\n"
        ));
        assert!(text.contains("  - Sources: okta/groups.json:12, okta/groups.json:30\n"));
        assert!(text.contains("  - Facts: age\\_days = 412\n"));
    }

    #[test]
    fn suppressed_notes_and_diagnostics_are_listed() {
        let text = render(&sample_report());
        assert!(text.contains("## Suppressed findings (1)"));
        assert!(text.contains(
            "| low | SP004 | bob@acme.example | billing-admin | Finance quarter close; removal scheduled. | carol@acme.example | 2026-04-01 |"
        ));
        assert!(text.contains("## Suppression notes\n\n- suppression for SP009/dave@acme.example matched no finding\n"));
        assert!(text.contains("| warning | okta/groups.json:88 | unknown membership kind \\`nested\\`; treated as standing |"));
    }

    #[test]
    fn incomplete_coverage_is_loud() {
        let mut report = sample_report();
        report.coverage.complete = false;
        report.coverage.gaps = vec!["rule SP003 crashed: index out of bounds".into()];
        let text = render(&report);
        assert!(text.contains("> **⚠️ INCOMPLETE AUDIT.**"));
        assert!(text.contains("> - rule SP003 crashed: index out of bounds\n"));
        assert!(!text.contains("Complete: every"));
    }

    #[test]
    fn hostile_subject_cannot_break_the_table_or_inject_html() {
        let hostile = "<script>alert(1)</script>|x\n| injected | row |";
        let text = render(&report_with_subject(hostile));
        assert!(!text.contains("<script>"));
        assert!(!text.contains("\n| injected"));
        let tables = tables(&text);
        let header = ["Severity", "Rule", "Subject", "Entitlement", "Message"];
        let findings = tables
            .iter()
            .find(|t| t[0] == header)
            .expect("findings table");
        assert_eq!(
            findings[2][2],
            "&lt;script&gt;alert\\(1\\)&lt;/script&gt;\\|x \\| injected \\| row \\|"
        );
        for table in &tables {
            for row in table {
                assert_eq!(row.len(), table[0].len(), "{row:?} in {table:?}");
            }
        }
    }

    #[test]
    fn empty_report_says_so() {
        let mut report = sample_report();
        report.findings.clear();
        report.suppressed.clear();
        report.diagnostics.clear();
        report.suppression_notes.clear();
        report.summary = Summary::of(&[], 0);
        let text = render(&report);
        assert!(text.contains("## Findings\n\nNo findings.\n"));
        assert!(text.contains("## Suppressed findings (0)\n\nNone.\n"));
        assert!(text.contains("## Diagnostics (0)\n\nNone.\n"));
        assert!(!text.contains("## Suppression notes"));
    }

    #[test]
    fn findings_without_entitlement_show_a_dash() {
        let mut report = sample_report();
        report.findings = vec![finding(
            "GV004",
            Severity::Critical,
            "bot-7",
            None,
            "bot-7 has no owner.",
        )];
        let text = render(&report);
        assert!(text.contains("| critical | GV004 gv004-rule | bot-7 | — | bot-7 has no owner. |"));
    }

    #[test]
    fn rendering_twice_gives_identical_output() {
        let report = sample_report();
        assert_eq!(render(&report), render(&report));
    }
}
