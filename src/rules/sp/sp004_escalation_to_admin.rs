//! SP004 escalation-to-admin: an identity holds no admin role, but can give itself one.

use super::route;
use crate::finding::Finding;
use crate::model::{IdentityKind, PrivilegeLevel};
use crate::rules::{Rule, RuleContext};

pub struct EscalationToAdmin;

impl Rule for EscalationToAdmin {
    fn reads_reach(&self) -> bool {
        true
    }

    fn evaluate(&self, ctx: &RuleContext<'_>, out: &mut Vec<Finding>) {
        for identity in ctx.identities() {
            if identity.kind == IdentityKind::Group
                || identity.disabled
                || ctx.policy.break_glass.contains(&identity.id)
            {
                continue;
            }
            // Already admin: SP001 reports that, and escalating adds nothing.
            let holds_admin = ctx
                .standing_reach(&identity.id)
                .iter()
                .any(|r| r.privilege == PrivilegeLevel::Admin);
            if holds_admin {
                continue;
            }
            let who = identity.display_name();
            for reached in ctx
                .escalation_reach(&identity.id)
                .iter()
                .filter(|r| r.privilege == PrivilegeLevel::Admin)
            {
                let path = &reached.path;
                let methods: Vec<&str> = path
                    .hops
                    .iter()
                    .filter_map(|h| h.method.as_deref())
                    .collect();
                let message = format!(
                    "{who} holds no admin role but can obtain admin role {} {} by {} ({path}).",
                    reached.role,
                    route(path),
                    methods.join(", then "),
                );
                out.push(
                    ctx.finding(
                        &identity.id,
                        Some(&reached.role),
                        &path.identity_key(),
                        message,
                    )
                    .source(&identity.provenance)
                    .path(path)
                    .fact("methods", methods.join("; "))
                    .build(),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::model::{AssignmentKind, IdentityKind, PrivilegeLevel};
    use crate::rules::test_support::{only, Fixture};

    const NOW: &str = "2026-06-01T00:00:00Z";

    #[test]
    fn escalation_through_a_group_fires_with_the_method() {
        let mut f = Fixture::new();
        f.identity("dev", IdentityKind::Human);
        f.identity("builders", IdentityKind::Group);
        f.role("lambda-deployer", PrivilegeLevel::Write);
        f.role("admin", PrivilegeLevel::Admin);
        f.member("dev", "builders", AssignmentKind::Standing);
        f.assign("builders", "lambda-deployer", AssignmentKind::Standing);
        f.escalate(
            "lambda-deployer",
            "admin",
            "iam:PassRole + lambda:CreateFunction",
        );
        let finding = only(f.run("SP004", NOW));
        assert_eq!(finding.subject, "dev");
        assert_eq!(finding.entitlement.as_deref(), Some("admin"));
        assert!(
            finding
                .message
                .contains("by iam:PassRole + lambda:CreateFunction"),
            "{}",
            finding.message
        );
        assert!(finding.evidence.path.as_ref().unwrap().via_escalation);
        // The same fact keeps its fingerprint at another audit time.
        assert_eq!(
            finding.fingerprint,
            only(f.run("SP004", "2026-07-01T00:00:00Z")).fingerprint
        );
        // SP001 does not report an escalation path as held admin.
        assert!(f.run("SP001", NOW).is_empty());
    }

    #[test]
    fn admins_and_break_glass_are_not_reported_again() {
        let mut f = Fixture::new();
        f.identity("ops", IdentityKind::Human);
        f.role("iam-manager", PrivilegeLevel::PermissionsManagement);
        f.role("admin", PrivilegeLevel::Admin);
        f.assign("ops", "iam-manager", AssignmentKind::Standing);
        f.assign("ops", "admin", AssignmentKind::Standing);
        f.escalate("iam-manager", "admin", "iam:AttachUserPolicy");
        assert!(f.run("SP004", NOW).is_empty());
        assert_eq!(f.run("SP001", NOW).len(), 1);
    }
}
