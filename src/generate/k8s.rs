//! Kubernetes RBAC as `kubectl get serviceaccounts,secrets,roles,rolebindings,clusterroles,
//! clusterrolebindings -A -o json` prints it: one `List` whose items are the objects.
//! Token Secrets carry their metadata and type only, never `data`.

use super::{rfc3339, GenerateError, Params, Rng, Sink, AUDIT_EPOCH, DAY};
use std::io::{self, Write};

const STREAM_K8S: u64 = 201;

/// Namespaces the service accounts are spread over.
fn namespaces(p: &Params) -> usize {
    (p.k8s_service_accounts / 50).max(1)
}

fn write_list(w: &mut dyn Write, p: &Params, seed: u64) -> io::Result<()> {
    let mut r = Rng::new(seed, STREAM_K8S);
    let ns = namespaces(p);
    let mut first = true;
    let mut item = |w: &mut dyn Write, body: String| -> io::Result<()> {
        w.write_all(if first { b"\n" } else { b",\n" })?;
        first = false;
        w.write_all(body.as_bytes())
    };
    w.write_all(b"{\"apiVersion\": \"v1\", \"kind\": \"List\", \"metadata\": {\"resourceVersion\": \"\"}, \"items\": [")?;
    // Cluster roles: admin-like, escalation-capable, and read-only.
    let cluster_roles = [
        (
            "gen-cluster-admin",
            r#"[{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}]"#,
        ),
        (
            "gen-rbac-editor",
            r#"[{"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["clusterrolebindings", "rolebindings"], "verbs": ["create", "bind", "escalate"]}]"#,
        ),
        (
            "gen-secret-reader",
            r#"[{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "list"]}]"#,
        ),
        (
            "gen-viewer",
            r#"[{"apiGroups": ["", "apps"], "resources": ["pods", "deployments"], "verbs": ["get", "list", "watch"]}]"#,
        ),
    ];
    for (name, rules) in cluster_roles {
        item(
            w,
            format!(
                r#"{{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {{"name": "{name}", "creationTimestamp": "2024-01-10T09:00:00Z"}}, "rules": {rules}}}"#
            ),
        )?;
    }
    for n in 0..ns {
        item(
            w,
            format!(
                r#"{{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {{"name": "deployer", "namespace": "ns-{n:04}", "creationTimestamp": "2024-02-01T09:00:00Z"}}, "rules": [{{"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["get", "list", "create", "update", "patch"]}}]}}"#
            ),
        )?;
    }
    for s in 0..p.k8s_service_accounts {
        let namespace = format!("ns-{:04}", s % ns);
        let created = rfc3339(AUDIT_EPOCH - r.range(DAY, 3 * 365 * DAY));
        item(
            w,
            format!(
                r#"{{"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {{"name": "sa-{s:06}", "namespace": "{namespace}", "uid": "{:016x}", "creationTimestamp": "{created}"}}}}"#,
                r.next_u64()
            ),
        )?;
        if r.chance(10) {
            // A legacy long-lived token Secret: metadata only.
            item(
                w,
                format!(
                    r#"{{"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/service-account-token", "metadata": {{"name": "sa-{s:06}-token", "namespace": "{namespace}", "creationTimestamp": "{created}", "annotations": {{"kubernetes.io/service-account.name": "sa-{s:06}"}}}}}}"#
                ),
            )?;
        }
        let binding = match r.below(100) {
            0..2 => Some(("ClusterRoleBinding", "ClusterRole", "gen-cluster-admin")),
            2..5 => Some(("ClusterRoleBinding", "ClusterRole", "gen-rbac-editor")),
            5..15 => Some(("RoleBinding", "ClusterRole", "gen-secret-reader")),
            15..60 => Some(("RoleBinding", "Role", "deployer")),
            60..80 => Some(("RoleBinding", "ClusterRole", "gen-viewer")),
            _ => None,
        };
        if let Some((kind, role_kind, role)) = binding {
            let ns_field = if kind == "RoleBinding" {
                format!(r#", "namespace": "{namespace}""#)
            } else {
                String::new()
            };
            item(
                w,
                format!(
                    r#"{{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "{kind}", "metadata": {{"name": "bind-sa-{s:06}"{ns_field}, "creationTimestamp": "{created}"}}, "roleRef": {{"apiGroup": "rbac.authorization.k8s.io", "kind": "{role_kind}", "name": "{role}"}}, "subjects": [{{"kind": "ServiceAccount", "name": "sa-{s:06}", "namespace": "{namespace}"}}]}}"#
                ),
            )?;
        }
    }
    w.write_all(b"\n]}\n")
}

/// Writes `k8s/rbac.json` when service accounts are asked for.
pub(super) fn write(p: &Params, seed: u64, sink: &mut Sink) -> Result<(), GenerateError> {
    if p.k8s_service_accounts == 0 {
        return Ok(());
    }
    sink.file("k8s/rbac.json", |w| write_list(w, p, seed))
}
