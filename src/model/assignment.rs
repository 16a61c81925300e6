//! Assignments (subject → role) and group memberships, each standing, eligible or temporary.

use super::{Provenance, Timestamp};
use compact_str::CompactString;
use serde::{Deserialize, Serialize};
use std::fmt;

/// How an entitlement is held.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AssignmentKind {
    /// Always on: the privilege JIT is meant to remove.
    Standing,
    /// JIT: may be activated on request, grants nothing until then.
    Eligible,
    /// Active for a bounded window (an activated JIT grant).
    Temporary,
}

impl AssignmentKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AssignmentKind::Standing => "standing",
            AssignmentKind::Eligible => "eligible",
            AssignmentKind::Temporary => "temporary",
        }
    }

    pub fn parse(s: &str) -> Option<AssignmentKind> {
        [
            AssignmentKind::Standing,
            AssignmentKind::Eligible,
            AssignmentKind::Temporary,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

impl fmt::Display for AssignmentKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A validity window `[start, end)`; an open side is unbounded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Window {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end: Option<Timestamp>,
}

impl Window {
    pub const UNBOUNDED: Window = Window {
        start: None,
        end: None,
    };

    pub fn contains(&self, t: Timestamp) -> bool {
        self.start.is_none_or(|s| s <= t) && self.end.is_none_or(|e| t < e)
    }

    /// The window has an end and it is at or before `t`.
    pub fn closed_by(&self, t: Timestamp) -> bool {
        self.end.is_some_and(|e| e <= t)
    }
}

/// A subject (identity or group) holds a role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Assignment {
    pub subject: CompactString,
    pub role: CompactString,
    pub kind: AssignmentKind,
    pub window: Window,
    /// Last time this subject used this role, when the source records it.
    pub last_used: Option<Timestamp>,
    pub provenance: Provenance,
}

impl Assignment {
    /// In force at `now`: standing or temporary, and inside its window.
    pub fn active_at(&self, now: Timestamp) -> bool {
        self.kind != AssignmentKind::Eligible && self.window.contains(now)
    }
}

/// A member (identity or group) belongs to a group; JIT systems also grant group membership
/// for a window, so memberships carry a kind and window like assignments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Membership {
    pub member: CompactString,
    pub group: CompactString,
    pub kind: AssignmentKind,
    pub window: Window,
    pub provenance: Provenance,
}
