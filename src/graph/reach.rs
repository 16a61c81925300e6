//! Reach queries: what an identity can act as at the audit time, and how.
//!
//! All queries are breadth-first, so the explaining path is a shortest one; ties break by
//! edge insertion order, which follows the sorted inventory, so paths are deterministic.
//! Cycles (groups in groups in groups, roles that assume each other) are safe: each node
//! is visited once per query state.

use super::{EdgeKind, Hops, NodeId, NodeKind, OwnHops, Path, PermissionGraph, Relation};
use crate::model::{AssignmentKind, PrivilegeLevel, Timestamp};
use foldhash::{HashMap, HashMapExt};
use petgraph::graph::{EdgeIndex, NodeIndex};
use serde::Serialize;
use std::collections::VecDeque;

/// Each node a breadth-first search reached: the edge it came by and the node that edge
/// leaves (None for the start).
type Parents = HashMap<NodeIndex<u32>, Option<(EdgeIndex<u32>, NodeIndex<u32>)>>;

/// Which edges a query may follow besides trusts and escalations (always followed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReachMode {
    /// Standing memberships and assignments in force at the audit time: privilege held
    /// whether or not anyone asks for it.
    Standing,
    /// Standing and temporary ones in force at the audit time: "who could act as admin at 03:12".
    Effective,
}

/// A role reached, with its privilege and the path that explains it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reached {
    /// Copied from the graph's node (see [`super::NodeRef`]).
    pub role: compact_str::CompactString,
    pub privilege: PrivilegeLevel,
    pub path: Path,
}

/// Which guarded edges a breadth-first pass may follow. Passes run from most to least
/// direct, so a role reachable plainly gets its plain path, and a role reachable only
/// through a condition or an escalation method says so.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Pass {
    conditional: bool,
    escalation: bool,
}

impl Pass {
    const ALL: Pass = Pass {
        conditional: true,
        escalation: true,
    };
    const IN_ORDER: [Pass; 4] = [
        Pass {
            conditional: false,
            escalation: false,
        },
        Pass {
            conditional: true,
            escalation: false,
        },
        Pass {
            conditional: false,
            escalation: true,
        },
        Pass::ALL,
    ];
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Step {
    Blocked,
    /// Followed, and it does not count as an activation.
    Plain,
    /// An eligible edge: followed only by eligible-reach queries, once per path.
    Eligible,
}

/// What an edge lets a query do at one audit time. Worked out once for every edge (see
/// [`PermissionGraph::prepare`]): a query then reads one byte per edge instead of the edge
/// itself, which at 400,000 identities no longer sits in any cache.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum EdgeClass {
    /// Followed by every query: standing and in its window, a temporary grant whose window
    /// closed but is still listed (lingering), a trust without conditions.
    Plain,
    /// A temporary grant in its window: followed by effective reach only.
    Temporary,
    /// An eligible grant in its window.
    Eligible,
    /// Never followed: out of its window, or a secret held.
    Blocked,
    /// A trust with conditions: followed by passes that allow them.
    Conditional,
    /// An escalation method: followed by passes that allow them.
    Escalation,
}

/// Every edge's class at one audit time.
pub(super) struct EdgeClasses {
    now: Timestamp,
    class: Vec<EdgeClass>,
}

impl PermissionGraph {
    fn classify(&self, e: EdgeIndex<u32>, now: Timestamp) -> EdgeClass {
        match &self.g[e].kind {
            EdgeKind::MemberOf { kind, window } | EdgeKind::Assigned { kind, window } => {
                // A temporary grant still listed after its window closed was never taken
                // back: it is in force now, standing in all but name ("lingering").
                if *kind == AssignmentKind::Temporary && window.closed_by(now) {
                    return EdgeClass::Plain;
                }
                if !window.contains(now) {
                    return EdgeClass::Blocked;
                }
                match kind {
                    AssignmentKind::Standing => EdgeClass::Plain,
                    AssignmentKind::Temporary => EdgeClass::Temporary,
                    AssignmentKind::Eligible => EdgeClass::Eligible,
                }
            }
            EdgeKind::CanAssume { conditions } if conditions.is_empty() => EdgeClass::Plain,
            EdgeKind::CanAssume { .. } => EdgeClass::Conditional,
            EdgeKind::CanEscalate { .. } => EdgeClass::Escalation,
            EdgeKind::Holds => EdgeClass::Blocked,
        }
    }

