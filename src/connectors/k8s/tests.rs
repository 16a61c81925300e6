//! The Kubernetes connector end to end on small inline inputs.

use super::*;
use crate::model::{AssignmentKind, DiagnosticLevel, PrivilegeLevel};

fn load_text(text: &str) -> Inventory {
    let objects = objects::read_objects(text, "k8s", "cluster.yaml").expect("parses");
    let mut inv = build(
        objects,
        "prod",
        Provenance::new("k8s", "cluster.yaml"),
        &ConnectorSettings::default(),
    );
    inv.finalize().expect("consistent inventory");
    inv
}

const CLUSTER: &str = r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: cluster-admin, labels: {kubernetes.io/bootstrapping: rbac-defaults}}
rules:
- {apiGroups: ["*"], resources: ["*"], verbs: ["*"]}
- {nonResourceURLs: ["*"], verbs: ["*"]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: cluster-admin}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: Group, name: "system:masters"}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: team-admin, namespace: payments}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: alice@acme.example}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: deployer, namespace: kube-system}
rules:
- {apiGroups: [""], resources: ["pods"], verbs: ["create", "get"]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: ci-deployer
  namespace: kube-system
  annotations: {residue.io/expires-at: "2026-10-01T00:00:00Z"}
  creationTimestamp: "2026-09-30T20:00:00Z"
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: deployer}
subjects: [{kind: ServiceAccount, name: ci, namespace: ci}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: ctrl-admin}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
subjects: [{kind: ServiceAccount, name: ctrl, namespace: kube-system}]
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: ci
  namespace: ci
  labels: {residue.io/ai-agent: "true"}
  annotations: {residue.io/owner: platform-team}
  creationTimestamp: "2024-01-01T00:00:00Z"
---
apiVersion: v1
kind: Secret
type: kubernetes.io/service-account-token
metadata:
  name: ctrl-token
  namespace: kube-system
  creationTimestamp: "2022-02-03T04:05:06Z"
  annotations: {kubernetes.io/service-account.name: ctrl}
  labels: {kubernetes.io/legacy-token-last-used: "2026-01-15"}
data: {token: ZXlKaGJHY2lPaUpTVXpJMU5pSXNJbXRwWkNJNkluTmxZM0psZENKOQ==}
---
apiVersion: v1
kind: Secret
type: Opaque
metadata: {name: db, namespace: payments}
data: {password: aHVudGVyMg==}
"#;

#[test]
fn roles_bindings_identities_and_privilege() {
    let inv = load_text(CLUSTER);
    let admin = inv.role("k8s:prod:clusterrole:cluster-admin").unwrap();
    assert_eq!(admin.privilege, PrivilegeLevel::Admin);
    assert_eq!(admin.scope.as_deref(), Some("cluster:prod"));
    let team = inv
        .role("k8s:prod:clusterrole:cluster-admin@payments")
        .unwrap();
    assert_eq!(team.privilege, PrivilegeLevel::Admin);
    assert_eq!(team.scope.as_deref(), Some("namespace:prod/payments"));
    assert_eq!(
        inv.role("k8s:prod:role:kube-system:deployer")
            .unwrap()
            .privilege,
        PrivilegeLevel::Write
    );

    let alice = inv.identity("k8s:prod:user:alice@acme.example").unwrap();
    assert_eq!(alice.kind, IdentityKind::Human);
    let ci = inv.identity("k8s:prod:serviceaccount:ci:ci").unwrap();
    assert_eq!(ci.kind, IdentityKind::AiAgent);
    assert_eq!(ci.owner.as_deref(), Some("platform-team"));
    assert_eq!(ci.tags[PROJECTED_TOKENS_TAG], "available");
    assert!(inv.identity("k8s:prod:group:system:masters").is_none());

    let temp = inv
        .assignments
        .iter()
        .find(|a| a.subject == "k8s:prod:serviceaccount:ci:ci")
        .unwrap();
    assert_eq!(temp.kind, AssignmentKind::Temporary);
    assert_eq!(
        temp.window.end.map(|t| t.to_string()).as_deref(),
        Some("2026-10-01T00:00:00Z")
    );
    assert_eq!(
        temp.provenance.record.as_deref(),
        Some("RoleBinding kube-system/ci-deployer")
    );
    assert!(temp.provenance.line.is_some());

    let system: Vec<&str> = inv
        .diagnostics
        .iter()
        .filter(|d| d.level == DiagnosticLevel::Info)
        .map(|d| d.message.as_str())
        .collect();
    assert!(
        system.iter().any(|m| m.contains("cluster-admin grants clusterrole cluster-admin to system:masters")),
        "{system:?}"
    );
    assert!(
        system
            .iter()
            .any(|m| m.starts_with("1 Secret(s) of other types")),
        "{system:?}"
    );
}

#[test]
fn tokens_are_metadata_only_and_owned_by_their_service_account() {
    let inv = load_text(CLUSTER);
    assert_eq!(inv.secrets.len(), 1);
    let token = &inv.secrets[0];
    assert_eq!(token.id, "k8s:prod:secret:kube-system:ctrl-token");
    assert_eq!(
        token.owner.as_deref(),
        Some("k8s:prod:serviceaccount:kube-system:ctrl")
    );
    assert_eq!(token.expires, None);
    assert_eq!(
        token.last_used.map(|t| t.to_string()).as_deref(),
        Some("2026-01-15T00:00:00Z")
    );
    let dump = format!("{inv:?}");
    assert!(!dump.contains("ZXlKaGJHY2lPaUpTVXpJMU5pSXNJbXRwWkNJNkluTmxZM0psZENKOQ"));
    assert!(!dump.contains("aHVudGVyMg"));
}

#[test]
fn pod_creation_in_kube_system_escalates_to_its_service_accounts_roles() {
    let inv = load_text(CLUSTER);
    let edges: Vec<(&str, &str, &str)> = inv
        .escalations
        .iter()
        .map(|e| (e.principal.as_str(), e.target.as_str(), e.method.as_str()))
        .collect();
    assert!(
        edges.contains(&(
            "k8s:prod:role:kube-system:deployer",
            "k8s:prod:clusterrole:cluster-admin",
            "create pods in kube-system (runs as serviceaccount ctrl)"
        )),
        "{edges:?}"
    );
}

#[test]
fn dangling_and_invalid_references_warn_and_grant_nothing() {
    let text = r#"
kind: ClusterRoleBinding
apiVersion: rbac.authorization.k8s.io/v1
metadata: {name: a}
roleRef: {kind: Role, name: x}
subjects: [{kind: User, name: u}]
---
kind: RoleBinding
apiVersion: rbac.authorization.k8s.io/v1
metadata: {name: b, namespace: n}
roleRef: {kind: ClusterRole, name: ghost}
subjects: [{kind: Robot, name: r}]
"#;
    let inv = load_text(text);
    assert!(inv.assignments.is_empty());
    let warnings: Vec<&str> = inv
        .diagnostics
        .iter()
        .filter(|d| d.level == DiagnosticLevel::Warning)
        .map(|d| d.message.as_str())
        .collect();
    assert_eq!(warnings.len(), 2, "{warnings:?}");
}

#[test]
fn cluster_names_come_from_the_configuration_or_the_path() {
    assert_eq!(
        cluster_name(Path::new("dumps/prod-eu.yaml"), None),
        "prod-eu"
    );
    assert_eq!(cluster_name(Path::new("dumps/staging"), None), "staging");
    assert_eq!(cluster_name(Path::new("x.json"), Some("prod")), "prod");
}
