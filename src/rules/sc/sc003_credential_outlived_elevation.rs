//! SC003 credential-outlived-elevation: a credential set while its owner (or its creator)
//! was elevated is still active after that elevation ended.

use super::{describe, subject_of};
use crate::finding::Finding;
use crate::model::time::format_timestamp;
use crate::model::{ChangeEvent, Grant, Secret, SignedDuration, Timestamp};
use crate::rules::elevation::{
    change_names_secret, closed_window_around, grants_acting_as, ActedAs,
};
use crate::rules::{Rule, RuleContext};

pub struct CredentialOutlivedElevation;

/// Why a secret is tied to a grant.
struct Tie<'a> {
    grant: &'a Grant,
    close: Timestamp,
    /// The change event that created the secret, when the tie is through its creator, and
    /// how its actor stands for the grant's holder.
    creation: Option<(&'a ChangeEvent, ActedAs)>,
}

impl Rule for CredentialOutlivedElevation {
    fn evaluate(&self, ctx: &RuleContext<'_>, out: &mut Vec<Finding>) {
        let skew = ctx.params.duration("clock_skew");
        for secret in ctx.inventory.secrets.iter().filter(|s| s.active) {
            let Some(set_at) = secret.age_reference() else {
                continue;
            };
            let Some(tie) = tie(ctx, secret, set_at, skew) else {
                continue;
            };
            let what = describe(ctx, secret);
            let holder = ctx.inventory.display_name(&tie.grant.principal);
            let via = match tie.creation {
                Some((change, ActedAs::Holder)) => format!(
                    "{holder} created it ({}) at {} while holding {} through grant {}",
                    change.action,
                    format_timestamp(change.time),
                    tie.grant.entitlement,
                    tie.grant.id
                ),
                Some((change, ActedAs::RoleSession)) => format!(
                    "a session of role {} created it ({}) at {} while {holder} held that role \
                     through grant {}",
                    tie.grant.entitlement,
                    change.action,
                    format_timestamp(change.time),
                    tie.grant.id
                ),
                None => format!(
                    "it was set at {} during grant {}, which gave {holder} {}",
                    format_timestamp(set_at),
                    tie.grant.id,
                    tie.grant.entitlement
                ),
            };
            let message = format!(
                "The {what} is still active although the elevation it was made in ended: {via}, \
                 and that grant closed at {}.",
                format_timestamp(tie.close)
            );
            let mut finding = ctx
                .finding(subject_of(secret), Some(&secret.id), &secret.id, message)
                .source(&secret.provenance)
                .grant(tie.grant)
                .fact("secret", &secret.id)
                .fact("set_at", format_timestamp(set_at))
                .fact("grant_closed_at", format_timestamp(tie.close));
            if let Some((change, _)) = tie.creation {
                finding = finding
                    .source(&change.provenance)
                    .fact("created_by", &change.actor);
            }
            out.push(finding.build());
        }
    }
}

/// The earliest-closing grant the secret was set during (its owner's, or its creator's),
/// among grants closed by the audit time.
fn tie<'a>(
    ctx: &RuleContext<'a>,
    secret: &Secret,
    set_at: Timestamp,
    skew: SignedDuration,
) -> Option<Tie<'a>> {
    let closed_window = |g: &Grant, at| closed_window_around(g, at, skew, ctx.now);
    let mut ties: Vec<Tie<'a>> = Vec::new();
    if let Some(owner) = secret.owner.as_deref() {
        for g in ctx.grants_of(owner) {
            if let Some(close) = closed_window(g, set_at) {
                ties.push(Tie {
                    grant: g,
                    close,
                    creation: None,
                });
            }
        }
    }
    for change in ctx
        .credentials_created(&secret.id, secret.owner.as_deref())
        .filter(|c| change_names_secret(ctx, c, secret, set_at, skew))
    {
        for (g, acted) in grants_acting_as(ctx, &change.actor) {
            if let Some(close) = closed_window(g, change.time) {
                ties.push(Tie {
                    grant: g,
                    close,
                    creation: Some((change, acted)),
                });
            }
        }
    }
    ties.into_iter()
        .min_by(|a, b| (a.close, &a.grant.id).cmp(&(b.close, &b.grant.id)))
}

