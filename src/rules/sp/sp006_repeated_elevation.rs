//! SP006 repeated-elevation: the same principal activates the same entitlement again and
//! again — the work needs a narrower standing role, or the task should be split.

use crate::finding::Finding;
use crate::model::time::format_timestamp;
use crate::model::{Grant, SignedDuration, Timestamp};
use crate::rules::rv::entitlement_words;
use crate::rules::{Rule, RuleContext};
use foldhash::{HashMap, HashMapExt};

pub struct RepeatedElevation;

impl Rule for RepeatedElevation {
    fn evaluate(&self, ctx: &RuleContext<'_>, out: &mut Vec<Finding>) {
        let max = ctx.params.integer("max_activations");
        let period_days = ctx.params.integer("period_days");
        // Saturate: an absurdly long period means "all history", not an overflow.
        let period = i64::try_from(period_days)
            .ok()
            .and_then(|d| d.checked_mul(86_400))
            .map_or(SignedDuration::MAX, SignedDuration::from_secs);
        // Findings are sorted once all rules have run: a hash map is enough here.
        let mut by_pair: HashMap<(&str, &str), Vec<(Timestamp, &Grant)>> = HashMap::new();
        for grant in ctx.grants {
            if let Some(at) = grant.activated_at.filter(|&t| t <= ctx.now) {
                by_pair
                    .entry((&grant.principal, &grant.entitlement))
                    .or_default()
                    .push((at, grant));
            }
        }
        for ((principal, entitlement), mut activations) in by_pair {
            if (activations.len() as u64) <= max {
                continue;
            }
            activations.sort_by(|a, b| (a.0, &a.1.id).cmp(&(b.0, &b.1.id)));
            let Some(window) = densest(&activations, period) else {
                continue;
            };
            if (window.len() as u64) <= max {
                continue;
            }
            let (first, last) = (window[0].0, window[window.len() - 1].0);
            let message = format!(
                "{} activated {} {} times within {period_days} days (from {} to {}), more \
                 than the {max} allowed: the work needs a narrower standing role, or the task \
                 should be split so that each part needs less.",
                ctx.inventory.display_name(principal),
                entitlement_words(ctx, entitlement),
                window.len(),
                format_timestamp(first),
                format_timestamp(last),
            );
            let ids: Vec<&str> = window.iter().map(|(_, g)| g.id.as_str()).collect();
            let mut finding = ctx
                .finding(principal, Some(entitlement), "", message)
                .grant(window[window.len() - 1].1);
            for (_, g) in window {
                if let Some(p) = g.first_provenance() {
                    finding = finding.source(p);
                }
            }
            out.push(
                finding
                    .fact("activations", window.len())
                    .fact("period_days", period_days)
                    .fact("max_activations", max)
                    .fact("first_activation", format_timestamp(first))
                    .fact("last_activation", format_timestamp(last))
                    .fact("grants", ids.join(", "))
                    .build(),
            );
        }
    }
}

/// The run of activations (sorted by time) that fits in one `period` ending at one of them
/// and holds the most; among equally dense runs, the most recent.
fn densest<T>(activations: &[(Timestamp, T)], period: SignedDuration) -> Option<&[(Timestamp, T)]> {
    let mut best: Option<(usize, usize)> = None;
    let mut start = 0;
    for end in 0..activations.len() {
        let end_time = activations[end].0;
        // The window is (end_time - period, end_time]: an activation exactly `period`
        // before falls outside, so "30 days" means less than 30 days apart.
        while start < end && end_time.duration_since(activations[start].0) >= period {
            start += 1;
        }
        let len = end + 1 - start;
        if best.is_none_or(|(s, e)| len >= e + 1 - s) {
            best = Some((start, end));
        }
    }
    best.map(|(s, e)| &activations[s..=e])
}

#[cfg(test)]
mod tests {
    use super::densest;
    use crate::model::{GrantEventKind, IdentityKind, PrivilegeLevel, SignedDuration};
    use crate::rules::test_support::{only, ts, Fixture};

    const NOW: &str = "2026-06-01T00:00:00Z";

    /// Alice activates prod-admin on each of these days of May 2026 at 09:00.
    fn org(days: &[u32]) -> Fixture {
        let mut f = Fixture::new();
        f.identity("alice", IdentityKind::Human);
        f.role("prod-admin", PrivilegeLevel::Admin);
        for day in days {
            f.grant_event(
                &format!("g{day:02}"),
                GrantEventKind::Activated,
                &format!("2026-05-{day:02}T09:00:00Z"),
                "alice",
                "prod-admin",
            );
        }
        f
    }

    #[test]
    fn six_activations_in_a_month_fire_with_count_period_and_dates() {
        let finding = only(org(&[2, 5, 9, 14, 20, 27]).run("SP006", NOW));
        assert_eq!(finding.subject, "alice");
        assert_eq!(finding.entitlement.as_deref(), Some("prod-admin"));
        assert_eq!(
            finding.message,
            "alice activated role prod-admin (admin) 6 times within 30 days (from \
             2026-05-02T09:00:00Z to 2026-05-27T09:00:00Z), more than the 5 allowed: the work \
             needs a narrower standing role, or the task should be split so that each part \
             needs less."
        );
        assert_eq!(
            finding.evidence.facts["grants"],
            "g02, g05, g09, g14, g20, g27"
        );
        assert_eq!(
            finding.evidence.grant.as_ref().map(|g| g.id.as_str()),
            Some("g27")
        );
        // Weeks later the window is still the same fact.
        let later = only(org(&[2, 5, 9, 14, 20, 27]).run("SP006", "2026-09-01T00:00:00Z"));
        assert_eq!(finding.fingerprint, later.fingerprint);
    }

    #[test]
    fn five_activations_spread_thin_denied_requests_and_future_ones_do_not_fire() {
        assert!(org(&[2, 5, 9, 14, 20]).run("SP006", NOW).is_empty());
        let mut f = org(&[1, 5, 9, 14, 20]);
        // Six within 31 days, but not within 30.
        f.grant_event(
            "late",
            GrantEventKind::Activated,
            "2026-05-31T09:00:00Z",
            "alice",
            "prod-admin",
        );
        assert!(f.run("SP006", NOW).is_empty());
        let mut f = org(&[2, 5, 9, 14, 20]);
        f.grant_event(
            "denied",
            GrantEventKind::Denied,
            "2026-05-21T09:00:00Z",
            "alice",
            "prod-admin",
        );
        assert!(f.run("SP006", NOW).is_empty());
        assert!(org(&[2, 5, 9, 14, 20, 27])
            .run("SP006", "2026-05-26T00:00:00Z")
            .is_empty());
    }

    #[test]
    fn the_densest_window_wins_and_the_most_recent_among_equals() {
        let t = |d: &str| (ts(d), ());
        let acts = [
            t("2026-01-01T00:00:00Z"),
            t("2026-01-02T00:00:00Z"),
            t("2026-03-01T00:00:00Z"),
            t("2026-03-02T00:00:00Z"),
        ];
        let got = densest(&acts, SignedDuration::from_hours(24 * 30)).unwrap();
        assert_eq!(got[0].0, ts("2026-03-01T00:00:00Z"));
        assert_eq!(got.len(), 2);
    }
}
