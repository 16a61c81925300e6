//! SP001 standing-admin: an acting identity holds an admin role all the time.

use super::{condition_kinds, route};
use crate::finding::Finding;
use crate::model::{IdentityKind, PrivilegeLevel};
use crate::rules::{Rule, RuleContext};

pub struct StandingAdmin;

impl Rule for StandingAdmin {
    fn reads_reach(&self) -> bool {
        true
    }

    fn evaluate(&self, ctx: &RuleContext<'_>, out: &mut Vec<Finding>) {
        ctx.for_each_identity(out, |identity, out| {
            // Groups never act and disabled identities cannot sign in; break-glass accounts
            // hold standing admin by design (GV003 watches how they are used).
            if identity.kind == IdentityKind::Group
                || identity.disabled
                || ctx.policy.break_glass.contains(&identity.id)
            {
                return;
            }
            let who = identity.display_name();
            for reached in ctx
                .standing_reach(&identity.id)
                .iter()
                .filter(|r| r.privilege == PrivilegeLevel::Admin)
            {
                let path = &reached.path;
                let message = if path.conditional {
                    format!(
                        "{who} can reach admin role {} {} without any JIT activation, \
                         conditional on {} ({path}).",
                        reached.role,
                        route(path),
                        condition_kinds(path),
                    )
                } else {
                    format!(
                        "{who} holds admin role {} {} as standing access ({path}).",
                        reached.role,
                        route(path),
                    )
                };
                let mut finding = ctx
                    .finding(
                        &identity.id,
                        Some(&reached.role),
                        &path.identity_key(),
                        message,
                    )
                    .source(&identity.provenance)
                    .path(path)
                    .fact("conditional", path.conditional);
                if path.conditional {
                    finding = finding.fact("conditions", condition_kinds(path));
                }
                out.push(finding.build());
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use crate::model::{AssignmentKind, ConditionKind, IdentityKind, PrivilegeLevel};
    use crate::rules::test_support::{only, Fixture};

    const NOW: &str = "2026-06-01T00:00:00Z";

    fn org() -> Fixture {
        let mut f = Fixture::new();
        f.identity("ci-deployer", IdentityKind::ServiceAccount);
        f.identity("platform", IdentityKind::Group);
        f.role("ops-admin", PrivilegeLevel::Admin);
        f.role("deploy", PrivilegeLevel::Write);
        f.member("ci-deployer", "platform", AssignmentKind::Standing);
        f.assign("platform", "ops-admin", AssignmentKind::Standing);
        f.assign("ci-deployer", "deploy", AssignmentKind::Standing);
        f
    }

    #[test]
    fn standing_admin_through_a_group_fires_once_with_the_path() {
        let finding = only(org().run("SP001", NOW));
        assert_eq!(finding.subject, "ci-deployer");
        assert_eq!(finding.entitlement.as_deref(), Some("ops-admin"));
        assert!(
            finding.message.contains(
                "ci-deployer holds admin role ops-admin through group platform as standing access"
            ),
            "{}",
            finding.message
        );
        assert!(finding.message.contains(
            "ci-deployer -member-of(standing)-> platform -assigned(standing)-> ops-admin"
        ));
        assert_eq!(finding.evidence.facts["conditional"], "false");
        let path = finding.evidence.path.as_ref().expect("path evidence");
        assert_eq!(path.hops.len(), 2);
        assert_eq!(
            finding.evidence.sources[0].record.as_deref(),
            Some("/identities/0"),
            "the identity record locates the finding"
        );
        // Same fact at another audit time: same fingerprint.
        let later = only(org().run("SP001", "2026-09-01T00:00:00Z"));
        assert_eq!(finding.fingerprint, later.fingerprint);
    }

    #[test]
    fn conditional_path_fires_and_says_so() {
        let mut f = Fixture::new();
        f.identity("alice", IdentityKind::Human);
        f.role("prod-admin", PrivilegeLevel::Admin);
        f.trust(
            "alice",
            "prod-admin",
            &[ConditionKind::Mfa, ConditionKind::Network],
        );
        let finding = only(f.run("SP001", NOW));
        assert!(
            finding.message.contains("conditional on mfa, network"),
            "{}",
            finding.message
        );
        assert_eq!(finding.evidence.facts["conditional"], "true");
        assert_eq!(finding.evidence.facts["conditions"], "mfa, network");
    }

    #[test]
    fn break_glass_disabled_eligible_and_temporary_admin_do_not_fire() {
        let mut f = Fixture::new();
        f.config("break_glass: [bg-1]");
        f.identity("bg-1", IdentityKind::Human);
        f.identity("gone", IdentityKind::Human).disabled = true;
        f.identity("jit-user", IdentityKind::Human);
        f.identity("admins", IdentityKind::Group);
        f.role("admin", PrivilegeLevel::Admin);
        f.assign("bg-1", "admin", AssignmentKind::Standing);
        f.assign("gone", "admin", AssignmentKind::Standing);
        f.assign("admins", "admin", AssignmentKind::Standing);
        f.assign("jit-user", "admin", AssignmentKind::Eligible);
        f.assign("jit-user", "admin", AssignmentKind::Temporary);
        assert!(f.run("SP001", NOW).is_empty());
    }
}
