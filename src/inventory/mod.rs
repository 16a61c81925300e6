//! The pre-JIT-rollout inventory: every privilege each identity holds, how it is reached,
//! when it was last used, and what to do with it when JIT arrives.
//!
//! One row per (identity, entitlement, how it is held): an identity that holds a role both
//! standing and as JIT-eligible gets two rows. Rows come from the graph's reach queries
//! ([`PermissionGraph::reach`] and [`PermissionGraph::eligible_reach`]), last use from
//! [`usage::last_use`], and the recommendation from [`recommend`], whose rules
//! docs/inventory.md explains. Rows are sorted by identity, entitlement and kind, so the
//! output is the same whatever the thread count.

mod render;
pub mod usage;

pub use render::{csv, json, secrets_cell, CSV_COLUMNS};
pub use usage::{last_use, Usage, UseGrain};

use crate::config::AuditPolicy;
use crate::graph::{PermissionGraph, ReachMode, Reached, Relation};
use crate::model::time::{days_between, format_timestamp};
use crate::model::{
    AssignmentKind, Grant, IdentityKind, Inventory, PrivilegeLevel, SecretKind, Timestamp,
};
use crate::report::{SourceSummary, ToolInfo};
use rayon::prelude::*;
use serde::Serialize;
use std::collections::{BTreeMap, HashSet};
use std::fmt;

/// The version of the inventory JSON's shape; bumped on any incompatible change.
pub const INVENTORY_SCHEMA_VERSION: u32 = 1;

/// The thresholds the recommendation uses (`residue inventory --unused-days … --daily-days …
/// --split-permissions …`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct InventoryParams {
    /// No recorded use for this many days (or never): remove.
    pub unused_days: i64,
    /// Last used within this many days: used often (keep standing, or split if broad).
    pub daily_days: i64,
    /// A role carrying at least this many permissions is broad enough to split when used often.
    pub split_permissions: usize,
}

impl Default for InventoryParams {
    fn default() -> Self {
        InventoryParams {
            unused_days: 90,
            daily_days: 7,
            split_permissions: 10,
        }
    }
}

/// What to do with a privilege when JIT arrives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Recommendation {
    /// Unused for too long (or never), or held in a way nobody intended: take it away.
    Remove,
    /// High privilege used rarely: make it JIT-eligible.
    ConvertToJit,
    /// Used often but broader than the task: a narrow standing role plus JIT for the rest.
    Split,
    /// Low privilege used often (or a break-glass account): leave it standing.
    KeepStanding,
    /// Already eligible or temporary: JIT already governs it.
    AlreadyJit,
}

impl Recommendation {
    pub const ALL: [Recommendation; 5] = [
        Recommendation::Remove,
        Recommendation::ConvertToJit,
        Recommendation::Split,
        Recommendation::KeepStanding,
        Recommendation::AlreadyJit,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Recommendation::Remove => "remove",
            Recommendation::ConvertToJit => "convert-to-jit",
            Recommendation::Split => "split",
            Recommendation::KeepStanding => "keep-standing",
            Recommendation::AlreadyJit => "already-jit",
        }
    }
}

impl fmt::Display for Recommendation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a privilege is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Held {
    /// An assignment to the identity itself.
    Direct,
    /// Through group membership (nested groups included), then the group's assignment.
    Group,
    /// Through a trust (assume-role, impersonation) somewhere on the path.
    Chain,
    /// Not held yet: the identity can grant it to itself by an escalation method.
    Escalation,
}

impl Held {
    pub fn as_str(self) -> &'static str {
        match self {
            Held::Direct => "direct",
            Held::Group => "group",
            Held::Chain => "chain",
            Held::Escalation => "escalation",
        }
    }

    fn of(reached: &Reached) -> Held {
        let hops = &reached.path.hops;
        if reached.path.via_escalation {
            Held::Escalation
        } else if hops.len() == 1 && hops[0].relation == Relation::Assigned {
            Held::Direct
        } else if hops.split_last().is_some_and(|(last, init)| {
            last.relation == Relation::Assigned
                && init.iter().all(|h| h.relation == Relation::MemberOf)
        }) {
            Held::Group
        } else {
            Held::Chain
        }
    }
}

/// A secret the identity can authenticate with: metadata only, never its value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HeldSecret {
    pub id: String,
    pub kind: SecretKind,
    pub active: bool,
    /// Days since the current value was set (last rotation, else creation), when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub age_days: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_used: Option<Timestamp>,
}

