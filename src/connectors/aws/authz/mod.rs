//! `aws iam get-account-authorization-details` → the canonical inventory, with real IAM
//! policy evaluation.
//!
//! Accepts the CLI's JSON (documents as objects, timestamps `…Z` or `…+00:00`), boto3 dumps
//! (timestamps with a space, `2019-12-18 19:10:08+00:00`) and raw-API output (documents as
//! URL-encoded strings), with optional lists missing. Example: see docs/formats.md
//! (`aws-authorization-details`) and tests/fixtures/aws/authz/.
//!
//! # The mapping
//! - **IAM user** → Identity (id = user ARN). Kind `human`, unless its tag `residue:kind`
//!   names another kind (`service-account`, `workload`, `ai-agent`); owner from the tag
//!   `residue:owner` or `owner`.
//! - **IAM group** → Identity of kind group (id = group ARN); each `GroupList` entry → a
//!   standing membership — unless the user's own denies or permissions boundary lower what
//!   one of the group's policies gives it: then the group's policies are assigned to the
//!   user directly, each under a principal-specific id (below), and an info diagnostic says
//!   so. The graph cannot subtract, so a membership would overstate the user's reach.
//! - **Policies of users and groups** → one canonical role per policy (id = policy ARN;
//!   inline: `OWNER_ARN#inline/NAME`), assigned standing to the user or group, with the
//!   privilege the policy gives on its own. When the principal's denies or boundary lower
//!   it, the assignment goes to `POLICY_ARN@PRINCIPAL_ARN` instead, with the lowered level.
//!   Paths therefore read user → group → policy.
//! - **IAM role** → canonical role (id = role ARN) whose privilege is the role's effective
//!   privilege (all its policies, deny wins, boundary). Who may assume it: trust edges
//!   (see [`crate::connectors::aws::trust`]).
//! - **Escalation methods** → escalation records (see [`crate::connectors::aws::escalation`]).
//! - **JIT-eligible roles** (residue.yaml `jit`): the broker's trust becomes eligible
//!   assignments of the principals the broker serves (see [`crate::connectors::aws::trust`]).
//!
//! - **SCPs** (`aws-scp` sources) cap every user, group and role of the accounts they target
//!   (see [`crate::connectors::aws::scp`]); the files of a scan are read together by
//!   [`crate::connectors::aws::load_accounts`], which also resolves trusts across accounts.
//!
//! Privilege levels follow [`crate::connectors::aws::policy::eval`]. A level reached only
//! under conditions (MFA, time, network, tags) is kept, and an info diagnostic names the
//! conditions; trust conditions are kept on the trust edge.

mod levels;
pub mod parse;

use super::arn::Arn;
use super::policy::eval::{Layers, Level};
use super::policy::{conditions, Document};
use super::scp::Scps;
use crate::connectors::{ConnectorError, ConnectorSettings};
use crate::model::time::parse_timestamp;
use crate::model::{
    Assignment, AssignmentKind, Diagnostic, Identity, IdentityKind, Inventory, Membership,
    PrivilegeLevel, Provenance, Role, Timestamp, Window,
};
use parse::AuthorizationDetails;
use std::collections::{BTreeMap, BTreeSet, HashMap};

pub use parse::EXPECTED;

static EMPTY: Document = Document {
    statements: Vec::new(),
};

/// One policy as held by one principal.
#[derive(Debug, Clone)]
pub struct PolicyRef<'a> {
    /// The canonical role id: the policy ARN, or `OWNER_ARN#inline/NAME`.
    pub id: String,
    pub name: String,
    /// For customer-managed and AWS-managed policies, the policy ARN.
    pub managed_arn: Option<&'a str>,
    pub doc: &'a Document,
    /// Where the policy's document is (`/Policies/3`, `/UserDetailList/0/UserPolicyList/1`).
    pub record: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrincipalKind {
    User,
    Group,
    Role,
}

