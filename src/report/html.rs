//! The HTML report: one self-contained page (no network, no CDN) for a scan or an inventory.
//!
//! The page is rendered by minijinja from the templates under `templates/` (embedded with
//! `include_str!`), with HTML autoescaping on for every template: every value from the data
//! is written through [`escape::html`] by the formatter installed in [`environment`], and the
//! only values marked safe are the ones this module builds itself (numbers and geometry for
//! the SVG diagrams). The one value in a script context, the machine-readable index of
//! findings (or inventory rows) in `<script type="application/json" id="report-data">`,
//! goes through [`escape::json_for_script`] (the `script_json` filter), so no name can close
//! the element. Path diagrams and grant timelines are inline SVG computed here, so
//! they show with JavaScript disabled; the tables are plain HTML. A small inline script only
//! adds search and filters, and a self-test hook: opened as `report.html#selftest=QUERY`
//! (optionally `&severity=high&rule=SP001&source=okta&recommendation=remove`), it applies
//! the filters and writes `{"query", "visible", "total", "diagrams", "visible_diagrams",
//! "errors"}` as JSON into `<pre id="selftest-result">`, where a headless browser's DOM dump
//! can read it.

use super::{escape, ScanReport, SourceSummary};
use crate::finding::{Finding, GrantEvidence, Severity};
use crate::graph::{Path, Relation};
use crate::inventory::{InventoryReport, InventoryRow, Recommendation};
use crate::model::time::format_timestamp;
use crate::model::{AssignmentKind, GrantEventKind, Timestamp};
use minijinja::value::Serde;
use minijinja::{AutoEscape, Environment, Error, ErrorKind, Value};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;

const BASE: &str = include_str!("templates/base.html");
const REPORT: &str = include_str!("templates/report.html");
const INVENTORY: &str = include_str!("templates/inventory.html");
const DIAGRAMS: &str = include_str!("templates/diagrams.html");
const STYLE: &str = include_str!("templates/style.css");
const SCRIPT: &str = include_str!("templates/script.js");

/// The template environment: HTML autoescaping for every template, and a formatter that
/// sends every unsafe value through the one escaping module.
fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_auto_escape_callback(|_| AutoEscape::Html);
    env.set_formatter(|out, state, value| {
        if matches!(state.auto_escape(), AutoEscape::Html)
            && !value.is_safe()
            && !value.is_none()
            && !value.is_undefined()
        {
            let text = value.to_string();
            out.write_str(&escape::html(&text))
                .map_err(|_| Error::new(ErrorKind::WriteFailure, "cannot write the page"))
        } else {
            minijinja::escape_formatter(out, state, value)
        }
    });
    // Data for scripts: JSON that cannot close its `<script>` element (escape module).
    env.add_filter("script_json", |value: Value| -> Result<Value, Error> {
        escape::json_for_script(&value)
            .map(Value::from_safe_string)
            .map_err(|e| Error::new(ErrorKind::BadSerialization, e.to_string()))
    });
    for (name, source) in [
        ("base.html", BASE),
        ("report.html", REPORT),
        ("inventory.html", INVENTORY),
        ("diagrams.html", DIAGRAMS),
        ("style.css", STYLE),
        ("script.js", SCRIPT),
    ] {
        env.add_template(name, source)
            .expect("the embedded templates are valid (tested)");
    }
    env
}

fn render_page(template: &str, page: &impl Serialize) -> String {
    let env = environment();
    let t = env
        .get_template(template)
        .expect("the embedded templates are valid (tested)");
    t.render(Value::from(Serde(page)))
        .expect("the page model matches its template (tested)")
}

/// Renders a scan report.
pub fn render(report: &ScanReport) -> String {
    render_page("report.html", &ScanPage::of(report))
}

/// Renders an inventory.
pub fn render_inventory(report: &InventoryReport) -> String {
    render_page("inventory.html", &InventoryPage::of(report))
}

// ── Diagrams ────────────────────────────────────────────────────────────────────────────