/// One (identity, entitlement, kind) of the inventory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InventoryRow {
    pub identity: String,
    pub identity_kind: IdentityKind,
    pub entitlement: String,
    pub privilege: PrivilegeLevel,
    /// Number of permissions the role carries, as its source states them.
    pub permissions: usize,
    pub assignment: AssignmentKind,
    pub held: Held,
    /// The path in one line: `alice -member-of(standing)-> platform -assigned(standing)-> ops`.
    pub path: String,
    /// Condition kinds guarding the path (`mfa`, `approval`…), deduplicated in path order.
    pub conditions: Vec<String>,
    /// End of a temporary grant's window, when the path has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub window_end: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_used: Option<Timestamp>,
    /// Whose record `last_used` is: `own`, `shared` (a group's), `role` (any holder's).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_used_grain: Option<UseGrain>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub days_unused: Option<i64>,
    pub secrets: Vec<HeldSecret>,
    pub recommendation: Recommendation,
    /// One sentence saying why, with the numbers.
    pub reason: String,
    /// The path hop by hop, with each hop's source record.
    pub hops: crate::graph::Path,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct InventorySummary {
    pub rows: usize,
    pub identities: usize,
    pub by_recommendation: BTreeMap<Recommendation, usize>,
}

/// The inventory as written to CSV, JSON and HTML.
#[derive(Debug, Clone, Serialize)]
pub struct InventoryReport {
    pub schema_version: u32,
    pub tool: ToolInfo,
    pub audit_time: Timestamp,
    pub sources: Vec<SourceSummary>,
    pub parameters: InventoryParams,
    pub summary: InventorySummary,
    pub rows: Vec<InventoryRow>,
}

impl InventoryReport {
    pub fn new(
        rows: Vec<InventoryRow>,
        sources: Vec<SourceSummary>,
        parameters: InventoryParams,
        audit_time: Timestamp,
    ) -> InventoryReport {
        let mut summary = InventorySummary {
            rows: rows.len(),
            identities: rows
                .iter()
                .map(|r| r.identity.as_str())
                .collect::<HashSet<_>>()
                .len(),
            by_recommendation: Recommendation::ALL.into_iter().map(|r| (r, 0)).collect(),
        };
        for r in &rows {
            *summary
                .by_recommendation
                .entry(r.recommendation)
                .or_default() += 1;
        }
        InventoryReport {
            schema_version: INVENTORY_SCHEMA_VERSION,
            tool: ToolInfo::default(),
            audit_time,
            sources,
            parameters,
            summary,
            rows,
        }
    }
}

/// The facts a recommendation is made from, separated from the graph so the rules can be
/// read (and tested) on their own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Facts<'a> {
    pub privilege: PrivilegeLevel,
    pub permissions: usize,
    pub assignment: AssignmentKind,
    pub held: Held,
    /// A temporary grant whose window closed but which is still listed.
    pub lingering: bool,
    pub window_end: Option<Timestamp>,
    pub disabled: bool,
    pub break_glass: bool,
    pub escalation_method: Option<&'a str>,
    /// Days since the last recorded use, if any.
    pub days_unused: Option<i64>,
    /// Days since the path was granted, when a hop records its start.
    pub days_granted: Option<i64>,
    /// `as recorded for group platform` when the use is not the identity's own.
    pub shared_note: Option<&'a str>,
}

/// The recommendation and its reason. The rules, in order (docs/inventory.md):
///
/// 1. eligible, or temporary inside its window → already JIT;
/// 2. temporary whose window closed but still listed, or with no end at all → remove;
/// 3. held only through an escalation method → remove the permission that allows it;
/// 4. a disabled identity → remove;
/// 5. a break-glass account → keep standing (dormant by design; each use is reviewed);
/// 6. no recorded use for `unused_days` → remove; never any recorded use, granted longer ago
///    or at an unknown time → remove at write or above, keep standing at read or none
///    (sources rarely log reads, so no record is no evidence of disuse);
/// 7. last used within `daily_days` (used often): permissions-management or above, or at
///    least `split_permissions` permissions → split; else keep standing;
/// 8. otherwise (used rarely, or granted recently and not used yet): write or above →
///    convert to JIT-eligible; read or none → keep standing.
pub fn recommend(f: &Facts<'_>, p: &InventoryParams) -> (Recommendation, String) {
    let (recommendation, reason) = recommend_raw(f, p);
    let mut chars = reason.chars();
    let sentence = match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => reason,
    };
    (recommendation, sentence)
}

