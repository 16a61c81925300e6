//! RBAC rules → privilege level and the capabilities that make escalation edges.
//!
//! Matching follows the Kubernetes RBAC authorizer: `*` matches every verb, group and
//! resource (subresources included); `*/scale` matches that subresource of any resource;
//! `resourceNames` restricts a rule to named objects, so it never matches `create` of a new
//! object. A rule granted in a namespace (a Role, or a ClusterRole bound by a RoleBinding)
//! cannot reach cluster-scoped resources or non-resource URLs.
//!
//! Privilege levels, for one scope:
//! - admin: `*` verbs on `*` resources in `*` API groups, unrestricted by name;
//! - permissions-management: `escalate`, `bind` or `impersonate`, or create/update/patch on
//!   roles, clusterroles, rolebindings or clusterrolebindings;
//! - write: any other verb but get/list/watch (on resources or non-resource URLs);
//! - read: get/list/watch.

use super::objects::PolicyRule;
use crate::model::PrivilegeLevel;
use std::collections::BTreeSet;

/// Where a set of rules applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Scope<'a> {
    Cluster,
    Namespace(&'a str),
}

const RBAC_GROUP: &str = "rbac.authorization.k8s.io";
const READ_VERBS: [&str; 3] = ["get", "list", "watch"];
const RBAC_RESOURCES: [&str; 4] = [
    "roles",
    "rolebindings",
    "clusterroles",
    "clusterrolebindings",
];

/// Resources that exist outside namespaces: a namespaced grant never reaches them.
const CLUSTER_SCOPED: [&str; 24] = [
    "nodes",
    "namespaces",
    "persistentvolumes",
    "clusterroles",
    "clusterrolebindings",
    "certificatesigningrequests",
    "storageclasses",
    "customresourcedefinitions",
    "apiservices",
    "mutatingwebhookconfigurations",
    "validatingwebhookconfigurations",
    "validatingadmissionpolicies",
    "validatingadmissionpolicybindings",
    "priorityclasses",
    "csidrivers",
    "csinodes",
    "runtimeclasses",
    "ingressclasses",
    "volumeattachments",
    "podsecuritypolicies",
    "users",
    "groups",
    "tokenreviews",
    "subjectaccessreviews",
];

/// Which objects of a resource a rule reaches: all of them, or the named ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Names {
    All,
    Only(BTreeSet<String>),
}

impl Names {
    pub fn allows(&self, name: &str) -> bool {
        match self {
            Names::All => true,
            Names::Only(names) => names.contains(name),
        }
    }

    fn merge(a: Option<Names>, b: Names) -> Names {
        match (a, b) {
            (None, b) => b,
            (Some(Names::All), _) | (_, Names::All) => Names::All,
            (Some(Names::Only(mut x)), Names::Only(y)) => {
                x.extend(y);
                Names::Only(x)
            }
        }
    }
}

fn base_resource(resource: &str) -> &str {
    resource.split('/').next().unwrap_or(resource)
}

fn is_cluster_scoped(resource: &str) -> bool {
    CLUSTER_SCOPED.contains(&base_resource(resource))
}

fn verb_matches(rule: &PolicyRule, verb: &str) -> bool {
    rule.verbs
        .iter()
        .any(|v| v == "*" || v.eq_ignore_ascii_case(verb))
}

fn group_matches(rule: &PolicyRule, group: &str) -> bool {
    rule.api_groups.iter().any(|g| g == "*" || g == group)
}

fn resource_matches(rule: &PolicyRule, resource: &str) -> bool {
    let sub = resource.split_once('/').map(|(_, s)| s);
    rule.resources.iter().any(|r| {
        r == "*"
            || r.eq_ignore_ascii_case(resource)
            || sub.is_some_and(|s| r.strip_prefix("*/").is_some_and(|rs| rs == s))
    })
}

/// Whether `rules` allow `verb` on `resource` (`pods`, `pods/exec`) of `group` in `scope`,
/// and for which object names. `None`: not at all.
pub(crate) fn allowed_names(
    rules: &[PolicyRule],
    scope: Scope<'_>,
    verb: &str,
    group: &str,
    resource: &str,
) -> Option<Names> {
    if matches!(scope, Scope::Namespace(_)) && is_cluster_scoped(resource) {
        return None;
    }
    let mut names: Option<Names> = None;
    for rule in rules {
        if !(verb_matches(rule, verb)
            && group_matches(rule, group)
            && resource_matches(rule, resource))
        {
            continue;
        }
        let these = if rule.resource_names.is_empty() {
            Names::All
        } else if verb == "create" && !resource.contains('/') {
            // A new object has no name yet when it is authorized.
            continue;
        } else {
            Names::Only(rule.resource_names.iter().cloned().collect())
        };
        names = Some(Names::merge(names, these));
    }
    names
}

