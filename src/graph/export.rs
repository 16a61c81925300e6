//! An identity's reach as a graph for other tools: Graphviz DOT, Mermaid, or JSON.
//!
//! The graph is the union of the explaining paths of everything the identity reaches at
//! the audit time: standing reach (escalation methods included), temporary grants in force,
//! and what it may reach by one JIT activation. It comes from the reach queries, so it
//! shows exactly the paths findings cite. Nodes and edges are sorted, so the output is
//! deterministic; every name goes through [`crate::report::escape`] for its format.
//!
//! Edge styles in DOT and Mermaid: standing solid, eligible dashed, temporary dotted (DOT)
//! or dashed with its window in the label (Mermaid), escalation bold red (DOT) or thick
//! (Mermaid); a guarded trust carries `if mfa, …` in its label.

use super::{Hop, NodeId, PermissionGraph, ReachMode, Reached, Relation};
use crate::model::time::format_timestamp;
use crate::model::{AssignmentKind, PrivilegeLevel, Timestamp};
use crate::report::escape;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

/// An output format of `residue graph`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GraphFormat {
    Dot,
    Mermaid,
    Json,
}

impl GraphFormat {
    pub const ALL: [GraphFormat; 3] = [GraphFormat::Dot, GraphFormat::Mermaid, GraphFormat::Json];

    pub fn name(self) -> &'static str {
        match self {
            GraphFormat::Dot => "dot",
            GraphFormat::Mermaid => "mermaid",
            GraphFormat::Json => "json",
        }
    }

    pub fn parse(name: &str) -> Result<GraphFormat, String> {
        GraphFormat::ALL
            .into_iter()
            .find(|f| f.name().eq_ignore_ascii_case(name))
            .ok_or_else(|| format!("`{name}` is not a graph format; expected dot, mermaid or json"))
    }
}

/// How a role is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReachKind {
    Standing,
    Temporary,
    Eligible,
    Escalation,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct ExportNode {
    pub id: String,
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub privilege: Option<PrivilegeLevel>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct ExportEdge {
    pub from: String,
    pub to: String,
    pub relation: Relation,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<AssignmentKind>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub window_start: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub window_end: Option<Timestamp>,
    /// Condition kinds guarding a trust (`mfa`, `approval`…).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExportReach {
    pub role: String,
    pub privilege: PrivilegeLevel,
    pub how: ReachKind,
    /// The explaining path in one line.
    pub path: String,
}

/// The reach of one identity, ready to print in any format.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReachGraph {
    pub identity: String,
    pub audit_time: Timestamp,
    pub nodes: Vec<ExportNode>,
    pub edges: Vec<ExportEdge>,
    pub reach: Vec<ExportReach>,
}

impl PermissionGraph {
    /// The union of the explaining paths of everything `from` reaches at `now`.
    pub fn reach_graph(&self, from: NodeId, now: Timestamp) -> ReachGraph {
        let standing = self.reach(from, now, ReachMode::Standing);
        let held: BTreeSet<&str> = standing.iter().map(|r| &*r.role).collect();
        let temporary: Vec<Reached> = self
            .reach(from, now, ReachMode::Effective)
            .into_iter()
            .filter(|r| !held.contains(&*r.role))
            .collect();
        let eligible = self.eligible_reach(from, now);
        let start = self.node(from);
        let mut nodes: BTreeMap<String, ExportNode> = BTreeMap::new();
        let mut edges: BTreeSet<ExportEdge> = BTreeSet::new();
        nodes.insert(
            start.id.to_string(),
            ExportNode {
                id: start.id.to_string(),
                kind: start.kind.label().to_string(),
                privilege: None,
            },
        );
        let mut reach = Vec::new();
        let groups = [
            (&standing, ReachKind::Standing),
            (&temporary, ReachKind::Temporary),
            (&eligible, ReachKind::Eligible),
        ];
        for (list, how) in groups {
            for r in list {
                let how = if r.path.via_escalation {
                    ReachKind::Escalation
                } else if how == ReachKind::Standing
                    && r.path
                        .hops
                        .iter()
                        .any(|h| h.kind == Some(AssignmentKind::Temporary))
                {
                    ReachKind::Temporary
                } else {
                    how
                };
                reach.push(ExportReach {
                    role: r.role.to_string(),
                    privilege: r.privilege,
                    how,
                    path: r.path.to_string(),
                });
                for hop in &r.path.hops {
                    for n in [&hop.from, &hop.to] {
                        nodes.entry(n.id.to_string()).or_insert_with(|| ExportNode {
                            id: n.id.to_string(),
                            kind: n.kind.to_string(),
                            privilege: None,
                        });
                    }
                    edges.insert(export_edge(hop));
                }
                if let Some(node) = nodes.get_mut(&*r.role) {
                    node.privilege = Some(r.privilege);
                }
            }
        }
        reach.sort_by(|a, b| (&a.role, a.how).cmp(&(&b.role, b.how)));
        ReachGraph {
            identity: start.id.to_string(),
            audit_time: now,
            nodes: nodes.into_values().collect(),
            edges: edges.into_iter().collect(),
            reach,
        }
    }
}

