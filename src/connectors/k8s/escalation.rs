//! Escalation edges: what a role's permissions let its holder become, beyond the role.
//!
//! The principal of every edge is the role (canonical id) that carries the permission; the
//! graph resolves who holds it. Targets are the roles other principals hold:
//!
//! | permission (in the role's scope) | targets | method |
//! |---|---|---|
//! | `create` pods, deployments, replicasets, daemonsets, statefulsets, jobs, cronjobs or replicationcontrollers in N | every role of every service account in N | `create pods in N (runs as serviceaccount S)` |
//! | `get`/`list`/`watch` secrets in N | the roles of service accounts whose token Secret is in N (and readable by name) | `read secrets in N (token of serviceaccount S)` |
//! | `create` serviceaccounts/token in N | the roles of those service accounts | `create serviceaccounts/token for S in N` |
//! | `create`/`get` pods/exec or pods/attach in N | the roles of service accounts in N | `exec into pods in N (may run as serviceaccount S)` |
//! | `get`/`create` nodes/proxy (cluster-wide only) | the roles of every service account | `nodes/proxy on any node (pods may run as serviceaccount S in N)` |
//! | `impersonate` users, groups, serviceaccounts | the impersonated principals' roles | `impersonate user U` / `impersonate group G` / `impersonate serviceaccount S in N` |
//!
//! One edge per (role, target): the first method in the table's order names it. A
//! cluster-wide admin role gets no edges: it can already do everything they lead to.

use super::objects::PolicyRule;
use super::rbac::{allowed_names, privilege, Names, Scope};
use crate::model::{Escalation, PrivilegeLevel, Provenance};
use std::collections::{BTreeMap, BTreeSet};

/// A role as escalation sees it: its effective rules and where they apply.
pub(crate) struct EffectiveRole<'a> {
    pub id: String,
    pub rules: &'a [PolicyRule],
    /// `None`: cluster-wide; `Some(ns)`: inside one namespace.
    pub namespace: Option<String>,
    pub provenance: Provenance,
}

/// Who holds what, and where the token secrets are.
#[derive(Default)]
pub(crate) struct Holdings {
    /// (namespace, service account) → role ids.
    pub service_accounts: BTreeMap<(String, String), BTreeSet<String>>,
    pub users: BTreeMap<String, BTreeSet<String>>,
    pub groups: BTreeMap<String, BTreeSet<String>>,
    /// (namespace, secret name, service account)
    pub tokens: Vec<(String, String, String)>,
}

const WORKLOADS: [(&str, &str); 8] = [
    ("", "pods"),
    ("", "replicationcontrollers"),
    ("apps", "deployments"),
    ("apps", "replicasets"),
    ("apps", "daemonsets"),
    ("apps", "statefulsets"),
    ("batch", "jobs"),
    ("batch", "cronjobs"),
];

