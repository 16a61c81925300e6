//! Reports: one module per output format, and one module that escapes.
//!
//! Every format renders a [`ScanReport`]; every format is deterministic (same report, same
//! bytes) and states the audit time, the sources, the coverage and the suppressions.

use crate::config::AuditPolicy;
use crate::finding::{Finding, Severity};
use crate::model::{Diagnostic, Timestamp};
use serde::Serialize;
use std::collections::BTreeMap;

/// The version of the JSON report's shape; bumped on any incompatible change.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize)]
pub struct ToolInfo {
    pub name: String,
    pub version: String,
}

impl Default for ToolInfo {
    fn default() -> Self {
        ToolInfo {
            name: "residue".into(),
            version: env!("CARGO_PKG_VERSION").into(),
        }
    }
}

/// One source read by the scan.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct SourceSummary {
    pub name: String,
    pub format: String,
    pub file: String,
    /// Records read, per kind (identities, roles, grant_events…); kinds with none omitted.
    pub records: BTreeMap<String, usize>,
}

/// Whether the audit saw everything it was asked to look at.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Coverage {
    pub complete: bool,
    /// What is missing, one sentence each (a rule that crashed, a source that failed).
    pub gaps: Vec<String>,
}

/// A finding a suppression matched: still shown, never failing the run.
#[derive(Debug, Clone, Serialize)]
pub struct SuppressedFinding {
    pub finding: Finding,
    pub reason: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approved_by: Option<String>,
    pub expires: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    pub findings: usize,
    pub suppressed: usize,
    pub by_severity: BTreeMap<Severity, usize>,
    pub by_rule: BTreeMap<String, usize>,
}

impl Summary {
    pub fn of(findings: &[Finding], suppressed: usize) -> Summary {
        let mut s = Summary {
            findings: findings.len(),
            suppressed,
            ..Summary::default()
        };
        for sev in Severity::ALL {
            s.by_severity.insert(sev, 0);
        }
        for f in findings {
            *s.by_severity.entry(f.severity).or_default() += 1;
            *s.by_rule.entry(f.rule_id.clone()).or_default() += 1;
        }
        s
    }
}

/// Everything a scan produced, in the order reports print it.
#[derive(Debug, Clone, Serialize)]
pub struct ScanReport {
    pub schema_version: u32,
    pub tool: ToolInfo,
    pub audit_time: Timestamp,
    pub sources: Vec<SourceSummary>,
    pub policy: AuditPolicy,
    /// Ids of the rules that ran, sorted.
    pub rules: Vec<String>,
    pub summary: Summary,
    pub coverage: Coverage,
    /// Sorted: worst first, then rule, subject, entitlement, fingerprint.
    pub findings: Vec<Finding>,
    pub suppressed: Vec<SuppressedFinding>,
    /// Suppressions that expired (and so no longer suppress) or matched nothing.
    pub suppression_notes: Vec<String>,
    pub diagnostics: Vec<Diagnostic>,
}