fn export_edge(hop: &Hop) -> ExportEdge {
    let mut conditions: Vec<String> = Vec::new();
    for c in &hop.conditions {
        let k = c.kind.as_str().to_string();
        if !conditions.contains(&k) {
            conditions.push(k);
        }
    }
    ExportEdge {
        from: hop.from.id.to_string(),
        to: hop.to.id.to_string(),
        relation: hop.relation,
        kind: hop.kind,
        window_start: hop.window.and_then(|w| w.start),
        window_end: hop.window.and_then(|w| w.end),
        conditions,
        method: hop.method.as_deref().map(str::to_string),
    }
}

impl ExportEdge {
    /// `assigned (eligible)`, `can-assume if mfa`, `member-of (temporary until …)`.
    pub fn label(&self) -> String {
        let mut s = self.relation.as_str().to_string();
        match self.kind {
            Some(AssignmentKind::Temporary) => {
                s.push_str(" (temporary");
                if let Some(end) = self.window_end {
                    let _ = write!(s, " until {}", format_timestamp(end));
                }
                s.push(')');
            }
            Some(AssignmentKind::Eligible) => s.push_str(" (eligible)"),
            Some(AssignmentKind::Standing) | None => {}
        }
        if let Some(m) = &self.method {
            let _ = write!(s, " via {m}");
        }
        if !self.conditions.is_empty() {
            let _ = write!(s, " if {}", self.conditions.join(", "));
        }
        s
    }
}

impl ReachGraph {
    pub fn render(&self, format: GraphFormat) -> String {
        match format {
            GraphFormat::Dot => self.dot(),
            GraphFormat::Mermaid => self.mermaid(),
            GraphFormat::Json => {
                let mut out = serde_json::to_string_pretty(self)
                    .expect("ReachGraph serializes: every map key is a string");
                out.push('\n');
                out
            }
        }
    }

    fn node_label(n: &ExportNode) -> String {
        match n.privilege {
            Some(p) => format!("{}\n{} ({p})", n.id, n.kind),
            None => format!("{}\n{}", n.id, n.kind),
        }
    }

    /// Node handles `n0`, `n1`… in node order: ids from the data never become syntax.
    fn handles(&self) -> BTreeMap<&str, String> {
        self.nodes
            .iter()
            .enumerate()
            .map(|(i, n)| (n.id.as_str(), format!("n{i}")))
            .collect()
    }

    fn dot(&self) -> String {
        let handles = self.handles();
        let mut out = String::new();
        let _ = writeln!(
            out,
            "// residue graph: reach of {} at {}",
            escape::dot_string(&self.identity).replace('\n', " "),
            format_timestamp(self.audit_time)
        );
        out.push_str("digraph reach {\n  rankdir=LR;\n  node [shape=box, fontname=\"Helvetica\"];\n  edge [fontname=\"Helvetica\", fontsize=10];\n");
        for n in &self.nodes {
            let shape = match n.kind.as_str() {
                "role" => "box, style=\"rounded,bold\"",
                "group" => "box, style=rounded",
                _ => "box",
            };
            let _ = writeln!(
                out,
                "  {} [label=\"{}\", shape={shape}];",
                handles[n.id.as_str()],
                escape::dot_string(&Self::node_label(n))
            );
        }
        for e in &self.edges {
            let style = match (e.relation, e.kind) {
                (Relation::CanEscalate, _) => "style=bold, color=red",
                (_, Some(AssignmentKind::Eligible)) => "style=dashed",
                (_, Some(AssignmentKind::Temporary)) => "style=dotted",
                _ => "style=solid",
            };
            let _ = writeln!(
                out,
                "  {} -> {} [label=\"{}\", {style}];",
                handles[e.from.as_str()],
                handles[e.to.as_str()],
                escape::dot_string(&e.label())
            );
        }
        out.push_str("}\n");
        out
    }

