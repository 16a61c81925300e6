//! Turning a source's bytes into text, and a parser's message into one fit for a user.

use crate::connectors::error::line_column_location;
use crate::connectors::ConnectorError;

const UTF8_BOM: &str = "\u{feff}";

/// Decodes a whole file as UTF-8 (a leading byte-order mark is dropped), or says on which
/// line and column the first byte that is not UTF-8 sits.
pub(crate) fn decode_utf8<'a>(bytes: &'a [u8], file: &str) -> Result<&'a str, ConnectorError> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(strip_bom(text)),
        Err(err) => Err(not_utf8(bytes, err.valid_up_to(), file)),
    }
}

/// The error for bytes that are not UTF-8, located at `bad_offset`.
pub(crate) fn not_utf8(bytes: &[u8], bad_offset: usize, file: &str) -> ConnectorError {
    let before = &bytes[..bad_offset.min(bytes.len())];
    let line = before.iter().filter(|&&b| b == b'\n').count() as u64 + 1;
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |p| p + 1);
    let column = (before.len() - line_start) as u64 + 1;
    let byte = bytes.get(bad_offset).copied().unwrap_or(0);
    not_utf8_at(line, column, byte, file)
}

/// The error for a byte that is not UTF-8 at a known line and column.
pub(crate) fn not_utf8_at(line: u64, column: u64, byte: u8, file: &str) -> ConnectorError {
    ConnectorError::invalid(
        file,
        line_column_location(line, column),
        format!("the file is not UTF-8 text (byte 0x{byte:02X}); expected UTF-8, so convert the file (for example with iconv) and retry"),
    )
}

pub(crate) fn strip_bom(text: &str) -> &str {
    text.strip_prefix(UTF8_BOM).unwrap_or(text)
}

/// Removes the first ` at line N column M` (or ` at position N`) a parser appends to its
/// message: the location is reported separately, once.
pub(crate) fn strip_parser_location(message: &str) -> String {
    let mut search_from = 0;
    while let Some(found) = message[search_from..].find(" at ") {
        let start = search_from + found;
        let rest = &message[start + 4..];
        if let Some(len) = location_phrase_len(rest) {
            let mut out = String::with_capacity(message.len());
            out.push_str(&message[..start]);
            out.push_str(&rest[len..]);
            return out;
        }
        search_from = start + 4;
    }
    message.to_string()
}

/// The length of `line N column M` or `position N` at the start of `text`, if there.
fn location_phrase_len(text: &str) -> Option<usize> {
    if let Some(after) = text.strip_prefix("position ") {
        let digits = leading_digits(after);
        return (digits > 0).then_some("position ".len() + digits);
    }
    let after_line = text.strip_prefix("line ")?;
    let line_digits = leading_digits(after_line);
    if line_digits == 0 {
        return None;
    }
    let after_column = after_line[line_digits..].strip_prefix(" column ")?;
    let column_digits = leading_digits(after_column);
    (column_digits > 0).then_some("line ".len() + line_digits + " column ".len() + column_digits)
}

fn leading_digits(text: &str) -> usize {
    text.bytes().take_while(u8::is_ascii_digit).count()
}

/// Whether `text` holds nothing but whitespace.
pub(crate) fn is_blank(text: &str) -> bool {
    text.trim().is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locates_the_first_byte_that_is_not_utf8() {
        let err = decode_utf8(b"ok\nab\xffcd\n", "f.yaml").unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.starts_with("f.yaml: line 2, column 3: the file is not UTF-8 text (byte 0xFF)"),
            "{msg}"
        );
        assert_eq!(decode_utf8("\u{feff}a: 1".as_bytes(), "f").unwrap(), "a: 1");
    }

    #[test]
    fn strips_the_parser_location_once() {
        assert_eq!(
            strip_parser_location("did not find expected key at line 3 column 5, while parsing a block mapping at line 2 column 3"),
            "did not find expected key, while parsing a block mapping at line 2 column 3"
        );
        assert_eq!(
            strip_parser_location("EOF while parsing an object at line 1 column 26"),
            "EOF while parsing an object"
        );
        assert_eq!(
            strip_parser_location("value at lineage"),
            "value at lineage"
        );
        assert_eq!(strip_parser_location("bad at position 7"), "bad");
    }
}
