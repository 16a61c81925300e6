//! Trusts: who may assume or impersonate a role, and what guards it.

use super::Provenance;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ConditionKind {
    /// Multi-factor authentication required.
    Mfa,
    /// Only before/after/between given times.
    Time,
    /// Only from given networks (source IP, VPC).
    Network,
    /// Only when the principal carries a tag.
    PrincipalTag,
    /// Only with an approval (a JIT workflow).
    Approval,
    Other,
}

impl ConditionKind {
    pub const ALL: [ConditionKind; 6] = [
        ConditionKind::Mfa,
        ConditionKind::Time,
        ConditionKind::Network,
        ConditionKind::PrincipalTag,
        ConditionKind::Approval,
        ConditionKind::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ConditionKind::Mfa => "mfa",
            ConditionKind::Time => "time",
            ConditionKind::Network => "network",
            ConditionKind::PrincipalTag => "principal-tag",
            ConditionKind::Approval => "approval",
            ConditionKind::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<ConditionKind> {
        ConditionKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

impl fmt::Display for ConditionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A condition that guards a trust, kept so a guarded path is reported as conditional.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Condition {
    pub kind: ConditionKind,
    /// The condition as the source states it (e.g. `aws:MultiFactorAuthPresent = true`).
    pub detail: String,
}

/// `principal` (an identity, group or role) may assume `role`.
///
/// The ids and conditions are shared: one role is often assumable by hundreds of principals
/// under the same conditions (a trust of the account root), and one principal may assume
/// hundreds of roles.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Trust {
    pub role: Arc<str>,
    pub principal: Arc<str>,
    pub conditions: Arc<[Condition]>,
    pub provenance: Provenance,
}

/// `principal` can obtain `target` (a role) by a privilege-escalation method, e.g. creating a
/// new policy version or passing a role to a compute service. Computed by connectors that
/// model real permissions (AWS, Kubernetes); the generic inventory may state them directly.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Escalation {
    pub principal: String,
    pub target: String,
    /// The method's name (`iam:CreatePolicyVersion`, `pods/exec`…).
    pub method: String,
    pub provenance: Provenance,
}
