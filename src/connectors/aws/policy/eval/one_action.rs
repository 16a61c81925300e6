//! The statements of a principal's layers that speak about one action, picked out once.
//!
//! Deciding one action on many resources (a trust naming an account root asks
//! `sts:AssumeRole` of every principal of the account on every role that trusts it) then
//! reads the handful of statements that name the action instead of every policy again.

use super::{Decision, Layers};
use crate::connectors::aws::policy::{Clause, Effect, Match, Pattern};
use std::borrow::Cow;

/// One Allow statement naming the action: its resources (policy variables resolved for the
/// principal) and its conditions.
#[derive(Debug, Clone)]
struct Grant<'a> {
    resources: Cow<'a, Match>,
    conditions: &'a [Clause],
}

/// What decides one action for one principal (see [`Layers::for_action`]).
#[derive(Debug, Clone)]
pub struct ActionRules<'a> {
    /// The resources of every unconditional Deny naming the action, in every layer.
    denies: Vec<Cow<'a, Match>>,
    /// The Allow statements of the identity policies.
    identity: Vec<Grant<'a>>,
    /// The boundary's Allow statements, when the principal has a boundary.
    boundary: Option<Vec<Grant<'a>>>,
    /// Each SCP level's Allow statements.
    scps: Vec<Vec<Grant<'a>>>,
}

impl<'a> Layers<'a> {
    /// The statements of these layers that decide `action` (lowercase `service:action`).
    pub fn for_action(&self, action: &str) -> ActionRules<'a> {
        let grants = |docs: &[&'a crate::connectors::aws::policy::Document]| -> Vec<Grant<'a>> {
            docs.iter()
                .flat_map(|d| &d.statements)
                .filter(|s| s.effect == Effect::Allow && s.matches_action(action))
                .map(|s| Grant {
                    resources: self.resources(s),
                    conditions: &s.conditions,
                })
                .collect()
        };
        let denies = self
            .all_docs()
            .flat_map(|d| &d.statements)
            .filter(|s| {
                s.effect == Effect::Deny && s.conditions.is_empty() && s.matches_action(action)
            })
            .map(|s| self.resources(s))
            .collect();
        ActionRules {
            denies,
            identity: grants(&self.identity),
            boundary: self.boundary.map(|b| grants(&[b])),
            scps: self.scps.iter().map(|level| grants(level)).collect(),
        }
    }
}

impl ActionRules<'_> {
    /// Could the action be allowed anywhere? (Without an identity Allow naming it, never.)
    pub fn may_allow(&self) -> bool {
        !self.identity.is_empty()
    }

    /// The decision on any resource, when it does not depend on the resource: every
    /// statement deciding the action names all resources (`"Resource": "*"`), as identity
    /// policies granting `sts:AssumeRole` mostly do. None when some statement names
    /// particular resources (then ask [`ActionRules::decide_on`] per resource).
    pub fn decide_anywhere(&self) -> Option<Decision> {
        let grants_everywhere =
            |grants: &[Grant<'_>]| grants.iter().all(|g| g.resources.is_everything());
        let uniform = self.denies.iter().all(|m| m.is_everything())
            && grants_everywhere(&self.identity)
            && self.boundary.as_deref().is_none_or(grants_everywhere)
            && self.scps.iter().all(|level| grants_everywhere(level));
        uniform.then(|| self.decide_on(&Pattern::new("*")))
    }

    /// Decides the action on every resource `target` matches: an unconditional Deny covering
    /// it wins; otherwise an identity Allow, the boundary and every SCP level must cover it.
    pub fn decide_on(&self, target: &Pattern) -> Decision {
        if self.denies.iter().any(|m| m.covers(target)) {
            return Decision::ExplicitDeny;
        }
        let Some(mut conditions) = best(&self.identity, target) else {
            return Decision::ImplicitDeny;
        };
        for layer in self.boundary.iter().chain(&self.scps) {
            match best(layer, target) {
                Some(c) => conditions.extend(c),
                None => return Decision::ImplicitDeny,
            }
        }
        Decision::Allow(conditions)
    }
}

/// The conditions of the best grant covering `target` (an unconditional one if any), or
/// None: the first unconditional grant wins, else the first conditional one.
fn best(grants: &[Grant<'_>], target: &Pattern) -> Option<Vec<Clause>> {
    let mut conditional: Option<&[Clause]> = None;
    for g in grants.iter().filter(|g| g.resources.covers(target)) {
        if g.conditions.is_empty() {
            return Some(Vec::new());
        }
        conditional.get_or_insert(g.conditions);
    }
    conditional.map(<[Clause]>::to_vec)
}
