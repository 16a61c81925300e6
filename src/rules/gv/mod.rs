//! Rule family GV: governance — the JIT process itself: approvals, justifications, window
//! lengths and the policies that allow them, break-glass reviews, accountable owners, and
//! what holders left behind.

pub mod gv001_approval_gap;
pub mod gv002_window_too_long;
pub mod gv003_break_glass_unreviewed;
pub mod gv004_ownerless_non_human_identity;
pub mod gv005_persistence_while_elevated;
pub mod gv006_missing_justification;
pub mod gv007_policy_window_too_long;

use crate::model::Grant;
use crate::rules::rv::entitlement_words;
use crate::rules::RuleContext;

/// `Grant g1 for alice on role prod-admin (admin)`: how a grant opens a message.
pub(crate) fn grant_words(ctx: &RuleContext<'_>, grant: &Grant) -> String {
    format!(
        "Grant {} for {} on {}",
        grant.id,
        ctx.inventory.display_name(&grant.principal),
        entitlement_words(ctx, &grant.entitlement)
    )
}