const NODE_HEIGHT: u32 = 40;
const NODE_Y: u32 = 34;
const MAX_LABEL: usize = 38;
const CHAR_WIDTH: f64 = 7.2;

#[derive(Debug, Clone, Serialize)]
struct DiagramNode {
    x: u32,
    y: u32,
    w: u32,
    h: u32,
    /// The id, shortened to fit; `title` keeps the full id.
    label: String,
    title: String,
    kind: String,
    text_x: u32,
}

#[derive(Debug, Clone, Serialize)]
struct DiagramEdge {
    x1: u32,
    x2: u32,
    y: u32,
    label_x: u32,
    label: String,
    /// `standing`, `eligible`, `temporary`, `escalation` or `trust`.
    class: String,
    /// A second line: the window of a temporary hop, the conditions of a guarded trust.
    note: Option<String>,
    conditional: bool,
}

/// A path drawn left to right: boxes for nodes, labelled edges between them.
#[derive(Debug, Clone, Serialize)]
struct Diagram {
    width: u32,
    height: u32,
    nodes: Vec<DiagramNode>,
    edges: Vec<DiagramEdge>,
    /// One line describing the path for screen readers and for the `<title>`.
    text: String,
    conditional: bool,
    via_escalation: bool,
}

fn shorten(s: &str) -> String {
    if s.chars().count() <= MAX_LABEL {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(MAX_LABEL - 1).collect();
        out.push('…');
        out
    }
}

fn text_width(s: &str) -> u32 {
    (s.chars().count() as f64 * CHAR_WIDTH).ceil() as u32
}

fn edge_class(relation: Relation, kind: Option<AssignmentKind>) -> &'static str {
    match (relation, kind) {
        (Relation::CanEscalate, _) => "escalation",
        (Relation::CanAssume, _) => "trust",
        (_, Some(AssignmentKind::Eligible)) => "eligible",
        (_, Some(AssignmentKind::Temporary)) => "temporary",
        _ => "standing",
    }
}

fn diagram(path: &Path) -> Option<Diagram> {
    let start = path.start()?;
    let mut nodes = Vec::with_capacity(path.hops.len() + 1);
    let mut edges = Vec::with_capacity(path.hops.len());
    let mut x = 10u32;
    let mut push_node = |x: u32, id: &str, kind: &str| -> u32 {
        let label = shorten(id);
        let w = text_width(&label).max(text_width(kind)) + 24;
        nodes.push(DiagramNode {
            x,
            y: NODE_Y,
            w,
            h: NODE_HEIGHT,
            text_x: x + w / 2,
            label,
            title: id.to_string(),
            kind: kind.to_string(),
        });
        x + w
    };
    x = push_node(x, &start.id, start.kind);
    for hop in &path.hops {
        let class = edge_class(hop.relation, hop.kind);
        let mut label = hop.relation.as_str().to_string();
        match hop.kind {
            Some(AssignmentKind::Standing) | None => {}
            Some(k) => {
                let _ = write!(label, " ({k})");
            }
        }
        let mut notes = Vec::new();
        if let Some(m) = &hop.method {
            notes.push(format!("⚠ via {m}"));
        }
        if !hop.conditions.is_empty() {
            let kinds: Vec<&str> = hop.conditions.iter().map(|c| c.kind.as_str()).collect();
            notes.push(format!("if {}", kinds.join(", ")));
        }
        if let Some(w) = hop.window {
            match (w.start, w.end) {
                (_, Some(end)) => notes.push(format!("until {}", format_timestamp(end))),
                (Some(start), None) => notes.push(format!("since {}", format_timestamp(start))),
                (None, None) => {}
            }
        }
        let note = (!notes.is_empty()).then(|| notes.join("; "));
        let gap = text_width(&label)
            .max(note.as_deref().map(text_width).unwrap_or(0))
            .max(80)
            + 30;
        edges.push(DiagramEdge {
            x1: x,
            x2: x + gap,
            y: NODE_Y + NODE_HEIGHT / 2,
            label_x: x + gap / 2,
            label,
            class: class.to_string(),
            note,
            conditional: !hop.conditions.is_empty(),
        });
        x = push_node(x + gap, &hop.to.id, hop.to.kind);
    }
    Some(Diagram {
        width: x + 10,
        height: NODE_Y + NODE_HEIGHT + 30,
        nodes,
        edges,
        text: path.to_string(),
        conditional: path.conditional,
        via_escalation: path.via_escalation,
    })
}

