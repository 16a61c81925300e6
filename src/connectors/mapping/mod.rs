//! Declarative mappings: a YAML spec in the top-level `connectors/` folder says how a CSV
//! or JSON Lines grant log of any JIT product becomes grant events, without code.
//!
//! ```yaml
//! # connectors/team-approvals-csv.yaml
//! version: 1
//! input: csv
//! grant_id: id
//! principal: email
//! entitlement: "{accountId}:{role}"     # a template joins fields
//! approver: approver
//! time: {from: startTime, format: rfc3339}   # rfc3339, epoch-ms, epoch-s or a strftime pattern
//! duration: {from: duration, unit: hours}
//! event:
//!   from: status
//!   map: {approved: [requested, approved, activated], rejected: [requested, denied]}
//!   unmapped: skip
//! ```
//!
//! A source uses it as `{path: grants/pam.csv, format: mapping, mapping: connectors/x.yaml}`.
//! The spec is validated completely when residue.yaml is (every problem with the spec's
//! file:line) before any data is read; data errors name the data file, the record and line,
//! and the column or field. docs/formats.md#mapping-specs is the reference.

mod spec;

#[cfg(test)]
mod tests;

pub use spec::{load_spec, parse_spec, MappingSpec, SpecError};

use super::error::{line_location, shorten};
use super::json_records::{for_each_json_record, JsonRecord};
use super::ConnectorError;
use crate::model::{Diagnostic, GrantEvent, Inventory, Provenance, Timestamp};
use spec::{FieldRef, Input, Part, TimeField};
use std::collections::BTreeMap;

/// What a file read through a mapping must contain, for "the file is empty" errors.
pub(crate) const EXPECTED: &str =
    "a grant log in the shape its mapping spec describes (CSV with a header row, or JSON Lines)";

/// One record of the data, whatever its input.
trait Record {
    /// The raw text of a column or field; `None` when absent or blank.
    fn raw(&self, name: &str) -> Result<Option<String>, ConnectorError>;
    fn error(&self, name: &str, message: &str) -> ConnectorError;
    fn provenance(&self) -> Provenance;
}

struct CsvRecord<'a> {
    record: &'a csv::StringRecord,
    header: &'a BTreeMap<String, usize>,
    location: String,
    file: &'a str,
    provenance: Provenance,
}

impl Record for CsvRecord<'_> {
    fn raw(&self, name: &str) -> Result<Option<String>, ConnectorError> {
        Ok(self
            .header
            .get(name)
            .and_then(|&i| self.record.get(i))
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string))
    }

    fn error(&self, name: &str, message: &str) -> ConnectorError {
        ConnectorError::invalid(
            self.file,
            self.location.clone(),
            format!("column `{}`: {message}", shorten(name)),
        )
    }

    fn provenance(&self) -> Provenance {
        self.provenance.clone()
    }
}

impl Record for JsonRecord {
    fn raw(&self, name: &str) -> Result<Option<String>, ConnectorError> {
        self.text(name)
    }

    fn error(&self, name: &str, message: &str) -> ConnectorError {
        self.field_error(name, message)
    }

    fn provenance(&self) -> Provenance {
        self.provenance.clone()
    }
}

/// Reads a grant log as `spec` describes. JSON Lines logs are streamed record by record.
pub(crate) fn parse(
    mut reader: impl std::io::BufRead,
    spec: &MappingSpec,
    source: &str,
    file: &str,
) -> Result<Inventory, ConnectorError> {
    let mut inventory = Inventory::new();
    let mut skipped: BTreeMap<String, usize> = BTreeMap::new();
    match spec.input {
        Input::Jsonl => {
            for_each_json_record(reader, file, source, &[], EXPECTED, |record| {
                map_record(&record, spec, &mut inventory.grant_events, &mut skipped)
            })?;
        }
        Input::Csv => {
            let mut bytes = Vec::new();
            reader
                .read_to_end(&mut bytes)
                .map_err(|e| ConnectorError::io(file, &e))?;
            read_csv(&bytes, spec, source, file, &mut inventory, &mut skipped)?
        }
    }
    if !skipped.is_empty() {
        let words: Vec<String> = skipped
            .iter()
            .map(|(w, n)| format!("`{}` ({n})", shorten(w)))
            .collect();
        inventory.diagnostics.push(Diagnostic::info(
            Provenance::new(source, file),
            format!(
                "{} records whose event the mapping spec {} does not map were skipped: {}",
                skipped.values().sum::<usize>(),
                spec.file,
                words.join(", ")
            ),
        ));
    }
    Ok(inventory)
}

