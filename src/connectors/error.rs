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
