//! Privilege escalation: the known IAM methods by which a principal that is not admin can
//! make itself admin. Each method is checked with full policy evaluation for the principal
//! (its denies, its permissions boundary, resource restrictions), so a Deny, a boundary or a
//! resource that does not match blocks the edge.
//!
//! Methods and what they reach:
//! - `iam:CreatePolicyVersion` on a customer-managed policy attached to the principal (or its
//!   group), `iam:SetDefaultPolicyVersion` on one that has another version;
//!   `iam:AttachUserPolicy`/`iam:PutUserPolicy` on itself, `iam:AttachGroupPolicy`/
//!   `iam:PutGroupPolicy` on one of its groups, `iam:AttachRolePolicy`/`iam:PutRolePolicy` on
//!   itself (a role): any of these lets it grant itself `*` → the synthetic role
//!   `aws:ACCOUNT:admin-via-escalation` (privilege admin);
//! - `iam:AddUserToGroup` on an admin group, `iam:CreateAccessKey`, `iam:CreateLoginProfile`
//!   or `iam:UpdateLoginProfile` on an admin user → the same synthetic admin role;
//! - `iam:UpdateAssumeRolePolicy` on an admin role → that role;
//! - `iam:PassRole` on an admin role that trusts a compute service, with that service's
//!   launch actions: `ec2:RunInstances`; `lambda:CreateFunction` + `lambda:InvokeFunction`
//!   (or `lambda:CreateEventSourceMapping`); `cloudformation:CreateStack`;
//!   `glue:CreateDevEndpoint`; `datapipeline:CreatePipeline` + `datapipeline:PutPipelineDefinition`;
//!   `sagemaker:CreateNotebookInstance` + `sagemaker:CreatePresignedNotebookInstanceUrl` → that role;
//! - `iam:AttachRolePolicy`/`iam:PutRolePolicy` on a role of its account that it may assume
//!   (a standing trust names it) → the synthetic admin role;
//! - `lambda:UpdateFunctionCode` on every function of its account → each admin role that
//!   trusts `lambda.amazonaws.com`; `glue:UpdateDevEndpoint` on every dev endpoint → each
//!   admin role that trusts `glue.amazonaws.com`. Authorization details do not say which
//!   role a function or endpoint runs as, so the method text says the condition
//!   (`[if a function runs as it]`); a permission limited to named functions or endpoints is
//!   not counted (residue cannot tell their roles).
//!
//! A method that grants a principal a policy (a new policy version, attaching or putting a
//! policy, joining a group) counts only when the principal would then be admin: its other
//! policies' denies, its permissions boundary and its account's SCPs still apply.
//!
//! A method allowed only under conditions is kept, its method text ending with the
//! condition kinds (`[if mfa]`).

mod asker;

use super::authz::{Model, Principal, PrincipalKind};
use super::policy::{conditions, Clause, Effect};
use super::policy::{Document, Pattern};
use super::trust::Edge;
use crate::model::{Escalation, Inventory, PrivilegeLevel, Role};
use asker::Asker;
use foldhash::{HashMap, HashSet};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

/// `Allow * on *`: what a principal that can grant itself a policy grants itself.
fn allow_all() -> &'static Document {
    static DOC: OnceLock<Document> = OnceLock::new();
    DOC.get_or_init(|| {
        Document::parse_text(r#"{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#)
            .unwrap_or_default()
    })
}

/// Would `q` be admin if it were granted `*` on `*`? Its denies, boundary and SCPs stay.
fn could_be_admin(model: &Model<'_>, q: &Principal<'_>) -> bool {
    let mut l = model.layers(q);
    l.deny_only = std::mem::take(&mut l.identity);
    l.identity = vec![allow_all()];
    // Nothing can deny or cap `*` on `*`: admin without evaluating.
    let no_deny = l
        .deny_only
        .iter()
        .all(|d| d.statements.iter().all(|s| s.effect != Effect::Deny));
    if no_deny && l.boundary.is_none() && l.scps.is_empty() {
        return true;
    }
    l.level(&super::authz::account_iam(&q.partition, &q.account))
        .privilege
        == PrivilegeLevel::Admin
}

