//! The Teleport and TEAM connectors end to end: recognised by content, findings from their
//! grants, and malformed files that fail with the file, the line or record, and the field.

use crate::support::*;
use std::path::Path;

const NOW: &str = "2026-12-01T00:00:00Z";

fn scan(target: &Path, out: &Path) -> std::process::Output {
    residue(&[
        "scan",
        target.to_str().expect("utf-8 path"),
        "--now",
        NOW,
        "--out",
        out.to_str().expect("utf-8 path"),
    ])
}

fn finding_keys(out: &Path) -> Vec<(String, String, String)> {
    let text = std::fs::read_to_string(out.join("report.json")).expect("report.json");
    let report: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    let mut keys: Vec<_> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["rule_id"].as_str().unwrap_or_default().to_string(),
                f["subject"].as_str().unwrap_or_default().to_string(),
                f["entitlement"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    keys.sort();
    keys
}

fn key(rule: &str, subject: &str, entitlement: &str) -> (String, String, String) {
    (rule.into(), subject.into(), entitlement.into())
}

#[test]
fn a_teleport_log_is_recognised_and_use_after_expiry_is_reported() {
    let out = out_dir();
    let o = scan(&fixture("teleport/audit.jsonl"), out.path());
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stderr(&o).contains("teleport-audit") || stdout(&o).contains("teleport-audit"));
    // alice's session ended at 13:30, after the 13:00 access expiry; carol's request was denied.
    assert_eq!(
        finding_keys(out.path()),
        vec![key("RV004", "alice", "db-admin")]
    );
}

#[test]
fn team_records_are_recognised_and_self_approval_is_reported() {
    let out = out_dir();
    let o = scan(
        &fixture("aws-identity-center-team/requests.json"),
        out.path(),
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let keys = finding_keys(out.path());
    assert!(
        keys.contains(&key("GV001", "dana@acme.example", "444455556666:PowerUser")),
        "{keys:?}"
    );
    assert!(
        keys.contains(&key("GV001", "erin@acme.example", "444455556666:PowerUser")),
        "{keys:?}"
    );
}

#[test]
fn malformed_exports_fail_with_file_location_and_field() {
    let cases = [
        ("teleport/truncated.jsonl", "truncated.jsonl: line 2"),
        ("teleport/wrong-type.jsonl", "line 1: field `roles`"),
        ("teleport/bad-timestamp.jsonl", "line 2: field `time`"),
        ("teleport/missing-field.jsonl", "line 1: field `id`"),
        (
            "aws-identity-center-team/wrong-type.json",
            "record 1 (/0, line 2): field `duration`",
        ),
        (
            "aws-identity-center-team/bad-timestamp.json",
            "record 1 (/0, line 2): field `startTime`",
        ),
        (
            "aws-identity-center-team/missing-field.json",
            "record 1 (/0, line 2): field `accountId`",
        ),
    ];
    for (file, expected) in cases {
        let out = out_dir();
        let o = scan(&fixture(file), out.path());
        assert_eq!(code(&o), 2, "{file}: {}", stderr(&o));
        assert!(stderr(&o).contains(expected), "{file}: {}", stderr(&o));
    }
}

/// A directory with residue.yaml naming a mapped source, for the mapping tests.
fn mapped_dir(spec: &str) -> tempfile::TempDir {
    let dir = out_dir();
    std::fs::create_dir_all(dir.path().join("connectors")).expect("mkdir");
    std::fs::copy(
        root().join("connectors/team-approvals-csv.yaml"),
        dir.path().join("connectors/team.yaml"),
    )
    .expect("copy spec");
    std::fs::write(dir.path().join("connectors/broken.yaml"), spec).expect("write spec");
    std::fs::copy(
        fixture("mapping/approvals.csv"),
        dir.path().join("approvals.csv"),
    )
    .expect("copy data");
    dir
}

#[test]
fn a_mapped_csv_source_is_read_through_its_spec() {
    let dir = mapped_dir("");
    std::fs::write(
        dir.path().join("residue.yaml"),
        "sources:\n  - {path: approvals.csv, format: mapping, mapping: connectors/team.yaml, name: team-csv}\n",
    )
    .expect("write config");
    let out = out_dir();
    let o = scan(dir.path(), out.path());
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    // carol approved her own 12-hour admin request.
    let keys = finding_keys(out.path());
    assert!(
        keys.contains(&key(
            "GV001",
            "carol@example.com",
            "111122223333:AdministratorAccess"
        )),
        "{keys:?}"
    );
}

#[test]
fn a_broken_spec_stops_the_scan_with_the_spec_file_and_line() {
    let dir = mapped_dir("input: csv\ngrant_id: id\ntime: {from: startTime, format: rfc3339}\nevent:\n  from: status\n  map: {approved: granted}\n");
    std::fs::write(
        dir.path().join("residue.yaml"),
        "sources:\n  - {path: approvals.csv, format: mapping, mapping: connectors/broken.yaml}\n  - {path: approvals.csv, format: mapping}\n",
    )
    .expect("write config");
    let out = out_dir();
    let o = scan(dir.path(), out.path());
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("broken.yaml:6: expected a grant event"),
        "{err}"
    );
    assert!(
        err.contains("residue.yaml:3: the format `mapping` needs `mapping: SPEC.yaml`"),
        "{err}"
    );
}
