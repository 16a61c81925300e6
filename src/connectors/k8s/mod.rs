//! Kubernetes RBAC: ClusterRoles, Roles, their bindings, service accounts and
//! service-account token Secrets → canonical identities, roles, assignments, escalations and
//! secrets. Format name `kubernetes`.
//!
//! # Inputs
//! - `kubectl get clusterroles,clusterrolebindings,roles,rolebindings,serviceaccounts,secrets -A -o yaml`
//!   (or `-o json`): one `kind: List` with mixed kinds;
//! - per-kind dumps (`clusterroles.json`, KubeHound's `<resource>.<group>.json` per namespace,
//!   typed `ClusterRoleList`s from the raw API, whose items have no `kind`);
//! - manifests: multi-document YAML (`---`), as kept in Git.
//!
//! A source path may be a file or a directory: a directory is read recursively, files in
//! sorted order, every `*.yaml`, `*.yml` and `*.json` (hidden files skipped). One source is
//! one cluster; several clusters are several sources.
//!
//! ```yaml
//! apiVersion: rbac.authorization.k8s.io/v1
//! kind: RoleBinding
//! metadata: {name: ci-deploy, namespace: kube-system, annotations: {residue.io/expires-at: "2026-11-01T00:00:00Z"}}
//! roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: edit}
//! subjects: [{kind: ServiceAccount, name: ci, namespace: ci}]
//! ```
//!
//! # Cluster name
//! The source's `cluster:` in residue.yaml; otherwise (a dump does not name its cluster) the
//! source path's last component: a directory's name, or a file's name without its
//! `.yaml`/`.yml`/`.json` extension. Deterministic, and documented in docs/formats.md.
//!
//! # Ids
//! | record | id | kind |
//! |---|---|---|
//! | service account | `k8s:<cluster>:serviceaccount:<ns>:<name>` | service-account (ai-agent when marked) |
//! | user | `k8s:<cluster>:user:<name>` | human |
//! | group | `k8s:<cluster>:group:<name>` | group |
//! | ClusterRole, cluster-wide | `k8s:<cluster>:clusterrole:<name>` | scope `cluster:<cluster>` |
//! | ClusterRole granted by a RoleBinding | `k8s:<cluster>:clusterrole:<name>@<ns>` | scope `namespace:<cluster>/<ns>` |
//! | Role | `k8s:<cluster>:role:<ns>:<name>` | scope `namespace:<cluster>/<ns>` |
//! | token Secret | `k8s:<cluster>:secret:<ns>:<name>` | token, owned by its service account |
//!
//! A RoleBinding to a ClusterRole grants it only in the binding's namespace, so it becomes
//! its own role (`…@<ns>`) whose privilege is computed for that namespace ([`rbac`]).
//! Subjects appear only in bindings: each user, group and service account named by a
//! binding becomes an identity. Service accounts are non-human identities; a label or
//! annotation among `kubernetes.owner_keys` names the owner, and one among
//! `kubernetes.ai_agent_keys` (any value but `false`) makes the account an AI agent. Every
//! service account carries the tag `projected-tokens: available`: since Kubernetes 1.22 it
//! can authenticate with projected, expiring tokens, which SC004 uses to flag legacy ones.
//!
//! # What is modelled, by module
//! [`objects`] reads and locates objects (never a Secret's `data`); [`aggregation`]
//! resolves aggregated ClusterRoles; [`rbac`] computes privilege levels; [`bindings`] turns
//! bindings into assignments (temporary when the expiry annotation is set) and keeps
//! Kubernetes' own system bindings apart as Info diagnostics; [`tokens`] reads
//! service-account token Secrets; [`escalation`] derives escalation edges (pod creation,
//! secret reading, token creation, exec, nodes/proxy, impersonation).

mod aggregation;
mod bindings;
mod escalation;
pub(crate) mod objects;
mod rbac;
mod tokens;

use crate::connectors::{generic, ConnectorError, ConnectorSettings};
use crate::model::time::parse_timestamp;
use crate::model::{Diagnostic, Identity, IdentityKind, Inventory, Provenance, Role};
use aggregation::ClusterRoleInput;
use escalation::{EffectiveRole, Holdings};
use objects::{Located, PolicyRule};
use rbac::Scope;
use std::collections::BTreeMap;
use std::path::Path;

