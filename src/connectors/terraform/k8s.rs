//! Kubernetes RBAC resources of a plan (the `kubernetes` provider) → roles and standing
//! assignments, with the Kubernetes connector's ids (`k8s:<cluster>:clusterrole:<name>`…) so
//! a plan and a cluster dump describe the same objects.
//!
//! The cluster is the source's `cluster:` from residue.yaml, else the plan file's name
//! without its extension (as for Kubernetes dumps). Privilege follows the Kubernetes
//! connector's ladder: `*` verbs on `*` resources in `*` groups is admin; `escalate`,
//! `bind`, `impersonate`, or writing RBAC objects is permissions-management; any other verb
//! but get/list/watch is write; get/list/watch is read. A built-in ClusterRole the plan binds
//! but does not define (`cluster-admin`, `admin`, `edit`, `view`) has its documented level; any
//! other is reported and counted as granting nothing.

use super::{Change, Plan};
use crate::model::{
    Assignment, AssignmentKind, IdentityKind, PrivilegeLevel, Provenance, Role, Window,
};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

pub(super) fn handles(rtype: &str) -> bool {
    matches!(
        rtype.trim_end_matches("_v1"),
        "kubernetes_cluster_role"
            | "kubernetes_role"
            | "kubernetes_cluster_role_binding"
            | "kubernetes_role_binding"
    )
}

/// The first element of a nested block list (`metadata`, `role_ref`), as an object.
fn block<'a>(after: &'a Map<String, Value>, key: &str) -> Option<&'a Map<String, Value>> {
    match after.get(key)? {
        Value::Array(a) => a.first()?.as_object(),
        Value::Object(o) => Some(o),
        _ => None,
    }
}

fn text<'a>(obj: Option<&'a Map<String, Value>>, key: &str) -> Option<&'a str> {
    obj?.get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

fn list(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// A role's rules → (permission strings, privilege level).
fn rules(after: &Map<String, Value>) -> (Vec<String>, PrivilegeLevel) {
    let mut permissions = Vec::new();
    let mut level = PrivilegeLevel::None;
    for rule in after
        .get("rule")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let groups = list(rule.get("api_groups"));
        let resources = list(rule.get("resources"));
        let verbs = list(rule.get("verbs"));
        let named = !list(rule.get("resource_names")).is_empty();
        for url in list(rule.get("non_resource_urls")) {
            for verb in &verbs {
                permissions.push(format!("{verb} {url}"));
                level = level.max(verb_level(verb));
            }
        }
        for group in &groups {
            for resource in &resources {
                for verb in &verbs {
                    let shown = if group.is_empty() { "core" } else { group };
                    permissions.push(format!("{verb} {shown}/{resource}"));
                    let rbac = group == "*" || group == "rbac.authorization.k8s.io";
                    let rbac_resource = resource == "*"
                        || matches!(
                            resource.as_str(),
                            "roles" | "rolebindings" | "clusterroles" | "clusterrolebindings"
                        );
                    let l = if verb == "*" && resource == "*" && group == "*" && !named {
                        PrivilegeLevel::Admin
                    } else if matches!(verb.as_str(), "escalate" | "bind" | "impersonate")
                        || (rbac
                            && rbac_resource
                            && matches!(verb.as_str(), "*" | "create" | "update" | "patch"))
                    {
                        PrivilegeLevel::PermissionsManagement
                    } else {
                        verb_level(verb)
                    };
                    level = level.max(l);
                }
            }
        }
    }
    permissions.sort();
    permissions.dedup();
    (permissions, level)
}

fn verb_level(verb: &str) -> PrivilegeLevel {
    if matches!(verb, "get" | "list" | "watch") {
        PrivilegeLevel::Read
    } else {
        PrivilegeLevel::Write
    }
}

fn builtin(name: &str) -> Option<PrivilegeLevel> {
    Some(match name {
        "cluster-admin" => PrivilegeLevel::Admin,
        // `admin` may create RoleBindings in its namespace.
        "admin" => PrivilegeLevel::PermissionsManagement,
        "edit" => PrivilegeLevel::Write,
        "view" => PrivilegeLevel::Read,
        _ => return None,
    })
}

struct Defined {
    permissions: Vec<String>,
    level: PrivilegeLevel,
    provenance: Provenance,
}