/// Services whose existing resources run as a role and whose code or access a principal can
/// replace: (service principal, action, resource pattern of every such resource in an account
/// (`{partition}` and `{account}` replaced), display name, what must hold).
const TAKE_OVER: [(&str, &str, &str, &str, &str); 2] = [
    (
        "lambda.amazonaws.com",
        "lambda:updatefunctioncode",
        "arn:{partition}:lambda:*:{account}:function:*",
        "lambda:UpdateFunctionCode on every function",
        "if a function runs as it",
    ),
    (
        "glue.amazonaws.com",
        "glue:updatedevendpoint",
        "arn:{partition}:glue:*:{account}:devEndpoint/*",
        "glue:UpdateDevEndpoint on every dev endpoint",
        "if a dev endpoint runs as it",
    ),
];

/// PassRole combinations: the service principal the role must trust, and the actions
/// (all of the first list, and one of the second when not empty).
const PASS_ROLE: [(&str, &[&str], &[&str]); 6] = [
    ("ec2.amazonaws.com", &["ec2:runinstances"], &[]),
    (
        "lambda.amazonaws.com",
        &["lambda:createfunction"],
        &["lambda:invokefunction", "lambda:createeventsourcemapping"],
    ),
    (
        "cloudformation.amazonaws.com",
        &["cloudformation:createstack"],
        &[],
    ),
    ("glue.amazonaws.com", &["glue:createdevendpoint"], &[]),
    (
        "datapipeline.amazonaws.com",
        &[
            "datapipeline:createpipeline",
            "datapipeline:putpipelinedefinition",
        ],
        &[],
    ),
    (
        "sagemaker.amazonaws.com",
        &[
            "sagemaker:createnotebookinstance",
            "sagemaker:createpresignednotebookinstanceurl",
        ],
        &[],
    ),
];

/// Actions on an admin user that give its credentials: (action, display name).
const USER_TAKEOVER: [(&str, &str); 3] = [
    ("iam:createaccesskey", "iam:CreateAccessKey"),
    ("iam:createloginprofile", "iam:CreateLoginProfile"),
    ("iam:updateloginprofile", "iam:UpdateLoginProfile"),
];

/// Actions granting a policy to a role one may assume: (action, display name).
const ASSUMED_ROLE_GRANTS: [(&str, &str); 2] = [
    ("iam:attachrolepolicy", "iam:AttachRolePolicy"),
    ("iam:putrolepolicy", "iam:PutRolePolicy"),
];

/// The synthetic role an escalation to "anything" reaches.
pub fn admin_target(account: &str) -> String {
    format!("aws:{account}:admin-via-escalation")
}

fn suffix(conds: &[Clause]) -> String {
    if conds.is_empty() {
        return String::new();
    }
    let mut kinds: Vec<&str> = conditions::to_conditions(conds)
        .iter()
        .map(|c| c.kind.as_str())
        .collect();
    kinds.dedup();
    format!(" [if {}]", kinds.join(", "))
}

struct Found {
    principal: String,
    target: String,
    method: String,
    record: String,
}

/// The service principals each role's trust policy allows (`model.roles` order), read
/// once: the escalation search asks this for every principal and admin role pair.
fn trusted_services<'a>(model: &Model<'a>) -> Vec<Vec<&'a str>> {
    let mut first: HashMap<&str, usize> = HashMap::default();
    for (i, r) in model.details.role_detail_list.iter().enumerate() {
        first.entry(r.arn.as_str()).or_insert(i);
    }
    model
        .roles
        .iter()
        .map(|role| {
            let mut services = Vec::new();
            if let Some(d) = first.get(role.arn).and_then(|&i| {
                model.details.role_detail_list[i]
                    .assume_role_policy_document
                    .as_ref()
            }) {
                for s in d.statements.iter().filter(|s| s.effect == Effect::Allow) {
                    if let Some(p) = &s.principals {
                        services.extend(p.service.iter().map(String::as_str));
                    }
                }
            }
            services
        })
        .collect()
}

