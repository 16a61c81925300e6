//! The one place that neutralises names before they reach a report.
//!
//! Identity, role and secret names come from the audited systems, so whoever can name an
//! account can put text into our reports. Each output context has its own hazards, and each
//! has exactly one function here; report writers pass every value taken from data through
//! the function for their context and never escape by hand.
//!
//! | context | function | hazard neutralised |
//! |---|---|---|
//! | CSV cell | [`csv_cell`] | formula injection when the file is opened in a spreadsheet |
//! | Markdown inline text or table cell | [`markdown_inline`] | links, HTML, emphasis, broken tables |
//! | terminal | [`terminal`] | ANSI escape sequences rewriting the screen, invisible characters |
//! | HTML text or attribute | [`html`] | tags and attribute break-out |
//! | JSON inside an HTML `<script>` | [`json_for_script`] | `</script>` break-out, `<!--`, JS line terminators |
//! | Graphviz DOT quoted string | [`dot_string`] | quote break-out, DOT label escapes (`\N`, `\l`) |
//! | Mermaid quoted label | [`mermaid_label`] | quote break-out, HTML in labels, entity codes |
//!
//! All functions borrow when nothing needs changing, so clean names cost no allocation.

use std::borrow::Cow;
use std::fmt::Write as _;

/// Characters that make a spreadsheet read a cell as a formula (OWASP CSV injection).
const CSV_FORMULA_TRIGGERS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// Neutralises a CSV cell against formula injection: a cell starting with `=`, `+`, `-`,
/// `@`, tab or carriage return gets a leading `'`, which spreadsheets read as "text".
///
/// Quoting of commas, quotes and newlines is the CSV writer's job, not this function's.
pub fn csv_cell(s: &str) -> Cow<'_, str> {
    if s.starts_with(CSV_FORMULA_TRIGGERS) {
        Cow::Owned(format!("'{s}"))
    } else {
        Cow::Borrowed(s)
    }
}

