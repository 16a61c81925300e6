//! RV003 revoked-but-still-present: a revoke was logged — by a JIT system or in an audit
//! trail — but the principal still holds what was revoked.

use super::entitlement_words;
use crate::finding::Finding;
use crate::model::time::format_timestamp;
use crate::model::{AssignmentKind, ChangeKind, Provenance, Timestamp, Window};
use crate::rules::{Rule, RuleContext};
use std::collections::BTreeMap;

pub struct RevokedButStillPresent;

impl Rule for RevokedButStillPresent {
    fn evaluate(&self, ctx: &RuleContext<'_>, out: &mut Vec<Finding>) {
        // Revocations a grant records: (principal, entitlement) → times.
        let mut by_grant: BTreeMap<(&str, &str), Vec<Timestamp>> = BTreeMap::new();
        for grant in ctx.grants.iter().filter(|g| g.was_activated()) {
            let Some(revoked) = grant.revoked_at.filter(|t| *t <= ctx.now) else {
                continue;
            };
            by_grant
                .entry((grant.principal.as_str(), grant.entitlement.as_str()))
                .or_default()
                .push(revoked);
            let held = holdings(ctx, &grant.principal, &grant.entitlement);
            if held.is_empty() || open_grant(ctx, &grant.principal, &grant.entitlement, &grant.id) {
                continue;
            }
            let message = format!(
                "Grant {} of {} to {} was revoked at {}, but at the audit time {} still holds it \
                 through {}.",
                grant.id,
                entitlement_words(ctx, &grant.entitlement),
                ctx.inventory.display_name(&grant.principal),
                format_timestamp(revoked),
                ctx.inventory.display_name(&grant.principal),
                describe(&held),
            );
            let mut finding = ctx
                .grant_finding(grant, message)
                .source(held[0].1)
                .grant(grant)
                .fact("revoked_at", format_timestamp(revoked));
            for (_, provenance) in &held {
                finding = finding.source(provenance);
            }
            out.push(finding.fact("still_held_through", describe(&held)).build());
        }

        // The latest logged revocation of each (target, entitlement) in the change events.
        let mut latest: BTreeMap<(&str, &str), &crate::model::ChangeEvent> = BTreeMap::new();
        for change in ctx.inventory.change_events.iter().filter(|c| {
            c.kind == ChangeKind::PermissionRevoked && c.time <= ctx.now && c.entitlement.is_some()
        }) {
            let Some(entitlement) = change.entitlement.as_deref() else {
                continue;
            };
            let slot = latest
                .entry((change.target.as_str(), entitlement))
                .or_insert(change);
            if change.time > slot.time {
                *slot = change;
            }
        }
        for ((principal, entitlement), change) in latest {
            let regranted = ctx.changes_for(principal, entitlement).any(|c| {
                c.kind == ChangeKind::PermissionGranted && c.time > change.time && c.time <= ctx.now
            });
            let recorded_by_grant = by_grant
                .get(&(principal, entitlement))
                .is_some_and(|times| times.contains(&change.time));
            if regranted || recorded_by_grant || open_grant(ctx, principal, entitlement, "") {
                continue;
            }
            let held = holdings(ctx, principal, entitlement);
            if held.is_empty() {
                continue;
            }
            let message = format!(
                "{} removed {} from {} at {} ({}), but at the audit time {} still holds it \
                 through {}.",
                ctx.inventory.display_name(&change.actor),
                entitlement_words(ctx, entitlement),
                ctx.inventory.display_name(principal),
                format_timestamp(change.time),
                change.action,
                ctx.inventory.display_name(principal),
                describe(&held),
            );
            let identity_key = format!("{} {}", change.action, format_timestamp(change.time));
            let mut finding = ctx
                .finding(principal, Some(entitlement), &identity_key, message)
                .source(held[0].1)
                .source(&change.provenance)
                .fact("revoked_at", format_timestamp(change.time))
                .fact("revoked_by", &change.actor);
            for (_, provenance) in &held {
                finding = finding.source(provenance);
            }
            out.push(finding.fact("still_held_through", describe(&held)).build());
        }
    }
}

