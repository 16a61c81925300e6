//! Roles (entitlements) and the privilege ladder.

use super::{Provenance, Timestamp};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// How much a role lets its holder do, ordered: none < read < write < permissions-management < admin.
///
/// Permissions-management means the holder can grant privilege (attach policies, bind roles,
/// impersonate): one step from admin, so it ranks just below it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PrivilegeLevel {
    None,
    Read,
    Write,
    PermissionsManagement,
    Admin,
}

impl PrivilegeLevel {
    pub const ALL: [PrivilegeLevel; 5] = [
        PrivilegeLevel::None,
        PrivilegeLevel::Read,
        PrivilegeLevel::Write,
        PrivilegeLevel::PermissionsManagement,
        PrivilegeLevel::Admin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PrivilegeLevel::None => "none",
            PrivilegeLevel::Read => "read",
            PrivilegeLevel::Write => "write",
            PrivilegeLevel::PermissionsManagement => "permissions-management",
            PrivilegeLevel::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<PrivilegeLevel> {
        PrivilegeLevel::ALL.into_iter().find(|p| p.as_str() == s)
    }
}

impl fmt::Display for PrivilegeLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Role {
    pub id: String,
    pub name: String,
    /// The permissions as the source states them (actions such as `s3:GetObject`, `iam:*`, `*`).
    pub permissions: Vec<String>,
    /// The computed privilege level: the highest of what the permissions allow and what the
    /// source declares (a connector that knows better may declare a floor, never lower it).
    pub privilege: PrivilegeLevel,
    /// Where the role applies (an account, a namespace, a subscription), when the source says.
    pub scope: Option<String>,
    pub last_used: Option<Timestamp>,
    pub tags: BTreeMap<String, String>,
    pub provenance: Provenance,
}

/// Classifies one permission string of the generic form `service:Action`, `*`, or a verb.
///
/// Connectors with a real policy model (AWS, Kubernetes) compute privilege themselves; this
/// is the conservative reading used for the generic inventory: it never ranks a permission
/// below what its words say.
pub fn classify_permission(permission: &str) -> PrivilegeLevel {
    let p = permission.trim();
    if p.is_empty() {
        return PrivilegeLevel::None;
    }
    if p == "*" || p == "*:*" || p == "*/*" {
        return PrivilegeLevel::Admin;
    }
    let (service, verb) = match p.rsplit_once([':', '/', '.']) {
        Some((s, v)) => (s.to_ascii_lowercase(), v.to_ascii_lowercase()),
        None => (String::new(), p.to_ascii_lowercase()),
    };
    let grants_privilege = |text: &str| {
        [
            "policy",
            "role",
            "permission",
            "binding",
            "grant",
            "escalate",
            "bind",
            "impersonate",
            "passrole",
            "assume",
            "accesskey",
            "loginprofile",
            "membership",
            "addusertogroup",
        ]
        .iter()
        .any(|w| text.contains(w))
    };
    let identity_service = matches!(
        service.as_str(),
        "iam"
            | "sts"
            | "rbac"
            | "rbac.authorization.k8s.io"
            | "organizations"
            | "sso"
            | "identitystore"
    );
    if verb == "*" {
        return if identity_service {
            PrivilegeLevel::PermissionsManagement
        } else {
            PrivilegeLevel::Write
        };
    }
    const READ_VERBS: [&str; 10] = [
        "get", "list", "describe", "read", "view", "watch", "search", "query", "lookup", "head",
    ];
    if READ_VERBS.iter().any(|r| verb.starts_with(r)) {
        return PrivilegeLevel::Read;
    }
    if grants_privilege(&verb) || (identity_service && verb.contains('*')) {
        return PrivilegeLevel::PermissionsManagement;
    }
    PrivilegeLevel::Write
}

/// The highest level any of `permissions` reaches.
pub fn classify_permissions<'a>(
    permissions: impl IntoIterator<Item = &'a String>,
) -> PrivilegeLevel {
    permissions
        .into_iter()
        .map(|p| classify_permission(p))
        .max()
        .unwrap_or(PrivilegeLevel::None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use PrivilegeLevel::*;

    #[test]
    fn ladder_order() {
        assert!(
            None < Read
                && Read < Write
                && Write < PermissionsManagement
                && PermissionsManagement < Admin
        );
    }

    #[test]
    fn classifies_generic_permissions() {
        assert_eq!(classify_permission("*"), Admin);
        assert_eq!(classify_permission("*:*"), Admin);
        assert_eq!(classify_permission("iam:*"), PermissionsManagement);
        assert_eq!(
            classify_permission("iam:AttachRolePolicy"),
            PermissionsManagement
        );
        assert_eq!(classify_permission("iam:PassRole"), PermissionsManagement);
        assert_eq!(
            classify_permission("rbac.authorization.k8s.io/bind"),
            PermissionsManagement
        );
        assert_eq!(classify_permission("s3:GetObject"), Read);
        assert_eq!(classify_permission("ec2:DescribeInstances"), Read);
        assert_eq!(classify_permission("s3:PutObject"), Write);
        assert_eq!(classify_permission("s3:*"), Write);
        assert_eq!(classify_permission("deploy"), Write);
        assert_eq!(classify_permission("iam:List*"), Read);
        assert_eq!(classify_permission(""), None);
    }
}
