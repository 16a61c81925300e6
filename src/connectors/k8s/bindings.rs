//! RoleBindings and ClusterRoleBindings → assignments, and the subjects they name.
//!
//! - A ClusterRoleBinding grants a ClusterRole cluster-wide (`…:clusterrole:<name>`).
//! - A RoleBinding grants a Role of its own namespace (`…:role:<ns>:<name>`), or a
//!   ClusterRole only inside its namespace (`…:clusterrole:<name>@<ns>`).
//! - A binding carrying the configured expiry annotation (`kubernetes.expiry_annotation`,
//!   default `residue.io/expires-at`) is a temporary assignment from its creation to that
//!   time; every other binding is standing from its creation on.
//! - System principals (users and groups named `system:*`, such as `system:masters` or
//!   `system:kube-controller-manager`) and bindings named `system:*` are Kubernetes' own
//!   plumbing: they get no assignment but one Info diagnostic per binding, so they are
//!   reported apart from real access. A binding not named `system:*` that grants to a group
//!   covering every user or service account (`system:authenticated`, `system:unauthenticated`,
//!   `system:serviceaccounts[:<ns>]`) gets a Warning instead: that is rarely intended.

use super::objects::Located;
use super::{Ids, SubjectRef};
use crate::connectors::ConnectorSettings;
use crate::model::time::parse_timestamp;
use crate::model::{Assignment, AssignmentKind, Diagnostic, Provenance, Window};
use std::collections::BTreeSet;

/// Roles bindings may refer to.
pub(crate) struct KnownRoles {
    pub cluster_roles: BTreeSet<String>,
    /// (namespace, name)
    pub roles: BTreeSet<(String, String)>,
}