fn read_csv(
    bytes: &[u8],
    spec: &MappingSpec,
    source: &str,
    file: &str,
    inventory: &mut Inventory,
    skipped: &mut BTreeMap<String, usize>,
) -> Result<(), ConnectorError> {
    let text = super::generic::decode_utf8(bytes, file)?;
    if text.trim().is_empty() {
        return Err(ConnectorError::empty(file, EXPECTED));
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(text.as_bytes());
    let header_record = reader
        .headers()
        .map_err(|e| ConnectorError::invalid(file, line_location(1), e.to_string()))?
        .clone();
    let header: BTreeMap<String, usize> = header_record
        .iter()
        .enumerate()
        .map(|(i, name)| (name.trim().to_string(), i))
        .collect();
    let missing: Vec<&str> = spec
        .fields()
        .into_iter()
        .filter(|f| !header.contains_key(*f))
        .collect();
    if !missing.is_empty() {
        return Err(ConnectorError::invalid(
            file,
            line_location(1),
            format!(
                "the header has no column {} that the mapping spec {} names; expected the columns the spec reads",
                missing.iter().map(|m| format!("`{}`", shorten(m))).collect::<Vec<_>>().join(", "),
                spec.file
            ),
        ));
    }
    let mut record = csv::StringRecord::new();
    let mut record_no = 0u64;
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let location = e.position().map_or_else(
                    || "a row".to_string(),
                    |p| format!("record {} (line {})", p.record(), p.line()),
                );
                let message = match e.kind() {
                    csv::ErrorKind::UnequalLengths { expected_len, len, .. } => format!(
                        "the row has {len} cells but the header has {expected_len}; expected one cell per column (the row may be cut short)"
                    ),
                    _ => e.to_string(),
                };
                return Err(ConnectorError::invalid(file, location, message));
            }
        }
        record_no += 1;
        let line = record.position().map_or(0, |p| p.line());
        let mut provenance =
            Provenance::new(source, file).with_record(format!("record {record_no}"));
        if let Ok(line) = u32::try_from(line) {
            provenance = provenance.at_line(line);
        }
        let row = CsvRecord {
            record: &record,
            header: &header,
            location: format!("record {record_no} (line {line})"),
            file,
            provenance,
        };
        map_record(&row, spec, &mut inventory.grant_events, skipped)?;
    }
    if record_no == 0 {
        return Err(ConnectorError::empty(file, EXPECTED));
    }
    Ok(())
}

fn text(record: &dyn Record, field: &FieldRef) -> Result<Option<String>, ConnectorError> {
    match field {
        FieldRef::Field(name) => record.raw(name),
        FieldRef::Template(parts) => {
            let mut out = String::new();
            for part in parts {
                match part {
                    Part::Text(t) => out.push_str(t),
                    // A template with a blank part names nothing.
                    Part::Field(name) => match record.raw(name)? {
                        Some(v) => out.push_str(&v),
                        None => return Ok(None),
                    },
                }
            }
            Ok(Some(out))
        }
    }
}

fn optional(
    record: &dyn Record,
    field: Option<&FieldRef>,
) -> Result<Option<compact_str::CompactString>, ConnectorError> {
    field.map_or(Ok(None), |f| Ok(text(record, f)?.map(Into::into)))
}

fn first_name(field: &FieldRef) -> &str {
    field.fields().first().copied().unwrap_or("")
}

fn time(record: &dyn Record, field: &TimeField) -> Result<Option<Timestamp>, ConnectorError> {
    match text(record, &field.from)? {
        None => Ok(None),
        Some(raw) => field
            .format
            .parse(&raw)
            .map_err(|message| record.error(first_name(&field.from), &message)),
    }
}

fn map_record(
    record: &dyn Record,
    spec: &MappingSpec,
    out: &mut Vec<GrantEvent>,
    skipped: &mut BTreeMap<String, usize>,
) -> Result<(), ConnectorError> {
    let event_name = first_name(&spec.event.from);
    let word = text(record, &spec.event.from)?
        .ok_or_else(|| record.error(event_name, "missing or empty; expected what happened"))?;
    let Some(kinds) = spec.event.map.get(&word.to_lowercase()) else {
        if spec.event.skip_unmapped {
            *skipped.entry(word).or_default() += 1;
            return Ok(());
        }
        let known: Vec<&str> = spec.event.map.keys().map(String::as_str).collect();
        return Err(record.error(
            event_name,
            &format!(
                "`{}` is not in the mapping spec's event map; expected one of {} (or set `unmapped: skip` in {})",
                shorten(&word),
                known.join(", "),
                spec.file
            ),
        ));
    };
    let grant_id = text(record, &spec.grant_id)?.ok_or_else(|| {
        record.error(
            first_name(&spec.grant_id),
            "missing or empty; expected the grant's id",
        )
    })?;
    let at = time(record, &spec.time)?.ok_or_else(|| {
        record.error(
            first_name(&spec.time.from),
            "missing or empty; expected the event's time",
        )
    })?;
    let mut window_end = match &spec.window_end {
        Some(field) => time(record, field)?,
        None => None,
    };
    if window_end.is_none() {
        if let Some(d) = &spec.duration {
            if let Some(raw) = text(record, &d.from)? {
                let length = d
                    .unit
                    .parse(&raw)
                    .map_err(|m| record.error(first_name(&d.from), &m))?;
                window_end = at.checked_add(length).ok();
            }
        }
    }
    let event = GrantEvent {
        grant_id: grant_id.into(),
        event: crate::model::GrantEventKind::Requested,
        time: at,
        principal: optional(record, spec.principal.as_ref())?,
        entitlement: optional(record, spec.entitlement.as_ref())?,
        requester: optional(record, spec.requester.as_ref())?,
        approver: optional(record, spec.approver.as_ref())?,
        justification: optional(record, spec.justification.as_ref())?,
        ticket: optional(record, spec.ticket.as_ref())?,
        window_end,
        break_glass: false,
        provenance: record.provenance(),
    };
    for kind in kinds {
        out.push(GrantEvent {
            event: *kind,
            ..event.clone()
        });
    }
    Ok(())
}
