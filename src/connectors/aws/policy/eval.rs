//! IAM policy evaluation for one principal, the way AWS does it for a request in the
//! principal's own account:
//!
//! 1. an explicit `Deny` in any layer (identity policies, permissions boundary, SCPs) wins;
//! 2. otherwise an identity policy must `Allow` the action on the resource;
//! 3. and, when the principal has a permissions boundary, the boundary must allow it too
//!    (effective = identity ∩ boundary);
//! 4. and, when SCPs are known for the account, at every level of the organisation that has
//!    SCPs (the root, an OU, the account itself) one of that level's SCPs must allow it.
//!
//! Conditions are not evaluated (residue has no request context): an `Allow` guarded by a
//! condition still grants, and the decision carries the condition so the path is reported
//! as conditional; a `Deny` guarded by a condition does not block (some request escapes it).
//!
//! [`Layers::level`] answers "how much can this principal do": **admin** when it may perform
//! every action of [`ADMIN_CORE`] on every IAM resource of its account (`*` on `*` does; so
//! does `iam:*` on `*`, which lets it grant itself anything); otherwise the highest AWS access
//! level (Permissions management > Write/Tagging > Read/List) among the actions it may
//! perform on at least one resource. Actions missing from the table count as Write and are
//! listed in [`Level::unknown`].

use super::matcher::substitute;
use super::{Clause, Document, Effect, Match, Pattern, Statement};
use crate::connectors::aws::actions::{table, Action};
use crate::model::PrivilegeLevel;
use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{Arc, OnceLock, RwLock};

/// The IAM actions that together let a principal give itself any permission. A principal
/// allowed all of them on all of its account's IAM resources is admin.
pub const ADMIN_CORE: [&str; 12] = [
    "iam:attachuserpolicy",
    "iam:attachgrouppolicy",
    "iam:attachrolepolicy",
    "iam:putuserpolicy",
    "iam:putgrouppolicy",
    "iam:putrolepolicy",
    "iam:createpolicyversion",
    "iam:createrole",
    "iam:createuser",
    "iam:createaccesskey",
    "iam:passrole",
    "iam:updateassumerolepolicy",
];

/// The policies that decide what one principal may do.
#[derive(Debug, Clone, Default)]
pub struct Layers<'a> {
    /// Every identity policy: the principal's own (inline and attached) and, for a user,
    /// those of its groups.
    pub identity: Vec<&'a Document>,
    /// Policies whose Deny statements apply but whose Allow statements are not counted:
    /// the principal's other policies, when asking what one policy grants it.
    pub deny_only: Vec<&'a Document>,
    pub boundary: Option<&'a Document>,
    /// SCPs that apply to the principal's account, one entry per level of the organisation
    /// (root, OU, account) that has SCPs: each level must allow an action (one of its SCPs
    /// suffices), and a Deny in any of them wins. Empty when none are known.
    pub scps: Vec<Vec<&'a Document>>,
    /// Policy variables residue knows for the principal (`aws:username`, …).
    pub vars: Vec<(&'static str, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Allowed, under these conditions (none: unconditionally).
    Allow(Vec<Clause>),
    ExplicitDeny,
    ImplicitDeny,
}

impl Decision {
    pub fn allowed(&self) -> bool {
        matches!(self, Decision::Allow(_))
    }
}

/// What a principal may do at most.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Level {
    pub privilege: PrivilegeLevel,
    /// When the highest level is only granted under conditions, those conditions.
    pub conditions: Vec<Clause>,
    /// Actions named in Allow statements that the action table does not know.
    pub unknown: Vec<String>,
}