/// Every action the escalation search decides. A principal none of whose identity policies
/// has an Allow statement naming an action cannot be allowed it (whatever the resource), so
/// the search skips it without evaluating.
const SEARCHED: [&str; 26] = [
    "iam:createpolicyversion",
    "iam:setdefaultpolicyversion",
    "iam:attachuserpolicy",
    "iam:putuserpolicy",
    "iam:attachrolepolicy",
    "iam:putrolepolicy",
    "iam:attachgrouppolicy",
    "iam:putgrouppolicy",
    "iam:addusertogroup",
    "iam:createaccesskey",
    "iam:createloginprofile",
    "iam:updateloginprofile",
    "iam:updateassumerolepolicy",
    "iam:passrole",
    "lambda:updatefunctioncode",
    "glue:updatedevendpoint",
    "ec2:runinstances",
    "lambda:createfunction",
    "lambda:invokefunction",
    "lambda:createeventsourcemapping",
    "cloudformation:createstack",
    "glue:createdevendpoint",
    "datapipeline:createpipeline",
    "datapipeline:putpipelinedefinition",
    "sagemaker:createnotebookinstance",
    "sagemaker:createpresignednotebookinstanceurl",
];

/// Bit `i` set: some Allow statement of `doc` names `SEARCHED[i]`.
fn allow_mask(doc: &Document) -> u32 {
    let mut mask = 0;
    for s in doc.statements.iter().filter(|s| s.effect == Effect::Allow) {
        for (i, a) in SEARCHED.iter().enumerate() {
            if mask & (1 << i) == 0 && s.matches_action(a) {
                mask |= 1 << i;
            }
        }
    }
    mask
}

/// Could an identity policy with these Allow bits allow `action`? (Unlisted actions: yes.)
fn may(mask: u32, action: &str) -> bool {
    SEARCHED
        .iter()
        .position(|a| *a == action)
        .is_none_or(|i| mask & (1 << i) != 0)
}

/// Could one of `actions` be allowed (see [`may`])?
fn may_any<'s>(mask: u32, actions: impl IntoIterator<Item = &'s str>) -> bool {
    actions.into_iter().any(|a| may(mask, a))
}

/// What the search reads for every principal, computed once per model.
struct Shared<'m, 'a> {
    admin_users: Vec<&'m Principal<'a>>,
    admin_groups: Vec<&'m Principal<'a>>,
    /// Admin roles, with their index in `model.roles`.
    admin_roles: Vec<(usize, &'m Principal<'a>)>,
    services: Vec<Vec<&'a str>>,
    /// Principal ARN → role ARN → the first trust edge without tag gates (for the principals
    /// that may grant a role a policy).
    untagged_trusts: HashMap<&'m str, HashMap<&'m str, &'m Edge>>,
    /// `could_be_admin` per role, computed when first asked.
    role_could_be_admin: Vec<OnceLock<bool>>,
}

fn trusts_service(shared: &Shared<'_, '_>, role: usize, service: &str) -> bool {
    shared.services[role].contains(&service)
}

/// The Allow bits of every identity policy of `p` (see [`allow_mask`]).
fn principal_mask(model: &Model<'_>, p: &Principal<'_>, masks: &HashMap<usize, u32>) -> u32 {
    let groups = p.groups.iter().flat_map(|&g| &model.groups[g].own);
    p.own.iter().chain(groups).fold(0u32, |m, r| {
        m | masks
            .get(&(r.doc as *const Document as usize))
            .copied()
            .unwrap_or_else(|| allow_mask(r.doc))
    })
}

