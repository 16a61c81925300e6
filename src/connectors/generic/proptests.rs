//! Never panic on bad bytes: arbitrary and mutated inputs to every generic parser return
//! a value or an error, never a panic.

use super::{parse_inventory_str, read_grant_csv, read_grant_jsonl, sniff};
use proptest::prelude::*;

const INVENTORY: &str = include_str!("../../../tests/fixtures/generic/valid-inventory.yaml");
const INVENTORY_JSON: &str = include_str!("../../../tests/fixtures/generic/valid-inventory.json");
const GRANTS_JSONL: &str = include_str!("../../../tests/fixtures/generic/grants.jsonl");
const GRANTS_CSV: &str = include_str!("../../../tests/fixtures/generic/grants.csv");

/// A valid document with a few bytes replaced, inserted or removed: the inputs most likely
/// to reach deep into a parser.
fn mutated(base: &'static str) -> impl Strategy<Value = String> {
    let len = base.len().max(1);
    proptest::collection::vec((0..len, any::<u8>(), 0u8..3), 1..8).prop_map(move |edits| {
        let mut bytes = base.as_bytes().to_vec();
        for (at, byte, op) in edits {
            let at = at.min(bytes.len());
            match op {
                0 if at < bytes.len() => bytes[at] = byte,
                1 => bytes.insert(at, byte),
                _ if at < bytes.len() => {
                    bytes.remove(at);
                }
                _ => {}
            }
        }
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn inventory_never_panics_on_arbitrary_text(text in ".{0,400}") {
        let _ = parse_inventory_str(&text, "prop", "prop.yaml");
    }

    #[test]
    fn inventory_never_panics_on_mutated_yaml(text in mutated(INVENTORY)) {
        let _ = parse_inventory_str(&text, "prop", "prop.yaml");
    }

    #[test]
    fn inventory_never_panics_on_mutated_json(text in mutated(INVENTORY_JSON)) {
        let _ = parse_inventory_str(&text, "prop", "prop.json");
    }

    #[test]
    fn grant_logs_never_panic_on_mutated_lines(jsonl in mutated(GRANTS_JSONL), csv in mutated(GRANTS_CSV)) {
        let _ = read_grant_jsonl(jsonl.as_bytes(), "prop", "prop.jsonl", 0);
        let _ = read_grant_csv(csv.as_bytes(), "prop", "prop.csv", 0);
    }

    #[test]
    fn grant_logs_never_panic_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = read_grant_jsonl(bytes.as_slice(), "prop", "prop.jsonl", 0);
        let _ = read_grant_csv(bytes.as_slice(), "prop", "prop.csv", 0);
        let text = String::from_utf8_lossy(&bytes);
        let _ = sniff(&text, true);
        let _ = sniff(&text, false);
    }
}