/// Whether `rules` allow `verb` on every object of `resource` in `group` in `scope`.
#[cfg(test)]
pub(crate) fn allows(
    rules: &[PolicyRule],
    scope: Scope<'_>,
    verb: &str,
    group: &str,
    resource: &str,
) -> bool {
    allowed_names(rules, scope, verb, group, resource) == Some(Names::All)
}

/// The privilege level `rules` give in `scope`.
pub(crate) fn privilege(rules: &[PolicyRule], scope: Scope<'_>) -> PrivilegeLevel {
    rules
        .iter()
        .map(|r| rule_privilege(r, scope))
        .max()
        .unwrap_or(PrivilegeLevel::None)
}

fn rule_privilege(rule: &PolicyRule, scope: Scope<'_>) -> PrivilegeLevel {
    let verbs: Vec<String> = rule.verbs.iter().map(|v| v.to_ascii_lowercase()).collect();
    if verbs.is_empty() {
        return PrivilegeLevel::None;
    }
    let is_write = |v: &String| !READ_VERBS.contains(&v.as_str());
    let mut level = PrivilegeLevel::None;
    if !rule.non_resource_urls.is_empty() && scope == Scope::Cluster {
        level = if verbs.iter().any(is_write) {
            PrivilegeLevel::Write
        } else {
            PrivilegeLevel::Read
        };
    }
    let resources: Vec<&String> = rule
        .resources
        .iter()
        .filter(|r| scope == Scope::Cluster || r.as_str() == "*" || !is_cluster_scoped(r))
        .collect();
    if resources.is_empty() || rule.api_groups.is_empty() {
        return level;
    }
    let any_verb = verbs.iter().any(|v| v == "*");
    let all_resources = resources.iter().any(|r| r.as_str() == "*");
    let all_groups = rule.api_groups.iter().any(|g| g == "*");
    if any_verb && all_resources && all_groups && rule.resource_names.is_empty() {
        return PrivilegeLevel::Admin;
    }
    let grants = verbs
        .iter()
        .any(|v| matches!(v.as_str(), "escalate" | "bind" | "impersonate"));
    let edits_rbac = verbs
        .iter()
        .any(|v| matches!(v.as_str(), "*" | "create" | "update" | "patch"))
        && rule.api_groups.iter().any(|g| g == "*" || g == RBAC_GROUP)
        && resources
            .iter()
            .any(|r| r.as_str() == "*" || RBAC_RESOURCES.contains(&r.as_str()));
    // `*` verbs include `impersonate` on the core group's impersonable resources.
    let impersonates_by_wildcard = any_verb
        && rule.api_groups.iter().any(|g| g == "*" || g.is_empty())
        && resources
            .iter()
            .any(|r| matches!(r.as_str(), "*" | "serviceaccounts" | "users" | "groups"));
    if grants || edits_rbac || impersonates_by_wildcard {
        return PrivilegeLevel::PermissionsManagement;
    }
    let resource_level = if verbs.iter().any(is_write) {
        PrivilegeLevel::Write
    } else {
        PrivilegeLevel::Read
    };
    level.max(resource_level)
}

