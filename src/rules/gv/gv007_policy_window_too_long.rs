//! GV007 policy-window-too-long: a JIT system's own policy for a role allows activations
//! longer than the organisation's limit for the role's privilege tier (or sets no maximum).
//! GV002 flags each grant that was too long; this flags the policy that let it happen.

use crate::finding::Finding;
use crate::model::time::format_duration;
use crate::model::{Grant, SignedDuration};
use crate::rules::{Rule, RuleContext};

pub struct PolicyWindowTooLong;

impl Rule for PolicyWindowTooLong {
    fn evaluate(&self, ctx: &RuleContext<'_>, out: &mut Vec<Finding>) {
        for policy in &ctx.inventory.jit_policies {
            // Finalize guarantees the role exists; a policy for an unknown role has no tier.
            let Some(role) = ctx.inventory.role(&policy.role) else {
                continue;
            };
            let tier = role.privilege;
            let Some(limit) = ctx.policy.window_limit(tier) else {
                continue;
            };
            let allows = match policy.max_window {
                Some(max) if max <= limit => continue,
                Some(max) => format!("allows activations of up to {}", format_duration(max)),
                None => "sets no maximum activation length".to_string(),
            };
            // Grants on the role that really were longer than the tier allows: the evidence
            // that the gap is used, not only possible.
            let mut too_long: Vec<(SignedDuration, &Grant)> = ctx
                .grants_on(&policy.role)
                // A refused request that was never activated granted no window.
                .filter(|g| g.was_activated() || !g.denied)
                .filter_map(|g| Some((g.window_length()?, g)))
                .filter(|(length, _)| *length > limit)
                .collect();
            // Longest first; among equals, the lowest grant id.
            too_long.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.id.cmp(&b.1.id)));
            let used = match too_long.first() {
                Some((length, grant)) => format!(
                    " {} on the role {} longer than that limit, the longest {} ({}).",
                    if too_long.len() == 1 {
                        "1 grant".to_string()
                    } else {
                        format!("{} grants", too_long.len())
                    },
                    if too_long.len() == 1 { "was" } else { "were" },
                    format_duration(*length),
                    grant.id,
                ),
                None => " No grant on the role has been longer than the limit yet.".to_string(),
            };
            let message = format!(
                "The {} JIT policy {} for role {} ({tier}) {allows}, although residue.yaml's \
                 windows limit the {tier} tier to {}.{used}",
                policy.system,
                policy.id,
                ctx.inventory.display_name(&policy.role),
                format_duration(limit),
            );
            let mut finding = ctx
                .finding(&policy.role, None, &policy.id, message)
                .source(&policy.provenance)
                .fact("policy", &policy.id)
                .fact("system", &policy.system)
                .fact("tier", tier)
                .fact("limit", format_duration(limit))
                .fact(
                    "max_window",
                    policy
                        .max_window
                        .map_or_else(|| "none".to_string(), format_duration),
                )
                .fact("grants_over_limit", too_long.len());
            if let Some((length, grant)) = too_long.first() {
                finding = finding
                    .grant(grant)
                    .fact("longest_window", format_duration(*length));
            }
            out.push(finding.build());
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::model::{IdentityKind, PrivilegeLevel, SignedDuration};
    use crate::rules::test_support::{only, Fixture};

    const NOW: &str = "2026-06-01T00:00:00Z";

    fn org(max_window: Option<i64>) -> Fixture {
        let mut f = Fixture::new();
        f.identity("alice", IdentityKind::Human);
        f.role("prod-admin", PrivilegeLevel::Admin);
        f.jit_policy("pim-prod-admin", "entra-pim", "prod-admin")
            .max_window = max_window.map(SignedDuration::from_hours);
        f
    }

    fn grant(f: &mut Fixture, id: &str, end: &str) {
        f.activation(id, "2026-05-30T08:00:00Z", "alice", "prod-admin", end);
    }

    #[test]
    fn a_policy_allowing_a_day_of_admin_fires_with_the_grants_that_used_it() {
        let mut f = org(Some(24));
        grant(&mut f, "g1", "2026-05-30T20:00:00Z");
        grant(&mut f, "g2", "2026-05-31T08:00:00Z");
        grant(&mut f, "g3", "2026-05-30T10:00:00Z");
        let finding = only(f.run("GV007", NOW));
        assert_eq!(finding.subject, "prod-admin");
        assert_eq!(finding.entitlement, None);
        assert_eq!(
            finding.message,
            "The entra-pim JIT policy pim-prod-admin for role prod-admin (admin) allows \
             activations of up to 1d, although residue.yaml's windows limit the admin tier to \
             4h. 2 grants on the role were longer than that limit, the longest 1d (g2)."
        );
        assert_eq!(finding.evidence.facts["grants_over_limit"], "2");
        assert_eq!(
            finding.evidence.grant.as_ref().map(|g| g.id.as_str()),
            Some("g2")
        );
        let later = only(f.run("GV007", "2027-01-01T00:00:00Z"));
        assert_eq!(finding.fingerprint, later.fingerprint);
    }

    #[test]
    fn a_policy_without_a_maximum_fires() {
        let finding = only(org(None).run("GV007", NOW));
        assert!(
            finding
                .message
                .contains("sets no maximum activation length, although")
                && finding
                    .message
                    .ends_with("No grant on the role has been longer than the limit yet."),
            "{}",
            finding.message
        );
    }

    #[test]
    fn within_the_limit_or_an_unlimited_tier_does_not_fire() {
        let mut f = org(Some(4));
        grant(&mut f, "g1", "2026-05-31T08:00:00Z");
        assert!(f.run("GV007", NOW).is_empty(), "the grant is GV002's");
        let mut f = Fixture::new();
        f.role("reader", PrivilegeLevel::None);
        f.jit_policy("p", "teleport", "reader");
        assert!(f.run("GV007", NOW).is_empty());
    }
}
