//! The SARIF 2.1.0 report (`report.sarif`), as GitHub code scanning reads it.
//!
//! One run. `tool.driver.rules` lists every rule that ran, sorted by id, with its title
//! (`shortDescription`), what it flags (`fullDescription`), its documentation (`help`, the
//! text `residue rules explain` prints), `helpUri`, and `properties.tags` and
//! `properties.security-severity` (from the rule's default severity: critical 9.5, high 8.0,
//! medium 5.5, low 3.0, info 1.0). Each finding is a result: `level` from its severity
//! (critical and high → error, medium → warning, low and info → note), its message, a
//! location at the source file and line of the record that located it (the region is left
//! out when the line is unknown), the other source records as related locations, and
//! `partialFingerprints.residueFingerprint/v1` = the finding's fingerprint. Suppressed
//! findings are results too, with an external suppression and its justification. Coverage
//! gaps, expired or unused suppressions and input diagnostics are notifications of the
//! invocation, which is successful only when the audit is complete.
//!
//! Deterministic: findings and rules arrive sorted, and every object is a struct with a
//! fixed field order. Strings need no escaping beyond JSON's own, which serde_json applies.

use super::ScanReport;
use crate::finding::{Finding, Severity};
use crate::model::time::format_timestamp;
use crate::model::{DiagnosticLevel, Provenance};
use crate::rules::RuleMeta;
use serde::Serialize;
use std::collections::BTreeMap;

/// The schema the report names in `$schema`.
pub const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// The key of the finding fingerprint in `partialFingerprints`.
pub const FINGERPRINT_KEY: &str = "residueFingerprint/v1";

const INFORMATION_URI: &str = "https://github.com/residue-audit/residue";

#[derive(Serialize)]
struct Log<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: Vec<Run<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run<'a> {
    tool: Tool<'a>,
    invocations: Vec<Invocation>,
    results: Vec<SarifResult<'a>>,
    properties: RunProperties,
}

#[derive(Serialize)]
struct RunProperties {
    #[serde(rename = "auditTime")]
    audit_time: String,
    #[serde(rename = "reportSchemaVersion")]
    report_schema_version: u32,
}

#[derive(Serialize)]
struct Tool<'a> {
    driver: Driver<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver<'a> {
    name: &'a str,
    version: &'a str,
    semantic_version: &'a str,
    information_uri: &'static str,
    rules: Vec<Rule>,
}

#[derive(Serialize)]
struct Text {
    text: String,
}

#[derive(Serialize)]
struct Help {
    text: String,
    markdown: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Rule {
    id: String,
    name: String,
    short_description: Text,
    full_description: Text,
    help: Help,
    help_uri: String,
    default_configuration: Configuration,
    properties: RuleProperties,
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
struct RuleProperties {
    tags: Vec<String>,
    #[serde(rename = "security-severity")]
    security_severity: &'static str,
    precision: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult<'a> {
    rule_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    rule_index: Option<usize>,
    level: &'static str,
    message: Text,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    locations: Vec<Location>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related_locations: Vec<Location>,
    partial_fingerprints: BTreeMap<&'static str, &'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    suppressions: Vec<Suppression>,
    properties: ResultProperties<'a>,
}

#[derive(Serialize)]
struct ResultProperties<'a> {
    severity: Severity,
    subject: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    entitlement: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Suppression {
    kind: &'static str,
    status: &'static str,
    justification: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<usize>,
    physical_location: PhysicalLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<Text>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<Region>,
}

#[derive(Serialize)]
struct ArtifactLocation {
    uri: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: u32,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Invocation {
    execution_successful: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tool_execution_notifications: Vec<Notification>,
}

#[derive(Serialize)]
struct Notification {
    level: &'static str,
    message: Text,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    locations: Vec<Location>,
}

/// The SARIF level of a severity.
pub fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// GitHub's `security-severity` of a severity (a number from 0.0 to 10.0, as a string).
pub fn security_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "1.0",
    }
}

/// A path as the source named it, as a relative URI reference: backslashes become `/`, and
/// every byte outside RFC 3986's unreserved and sub-delimiter characters (and `/ : @`) is
/// percent-encoded.
pub fn uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.replace('\\', "/").bytes() {
        if b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn location(p: &Provenance, id: Option<usize>) -> Location {
    Location {
        id,
        physical_location: PhysicalLocation {
            artifact_location: ArtifactLocation { uri: uri(p.file()) },
            region: p.line.map(|start_line| Region { start_line }),
        },
        message: id.map(|_| Text {
            text: match &p.record {
                Some(r) => format!("source record {r} ({})", p.source()),
                None => format!("source record ({})", p.source()),
            },
        }),
    }
}

fn rule(meta: &RuleMeta) -> Rule {
    let mut tags = vec![
        "security".to_string(),
        "access-control".to_string(),
        meta.family.to_ascii_lowercase(),
    ];
    let r = &meta.references;
    tags.extend(
        r.owasp_nhi
            .iter()
            .chain(&r.nist_csf)
            .chain(&r.nist_800_53)
            .cloned(),
    );
    Rule {
        id: meta.id.clone(),
        name: meta.name.clone(),
        short_description: Text {
            text: meta.title.clone(),
        },
        full_description: Text {
            text: meta.docs.what.trim().to_string(),
        },
        help: Help {
            text: format!(
                "{}\n\nWhy it matters: {}\n\nHow to fix: {}",
                meta.docs.what.trim(),
                meta.docs.why.trim(),
                meta.docs.fix.trim()
            ),
            markdown: meta.markdown(),
        },
        help_uri: meta.help_uri(),
        default_configuration: Configuration {
            level: level(meta.default_severity),
        },
        properties: RuleProperties {
            tags,
            security_severity: security_severity(meta.default_severity),
            precision: "high",
        },
    }
}

fn result<'a>(
    f: &'a Finding,
    rule_index: Option<usize>,
    suppression: Option<Suppression>,
) -> SarifResult<'a> {
    let mut sources = f.evidence.sources.iter();
    let locations = sources
        .next()
        .map(|p| location(p, None))
        .into_iter()
        .collect();
    let related_locations = sources
        .enumerate()
        .map(|(i, p)| location(p, Some(i + 1)))
        .collect();
    SarifResult {
        rule_id: &f.rule_id,
        rule_index,
        level: level(f.severity),
        message: Text {
            text: f.message.clone(),
        },
        locations,
        related_locations,
        partial_fingerprints: BTreeMap::from([(FINGERPRINT_KEY, f.fingerprint.as_str())]),
        suppressions: suppression.into_iter().collect(),
        properties: ResultProperties {
            severity: f.severity,
            subject: &f.subject,
            entitlement: f.entitlement.as_deref(),
        },
    }
}

