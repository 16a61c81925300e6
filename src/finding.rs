//! Findings: what a rule reports, with its evidence and a stable fingerprint.

use crate::graph::Path;
use crate::model::{Grant, GrantEventSummary, Provenance, Timestamp};
use compact_str::CompactString;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 5] = [
        Severity::Info,
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    pub fn parse(s: &str) -> Option<Severity> {
        Severity::ALL
            .into_iter()
            .find(|v| v.as_str().eq_ignore_ascii_case(s))
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A grant as evidence: its id, who, what, and its timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GrantEvidence {
    pub id: CompactString,
    pub principal: CompactString,
    pub entitlement: CompactString,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub activated_at: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub window_end: Option<Timestamp>,
    pub window_end_recorded: bool,
    pub break_glass: bool,
    pub events: std::sync::Arc<[GrantEventSummary]>,
}

impl From<&Grant> for GrantEvidence {
    fn from(g: &Grant) -> Self {
        GrantEvidence {
            id: g.id.clone(),
            principal: g.principal.clone(),
            entitlement: g.entitlement.clone(),
            activated_at: g.activated_at,
            window_end: g.window_end,
            window_end_recorded: g.window_end_recorded,
            break_glass: g.break_glass,
            events: g.events.clone(),
        }
    }
}

/// What a reader needs to verify a finding without the tool.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Evidence {
    /// The privilege path, hop by hop, when the finding depends on one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<Path>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grant: Option<Box<GrantEvidence>>,
    /// Named facts the message relies on (`last_used`, `age_days`, `limit`…), sorted by name.
    #[serde(skip_serializing_if = "Facts::is_empty")]
    pub facts: Facts,
    /// The source records the finding rests on, sorted and deduplicated.
    pub sources: Vec<Provenance>,
}

/// A finding's named facts, sorted by name, each name once; serialised as a JSON object.
///
/// A sorted vector rather than a `BTreeMap`: findings carry three or four facts, and a
/// B-tree node sized for eleven costs a large organisation's findings hundreds of
/// megabytes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts(Vec<(String, String)>);

impl Facts {
    /// Sets `name` to `value`, replacing an earlier value of the same name.
    pub fn insert(&mut self, name: String, value: String) {
        match self.0.binary_search_by(|(n, _)| n.as_str().cmp(&name)) {
            Ok(i) => self.0[i].1 = value,
            Err(i) => self.0.insert(i, (name, value)),
        }
    }

    pub fn get(&self, name: &str) -> Option<&String> {
        self.0
            .binary_search_by(|(n, _)| n.as_str().cmp(name))
            .ok()
            .map(|i| &self.0[i].1)
    }

    pub fn contains_key(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// (name, value) pairs in name order.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &String)> {
        self.0.iter().map(|(n, v)| (n, v))
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::ops::Index<&str> for Facts {
    type Output = String;

    fn index(&self, name: &str) -> &String {
        self.get(name)
            .unwrap_or_else(|| panic!("no fact named `{name}`"))
    }
}

impl Serialize for Facts {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.iter())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub rule_id: String,
    pub rule_name: String,
    pub severity: Severity,
    /// The identity (or grant, or secret) the finding is about.
    pub subject: String,
    /// The role or entitlement involved, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entitlement: Option<String>,
    pub message: String,
    pub evidence: Evidence,
    pub fingerprint: String,
}

impl Finding {
    /// Sort key for deterministic output: worst first, then rule, subject, entitlement, fingerprint.
    pub fn sort_key(&self) -> impl Ord + '_ {
        (
            std::cmp::Reverse(self.severity),
            &self.rule_id,
            &self.subject,
            &self.entitlement,
            &self.fingerprint,
        )
    }

    /// The file and line a finding is best located at (the first source record).
    pub fn primary_source(&self) -> Option<&Provenance> {
        self.evidence.sources.first()
    }
}

/// The fingerprint of a fact: rule, subject, entitlement and a rule-chosen identity key
/// (the nodes of a path, a grant id, a secret id). Never timestamps, wording or severity,
/// so the same fact keeps its fingerprint across runs, rewordings and re-ranking.
pub fn fingerprint(
    rule_id: &str,
    subject: &str,
    entitlement: Option<&str>,
    identity_key: &str,
) -> String {
    let mut h = Sha256::new();
    // Version prefix and NUL separators: fields can never run into each other.
    for part in [
        "residue-fingerprint-v1",
        rule_id,
        subject,
        entitlement.unwrap_or(""),
        identity_key,
    ] {
        h.update(part.as_bytes());
        h.update([0u8]);
    }
    let digest = h.finalize();
    digest[..16].iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_is_stable_and_separates_fields() {
        let a = fingerprint("SP001", "alice", Some("admin"), "");
        assert_eq!(a, fingerprint("SP001", "alice", Some("admin"), ""));
        assert_eq!(a.len(), 32);
        assert_ne!(a, fingerprint("SP001", "alicea", Some("dmin"), ""));
        assert_ne!(a, fingerprint("SP002", "alice", Some("admin"), ""));
        assert_ne!(
            fingerprint("R", "a", None, ""),
            fingerprint("R", "a", Some(""), "x")
        );
    }

    #[test]
    fn facts_stay_sorted_unique_and_serialise_as_an_object() {
        let mut facts = Facts::default();
        facts.insert("limit".into(), "90".into());
        facts.insert("age_days".into(), "412".into());
        facts.insert("limit".into(), "60".into());
        assert_eq!(facts.len(), 2);
        assert_eq!(facts["limit"], "60");
        assert!(facts.contains_key("age_days") && !facts.contains_key("owner"));
        assert_eq!(
            serde_json::to_string(&facts).unwrap(),
            r#"{"age_days":"412","limit":"60"}"#
        );
    }

    #[test]
    fn severities_order_and_parse() {
        assert!(Severity::Critical > Severity::High);
        assert_eq!(Severity::parse("HIGH"), Some(Severity::High));
        assert_eq!(Severity::parse("urgent"), None);
    }
}
