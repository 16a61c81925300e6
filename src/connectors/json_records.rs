//! JSON exports read record by record: JSON Lines, a JSON array, or an object whose one
//! known key holds the array (`{"events": [...]}`, `{"Items": [...]}`). Shared by the
//! connectors for event logs and request tables (Teleport, TEAM, mapping specs).
//!
//! Every record keeps where it was read (line, or JSON pointer and line) so that a field
//! error names the file, the record and the field.

use super::error::line_column_location;
use super::generic::{is_blank, scan_json, strip_bom, strip_parser_location};
use super::ConnectorError;
use crate::model::time::{parse_optional_timestamp, TIMESTAMP_SHAPES};
use crate::model::{Provenance, Timestamp};
use serde_json::{Map, Value};
use std::io::BufRead;

/// One JSON object of an export, with where it was read.
#[derive(Debug, Clone)]
pub(crate) struct JsonRecord {
    pub object: Map<String, Value>,
    /// `line 4`, or `record 3 (/events/2, line 7)`: the place errors name.
    pub location: String,
    pub provenance: Provenance,
    file: String,
}

/// Reads `bytes` as JSON Lines, a JSON array of objects, or an object holding the array
/// under one of `wrapper_keys`. `expected` says what an empty file should have held.
pub(crate) fn read_json_records(
    bytes: &[u8],
    file: &str,
    source: &str,
    wrapper_keys: &[&str],
    expected: &str,
) -> Result<Vec<JsonRecord>, ConnectorError> {
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => strip_bom(text),
        Err(err) => return Err(super::generic::not_utf8(bytes, err.valid_up_to(), file)),
    };
    let trimmed = text.trim_start();
    if trimmed.is_empty() {
        return Err(ConnectorError::empty(file, expected));
    }
    let records = if trimmed.starts_with('[') {
        read_array(text, file, source, "", expected)?
    } else {
        match wrapped_key(text, wrapper_keys) {
            Some(key) => read_array(text, file, source, key, expected)?,
            None => read_lines(text, file, source)?,
        }
    };
    if records.is_empty() {
        return Err(ConnectorError::empty(file, expected));
    }
    Ok(records)
}

/// The wrapper key when `text` is one JSON object holding an array under it.
fn wrapped_key<'k>(text: &str, wrapper_keys: &[&'k str]) -> Option<&'k str> {
    let object: Map<String, Value> = serde_json::from_str(text).ok()?;
    wrapper_keys
        .iter()
        .copied()
        .find(|key| object.get(*key).is_some_and(Value::is_array))
}

fn read_array(
    text: &str,
    file: &str,
    source: &str,
    key: &str,
    expected: &str,
) -> Result<Vec<JsonRecord>, ConnectorError> {
    let parsed: Value = serde_json::from_str(text).map_err(|err| {
        ConnectorError::invalid(
            file,
            line_column_location(err.line() as u64, err.column() as u64),
            format!(
                "{}; expected {expected}",
                strip_parser_location(&err.to_string())
            ),
        )
    })?;
    let items = match (key, parsed) {
        ("", Value::Array(items)) => items,
        (key, Value::Object(mut object)) if !key.is_empty() => match object.remove(key) {
            Some(Value::Array(items)) => items,
            _ => Vec::new(),
        },
        _ => Vec::new(),
    };
    // Lines of the elements: the scanner finds a section's elements; a bare array is
    // scanned as the value of an empty key (the prefix adds no line).
    let lines = if key.is_empty() {
        scan_json(&format!("{{\"\":{text}}}")).lines("", items.len())
    } else {
        scan_json(text).lines(key, items.len())
    };
    let mut out = Vec::with_capacity(items.len());
    for (index, item) in items.into_iter().enumerate() {
        let pointer = if key.is_empty() {
            format!("/{index}")
        } else {
            format!("/{key}/{index}")
        };
        let line = lines.as_ref().and_then(|l| l.get(index).copied());
        let location = match line {
            Some(line) => format!("record {} ({pointer}, line {line})", index + 1),
            None => format!("record {} ({pointer})", index + 1),
        };
        let mut provenance = Provenance::new(source, file).with_record(pointer);
        if let Some(line) = line {
            provenance = provenance.at_line(line);
        }
        let Value::Object(object) = item else {
            return Err(ConnectorError::invalid(
                file,
                location,
                format!("found {}; expected a JSON object", describe(&item)),
            ));
        };
        out.push(JsonRecord {
            object,
            location,
            provenance,
            file: file.to_string(),
        });
    }
    Ok(out)
}

