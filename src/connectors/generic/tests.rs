//! The generic connectors end to end, on the fixtures under tests/fixtures/generic/.

use super::{parse_inventory_str, read_grant_csv, read_grant_jsonl};
use crate::connectors::{detect, load, ConnectorError, SourceFormat};
use crate::model::{
    AssignmentKind, ChangeKind, ConditionKind, GrantEventKind, IdentityKind, Inventory,
    PrivilegeLevel, Provenance, SecretKind, Timestamp,
};
use std::path::PathBuf;

fn fixture_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/generic")
        .join(name)
}

fn display(name: &str) -> String {
    format!("tests/fixtures/generic/{name}")
}

fn load_fixture(format: SourceFormat, name: &str) -> Result<Inventory, ConnectorError> {
    load(
        format,
        &fixture_path(name),
        &display(name),
        "fixtures",
        &Default::default(),
    )
}

fn ts(text: &str) -> Timestamp {
    text.parse().unwrap()
}

fn lines_of<T>(items: &[T], provenance: impl Fn(&T) -> &Provenance) -> Vec<Option<u32>> {
    items.iter().map(|item| provenance(item).line).collect()
}

/// The error for `name`, checked to name the file and to contain every `needle`.
fn error_for(format: SourceFormat, name: &str, needles: &[&str]) -> String {
    let err = load_fixture(format, name).expect_err(name).to_string();
    assert!(err.starts_with(&format!("{}: ", display(name))), "{err}");
    for needle in needles {
        assert!(err.contains(needle), "expected `{needle}` in: {err}");
    }
    err
}

/// Records without their provenance, to compare what two files say.
fn without_provenance(mut inventory: Inventory) -> Inventory {
    let blank = Provenance::synthetic("compare");
    inventory
        .identities
        .iter_mut()
        .for_each(|x| x.provenance = blank.clone());
    inventory
        .roles
        .iter_mut()
        .for_each(|x| x.provenance = blank.clone());
    inventory
        .memberships
        .iter_mut()
        .for_each(|x| x.provenance = blank.clone());
    inventory
        .assignments
        .iter_mut()
        .for_each(|x| x.provenance = blank.clone());
    inventory
        .trusts
        .iter_mut()
        .for_each(|x| x.provenance = blank.clone());
    inventory
        .escalations
        .iter_mut()
        .for_each(|x| x.provenance = blank.clone());
    inventory
        .secrets
        .iter_mut()
        .for_each(|x| x.provenance = blank.clone());
    inventory
        .grant_events
        .iter_mut()
        .for_each(|x| x.provenance = blank.clone());
    inventory
        .change_events
        .iter_mut()
        .for_each(|x| x.provenance = blank.clone());
    inventory
}

