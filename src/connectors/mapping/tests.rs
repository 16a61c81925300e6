use super::*;
use crate::model::{reconstruct_grants, GrantEventKind, SignedDuration};
use std::path::{Path, PathBuf};

fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

fn spec(name: &str) -> MappingSpec {
    load_spec(&repo(&format!("connectors/{name}")), name).unwrap()
}

fn data(name: &str, spec: &MappingSpec) -> Result<Inventory, ConnectorError> {
    let bytes = std::fs::read(repo(&format!("tests/fixtures/mapping/{name}"))).unwrap();
    parse(bytes.as_slice(), spec, "mapped", name)
}

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

#[test]
fn the_team_csv_spec_reads_the_auditor_download() {
    let inv = data("approvals.csv", &spec("team-approvals-csv.yaml")).unwrap();
    let mut d = Vec::new();
    let grants = reconstruct_grants(&inv.grant_events, SignedDuration::from_hours(8), &mut d);
    assert!(d.is_empty(), "{d:?}");
    let g = grants.iter().find(|g| g.id == "7d0c1a2b").unwrap();
    assert_eq!(g.entitlement, "111122223333:AdministratorAccess");
    assert_eq!(g.approvers, vec!["bob@example.com".to_string()]);
    assert_eq!(g.window_end, Some(ts("2024-05-01T11:00:00Z")));
    assert_eq!(g.ticket.as_deref(), Some("INC-42"));
    assert_eq!(g.events[0].provenance.line, Some(2));
    let rejected = grants.iter().find(|g| g.id == "9f2e3c4d").unwrap();
    assert!(rejected.denied && !rejected.was_activated());
    // epoch milliseconds in an rfc3339 column read too
    assert_eq!(rejected.requested_at, Some(ts("2024-05-02T09:00:00Z")));
}

#[test]
fn the_okta_spec_reads_memberships_and_skips_other_events() {
    let inv = data("okta.jsonl", &spec("okta-system-log-jsonl.yaml")).unwrap();
    let kinds: Vec<_> = inv
        .grant_events
        .iter()
        .filter(|e| e.grant_id == "okta:alice@example.com:prod-admins")
        .map(|e| e.event)
        .collect();
    assert_eq!(
        kinds,
        vec![
            GrantEventKind::Approved,
            GrantEventKind::Activated,
            GrantEventKind::Revoked
        ]
    );
    assert_eq!(inv.diagnostics.len(), 1);
    assert!(inv.diagnostics[0]
        .message
        .contains("`user.session.start` (1)"));
}

#[test]
fn spec_problems_are_all_reported_with_their_lines() {
    let text = std::fs::read_to_string(repo("tests/fixtures/mapping/bad-spec.yaml")).unwrap();
    let errors = parse_spec(&text, "bad-spec.yaml").unwrap_err();
    let shown: Vec<String> = errors
        .iter()
        .map(|e| format!("{}:{}: {}", e.file, e.line.unwrap_or(0), e.message))
        .collect();
    let expect = [
        "bad-spec.yaml:2: expected csv or jsonl",
        "bad-spec.yaml:3: `{id`: a `{` is never closed",
        "bad-spec.yaml:5: unknown key `colour`",
        "bad-spec.yaml:6: `%Q` cannot read back the time it writes",
        "bad-spec.yaml:7: expected seconds, minutes, hours, days or text",
        "bad-spec.yaml:11: expected a grant event",
    ];
    for e in expect {
        assert!(shown.iter().any(|s| s.starts_with(e)), "{e}\n{shown:#?}");
    }
    let errors = parse_spec("input: csv\n", "s.yaml").unwrap_err();
    assert!(errors
        .iter()
        .any(|e| e.message.contains("missing `grant_id`")));
    assert!(parse_spec("input: [csv\n", "s.yaml").unwrap_err()[0]
        .message
        .starts_with("not valid YAML"));
}

#[test]
fn time_formats_parse_as_declared() {
    use spec::TimeFormat;
    let p = TimeFormat::Pattern("%d/%m/%Y %H:%M".into());
    assert_eq!(
        p.parse("01/05/2024 09:30").unwrap(),
        Some(ts("2024-05-01T09:30:00Z"))
    );
    let p = TimeFormat::Pattern("%Y-%m-%d %H:%M:%S %z".into());
    assert_eq!(
        p.parse("2024-05-01 11:30:00 +0200").unwrap(),
        Some(ts("2024-05-01T09:30:00Z"))
    );
    assert!(p.parse("2024-05-01").is_err());
    assert_eq!(
        TimeFormat::EpochMillis.parse("1714555800000").unwrap(),
        Some(ts("2024-05-01T09:30:00Z"))
    );
    assert_eq!(
        TimeFormat::EpochSeconds.parse("1714555800").unwrap(),
        Some(ts("2024-05-01T09:30:00Z"))
    );
    assert!(TimeFormat::EpochSeconds.parse("1714555800.5").is_err());
    assert_eq!(
        TimeFormat::Rfc3339.parse("0001-01-01T00:00:00Z").unwrap(),
        None
    );
    let bad = parse_spec(
        "input: csv\ngrant_id: id\ntime: {from: t, format: \"%H:%M\"}\nevent: {from: e, map: {x: requested}}\n",
        "s.yaml",
    )
    .unwrap_err();
    assert!(bad[0].message.contains("cannot read back"), "{bad:?}");
}

#[test]
fn data_errors_name_the_file_record_and_column() {
    let team = spec("team-approvals-csv.yaml");
    let cases = [
        ("bad-values.csv", "bad-values.csv: record 2 (line 3): column `status`: `granted` is not in the mapping spec's event map"),
        ("bad-timestamp.csv", "bad-timestamp.csv: record 1 (line 2): column `startTime`: `yesterday` is not a timestamp"),
        ("missing-column.csv", "missing-column.csv: line 1: the header has no column `accountId`"),
        ("truncated.csv", "truncated.csv: record 1 (line 2): the row has 8 cells but the header has 10"),
    ];
    for (name, expected) in cases {
        let err = data(name, &team).unwrap_err().to_string();
        assert!(err.starts_with(expected), "{name}: {err}");
    }
}
