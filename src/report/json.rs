//! The JSON report: the whole [`ScanReport`], versioned by `schema_version`.
//!
//! Pretty-printed with two-space indentation and a trailing newline. Deterministic: every map
//! in the report is a `BTreeMap` and every list is sorted before it gets here, and the only
//! time in it is data (the audit time and the sources' own timestamps), which serializes as
//! RFC 3339 in UTC (`2026-03-01T09:30:00Z`).
//!
//! No escaping is needed beyond JSON's own string escaping, which serde_json applies to every
//! string (quotes, backslashes and control characters included).

use super::{write_chunked, ScanReport, CHUNK_ITEMS};
use serde::Serialize;
use std::io::{self, Write};

/// Renders the report as pretty JSON ending in a newline.
pub fn render(report: &ScanReport) -> String {
    let mut out = Vec::new();
    write(report, &mut out).expect("writing JSON to memory cannot fail");
    String::from_utf8(out).expect("serde_json writes UTF-8")
}

/// Streams the report as pretty JSON ending in a newline: a large organisation's report is
/// never held in memory as one string.
///
/// The bytes are exactly `serde_json::to_writer_pretty(report)` followed by `\n`, but the
/// findings (and suppressed findings) are serialized in parallel, chunk by chunk, each
/// starting at the indentation it has inside the report (see [`write_chunked`]).
pub fn write(report: &ScanReport, out: &mut dyn Write) -> io::Result<()> {
    write_with_chunks(report, out, CHUNK_ITEMS)
}

fn write_with_chunks(report: &ScanReport, out: &mut dyn Write, chunk: usize) -> io::Result<()> {
    // Every field, in declaration order (the order serde writes them): a field added to
    // ScanReport must be added here, and this destructuring does not compile until it is.
    let ScanReport {
        schema_version,
        tool,
        audit_time,
        sources,
        policy,
        rules,
        summary,
        coverage,
        findings,
        suppressed,
        suppression_notes,
        diagnostics,
    } = report;
    let mut buf = Vec::with_capacity(64 * 1024);
    buf.push(b'{');
    key(&mut buf, "schema_version", true);
    serialize(&mut buf, schema_version, 1)?;
    field(&mut buf, "tool", tool)?;
    field(&mut buf, "audit_time", audit_time)?;
    field(&mut buf, "sources", sources)?;
    field(&mut buf, "policy", policy)?;
    field(&mut buf, "rules", rules)?;
    field(&mut buf, "summary", summary)?;
    field(&mut buf, "coverage", coverage)?;
    key(&mut buf, "findings", false);
    array(&mut buf, out, findings, chunk)?;
    key(&mut buf, "suppressed", false);
    array(&mut buf, out, suppressed, chunk)?;
    field(&mut buf, "suppression_notes", suppression_notes)?;
    field(&mut buf, "diagnostics", diagnostics)?;
    buf.extend_from_slice(b"\n}\n");
    out.write_all(&buf)
}

/// The start of a field of the top-level object: what serde_json's pretty printer writes
/// before its value.
fn key(buf: &mut Vec<u8>, name: &str, first: bool) {
    buf.extend_from_slice(if first { b"\n" } else { b",\n" });
    indent(buf, 1);
    serde_json::to_writer(&mut *buf, name).expect("a field name serializes");
    buf.extend_from_slice(b": ");
}

/// One field of the top-level object, its value at depth 1.
fn field<T: Serialize + ?Sized>(buf: &mut Vec<u8>, name: &str, value: &T) -> io::Result<()> {
    key(buf, name, false);
    serialize(buf, value, 1)
}

/// A top-level field's array, at depth 1: what precedes it in `buf` is written first, then
/// its elements in parallel chunks; its closing bracket is left in `buf`.
fn array<T: Serialize + Sync>(
    buf: &mut Vec<u8>,
    out: &mut dyn Write,
    items: &[T],
    chunk: usize,
) -> io::Result<()> {
    if items.is_empty() {
        buf.extend_from_slice(b"[]");
        return Ok(());
    }
    buf.push(b'[');
    out.write_all(buf)?;
    buf.clear();
    write_chunked(items, out, chunk, |buf, i, item| {
        buf.extend_from_slice(if i == 0 { b"\n" } else { b",\n" });
        indent(buf, 2);
        serialize(buf, item, 2)
    })?;
    buf.push(b'\n');
    indent(buf, 1);
    buf.push(b']');
    Ok(())
}

/// Serializes `value` as serde_json's pretty printer does when it meets the value `depth`
/// levels deep.
fn serialize<T: Serialize + ?Sized>(buf: &mut Vec<u8>, value: &T, depth: usize) -> io::Result<()> {
    let mut serializer = serde_json::Serializer::with_formatter(buf, Pretty::at(depth));
    // Serialization can only fail on a map whose keys are not strings (every map key in the
    // report is a string or a unit enum, Severity); writing to memory cannot fail.
    value.serialize(&mut serializer).map_err(io::Error::from)
}