pub(crate) fn escalations(roles: &[EffectiveRole<'_>], holdings: &Holdings) -> Vec<Escalation> {
    let mut out = Vec::new();
    for role in roles {
        // A cluster-wide admin role can already do everything: edges from it add nothing.
        if role.namespace.is_none()
            && privilege(role.rules, Scope::Cluster) == PrivilegeLevel::Admin
        {
            continue;
        }
        let mut edges: BTreeMap<String, String> = BTreeMap::new();
        let mut add = |target: &String, method: String| {
            if *target != role.id {
                edges.entry(target.clone()).or_insert(method);
            }
        };
        let scope = match &role.namespace {
            Some(ns) => Scope::Namespace(ns),
            None => Scope::Cluster,
        };
        let in_scope = |ns: &str| role.namespace.as_deref().is_none_or(|r| r == ns);
        let can = |verbs: &[&str], group: &str, resource: &str| -> Option<Names> {
            verbs
                .iter()
                .filter_map(|v| allowed_names(role.rules, scope, v, group, resource))
                .reduce(|a, b| if a == Names::All { a } else { b })
        };

        let creates_workloads = WORKLOADS
            .iter()
            .any(|(g, r)| can(&["create"], g, r) == Some(Names::All));
        if creates_workloads {
            for ((ns, sa), held) in &holdings.service_accounts {
                if in_scope(ns) {
                    for target in held {
                        add(
                            target,
                            format!("create pods in {ns} (runs as serviceaccount {sa})"),
                        );
                    }
                }
            }
        }
        if let Some(names) = can(&["get", "list", "watch"], "", "secrets") {
            for (ns, secret, sa) in &holdings.tokens {
                if in_scope(ns) && names.allows(secret) {
                    for target in holdings
                        .service_accounts
                        .get(&(ns.clone(), sa.clone()))
                        .into_iter()
                        .flatten()
                    {
                        add(
                            target,
                            format!("read secrets in {ns} (token of serviceaccount {sa})"),
                        );
                    }
                }
            }
        }
        if let Some(names) = can(&["create"], "", "serviceaccounts/token") {
            for ((ns, sa), held) in &holdings.service_accounts {
                if in_scope(ns) && names.allows(sa) {
                    for target in held {
                        add(
                            target,
                            format!("create serviceaccounts/token for {sa} in {ns}"),
                        );
                    }
                }
            }
        }
        let execs = can(&["create", "get"], "", "pods/exec").is_some()
            || can(&["create", "get"], "", "pods/attach").is_some();
        if execs {
            for ((ns, sa), held) in &holdings.service_accounts {
                if in_scope(ns) {
                    for target in held {
                        add(
                            target,
                            format!("exec into pods in {ns} (may run as serviceaccount {sa})"),
                        );
                    }
                }
            }
        }
        if can(&["get", "create"], "", "nodes/proxy").is_some() {
            for ((ns, sa), held) in &holdings.service_accounts {
                for target in held {
                    add(
                        target,
                        format!(
                            "nodes/proxy on any node (pods may run as serviceaccount {sa} in {ns})"
                        ),
                    );
                }
            }
        }
        if let Some(names) = can(&["impersonate"], "", "users") {
            for (user, held) in &holdings.users {
                if names.allows(user) {
                    for target in held {
                        add(target, format!("impersonate user {user}"));
                    }
                }
            }
        }
        if let Some(names) = can(&["impersonate"], "", "groups") {
            for (group, held) in &holdings.groups {
                if names.allows(group) {
                    for target in held {
                        add(target, format!("impersonate group {group}"));
                    }
                }
            }
        }
        if let Some(names) = can(&["impersonate"], "", "serviceaccounts") {
            for ((ns, sa), held) in &holdings.service_accounts {
                if in_scope(ns) && names.allows(sa) {
                    for target in held {
                        add(target, format!("impersonate serviceaccount {sa} in {ns}"));
                    }
                }
            }
        }
        out.extend(edges.into_iter().map(|(target, method)| Escalation {
            principal: role.id.clone(),
            target,
            method,
            provenance: role.provenance.clone(),
        }));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(verbs: &[&str], resources: &[&str]) -> PolicyRule {
        PolicyRule {
            verbs: verbs.iter().map(|s| s.to_string()).collect(),
            api_groups: vec!["".into()],
            resources: resources.iter().map(|s| s.to_string()).collect(),
            ..PolicyRule::default()
        }
    }

    fn holdings() -> Holdings {
        let mut h = Holdings::default();
        h.service_accounts.insert(
            ("kube-system".into(), "ctrl".into()),
            BTreeSet::from(["admin-role".to_string()]),
        );
        h.service_accounts.insert(
            ("apps".into(), "web".into()),
            BTreeSet::from(["web-role".to_string()]),
        );
        h.tokens
            .push(("apps".into(), "web-token".into(), "web".into()));
        h.users
            .insert("alice".into(), BTreeSet::from(["alice-role".to_string()]));
        h
    }

    fn run(rules: &[PolicyRule], namespace: Option<&str>) -> Vec<(String, String)> {
        let roles = [EffectiveRole {
            id: "r".into(),
            rules,
            namespace: namespace.map(str::to_string),
            provenance: Provenance::synthetic("test"),
        }];
        escalations(&roles, &holdings())
            .into_iter()
            .map(|e| (e.target, e.method))
            .collect()
    }

    #[test]
    fn pod_creation_reaches_the_service_accounts_of_its_namespace_only() {
        assert_eq!(
            run(&[rule(&["create"], &["pods"])], Some("kube-system")),
            vec![(
                "admin-role".to_string(),
                "create pods in kube-system (runs as serviceaccount ctrl)".to_string()
            )]
        );
        assert_eq!(run(&[rule(&["create"], &["pods"])], None).len(), 2);
    }

    #[test]
    fn secrets_tokens_exec_nodes_and_impersonation() {
        assert_eq!(
            run(&[rule(&["get"], &["secrets"])], None),
            vec![(
                "web-role".to_string(),
                "read secrets in apps (token of serviceaccount web)".to_string()
            )]
        );
        let mut named = rule(&["get"], &["secrets"]);
        named.resource_names = vec!["other".into()];
        assert!(run(&[named], None).is_empty());
        assert_eq!(
            run(&[rule(&["create"], &["pods/exec"])], Some("apps")).len(),
            1
        );
        assert_eq!(run(&[rule(&["get"], &["nodes/proxy"])], None).len(), 2);
        assert!(run(&[rule(&["get"], &["nodes/proxy"])], Some("apps")).is_empty());
        assert_eq!(
            run(&[rule(&["impersonate"], &["users"])], None),
            vec![(
                "alice-role".to_string(),
                "impersonate user alice".to_string()
            )]
        );
        assert!(run(&[rule(&["get", "list"], &["pods"])], None).is_empty());
    }
}
