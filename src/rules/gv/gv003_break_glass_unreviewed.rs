//! GV003 break-glass-unreviewed: emergency access skips approval on the promise of a prompt
//! review afterwards; this flags the ones whose review never came (in time).

use super::grant_words;
use crate::finding::Finding;
use crate::model::time::format_timestamp;
use crate::model::SignedDuration;
use crate::rules::{Rule, RuleContext};

pub struct BreakGlassUnreviewed;

impl Rule for BreakGlassUnreviewed {
    fn evaluate(&self, ctx: &RuleContext<'_>, out: &mut Vec<Finding>) {
        let review_days = ctx.params.integer("review_days");
        // Saturate: an absurdly long review period means "never due", not an overflow.
        let period = i64::try_from(review_days)
            .ok()
            .and_then(|d| d.checked_mul(86_400))
            .map_or(SignedDuration::MAX, SignedDuration::from_secs);
        for grant in ctx.grants.iter().filter(|g| g.break_glass) {
            let Some(activated) = grant.activated_at else {
                continue;
            };
            let Ok(due) = activated.checked_add(period) else {
                continue;
            };
            if due > ctx.now {
                continue;
            }
            let in_time = grant
                .reviewed_at
                .iter()
                .any(|&r| activated <= r && r <= due);
            if in_time {
                continue;
            }
            let late_review = grant.reviewed_at.iter().copied().filter(|&r| r > due).min();
            let outcome = match late_review {
                Some(r) => format!(
                    "the first review was only logged at {}",
                    format_timestamp(r)
                ),
                None => "no review is logged after the activation".to_string(),
            };
            let message = format!(
                "{} was a break-glass activation at {}; it had to be reviewed within {review_days} days \
                 (by {}), but {outcome}.",
                grant_words(ctx, grant),
                format_timestamp(activated),
                format_timestamp(due),
            );
            let mut finding = ctx
                .grant_finding(grant, message)
                .grant(grant)
                .fact("activated_at", format_timestamp(activated))
                .fact("review_due", format_timestamp(due))
                .fact("review_days", review_days);
            if let Some(r) = late_review {
                finding = finding.fact("reviewed_at", format_timestamp(r));
            }
            out.push(finding.build());
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::model::{GrantEventKind, IdentityKind, PrivilegeLevel};
    use crate::rules::test_support::{only, Fixture};

    const NOW: &str = "2026-06-01T00:00:00Z";

    fn org(review: Option<&str>) -> Fixture {
        let mut f = Fixture::new();
        f.identity("bg-1", IdentityKind::Human);
        f.role("root", PrivilegeLevel::Admin);
        f.grant_event(
            "bg",
            GrantEventKind::Activated,
            "2026-05-20T03:12:00Z",
            "bg-1",
            "root",
        )
        .break_glass = true;
        if let Some(time) = review {
            f.grant_event("bg", GrantEventKind::Reviewed, time, "bg-1", "root")
                .approver = Some("sec-lead".into());
        }
        f
    }

    #[test]
    fn an_unreviewed_break_glass_activation_fires() {
        let finding = only(org(None).run("GV003", NOW));
        assert_eq!(finding.subject, "bg-1");
        assert_eq!(finding.entitlement.as_deref(), Some("root"));
        assert_eq!(
            finding.message,
            "Grant bg for bg-1 on role root (admin) was a break-glass activation at 2026-05-20T03:12:00Z; \
             it had to be reviewed within 2 days (by 2026-05-22T03:12:00Z), but no review is logged after the activation."
        );
        let later = only(org(None).run("GV003", "2026-07-01T00:00:00Z"));
        assert_eq!(finding.fingerprint, later.fingerprint);
    }

    #[test]
    fn a_late_review_still_fires_and_says_when() {
        let finding = only(org(Some("2026-05-25T00:00:00Z")).run("GV003", NOW));
        assert!(
            finding
                .message
                .contains("the first review was only logged at 2026-05-25T00:00:00Z"),
            "{}",
            finding.message
        );
    }

    #[test]
    fn reviewed_next_day_or_not_yet_due_does_not_fire() {
        assert!(org(Some("2026-05-21T09:00:00Z"))
            .run("GV003", NOW)
            .is_empty());
        assert!(org(None).run("GV003", "2026-05-21T00:00:00Z").is_empty());
    }
}
