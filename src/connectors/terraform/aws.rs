//! AWS IAM resources of a plan → identities, roles, trusts, assignments, secrets.
//!
//! Ids: a user, group, role or policy is its ARN when the plan knows it, else
//! `terraform:<address>`. A user, group or role the plan names but does not manage (an
//! attachment to an existing role) is `user/<name>`, `group/<name>` or `role/<name>`: the
//! plan knows its name, not its account. A policy a user or group gets is a role of its own
//! (`<policy id>`, or `<owner id>#inline/<name>` for an inline policy) with a standing
//! assignment, as in the AWS connector.

use super::policy::{self, Principal};
use super::{strip_index, Change, Plan};
use crate::connectors::aws::policy::Document;
use crate::model::{
    Assignment, AssignmentKind, IdentityKind, Membership, PrivilegeLevel, Provenance, Role, Secret,
    SecretKind, Trust, Window,
};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

pub(super) const HANDLED: &[&str] = &[
    "aws_iam_user",
    "aws_iam_group",
    "aws_iam_group_membership",
    "aws_iam_role",
    "aws_iam_policy",
    "aws_iam_role_policy",
    "aws_iam_role_policy_attachment",
    "aws_iam_user_policy",
    "aws_iam_user_policy_attachment",
    "aws_iam_group_policy",
    "aws_iam_group_policy_attachment",
    "aws_iam_access_key",
];

/// A role being assembled from the role resource and every policy attached to it.
struct RoleAcc {
    name: String,
    documents: Vec<Document>,
    /// The level of attached AWS-managed policies known by name only.
    floor: PrivilegeLevel,
    provenance: Provenance,
}

/// What a policy contributes where it is attached.
#[derive(Clone)]
struct PolicyEffect {
    id: String,
    name: String,
    /// `None` for an AWS-managed policy known by name only (its level is `floor`).
    document: Option<Document>,
    floor: PrivilegeLevel,
}

/// A customer-managed policy the plan manages.
struct PlannedPolicy {
    id: String,
    name: String,
    /// `None`: its document is unknown until apply (or is not a policy document).
    document: Option<Document>,
}

/// The privilege and permission strings of a set of documents and a floor.
fn judge(documents: &[&Document], floor: PrivilegeLevel) -> (Vec<String>, PrivilegeLevel) {
    let mut actions: Vec<String> = documents.iter().flat_map(|d| d.allowed_actions()).collect();
    actions.sort();
    actions.dedup();
    (actions, policy::level(documents).max(floor))
}

#[derive(Default)]
struct Names {
    by_name: BTreeMap<String, String>,
    by_address: BTreeMap<String, String>,
}

impl Names {
    fn add(&mut self, c: &Change<'_>, id: &str) {
        if let Some(n) = c.string("name") {
            self.by_name.insert(n.to_string(), id.to_string());
        }
        self.by_address
            .insert(strip_index(c.address).to_string(), id.to_string());
    }
}

#[derive(Default)]
struct Model {
    users: Names,
    groups: Names,
    roles: Names,
    /// Known ARNs of users and roles the plan manages → their ids.
    arns: BTreeMap<String, String>,
    role_acc: BTreeMap<String, RoleAcc>,
    policies_by_arn: BTreeMap<String, String>,
    policies: BTreeMap<String, PlannedPolicy>,
    /// Roles whose trust policy names an account root, with the ARNs identity policies must
    /// allow `sts:AssumeRole` on: who in the account may assume them.
    trusting_accounts: BTreeMap<String, BTreeSet<String>>,
    /// The policy documents of each user and group, with where each was given.
    subject_documents: BTreeMap<String, Vec<(Document, Provenance)>>,
}

