//! SP003 dormant-standing-privilege: standing privilege nobody uses — the best candidates
//! to turn into JIT eligibility.

use super::{privilege_param, route};
use crate::finding::Finding;
use crate::graph::Reached;
use crate::model::time::{days_between, format_timestamp};
use crate::model::{Assignment, Grant, Identity, IdentityKind, Provenance, Timestamp};
use crate::rules::{Rule, RuleContext};

pub struct DormantStandingPrivilege;

impl Rule for DormantStandingPrivilege {
    fn reads_reach(&self) -> bool {
        true
    }

    fn evaluate(&self, ctx: &RuleContext<'_>, out: &mut Vec<Finding>) {
        let unused_days = i64::try_from(ctx.params.integer("unused_days")).unwrap_or(i64::MAX);
        let min_privilege = privilege_param(ctx, "min_privilege");
        ctx.for_each_identity(out, |identity, out| {
            // Break-glass accounts are dormant by design; GV003 watches their use.
            if identity.kind == IdentityKind::Group
                || identity.disabled
                || ctx.policy.break_glass.contains(&identity.id)
            {
                return;
            }
            // The identity's own records, fetched once for all the roles it reaches.
            let own = OwnRecords {
                assignments: ctx.assignments_of(&identity.id).collect(),
                grants: ctx.grants_of(&identity.id).collect(),
            };
            for reached in ctx
                .standing_reach(&identity.id)
                .iter()
                .filter(|r| r.privilege >= min_privilege)
            {
                let usage = last_use(ctx, &identity.id, &own, reached);
                if let Some(finding) = judge(ctx, identity, reached, &usage, unused_days) {
                    out.push(finding);
                }
            }
        });
    }
}

/// What the records say about one identity's use of one role.
struct Usage<'a> {
    last: Option<Timestamp>,
    /// Where the last use was recorded when it is not the identity's own: `through group
    /// platform` (a group assignment records use by any member) or `by any holder of the
    /// role` (a role-level last use). None when the record is the identity's own.
    shared: Option<String>,
    /// Assignment records of exactly this identity and role (they carry `last_used`).
    records: Vec<&'a Provenance>,
}

/// The latest use of the reached role by `identity`: assignments of the identity to the role
/// that record a last use, and uses logged on the identity's grants of the role. Where
/// neither exists, the use recorded on the path's own grant (a group's assignment) or on the
/// role itself stands in for it, and the message says so: the source then records use per
/// group or per role, not per person, and flagging every member as dormant would be noise.
/// An identity's own assignments and grants, in inventory and grant order.
struct OwnRecords<'a> {
    assignments: Vec<&'a Assignment>,
    grants: Vec<&'a Grant>,
}

fn last_use<'a>(
    ctx: &RuleContext<'a>,
    identity: &str,
    own: &OwnRecords<'a>,
    reached: &Reached,
) -> Usage<'a> {
    let role: &str = &reached.role;
    let assignments = own.assignments.iter().filter(|a| a.role == role);
    let mut records = Vec::new();
    let mut last = None;
    for a in assignments {
        records.push(&a.provenance);
        last = last.max(a.last_used);
    }
    let grant_uses = own
        .grants
        .iter()
        .filter(|g| g.entitlement == role)
        .flat_map(|g| g.used_at.iter().copied());
    for used in grant_uses {
        last = last.max(Some(used));
    }
    if last.is_some() {
        return Usage {
            last,
            shared: None,
            records,
        };
    }
    let granting = reached.path.hops.iter().rev().find(|h| &*h.to.id == role);
    if let Some(hop) = granting.filter(|h| &*h.from.id != identity) {
        let group_use = ctx
            .assignments_for(&hop.from.id, role)
            .filter_map(|a| a.last_used)
            .max();
        if group_use.is_some() {
            return Usage {
                last: group_use,
                shared: Some(format!("through {} {}", hop.from.kind, hop.from.id)),
                records,
            };
        }
    }
    let role_use = ctx.inventory.role(role).and_then(|r| r.last_used);
    Usage {
        last: role_use,
        shared: role_use.map(|_| "by any holder of the role".to_string()),
        records,
    }
}

