//! Grant logs in JSON Lines: one grant event object per line, read as a stream.

use super::fields::MapOnly;
use super::records::GrantEventRecord;
use super::text::{is_blank, not_utf8_at, strip_bom, strip_parser_location};
use crate::connectors::error::line_column_location;
use crate::connectors::ConnectorError;
use crate::model::{Inventory, Provenance};
use std::io::BufRead;

/// What an empty file should have held, for [`ConnectorError::Empty`].
pub(crate) const JSONL_EXPECTED: &str =
    "a grant log in JSON Lines: one object per line with at least grant_id, event and time";

/// Reads every event of a JSON Lines grant log. Blank lines are skipped; any other line
/// must be one whole grant event object. Memory use is one line at a time plus the events,
/// for which room is made up front for `expected_events` (see [`expected_events`]).
///
/// [`expected_events`]: super::expected_events
pub(crate) fn read_grant_jsonl(
    mut reader: impl BufRead,
    source: &str,
    file: &str,
    expected_events: usize,
) -> Result<Inventory, ConnectorError> {
    let mut inventory = Inventory::new();
    inventory.grant_events.reserve_exact(expected_events);
    let mut buffer = Vec::new();
    let mut line_no: u64 = 0;
    let mut record_no: u64 = 0;
    loop {
        buffer.clear();
        let read = reader
            .read_until(b'\n', &mut buffer)
            .map_err(|err| ConnectorError::io(file, &err))?;
        if read == 0 {
            break;
        }
        line_no += 1;
        let line = match std::str::from_utf8(&buffer) {
            Ok(line) => line,
            Err(err) => {
                let bad = err.valid_up_to();
                let byte = buffer.get(bad).copied().unwrap_or(0);
                return Err(not_utf8_at(line_no, bad as u64 + 1, byte, file));
            }
        };
        let line = if line_no == 1 { strip_bom(line) } else { line };
        if is_blank(line) {
            continue;
        }
        record_no += 1;
        let MapOnly(record): MapOnly<GrantEventRecord> =
            serde_json::from_str(line).map_err(|err| line_error(&err, line_no, record_no, file))?;
        let provenance = Provenance::new(source, file).with_record(format!("record {record_no}"));
        let provenance = match u32::try_from(line_no) {
            Ok(line) => provenance.at_line(line),
            Err(_) => provenance,
        };
        inventory
            .grant_events
            .push(record.into_grant_event(provenance));
    }
    if record_no == 0 {
        return Err(ConnectorError::empty(file, JSONL_EXPECTED));
    }
    Ok(inventory)
}

fn line_error(err: &serde_json::Error, line_no: u64, record_no: u64, file: &str) -> ConnectorError {
    let mut message = format!(
        "record {record_no}: {}",
        strip_parser_location(&err.to_string())
    );
    if err.is_eof() {
        message.push_str(
            "; each line must hold one whole JSON object (a pretty-printed object spans lines)",
        );
    }
    ConnectorError::invalid(
        file,
        line_column_location(line_no, err.column() as u64),
        message,
    )
}
