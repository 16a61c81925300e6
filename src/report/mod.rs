//! Reports: one module per output format, and one module that escapes.
//!
//! Every format renders a [`ScanReport`]; every format is deterministic (same report, same
//! bytes) and states the audit time, the sources, the coverage and the suppressions.

pub mod csv;
pub mod escape;
pub mod html;
pub mod json;
pub mod markdown;
pub mod sarif;
pub mod terminal;

use crate::config::AuditPolicy;
use crate::finding::{Finding, Severity};
use crate::model::{Diagnostic, Timestamp};
use serde::Serialize;
use std::collections::BTreeMap;

/// A report format the CLI can write. Adding one: a variant here, its name, file name and
/// renderer below, and a module beside this one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ReportFormat {
    Json,
    Csv,
    Markdown,
    Sarif,
    Html,
}

impl ReportFormat {
    pub const ALL: [ReportFormat; 5] = [
        ReportFormat::Json,
        ReportFormat::Csv,
        ReportFormat::Markdown,
        ReportFormat::Sarif,
        ReportFormat::Html,
    ];

    pub fn name(self) -> &'static str {
        match self {
            ReportFormat::Json => "json",
            ReportFormat::Csv => "csv",
            ReportFormat::Markdown => "md",
            ReportFormat::Sarif => "sarif",
            ReportFormat::Html => "html",
        }
    }

    /// Accepts the names above, and `markdown` for `md`.
    pub fn parse(name: &str) -> Result<ReportFormat, String> {
        let wanted = if name.eq_ignore_ascii_case("markdown") {
            "md"
        } else {
            name
        };
        ReportFormat::ALL
            .into_iter()
            .find(|f| f.name().eq_ignore_ascii_case(wanted))
            .ok_or_else(|| {
                let names: Vec<&str> = ReportFormat::ALL.iter().map(|f| f.name()).collect();
                format!(
                    "`{name}` is not a report format; expected one of: {}",
                    names.join(", ")
                )
            })
    }

    pub fn file_name(self) -> &'static str {
        match self {
            ReportFormat::Json => "report.json",
            ReportFormat::Csv => "report.csv",
            ReportFormat::Markdown => "report.md",
            ReportFormat::Sarif => "report.sarif",
            ReportFormat::Html => "report.html",
        }
    }

    /// Writes the report; JSON and CSV, the formats large organisations produce in bulk,
    /// are streamed rather than built in memory first, their findings rendered in parallel
    /// chunks ([`write_chunked`]).
    pub fn write(self, report: &ScanReport, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        match self {
            ReportFormat::Json => json::write(report, out),
            ReportFormat::Csv => csv::write(report, out),
            _ => out.write_all(self.render(report).as_bytes()),
        }
    }

    pub fn render(self, report: &ScanReport) -> String {
        match self {
            ReportFormat::Json => json::render(report),
            ReportFormat::Csv => csv::render(report),
            ReportFormat::Markdown => markdown::render(report),
            ReportFormat::Sarif => sarif::render(report),
            ReportFormat::Html => html::render(report),
        }
    }
}

/// Findings per chunk when JSON and CSV reports are rendered in parallel: about half a
/// megabyte of JSON each, so a window of chunks stays in the processor's cache and the
/// buffers are a few megabytes (1,024 per chunk made them most of the comparison scan's
/// memory, each page of it zeroed by the kernel before use).
pub(crate) const CHUNK_ITEMS: usize = 256;