    fn mermaid(&self) -> String {
        let handles = self.handles();
        let mut out = String::from("flowchart LR\n");
        for n in &self.nodes {
            let text = Self::node_label(n);
            let label = escape::mermaid_label(&text);
            let (open, close) = if n.kind == "role" {
                ("([", "])")
            } else {
                ("[", "]")
            };
            let _ = writeln!(out, "  {}{open}\"{label}\"{close}", handles[n.id.as_str()]);
        }
        for e in &self.edges {
            let arrow = match (e.relation, e.kind) {
                (Relation::CanEscalate, _) => "==>",
                (_, Some(AssignmentKind::Eligible | AssignmentKind::Temporary)) => "-.->",
                _ => "-->",
            };
            let _ = writeln!(
                out,
                "  {} {arrow}|\"{}\"| {}",
                handles[e.from.as_str()],
                escape::mermaid_label(&e.label()),
                handles[e.to.as_str()]
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connectors::generic::parse_inventory_str;
    use crate::model::time::parse_timestamp;

    const ORG: &str = r#"
version: 1
identities:
  - {id: "alice <script>\"x\"", kind: human, member_of: [ops]}
  - {id: ops, kind: group}
roles:
  - {id: prod-admin, permissions: ["*"]}
  - {id: db-write, permissions: ["rds-data:ExecuteStatement"]}
  - {id: audit, permissions: ["logs:Get"]}
assignments:
  - {subject: ops, role: db-write}
  - {subject: "alice <script>\"x\"", role: prod-admin, kind: eligible}
trusts:
  - role: audit
    principal: ops
    conditions: [{kind: mfa, detail: "mfa"}]
"#;

    fn graph() -> ReachGraph {
        let mut inv = parse_inventory_str(ORG, "t", "inventory.yaml").expect("parses");
        inv.finalize().expect("consistent");
        let g = PermissionGraph::build(&inv);
        let now = parse_timestamp("2026-06-01T00:00:00Z").expect("valid");
        g.reach_graph(g.identity("alice <script>\"x\"").expect("known"), now)
    }

    #[test]
    fn collects_standing_conditional_and_eligible_reach() {
        let g = graph();
        let how: Vec<(&str, ReachKind)> =
            g.reach.iter().map(|r| (r.role.as_str(), r.how)).collect();
        assert_eq!(
            how,
            [
                ("audit", ReachKind::Standing),
                ("db-write", ReachKind::Standing),
                ("prod-admin", ReachKind::Eligible)
            ]
        );
        assert_eq!(g.nodes.len(), 5);
        assert_eq!(g.edges.len(), 4);
    }

    #[test]
    fn dot_styles_edges_and_escapes_names() {
        let dot = graph().render(GraphFormat::Dot);
        assert!(dot.starts_with("// residue graph"));
        assert!(
            dot.contains("label=\"alice <script>\\\"x\\\"\\nhuman\""),
            "{dot}"
        );
        assert!(dot.contains("style=dashed"), "{dot}");
        assert!(dot.contains("can-assume if mfa"), "{dot}");
    }

    #[test]
    fn mermaid_uses_handles_and_entity_escapes() {
        let m = graph().render(GraphFormat::Mermaid);
        assert!(m.starts_with("flowchart LR\n"));
        assert!(!m.contains("<script>"), "{m}");
        assert!(m.contains("#lt;script#gt;#quot;x#quot;"), "{m}");
        assert!(m.contains("-.->|\"assigned (eligible)\"|"), "{m}");
    }

    #[test]
    fn json_round_trips() {
        let text = graph().render(GraphFormat::Json);
        let v: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
        assert_eq!(v["identity"], "alice <script>\"x\"");
        assert_eq!(v["reach"][2]["how"], "eligible");
        assert_eq!(GraphFormat::parse("MERMAID"), Ok(GraphFormat::Mermaid));
        assert!(GraphFormat::parse("svg").is_err());
    }
}
