//! Errors a connector reports: always the file, where in it, and what was expected.

/// A source that cannot be read. Display is one line a user can act on:
/// `path:line[:column]: what is wrong, expected what`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConnectorError {
    #[error("{file}: cannot read the file: {message}")]
    Io { file: String, message: String },
    #[error("{file}: the file is empty; expected {expected}")]
    Empty { file: String, expected: String },
    /// `location` is `line 12`, `line 12, column 5`, `record 3 (line 4)` or a JSON pointer.
    #[error("{file}: {location}: {message}")]
    Invalid {
        file: String,
        location: String,
        message: String,
    },
    #[error("{file}: not a format residue recognises ({reason}); name its format in residue.yaml or see docs/formats.md")]
    Unrecognised { file: String, reason: String },
}

impl ConnectorError {
    pub fn io(file: &str, error: &std::io::Error) -> Self {
        ConnectorError::Io {
            file: file.to_string(),
            message: error.to_string(),
        }
    }

    pub fn empty(file: &str, expected: impl Into<String>) -> Self {
        ConnectorError::Empty {
            file: file.to_string(),
            expected: expected.into(),
        }
    }

    /// An invalid input at `location` (see [`line_location`] and [`line_column_location`]).
    /// The message is passed through [`shorten_values`], so input echoed by a parser never
    /// reaches the user at full length.
    pub fn invalid(file: &str, location: impl Into<String>, message: impl AsRef<str>) -> Self {
        ConnectorError::Invalid {
            file: file.to_string(),
            location: location.into(),
            message: shorten_values(message.as_ref()),
        }
    }

    pub fn unrecognised(file: &str, reason: impl Into<String>) -> Self {
        ConnectorError::Unrecognised {
            file: file.to_string(),
            reason: reason.into(),
        }
    }
}

/// `line 12`.
pub fn line_location(line: u64) -> String {
    format!("line {line}")
}

/// `line 12, column 5`, or `line 12` when the column is unknown (0).
pub fn line_column_location(line: u64, column: u64) -> String {
    if column == 0 {
        line_location(line)
    } else {
        format!("line {line}, column {column}")
    }
}

/// The longest piece of input an error message may repeat, in characters.
pub const MAX_ECHO_CHARS: usize = 64;

/// How much longer than [`MAX_ECHO_CHARS`] a run without spaces may be before it is cut.
const WORD_SLACK_CHARS: usize = 8;

/// The longest message a parser error may become; anything beyond is cut.
const MAX_MESSAGE_CHARS: usize = 600;

/// Shortens `text` to [`MAX_ECHO_CHARS`] characters, marking the cut with `…`.
pub fn shorten(text: &str) -> String {
    let mut out: String = text.chars().take(MAX_ECHO_CHARS).collect();
    if text.chars().nth(MAX_ECHO_CHARS).is_some() {
        out.push('…');
    }
    out
}

/// Shortens every piece of input a parser message may echo: quoted spans (`` `x` ``,
/// `"x"`) to [`MAX_ECHO_CHARS`], then any run without spaces that is still much longer
/// (input a parser echoed unquoted, or with quotes inside), then the message as a whole.
///
/// Parsers (serde, csv) repeat input values verbatim in their messages; inputs may be
/// hostile or huge, and a value in the wrong field may even be a credential.
pub fn shorten_values(message: &str) -> String {
    let quoted = shorten_quoted_spans(message);
    let mut out = String::with_capacity(quoted.len());
    for (index, word) in quoted.split(' ').enumerate() {
        if index > 0 {
            out.push(' ');
        }
        // The slack keeps an already shortened span and its quotes and punctuation whole.
        if word
            .chars()
            .nth(MAX_ECHO_CHARS + WORD_SLACK_CHARS)
            .is_some()
        {
            out.push_str(&shorten(word));
        } else {
            out.push_str(word);
        }
    }
    if out.chars().nth(MAX_MESSAGE_CHARS).is_some() {
        out = out.chars().take(MAX_MESSAGE_CHARS).collect();
        out.push('…');
    }
    out
}

fn shorten_quoted_spans(message: &str) -> String {
    let chars: Vec<char> = message.chars().collect();
    let mut out = String::with_capacity(message.len());
    let mut i = 0;
    while i < chars.len() {
        let quote = chars[i];
        if quote != '`' && quote != '"' {
            out.push(quote);
            i += 1;
            continue;
        }
        match closing_quote(&chars, i + 1, quote) {
            Some(end) => {
                let inner: String = chars[i + 1..end].iter().collect();
                out.push(quote);
                out.push_str(&shorten(&inner));
                out.push(quote);
                i = end + 1;
            }
            None => {
                out.push(quote);
                i += 1;
            }
        }
    }
    out
}

/// The index of the quote closing a span that starts at `from`; double-quoted spans are
/// Rust debug strings, so a backslash escapes the next character.
fn closing_quote(chars: &[char], from: usize, quote: char) -> Option<usize> {
    let mut i = from;
    while i < chars.len() {
        let c = chars[i];
        if c == '\\' && quote == '"' {
            i += 2;
            continue;
        }
        if c == quote {
            return Some(i);
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_quoted_values_are_shortened() {
        let long = "x".repeat(200);
        let msg = format!("invalid type: string \"{long}\", expected a boolean");
        let out = shorten_values(&msg);
        assert!(out.contains(&format!("\"{}…\"", "x".repeat(64))), "{out}");
        assert!(out.ends_with("expected a boolean"), "{out}");

        let msg = format!("unknown field `{long}`, expected `id` or `kind`");
        let out = shorten_values(&msg);
        assert!(!out.contains(&"x".repeat(65)), "{out}");
        assert!(out.contains("expected `id` or `kind`"), "{out}");
    }

    #[test]
    fn escaped_quotes_and_unbalanced_quotes_are_safe() {
        let long = format!("a\\\"{}", "y".repeat(100));
        let out = shorten_values(&format!(
            "string \"{long}\" and `unclosed {}",
            "z".repeat(100)
        ));
        assert!(!out.contains(&"y".repeat(65)), "{out}");
        assert!(!out.contains(&"z".repeat(65)), "{out}");
    }

    #[test]
    fn long_messages_are_capped_and_short_ones_kept() {
        let words = "word ".repeat(500);
        assert!(shorten_values(&words).chars().count() <= MAX_MESSAGE_CHARS + 1);
        assert_eq!(
            shorten_values("missing field `kind`"),
            "missing field `kind`"
        );
        assert_eq!(line_column_location(3, 0), "line 3");
        assert_eq!(line_column_location(3, 7), "line 3, column 7");
    }
}