impl<'a> Layers<'a> {
    fn resources<'s>(&self, s: &'s Statement) -> Cow<'s, Match> {
        let needs = |ps: &[Pattern]| ps.iter().any(|p| p.text.contains("${"));
        let written = match &s.resources {
            Match::Only(ps) | Match::AllBut(ps) => ps,
        };
        if self.vars.is_empty() || !needs(written) {
            return Cow::Borrowed(&s.resources);
        }
        let vars: Vec<(&str, &str)> = self.vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let resolve = |ps: &[Pattern]| -> Vec<Pattern> {
            ps.iter()
                .map(|p| Pattern::new(&substitute(&p.text, &vars)))
                .collect()
        };
        match &s.resources {
            Match::Only(ps) if !vars.is_empty() && needs(ps) => {
                Cow::Owned(Match::Only(resolve(ps)))
            }
            Match::AllBut(ps) if !vars.is_empty() && needs(ps) => {
                Cow::Owned(Match::AllBut(resolve(ps)))
            }
            m => Cow::Borrowed(m),
        }
    }

    fn all_docs(&self) -> impl Iterator<Item = &'a Document> + '_ {
        self.identity
            .iter()
            .copied()
            .chain(self.deny_only.iter().copied())
            .chain(self.boundary)
            .chain(self.scps.iter().flatten().copied())
    }

    /// An unconditional Deny for `action` covering every resource in `target`.
    fn denied(&self, action: &str, target: &Match) -> bool {
        self.all_docs().any(|d| {
            d.statements.iter().any(|s| {
                s.effect == Effect::Deny
                    && s.conditions.is_empty()
                    && s.matches_action(action)
                    && self.resources(s).covers_set(target)
            })
        })
    }

    /// The conditions of the best Allow for `action` in `docs` whose resources satisfy
    /// `fits` (an unconditional one if any), or None.
    fn allowing<'d>(
        &self,
        docs: impl IntoIterator<Item = &'d Document>,
        action: &str,
        fits: impl Fn(&Match) -> bool,
    ) -> Option<Vec<Clause>> {
        let mut conditional: Option<Vec<Clause>> = None;
        for d in docs {
            for s in &d.statements {
                if s.effect == Effect::Allow && s.matches_action(action) && fits(&self.resources(s))
                {
                    if s.conditions.is_empty() {
                        return Some(Vec::new());
                    }
                    conditional.get_or_insert_with(|| s.conditions.clone());
                }
            }
        }
        conditional
    }

    /// Decides `action` (lowercase `service:action`) on one resource ARN.
    pub fn decide(&self, action: &str, resource: &str) -> Decision {
        self.decide_on(action, &Pattern::new(resource))
    }

    /// Decides `action` on every resource `target` matches.
    pub fn decide_on(&self, action: &str, target: &Pattern) -> Decision {
        self.for_action(action).decide_on(target)
    }

    /// Is `action` allowed on at least one resource of `resources` (an Allow statement's)?
    /// Returns the extra conditions the boundary or SCPs add.
    fn survives(&self, action: &str, resources: &Match) -> Option<Vec<Clause>> {
        if self.denied(action, resources) {
            return None;
        }
        let mut conditions = Vec::new();
        if let Some(b) = self.boundary {
            conditions.extend(self.allowing([b], action, |m| m.overlaps_set(resources))?);
        }
        for level in &self.scps {
            conditions.extend(
                self.allowing(level.iter().copied(), action, |m| m.overlaps_set(resources))?,
            );
        }
        Some(conditions)
    }

    /// Is `action` allowed on at least one resource? The conditions of the best allow.
    pub fn allowed_somewhere(&self, action: &str) -> Option<Vec<Clause>> {
        let mut conditional = None;
        for d in &self.identity {
            for s in d.statements.iter().filter(|s| s.effect == Effect::Allow) {
                if !s.matches_action(action) {
                    continue;
                }
                if let Some(mut c) = self.survives(action, &self.resources(s)) {
                    c.extend(s.conditions.iter().cloned());
                    if c.is_empty() {
                        return Some(c);
                    }
                    conditional.get_or_insert(c);
                }
            }
        }
        conditional
    }

    /// How much the principal can do. `account_iam` is the pattern of every IAM resource in
    /// the principal's account (`arn:aws:iam::111122223333:*`).
    pub fn level(&self, account_iam: &Pattern) -> Level {
        let mut admin_conditions = Vec::new();
        let admin = ADMIN_CORE
            .iter()
            .all(|a| match self.decide_on(a, account_iam) {
                Decision::Allow(c) => {
                    admin_conditions.extend(c);
                    true
                }
                _ => false,
            });
        if admin {
            admin_conditions.sort_by(|a, b| (&a.operator, &a.key).cmp(&(&b.operator, &b.key)));
            admin_conditions.dedup();
            return Level {
                privilege: PrivilegeLevel::Admin,
                conditions: admin_conditions,
                unknown: Vec::new(),
            };
        }
        let t = table();
        let mut plain = PrivilegeLevel::None;
        let mut guarded = (PrivilegeLevel::None, Vec::new());
        let mut unknown = Vec::new();
        for d in &self.identity {
            for s in d.statements.iter().filter(|s| s.effect == Effect::Allow) {
                if let Match::Only(ps) = &s.actions {
                    for p in ps {
                        let service = p.text.split_once(':').map(|(s, _)| s).unwrap_or("");
                        let known = if p.has_wildcard() {
                            !p.text.contains(':')
                                || service.contains(['*', '?'])
                                || t.knows_service(service)
                        } else {
                            t.level(&p.text).is_some()
                        };
                        if !known {
                            unknown.push(p.text.clone());
                        }
                    }
                }
                let resources = self.resources(s);
                for action in candidates(s).iter() {
                    let privilege = action.level.privilege();
                    if privilege <= plain {
                        break;
                    }
                    let Some(mut conditions) = self.survives(action.name, &resources) else {
                        continue;
                    };
                    conditions.extend(s.conditions.iter().cloned());
                    if conditions.is_empty() {
                        plain = privilege;
                        break;
                    }
                    if privilege > guarded.0 {
                        guarded = (privilege, conditions);
                    }
                }
            }
        }
        unknown.sort();
        unknown.dedup();
        // Unknown actions count as Write, unless every one of them is denied outright.
        if !unknown.is_empty() && plain < PrivilegeLevel::Write {
            let any_survives = unknown.iter().any(|a| !self.denied(a, &Match::ALL));
            if any_survives {
                plain = PrivilegeLevel::Write;
            }
        }
        if guarded.0 > plain {
            let mut c = guarded.1;
            c.sort_by(|a, b| (&a.operator, &a.key).cmp(&(&b.operator, &b.key)));
            c.dedup();
            Level {
                privilege: guarded.0,
                conditions: c,
                unknown,
            }
        } else {
            Level {
                privilege: plain,
                conditions: Vec::new(),
                unknown,
            }
        }
    }
}

