//! The one list of rules: catalog YAML and evaluator, side by side. Adding a rule is one
//! line here (the catalog tests prove the list and rules/ agree).

use super::catalog::RuleMeta;
use super::Rule;
use super::{gv, rv, sc, sp};
use std::sync::OnceLock;

pub struct RegisteredRule {
    pub meta: RuleMeta,
    pub evaluator: &'static dyn Rule,
    /// The catalog file, relative to the repository root.
    pub catalog_file: &'static str,
}

macro_rules! catalog {
    ($path:literal) => {
        ($path, include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/", $path)))
    };
}

/// (catalog file, its text, evaluator), in id order.
fn entries() -> Vec<((&'static str, &'static str), &'static dyn Rule)> {
    vec![
        // RULES: one line per rule, sorted by id.
    ]
}

/// Every registered rule, parsed once. A catalog file that does not parse is a build
/// defect caught by the catalog tests, so it panics here with the file named.
pub fn all_rules() -> &'static [RegisteredRule] {
    static RULES: OnceLock<Vec<RegisteredRule>> = OnceLock::new();
    RULES.get_or_init(|| {
        entries()
            .into_iter()
            .map(|((file, text), evaluator)| RegisteredRule {
                meta: RuleMeta::parse(file, text).unwrap_or_else(|e| panic!("rule catalog: {e}")),
                evaluator,
                catalog_file: file,
            })
            .collect()
    })
}

pub fn find(id: &str) -> Option<&'static RegisteredRule> {
    all_rules().iter().find(|r| r.meta.id.eq_ignore_ascii_case(id))
}