/// Renders the report as SARIF 2.1.0 JSON (pretty, ending in a newline).
pub fn render(report: &ScanReport) -> String {
    let mut ids: Vec<&str> = report.rules.iter().map(String::as_str).collect();
    for f in report
        .findings
        .iter()
        .chain(report.suppressed.iter().map(|s| &s.finding))
    {
        ids.push(&f.rule_id);
    }
    ids.sort_unstable();
    ids.dedup();
    let metas: Vec<&RuleMeta> = ids
        .iter()
        .filter_map(|id| crate::rules::find_rule(id).map(|r| &r.meta))
        .collect();
    let index = |id: &str| metas.iter().position(|m| m.id == id);
    let mut results: Vec<SarifResult<'_>> = report
        .findings
        .iter()
        .map(|f| result(f, index(&f.rule_id), None))
        .collect();
    results.extend(report.suppressed.iter().map(|s| {
        let justification = match &s.approved_by {
            Some(by) => format!(
                "{} (approved by {by}, until {})",
                s.reason.trim(),
                s.expires
            ),
            None => format!("{} (until {})", s.reason.trim(), s.expires),
        };
        result(
            &s.finding,
            index(&s.finding.rule_id),
            Some(Suppression {
                kind: "external",
                status: "accepted",
                justification,
            }),
        )
    }));
    let mut notifications: Vec<Notification> = report
        .coverage
        .gaps
        .iter()
        .map(|g| Notification {
            level: "error",
            message: Text {
                text: g.to_string(),
            },
            locations: Vec::new(),
        })
        .collect();
    notifications.extend(report.suppression_notes.iter().map(|n| Notification {
        level: "warning",
        message: Text { text: n.clone() },
        locations: Vec::new(),
    }));
    notifications.extend(report.diagnostics.iter().map(|d| Notification {
        level: match d.level {
            DiagnosticLevel::Warning => "warning",
            DiagnosticLevel::Info => "note",
        },
        message: Text {
            text: d.message.clone(),
        },
        locations: vec![location(&d.provenance, None)],
    }));
    let log = Log {
        schema: SCHEMA_URI,
        version: "2.1.0",
        runs: vec![Run {
            tool: Tool {
                driver: Driver {
                    name: &report.tool.name,
                    version: &report.tool.version,
                    semantic_version: &report.tool.version,
                    information_uri: INFORMATION_URI,
                    rules: metas.iter().map(|m| rule(m)).collect(),
                },
            },
            invocations: vec![Invocation {
                execution_successful: report.coverage.complete,
                tool_execution_notifications: notifications,
            }],
            results,
            properties: RunProperties {
                audit_time: format_timestamp(report.audit_time),
                report_schema_version: report.schema_version,
            },
        }],
    };
    let mut out = serde_json::to_string_pretty(&log)
        .expect("the SARIF log serializes: every map key is a string");
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::test_support::{report_with_subject, sample_report};
    use serde_json::Value;

    fn value(report: &ScanReport) -> Value {
        serde_json::from_str(&render(report)).expect("valid JSON")
    }

    #[test]
    fn rules_results_levels_locations_and_fingerprints() {
        let report = sample_report();
        let v = value(&report);
        assert_eq!(v["version"], "2.1.0");
        let run = &v["runs"][0];
        let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
        let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
        assert_eq!(ids, ["SC001", "SP001", "SP004"]);
        let sp001 = &rules[1];
        assert_eq!(sp001["name"], "standing-admin");
        assert_eq!(sp001["properties"]["security-severity"], "8.0");
        assert_eq!(sp001["defaultConfiguration"]["level"], "error");
        assert!(sp001["help"]["markdown"]
            .as_str()
            .unwrap()
            .starts_with("# SP001 standing-admin"));
        assert!(sp001["helpUri"]
            .as_str()
            .unwrap()
            .ends_with("SP001-standing-admin.yaml"));
        assert!(sp001["properties"]["tags"]
            .as_array()
            .unwrap()
            .contains(&Value::from("security")));

        let results = run["results"].as_array().unwrap();
        assert_eq!(results.len(), 3, "two findings and one suppressed");
        let first = &results[0];
        assert_eq!(first["ruleId"], "SP001");
        assert_eq!(first["ruleIndex"], 1);
        assert_eq!(first["level"], "error");
        assert_eq!(
            first["partialFingerprints"][FINGERPRINT_KEY],
            report.findings[0].fingerprint.as_str()
        );
        let loc = &first["locations"][0]["physicalLocation"];
        assert_eq!(loc["artifactLocation"]["uri"], "okta/groups.json");
        assert_eq!(loc["region"]["startLine"], 12);
        assert_eq!(first["relatedLocations"][0]["id"], 1);
        assert_eq!(results[1]["level"], "warning");
        let suppressed = &results[2];
        assert_eq!(suppressed["level"], "note");
        assert_eq!(suppressed["suppressions"][0]["kind"], "external");
        assert_eq!(
            suppressed["suppressions"][0]["justification"],
            "Finance quarter close; removal scheduled. (approved by carol@acme.example, until 2026-04-01)"
        );
        // A source without a line: no region.
        assert!(suppressed["locations"][0]["physicalLocation"]
            .get("region")
            .is_none());
        let notes = run["invocations"][0]["toolExecutionNotifications"]
            .as_array()
            .unwrap();
        assert_eq!(notes.len(), 2, "a suppression note and a diagnostic");
        assert_eq!(run["invocations"][0]["executionSuccessful"], true);
    }

    #[test]
    fn snapshot_with_rule_docs_redacted() {
        // The rules' documentation and references live in rules/*.yaml and have their own
        // tests; the snapshot pins everything else.
        let mut v = value(&sample_report());
        for rule in v["runs"][0]["tool"]["driver"]["rules"]
            .as_array_mut()
            .unwrap()
        {
            for key in ["shortDescription", "fullDescription", "help"] {
                rule[key] = Value::from("[rule documentation]");
            }
            // Framework references follow the catalog; the fixed tags come first.
            rule["properties"]["tags"]
                .as_array_mut()
                .unwrap()
                .truncate(3);
        }
        v["runs"][0]["tool"]["driver"]["version"] = Value::from("[version]");
        v["runs"][0]["tool"]["driver"]["semanticVersion"] = Value::from("[version]");
        insta::assert_snapshot!(serde_json::to_string_pretty(&v).unwrap());
    }

    #[test]
    fn levels_and_severity_scores() {
        assert_eq!(level(Severity::Critical), "error");
        assert_eq!(level(Severity::Medium), "warning");
        assert_eq!(level(Severity::Info), "note");
        assert_eq!(security_severity(Severity::Critical), "9.5");
        assert_eq!(security_severity(Severity::Low), "3.0");
    }

    #[test]
    fn uris_are_percent_encoded_relative_references() {
        assert_eq!(uri("okta/groups.json"), "okta/groups.json");
        assert_eq!(uri("my data\\grants #1.csv"), "my%20data/grants%20%231.csv");
        assert_eq!(uri("zoë.yaml"), "zo%C3%AB.yaml");
    }

    #[test]
    fn deterministic_and_hostile_names_stay_in_their_string() {
        assert_eq!(render(&sample_report()), render(&sample_report()));
        let hostile = "\"},\u{1b}[31m\n{\"x\":\"";
        let v = value(&report_with_subject(hostile));
        assert_eq!(v["runs"][0]["results"][0]["properties"]["subject"], hostile);
    }
}