    /// Classifies every edge for queries at `now`, once per graph: a scan asks every query
    /// at the same audit time. Queries at another time classify each edge as they cross it.
    fn prepare(&self, now: Timestamp) {
        self.edge_classes.get_or_init(|| EdgeClasses {
            now,
            class: (0..self.g.edge_count())
                .map(|i| self.classify(EdgeIndex::new(i), now))
                .collect(),
        });
    }

    fn step(&self, e: EdgeIndex<u32>, now: Timestamp, mode: ReachMode, pass: Pass) -> Step {
        let class = match self.edge_classes.get() {
            Some(classes) if classes.now == now => classes.class[e.index()],
            _ => self.classify(e, now),
        };
        match class {
            EdgeClass::Plain => Step::Plain,
            EdgeClass::Temporary => match mode {
                ReachMode::Effective => Step::Plain,
                ReachMode::Standing => Step::Blocked,
            },
            EdgeClass::Eligible => Step::Eligible,
            EdgeClass::Blocked => Step::Blocked,
            EdgeClass::Conditional if pass.conditional => Step::Plain,
            EdgeClass::Escalation if pass.escalation => Step::Plain,
            EdgeClass::Conditional | EdgeClass::Escalation => Step::Blocked,
        }
    }

    /// Every role `from` reaches without activating anything, with a shortest path each.
    /// A role reachable both unconditionally and only through a guarded trust gets the
    /// unconditional path. Sorted by role id.
    pub fn reach(&self, from: NodeId, now: Timestamp, mode: ReachMode) -> Vec<Reached> {
        self.prepare(now);
        let mut found: HashMap<NodeIndex<u32>, Path> = HashMap::new();
        let mut own = OwnHops::new();
        for pass in Pass::IN_ORDER {
            // Whether this pass left out an edge a later, wider pass would follow; when none
            // was, every later pass finds exactly what this one found.
            let narrowed = std::cell::Cell::new(false);
            let parents = self.bfs(from.0, |e| {
                let step = self.step(e, now, mode, pass);
                if step == Step::Blocked
                    && pass != Pass::ALL
                    && self.step(e, now, mode, Pass::ALL) == Step::Plain
                {
                    narrowed.set(true);
                }
                step == Step::Plain
            });
            for (&n, _) in parents.iter() {
                if n != from.0 && self.is_role(n) && !found.contains_key(&n) {
                    let path = self.path_to(n, &parents, &mut own);
                    found.insert(n, path);
                }
            }
            if !narrowed.get() {
                break;
            }
        }
        self.sorted_reached(found)
    }

    /// Roles `from` may reach by activating exactly one eligible membership or assignment
    /// in force at `now` (plus standing hops around it). Sorted by role id.
    pub fn eligible_reach(&self, from: NodeId, now: Timestamp) -> Vec<Reached> {
        // State: (node, already crossed an eligible edge).
        type State = (NodeIndex<u32>, bool);
        self.prepare(now);
        let mut parent: HashMap<State, Option<(EdgeIndex<u32>, State)>> = HashMap::new();
        let start: State = (from.0, false);
        parent.insert(start, None);
        let mut queue = VecDeque::from([start]);
        while let Some((n, activated)) = queue.pop_front() {
            for &(e, to) in self.out_edges(n) {
                let next = match self.step(e, now, ReachMode::Standing, Pass::ALL) {
                    Step::Blocked => continue,
                    Step::Plain => (to, activated),
                    Step::Eligible if !activated => (to, true),
                    Step::Eligible => continue,
                };
                if let std::collections::hash_map::Entry::Vacant(v) = parent.entry(next) {
                    v.insert(Some((e, (n, activated))));
                    queue.push_back(next);
                }
            }
        }
        let mut found: HashMap<NodeIndex<u32>, Path> = HashMap::new();
        let mut own = OwnHops::new();
        for (&(n, activated), _) in parent.iter() {
            if !activated || !self.is_role(n) {
                continue;
            }
            let mut edges = Vec::new();
            let mut cur = (n, true);
            while let Some(Some((e, prev))) = parent.get(&cur) {
                edges.push((*e, prev.0));
                cur = *prev;
            }
            edges.reverse();
            found.insert(n, self.path_from_edges(&edges, &mut own));
        }
        self.sorted_reached(found)
    }

