//! Terraform plans: the access a change *would* create, read before it is applied.
//!
//! Input: the JSON of `terraform show -json plan.out` (recognised by `format_version` and
//! `resource_changes` or `planned_values`). Every managed resource change whose actions leave
//! the resource in place after apply (`create`, `update`, `no-op`, replacements) is modelled as
//! the canonical records it would produce, from `change.after`:
//!
//! | resource type | canonical records |
//! |---|---|
//! | `aws_iam_user` | an identity (human) |
//! | `aws_iam_group` | an identity (group) |
//! | `aws_iam_group_membership` | memberships (standing) |
//! | `aws_iam_role` | a role (its inline and exclusive managed policies counted), and a trust per principal of `assume_role_policy` |
//! | `aws_iam_policy` | a policy document, counted where it is attached |
//! | `aws_iam_role_policy`, `aws_iam_role_policy_attachment` | permissions of the role |
//! | `aws_iam_user_policy(_attachment)`, `aws_iam_group_policy(_attachment)` | a role for the policy and a standing assignment to it |
//! | `aws_iam_access_key` | a secret (metadata only: owner and status; never the secret) |
//! | `kubernetes_cluster_role`, `kubernetes_role` (and `_v1`) | a role |
//! | `kubernetes_cluster_role_binding`, `kubernetes_role_binding` (and `_v1`) | standing assignments |
//!
//! Deleted resources are not in the proposed state; each deletion is an info diagnostic.
//!
//! **Unknown values** (`after_unknown`) are never guessed: a role or user whose ARN is only
//! known after apply gets the id `terraform:<address>`; a reference that is unknown (an
//! attachment to a role created in the same plan) is resolved through the plan's
//! `configuration` references when they name the resource, and otherwise reported as a
//! warning saying what could not be modelled.
//!
//! Privilege: AWS-managed policies are classified by name (`AdministratorAccess` → admin,
//! `IAMFullAccess` → permissions-management, `*ReadOnlyAccess` → read, `PowerUserAccess` and
//! other AWS-managed policies → write); policy documents in the plan are judged together, per
//! role or policy, by the AWS connector's evaluator ([`crate::connectors::aws::policy`]:
//! explicit denies win); a customer-managed policy the plan does not contain is reported,
//! not counted.
//!
//! Trusts: each principal of a role's `assume_role_policy`; and when the role trusts an
//! account root, each user or group of the plan whose identity policies allow
//! `sts:AssumeRole` on the role (its ARN, or, while that is unknown, the ARN its path and name
//! give in the trusted account).
//!
//! Provenance: the file, the line of the resource change's `"address"` in the file (pretty
//! printed plans have one per resource; `terraform show -json` prints one line), and the JSON
//! pointer of the resource change (`/resource_changes/3`).
//!
//! Principals a trust policy or binding names that the plan does not define (an existing
//! user, a service, another account) become minimal identities (id and kind) located at the
//! attribute that names them ([`is_reference`]). Another source describing the same id the
//! same way merges with them; [`merge_references`], run on the merged inventory before it is
//! finalized, lets a fuller description from another source win.
//!
//! ```json
//! {"format_version": "1.2", "resource_changes": [
//!   {"address": "aws_iam_role.deploy", "mode": "managed", "type": "aws_iam_role", "name": "deploy",
//!    "change": {"actions": ["create"],
//!               "after": {"name": "deploy", "assume_role_policy": "{\"Statement\": …}"},
//!               "after_unknown": {"arn": true, "id": true}}}]}
//! ```

mod aws;
mod k8s;
mod policy;
#[cfg(test)]
mod tests;

use super::ConnectorError;
use crate::model::{Diagnostic, Inventory, Provenance};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// What a Terraform plan source must contain, for "the file is empty" errors.
pub const EXPECTED: &str =
    "a Terraform plan in JSON (`terraform show -json plan.out`) with `format_version` and `resource_changes`";