#[derive(Debug, Clone, Serialize)]
struct TimelinePoint {
    x: u32,
    /// `requested`, `approved`, …, `window-end`, `used-after`.
    class: String,
    label: String,
    time: String,
    actor: Option<String>,
    /// Labels alternate above and below the axis so neighbours do not overlap.
    above: bool,
}

/// A grant's life on one axis, events in time order and evenly spaced (times are printed,
/// so spacing need not be proportional), with the granted window shaded.
#[derive(Debug, Clone, Serialize)]
struct Timeline {
    width: u32,
    height: u32,
    axis_y: u32,
    points: Vec<TimelinePoint>,
    window: Option<(u32, u32)>,
    used_after: usize,
}

fn timeline(grant: &GrantEvidence) -> Timeline {
    struct Ev {
        time: Timestamp,
        order: u8,
        class: String,
        label: String,
        actor: Option<String>,
    }
    let mut events: Vec<Ev> = grant
        .events
        .iter()
        .map(|e| {
            let late =
                e.event == GrantEventKind::Used && grant.window_end.is_some_and(|end| e.time > end);
            Ev {
                time: e.time,
                order: 0,
                class: if late {
                    "used-after".to_string()
                } else {
                    e.event.as_str().to_string()
                },
                label: if late {
                    "used after window".to_string()
                } else {
                    e.event.as_str().to_string()
                },
                actor: e.actor.as_deref().map(str::to_string),
            }
        })
        .collect();
    if let Some(end) = grant.window_end {
        events.push(Ev {
            time: end,
            order: 1,
            class: "window-end".into(),
            label: if grant.window_end_recorded {
                "window end".into()
            } else {
                "window end (default)".into()
            },
            actor: None,
        });
    }
    events.sort_by(|a, b| (a.time, a.order, &a.class).cmp(&(b.time, b.order, &b.class)));
    const STEP: u32 = 150;
    const LEFT: u32 = 80;
    let points: Vec<TimelinePoint> = events
        .iter()
        .enumerate()
        .map(|(i, e)| TimelinePoint {
            x: LEFT + STEP * i as u32,
            class: e.class.clone(),
            label: e.label.clone(),
            time: format_timestamp(e.time),
            actor: e.actor.clone(),
            above: i % 2 == 0,
        })
        .collect();
    let start = points
        .iter()
        .find(|p| p.class == "activated")
        .or_else(|| points.iter().find(|p| p.class == "approved"))
        .map(|p| p.x);
    let end = points
        .iter()
        .find(|p| p.class == "window-end")
        .map(|p| p.x)
        .or_else(|| {
            points
                .iter()
                .find(|p| p.class == "revoked" || p.class == "expired")
                .map(|p| p.x)
        });
    let window = match (start, end) {
        (Some(s), Some(e)) if e > s => Some((s, e - s)),
        _ => None,
    };
    Timeline {
        width: LEFT * 2 + STEP * points.len().saturating_sub(1) as u32,
        height: 120,
        axis_y: 60,
        used_after: points.iter().filter(|p| p.class == "used-after").count(),
        points,
        window,
    }
}

// ── Scan page ───────────────────────────────────────────────────────────────────────────

#[derive(Debug, Serialize)]
struct FindingView {
    severity: Severity,
    rule_id: String,
    rule_name: String,
    subject: String,
    entitlement: Option<String>,
    message: String,
    fingerprint: String,
    source: String,
    sources: Vec<String>,
    facts: Vec<(String, String)>,
    diagram: Option<Diagram>,
    timeline: Option<Timeline>,
    grant: Option<GrantEvidence>,
    /// Evidence shown open when the page loads.
    open: bool,
    suppressed_reason: Option<String>,
    suppressed_expires: Option<String>,
    suppressed_by: Option<String>,
}