pub(super) fn model(plan: &mut Plan, changes: &[Change<'_>]) {
    let cluster = plan.cluster.clone();
    let mut cluster_roles: BTreeMap<String, Defined> = BTreeMap::new();
    let mut roles: BTreeMap<String, Role> = BTreeMap::new();
    for c in changes.iter().filter(|c| handles(c.rtype)) {
        let meta = block(c.after, "metadata");
        let Some(name) = text(meta, "name") else {
            plan.warn(
                c.at("metadata"),
                format!(
                    "{}: the name is unknown until apply or missing; not modelled",
                    c.address
                ),
            );
            continue;
        };
        match c.rtype.trim_end_matches("_v1") {
            "kubernetes_cluster_role" => {
                let (permissions, level) = rules(c.after);
                cluster_roles.insert(
                    name.to_string(),
                    Defined {
                        permissions: permissions.clone(),
                        level,
                        provenance: c.provenance.clone(),
                    },
                );
                let id = format!("k8s:{cluster}:clusterrole:{name}");
                roles.insert(
                    id.clone(),
                    role(
                        id,
                        name,
                        permissions,
                        level,
                        format!("cluster:{cluster}"),
                        &c.provenance,
                    ),
                );
            }
            "kubernetes_role" => {
                let ns = text(meta, "namespace").unwrap_or("default");
                let (permissions, level) = rules(c.after);
                let id = format!("k8s:{cluster}:role:{ns}:{name}");
                roles.insert(
                    id.clone(),
                    role(
                        id,
                        name,
                        permissions,
                        level,
                        format!("namespace:{cluster}/{ns}"),
                        &c.provenance,
                    ),
                );
            }
            _ => {}
        }
    }
    for c in changes.iter().filter(|c| handles(c.rtype)) {
        let kind = c.rtype.trim_end_matches("_v1");
        if kind != "kubernetes_cluster_role_binding" && kind != "kubernetes_role_binding" {
            continue;
        }
        let meta = block(c.after, "metadata");
        let Some(name) = text(meta, "name") else {
            continue;
        };
        let role_ref = block(c.after, "role_ref");
        let (Some(ref_kind), Some(ref_name)) = (text(role_ref, "kind"), text(role_ref, "name"))
        else {
            plan.warn(
                c.at("role_ref"),
                format!("{}: binding {name} has no known role_ref; it grants nothing that can be modelled", c.address),
            );
            continue;
        };
        let namespace = (kind == "kubernetes_role_binding")
            .then(|| text(meta, "namespace").unwrap_or("default"));
        let role_id = match (ref_kind, namespace) {
            ("Role", Some(ns)) => {
                let id = format!("k8s:{cluster}:role:{ns}:{ref_name}");
                if !roles.contains_key(&id) {
                    plan.warn(
                        c.at("role_ref"),
                        format!("{}: binding {name} refers to role {ns}/{ref_name}, which the plan does not define; it is counted as granting nothing", c.address),
                    );
                    let r = role(
                        id.clone(),
                        ref_name,
                        Vec::new(),
                        PrivilegeLevel::None,
                        format!("namespace:{cluster}/{ns}"),
                        &c.at("role_ref"),
                    );
                    roles.insert(id.clone(), r);
                }
                id
            }
            ("ClusterRole", ns) => {
                let (id, scope) = match ns {
                    Some(ns) => (
                        format!("k8s:{cluster}:clusterrole:{ref_name}@{ns}"),
                        format!("namespace:{cluster}/{ns}"),
                    ),
                    None => (
                        format!("k8s:{cluster}:clusterrole:{ref_name}"),
                        format!("cluster:{cluster}"),
                    ),
                };
                if !roles.contains_key(&id) {
                    let r = match (cluster_roles.get(ref_name), builtin(ref_name)) {
                        (Some(d), _) => role(
                            id.clone(),
                            ref_name,
                            d.permissions.clone(),
                            d.level,
                            scope,
                            &d.provenance,
                        ),
                        (None, Some(level)) => role(
                            id.clone(),
                            ref_name,
                            Vec::new(),
                            level,
                            scope,
                            &c.at("role_ref"),
                        ),
                        (None, None) => {
                            plan.warn(
                                c.at("role_ref"),
                                format!("{}: binding {name} refers to clusterrole {ref_name}, which the plan does not define; it is counted as granting nothing", c.address),
                            );
                            role(
                                id.clone(),
                                ref_name,
                                Vec::new(),
                                PrivilegeLevel::None,
                                scope,
                                &c.at("role_ref"),
                            )
                        }
                    };
                    roles.insert(id.clone(), r);
                }
                id
            }
            (other, _) => {
                plan.warn(
                    c.at("role_ref"),
                    format!("{}: binding {name} has role_ref kind `{other}`; expected ClusterRole, or Role in a role binding", c.address),
                );
                continue;
            }
        };
        for (i, s) in c
            .after
            .get("subject")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            let s = s.as_object();
            let (Some(skind), Some(sname)) = (text(s, "kind"), text(s, "name")) else {
                plan.warn(
                    c.at(&format!("subject/{i}")),
                    format!(
                        "{}: binding {name} has a subject whose kind or name is unknown; skipped",
                        c.address
                    ),
                );
                continue;
            };
            let (id, ikind) = match skind {
                "User" => (format!("k8s:{cluster}:user:{sname}"), IdentityKind::Human),
                "Group" => (format!("k8s:{cluster}:group:{sname}"), IdentityKind::Group),
                "ServiceAccount" => {
                    let ns = text(s, "namespace").or(namespace).unwrap_or("default");
                    (
                        format!("k8s:{cluster}:serviceaccount:{ns}:{sname}"),
                        IdentityKind::ServiceAccount,
                    )
                }
                other => {
                    plan.warn(
                        c.at(&format!("subject/{i}")),
                        format!("{}: binding {name} has a subject of kind `{other}`; expected User, Group or ServiceAccount", c.address),
                    );
                    continue;
                }
            };
            plan.refer(&id, ikind, &c.at(&format!("subject/{i}")));
            plan.inventory.assignments.push(Assignment {
                subject: id.into(),
                role: role_id.as_str().into(),
                kind: AssignmentKind::Standing,
                window: Window::UNBOUNDED,
                last_used: None,
                provenance: c.provenance.clone(),
            });
        }
    }
    plan.inventory.roles.extend(roles.into_values());
}

fn role(
    id: String,
    name: &str,
    permissions: Vec<String>,
    privilege: PrivilegeLevel,
    scope: String,
    provenance: &Provenance,
) -> Role {
    Role {
        id,
        name: name.to_string(),
        permissions,
        privilege,
        scope: Some(scope),
        last_used: None,
        tags: BTreeMap::new(),
        provenance: provenance.clone(),
    }
}
