//! The generic inventory, YAML or JSON: parsing, error translation, mapping to the model.
//!
//! A document whose first non-blank character is `{` or `[` is read as JSON, anything else
//! as YAML. Both go through the same serde records, so the two syntaxes accept exactly the
//! same content.

use super::fields::MapOnly;
use super::locate::{scan_json, scan_yaml, Position, RecordStarts};
use super::records::{InventoryDocument, SECTIONS, VERSION_KEY};
use super::text::{is_blank, strip_bom, strip_parser_location};
use crate::connectors::error::line_column_location;
use crate::connectors::ConnectorError;
use crate::model::{Diagnostic, Inventory, Provenance, Window};

/// What an empty file should have held, for [`ConnectorError::Empty`].
pub(crate) const INVENTORY_EXPECTED: &str =
    "a generic inventory in YAML or JSON (at least `version: 1`; see docs/formats.md)";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Syntax {
    Json,
    Yaml,
}

impl Syntax {
    fn of(text: &str) -> Syntax {
        match text.trim_start().chars().next() {
            Some('{' | '[') => Syntax::Json,
            _ => Syntax::Yaml,
        }
    }
}

/// Parses a generic inventory (YAML or JSON, recognised by content) into canonical records.
///
/// `source_name` and `file` go into every record's provenance; `file` also names the
/// input in errors. The result is not finalized: the caller merges sources first.
pub fn parse_inventory_str(
    text: &str,
    source_name: &str,
    file: &str,
) -> Result<Inventory, ConnectorError> {
    let text = strip_bom(text);
    if is_blank(text) {
        return Err(ConnectorError::empty(file, INVENTORY_EXPECTED));
    }
    let (document, starts) = match Syntax::of(text) {
        Syntax::Json => {
            let starts = scan_json(text);
            let document = serde_json::from_str::<Option<MapOnly<InventoryDocument>>>(text)
                .map_err(|err| json_error(&err, file, &starts))?;
            (document, starts)
        }
        Syntax::Yaml => {
            let starts = scan_yaml(text);
            let document = serde_yaml::from_str::<Option<MapOnly<InventoryDocument>>>(text)
                .map_err(|err| yaml_error(&err, file, &starts))?;
            (document, starts)
        }
    };
    Ok(build(
        document.map(|d| d.0).unwrap_or_default(),
        &starts,
        source_name,
        file,
    ))
}

/// Provenance for the records of one section: `/section/index` and the line when known.
struct SectionProvenance<'a> {
    source: &'a str,
    file: &'a str,
    section: &'static str,
    lines: Option<Vec<u32>>,
}

impl<'a> SectionProvenance<'a> {
    fn new(
        starts: &RecordStarts,
        section: &'static str,
        count: usize,
        source: &'a str,
        file: &'a str,
    ) -> Self {
        SectionProvenance {
            source,
            file,
            section,
            lines: starts.lines(section, count),
        }
    }

    fn at(&self, index: usize) -> Provenance {
        self.at_pointer(index, format!("/{}/{index}", self.section))
    }

    fn at_pointer(&self, index: usize, pointer: String) -> Provenance {
        let provenance = Provenance::new(self.source, self.file).with_record(pointer);
        match self.lines.as_ref().and_then(|lines| lines.get(index)) {
            Some(&line) => provenance.at_line(line),
            None => provenance,
        }
    }
}

fn build(
    document: InventoryDocument,
    starts: &RecordStarts,
    source: &str,
    file: &str,
) -> Inventory {
    let mut inventory = Inventory::new();
    let section = |name: &'static str, count: usize| {
        SectionProvenance::new(starts, name, count, source, file)
    };

    let at = section("identities", document.identities.len());
    for (index, MapOnly(record)) in document.identities.iter().enumerate() {
        inventory.identities.push(record.to_identity(at.at(index)));
        inventory
            .memberships
            .extend(record.to_memberships(|member| {
                at.at_pointer(index, format!("/identities/{index}/member_of/{member}"))
            }));
    }
    let at = section("roles", document.roles.len());
    for (index, MapOnly(record)) in document.roles.into_iter().enumerate() {
        inventory.roles.push(record.into_role(at.at(index)));
    }
    let at = section("memberships", document.memberships.len());
    for (index, MapOnly(record)) in document.memberships.into_iter().enumerate() {
        warn_if_inverted(&mut inventory, record.window(), &at.at(index));
        inventory
            .memberships
            .push(record.into_membership(at.at(index)));
    }
    let at = section("assignments", document.assignments.len());
    for (index, MapOnly(record)) in document.assignments.into_iter().enumerate() {
        warn_if_inverted(&mut inventory, record.window(), &at.at(index));
        inventory
            .assignments
            .push(record.into_assignment(at.at(index)));
    }
    let at = section("trusts", document.trusts.len());
    for (index, MapOnly(record)) in document.trusts.into_iter().enumerate() {
        inventory.trusts.push(record.into_trust(at.at(index)));
    }
    let at = section("escalations", document.escalations.len());
    for (index, MapOnly(record)) in document.escalations.into_iter().enumerate() {
        inventory
            .escalations
            .push(record.into_escalation(at.at(index)));
    }
    let at = section("secrets", document.secrets.len());
    for (index, MapOnly(record)) in document.secrets.into_iter().enumerate() {
        inventory.secrets.push(record.into_secret(at.at(index)));
    }
    let at = section("grant_events", document.grant_events.len());
    for (index, MapOnly(record)) in document.grant_events.into_iter().enumerate() {
        inventory
            .grant_events
            .push(record.into_grant_event(at.at(index)));
    }
    let at = section("change_events", document.change_events.len());
    for (index, MapOnly(record)) in document.change_events.into_iter().enumerate() {
        inventory
            .change_events
            .push(record.into_change_event(at.at(index)));
    }
    let at = section("jit_policies", document.jit_policies.len());
    for (index, MapOnly(record)) in document.jit_policies.into_iter().enumerate() {
        inventory
            .jit_policies
            .push(record.into_jit_policy(at.at(index)));
    }
    inventory
}

