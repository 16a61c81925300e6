//! One principal's layers as the escalation search asks them: the same few actions on many
//! resources (every admin user and role of the account). The statements deciding an action
//! are picked out once per action, and "allowed on some resource" is answered once.

use super::may;
use crate::connectors::aws::policy::eval::{ActionRules, Decision, Layers};
use crate::connectors::aws::policy::{Clause, Pattern};
use std::cell::RefCell;

/// An action, and the conditions of its best Allow on some resource (None: allowed nowhere).
type Somewhere = (&'static str, Option<Vec<Clause>>);

pub(super) struct Asker<'l, 'a> {
    layers: &'l Layers<'a>,
    /// The Allow bits of the principal's identity policies (see [`super::allow_mask`]).
    mask: u32,
    rules: RefCell<Vec<(&'static str, ActionRules<'a>)>>,
    somewhere: RefCell<Vec<Somewhere>>,
}

impl<'l, 'a> Asker<'l, 'a> {
    pub(super) fn new(layers: &'l Layers<'a>, mask: u32) -> Self {
        Asker {
            layers,
            mask,
            rules: RefCell::new(Vec::new()),
            somewhere: RefCell::new(Vec::new()),
        }
    }

    /// The conditions under which `action` is allowed on the resource ARN, or None.
    pub(super) fn allow(&self, action: &'static str, resource: &str) -> Option<Vec<Clause>> {
        if !may(self.mask, action) {
            return None;
        }
        self.allow_on(action, &Pattern::new(resource))
    }

    /// The conditions under which `action` is allowed on every resource `target` matches.
    pub(super) fn allow_on(&self, action: &'static str, target: &Pattern) -> Option<Vec<Clause>> {
        if !may(self.mask, action) {
            return None;
        }
        let mut rules = self.rules.borrow_mut();
        let i = match rules.iter().position(|(a, _)| *a == action) {
            Some(i) => i,
            None => {
                rules.push((action, self.layers.for_action(action)));
                rules.len() - 1
            }
        };
        match rules[i].1.decide_on(target) {
            Decision::Allow(c) => Some(c),
            _ => None,
        }
    }

    /// [`Layers::allowed_somewhere`], once per action.
    pub(super) fn allowed_somewhere(&self, action: &'static str) -> Option<Vec<Clause>> {
        if !may(self.mask, action) {
            return None;
        }
        let mut known = self.somewhere.borrow_mut();
        if let Some((_, answer)) = known.iter().find(|(a, _)| *a == action) {
            return answer.clone();
        }
        let answer = self.layers.allowed_somewhere(action);
        known.push((action, answer.clone()));
        answer
    }
}