/// One permission string per rule, as the rule states it:
/// `core/pods,configmaps:get,list`, `apps/deployments[web]:patch`, `url:/healthz:get`.
pub(crate) fn permission_strings(rules: &[PolicyRule]) -> Vec<String> {
    let mut out = Vec::new();
    for rule in rules {
        let verbs = rule.verbs.join(",");
        if !rule.resources.is_empty() {
            let groups: Vec<&str> = rule
                .api_groups
                .iter()
                .map(|g| if g.is_empty() { "core" } else { g.as_str() })
                .collect();
            let names = if rule.resource_names.is_empty() {
                String::new()
            } else {
                format!("[{}]", rule.resource_names.join(","))
            };
            out.push(format!(
                "{}/{}{names}:{verbs}",
                groups.join(","),
                rule.resources.join(",")
            ));
        }
        if !rule.non_resource_urls.is_empty() {
            out.push(format!("url:{}:{verbs}", rule.non_resource_urls.join(",")));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use PrivilegeLevel::*;

    fn rule(verbs: &[&str], groups: &[&str], resources: &[&str]) -> PolicyRule {
        PolicyRule {
            verbs: verbs.iter().map(|s| s.to_string()).collect(),
            api_groups: groups.iter().map(|s| s.to_string()).collect(),
            resources: resources.iter().map(|s| s.to_string()).collect(),
            ..PolicyRule::default()
        }
    }

    #[test]
    fn privilege_ladder() {
        let ns = Scope::Namespace("team");
        assert_eq!(
            privilege(&[rule(&["*"], &["*"], &["*"])], Scope::Cluster),
            Admin
        );
        assert_eq!(privilege(&[rule(&["*"], &["*"], &["*"])], ns), Admin);
        assert_eq!(
            privilege(
                &[rule(&["bind"], &[RBAC_GROUP], &["clusterroles"])],
                Scope::Cluster
            ),
            PermissionsManagement
        );
        assert_eq!(
            privilege(&[rule(&["create"], &[RBAC_GROUP], &["rolebindings"])], ns),
            PermissionsManagement
        );
        assert_eq!(
            privilege(&[rule(&["impersonate"], &[""], &["serviceaccounts"])], ns),
            PermissionsManagement
        );
        assert_eq!(privilege(&[rule(&["create"], &[""], &["pods"])], ns), Write);
        assert_eq!(privilege(&[rule(&["*"], &["apps"], &["*"])], ns), Write);
        assert_eq!(
            privilege(&[rule(&["get", "list"], &[""], &["secrets"])], ns),
            Read
        );
        assert_eq!(privilege(&[], ns), None);
    }

    #[test]
    fn namespaced_grants_never_reach_cluster_scoped_resources() {
        let nodes = [rule(&["get", "create"], &[""], &["nodes/proxy"])];
        assert!(allows(&nodes, Scope::Cluster, "get", "", "nodes/proxy"));
        assert!(!allows(
            &nodes,
            Scope::Namespace("a"),
            "get",
            "",
            "nodes/proxy"
        ));
        assert_eq!(privilege(&nodes, Scope::Namespace("a")), None);
        let users = [rule(&["impersonate"], &[""], &["users", "groups"])];
        assert_eq!(privilege(&users, Scope::Namespace("a")), None);
        assert_eq!(privilege(&users, Scope::Cluster), PermissionsManagement);
        let crb = [rule(&["create"], &[RBAC_GROUP], &["clusterrolebindings"])];
        assert_eq!(privilege(&crb, Scope::Namespace("a")), None);
    }

    #[test]
    fn resource_names_restrict_and_never_allow_create() {
        let mut named = rule(
            &["get", "create"],
            &[""],
            &["secrets", "serviceaccounts/token"],
        );
        named.resource_names = vec!["db-pass".into()];
        assert_eq!(
            allowed_names(&[named.clone()], Scope::Cluster, "get", "", "secrets"),
            Some(Names::Only(BTreeSet::from(["db-pass".to_string()])))
        );
        assert_eq!(
            allowed_names(&[named.clone()], Scope::Cluster, "create", "", "secrets"),
            Option::None
        );
        assert!(allowed_names(
            &[named],
            Scope::Cluster,
            "create",
            "",
            "serviceaccounts/token"
        )
        .is_some_and(|n| n.allows("db-pass") && !n.allows("other")));
        let wildcard_sub = [rule(&["create"], &[""], &["*/exec"])];
        assert!(allows(
            &wildcard_sub,
            Scope::Cluster,
            "create",
            "",
            "pods/exec"
        ));
        assert!(!allows(&wildcard_sub, Scope::Cluster, "create", "", "pods"));
    }

    #[test]
    fn permission_strings_read_like_the_rule() {
        let mut r = rule(&["get", "list"], &["", "apps"], &["pods", "deployments"]);
        r.resource_names = vec!["web".into()];
        let url = PolicyRule {
            verbs: vec!["get".into()],
            non_resource_urls: vec!["/healthz".into()],
            ..PolicyRule::default()
        };
        assert_eq!(
            permission_strings(&[r, url]),
            vec![
                "core,apps/pods,deployments[web]:get,list",
                "url:/healthz:get"
            ]
        );
    }
}