#[cfg(test)]
mod tests {
    use crate::model::{GrantEventKind, IdentityKind, PrivilegeLevel, SecretKind};
    use crate::rules::test_support::{only, ts, Fixture};

    const NOW: &str = "2026-06-01T00:00:00Z";

    fn org(created: &str) -> Fixture {
        let mut f = Fixture::new();
        f.identity("alice", IdentityKind::Human);
        f.role("prod-admin", PrivilegeLevel::Admin);
        f.activation(
            "g1",
            "2026-05-31T08:00:00Z",
            "alice",
            "prod-admin",
            "2026-05-31T12:00:00Z",
        );
        f.secret("alice#access-key-1", SecretKind::AccessKey, Some("alice"))
            .created = Some(ts(created));
        f
    }

    #[test]
    fn a_key_made_during_the_owners_grant_fires_once_closed() {
        let finding = only(org("2026-05-31T09:00:00Z").run("SC003", NOW));
        assert_eq!(finding.subject, "alice");
        assert_eq!(finding.entitlement.as_deref(), Some("alice#access-key-1"));
        assert_eq!(
            finding.message,
            "The access key alice#access-key-1 of alice is still active although the elevation it \
             was made in ended: it was set at 2026-05-31T09:00:00Z during grant g1, which gave \
             alice prod-admin, and that grant closed at 2026-05-31T12:00:00Z."
        );
        // Still open at the audit time: not yet.
        assert!(org("2026-05-31T09:00:00Z")
            .run("SC003", "2026-05-31T11:00:00Z")
            .is_empty());
        // Made before the grant (beyond the skew) or after it closed: unrelated.
        assert!(org("2026-05-31T07:00:00Z").run("SC003", NOW).is_empty());
        assert!(org("2026-05-31T12:00:00Z").run("SC003", NOW).is_empty());
        // Within the clock skew of activation: tied.
        assert_eq!(org("2026-05-31T07:58:00Z").run("SC003", NOW).len(), 1);
    }

    #[test]
    fn a_revoked_grant_closes_at_the_revocation_and_inactive_keys_are_quiet() {
        let mut f = org("2026-05-31T10:30:00Z");
        f.grant_event(
            "g1",
            GrantEventKind::Revoked,
            "2026-05-31T10:00:00Z",
            "alice",
            "prod-admin",
        );
        // Created after the revocation: not during the grant.
        assert!(f.run("SC003", NOW).is_empty());
        let mut f = org("2026-05-31T09:00:00Z");
        let inactive = f.secret("alice#access-key-2", SecretKind::AccessKey, Some("alice"));
        inactive.created = Some(ts("2026-05-31T09:10:00Z"));
        inactive.active = false;
        assert_eq!(f.run("SC003", NOW).len(), 1);
    }

    #[test]
    fn a_key_made_by_a_session_of_the_granted_role_is_tied_to_its_holder() {
        let mut f = org("2026-05-30T00:00:00Z");
        f.identity("svc-etl", IdentityKind::ServiceAccount);
        f.secret(
            "svc-etl#access-key-1",
            SecretKind::AccessKey,
            Some("svc-etl"),
        )
        .created = Some(ts("2026-05-31T09:30:00Z"));
        f.change_event(
            "2026-05-31T09:30:00Z",
            "prod-admin",
            crate::model::ChangeKind::CredentialCreated,
            "svc-etl#access-key-1",
        );
        let finding = only(f.run("SC003", NOW));
        assert_eq!(finding.subject, "svc-etl");
        assert!(
            finding.message.contains(
                "a session of role prod-admin created it (CreateAccessKey) at \
                 2026-05-31T09:30:00Z while alice held that role through grant g1"
            ),
            "{}",
            finding.message
        );
    }
}