pub(crate) use objects::EXPECTED;

/// The identity tag every service account carries: it can use projected tokens.
pub const PROJECTED_TOKENS_TAG: &str = "projected-tokens";

/// Whether the start of a file looks like Kubernetes RBAC objects.
pub(crate) fn sniff(text: &str) -> bool {
    objects::looks_like_kubernetes(text)
}

/// Whether a directory holds at least one `.yaml`/`.yml`/`.json` file whose first 64 KiB
/// look like Kubernetes RBAC objects.
pub(crate) fn sniff_dir(dir: &Path) -> bool {
    crate::connectors::files::any_sniffs(dir, is_data_file, sniff)
}

/// The canonical ids of one cluster's records.
pub(crate) struct Ids {
    cluster: String,
}

impl Ids {
    fn new(cluster: &str) -> Self {
        Ids {
            cluster: cluster.to_string(),
        }
    }

    pub fn service_account(&self, ns: &str, name: &str) -> String {
        format!("k8s:{}:serviceaccount:{ns}:{name}", self.cluster)
    }

    pub fn user(&self, name: &str) -> String {
        format!("k8s:{}:user:{name}", self.cluster)
    }

    pub fn group(&self, name: &str) -> String {
        format!("k8s:{}:group:{name}", self.cluster)
    }

    pub fn cluster_role(&self, name: &str) -> String {
        format!("k8s:{}:clusterrole:{name}", self.cluster)
    }

    pub fn cluster_role_in(&self, name: &str, ns: &str) -> String {
        format!("k8s:{}:clusterrole:{name}@{ns}", self.cluster)
    }

    pub fn role(&self, ns: &str, name: &str) -> String {
        format!("k8s:{}:role:{ns}:{name}", self.cluster)
    }

    pub fn secret(&self, ns: &str, name: &str) -> String {
        format!("k8s:{}:secret:{ns}:{name}", self.cluster)
    }

    pub fn subject(&self, subject: &SubjectRef) -> String {
        match subject {
            SubjectRef::ServiceAccount { namespace, name } => self.service_account(namespace, name),
            SubjectRef::User(name) => self.user(name),
            SubjectRef::Group(name) => self.group(name),
        }
    }

    fn cluster_scope(&self) -> String {
        format!("cluster:{}", self.cluster)
    }

    fn namespace_scope(&self, ns: &str) -> String {
        format!("namespace:{}/{ns}", self.cluster)
    }
}

/// A subject of a binding.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum SubjectRef {
    ServiceAccount { namespace: String, name: String },
    User(String),
    Group(String),
}

/// The cluster name of a source: `cluster:` from residue.yaml, else the path's last
/// component without a `.yaml`/`.yml`/`.json` extension.
pub fn cluster_name(path: &Path, configured: Option<&str>) -> String {
    if let Some(c) = configured.map(str::trim).filter(|c| !c.is_empty()) {
        return c.to_string();
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_else(|| "cluster".to_string());
    let stem = [".yaml", ".yml", ".json"]
        .iter()
        .find_map(|ext| name.strip_suffix(ext))
        .unwrap_or(&name);
    if stem.is_empty() {
        "cluster".to_string()
    } else {
        stem.to_string()
    }
}

fn is_data_file(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| matches!(e.to_ascii_lowercase().as_str(), "yaml" | "yml" | "json"))
}

/// Reads a Kubernetes source (a file, or a directory of files) into an [`Inventory`].
pub fn load(
    path: &Path,
    display: &str,
    source: &str,
    settings: &ConnectorSettings,
) -> Result<Inventory, ConnectorError> {
    let files = crate::connectors::files::source_files(path, display, is_data_file)
        .map_err(|e| ConnectorError::io(display, &e))?;
    if path.is_dir() && files.is_empty() {
        return Err(ConnectorError::empty(
            display,
            format!("{EXPECTED}: the directory holds no .yaml, .yml or .json file"),
        ));
    }
    let mut objects = Vec::new();
    for (file, shown) in &files {
        let bytes = std::fs::read(file).map_err(|e| ConnectorError::io(shown, &e))?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            if files.len() == 1 {
                return Err(ConnectorError::empty(shown, EXPECTED));
            }
            continue;
        }
        let text = generic::decode_utf8(&bytes, shown)?;
        objects.extend(objects::read_objects(text, source, shown)?);
    }
    let cluster = cluster_name(path, settings.cluster.as_deref());
    Ok(build(
        objects,
        &cluster,
        Provenance::new(source, display),
        settings,
    ))
}

