//! Never panic on bad bytes: residue.yaml and suppressions files of any shape are either
//! accepted or refused with errors, never a panic.

use super::{Config, LineIndex, Step};
use crate::gate::suppressions;
use proptest::prelude::*;
use std::path::Path;

const VALID: &str = "\
sources:
  - inventory.yaml
  - {path: grants.jsonl, format: grant-log-jsonl, name: okta, cluster: prod}
break_glass: [bg-1]
secrets: {max_age_days: 30, unused_days: 45}
jit: {default_window: 2h, brokers: [arn:aws:iam::1:role/b], eligible_roles: {tags: {jit: 'yes'}, names: ['jit-*'], assumable_by_brokers: true}}
windows: {admin: 1h, write: 8h}
kubernetes: {expiry_annotation: a/b, owner_keys: [o], ai_agent_keys: [k]}
rules:
  SP003: {severity: low, parameters: {unused_days: 60, min_privilege: write}}
  GV004: {enabled: false}
suppressions: suppressions.yaml
fail_on: high
";

const SUPPRESSIONS: &str = "\
suppressions:
  - fingerprint: abc
    reason: accepted
    approved_by: ciso
    expires: 2026-12-31
  - rule: SP001
    subject: \"bg-*\"
    reason: break glass
    approved_by: ciso
    expires: 2026-01-01T00:00:00Z
";

fn mutated(base: &'static str) -> impl Strategy<Value = String> {
    let len = base.len();
    proptest::collection::vec((0..len, any::<char>(), any::<bool>()), 1..6).prop_map(move |edits| {
        let mut chars: Vec<char> = base.chars().collect();
        for (at, c, insert) in edits {
            let at = at.min(chars.len());
            if insert || at == chars.len() {
                chars.insert(at, c);
            } else {
                chars[at] = c;
            }
        }
        chars.into_iter().collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn configuration_never_panics(text in mutated(VALID)) {
        let _ = Config::parse(&text, "residue.yaml", Path::new("."));
        let index = LineIndex::new(&text);
        let _ = index.line_of(&[Step::key("rules"), Step::key("SP003"), Step::Index(3)]);
    }

    #[test]
    fn configuration_never_panics_on_arbitrary_text(text in ".{0,300}") {
        let _ = Config::parse(&text, "residue.yaml", Path::new("."));
    }

    #[test]
    fn suppressions_never_panic(text in mutated(SUPPRESSIONS)) {
        let _ = suppressions::parse(&text, "suppressions.yaml");
    }
}