fn methods(
    model: &Model<'_>,
    p: &Principal<'_>,
    mask: u32,
    shared: &Shared<'_, '_>,
    out: &mut Vec<Found>,
) {
    let l = model.layers(p);
    let ask = Asker::new(&l, mask);
    let admin = admin_target(&p.account);
    let self_grant = could_be_admin(model, p);
    let mut found = |target: &str, method: String| {
        out.push(Found {
            principal: p.arn.to_string(),
            target: target.to_string(),
            method,
            record: p.record.clone(),
        })
    };
    // Policies attached to the principal: rewrite one, or switch its default version.
    // (Granting itself a policy helps only if it would then be admin.)
    let own_policies = if self_grant {
        model.all_policies(p)
    } else {
        Vec::new()
    };
    for policy in own_policies {
        let Some(arn) = policy.managed_arn else {
            continue;
        };
        if arn.contains(":iam::aws:policy/") {
            continue; // AWS-managed policies cannot be changed.
        }
        if let Some(c) = ask.allow("iam:createpolicyversion", arn) {
            found(
                &admin,
                format!("iam:CreatePolicyVersion on {arn}{}", suffix(&c)),
            );
        }
        let has_other = model
            .policies
            .get(arn)
            .is_some_and(|&i| model.details.policies[i].other_versions() > 0);
        if has_other {
            if let Some(c) = ask.allow("iam:setdefaultpolicyversion", arn) {
                found(
                    &admin,
                    format!("iam:SetDefaultPolicyVersion on {arn}{}", suffix(&c)),
                );
            }
        }
    }
    // Grant itself a policy.
    let own: &[(&str, &str)] = match p.kind {
        _ if !self_grant => &[],
        PrincipalKind::User => &[
            ("iam:attachuserpolicy", "iam:AttachUserPolicy"),
            ("iam:putuserpolicy", "iam:PutUserPolicy"),
        ],
        PrincipalKind::Role => &[
            ("iam:attachrolepolicy", "iam:AttachRolePolicy"),
            ("iam:putrolepolicy", "iam:PutRolePolicy"),
        ],
        PrincipalKind::Group => &[],
    };
    for (action, name) in own {
        if let Some(c) = ask.allow(action, p.arn) {
            found(
                &admin,
                format!("{name} on itself ({}){}", p.arn, suffix(&c)),
            );
        }
    }
    for &g in p.groups.iter().filter(|_| self_grant) {
        let group = &model.groups[g];
        for (action, name) in [
            ("iam:attachgrouppolicy", "iam:AttachGroupPolicy"),
            ("iam:putgrouppolicy", "iam:PutGroupPolicy"),
        ] {
            if let Some(c) = ask.allow(action, group.arn) {
                found(
                    &admin,
                    format!("{name} on its group {}{}", group.arn, suffix(&c)),
                );
            }
        }
    }
    if p.kind == PrincipalKind::User && self_grant {
        for group in shared
            .admin_groups
            .iter()
            .filter(|g| g.account == p.account)
        {
            if p.groups.iter().any(|&g| model.groups[g].arn == group.arn) {
                continue;
            }
            if let Some(c) = ask.allow("iam:addusertogroup", group.arn) {
                found(
                    &admin,
                    format!(
                        "iam:AddUserToGroup on admin group {}{}",
                        group.arn,
                        suffix(&c)
                    ),
                );
            }
        }
    }
    // Each search below is skipped when no Allow names any of its actions (it would find
    // nothing): most principals name none, and the searches pair them with every admin.
    let users = if may_any(mask, USER_TAKEOVER.map(|(a, _)| a)) {
        &shared.admin_users[..]
    } else {
        &[]
    };
    for other in users
        .iter()
        .filter(|u| u.arn != p.arn && u.account == p.account)
    {
        for (action, name) in USER_TAKEOVER {
            if let Some(c) = ask.allow(action, other.arn) {
                found(
                    &admin,
                    format!("{name} on admin user {}{}", other.arn, suffix(&c)),
                );
            }
        }
    }
    let role_actions = ["iam:updateassumerolepolicy", "iam:passrole"];
    let roles = if may_any(mask, role_actions.into_iter().chain(TAKE_OVER.map(|t| t.1))) {
        &shared.admin_roles[..]
    } else {
        &[]
    };
    for &(ri, role) in roles.iter().filter(|(_, r)| r.arn != p.arn) {
        if let Some(c) = ask.allow("iam:updateassumerolepolicy", role.arn) {
            found(
                role.arn,
                format!("iam:UpdateAssumeRolePolicy on {}{}", role.arn, suffix(&c)),
            );
        }
        for (service, action, every, name, condition) in TAKE_OVER {
            if role.account != p.account
                || !may(mask, action)
                || !trusts_service(shared, ri, service)
            {
                continue;
            }
            let every = Pattern::new(
                &every
                    .replace("{partition}", &p.partition)
                    .replace("{account}", &p.account),
            );
            if let Some(c) = ask.allow_on(action, &every) {
                found(
                    role.arn,
                    format!(
                        "{name} of account {}, reaching {} [{condition}]{}",
                        p.account,
                        role.arn,
                        suffix(&c)
                    ),
                );
            }
        }
        let Some(pass) = ask.allow("iam:passrole", role.arn) else {
            continue;
        };
        for (service, all, one_of) in PASS_ROLE {
            if !trusts_service(shared, ri, service) {
                continue;
            }
            let mut conds = pass.clone();
            let mut names = vec!["iam:PassRole".to_string()];
            let mut ok = true;
            for a in all {
                match ask.allowed_somewhere(a) {
                    Some(c) => {
                        conds.extend(c);
                        names.push(display(a));
                    }
                    None => ok = false,
                }
            }
            if ok && !one_of.is_empty() {
                match one_of
                    .iter()
                    .find_map(|a| ask.allowed_somewhere(a).map(|c| (a, c)))
                {
                    Some((a, c)) => {
                        conds.extend(c);
                        names.push(display(a));
                    }
                    None => ok = false,
                }
            }
            if ok {
                found(
                    role.arn,
                    format!("{} with {}{}", names.join(" + "), role.arn, suffix(&conds)),
                );
            }
        }
    }
    // Roles it may assume (a standing trust names it): grant one a policy, then assume it.
    let Some(assumable) = shared.untagged_trusts.get(p.arn) else {
        return;
    };
    for (ri, role) in model.roles.iter().enumerate().filter(|(_, r)| {
        r.arn != p.arn && r.account == p.account && r.level.privilege != PrivilegeLevel::Admin
    }) {
        let Some(&edge) = assumable.get(role.arn) else {
            continue;
        };
        if !*shared.role_could_be_admin[ri].get_or_init(|| could_be_admin(model, role)) {
            continue;
        }
        for (action, name) in ASSUMED_ROLE_GRANTS {
            if let Some(c) = ask.allow(action, role.arn) {
                let mut kinds: Vec<String> = conditions::to_conditions(&c)
                    .iter()
                    .chain(edge.conditions.iter())
                    .map(|c| c.kind.as_str().to_string())
                    .collect();
                kinds.sort();
                kinds.dedup();
                let guard = if kinds.is_empty() {
                    String::new()
                } else {
                    format!(" [if {}]", kinds.join(", "))
                };
                found(
                    &admin,
                    format!("{name} on {}, a role it may assume{guard}", role.arn),
                );
            }
        }
    }
}

