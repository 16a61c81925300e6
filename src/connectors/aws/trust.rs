//! Trust policies: who may assume each role, and JIT eligibility through a broker.
//!
//! For each `Allow` statement of a role's trust policy whose actions include
//! `sts:AssumeRole`, `sts:AssumeRoleWithSAML` or `sts:AssumeRoleWithWebIdentity`:
//! - a **user or role ARN** of the scan may assume the role unless its own policies (or its
//!   account's SCPs) deny `sts:AssumeRole` on it (across accounts its identity policy must
//!   also allow it);
//! - an **account root** (`arn:aws:iam::ACCOUNT:root` or the bare account id) delegates to the
//!   account: every user and role of that account in the scan whose identity policies
//!   allow `sts:AssumeRole` on the role may assume it, with those policies' conditions added;
//! - a **service** (`ec2.amazonaws.com`) becomes the workload identity `service:NAME` (owner
//!   `aws`, the operator of the service), so instance-profile and service use is visible;
//! - a **federated** provider becomes the workload identity `federated:PROVIDER`;
//! - `"*"` becomes the identity `aws:anyone`;
//! - principals of accounts that no authorization-details file of the scan describes become
//!   identities named by their ARN, tagged `residue:external=true`.
//!
//! "The scan" is every authorization-details file read together
//! ([`crate::connectors::aws::load_accounts`]): a trust in account A naming account B's root
//! or one of B's users or roles links to B's real principals when B's file is in the scan,
//! evaluated with B's policies, boundaries and SCPs; so role chains cross accounts.
//!
//! The statement's conditions stay on the trust edge, classified (MFA, time, network,
//! principal tag). An unconditional `Deny` statement naming a principal (or `*`) removes it.

use super::arn::Arn;
use super::authz::parse::{Role, Tag};
use super::authz::{Model, Principal, PrincipalKind, Scope};
use super::policy::eval::{ActionRules, Decision};
use super::policy::{conditions, Effect, Pattern, Statement};
use crate::connectors::ConnectorSettings;
use crate::model::{
    Assignment, AssignmentKind, Condition, Diagnostic, Identity, IdentityKind, Inventory,
    Provenance, Trust, Window,
};
use foldhash::{HashMap, HashSet};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, OnceLock};

const ASSUME: [&str; 3] = [
    "sts:assumerole",
    "sts:assumerolewithsaml",
    "sts:assumerolewithwebidentity",
];

/// One trust edge before JIT is applied: the trust it becomes if it stays standing (its
/// fields read through the edge), and what JIT eligibility needs to know besides.
///
/// The trust's role ARN is shared by the role's edges; its principal id, for a principal an
/// account-root trust delegates to, by the edges of a parallel task (see [`PrincipalIds`]);
/// its provenance (`/RoleDetailList/3/AssumeRolePolicyDocument`) by all the edges of the role.
#[derive(Debug, Clone)]
pub struct Edge {
    trust: Trust,
    /// `aws:PrincipalTag/KEY` conditions of the trust statement (`StringEquals`/`StringLike`):
    /// the tag key and the values that open the trust.
    pub tag_gates: Vec<(String, Vec<String>)>,
}

impl std::ops::Deref for Edge {
    type Target = Trust;

    fn deref(&self) -> &Trust {
        &self.trust
    }
}

fn is_assume(s: &Statement) -> bool {
    ASSUME.iter().any(|a| s.matches_action(a))
}

/// The id and identity of a principal that is not a user or role of the export.
fn external(
    id: String,
    name: String,
    kind: IdentityKind,
    owner: Option<&str>,
    model: &Model<'_>,
    record: &str,
) -> Identity {
    let mut i = Identity::new(id, kind, model.provenance(record));
    i.name = name;
    i.owner = owner.map(str::to_string);
    i.tags.insert("residue:external".into(), "true".into());
    i
}

/// The users and roles of one account (in [`Scope::principals_of`] order) that an identity
/// policy allows `sts:AssumeRole` somewhere, with the statements that decide it. A trust
/// naming the account root delegates to these; the others cannot be allowed whatever the role.
type Assumers<'m, 'a> = Vec<Assumer<'m, 'a>>;