/// Is this the provenance of a record the plan only refers to (a trust principal, a binding
/// subject, a built-in ClusterRole it does not define)? Such records point inside the planned
/// values of the resource change that names them (`/resource_changes/3/change/after/role_ref`);
/// records the plan defines point at the resource change itself.
pub fn is_reference(p: &Provenance) -> bool {
    p.record
        .as_deref()
        .is_some_and(|r| r.starts_with("/resource_changes/") && r.contains("/change/after/"))
}

/// Is `text` (the start of a file) a Terraform plan in JSON?
pub fn sniff(text: &str) -> bool {
    text.trim_start().starts_with('{')
        && text.contains("\"format_version\"")
        && (text.contains("\"resource_changes\"") || text.contains("\"planned_values\""))
}

/// Drops the identities and roles a plan only refers to when another source describes a
/// record with the same id (an identity, or a role), so that source's description wins. Call after merging
/// every source and before [`Inventory::finalize`].
pub fn merge_references(inventory: &mut Inventory) {
    // Only a plan makes references, and most scans read none: they skip copying every id
    // of the organisation into the sets below.
    let refers = inventory
        .identities
        .iter()
        .any(|i| is_reference(&i.provenance))
        || inventory.roles.iter().any(|r| is_reference(&r.provenance));
    if !refers {
        return;
    }
    let roles: std::collections::HashSet<String> = inventory
        .roles
        .iter()
        .filter(|r| !is_reference(&r.provenance))
        .map(|r| r.id.clone())
        .collect();
    let defined: std::collections::HashSet<String> = inventory
        .identities
        .iter()
        .filter(|i| !is_reference(&i.provenance))
        .map(|i| i.id.clone())
        .chain(roles.iter().cloned())
        .collect();
    inventory
        .identities
        .retain(|i| !(is_reference(&i.provenance) && defined.contains(&i.id)));
    inventory
        .roles
        .retain(|r| !(is_reference(&r.provenance) && roles.contains(&r.id)));
}

/// One resource change, with what every handler needs.
pub(crate) struct Change<'a> {
    pub address: &'a str,
    pub rtype: &'a str,
    pub after: &'a Map<String, Value>,
    pub unknown: &'a Value,
    pub provenance: Provenance,
}

impl<'a> Change<'a> {
    /// A known string attribute of the planned object.
    pub fn string(&self, key: &str) -> Option<&'a str> {
        self.after.get(key).and_then(Value::as_str)
    }

    /// Is the attribute unknown until apply?
    pub fn is_unknown(&self, key: &str) -> bool {
        self.unknown
            .get(key)
            .is_some_and(|v| v == &Value::Bool(true))
    }

    /// The id of the object: its known ARN, else `terraform:<address>`.
    pub fn id(&self) -> String {
        match self.string("arn") {
            Some(arn) if !arn.is_empty() => arn.to_string(),
            _ => format!("terraform:{}", self.address),
        }
    }

    /// A provenance pointing inside this resource change (`…/change/after/<path>`).
    pub fn at(&self, path: &str) -> Provenance {
        let mut p = self.provenance.clone();
        p.record =
            Some(format!("{}/change/after/{path}", p.record.as_deref().unwrap_or("")).into());
        p
    }
}

/// The Kubernetes cluster name of a plan source: `cluster:` from residue.yaml, else the
/// file's name up to its first dot (`prod.plan.json` → `prod`).
pub fn cluster_name(path: &std::path::Path, configured: Option<&str>) -> String {
    if let Some(c) = configured {
        return c.to_string();
    }
    path.file_name()
        .map(|s| {
            s.to_string_lossy()
                .split('.')
                .next()
                .unwrap_or("")
                .to_string()
        })
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "cluster".to_string())
}

