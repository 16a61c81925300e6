//! RV001 expired-grant-still-assigned: a JIT grant closed, yet its principal still holds
//! the entitlement — the revocation never happened.

use super::{entitlement_words, how_closed};
use crate::finding::Finding;
use crate::model::time::format_timestamp;
use crate::model::{AssignmentKind, Grant, Provenance, Window};
use crate::rules::{Rule, RuleContext};

pub struct ExpiredGrantStillAssigned;

impl Rule for ExpiredGrantStillAssigned {
    fn evaluate(&self, ctx: &RuleContext<'_>, out: &mut Vec<Finding>) {
        for grant in ctx
            .grants
            .iter()
            .filter(|g| g.was_activated() && g.closed_by(ctx.now))
        {
            let holdings = holdings(ctx, grant);
            let Some(first) = holdings.first() else {
                continue;
            };
            if another_grant_open(ctx, grant) {
                continue;
            }
            let who = ctx.inventory.display_name(&grant.principal);
            let what = entitlement_words(ctx, &grant.entitlement);
            let through: Vec<String> = holdings.iter().map(|h| h.describe()).collect();
            let message = format!(
                "Grant {} gave {who} {what}, and it {}, but at the audit time {who} still holds it \
                 through {}.",
                grant.id,
                how_closed(grant),
                through.join(" and "),
            );
            let mut finding = ctx
                .finding(
                    &grant.principal,
                    Some(&grant.entitlement),
                    &grant.id,
                    message,
                )
                // The lingering record is what an auditor must go and remove: it locates the finding.
                .source(first.provenance)
                .grant(grant);
            if let Some(close) = grant.close_time() {
                finding = finding.fact("closed_at", format_timestamp(close));
            }
            for h in &holdings {
                finding = finding.source(h.provenance);
            }
            out.push(
                finding
                    .fact("still_held_through", through.join("; "))
                    .build(),
            );
        }
    }
}

/// An assignment or membership that keeps the entitlement in force at the audit time.
struct Holding<'a> {
    relation: &'static str,
    kind: AssignmentKind,
    window: Window,
    provenance: &'a Provenance,
}

impl Holding<'_> {
    fn describe(&self) -> String {
        match self.window.end {
            Some(end) => format!(
                "a {} {} ending {}",
                self.kind,
                self.relation,
                format_timestamp(end)
            ),
            None => format!("a {} {}", self.kind, self.relation),
        }
    }
}

/// Non-eligible assignments of the entitlement (as a role) and memberships of it (as a
/// group) that are in force at the audit time. An eligible record grants nothing until it is
/// activated, and a record whose window ended no longer holds anything.
fn holdings<'a>(ctx: &RuleContext<'a>, grant: &Grant) -> Vec<Holding<'a>> {
    let in_force = |kind: AssignmentKind, window: &Window| {
        kind != AssignmentKind::Eligible && window.contains(ctx.now)
    };
    let assignments = ctx
        .inventory
        .assignments
        .iter()
        .filter(|a| {
            a.subject == grant.principal
                && a.role == grant.entitlement
                && in_force(a.kind, &a.window)
        })
        .map(|a| Holding {
            relation: "assignment",
            kind: a.kind,
            window: a.window,
            provenance: &a.provenance,
        });
    let memberships = ctx
        .inventory
        .memberships
        .iter()
        .filter(|m| {
            m.member == grant.principal
                && m.group == grant.entitlement
                && in_force(m.kind, &m.window)
        })
        .map(|m| Holding {
            relation: "membership",
            kind: m.kind,
            window: m.window,
            provenance: &m.provenance,
        });
    assignments.chain(memberships).collect()
}

/// Another grant of the same entitlement to the same principal is in force now, which
/// explains the assignment.
fn another_grant_open(ctx: &RuleContext<'_>, closed: &Grant) -> bool {
    ctx.grants.iter().any(|g| {
        g.id != closed.id
            && g.principal == closed.principal
            && g.entitlement == closed.entitlement
            && g.activated_at.is_some_and(|a| a <= ctx.now)
            && g.close_time().is_none_or(|c| ctx.now < c)
    })
}

