//! The records of the generic formats exactly as written (serde, unknown fields denied),
//! and their mapping to canonical model records.
//!
//! `extensions` is accepted on every record and deserialized as [`IgnoredAny`]: whatever
//! it holds is skipped, never stored, so a value put there by mistake cannot leak.

use super::fields::{
    null_as_empty, present, stamp, Duration, Expecting, Id, MapOnly, Stamp, Version,
};
use crate::model::{
    classify_permissions, Assignment, AssignmentKind, ChangeEvent, ChangeKind, Condition,
    ConditionKind, Escalation, GrantEvent, GrantEventKind, Identity, IdentityKind, JitPolicy,
    Membership, PrivilegeLevel, Provenance, Role, Secret, SecretKind, Trust, Window,
};
use compact_str::CompactString;
use serde::de::IgnoredAny;
use serde::Deserialize;
use std::collections::BTreeMap;

/// The names of the inventory's top-level sections, in document order.
pub(crate) const SECTIONS: [&str; 10] = [
    "identities",
    "roles",
    "memberships",
    "assignments",
    "trusts",
    "escalations",
    "secrets",
    "grant_events",
    "change_events",
    "jit_policies",
];

/// The top-level key that is not a section.
pub(crate) const VERSION_KEY: &str = "version";

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct InventoryDocument {
    #[serde(rename = "version")]
    _version: Option<Version>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub identities: Vec<MapOnly<IdentityRecord>>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub roles: Vec<MapOnly<RoleRecord>>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub memberships: Vec<MapOnly<MembershipRecord>>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub assignments: Vec<MapOnly<AssignmentRecord>>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub trusts: Vec<MapOnly<TrustRecord>>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub escalations: Vec<MapOnly<EscalationRecord>>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub secrets: Vec<MapOnly<SecretRecord>>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub grant_events: Vec<MapOnly<GrantEventRecord>>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub change_events: Vec<MapOnly<ChangeEventRecord>>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub jit_policies: Vec<MapOnly<JitPolicyRecord>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct IdentityRecord {
    id: Id,
    name: Option<String>,
    kind: IdentityKind,
    owner: Option<String>,
    created: Option<Stamp>,
    last_activity: Option<Stamp>,
    disabled: Option<bool>,
    #[serde(default, deserialize_with = "null_as_empty")]
    tags: BTreeMap<String, String>,
    #[serde(default, deserialize_with = "null_as_empty")]
    member_of: Vec<Id>,
    #[serde(rename = "extensions")]
    _extensions: Option<IgnoredAny>,
}

impl IdentityRecord {
    pub fn to_identity(&self, provenance: Provenance) -> Identity {
        Identity {
            id: self.id.0.to_string(),
            name: present(self.name.clone()).unwrap_or_else(|| self.id.0.to_string()),
            kind: self.kind,
            owner: present(self.owner.clone()),
            created: stamp(self.created),
            last_activity: stamp(self.last_activity),
            disabled: self.disabled.unwrap_or(false),
            tags: self.tags.clone(),
            provenance,
        }
    }

    /// The `member_of` shorthand: a standing, unbounded membership per group.
    pub fn to_memberships(&self, provenance: impl Fn(usize) -> Provenance) -> Vec<Membership> {
        self.member_of
            .iter()
            .enumerate()
            .map(|(index, group)| Membership {
                member: self.id.0.clone(),
                group: group.0.clone(),
                kind: AssignmentKind::Standing,
                window: Window::UNBOUNDED,
                provenance: provenance(index),
            })
            .collect()
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RoleRecord {
    id: Id,
    name: Option<String>,
    #[serde(default, deserialize_with = "null_as_empty")]
    permissions: Vec<String>,
    privilege: Option<PrivilegeLevel>,
    scope: Option<String>,
    last_used: Option<Stamp>,
    #[serde(default, deserialize_with = "null_as_empty")]
    tags: BTreeMap<String, String>,
    #[serde(rename = "extensions")]
    _extensions: Option<IgnoredAny>,
}

impl RoleRecord {
    pub fn into_role(self, provenance: Provenance) -> Role {
        // A declared level is a floor: the permissions may show the role is worth more.
        let computed = classify_permissions(&self.permissions);
        let privilege = self
            .privilege
            .map_or(computed, |declared| declared.max(computed));
        Role {
            name: present(self.name).unwrap_or_else(|| self.id.0.to_string()),
            id: self.id.0.into(),
            permissions: self.permissions,
            privilege,
            scope: present(self.scope),
            last_used: stamp(self.last_used),
            tags: self.tags,
            provenance,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct MembershipRecord {
    member: Id,
    group: Id,
    kind: Option<AssignmentKind>,
    start: Option<Stamp>,
    end: Option<Stamp>,
    #[serde(rename = "extensions")]
    _extensions: Option<IgnoredAny>,
}

impl MembershipRecord {
    pub fn window(&self) -> Window {
        Window {
            start: stamp(self.start),
            end: stamp(self.end),
        }
    }

    pub fn into_membership(self, provenance: Provenance) -> Membership {
        Membership {
            window: self.window(),
            member: self.member.0,
            group: self.group.0,
            kind: self.kind.unwrap_or(AssignmentKind::Standing),
            provenance,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AssignmentRecord {
    subject: Id,
    role: Id,
    kind: Option<AssignmentKind>,
    start: Option<Stamp>,
    end: Option<Stamp>,
    last_used: Option<Stamp>,
    #[serde(rename = "extensions")]
    _extensions: Option<IgnoredAny>,
}

impl AssignmentRecord {
    pub fn window(&self) -> Window {
        Window {
            start: stamp(self.start),
            end: stamp(self.end),
        }
    }

    pub fn into_assignment(self, provenance: Provenance) -> Assignment {
        Assignment {
            window: self.window(),
            subject: self.subject.0,
            role: self.role.0,
            kind: self.kind.unwrap_or(AssignmentKind::Standing),
            last_used: stamp(self.last_used),
            provenance,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TrustRecord {
    role: Id,
    principal: Id,
    #[serde(default, deserialize_with = "null_as_empty")]
    conditions: Vec<MapOnly<ConditionRecord>>,
    #[serde(rename = "extensions")]
    _extensions: Option<IgnoredAny>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConditionRecord {
    kind: ConditionKind,
    detail: Option<String>,
    #[serde(rename = "extensions")]
    _extensions: Option<IgnoredAny>,
}

impl TrustRecord {
    pub fn into_trust(self, provenance: Provenance) -> Trust {
        Trust {
            role: self.role.0.into(),
            principal: self.principal.0.into(),
            conditions: self
                .conditions
                .into_iter()
                .map(|MapOnly(c)| Condition {
                    kind: c.kind,
                    detail: c.detail.unwrap_or_default(),
                })
                .collect(),
            provenance,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct EscalationRecord {
    principal: Id,
    target: Id,
    method: Id,
    #[serde(rename = "extensions")]
    _extensions: Option<IgnoredAny>,
}

impl EscalationRecord {
    pub fn into_escalation(self, provenance: Provenance) -> Escalation {
        Escalation {
            principal: self.principal.0.into(),
            target: self.target.0.into(),
            method: self.method.0.into(),
            provenance,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SecretRecord {
    id: Id,
    kind: SecretKind,
    owner: Option<String>,
    created: Option<Stamp>,
    last_rotated: Option<Stamp>,
    last_used: Option<Stamp>,
    expires: Option<Stamp>,
    active: Option<bool>,
    #[serde(rename = "extensions")]
    _extensions: Option<IgnoredAny>,
}

impl SecretRecord {
    pub fn into_secret(self, provenance: Provenance) -> Secret {
        Secret {
            id: self.id.0.into(),
            kind: self.kind,
            owner: present(self.owner),
            created: stamp(self.created),
            last_rotated: stamp(self.last_rotated),
            last_used: stamp(self.last_used),
            expires: stamp(self.expires),
            active: self.active.unwrap_or(true),
            provenance,
        }
    }
}

/// One grant event: an element of `grant_events` or one line of a JSON Lines grant log.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct GrantEventRecord {
    grant_id: Id,
    event: GrantEventKind,
    time: Stamp,
    principal: Option<CompactString>,
    entitlement: Option<CompactString>,
    requester: Option<CompactString>,
    approver: Option<CompactString>,
    justification: Option<CompactString>,
    ticket: Option<CompactString>,
    window_end: Option<Stamp>,
    break_glass: Option<bool>,
    #[serde(rename = "extensions")]
    _extensions: Option<IgnoredAny>,
}

impl GrantEventRecord {
    pub fn into_grant_event(self, provenance: Provenance) -> GrantEvent {
        GrantEvent {
            grant_id: self.grant_id.0,
            event: self.event,
            time: self.time.0,
            principal: present(self.principal),
            entitlement: present(self.entitlement),
            requester: present(self.requester),
            approver: present(self.approver),
            justification: present(self.justification),
            ticket: present(self.ticket),
            window_end: stamp(self.window_end),
            break_glass: self.break_glass.unwrap_or(false),
            provenance,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ChangeEventRecord {
    time: Stamp,
    actor: Id,
    kind: ChangeKind,
    action: Id,
    target: Id,
    entitlement: Option<String>,
    #[serde(rename = "extensions")]
    _extensions: Option<IgnoredAny>,
}

impl ChangeEventRecord {
    pub fn into_change_event(self, provenance: Provenance) -> ChangeEvent {
        ChangeEvent {
            time: self.time.0,
            actor: self.actor.0.into(),
            kind: self.kind,
            action: self.action.0.into(),
            target: self.target.0.into(),
            entitlement: present(self.entitlement),
            provenance,
        }
    }
}

/// A JIT system's activation policy for one role.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct JitPolicyRecord {
    id: Id,
    system: Id,
    role: Id,
    max_window: Option<Duration>,
    approval_required: Option<bool>,
    justification_required: Option<bool>,
    ticket_required: Option<bool>,
    #[serde(rename = "extensions")]
    _extensions: Option<IgnoredAny>,
}

impl JitPolicyRecord {
    pub fn into_jit_policy(self, provenance: Provenance) -> JitPolicy {
        JitPolicy {
            id: self.id.0.into(),
            system: self.system.0.into(),
            role: self.role.0.into(),
            max_window: self.max_window.map(|d| d.0),
            approval_required: self.approval_required,
            justification_required: self.justification_required,
            ticket_required: self.ticket_required,
            provenance,
        }
    }
}

// How each record is named in "invalid type: …, expected …" errors.

impl Expecting for InventoryDocument {
    const EXPECTING: &'static str = "a mapping with `version` and the sections identities, roles, memberships, assignments, trusts, escalations, secrets, grant_events, change_events, jit_policies";
}

impl Expecting for IdentityRecord {
    const EXPECTING: &'static str = "an identity mapping (id, kind, …)";
}

impl Expecting for RoleRecord {
    const EXPECTING: &'static str = "a role mapping (id, permissions, …)";
}

impl Expecting for MembershipRecord {
    const EXPECTING: &'static str = "a membership mapping (member, group, …)";
}

impl Expecting for AssignmentRecord {
    const EXPECTING: &'static str = "an assignment mapping (subject, role, …)";
}

impl Expecting for TrustRecord {
    const EXPECTING: &'static str = "a trust mapping (role, principal, conditions)";
}

impl Expecting for ConditionRecord {
    const EXPECTING: &'static str = "a condition mapping (kind, detail)";
}

impl Expecting for EscalationRecord {
    const EXPECTING: &'static str = "an escalation mapping (principal, target, method)";
}

impl Expecting for SecretRecord {
    const EXPECTING: &'static str = "a secret metadata mapping (id, kind, …; never the value)";
}

impl Expecting for GrantEventRecord {
    const EXPECTING: &'static str = "a grant event object (grant_id, event, time, …)";
}

impl Expecting for ChangeEventRecord {
    const EXPECTING: &'static str = "a change event mapping (time, actor, kind, action, target, …)";
}

impl Expecting for JitPolicyRecord {
    const EXPECTING: &'static str = "a JIT policy mapping (id, system, role, max_window, …)";
}