fn recommend_raw(f: &Facts<'_>, p: &InventoryParams) -> (Recommendation, String) {
    use Recommendation::*;
    let level = f.privilege;
    match f.assignment {
        AssignmentKind::Eligible => {
            return (
                AlreadyJit,
                "JIT-eligible: grants nothing until activated.".to_string(),
            )
        }
        AssignmentKind::Temporary if !f.lingering && f.window_end.is_some() => {
            let until = f
                .window_end
                .map(|t| format!(" until {}", format_timestamp(t)))
                .unwrap_or_default();
            return (AlreadyJit, format!("Temporary grant in force{until}."));
        }
        AssignmentKind::Temporary if f.window_end.is_none() => {
            return (
                Remove,
                "Temporary assignment with no end: nothing takes it back. Remove it; JIT \
                 grants it again on request."
                    .to_string(),
            );
        }
        AssignmentKind::Temporary => {
            let closed = f
                .window_end
                .map(|t| format!(" on {}", format_timestamp(t)))
                .unwrap_or_default();
            return (
                Remove,
                format!(
                    "Temporary grant whose window closed{closed} is still present: it was never \
                     taken back."
                ),
            );
        }
        AssignmentKind::Standing => {}
    }
    if let Some(method) = f.escalation_method {
        return (
            Remove,
            format!(
                "Not granted, but reachable by escalation method {method}: remove the \
                 permission that allows it."
            ),
        );
    }
    if f.disabled {
        return (
            Remove,
            "The identity is disabled but still holds this role.".to_string(),
        );
    }
    if f.break_glass {
        return (
            KeepStanding,
            "Break-glass account: standing by design; review every use.".to_string(),
        );
    }
    let shared = f
        .shared_note
        .map(|s| format!(", as recorded {s}"))
        .unwrap_or_default();
    let broad =
        level >= PrivilegeLevel::PermissionsManagement || f.permissions >= p.split_permissions;
    match f.days_unused {
        Some(d) if d >= p.unused_days => (
            Remove,
            format!(
                "Not used for {d} days{shared} (limit {} days): remove it.",
                p.unused_days
            ),
        ),
        None if f.days_granted.is_none_or(|g| g >= p.unused_days) => {
            let since = f
                .days_granted
                .map(|g| format!(" in the {g} days since it was granted"))
                .unwrap_or_default();
            if level >= PrivilegeLevel::Write {
                (
                    Remove,
                    format!(
                        "No use recorded{since} (limit {} days): remove it, after checking \
                         audit logs if this source does not record use.",
                        p.unused_days
                    ),
                )
            } else {
                // Sources rarely log reads: no record is no evidence of disuse, and the
                // privilege is low. Say so rather than recommend removing everyone's access.
                (
                    KeepStanding,
                    format!(
                        "{level} privilege with no use recorded{since}: low risk, keep it \
                         standing, or confirm with its owner that it is still needed."
                    ),
                )
            }
        }
        Some(d) if d < p.daily_days => {
            if broad {
                let breadth = if level >= PrivilegeLevel::PermissionsManagement {
                    format!("{level} privilege")
                } else {
                    format!("{} permissions", f.permissions)
                };
                (
                    Split,
                    format!(
                        "Used {}{shared} (often), but carries {breadth}: keep a narrow \
                         standing role for the daily task and make the rest JIT-eligible.",
                        ago(d)
                    ),
                )
            } else {
                (
                    KeepStanding,
                    format!(
                        "Used {}{shared} (often) at {level} level with {} \
                         permission(s): JIT would only add friction.",
                        ago(d),
                        f.permissions
                    ),
                )
            }
        }
        used => {
            let when = match used {
                Some(d) => format!("last used {}{shared}", ago(d)),
                None => format!(
                    "granted {} days ago and not used yet",
                    f.days_granted.unwrap_or(0)
                ),
            };
            if level >= PrivilegeLevel::Write {
                (
                    ConvertToJit,
                    format!("{level} privilege used rarely ({when}): make it JIT-eligible."),
                )
            } else {
                (
                    KeepStanding,
                    format!("{level} privilege ({when}): low risk, keep it standing."),
                )
            }
        }
    }
}

/// `today`, `1 day ago`, `12 days ago`.
fn ago(days: i64) -> String {
    match days {
        0 => "today".to_string(),
        1 => "1 day ago".to_string(),
        d => format!("{d} days ago"),
    }
}