/// Reads a plan. `cluster` names the Kubernetes cluster its `kubernetes_*` resources are in.
pub fn parse_plan_str(
    text: &str,
    source_name: &str,
    file: &str,
    cluster: &str,
) -> Result<Inventory, ConnectorError> {
    let plan: Value = serde_json::from_str(text).map_err(|e| {
        ConnectorError::invalid(
            file,
            super::error::line_column_location(e.line() as u64, e.column() as u64),
            format!("not valid JSON: {e}; expected {EXPECTED}"),
        )
    })?;
    let Some(top) = plan.as_object() else {
        return Err(ConnectorError::invalid(
            file,
            "/",
            format!("expected a JSON object: {EXPECTED}"),
        ));
    };
    if !top.contains_key("format_version") {
        return Err(ConnectorError::invalid(
            file,
            "/format_version",
            format!("missing; expected {EXPECTED}"),
        ));
    }
    let changes = match top.get("resource_changes") {
        None | Some(Value::Null) => &[][..],
        Some(Value::Array(a)) => a.as_slice(),
        Some(_) => {
            return Err(ConnectorError::invalid(
                file,
                "/resource_changes",
                "expected an array of resource changes",
            ))
        }
    };
    let lines = AddressLines::new(text);
    let references = ConfigReferences::new(top.get("configuration"));
    let mut plan = Plan {
        inventory: Inventory::new(),
        references,
        cluster: cluster.to_string(),
        ..Plan::default()
    };
    let mut kept = Vec::new();
    for (i, rc) in changes.iter().enumerate() {
        let pointer = format!("/resource_changes/{i}");
        let Some(obj) = rc.as_object() else {
            return Err(ConnectorError::invalid(
                file,
                pointer,
                "expected a resource change object",
            ));
        };
        let field = |key: &str| -> Result<&str, ConnectorError> {
            obj.get(key).and_then(Value::as_str).ok_or_else(|| {
                ConnectorError::invalid(
                    file,
                    format!("{pointer}/{key}"),
                    format!("missing or not a string; every resource change has `{key}`"),
                )
            })
        };
        let address = field("address")?;
        let rtype = field("type")?;
        if obj.get("mode").and_then(Value::as_str) == Some("data") {
            continue;
        }
        let Some(change) = obj.get("change").and_then(Value::as_object) else {
            return Err(ConnectorError::invalid(
                file,
                format!("{pointer}/change"),
                "missing or not an object; every resource change has `change`",
            ));
        };
        let actions: Vec<&str> = change
            .get("actions")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        if actions.is_empty() {
            return Err(ConnectorError::invalid(
                file,
                format!("{pointer}/change/actions"),
                "missing or empty; expected a list such as [\"create\"]",
            ));
        }
        let mut provenance = Provenance::new(source_name, file).with_record(pointer.clone());
        if let Some(line) = lines.line_of(address) {
            provenance = provenance.at_line(line);
        }
        if !is_handled(rtype) {
            continue;
        }
        if actions == ["delete"] {
            plan.inventory.diagnostics.push(Diagnostic::info(
                provenance,
                format!("the plan deletes {address}; it is not part of the proposed state"),
            ));
            continue;
        }
        if actions == ["read"] {
            continue;
        }
        let Some(after) = change.get("after").and_then(Value::as_object) else {
            plan.inventory.diagnostics.push(Diagnostic::warning(
                provenance,
                format!(
                    "{address}: the plan gives no planned values (`change.after`); not modelled"
                ),
            ));
            continue;
        };
        kept.push(Change {
            address,
            rtype,
            after,
            unknown: change.get("after_unknown").unwrap_or(&Value::Null),
            provenance,
        });
    }
    aws::model(&mut plan, &kept);
    k8s::model(&mut plan, &kept);
    Ok(plan.finish())
}

fn is_handled(rtype: &str) -> bool {
    aws::HANDLED.contains(&rtype) || k8s::handles(rtype)
}

/// What the handlers build up.
#[derive(Default)]
pub(crate) struct Plan {
    pub inventory: Inventory,
    pub references: ConfigReferences,
    pub cluster: String,
    /// Identities the plan only refers to, by id (made into records at the end).
    pub referenced: BTreeMap<String, crate::model::Identity>,
}

impl Plan {
    pub fn warn(&mut self, at: Provenance, message: String) {
        self.inventory
            .diagnostics
            .push(Diagnostic::warning(at, message));
    }