#[test]
fn yaml_inventory_maps_every_field() {
    let inv = load_fixture(SourceFormat::GenericInventory, "valid-inventory.yaml").unwrap();

    let alice = &inv.identities[0];
    assert_eq!(alice.id, "alice@acme.example");
    assert_eq!(alice.name, "Alice Liddell");
    assert_eq!(alice.kind, IdentityKind::Human);
    assert_eq!(alice.owner.as_deref(), Some("platform-team"));
    assert_eq!(alice.created, Some(ts("2024-01-10T09:00:00Z")));
    assert_eq!(alice.last_activity, Some(ts("2026-05-01T10:00:00Z")));
    assert_eq!(alice.tags.get("team").map(String::as_str), Some("platform"));
    assert!(!alice.disabled);
    let group = &inv.identities[1];
    assert_eq!(
        (group.name.as_str(), group.kind),
        ("platform-admins", IdentityKind::Group)
    );
    let deployer = &inv.identities[2];
    assert_eq!(deployer.kind, IdentityKind::ServiceAccount);
    assert_eq!(
        deployer.created,
        Some(ts("2024-01-10T09:00:00Z")),
        "epoch seconds"
    );
    assert!(inv.identities[3].disabled);

    let roles: Vec<_> = inv
        .roles
        .iter()
        .map(|r| (r.id.as_str(), r.privilege))
        .collect();
    assert_eq!(
        roles,
        [
            ("prod-admin", PrivilegeLevel::Admin),
            // Declared read, but iam:CreatePolicyVersion manages permissions: the higher wins.
            ("policy-editor", PrivilegeLevel::PermissionsManagement),
            // Declared write is a floor above what ec2:Describe* alone would give.
            ("auditor", PrivilegeLevel::Write),
        ]
    );
    assert_eq!(inv.roles[0].name, "Production admin");
    assert_eq!(inv.roles[0].scope.as_deref(), Some("aws:123456789012"));
    assert_eq!(inv.roles[0].last_used, Some(ts("2026-04-30T00:00:00Z")));
    assert_eq!(
        inv.roles[1].permissions,
        ["s3:GetObject", "iam:CreatePolicyVersion"]
    );
    assert_eq!(
        inv.roles[2].tags.get("tier").map(String::as_str),
        Some("low")
    );

    // The member_of shorthand comes first, then the memberships section.
    let shorthand = &inv.memberships[0];
    assert_eq!(
        (shorthand.member.as_str(), shorthand.group.as_str()),
        ("alice@acme.example", "platform-admins")
    );
    assert_eq!(shorthand.kind, AssignmentKind::Standing);
    assert_eq!(
        shorthand.provenance.record.as_deref(),
        Some("/identities/0/member_of/0")
    );
    assert_eq!(shorthand.provenance.line, Some(4));
    let temporary = &inv.memberships[1];
    assert_eq!(temporary.kind, AssignmentKind::Temporary);
    assert_eq!(temporary.window.start, Some(ts("2026-05-01T09:00:00Z")));
    assert_eq!(temporary.window.end, Some(ts("2026-05-01T13:00:00Z")));

    let kinds: Vec<_> = inv.assignments.iter().map(|a| a.kind).collect();
    assert_eq!(
        kinds,
        [
            AssignmentKind::Eligible,
            AssignmentKind::Standing,
            AssignmentKind::Temporary
        ]
    );
    assert_eq!(
        inv.assignments[1].last_used,
        Some(ts("2026-05-02T06:00:00Z")),
        "offset applied"
    );
    assert_eq!(
        inv.assignments[2].window.end,
        Some(ts("2026-05-08T00:00:00Z"))
    );

    let trust = &inv.trusts[0];
    assert_eq!(
        (&*trust.role, &*trust.principal),
        ("prod-admin", "policy-editor")
    );
    assert_eq!(trust.conditions[0].kind, ConditionKind::Mfa);
    assert_eq!(
        trust.conditions[0].detail,
        "aws:MultiFactorAuthPresent = true"
    );
    assert_eq!(
        (
            trust.conditions[1].kind,
            trust.conditions[1].detail.as_str()
        ),
        (ConditionKind::Approval, "")
    );
    assert_eq!(inv.escalations[0].method, "iam:CreatePolicyVersion");

    let key = &inv.secrets[0];
    assert_eq!(
        (key.id.as_str(), key.kind, key.active),
        ("AKIAEXAMPLE0001", SecretKind::AccessKey, true)
    );
    assert_eq!(key.last_rotated, Some(ts("2025-02-01T00:00:00Z")));
    assert_eq!(key.expires, Some(ts("2027-02-01T00:00:00Z")));
    assert_eq!(
        (inv.secrets[1].kind, inv.secrets[1].active),
        (SecretKind::Token, false)
    );

    let activated = &inv.grant_events[2];
    assert_eq!(activated.event, GrantEventKind::Activated);
    assert_eq!(activated.window_end, Some(ts("2026-05-01T14:00:00Z")));
    assert_eq!(inv.grant_events[0].ticket.as_deref(), Some("OPS-1"));
    assert_eq!(
        inv.grant_events[1].approver.as_deref(),
        Some("bob@acme.example")
    );
    assert_eq!(inv.change_events[0].kind, ChangeKind::CredentialCreated);
    assert_eq!(
        inv.change_events[1].entitlement.as_deref(),
        Some("prod-admin")
    );
    assert!(inv.diagnostics.is_empty());
}

