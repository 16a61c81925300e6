//! GV001 approval-gap: a grant was activated without a real second person agreeing — no
//! approval, a self-approval, or despite a denial.

use super::grant_words;
use crate::finding::Finding;
use crate::model::Grant;
use crate::rules::{Rule, RuleContext};

pub struct ApprovalGap;

impl Rule for ApprovalGap {
    fn evaluate(&self, ctx: &RuleContext<'_>, out: &mut Vec<Finding>) {
        let break_glass_exempt = ctx.params.boolean("break_glass_exempt");
        for grant in ctx.grants.iter().filter(|g| g.was_activated()) {
            let gaps = gaps(grant, break_glass_exempt);
            if gaps.is_empty() {
                continue;
            }
            let phrases: Vec<&str> = gaps.iter().map(|(_, phrase)| phrase.as_str()).collect();
            let kinds: Vec<&str> = gaps.iter().map(|(kind, _)| *kind).collect();
            let message = format!("{} {}.", grant_words(ctx, grant), phrases.join(", and it "));
            let mut finding = ctx
                .grant_finding(grant, message)
                .grant(grant)
                .fact("gaps", kinds.join(", "))
                .fact("break_glass", grant.break_glass);
            if let Some(requester) = &grant.requester {
                finding = finding.fact("requester", requester);
            }
            if !grant.approvers.is_empty() {
                finding = finding.fact("approvers", grant.approvers.join(", "));
            }
            out.push(finding.build());
        }
    }
}

/// The approval problems of an activated grant, as (kind, phrase) in a fixed order:
/// denied, self-approved, anonymous-approval, unapproved.
fn gaps(grant: &Grant, break_glass_exempt: bool) -> Vec<(&'static str, String)> {
    let mut gaps = Vec::new();
    if grant.denied {
        gaps.push(("denied", "went ahead although it was denied".to_string()));
    }
    let requester = grant.requester.as_deref();
    for approver in grant.approvers.iter().filter(|a| !a.is_empty()) {
        let by_requester = requester == Some(approver.as_str());
        let by_principal = *approver == grant.principal;
        let role = match (by_requester, by_principal) {
            (true, true) => "its own requester and principal",
            (true, false) => "its own requester",
            (false, true) => "its own principal",
            (false, false) => continue,
        };
        gaps.push((
            "self-approved",
            format!("was approved by {approver}, {role}"),
        ));
    }
    let named = grant.approvers.iter().any(|a| !a.is_empty());
    if !named && !grant.approvers.is_empty() {
        // An approval event that names nobody: something said yes, but nobody can check who.
        gaps.push((
            "anonymous-approval",
            "was approved by nobody the log names, so the approval cannot be shown to be independent"
                .to_string(),
        ));
    }
    // A denied grant's missing approval is already said by "went ahead although it was denied".
    if grant.approvers.is_empty() && !grant.denied {
        if !grant.break_glass {
            gaps.push(("unapproved", "was activated with no approval".to_string()));
        } else if !break_glass_exempt {
            gaps.push((
                "unapproved",
                "was activated with no approval, and break-glass grants are not exempt here"
                    .to_string(),
            ));
        }
    }
    gaps
}

#[cfg(test)]
mod tests {
    use crate::model::{GrantEventKind, IdentityKind, PrivilegeLevel};
    use crate::rules::test_support::{only, Fixture};

    const NOW: &str = "2026-06-01T00:00:00Z";

    fn org() -> Fixture {
        let mut f = Fixture::new();
        f.identity("alice", IdentityKind::Human);
        f.identity("bob", IdentityKind::Human);
        f.role("prod-admin", PrivilegeLevel::Admin);
        f
    }

    /// A grant for alice requested by `requester`, approved by `approver`, then activated.
    fn grant(f: &mut Fixture, id: &str, requester: &str, approver: Option<&str>) {
        f.grant_event(
            id,
            GrantEventKind::Requested,
            "2026-05-31T08:00:00Z",
            "alice",
            "prod-admin",
        )
        .requester = Some(requester.into());
        if let Some(approver) = approver {
            f.grant_event(
                id,
                GrantEventKind::Approved,
                "2026-05-31T08:05:00Z",
                "alice",
                "prod-admin",
            )
            .approver = Some(approver.into());
        }
        f.grant_event(
            id,
            GrantEventKind::Activated,
            "2026-05-31T08:06:00Z",
            "alice",
            "prod-admin",
        );
    }

