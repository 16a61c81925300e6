//! Record starts in JSON: a tokenizer that tracks only nesting depth and strings.
//!
//! Depth 1 is inside the top-level object; a string there followed by `:` is a key; a `[`
//! as a key's value opens a section whose elements (depth 2) are recorded where their
//! first character sits. Columns count bytes, as serde_json's do. Works on truncated text.

use super::{Position, RecordStarts, Section};

#[derive(Default)]
struct Scanner {
    starts: RecordStarts,
    depth: usize,
    in_string: bool,
    escaped: bool,
    /// The text of the string being read or last read at depth 1.
    string_at_top: String,
    /// The key whose value comes next at depth 1.
    pending_key: Option<String>,
    /// Inside a section's array (depth 2), and whether the next token starts an element.
    in_section: bool,
    expect_element: bool,
}

pub(crate) fn scan_json(text: &str) -> RecordStarts {
    let mut scanner = Scanner::default();
    let mut line: u32 = 1;
    let mut line_start = 0usize;
    for (offset, byte) in text.bytes().enumerate() {
        if byte == b'\n' {
            line = line.saturating_add(1);
            line_start = offset + 1;
            continue;
        }
        let column = u32::try_from(offset - line_start + 1).unwrap_or(u32::MAX);
        scanner.step(byte, Position::new(line, column));
    }
    scanner.starts
}

impl Scanner {
    fn step(&mut self, byte: u8, at: Position) {
        if self.in_string {
            self.step_in_string(byte);
            return;
        }
        if byte.is_ascii_whitespace() {
            return;
        }
        if self.in_section && self.depth == 2 && self.expect_element && byte != b']' && byte != b','
        {
            self.expect_element = false;
            if let Some(section) = self.starts.sections.last_mut() {
                section.elements.push(at);
            }
        }
        match byte {
            b'"' => {
                self.in_string = true;
                if self.depth == 1 {
                    self.string_at_top.clear();
                }
            }
            b':' if self.depth == 1 => {
                let key = std::mem::take(&mut self.string_at_top);
                self.starts.sections.push(Section {
                    key: key.clone(),
                    elements: Vec::new(),
                    end: None,
                    is_list: false,
                });
                self.pending_key = Some(key);
            }
            b'[' | b'{' => {
                if self.depth == 1 && byte == b'[' && self.pending_key.is_some() {
                    self.in_section = true;
                    self.expect_element = true;
                    if let Some(section) = self.starts.sections.last_mut() {
                        section.is_list = true;
                    }
                }
                if self.depth == 1 {
                    self.pending_key = None;
                }
                self.depth += 1;
            }
            b']' | b'}' => {
                if self.depth == 2 && self.in_section {
                    self.in_section = false;
                    if let Some(section) = self.starts.sections.last_mut() {
                        section.end = Some(at);
                    }
                }
                self.depth = self.depth.saturating_sub(1);
            }
            b',' => {
                if self.depth == 2 && self.in_section {
                    self.expect_element = true;
                }
                if self.depth == 1 {
                    self.pending_key = None;
                }
            }
            _ => {
                if self.depth == 1 {
                    self.pending_key = None;
                }
            }
        }
    }

    fn step_in_string(&mut self, byte: u8) {
        if self.escaped {
            self.escaped = false;
        } else if byte == b'\\' {
            self.escaped = true;
        } else if byte == b'"' {
            self.in_string = false;
            return;
        }
        if self.depth == 1 {
            // Keys are compared with the section names as written; an escaped key simply
            // matches nothing, which only costs line numbers.
            self.string_at_top.push(char::from(byte));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_elements_of_top_level_arrays() {
        let text = r#"{
  "version": 1,
  "identities": [
    {"id": "a\"]", "kind": "human", "tags": {"x": "[{"}},
    {"id": "b", "kind": "human"}
  ],
  "roles": [{"id": "r"}, {"id": "s"}]
}"#;
        let starts = scan_json(text);
        assert_eq!(
            starts.keys().collect::<Vec<_>>(),
            ["version", "identities", "roles"]
        );
        assert_eq!(starts.lines("identities", 2), Some(vec![4, 5]));
        assert_eq!(starts.lines("roles", 2), Some(vec![7, 7]));
        assert_eq!(starts.record_at(Position::new(7, 26)), Some(("roles", 1)));
        assert_eq!(starts.record_at(Position::new(7, 15)), Some(("roles", 0)));
        assert_eq!(
            starts.record_at(Position::new(5, 30)),
            Some(("identities", 1))
        );
        assert_eq!(starts.record_at(Position::new(2, 5)), None);
    }

    #[test]
    fn truncated_text_keeps_what_was_seen() {
        let starts = scan_json("{\"identities\": [{\"id\": \"a\"}, {\"id\"");
        let section = &starts.sections[0];
        assert_eq!(section.elements.len(), 2);
        assert_eq!(section.end, None);
        assert_eq!(
            starts.record_at(Position::new(1, 40)),
            Some(("identities", 1))
        );
    }

    #[test]
    fn nested_keys_are_not_top_level() {
        let starts = scan_json("{\"roles\": {\"identities\": [1]}, \"x\": 2}");
        assert_eq!(starts.keys().collect::<Vec<_>>(), ["roles", "x"]);
        assert_eq!(starts.lines("roles", 0), None);
        for text in ["", "]", "}}}", "[[[", "\"", "{\"a\":[,,]"] {
            let _ = scan_json(text);
        }
    }
}