struct Assumer<'m, 'a> {
    principal: &'m Principal<'a>,
    rules: ActionRules<'a>,
    /// When the rules name no particular role (`"Resource": "*"`), whether any role may be
    /// assumed and under which conditions: decided once rather than once per role.
    anywhere: Option<Option<Vec<Condition>>>,
}

impl Assumer<'_, '_> {
    /// May the principal assume `role`, and under which of its own conditions?
    fn may_assume(&self, role: &Pattern) -> Option<Vec<Condition>> {
        match &self.anywhere {
            Some(decided) => decided.clone(),
            None => allowed_under(self.rules.decide_on(role)),
        }
    }
}

/// The conditions an Allow holds under, classified; None for a deny.
fn allowed_under(decision: Decision) -> Option<Vec<Condition>> {
    match decision {
        Decision::Allow(c) => Some(conditions::to_conditions(&c)),
        _ => None,
    }
}

fn assumers<'m, 'a>(scope: &Scope<'m, 'a>, account: &str) -> Assumers<'m, 'a> {
    scope
        .principals_of(account)
        .filter_map(|(m, q)| {
            let rules = m.layers(q).for_action("sts:assumerole");
            rules.may_allow().then(|| {
                let anywhere = rules.decide_anywhere().map(allowed_under);
                Assumer {
                    principal: q,
                    rules,
                    anywhere,
                }
            })
        })
        .collect()
}

/// Computes every trust edge; adds identities for services, federated providers, anyone
/// and external principals to `inv`. Roles are worked out in parallel; edges, identities and
/// notes come out in the roles' order, as when done one after the other.
pub fn trusts<'m, 'a>(
    model: &'m Model<'a>,
    scope: &Scope<'m, 'a>,
    inv: &mut Inventory,
) -> Vec<Edge> {
    use rayon::prelude::*;
    let accounts = scope.accounts();
    // Per account a root trust may name: who could assume a role of it, computed once, by
    // the first role that needs it.
    let assumers_by_account: HashMap<&str, OnceLock<Assumers<'m, 'a>>> = accounts
        .iter()
        .map(|&account| (account, OnceLock::new()))
        .collect();
    let context = RoleContext {
        model,
        scope,
        accounts: &accounts,
        assumers_by_account: &assumers_by_account,
    };
    let per_role: Vec<RoleTrusts> = model
        .roles
        .par_chunks(ROLES_PER_TASK)
        .zip(model.details.role_detail_list.par_chunks(ROLES_PER_TASK))
        .flat_map_iter(|(roles, raws)| {
            // The ids of the principals an account-root trust delegates to, shared by this
            // task's edges: each task has its own, so that two threads never count references
            // to the same id (22,000 edges from 40 principals made that the trusts' main cost).
            let mut ids = PrincipalIds::default();
            roles
                .iter()
                .zip(raws)
                .map(|(r, raw)| context.role_trusts(r, raw, &mut ids))
                .collect::<Vec<_>>()
        })
        .collect();
    let mut edges = Vec::with_capacity(per_role.iter().map(|t| t.edges.len()).sum());
    let mut identities: BTreeMap<String, Identity> = BTreeMap::new();
    for t in per_role {
        edges.extend(t.edges);
        inv.diagnostics.extend(t.diagnostics);
        for (id, identity) in t.identities {
            identities.entry(id).or_insert(identity);
        }
    }
    inv.identities.extend(identities.into_values());
    edges
}

/// Roles per parallel task when trusts are worked out.
const ROLES_PER_TASK: usize = 16;

/// One task's ids of the principals account-root trusts delegate to, by [`Assumer`].
type PrincipalIds = HashMap<usize, Arc<str>>;

/// What every role's trust policy is read against.
struct RoleContext<'c, 'm, 'a> {
    model: &'m Model<'a>,
    scope: &'c Scope<'m, 'a>,
    /// The accounts some authorization-details file of the scan describes.
    accounts: &'c BTreeSet<&'c str>,
    assumers_by_account: &'c HashMap<&'c str, OnceLock<Assumers<'m, 'a>>>,
}

