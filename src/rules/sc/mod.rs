//! Rule family SC: secrets — credentials that outlive their purpose.

pub mod sc001_secret_not_rotated;
pub mod sc002_secret_unused;
pub mod sc003_credential_outlived_elevation;
pub mod sc004_legacy_service_account_token;

use crate::model::{Secret, SecretKind};

/// Who a secret finding is about: the identity that authenticates with the secret, or the
/// secret itself when no owner is recorded.
pub(crate) fn subject_of(secret: &Secret) -> &str {
    secret
        .owner
        .as_deref()
        .filter(|o| !o.trim().is_empty())
        .unwrap_or(&secret.id)
}

/// How a secret is named in messages: `access key AKIA… of CI deployer`.
pub(crate) fn describe(ctx: &crate::rules::RuleContext<'_>, secret: &Secret) -> String {
    let kind = kind_words(secret.kind);
    match secret.owner.as_deref().filter(|o| !o.trim().is_empty()) {
        Some(owner) => format!(
            "{kind} {} of {}",
            secret.id,
            ctx.inventory.display_name(owner)
        ),
        None => format!("{kind} {} (no owner recorded)", secret.id),
    }
}

/// The secret kind as a sentence says it.
fn kind_words(kind: SecretKind) -> &'static str {
    match kind {
        SecretKind::AccessKey => "access key",
        SecretKind::Password => "password",
        SecretKind::Token => "token",
        SecretKind::ApiKey => "API key",
        SecretKind::Certificate => "certificate",
        SecretKind::SshKey => "SSH key",
        SecretKind::Other => "secret",
    }
}
