//! SC004 legacy-service-account-token: a non-expiring token secret of a service account
//! that could use projected, expiring tokens instead.

use super::{describe, subject_of};
use crate::connectors::k8s::PROJECTED_TOKENS_TAG;
use crate::finding::Finding;
use crate::gate::suppressions::glob_match;
use crate::model::time::{days_between, format_timestamp};
use crate::model::{IdentityKind, SecretKind};
use crate::rules::{Rule, RuleContext};

pub struct LegacyServiceAccountToken;

impl Rule for LegacyServiceAccountToken {
    fn evaluate(&self, ctx: &RuleContext<'_>, out: &mut Vec<Finding>) {
        let exempt = ctx.params.string_list("exempt");
        for secret in &ctx.inventory.secrets {
            if !secret.active || secret.kind != SecretKind::Token || secret.expires.is_some() {
                continue;
            }
            let Some(owner) = secret
                .owner
                .as_deref()
                .and_then(|o| ctx.inventory.identity(o))
            else {
                continue;
            };
            let service_account = matches!(
                owner.kind,
                IdentityKind::ServiceAccount | IdentityKind::AiAgent
            );
            let projected = owner
                .tags
                .get(PROJECTED_TOKENS_TAG)
                .is_some_and(|v| v == "available");
            if !service_account || !projected {
                continue;
            }
            if exempt
                .iter()
                .any(|p| glob_match(p, &secret.id) || glob_match(p, &owner.id))
            {
                continue;
            }
            let age = match secret.created {
                Some(created) => format!(
                    ", created {} days ago ({})",
                    days_between(created, ctx.now),
                    format_timestamp(created)
                ),
                None => String::new(),
            };
            let message = format!(
                "The {}{age} never expires, although the account can authenticate with projected, expiring tokens.",
                describe(ctx, secret),
            );
            let mut finding = ctx
                .finding(subject_of(secret), None, &secret.id, message)
                .source(&secret.provenance)
                .fact("secret", &secret.id);
            if let Some(created) = secret.created {
                finding = finding.fact("created", format_timestamp(created));
            }
            out.push(finding.build());
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::connectors::k8s::PROJECTED_TOKENS_TAG;
    use crate::model::{IdentityKind, SecretKind};
    use crate::rules::test_support::{only, ts, Fixture};

    const NOW: &str = "2026-06-01T00:00:00Z";

    fn org() -> Fixture {
        let mut f = Fixture::new();
        let sa = f.identity("sa:ci:deployer", IdentityKind::ServiceAccount);
        sa.name = "system:serviceaccount:ci:deployer".into();
        sa.tags
            .insert(PROJECTED_TOKENS_TAG.into(), "available".into());
        f
    }

    #[test]
    fn a_legacy_token_fires_with_its_age() {
        let mut f = org();
        f.secret(
            "tok:ci:deployer-token",
            SecretKind::Token,
            Some("sa:ci:deployer"),
        )
        .created = Some(ts("2026-05-02T00:00:00Z"));
        let finding = only(f.run("SC004", NOW));
        assert_eq!(finding.subject, "sa:ci:deployer");
        assert_eq!(
            finding.message,
            "The token tok:ci:deployer-token of system:serviceaccount:ci:deployer, created 30 days ago \
             (2026-05-02T00:00:00Z) never expires, although the account can authenticate with \
             projected, expiring tokens."
        );
        assert_eq!(finding.evidence.facts["secret"], "tok:ci:deployer-token");
    }

    #[test]
    fn expiring_inactive_exempt_and_untagged_tokens_do_not_fire() {
        let mut f = org();
        f.config("rules: {SC004: {parameters: {exempt: [\"tok:ci:legacy-*\"]}}}");
        f.secret("tok:a", SecretKind::Token, Some("sa:ci:deployer"))
            .expires = Some(ts("2026-06-02T00:00:00Z"));
        f.secret("tok:b", SecretKind::Token, Some("sa:ci:deployer"))
            .active = false;
        f.secret("tok:ci:legacy-1", SecretKind::Token, Some("sa:ci:deployer"));
        f.secret("key:c", SecretKind::AccessKey, Some("sa:ci:deployer"));
        f.identity("bot", IdentityKind::ServiceAccount);
        f.secret("tok:d", SecretKind::Token, Some("bot"));
        f.secret("tok:e", SecretKind::Token, None);
        assert!(f.run("SC004", NOW).is_empty());
    }
}
