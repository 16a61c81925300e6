//! GV006 missing-justification: an activated grant carries neither the reason nor the
//! ticket that would let anyone later tell why the privilege was needed.

use super::grant_words;
use crate::finding::{Finding, Severity};
use crate::model::{Grant, GrantEventKind, JitPolicy};
use crate::rules::{Rule, RuleContext};

pub struct MissingJustification;

/// What the `require` parameter asks every activated grant to carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Require {
    JustificationOrTicket,
    Justification,
    Ticket,
    Both,
}

impl Require {
    fn parse(text: &str) -> Require {
        match text {
            "justification-or-ticket" => Require::JustificationOrTicket,
            "justification" => Require::Justification,
            "ticket" => Require::Ticket,
            "both" => Require::Both,
            // The configuration checks overrides against the catalog's `allowed` list.
            other => panic!("rule parameter require has an unknown value `{other}`"),
        }
    }

    /// Whether the grant lacks (a justification, a ticket) by this requirement alone.
    fn lacks(self, has_justification: bool, has_ticket: bool) -> (bool, bool) {
        let neither = !has_justification && !has_ticket;
        match self {
            Require::JustificationOrTicket => (neither, neither),
            Require::Justification => (!has_justification, false),
            Require::Ticket => (false, !has_ticket),
            Require::Both => (!has_justification, !has_ticket),
        }
    }
}

/// What is missing, and what that costs, as the end of the sentence after "was activated".
fn missing_words(lacks_justification: bool, lacks_ticket: bool) -> Option<&'static str> {
    match (lacks_justification, lacks_ticket) {
        (true, true) => Some(
            "with neither a justification nor a ticket, so nobody can tell afterwards why the \
             privilege was needed",
        ),
        (true, false) => Some("with no justification, so its reason is not on record"),
        (false, true) => {
            Some("with no ticket, so it cannot be traced to the change or incident it served")
        }
        (false, false) => None,
    }
}

/// Whether the grant's log could have carried a reason: it shows the request (a `requested`
/// event: where JIT systems ask why), or its source records reasons on other grants. Grants seen only as activations in a log with no reasons anywhere (the
/// AWS connector's grants reconstructed from CloudTrail) cannot be held to it.
fn can_record_reason(grant: &Grant) -> bool {
    grant.source_records_reasons
        || grant
            .events
            .iter()
            .any(|e| e.event == GrantEventKind::Requested)
}

const JUSTIFICATION: &str = "a justification";
const TICKET: &str = "a ticket";

/// A JIT policy's requirement the grant does not meet: (policy, what it required).
fn unenforced<'a>(
    policies: impl Iterator<Item = &'a JitPolicy>,
    grant: &Grant,
) -> Vec<(&'a JitPolicy, &'static str)> {
    let mut out = Vec::new();
    for p in policies {
        if p.justification_required == Some(true) && grant.justification.is_none() {
            out.push((p, JUSTIFICATION));
        }
        if p.ticket_required == Some(true) && grant.ticket.is_none() {
            out.push((p, TICKET));
        }
    }
    out
}

