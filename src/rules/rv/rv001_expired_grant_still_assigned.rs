//! RV001 expired-grant-still-assigned: a JIT grant closed, yet its principal still holds
//! the entitlement — the revocation never happened.

use super::{entitlement_words, how_closed};
use crate::finding::Finding;
use crate::model::time::format_timestamp;
use crate::model::{AssignmentKind, Grant, Provenance, Window};
use crate::rules::{Rule, RuleContext};
use foldhash::{HashSet, HashSetExt};

pub struct ExpiredGrantStillAssigned;

impl Rule for ExpiredGrantStillAssigned {
    fn evaluate(&self, ctx: &RuleContext<'_>, out: &mut Vec<Finding>) {
        let mut reported: HashSet<(&str, &str)> = HashSet::new();
        for grant in ctx
            .grants
            .iter()
            .filter(|g| g.was_activated() && past_grace(ctx, g.close_time()))
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
                .grant_finding(grant, message)
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
            reported.insert((&grant.principal, &grant.entitlement));
        }
        lingering_without_grant(ctx, &reported, out);
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
        kind != AssignmentKind::Eligible
            && (window.contains(ctx.now) || lingering(ctx, kind, window))
    };
    let assignments = ctx
        .assignments_for(&grant.principal, &grant.entitlement)
        .filter(|a| in_force(a.kind, &a.window))
        .map(|a| Holding {
            relation: "assignment",
            kind: a.kind,
            window: a.window,
            provenance: &a.provenance,
        });
    let memberships = ctx
        .memberships_for(&grant.principal, &grant.entitlement)
        .filter(|m| in_force(m.kind, &m.window))
        .map(|m| Holding {
            relation: "membership",
            kind: m.kind,
            window: m.window,
            provenance: &m.provenance,
        });
    assignments.chain(memberships).collect()
}

/// A temporary record still listed after its window closed: nothing took it back.
fn lingering(ctx: &RuleContext<'_>, kind: AssignmentKind, window: &Window) -> bool {
    kind == AssignmentKind::Temporary && window.closed_by(ctx.now)
}

/// `close` happened at least the `grace` period before the audit time: revocation jobs run
/// on a schedule, and a record a few minutes past its window is not yet a finding.
fn past_grace(ctx: &RuleContext<'_>, close: Option<crate::model::Timestamp>) -> bool {
    let grace = ctx.params.duration("grace");
    close.is_some_and(|c| c.checked_add(grace).is_ok_and(|due| due <= ctx.now))
}

/// Temporary assignments and memberships still present after their window closed, for
/// which no closed grant was reported (a source with no grant log, such as Kubernetes
/// bindings with an expiry annotation, or a grant log that lost the grant).
fn lingering_without_grant(
    ctx: &RuleContext<'_>,
    reported: &HashSet<(&str, &str)>,
    out: &mut Vec<Finding>,
) {
    let assignments = ctx.inventory.assignments.iter().map(|a| {
        (
            &a.subject,
            &a.role,
            a.kind,
            &a.window,
            &a.provenance,
            "assignment",
        )
    });
    let memberships = ctx.inventory.memberships.iter().map(|m| {
        (
            &m.member,
            &m.group,
            m.kind,
            &m.window,
            &m.provenance,
            "membership",
        )
    });
    for (subject, entitlement, kind, window, provenance, relation) in assignments.chain(memberships)
    {
        if !lingering(ctx, kind, window) || !past_grace(ctx, window.end) {
            continue;
        }
        if reported.contains(&(subject.as_str(), entitlement.as_str()))
            || open_grant_for(ctx, subject, entitlement, None)
        {
            continue;
        }
        let who = ctx.inventory.display_name(subject);
        let what = entitlement_words(ctx, entitlement);
        let end = window.end.map(format_timestamp).unwrap_or_default();
        let message = format!(
            "{who} still holds {what} through a temporary {relation} whose window ended at {end}: \
             nothing revoked it, so it is standing access now."
        );
        out.push(
            ctx.finding(
                subject,
                Some(entitlement),
                "lingering-temporary-record",
                message,
            )
            .source(provenance)
            .fact("window_end", end)
            .fact("still_held_through", format!("a temporary {relation}"))
            .build(),
        );
    }
}

/// A grant of `entitlement` to `principal` (other than `except`) is in force now, which
/// explains a record that holds it.
fn open_grant_for(
    ctx: &RuleContext<'_>,
    principal: &str,
    entitlement: &str,
    except: Option<&str>,
) -> bool {
    ctx.grants_for(principal, entitlement).any(|g| {
        Some(g.id.as_str()) != except
            && g.activated_at.is_some_and(|a| a <= ctx.now)
            && g.close_time().is_none_or(|c| ctx.now < c)
    })
}

/// Another grant of the same entitlement to the same principal is in force now, which
/// explains the assignment.
fn another_grant_open(ctx: &RuleContext<'_>, closed: &Grant) -> bool {
    open_grant_for(
        ctx,
        &closed.principal,
        &closed.entitlement,
        Some(&closed.id),
    )
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
        f.activation(
            "g1",
            "2026-05-31T08:00:00Z",
            "alice",
            "prod-admin",
            "2026-05-31T12:00:00Z",
        );
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
        f.activation(
            "g2",
            "2026-05-31T22:00:00Z",
            "alice",
            "prod-admin",
            "2026-06-01T02:00:00Z",
        );
        assert!(f.run("RV001", NOW).is_empty());

        // A standing record with an end date that has passed: the source enforces that end
        // (unlike a temporary record still listed after its window, which lingers).
        let mut f = org();
        f.assign("alice", "prod-admin", AssignmentKind::Standing)
            .window
            .end = Some(ts("2026-05-31T12:00:00Z"));
        assert!(f.run("RV001", NOW).is_empty());
    }
}

#[cfg(test)]
mod lingering_tests {
    use crate::model::{AssignmentKind, IdentityKind, PrivilegeLevel};
    use crate::rules::test_support::{only, window, Fixture};

    #[test]
    fn a_temporary_binding_past_its_window_fires_without_any_grant_log() {
        let mut f = Fixture::new();
        f.identity("ci", IdentityKind::ServiceAccount);
        f.role("ns-admin", PrivilegeLevel::Admin);
        f.assign("ci", "ns-admin", AssignmentKind::Temporary).window =
            window(Some("2026-05-01T00:00:00Z"), Some("2026-05-02T00:00:00Z"));
        let finding = only(f.run("RV001", "2026-06-01T00:00:00Z"));
        assert_eq!(finding.subject, "ci");
        assert!(
            finding
                .message
                .contains("whose window ended at 2026-05-02T00:00:00Z"),
            "{}",
            finding.message
        );
        // Still inside its window: a JIT grant doing its job.
        assert!(f.run("RV001", "2026-05-01T12:00:00Z").is_empty());
        // Lingering, it is standing access now: SP001 sees it too.
        assert_eq!(f.run("SP001", "2026-06-01T00:00:00Z").len(), 1);
        assert!(f.run("SP001", "2026-05-01T12:00:00Z").is_empty());
    }
}