    /// Breadth-first search from `start` following edges `follow` accepts; returns each
    /// reached node's parent edge and the node it leaves (None for the start).
    fn bfs(&self, start: NodeIndex<u32>, follow: impl Fn(EdgeIndex<u32>) -> bool) -> Parents {
        let mut parents = Parents::default();
        parents.insert(start, None);
        let mut queue = VecDeque::from([start]);
        while let Some(n) = queue.pop_front() {
            for &(e, to) in self.out_edges(n) {
                if parents.contains_key(&to) || !follow(e) {
                    continue;
                }
                parents.insert(to, Some((e, n)));
                queue.push_back(to);
            }
        }
        parents
    }

    fn path_to(&self, n: NodeIndex<u32>, parents: &Parents, own: &mut OwnHops) -> Path {
        let mut edges = Vec::new();
        let mut cur = n;
        while let Some(Some((e, from))) = parents.get(&cur) {
            edges.push((*e, *from));
            cur = *from;
        }
        edges.reverse();
        self.path_from_edges(&edges, own)
    }

    /// The path over `edges`, each with the node it leaves.
    fn path_from_edges(
        &self,
        edges: &[(EdgeIndex<u32>, NodeIndex<u32>)],
        own: &mut OwnHops,
    ) -> Path {
        let hops: Hops = edges
            .iter()
            .map(|&(e, from)| self.shared_hop(e, from, own))
            .collect();
        // The edges' classes say what the hops would (a trust with conditions, an escalation
        // method: neither depends on the audit time) in one byte per edge; each hop is a
        // cache miss away in a large organisation.
        let (conditional, via_escalation) = match self.edge_classes.get() {
            Some(classes) => {
                let class = |e: EdgeIndex<u32>| classes.class[e.index()];
                (
                    edges
                        .iter()
                        .any(|&(e, _)| class(e) == EdgeClass::Conditional),
                    edges
                        .iter()
                        .any(|&(e, _)| class(e) == EdgeClass::Escalation),
                )
            }
            None => read_from_hops(&hops),
        };
        debug_assert_eq!((conditional, via_escalation), read_from_hops(&hops));
        Path {
            hops,
            conditional,
            via_escalation,
        }
    }

    fn sorted_reached(&self, found: HashMap<NodeIndex<u32>, Path>) -> Vec<Reached> {
        let mut found: Vec<(NodeIndex<u32>, Path)> = found.into_iter().collect();
        if self.roles_in_id_order {
            // Role nodes were added in id order: their indexes sort as their ids do.
            found.sort_unstable_by_key(|(n, _)| *n);
        } else {
            found.sort_by(|a, b| self.g[a.0].id.cmp(&self.g[b.0].id));
        }
        found
            .into_iter()
            .map(|(n, path)| {
                let node = &self.g[n];
                let privilege = match node.kind {
                    NodeKind::Role(p) => p,
                    _ => PrivilegeLevel::None,
                };
                Reached {
                    role: node.id.clone(),
                    privilege,
                    path,
                }
            })
            .collect()
    }
}

/// Whether a path over `hops` is conditional and whether it goes through an escalation
/// method, read from the hops themselves.
fn read_from_hops(hops: &Hops) -> (bool, bool) {
    (
        hops.iter().any(|h| !h.conditions.is_empty()),
        hops.iter().any(|h| h.relation == Relation::CanEscalate),
    )
}