/// A user, group or role with everything evaluation needs.
#[derive(Debug)]
pub struct Principal<'a> {
    pub kind: PrincipalKind,
    pub arn: &'a str,
    pub name: &'a str,
    pub partition: String,
    pub account: String,
    pub record: String,
    pub own: Vec<PolicyRef<'a>>,
    /// For users: indexes into [`Model::groups`].
    pub groups: Vec<usize>,
    pub boundary: Option<&'a Document>,
    /// The SCP levels capping the principal (none for the management account and for
    /// service-linked roles); see [`super::scp`].
    pub scps: Vec<Vec<&'a Document>>,
    /// The principal's effective level (for groups: what the group's policies give).
    pub level: Level,
}

/// The parsed export, indexed.
pub struct Model<'a> {
    pub file: &'a str,
    pub source: &'a str,
    pub details: &'a AuthorizationDetails,
    pub users: Vec<Principal<'a>>,
    pub groups: Vec<Principal<'a>>,
    pub roles: Vec<Principal<'a>>,
    /// Managed policy ARN → index in `details.policies`.
    pub policies: HashMap<&'a str, usize>,
    pub diagnostics: Vec<Diagnostic>,
    /// User ARN → index in `users`; role ARN → index in `roles`.
    user_index: HashMap<&'a str, usize>,
    role_index: HashMap<&'a str, usize>,
}

impl<'a> Model<'a> {
    pub fn provenance(&self, record: &str) -> Provenance {
        Provenance::new(self.source, self.file).with_record(record)
    }

    /// Every policy the principal is subject to (a user's groups' included), deduplicated.
    pub fn all_policies<'s>(&'s self, p: &'s Principal<'a>) -> Vec<&'s PolicyRef<'a>> {
        let mut out: Vec<&'s PolicyRef<'a>> = p.own.iter().collect();
        for &g in &p.groups {
            out.extend(self.groups[g].own.iter());
        }
        out
    }

    /// The layers deciding what `p` may do.
    pub fn layers(&self, p: &Principal<'a>) -> Layers<'a> {
        let mut identity: Vec<&'a Document> = p.own.iter().map(|r| r.doc).collect();
        for &g in &p.groups {
            identity.extend(self.groups[g].own.iter().map(|r| r.doc));
        }
        Layers {
            identity,
            deny_only: Vec::new(),
            boundary: p.boundary,
            scps: p.scps.clone(),
            vars: vars(p),
        }
    }

    /// What one of `p`'s policies gives `p`, with `p`'s other policies' denies and its boundary.
    pub fn policy_level_for(&self, p: &Principal<'a>, policy: &PolicyRef<'a>) -> Level {
        let all = self.layers(p);
        Layers {
            identity: vec![policy.doc],
            deny_only: all.identity,
            boundary: p.boundary,
            scps: p.scps.clone(),
            vars: vars(p),
        }
        .level(&account_iam(&p.partition, &p.account))
    }

    pub fn user_by_arn(&self, arn: &str) -> Option<&Principal<'a>> {
        self.user_index.get(arn).map(|&i| &self.users[i])
    }

    pub fn role_by_arn(&self, arn: &str) -> Option<&Principal<'a>> {
        self.role_index.get(arn).map(|&i| &self.roles[i])
    }

    pub fn accounts(&self) -> BTreeSet<&str> {
        self.users
            .iter()
            .chain(&self.groups)
            .chain(&self.roles)
            .map(|p| p.account.as_str())
            .collect()
    }
}

fn vars(p: &Principal<'_>) -> Vec<(&'static str, String)> {
    let mut v = vec![("aws:PrincipalAccount", p.account.clone())];
    if p.kind == PrincipalKind::User {
        v.push(("aws:username", p.name.to_string()));
    }
    v
}

