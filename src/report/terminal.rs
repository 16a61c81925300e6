//! The terminal summary: what a person at a prompt needs after a scan, in a dozen lines.
//!
//! ```text
//! residue 0.1.0 · audit time 2026-03-01T09:30:00Z · 2 sources · 3 rules
//! 2 findings: 0 critical, 1 high, 1 medium, 0 low, 0 info
//! HIGH  SP001  alice@acme.example        prod-admin  alice@acme.example holds admin role …
//!       path: alice@acme.example -member-of(standing)-> platform -assigned(standing)-> prod-admin
//! MED   SC001  key/ci-deployer/AKIA0001  -           secret key/ci-deployer/AKIA0001 was …
//! 1 suppressed, 1 diagnostic, 1 suppression note
//! coverage: complete
//! ```
//!
//! Every string taken from data goes through [`escape::terminal`], so a name cannot move the
//! cursor, recolour or clear the screen. Colour is plain ANSI SGR, only when asked for.

use super::{escape, ScanReport};
use crate::finding::{Finding, Severity};
use crate::model::time::format_timestamp;
use std::borrow::Cow;
use std::fmt::{self, Write as _};

/// How many findings the summary lists; the reports hold the rest.
pub const MAX_LISTED_FINDINGS: usize = 10;

/// Subject and entitlement columns are padded to align up to this many characters; longer
/// names push the rest of their line right rather than being cut (a cut name misleads).
const MAX_COLUMN_WIDTH: usize = 40;

const RESET: &str = "\x1b[0m";
const BOLD_RED: &str = "\x1b[1;31m";

/// A compact summary for stdout or stderr, ending in a newline; ANSI colour when `color`.
pub fn summary(report: &ScanReport, color: bool) -> String {
    let mut out = String::new();
    write_summary(&mut out, report, color).expect("writing to a String cannot fail");
    out
}

fn write_summary(out: &mut String, report: &ScanReport, color: bool) -> fmt::Result {
    let term = escape::terminal;
    writeln!(
        out,
        "{} {} · audit time {} · {} · {}",
        term(&report.tool.name),
        term(&report.tool.version),
        format_timestamp(report.audit_time),
        plural(report.sources.len(), "source", "sources"),
        plural(report.rules.len(), "rule", "rules"),
    )?;

    let counts: Vec<String> = Severity::ALL
        .into_iter()
        .rev()
        .map(|severity| {
            let count = report
                .summary
                .by_severity
                .get(&severity)
                .copied()
                .unwrap_or(0);
            let text = format!("{count} {severity}");
            if count > 0 {
                paint(&text, severity_color(severity), color)
            } else {
                text
            }
        })
        .collect();
    writeln!(
        out,
        "{}: {}",
        plural(report.findings.len(), "finding", "findings"),
        counts.join(", ")
    )?;

    write_worst_findings(out, &report.findings, color)?;

    let mut tail = vec![plural(report.suppressed.len(), "suppressed", "suppressed")];
    tail.push(plural(
        report.diagnostics.len(),
        "diagnostic",
        "diagnostics",
    ));
    if !report.suppression_notes.is_empty() {
        tail.push(plural(
            report.suppression_notes.len(),
            "suppression note",
            "suppression notes",
        ));
    }
    writeln!(out, "{}", tail.join(", "))?;

    if report.coverage.complete && report.coverage.gaps.is_empty() {
        writeln!(out, "coverage: complete")
    } else {
        // Loud on purpose: an incomplete audit must never read like a clean pass.
        let headline = format!(
            "INCOMPLETE AUDIT: {}; these results do not cover everything that was asked",
            plural(report.coverage.gaps.len(), "gap", "gaps")
        );
        writeln!(out, "{}", paint(&headline, BOLD_RED, color))?;
        for gap in &report.coverage.gaps {
            writeln!(out, "  - {}", term(gap))?;
        }
        Ok(())
    }
}

fn write_worst_findings(out: &mut String, findings: &[Finding], color: bool) -> fmt::Result {
    let mut worst: Vec<&Finding> = findings.iter().collect();
    worst.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    worst.truncate(MAX_LISTED_FINDINGS);

    let rows: Vec<[Cow<'_, str>; 4]> = worst
        .iter()
        .map(|f| {
            [
                escape::terminal(&f.rule_id),
                escape::terminal(&f.subject),
                f.entitlement
                    .as_deref()
                    .map_or(Cow::Borrowed("-"), escape::terminal),
                escape::terminal(&f.message),
            ]
        })
        .collect();
    let width = |column: usize| {
        rows.iter()
            .map(|row| row[column].chars().count())
            .max()
            .unwrap_or(0)
            .min(MAX_COLUMN_WIDTH)
    };
    let (rule_width, subject_width, entitlement_width) = (width(0), width(1), width(2));

    for (f, [rule, subject, entitlement, message]) in worst.iter().zip(&rows) {
        // Pad before painting: escape codes have no width on screen but count as characters.
        let label = format!("{:<4}", severity_label(f.severity));
        writeln!(
            out,
            "{}  {}  {}  {}  {}",
            paint(&label, severity_color(f.severity), color),
            pad(rule, rule_width),
            pad(subject, subject_width),
            pad(entitlement, entitlement_width),
            message
        )?;
        if let Some(path) = &f.evidence.path {
            writeln!(out, "      path: {}", escape::terminal(&path.to_string()))?;
        }
    }
    if findings.len() > worst.len() {
        writeln!(
            out,
            "… and {} more; the full report lists every finding",
            findings.len() - worst.len()
        )?;
    }
    Ok(())
}

fn pad(text: &str, width: usize) -> String {
    let fill = width.saturating_sub(text.chars().count());
    format!("{text}{}", " ".repeat(fill))
}

fn paint(text: &str, sgr: &str, color: bool) -> String {
    if color {
        format!("{sgr}{text}{RESET}")
    } else {
        text.to_string()
    }
}

fn plural(count: usize, one: &str, many: &str) -> String {
    format!("{count} {}", if count == 1 { one } else { many })
}

fn severity_label(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "CRIT",
        Severity::High => "HIGH",
        Severity::Medium => "MED",
        Severity::Low => "LOW",
        Severity::Info => "INFO",
    }
}

