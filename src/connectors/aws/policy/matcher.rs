//! IAM pattern matching: `*` matches any run of characters, `?` exactly one. Actions match
//! case-insensitively (callers lowercase both sides once); resources case-sensitively.
//!
//! Resource patterns may contain policy variables (`${aws:username}`): [`substitute`]
//! replaces the ones residue knows for a principal and turns the others into `*` (they
//! stand for some value residue cannot know), and the escapes `${*}`, `${?}` and `${$}`
//! into literal characters (marked so the matcher does not read them as wildcards).

/// A compiled pattern: literal characters and wildcards.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    tokens: Vec<Token>,
    /// The pattern as written (for messages and the role's permission list).
    pub text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token {
    Char(char),
    Star,
    One,
}

impl Pattern {
    /// Compiles `text` (already lowercased by the caller for actions).
    pub fn new(text: &str) -> Pattern {
        Pattern::from_text(text.to_string())
    }

    /// [`Pattern::new`], keeping `text` as the pattern's text (no copy).
    pub fn from_text(text: String) -> Pattern {
        let mut tokens = Vec::with_capacity(text.len());
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '*' => {
                    if tokens.last() != Some(&Token::Star) {
                        tokens.push(Token::Star);
                    }
                }
                '?' => tokens.push(Token::One),
                '$' if chars.peek() == Some(&'{') => {
                    // A policy variable left in (see `substitute`): matches like `*`.
                    let mut inner = String::new();
                    chars.next();
                    let mut closed = false;
                    for d in chars.by_ref() {
                        if d == '}' {
                            closed = true;
                            break;
                        }
                        inner.push(d);
                    }
                    if !closed {
                        tokens.push(Token::Char('$'));
                        tokens.push(Token::Char('{'));
                        tokens.extend(inner.chars().map(Token::Char));
                        continue;
                    }
                    match inner.as_str() {
                        "*" => tokens.push(Token::Char('*')),
                        "?" => tokens.push(Token::Char('?')),
                        "$" => tokens.push(Token::Char('$')),
                        _ => {
                            if tokens.last() != Some(&Token::Star) {
                                tokens.push(Token::Star);
                            }
                        }
                    }
                }
                c => tokens.push(Token::Char(c)),
            }
        }
        Pattern { tokens, text }
    }

    /// Matches everything.
    pub fn is_any(&self) -> bool {
        self.tokens == [Token::Star]
    }

    pub fn has_wildcard(&self) -> bool {
        self.tokens.iter().any(|t| !matches!(t, Token::Char(_)))
    }

    /// The literal text before the first wildcard.
    pub fn literal_prefix(&self) -> String {
        self.tokens
            .iter()
            .map_while(|t| match t {
                Token::Char(c) => Some(*c),
                _ => None,
            })
            .collect()
    }

    /// Does the pattern match `text` entirely?
    pub fn matches(&self, text: &str) -> bool {
        if text.is_ascii() {
            let bytes = text.as_bytes();
            return glob_with(&self.tokens, bytes.len(), |i| bytes[i] as char);
        }
        let chars: Vec<char> = text.chars().collect();
        glob(&self.tokens, &chars)
    }

    /// Does every string `other` matches also match `self`? Exact for literal `other`;
    /// for a wildcard `other`, reads its wildcards as themselves, which is exact when
    /// `self` has a `*` wherever `other` has one (the common `arn:...:bucket/*` cases).
    pub fn covers(&self, other: &Pattern) -> bool {
        if self.is_any() {
            return true;
        }
        let as_text = &other.tokens;
        glob_with(&self.tokens, as_text.len(), |i| match as_text[i] {
            Token::Char(c) => c,
            Token::Star => '*',
            Token::One => '?',
        })
    }

    /// Can some string match both patterns? (Exact when one side is literal; otherwise
    /// answers yes when either covers the other or both share a literal prefix.)
    pub fn overlaps(&self, other: &Pattern) -> bool {
        if self.is_any() || other.is_any() {
            return true;
        }
        if !other.has_wildcard() {
            return self.matches(&other.text);
        }
        if !self.has_wildcard() {
            return other.matches(&self.text);
        }
        if self.covers(other) || other.covers(self) {
            return true;
        }
        let (a, b) = (self.literal_prefix(), other.literal_prefix());
        a.starts_with(&b) || b.starts_with(&a)
    }
}

