//! Suppressions: accepted findings, each with a reason, an approver and an expiry date.
//!
//! ```yaml
//! suppressions:
//!   - fingerprint: 9f1c2e4b7a0d3c5e8f6a1b2c3d4e5f60
//!     reason: Emergency account, reviewed every quarter
//!     approved_by: ciso@acme.example
//!     expires: 2027-01-31
//!   - rule: SP001
//!     subject: "breakglass-*"       # `*` matches any run of characters
//!     entitlement: "*"              # optional
//!     reason: Break-glass accounts hold admin by design
//!     approved_by: security-lead@acme.example
//!     expires: 2026-12-31
//! ```
//! A suppressed finding stays visible in every report and never fails the run. An expired
//! suppression stops suppressing and is reported; one that matches nothing is reported too.

use crate::config::{LineIndex, Step};
use crate::finding::Finding;
use crate::model::time::parse_timestamp;
use crate::model::Timestamp;
use crate::report::SuppressedFinding;
use serde::Deserialize;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Matcher {
    Fingerprint(String),
    RuleSubject {
        rule: String,
        subject: String,
        entitlement: Option<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suppression {
    pub matcher: Matcher,
    pub reason: String,
    /// Who accepted the risk (required: an exception nobody approved is not an exception).
    pub approved_by: String,
    /// Suppresses until this instant (a date means through the end of that day, UTC).
    pub expires: Timestamp,
    /// The expiry as written, for reports.
    pub expires_text: String,
    pub file: String,
    pub line: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", .0.join("\n"))]
pub struct SuppressionErrors(pub Vec<String>);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    suppressions: Vec<RawEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    fingerprint: Option<String>,
    rule: Option<String>,
    subject: Option<String>,
    entitlement: Option<String>,
    reason: Option<String>,
    approved_by: Option<String>,
    expires: Option<String>,
}

/// Parses a suppressions file; every malformed entry is reported, with its line.
pub fn parse(text: &str, file: &str) -> Result<Vec<Suppression>, SuppressionErrors> {
    let raw: RawFile = serde_yaml::from_str(text).map_err(|e| {
        let at = e.location().map(|l| format!(":{}", l.line())).unwrap_or_default();
        SuppressionErrors(vec![format!(
            "{file}{at}: not a valid suppressions file: {e}; expected `suppressions:` with a list of entries (fingerprint or rule + subject, reason, approved_by, expires)"
        )])
    })?;
    let lines = LineIndex::new(text);
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for (i, e) in raw.suppressions.into_iter().enumerate() {
        let line = lines.line_of(&[Step::key("suppressions"), Step::Index(i)]);
        let at = match line {
            Some(l) => format!("{file}:{l}"),
            None => format!("{file}: entry {}", i + 1),
        };
        let matcher = match (e.fingerprint, e.rule, e.subject) {
            (Some(fp), None, None) if !fp.trim().is_empty() => {
                Matcher::Fingerprint(fp.trim().to_string())
            }
            (None, Some(rule), Some(subject)) if crate::rules::find_rule(&rule).is_some() => {
                Matcher::RuleSubject {
                    rule: crate::rules::find_rule(&rule)
                        .map(|r| r.meta.id.clone())
                        .unwrap_or(rule),
                    subject,
                    entitlement: e.entitlement,
                }
            }
            (None, Some(rule), Some(_)) => {
                errors.push(format!("{at}: unknown rule id `{rule}`"));
                continue;
            }
            _ => {
                errors.push(format!("{at}: a suppression names either a `fingerprint`, or a `rule` and a `subject` pattern"));
                continue;
            }
        };
        let Some(reason) = e.reason.filter(|r| !r.trim().is_empty()) else {
            errors.push(format!("{at}: a suppression needs a `reason`"));
            continue;
        };
        let Some(approved_by) = e.approved_by.filter(|a| !a.trim().is_empty()) else {
            errors.push(format!(
                "{at}: a suppression needs `approved_by` (who accepted the risk)"
            ));
            continue;
        };
        let Some(expires_text) = e.expires else {
            errors.push(format!(
                "{at}: a suppression needs an `expires` date (suppressions never last forever)"
            ));
            continue;
        };
        let expires = match parse_expiry(&expires_text) {
            Ok(t) => t,
            Err(msg) => {
                errors.push(format!("{at}: expires: {msg}"));
                continue;
            }
        };
        out.push(Suppression {
            matcher,
            reason,
            approved_by,
            expires,
            expires_text,
            file: file.to_string(),
            line,
        });
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(SuppressionErrors(errors))
    }
}

/// A bare date suppresses through the end of that day (UTC).
fn parse_expiry(text: &str) -> Result<Timestamp, String> {
    let t = parse_timestamp(text).map_err(|e| e.to_string())?;
    let is_date = text.trim().len() == 10;
    Ok(if is_date {
        t.checked_add(jiff::SignedDuration::from_hours(24))
            .map_err(|e| e.to_string())?
    } else {
        t
    })
}

impl Suppression {
    pub fn matches(&self, f: &Finding) -> bool {
        match &self.matcher {
            Matcher::Fingerprint(fp) => *fp == f.fingerprint,
            Matcher::RuleSubject {
                rule,
                subject,
                entitlement,
            } => {
                *rule == f.rule_id
                    && glob_match(subject, &f.subject)
                    && entitlement
                        .as_ref()
                        .is_none_or(|p| glob_match(p, f.entitlement.as_deref().unwrap_or("")))
            }
        }
    }

    fn location(&self) -> String {
        match self.line {
            Some(l) => format!("{}:{}", self.file, l),
            None => self.file.clone(),
        }
    }
}

/// `*` matches any run of characters; everything else matches itself.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !text.starts_with(first) || text.len() < first.len() + last.len() || !text.ends_with(last) {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for mid in &parts[1..parts.len() - 1] {
        match rest.find(mid) {
            Some(i) => rest = &rest[i + mid.len()..],
            None => return false,
        }
    }
    true
}

