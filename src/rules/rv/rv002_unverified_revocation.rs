//! RV002 unverified-revocation: a grant's window is over but the JIT system never logged
//! taking it back, so nothing shows the privilege went away.

use super::entitlement_words;
use crate::finding::Finding;
use crate::model::time::{format_duration, format_timestamp};
use crate::rules::{Rule, RuleContext};

pub struct UnverifiedRevocation;

impl Rule for UnverifiedRevocation {
    fn evaluate(&self, ctx: &RuleContext<'_>, out: &mut Vec<Finding>) {
        let grace = ctx.params.duration("grace");
        for grant in ctx
            .grants
            .iter()
            .filter(|g| g.was_activated() && !g.revocation_logged())
        {
            let Some(end) = grant.window_end else {
                continue;
            };
            // An end so far in the future that adding the grace overflows is not yet due.
            let Ok(due) = end.checked_add(grace) else {
                continue;
            };
            if due > ctx.now {
                continue;
            }
            let how_known = if grant.window_end_recorded {
                "as recorded in the log".to_string()
            } else {
                format!(
                    "as defaulted from jit.default_window ({}) because the log records no end",
                    format_duration(ctx.policy.jit_default_window)
                )
            };
            let message = format!(
                "Grant {} gave {} {}; its window ended at {} ({how_known}), and {} later no \
                 revoke or expiry event is logged.",
                grant.id,
                ctx.inventory.display_name(&grant.principal),
                entitlement_words(ctx, &grant.entitlement),
                format_timestamp(end),
                format_duration(grace),
            );
            // The grant's events come first among the sources: its first event locates it.
            out.push(
                ctx.grant_finding(grant, message)
                    .grant(grant)
                    .fact("window_end", format_timestamp(end))
                    .fact("window_end_recorded", grant.window_end_recorded)
                    .fact("grace", format_duration(grace))
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
        f
    }

    #[test]
    fn a_recorded_window_end_without_expiry_fires() {
        let mut f = org();
        f.activation(
            "g1",
            "2026-05-31T08:00:00Z",
            "alice",
            "prod-admin",
            "2026-05-31T12:00:00Z",
        );
        let finding = only(f.run("RV002", NOW));
        assert_eq!(finding.subject, "alice");
        assert_eq!(finding.entitlement.as_deref(), Some("prod-admin"));
        assert_eq!(
            finding.message,
            "Grant g1 gave alice role prod-admin (admin); its window ended at 2026-05-31T12:00:00Z \
             (as recorded in the log), and 1h later no revoke or expiry event is logged."
        );
        assert_eq!(
            finding.evidence.sources[0].record.as_deref(),
            Some("/grant_events/0")
        );
        let later = only(f.run("RV002", "2026-06-02T00:00:00Z"));
        assert_eq!(finding.fingerprint, later.fingerprint);
    }

    #[test]
    fn a_defaulted_window_end_is_named_as_such() {
        let mut f = org();
        f.config("jit: {default_window: 2h}");
        f.grant_event(
            "g1",
            GrantEventKind::Activated,
            "2026-05-31T08:00:00Z",
            "alice",
            "prod-admin",
        );
        let finding = only(f.run("RV002", NOW));
        assert!(
            finding.message.contains(
                "ended at 2026-05-31T10:00:00Z (as defaulted from jit.default_window (2h)"
            ),
            "{}",
            finding.message
        );
        assert_eq!(finding.evidence.facts["window_end_recorded"], "false");
    }

    #[test]
    fn logged_expiry_grace_period_and_unactivated_grants_do_not_fire() {
        let mut f = org();
        f.activation(
            "logged",
            "2026-05-31T08:00:00Z",
            "alice",
            "prod-admin",
            "2026-05-31T12:00:00Z",
        );
        f.grant_event(
            "logged",
            GrantEventKind::Expired,
            "2026-05-31T12:00:05Z",
            "alice",
            "prod-admin",
        );
        f.activation(
            "in-grace",
            "2026-05-31T20:00:00Z",
            "alice",
            "prod-admin",
            "2026-05-31T23:30:00Z",
        );
        f.grant_event(
            "requested",
            GrantEventKind::Requested,
            "2026-05-30T08:00:00Z",
            "alice",
            "prod-admin",
        )
        .window_end = Some(ts("2026-05-30T12:00:00Z"));
        assert!(f.run("RV002", NOW).is_empty());
    }
}
