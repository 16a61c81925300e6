//! Grant events (what a JIT system logged) and change events (what an actor changed).

use super::{Provenance, Timestamp};
use compact_str::CompactString;
use serde::{Deserialize, Serialize};
use std::fmt;

/// One step in a grant's life. The order is the order steps happen in, used to sort
/// events that share a timestamp deterministically.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum GrantEventKind {
    Requested,
    Approved,
    Denied,
    Activated,
    Used,
    Expired,
    Revoked,
    /// A post-hoc review (required of break-glass grants by GV003).
    Reviewed,
}

impl GrantEventKind {
    pub const ALL: [GrantEventKind; 8] = [
        GrantEventKind::Requested,
        GrantEventKind::Approved,
        GrantEventKind::Denied,
        GrantEventKind::Activated,
        GrantEventKind::Used,
        GrantEventKind::Expired,
        GrantEventKind::Revoked,
        GrantEventKind::Reviewed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            GrantEventKind::Requested => "requested",
            GrantEventKind::Approved => "approved",
            GrantEventKind::Denied => "denied",
            GrantEventKind::Activated => "activated",
            GrantEventKind::Used => "used",
            GrantEventKind::Expired => "expired",
            GrantEventKind::Revoked => "revoked",
            GrantEventKind::Reviewed => "reviewed",
        }
    }

    pub fn parse(s: &str) -> Option<GrantEventKind> {
        GrantEventKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

impl fmt::Display for GrantEventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One line of a JIT grant log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GrantEvent {
    pub grant_id: CompactString,
    pub event: GrantEventKind,
    pub time: Timestamp,
    pub principal: Option<CompactString>,
    pub entitlement: Option<CompactString>,
    pub requester: Option<CompactString>,
    pub approver: Option<CompactString>,
    pub justification: Option<CompactString>,
    pub ticket: Option<CompactString>,
    pub window_end: Option<Timestamp>,
    pub break_glass: bool,
    pub provenance: Provenance,
}

impl GrantEvent {
    /// The facts of the event without where it was read: two events with the same key are
    /// the same event logged twice.
    pub fn dedup_key(&self) -> impl Ord + '_ {
        // Every field but the provenance: the inventory sorts grant events by this key and
        // then the provenance, an order that must tell apart any two events that differ
        // (see `sort_grant_events`). The destructuring fails to compile when a field is added.
        let GrantEvent {
            grant_id,
            event,
            time,
            principal,
            entitlement,
            requester,
            approver,
            justification,
            ticket,
            window_end,
            break_glass,
            provenance: _,
        } = self;
        (
            grant_id,
            *time,
            *event,
            principal,
            entitlement,
            requester,
            approver,
            justification,
            ticket,
            *window_end,
            *break_glass,
        )
    }
}

/// What kind of durable access a change created or altered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChangeKind {
    /// A credential was created (access key, token, password, login profile).
    CredentialCreated,
    CredentialDeleted,
    IdentityCreated,
    IdentityDeleted,
    RoleCreated,
    RoleDeleted,
    /// A permission was granted (policy attached or put, binding created, member added).
    PermissionGranted,
    PermissionRevoked,
    /// A trust relationship was created or changed.
    TrustChanged,
    Other,
}

impl ChangeKind {
    pub const ALL: [ChangeKind; 10] = [
        ChangeKind::CredentialCreated,
        ChangeKind::CredentialDeleted,
        ChangeKind::IdentityCreated,
        ChangeKind::IdentityDeleted,
        ChangeKind::RoleCreated,
        ChangeKind::RoleDeleted,
        ChangeKind::PermissionGranted,
        ChangeKind::PermissionRevoked,
        ChangeKind::TrustChanged,
        ChangeKind::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::CredentialCreated => "credential-created",
            ChangeKind::CredentialDeleted => "credential-deleted",
            ChangeKind::IdentityCreated => "identity-created",
            ChangeKind::IdentityDeleted => "identity-deleted",
            ChangeKind::RoleCreated => "role-created",
            ChangeKind::RoleDeleted => "role-deleted",
            ChangeKind::PermissionGranted => "permission-granted",
            ChangeKind::PermissionRevoked => "permission-revoked",
            ChangeKind::TrustChanged => "trust-changed",
            ChangeKind::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<ChangeKind> {
        ChangeKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

impl fmt::Display for ChangeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An actor changed access at a time: the raw material for "what did they leave behind".
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChangeEvent {
    pub time: Timestamp,
    /// Who made the change (identity id, or a session of a role).
    pub actor: String,
    pub kind: ChangeKind,
    /// The source's own name for the action (`AttachRolePolicy`, `create rolebinding`).
    pub action: String,
    /// What was changed: the identity, role, credential or binding id.
    pub target: String,
    /// For grants and revocations: the entitlement given or taken.
    pub entitlement: Option<String>,
    pub provenance: Provenance,
}
