//! Finds the line of a key path in block-style YAML, so every configuration error can
//! point at file:line even though the YAML parser gives values without positions.

/// One step of a path: a mapping key or a sequence index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Key(String),
    Index(usize),
}

impl Step {
    pub fn key(k: &str) -> Step {
        Step::Key(k.to_string())
    }
}

/// Line numbers (1-based) of every key and sequence item in a block-style YAML text.
pub struct LineIndex {
    entries: Vec<(Vec<Step>, u32)>,
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        // Stack of (indent, step) describing where the current line sits.
        let mut stack: Vec<(usize, Step)> = Vec::new();
        // Next index for a sequence whose items sit at a given (parent path length, indent).
        let mut seq_counters: Vec<(usize, usize, usize)> = Vec::new();
        let mut entries = Vec::new();
        for (n, raw) in text.lines().enumerate() {
            let line_no = (n + 1) as u32;
            let trimmed = raw.trim_start();
            if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with("---") {
                continue;
            }
            let mut indent = raw.len() - trimmed.len();
            let mut rest = trimmed;
            while let Some(after_dash) = rest
                .strip_prefix("- ")
                .or_else(|| (rest == "-").then_some(""))
            {
                while stack.last().is_some_and(|(i, _)| *i >= indent) {
                    stack.pop();
                }
                let depth = stack.len();
                seq_counters.retain(|(d, _, _)| *d <= depth);
                let idx = match seq_counters
                    .iter_mut()
                    .find(|(d, i, _)| *d == depth && *i == indent)
                {
                    Some(entry) => {
                        entry.2 += 1;
                        entry.2
                    }
                    None => {
                        seq_counters.push((depth, indent, 0));
                        0
                    }
                };
                stack.push((indent, Step::Index(idx)));
                entries.push((stack.iter().map(|(_, s)| s.clone()).collect(), line_no));
                let consumed = rest.len() - after_dash.len();
                indent += consumed;
                rest = after_dash.trim_start();
                indent += after_dash.len() - rest.len();
            }
            if let Some(key) = mapping_key(rest) {
                while stack.last().is_some_and(|(i, _)| *i >= indent) {
                    stack.pop();
                }
                let depth = stack.len();
                seq_counters.retain(|(d, _, _)| *d <= depth);
                stack.push((indent, Step::Key(key)));
                entries.push((stack.iter().map(|(_, s)| s.clone()).collect(), line_no));
            }
        }
        LineIndex { entries }
    }

    /// The line of the deepest prefix of `path` that the text contains.
    pub fn line_of(&self, path: &[Step]) -> Option<u32> {
        for len in (1..=path.len()).rev() {
            if let Some((_, line)) = self
                .entries
                .iter()
                .find(|(p, _)| p.as_slice() == &path[..len])
            {
                return Some(*line);
            }
        }
        None
    }
}

/// `key: value` or `key:` → key (quotes removed); flow mappings and scalars → None.
fn mapping_key(s: &str) -> Option<String> {
    let (key, rest) = if let Some(q) = s.strip_prefix('"') {
        let end = q.find('"')?;
        (&q[..end], &q[end + 1..])
    } else if let Some(q) = s.strip_prefix('\'') {
        let end = q.find('\'')?;
        (&q[..end], &q[end + 1..])
    } else {
        let colon = s
            .find(": ")
            .or_else(|| s.ends_with(':').then(|| s.len() - 1))?;
        (&s[..colon], &s[colon..])
    };
    let rest = rest.trim_start();
    (rest.starts_with(':') && !key.starts_with(['{', '['])).then(|| key.trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_keys_and_items() {
        let text = "\
# comment
sources:
  - inventory.yaml
  - path: grants.jsonl
    format: grant-log-jsonl
rules:
  SP003:
    parameters:
      unused_days: 60
break_glass: [a, b]
";
        let idx = LineIndex::new(text);
        assert_eq!(idx.line_of(&[Step::key("sources")]), Some(2));
        assert_eq!(
            idx.line_of(&[Step::key("sources"), Step::Index(0)]),
            Some(3)
        );
        assert_eq!(
            idx.line_of(&[Step::key("sources"), Step::Index(1), Step::key("format")]),
            Some(5)
        );
        assert_eq!(
            idx.line_of(&[
                Step::key("rules"),
                Step::key("SP003"),
                Step::key("parameters"),
                Step::key("unused_days")
            ]),
            Some(9)
        );
        assert_eq!(
            idx.line_of(&[Step::key("break_glass"), Step::Index(1)]),
            Some(10)
        );
        assert_eq!(idx.line_of(&[Step::key("nowhere")]), None);
    }
}
