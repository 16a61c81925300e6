//! PIM role management policies → [`JitPolicy`] records (system `entra-pim`).
//!
//! A policy (`policies/roleManagementPolicies?$expand=rules`) holds the rules; its
//! assignment (`policies/roleManagementPolicyAssignments`, optionally with
//! `$expand=policy($expand=rules)`) names the role and scope it governs. The end-user
//! activation rules are read:
//!
//! | rule id | field | JitPolicy |
//! |---|---|---|
//! | `Expiration_EndUser_Assignment` | `maximumDuration` (`PT8H`), `isExpirationRequired` | `max_window` (none when expiration is not required) |
//! | `Approval_EndUser_Assignment` | `setting.isApprovalRequired` | `approval_required` |
//! | `Enablement_EndUser_Assignment` | `enabledRules` contains `Justification` / `Ticketing` | `justification_required` / `ticket_required` |
//!
//! A rule the export lacks leaves its field unknown (`None`).

use super::build::Directory;
use super::read::{PolicyRules, Tenant};
use crate::model::{Diagnostic, Inventory, JitPolicy, Provenance};
use std::collections::{BTreeMap, BTreeSet};

pub(crate) fn policies(t: &Tenant, d: &mut Directory, inv: &mut Inventory) {
    let mut rules: BTreeMap<String, (Option<PolicyRules>, Provenance)> = BTreeMap::new();
    for p in &t.policies {
        rules
            .entry(p.id.to_lowercase())
            .or_insert_with(|| (p.rules.clone(), p.provenance.clone()));
    }
    for a in &t.policy_assignments {
        if let Some(p) = &a.policy {
            let entry = rules
                .entry(p.id.to_lowercase())
                .or_insert_with(|| (None, p.provenance.clone()));
            if entry.0.is_none() {
                *entry = (p.rules.clone(), p.provenance.clone());
            }
        }
    }
    let mut used: BTreeSet<String> = BTreeSet::new();
    let mut out: BTreeMap<String, JitPolicy> = BTreeMap::new();
    let mut other_scopes = 0usize;
    for a in &t.policy_assignments {
        if a.scope_type
            .as_deref()
            .is_some_and(|s| s.eq_ignore_ascii_case("Group"))
        {
            other_scopes += 1;
            continue;
        }
        used.insert(a.policy_id.to_lowercase());
        let role = d.role(&a.role_definition, &a.scope, None, &a.provenance);
        let (found, at) = match rules.get(&a.policy_id.to_lowercase()) {
            Some((r, p)) => (r.clone(), p.clone()),
            None => (None, a.provenance.clone()),
        };
        if found.is_none() {
            d.diagnostics.push(Diagnostic::info(
                a.provenance.clone(),
                format!(
                    "the rules of policy {} (for {role}) are not in the export; list roleManagementPolicies with $expand=rules, or the assignments with $expand=policy($expand=rules)",
                    a.policy_id
                ),
            ));
        }
        let r = found.unwrap_or_default();
        let id = format!("entra-pim:policy:{}", a.policy_id.to_lowercase());
        let id = if out.contains_key(&id) {
            format!("{id}@{role}")
        } else {
            id
        };
        out.insert(
            id.clone(),
            JitPolicy {
                id,
                system: "entra-pim".to_string(),
                role,
                max_window: r.max_window.flatten(),
                approval_required: r.approval_required,
                justification_required: r.justification_required,
                ticket_required: r.ticket_required,
                provenance: at,
            },
        );
    }
    let unassigned = rules.keys().filter(|k| !used.contains(*k)).count();
    if unassigned > 0 || other_scopes > 0 {
        let at = t
            .policies
            .first()
            .map(|p| p.provenance.clone())
            .or_else(|| t.policy_assignments.first().map(|a| a.provenance.clone()))
            .map(|p| Provenance::new(p.source(), p.file()));
        if let Some(at) = at {
            d.diagnostics.push(Diagnostic::info(
                at,
                format!(
                    "{unassigned} role management polic(ies) with no assignment to a directory role and {other_scopes} PIM for Groups assignment(s) were skipped"
                ),
            ));
        }
    }
    inv.jit_policies.extend(out.into_values());
}
