//! Baselines: a previous JSON report (`report.json`, schema version 1) read back as the set of
//! facts already known, keyed by fingerprint.
//!
//! Only what comparison needs is read, and extra fields are ignored, so any report residue
//! writes with schema version 1 is a baseline:
//!
//! ```json
//! {"schema_version": 1, "audit_time": "2026-11-20T09:00:00Z",
//!  "findings": [{"fingerprint": "9f1c…", "rule_id": "SP001", "severity": "high",
//!                "subject": "alice", "entitlement": "prod-admin", "message": "…",
//!                "evidence": {"sources": [{"source": "okta", "file": "inv.yaml", "line": 12}]}}],
//!  "suppressed": [{"finding": {…}, "reason": "…", "expires": "2026-12-31"}]}
//! ```
//! Required: `schema_version` (exactly 1) and, for every finding, `fingerprint`, `rule_id`,
//! `severity` and `subject`. A malformed baseline is an error naming the file and the JSON
//! pointer of the problem.

use crate::finding::{Finding, Severity};
use crate::model::Provenance;
use serde::Serialize;
use serde_json::Value;

/// The report schema version a baseline must have.
pub const BASELINE_SCHEMA_VERSION: u64 = 1;

/// A finding as comparison sees it: identity (fingerprint) plus what a reader needs to
/// recognise it. Built from a live [`Finding`] or read from a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FindingRef {
    pub fingerprint: String,
    pub rule_id: String,
    pub severity: Severity,
    pub subject: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entitlement: Option<String>,
    pub message: String,
    /// The source records the finding rests on, first the one that locates it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<Provenance>,
}

impl FindingRef {
    /// Sort key: worst first, then rule, subject, entitlement, fingerprint (as reports sort).
    pub fn sort_key(&self) -> impl Ord + '_ {
        (
            std::cmp::Reverse(self.severity),
            &self.rule_id,
            &self.subject,
            &self.entitlement,
            &self.fingerprint,
        )
    }

    /// `file:line` of the record that locates the finding, when known.
    pub fn location(&self) -> Option<String> {
        self.sources.first().map(|p| match p.line {
            Some(l) => format!("{}:{l}", p.file()),
            None => p.file().to_string(),
        })
    }
}

impl From<&Finding> for FindingRef {
    fn from(f: &Finding) -> Self {
        FindingRef {
            fingerprint: f.fingerprint.clone(),
            rule_id: f.rule_id.clone(),
            severity: f.severity,
            subject: f.subject.clone(),
            entitlement: f.entitlement.clone(),
            message: f.message.clone(),
            sources: f.evidence.sources.clone(),
        }
    }
}

/// A report read back: its audit time, its findings and its suppressed findings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Baseline {
    /// The file as the user named it.
    pub file: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audit_time: Option<String>,
    /// Findings the report counted (not suppressed), sorted.
    #[serde(skip)]
    pub findings: Vec<FindingRef>,
    /// Findings a suppression accepted when the report was written, sorted.
    #[serde(skip)]
    pub suppressed: Vec<FindingRef>,
}

/// A baseline that cannot be used: the file, where in it, and what was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: {location}: {message}")]
pub struct BaselineError {
    pub file: String,
    /// A JSON pointer (`/findings/3/fingerprint`) or `line L, column C` for syntax errors.
    pub location: String,
    pub message: String,
}

/// Reads a baseline file.
pub fn load(path: &std::path::Path, display: &str) -> Result<Baseline, BaselineError> {
    let text = std::fs::read_to_string(path).map_err(|e| BaselineError {
        file: display.to_string(),
        location: "(file)".into(),
        message: format!("cannot read the baseline: {e}"),
    })?;
    parse(&text, display)
}

