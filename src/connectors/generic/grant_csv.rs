//! Grant logs in CSV: a header row naming the columns, then one grant event per row,
//! read as a stream.

use super::fields::present;
use super::text::strip_bom;
use crate::connectors::error::{line_location, shorten};
use crate::connectors::ConnectorError;
use crate::model::time::parse_timestamp;
use crate::model::{GrantEvent, GrantEventKind, Inventory, Provenance, Timestamp};
use compact_str::CompactString;
use csv::{ByteRecord, ErrorKind, ReaderBuilder};
use std::io::Read;

/// What an empty file should have held, for [`ConnectorError::Empty`].
pub(crate) const CSV_EXPECTED: &str =
    "a grant log in CSV: a header row naming at least grant_id, event and time, then one row per event";

/// The columns a grant log may have, in the order of [`Column`].
pub(crate) const GRANT_COLUMNS: [&str; 11] = [
    "grant_id",
    "event",
    "time",
    "principal",
    "entitlement",
    "requester",
    "approver",
    "justification",
    "ticket",
    "window_end",
    "break_glass",
];

/// The columns every grant log must have.
pub(crate) const REQUIRED_COLUMNS: [&str; 3] = ["grant_id", "event", "time"];

/// Columns whose name starts with this are the producer's own and are skipped.
const IGNORED_PREFIX: &str = "x-";

#[derive(Debug, Clone, Copy)]
enum Column {
    GrantId,
    Event,
    Time,
    Principal,
    Entitlement,
    Requester,
    Approver,
    Justification,
    Ticket,
    WindowEnd,
    BreakGlass,
}

/// Where each known column sits in a row.
struct ColumnIndexes([Option<usize>; GRANT_COLUMNS.len()]);

impl ColumnIndexes {
    fn from_header(header: &ByteRecord, line: u64, file: &str) -> Result<Self, ConnectorError> {
        let mut indexes = [None; GRANT_COLUMNS.len()];
        for (position, raw) in header.iter().enumerate() {
            let name = std::str::from_utf8(raw).map_err(|_| {
                ConnectorError::invalid(
                    file,
                    line_location(line),
                    "the header row is not UTF-8 text; expected UTF-8",
                )
            })?;
            let name = if position == 0 { strip_bom(name) } else { name }.trim();
            if name.to_ascii_lowercase().starts_with(IGNORED_PREFIX) {
                continue;
            }
            let Some(known) = GRANT_COLUMNS.iter().position(|c| *c == name) else {
                return Err(ConnectorError::invalid(
                    file,
                    line_location(line),
                    format!(
                        "unknown column `{}`; expected one of {} (columns named x-… are ignored)",
                        shorten(name),
                        GRANT_COLUMNS.join(", ")
                    ),
                ));
            };
            if indexes[known].replace(position).is_some() {
                return Err(ConnectorError::invalid(
                    file,
                    line_location(line),
                    format!("column `{name}` appears twice; expected each column once"),
                ));
            }
        }
        for required in REQUIRED_COLUMNS {
            if GRANT_COLUMNS
                .iter()
                .position(|c| *c == required)
                .is_some_and(|i| indexes[i].is_none())
            {
                return Err(ConnectorError::invalid(
                    file,
                    line_location(line),
                    format!(
                        "the header has no `{required}` column; expected at least {}",
                        REQUIRED_COLUMNS.join(", ")
                    ),
                ));
            }
        }
        Ok(ColumnIndexes(indexes))
    }
}

/// One data row being read, for cell access with errors that name the row and column.
struct Row<'a> {
    record: &'a ByteRecord,
    columns: &'a ColumnIndexes,
    location: String,
    file: &'a str,
}