impl Rule for MissingJustification {
    fn evaluate(&self, ctx: &RuleContext<'_>, out: &mut Vec<Finding>) {
        let require = Require::parse(ctx.params.string("require"));
        for grant in ctx.grants.iter().filter(|g| g.was_activated()) {
            let has_justification = grant.justification.is_some();
            let has_ticket = grant.ticket.is_some();
            let policies = ctx
                .inventory
                .jit_policies
                .iter()
                .filter(|p| p.role == grant.entitlement);
            let governed = policies.clone().next().is_some();
            if !governed && !can_record_reason(grant) {
                continue;
            }
            let gaps = unenforced(policies, grant);
            let (mut lacks_justification, mut lacks_ticket) =
                require.lacks(has_justification, has_ticket);
            for (_, required) in &gaps {
                match *required {
                    JUSTIFICATION => lacks_justification = true,
                    _ => lacks_ticket = true,
                }
            }
            let Some(what) = missing_words(lacks_justification, lacks_ticket) else {
                continue;
            };
            let policy_note: Vec<String> = gaps
                .iter()
                .map(|(p, req)| {
                    format!(
                        "{} policy {} requires {req} for this role, yet the grant carries none",
                        p.system, p.id
                    )
                })
                .collect();
            let policy_sentence = if policy_note.is_empty() {
                String::new()
            } else {
                format!(
                    " The {}: the JIT system did not enforce its own policy.",
                    policy_note.join(", and the ")
                )
            };
            let message = format!(
                "{} was activated {what}.{policy_sentence}",
                grant_words(ctx, grant),
            );
            let mut finding = ctx
                .grant_finding(grant, message)
                .grant(grant)
                .fact("require", ctx.params.string("require"))
                .fact("has_justification", has_justification)
                .fact("has_ticket", has_ticket)
                .fact("break_glass", grant.break_glass);
            for (p, _) in &gaps {
                finding = finding.source(&p.provenance);
            }
            if !gaps.is_empty() {
                let ids: Vec<&str> = gaps.iter().map(|(p, _)| p.id.as_str()).collect();
                finding = finding.fact("unenforced_policies", ids.join(", "));
            }
            let mut finding = finding.build();
            if !gaps.is_empty() {
                finding.severity = finding.severity.max(Severity::High);
            }
            out.push(finding);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Require;
    use crate::finding::Severity;
    use crate::model::{GrantEventKind, IdentityKind, PrivilegeLevel};
    use crate::rules::test_support::{only, Fixture};

    const NOW: &str = "2026-06-01T00:00:00Z";

    fn org(justification: Option<&str>, ticket: Option<&str>) -> Fixture {
        let mut f = Fixture::new();
        f.identity("alice", IdentityKind::Human);
        f.role("prod-admin", PrivilegeLevel::Admin);
        let e = f.grant_event(
            "g1",
            GrantEventKind::Requested,
            "2026-05-31T08:00:00Z",
            "alice",
            "prod-admin",
        );
        e.justification = justification.map(compact_str::CompactString::from);
        e.ticket = ticket.map(compact_str::CompactString::from);
        f.grant_event(
            "g1",
            GrantEventKind::Activated,
            "2026-05-31T08:05:00Z",
            "alice",
            "prod-admin",
        );
        f
    }

    #[test]
    fn a_grant_with_no_reason_fires_with_a_stable_fingerprint() {
        let finding = only(org(None, None).run("GV006", NOW));
        assert_eq!(finding.subject, "alice");
        assert_eq!(finding.entitlement.as_deref(), Some("prod-admin"));
        assert_eq!(finding.severity, Severity::Medium);
        assert_eq!(
            finding.message,
            "Grant g1 for alice on role prod-admin (admin) was activated with neither a \
             justification nor a ticket, so nobody can tell afterwards why the privilege was needed."
        );
        let later = only(org(None, None).run("GV006", "2027-01-01T00:00:00Z"));
        assert_eq!(finding.fingerprint, later.fingerprint);
    }

    #[test]
    fn a_reason_or_a_ticket_is_enough_by_default_and_denied_requests_are_quiet() {
        assert!(org(Some("INC-4 restart"), None)
            .run("GV006", NOW)
            .is_empty());
        assert!(org(None, Some("OPS-1")).run("GV006", NOW).is_empty());
        let mut f = Fixture::new();
        f.identity("alice", IdentityKind::Human);
        f.role("prod-admin", PrivilegeLevel::Admin);
        f.grant_event(
            "g2",
            GrantEventKind::Requested,
            "2026-05-31T08:00:00Z",
            "alice",
            "prod-admin",
        );
        f.grant_event(
            "g2",
            GrantEventKind::Denied,
            "2026-05-31T08:01:00Z",
            "alice",
            "prod-admin",
        );
        assert!(f.run("GV006", NOW).is_empty());
    }

    #[test]
    fn activations_from_a_log_that_records_no_reasons_are_not_held_to_one() {
        let mut f = Fixture::new();
        f.identity("alice", IdentityKind::Human);
        f.role("prod-admin", PrivilegeLevel::Admin);
        f.grant_event(
            "ct-1",
            GrantEventKind::Activated,
            "2026-05-31T08:05:00Z",
            "alice",
            "prod-admin",
        );
        assert!(f.run("GV006", NOW).is_empty());
        // The same log records a reason elsewhere: it could have here.
        f.grant_event(
            "ct-2",
            GrantEventKind::Activated,
            "2026-05-31T09:05:00Z",
            "alice",
            "prod-admin",
        )
        .ticket = Some("OPS-2".into());
        assert_eq!(only(f.run("GV006", NOW)).evidence.grant.unwrap().id, "ct-1");
        // A JIT policy for the role always applies.
        let mut f = Fixture::new();
        f.identity("alice", IdentityKind::Human);
        f.role("prod-admin", PrivilegeLevel::Admin);
        f.jit_policy("p", "entra-pim", "prod-admin");
        f.grant_event(
            "pim-1",
            GrantEventKind::Activated,
            "2026-05-31T08:05:00Z",
            "alice",
            "prod-admin",
        );
        assert_eq!(f.run("GV006", NOW).len(), 1);
    }

    #[test]
    fn require_ticket_or_both_asks_for_more() {
        let mut f = org(Some("restart"), None);
        f.config("rules: {GV006: {parameters: {require: ticket}}}");
        let finding = only(f.run("GV006", NOW));
        assert!(
            finding.message.contains(
                "was activated with no ticket, so it cannot be traced to the change or incident"
            ),
            "{}",
            finding.message
        );
        let mut f = org(None, Some("OPS-1"));
        f.config("rules: {GV006: {parameters: {require: both}}}");
        assert!(only(f.run("GV006", NOW))
            .message
            .contains("was activated with no justification,"));
        assert_eq!(Require::Both.lacks(true, true), (false, false));
        assert_eq!(Require::Justification.lacks(false, true), (true, false));
        assert_eq!(
            Require::JustificationOrTicket.lacks(true, false),
            (false, false)
        );
    }

    #[test]
    fn an_unenforced_policy_requirement_is_named_and_raises_severity() {
        let mut f = org(None, Some("OPS-1"));
        f.jit_policy("pim-prod-admin", "entra-pim", "prod-admin")
            .justification_required = Some(true);
        let finding = only(f.run("GV006", NOW));
        assert_eq!(finding.severity, Severity::High);
        assert_eq!(
            finding.message,
            "Grant g1 for alice on role prod-admin (admin) was activated with no justification, \
             so its reason is not on record. The entra-pim policy pim-prod-admin \
             requires a justification for this role, yet the grant carries none: the JIT system \
             did not enforce its own policy."
        );
        assert_eq!(
            finding.evidence.facts["unenforced_policies"],
            "pim-prod-admin"
        );
    }
}
