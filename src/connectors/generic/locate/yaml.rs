//! Record starts in block-style YAML.
//!
//! Reads line by line: a line at column 1 of the form `key:` opens a top-level section;
//! under it, `- ` at the indentation of the first such line starts an element (both the
//! indented and the compact `key:\n- item` layouts). Comments and block scalars (`|`, `>`)
//! are skipped. Flow-style values (`identities: [{id: a}]`) are not followed.

use super::{Position, RecordStarts, Section};

/// What the value of the open section turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layout {
    /// No content line yet.
    Pending,
    /// A block list whose `- ` markers sit at this indentation.
    List { indent: usize },
    /// Anything else (a nested mapping, a scalar, a flow value): elements are not followed.
    Other,
}

pub(crate) fn scan_yaml(text: &str) -> RecordStarts {
    let mut starts = RecordStarts::default();
    let mut layout = Layout::Other;
    // Lines indented deeper than this belong to a block scalar.
    let mut block_scalar_parent: Option<usize> = None;

    for (index, raw_line) in text.split('\n').enumerate() {
        let line_no = u32::try_from(index + 1).unwrap_or(u32::MAX);
        let line = raw_line.strip_suffix('\r').unwrap_or(raw_line);
        let content = line.trim_start_matches(' ');
        let indent = line.len() - content.len();

        if let Some(parent) = block_scalar_parent {
            if content.trim().is_empty() || indent > parent {
                continue;
            }
            block_scalar_parent = None;
        }
        if content.trim().is_empty() || content.starts_with('#') || is_document_marker(line) {
            continue;
        }
        if opens_block_scalar(content) {
            block_scalar_parent = Some(indent);
        }

        if indent == 0 && !content.starts_with('-') {
            if let Some(open) = starts.sections.last_mut() {
                open.end.get_or_insert(Position::new(line_no, 1));
            }
            let Some((key, value)) = top_level_key(content) else {
                layout = Layout::Other;
                continue;
            };
            layout = if strip_comment(value).trim().is_empty() {
                Layout::Pending
            } else {
                Layout::Other
            };
            starts.sections.push(Section {
                key,
                elements: Vec::new(),
                end: None,
                is_list: false,
            });
            continue;
        }

        let is_item = content == "-" || content.starts_with("- ");
        let Some(open) = starts.sections.last_mut() else {
            continue;
        };
        match layout {
            Layout::Pending if is_item => {
                layout = Layout::List { indent };
                open.is_list = true;
                open.elements
                    .push(Position::new(line_no, column_of(indent)));
            }
            Layout::Pending => layout = Layout::Other,
            Layout::List {
                indent: item_indent,
            } if is_item && indent == item_indent => {
                open.elements
                    .push(Position::new(line_no, column_of(indent)));
            }
            _ => {}
        }
    }
    starts
}

fn column_of(indent: usize) -> u32 {
    u32::try_from(indent + 1).unwrap_or(u32::MAX)
}

fn is_document_marker(line: &str) -> bool {
    ["---", "..."].iter().any(|marker| {
        line.strip_prefix(marker)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t']))
    })
}

/// `key: value` at the top level, with the key unquoted; `None` if the line is not a key.
fn top_level_key(content: &str) -> Option<(String, &str)> {
    let (key, rest) = match content.chars().next()? {
        quote @ ('"' | '\'') => {
            let inner = &content[1..];
            let close = inner.find(quote)?;
            (&inner[..close], inner[close + 1..].trim_start())
        }
        '{' | '[' | '?' | '%' | '&' | '*' | '!' | '|' | '>' => return None,
        _ => {
            let colon = find_mapping_colon(content)?;
            (content[..colon].trim_end(), &content[colon..])
        }
    };
    let value = rest.strip_prefix(':')?;
    if !(value.is_empty() || value.starts_with([' ', '\t'])) {
        return None;
    }
    Some((key.to_string(), value))
}

/// The `:` that ends a plain key: followed by a space or the end of the line.
fn find_mapping_colon(content: &str) -> Option<usize> {
    content
        .char_indices()
        .find(|&(i, c)| {
            c == ':'
                && content[i + 1..]
                    .chars()
                    .next()
                    .is_none_or(|n| n == ' ' || n == '\t')
        })
        .map(|(i, _)| i)
}

/// Drops a trailing ` # comment` (a `#` after whitespace, outside quotes).
fn strip_comment(text: &str) -> &str {
    let mut quote: Option<char> = None;
    let mut previous = ' ';
    for (i, c) in text.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '"' || c == '\'' => quote = Some(c),
            None if c == '#' && (previous == ' ' || previous == '\t') => return &text[..i],
            None => {}
        }
        previous = c;
    }
    text
}

/// The line's value is a block scalar indicator (`key: |`, `- >-`, `key: |2`).
fn opens_block_scalar(content: &str) -> bool {
    let text = strip_comment(content).trim_end();
    let (before, token) = match text.rfind(' ') {
        Some(space) => (text[..space].trim_end(), &text[space + 1..]),
        None => ("", text),
    };
    let mut chars = token.chars();
    let is_indicator = matches!(chars.next(), Some('|' | '>'))
        && token.len() <= 3
        && chars.all(|c| c == '-' || c == '+' || c.is_ascii_digit());
    is_indicator && (before.ends_with(':') || before == "-")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(starts: &RecordStarts, key: &str) -> Vec<u32> {
        let section = starts.sections.iter().find(|s| s.key == key).unwrap();
        section.elements.iter().map(|p| p.line).collect()
    }

    #[test]
    fn finds_items_in_indented_and_compact_lists() {
        let text = "\
# people
version: 1
identities:
  - id: a          # first
    kind: human
    member_of:
      - g
  - id: g
    kind: group
roles:
- id: r
  permissions: ['*']
- id: s
";
        let starts = scan_yaml(text);
        assert_eq!(
            starts.keys().collect::<Vec<_>>(),
            ["version", "identities", "roles"]
        );
        assert_eq!(lines(&starts, "identities"), [4, 8]);
        assert_eq!(lines(&starts, "roles"), [11, 13]);
        assert_eq!(
            starts.record_at(Position::new(9, 11)),
            Some(("identities", 1))
        );
        assert_eq!(starts.record_at(Position::new(10, 1)), None);
        assert_eq!(starts.lines("roles", 2), Some(vec![11, 13]));
    }

    #[test]
    fn skips_block_scalars_comments_and_markers() {
        let text = "\
---
trusts:
  - role: r
    principal: p
    conditions:
      - kind: other
        detail: |
          - not an item

          - nor this
  # - a comment
  - role: s
    principal: q
...
";
        let starts = scan_yaml(text);
        assert_eq!(lines(&starts, "trusts"), [3, 12]);
    }

    #[test]
    fn flow_values_and_quoted_keys() {
        let starts = scan_yaml("\"identities\": [{id: a, kind: human}]\nroles:\n  - id: r\n");
        assert_eq!(starts.keys().collect::<Vec<_>>(), ["identities", "roles"]);
        assert_eq!(starts.lines("identities", 1), None);
        assert_eq!(starts.lines("roles", 1), Some(vec![3]));
        assert_eq!(starts.lines("identities", 0), None);
    }

    #[test]
    fn never_panics_on_odd_input() {
        for text in [
            "",
            "-",
            ":",
            "'",
            "\"x",
            "a:b",
            "é: |\n x",
            "a:\n\t- x\n",
            "{\n",
            "- a\n- b",
        ] {
            let _ = scan_yaml(text);
        }
        assert!(scan_yaml("a:b\n").sections.is_empty());
    }
}