/// Kinds residue reads; others are counted and skipped.
const KINDS: [&str; 6] = [
    "ClusterRole",
    "ClusterRoleBinding",
    "Role",
    "RoleBinding",
    "ServiceAccount",
    "Secret",
];

/// Turns one cluster's objects into canonical records.
pub(crate) fn build(
    objects: Vec<Located>,
    cluster: &str,
    source: Provenance,
    settings: &ConnectorSettings,
) -> Inventory {
    let ids = Ids::new(cluster);
    let mut inv = Inventory::new();

    // One object per (kind, namespace, name): the first; a different redefinition warns.
    let mut by_key: BTreeMap<(String, String, String), usize> = BTreeMap::new();
    let mut kept: Vec<Located> = Vec::new();
    let mut skipped: BTreeMap<String, usize> = BTreeMap::new();
    for mut located in objects {
        let kind = located.kind().to_string();
        if !KINDS.contains(&kind.as_str()) {
            let label = if kind.is_empty() {
                "without kind".to_string()
            } else {
                kind
            };
            *skipped.entry(label).or_default() += 1;
            continue;
        }
        let Some(name) = located.name().map(str::to_string) else {
            inv.diagnostics.push(Diagnostic::warning(
                located.provenance.clone(),
                format!("a {kind} without metadata.name was skipped"),
            ));
            continue;
        };
        let namespaced = !kind.starts_with("Cluster");
        if namespaced && located.namespace().is_none() {
            located.object.metadata.namespace = Some("default".into());
            inv.diagnostics.push(Diagnostic::info(
                located.provenance.clone(),
                format!("{kind} {name} names no namespace; read as namespace default"),
            ));
        }
        if !namespaced {
            located.object.metadata.namespace = None;
        }
        let ns = located.namespace().unwrap_or("").to_string();
        match by_key.get(&(kind.clone(), ns.clone(), name.clone())) {
            Some(&first) => {
                if kept[first].object != located.object {
                    let what = if kind == "Secret" {
                        "with different content".to_string()
                    } else {
                        "differently".to_string()
                    };
                    inv.diagnostics.push(Diagnostic::warning(
                        located.provenance.clone(),
                        format!(
                            "{kind} {} is defined again {what} (first at {}); the first definition is used",
                            if ns.is_empty() { name.clone() } else { format!("{ns}/{name}") },
                            kept[first].provenance
                        ),
                    ));
                }
            }
            None => {
                by_key.insert((kind, ns, name), kept.len());
                kept.push(located);
            }
        }
    }
    if !skipped.is_empty() {
        let list: Vec<String> = skipped.iter().map(|(k, n)| format!("{n} {k}")).collect();
        inv.diagnostics.push(Diagnostic::info(
            source.clone(),
            format!(
                "objects of kinds residue does not audit were skipped: {}",
                list.join(", ")
            ),
        ));
    }
    let of_kind =
        |kind: &str| -> Vec<&Located> { kept.iter().filter(|o| o.kind() == kind).collect() };
    let cluster_roles = of_kind("ClusterRole");
    let roles = of_kind("Role");
    let mut bindings = of_kind("ClusterRoleBinding");
    bindings.extend(of_kind("RoleBinding"));
    let service_accounts = of_kind("ServiceAccount");
    let secrets = of_kind("Secret");

    // ClusterRoles, aggregated.
    let inputs: Vec<ClusterRoleInput<'_>> = cluster_roles
        .iter()
        .map(|o| ClusterRoleInput {
            name: o.name().unwrap_or(""),
            labels: &o.object.metadata.labels,
            rules: &o.object.rules,
            selectors: o
                .object
                .aggregation_rule
                .as_ref()
                .map(|a| a.cluster_role_selectors.as_slice()),
        })
        .collect();
    let (effective, aggregated_from) = aggregation::aggregate(&inputs);
    let no_rules: Vec<PolicyRule> = Vec::new();
    let cluster_rules = |name: &str| effective.get(name).unwrap_or(&no_rules);
    let mut escalation_roles: Vec<EffectiveRole<'_>> = Vec::new();
    for o in &cluster_roles {
        let name = o.name().unwrap_or("");
        let rules = cluster_rules(name);
        let mut role = k8s_role(
            ids.cluster_role(name),
            name.to_string(),
            rules,
            Scope::Cluster,
            ids.cluster_scope(),
            cluster,
            "ClusterRole",
            o.provenance.clone(),
        );
        if let Some(from) = aggregated_from.get(name) {
            role.tags
                .insert("k8s.aggregated-from".into(), from.join(","));
        }
        inv.roles.push(role);
        escalation_roles.push(EffectiveRole {
            id: ids.cluster_role(name),
            rules,
            namespace: None,
            provenance: o.provenance.clone(),
        });
    }
    for o in &roles {
        let name = o.name().unwrap_or("");
        let ns = o.namespace().unwrap_or("default");
        inv.roles.push(k8s_role(
            ids.role(ns, name),
            format!("{ns}/{name}"),
            &o.object.rules,
            Scope::Namespace(ns),
            ids.namespace_scope(ns),
            cluster,
            "Role",
            o.provenance.clone(),
        ));
        escalation_roles.push(EffectiveRole {
            id: ids.role(ns, name),
            rules: &o.object.rules,
            namespace: Some(ns.to_string()),
            provenance: o.provenance.clone(),
        });
    }

    // Bindings.
    let known = bindings::KnownRoles {
        cluster_roles: cluster_roles
            .iter()
            .filter_map(|o| o.name().map(str::to_string))
            .collect(),
        roles: roles
            .iter()
            .filter_map(|o| {
                Some((
                    o.namespace().unwrap_or("default").to_string(),
                    o.name()?.to_string(),
                ))
            })
            .collect(),
    };
    let bound = bindings::read_bindings(&bindings, &ids, &known, settings);
    inv.diagnostics.extend(bound.diagnostics);
    let cluster_role_at: BTreeMap<&str, &Provenance> = cluster_roles
        .iter()
        .filter_map(|o| Some((o.name()?, &o.provenance)))
        .collect();
    for (name, ns) in &bound.namespaced_cluster_roles {
        let rules = cluster_rules(name);
        let at = cluster_role_at
            .get(name.as_str())
            .map(|p| (*p).clone())
            .unwrap_or_else(|| source.clone());
        let mut role = k8s_role(
            ids.cluster_role_in(name, ns),
            format!("{name}@{ns}"),
            rules,
            Scope::Namespace(ns),
            ids.namespace_scope(ns),
            cluster,
            "ClusterRole",
            at.clone(),
        );
        role.tags.insert("k8s.namespace".into(), ns.clone());
        inv.roles.push(role);
        escalation_roles.push(EffectiveRole {
            id: ids.cluster_role_in(name, ns),
            rules,
            namespace: Some(ns.clone()),
            provenance: at,
        });
    }

    // Identities: service account objects first, then token owners, then bare subjects.
    let mut identities: BTreeMap<String, Identity> = BTreeMap::new();
    for o in &service_accounts {
        let name = o.name().unwrap_or("");
        let ns = o.namespace().unwrap_or("default");
        let identity = service_account(&ids, cluster, ns, name, Some(o), settings, &mut inv);
        identities.entry(identity.id.clone()).or_insert(identity);
    }
    let tokens = tokens::read_tokens(&secrets, &ids, &source);
    inv.diagnostics.extend(tokens.diagnostics);
    let mut holdings = Holdings::default();
    for token in &tokens.tokens {
        if let Some(sa) = &token.service_account {
            let id = ids.service_account(&token.namespace, sa);
            if let std::collections::btree_map::Entry::Vacant(slot) = identities.entry(id) {
                let mut identity = service_account(
                    &ids,
                    cluster,
                    &token.namespace,
                    sa,
                    None,
                    settings,
                    &mut inv,
                );
                identity.provenance = token.secret.provenance.clone();
                slot.insert(identity);
            }
            holdings
                .tokens
                .push((token.namespace.clone(), token.name.clone(), sa.clone()));
        }
        inv.secrets.push(token.secret.clone());
    }
    for (subject, at) in &bound.subjects {
        let id = ids.subject(subject);
        if identities.contains_key(&id) {
            continue;
        }
        let mut identity = match subject {
            SubjectRef::ServiceAccount { namespace, name } => {
                service_account(&ids, cluster, namespace, name, None, settings, &mut inv)
            }
            SubjectRef::User(name) => {
                let mut i = Identity::new(id.clone(), IdentityKind::Human, at.clone());
                i.name = name.clone();
                i
            }
            SubjectRef::Group(name) => {
                let mut i = Identity::new(id.clone(), IdentityKind::Group, at.clone());
                i.name = name.clone();
                i
            }
        };
        identity.provenance = at.clone();
        identity
            .tags
            .insert("k8s.cluster".into(), cluster.to_string());
        identities.insert(id, identity);
    }
    inv.identities.extend(identities.into_values());

    // Escalations.
    let subjects: BTreeMap<String, &SubjectRef> = bound
        .subjects
        .iter()
        .map(|(s, _)| (ids.subject(s), s))
        .collect();
    for a in &bound.assignments {
        let Some(subject) = subjects.get(a.subject.as_str()) else {
            continue;
        };
        let held = match *subject {
            SubjectRef::ServiceAccount { namespace, name } => holdings
                .service_accounts
                .entry((namespace.clone(), name.clone()))
                .or_default(),
            SubjectRef::User(name) => holdings.users.entry(name.clone()).or_default(),
            SubjectRef::Group(name) => holdings.groups.entry(name.clone()).or_default(),
        };
        held.insert(a.role.to_string());
    }
    // Service accounts that hold nothing are still reachable by exec and pod creation, but
    // give nothing beyond what the attacker has: only holders matter.
    inv.escalations
        .extend(escalation::escalations(&escalation_roles, &holdings));
    inv.assignments.extend(bound.assignments);
    inv
}

