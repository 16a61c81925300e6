//! Where each record of an inventory document starts, for provenance and error messages.
//!
//! serde (and yaml_serde in particular) does not expose spans, so these small scanners
//! read the text once more, looking only at structure: the top-level keys and, under each
//! top-level key whose value is a list, where every element starts. They never fail; on
//! input they do not understand they simply find less. A caller trusts a section's
//! positions only when their count equals the number of records serde read
//! ([`RecordStarts::lines`]), so a scanner mistake costs a line number, never a wrong one.

mod json;
mod yaml;

pub(crate) use json::scan_json;
pub(crate) use yaml::scan_yaml;

/// A 1-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Position {
    pub line: u32,
    pub column: u32,
}

impl Position {
    pub fn new(line: u32, column: u32) -> Self {
        Position { line, column }
    }
}

/// A top-level key and, when its value is a list laid out so the scanner can follow it,
/// where each element starts and where the list ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Section {
    pub key: String,
    pub elements: Vec<Position>,
    /// Where the list ends (its `]`, or the next top-level key); `None` if the text ends first.
    pub end: Option<Position>,
    /// Whether the value is a list the scanner followed (block list or JSON array).
    pub is_list: bool,
}

/// The structure the scanner found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct RecordStarts {
    pub sections: Vec<Section>,
}

impl RecordStarts {
    /// The top-level keys in document order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.sections.iter().map(|s| s.key.as_str())
    }

    /// The start of every element of `section`, if the scanner found exactly `count`.
    pub fn lines(&self, section: &str, count: usize) -> Option<Vec<u32>> {
        let found = self.section(section)?;
        (found.is_list && found.elements.len() == count)
            .then(|| found.elements.iter().map(|p| p.line).collect())
    }

    /// The record (section and 0-based index) whose text contains `at`, if any.
    pub fn record_at(&self, at: Position) -> Option<(&str, usize)> {
        self.sections.iter().find_map(|section| {
            if !section.is_list || section.end.is_some_and(|end| at >= end) {
                return None;
            }
            let index = section.elements.iter().rposition(|&start| start <= at)?;
            Some((section.key.as_str(), index))
        })
    }

    fn section(&self, key: &str) -> Option<&Section> {
        // A key given twice is an error serde reports; until then trust neither.
        let mut matching = self.sections.iter().filter(|s| s.key == key);
        let first = matching.next()?;
        matching.next().is_none().then_some(first)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_at_picks_the_enclosing_element() {
        let starts = RecordStarts {
            sections: vec![Section {
                key: "roles".into(),
                elements: vec![Position::new(2, 3), Position::new(5, 3)],
                end: Some(Position::new(8, 1)),
                is_list: true,
            }],
        };
        assert_eq!(starts.record_at(Position::new(1, 1)), None);
        assert_eq!(starts.record_at(Position::new(3, 9)), Some(("roles", 0)));
        assert_eq!(starts.record_at(Position::new(7, 1)), Some(("roles", 1)));
        assert_eq!(starts.record_at(Position::new(8, 1)), None);
        assert_eq!(starts.lines("roles", 2), Some(vec![2, 5]));
        assert_eq!(starts.lines("roles", 3), None);
    }
}