/// The pattern of every IAM resource of an account (`arn:aws:iam::111122223333:*`); for
/// AWS-managed policies (account `aws`), of every account.
pub fn account_iam(partition: &str, account: &str) -> super::policy::Pattern {
    if account == "aws" || account.is_empty() {
        super::policy::Pattern::new(&format!("arn:{partition}:iam::*"))
    } else {
        super::policy::Pattern::new(&format!("arn:{partition}:iam::{account}:*"))
    }
}

/// Does the start of a file look like an authorization-details export: a JSON object with
/// one of the four lists as a key?
pub fn sniff(text: &str) -> bool {
    text.trim_start().starts_with('{')
        && [
            "\"UserDetailList\"",
            "\"GroupDetailList\"",
            "\"RoleDetailList\"",
        ]
        .iter()
        .any(|k| text.contains(k))
        || (text.trim_start().starts_with('{')
            && text.contains("\"Policies\"")
            && text.contains("\"PolicyVersionList\""))
}

fn bad_arn(file: &str, record: &str, err: impl std::fmt::Display) -> ConnectorError {
    ConnectorError::invalid(file, record, format!("Arn: {err}"))
}

fn timestamp(
    raw: Option<&String>,
    file: &str,
    record: &str,
    field: &str,
) -> Result<Option<Timestamp>, ConnectorError> {
    match raw {
        None => Ok(None),
        Some(s) => parse_timestamp(s)
            .map(Some)
            .map_err(|e| ConnectorError::invalid(file, format!("{record}/{field}"), e.to_string())),
    }
}

/// Reads one authorization-details file into the canonical inventory.
pub fn load(
    bytes: &[u8],
    file: &str,
    source: &str,
    settings: &ConnectorSettings,
) -> Result<Inventory, ConnectorError> {
    let details = parse::parse(bytes, file)?;
    let scps = Scps::default();
    let model = build_model(&details, file, source, &scps)?;
    let scope = Scope::new(vec![&model]);
    emit_all(&model, &scope, settings)
}

/// Every account's model in a scan, for resolving trusts across accounts: sorted by file,
/// so the result does not depend on the order sources are listed in.
pub struct Scope<'m, 'a> {
    pub models: Vec<&'m Model<'a>>,
}

impl<'m, 'a> Scope<'m, 'a> {
    pub fn new(mut models: Vec<&'m Model<'a>>) -> Self {
        models.sort_by(|a, b| (a.file, a.source).cmp(&(b.file, b.source)));
        Scope { models }
    }

    /// Every account some model describes.
    pub fn accounts(&self) -> BTreeSet<&str> {
        self.models.iter().flat_map(|m| m.accounts()).collect()
    }

    /// The user or role with this ARN, and the model describing it.
    pub fn principal(&self, arn: &str) -> Option<(&'m Model<'a>, &'m Principal<'a>)> {
        self.models.iter().find_map(|m| {
            m.user_by_arn(arn)
                .or_else(|| m.role_by_arn(arn))
                .map(|p| (*m, p))
        })
    }

    /// The role named `name` in `account` (an STS session names its role by name).
    pub fn role_named(
        &self,
        account: &str,
        name: &str,
    ) -> Option<(&'m Model<'a>, &'m Principal<'a>)> {
        self.models.iter().find_map(|m| {
            m.roles
                .iter()
                .find(|q| q.name == name && q.account == account)
                .map(|p| (*m, p))
        })
    }

    /// Every user and role of `account`, with its model.
    pub fn principals_of<'s>(
        &'s self,
        account: &'s str,
    ) -> impl Iterator<Item = (&'m Model<'a>, &'m Principal<'a>)> + 's {
        self.models.iter().flat_map(move |m| {
            m.users
                .iter()
                .chain(&m.roles)
                .filter(move |q| q.account == account)
                .map(move |q| (*m, q))
        })
    }
}