#[allow(clippy::too_many_arguments)]
fn k8s_role(
    id: String,
    name: String,
    rules: &[PolicyRule],
    scope: Scope<'_>,
    scope_text: String,
    cluster: &str,
    kind: &str,
    provenance: Provenance,
) -> Role {
    let mut tags = BTreeMap::new();
    tags.insert("k8s.cluster".to_string(), cluster.to_string());
    tags.insert("k8s.kind".to_string(), kind.to_string());
    Role {
        id,
        name,
        permissions: rbac::permission_strings(rules),
        privilege: rbac::privilege(rules, scope),
        scope: Some(scope_text),
        last_used: None,
        tags,
        provenance,
    }
}

/// A service account identity; `object` gives its labels, annotations and creation time.
fn service_account(
    ids: &Ids,
    cluster: &str,
    ns: &str,
    name: &str,
    object: Option<&&Located>,
    settings: &ConnectorSettings,
    inv: &mut Inventory,
) -> Identity {
    let provenance = object
        .map(|o| o.provenance.clone())
        .unwrap_or_else(|| Provenance::synthetic("kubernetes"));
    let mut identity = Identity::new(
        ids.service_account(ns, name),
        IdentityKind::ServiceAccount,
        provenance,
    );
    identity.name = format!("system:serviceaccount:{ns}:{name}");
    identity
        .tags
        .insert("k8s.cluster".into(), cluster.to_string());
    identity.tags.insert("k8s.namespace".into(), ns.to_string());
    identity
        .tags
        .insert(PROJECTED_TOKENS_TAG.into(), "available".into());
    if let Some(o) = object {
        let metadata = &o.object.metadata;
        let lookup = |key: &String| {
            metadata
                .labels
                .get(key)
                .or_else(|| metadata.annotations.get(key))
                .map(|v| v.trim().to_string())
        };
        identity.owner = settings
            .k8s_owner_keys
            .iter()
            .filter_map(lookup)
            .find(|v| !v.is_empty());
        if settings
            .k8s_ai_agent_keys
            .iter()
            .filter_map(lookup)
            .any(|v| !v.eq_ignore_ascii_case("false"))
        {
            identity.kind = IdentityKind::AiAgent;
        }
        if let Some(raw) = metadata.creation_timestamp.as_deref() {
            match parse_timestamp(raw) {
                Ok(t) => identity.created = Some(t),
                Err(e) => inv.diagnostics.push(Diagnostic::warning(
                    o.provenance.clone(),
                    format!("service account {ns}/{name}: creationTimestamp {e}"),
                )),
            }
        }
    }
    identity
}

#[cfg(test)]
mod tests;