pub(super) fn model(plan: &mut Plan, changes: &[Change<'_>]) {
    let mut m = Model::default();
    // Pass 1: what the plan defines.
    for c in changes {
        let id = c.id();
        let name = c.string("name").unwrap_or(c.address).to_string();
        match c.rtype {
            "aws_iam_user" | "aws_iam_group" => {
                let kind = if c.rtype == "aws_iam_user" {
                    IdentityKind::Human
                } else {
                    IdentityKind::Group
                };
                let mut identity = crate::model::Identity::new(&id, kind, c.provenance.clone());
                identity.name = name;
                plan.inventory.identities.push(identity);
                if c.rtype == "aws_iam_user" {
                    m.users.add(c, &id);
                    if let Some(arn) = c.string("arn") {
                        m.arns.insert(arn.to_string(), id.clone());
                    }
                } else {
                    m.groups.add(c, &id);
                }
            }
            "aws_iam_role" => {
                m.roles.add(c, &id);
                if let Some(arn) = c.string("arn") {
                    m.arns.insert(arn.to_string(), id.clone());
                }
                m.role_acc.insert(
                    id,
                    RoleAcc {
                        name,
                        documents: Vec::new(),
                        floor: PrivilegeLevel::None,
                        provenance: c.provenance.clone(),
                    },
                );
            }
            "aws_iam_policy" => {
                let document = document(plan, c, "policy");
                if let Some(arn) = c.string("arn") {
                    m.policies_by_arn
                        .insert(arn.to_string(), strip_index(c.address).to_string());
                }
                m.policies.insert(
                    strip_index(c.address).to_string(),
                    PlannedPolicy { id, name, document },
                );
            }
            _ => {}
        }
    }
    // Pass 2: what connects them.
    for c in changes {
        match c.rtype {
            "aws_iam_role" => role_details(plan, &mut m, c),
            "aws_iam_role_policy" => {
                let Some(role) = resolve(plan, &m.roles, c, "role", "aws_iam_role") else {
                    continue;
                };
                if let Some(doc) = document(plan, c, "policy") {
                    add_to_role(&mut m, &role, c, Some(doc), PrivilegeLevel::None);
                }
            }
            "aws_iam_role_policy_attachment" => {
                let Some(role) = resolve(plan, &m.roles, c, "role", "aws_iam_role") else {
                    continue;
                };
                if let Some(p) = resolve_policy(plan, &m, c, "policy_arn") {
                    add_to_role(&mut m, &role, c, p.document, p.floor);
                }
            }
            "aws_iam_user_policy" | "aws_iam_group_policy" => {
                let (names, attr, of_type) = subject_of(&m, c.rtype);
                let Some(subject) = resolve(plan, names, c, attr, of_type) else {
                    continue;
                };
                let Some(doc) = document(plan, c, "policy") else {
                    continue;
                };
                let name = c.string("name").unwrap_or(c.address);
                let effect = PolicyEffect {
                    id: format!("{subject}#inline/{name}"),
                    name: name.to_string(),
                    document: Some(doc),
                    floor: PrivilegeLevel::None,
                };
                assign(plan, &mut m, &subject, &effect, c);
            }
            "aws_iam_user_policy_attachment" | "aws_iam_group_policy_attachment" => {
                let (names, attr, of_type) = subject_of(&m, c.rtype);
                let Some(subject) = resolve(plan, names, c, attr, of_type) else {
                    continue;
                };
                if let Some(p) = resolve_policy(plan, &m, c, "policy_arn") {
                    assign(plan, &mut m, &subject, &p, c);
                }
            }
            "aws_iam_group_membership" => {
                let Some(group) = resolve(plan, &m.groups, c, "group", "aws_iam_group") else {
                    continue;
                };
                if c.is_unknown("users") {
                    plan.warn(
                        c.at("users"),
                        format!("{}: the members (`users`) are unknown until apply; this membership is not modelled", c.address),
                    );
                    continue;
                }
                let users: Vec<&str> = c
                    .after
                    .get("users")
                    .and_then(Value::as_array)
                    .map(|a| a.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                for user in users {
                    let member = named(
                        plan,
                        &m.users,
                        user,
                        "user",
                        IdentityKind::Human,
                        &c.at("users"),
                    );
                    plan.inventory.memberships.push(Membership {
                        member: member.into(),
                        group: group.as_str().into(),
                        kind: AssignmentKind::Standing,
                        window: Window::UNBOUNDED,
                        provenance: c.at("users"),
                    });
                }
            }
            "aws_iam_access_key" => access_key(plan, &m, c),
            _ => {}
        }
    }
    identity_side_trusts(plan, &m);
    for (id, acc) in m.role_acc {
        let documents: Vec<&Document> = acc.documents.iter().collect();
        let (actions, privilege) = judge(&documents, acc.floor);
        plan.inventory.roles.push(Role {
            id,
            name: acc.name,
            permissions: actions,
            privilege,
            scope: None,
            last_used: None,
            tags: BTreeMap::new(),
            provenance: acc.provenance,
        });
    }
}

fn subject_of<'m>(m: &'m Model, rtype: &str) -> (&'m Names, &'static str, &'static str) {
    if rtype.starts_with("aws_iam_user") {
        (&m.users, "user", "aws_iam_user")
    } else {
        (&m.groups, "group", "aws_iam_group")
    }
}

/// The policy document of an attribute, or `None` with a warning saying why.
fn document(plan: &mut Plan, c: &Change<'_>, attr: &str) -> Option<Document> {
    if c.is_unknown(attr) {
        plan.warn(
            c.at(attr),
            format!(
                "{}: the policy document is unknown until apply; its permissions are not counted",
                c.address
            ),
        );
        return None;
    }
    let Some(text) = c.string(attr) else {
        plan.warn(
            c.at(attr),
            format!(
                "{}: no policy document (`{attr}`); its permissions are not counted",
                c.address
            ),
        );
        return None;
    };
    match policy::parse(text) {
        Ok(doc) => Some(doc),
        Err(e) => {
            plan.warn(
                c.at(attr),
                format!("{}: {e}; its permissions are not counted", c.address),
            );
            None
        }
    }
}

/// The id of the user, group or role an attribute names: by its known name, or through the
/// configuration when the name is unknown until apply.
fn resolve(
    plan: &mut Plan,
    names: &Names,
    c: &Change<'_>,
    attr: &str,
    of_type: &str,
) -> Option<String> {
    let kind = match of_type {
        "aws_iam_user" => IdentityKind::Human,
        "aws_iam_group" => IdentityKind::Group,
        _ => IdentityKind::Workload,
    };
    let word = of_type.trim_start_matches("aws_iam_");
    if let Some(name) = c.string(attr) {
        if of_type == "aws_iam_role" {
            return Some(match names.by_name.get(name) {
                Some(id) => id.clone(),
                None => format!("role/{name}"),
            });
        }
        return Some(named(plan, names, name, word, kind, &c.at(attr)));
    }
    if c.is_unknown(attr) {
        if let Some(id) = plan
            .references
            .resource(c.address, attr, of_type)
            .and_then(|a| names.by_address.get(&a))
        {
            return Some(id.clone());
        }
        plan.warn(
            c.at(attr),
            format!("{}: the {word} (`{attr}`) is unknown until apply and the configuration does not name it; not modelled", c.address),
        );
        return None;
    }
    plan.warn(
        c.at(attr),
        format!("{}: no `{attr}`; not modelled", c.address),
    );
    None
}

/// A user or group by name: the plan's own, or a reference `user/<name>` it does not manage.
fn named(
    plan: &mut Plan,
    names: &Names,
    name: &str,
    word: &str,
    kind: IdentityKind,
    at: &Provenance,
) -> String {
    match names.by_name.get(name) {
        Some(id) => id.clone(),
        None => {
            let id = format!("{word}/{name}");
            plan.refer(&id, kind, at);
            id
        }
    }
}

/// What the policy an attachment names contributes.
fn resolve_policy(plan: &mut Plan, m: &Model, c: &Change<'_>, attr: &str) -> Option<PolicyEffect> {
    let planned = |p: &PlannedPolicy| {
        p.document.as_ref().map(|doc| PolicyEffect {
            id: p.id.clone(),
            name: p.name.clone(),
            document: Some(doc.clone()),
            floor: PrivilegeLevel::None,
        })
    };
    if let Some(arn) = c.string(attr) {
        if let Some(p) = m.policies_by_arn.get(arn).and_then(|a| m.policies.get(a)) {
            return planned(p);
        }
        if let Some(level) = policy::managed_policy_level(arn) {
            return Some(managed(arn, level));
        }
        plan.warn(
            c.at(attr),
            format!("{}: policy {arn} is not in the plan and not AWS-managed; its permissions are unknown and not counted", c.address),
        );
        return None;
    }
    if c.is_unknown(attr) {
        if let Some(p) = plan
            .references
            .resource(c.address, attr, "aws_iam_policy")
            .and_then(|a| m.policies.get(&a))
        {
            return planned(p);
        }
        plan.warn(
            c.at(attr),
            format!("{}: the policy (`{attr}`) is unknown until apply and the configuration does not name it; not counted", c.address),
        );
        return None;
    }
    plan.warn(
        c.at(attr),
        format!("{}: no `{attr}`; not modelled", c.address),
    );
    None
}

/// An AWS-managed policy: `AdministratorAccess` is literally `Allow * on *`; the others are
/// known by name only.
fn managed(arn: &str, level: PrivilegeLevel) -> PolicyEffect {
    PolicyEffect {
        id: arn.to_string(),
        name: arn.rsplit('/').next().unwrap_or(arn).to_string(),
        document: (level == PrivilegeLevel::Admin).then(policy::administrator_access),
        floor: level,
    }
}

fn add_to_role(
    m: &mut Model,
    role: &str,
    c: &Change<'_>,
    document: Option<Document>,
    floor: PrivilegeLevel,
) {
    let acc = m
        .role_acc
        .entry(role.to_string())
        .or_insert_with(|| RoleAcc {
            // A role the plan does not manage: `role/<name>`.
            name: role.trim_start_matches("role/").to_string(),
            documents: Vec::new(),
            floor: PrivilegeLevel::None,
            provenance: c.provenance.clone(),
        });
    acc.documents.extend(document);
    acc.floor = acc.floor.max(floor);
}

/// A policy given to a user or group: a role for the policy and a standing assignment.
fn assign(plan: &mut Plan, m: &mut Model, subject: &str, p: &PolicyEffect, c: &Change<'_>) {
    if !plan.inventory.roles.iter().any(|r| r.id == p.id) {
        let documents: Vec<&Document> = p.document.iter().collect();
        let (permissions, privilege) = judge(&documents, p.floor);
        plan.inventory.roles.push(Role {
            id: p.id.clone(),
            name: p.name.clone(),
            permissions,
            privilege,
            scope: None,
            last_used: None,
            tags: BTreeMap::new(),
            provenance: c.provenance.clone(),
        });
    }
    if let Some(doc) = &p.document {
        m.subject_documents
            .entry(subject.to_string())
            .or_default()
            .push((doc.clone(), c.provenance.clone()));
    }
    plan.inventory.assignments.push(Assignment {
        subject: subject.into(),
        role: p.id.as_str().into(),
        kind: AssignmentKind::Standing,
        window: Window::UNBOUNDED,
        last_used: None,
        provenance: c.provenance.clone(),
    });
}

/// A role that trusts its account (`arn:aws:iam::A:root`) may be assumed by every user or
/// group of the plan whose identity policies allow `sts:AssumeRole` on it: a trust from each
/// such user or group, guarded by the conditions of the allowing statement.
fn identity_side_trusts(plan: &mut Plan, m: &Model) {
    for (role, targets) in &m.trusting_accounts {
        for (subject, documents) in &m.subject_documents {
            let docs: Vec<&Document> = documents.iter().map(|(d, _)| d).collect();
            if let Some(conditions) = targets.iter().find_map(|t| policy::may_assume(&docs, t)) {
                plan.inventory.trusts.push(Trust {
                    role: role.as_str().into(),
                    principal: subject.as_str().into(),
                    conditions: conditions.into(),
                    provenance: documents[0].1.clone(),
                });
            }
        }
    }
}

/// The ARN an identity policy names to assume `role`, which trusts the account root `root`:
/// the role's ARN when known, else (its ARN is only known after apply) the ARN its path and
/// name give in the trusted account, where a role trusting its own account lives.
fn assumable_as(c: &Change<'_>, role: &str, root: &str) -> Option<String> {
    let account = root.strip_prefix("arn:aws:iam::")?.strip_suffix(":root")?;
    if role.starts_with("arn:") {
        return Some(role.to_string());
    }
    let name = c.string("name")?;
    let path = c.string("path").unwrap_or("/");
    Some(format!("arn:aws:iam::{account}:role{path}{name}"))
}

/// The trust policy and the exclusive managed policies of a role.
fn role_details(plan: &mut Plan, m: &mut Model, c: &Change<'_>) {
    let role = c.id();
    if let Some(Value::Array(blocks)) = c.after.get("inline_policy") {
        for (i, block) in blocks.iter().enumerate() {
            let Some(text) = block.get("policy").and_then(Value::as_str) else {
                continue;
            };
            match policy::parse(text) {
                Ok(doc) => add_to_role(m, &role, c, Some(doc), PrivilegeLevel::None),
                Err(e) => plan.warn(
                    c.at(&format!("inline_policy/{i}/policy")),
                    format!("{}: {e}; its permissions are not counted", c.address),
                ),
            }
        }
    }
    if let Some(Value::Array(arns)) = c.after.get("managed_policy_arns") {
        for arn in arns.iter().filter_map(Value::as_str) {
            if let Some(level) = policy::managed_policy_level(arn) {
                let p = managed(arn, level);
                add_to_role(m, &role, c, p.document, p.floor);
            } else if let Some(p) = m.policies_by_arn.get(arn).and_then(|a| m.policies.get(a)) {
                let document = p.document.clone();
                add_to_role(m, &role, c, document, PrivilegeLevel::None);
            } else {
                plan.warn(
                    c.at("managed_policy_arns"),
                    format!("{}: policy {arn} is not in the plan and not AWS-managed; its permissions are unknown and not counted", c.address),
                );
            }
        }
    }
    if c.is_unknown("assume_role_policy") {
        plan.warn(
            c.at("assume_role_policy"),
            format!("{}: the trust policy is unknown until apply; who may assume the role is not modelled", c.address),
        );
        return;
    }
    let Some(text) = c.string("assume_role_policy") else {
        return;
    };
    let grants = match policy::trust_grants(text) {
        Ok(g) => g,
        Err(e) => {
            plan.warn(
                c.at("assume_role_policy"),
                format!(
                    "{}: {e}; who may assume the role is not modelled",
                    c.address
                ),
            );
            return;
        }
    };
    let at = c.at("assume_role_policy");
    for g in grants {
        for p in g.principals {
            let principal = match &p {
                Principal::Aws(arn) => match m.arns.get(arn) {
                    Some(id) => id.clone(),
                    None => {
                        if let Some(target) = assumable_as(c, &role, arn) {
                            m.trusting_accounts
                                .entry(role.clone())
                                .or_default()
                                .insert(target);
                        }
                        plan.refer(arn, arn_kind(arn), &at);
                        arn.clone()
                    }
                },
                Principal::Service(s) | Principal::Federated(s) => {
                    plan.refer(s, IdentityKind::Workload, &at);
                    s.clone()
                }
            };
            plan.inventory.trusts.push(Trust {
                role: role.as_str().into(),
                principal: principal.into(),
                conditions: g.conditions.as_slice().into(),
                provenance: at.clone(),
            });
        }
    }
}

/// The kind of identity an ARN names: an account root acts only through its own principals
/// (a group of them); a user is a person until a source says otherwise; anything else is a
/// workload (a role session, a service).
fn arn_kind(arn: &str) -> IdentityKind {
    let resource = arn.splitn(6, ':').nth(5).unwrap_or("");
    if resource == "root" {
        IdentityKind::Group
    } else if resource.starts_with("user/") {
        IdentityKind::Human
    } else {
        IdentityKind::Workload
    }
}

/// An access key: a secret of its user (metadata only; the plan's secret attributes are
/// never read).
fn access_key(plan: &mut Plan, m: &Model, c: &Change<'_>) {
    let Some(owner) = resolve(plan, &m.users, c, "user", "aws_iam_user") else {
        return;
    };
    let id = match c.string("id") {
        Some(key_id) if !key_id.is_empty() => key_id.to_string(),
        _ => format!("terraform:{}", c.address),
    };
    let created = c
        .string("create_date")
        .and_then(|t| crate::model::time::parse_timestamp(t).ok());
    plan.inventory.secrets.push(Secret {
        id,
        kind: SecretKind::AccessKey,
        owner: Some(owner),
        created,
        last_rotated: None,
        last_used: None,
        expires: None,
        active: c.string("status") != Some("Inactive"),
        provenance: c.provenance.clone(),
    });
}