fn describe(held: &[(String, &Provenance)]) -> String {
    held.iter()
        .map(|(d, _)| d.as_str())
        .collect::<Vec<_>>()
        .join(" and ")
}

/// Non-eligible assignments of `entitlement` (as a role) and memberships of it (as a group)
/// that `principal` holds at the audit time.
fn holdings<'a>(
    ctx: &RuleContext<'a>,
    principal: &str,
    entitlement: &str,
) -> Vec<(String, &'a Provenance)> {
    let in_force = |kind: AssignmentKind, window: &Window| {
        kind != AssignmentKind::Eligible && window.contains(ctx.now)
    };
    let words = |kind: AssignmentKind, relation: &str, window: &Window| match window.end {
        Some(end) => format!("a {kind} {relation} ending {}", format_timestamp(end)),
        None => format!("a {kind} {relation}"),
    };
    let assignments = ctx
        .assignments_for(principal, entitlement)
        .filter(|a| in_force(a.kind, &a.window))
        .map(|a| (words(a.kind, "assignment", &a.window), &a.provenance));
    let memberships = ctx
        .memberships_for(principal, entitlement)
        .filter(|m| in_force(m.kind, &m.window))
        .map(|m| (words(m.kind, "membership", &m.window), &m.provenance));
    assignments.chain(memberships).collect()
}

/// A grant (other than `except`) of the entitlement to the principal is open at the audit
/// time, which explains the holding.
fn open_grant(ctx: &RuleContext<'_>, principal: &str, entitlement: &str, except: &str) -> bool {
    ctx.grants_for(principal, entitlement).any(|g| {
        g.id != except
            && g.activated_at.is_some_and(|a| a <= ctx.now)
            && g.close_time().is_none_or(|c| ctx.now < c)
    })
}

#[cfg(test)]
mod tests {
    use crate::model::{AssignmentKind, GrantEventKind, IdentityKind, PrivilegeLevel};
    use crate::rules::test_support::{only, Fixture};

    const NOW: &str = "2026-06-01T00:00:00Z";

    fn org() -> Fixture {
        let mut f = Fixture::new();
        f.identity("alice", IdentityKind::Human);
        f.role("prod-admin", PrivilegeLevel::Admin);
        f.grant_event(
            "g1",
            GrantEventKind::Activated,
            "2026-05-31T08:00:00Z",
            "alice",
            "prod-admin",
        );
        f.grant_event(
            "g1",
            GrantEventKind::Revoked,
            "2026-05-31T09:00:00Z",
            "alice",
            "prod-admin",
        );
        f
    }

    #[test]
    fn a_revoked_grant_whose_assignment_stayed_fires() {
        let mut f = org();
        f.assign("alice", "prod-admin", AssignmentKind::Standing);
        let finding = only(f.run("RV003", NOW));
        assert_eq!(
            finding.message,
            "Grant g1 of role prod-admin (admin) to alice was revoked at 2026-05-31T09:00:00Z, but \
             at the audit time alice still holds it through a standing assignment."
        );
        assert_eq!(
            finding.evidence.sources[0].record.as_deref(),
            Some("/assignments/0")
        );
    }

    #[test]
    fn removed_eligible_or_reopened_does_not_fire() {
        assert!(org().run("RV003", NOW).is_empty());
        let mut f = org();
        f.assign("alice", "prod-admin", AssignmentKind::Eligible);
        assert!(f.run("RV003", NOW).is_empty());
        let mut f = org();
        f.assign("alice", "prod-admin", AssignmentKind::Temporary);
        f.activation(
            "g2",
            "2026-05-31T22:00:00Z",
            "alice",
            "prod-admin",
            "2026-06-01T02:00:00Z",
        );
        assert!(f.run("RV003", NOW).is_empty());
        // Revoked after the audit time: not yet a revocation.
        let mut f = org();
        f.assign("alice", "prod-admin", AssignmentKind::Standing);
        assert!(f.run("RV003", "2026-05-31T08:30:00Z").is_empty());
    }
}