/// A window that ends before it starts is kept as written (rules see it as closed) but
/// reported, since it usually means swapped or mistyped dates.
fn warn_if_inverted(inventory: &mut Inventory, window: Window, at: &Provenance) {
    if let (Some(start), Some(end)) = (window.start, window.end) {
        if end < start {
            inventory.diagnostics.push(Diagnostic::warning(
                at.clone(),
                format!("the window ends ({end}) before it starts ({start}); check the dates"),
            ));
        }
    }
}

fn json_error(err: &serde_json::Error, file: &str, starts: &RecordStarts) -> ConnectorError {
    let (line, column) = (err.line() as u64, err.column() as u64);
    let mut message = strip_parser_location(&err.to_string());
    if err.is_eof() {
        message
            .push_str("; the JSON ends before the document is complete (is the file truncated?)");
    }
    // serde_json reports the last character it consumed; an error about a value it only
    // peeked at (a wrong type) sits one column before that value, so look one further.
    let pointer = record_pointer(starts, line, column + 1);
    ConnectorError::invalid(
        file,
        line_column_location(line, column),
        with_pointer(pointer, message),
    )
}

fn yaml_error(err: &serde_yaml::Error, file: &str, starts: &RecordStarts) -> ConnectorError {
    let text = strip_parser_location(&err.to_string());
    let (path_pointer, message) = match split_yaml_path(&text) {
        Some((pointer, rest)) => (Some(pointer), rest.to_string()),
        None => (None, text),
    };
    let message = if message.contains("more than one document") {
        format!("{message}; keep the whole inventory in one document (remove the extra `---`)")
    } else {
        message
    };
    match err.location() {
        Some(at) => {
            let (line, column) = (at.line() as u64, at.column() as u64);
            let pointer = path_pointer.or_else(|| record_pointer(starts, line, column));
            ConnectorError::invalid(
                file,
                line_column_location(line, column),
                with_pointer(pointer, message),
            )
        }
        None => match path_pointer {
            Some(pointer) => ConnectorError::invalid(file, pointer, message),
            None => ConnectorError::invalid(file, "whole file", message),
        },
    }
}

fn with_pointer(pointer: Option<String>, message: String) -> String {
    match pointer {
        Some(pointer) => format!("{pointer}: {message}"),
        None => message,
    }
}

/// The JSON pointer of the record whose text holds `line`:`column`, if the scanner knows.
fn record_pointer(starts: &RecordStarts, line: u64, column: u64) -> Option<String> {
    let at = Position::new(
        u32::try_from(line).ok()?,
        u32::try_from(column).unwrap_or(u32::MAX),
    );
    starts
        .record_at(at)
        .map(|(section, index)| format!("/{section}/{index}"))
}

/// Splits yaml_serde's `identities[3].kind: message` into `/identities/3/kind` and the
/// message. Only paths made of plain names and indexes, starting at a known top-level key,
/// are taken apart: anything else (a map key with spaces) stays in the message.
fn split_yaml_path(text: &str) -> Option<(String, &str)> {
    let (path, rest) = text.split_once(": ")?;
    let mut pointer = String::new();
    for (i, dotted) in path.split('.').enumerate() {
        let (name, indexes) = dotted
            .split_once('[')
            .map_or((dotted, ""), |(n, rest)| (n, rest));
        let plain = |s: &str| {
            !s.is_empty()
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        };
        if !plain(name) || (i == 0 && !(SECTIONS.contains(&name) || name == VERSION_KEY)) {
            return None;
        }
        pointer.push('/');
        pointer.push_str(name);
        if !indexes.is_empty() {
            for index in indexes.strip_suffix(']')?.split("][") {
                if index.is_empty() || !index.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                pointer.push('/');
                pointer.push_str(index);
            }
        }
    }
    Some((pointer, rest))
}
