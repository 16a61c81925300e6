//! The time-aware permission graph: petgraph behind a domain API.
//!
//! Nodes are identities (groups included), roles and secrets. Edges say how one reaches the
//! next and *when*: `member-of` and `assigned` carry a kind (standing / eligible / temporary)
//! and a validity window; `can-assume` carries the conditions that guard it; `can-escalate`
//! names a privilege-escalation method; `holds` ties a secret to its owner.
//!
//! The graph is built once from a finalized [`Inventory`] (whose order is deterministic, so
//! node and edge order is too) and then only queried. Every query takes the audit time.

mod export;
mod path;
mod reach;

pub use export::{ExportEdge, ExportNode, ExportReach, GraphFormat, ReachGraph, ReachKind};
pub use path::{Hop, Hops, NodeRef, Path, Relation};
pub use reach::{ReachMode, Reached};

use crate::model::{
    AssignmentKind, Condition, IdentityKind, Inventory, PrivilegeLevel, Provenance, Window,
};
use compact_str::CompactString;
use foldhash::{HashMap, HashMapExt};
use petgraph::graph::{DiGraph, EdgeIndex, NodeIndex};
use std::sync::{Arc, OnceLock};

/// A node handle. Only [`PermissionGraph`] makes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeId(NodeIndex<u32>);

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NodeKind {
    Identity(IdentityKind),
    Role(PrivilegeLevel),
    Secret,
}