impl FindingView {
    fn of(f: &Finding) -> FindingView {
        FindingView {
            severity: f.severity,
            rule_id: f.rule_id.clone(),
            rule_name: f.rule_name.clone(),
            subject: f.subject.clone(),
            entitlement: f.entitlement.clone(),
            message: f.message.clone(),
            fingerprint: f.fingerprint.clone(),
            source: f
                .primary_source()
                .map(|p| p.source().to_string())
                .unwrap_or_default(),
            sources: f.evidence.sources.iter().map(ToString::to_string).collect(),
            facts: f
                .evidence
                .facts
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            diagram: f.evidence.path.as_ref().and_then(diagram),
            timeline: f.evidence.grant.as_deref().map(timeline),
            grant: f.evidence.grant.as_deref().cloned(),
            open: false,
            suppressed_reason: None,
            suppressed_expires: None,
            suppressed_by: None,
        }
    }
}

#[derive(Debug, Serialize)]
struct Count {
    name: String,
    count: usize,
}

#[derive(Debug, Serialize)]
struct SourceView {
    name: String,
    format: String,
    file: String,
    records: String,
    findings: usize,
}

impl SourceView {
    /// A source as both pages show it: what it is, what was read from it (`12 identities,
    /// 40 assignments`), and how many findings name it.
    fn of(s: &SourceSummary, findings: usize) -> SourceView {
        SourceView {
            name: s.name.clone(),
            format: s.format.clone(),
            file: s.file.clone(),
            records: s
                .records
                .iter()
                .map(|(k, n)| format!("{n} {k}"))
                .collect::<Vec<_>>()
                .join(", "),
            findings,
        }
    }
}

/// One row of the machine-readable index embedded in the page (`<script
/// type="application/json" id="report-data">`), for tools that scrape the page.
#[derive(Debug, Serialize)]
struct DataItem {
    rule: String,
    severity: String,
    subject: String,
    entitlement: Option<String>,
    fingerprint: String,
}

#[derive(Debug, Serialize)]
struct ScanPage {
    title: String,
    data: Vec<DataItem>,
    kind: &'static str,
    tool: String,
    audit_time: String,
    complete: bool,
    gaps: Vec<String>,
    total: usize,
    suppressed_count: usize,
    by_severity: Vec<Count>,
    by_rule: Vec<Count>,
    sources: Vec<SourceView>,
    source_names: Vec<String>,
    findings: Vec<FindingView>,
    suppressed: Vec<FindingView>,
    suppression_notes: Vec<String>,
    diagnostics: Vec<String>,
    rules: Vec<String>,
}

