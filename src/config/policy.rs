//! The audit policy: the organisation's own limits, read from residue.yaml.

use crate::model::{PrivilegeLevel, SignedDuration};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// Limits that several rules share. Every field has a default so a scan without
/// residue.yaml still applies sensible limits, and the report prints what was used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditPolicy {
    /// `break_glass`: identities allowed to hold standing admin (emergency accounts).
    pub break_glass: BTreeSet<String>,
    /// `secrets.max_age_days`: rotation limit (SC001).
    pub secrets_max_age_days: u64,
    /// `secrets.unused_days`: an active secret unused this long should go (SC002).
    pub secrets_unused_days: u64,
    /// `jit.default_window`: the window of a grant whose log records no end.
    #[serde(serialize_with = "ser_duration")]
    pub jit_default_window: SignedDuration,
    /// `windows.<level>`: the longest window allowed per privilege tier (GV002).
    #[serde(serialize_with = "ser_windows")]
    pub windows: BTreeMap<PrivilegeLevel, SignedDuration>,
}

fn ser_duration<S: serde::Serializer>(d: &SignedDuration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&crate::model::time::format_duration(*d))
}

fn ser_windows<S: serde::Serializer>(
    w: &BTreeMap<PrivilegeLevel, SignedDuration>,
    s: S,
) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut m = s.serialize_map(Some(w.len()))?;
    for (k, v) in w {
        m.serialize_entry(k.as_str(), &crate::model::time::format_duration(*v))?;
    }
    m.end()
}

impl Default for AuditPolicy {
    fn default() -> Self {
        AuditPolicy {
            break_glass: BTreeSet::new(),
            secrets_max_age_days: 90,
            secrets_unused_days: 90,
            jit_default_window: SignedDuration::from_hours(8),
            windows: BTreeMap::from([
                (PrivilegeLevel::Admin, SignedDuration::from_hours(4)),
                (
                    PrivilegeLevel::PermissionsManagement,
                    SignedDuration::from_hours(4),
                ),
                (PrivilegeLevel::Write, SignedDuration::from_hours(12)),
                (PrivilegeLevel::Read, SignedDuration::from_hours(24)),
            ]),
        }
    }
}

impl AuditPolicy {
    /// The longest window allowed for a tier; tiers without a limit (none) are unlimited.
    pub fn window_limit(&self, level: PrivilegeLevel) -> Option<SignedDuration> {
        self.windows.get(&level).copied()
    }
}
