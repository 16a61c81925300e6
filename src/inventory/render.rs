//! The inventory as CSV (one row per privilege, for spreadsheets) and JSON (the whole
//! report, versioned by `schema_version`). Both deterministic: rows arrive sorted.

use super::{InventoryReport, InventoryRow};
use crate::model::time::format_timestamp;
use crate::report::escape;

/// The CSV header, in column order.
pub const CSV_COLUMNS: [&str; 16] = [
    "identity",
    "identity_kind",
    "entitlement",
    "privilege",
    "permissions",
    "assignment",
    "held",
    "path",
    "conditions",
    "window_end",
    "last_used",
    "last_used_by",
    "days_unused",
    "secrets",
    "recommendation",
    "reason",
];

/// `AKIA1 (access-key, 412 days old)`, joined by `; `.
pub fn secrets_cell(row: &InventoryRow) -> String {
    row.secrets
        .iter()
        .map(|s| {
            let age = s
                .age_days
                .map(|d| format!(", {d} days old"))
                .unwrap_or_default();
            let inactive = if s.active { "" } else { ", inactive" };
            format!("{} ({}{age}{inactive})", s.id, s.kind)
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn cells(row: &InventoryRow) -> [String; 16] {
    let ts = |t: Option<crate::model::Timestamp>| t.map(format_timestamp).unwrap_or_default();
    [
        row.identity.clone(),
        row.identity_kind.to_string(),
        row.entitlement.clone(),
        row.privilege.to_string(),
        row.permissions.to_string(),
        row.assignment.to_string(),
        row.held.as_str().to_string(),
        row.path.clone(),
        row.conditions.join(" "),
        ts(row.window_end),
        ts(row.last_used),
        row.last_used_grain
            .map(|g| g.as_str().to_string())
            .unwrap_or_default(),
        row.days_unused.map(|d| d.to_string()).unwrap_or_default(),
        secrets_cell(row),
        row.recommendation.to_string(),
        row.reason.clone(),
    ]
}

/// The rows as CSV with a header; every cell neutralised against formula injection.
pub fn csv(report: &InventoryReport) -> String {
    let mut w = ::csv::WriterBuilder::new()
        .terminator(::csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    // Writing to a Vec cannot fail.
    w.write_record(CSV_COLUMNS).expect("write to memory");
    for row in &report.rows {
        let cells = cells(row);
        w.write_record(cells.iter().map(|c| escape::csv_cell(c).into_owned()))
            .expect("write to memory");
    }
    let bytes = w.into_inner().expect("flush to memory");
    String::from_utf8(bytes).expect("CSV of UTF-8 strings is UTF-8")
}

/// The whole report as pretty JSON ending in a newline.
pub fn json(report: &InventoryReport) -> String {
    let mut out = serde_json::to_string_pretty(report)
        .expect("InventoryReport serializes to JSON: every map key is a string or a unit enum");
    out.push('\n');
    out
}
