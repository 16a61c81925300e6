//! Elevation windows and who acted in them: shared by the rules that ask "what did the
//! holder do while elevated" (SC003 for credentials, GV005 for any durable access).
//!
//! A change event's actor stands for the holder of a grant in two ways: the actor *is* the
//! grant's principal, or the actor is the role the grant gave (CloudTrail and similar logs
//! name a role session by its role, so a change made in an assumed-role session is made by
//! whoever held that role at the time).

use crate::model::{ChangeEvent, Grant, Secret, SignedDuration, Timestamp};
use crate::rules::RuleContext;

/// How a change's actor stands for the holder of an elevation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum ActedAs {
    /// The actor is the holder.
    Holder,
    /// The actor is the role the elevation gave: a session of it.
    RoleSession,
}

/// The close of `grant` when `at` falls inside its window — activated at or before `at`
/// (allowing `skew` for two sources' clocks) and closing after it — and the window has
/// closed by the audit time `now`.
pub(crate) fn closed_window_around(
    grant: &Grant,
    at: Timestamp,
    skew: SignedDuration,
    now: Timestamp,
) -> Option<Timestamp> {
    let start = grant.activated_at?;
    let close = grant.close_time()?;
    let start_with_skew = start.checked_sub(skew).unwrap_or(start);
    (start_with_skew <= at && at < close && close <= now).then_some(close)
}

/// The grants a change by `actor` may be attributed to, in grant order: the actor's own
/// grants, then — when the actor is a role of the inventory — every grant of that role.
pub(crate) fn grants_acting_as<'a>(
    ctx: &RuleContext<'a>,
    actor: &str,
) -> Vec<(&'a Grant, ActedAs)> {
    let mut found: Vec<(&'a Grant, ActedAs)> =
        ctx.grants_of(actor).map(|g| (g, ActedAs::Holder)).collect();
    if ctx.inventory.role(actor).is_some() {
        found.extend(ctx.grants_on(actor).map(|g| (g, ActedAs::RoleSession)));
    }
    found
}

/// The change event created this secret: same id, or (when the source names credentials
/// differently, as CloudTrail's key id against the credential report's key slot) same owner
/// and creation time within `skew`.
pub(crate) fn change_names_secret(
    ctx: &RuleContext<'_>,
    change: &ChangeEvent,
    secret: &Secret,
    set_at: Timestamp,
    skew: SignedDuration,
) -> bool {
    if change.target == secret.id {
        return true;
    }
    let other_id_known = ctx.is_secret_id(&change.target);
    !other_id_known
        && secret.owner.is_some()
        && change.entitlement == secret.owner
        && change.time.duration_since(set_at).abs() <= skew
}
