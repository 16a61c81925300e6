//! Identities: people, non-human identities and groups.

use super::{Provenance, Timestamp};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// What kind of principal an identity is. Groups are identities too: they can be members
/// of other groups and hold assignments, but they never act themselves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum IdentityKind {
    Human,
    ServiceAccount,
    Workload,
    AiAgent,
    Group,
}

impl IdentityKind {
    pub const ALL: [IdentityKind; 5] = [
        IdentityKind::Human,
        IdentityKind::ServiceAccount,
        IdentityKind::Workload,
        IdentityKind::AiAgent,
        IdentityKind::Group,
    ];

    /// Non-human identities (OWASP NHI): service accounts, workloads and AI agents.
    pub fn is_non_human(self) -> bool {
        matches!(
            self,
            IdentityKind::ServiceAccount | IdentityKind::Workload | IdentityKind::AiAgent
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            IdentityKind::Human => "human",
            IdentityKind::ServiceAccount => "service-account",
            IdentityKind::Workload => "workload",
            IdentityKind::AiAgent => "ai-agent",
            IdentityKind::Group => "group",
        }
    }

    pub fn parse(s: &str) -> Option<IdentityKind> {
        IdentityKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

impl fmt::Display for IdentityKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Identity {
    /// Stable id as the source names it: an ARN, `system:serviceaccount:ns:name`, a UPN…
    pub id: String,
    /// A human-friendly name; defaults to the id.
    pub name: String,
    pub kind: IdentityKind,
    /// The accountable person or team (required of non-human identities by GV004).
    pub owner: Option<String>,
    pub created: Option<Timestamp>,
    pub last_activity: Option<Timestamp>,
    pub disabled: bool,
    pub tags: BTreeMap<String, String>,
    pub provenance: Provenance,
}

impl Identity {
    pub fn new(id: impl Into<String>, kind: IdentityKind, provenance: Provenance) -> Self {
        let id = id.into();
        Identity {
            name: id.clone(),
            id,
            kind,
            owner: None,
            created: None,
            last_activity: None,
            disabled: false,
            tags: BTreeMap::new(),
            provenance,
        }
    }

    /// How messages name the identity: what [`super::Inventory::display_name`] answers for
    /// its id, without looking it up (a rule judging a million identities would otherwise
    /// look each one up again in a table that no longer fits any cache).
    pub fn display_name(&self) -> &str {
        &self.name
    }
}
