//! RV004 used-after-window: a JIT grant's privilege was used after its window closed.

use super::{entitlement_words, how_closed};
use crate::finding::Finding;
use crate::model::time::format_timestamp;
use crate::rules::{Rule, RuleContext};

pub struct UsedAfterWindow;

impl Rule for UsedAfterWindow {
    fn evaluate(&self, ctx: &RuleContext<'_>, out: &mut Vec<Finding>) {
        let grace = ctx.params.duration("grace");
        for grant in ctx
            .grants
            .iter()
            .filter(|g| g.was_activated() && g.closed_by(ctx.now))
        {
            let Some(close) = grant.close_time() else {
                continue;
            };
            let after = close.checked_add(grace).unwrap_or(close);
            let mut uses: Vec<_> = grant
                .used_at
                .iter()
                .copied()
                .filter(|t| *t > after && *t <= ctx.now)
                .collect();
            uses.sort();
            uses.dedup();
            let (Some(first), Some(last)) = (uses.first().copied(), uses.last().copied()) else {
                continue;
            };
            let who = ctx.inventory.display_name(&grant.principal);
            let when = if uses.len() == 1 {
                format!("once after that, at {}", format_timestamp(first))
            } else {
                format!(
                    "{} times after that, from {} to {}",
                    uses.len(),
                    format_timestamp(first),
                    format_timestamp(last)
                )
            };
            let message = format!(
                "Grant {} gave {who} {}, and it {}, but {who} used it {when}.",
                grant.id,
                entitlement_words(ctx, &grant.entitlement),
                how_closed(grant),
            );
            // The first use after the close locates the finding.
            let first_use = grant
                .events
                .iter()
                .find(|e| e.event == crate::model::GrantEventKind::Used && e.time == first)
                .map(|e| e.provenance.clone());
            let mut finding = ctx.grant_finding(grant, message);
            if let Some(p) = &first_use {
                finding = finding.source(p);
            }
            out.push(
                finding
                    .grant(grant)
                    .fact("closed_at", format_timestamp(close))
                    .fact("uses_after_close", uses.len())
                    .fact("first_use_after_close", format_timestamp(first))
                    .fact("last_use_after_close", format_timestamp(last))
                    .build(),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::model::{GrantEventKind, IdentityKind, PrivilegeLevel};
    use crate::rules::test_support::{only, Fixture};

    const NOW: &str = "2026-06-01T00:00:00Z";

    fn org(uses: &[&str]) -> Fixture {
        let mut f = Fixture::new();
        f.identity("dev", IdentityKind::Human);
        f.role("prod-admin", PrivilegeLevel::Admin);
        f.activation(
            "g1",
            "2026-05-30T08:00:00Z",
            "dev",
            "prod-admin",
            "2026-05-30T12:00:00Z",
        );
        for u in uses {
            f.grant_event("g1", GrantEventKind::Used, u, "dev", "prod-admin");
        }
        f
    }

    #[test]
    fn uses_after_the_close_fire_once_per_grant() {
        let finding = only(
            org(&[
                "2026-05-30T09:00:00Z",
                "2026-05-31T08:00:00Z",
                "2026-05-31T09:00:00Z",
            ])
            .run("RV004", NOW),
        );
        assert_eq!(
            finding.message,
            "Grant g1 gave dev role prod-admin (admin), and it closed when its window ended at \
             2026-05-30T12:00:00Z, but dev used it 2 times after that, from 2026-05-31T08:00:00Z \
             to 2026-05-31T09:00:00Z."
        );
        assert_eq!(finding.evidence.facts["uses_after_close"], "2");
        assert_eq!(
            finding.evidence.sources[0].record.as_deref(),
            Some("/grant_events/2")
        );
    }

    #[test]
    fn uses_inside_the_window_grace_or_future_do_not_fire() {
        assert!(org(&["2026-05-30T09:00:00Z", "2026-05-30T12:04:00Z"])
            .run("RV004", NOW)
            .is_empty());
        // A use after the audit time is not known at the audit time.
        assert!(org(&["2026-06-02T00:00:00Z"]).run("RV004", NOW).is_empty());
        // The window has not closed yet.
        assert!(org(&["2026-05-30T11:00:00Z"])
            .run("RV004", "2026-05-30T11:30:00Z")
            .is_empty());
    }
}
