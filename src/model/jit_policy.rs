//! What a JIT system's own configuration allows for one entitlement: the maximum window,
//! and whether approval, a justification or a ticket is required. Rules hold grants against
//! it (was the gap the system's policy or the requester's?) and hold it against the
//! organisation's limits (GV007).

use super::{Provenance, SignedDuration};
use serde::Serialize;

/// One JIT system's activation policy for one role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JitPolicy {
    /// Unique in the inventory (`entra-pim:policy:<id>`, or the generic inventory's id).
    pub id: String,
    /// The system that enforces it (`entra-pim`, `teleport`, `iam-identity-center`, …).
    pub system: String,
    /// The inventory role the policy governs (grants name it as their entitlement).
    pub role: String,
    /// The longest window an activation may have; `None` when the policy sets no maximum
    /// (activations may be unbounded), which is itself a gap.
    pub max_window: Option<SignedDuration>,
    /// `None` when the export does not say.
    pub approval_required: Option<bool>,
    pub justification_required: Option<bool>,
    pub ticket_required: Option<bool>,
    pub provenance: Provenance,
}
