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
    /// Shared with the graph's node.
    pub role: std::sync::Arc<str>,
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

impl PermissionGraph {
    fn step(&self, e: EdgeIndex<u32>, now: Timestamp, mode: ReachMode, pass: Pass) -> Step {
        match &self.g[e].kind {
            EdgeKind::MemberOf { kind, window } | EdgeKind::Assigned { kind, window } => {
                // A temporary grant still listed after its window closed was never taken
                // back: it is in force now, standing in all but name ("lingering").
                if *kind == AssignmentKind::Temporary && window.closed_by(now) {
                    return Step::Plain;
                }
                if !window.contains(now) {
                    return Step::Blocked;
                }
                match (kind, mode) {
                    (AssignmentKind::Standing, _) => Step::Plain,
                    (AssignmentKind::Temporary, ReachMode::Effective) => Step::Plain,
                    (AssignmentKind::Temporary, ReachMode::Standing) => Step::Blocked,
                    (AssignmentKind::Eligible, _) => Step::Eligible,
                }
            }
            EdgeKind::CanAssume { conditions } => {
                if conditions.is_empty() || pass.conditional {
                    Step::Plain
                } else {
                    Step::Blocked
                }
            }
            EdgeKind::CanEscalate { .. } => {
                if pass.escalation {
                    Step::Plain
                } else {
                    Step::Blocked
                }
            }
            EdgeKind::Holds => Step::Blocked,
        }
    }

    /// Every role `from` reaches without activating anything, with a shortest path each.
    /// A role reachable both unconditionally and only through a guarded trust gets the
    /// unconditional path. Sorted by role id.
    pub fn reach(&self, from: NodeId, now: Timestamp, mode: ReachMode) -> Vec<Reached> {
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
                if n != from.0
                    && matches!(self.g[n].kind, NodeKind::Role(_))
                    && !found.contains_key(&n)
                {
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
            if !activated || !matches!(self.g[n].kind, NodeKind::Role(_)) {
                continue;
            }
            let mut edges = Vec::new();
            let mut cur = (n, true);
            while let Some(Some((e, prev))) = parent.get(&cur) {
                edges.push(*e);
                cur = *prev;
            }
            edges.reverse();
            found.insert(n, self.path_from_edges(&edges, &mut own));
        }
        self.sorted_reached(found)
    }

    /// Breadth-first search from `start` following edges `follow` accepts; returns each
    /// reached node's parent edge (None for the start).
    fn bfs(
        &self,
        start: NodeIndex<u32>,
        follow: impl Fn(EdgeIndex<u32>) -> bool,
    ) -> HashMap<NodeIndex<u32>, Option<EdgeIndex<u32>>> {
        let mut parents = HashMap::new();
        parents.insert(start, None);
        let mut queue = VecDeque::from([start]);
        while let Some(n) = queue.pop_front() {
            for &(e, to) in self.out_edges(n) {
                if parents.contains_key(&to) || !follow(e) {
                    continue;
                }
                parents.insert(to, Some(e));
                queue.push_back(to);
            }
        }
        parents
    }

    fn path_to(
        &self,
        n: NodeIndex<u32>,
        parents: &HashMap<NodeIndex<u32>, Option<EdgeIndex<u32>>>,
        own: &mut OwnHops,
    ) -> Path {
        let mut edges = Vec::new();
        let mut cur = n;
        while let Some(Some(e)) = parents.get(&cur) {
            edges.push(*e);
            cur = self.g.edge_endpoints(*e).expect("edge of this graph").0;
        }
        edges.reverse();
        self.path_from_edges(&edges, own)
    }

    fn path_from_edges(&self, edges: &[EdgeIndex<u32>], own: &mut OwnHops) -> Path {
        let hops: Hops = edges.iter().map(|&e| self.shared_hop(e, own)).collect();
        let conditional = hops.iter().any(|h| !h.conditions.is_empty());
        let via_escalation = hops.iter().any(|h| h.relation == Relation::CanEscalate);
        Path {
            hops,
            conditional,
            via_escalation,
        }
    }

    fn sorted_reached(&self, found: HashMap<NodeIndex<u32>, Path>) -> Vec<Reached> {
        let mut out: Vec<Reached> = found
            .into_iter()
            .map(|(n, path)| {
                let node = &self.g[n];
                let privilege = match node.kind {
                    NodeKind::Role(p) => p,
                    _ => PrivilegeLevel::None,
                };
                Reached {
                    role: std::sync::Arc::clone(&node.id),
                    privilege,
                    path,
                }
            })
            .collect();
        out.sort_by(|a, b| a.role.cmp(&b.role));
        out
    }
}