    #[test]
    fn self_approval_fires_and_names_the_approver() {
        let mut f = org();
        grant(&mut f, "g1", "alice", Some("alice"));
        let finding = only(f.run("GV001", NOW));
        assert_eq!(finding.subject, "alice");
        assert_eq!(finding.entitlement.as_deref(), Some("prod-admin"));
        assert_eq!(
            finding.message,
            "Grant g1 for alice on role prod-admin (admin) was approved by alice, its own requester and principal."
        );
        assert_eq!(finding.evidence.facts["gaps"], "self-approved");
        let later = only(f.run("GV001", "2026-07-01T00:00:00Z"));
        assert_eq!(finding.fingerprint, later.fingerprint);
    }

    #[test]
    fn denied_and_unapproved_grants_fire_and_say_which() {
        let mut f = org();
        grant(&mut f, "g2", "bob", None);
        f.grant_event(
            "g2",
            GrantEventKind::Denied,
            "2026-05-31T08:05:00Z",
            "alice",
            "prod-admin",
        )
        .approver = Some("carol".into());
        let finding = only(f.run("GV001", NOW));
        assert_eq!(
            finding.message,
            "Grant g2 for alice on role prod-admin (admin) went ahead although it was denied."
        );
        assert_eq!(finding.evidence.facts["gaps"], "denied");
    }

    #[test]
    fn approval_by_someone_else_and_exempt_break_glass_do_not_fire() {
        let mut f = org();
        grant(&mut f, "g3", "alice", Some("bob"));
        for event in [GrantEventKind::Requested, GrantEventKind::Activated] {
            let time = if event == GrantEventKind::Requested {
                "2026-05-31T08:00:00Z"
            } else {
                "2026-05-31T08:06:00Z"
            };
            let e = f.grant_event("bg", event, time, "alice", "prod-admin");
            e.break_glass = true;
            e.requester = Some("alice".into());
        }
        assert!(f.run("GV001", NOW).is_empty());

        f.config("rules: {GV001: {parameters: {break_glass_exempt: false}}}");
        let finding = only(f.run("GV001", NOW));
        assert!(
            finding
                .message
                .contains("break-glass grants are not exempt here"),
            "{}",
            finding.message
        );
    }
}

#[cfg(test)]
mod anonymous_tests {
    use crate::model::{GrantEventKind, IdentityKind, PrivilegeLevel};
    use crate::rules::test_support::{only, Fixture};

    #[test]
    fn an_approval_that_names_nobody_is_a_gap_and_a_denial_is_said_once() {
        let mut f = Fixture::new();
        f.identity("alice", IdentityKind::Human);
        f.role("prod-admin", PrivilegeLevel::Admin);
        f.grant_event(
            "g1",
            GrantEventKind::Approved,
            "2026-05-31T07:00:00Z",
            "alice",
            "prod-admin",
        )
        .approver = None;
        f.grant_event(
            "g1",
            GrantEventKind::Activated,
            "2026-05-31T08:00:00Z",
            "alice",
            "prod-admin",
        );
        let finding = only(f.run("GV001", "2026-06-01T00:00:00Z"));
        assert!(
            finding.message.contains("approved by nobody the log names"),
            "{}",
            finding.message
        );

        let mut f = Fixture::new();
        f.identity("alice", IdentityKind::Human);
        f.role("prod-admin", PrivilegeLevel::Admin);
        f.grant_event(
            "g2",
            GrantEventKind::Denied,
            "2026-05-31T07:00:00Z",
            "alice",
            "prod-admin",
        )
        .approver = Some("bob".into());
        f.grant_event(
            "g2",
            GrantEventKind::Activated,
            "2026-05-31T08:00:00Z",
            "alice",
            "prod-admin",
        );
        let finding = only(f.run("GV001", "2026-06-01T00:00:00Z"));
        assert!(
            finding
                .message
                .ends_with("went ahead although it was denied."),
            "{}",
            finding.message
        );
    }
}