/// Parses a baseline from the text of a JSON report.
pub fn parse(text: &str, file: &str) -> Result<Baseline, BaselineError> {
    let err = |location: &str, message: String| BaselineError {
        file: file.to_string(),
        location: if location.is_empty() {
            "/".to_string()
        } else {
            location.to_string()
        },
        message,
    };
    let value: Value = serde_json::from_str(text).map_err(|e| BaselineError {
        file: file.to_string(),
        location: format!("line {}, column {}", e.line(), e.column()),
        message: format!(
            "not valid JSON ({}); expected a residue JSON report (report.json)",
            echo(&e.to_string())
        ),
    })?;
    let Some(top) = value.as_object() else {
        return Err(err(
            "",
            format!(
                "expected a JSON object (a residue report.json), found {}",
                kind(&value)
            ),
        ));
    };
    match top.get("schema_version") {
        Some(v) if v.as_u64() == Some(BASELINE_SCHEMA_VERSION) => {}
        Some(v) => {
            return Err(err(
                "/schema_version",
                format!(
                    "unsupported report schema version {}; expected {BASELINE_SCHEMA_VERSION}",
                    echo(&v.to_string())
                ),
            ))
        }
        None => {
            return Err(err(
                "/schema_version",
                "missing; expected a residue JSON report (report.json) with `schema_version`"
                    .into(),
            ))
        }
    }
    let audit_time = match top.get("audit_time") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(v) => {
            return Err(err(
                "/audit_time",
                format!("expected an RFC 3339 timestamp string, found {}", kind(v)),
            ))
        }
    };
    let mut findings = match top.get("findings") {
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, v)| finding(v, &format!("/findings/{i}")).map_err(|(p, m)| err(&p, m)))
            .collect::<Result<Vec<_>, _>>()?,
        Some(v) => {
            return Err(err(
                "/findings",
                format!("expected an array of findings, found {}", kind(v)),
            ))
        }
        None => {
            return Err(err(
                "/findings",
                "missing; expected an array of findings".into(),
            ))
        }
    };
    let mut suppressed = match top.get("suppressed") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let at = format!("/suppressed/{i}/finding");
                match v.get("finding") {
                    Some(f) => finding(f, &at).map_err(|(p, m)| err(&p, m)),
                    None => Err(err(&at, "missing; expected the suppressed finding".into())),
                }
            })
            .collect::<Result<Vec<_>, _>>()?,
        Some(v) => {
            return Err(err(
                "/suppressed",
                format!(
                    "expected an array of suppressed findings, found {}",
                    kind(v)
                ),
            ))
        }
    };
    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    suppressed.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    Ok(Baseline {
        file: file.to_string(),
        audit_time,
        findings,
        suppressed,
    })
}

