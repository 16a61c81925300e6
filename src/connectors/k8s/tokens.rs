//! Service-account token Secrets (`type: kubernetes.io/service-account-token`) → canonical
//! secrets, metadata only: name, namespace, owning service account, creation time, and the
//! control plane's legacy-token labels. The `data` field is never read (see `objects`).
//!
//! - id `k8s:<cluster>:secret:<ns>:<name>`, kind token, owner the service account named by
//!   the annotation `kubernetes.io/service-account.name`;
//! - `expires`: none (legacy tokens never expire);
//! - `last_used`: the label `kubernetes.io/legacy-token-last-used` (a date), when present;
//! - `active`: false once the label `kubernetes.io/legacy-token-invalid-since` is set.
//!
//! Secrets of any other type hold no identity's credential: they are counted in one Info
//! diagnostic and otherwise skipped. No message ever repeats a value read from a Secret
//! other than its name and namespace.

use super::objects::Located;
use super::Ids;
use crate::model::time::parse_timestamp;
use crate::model::{Diagnostic, Provenance, Secret, SecretKind};

pub(crate) const SA_TOKEN_TYPE: &str = "kubernetes.io/service-account-token";
const SA_NAME_ANNOTATION: &str = "kubernetes.io/service-account.name";
const LAST_USED_LABEL: &str = "kubernetes.io/legacy-token-last-used";
const INVALID_SINCE_LABEL: &str = "kubernetes.io/legacy-token-invalid-since";

/// A token secret and the service account it authenticates.
pub(crate) struct Token {
    pub secret: Secret,
    pub namespace: String,
    pub name: String,
    pub service_account: Option<String>,
}

#[derive(Default)]
pub(crate) struct TokenOutput {
    pub tokens: Vec<Token>,
    pub diagnostics: Vec<Diagnostic>,
}

pub(crate) fn read_tokens(secrets: &[&Located], ids: &Ids, source: &Provenance) -> TokenOutput {
    let mut out = TokenOutput::default();
    let mut other = 0usize;
    for located in secrets {
        if located.object.secret_type.as_deref() != Some(SA_TOKEN_TYPE) {
            other += 1;
            continue;
        }
        let at = &located.provenance;
        let Some(name) = located.name() else {
            out.diagnostics.push(Diagnostic::warning(
                at.clone(),
                "a service-account token Secret without metadata.name was skipped",
            ));
            continue;
        };
        let namespace = located.namespace().unwrap_or("default");
        let metadata = &located.object.metadata;
        let service_account = metadata
            .annotations
            .get(SA_NAME_ANNOTATION)
            .filter(|s| !s.trim().is_empty())
            .cloned();
        if service_account.is_none() {
            out.diagnostics.push(Diagnostic::warning(
                at.clone(),
                format!("token Secret {namespace}/{name} has no {SA_NAME_ANNOTATION} annotation; its owner is unknown"),
            ));
        }
        let date = |label: &str| -> Option<Result<crate::model::Timestamp, ()>> {
            metadata
                .labels
                .get(label)
                .map(|v| parse_timestamp(v).map_err(|_| ()))
        };
        let last_used = match date(LAST_USED_LABEL) {
            Some(Ok(t)) => Some(t),
            Some(Err(())) => {
                out.diagnostics.push(Diagnostic::warning(
                    at.clone(),
                    format!("token Secret {namespace}/{name}: the {LAST_USED_LABEL} label is not a date (YYYY-MM-DD); last use unknown"),
                ));
                None
            }
            None => None,
        };
        let active = match date(INVALID_SINCE_LABEL) {
            Some(Ok(_)) => false,
            Some(Err(())) => {
                out.diagnostics.push(Diagnostic::warning(
                    at.clone(),
                    format!("token Secret {namespace}/{name}: the {INVALID_SINCE_LABEL} label is not a date; the token is treated as invalidated"),
                ));
                false
            }
            None => true,
        };
        let created = match metadata.creation_timestamp.as_deref() {
            Some(raw) => match parse_timestamp(raw) {
                Ok(t) => Some(t),
                Err(_) => {
                    out.diagnostics.push(Diagnostic::warning(
                        at.clone(),
                        format!("token Secret {namespace}/{name}: creationTimestamp is not a timestamp; its age is unknown"),
                    ));
                    None
                }
            },
            None => None,
        };
        out.tokens.push(Token {
            secret: Secret {
                id: ids.secret(namespace, name),
                kind: SecretKind::Token,
                owner: service_account
                    .as_deref()
                    .map(|sa| ids.service_account(namespace, sa)),
                created,
                last_rotated: None,
                last_used,
                expires: None,
                active,
                provenance: at.clone(),
            },
            namespace: namespace.to_string(),
            name: name.to_string(),
            service_account,
        });
    }
    if other > 0 {
        out.diagnostics.push(Diagnostic::info(
            source.clone(),
            format!("{other} Secret(s) of other types (not service-account tokens) hold no identity's credential and were skipped"),
        ));
    }
    out
}