impl Row<'_> {
    fn error(&self, column: Column, message: impl AsRef<str>) -> ConnectorError {
        ConnectorError::invalid(
            self.file,
            self.location.clone(),
            format!(
                "column `{}`: {}",
                GRANT_COLUMNS[column as usize],
                message.as_ref()
            ),
        )
    }

    /// The trimmed cell, `None` when the column is absent or the cell blank.
    fn text(&self, column: Column) -> Result<Option<CompactString>, ConnectorError> {
        let Some(raw) = self.columns.0[column as usize].and_then(|i| self.record.get(i)) else {
            return Ok(None);
        };
        let text = std::str::from_utf8(raw)
            .map_err(|_| self.error(column, "the cell is not UTF-8 text; expected UTF-8"))?;
        Ok(present(Some(CompactString::from(text.trim()))))
    }

    fn required(&self, column: Column, expected: &str) -> Result<CompactString, ConnectorError> {
        self.text(column)?
            .ok_or_else(|| self.error(column, format!("the cell is empty; expected {expected}")))
    }

    fn timestamp(&self, column: Column) -> Result<Option<Timestamp>, ConnectorError> {
        match self.text(column)? {
            Some(text) => parse_timestamp(&text)
                .map(Some)
                .map_err(|err| self.error(column, err.to_string())),
            None => Ok(None),
        }
    }

    fn event(&self) -> Result<GrantEventKind, ConnectorError> {
        let text = self.required(Column::Event, "the event kind")?;
        GrantEventKind::parse(&text).ok_or_else(|| {
            let allowed: Vec<&str> = GrantEventKind::ALL.iter().map(|k| k.as_str()).collect();
            self.error(
                Column::Event,
                format!(
                    "unknown event `{}`; expected one of {}",
                    shorten(&text),
                    allowed.join(", ")
                ),
            )
        })
    }

    fn flag(&self, column: Column) -> Result<bool, ConnectorError> {
        match self.text(column)?.map(|t| t.to_ascii_lowercase()).as_deref() {
            None | Some("false" | "no" | "0") => Ok(false),
            Some("true" | "yes" | "1") => Ok(true),
            Some(other) => Err(self.error(
                column,
                format!("`{}` is not a yes/no value; expected true, false, yes, no, 1, 0 or an empty cell", shorten(other)),
            )),
        }
    }
}

/// Reads every event of a CSV grant log. Blank cells are absent values; columns named
/// `x-…` are skipped; every row must have as many cells as the header. Room for
/// `expected_events` is made up front (see [`expected_events`]).
///
/// [`expected_events`]: super::expected_events
pub(crate) fn read_grant_csv(
    reader: impl Read,
    source: &str,
    file: &str,
    expected_events: usize,
) -> Result<Inventory, ConnectorError> {
    let mut csv = ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(reader);
    let header = csv
        .byte_headers()
        .map_err(|err| csv_error(err, file))?
        .clone();
    if header
        .iter()
        .all(|cell| cell.iter().all(u8::is_ascii_whitespace))
    {
        return Err(ConnectorError::empty(file, CSV_EXPECTED));
    }
    let header_line = header.position().map_or(1, |p| p.line());
    let columns = ColumnIndexes::from_header(&header, header_line, file)?;

    let mut inventory = Inventory::new();
    inventory.grant_events.reserve_exact(expected_events);
    let mut record = ByteRecord::new();
    let mut record_no: u64 = 0;
    while csv
        .read_byte_record(&mut record)
        .map_err(|err| csv_error(err, file))?
    {
        record_no += 1;
        let line = record.position().map_or(0, |p| p.line());
        let row = Row {
            record: &record,
            columns: &columns,
            location: format!("record {record_no} (line {line})"),
            file,
        };
        let mut provenance =
            Provenance::new(source, file).with_record(format!("record {record_no}"));
        if let Ok(line) = u32::try_from(line) {
            provenance = provenance.at_line(line);
        }
        inventory.grant_events.push(GrantEvent {
            grant_id: row.required(Column::GrantId, "the grant's id")?,
            event: row.event()?,
            time: row.timestamp(Column::Time)?.ok_or_else(|| {
                row.error(Column::Time, "the cell is empty; expected the event's time")
            })?,
            principal: row.text(Column::Principal)?,
            entitlement: row.text(Column::Entitlement)?,
            requester: row.text(Column::Requester)?,
            approver: row.text(Column::Approver)?,
            justification: row.text(Column::Justification)?,
            ticket: row.text(Column::Ticket)?,
            window_end: row.timestamp(Column::WindowEnd)?,
            break_glass: row.flag(Column::BreakGlass)?,
            provenance,
        });
    }
    Ok(inventory)
}

fn csv_error(err: csv::Error, file: &str) -> ConnectorError {
    let location = |pos: &csv::Position| format!("record {} (line {})", pos.record(), pos.line());
    match err.kind() {
        ErrorKind::Io(io) => ConnectorError::io(file, io),
        ErrorKind::UnequalLengths {
            pos,
            expected_len,
            len,
        } => ConnectorError::invalid(
            file,
            pos.as_ref().map_or_else(|| "a row".to_string(), location),
            format!("the row has {len} cells but the header has {expected_len}; expected one cell per column (quote cells that contain commas)"),
        ),
        _ => ConnectorError::invalid(
            file,
            err.position().map_or_else(|| "whole file".to_string(), location),
            err.to_string(),
        ),
    }
}