/// Builds every row. Identities are processed in parallel and the rows sorted after.
pub fn build(
    inventory: &Inventory,
    graph: &PermissionGraph,
    grants: &[Grant],
    policy: &AuditPolicy,
    now: Timestamp,
    params: &InventoryParams,
) -> Vec<InventoryRow> {
    let mut rows: Vec<InventoryRow> = inventory
        .identities
        .par_iter()
        .filter(|i| i.kind != IdentityKind::Group)
        .flat_map_iter(|identity| {
            let mut out = Vec::new();
            let Some(node) = graph.identity(&identity.id) else {
                return out;
            };
            let standing = graph.reach(node, now, ReachMode::Standing);
            let standing_roles: HashSet<&str> = standing.iter().map(|r| &*r.role).collect();
            let temporary: Vec<Reached> = graph
                .reach(node, now, ReachMode::Effective)
                .into_iter()
                .filter(|r| !standing_roles.contains(&*r.role))
                .collect();
            let eligible = graph.eligible_reach(node, now);
            let secrets = held_secrets(inventory, &identity.id, now);
            let ctx = RowContext {
                inventory,
                grants,
                policy,
                now,
                params,
                secrets: &secrets,
            };
            for r in &standing {
                out.push(ctx.row(identity, r, kind_of(r, AssignmentKind::Standing)));
            }
            for r in &temporary {
                out.push(ctx.row(identity, r, AssignmentKind::Temporary));
            }
            for r in &eligible {
                out.push(ctx.row(identity, r, AssignmentKind::Eligible));
            }
            out
        })
        .collect();
    rows.sort_by(|a, b| {
        (&a.identity, &a.entitlement, a.assignment, &a.path).cmp(&(
            &b.identity,
            &b.entitlement,
            b.assignment,
            &b.path,
        ))
    });
    rows
}

/// A standing-reach path made of a lingering temporary hop is a temporary row.
fn kind_of(reached: &Reached, default: AssignmentKind) -> AssignmentKind {
    if reached
        .path
        .hops
        .iter()
        .any(|h| h.kind == Some(AssignmentKind::Temporary))
    {
        AssignmentKind::Temporary
    } else {
        default
    }
}

fn held_secrets(inventory: &Inventory, identity: &str, now: Timestamp) -> Vec<HeldSecret> {
    let mut v: Vec<HeldSecret> = inventory
        .secrets
        .iter()
        .filter(|s| s.owner.as_deref() == Some(identity))
        .map(|s| HeldSecret {
            id: s.id.clone(),
            kind: s.kind,
            active: s.active,
            age_days: s.age_reference().map(|t| days_between(t, now)),
            last_used: s.last_used,
        })
        .collect();
    v.sort_by(|a, b| a.id.cmp(&b.id));
    v
}

struct RowContext<'a> {
    inventory: &'a Inventory,
    grants: &'a [Grant],
    policy: &'a AuditPolicy,
    now: Timestamp,
    params: &'a InventoryParams,
    secrets: &'a [HeldSecret],
}

impl RowContext<'_> {
    fn row(
        &self,
        identity: &crate::model::Identity,
        reached: &Reached,
        assignment: AssignmentKind,
    ) -> InventoryRow {
        let held = Held::of(reached);
        let usage = last_use(self.inventory, self.grants, &identity.id, reached);
        let days_unused = usage.last.map(|t| days_between(t, self.now));
        let days_granted = reached.path.granted_at().map(|t| days_between(t, self.now));
        let window_end = reached
            .path
            .hops
            .iter()
            .filter(|h| h.kind == Some(AssignmentKind::Temporary))
            .filter_map(|h| h.window.and_then(|w| w.end))
            .min();
        let lingering = assignment == AssignmentKind::Temporary
            && window_end.is_some_and(|end| end <= self.now);
        let escalation_method = reached.path.hops.iter().find_map(|h| h.method.as_deref());
        let shared_note = match usage.grain {
            UseGrain::Own => None,
            UseGrain::Shared => usage.shared_through.as_ref().map(|s| format!("for {s}")),
            UseGrain::Role => Some("for the role (any holder)".to_string()),
        };
        let role = self.inventory.role(&reached.role);
        let permissions = role.map(|r| r.permissions.len()).unwrap_or(0);
        let facts = Facts {
            privilege: reached.privilege,
            permissions,
            assignment,
            held,
            lingering,
            window_end,
            disabled: identity.disabled,
            break_glass: self.policy.break_glass.contains(&identity.id),
            escalation_method,
            days_unused,
            days_granted,
            shared_note: shared_note.as_deref(),
        };
        let (recommendation, reason) = recommend(&facts, self.params);
        let mut conditions: Vec<String> = Vec::new();
        for c in reached.path.conditions() {
            let k = c.kind.as_str().to_string();
            if !conditions.contains(&k) {
                conditions.push(k);
            }
        }
        InventoryRow {
            identity: identity.id.clone(),
            identity_kind: identity.kind,
            entitlement: reached.role.to_string(),
            privilege: reached.privilege,
            permissions,
            assignment,
            held,
            path: reached.path.to_string(),
            conditions,
            window_end,
            last_used: usage.last,
            last_used_grain: usage.last.map(|_| usage.grain),
            days_unused,
            secrets: self.secrets.to_vec(),
            recommendation,
            reason,
            hops: reached.path.clone(),
        }
    }
}

#[cfg(test)]
mod tests;