/// Streams `items` to `out` in order, rendered in parallel: a window of chunks (two per
/// thread) is rendered into reused byte buffers while the previous window is written, so
/// at most two windows are ever in memory, however large the report. `render` appends one
/// item to a chunk's buffer, given the item's index in `items`.
pub(crate) fn write_chunked<T, F>(
    items: &[T],
    out: &mut dyn std::io::Write,
    chunk_items: usize,
    render: F,
) -> std::io::Result<()>
where
    T: Sync,
    F: Fn(&mut Vec<u8>, usize, &T) -> std::io::Result<()> + Sync,
{
    use rayon::prelude::*;
    let chunk_items = chunk_items.max(1);
    let window_chunks = (2 * rayon::current_num_threads()).max(2);
    let window_items = chunk_items * window_chunks;
    // Renders the window starting at `start` into `bufs`; returns how many chunks it filled.
    let render_window = |bufs: &mut [Vec<u8>], start: usize| -> std::io::Result<usize> {
        let window = &items[start..(start + window_items).min(items.len())];
        bufs.par_iter_mut()
            .zip(window.par_chunks(chunk_items))
            .enumerate()
            .try_for_each(|(c, (buf, chunk))| {
                buf.clear();
                let first = start + c * chunk_items;
                chunk
                    .iter()
                    .enumerate()
                    .try_for_each(|(i, item)| render(buf, first + i, item))
            })?;
        Ok(window.len().div_ceil(chunk_items))
    };
    let write = |out: &mut dyn std::io::Write, bufs: &[Vec<u8>]| {
        bufs.iter().try_for_each(|buf| out.write_all(buf))
    };
    let mut front = vec![Vec::new(); window_chunks];
    let mut back = vec![Vec::new(); window_chunks];
    let mut start = 0;
    let mut ready = render_window(&mut front, start)?;
    loop {
        let next = start + window_items;
        if next >= items.len() {
            return write(out, &front[..ready]);
        }
        // Render the next window on the pool while this thread writes the current one.
        let mut rendered = Ok(0);
        let mut written = Ok(());
        rayon::in_place_scope(|s| {
            s.spawn(|_| rendered = render_window(&mut back, next));
            written = write(out, &front[..ready]);
        });
        written?;
        ready = rendered?;
        std::mem::swap(&mut front, &mut back);
        start = next;
    }
}

/// The version of the JSON report's shape; bumped on any incompatible change.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize)]
pub struct ToolInfo {
    pub name: String,
    pub version: String,
}

impl Default for ToolInfo {
    fn default() -> Self {
        ToolInfo {
            name: "residue".into(),
            version: env!("CARGO_PKG_VERSION").into(),
        }
    }
}

/// One source read by the scan.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct SourceSummary {
    pub name: String,
    pub format: String,
    pub file: String,
    /// Records read, per kind (identities, roles, grant_events…); kinds with none omitted.
    pub records: BTreeMap<String, usize>,
}

/// Whether the audit saw everything it was asked to look at.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Coverage {
    pub complete: bool,
    /// What is missing, one sentence each (a rule that crashed, a source that failed).
    pub gaps: Vec<String>,
}

/// A finding a suppression matched: still shown, never failing the run.
#[derive(Debug, Clone, Serialize)]
pub struct SuppressedFinding {
    pub finding: Finding,
    pub reason: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approved_by: Option<String>,
    pub expires: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    pub findings: usize,
    pub suppressed: usize,
    pub by_severity: BTreeMap<Severity, usize>,
    pub by_rule: BTreeMap<String, usize>,
}

impl Summary {
    pub fn of(findings: &[Finding], suppressed: usize) -> Summary {
        let mut s = Summary {
            findings: findings.len(),
            suppressed,
            ..Summary::default()
        };
        for sev in Severity::ALL {
            s.by_severity.insert(sev, 0);
        }
        for f in findings {
            *s.by_severity.entry(f.severity).or_default() += 1;
            *s.by_rule.entry(f.rule_id.clone()).or_default() += 1;
        }
        s
    }
}

/// Everything a scan produced, in the order reports print it.
#[derive(Debug, Clone, Serialize)]
pub struct ScanReport {
    pub schema_version: u32,
    pub tool: ToolInfo,
    pub audit_time: Timestamp,
    pub sources: Vec<SourceSummary>,
    pub policy: AuditPolicy,
    /// Ids of the rules that ran, sorted.
    pub rules: Vec<String>,
    pub summary: Summary,
    pub coverage: Coverage,
    /// Sorted: worst first, then rule, subject, entitlement, fingerprint.
    pub findings: Vec<Finding>,
    pub suppressed: Vec<SuppressedFinding>,
    /// Suppressions that expired (and so no longer suppress) or matched nothing.
    pub suppression_notes: Vec<String>,
    pub diagnostics: Vec<Diagnostic>,
}

/// A small hand-built report for the writers' unit tests: two findings (one with a path),
/// one suppressed finding, two sources, a diagnostic and a suppression note.
#[cfg(test)]
pub(crate) mod test_support {
    use super::*;
    use crate::finding::{fingerprint, Evidence};
    use crate::graph::{Hop, NodeRef, Path, Relation};
    use crate::model::{AssignmentKind, Provenance};
    use std::sync::Arc;

    fn node(id: &str, kind: &'static str) -> NodeRef {
        NodeRef {
            id: id.into(),
            kind,
        }
    }