#[test]
fn yaml_inventory_records_know_their_lines() {
    let inv = load_fixture(SourceFormat::GenericInventory, "valid-inventory.yaml").unwrap();
    let file = display("valid-inventory.yaml");
    let first = &inv.identities[0].provenance;
    assert_eq!(
        (first.source(), first.file(), first.record.as_deref()),
        ("fixtures", file.as_str(), Some("/identities/0"))
    );
    assert_eq!(
        lines_of(&inv.identities, |x| &x.provenance),
        [Some(4), Some(16), Some(18), Some(24)]
    );
    assert_eq!(
        lines_of(&inv.roles, |x| &x.provenance),
        [Some(28), Some(33), Some(38)]
    );
    assert_eq!(
        lines_of(&inv.assignments, |x| &x.provenance),
        [Some(50), Some(53), Some(56)]
    );
    assert_eq!(lines_of(&inv.trusts, |x| &x.provenance), [Some(62)]);
    assert_eq!(lines_of(&inv.escalations, |x| &x.provenance), [Some(69)]);
    assert_eq!(
        lines_of(&inv.secrets, |x| &x.provenance),
        [Some(73), Some(82)]
    );
    assert_eq!(
        lines_of(&inv.grant_events, |x| &x.provenance),
        [Some(87), Some(88), Some(89)]
    );
    assert_eq!(
        lines_of(&inv.change_events, |x| &x.provenance),
        [Some(91), Some(96)]
    );
    assert_eq!(
        inv.change_events[1].provenance.record.as_deref(),
        Some("/change_events/1")
    );
}

#[test]
fn json_inventory_says_the_same_as_yaml_with_its_own_lines() {
    let yaml = load_fixture(SourceFormat::GenericInventory, "valid-inventory.yaml").unwrap();
    let json = load_fixture(SourceFormat::GenericInventory, "valid-inventory.json").unwrap();
    assert_eq!(
        lines_of(&json.identities, |x| &x.provenance),
        [Some(4), Some(22), Some(26), Some(34)]
    );
    assert_eq!(
        lines_of(&json.roles, |x| &x.provenance),
        [Some(41), Some(50), Some(58)]
    );
    assert_eq!(
        lines_of(&json.secrets, |x| &x.provenance),
        [Some(120), Some(132)]
    );
    assert_eq!(
        lines_of(&json.change_events, |x| &x.provenance),
        [Some(166), Some(173)]
    );
    assert_eq!(json.roles[2].provenance.record.as_deref(), Some("/roles/2"));
    assert_eq!(
        serde_json::to_value(without_provenance(yaml)).unwrap(),
        serde_json::to_value(without_provenance(json)).unwrap()
    );
}

#[test]
fn extension_values_are_never_kept() {
    for name in ["valid-inventory.yaml", "valid-inventory.json"] {
        let inv = load_fixture(SourceFormat::GenericInventory, name).unwrap();
        let everything = format!("{inv:?}");
        assert!(!everything.contains("discarded, never stored"), "{name}");
        assert!(!everything.contains("4711"), "{name}");
    }
}

#[test]
fn flow_style_yaml_keeps_pointers_without_lines() {
    let inv = parse_inventory_str(
        "roles: [{id: a}, {id: b, permissions: [s3:GetObject]}]\n",
        "s",
        "inv.yaml",
    )
    .unwrap();
    assert_eq!(inv.roles[1].privilege, PrivilegeLevel::Read);
    assert_eq!(
        inv.roles[1].provenance,
        Provenance::new("s", "inv.yaml").with_record("/roles/1")
    );
}

#[test]
fn minimal_documents_are_empty_inventories() {
    for text in [
        "version: 1\n",
        "{}",
        "# nothing yet\n",
        "---\n",
        "identities:\nroles: []\n",
        "{\"version\": 1}",
    ] {
        let inv = parse_inventory_str(text, "s", "inv").unwrap();
        assert!(inv.counts().values().all(|&n| n == 0), "{text:?}");
    }
}

#[test]
fn inverted_windows_are_kept_with_a_warning() {
    let text = "assignments:\n  - {subject: a, role: r, start: 2026-02-01, end: 2026-01-01}\n";
    let inv = parse_inventory_str(text, "s", "inv.yaml").unwrap();
    assert_eq!(inv.assignments.len(), 1);
    let warning = &inv.diagnostics[0];
    assert_eq!(warning.provenance.line, Some(2));
    assert!(
        warning
            .message
            .contains("ends (2026-01-01T00:00:00Z) before it starts"),
        "{}",
        warning.message
    );
}

#[test]
fn conflicting_duplicates_parse_and_are_left_to_finalize() {
    let mut inv = load_fixture(SourceFormat::GenericInventory, "duplicate-conflict.yaml").unwrap();
    assert_eq!(inv.identities.len(), 2);
    let errors = inv.finalize().unwrap_err();
    let message = errors[0].to_string();
    let file = display("duplicate-conflict.yaml");
    assert!(
        message.contains(&format!("{file}:3")) && message.contains(&format!("{file}:6")),
        "{message}"
    );
}