/// The known actions a statement's action set contains, most privileged first.
///
/// Memoized per distinct action set: an organisation attaches the same few hundred policies
/// to thousands of principals, and expanding `s3:*` or a `NotAction` against the whole
/// action table for each of them was most of an authorization-details scan.
fn candidates(s: &Statement) -> Arc<[&'static Action]> {
    type Expansions = RwLock<HashMap<String, Arc<[&'static Action]>>>;
    static CACHE: OnceLock<Expansions> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let key = action_set_key(&s.actions);
    if let Some(hit) = cache.read().unwrap_or_else(|e| e.into_inner()).get(&key) {
        return Arc::clone(hit);
    }
    let computed: Arc<[&'static Action]> = expand(&s.actions).into();
    let mut map = cache.write().unwrap_or_else(|e| e.into_inner());
    Arc::clone(map.entry(key).or_insert(computed))
}

/// The action set as text: equal keys expand to the same actions.
fn action_set_key(m: &Match) -> String {
    let (tag, patterns) = match m {
        Match::Only(ps) => ('+', ps),
        Match::AllBut(ps) => ('-', ps),
    };
    let mut key = String::from(tag);
    for p in patterns {
        key.push_str(&p.text);
        key.push('\n');
    }
    key
}

fn expand(actions: &Match) -> Vec<&'static Action> {
    let t = table();
    match actions {
        Match::Only(ps)
            if ps.iter().all(|p| {
                p.text
                    .split_once(':')
                    .is_some_and(|(svc, _)| !svc.contains(['*', '?']))
            }) =>
        {
            let mut v: Vec<&Action> = ps.iter().flat_map(|p| t.matching(p)).collect();
            v.sort_by(|a, b| b.level.cmp(&a.level).then_with(|| a.name.cmp(b.name)));
            v.dedup_by(|a, b| a.name == b.name);
            v
        }
        m => t.all().iter().filter(|a| m.matches(a.name)).collect(),
    }
}

mod one_action;

pub use one_action::ActionRules;

#[cfg(test)]
mod tests;