#[derive(Default)]
pub(crate) struct BindingOutput {
    pub assignments: Vec<Assignment>,
    /// Every real subject, with the binding that names it.
    pub subjects: Vec<(SubjectRef, Provenance)>,
    /// ClusterRoles granted inside a namespace: (name, namespace).
    pub namespaced_cluster_roles: BTreeSet<(String, String)>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Groups that stand for every user or every service account.
fn is_broad_group(name: &str) -> bool {
    matches!(
        name,
        "system:authenticated" | "system:unauthenticated" | "system:anonymous"
    ) || name == "system:serviceaccounts"
        || name.starts_with("system:serviceaccounts:")
}

pub(crate) fn read_bindings(
    bindings: &[&Located],
    ids: &Ids,
    known: &KnownRoles,
    settings: &ConnectorSettings,
) -> BindingOutput {
    let mut out = BindingOutput::default();
    for binding in bindings {
        read_binding(binding, ids, known, settings, &mut out);
    }
    out
}

fn read_binding(
    binding: &Located,
    ids: &Ids,
    known: &KnownRoles,
    settings: &ConnectorSettings,
    out: &mut BindingOutput,
) {
    let at = &binding.provenance;
    let is_cluster_binding = binding.kind() == "ClusterRoleBinding";
    let Some(name) = binding.name() else {
        out.diagnostics.push(Diagnostic::warning(
            at.clone(),
            "a binding without metadata.name was skipped",
        ));
        return;
    };
    let namespace = if is_cluster_binding {
        None
    } else {
        Some(binding.namespace().unwrap_or("default"))
    };
    let role_ref = binding.object.role_ref.clone().unwrap_or_default();
    let ref_kind = role_ref.kind.as_deref().unwrap_or("");
    let Some(ref_name) = role_ref.name.as_deref().filter(|n| !n.is_empty()) else {
        out.diagnostics.push(Diagnostic::warning(
            at.clone(),
            format!("binding {name} has no roleRef.name; it grants nothing and was skipped"),
        ));
        return;
    };
    let (role_id, role_words) = match (ref_kind, namespace) {
        ("ClusterRole", None) => {
            if !known.cluster_roles.contains(ref_name) {
                out.diagnostics.push(Diagnostic::warning(
                    at.clone(),
                    format!("binding {name} refers to clusterrole {ref_name}, which this source does not define; it grants nothing until the role exists"),
                ));
                return;
            }
            (
                ids.cluster_role(ref_name),
                format!("clusterrole {ref_name}"),
            )
        }
        ("ClusterRole", Some(ns)) => {
            if !known.cluster_roles.contains(ref_name) {
                out.diagnostics.push(Diagnostic::warning(
                    at.clone(),
                    format!("binding {ns}/{name} refers to clusterrole {ref_name}, which this source does not define; it grants nothing until the role exists"),
                ));
                return;
            }
            out.namespaced_cluster_roles
                .insert((ref_name.to_string(), ns.to_string()));
            (
                ids.cluster_role_in(ref_name, ns),
                format!("clusterrole {ref_name} in namespace {ns}"),
            )
        }
        ("Role", Some(ns)) => {
            if !known
                .roles
                .contains(&(ns.to_string(), ref_name.to_string()))
            {
                out.diagnostics.push(Diagnostic::warning(
                    at.clone(),
                    format!("binding {ns}/{name} refers to role {ns}/{ref_name}, which this source does not define; it grants nothing until the role exists"),
                ));
                return;
            }
            (ids.role(ns, ref_name), format!("role {ns}/{ref_name}"))
        }
        ("Role", None) => {
            out.diagnostics.push(Diagnostic::warning(
                at.clone(),
                format!("ClusterRoleBinding {name} refers to a Role ({ref_name}); the API server rejects that, so it grants nothing and was skipped"),
            ));
            return;
        }
        (other, _) => {
            out.diagnostics.push(Diagnostic::warning(
                at.clone(),
                format!("binding {name} has roleRef.kind `{other}`; expected ClusterRole or Role, so it was skipped"),
            ));
            return;
        }
    };

    // The binding has been in force since it was created: a standing assignment's window
    // starts then (so "no use recorded" is judged against the binding's age).
    let created = match binding.object.metadata.creation_timestamp.as_deref() {
        Some(raw) => match parse_timestamp(raw) {
            Ok(t) => Some(t),
            Err(e) => {
                out.diagnostics.push(Diagnostic::warning(
                    at.clone(),
                    format!("binding {name}: creationTimestamp {e}; its start is unknown"),
                ));
                None
            }
        },
        None => None,
    };
    let (kind, window) = match expiry(binding, settings) {
        Ok(Some(end)) => (
            AssignmentKind::Temporary,
            Window {
                start: created,
                end: Some(end),
            },
        ),
        Ok(None) => (
            AssignmentKind::Standing,
            Window {
                start: created,
                end: None,
            },
        ),
        Err(message) => {
            out.diagnostics
                .push(Diagnostic::warning(at.clone(), message));
            (
                AssignmentKind::Standing,
                Window {
                    start: created,
                    end: None,
                },
            )
        }
    };

    let system_binding = name.starts_with("system:");
    let mut system_subjects: Vec<String> = Vec::new();
    for subject in &binding.object.subjects {
        let subject_kind = subject.kind.as_deref().unwrap_or("");
        let Some(subject_name) = subject.name.as_deref().filter(|n| !n.is_empty()) else {
            out.diagnostics.push(Diagnostic::warning(
                at.clone(),
                format!("binding {name} has a subject without a name; it was skipped"),
            ));
            continue;
        };
        let reference = match subject_kind {
            "ServiceAccount" => {
                match subject
                    .namespace
                    .as_deref()
                    .filter(|n| !n.is_empty())
                    .or(namespace)
                {
                    Some(ns) => SubjectRef::ServiceAccount {
                        namespace: ns.to_string(),
                        name: subject_name.to_string(),
                    },
                    None => {
                        out.diagnostics.push(Diagnostic::warning(
                            at.clone(),
                            format!("ClusterRoleBinding {name} names service account {subject_name} without a namespace; it was skipped"),
                        ));
                        continue;
                    }
                }
            }
            "User" => match subject_name
                .strip_prefix("system:serviceaccount:")
                .and_then(|rest| rest.split_once(':'))
            {
                // A service account's user name: the same identity as the account.
                Some((ns, sa)) => SubjectRef::ServiceAccount {
                    namespace: ns.to_string(),
                    name: sa.to_string(),
                },
                None => SubjectRef::User(subject_name.to_string()),
            },
            "Group" => SubjectRef::Group(subject_name.to_string()),
            other => {
                out.diagnostics.push(Diagnostic::warning(
                    at.clone(),
                    format!("binding {name} has a subject of kind `{other}`; expected User, Group or ServiceAccount, so it was skipped"),
                ));
                continue;
            }
        };
        let system_principal = match &reference {
            SubjectRef::User(n) | SubjectRef::Group(n) => n.starts_with("system:"),
            SubjectRef::ServiceAccount { .. } => false,
        };
        if system_binding || system_principal {
            if !system_binding && matches!(&reference, SubjectRef::Group(n) if is_broad_group(n)) {
                out.diagnostics.push(Diagnostic::warning(
                    at.clone(),
                    format!("binding {name} grants {role_words} to {subject_name}, a group that covers every {}; bind named subjects instead",
                        if subject_name.starts_with("system:serviceaccounts") { "service account it names" } else { "caller" }),
                ));
            }
            system_subjects.push(subject_name.to_string());
            continue;
        }
        out.assignments.push(Assignment {
            subject: ids.subject(&reference).into(),
            role: role_id.as_str().into(),
            kind,
            window,
            last_used: None,
            provenance: at.clone(),
        });
        out.subjects.push((reference, at.clone()));
    }
    if !system_subjects.is_empty() {
        let what = if system_binding {
            "system binding"
        } else {
            "binding"
        };
        out.diagnostics.push(Diagnostic::info(
            at.clone(),
            format!(
                "{what} {name} grants {role_words} to {}: Kubernetes system principals, reported here and not audited as access",
                system_subjects.join(", ")
            ),
        ));
    }
}

/// The binding's expiry from the configured annotation (or label), if it has one.
fn expiry(
    binding: &Located,
    settings: &ConnectorSettings,
) -> Result<Option<crate::model::Timestamp>, String> {
    let key = settings.k8s_expiry_annotation.as_str();
    let metadata = &binding.object.metadata;
    let Some(raw) = metadata
        .annotations
        .get(key)
        .or_else(|| metadata.labels.get(key))
    else {
        return Ok(None);
    };
    parse_timestamp(raw).map(Some).map_err(|e| {
        format!("the expiry annotation {key} of this binding is not a time ({e}); the binding is treated as standing")
    })
}