    /// Records an identity the plan refers to but does not define. `at` points inside the
    /// resource change that names it (`…/change/after/<attribute>`), which is what marks it
    /// as a reference for [`merge_references`].
    pub fn refer(&mut self, id: &str, kind: crate::model::IdentityKind, at: &Provenance) {
        self.referenced
            .entry(id.to_string())
            .or_insert_with(|| crate::model::Identity::new(id, kind, at.clone()));
    }

    fn finish(mut self) -> Inventory {
        let defined: std::collections::HashSet<&str> = self
            .inventory
            .identities
            .iter()
            .map(|i| i.id.as_str())
            .chain(self.inventory.roles.iter().map(|r| r.id.as_str()))
            .collect();
        let extra: Vec<_> = std::mem::take(&mut self.referenced)
            .into_values()
            .filter(|i| !defined.contains(i.id.as_str()))
            .collect();
        self.inventory.identities.extend(extra);
        self.inventory
    }
}

/// Line numbers of `"address": "<address>"` inside `resource_changes`.
struct AddressLines<'a> {
    text: &'a str,
    /// Where `resource_changes` starts (addresses before it belong to other sections).
    from: usize,
    newlines: Vec<usize>,
}

impl<'a> AddressLines<'a> {
    fn new(text: &'a str) -> Self {
        AddressLines {
            text,
            from: text.find("\"resource_changes\"").unwrap_or(0),
            newlines: text
                .bytes()
                .enumerate()
                .filter(|(_, b)| *b == b'\n')
                .map(|(i, _)| i)
                .collect(),
        }
    }

    fn line_of(&self, address: &str) -> Option<u32> {
        let quoted = serde_json::to_string(address).ok()?;
        let rest = &self.text[self.from..];
        let offset = [
            format!("\"address\":{quoted}"),
            format!("\"address\": {quoted}"),
        ]
        .iter()
        .filter_map(|p| rest.find(p.as_str()))
        .min()?
            + self.from;
        let line = self.newlines.partition_point(|&n| n < offset) + 1;
        u32::try_from(line).ok()
    }
}

/// The plan's `configuration` section: which resource an expression refers to, for values
/// unknown until apply (`role = aws_iam_role.deploy.name`). Root module only.
#[derive(Default)]
pub(crate) struct ConfigReferences {
    /// (resource address without index, attribute) → referenced resource addresses.
    refs: BTreeMap<(String, String), Vec<String>>,
}

impl ConfigReferences {
    fn new(configuration: Option<&Value>) -> Self {
        let mut refs = BTreeMap::new();
        let resources = configuration
            .and_then(|c| c.get("root_module"))
            .and_then(|m| m.get("resources"))
            .and_then(Value::as_array);
        for r in resources.into_iter().flatten() {
            let (Some(address), Some(expressions)) = (
                r.get("address").and_then(Value::as_str),
                r.get("expressions").and_then(Value::as_object),
            ) else {
                continue;
            };
            for (attr, expr) in expressions {
                let found: Vec<String> = expr
                    .get("references")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect();
                if !found.is_empty() {
                    refs.insert((address.to_string(), attr.clone()), found);
                }
            }
        }
        ConfigReferences { refs }
    }

    /// The resource (`type.name`) that `address`'s attribute refers to, if the configuration
    /// names exactly one of type `of_type`.
    pub fn resource(&self, address: &str, attr: &str, of_type: &str) -> Option<String> {
        let base = strip_index(address);
        let found = self.refs.get(&(base.to_string(), attr.to_string()))?;
        let mut targets: Vec<String> = found
            .iter()
            .filter_map(|r| {
                let mut parts = r.split('.');
                let (t, n) = (parts.next()?, parts.next()?);
                (t == of_type).then(|| format!("{t}.{}", strip_index(n)))
            })
            .collect();
        targets.sort();
        targets.dedup();
        (targets.len() == 1).then(|| targets.remove(0))
    }
}

/// `aws_iam_role.x[0]` → `aws_iam_role.x`; `x["k"]` → `x`.
pub(crate) fn strip_index(address: &str) -> &str {
    match address.rfind('[') {
        Some(i) if address.ends_with(']') => &address[..i],
        _ => address,
    }
}