fn read_lines(text: &str, file: &str, source: &str) -> Result<Vec<JsonRecord>, ConnectorError> {
    let mut out = Vec::new();
    let mut record_no = 0u64;
    for (index, line) in text.split('\n').enumerate() {
        if let Some(record) = line_record(line, index as u64 + 1, &mut record_no, file, source)? {
            out.push(record);
        }
    }
    Ok(out)
}

/// One line of JSON Lines as a record; `None` for a blank line. `record_no` counts records.
fn line_record(
    line: &str,
    line_no: u64,
    record_no: &mut u64,
    file: &str,
    source: &str,
) -> Result<Option<JsonRecord>, ConnectorError> {
    if is_blank(line) {
        return Ok(None);
    }
    *record_no += 1;
    let record_no = *record_no;
    let value: Value = serde_json::from_str(line).map_err(|err| {
        let mut message = format!(
            "record {record_no}: {}",
            strip_parser_location(&err.to_string())
        );
        if err.is_eof() {
            message.push_str(
                "; each line must hold one whole JSON object (the line is cut short, or a pretty-printed object spans lines)",
            );
        }
        ConnectorError::invalid(
            file,
            line_column_location(line_no, err.column() as u64),
            message,
        )
    })?;
    let location = format!("line {line_no}");
    let Value::Object(object) = value else {
        return Err(ConnectorError::invalid(
            file,
            location,
            format!(
                "record {record_no}: found {}; expected one JSON object per line",
                describe(&value)
            ),
        ));
    };
    let mut provenance = Provenance::new(source, file).with_record(format!("record {record_no}"));
    if let Ok(line) = u32::try_from(line_no) {
        provenance = provenance.at_line(line);
    }
    Ok(Some(JsonRecord {
        object,
        location,
        provenance,
        file: file.to_string(),
    }))
}

/// Like [`read_json_records`], but hands each record to `each` as it is read. JSON Lines —
/// the shape audit logs are written in, and the one that grows without bound — is streamed
/// line by line, so a log of any size needs memory for one record at a time; a JSON array
/// or a wrapped array is read whole, as JSON requires.
pub(crate) fn for_each_json_record(
    mut reader: impl BufRead,
    file: &str,
    source: &str,
    wrapper_keys: &[&str],
    expected: &str,
    mut each: impl FnMut(JsonRecord) -> Result<(), ConnectorError>,
) -> Result<(), ConnectorError> {
    let io = |e: std::io::Error| ConnectorError::io(file, &e);
    // Lines up to and including the first one that is not blank decide the shape.
    let mut head: Vec<u8> = Vec::new();
    let mut first_line = Vec::new();
    loop {
        first_line.clear();
        if reader.read_until(b'\n', &mut first_line).map_err(io)? == 0 {
            break;
        }
        head.extend_from_slice(&first_line);
        let text = String::from_utf8_lossy(&first_line);
        if !is_blank(strip_bom(&text)) {
            break;
        }
    }
    let first = String::from_utf8_lossy(&first_line);
    let first = strip_bom(first.trim_start());
    let streamable = first.starts_with('{')
        && matches!(
            serde_json::from_str::<Value>(first),
            Ok(Value::Object(ref object))
                if !wrapper_keys.iter().any(|k| object.get(*k).is_some_and(Value::is_array))
        );
    if !streamable {
        // An array, a wrapped array, an object spread over lines, or something malformed:
        // read it whole and let the whole-file reader decide (and name the error).
        reader.read_to_end(&mut head).map_err(io)?;
        for record in read_json_records(&head, file, source, wrapper_keys, expected)? {
            each(record)?;
        }
        return Ok(());
    }
    let mut record_no = 0u64;
    let mut line_no = 0u64;
    let mut handle = |raw: &[u8], line_no: u64| -> Result<(), ConnectorError> {
        let raw = raw.strip_suffix(b"\n").unwrap_or(raw);
        let text = match std::str::from_utf8(raw) {
            Ok(text) => text,
            Err(err) => {
                let column = err.valid_up_to() as u64 + 1;
                let byte = raw.get(err.valid_up_to()).copied().unwrap_or(0);
                return Err(super::generic::not_utf8_at(line_no, column, byte, file));
            }
        };
        let text = if line_no == 1 { strip_bom(text) } else { text };
        match line_record(text, line_no, &mut record_no, file, source)? {
            Some(record) => each(record),
            None => Ok(()),
        }
    };
    for raw in head.split_inclusive(|&b| b == b'\n') {
        line_no += 1;
        handle(raw, line_no)?;
    }
    let mut line = Vec::new();
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line).map_err(io)? == 0 {
            break;
        }
        line_no += 1;
        handle(&line, line_no)?;
    }
    if record_no == 0 {
        return Err(ConnectorError::empty(file, expected));
    }
    Ok(())
}