#[test]
fn jsonl_grant_log_is_read_with_lines_and_records() {
    let inv = load_fixture(SourceFormat::GrantLogJsonl, "grants.jsonl").unwrap();
    let events = &inv.grant_events;
    assert_eq!(events.len(), 6, "the blank line is skipped");
    assert_eq!(
        lines_of(events, |x| &x.provenance),
        [Some(1), Some(2), Some(4), Some(5), Some(6), Some(7)]
    );
    assert_eq!(events[2].provenance.record.as_deref(), Some("record 3"));
    assert_eq!(*events[2].provenance.file(), display("grants.jsonl"));
    assert_eq!(events[0].justification.as_deref(), Some("deploy hotfix"));
    assert_eq!(events[2].window_end, Some(ts("2026-05-01T14:00:00Z")));
    assert_eq!(
        (events[3].event, events[3].time),
        (GrantEventKind::Expired, ts("2026-05-01T14:00:00Z"))
    );
    assert!(events[4].break_glass && !events[3].break_glass);
    assert_eq!(events[5].approver, None, "null is absent");
    assert!(
        !format!("{inv:?}").contains("Provisioned"),
        "extensions are dropped"
    );
}

#[test]
fn csv_grant_log_is_read_with_lines_and_records() {
    let inv = load_fixture(SourceFormat::GrantLogCsv, "grants.csv").unwrap();
    let events = &inv.grant_events;
    assert_eq!(
        lines_of(events, |x| &x.provenance),
        [Some(2), Some(3), Some(4), Some(5), Some(6)]
    );
    assert_eq!(events[4].provenance.record.as_deref(), Some("record 5"));
    assert_eq!(
        events[0].justification.as_deref(),
        Some("deploy hotfix, urgent")
    );
    assert_eq!(events[0].approver, None, "an empty cell is absent");
    assert_eq!(events[1].approver.as_deref(), Some("bob@acme.example"));
    assert_eq!(events[3].time, ts("2026-05-03T02:10:00Z"));
    let flags: Vec<bool> = events.iter().map(|e| e.break_glass).collect();
    assert_eq!(flags, [false, false, false, true, false]);
    assert!(
        !format!("{inv:?}").contains("pim"),
        "x- columns are dropped"
    );

    let jsonl = load_fixture(SourceFormat::GrantLogJsonl, "grants.jsonl").unwrap();
    let csv_first = without_provenance(inv).grant_events[0].clone();
    assert_eq!(csv_first.grant_id, jsonl.grant_events[0].grant_id);
}

#[test]
fn csv_accepts_every_yes_no_spelling_and_a_header_only_file() {
    let text = "grant_id,event,time,break_glass\ng,used,2026-01-01,TRUE\ng,used,2026-01-01,Yes\ng,used,2026-01-01,1\ng,used,2026-01-01,No\n";
    let inv = read_grant_csv(text.as_bytes(), "s", "g.csv", 0).unwrap();
    let flags: Vec<bool> = inv.grant_events.iter().map(|e| e.break_glass).collect();
    assert_eq!(flags, [true, true, true, false]);
    let inv = read_grant_csv("\u{feff}grant_id,event,time\n".as_bytes(), "s", "g.csv", 0).unwrap();
    assert!(inv.grant_events.is_empty());
}

#[test]
fn room_made_up_front_changes_nothing_read() {
    // The estimate only sizes the list: a log read with room for far fewer or far more
    // events than it holds gives the same events.
    let text = "grant_id,event,time\ng-1,requested,2026-01-01T00:00:00Z\ng-1,activated,2026-01-01T00:05:00Z\ng-2,used,2026-01-02T00:00:00Z\n";
    let read = |expected| read_grant_csv(text.as_bytes(), "s", "g.csv", expected).unwrap();
    let (none, few, many) = (read(0), read(1), read(1_000));
    assert_eq!(none.grant_events.len(), 3);
    assert_eq!(none.grant_events, few.grant_events);
    assert_eq!(none.grant_events, many.grant_events);
    let jsonl = "{\"grant_id\":\"g-1\",\"event\":\"used\",\"time\":\"2026-01-01T00:00:00Z\"}\n";
    let none = read_grant_jsonl(jsonl.as_bytes(), "s", "g.jsonl", 0).unwrap();
    let many = read_grant_jsonl(jsonl.as_bytes(), "s", "g.jsonl", 1_000).unwrap();
    assert_eq!(none.grant_events, many.grant_events);
    assert!(many.grant_events.capacity() >= 1_000);
}