impl ScanPage {
    fn of(report: &ScanReport) -> ScanPage {
        let mut findings: Vec<FindingView> = report.findings.iter().map(FindingView::of).collect();
        // Open the evidence of the first finding with a path and of the first with a grant
        // timeline, so the page shows one of each before anything is clicked.
        if let Some(first) = findings.iter_mut().find(|f| f.diagram.is_some()) {
            first.open = true;
        }
        if let Some(first) = findings.iter_mut().find(|f| f.timeline.is_some()) {
            first.open = true;
        }
        let suppressed = report
            .suppressed
            .iter()
            .map(|s| {
                let mut v = FindingView::of(&s.finding);
                v.suppressed_reason = Some(s.reason.clone());
                v.suppressed_expires = Some(s.expires.clone());
                v.suppressed_by = s.approved_by.clone();
                v
            })
            .collect();
        let mut per_source: BTreeMap<&str, usize> = BTreeMap::new();
        for f in &report.findings {
            if let Some(p) = f.primary_source() {
                *per_source.entry(p.source()).or_default() += 1;
            }
        }
        let sources: Vec<SourceView> = report
            .sources
            .iter()
            .map(|s| SourceView::of(s, per_source.get(s.name.as_str()).copied().unwrap_or(0)))
            .collect();
        let mut source_names: Vec<String> = per_source.keys().map(|s| s.to_string()).collect();
        source_names.sort();
        let data = report
            .findings
            .iter()
            .map(|f| DataItem {
                rule: f.rule_id.clone(),
                severity: f.severity.to_string(),
                subject: f.subject.clone(),
                entitlement: f.entitlement.clone(),
                fingerprint: f.fingerprint.clone(),
            })
            .collect();
        ScanPage {
            data,
            title: format!(
                "residue scan report — {}",
                format_timestamp(report.audit_time)
            ),
            kind: "scan",
            tool: format!("{} {}", report.tool.name, report.tool.version),
            audit_time: format_timestamp(report.audit_time),
            complete: report.coverage.complete,
            gaps: report.coverage.gaps.clone(),
            total: report.summary.findings,
            suppressed_count: report.summary.suppressed,
            by_severity: Severity::ALL
                .iter()
                .rev()
                .map(|s| Count {
                    name: s.as_str().to_string(),
                    count: report.summary.by_severity.get(s).copied().unwrap_or(0),
                })
                .collect(),
            by_rule: report
                .summary
                .by_rule
                .iter()
                .map(|(r, n)| Count {
                    name: r.clone(),
                    count: *n,
                })
                .collect(),
            sources,
            source_names,
            findings,
            suppressed,
            suppression_notes: report.suppression_notes.clone(),
            diagnostics: report
                .diagnostics
                .iter()
                .map(|d| {
                    format!(
                        "{}: {}: {}",
                        match d.level {
                            crate::model::DiagnosticLevel::Info => "info",
                            crate::model::DiagnosticLevel::Warning => "warning",
                        },
                        d.provenance,
                        d.message
                    )
                })
                .collect(),
            rules: report.rules.clone(),
        }
    }
}

// ── Inventory page ──────────────────────────────────────────────────────────────────────

#[derive(Debug, Serialize)]
struct RowView {
    identity: String,
    identity_kind: String,
    entitlement: String,
    privilege: String,
    permissions: usize,
    assignment: String,
    held: String,
    conditions: String,
    last_used: String,
    days_unused: String,
    secrets: String,
    recommendation: String,
    reason: String,
    diagram: Option<Diagram>,
}

impl RowView {
    fn of(r: &InventoryRow) -> RowView {
        RowView {
            identity: r.identity.clone(),
            identity_kind: r.identity_kind.to_string(),
            entitlement: r.entitlement.clone(),
            privilege: r.privilege.to_string(),
            permissions: r.permissions,
            assignment: r.assignment.to_string(),
            held: r.held.as_str().to_string(),
            conditions: r.conditions.join(", "),
            last_used: match (r.last_used, r.last_used_grain) {
                (Some(t), Some(g)) if g != crate::inventory::UseGrain::Own => {
                    format!("{} ({})", format_timestamp(t), g.as_str())
                }
                (Some(t), _) => format_timestamp(t),
                (None, _) => "never recorded".to_string(),
            },
            days_unused: match r.days_unused {
                Some(0) => "today".to_string(),
                Some(1) => "1 day ago".to_string(),
                Some(d) => format!("{d} days ago"),
                None => String::new(),
            },
            secrets: crate::inventory::secrets_cell(r),
            recommendation: r.recommendation.to_string(),
            reason: r.reason.clone(),
            diagram: diagram(&r.hops),
        }
    }
}

#[derive(Debug, Serialize)]
struct InventoryDataItem {
    identity: String,
    entitlement: String,
    assignment: String,
    recommendation: String,
}

#[derive(Debug, Serialize)]
struct InventoryPage {
    title: String,
    data: Vec<InventoryDataItem>,
    kind: &'static str,
    tool: String,
    audit_time: String,
    rows_count: usize,
    identities: usize,
    by_recommendation: Vec<Count>,
    parameters: String,
    sources: Vec<SourceView>,
    rows: Vec<RowView>,
}