/// What a JSON value is, for "found …" in errors (never the value itself).
pub(crate) fn describe(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

impl JsonRecord {
    /// An error about this record's field `path`.
    pub fn field_error(&self, path: &str, message: impl AsRef<str>) -> ConnectorError {
        ConnectorError::invalid(
            &self.file,
            self.location.clone(),
            format!("field `{path}`: {}", message.as_ref()),
        )
    }

    /// The value at `path`: a key, or a dotted path through objects and list indexes
    /// (`target.0.alternateId`). A key that itself contains dots is found first.
    pub fn get(&self, path: &str) -> Option<&Value> {
        if let Some(value) = self.object.get(path) {
            return Some(value);
        }
        let mut parts = path.split('.');
        let mut current = self.object.get(parts.next()?)?;
        for part in parts {
            current = match current {
                Value::Object(map) => map.get(part)?,
                Value::Array(items) => items.get(part.parse::<usize>().ok()?)?,
                _ => return None,
            };
        }
        Some(current)
    }

    /// Text at `path`: a string (trimmed; blank is absent) or a number; null or absent is
    /// `None`; anything else is an error.
    pub fn text(&self, path: &str) -> Result<Option<String>, ConnectorError> {
        match self.get(path) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => {
                let s = s.trim();
                Ok((!s.is_empty()).then(|| s.to_string()))
            }
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(other) => Err(self.field_error(
                path,
                format!("found {}; expected a string", describe(other)),
            )),
        }
    }

    pub fn required_text(&self, path: &str, expected: &str) -> Result<String, ConnectorError> {
        self.text(path)?
            .ok_or_else(|| self.field_error(path, format!("missing or empty; expected {expected}")))
    }

    /// A list of strings at `path`; absent or null is empty.
    pub fn strings(&self, path: &str) -> Result<Vec<String>, ConnectorError> {
        match self.get(path) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(items)) => items
                .iter()
                .map(|item| match item {
                    Value::String(s) => Ok(s.trim().to_string()),
                    other => Err(self.field_error(
                        path,
                        format!(
                            "an element is {}; expected a list of strings",
                            describe(other)
                        ),
                    )),
                })
                .filter(|s| s.as_ref().map_or(true, |s| !s.is_empty()))
                .collect(),
            Some(other) => Err(self.field_error(
                path,
                format!("found {}; expected a list of strings", describe(other)),
            )),
        }
    }

    /// A timestamp at `path` in any shape residue reads (RFC 3339 with or without
    /// fractions, `Z` or an offset, epoch seconds or milliseconds as text or number); absent,
    /// null, blank or Go's zero time is `None`.
    pub fn timestamp(&self, path: &str) -> Result<Option<Timestamp>, ConnectorError> {
        let text = match self.get(path) {
            None | Some(Value::Null) => return Ok(None),
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            Some(other) => {
                return Err(self.field_error(
                    path,
                    format!(
                        "found {}; expected a timestamp: {TIMESTAMP_SHAPES}",
                        describe(other)
                    ),
                ))
            }
        };
        parse_optional_timestamp(&text).map_err(|err| self.field_error(path, err.to_string()))
    }

    pub fn required_timestamp(&self, path: &str) -> Result<Timestamp, ConnectorError> {
        self.timestamp(path)?.ok_or_else(|| {
            self.field_error(
                path,
                format!(
                    "missing, empty or Go's zero time; expected a timestamp: {TIMESTAMP_SHAPES}"
                ),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<Vec<JsonRecord>, ConnectorError> {
        read_json_records(text.as_bytes(), "x.json", "src", &["events"], "events")
    }

    #[test]
    fn reads_lines_arrays_and_wrapped_arrays_with_locations() {
        let lines = read("{\"a\": 1}\n\n{\"a\": 2}\n").unwrap();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[1].location, "line 3");
        assert_eq!(lines[1].provenance.line, Some(3));

        let array = read("[\n  {\"a\": 1},\n  {\"a\": 2}\n]").unwrap();
        assert_eq!(array[1].location, "record 2 (/1, line 3)");

        let wrapped = read("{\"events\": [\n {\"a\": 1}\n], \"startKey\": \"\"}").unwrap();
        assert_eq!(wrapped[0].location, "record 1 (/events/0, line 2)");
        assert_eq!(wrapped[0].provenance.record.as_deref(), Some("/events/0"));
    }

    fn stream(text: &[u8]) -> Result<Vec<(String, Option<u32>, String)>, ConnectorError> {
        let mut out = Vec::new();
        for_each_json_record(text, "x.json", "src", &["events"], "events", |r| {
            out.push((
                r.location,
                r.provenance.line,
                r.provenance.record.unwrap_or_default().to_string(),
            ));
            Ok(())
        })?;
        Ok(out)
    }

    fn whole(text: &[u8]) -> Result<Vec<(String, Option<u32>, String)>, ConnectorError> {
        Ok(
            read_json_records(text, "x.json", "src", &["events"], "events")?
                .into_iter()
                .map(|r| {
                    (
                        r.location,
                        r.provenance.line,
                        r.provenance.record.unwrap_or_default().to_string(),
                    )
                })
                .collect(),
        )
    }

    #[test]
    fn streaming_reads_every_shape_exactly_as_the_whole_file_reader() {
        for text in [
            &b"\xEF\xBB\xBF\n\n{\"a\": 1}\r\n\n{\"a\": 2}"[..],
            b"{\"a\": 1}\n{\"a\": 2}\n",
            b"[\n  {\"a\": 1},\n  {\"a\": 2}\n]",
            b"{\"events\": [{\"a\": 1}, {\"a\": 2}]}\n",
            b"{\n \"events\": [\n {\"a\": 1}\n]}",
        ] {
            assert_eq!(stream(text).unwrap(), whole(text).unwrap(), "{text:?}");
        }
    }

    #[test]
    fn streaming_errors_name_the_same_place_as_the_whole_file_reader() {
        for text in [
            &b"{\"a\": 1}\n\n{\"a\": 2}\n{\"a\": \n"[..],
            b"{\"a\": 1}\n[1, 2]\n",
            b"{\"a\": 1}\n{\"a\": \"\xFF\"}\n",
            b"  \n\n",
            b"{\"a\": \n",
        ] {
            let (s, w) = (stream(text).unwrap_err(), whole(text).unwrap_err());
            assert_eq!(s.to_string(), w.to_string(), "{text:?}");
        }
    }

    #[test]
    fn malformed_input_names_the_line() {
        let err = read("{\"a\": 1}\n{\"a\": \n").unwrap_err().to_string();
        assert!(err.starts_with("x.json: line 2"), "{err}");
        assert!(err.contains("cut short"), "{err}");
        let err = read("[1]").unwrap_err().to_string();
        assert!(
            err.contains("found a number; expected a JSON object"),
            "{err}"
        );
        assert!(read("  \n").unwrap_err().to_string().contains("empty"));
    }

    #[test]
    fn fields_are_typed_and_errors_name_them() {
        let r = &read("{\"t\": \"0001-01-01T00:00:00Z\", \"n\": 1654701035368, \"l\": [\"a\", 2], \"o\": {\"k\": [\"v\"]}, \"s\": {}}")
            .unwrap()[0];
        assert_eq!(r.timestamp("t").unwrap(), None);
        assert!(r.timestamp("n").unwrap().is_some());
        assert_eq!(r.text("o.k.0").unwrap().as_deref(), Some("v"));
        let err = r.strings("l").unwrap_err().to_string();
        assert!(err.contains("field `l`: an element is a number"), "{err}");
        let err = r.text("s").unwrap_err().to_string();
        assert!(
            err.contains("field `s`: found an object; expected a string"),
            "{err}"
        );
        let err = r.required_timestamp("t").unwrap_err().to_string();
        assert!(err.contains("Go's zero time"), "{err}");
    }
}