/// One role's trust edges, the identities they name that are not users or roles of the scan
/// (in the order first named), and the notes its trust policy raised.
#[derive(Default)]
struct RoleTrusts {
    edges: Vec<Edge>,
    identities: Vec<(String, Identity)>,
    diagnostics: Vec<Diagnostic>,
}

/// Adds the identity `id` to one role's list unless the role named it already.
fn name(identities: &mut Vec<(String, Identity)>, id: &str, make: impl FnOnce() -> Identity) {
    if !identities.iter().any(|(known, _)| known == id) {
        identities.push((id.to_string(), make()));
    }
}

impl<'c, 'm, 'a> RoleContext<'c, 'm, 'a> {
    fn assumers(&self, account: &str) -> Option<&'c Assumers<'m, 'a>> {
        self.assumers_by_account
            .get(account)
            .map(|cell| cell.get_or_init(|| assumers(self.scope, account)))
    }

    fn role_trusts(
        &self,
        r: &'m Principal<'a>,
        raw: &'a Role,
        ids: &mut PrincipalIds,
    ) -> RoleTrusts {
        let (model, scope) = (self.model, self.scope);
        let Some(doc) = &raw.assume_role_policy_document else {
            return RoleTrusts::default();
        };
        let mut edges = Vec::new();
        let mut identities: Vec<(String, Identity)> = Vec::new();
        let mut diagnostics = Vec::new();
        let record = format!("{}/AssumeRolePolicyDocument", r.record);
        let provenance = model.provenance(&record);
        let role: Arc<str> = Arc::from(r.arn);
        let mut role_pattern: Option<Pattern> = None;
        let denied: Vec<&Statement> = doc
            .statements
            .iter()
            .filter(|s| s.effect == Effect::Deny && s.conditions.is_empty() && is_assume(s))
            .collect();
        let blocked = |principal_arn: &str, account: &str| {
            denied.iter().any(|s| {
                s.principals.as_ref().is_some_and(|p| {
                    !s.not_principal
                        && (p.anyone
                            || p.aws.iter().any(|a| {
                                a == principal_arn
                                    || a == account
                                    || *a == Arn::account_root("aws", account)
                            }))
                })
            })
        };
        for s in doc
            .statements
            .iter()
            .filter(|s| s.effect == Effect::Allow && is_assume(s))
        {
            let Some(p) = &s.principals else { continue };
            let conds: Arc<[Condition]> = conditions::to_conditions(&s.conditions).into();
            let tag_gates: Vec<(String, Vec<String>)> = s
                .conditions
                .iter()
                .filter(|c| {
                    c.operator.starts_with("StringEquals") || c.operator.starts_with("StringLike")
                })
                .filter_map(|c| {
                    let key = c
                        .key
                        .get(..17)
                        .filter(|k| k.eq_ignore_ascii_case("aws:PrincipalTag/"))?;
                    Some((c.key[key.len()..].to_string(), c.values.clone()))
                })
                .collect();
            let mut push = |principal: Arc<str>, extra: Vec<Condition>| {
                // `conds` is sorted and without duplicates already: shared as it is.
                let conditions = if extra.is_empty() {
                    Arc::clone(&conds)
                } else {
                    let mut c = conds.to_vec();
                    c.extend(extra);
                    c.sort();
                    c.dedup();
                    c.into()
                };
                edges.push(Edge {
                    trust: Trust {
                        role: Arc::clone(&role),
                        principal,
                        conditions,
                        provenance: provenance.clone(),
                    },
                    tag_gates: tag_gates.clone(),
                });
            };
            if s.not_principal {
                diagnostics.push(Diagnostic::warning(model.provenance(&record), format!(
                    "role {}'s trust policy allows everyone except a NotPrincipal list: treated as anyone", r.name
                )));
            }
            if p.anyone || s.not_principal {
                name(&mut identities, "aws:anyone", || {
                    external(
                        "aws:anyone".into(),
                        "any AWS principal (Principal: *)".into(),
                        IdentityKind::Workload,
                        None,
                        model,
                        &record,
                    )
                });
                push("aws:anyone".into(), Vec::new());
            }
            for svc in &p.service {
                let id = format!("service:{svc}");
                name(&mut identities, &id, || {
                    external(
                        id.clone(),
                        id.clone(),
                        IdentityKind::Workload,
                        Some("aws"),
                        model,
                        &record,
                    )
                });
                push(id.into(), Vec::new());
            }
            for fed in &p.federated {
                let id = format!("federated:{fed}");
                name(&mut identities, &id, || {
                    external(
                        id.clone(),
                        id.clone(),
                        IdentityKind::Workload,
                        None,
                        model,
                        &record,
                    )
                });
                push(id.into(), Vec::new());
            }
            for other in &p.other {
                diagnostics.push(Diagnostic::info(
                    model.provenance(&record),
                    format!("role {}'s trust names principal `{other}`, a type residue does not model; skipped", r.name),
                ));
            }
            for aws in &p.aws {
                let root = if aws.len() == 12 && aws.bytes().all(|b| b.is_ascii_digit()) {
                    Arn::account_root(&r.partition, aws)
                } else {
                    aws.clone()
                };
                let Ok(arn) = Arn::parse(&root) else {
                    diagnostics.push(Diagnostic::info(
                        model.provenance(&record),
                        format!("role {}'s trust names `{aws}`, not an ARN (a deleted principal's unique id?); skipped", r.name),
                    ));
                    continue;
                };
                if blocked(&root, &arn.account) {
                    continue;
                }
                let in_export = self.accounts.contains(arn.account.as_str());
                if arn.resource == "root" {
                    if !in_export {
                        name(&mut identities, &root, || {
                            external(
                                root.clone(),
                                format!("AWS account {} (not in this scan)", arn.account),
                                IdentityKind::Workload,
                                None,
                                model,
                                &record,
                            )
                        });
                        push(root.as_str().into(), Vec::new());
                        continue;
                    }
                    let candidates = self.assumers(&arn.account).map_or(&[][..], Vec::as_slice);
                    for a in candidates {
                        let q = a.principal;
                        if q.arn == r.arn || blocked(q.arn, &q.account) {
                            continue;
                        }
                        let role_pattern = role_pattern.get_or_insert_with(|| Pattern::new(r.arn));
                        if let Some(extra) = a.may_assume(role_pattern) {
                            let id = ids
                                .entry(a as *const Assumer as usize)
                                .or_insert_with(|| Arc::from(q.arn));
                            push(Arc::clone(id), extra);
                        }
                    }
                    continue;
                }
                // An STS session ARN (`assumed-role/NAME/session`) stands for its role.
                let session_role = arn
                    .assumed_role_name()
                    .and_then(|name| scope.role_named(&arn.account, name));
                let named = scope.principal(&root).or(session_role);
                match named {
                    Some((m, q)) => {
                        let decision = m.layers(q).decide("sts:assumerole", r.arn);
                        let cross = q.account != r.account;
                        match decision {
                            Decision::ExplicitDeny => {}
                            Decision::Allow(c) => push(q.arn.into(), conditions::to_conditions(&c)),
                            Decision::ImplicitDeny if !cross => push(q.arn.into(), Vec::new()),
                            Decision::ImplicitDeny => {}
                        }
                    }
                    None if in_export => diagnostics.push(Diagnostic::info(
                        model.provenance(&record),
                        format!("role {}'s trust names {root}, which is not in its account's authorization details (deleted?); skipped", r.name),
                    )),
                    None => {
                        name(&mut identities, &root, || {
                            external(root.clone(), format!("{root} (not in this scan)"), IdentityKind::Workload, None, model, &record)
                        });
                        push(root.as_str().into(), Vec::new());
                    }
                }
            }
        }
        RoleTrusts {
            edges,
            identities,
            diagnostics,
        }
    }
}

