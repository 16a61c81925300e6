//! SC002 secret-unused: an active credential nobody has used for longer than the limit — it
//! only waits to be leaked.

use super::{describe, subject_of};
use crate::finding::Finding;
use crate::model::time::{days_between, format_timestamp};
use crate::rules::{Rule, RuleContext};

pub struct SecretUnused;

impl Rule for SecretUnused {
    fn evaluate(&self, ctx: &RuleContext<'_>, out: &mut Vec<Finding>) {
        let unused_days = i64::try_from(ctx.params.integer("unused_days")).unwrap_or(i64::MAX);
        for secret in ctx.inventory.secrets.iter().filter(|s| s.active) {
            let what = describe(ctx, secret);
            let (message, facts) = match (secret.last_used, secret.created) {
                (Some(last), _) => {
                    let idle = days_between(last, ctx.now);
                    if idle <= unused_days {
                        continue;
                    }
                    (
                        format!(
                            "The active {what} was last used {idle} days ago ({}), more than the \
                             {unused_days}-day limit.",
                            format_timestamp(last)
                        ),
                        vec![
                            ("last_used", format_timestamp(last)),
                            ("days_unused", idle.to_string()),
                        ],
                    )
                }
                (None, Some(created)) => {
                    let age = days_between(created, ctx.now);
                    if age <= unused_days {
                        continue;
                    }
                    (
                        format!(
                            "The active {what} has no recorded use since it was created {age} days \
                             ago ({}), more than the {unused_days}-day limit.",
                            format_timestamp(created)
                        ),
                        vec![
                            ("last_used", "never recorded".to_string()),
                            ("created", format_timestamp(created)),
                            ("days_unused", age.to_string()),
                        ],
                    )
                }
                // Nothing says the secret is needed, or how long it has existed: an auditor
                // should look rather than assume it is fresh.
                (None, None) => (
                    format!(
                        "The active {what} has no recorded use and no creation date, so nothing \
                         shows it is needed (the limit is {unused_days} days unused)."
                    ),
                    vec![("last_used", "never recorded".to_string())],
                ),
            };
            let mut finding = ctx
                .finding(subject_of(secret), None, &secret.id, message)
                .source(&secret.provenance)
                .fact("secret", &secret.id)
                .fact("limit", unused_days);
            for (name, value) in facts {
                finding = finding.fact(name, value);
            }
            out.push(finding.build());
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::model::{IdentityKind, SecretKind};
    use crate::rules::test_support::{only, ts, Fixture};

    const NOW: &str = "2026-06-01T00:00:00Z";

    #[test]
    fn last_used_long_ago_fires_with_the_days() {
        let mut f = Fixture::new();
        f.identity("deployer", IdentityKind::ServiceAccount);
        let key = f.secret("AKIA0001", SecretKind::AccessKey, Some("deployer"));
        key.created = Some(ts("2025-01-01T00:00:00Z"));
        key.last_used = Some(ts("2026-01-01T00:00:00Z"));
        let finding = only(f.run("SC002", NOW));
        assert_eq!(finding.subject, "deployer");
        assert_eq!(
            finding.message,
            "The active access key AKIA0001 of deployer was last used 151 days ago \
             (2026-01-01T00:00:00Z), more than the 90-day limit."
        );
        assert_eq!(finding.evidence.facts["days_unused"], "151");
        let later = only(f.run("SC002", "2026-07-01T00:00:00Z"));
        assert_eq!(finding.fingerprint, later.fingerprint);
    }

    #[test]
    fn never_used_old_or_undated_secrets_fire_and_fresh_ones_do_not() {
        let mut f = Fixture::new();
        f.secret("old", SecretKind::Token, None).created = Some(ts("2026-01-01T00:00:00Z"));
        f.secret("undated", SecretKind::ApiKey, None);
        f.secret("fresh", SecretKind::Token, None).created = Some(ts("2026-05-01T00:00:00Z"));
        let used = f.secret("used", SecretKind::Token, None);
        used.created = Some(ts("2020-01-01T00:00:00Z"));
        used.last_used = Some(ts("2026-05-30T00:00:00Z"));
        let findings = f.run("SC002", NOW);
        let subjects: Vec<&str> = findings.iter().map(|x| x.subject.as_str()).collect();
        assert_eq!(subjects, ["old", "undated"]);
        assert!(findings[0]
            .message
            .contains("no recorded use since it was created 151 days ago"));
        assert!(findings[1]
            .message
            .contains("no recorded use and no creation date"));
    }

    #[test]
    fn the_policy_limit_applies() {
        let mut f = Fixture::new();
        f.config("secrets: {unused_days: 30}");
        f.secret("tok", SecretKind::Token, None).last_used = Some(ts("2026-04-15T00:00:00Z"));
        assert!(only(f.run("SC002", NOW))
            .message
            .contains("more than the 30-day limit"));
    }
}