fn judge(
    ctx: &RuleContext<'_>,
    identity: &Identity,
    reached: &Reached,
    usage: &Usage<'_>,
    unused_days: i64,
) -> Option<Finding> {
    // Most standing privilege is in use: decide before building any text.
    let held = || {
        format!(
            "{} holds role {} ({}) {} as standing access",
            identity.display_name(),
            reached.role,
            reached.privilege,
            route(&reached.path)
        )
    };
    let (message, facts): (String, Vec<(&str, String)>) = match usage.last {
        Some(last) => {
            let idle = days_between(last, ctx.now);
            if idle < unused_days {
                return None;
            }
            let whose = usage
                .shared
                .as_ref()
                .map(|s| format!(", as recorded {s}"))
                .unwrap_or_default();
            (
                format!(
                    "{} and has not used it for {idle} days (last used {}{whose}; the limit \
                     is {unused_days} days): make it JIT-eligible or remove it.",
                    held(),
                    format_timestamp(last)
                ),
                vec![
                    ("last_used", format_timestamp(last)),
                    ("days_unused", idle.to_string()),
                ],
            )
        }
        None => {
            // A path made recently has had no chance to be used yet.
            let granted = reached.path.granted_at();
            if let Some(start) = granted {
                if days_between(start, ctx.now) < unused_days {
                    return None;
                }
            }
            let since = granted
                .map(|s| format!(" since it was granted on {}", format_timestamp(s)))
                .unwrap_or_default();
            (
                format!(
                    "{} and no use of it is recorded{since} (the limit is {unused_days} days \
                     unused): make it JIT-eligible or remove it.",
                    held()
                ),
                vec![("last_used", "never recorded".to_string())],
            )
        }
    };
    let mut finding = ctx
        .finding(&identity.id, Some(&reached.role), &reached.role, message)
        .source(&identity.provenance)
        .path(&reached.path)
        .fact("unused_days", unused_days);
    for (name, value) in facts {
        finding = finding.fact(name, value);
    }
    for record in &usage.records {
        finding = finding.source(record);
    }
    Some(finding.build())
}

#[cfg(test)]
mod tests {
    use crate::model::{AssignmentKind, GrantEventKind, IdentityKind, PrivilegeLevel};
    use crate::rules::test_support::{only, ts, window, Fixture};

    const NOW: &str = "2026-06-01T00:00:00Z";

    fn org(last_used: &str) -> Fixture {
        let mut f = Fixture::new();
        f.identity("deployer", IdentityKind::ServiceAccount);
        f.role("db-write", PrivilegeLevel::Write);
        f.assign("deployer", "db-write", AssignmentKind::Standing)
            .last_used = Some(ts(last_used));
        f
    }

    #[test]
    fn unused_for_longer_than_the_limit_fires_with_the_days() {
        let finding = only(org("2026-01-01T00:00:00Z").run("SP003", NOW));
        assert_eq!(finding.subject, "deployer");
        assert_eq!(finding.entitlement.as_deref(), Some("db-write"));
        assert!(
            finding.message.contains(
                "deployer holds role db-write (write) directly as standing access and has not used it for 151 days"
            ),
            "{}",
            finding.message
        );
        assert_eq!(finding.evidence.facts["last_used"], "2026-01-01T00:00:00Z");
        assert_eq!(finding.evidence.facts["days_unused"], "151");
        // A later use that is still too old: a different number, the same fact.
        let older = only(org("2025-12-01T00:00:00Z").run("SP003", NOW));
        assert_eq!(finding.fingerprint, older.fingerprint);
    }

    #[test]
    fn used_ten_days_ago_does_not_fire() {
        assert!(org("2026-05-22T00:00:00Z").run("SP003", NOW).is_empty());
    }