/// Splits findings into kept and suppressed; notes expired and unused suppressions.
pub fn apply(
    findings: Vec<Finding>,
    suppressions: &[Suppression],
    now: Timestamp,
) -> (Vec<Finding>, Vec<SuppressedFinding>, Vec<String>) {
    let mut kept = Vec::new();
    let mut suppressed = Vec::new();
    let mut used = vec![false; suppressions.len()];
    let mut expired_hits = vec![Vec::new(); suppressions.len()];
    for f in findings {
        let mut taken = false;
        for (i, s) in suppressions.iter().enumerate() {
            if !s.matches(&f) {
                continue;
            }
            used[i] = true;
            if s.expires <= now {
                expired_hits[i].push(format!("{} {}", f.rule_id, f.subject));
                continue;
            }
            suppressed.push(SuppressedFinding {
                finding: f.clone(),
                reason: s.reason.clone(),
                approved_by: Some(s.approved_by.clone()),
                expires: s.expires_text.clone(),
            });
            taken = true;
            break;
        }
        if !taken {
            kept.push(f);
        }
    }
    let mut notes = Vec::new();
    for (i, s) in suppressions.iter().enumerate() {
        if s.expires <= now {
            let what = if expired_hits[i].is_empty() {
                "it matched no finding".to_string()
            } else {
                format!("reported again: {}", expired_hits[i].join("; "))
            };
            notes.push(format!(
                "{}: suppression expired on {} and no longer suppresses ({what})",
                s.location(),
                s.expires_text
            ));
        } else if !used[i] {
            notes.push(format!(
                "{}: suppression matches no finding; remove it or fix its pattern",
                s.location()
            ));
        }
    }
    (kept, suppressed, notes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::{Evidence, Severity};

    fn finding(rule: &str, subject: &str, fp: &str) -> Finding {
        Finding {
            rule_id: rule.into(),
            rule_name: "x".into(),
            severity: Severity::High,
            subject: subject.into(),
            entitlement: Some("prod-admin".into()),
            message: "m".into(),
            evidence: Evidence::default(),
            fingerprint: fp.into(),
        }
    }

    #[test]
    fn globs() {
        assert!(glob_match("breakglass-*", "breakglass-1"));
        assert!(glob_match("*", ""));
        assert!(glob_match("a*c*e", "abcde"));
        assert!(!glob_match("a*c*e", "abde"));
        assert!(!glob_match("ab*ba", "aba"));
        assert!(glob_match("exact", "exact"));
    }

    #[test]
    fn suppresses_until_expiry_and_reports_expired_and_unused() {
        let text = "\
suppressions:
  - fingerprint: fp1
    reason: accepted
    approved_by: ciso
    expires: 2026-12-31
  - rule: SP001
    subject: \"bg-*\"
    reason: break glass by design
    approved_by: ciso
    expires: 2026-01-01
  - rule: SP002
    subject: nobody
    reason: stale
    approved_by: ciso
    expires: 2030-01-01
";
        let s = parse(text, "suppressions.yaml").unwrap();
        let now: Timestamp = "2026-06-01T00:00:00Z".parse().unwrap();
        let (kept, suppressed, notes) = apply(
            vec![
                finding("SP001", "alice", "fp1"),
                finding("SP001", "bg-1", "fp2"),
            ],
            &s,
            now,
        );
        assert_eq!(suppressed.len(), 1);
        assert_eq!(suppressed[0].finding.fingerprint, "fp1");
        assert_eq!(kept.len(), 1);
        assert_eq!(
            kept[0].subject, "bg-1",
            "expired suppression no longer suppresses"
        );
        assert_eq!(notes.len(), 2);
        assert!(
            notes[0].starts_with("suppressions.yaml:6: suppression expired on 2026-01-01"),
            "{notes:?}"
        );
        assert!(notes[0].contains("reported again: SP001 bg-1"));
        assert!(
            notes[1].starts_with("suppressions.yaml:11: suppression matches no finding"),
            "{notes:?}"
        );
    }

    #[test]
    fn date_expiry_lasts_through_the_day() {
        let s = &parse(
            "suppressions:\n  - fingerprint: fp\n    reason: r\n    approved_by: a\n    expires: 2026-06-01\n",
            "s.yaml",
        )
        .unwrap()[0];
        assert_eq!(
            s.expires,
            "2026-06-02T00:00:00Z".parse::<Timestamp>().unwrap()
        );
    }

    #[test]
    fn malformed_entries_are_all_reported() {
        let text = "\
suppressions:
  - fingerprint: fp
    approved_by: a
    expires: 2026-01-01
  - rule: NOPE
    subject: x
    reason: r
    approved_by: a
    expires: 2026-01-01
  - subject: x
    reason: r
    approved_by: a
    expires: 2026-01-01
  - fingerprint: fp
    reason: r
    approved_by: a
    expires: someday
  - fingerprint: fp
    reason: r
    expires: 2026-01-01
";
        let e = parse(text, "s.yaml").unwrap_err();
        assert_eq!(e.0.len(), 5, "{e}");
        assert!(e.0[0].starts_with("s.yaml:2: a suppression needs a `reason`"));
        assert!(e.0[1].starts_with("s.yaml:5: unknown rule id `NOPE`"));
        assert!(e.0[2].starts_with("s.yaml:10: a suppression names either"));
        assert!(e.0[3].contains("s.yaml:14: expires: `someday` is not a timestamp"));
        assert!(e.0[4].starts_with("s.yaml:18: a suppression needs `approved_by`"));
        let unknown = parse(
            "suppressions:\n  - fingerprint: fp\n    color: red\n",
            "s.yaml",
        )
        .unwrap_err();
        assert!(
            unknown.to_string().contains("unknown field `color`"),
            "{unknown}"
        );
    }
}