/// The inventory of one model, its trusts resolved within `scope`.
pub fn emit_all(
    model: &Model<'_>,
    scope: &Scope<'_, '_>,
    settings: &ConnectorSettings,
) -> Result<Inventory, ConnectorError> {
    // Identities, roles and assignments do not depend on the trusts: both are worked out at
    // once, and the trusts' identities and notes follow the others' as when done in turn.
    // The trusts, the longer of the two, go first: the calling thread starts them at once and
    // another takes the emission when it is free.
    let ((trusts, trust_side), emitted) = rayon::join(
        || {
            let mut side = Inventory::new();
            let trusts = super::trust::trusts(model, scope, &mut side);
            (trusts, side)
        },
        || {
            let mut inv = Inventory::new();
            emit(model, &mut inv).map(|()| inv)
        },
    );
    let mut inv = emitted?;
    inv.extend(trust_side);
    // The escalation search and the JIT plan both read the trusts: worked out side by side,
    // their records are added in that order, as when done in turn.
    let mut escalated = Inventory::new();
    let mut planned = Inventory::new();
    let ((), plan) = rayon::join(
        || super::escalation::escalations(model, &trusts, &mut escalated),
        || super::trust::plan_jit(model, settings, &trusts, &mut planned),
    );
    inv.extend(escalated);
    inv.extend(planned);
    super::trust::keep_standing(trusts, &plan, &mut inv);
    inv.diagnostics.extend(model.diagnostics.iter().cloned());
    Ok(inv)
}

fn principal_arn(arn: &str, file: &str, record: &str) -> Result<Arn, ConnectorError> {
    Arn::parse(arn).map_err(|e| bad_arn(file, record, e))
}

fn attached<'a>(
    list: &'a [parse::AttachedPolicy],
    details: &'a AuthorizationDetails,
    policies: &HashMap<&'a str, usize>,
    owner_record: &str,
    diagnostics: &mut Vec<Diagnostic>,
    provenance: &dyn Fn(&str) -> Provenance,
) -> Vec<PolicyRef<'a>> {
    let mut out = Vec::new();
    for a in list {
        let name = a.policy_name.clone().unwrap_or_else(|| {
            a.policy_arn
                .rsplit('/')
                .next()
                .unwrap_or(&a.policy_arn)
                .to_string()
        });
        let (doc, record) = match policies.get(a.policy_arn.as_str()) {
            Some(&i) => match details.policies[i].default_document() {
                Some(d) => (d, format!("/Policies/{i}")),
                None => {
                    diagnostics.push(Diagnostic::warning(
                        provenance(&format!("/Policies/{i}")),
                        format!(
                            "managed policy {} has no default version in the export; its permissions are not counted",
                            a.policy_arn
                        ),
                    ));
                    (&EMPTY, format!("/Policies/{i}"))
                }
            },
            None => {
                diagnostics.push(Diagnostic::warning(
                    provenance(owner_record),
                    format!(
                        "managed policy {} is attached but not in the export's Policies list (exported with --filter?); its permissions are not counted",
                        a.policy_arn
                    ),
                ));
                (&EMPTY, owner_record.to_string())
            }
        };
        out.push(PolicyRef {
            id: a.policy_arn.clone(),
            name,
            managed_arn: Some(a.policy_arn.as_str()),
            doc,
            record,
        });
    }
    out
}

fn inline<'a>(
    owner: &str,
    list: &'a [parse::InlinePolicy],
    record: &str,
    field: &str,
) -> Vec<PolicyRef<'a>> {
    list.iter()
        .enumerate()
        .map(|(j, p)| PolicyRef {
            id: format!("{owner}#inline/{}", p.policy_name),
            name: p.policy_name.clone(),
            managed_arn: None,
            doc: &p.policy_document,
            record: format!("{record}/{field}/{j}"),
        })
        .collect()
}

