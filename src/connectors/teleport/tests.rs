use super::*;
use crate::model::{reconstruct_grants, SignedDuration};
use std::path::Path;

fn fixture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/teleport")
        .join(name);
    std::fs::read(path).unwrap()
}

fn load(name: &str) -> Result<Inventory, ConnectorError> {
    read(fixture(name).as_slice(), "teleport", name)
}

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn kinds(inv: &Inventory, grant: &str) -> Vec<GrantEventKind> {
    let mut k: Vec<_> = inv
        .grant_events
        .iter()
        .filter(|e| e.grant_id == grant)
        .map(|e| e.event)
        .collect();
    k.sort();
    k
}

#[test]
fn a_reviewed_assumed_and_used_request_becomes_one_grant() {
    let inv = load("audit.jsonl").unwrap();
    use GrantEventKind::*;
    assert_eq!(
        kinds(&inv, "req-1"),
        vec![Requested, Approved, Activated, Used, Used, Expired]
    );
    let mut diagnostics = Vec::new();
    let grants = reconstruct_grants(
        &inv.grant_events,
        SignedDuration::from_hours(8),
        &mut diagnostics,
    );
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    let g = grants.iter().find(|g| g.id == "req-1").unwrap();
    assert_eq!(g.principal, "alice");
    assert_eq!(g.entitlement, "db-admin");
    assert_eq!(g.approvers, vec!["bob".to_string()]);
    assert_eq!(g.justification.as_deref(), Some("OPS-42 failover"));
    assert_eq!(g.ticket.as_deref(), Some("OPS-42"));
    assert_eq!(g.activated_at, Some(ts("2026-05-01T09:05:00Z")));
    assert_eq!(g.window_end, Some(ts("2026-05-01T13:00:00Z")));
    assert_eq!(g.expired_at, Some(ts("2026-05-01T13:00:00Z")));
    // Epoch milliseconds and RFC 3339 both read; the session end came after the expiry.
    assert_eq!(
        g.used_at,
        vec![ts("2026-05-01T09:10:00Z"), ts("2026-05-01T13:30:00Z")]
    );
    // Provenance names the line.
    let used = inv.grant_events.iter().find(|e| e.event == Used).unwrap();
    assert_eq!(used.provenance.line, Some(4));
}

#[test]
fn a_request_for_several_roles_is_one_grant_per_role_and_zero_time_is_no_expiry() {
    let inv = load("audit.jsonl").unwrap();
    for grant in ["req-2/viewer", "req-2/editor"] {
        assert_eq!(
            kinds(&inv, grant),
            vec![GrantEventKind::Requested, GrantEventKind::Denied]
        );
    }
    assert!(inv
        .grant_events
        .iter()
        .filter(|e| e.grant_id.starts_with("req-2"))
        .all(|e| e.window_end.is_none()));
    let denied = inv
        .grant_events
        .iter()
        .find(|e| e.event == GrantEventKind::Denied)
        .unwrap();
    assert_eq!(denied.approver.as_deref(), Some("dave"));
}

#[test]
fn unknown_event_types_are_counted_not_errors() {
    let inv = load("audit.jsonl").unwrap();
    assert_eq!(inv.diagnostics.len(), 1);
    assert!(
        inv.diagnostics[0].message.contains("1 Teleport events")
            && inv.diagnostics[0].message.contains("user.login (1)"),
        "{:?}",
        inv.diagnostics
    );
}

#[test]
fn line_order_does_not_change_the_events() {
    let text = String::from_utf8(fixture("audit.jsonl")).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    lines.reverse();
    let reversed = lines.join("\n");
    let a = read(text.as_bytes(), "t", "f").unwrap();
    let b = read(reversed.as_bytes(), "t", "f").unwrap();
    let facts = |inv: &Inventory| {
        let mut v: Vec<_> = inv
            .grant_events
            .iter()
            .map(|e| {
                format!(
                    "{} {} {} {:?} {:?}",
                    e.grant_id, e.event, e.time, e.approver, e.window_end
                )
            })
            .collect();
        v.sort();
        v
    };
    assert_eq!(facts(&a), facts(&b));
}

#[test]
fn the_upstream_fixture_and_wrapped_exports_read() {
    let inv = load("webapps-fixture.jsonl").unwrap();
    assert_eq!(
        kinds(&inv, "66b827b2-1b0b-512b-965d-6c789388d3c9"),
        vec![GrantEventKind::Requested, GrantEventKind::Approved]
    );
    for name in ["search-response.json", "array.json"] {
        let inv = load(name).unwrap();
        assert_eq!(
            kinds(&inv, "req-9"),
            vec![
                GrantEventKind::Requested,
                GrantEventKind::Approved,
                GrantEventKind::Used,
                GrantEventKind::Expired
            ],
            "{name}"
        );
        let used = inv
            .grant_events
            .iter()
            .find(|e| e.event == GrantEventKind::Used)
            .unwrap();
        assert_eq!(used.provenance.line, Some(3), "{name}");
    }
}

#[test]
fn malformed_input_is_an_error_naming_file_line_and_field() {
    let cases = [
        (
            "truncated.jsonl",
            "truncated.jsonl: line 2, column",
            "cut short",
        ),
        (
            "wrong-type.jsonl",
            "wrong-type.jsonl: line 1: field `roles`",
            "found a string; expected a list of strings",
        ),
        (
            "bad-timestamp.jsonl",
            "bad-timestamp.jsonl: line 2: field `time`",
            "`01/05/2026 09:00` is not a timestamp",
        ),
        (
            "missing-field.jsonl",
            "missing-field.jsonl: line 1: field `id`",
            "missing or empty; expected the access request's id",
        ),
    ];
    for (name, start, detail) in cases {
        let err = load(name).unwrap_err().to_string();
        assert!(err.starts_with(start), "{name}: {err}");
        assert!(err.contains(detail), "{name}: {err}");
    }
}

#[test]
fn sniff_recognises_teleport_events_only() {
    for name in [
        "audit.jsonl",
        "webapps-fixture.jsonl",
        "search-response.json",
        "array.json",
    ] {
        let text = String::from_utf8(fixture(name)).unwrap();
        assert!(sniff(&text), "{name}");
    }
    assert!(!sniff(
        "{\"grant_id\": \"g\", \"event\": \"requested\", \"time\": \"2026-01-01\"}\n"
    ));
    assert!(!sniff("{\"Records\": []}"));
    assert!(!sniff("version: 1\n"));
}

#[test]
fn arbitrary_lines_never_panic() {
    for text in [
        "{}",
        "[]",
        "[{}]",
        "{\"event\": 3}",
        "{\"event\":\"x\",\"time\":true}",
        "\u{feff}{\"event\":\"cert.create\",\"time\":\"2026-01-01\",\"identity\":7}",
    ] {
        let _ = read(text.as_bytes(), "t", "f");
    }
}
