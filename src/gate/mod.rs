//! The gate: suppressions now; baselines and diffs build on them.

pub mod suppressions;