impl NodeKind {
    pub fn label(self) -> &'static str {
        match self {
            NodeKind::Identity(k) => k.as_str(),
            NodeKind::Role(_) => "role",
            NodeKind::Secret => "secret",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    pub kind: NodeKind,
    /// Copied into every path that names the node (see [`NodeRef`]).
    pub id: CompactString,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EdgeKind {
    MemberOf {
        kind: AssignmentKind,
        window: Window,
    },
    Assigned {
        kind: AssignmentKind,
        window: Window,
    },
    CanAssume {
        conditions: Vec<Condition>,
    },
    CanEscalate {
        method: Arc<str>,
    },
    Holds,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edge {
    pub kind: EdgeKind,
    /// Where the edge was read; the hop made for the edge (once, shared by every path) takes
    /// its own shared copy.
    pub provenance: Provenance,
}

/// Which namespace a node id lives in: identities and roles may share ids across sources.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Space {
    Identity,
    Role,
    Secret,
}

/// The hops one reach query made for the edges leaving its starting node.
type OwnHops = Vec<(EdgeIndex<u32>, Arc<Hop>)>;

pub struct PermissionGraph {
    g: DiGraph<Node, Edge, u32>,
    identities: HashMap<CompactString, NodeIndex<u32>>,
    roles: HashMap<CompactString, NodeIndex<u32>>,
    secrets: HashMap<CompactString, NodeIndex<u32>>,
    /// Each shared edge as a path hop, made the first time a path crosses the edge and
    /// shared by every path through it: a large organisation's reach holds millions of
    /// hops, most of them the same few group-to-role edges. Edges leaving a node nothing
    /// leads into never use their cell (see `entered`).
    hops: Vec<OnceLock<Arc<Hop>>>,
    /// Whether any edge leads into each node. The edges leaving a node nothing leads into
    /// (a person, a service account) are crossed only by paths from that node itself, so
    /// their hops are shared within one reach query and not kept in `hops`: they are most
    /// of the edges, and once the identity's rules have run nothing needs them again.
    entered: Vec<bool>,
    /// Outgoing edges of every node in insertion order, node by node (`out_start[n]` to
    /// `out_start[n + 1]`): reach queries walk them millions of times, and petgraph lists
    /// them newest first through a linked list.
    out: Vec<(EdgeIndex<u32>, NodeIndex<u32>)>,
    out_start: Vec<u32>,
    /// The role nodes' indexes: nodes are added identities first, then roles, then secrets,
    /// so whether a node is a role needs no look at the node.
    role_nodes: std::ops::Range<usize>,
    /// Whether the inventory's identities and roles came in strictly increasing id order,
    /// as a finalized inventory's do: identity node n is then the inventory's identity n,
    /// and role nodes sort by index as their ids sort, with no look at the ids.
    identities_in_id_order: bool,
    roles_in_id_order: bool,
    /// Every edge's class at the audit time of the first reach query (see `reach`).
    edge_classes: OnceLock<reach::EdgeClasses>,
}

impl PermissionGraph {
    /// Builds the graph from a finalized inventory (references already checked).
    pub fn build(inv: &Inventory) -> PermissionGraph {
        let mut pg = PermissionGraph {
            g: DiGraph::with_capacity(
                inv.identities.len() + inv.roles.len() + inv.secrets.len(),
                // Every kind of edge counted: one edge over the capacity doubles the
                // largest allocation of the graph.
                inv.memberships.len()
                    + inv.assignments.len()
                    + inv.trusts.len()
                    + inv.escalations.len()
                    + inv.secrets.len(),
            ),
            identities: HashMap::with_capacity(inv.identities.len()),
            roles: HashMap::with_capacity(inv.roles.len()),
            secrets: HashMap::with_capacity(inv.secrets.len()),
            hops: Vec::new(),
            entered: Vec::new(),
            out: Vec::new(),
            out_start: Vec::new(),
            role_nodes: 0..0,
            identities_in_id_order: inv.identities.windows(2).all(|w| w[0].id < w[1].id),
            roles_in_id_order: inv.roles.windows(2).all(|w| w[0].id < w[1].id),
            edge_classes: OnceLock::new(),
        };
        for i in &inv.identities {
            pg.add_node(Space::Identity, NodeKind::Identity(i.kind), &i.id);
        }
        let first_role = pg.g.node_count();
        for r in &inv.roles {
            pg.add_node(Space::Role, NodeKind::Role(r.privilege), &r.id);
        }
        pg.role_nodes = first_role..pg.g.node_count();
        for s in &inv.secrets {
            pg.add_node(Space::Secret, NodeKind::Secret, &s.id);
        }
        for m in &inv.memberships {
            if let (Some(a), Some(b)) = (
                pg.lookup(Space::Identity, &m.member),
                pg.lookup(Space::Identity, &m.group),
            ) {
                pg.g.add_edge(
                    a,
                    b,
                    Edge {
                        kind: EdgeKind::MemberOf {
                            kind: m.kind,
                            window: m.window,
                        },
                        provenance: m.provenance.clone(),
                    },
                );
            }
        }
        for a in &inv.assignments {
            if let (Some(s), Some(r)) = (
                pg.lookup(Space::Identity, &a.subject),
                pg.lookup(Space::Role, &a.role),
            ) {
                pg.g.add_edge(
                    s,
                    r,
                    Edge {
                        kind: EdgeKind::Assigned {
                            kind: a.kind,
                            window: a.window,
                        },
                        provenance: a.provenance.clone(),
                    },
                );
            }
        }
        for t in &inv.trusts {
            if let (Some(p), Some(r)) =
                (pg.principal(&t.principal), pg.lookup(Space::Role, &t.role))
            {
                pg.g.add_edge(
                    p,
                    r,
                    Edge {
                        kind: EdgeKind::CanAssume {
                            conditions: t.conditions.to_vec(),
                        },
                        provenance: t.provenance.clone(),
                    },
                );
            }
        }
        for e in &inv.escalations {
            if let (Some(p), Some(r)) = (
                pg.principal(&e.principal),
                pg.lookup(Space::Role, &e.target),
            ) {
                pg.g.add_edge(
                    p,
                    r,
                    Edge {
                        kind: EdgeKind::CanEscalate {
                            method: Arc::from(e.method.as_str()),
                        },
                        provenance: e.provenance.clone(),
                    },
                );
            }
        }
        for s in &inv.secrets {
            if let (Some(o), Some(n)) = (
                s.owner
                    .as_deref()
                    .and_then(|o| pg.lookup(Space::Identity, o)),
                pg.lookup(Space::Secret, &s.id),
            ) {
                pg.g.add_edge(
                    o,
                    n,
                    Edge {
                        kind: EdgeKind::Holds,
                        provenance: s.provenance.clone(),
                    },
                );
            }
        }
        pg.hops = (0..pg.g.edge_count()).map(|_| OnceLock::new()).collect();
        pg.index_out_edges();
        pg
    }

    /// Fills `out` and `out_start`: a counting sort of the edges by source node, which keeps
    /// each node's edges in insertion order (edges are visited by index).
    fn index_out_edges(&mut self) {
        use petgraph::visit::EdgeRef;
        let nodes = self.g.node_count();
        let mut start = vec![0u32; nodes + 1];
        for e in self.g.edge_references() {
            start[e.source().index() + 1] += 1;
        }
        for n in 0..nodes {
            start[n + 1] += start[n];
        }
        let mut next: Vec<u32> = start[..nodes].to_vec();
        let mut out = vec![(EdgeIndex::new(0), NodeIndex::new(0)); self.g.edge_count()];
        let mut entered = vec![false; nodes];
        for e in self.g.edge_references() {
            let slot = &mut next[e.source().index()];
            out[*slot as usize] = (e.id(), e.target());
            *slot += 1;
            entered[e.target().index()] = true;
        }
        self.out = out;
        self.out_start = start;
        self.entered = entered;
    }

    fn space(&self, space: Space) -> &HashMap<CompactString, NodeIndex<u32>> {
        match space {
            Space::Identity => &self.identities,
            Space::Role => &self.roles,
            Space::Secret => &self.secrets,
        }
    }

    fn add_node(&mut self, space: Space, kind: NodeKind, id: &str) {
        let id = CompactString::from(id);
        let ix = self.g.add_node(Node {
            kind,
            id: id.clone(),
        });
        let index = match space {
            Space::Identity => &mut self.identities,
            Space::Role => &mut self.roles,
            Space::Secret => &mut self.secrets,
        };
        index.insert(id, ix);
    }

    fn lookup(&self, space: Space, id: &str) -> Option<NodeIndex<u32>> {
        self.space(space).get(id).copied()
    }

    /// A principal of a trust or escalation: an identity if one has the id, else a role.
    fn principal(&self, id: &str) -> Option<NodeIndex<u32>> {
        self.lookup(Space::Identity, id)
            .or_else(|| self.lookup(Space::Role, id))
    }

    pub fn identity(&self, id: &str) -> Option<NodeId> {
        self.lookup(Space::Identity, id).map(NodeId)
    }

    /// The node of the inventory's identity at `position` (whose id is `id`): found by
    /// position when the inventory's identities are in id order, a lookup by id otherwise.
    pub fn identity_at(&self, position: usize, id: &str) -> Option<NodeId> {
        if self.identities_in_id_order && position < self.role_nodes.start {
            let n = NodeIndex::new(position);
            debug_assert_eq!(&*self.g[n].id, id, "identity {position} is not {id}");
            return Some(NodeId(n));
        }
        self.identity(id)
    }

    pub fn role(&self, id: &str) -> Option<NodeId> {
        self.lookup(Space::Role, id).map(NodeId)
    }

    pub fn node(&self, n: NodeId) -> &Node {
        &self.g[n.0]
    }

    pub fn node_count(&self) -> usize {
        self.g.node_count()
    }

    pub fn edge_count(&self) -> usize {
        self.g.edge_count()
    }

    /// Outgoing edges in insertion order (deterministic: the inventory is sorted).
    /// The edges leaving `n`, in insertion order.
    fn out_edges(&self, n: NodeIndex<u32>) -> &[(EdgeIndex<u32>, NodeIndex<u32>)] {
        let i = n.index();
        match (self.out_start.get(i), self.out_start.get(i + 1)) {
            (Some(&a), Some(&b)) => &self.out[a as usize..b as usize],
            _ => &[],
        }
    }

    fn is_role(&self, n: NodeIndex<u32>) -> bool {
        self.role_nodes.contains(&n.index())
    }

    fn node_ref(&self, n: NodeIndex<u32>) -> NodeRef {
        let node = &self.g[n];
        NodeRef {
            id: node.id.clone(),
            kind: node.kind.label(),
        }
    }

    /// The hop for edge `e`, shared: by every path through it, or, for an edge leaving a
    /// node nothing leads into, by the paths of one query (`own`, see `entered`).
    /// `from` is the node the edge leaves, which the caller knows: looking it up in the
    /// graph is a cache miss per hop in a large organisation.
    fn shared_hop(&self, e: EdgeIndex<u32>, from: NodeIndex<u32>, own: &mut OwnHops) -> Arc<Hop> {
        if !self.entered.get(from.index()).copied().unwrap_or(true) {
            if let Some((_, hop)) = own.iter().find(|(edge, _)| *edge == e) {
                return Arc::clone(hop);
            }
            let hop = Arc::new(self.hop(e));
            own.push((e, Arc::clone(&hop)));
            return hop;
        }
        match self.hops.get(e.index()) {
            Some(cell) => Arc::clone(cell.get_or_init(|| Arc::new(self.hop(e)))),
            None => Arc::new(self.hop(e)),
        }
    }

    fn hop(&self, e: EdgeIndex<u32>) -> Hop {
        let (from, to) = self
            .g
            .edge_endpoints(e)
            .expect("edge index from this graph");
        let edge = &self.g[e];
        let (relation, kind, window, conditions, method) = match &edge.kind {
            EdgeKind::MemberOf { kind, window } => (
                Relation::MemberOf,
                Some(*kind),
                Some(*window),
                Vec::new(),
                None,
            ),
            EdgeKind::Assigned { kind, window } => (
                Relation::Assigned,
                Some(*kind),
                Some(*window),
                Vec::new(),
                None,
            ),
            EdgeKind::CanAssume { conditions } => {
                (Relation::CanAssume, None, None, conditions.clone(), None)
            }
            EdgeKind::CanEscalate { method } => (
                Relation::CanEscalate,
                None,
                None,
                Vec::new(),
                Some(Arc::clone(method)),
            ),
            EdgeKind::Holds => (Relation::Holds, None, None, Vec::new(), None),
        };
        Hop {
            from: self.node_ref(from),
            relation,
            kind,
            window: window.filter(|w| *w != Window::UNBOUNDED),
            conditions,
            method,
            to: self.node_ref(to),
            source: Arc::new(edge.provenance.clone()),
        }
    }

    /// Who holds `role` directly (subjects of assignments, any kind), for inventories.
    pub fn direct_holders(&self, role: NodeId) -> Vec<(NodeId, AssignmentKind)> {
        use petgraph::visit::EdgeRef;
        let mut v: Vec<_> = self
            .g
            .edges_directed(role.0, petgraph::Direction::Incoming)
            .filter_map(|e| match &e.weight().kind {
                EdgeKind::Assigned { kind, .. } => Some((NodeId(e.source()), *kind)),
                _ => None,
            })
            .collect();
        v.sort();
        v
    }
}

#[cfg(test)]
mod tests;