impl InventoryPage {
    fn of(report: &InventoryReport) -> InventoryPage {
        InventoryPage {
            data: report
                .rows
                .iter()
                .map(|r| InventoryDataItem {
                    identity: r.identity.clone(),
                    entitlement: r.entitlement.clone(),
                    assignment: r.assignment.to_string(),
                    recommendation: r.recommendation.to_string(),
                })
                .collect(),
            title: format!(
                "residue JIT inventory — {}",
                format_timestamp(report.audit_time)
            ),
            kind: "inventory",
            tool: format!("{} {}", report.tool.name, report.tool.version),
            audit_time: format_timestamp(report.audit_time),
            rows_count: report.summary.rows,
            identities: report.summary.identities,
            by_recommendation: Recommendation::ALL
                .iter()
                .map(|r| Count {
                    name: r.as_str().to_string(),
                    count: report
                        .summary
                        .by_recommendation
                        .get(r)
                        .copied()
                        .unwrap_or(0),
                })
                .collect(),
            parameters: format!(
                "remove after {} days unused; used often = last use within {} days; split \
                 at {} permissions or permissions-management",
                report.parameters.unused_days,
                report.parameters.daily_days,
                report.parameters.split_permissions
            ),
            sources: report
                .sources
                .iter()
                .map(|s| SourceView::of(s, 0))
                .collect(),
            rows: report.rows.iter().map(RowView::of).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::test_support::{report_with_subject, sample_report};

    #[test]
    fn renders_a_complete_page_with_summary_table_and_diagram() {
        let page = render(&sample_report());
        assert!(page.starts_with("<!DOCTYPE html>"));
        assert!(page.trim_end().ends_with("</html>"));
        assert!(page.contains("<time>2026-03-01T09:30:00Z</time>"));
        assert_eq!(
            page.matches("<tr class=\"finding\"").count(),
            3,
            "two findings, one suppressed"
        );
        assert_eq!(page.matches("<svg class=\"path-diagram\"").count(), 1);
        assert!(page.contains("data-rule=\"SP001\""));
        assert!(page.contains("class=\"edge edge-standing\""));
        assert!(page.contains("Finance quarter close; removal scheduled."));
        assert!(page.contains("unknown membership kind `nested`"));
    }

    #[test]
    fn needs_no_network() {
        let page = render(&sample_report());
        for needle in ["http://", "https://", "src=", "@import", "url(http"] {
            let hits: Vec<&str> = page
                .match_indices(needle)
                .map(|(i, _)| &page[i.saturating_sub(30)..(i + 40).min(page.len())])
                .filter(|ctx| !ctx.contains("www.w3.org/2000/svg"))
                .collect();
            assert!(hits.is_empty(), "{needle}: {hits:?}");
        }
    }

    #[test]
    fn hostile_names_are_text() {
        let hostile = "<script>alert(\"x\")</script>' onmouseover='y";
        let page = render(&report_with_subject(hostile));
        assert!(!page.contains(hostile));
        assert!(!page.contains("<script>alert"));
        assert!(page
            .contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&#39; onmouseover=&#39;y"));
        // Only the page's own two scripts.
        assert_eq!(page.matches("<script>").count(), 2);
    }

    #[test]
    fn embedded_data_is_json_that_cannot_close_its_script() {
        let hostile = "</script><script>alert(1)</script>\u{2028}";
        let page = render(&report_with_subject(hostile));
        let start = page
            .find("<script type=\"application/json\" id=\"report-data\">")
            .expect("data element")
            + "<script type=\"application/json\" id=\"report-data\">".len();
        let end = start + page[start..].find("</script>").expect("closed");
        let data: serde_json::Value = serde_json::from_str(&page[start..end]).expect("JSON");
        assert_eq!(data[0]["subject"], hostile);
        assert_eq!(data.as_array().map(Vec::len), Some(2));
        assert!(!page[start..end].contains(['<', '\u{2028}']));
    }

    #[test]
    fn rendering_is_deterministic() {
        assert_eq!(render(&sample_report()), render(&sample_report()));
    }

    #[test]
    fn diagram_marks_each_hop_kind() {
        use crate::graph::{Hop, NodeRef};
        use crate::model::{Condition, ConditionKind, Provenance, Window};
        let node = |id: &str, kind: &'static str| NodeRef {
            id: id.into(),
            kind,
        };
        let hop = |from, relation, kind, to| Hop {
            from,
            relation,
            kind,
            window: None,
            conditions: Vec::new(),
            method: None,
            to,
            source: Provenance::synthetic("t").into(),
        };
        let mut temporary = hop(
            node("ops", "group"),
            Relation::Assigned,
            Some(AssignmentKind::Temporary),
            node("r1", "role"),
        );
        temporary.window = Some(Window {
            start: None,
            end: Some("2026-01-01T00:00:00Z".parse().expect("ts")),
        });
        let mut trust = hop(
            node("r1", "role"),
            Relation::CanAssume,
            None,
            node("r2", "role"),
        );
        trust.conditions.push(Condition {
            kind: ConditionKind::Mfa,
            detail: "mfa".into(),
        });
        let mut escalate = hop(
            node("r2", "role"),
            Relation::CanEscalate,
            None,
            node("admin", "role"),
        );
        escalate.method = Some("iam:PassRole".into());
        let path = Path {
            hops: [
                hop(
                    node("alice", "human"),
                    Relation::MemberOf,
                    Some(AssignmentKind::Eligible),
                    node("ops", "group"),
                ),
                temporary,
                trust,
                escalate,
            ]
            .into_iter()
            .map(std::sync::Arc::new)
            .collect(),
            conditional: true,
            via_escalation: true,
        };
        let d = diagram(&path).expect("a path with hops");
        let classes: Vec<&str> = d.edges.iter().map(|e| e.class.as_str()).collect();
        assert_eq!(classes, ["eligible", "temporary", "trust", "escalation"]);
        assert_eq!(
            d.edges[1].note.as_deref(),
            Some("until 2026-01-01T00:00:00Z")
        );
        assert_eq!(d.edges[2].note.as_deref(), Some("if mfa"));
        assert!(d.edges[2].conditional);
        assert_eq!(d.edges[3].note.as_deref(), Some("⚠ via iam:PassRole"));
        // Left to right, no overlap.
        for pair in d.nodes.windows(2) {
            assert!(pair[0].x + pair[0].w < pair[1].x);
        }
        assert_eq!(d.width, d.nodes.last().map(|n| n.x + n.w + 10).unwrap_or(0));
    }

    #[test]
    fn timeline_flags_use_after_the_window() {
        use crate::model::{GrantEventSummary, Provenance};
        let ts = |s: &str| -> Timestamp { s.parse().expect("ts") };
        let ev = |event, time: &str| GrantEventSummary {
            event,
            time: ts(time),
            actor: None,
            provenance: Provenance::synthetic("log"),
        };
        let grant = GrantEvidence {
            id: "g1".into(),
            principal: "alice".into(),
            entitlement: "admin".into(),
            activated_at: Some(ts("2026-01-01T10:00:00Z")),
            window_end: Some(ts("2026-01-01T14:00:00Z")),
            window_end_recorded: true,
            break_glass: false,
            events: vec![
                ev(GrantEventKind::Requested, "2026-01-01T09:00:00Z"),
                ev(GrantEventKind::Activated, "2026-01-01T10:00:00Z"),
                ev(GrantEventKind::Used, "2026-01-01T11:00:00Z"),
                ev(GrantEventKind::Used, "2026-01-02T11:00:00Z"),
            ]
            .into(),
        };
        let t = timeline(&grant);
        let classes: Vec<&str> = t.points.iter().map(|p| p.class.as_str()).collect();
        assert_eq!(
            classes,
            ["requested", "activated", "used", "window-end", "used-after"]
        );
        assert_eq!(t.used_after, 1);
        let (start, width) = t.window.expect("a window");
        assert_eq!((start, start + width), (t.points[1].x, t.points[3].x));
    }
}