    fn standing_hop(from: NodeRef, relation: Relation, to: NodeRef, line: u32) -> Arc<Hop> {
        Arc::new(Hop {
            from,
            relation,
            kind: Some(AssignmentKind::Standing),
            window: None,
            conditions: Vec::new(),
            method: None,
            to,
            source: Provenance::new("okta", "okta/groups.json")
                .at_line(line)
                .into(),
        })
    }

    /// A finding built the way rules build them, with its fingerprint.
    pub(crate) fn finding(
        rule_id: &str,
        severity: Severity,
        subject: &str,
        entitlement: Option<&str>,
        message: &str,
    ) -> Finding {
        Finding {
            rule_id: rule_id.into(),
            rule_name: format!("{}-rule", rule_id.to_ascii_lowercase()),
            severity,
            subject: subject.into(),
            entitlement: entitlement.map(Into::into),
            message: message.into(),
            evidence: Evidence::default(),
            fingerprint: fingerprint(rule_id, subject, entitlement, ""),
        }
    }

    pub(crate) fn sample_report() -> ScanReport {
        let path = Path {
            hops: smallvec::smallvec![
                standing_hop(
                    node("alice@acme.example", "human"),
                    Relation::MemberOf,
                    node("platform", "group"),
                    12,
                ),
                standing_hop(
                    node("platform", "group"),
                    Relation::Assigned,
                    node("prod-admin", "role"),
                    30,
                ),
            ],
            conditional: false,
            via_escalation: false,
        };
        let mut standing_admin = finding(
            "SP001",
            Severity::High,
            "alice@acme.example",
            Some("prod-admin"),
            "alice@acme.example holds admin role prod-admin through group platform (standing).",
        );
        standing_admin.evidence.sources = path.sources().cloned().collect();
        standing_admin.evidence.path = Some(path);

        let mut unrotated = finding(
            "SC001",
            Severity::Medium,
            "key/ci-deployer/AKIA0001",
            None,
            "secret key/ci-deployer/AKIA0001 was last rotated 412 days ago; the limit is 90 days.",
        );
        unrotated
            .evidence
            .facts
            .insert("age_days".into(), "412".into());
        unrotated.evidence.sources =
            vec![Provenance::new("aws", "aws/credential-report.csv").at_line(4)];

        let mut dormant = finding(
            "SP004",
            Severity::Low,
            "bob@acme.example",
            Some("billing-admin"),
            "bob@acme.example has not used standing role billing-admin for 200 days.",
        );
        dormant.evidence.sources =
            vec![Provenance::new("okta", "okta/assignments.json").with_record("/7")];

        let findings = vec![standing_admin, unrotated];
        let summary = Summary::of(&findings, 1);
        ScanReport {
            schema_version: SCHEMA_VERSION,
            tool: ToolInfo::default(),
            audit_time: "2026-03-01T09:30:00Z".parse().expect("valid timestamp"),
            sources: vec![
                SourceSummary {
                    name: "aws".into(),
                    format: "aws-credential-report".into(),
                    file: "aws/credential-report.csv".into(),
                    records: BTreeMap::from([("secrets".into(), 3)]),
                },
                SourceSummary {
                    name: "okta".into(),
                    format: "generic".into(),
                    file: "okta/groups.json".into(),
                    records: BTreeMap::from([("assignments".into(), 5), ("identities".into(), 4)]),
                },
            ],
            policy: AuditPolicy::default(),
            rules: vec!["SC001".into(), "SP001".into(), "SP004".into()],
            summary,
            coverage: Coverage {
                complete: true,
                gaps: Vec::new(),
            },
            findings,
            suppressed: vec![SuppressedFinding {
                finding: dormant,
                reason: "Finance quarter close; removal scheduled.".into(),
                approved_by: Some("carol@acme.example".into()),
                expires: "2026-04-01".into(),
            }],
            suppression_notes: vec![
                "suppression for SP009/dave@acme.example matched no finding".into()
            ],
            diagnostics: vec![Diagnostic::warning(
                Provenance::new("okta", "okta/groups.json").at_line(88),
                "unknown membership kind `nested`; treated as standing",
            )],
        }
    }

    /// The sample report with its first finding's subject replaced (by a hostile name).
    pub(crate) fn report_with_subject(subject: &str) -> ScanReport {
        let mut report = sample_report();
        report.findings[0].subject = subject.into();
        report
    }
}
