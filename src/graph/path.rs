//! Paths: how an identity reaches a role, hop by hop, readable without the tool.

use crate::model::{AssignmentKind, Condition, Provenance, Window};
use compact_str::CompactString;
use serde::Serialize;
use std::fmt::{self, Write as _};
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Relation {
    MemberOf,
    Assigned,
    CanAssume,
    CanEscalate,
    Holds,
}

impl Relation {
    pub fn as_str(self) -> &'static str {
        match self {
            Relation::MemberOf => "member-of",
            Relation::Assigned => "assigned",
            Relation::CanAssume => "can-assume",
            Relation::CanEscalate => "can-escalate",
            Relation::Holds => "holds",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct NodeRef {
    /// Copied from the graph's node: a short id is held inline, so naming the node costs
    /// no shared reference count (which two threads building paths would contend for) and
    /// no read of a separate allocation.
    pub id: CompactString,
    /// `human`, `group`, `role`, `secret`…
    pub kind: &'static str,
}

/// One edge of a path with everything that qualifies it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Hop {
    pub from: NodeRef,
    pub relation: Relation,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<AssignmentKind>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub window: Option<Window>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub method: Option<Arc<str>>,
    pub to: NodeRef,
    /// Shared with the graph's edge (every path through the edge names the same record).
    pub source: Arc<Provenance>,
}

/// The hops of a path.
pub type Hops = smallvec::SmallVec<[Arc<Hop>; 2]>;

/// A path from an identity to what it reaches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Path {
    /// Shared with the graph (one hop per edge, however many paths cross it); paths of up
    /// to two hops, most of them, are kept inline.
    pub hops: Hops,
    /// True when some hop is guarded by a condition (MFA, time, network, tag, approval):
    /// the reach is real but not unconditional, and findings say so.
    pub conditional: bool,
    /// True when some hop is a privilege-escalation method rather than a grant: the holder
    /// does not have the role yet but can give it to itself (SP004, not SP001).
    pub via_escalation: bool,
}

impl Path {
    pub fn start(&self) -> Option<&NodeRef> {
        self.hops.first().map(|h| &h.from)
    }

    pub fn end(&self) -> Option<&NodeRef> {
        self.hops.last().map(|h| &h.to)
    }

    /// The node ids along the path: what makes two paths the same fact (for fingerprints).
    pub fn identity_key(&self) -> String {
        let mut key = String::new();
        if let Some(s) = self.start() {
            key.push_str(&s.id);
        }
        for h in &self.hops {
            let _ = write!(key, "|{}|{}", h.relation.as_str(), h.to.id);
        }
        key
    }

    /// Is the path made only of hops at the start: `member-of` and `assigned` directly?
    pub fn is_direct(&self) -> bool {
        self.hops.len() == 1
    }

    /// The conditions met along the path, for messages.
    pub fn conditions(&self) -> impl Iterator<Item = &Condition> {
        self.hops.iter().flat_map(|h| h.conditions.iter())
    }

    /// When the path came into being: the latest known start of any of its hops (a path
    /// exists only once every edge on it does).
    pub fn granted_at(&self) -> Option<crate::model::Timestamp> {
        self.hops
            .iter()
            .filter_map(|h| h.window.and_then(|w| w.start))
            .max()
    }

    /// Sources of every hop, for a finding's evidence.
    pub fn sources(&self) -> impl Iterator<Item = &Provenance> {
        self.hops.iter().map(|h| &*h.source)
    }
}

impl fmt::Display for Path {
    /// `alice -member-of-> platform -assigned(standing)-> ops-admin`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Some(start) = self.start() else {
            return Ok(());
        };
        write!(f, "{}", start.id)?;
        for h in &self.hops {
            write!(f, " -{}", h.relation.as_str())?;
            if let Some(k) = h.kind {
                write!(f, "({k})")?;
            }
            if let Some(m) = &h.method {
                write!(f, "({m})")?;
            }
            if !h.conditions.is_empty() {
                let kinds: Vec<&str> = h.conditions.iter().map(|c| c.kind.as_str()).collect();
                write!(f, "[if {}]", kinds.join(", "))?;
            }
            write!(f, "-> {}", h.to.id)?;
        }
        Ok(())
    }
}
