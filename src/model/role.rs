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

/// Whether everything a holder of `wanted` may do, a holder of `held` may do too — so that a
/// JIT route to `wanted` guards nothing from someone who holds `held` all the time.
///
/// True when they are the same role; when `held` can grant privilege or is admin
/// (permissions-management or above), is at least as privileged as `wanted` and applies
/// wherever `wanted` does; or when every permission `wanted` states is matched by one of
/// `held`'s (wildcards `*` and `?`, ASCII case-insensitive, as IAM reads actions) and `held`
/// applies wherever `wanted` does. Two roles that are merely both "write" cover nothing of
/// each other: write on one bucket does not make JIT for a database pointless.
pub fn role_covers(held: &Role, wanted: &Role) -> bool {
    if held.id == wanted.id {
        return true;
    }
    if !scope_within(wanted.scope.as_deref(), held.scope.as_deref()) {
        return false;
    }
    if held.privilege >= PrivilegeLevel::PermissionsManagement && held.privilege >= wanted.privilege
    {
        return true;
    }
    permissions_cover(&held.permissions, &wanted.permissions)
}

/// Whether a role scoped `outer` applies everywhere a role scoped `inner` does. Scopes are
/// the connectors' strings: no scope means unrestricted; a scope covers itself; a path scope
/// covers the paths below it (`/subscriptions/1` covers `/subscriptions/1/resourceGroups/x`);
/// a Kubernetes cluster (`cluster:C`) covers its namespaces (`namespace:C/ns`); an Entra
/// directory-wide role (`tenant`) covers the tenant's administrative-unit, object and
/// application scopes (`/…`, `app:…`).
pub fn scope_within(inner: Option<&str>, outer: Option<&str>) -> bool {
    let Some(outer) = outer else {
        return true;
    };
    let Some(inner) = inner else {
        return false;
    };
    if inner == outer {
        return true;
    }
    if let Some(cluster) = outer.strip_prefix("cluster:") {
        if let Some(rest) = inner.strip_prefix("namespace:") {
            return rest
                .strip_prefix(cluster)
                .is_some_and(|ns| ns.starts_with('/'));
        }
    }
    if outer == "tenant" {
        return inner.starts_with('/') || inner.starts_with("app:");
    }
    outer.starts_with('/')
        && inner
            .strip_prefix(outer)
            .is_some_and(|rest| outer.ends_with('/') || rest.starts_with('/'))
}

/// Whether every permission in `wanted` (at least one) is matched by a permission in `held`.
/// `held` permissions of the form `not …` (IAM `NotAction`) are never taken to cover anything:
/// the exclusions they stand for are not kept together.
pub fn permissions_cover(held: &[String], wanted: &[String]) -> bool {
    !wanted.is_empty()
        && wanted.iter().all(|w| {
            held.iter()
                .filter(|h| !h.starts_with("not "))
                .any(|h| wildcard_match(h.as_bytes(), w.as_bytes()))
        })
}

/// `*` matches any run of bytes, `?` any one byte; the rest matches ASCII case-insensitively.
/// Linear in practice: one backtrack point, the last `*`.
fn wildcard_match(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && (pattern[p] == b'?' || pattern[p].eq_ignore_ascii_case(&text[t])) {
            p += 1;
            t += 1;
        } else if p < pattern.len() && pattern[p] == b'*' {
            star = Some((p, t));
            p += 1;
        } else if let Some((sp, st)) = star {
            p = sp + 1;
            t = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}

#[cfg(test)]
mod tests {
    use super::*;
    use PrivilegeLevel::*;

    fn role(id: &str, privilege: PrivilegeLevel, scope: Option<&str>, perms: &[&str]) -> Role {
        Role {
            id: id.into(),
            name: id.into(),
            permissions: perms.iter().map(|p| p.to_string()).collect(),
            privilege,
            scope: scope.map(str::to_string),
            last_used: Option::None,
            tags: BTreeMap::new(),
            provenance: crate::model::Provenance::synthetic("test"),
        }
    }

    #[test]
    fn wildcards_match_like_iam_actions() {
        assert!(wildcard_match(b"s3:*", b"S3:PutObject"));
        assert!(wildcard_match(b"*", b"not iam:*"));
        assert!(wildcard_match(b"ec2:Describe*s", b"ec2:DescribeInstances"));
        assert!(wildcard_match(b"s3:?etObject", b"s3:GetObject"));
        assert!(!wildcard_match(b"s3:Get*", b"s3:PutObject"));
        assert!(!wildcard_match(b"s3:GetObject", b"s3:GetObjectAcl"));
        assert!(wildcard_match(b"a*b*c", b"aXbYbZc"));
        assert!(!wildcard_match(b"a*b*c", b"aXbYbZ"));
    }

    #[test]
    fn scopes_cover_what_lies_below_them() {
        assert!(scope_within(Some("123456789012"), Option::None));
        assert!(!scope_within(Option::None, Some("123456789012")));
        assert!(scope_within(Some("123456789012"), Some("123456789012")));
        assert!(!scope_within(Some("210987654321"), Some("123456789012")));
        assert!(scope_within(
            Some("namespace:prod/web"),
            Some("cluster:prod")
        ));
        assert!(!scope_within(
            Some("namespace:production/web"),
            Some("cluster:prod")
        ));
        assert!(!scope_within(
            Some("cluster:prod"),
            Some("namespace:prod/web")
        ));
        assert!(scope_within(
            Some("/administrativeUnits/42"),
            Some("tenant")
        ));
        assert!(scope_within(Some("app:0af06dc6"), Some("tenant")));
        assert!(!scope_within(
            Some("tenant"),
            Some("/administrativeUnits/42")
        ));
        assert!(!scope_within(Some("123456789012"), Some("tenant")));
        assert!(scope_within(
            Some("/subscriptions/1/resourceGroups/x"),
            Some("/subscriptions/1")
        ));
        assert!(!scope_within(
            Some("/subscriptions/10"),
            Some("/subscriptions/1")
        ));
    }

    #[test]
    fn a_role_covers_another_by_rank_or_by_permissions_never_by_level_alone() {
        let bucket_write = role(
            "bucket-write",
            Write,
            Some("a"),
            &["s3:PutObject", "s3:GetObject"],
        );
        let ec2_write = role("ec2-write", Write, Some("a"), &["ec2:RunInstances"]);
        let s3_all = role("s3-all", Write, Some("a"), &["s3:*"]);
        let iam = role(
            "iam",
            PermissionsManagement,
            Some("a"),
            &["iam:AttachRolePolicy"],
        );
        let admin_b = role("admin-b", Admin, Some("b"), &["*"]);
        let admin = role("admin", Admin, Option::None, &["*"]);
        assert!(role_covers(&bucket_write, &bucket_write));
        assert!(!role_covers(&bucket_write, &ec2_write));
        assert!(role_covers(&s3_all, &bucket_write));
        assert!(!role_covers(&bucket_write, &s3_all));
        assert!(role_covers(&iam, &ec2_write));
        assert!(!role_covers(&iam, &admin));
        assert!(!role_covers(&admin_b, &ec2_write));
        assert!(role_covers(&admin, &ec2_write));
        let not_iam = role("not-iam", Write, Some("a"), &["not iam:*"]);
        assert!(!role_covers(&not_iam, &ec2_write));
        let empty = role("empty", Write, Some("a"), &[]);
        assert!(!role_covers(&s3_all, &empty));
    }

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