/// Iterative glob with backtracking on the last star: linear for the patterns IAM uses.
fn glob(p: &[Token], s: &[char]) -> bool {
    glob_with(p, s.len(), |i| s[i])
}

/// [`glob`] over `len` characters read through `at` (no copy of the text).
#[inline]
fn glob_with(p: &[Token], len: usize, at: impl Fn(usize) -> char) -> bool {
    let (mut pi, mut si) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while si < len {
        match p.get(pi) {
            Some(Token::Star) => {
                star = Some((pi, si));
                pi += 1;
            }
            Some(Token::One) => {
                pi += 1;
                si += 1;
            }
            Some(Token::Char(c)) if *c == at(si) => {
                pi += 1;
                si += 1;
            }
            _ => match star {
                Some((sp, ss)) => {
                    pi = sp + 1;
                    si = ss + 1;
                    star = Some((sp, ss + 1));
                }
                None => return false,
            },
        }
    }
    while p.get(pi) == Some(&Token::Star) {
        pi += 1;
    }
    pi == p.len()
}

/// Replaces policy variables residue knows (`${aws:username}`, `${aws:PrincipalAccount}`…,
/// case-insensitive keys) with their values for one principal; others are left for
/// [`Pattern::new`] to read as `*`.
pub fn substitute(text: &str, vars: &[(&str, &str)]) -> String {
    if !text.contains("${") || vars.is_empty() {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            out.push_str(&rest[start..]);
            return out;
        };
        let name = &after[..end];
        // `${aws:username, 'default'}` carries a default after a comma.
        let key = name.split(',').next().unwrap_or(name).trim();
        match vars.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)) {
            Some((_, v)) => out.push_str(v),
            None => {
                out.push_str("${");
                out.push_str(name);
                out.push('}');
            }
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_match_like_iam() {
        let p = Pattern::new("iam:*policy*");
        assert!(p.matches("iam:putuserpolicy"));
        assert!(p.matches("iam:createpolicyversion"));
        assert!(!p.matches("iam:passrole"));
        assert!(Pattern::new("s3:get?bject").matches("s3:getobject"));
        assert!(!Pattern::new("s3:get?bject").matches("s3:getoobject"));
        assert!(Pattern::new("*").matches(""));
        assert!(Pattern::new("a*b*c").matches("axxbyyc"));
        assert!(!Pattern::new("a*b*c").matches("axxbyy"));
        assert!(Pattern::new("arn:aws:s3:::bucket/*").matches("arn:aws:s3:::bucket/a/b"));
        assert!(!Pattern::new("arn:aws:s3:::bucket/*").matches("arn:aws:s3:::bucket2/a"));
    }

    #[test]
    fn covers_and_overlaps() {
        let all = Pattern::new("*");
        let bucket = Pattern::new("arn:aws:s3:::b/*");
        let key = Pattern::new("arn:aws:s3:::b/k");
        let other = Pattern::new("arn:aws:s3:::c/*");
        assert!(all.covers(&bucket) && bucket.covers(&key) && !key.covers(&bucket));
        assert!(!bucket.covers(&all));
        assert!(bucket.overlaps(&key) && key.overlaps(&bucket) && all.overlaps(&key));
        assert!(!bucket.overlaps(&other));
        assert!(Pattern::new("arn:aws:iam::1:role/a*")
            .overlaps(&Pattern::new("arn:aws:iam::1:role/*x")));
    }

    #[test]
    fn policy_variables() {
        let text = substitute(
            "arn:aws:iam::1:user/${aws:username}",
            &[("aws:username", "alice")],
        );
        assert_eq!(text, "arn:aws:iam::1:user/alice");
        let p = Pattern::new("arn:aws:iam::1:user/${aws:username}");
        assert!(
            p.matches("arn:aws:iam::1:user/anyone"),
            "unknown variables match anything"
        );
        let escaped = Pattern::new("arn:aws:s3:::b/${*}");
        assert!(escaped.matches("arn:aws:s3:::b/*") && !escaped.matches("arn:aws:s3:::b/x"));
        assert_eq!(
            substitute("x/${aws:userid", &[("aws:userid", "u")]),
            "x/${aws:userid"
        );
    }
}