const SPACES: &[u8; 64] = b"                                                                ";

/// Two spaces per level, as `PrettyFormatter` indents.
fn indent(buf: &mut Vec<u8>, depth: usize) {
    write_indent(buf, depth).expect("writing to memory cannot fail");
}

/// serde_json's `PrettyFormatter` with two-space indentation, but starting at any depth
/// (`PrettyFormatter` always starts at the top level): the same bytes, method for method.
struct Pretty {
    current_indent: usize,
    has_value: bool,
}

impl Pretty {
    fn at(depth: usize) -> Pretty {
        Pretty {
            current_indent: depth,
            has_value: false,
        }
    }

    /// `[` or `{`: one level deeper, nothing in it yet.
    fn open<W: ?Sized + Write>(&mut self, writer: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.current_indent += 1;
        self.has_value = false;
        writer.write_all(bracket)
    }

    /// `]` or `}`, on a line of its own when something came before it.
    fn close<W: ?Sized + Write>(&mut self, writer: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.current_indent -= 1;
        if self.has_value {
            writer.write_all(b"\n")?;
            write_indent(writer, self.current_indent)?;
        }
        writer.write_all(bracket)
    }

    /// Before an array element or an object key: a new, indented line.
    fn next_item<W: ?Sized + Write>(&mut self, writer: &mut W, first: bool) -> io::Result<()> {
        writer.write_all(if first { b"\n" } else { b",\n" })?;
        write_indent(writer, self.current_indent)
    }
}

impl serde_json::ser::Formatter for Pretty {
    #[inline]
    fn begin_array<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.open(writer, b"[")
    }

    #[inline]
    fn end_array<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.close(writer, b"]")
    }

    #[inline]
    fn begin_array_value<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.next_item(writer, first)
    }

    #[inline]
    fn end_array_value<W: ?Sized + Write>(&mut self, _writer: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    #[inline]
    fn begin_object<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.open(writer, b"{")
    }

    #[inline]
    fn end_object<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.close(writer, b"}")
    }

    #[inline]
    fn begin_object_key<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.next_item(writer, first)
    }

    #[inline]
    fn begin_object_value<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        writer.write_all(b": ")
    }

    #[inline]
    fn end_object_value<W: ?Sized + Write>(&mut self, _writer: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}

#[inline]
fn write_indent<W: ?Sized + Write>(writer: &mut W, depth: usize) -> io::Result<()> {
    let mut n = 2 * depth;
    while n > 0 {
        let step = n.min(SPACES.len());
        writer.write_all(&SPACES[..step])?;
        n -= step;
    }
    Ok(())
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

    /// What the report was before findings were serialized in parallel chunks.
    fn serde_pretty(report: &ScanReport) -> String {
        let mut text = serde_json::to_string_pretty(report).expect("serializes");
        text.push('\n');
        text
    }

    fn rendered_in_chunks_of(report: &ScanReport, chunk: usize) -> String {
        let mut out = Vec::new();
        write_with_chunks(report, &mut out, chunk).expect("writes to memory");
        String::from_utf8(out).expect("UTF-8")
    }

    /// The sample report with `n` findings and `n / 3` suppressed findings, varied enough
    /// (paths or none, facts, hostile text) to exercise every element's shape.
    fn large_report(n: usize) -> ScanReport {
        let mut report = sample_report();
        let (findings, suppressed) = (report.findings.clone(), report.suppressed.clone());
        report.findings = (0..n)
            .map(|i| {
                let mut f = findings[i % findings.len()].clone();
                f.subject = format!("user-{i}\"\n\u{1b}é");
                f
            })
            .collect();
        report.suppressed = (0..n / 3)
            .map(|i| {
                let mut s = suppressed[0].clone();
                s.reason = format!("reason {i}");
                s.approved_by = (i % 2 == 0).then(|| "carol".into());
                s
            })
            .collect();
        report
    }

    #[test]
    fn chunked_output_is_serde_jsons_pretty_output() {
        let mut empty = sample_report();
        empty.findings.clear();
        empty.suppressed.clear();
        empty.sources.clear();
        for report in [sample_report(), empty, large_report(1), large_report(100)] {
            let expected = serde_pretty(&report);
            assert_eq!(render(&report), expected);
            for chunk in [1, 2, 3, 7, 1000] {
                assert_eq!(
                    rendered_in_chunks_of(&report, chunk),
                    expected,
                    "chunk {chunk}"
                );
            }
        }
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