#[test]
fn expected_events_errs_high_and_is_capped() {
    use super::expected_events;
    assert_eq!(expected_events(0), 0);
    assert_eq!(expected_events(99), 0);
    // 68 MB of generated log (about 135 bytes an event) holds 500,000 events.
    assert_eq!(expected_events(68_000_000), 680_000);
    assert_eq!(expected_events(u64::MAX), 1 << 20);
}

#[test]
fn detect_recognises_the_fixtures() {
    for (name, expected) in [
        ("valid-inventory.yaml", SourceFormat::GenericInventory),
        ("valid-inventory.json", SourceFormat::GenericInventory),
        ("duplicate-conflict.yaml", SourceFormat::GenericInventory),
        ("grants.jsonl", SourceFormat::GrantLogJsonl),
        ("bad-grants.jsonl", SourceFormat::GrantLogJsonl),
        ("grants.csv", SourceFormat::GrantLogCsv),
        ("bad-grants.csv", SourceFormat::GrantLogCsv),
    ] {
        assert_eq!(
            detect(&fixture_path(name), name).unwrap(),
            Some(expected),
            "{name}"
        );
    }
    assert!(matches!(
        detect(&fixture_path("empty.yaml"), "empty.yaml"),
        Err(ConnectorError::Empty { .. })
    ));
    let err = detect(&fixture_path("not-utf8.yaml"), "not-utf8.yaml")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("line 3, column 12: the file is not UTF-8"),
        "{err}"
    );
    let err = detect(&fixture_path("missing.yaml"), "missing.yaml")
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("missing.yaml: cannot read the file"),
        "{err}"
    );
}

// Errors: every one names the file, where, and what was expected.

#[test]
fn malformed_yaml_names_line_and_expectation() {
    error_for(
        SourceFormat::GenericInventory,
        "malformed.yaml",
        &["line 5, column 4", "/identities/0", "did not find expected"],
    );
}

#[test]
fn malformed_json_names_line_record_and_expectation() {
    error_for(
        SourceFormat::GenericInventory,
        "malformed.json",
        &["line 5, column 31", "/identities/1", "expected `,` or `}`"],
    );
}

#[test]
fn truncated_json_says_it_ends_early() {
    error_for(
        SourceFormat::GenericInventory,
        "truncated.json",
        &[
            "line 5",
            "/identities/1",
            "EOF while parsing a string",
            "truncated",
        ],
    );
}

#[test]
fn unknown_field_lists_the_known_ones() {
    error_for(
        SourceFormat::GenericInventory,
        "unknown-field.yaml",
        &[
            "line 7, column 5",
            "/identities/1",
            "unknown field `departmnet`",
            "expected one of `id`, `name`, `kind`",
        ],
    );
}

#[test]
fn wrong_type_names_the_field_and_expected_type() {
    error_for(
        SourceFormat::GenericInventory,
        "wrong-type.yaml",
        &[
            "line 8, column 13",
            "/secrets/0/active",
            "expected a boolean",
        ],
    );
    let err = parse_inventory_str("{\"roles\": [{\"id\": 7}]}", "s", "inv.json")
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("inv.json: line 1, column 19: /roles/0: invalid type: integer `7`, expected a non-empty string"), "{err}");
    let err = parse_inventory_str(
        "{\"identities\": [[\"a\", null, \"human\"]]}",
        "s",
        "inv.json",
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains(
            "/identities/0: invalid type: sequence, expected an identity mapping (id, kind, …)"
        ),
        "{err}"
    );
    let err = parse_inventory_str("[]", "s", "inv.json")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(
            "invalid type: sequence, expected a mapping with `version` and the sections identities"
        ),
        "{err}"
    );
}

#[test]
fn bad_enum_value_lists_the_allowed_values() {
    error_for(
        SourceFormat::GenericInventory,
        "bad-enum.yaml",
        &[
            "line 4, column 11",
            "/identities/0/kind",
            "unknown variant `robot`",
            "`service-account`, `workload`, `ai-agent`, `group`",
        ],
    );
}