    #[test]
    fn a_recent_grant_use_counts_as_use() {
        let mut f = org("2025-01-01T00:00:00Z");
        f.grant_event(
            "g1",
            GrantEventKind::Used,
            "2026-05-30T00:00:00Z",
            "deployer",
            "db-write",
        );
        assert!(f.run("SP003", NOW).is_empty());
    }

    #[test]
    fn no_recorded_use_fires_unless_newly_granted() {
        let mut f = Fixture::new();
        f.identity("alice", IdentityKind::Human);
        f.identity("bob", IdentityKind::Human);
        f.identity("carol", IdentityKind::Human);
        f.role("prod-admin", PrivilegeLevel::Admin);
        f.role("wiki-read", PrivilegeLevel::Read);
        f.assign("alice", "prod-admin", AssignmentKind::Standing);
        f.assign("bob", "prod-admin", AssignmentKind::Standing)
            .window = window(Some("2026-05-20T00:00:00Z"), None);
        // Below min_privilege (write).
        f.assign("carol", "wiki-read", AssignmentKind::Standing);
        let finding = only(f.run("SP003", NOW));
        assert_eq!(finding.subject, "alice");
        assert!(
            finding.message.contains("no use of it is recorded"),
            "{}",
            finding.message
        );
        assert_eq!(finding.evidence.facts["last_used"], "never recorded");
    }

    #[test]
    fn unused_days_parameter_applies() {
        let mut f = org("2026-05-22T00:00:00Z");
        f.config("rules: {SP003: {parameters: {unused_days: 7}}}");
        assert!(only(f.run("SP003", NOW))
            .message
            .contains("not used it for 10 days"));
    }
}

#[cfg(test)]
mod shared_usage_tests {
    use crate::model::{AssignmentKind, IdentityKind, PrivilegeLevel};
    use crate::rules::test_support::{only, ts, window, Fixture};

    const NOW: &str = "2026-06-01T00:00:00Z";

    fn org() -> Fixture {
        let mut f = Fixture::new();
        f.identity("dana", IdentityKind::Human);
        f.identity("dba", IdentityKind::Group);
        f.role("db-write", PrivilegeLevel::Write);
        f.member("dana", "dba", AssignmentKind::Standing);
        f
    }

    #[test]
    fn use_recorded_on_the_group_assignment_counts_and_is_named() {
        let mut f = org();
        f.assign("dba", "db-write", AssignmentKind::Standing)
            .last_used = Some(ts("2026-05-30T00:00:00Z"));
        assert!(
            f.run("SP003", NOW).is_empty(),
            "used through the group two days ago"
        );

        let mut f = org();
        f.assign("dba", "db-write", AssignmentKind::Standing)
            .last_used = Some(ts("2025-12-01T00:00:00Z"));
        let finding = only(f.run("SP003", NOW));
        assert!(
            finding.message.contains("as recorded through group dba"),
            "{}",
            finding.message
        );
    }

    #[test]
    fn a_group_assignment_made_last_week_is_not_dormant_yet() {
        let mut f = org();
        f.assign("dba", "db-write", AssignmentKind::Standing).window =
            window(Some("2026-05-25T00:00:00Z"), None);
        assert!(f.run("SP003", NOW).is_empty());
        let mut f = org();
        f.assign("dba", "db-write", AssignmentKind::Standing).window =
            window(Some("2025-05-25T00:00:00Z"), None);
        assert_eq!(f.run("SP003", NOW).len(), 1);
    }

    #[test]
    fn break_glass_accounts_are_dormant_by_design() {
        let mut f = Fixture::new();
        f.config("break_glass: [bg]");
        f.identity("bg", IdentityKind::Human);
        f.role("admin", PrivilegeLevel::Admin);
        f.assign("bg", "admin", AssignmentKind::Standing);
        assert!(f.run("SP003", NOW).is_empty());
    }
}