fn boundary<'a>(
    b: Option<&'a parse::Boundary>,
    details: &'a AuthorizationDetails,
    policies: &HashMap<&'a str, usize>,
    record: &str,
    diagnostics: &mut Vec<Diagnostic>,
    provenance: &dyn Fn(&str) -> Provenance,
) -> Option<&'a Document> {
    let b = b?;
    match policies
        .get(b.permissions_boundary_arn.as_str())
        .and_then(|&i| details.policies[i].default_document())
    {
        Some(d) => Some(d),
        None => {
            // An unknown boundary still caps the principal: to what, residue cannot know.
            diagnostics.push(Diagnostic::warning(
                provenance(record),
                format!(
                    "permissions boundary {} is not in the export's Policies list; the principal is evaluated without it",
                    b.permissions_boundary_arn
                ),
            ));
            None
        }
    }
}

/// Is the role a service-linked role (SCPs do not restrict those)?
fn service_linked(role: &parse::Role) -> bool {
    role.path
        .as_deref()
        .is_some_and(|p| p.starts_with("/aws-service-role/"))
}

pub fn build_model<'a>(
    details: &'a AuthorizationDetails,
    file: &'a str,
    source: &'a str,
    scps: &'a Scps,
) -> Result<Model<'a>, ConnectorError> {
    let mut diagnostics = Vec::new();
    let provenance = |record: &str| Provenance::new(source, file).with_record(record);
    if details.is_truncated == Some(true) {
        diagnostics.push(Diagnostic::warning(
            provenance("/IsTruncated"),
            "the export is truncated (IsTruncated: true): principals and policies on later pages are missing; export with the AWS CLI, which merges pages",
        ));
    }
    let mut policies = HashMap::new();
    for (i, p) in details.policies.iter().enumerate() {
        principal_arn(&p.arn, file, &format!("/Policies/{i}"))?;
        policies.insert(p.arn.as_str(), i);
    }
    let placeholder = Level {
        privilege: PrivilegeLevel::None,
        conditions: Vec::new(),
        unknown: Vec::new(),
    };

    let mut groups = Vec::new();
    let mut group_index: HashMap<(String, &str), usize> = HashMap::new();
    for (i, g) in details.group_detail_list.iter().enumerate() {
        let record = format!("/GroupDetailList/{i}");
        let arn = principal_arn(&g.arn, file, &record)?;
        let mut own = inline(&g.arn, &g.group_policy_list, &record, "GroupPolicyList");
        own.extend(attached(
            &g.attached_managed_policies,
            details,
            &policies,
            &record,
            &mut diagnostics,
            &provenance,
        ));
        group_index.insert((arn.account.clone(), g.group_name.as_str()), groups.len());
        let caps = scps.levels(&arn.account);
        groups.push(Principal {
            kind: PrincipalKind::Group,
            arn: &g.arn,
            name: &g.group_name,
            partition: arn.partition,
            account: arn.account,
            record,
            own,
            groups: Vec::new(),
            boundary: None,
            scps: caps,
            level: placeholder.clone(),
        });
    }

    let mut users = Vec::new();
    for (i, u) in details.user_detail_list.iter().enumerate() {
        let record = format!("/UserDetailList/{i}");
        let arn = principal_arn(&u.arn, file, &record)?;
        let mut own = inline(&u.arn, &u.user_policy_list, &record, "UserPolicyList");
        own.extend(attached(
            &u.attached_managed_policies,
            details,
            &policies,
            &record,
            &mut diagnostics,
            &provenance,
        ));
        let mut member_of = Vec::new();
        for (j, name) in u.group_list.iter().enumerate() {
            match group_index.get(&(arn.account.clone(), name.as_str())) {
                Some(&g) => member_of.push(g),
                None => diagnostics.push(Diagnostic::warning(
                    provenance(&format!("{record}/GroupList/{j}")),
                    format!(
                        "user {} is in group `{name}`, which is not in the export's GroupDetailList; the membership and the group's policies are not counted",
                        u.user_name
                    ),
                )),
            }
        }
        let boundary = boundary(
            u.permissions_boundary.as_ref(),
            details,
            &policies,
            &record,
            &mut diagnostics,
            &provenance,
        );
        let caps = scps.levels(&arn.account);
        users.push(Principal {
            kind: PrincipalKind::User,
            arn: &u.arn,
            name: &u.user_name,
            partition: arn.partition,
            account: arn.account,
            record,
            own,
            groups: member_of,
            boundary,
            scps: caps,
            level: placeholder.clone(),
        });
    }

    let mut roles = Vec::new();
    for (i, r) in details.role_detail_list.iter().enumerate() {
        let record = format!("/RoleDetailList/{i}");
        let arn = principal_arn(&r.arn, file, &record)?;
        let mut own = inline(&r.arn, &r.role_policy_list, &record, "RolePolicyList");
        own.extend(attached(
            &r.attached_managed_policies,
            details,
            &policies,
            &record,
            &mut diagnostics,
            &provenance,
        ));
        let boundary = boundary(
            r.permissions_boundary.as_ref(),
            details,
            &policies,
            &record,
            &mut diagnostics,
            &provenance,
        );
        let caps = if service_linked(r) {
            Vec::new()
        } else {
            scps.levels(&arn.account)
        };
        roles.push(Principal {
            kind: PrincipalKind::Role,
            arn: &r.arn,
            name: &r.role_name,
            partition: arn.partition,
            account: arn.account,
            record,
            own,
            groups: Vec::new(),
            boundary,
            scps: caps,
            level: placeholder.clone(),
        });
    }

    let user_index = users.iter().enumerate().map(|(i, u)| (u.arn, i)).collect();
    let role_index = roles.iter().enumerate().map(|(i, r)| (r.arn, i)).collect();
    let mut model = Model {
        file,
        source,
        details,
        users,
        groups,
        roles,
        policies,
        diagnostics,
        user_index,
        role_index,
    };
    // Each principal's level is independent of the others': evaluated in parallel, groups,
    // users and roles together.
    let levels: Vec<Level> = {
        use rayon::prelude::*;
        let m = &model;
        m.groups
            .par_iter()
            .chain(&m.users)
            .chain(&m.roles)
            .map(|p| m.layers(p).level(&account_iam(&p.partition, &p.account)))
            .collect()
    };
    let principals = model
        .groups
        .iter_mut()
        .chain(&mut model.users)
        .chain(&mut model.roles);
    for (p, l) in principals.zip(levels) {
        p.level = l;
    }
    Ok(model)
}