/// Is the role JIT-eligible by residue.yaml's `jit.eligible_roles` tags or names? `tags` are
/// the role's tags as exported (for a key given twice, the last value counts).
fn marked_eligible(settings: &ConnectorSettings, r: &Principal<'_>, tags: &[Tag]) -> bool {
    settings
        .eligible_role_tags
        .iter()
        .any(|(k, v)| tags.iter().rev().find(|t| t.key == *k).map(|t| &t.value) == Some(v))
        || settings
            .eligible_role_names
            .iter()
            .any(|glob| Pattern::new(glob).matches(r.name))
}

/// Does `broker` (an ARN from `jit.brokers`, a role, user or STS session ARN) name `principal`?
fn is_broker(settings: &ConnectorSettings, model: &Model<'_>, principal: &str) -> bool {
    settings.jit_brokers.iter().any(|b| {
        if b == principal {
            return true;
        }
        // An STS session ARN of a broker role names the role by name.
        match Arn::parse(b) {
            Ok(a) => a.assumed_role_name().is_some_and(|name| {
                model
                    .role_by_arn(principal)
                    .is_some_and(|r| r.name == name && r.account == a.account)
            }),
            Err(_) => false,
        }
    })
}

/// JIT eligibility, in two halves: [`plan_jit`] adds the eligible assignments and the notes
/// and decides which edges stay standing; [`keep_standing`] pushes those as trusts.
///
/// A trust to a JIT-eligible role that requires a principal tag (`aws:PrincipalTag/KEY`, the
/// tag a broker sets for the grant's window) is eligibility for a user who does not carry the
/// tag now, and standing (lingering) access for one who does.
///
/// A role is JIT-eligible when residue.yaml marks it by tag or name, or (with
/// `assumable_by_brokers`) when a broker may assume it. The trust from a broker to a
/// JIT-eligible role is not standing for anyone: it becomes eligible assignments of the
/// principals the broker serves — the users and identities allowed to assume the broker
/// role; or, when the broker is not a role of the export or only services may assume it,
/// every human user of the role's account (users whose `residue:kind` tag names a non-human
/// kind do not ask a broker for access). Other trusts to a JIT-eligible role stay standing
/// (that is SP002's "standing privilege behind JIT").
///
/// The plan reads the edges only, so it may run beside other readers of them (the
/// escalation search).
pub fn plan_jit(
    model: &Model<'_>,
    settings: &ConnectorSettings,
    edges: &[Edge],
    inv: &mut Inventory,
) -> JitPlan {
    // Per edge: is its principal a broker? (Asked once per principal, not once per edge;
    // without brokers configured, of no one.)
    let from_broker: Vec<bool> = if settings.jit_brokers.is_empty() {
        vec![false; edges.len()]
    } else {
        let mut broker_of: HashMap<&str, bool> = HashMap::default();
        edges
            .iter()
            .map(|e| {
                *broker_of
                    .entry(&*e.principal)
                    .or_insert_with(|| is_broker(settings, model, &e.principal))
            })
            .collect()
    };
    // The roles a broker may assume, and (when eligibility is by tag) each role ARN's first
    // record, which has its tags.
    let broker_roles: HashSet<&str> = edges
        .iter()
        .zip(&from_broker)
        .filter(|(_, &b)| b)
        .map(|(e, _)| &*e.role)
        .collect();
    let mut first_record: HashMap<&str, &Role> = HashMap::default();
    if !settings.eligible_role_tags.is_empty() {
        for raw in &model.details.role_detail_list {
            first_record.entry(raw.arn.as_str()).or_insert(raw);
        }
    }
    let eligible: HashSet<&str> = model
        .roles
        .iter()
        .filter(|r| {
            let tags = first_record.get(r.arn).map_or(&[][..], |raw| &raw.tags);
            marked_eligible(settings, r, tags)
                || (settings.eligible_if_broker_can_assume && broker_roles.contains(r.arn))
        })
        .map(|r| r.arn)
        .collect();
    let mut eligible_assignments: BTreeMap<(String, String), Provenance> = BTreeMap::new();
    let mut gated: BTreeSet<usize> = BTreeSet::new();
    for (i, e) in edges.iter().enumerate() {
        if !eligible.contains(&*e.role) || e.tag_gates.is_empty() {
            continue;
        }
        let user = model
            .details
            .user_detail_list
            .iter()
            .find(|u| u.arn == *e.principal);
        let role_tags = model
            .details
            .role_detail_list
            .iter()
            .find(|r| r.arn == *e.principal)
            .map(|r| &r.tags);
        let Some(tags) = user.map(|u| &u.tags).or(role_tags) else {
            continue;
        };
        let carries = e.tag_gates.iter().all(|(key, values)| {
            tags.iter()
                .any(|t| t.key == *key && values.iter().any(|v| Pattern::new(v).matches(&t.value)))
        });
        if carries {
            inv.diagnostics.push(Diagnostic::info(
                e.provenance.clone(),
                format!(
                    "{} carries the principal tag that opens JIT-eligible role {} now: the trust counts as standing",
                    e.principal, e.role
                ),
            ));
            continue;
        }
        gated.insert(i);
        if user.is_none() {
            // A role's sessions carry the tag only when a grant passes it as a session tag:
            // that is the grant, not standing access.
            inv.diagnostics.push(Diagnostic::info(
                e.provenance.clone(),
                format!(
                    "role {} lacks the principal tag that opens JIT-eligible role {}: not counted as a standing trust",
                    e.principal, e.role
                ),
            ));
            continue;
        }
        // The tag is what the broker grants: until it does, the user is only eligible.
        eligible_assignments
            .entry((e.principal.to_string(), e.role.to_string()))
            .or_insert_with(|| e.provenance.clone());
    }
    for (e, &by_broker) in edges.iter().zip(&from_broker) {
        if !(eligible.contains(&*e.role) && by_broker) {
            continue;
        }
        let Some(role) = model.role_by_arn(&e.role) else {
            continue;
        };
        let served = served_by(model, edges, &e.principal, &role.account);
        inv.diagnostics.push(Diagnostic::info(
            e.provenance.clone(),
            format!(
                "role {} is JIT-eligible and broker {} may assume it: modelled as eligibility for {} principal(s), not as a standing trust",
                role.name,
                e.principal,
                served.len()
            ),
        ));
        for s in served {
            eligible_assignments
                .entry((s, e.role.to_string()))
                .or_insert_with(|| e.provenance.clone());
        }
    }
    for ((subject, role), provenance) in eligible_assignments {
        inv.assignments.push(Assignment {
            subject: subject.into(),
            role: role.into(),
            kind: AssignmentKind::Eligible,
            window: Window::UNBOUNDED,
            last_used: None,
            provenance,
        });
    }
    let not_standing = edges
        .iter()
        .zip(from_broker)
        .enumerate()
        .map(|(i, (e, by_broker))| gated.contains(&i) || (by_broker && eligible.contains(&*e.role)))
        .collect();
    JitPlan { not_standing }
}