/// Input repeated in an error message, cut to 64 characters (inputs may be huge or hostile).
fn echo(s: &str) -> String {
    let mut out: String = s.chars().take(64).collect();
    if s.chars().nth(64).is_some() {
        out.push('…');
    }
    out
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// One finding object; errors carry the JSON pointer of the offending field.
fn finding(v: &Value, at: &str) -> Result<FindingRef, (String, String)> {
    let Some(obj) = v.as_object() else {
        return Err((
            at.to_string(),
            format!("expected a finding object, found {}", kind(v)),
        ));
    };
    let string = |key: &str| -> Result<String, (String, String)> {
        match obj.get(key) {
            Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
            Some(Value::String(_)) => Err((
                format!("{at}/{key}"),
                "is empty; expected a non-empty string".into(),
            )),
            Some(other) => Err((
                format!("{at}/{key}"),
                format!("expected a string, found {}", kind(other)),
            )),
            None => Err((
                format!("{at}/{key}"),
                format!("missing; every baseline finding needs `{key}`"),
            )),
        }
    };
    let fingerprint = string("fingerprint")?;
    let rule_id = string("rule_id")?;
    let subject = string("subject")?;
    let severity_text = string("severity")?;
    let severity = Severity::parse(&severity_text).ok_or_else(|| {
        (
            format!("{at}/severity"),
            format!(
                "`{}` is not a severity; expected one of: info, low, medium, high, critical",
                echo(&severity_text)
            ),
        )
    })?;
    let entitlement = match obj.get("entitlement") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(other) => {
            return Err((
                format!("{at}/entitlement"),
                format!("expected a string, found {}", kind(other)),
            ))
        }
    };
    let message = obj
        .get("message")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    // Evidence is informative only: read what is well-formed, ignore the rest.
    let sources = obj
        .get("evidence")
        .and_then(|e| e.get("sources"))
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .filter_map(|s| serde_json::from_value::<Provenance>(s.clone()).ok())
                .collect()
        })
        .unwrap_or_default();
    Ok(FindingRef {
        fingerprint,
        rule_id,
        severity,
        subject,
        entitlement,
        message,
        sources,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"{
  "schema_version": 1,
  "audit_time": "2026-11-20T09:00:00Z",
  "tool": {"name": "residue", "version": "0.1.0"},
  "findings": [
    {"rule_id": "SC001", "rule_name": "secret-not-rotated", "severity": "medium",
     "subject": "key-1", "message": "old", "fingerprint": "fp2",
     "evidence": {"sources": [{"source": "aws", "file": "cred.csv", "line": 4}]}},
    {"rule_id": "SP001", "severity": "high", "subject": "alice",
     "entitlement": "prod-admin", "fingerprint": "fp1", "extra": [1, 2]}
  ],
  "suppressed": [
    {"finding": {"rule_id": "SP003", "severity": "low", "subject": "bob", "fingerprint": "fp3"},
     "reason": "r", "expires": "2026-12-31"}
  ]
}"#;

    #[test]
    fn reads_a_report_tolerating_extra_fields_and_sorts() {
        let b = parse(GOOD, "base.json").unwrap();
        assert_eq!(b.audit_time.as_deref(), Some("2026-11-20T09:00:00Z"));
        let fps: Vec<&str> = b.findings.iter().map(|f| f.fingerprint.as_str()).collect();
        assert_eq!(fps, ["fp1", "fp2"], "worst first");
        assert_eq!(b.findings[1].location().as_deref(), Some("cred.csv:4"));
        assert_eq!(b.findings[0].entitlement.as_deref(), Some("prod-admin"));
        assert_eq!(b.suppressed.len(), 1);
        assert_eq!(b.suppressed[0].fingerprint, "fp3");
    }

    #[test]
    fn malformed_baselines_name_the_file_and_the_json_pointer() {
        let cases = [
            ("{\"schema_version\": 1, \"findings\": [", "base.json: line 1, column 35: not valid JSON"),
            ("[1]", "base.json: /: expected a JSON object"),
            ("{\"findings\": []}", "base.json: /schema_version: missing"),
            ("{\"schema_version\": 2, \"findings\": []}", "base.json: /schema_version: unsupported report schema version 2; expected 1"),
            ("{\"schema_version\": 1}", "base.json: /findings: missing"),
            ("{\"schema_version\": 1, \"findings\": {}}", "base.json: /findings: expected an array"),
            ("{\"schema_version\": 1, \"findings\": [{\"rule_id\": \"SP001\", \"severity\": \"high\", \"subject\": \"a\"}]}", "base.json: /findings/0/fingerprint: missing"),
            ("{\"schema_version\": 1, \"findings\": [{\"fingerprint\": \"f\", \"rule_id\": \"SP001\", \"severity\": \"urgent\", \"subject\": \"a\"}]}", "base.json: /findings/0/severity: `urgent` is not a severity"),
            ("{\"schema_version\": 1, \"findings\": [{\"fingerprint\": 7, \"rule_id\": \"SP001\", \"severity\": \"high\", \"subject\": \"a\"}]}", "base.json: /findings/0/fingerprint: expected a string, found a number"),
            ("{\"schema_version\": 1, \"findings\": [], \"suppressed\": [{\"reason\": \"r\"}]}", "base.json: /suppressed/0/finding: missing"),
        ];
        for (text, expected) in cases {
            let e = parse(text, "base.json").unwrap_err().to_string();
            assert!(
                e.starts_with(expected),
                "{text}\n→ {e}\nexpected {expected}"
            );
        }
    }
}