#[test]
fn bad_timestamp_shows_the_accepted_shapes() {
    error_for(
        SourceFormat::GenericInventory,
        "bad-timestamp.yaml",
        &[
            "line 8, column 10",
            "/assignments/0/end",
            "`next tuesday` is not a timestamp",
            "expected an RFC 3339 timestamp",
        ],
    );
}

#[test]
fn empty_files_are_empty_errors() {
    error_for(
        SourceFormat::GenericInventory,
        "empty.yaml",
        &["the file is empty; expected a generic inventory"],
    );
    for (format, text) in [
        (SourceFormat::GrantLogJsonl, "\n  \n"),
        (SourceFormat::GrantLogCsv, ""),
        (SourceFormat::GenericInventory, " \n"),
    ] {
        let err = match format {
            SourceFormat::GrantLogJsonl => read_grant_jsonl(text.as_bytes(), "s", "f", 0),
            SourceFormat::GrantLogCsv => read_grant_csv(text.as_bytes(), "s", "f", 0),
            SourceFormat::GenericInventory => parse_inventory_str(text, "s", "f"),
            other => unreachable!("{other} is not a generic format"),
        }
        .unwrap_err();
        assert!(
            matches!(err, ConnectorError::Empty { .. }),
            "{format}: {err}"
        );
    }
}

#[test]
fn unsupported_version_is_an_error() {
    let err = parse_inventory_str("version: 2\nroles: []\n", "s", "inv.yaml")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(
            "inv.yaml: line 1, column 10: /version: unsupported version 2; expected version 1"
        ),
        "{err}"
    );
    let err = parse_inventory_str("versoin: 1\n", "s", "inv.yaml")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("unknown field `versoin`, expected one of `version`, `identities`"),
        "{err}"
    );
}

#[test]
fn empty_required_ids_are_errors() {
    let err = parse_inventory_str(
        "identities:\n  - id: \"  \"\n    kind: human\n",
        "s",
        "inv.yaml",
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("inv.yaml: line 2, column 9: /identities/0/id: invalid value: string \"  \", expected a non-empty string"), "{err}");
}

#[test]
fn csv_with_unknown_column_lists_the_known_ones() {
    error_for(
        SourceFormat::GrantLogCsv,
        "unknown-column.csv",
        &[
            "line 1: unknown column `approved_by`",
            "expected one of grant_id, event, time",
            "x-",
        ],
    );
}

#[test]
fn csv_row_with_wrong_cell_count_names_record_and_line() {
    error_for(
        SourceFormat::GrantLogCsv,
        "bad-grants.csv",
        &[
            "record 2 (line 3)",
            "the row has 6 cells but the header has 5",
        ],
    );
}

#[test]
fn csv_cell_errors_name_record_line_and_column() {
    let cases = [
        ("grant_id,event,time\ng,opened,2026-01-01\n", "record 1 (line 2): column `event`: unknown event `opened`; expected one of requested, approved"),
        ("grant_id,event,time\ng,used,soon\n", "record 1 (line 2): column `time`: `soon` is not a timestamp"),
        ("grant_id,event,time\n,used,2026-01-01\n", "column `grant_id`: the cell is empty; expected the grant's id"),
        ("grant_id,event,time,break_glass\ng,used,2026-01-01,maybe\n", "column `break_glass`: `maybe` is not a yes/no value"),
        ("grant_id,event\ng,used\n", "g.csv: line 1: the header has no `time` column"),
        ("grant_id,event,time,event\n", "line 1: column `event` appears twice"),
    ];
    for (text, expected) in cases {
        let err = read_grant_csv(text.as_bytes(), "s", "g.csv", 0)
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("g.csv: ") && err.contains(expected),
            "{err}"
        );
    }
}

#[test]
fn jsonl_bad_line_names_line_and_record() {
    error_for(
        SourceFormat::GrantLogJsonl,
        "bad-grants.jsonl",
        &[
            "line 3, column 39: record 3: unknown variant `elevated`",
            "expected one of `requested`",
        ],
    );
    let cases = [
        ("{\"grant_id\": \"g\", \"event\": \"used\", \"time\": \"2026-01-01\", \"who\": 1}\n", "line 1, column 62: record 1: unknown field `who`, expected one of `grant_id`"),
        ("\n{\"grant_id\": \"g\",\n\"event\": \"used\"}\n", "line 2: record 1: EOF while parsing a value; each line must hold one whole JSON object"),
        ("{\"grant_id\": \"g\", \"event\": \"used\"}\n", "line 1, column 34: record 1: missing field `time`"),
        ("[1]\n", "line 1: record 1: invalid type: sequence, expected a grant event object (grant_id, event, time, …)"),
    ];
    for (text, expected) in cases {
        let err = read_grant_jsonl(text.as_bytes(), "s", "g.jsonl", 0)
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("g.jsonl: ") && err.contains(expected),
            "{err}"
        );
    }
}

