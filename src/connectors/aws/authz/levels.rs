//! The privilege levels emission asks of policies, each computed once: a managed policy is
//! attached to many principals, and a group's policies are asked about for every member.

use super::{account_iam, Model, PolicyRef, Principal};
use crate::connectors::aws::arn::Arn;
use crate::connectors::aws::policy::eval::{Layers, Level};
use crate::connectors::aws::policy::{Document, Effect, Match};
use crate::model::PrivilegeLevel;
use foldhash::HashMap;

pub struct PolicyLevels<'m, 'a> {
    model: &'m Model<'a>,
    /// (document address, partition, account) → what the document gives on its own to a
    /// principal of that account.
    alone: HashMap<(usize, String, String), Level>,
    /// Per group (`model.groups` order), what each of its policies gives the group.
    groups: Vec<Vec<PrivilegeLevel>>,
}

impl<'m, 'a> PolicyLevels<'m, 'a> {
    pub fn new(model: &'m Model<'a>) -> Self {
        let mut levels = PolicyLevels {
            model,
            alone: HashMap::default(),
            groups: Vec::new(),
        };
        levels.groups = model
            .groups
            .iter()
            .map(|g| {
                g.own
                    .iter()
                    .map(|policy| levels.for_principal(g, policy).privilege)
                    .collect()
            })
            .collect();
        levels
    }

    /// The policy's own level (no principal context): what it gives anyone it is attached to,
    /// in the policy's account (a managed policy's; an inline policy's owner's).
    pub fn global(&mut self, policy: &PolicyRef<'a>, p: &Principal<'a>) -> Level {
        let account = policy
            .managed_arn
            .and_then(|a| Arn::parse(a).ok())
            .map(|a| a.account)
            .unwrap_or_else(|| p.account.clone());
        self.alone(policy.doc, &p.partition, account)
    }

    /// What one of `p`'s policies gives `p`, with `p`'s other policies' denies, its boundary
    /// and its SCPs ([`Model::policy_level_for`]).
    pub fn for_principal(&mut self, p: &Principal<'a>, policy: &PolicyRef<'a>) -> Level {
        // Without a Deny among its policies, a boundary or SCPs, nothing of `p` but its
        // policy variables acts on the policy: a policy without variables then gives `p` what
        // it gives on its own in `p`'s account.
        if self.unrestricted(p) && !uses_variables(policy.doc) {
            return self.alone(policy.doc, &p.partition, p.account.clone());
        }
        self.model.policy_level_for(p, policy)
    }

    /// What the group's `k`th policy gives the group `g` (an index in `model.groups`).
    pub fn group(&self, g: usize, k: usize) -> PrivilegeLevel {
        self.groups[g][k]
    }

    fn alone(&mut self, doc: &'a Document, partition: &str, account: String) -> Level {
        let key = (
            doc as *const Document as usize,
            partition.to_string(),
            account,
        );
        self.alone
            .entry(key)
            .or_insert_with_key(|(_, partition, account)| {
                Layers {
                    identity: vec![doc],
                    ..Layers::default()
                }
                .level(&account_iam(partition, account))
            })
            .clone()
    }

    /// No Deny statement among `p`'s identity policies, no boundary, no SCPs.
    fn unrestricted(&self, p: &Principal<'a>) -> bool {
        let groups = p.groups.iter().flat_map(|&g| &self.model.groups[g].own);
        p.boundary.is_none()
            && p.scps.is_empty()
            && p.own
                .iter()
                .chain(groups)
                .all(|r| r.doc.statements.iter().all(|s| s.effect != Effect::Deny))
    }
}

/// Does a resource of the document name a policy variable (`${aws:username}`)?
fn uses_variables(doc: &Document) -> bool {
    doc.statements.iter().any(|s| {
        let (Match::Only(ps) | Match::AllBut(ps)) = &s.resources;
        ps.iter().any(|p| p.text.contains("${"))
    })
}
