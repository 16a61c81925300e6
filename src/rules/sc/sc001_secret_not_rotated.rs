//! SC001 secret-not-rotated: an active credential whose value is older than the rotation
//! limit.

use super::{describe, subject_of};
use crate::finding::Finding;
use crate::model::time::{days_between, format_timestamp};
use crate::rules::{Rule, RuleContext};

pub struct SecretNotRotated;

impl Rule for SecretNotRotated {
    fn evaluate(&self, ctx: &RuleContext<'_>, out: &mut Vec<Finding>) {
        let max_age_days = i64::try_from(ctx.params.integer("max_age_days")).unwrap_or(i64::MAX);
        for secret in ctx.inventory.secrets.iter().filter(|s| s.active) {
            // Without a creation or rotation date the age is unknown; SC002 still reports
            // such a secret if it also has no recorded use.
            let Some(set_at) = secret.age_reference() else {
                continue;
            };
            let age_days = days_between(set_at, ctx.now);
            if age_days <= max_age_days {
                continue;
            }
            let what = describe(ctx, secret);
            let when = format_timestamp(set_at);
            let (message, fact) = if secret.last_rotated.is_some() {
                (
                    format!(
                        "The {what} was last rotated {age_days} days ago ({when}), more than the \
                         {max_age_days}-day rotation limit."
                    ),
                    "last_rotated",
                )
            } else {
                (
                    format!(
                        "The {what} has not been rotated since it was created {age_days} days ago \
                         ({when}), more than the {max_age_days}-day rotation limit."
                    ),
                    "created",
                )
            };
            out.push(
                ctx.finding(subject_of(secret), None, &secret.id, message)
                    .source(&secret.provenance)
                    .fact("secret", &secret.id)
                    .fact("age_days", age_days)
                    .fact("limit", max_age_days)
                    .fact(fact, when)
                    .build(),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::model::{IdentityKind, SecretKind};
    use crate::rules::test_support::{only, ts, Fixture};

    const NOW: &str = "2026-06-01T00:00:00Z";

    fn org(created: &str, rotated: Option<&str>) -> Fixture {
        let mut f = Fixture::new();
        f.identity("deployer", IdentityKind::ServiceAccount).name = "CI deployer".into();
        let key = f.secret("AKIA0001", SecretKind::AccessKey, Some("deployer"));
        key.created = Some(ts(created));
        key.last_rotated = rotated.map(ts);
        f
    }

    #[test]
    fn never_rotated_key_older_than_the_limit_fires() {
        let finding = only(org("2025-12-01T00:00:00Z", None).run("SC001", NOW));
        assert_eq!(finding.subject, "deployer");
        assert_eq!(finding.entitlement, None);
        assert_eq!(
            finding.message,
            "The access key AKIA0001 of CI deployer has not been rotated since it was created 182 days \
             ago (2025-12-01T00:00:00Z), more than the 90-day rotation limit."
        );
        assert_eq!(finding.evidence.facts["age_days"], "182");
        assert_eq!(finding.evidence.facts["limit"], "90");
        let later = only(org("2025-12-01T00:00:00Z", None).run("SC001", "2026-08-01T00:00:00Z"));
        assert_eq!(finding.fingerprint, later.fingerprint);
    }

    #[test]
    fn rotated_recently_does_not_fire() {
        assert!(org("2024-01-01T00:00:00Z", Some("2026-05-01T00:00:00Z"))
            .run("SC001", NOW)
            .is_empty());
    }

    #[test]
    fn the_policy_limit_applies_and_ownerless_secrets_are_their_own_subject() {
        let mut f = Fixture::new();
        f.config("secrets: {max_age_days: 30}");
        let token = f.secret("tok-1", SecretKind::Token, None);
        token.last_rotated = Some(ts("2026-04-01T00:00:00Z"));
        let inactive = f.secret("tok-2", SecretKind::Token, None);
        inactive.created = Some(ts("2020-01-01T00:00:00Z"));
        inactive.active = false;
        let finding = only(f.run("SC001", NOW));
        assert_eq!(finding.subject, "tok-1");
        assert!(
            finding.message.contains("was last rotated 61 days ago"),
            "{}",
            finding.message
        );
        assert!(
            finding.message.contains("(no owner recorded)"),
            "{}",
            finding.message
        );
    }
}