#[test]
fn non_utf8_input_is_a_clear_error_in_every_format() {
    error_for(
        SourceFormat::GenericInventory,
        "not-utf8.yaml",
        &["line 3, column 12: the file is not UTF-8 text (byte 0xE9); expected UTF-8"],
    );
    error_for(
        SourceFormat::GrantLogCsv,
        "not-utf8.csv",
        &["record 1 (line 2): column `principal`: the cell is not UTF-8 text; expected UTF-8"],
    );
    let err = read_grant_jsonl(&b"{\"grant_id\": \"\xff\"}\n"[..], "s", "g.jsonl", 0)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("g.jsonl: line 1, column 15: the file is not UTF-8 text (byte 0xFF)"),
        "{err}"
    );
}

#[test]
fn long_input_values_are_shortened_in_errors() {
    let long = "q".repeat(500);
    let inputs = [
        format!("identities:\n  - id: a\n    kind: {long}\n"),
        format!("identities:\n  - id: a\n    kind: human\n    {long}: 1\n"),
        format!("identities:\n  - id: a\n    kind: human\n    disabled: \"{long}\"\n"),
        format!("{{\"roles\": [{{\"id\": \"r\", \"last_used\": \"{long}\"}}]}}"),
    ];
    for text in inputs {
        let err = parse_inventory_str(&text, "s", "inv")
            .unwrap_err()
            .to_string();
        assert!(!err.contains(&"q".repeat(65)), "{err}");
        assert!(err.contains(&"q".repeat(64)), "{err}");
    }
    let csv = format!("grant_id,event,time\ng,{long},2026-01-01\n");
    let err = read_grant_csv(csv.as_bytes(), "s", "g.csv", 0)
        .unwrap_err()
        .to_string();
    assert!(!err.contains(&"q".repeat(65)), "{err}");
}

#[test]
fn never_panics_on_any_prefix_of_valid_input() {
    for name in [
        "valid-inventory.yaml",
        "valid-inventory.json",
        "grants.jsonl",
        "grants.csv",
    ] {
        let bytes = std::fs::read(fixture_path(name)).unwrap();
        for end in 0..bytes.len() {
            let prefix = &bytes[..end];
            if let Ok(text) = std::str::from_utf8(prefix) {
                let _ = parse_inventory_str(text, "s", name);
                let _ = super::sniff(text, true);
            }
            let _ = read_grant_jsonl(prefix, "s", name, 0);
            let _ = read_grant_csv(prefix, "s", name, 0);
        }
    }
}

#[test]
fn deeply_nested_extensions_do_not_crash() {
    let depth = 10_000;
    let yaml = format!(
        "identities:\n  - id: a\n    kind: human\n    extensions: {}{}\n",
        "[".repeat(depth),
        "]".repeat(depth)
    );
    // Both parsers skip ignored values without unbounded recursion; what matters is no crash.
    let _ = parse_inventory_str(&yaml, "s", "inv.yaml");
    let json = format!(
        "{{\"identities\": [{{\"id\": \"a\", \"kind\": \"human\", \"extensions\": {}{}}}]}}",
        "[".repeat(depth),
        "]".repeat(depth)
    );
    let _ = parse_inventory_str(&json, "s", "inv.json");
}

#[test]
fn detect_reads_only_a_prefix_and_survives_a_cut_character() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.yaml");
    // A two-byte character straddles the 64 KiB detection limit.
    let mut text = String::from("version: 1\nroles:\n  - id: r\n    name: \"");
    if (65_535 - text.len()) % 2 != 0 {
        text.push('x');
    }
    text.push_str(&"é".repeat(40_000));
    text.push_str("\"\n");
    for i in 0..2_000 {
        text.push_str(&format!(
            "  - id: role-{i}\n    permissions: [s3:GetObject]\n"
        ));
    }
    std::fs::write(&path, &text).unwrap();
    assert_eq!(
        detect(&path, "big.yaml").unwrap(),
        Some(SourceFormat::GenericInventory)
    );
    let inv = load(
        SourceFormat::GenericInventory,
        &path,
        "big.yaml",
        "s",
        &Default::default(),
    )
    .unwrap();
    assert_eq!(inv.roles.len(), 2_001);
    assert_eq!(inv.roles[2_000].provenance.line, Some(5 + 2 * 1_999));
}