fn tags(list: &[parse::Tag]) -> BTreeMap<String, String> {
    list.iter()
        .map(|t| (t.key.clone(), t.value.clone()))
        .collect()
}

/// Notes a level that holds only under conditions, and actions the table does not know.
fn note_level(model: &Model<'_>, inv: &mut Inventory, record: &str, what: &str, level: &Level) {
    if !level.conditions.is_empty() {
        let conds = conditions::to_conditions(&level.conditions);
        let kinds: Vec<String> = conds
            .iter()
            .map(|c| format!("{} ({})", c.kind, c.detail))
            .collect();
        inv.diagnostics.push(Diagnostic::info(
            model.provenance(record),
            format!(
                "{what} reaches {} only under conditions: {}; residue counts the level and reports the grant as conditional here",
                level.privilege,
                kinds.join("; ")
            ),
        ));
    }
    if !level.unknown.is_empty() {
        inv.diagnostics.push(Diagnostic::warning(
            model.provenance(record),
            format!(
                "{what}: {} action(s) unknown to residue's IAM action table, counted as write: {}",
                level.unknown.len(),
                level.unknown.join(", ")
            ),
        ));
    }
}

/// A canonical role for a policy (or a principal-specific copy of it).
fn policy_role(
    model: &Model<'_>,
    id: String,
    name: String,
    policy: &PolicyRef<'_>,
    privilege: PrivilegeLevel,
    scope: Option<String>,
) -> Role {
    Role {
        id,
        name,
        permissions: policy.doc.allowed_actions(),
        privilege,
        scope,
        last_used: None,
        tags: BTreeMap::new(),
        provenance: model.provenance(&policy.record),
    }
}