/// `ec2:runinstances` → `ec2:RunInstances`, from the action table's spelling.
fn display(action: &str) -> String {
    const NAMES: [(&str, &str); 11] = [
        ("ec2:runinstances", "ec2:RunInstances"),
        ("lambda:createfunction", "lambda:CreateFunction"),
        ("lambda:invokefunction", "lambda:InvokeFunction"),
        (
            "lambda:createeventsourcemapping",
            "lambda:CreateEventSourceMapping",
        ),
        ("cloudformation:createstack", "cloudformation:CreateStack"),
        ("glue:createdevendpoint", "glue:CreateDevEndpoint"),
        ("datapipeline:createpipeline", "datapipeline:CreatePipeline"),
        (
            "datapipeline:putpipelinedefinition",
            "datapipeline:PutPipelineDefinition",
        ),
        (
            "sagemaker:createnotebookinstance",
            "sagemaker:CreateNotebookInstance",
        ),
        (
            "sagemaker:createpresignednotebookinstanceurl",
            "sagemaker:CreatePresignedNotebookInstanceUrl",
        ),
        ("iam:passrole", "iam:PassRole"),
    ];
    NAMES
        .iter()
        .find(|(k, _)| *k == action)
        .map(|(_, v)| v.to_string())
        .unwrap_or_else(|| action.to_string())
}