#[test]
fn yaml_document_level_mistakes_say_how_to_fix_them() {
    let err = parse_inventory_str("roles: []\n---\nroles: []\n", "s", "inv.yaml")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("more than one document") && err.contains("remove the extra `---`"),
        "{err}"
    );
    let err = parse_inventory_str("roles: []\nroles: []\n", "s", "inv.yaml")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("inv.yaml: line 1, column 1: duplicate field `roles`"),
        "{err}"
    );
    let err = parse_inventory_str("- a\n- b\n", "s", "inv.yaml")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("expected a mapping with `version` and the sections"),
        "{err}"
    );
}

const JIT_POLICIES: &str = "version: 1
roles:
  - {id: prod-admin, permissions: [\"*\"]}
jit_policies:
  - id: pim-prod-admin
    system: entra-pim
    role: prod-admin
    max_window: 8h
    approval_required: true
    justification_required: true
    ticket_required: false
  - {id: open-ended, system: teleport, role: prod-admin}
";

#[test]
fn jit_policies_map_every_field_with_lines() {
    let inv = parse_inventory_str(JIT_POLICIES, "fixtures", "inline.yaml").unwrap();
    assert_eq!(inv.jit_policies.len(), 2);
    let p = &inv.jit_policies[0];
    assert_eq!(
        (p.id.as_str(), p.system.as_str(), p.role.as_str()),
        ("pim-prod-admin", "entra-pim", "prod-admin")
    );
    assert_eq!(
        p.max_window,
        Some(crate::model::SignedDuration::from_hours(8))
    );
    assert_eq!(
        (
            p.approval_required,
            p.justification_required,
            p.ticket_required
        ),
        (Some(true), Some(true), Some(false))
    );
    assert_eq!(p.provenance.line, Some(5));
    assert_eq!(p.provenance.record.as_deref(), Some("/jit_policies/0"));
    let open = &inv.jit_policies[1];
    assert_eq!(open.max_window, None, "no maximum is kept as none");
    assert_eq!(open.approval_required, None, "unsaid stays unsaid");
    assert_eq!(open.provenance.line, Some(12));
    let json = r#"{"roles": [{"id": "r"}],
 "jit_policies": [{"id": "p", "system": "s", "role": "r", "max_window": "PT4H"}]}"#;
    let inv = parse_inventory_str(json, "fixtures", "inline.json").unwrap();
    assert_eq!(
        inv.jit_policies[0].max_window,
        Some(crate::model::SignedDuration::from_hours(4))
    );
    assert_eq!(inv.jit_policies[0].provenance.line, Some(2));
}

#[test]
fn jit_policy_mistakes_are_errors_with_line_and_field() {
    let err = |text: &str| {
        parse_inventory_str(text, "fixtures", "inline.yaml")
            .expect_err(text)
            .to_string()
    };
    let unknown = err("jit_policies:\n  - {id: p, system: s, role: r, max_duration: 8h}\n");
    assert!(
        unknown.contains("line 2") && unknown.contains("unknown field `max_duration`"),
        "{unknown}"
    );
    assert!(
        unknown.contains("max_window"),
        "lists the known fields: {unknown}"
    );
    let bad = err("jit_policies:\n  - {id: p, system: s, role: r, max_window: soon}\n");
    assert!(
        bad.contains("/jit_policies/0/max_window") && bad.contains("`soon` is not a duration"),
        "{bad}"
    );
    let missing = err("jit_policies:\n  - {id: p, role: r}\n");
    assert!(missing.contains("missing field `system`"), "{missing}");
    let mut inv = parse_inventory_str(
        "jit_policies:\n  - {id: p, system: s, role: ghost}\n",
        "fixtures",
        "inline.yaml",
    )
    .unwrap();
    let errors = inv.finalize().expect_err("dangling role");
    assert!(
        errors[0].to_string().contains("unknown role `ghost`"),
        "{errors:?}"
    );
}
