//! GV002 window-too-long: a grant's window is longer than the organisation allows for the
//! privilege tier of what it grants — long windows turn JIT back into standing access.

use super::grant_words;
use crate::finding::Finding;
use crate::model::time::format_duration;
use crate::rules::sp::privilege_param;
use crate::rules::{Rule, RuleContext};

pub struct WindowTooLong;

impl Rule for WindowTooLong {
    fn evaluate(&self, ctx: &RuleContext<'_>, out: &mut Vec<Finding>) {
        let unknown_tier = privilege_param(ctx, "unknown_entitlement_tier");
        for grant in ctx.grants {
            // A request that was refused and never activated granted no window at all.
            if grant.denied && !grant.was_activated() {
                continue;
            }
            let Some(length) = grant.window_length() else {
                continue;
            };
            let role = ctx.inventory.role(&grant.entitlement);
            let tier = role.map_or(unknown_tier, |r| r.privilege);
            let Some(limit) = ctx.policy.window_limit(tier) else {
                continue;
            };
            if length <= limit {
                continue;
            }
            let tier_note = if role.is_some() {
                String::new()
            } else {
                " (the entitlement is not a role in the inventory, so unknown_entitlement_tier applies)".to_string()
            };
            let end_note = if grant.window_end_recorded {
                String::new()
            } else {
                format!(
                    "; the log records no window end, so it is taken as activation plus jit.default_window ({})",
                    format_duration(ctx.policy.jit_default_window)
                )
            };
            let message = format!(
                "{} had a window of {}, longer than the {} limit for the {tier} tier{tier_note}{end_note}.",
                grant_words(ctx, grant),
                format_duration(length),
                format_duration(limit),
            );
            out.push(
                ctx.grant_finding(grant, message)
                    .grant(grant)
                    .fact("window", format_duration(length))
                    .fact("limit", format_duration(limit))
                    .fact("tier", tier)
                    .fact("window_end_recorded", grant.window_end_recorded)
                    .build(),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::model::{GrantEventKind, IdentityKind, PrivilegeLevel};
    use crate::rules::test_support::{only, ts, Fixture};

    const NOW: &str = "2026-06-01T00:00:00Z";

    fn org() -> Fixture {
        let mut f = Fixture::new();
        f.identity("alice", IdentityKind::Human);
        f.role("prod-admin", PrivilegeLevel::Admin);
        f.role("db-write", PrivilegeLevel::Write);
        f
    }

    fn grant(f: &mut Fixture, id: &str, entitlement: &str, end: Option<&str>) {
        f.grant_event(
            id,
            GrantEventKind::Activated,
            "2026-05-30T08:00:00Z",
            "alice",
            entitlement,
        )
        .window_end = end.map(ts);
    }

    #[test]
    fn a_day_long_admin_window_fires_with_length_limit_and_tier() {
        let mut f = org();
        grant(&mut f, "g1", "prod-admin", Some("2026-05-31T08:00:00Z"));
        let finding = only(f.run("GV002", NOW));
        assert_eq!(finding.subject, "alice");
        assert_eq!(finding.entitlement.as_deref(), Some("prod-admin"));
        assert_eq!(
            finding.message,
            "Grant g1 for alice on role prod-admin (admin) had a window of 1d, longer than the 4h limit for the admin tier."
        );
        assert_eq!(finding.evidence.facts["limit"], "4h");
        let later = only(f.run("GV002", "2026-07-01T00:00:00Z"));
        assert_eq!(finding.fingerprint, later.fingerprint);
    }

    #[test]
    fn a_defaulted_end_and_an_unknown_entitlement_are_explained() {
        let mut f = org();
        f.config("jit: {default_window: 16h}");
        grant(&mut f, "g2", "legacy-console", None);
        let finding = only(f.run("GV002", NOW));
        assert!(
            finding
                .message
                .contains("window of 16h, longer than the 12h limit for the write tier"),
            "{}",
            finding.message
        );
        assert!(
            finding.message.contains("unknown_entitlement_tier applies"),
            "{}",
            finding.message
        );
        assert!(
            finding.message.contains("jit.default_window (16h)"),
            "{}",
            finding.message
        );
    }

    #[test]
    fn windows_within_their_tier_limit_do_not_fire() {
        let mut f = org();
        grant(
            &mut f,
            "admin-2h",
            "prod-admin",
            Some("2026-05-30T10:00:00Z"),
        );
        grant(
            &mut f,
            "write-12h",
            "db-write",
            Some("2026-05-30T20:00:00Z"),
        );
        assert!(f.run("GV002", NOW).is_empty());
    }
}