fn policy_scope(policy: &PolicyRef<'_>, p: &Principal<'_>) -> Option<String> {
    match policy.managed_arn.and_then(|a| Arn::parse(a).ok()) {
        Some(a) if a.account == "aws" => None,
        Some(a) => Some(a.account),
        None => Some(p.account.clone()),
    }
}

/// Emits identities, groups, memberships, IAM roles, policy roles and their assignments.
fn emit(model: &Model<'_>, inv: &mut Inventory) -> Result<(), ConnectorError> {
    let details = model.details;
    let mut levels = levels::PolicyLevels::new(model);
    let mut roles: BTreeMap<String, Role> = BTreeMap::new();
    let assign = |inv: &mut Inventory, subject: &str, role: &str, record: &str| {
        inv.assignments.push(Assignment {
            subject: subject.into(),
            role: role.into(),
            kind: AssignmentKind::Standing,
            window: Window::UNBOUNDED,
            last_used: None,
            provenance: model.provenance(record),
        });
    };

    for (gi, (g, raw)) in model
        .groups
        .iter()
        .zip(&details.group_detail_list)
        .enumerate()
    {
        let mut identity = Identity::new(g.arn, IdentityKind::Group, model.provenance(&g.record));
        identity.name = g.name.to_string();
        identity.created = timestamp(
            raw.create_date.as_ref(),
            model.file,
            &g.record,
            "CreateDate",
        )?;
        inv.identities.push(identity);
        for (k, policy) in g.own.iter().enumerate() {
            let level = levels.global(policy, g);
            let for_group = levels.group(gi, k);
            let id = if for_group == level.privilege {
                note_level(
                    model,
                    inv,
                    &policy.record,
                    &format!("policy {}", policy.name),
                    &level,
                );
                roles.entry(policy.id.clone()).or_insert_with(|| {
                    policy_role(
                        model,
                        policy.id.clone(),
                        policy.name.clone(),
                        policy,
                        level.privilege,
                        policy_scope(policy, g),
                    )
                });
                policy.id.clone()
            } else {
                let id = format!("{}@{}", policy.id, g.arn);
                roles.entry(id.clone()).or_insert_with(|| {
                    policy_role(
                        model,
                        id.clone(),
                        format!("{} for group {}", policy.name, g.name),
                        policy,
                        for_group,
                        Some(g.account.clone()),
                    )
                });
                id
            };
            assign(inv, g.arn, &id, &g.record);
        }
    }

    for (u, raw) in model.users.iter().zip(&details.user_detail_list) {
        let tags = tags(&raw.tags);
        let kind = tags
            .get("residue:kind")
            .and_then(|k| IdentityKind::parse(k))
            .filter(|k| *k != IdentityKind::Group)
            .unwrap_or(IdentityKind::Human);
        let mut identity = Identity::new(u.arn, kind, model.provenance(&u.record));
        identity.name = u.name.to_string();
        identity.owner = tags
            .get("residue:owner")
            .or_else(|| tags.get("owner"))
            .filter(|o| !o.trim().is_empty())
            .cloned();
        identity.created = timestamp(
            raw.create_date.as_ref(),
            model.file,
            &u.record,
            "CreateDate",
        )?;
        identity.tags = tags;
        inv.identities.push(identity);
        note_level(model, inv, &u.record, &format!("user {}", u.name), &u.level);

        for policy in &u.own {
            let level = levels.global(policy, u);
            let mine = levels.for_principal(u, policy);
            let id = if mine.privilege == level.privilege {
                roles.entry(policy.id.clone()).or_insert_with(|| {
                    policy_role(
                        model,
                        policy.id.clone(),
                        policy.name.clone(),
                        policy,
                        level.privilege,
                        policy_scope(policy, u),
                    )
                });
                policy.id.clone()
            } else {
                capped(model, inv, &mut roles, u, policy, &mine)
            };
            assign(inv, u.arn, &id, &u.record);
        }
        for (j, &gi) in u.groups.iter().enumerate() {
            let g = &model.groups[gi];
            let lowered: Vec<(usize, Level)> = g
                .own
                .iter()
                .enumerate()
                .filter_map(|(k, policy)| {
                    let as_group = levels.group(gi, k);
                    let mine = levels.for_principal(u, policy);
                    (mine.privilege < as_group).then_some((k, mine))
                })
                .collect();
            let record = format!("{}/GroupList/{j}", u.record);
            if lowered.is_empty() {
                inv.memberships.push(Membership {
                    member: u.arn.into(),
                    group: g.arn.into(),
                    kind: AssignmentKind::Standing,
                    window: Window::UNBOUNDED,
                    provenance: model.provenance(&record),
                });
                continue;
            }
            inv.diagnostics.push(Diagnostic::info(
                model.provenance(&record),
                format!(
                    "user {}'s denies or permissions boundary lower what group {} gives it: the group's policies are assigned to the user directly, not through a membership",
                    u.name, g.name
                ),
            ));
            for (k, policy) in g.own.iter().enumerate() {
                let id = match lowered.iter().find(|(i, _)| *i == k) {
                    Some((_, mine)) => capped(model, inv, &mut roles, u, policy, mine),
                    None => policy.id.clone(),
                };
                assign(inv, u.arn, &id, &record);
            }
        }
    }

    for (r, raw) in model.roles.iter().zip(&details.role_detail_list) {
        let mut permissions: Vec<String> =
            r.own.iter().flat_map(|p| p.doc.allowed_actions()).collect();
        permissions.sort();
        permissions.dedup();
        let mut tags = tags(&raw.tags);
        if !raw.instance_profile_list.is_empty() {
            let names: Vec<&str> = raw
                .instance_profile_list
                .iter()
                .filter_map(|p| p.instance_profile_name.as_deref())
                .collect();
            tags.insert("residue:instance-profiles".into(), names.join(","));
        }
        let last_used = timestamp(
            raw.role_last_used
                .as_ref()
                .and_then(|l| l.last_used_date.as_ref()),
            model.file,
            &r.record,
            "RoleLastUsed/LastUsedDate",
        )?;
        note_level(model, inv, &r.record, &format!("role {}", r.name), &r.level);
        let role = Role {
            id: r.arn.to_string(),
            name: r.name.to_string(),
            permissions,
            privilege: r.level.privilege,
            scope: Some(r.account.clone()),
            last_used,
            tags,
            provenance: model.provenance(&r.record),
        };
        // A policy ARN and a role ARN never coincide; ids stay unique.
        roles.insert(role.id.clone(), role);
    }
    inv.roles.extend(roles.into_values());
    Ok(())
}

/// The principal-specific copy of a policy whose level `p`'s denies or boundary lower.
fn capped(
    model: &Model<'_>,
    inv: &mut Inventory,
    roles: &mut BTreeMap<String, Role>,
    p: &Principal<'_>,
    policy: &PolicyRef<'_>,
    mine: &Level,
) -> String {
    let id = format!("{}@{}", policy.id, p.arn);
    if !roles.contains_key(&id) {
        inv.diagnostics.push(Diagnostic::info(
            model.provenance(&p.record),
            format!(
                "policy {} gives {} only {} (its denies, permissions boundary or SCPs lower it): assigned as {id}",
                policy.name, p.name, mine.privilege
            ),
        ));
        roles.insert(
            id.clone(),
            policy_role(
                model,
                id.clone(),
                format!("{} for {}", policy.name, p.name),
                policy,
                mine.privilege,
                Some(p.account.clone()),
            ),
        );
    }
    id
}

#[cfg(test)]
mod tests;
