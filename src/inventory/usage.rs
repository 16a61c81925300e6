//! When an identity last used a role it reaches: the same reading SP003 makes.
//!
//! Sources record use at three grains: per identity and role (an assignment's `last_used`,
//! or a `used` event on one of the identity's grants), per group (the `last_used` of the
//! group's assignment that the path goes through), or per role (the role's own
//! `last_used`). The finest grain that has a record wins, and the answer says which one it
//! was, so a reader knows "last used" may mean "by someone in the group".
//!
//! SP003 (`src/rules/sp/sp003_dormant_standing_privilege.rs`) reads use the same way; it could
//! call [`last_use`] instead of its private copy.

use crate::graph::Reached;
use crate::model::{Grant, Inventory, Provenance, Timestamp};
use serde::Serialize;

/// Whose record a last use comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum UseGrain {
    /// The identity's own assignment or grant.
    Own,
    /// The assignment of the group (or role) the path goes through: any member's use.
    Shared,
    /// The role's own last use: any holder's use.
    Role,
}

impl UseGrain {
    pub fn as_str(self) -> &'static str {
        match self {
            UseGrain::Own => "own",
            UseGrain::Shared => "shared",
            UseGrain::Role => "role",
        }
    }
}

/// What the records say about one identity's use of one role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Usage<'a> {
    pub last: Option<Timestamp>,
    /// Set when `last` is known; `Own` otherwise.
    pub grain: UseGrain,
    /// For a shared record: `group platform`, the holder whose record stands in.
    pub shared_through: Option<String>,
    /// Assignment records of exactly this identity and role (they carry `last_used`).
    pub records: Vec<&'a Provenance>,
}

/// The latest use of `reached.role` by `identity`. See the module docs for the grains.
pub fn last_use<'a>(
    inventory: &'a Inventory,
    grants: &[Grant],
    identity: &str,
    reached: &Reached,
) -> Usage<'a> {
    let role: &str = &reached.role;
    let mut records = Vec::new();
    let mut last = None;
    for a in inventory
        .assignments
        .iter()
        .filter(|a| a.subject == identity && a.role == role)
    {
        records.push(&a.provenance);
        last = last.max(a.last_used);
    }
    for used in grants
        .iter()
        .filter(|g| g.principal == identity && g.entitlement == role)
        .flat_map(|g| g.used_at.iter().copied())
    {
        last = last.max(Some(used));
    }
    if last.is_some() {
        return Usage {
            last,
            grain: UseGrain::Own,
            shared_through: None,
            records,
        };
    }
    let granting = reached.path.hops.iter().rev().find(|h| &*h.to.id == role);
    if let Some(hop) = granting.filter(|h| &*h.from.id != identity) {
        let group_use = inventory
            .assignments
            .iter()
            .filter(|a| *a.subject == *hop.from.id && a.role == role)
            .filter_map(|a| a.last_used)
            .max();
        if group_use.is_some() {
            return Usage {
                last: group_use,
                grain: UseGrain::Shared,
                shared_through: Some(format!("{} {}", hop.from.kind, hop.from.id)),
                records,
            };
        }
    }
    match inventory.role(role).and_then(|r| r.last_used) {
        Some(t) => Usage {
            last: Some(t),
            grain: UseGrain::Role,
            shared_through: None,
            records,
        },
        None => Usage {
            last: None,
            grain: UseGrain::Own,
            shared_through: None,
            records,
        },
    }
}
