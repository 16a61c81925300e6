//! SP005 non-human-standing-write: a service account, workload or AI agent holds write (or
//! higher) privilege all the time.

use super::{privilege_param, route};
use crate::finding::Finding;
use crate::graph::Reached;
use crate::rules::{Rule, RuleContext};

pub struct NonHumanStandingWrite;

impl Rule for NonHumanStandingWrite {
    fn reads_reach(&self) -> bool {
        true
    }

    fn evaluate(&self, ctx: &RuleContext<'_>, out: &mut Vec<Finding>) {
        let min_privilege = privilege_param(ctx, "min_privilege");
        ctx.for_each_identity(out, |identity, out| {
            if identity.disabled || !identity.kind.is_non_human() {
                return;
            }
            let qualifying: Vec<&Reached> = ctx
                .standing_reach(&identity.id)
                .iter()
                .filter(|r| r.privilege >= min_privilege)
                .collect();
            // Reach is sorted by role id: the first of the highest level names the finding.
            let Some(top) = qualifying.iter().copied().reduce(|best, r| {
                if r.privilege > best.privilege {
                    r
                } else {
                    best
                }
            }) else {
                return;
            };
            let who = identity.display_name();
            let others = qualifying.len() - 1;
            let more = match others {
                0 => String::new(),
                1 => format!(" It holds 1 more standing role at or above {min_privilege} level."),
                n => {
                    format!(" It holds {n} more standing roles at or above {min_privilege} level.")
                }
            };
            let path = &top.path;
            let message = format!(
                "The {} {who} holds {} role {} {} as standing access ({path}).{more}",
                identity.kind.as_str().replace('-', " "),
                top.privilege,
                ctx.inventory.display_name(&top.role),
                route(path),
            );
            out.push(
                ctx.finding(&identity.id, Some(&top.role), &path.identity_key(), message)
                    .source(&identity.provenance)
                    .path(path)
                    .fact("kind", identity.kind)
                    .fact("privilege", top.privilege)
                    .fact("qualifying_roles", qualifying.len())
                    .build(),
            );
        });
    }
}

#[cfg(test)]
mod tests {
    use crate::model::{AssignmentKind, IdentityKind, PrivilegeLevel};
    use crate::rules::test_support::{only, Fixture};

    const NOW: &str = "2026-06-01T00:00:00Z";

    #[test]
    fn names_the_highest_standing_role_and_counts_the_rest() {
        let mut f = Fixture::new();
        f.identity("ci", IdentityKind::ServiceAccount);
        f.identity("deployers", IdentityKind::Group);
        f.role("deploy", PrivilegeLevel::Write);
        f.role("rbac-manager", PrivilegeLevel::PermissionsManagement);
        f.role("logs", PrivilegeLevel::Read);
        f.member("ci", "deployers", AssignmentKind::Standing);
        f.assign("deployers", "rbac-manager", AssignmentKind::Standing);
        f.assign("ci", "deploy", AssignmentKind::Standing);
        f.assign("ci", "logs", AssignmentKind::Standing);
        let finding = only(f.run("SP005", NOW));
        assert_eq!(finding.subject, "ci");
        assert_eq!(finding.entitlement.as_deref(), Some("rbac-manager"));
        assert!(
            finding.message.starts_with(
                "The service account ci holds permissions-management role rbac-manager through group deployers as standing access"
            ),
            "{}",
            finding.message
        );
        assert!(finding
            .message
            .ends_with("It holds 1 more standing role at or above write level."));
        assert_eq!(finding.evidence.facts["qualifying_roles"], "2");
        assert_eq!(
            finding.evidence.path.as_ref().map(|p| p.hops.len()),
            Some(2)
        );
    }

    #[test]
    fn humans_read_only_eligible_and_disabled_identities_do_not_fire() {
        let mut f = Fixture::new();
        f.identity("alice", IdentityKind::Human);
        f.identity("reader", IdentityKind::Workload);
        f.identity("agent", IdentityKind::AiAgent);
        f.identity("gone", IdentityKind::ServiceAccount).disabled = true;
        f.role("deploy", PrivilegeLevel::Write);
        f.role("logs", PrivilegeLevel::Read);
        f.assign("alice", "deploy", AssignmentKind::Standing);
        f.assign("reader", "logs", AssignmentKind::Standing);
        f.assign("agent", "deploy", AssignmentKind::Eligible);
        f.assign("gone", "deploy", AssignmentKind::Standing);
        assert!(f.run("SP005", NOW).is_empty());
    }

    #[test]
    fn the_threshold_is_a_parameter() {
        let mut f = Fixture::new();
        f.config("rules: {SP005: {parameters: {min_privilege: admin}}}");
        f.identity("ci", IdentityKind::ServiceAccount);
        f.role("deploy", PrivilegeLevel::Write);
        f.assign("ci", "deploy", AssignmentKind::Standing);
        assert!(f.run("SP005", NOW).is_empty());
    }
}