/// Finds every escalation of every user and role that is not already admin, and adds the
/// escalations (and the synthetic admin roles they reach) to `inv`.
pub fn escalations(model: &Model<'_>, edges: &[Edge], inv: &mut Inventory) {
    let admin_users: BTreeSet<&str> = model
        .users
        .iter()
        .filter(|u| u.level.privilege == PrivilegeLevel::Admin)
        .map(|u| u.arn)
        .collect();
    let mut masks = HashMap::default();
    for p in model.users.iter().chain(&model.groups).chain(&model.roles) {
        for r in &p.own {
            masks
                .entry(r.doc as *const Document as usize)
                .or_insert_with(|| allow_mask(r.doc));
        }
    }
    // Every method needs an Allow naming one of the SEARCHED actions: a principal whose
    // policies name none of them has no method, and is not searched.
    let principals: Vec<(&Principal<'_>, u32)> = model
        .users
        .iter()
        .chain(&model.roles)
        .filter(|p| p.level.privilege != PrivilegeLevel::Admin)
        .map(|p| (p, principal_mask(model, p, &masks)))
        .filter(|&(_, mask)| mask != 0)
        .collect();
    // The first trust edge without tag gates per (role, principal): looked up for every
    // principal and role pair, so indexed once rather than searched each time; only for the
    // principals that may grant a role a policy (no one else asks).
    let granting: HashSet<&str> = principals
        .iter()
        .filter(|(_, mask)| may_any(*mask, ASSUMED_ROLE_GRANTS.map(|(a, _)| a)))
        .map(|(p, _)| p.arn)
        .collect();
    let mut untagged_trusts: HashMap<&str, HashMap<&str, &Edge>> = HashMap::default();
    if !granting.is_empty() {
        for e in edges.iter().filter(|e| e.tag_gates.is_empty()) {
            if granting.contains(&*e.principal) {
                untagged_trusts
                    .entry(&*e.principal)
                    .or_default()
                    .entry(&*e.role)
                    .or_insert(e);
            }
        }
    }
    let shared = Shared {
        admin_users: model
            .users
            .iter()
            .filter(|u| admin_users.contains(u.arn))
            .collect(),
        admin_groups: model
            .groups
            .iter()
            .filter(|g| g.level.privilege == PrivilegeLevel::Admin)
            .collect(),
        admin_roles: model
            .roles
            .iter()
            .enumerate()
            .filter(|(_, r)| r.level.privilege == PrivilegeLevel::Admin)
            .collect(),
        services: trusted_services(model),
        untagged_trusts,
        role_could_be_admin: model.roles.iter().map(|_| OnceLock::new()).collect(),
    };
    // Each principal's methods are independent: search them in parallel, keep their order.
    use rayon::prelude::*;
    let found: Vec<Found> = principals
        .par_iter()
        .map(|&(p, mask)| {
            let mut found = Vec::new();
            methods(model, p, mask, &shared, &mut found);
            found
        })
        .collect::<Vec<_>>()
        .into_iter()
        .flatten()
        .collect();
    let mut synthetic: BTreeMap<String, String> = BTreeMap::new();
    for f in found {
        if let Some(account) = f
            .target
            .strip_prefix("aws:")
            .and_then(|t| t.strip_suffix(":admin-via-escalation"))
        {
            synthetic
                .entry(f.target.clone())
                .or_insert_with(|| account.to_string());
        }
        inv.escalations.push(Escalation {
            principal: f.principal,
            target: f.target,
            method: f.method,
            provenance: model.provenance(&f.record),
        });
    }
    for (id, account) in synthetic {
        let mut role = Role {
            id: id.clone(),
            name: format!(
                "admin of account {account} (obtainable through IAM privilege escalation)"
            ),
            permissions: vec!["*".to_string()],
            privilege: PrivilegeLevel::Admin,
            scope: Some(account),
            last_used: None,
            tags: BTreeMap::new(),
            // Synthetic: the first principal's record stands for the whole account.
            provenance: model.provenance(""),
        };
        role.tags.insert("residue:synthetic".into(), "true".into());
        role.provenance.record = None;
        inv.roles.push(role);
    }
}