/// Escapes text for an inline position in CommonMark / GitHub Markdown: running text or a
/// table cell.
///
/// - `<`, `>`, `&` become HTML entities, so no raw HTML or autolink `<...>` can form;
/// - inline metacharacters (`` \ ` * _ [ ] ( ) ! | ~ # $ + ``) are backslash-escaped, so no
///   emphasis, code, link, image, strikethrough or math can form and `|` cannot split a cell;
/// - a leading `-`, and the `.` of a leading `1. `, are escaped so the text cannot start a
///   list even when a caller places it at the start of a line;
/// - line breaks and tabs become a space, so the text stays on its line (and in its row);
/// - other control characters and invisible formatting characters (bidirectional
///   overrides, zero-width spaces) are shown as `\u{..}`, so a name cannot hide or reorder
///   what the reader sees.
pub fn markdown_inline(s: &str) -> Cow<'_, str> {
    // `1. ` or `1.` alone starts an ordered list at the start of a line; `1.2` does not.
    let leading_digits = s.bytes().take_while(u8::is_ascii_digit).count();
    let after_digits = &s.as_bytes()[leading_digits..];
    let list_marker_dot = (leading_digits > 0
        && matches!(after_digits, [b'.'] | [b'.', b' ' | b'\t', ..]))
    .then_some(leading_digits);
    let needs_escape = |(i, c): (usize, char)| {
        matches!(
            c,
            '\\' | '`'
                | '*'
                | '_'
                | '['
                | ']'
                | '('
                | ')'
                | '!'
                | '|'
                | '~'
                | '#'
                | '$'
                | '+'
                | '<'
                | '>'
                | '&'
        ) || (i == 0 && c == '-')
            || list_marker_dot == Some(i)
            || is_line_break(c)
            || c.is_control()
            || is_invisible_format(c)
    };
    if !s.char_indices().any(needs_escape) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    let mut chars = s.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\r' => {
                // A Windows line break is one break, not two spaces.
                if chars.peek().is_some_and(|&(_, next)| next == '\n') {
                    chars.next();
                }
                out.push(' ');
            }
            '\t' => out.push(' '),
            c if is_line_break(c) => out.push(' '),
            c if c.is_control() || is_invisible_format(c) => push_code_point(&mut out, c),
            c if needs_escape((i, c)) => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Makes text safe to print on a terminal: every control character (C0 including newline
/// and tab, DEL, and C1 including the single-byte CSI `U+009B`) and every invisible
/// formatting character is shown as `\u{..}`.
///
/// With ESC shown as `\u{1b}`, an ANSI sequence such as `ESC[31m` prints as inert text, so a
/// name can neither recolour nor rewrite the screen nor hide itself, and the reader still
/// sees that the name carried one.
pub fn terminal(s: &str) -> Cow<'_, str> {
    if !s.chars().any(|c| c.is_control() || is_invisible_format(c)) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if c.is_control() || is_invisible_format(c) {
            push_code_point(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Escapes text for HTML element content and quoted attribute values: `& < > " '`.
pub fn html(s: &str) -> Cow<'_, str> {
    if !s.contains(['&', '<', '>', '"', '\'']) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Serializes a value as JSON safe to place inside an HTML `<script>` element (or any other
/// JavaScript context of a page): `<`, `>` and `&` become `\u003c`, `\u003e`, `\u0026`,
/// so no `</script>` or `<!--` can form, and U+2028 / U+2029 become `\u2028` / `\u2029`,
/// which older JavaScript parsers read as line ends. The result is still valid JSON that
/// parses to the same value.
pub fn json_for_script<T: serde::Serialize + ?Sized>(
    value: &T,
) -> Result<String, serde_json::Error> {
    let text = serde_json::to_string(value)?;
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    Ok(out)
}

/// Escapes text for a double-quoted Graphviz DOT string (a node or edge label): `\` and
/// `"` are backslash-escaped, so the text cannot end the string nor form a label escape
/// such as `\N` or `\l`; a line break becomes DOT's `\n` (a centred line break), other
/// control characters and invisible formatting characters are shown as `\u{..}`.
pub fn dot_string(s: &str) -> Cow<'_, str> {
    if !s
        .chars()
        .any(|c| c == '\\' || c == '"' || c.is_control() || is_invisible_format(c))
    {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c if c.is_control() || is_invisible_format(c) => push_code_point(&mut out, c),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Escapes text for a double-quoted Mermaid label (`id["…"]`, `-->|"…"|`). Mermaid reads
/// `#name;` and `#123;` as entity codes and renders labels as HTML, so `#` is written first
/// as `#35;`, then `"`, `<`, `>`, `&` and the backtick (which starts a Markdown string) as
/// entity codes; line breaks become a space, other control and invisible characters
/// `\u{..}`.
pub fn mermaid_label(s: &str) -> Cow<'_, str> {
    if !s.chars().any(|c| {
        matches!(
            c,
            '#' | '"' | '<' | '>' | '&' | '`' | '|' | '[' | ']' | '{' | '}'
        ) || c.is_control()
            || is_invisible_format(c)
    }) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            '#' => out.push_str("#35;"),
            '"' => out.push_str("#quot;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '&' => out.push_str("#amp;"),
            '`' => out.push_str("#96;"),
            '|' => out.push_str("#124;"),
            '[' => out.push_str("#91;"),
            ']' => out.push_str("#93;"),
            '{' => out.push_str("#123;"),
            '}' => out.push_str("#125;"),
            c if is_line_break(c) || c == '\t' => out.push(' '),
            c if c.is_control() || is_invisible_format(c) => push_code_point(&mut out, c),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Characters Unicode treats as ending a line; Markdown renderers may too.
fn is_line_break(c: char) -> bool {
    matches!(
        c,
        '\n' | '\r' | '\u{0B}' | '\u{0C}' | '\u{85}' | '\u{2028}' | '\u{2029}'
    )
}

/// Invisible characters that change how surrounding text looks: bidirectional controls
/// (the "Trojan Source" characters), zero-width spaces and joiners, and the byte-order mark.
/// Two names differing only by these look identical, so reports make them visible.
fn is_invisible_format(c: char) -> bool {
    matches!(
        c,
        '\u{061C}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}'
            | '\u{FEFF}'
    )
}

fn push_code_point(out: &mut String, c: char) {
    // Writing to a String cannot fail.
    let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cell_prefixes_formula_triggers() {
        assert_eq!(csv_cell("=cmd|' /C calc'!A0"), "'=cmd|' /C calc'!A0");
        assert_eq!(
            csv_cell("=HYPERLINK(\"http://x\")"),
            "'=HYPERLINK(\"http://x\")"
        );
        for hostile in ["+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"] {
            let escaped = csv_cell(hostile);
            assert!(escaped.starts_with('\''), "{hostile:?} -> {escaped:?}");
            assert_eq!(&escaped[1..], hostile);
        }
    }

    #[test]
    fn csv_cell_leaves_ordinary_text_borrowed() {
        for clean in ["alice@acme.example", "prod-admin", "", "a=b", "12"] {
            assert!(matches!(csv_cell(clean), Cow::Borrowed(_)), "{clean:?}");
        }
    }

    #[test]
    fn markdown_inline_cannot_break_tables_or_inject_html() {
        assert_eq!(
            markdown_inline("<script>alert(1)</script>"),
            "&lt;script&gt;alert\\(1\\)&lt;/script&gt;"
        );
        assert_eq!(markdown_inline("a|b\nc"), "a\\|b c");
        assert_eq!(markdown_inline("a\r\nb\rc"), "a b c");
        assert_eq!(
            markdown_inline("[x](http://evil)"),
            "\\[x\\]\\(http://evil\\)"
        );
        assert_eq!(
            markdown_inline("**b** _i_ `c` ~s~"),
            "\\*\\*b\\*\\* \\_i\\_ \\`c\\` \\~s\\~"
        );
        assert_eq!(markdown_inline("![img](x)"), "\\!\\[img\\]\\(x\\)");
        assert_eq!(markdown_inline("a\\|b"), "a\\\\\\|b");
        assert_eq!(markdown_inline("AT&T"), "AT&amp;T");
        assert_eq!(markdown_inline("&lt;"), "&amp;lt;");
        for hostile in ["<script>alert(1)</script>", "a|b\nc", "x\u{2028}y|"] {
            let escaped = markdown_inline(hostile);
            assert!(
                !escaped.contains(['<', '>', '\n', '\r', '\u{2028}']),
                "{escaped}"
            );
            // Every `|` that remains is escaped.
            assert!(!escaped.replace("\\|", "").contains('|'), "{escaped}");
        }
    }

    #[test]
    fn markdown_inline_cannot_start_a_block() {
        assert_eq!(markdown_inline("- item"), "\\- item");
        assert_eq!(markdown_inline("+ item"), "\\+ item");
        assert_eq!(markdown_inline("# title"), "\\# title");
        assert_eq!(markdown_inline("1. first"), "1\\. first");
        assert_eq!(markdown_inline("12."), "12\\.");
        assert_eq!(markdown_inline("0.1.0"), "0.1.0");
    }

    #[test]
    fn markdown_inline_keeps_ordinary_names_readable() {
        for clean in [
            "alice@acme.example",
            "prod-admin",
            "arn:aws:iam::123456789012:role/ops",
            "v1.2",
        ] {
            assert!(
                matches!(markdown_inline(clean), Cow::Borrowed(_)),
                "{clean:?}"
            );
        }
    }

    #[test]
    fn markdown_inline_shows_control_and_invisible_characters() {
        assert_eq!(markdown_inline("\x1b[31mred"), "\\u{1b}\\[31mred");
        assert_eq!(markdown_inline("adm\u{200B}in"), "adm\\u{200b}in");
        assert_eq!(markdown_inline("a\tb"), "a b");
    }

    #[test]
    fn terminal_neutralises_escape_sequences() {
        assert_eq!(terminal("\x1b[31mred\x1b[0m"), "\\u{1b}[31mred\\u{1b}[0m");
        assert_eq!(terminal("\u{9b}2J"), "\\u{9b}2J");
        assert_eq!(
            terminal("a\nb\tc\rd\x07\x7f"),
            "a\\u{a}b\\u{9}c\\u{d}d\\u{7}\\u{7f}"
        );
        assert_eq!(terminal("evil\u{202E}txt.exe"), "evil\\u{202e}txt.exe");
        let escaped = terminal("\x1b]0;title\x07\x1b[2J");
        assert!(!escaped.chars().any(|c| c.is_control()), "{escaped:?}");
    }

    #[test]
    fn terminal_leaves_ordinary_text_borrowed() {
        for clean in [
            "alice@acme.example",
            "prod-admin",
            "Zoë Müller",
            "DOMAIN\\user",
            "",
        ] {
            assert!(matches!(terminal(clean), Cow::Borrowed(_)), "{clean:?}");
        }
    }

    #[test]
    fn json_for_script_cannot_close_the_script_and_still_parses() {
        let hostile = "</script><script>alert('x')</script><!-- \u{2028}\u{2029} & \"q\"";
        let out = json_for_script(&hostile).expect("serializes");
        assert!(
            !out.contains(['<', '>', '&', '\u{2028}', '\u{2029}']),
            "{out}"
        );
        let back: String = serde_json::from_str(&out).expect("still JSON");
        assert_eq!(back, hostile);
    }

    #[test]
    fn dot_string_cannot_end_the_string_or_form_label_escapes() {
        assert_eq!(dot_string("a\"b"), "a\\\"b");
        assert_eq!(dot_string("x\\N y"), "x\\\\N y");
        assert_eq!(dot_string("one\ntwo"), "one\\ntwo");
        assert_eq!(dot_string("bell\x07"), "bell\\u{7}");
        assert!(matches!(dot_string("prod-admin"), Cow::Borrowed(_)));
    }

    #[test]
    fn mermaid_label_uses_entity_codes() {
        assert_eq!(
            mermaid_label("<script>\"x\"#1;"),
            "#lt;script#gt;#quot;x#quot;#35;1;"
        );
        assert_eq!(mermaid_label("a|b]`c`"), "a#124;b#93;#96;c#96;");
        assert_eq!(mermaid_label("a\nb"), "a b");
        assert!(matches!(
            mermaid_label("alice@acme.example"),
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn html_escapes_the_five_characters() {
        assert_eq!(
            html("<script>alert(1)</script>"),
            "&lt;script&gt;alert(1)&lt;/script&gt;"
        );
        assert_eq!(html("\"'&"), "&quot;&#39;&amp;");
        assert_eq!(html("=cmd|' /C calc'!A0"), "=cmd|&#39; /C calc&#39;!A0");
        assert!(matches!(html("prod-admin"), Cow::Borrowed(_)));
    }
}
