//! SP002 standing-behind-jit: an identity is JIT-eligible for a role but already holds that
//! role, or one at least as powerful, as standing access — the JIT control guards nothing.

use super::{privilege_param, route};
use crate::finding::Finding;
use crate::graph::Reached;
use crate::model::role_covers;
use crate::rules::{Rule, RuleContext};

pub struct StandingBehindJit;

impl Rule for StandingBehindJit {
    fn reads_reach(&self) -> bool {
        true
    }

    fn evaluate(&self, ctx: &RuleContext<'_>, out: &mut Vec<Finding>) {
        let min_privilege = privilege_param(ctx, "min_privilege");
        ctx.for_each_identity(out, |identity, out| {
            let standing = ctx.standing_reach(&identity.id);
            let who = identity.display_name();
            for eligible in ctx
                .eligible_reach(&identity.id)
                .iter()
                .filter(|e| e.privilege >= min_privilege)
            {
                let Some(held) = standing_equivalent(ctx, standing, eligible) else {
                    continue;
                };
                let message = if held.role == eligible.role {
                    format!(
                        "{who} reaches role {} ({}) {} as standing access although {who} is \
                         JIT-eligible for it (standing: {}; eligible: {}).",
                        held.role,
                        held.privilege,
                        route(&held.path),
                        held.path,
                        eligible.path,
                    )
                } else {
                    format!(
                        "{who} is JIT-eligible for role {} ({}) but already reaches role {} ({}) \
                         {} as standing access (standing: {}; eligible: {}).",
                        eligible.role,
                        eligible.privilege,
                        held.role,
                        held.privilege,
                        route(&held.path),
                        held.path,
                        eligible.path,
                    )
                };
                let key = format!("{}|{}", held.role, held.path.identity_key());
                let mut finding = ctx
                    .finding(&identity.id, Some(&eligible.role), &key, message)
                    .source(&identity.provenance)
                    .path(&held.path)
                    .fact("standing_role", &held.role)
                    .fact("standing_privilege", held.privilege)
                    .fact("eligible_path", &eligible.path);
                for source in eligible.path.sources() {
                    finding = finding.source(source);
                }
                out.push(finding.build());
            }
        });
    }
}

/// The standing role that makes `eligible` pointless: the eligible role itself when it is
/// held standing, else the most privileged standing role that covers it
/// ([`role_covers`]: by rank within its scope, or by its permissions; ties by role id, so
/// the choice is deterministic).
fn standing_equivalent<'a>(
    ctx: &RuleContext<'_>,
    standing: &'a [Reached],
    eligible: &Reached,
) -> Option<&'a Reached> {
    if let Some(same) = standing.iter().find(|s| s.role == eligible.role) {
        return Some(same);
    }
    let wanted = ctx.inventory.role(&eligible.role)?;
    standing
        .iter()
        .filter(|s| s.privilege >= eligible.privilege)
        .filter(|s| {
            ctx.inventory
                .role(&s.role)
                .is_some_and(|held| role_covers(held, wanted))
        })
        .max_by(|a, b| {
            a.privilege
                .cmp(&b.privilege)
                .then_with(|| b.role.cmp(&a.role))
        })
}

#[cfg(test)]
mod tests {
    use crate::model::{AssignmentKind, IdentityKind, PrivilegeLevel};
    use crate::rules::test_support::{only, Fixture};

    const NOW: &str = "2026-06-01T00:00:00Z";

    #[test]
    fn standing_copy_of_the_eligible_role_fires() {
        let mut f = Fixture::new();
        f.identity("ci-deployer", IdentityKind::ServiceAccount);
        f.identity("platform", IdentityKind::Group);
        f.role("ops-admin", PrivilegeLevel::Admin);
        f.member("ci-deployer", "platform", AssignmentKind::Standing);
        f.assign("platform", "ops-admin", AssignmentKind::Standing);
        f.assign("ci-deployer", "ops-admin", AssignmentKind::Eligible);
        let finding = only(f.run("SP002", NOW));
        assert_eq!(finding.subject, "ci-deployer");
        assert_eq!(finding.entitlement.as_deref(), Some("ops-admin"));
        assert!(
            finding.message.starts_with(
                "ci-deployer reaches role ops-admin (admin) through group platform as standing access \
                 although ci-deployer is JIT-eligible for it"
            ),
            "{}",
            finding.message
        );
        assert_eq!(finding.evidence.facts["standing_role"], "ops-admin");
        assert_eq!(
            finding
                .evidence
                .path
                .as_ref()
                .expect("standing path")
                .to_string(),
            "ci-deployer -member-of(standing)-> platform -assigned(standing)-> ops-admin"
        );
        let again = only(f.run("SP002", "2026-07-01T00:00:00Z"));
        assert_eq!(finding.fingerprint, again.fingerprint);
    }

    #[test]
    fn a_more_privileged_standing_role_is_named_highest_first_then_by_id() {
        let mut f = Fixture::new();
        f.identity("alice", IdentityKind::Human);
        f.role("db-write", PrivilegeLevel::Write);
        f.role("b-admin", PrivilegeLevel::Admin);
        f.role("a-admin", PrivilegeLevel::Admin);
        f.role("iam-manager", PrivilegeLevel::PermissionsManagement);
        f.assign("alice", "db-write", AssignmentKind::Eligible);
        f.assign("alice", "iam-manager", AssignmentKind::Standing);
        f.assign("alice", "b-admin", AssignmentKind::Standing);
        f.assign("alice", "a-admin", AssignmentKind::Standing);
        let finding = only(f.run("SP002", NOW));
        assert_eq!(finding.entitlement.as_deref(), Some("db-write"));
        assert_eq!(finding.evidence.facts["standing_role"], "a-admin");
        assert!(
            finding
                .message
                .contains("alice is JIT-eligible for role db-write (write) but already reaches role a-admin (admin) directly"),
            "{}",
            finding.message
        );
    }

    #[test]
    fn eligible_admin_with_only_standing_read_does_not_fire() {
        let mut f = Fixture::new();
        f.identity("alice", IdentityKind::Human);
        f.role("prod-admin", PrivilegeLevel::Admin);
        f.role("prod-read", PrivilegeLevel::Read);
        f.role("docs-read", PrivilegeLevel::Read);
        f.assign("alice", "prod-admin", AssignmentKind::Eligible);
        f.assign("alice", "prod-read", AssignmentKind::Standing);
        // Below min_privilege (write): eligible read behind standing read is not reported.
        f.assign("alice", "docs-read", AssignmentKind::Eligible);
        f.assign("alice", "docs-read", AssignmentKind::Standing);
        assert!(f.run("SP002", NOW).is_empty());
    }

    #[test]
    fn min_privilege_parameter_lowers_the_bar() {
        let mut f = Fixture::new();
        f.config("rules: {SP002: {parameters: {min_privilege: read}}}");
        f.identity("alice", IdentityKind::Human);
        f.role("docs-read", PrivilegeLevel::Read);
        f.assign("alice", "docs-read", AssignmentKind::Eligible);
        f.assign("alice", "docs-read", AssignmentKind::Standing);
        assert_eq!(
            only(f.run("SP002", NOW)).entitlement.as_deref(),
            Some("docs-read")
        );
    }
}