/// Which trust edges JIT turns into eligibility (or leaves out): one flag per edge.
pub struct JitPlan {
    not_standing: Vec<bool>,
}

/// The second half of [`plan_jit`]: the edges the plan leaves standing become trusts.
pub fn keep_standing(edges: Vec<Edge>, plan: &JitPlan, inv: &mut Inventory) {
    // Collected in place: the trusts take over the edges' allocation.
    let standing: Vec<Trust> = edges
        .into_iter()
        .enumerate()
        .filter_map(|(i, e)| (!plan.not_standing[i]).then_some(e.trust))
        .collect();
    if inv.trusts.is_empty() {
        inv.trusts = standing;
    } else {
        inv.trusts.extend(standing);
    }
}

/// The identities a broker serves (see [`plan_jit`]).
fn served_by(model: &Model<'_>, edges: &[Edge], broker: &str, account: &str) -> Vec<String> {
    let is_role = model.role_by_arn(broker).is_some();
    let mut served: BTreeSet<String> = BTreeSet::new();
    if is_role {
        for e in edges.iter().filter(|e| &*e.role == broker) {
            let user = model.user_by_arn(&e.principal).is_some();
            let person_like = user
                || !(e.principal.starts_with("service:")
                    || model.role_by_arn(&e.principal).is_some());
            if person_like && model.role_by_arn(&e.principal).is_none() {
                served.insert(e.principal.to_string());
            }
        }
    }
    if served.is_empty() {
        // People ask a broker for access; service users (tagged `residue:kind`) do not.
        served = model
            .users
            .iter()
            .zip(&model.details.user_detail_list)
            .filter(|(u, raw)| {
                u.account == account
                    && u.kind == PrincipalKind::User
                    && u.arn != broker
                    && !raw
                        .tags
                        .iter()
                        .any(|t| t.key == "residue:kind" && t.value != "human")
            })
            .map(|(u, _)| u.arn.to_string())
            .collect();
    }
    served.into_iter().collect()
}
