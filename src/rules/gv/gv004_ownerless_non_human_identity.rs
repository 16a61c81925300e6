//! GV004 ownerless-non-human-identity: a service account, workload or AI agent nobody is
//! accountable for — nobody rotates its secrets, reviews its access or retires it.

use crate::finding::Finding;
use crate::model::IdentityKind;
use crate::rules::{Rule, RuleContext};

pub struct OwnerlessNonHumanIdentity;

impl Rule for OwnerlessNonHumanIdentity {
    fn reads_reach(&self) -> bool {
        true
    }

    fn evaluate(&self, ctx: &RuleContext<'_>, out: &mut Vec<Finding>) {
        for identity in ctx.identities() {
            let owned = identity
                .owner
                .as_deref()
                .is_some_and(|o| !o.trim().is_empty());
            if identity.disabled || !identity.kind.is_non_human() || owned {
                continue;
            }
            let standing = ctx.standing_reach(&identity.id);
            let reach = match standing.iter().map(|r| r.privilege).max() {
                Some(highest) => format!(
                    " It holds {} role{} as standing access, the highest at {highest} level.",
                    standing.len(),
                    if standing.len() == 1 { "" } else { "s" },
                ),
                None => String::new(),
            };
            let message = format!(
                "The {} {} has no owner, so nobody is accountable for its access and credentials.{reach}",
                kind_words(identity.kind),
                identity.display_name(),
            );
            let mut finding = ctx
                .finding(&identity.id, None, "", message)
                .source(&identity.provenance)
                .fact("kind", identity.kind)
                .fact("standing_roles", standing.len());
            if let Some(highest) = standing.iter().map(|r| r.privilege).max() {
                finding = finding.fact("highest_standing_privilege", highest);
            }
            out.push(finding.build());
        }
    }
}

/// The identity kind as a message says it.
fn kind_words(kind: IdentityKind) -> &'static str {
    match kind {
        IdentityKind::ServiceAccount => "service account",
        IdentityKind::Workload => "workload",
        IdentityKind::AiAgent => "AI agent",
        IdentityKind::Human => "person",
        IdentityKind::Group => "group",
    }
}

#[cfg(test)]
mod tests {
    use crate::model::{AssignmentKind, IdentityKind, PrivilegeLevel};
    use crate::rules::test_support::{only, Fixture};

    const NOW: &str = "2026-06-01T00:00:00Z";

    #[test]
    fn an_ownerless_service_account_fires_with_its_standing_reach() {
        let mut f = Fixture::new();
        f.identity("svc-backup", IdentityKind::ServiceAccount).name = "Backup job".into();
        f.role("s3-write", PrivilegeLevel::Write);
        f.role("s3-read", PrivilegeLevel::Read);
        f.assign("svc-backup", "s3-write", AssignmentKind::Standing);
        f.assign("svc-backup", "s3-read", AssignmentKind::Standing);
        let finding = only(f.run("GV004", NOW));
        assert_eq!(finding.subject, "svc-backup");
        assert_eq!(finding.entitlement, None);
        assert_eq!(
            finding.message,
            "The service account Backup job has no owner, so nobody is accountable for its access and \
             credentials. It holds 2 roles as standing access, the highest at write level."
        );
        let later = only(f.run("GV004", "2027-01-01T00:00:00Z"));
        assert_eq!(finding.fingerprint, later.fingerprint);
    }

    #[test]
    fn owned_blank_owned_human_and_disabled_identities() {
        let mut f = Fixture::new();
        f.identity("agent", IdentityKind::AiAgent).owner = Some("ml-team".into());
        f.identity("blank", IdentityKind::Workload).owner = Some("  ".into());
        f.identity("alice", IdentityKind::Human);
        f.identity("retired", IdentityKind::ServiceAccount).disabled = true;
        f.identity("team", IdentityKind::Group);
        let finding = only(f.run("GV004", NOW));
        assert_eq!(finding.subject, "blank", "a blank owner is no owner");
        assert_eq!(
            finding.message,
            "The workload blank has no owner, so nobody is accountable for its access and credentials."
        );
    }
}
