//! Rule family RV: revocation — grants that closed on paper but not in fact.

pub mod rv001_expired_grant_still_assigned;
pub mod rv002_unverified_revocation;
pub mod rv003_revoked_but_still_present;
pub mod rv004_used_after_window;

use crate::model::Grant;
use crate::rules::RuleContext;

/// How a grant closed, as a phrase that follows "it": `was revoked at …`, `expired at …`,
/// `closed when its window ended at …`.
pub(crate) fn how_closed(grant: &Grant) -> String {
    let close = grant.close_time();
    let at = |t: crate::model::Timestamp| crate::model::time::format_timestamp(t);
    match close {
        Some(t) if grant.revoked_at == Some(t) => format!("was revoked at {}", at(t)),
        Some(t) if grant.expired_at == Some(t) => format!("expired at {}", at(t)),
        Some(t) if grant.window_end_recorded => format!("closed when its window ended at {}", at(t)),
        Some(t) => format!(
            "closed when its window ended at {} (no end was logged: activation plus jit.default_window)",
            at(t)
        ),
        None => "has not closed".to_string(),
    }
}

/// `role prod-admin (admin)`, `group platform`, or `entitlement x` when the inventory does
/// not define it.
pub(crate) fn entitlement_words(ctx: &RuleContext<'_>, id: &str) -> String {
    if let Some(role) = ctx.inventory.role(id) {
        return format!("role {} ({})", id, role.privilege);
    }
    if let Some(identity) = ctx.inventory.identity(id) {
        return format!("{} {id}", identity.kind);
    }
    format!("entitlement {id}")
}
