//! Where a canonical record came from: the evidence trail every finding carries.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The source and record a canonical item was read from.
///
/// `file` is the path as the user named it (relative paths stay relative so reports are
/// portable and deterministic); `line` is 1-based where the format has lines; `record`
/// locates the item inside the file (a JSON pointer such as `/identities/3`, or `record 12`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Provenance {
    /// The source name from residue.yaml, or the connector name when none was given.
    pub source: String,
    pub file: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record: Option<String>,
}

impl Provenance {
    pub fn new(source: impl Into<String>, file: impl Into<String>) -> Self {
        Provenance {
            source: source.into(),
            file: file.into(),
            line: None,
            record: None,
        }
    }

    pub fn at_line(mut self, line: u32) -> Self {
        self.line = Some(line);
        self
    }

    pub fn with_record(mut self, record: impl Into<String>) -> Self {
        self.record = Some(record.into());
        self
    }

    /// A provenance for items a rule example or a test builds in memory.
    pub fn synthetic(what: &str) -> Self {
        Provenance::new("synthetic", what)
    }
}

impl fmt::Display for Provenance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if let Some(record) = &self.record {
            write!(f, " ({record})")?;
        }
        Ok(())
    }
}
