use super::*;
use crate::model::reconstruct_grants;
use std::path::Path;

fn load(name: &str) -> Result<Inventory, ConnectorError> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/aws-identity-center-team")
        .join(name);
    parse(&std::fs::read(path).unwrap(), "team", name)
}

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

#[test]
fn a_dynamodb_scan_with_typed_attributes_reads() {
    let inv = load("scan.json").unwrap();
    let mut d = Vec::new();
    let grants = reconstruct_grants(&inv.grant_events, SignedDuration::from_hours(8), &mut d);
    assert!(d.is_empty(), "{d:?}");
    let g = grants.iter().find(|g| g.id == "team-1").unwrap();
    assert_eq!(g.principal, "alice@acme.example");
    assert_eq!(g.entitlement, "111122223333:AdministratorAccess");
    assert_eq!(g.approvers, vec!["bob@acme.example".to_string()]);
    assert_eq!(g.ticket.as_deref(), Some("INC-42"));
    assert_eq!(g.activated_at, Some(ts("2026-11-10T09:00:00Z")));
    assert_eq!(g.window_end, Some(ts("2026-11-10T11:00:00Z")));
    assert_eq!(g.expired_at, Some(ts("2026-11-10T11:00:00Z")));
    assert_eq!(g.requested_at, Some(ts("2026-11-10T08:55:12.345Z")));
    assert_eq!(g.events[0].provenance.line, Some(2));
    assert_eq!(g.events[0].provenance.record.as_deref(), Some("/Items/0"));

    let denied = grants.iter().find(|g| g.id == "team-2").unwrap();
    assert!(denied.denied && !denied.was_activated());
    assert_eq!(denied.window_end, Some(ts("2026-11-11T13:00:00Z")));
}

#[test]
fn a_plain_array_reads_with_offsets_and_epoch_milliseconds() {
    let inv = load("requests.json").unwrap();
    let mut d = Vec::new();
    let grants = reconstruct_grants(&inv.grant_events, SignedDuration::from_hours(8), &mut d);
    let revoked = grants.iter().find(|g| g.id == "team-3").unwrap();
    assert_eq!(revoked.requested_at, Some(ts("2026-11-12T09:00:00Z")));
    assert_eq!(revoked.activated_at, Some(ts("2026-11-12T09:00:00Z")));
    assert_eq!(revoked.revoked_at, Some(ts("2026-11-12T12:30:00Z")));
    assert_eq!(revoked.window_end, Some(ts("2026-11-12T17:00:00Z")));
    // Dana approved her own request: GV001's business, but the facts must be there.
    assert_eq!(revoked.approvers, vec!["dana@acme.example".to_string()]);
    let open = grants.iter().find(|g| g.id == "team-4").unwrap();
    // `in progress` with no approver named: an approval step with nobody named.
    assert_eq!(open.approvers, vec![String::new()]);
    assert!(open.was_activated() && !open.revocation_logged());
}

#[test]
fn record_order_does_not_matter() {
    let inv = load("requests.json").unwrap();
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/aws-identity-center-team/requests.json");
    let text = std::fs::read_to_string(path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let swapped = format!("[\n{},\n{}\n]", lines[2], lines[1].trim_end_matches(','));
    let other = parse(swapped.as_bytes(), "team", "requests.json").unwrap();
    let mut d = Vec::new();
    let a = reconstruct_grants(&inv.grant_events, SignedDuration::from_hours(8), &mut d);
    let b = reconstruct_grants(&other.grant_events, SignedDuration::from_hours(8), &mut d);
    let strip = |g: &Vec<crate::model::Grant>| {
        g.iter()
            .map(|g| {
                (
                    g.id.clone(),
                    g.window_end,
                    g.revoked_at,
                    g.approvers.clone(),
                )
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(strip(&a), strip(&b));
}

#[test]
fn malformed_records_name_the_file_record_and_field() {
    let cases = [
        (
            "truncated.json",
            "truncated.json: line 2",
            "expected TEAM request records",
        ),
        (
            "wrong-type.json",
            "wrong-type.json: record 1 (/0, line 2): field `duration`",
            "found a list; expected a string",
        ),
        (
            "bad-timestamp.json",
            "bad-timestamp.json: record 1 (/0, line 2): field `startTime`",
            "`13/11/2026 10:00` is not a timestamp",
        ),
        (
            "missing-field.json",
            "missing-field.json: record 1 (/0, line 2): field `accountId`",
            "missing or empty; expected the AWS account id",
        ),
    ];
    for (name, start, detail) in cases {
        let err = load(name).unwrap_err().to_string();
        assert!(err.starts_with(start), "{name}: {err}");
        assert!(err.contains(detail), "{name}: {err}");
    }
}

#[test]
fn unknown_status_and_bad_duration_are_errors() {
    let bad = br#"[{"id": "t", "email": "a", "accountId": "1", "role": "R", "startTime": "2026-11-13T10:00:00Z", "duration": "1", "status": "granted"}]"#;
    let err = parse(bad, "team", "f.json").unwrap_err().to_string();
    assert!(
        err.contains("field `status`: `granted` is not a TEAM status"),
        "{err}"
    );
    let bad = br#"[{"id": "t", "email": "a", "accountId": "1", "role": "R", "startTime": "2026-11-13T10:00:00Z", "duration": "two", "status": "ended"}]"#;
    let err = parse(bad, "team", "f.json").unwrap_err().to_string();
    assert!(
        err.contains("field `duration`: `two` is not a number of hours"),
        "{err}"
    );
    let typed = br#"{"Items": [{"id": {"S": "t"}, "email": {"S": ["x"]}}]}"#;
    let err = parse(typed, "team", "f.json").unwrap_err().to_string();
    assert!(
        err.contains("field `email`: the DynamoDB attribute `S` holds a list"),
        "{err}"
    );
}

#[test]
fn sniff_recognises_team_exports() {
    for name in ["scan.json", "requests.json"] {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/aws-identity-center-team")
            .join(name);
        assert!(sniff(&std::fs::read_to_string(path).unwrap()), "{name}");
    }
    assert!(!sniff("{\"Records\": []}"));
}
