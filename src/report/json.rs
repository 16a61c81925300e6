//! The JSON report: the whole [`ScanReport`], versioned by `schema_version`.
//!
//! Pretty-printed with two-space indentation and a trailing newline. Deterministic: every map
//! in the report is a `BTreeMap` and every list is sorted before it gets here, and the only
//! time in it is data (the audit time and the sources' own timestamps), which serializes as
//! RFC 3339 in UTC (`2026-03-01T09:30:00Z`).
//!
//! No escaping is needed beyond JSON's own string escaping, which serde_json applies to every
//! string (quotes, backslashes and control characters included).

use super::ScanReport;

/// Renders the report as pretty JSON ending in a newline.
pub fn render(report: &ScanReport) -> String {
    let mut out = Vec::new();
    write(report, &mut out).expect("writing JSON to memory cannot fail");
    String::from_utf8(out).expect("serde_json writes UTF-8")
}

/// Streams the report as pretty JSON ending in a newline: a large organisation's report is
/// never held in memory as one string.
pub fn write(report: &ScanReport, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    // Serialization can only fail on a map whose keys are not strings (every map key in the
    // report is a string or a unit enum, Severity) or on the writer: only the latter is real.
    serde_json::to_writer_pretty(&mut *out, report).map_err(std::io::Error::from)?;
    out.write_all(b"\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::test_support::{report_with_subject, sample_report};
    use crate::report::SCHEMA_VERSION;
    use serde_json::Value;

    #[test]
    fn round_trips_through_serde_json_value_with_schema_version() {
        let text = render(&sample_report());
        let value: Value = serde_json::from_str(&text).expect("valid JSON");
        assert_eq!(value["schema_version"], Value::from(SCHEMA_VERSION));
        assert_eq!(value["tool"]["name"], "residue");
        assert_eq!(value["findings"].as_array().map(Vec::len), Some(2));
        assert_eq!(value["suppressed"].as_array().map(Vec::len), Some(1));
        assert_eq!(value["summary"]["by_severity"]["high"], 1);
        assert_eq!(value["summary"]["by_rule"]["SP001"], 1);
        assert_eq!(
            value["findings"][0]["evidence"]["path"]["hops"][0]["relation"],
            "member-of"
        );
    }

    #[test]
    fn timestamps_are_rfc3339_utc() {
        let mut report = sample_report();
        report.audit_time = "2026-03-01T10:30:00+01:00"
            .parse()
            .expect("valid timestamp");
        let value: Value = serde_json::from_str(&render(&report)).expect("valid JSON");
        assert_eq!(value["audit_time"], "2026-03-01T09:30:00Z");
    }

    #[test]
    fn is_pretty_with_two_spaces_and_ends_with_a_newline() {
        let text = render(&sample_report());
        assert!(text.starts_with("{\n  \"schema_version\": 1,\n"), "{text}");
        assert!(text.ends_with("}\n"));
        assert!(!text.ends_with("\n\n"));
    }

    #[test]
    fn rendering_twice_gives_identical_output() {
        let report = sample_report();
        assert_eq!(render(&report), render(&report));
        assert_eq!(render(&report), render(&sample_report()));
    }

    #[test]
    fn hostile_names_stay_inside_their_string() {
        let hostile = "\"},\u{1b}[31m\n{\"x\":\"";
        let text = render(&report_with_subject(hostile));
        let value: Value = serde_json::from_str(&text).expect("valid JSON");
        assert_eq!(value["findings"][0]["subject"], hostile);
        assert!(!text.contains('\u{1b}'));
    }
}
