//! Recognising a generic format from the start of a file.

use super::grant_csv::REQUIRED_COLUMNS;
use super::locate::{scan_json, scan_yaml};
use super::records::{SECTIONS, VERSION_KEY};
use crate::connectors::SourceFormat;

/// The generic format `text` (the start of a file, or all of it when `complete`) is in.
///
/// - a first non-blank line that is a JSON object with `grant_id` and `event`: a JSON Lines grant log;
/// - a first non-blank line that is a CSV header naming `grant_id`, `event` and `time`: a CSV grant log;
/// - a mapping (JSON or YAML) whose top-level keys are all inventory sections or `version`,
///   at least one a section: a generic inventory.
pub(crate) fn sniff(text: &str, complete: bool) -> Option<SourceFormat> {
    let first_line = text.lines().find(|line| !line.trim().is_empty())?.trim();
    if first_line.starts_with('{') {
        if is_grant_event_object(first_line) {
            return Some(SourceFormat::GrantLogJsonl);
        }
        let keys: Vec<String> = scan_json(text).keys().map(str::to_string).collect();
        return is_inventory(&keys).then_some(SourceFormat::GenericInventory);
    }
    if is_grant_csv_header(first_line) {
        return Some(SourceFormat::GrantLogCsv);
    }
    let mut keys: Vec<String> = scan_yaml(text).keys().map(str::to_string).collect();
    if keys.is_empty() && complete {
        // Flow-style YAML (`{identities: [...]}` spread over lines) has no block keys.
        if let Ok(mapping) = serde_yaml::from_str::<serde_yaml::Mapping>(text) {
            keys = mapping
                .keys()
                .filter_map(|k| k.as_str().map(str::to_string))
                .collect();
        }
    }
    is_inventory(&keys).then_some(SourceFormat::GenericInventory)
}

fn is_grant_event_object(line: &str) -> bool {
    serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(line)
        .is_ok_and(|object| object.contains_key("grant_id") && object.contains_key("event"))
}

fn is_grant_csv_header(line: &str) -> bool {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(line.as_bytes());
    let mut header = csv::StringRecord::new();
    if !reader.read_record(&mut header).unwrap_or(false) {
        return false;
    }
    REQUIRED_COLUMNS
        .iter()
        .all(|required| header.iter().any(|name| name.trim() == *required))
}

fn is_inventory(keys: &[String]) -> bool {
    let known = |key: &String| SECTIONS.contains(&key.as_str()) || key == VERSION_KEY;
    keys.iter().all(known) && keys.iter().any(|key| SECTIONS.contains(&key.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_each_generic_format() {
        let jsonl =
            "\n{\"grant_id\": \"g-1\", \"event\": \"requested\", \"time\": \"2026-01-01\"}\n";
        assert_eq!(sniff(jsonl, true), Some(SourceFormat::GrantLogJsonl));
        let csv = "grant_id,event,time,principal\ng-1,requested,2026-01-01,alice\n";
        assert_eq!(sniff(csv, true), Some(SourceFormat::GrantLogCsv));
        let quoted_csv = "\"time\",\"grant_id\",\"event\"\n";
        assert_eq!(sniff(quoted_csv, true), Some(SourceFormat::GrantLogCsv));
        let yaml = "# demo\nversion: 1\nidentities:\n  - id: a\n    kind: human\n";
        assert_eq!(sniff(yaml, true), Some(SourceFormat::GenericInventory));
        let json = "{\n  \"version\": 1,\n  \"roles\": [\n";
        assert_eq!(sniff(json, false), Some(SourceFormat::GenericInventory));
        let flow = "--- {identities: [\n  {id: a, kind: human}]}\n";
        assert_eq!(sniff(flow, true), Some(SourceFormat::GenericInventory));
    }

    #[test]
    fn leaves_other_content_unrecognised() {
        for text in [
            "",
            "version: 1\n",
            "identities: []\nsomething_else: 1\n",
            "{\"Version\": \"2012-10-17\", \"Statement\": []}",
            "user,arn,password_enabled\n",
            "just some text\n",
            "{\"event\": \"x\"}\n",
        ] {
            assert_eq!(sniff(text, true), None, "{text:?}");
        }
    }
}