fn severity_color(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => BOLD_RED,
        Severity::High => "\x1b[31m",
        Severity::Medium => "\x1b[33m",
        Severity::Low => "\x1b[36m",
        Severity::Info => "\x1b[2m",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::test_support::{finding, report_with_subject, sample_report};

    #[test]
    fn plain_summary_lists_counts_findings_and_paths() {
        let text = summary(&sample_report(), false);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            format!(
                "residue {} · audit time 2026-03-01T09:30:00Z · 2 sources · 3 rules",
                env!("CARGO_PKG_VERSION")
            )
        );
        assert_eq!(
            lines[1],
            "2 findings: 0 critical, 1 high, 1 medium, 0 low, 0 info"
        );
        assert_eq!(
            lines[2],
            "HIGH  SP001  alice@acme.example        prod-admin  alice@acme.example holds admin role prod-admin through group platform (standing)."
        );
        assert_eq!(
            lines[3],
            "      path: alice@acme.example -member-of(standing)-> platform -assigned(standing)-> prod-admin"
        );
        assert!(lines[4].starts_with("MED   SC001  key/ci-deployer/AKIA0001  -           secret"));
        assert_eq!(lines[5], "1 suppressed, 1 diagnostic, 1 suppression note");
        assert_eq!(lines[6], "coverage: complete");
        assert_eq!(lines.len(), 7);
        assert!(!text.contains('\x1b'));
        assert!(text.ends_with('\n'));
    }

    #[test]
    fn colour_only_when_asked() {
        let text = summary(&sample_report(), true);
        assert!(text.contains("\x1b[31mHIGH\x1b[0m  SP001"));
        assert!(text.contains("\x1b[33m1 medium\x1b[0m"));
        assert!(text.contains("0 critical"), "zero counts stay plain");
    }

    #[test]
    fn incomplete_coverage_is_loud() {
        let mut report = sample_report();
        report.coverage.complete = false;
        report.coverage.gaps = vec!["source aws failed: timeout".into()];
        let text = summary(&report, true);
        assert!(text.contains(
            "\x1b[1;31mINCOMPLETE AUDIT: 1 gap; these results do not cover everything that was asked\x1b[0m\n  - source aws failed: timeout\n"
        ));
        assert!(!text.contains("coverage: complete"));
    }

    #[test]
    fn lists_at_most_ten_worst_findings() {
        let mut report = sample_report();
        report.findings = (0..12)
            .map(|i| {
                finding(
                    "SP001",
                    Severity::Low,
                    &format!("user{i:02}"),
                    Some("r"),
                    "m",
                )
            })
            .chain([finding(
                "SP003",
                Severity::Critical,
                "root",
                Some("admin"),
                "m",
            )])
            .collect();
        let text = summary(&report, false);
        let listed: Vec<&str> = text
            .lines()
            .filter(|l| l.starts_with("LOW ") || l.starts_with("CRIT"))
            .collect();
        assert_eq!(listed.len(), MAX_LISTED_FINDINGS);
        assert!(
            listed[0].starts_with("CRIT  SP003  root"),
            "worst first: {listed:?}"
        );
        assert!(text.contains("… and 3 more; the full report lists every finding\n"));
    }

    #[test]
    fn hostile_names_cannot_drive_the_terminal() {
        let hostile = "\x1b[2J\x1b[31mroot\x1b[0m\nHIGH  fake line\u{9b}1A";
        let text = summary(&report_with_subject(hostile), false);
        assert!(
            !text.chars().any(|c| c.is_control() && c != '\n'),
            "{text:?}"
        );
        assert!(text.contains("\\u{1b}[2J\\u{1b}[31mroot\\u{1b}[0m\\u{a}HIGH  fake line\\u{9b}1A"));
        assert!(!text.lines().any(|l| l.starts_with("HIGH  fake")));
    }

    #[test]
    fn rendering_twice_gives_identical_output() {
        let report = sample_report();
        assert_eq!(summary(&report, true), summary(&report, true));
    }
}
