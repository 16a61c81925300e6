//! Rule family SP: standing privilege — access held all the time that JIT was meant to
//! make temporary.

pub mod sp001_standing_admin;
pub mod sp002_standing_behind_jit;
pub mod sp003_dormant_standing_privilege;
pub mod sp004_escalation_to_admin;
pub mod sp005_non_human_standing_write;
pub mod sp006_repeated_elevation;

use crate::graph::Path;
use crate::model::PrivilegeLevel;
use crate::rules::RuleContext;

/// How a path gets from its identity to its role, in words: `directly`, or `through group
/// platform` / `through group platform and role deployer`. The full path follows in the
/// message, so this part only has to read well.
pub(crate) fn route(path: &Path) -> String {
    let via: Vec<String> = path
        .hops
        .iter()
        .take(path.hops.len().saturating_sub(1))
        .map(|hop| format!("{} {}", hop.to.kind, hop.to.id))
        .collect();
    match via.as_slice() {
        [] => "directly".to_string(),
        [one] => format!("through {one}"),
        [init @ .., last] => format!("through {} and {last}", init.join(", ")),
    }
}

/// The condition kinds guarding a path, deduplicated in path order: `mfa, approval`.
pub(crate) fn condition_kinds(path: &Path) -> String {
    let mut kinds: Vec<&str> = Vec::new();
    for condition in path.conditions() {
        let kind = condition.kind.as_str();
        if !kinds.contains(&kind) {
            kinds.push(kind);
        }
    }
    kinds.join(", ")
}

/// A privilege-level parameter. Overrides are validated by the configuration and defaults
/// by the catalog tests, so an unknown level here is a defect and panics (the run then
/// reports the rule as crashed instead of silently using some level).
pub(crate) fn privilege_param(ctx: &RuleContext<'_>, name: &str) -> PrivilegeLevel {
    let text = ctx.params.string(name);
    PrivilegeLevel::parse(text)
        .unwrap_or_else(|| panic!("rule parameter {name} is not a privilege level: `{text}`"))
}
