//! Secrets: credential metadata only. residue never reads, keeps or writes a secret value.

use super::{Provenance, Timestamp};
use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SecretKind {
    AccessKey,
    Password,
    Token,
    ApiKey,
    Certificate,
    SshKey,
    Other,
}

impl SecretKind {
    pub const ALL: [SecretKind; 7] = [
        SecretKind::AccessKey,
        SecretKind::Password,
        SecretKind::Token,
        SecretKind::ApiKey,
        SecretKind::Certificate,
        SecretKind::SshKey,
        SecretKind::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SecretKind::AccessKey => "access-key",
            SecretKind::Password => "password",
            SecretKind::Token => "token",
            SecretKind::ApiKey => "api-key",
            SecretKind::Certificate => "certificate",
            SecretKind::SshKey => "ssh-key",
            SecretKind::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<SecretKind> {
        SecretKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

impl fmt::Display for SecretKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Secret {
    /// An identifier that is not itself secret (access key id, secret name, fingerprint).
    pub id: String,
    pub kind: SecretKind,
    /// The identity that can authenticate with it.
    pub owner: Option<String>,
    pub created: Option<Timestamp>,
    pub last_rotated: Option<Timestamp>,
    pub last_used: Option<Timestamp>,
    pub expires: Option<Timestamp>,
    pub active: bool,
    pub provenance: Provenance,
}

impl Secret {
    /// When the current value was set: the last rotation, else creation.
    pub fn age_reference(&self) -> Option<Timestamp> {
        self.last_rotated.or(self.created)
    }
}