#[cfg(test)]
mod tests {
    use crate::model::{AssignmentKind, GrantEventKind, IdentityKind, PrivilegeLevel};
    use crate::rules::test_support::{only, ts, Fixture};

    const NOW: &str = "2026-06-01T00:00:00Z";

    /// alice got prod-admin through JIT from 08:00 to 12:00 on 31 May.
    fn org() -> Fixture {
        let mut f = Fixture::new();
        f.identity("alice", IdentityKind::Human);
        f.role("prod-admin", PrivilegeLevel::Admin);
        f.assign("alice", "prod-admin", AssignmentKind::Eligible);
        f.grant_event(
            "g1",
            GrantEventKind::Activated,
            "2026-05-31T08:00:00Z",
            "alice",
            "prod-admin",
        )
        .window_end = Some(ts("2026-05-31T12:00:00Z"));
        f.grant_event(
            "g1",
            GrantEventKind::Expired,
            "2026-05-31T12:00:00Z",
            "alice",
            "prod-admin",
        );
        f
    }

    #[test]
    fn a_closed_grant_whose_assignment_stayed_fires() {
        let mut f = org();
        f.assign("alice", "prod-admin", AssignmentKind::Temporary);
        let finding = only(f.run("RV001", NOW));
        assert_eq!(finding.subject, "alice");
        assert_eq!(finding.entitlement.as_deref(), Some("prod-admin"));
        assert_eq!(
            finding.message,
            "Grant g1 gave alice role prod-admin (admin), and it expired at 2026-05-31T12:00:00Z, \
             but at the audit time alice still holds it through a temporary assignment."
        );
        assert_eq!(
            finding.evidence.grant.as_ref().map(|g| g.id.as_str()),
            Some("g1")
        );
        assert_eq!(
            finding.evidence.sources[0].record.as_deref(),
            Some("/assignments/1")
        );
        let later = only(f.run("RV001", "2026-07-01T00:00:00Z"));
        assert_eq!(finding.fingerprint, later.fingerprint);
    }

    #[test]
    fn a_lingering_group_membership_fires() {
        let mut f = Fixture::new();
        f.identity("bob", IdentityKind::Human);
        f.identity("admins", IdentityKind::Group);
        f.member("bob", "admins", AssignmentKind::Standing);
        f.grant_event(
            "g7",
            GrantEventKind::Activated,
            "2026-05-31T08:00:00Z",
            "bob",
            "admins",
        );
        f.grant_event(
            "g7",
            GrantEventKind::Revoked,
            "2026-05-31T09:00:00Z",
            "bob",
            "admins",
        );
        let finding = only(f.run("RV001", NOW));
        assert!(
            finding
                .message
                .contains("gave bob group admins, and it was revoked at 2026-05-31T09:00:00Z"),
            "{}",
            finding.message
        );
        assert!(
            finding.message.contains("a standing membership"),
            "{}",
            finding.message
        );
    }

    #[test]
    fn removed_assignment_open_grant_and_ended_window_do_not_fire() {
        // Assignment removed: only the eligibility remains.
        assert!(org().run("RV001", NOW).is_empty());

        // A second grant is open now and explains the assignment.
        let mut f = org();
        f.assign("alice", "prod-admin", AssignmentKind::Temporary);
        f.grant_event(
            "g2",
            GrantEventKind::Activated,
            "2026-05-31T22:00:00Z",
            "alice",
            "prod-admin",
        )
        .window_end = Some(ts("2026-06-01T02:00:00Z"));
        assert!(f.run("RV001", NOW).is_empty());

        // The assignment record carries the window and it has ended.
        let mut f = org();
        f.assign("alice", "prod-admin", AssignmentKind::Temporary)
            .window
            .end = Some(ts("2026-05-31T12:00:00Z"));
        assert!(f.run("RV001", NOW).is_empty());
    }
}
