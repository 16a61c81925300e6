use super::*;
use crate::connectors::generic::parse_inventory_str;
use crate::model::time::parse_timestamp;
use crate::model::{reconstruct_grants, SignedDuration};

const NOW: &str = "2026-06-01T00:00:00Z";

fn rows_with(yaml: &str, params: &InventoryParams, policy: &AuditPolicy) -> Vec<InventoryRow> {
    let mut inventory =
        parse_inventory_str(yaml, "test", "inventory.yaml").expect("test inventory parses");
    inventory.finalize().expect("test inventory is consistent");
    let grants = reconstruct_grants(
        &inventory.grant_events,
        SignedDuration::from_hours(8),
        &mut Vec::new(),
    );
    let graph = PermissionGraph::build(&inventory);
    let now = parse_timestamp(NOW).expect("valid");
    build(&inventory, &graph, &grants, policy, now, params)
}

fn rows(yaml: &str) -> Vec<InventoryRow> {
    rows_with(yaml, &InventoryParams::default(), &AuditPolicy::default())
}

fn one<'a>(rows: &'a [InventoryRow], identity: &str, role: &str) -> &'a InventoryRow {
    let found: Vec<&InventoryRow> = rows
        .iter()
        .filter(|r| r.identity == identity && r.entitlement == role)
        .collect();
    assert_eq!(found.len(), 1, "{identity}/{role} in {rows:#?}");
    found[0]
}

const ORG: &str = r#"
version: 1
identities:
  - {id: alice, kind: human, member_of: [ops]}
  - {id: bob, kind: human}
  - {id: carol, kind: human}
  - {id: dave, kind: human, disabled: true}
  - {id: erin, kind: human}
  - {id: ci, kind: service-account}
  - {id: ops, kind: group}
roles:
  - {id: wiki-read, permissions: ["wiki:Read"]}
  - {id: prod-admin, permissions: ["*"]}
  - {id: db-write, permissions: ["rds-data:ExecuteStatement"]}
  - {id: deployer, permissions: ["ecs:UpdateService"]}
  - id: broad-write
    permissions: [a:W1, a:W2, a:W3, a:W4, a:W5, a:W6, a:W7, a:W8, a:W9, a:W10]
assignments:
  - {subject: ops, role: prod-admin, start: 2024-01-01T00:00:00Z, last_used: 2026-05-30T00:00:00Z}
  - {subject: alice, role: wiki-read, last_used: 2026-05-31T00:00:00Z}
  - {subject: bob, role: db-write, last_used: 2026-04-01T00:00:00Z}
  - {subject: bob, role: prod-admin, kind: eligible}
  - {subject: carol, role: db-write, last_used: 2025-01-01T00:00:00Z}
  - {subject: dave, role: wiki-read, last_used: 2026-05-31T00:00:00Z}
  - {subject: erin, role: broad-write, last_used: 2026-05-29T00:00:00Z}
  - {subject: erin, role: deployer, start: 2026-05-20T00:00:00Z}
  - {subject: ci, role: deployer, last_used: 2026-05-31T00:00:00Z}
  - {subject: ci, role: db-write, kind: temporary, start: 2026-05-01T00:00:00Z, end: 2026-05-02T00:00:00Z}
  - {subject: carol, role: wiki-read, kind: temporary, start: 2026-05-31T00:00:00Z, end: 2026-06-02T00:00:00Z}
secrets:
  - {id: AKIA1, kind: access-key, owner: ci, created: 2025-06-01T00:00:00Z}
"#;

#[test]
fn each_recommendation_follows_its_rule() {
    let rows = rows(ORG);
    let cases = [
        // Admin through a group, used two days ago: too broad for standing daily use.
        ("alice", "prod-admin", Recommendation::Split, Held::Group),
        // Read, used yesterday.
        (
            "alice",
            "wiki-read",
            Recommendation::KeepStanding,
            Held::Direct,
        ),
        // Write, last used 61 days ago: rarely.
        (
            "bob",
            "db-write",
            Recommendation::ConvertToJit,
            Held::Direct,
        ),
        // Unused for 516 days.
        ("carol", "db-write", Recommendation::Remove, Held::Direct),
        // Disabled identity.
        ("dave", "wiki-read", Recommendation::Remove, Held::Direct),
        // 10 permissions used often.
        ("erin", "broad-write", Recommendation::Split, Held::Direct),
        // Granted 12 days ago, not used yet, write: JIT candidate.
        (
            "erin",
            "deployer",
            Recommendation::ConvertToJit,
            Held::Direct,
        ),
        // Write with one permission, used daily.
        ("ci", "deployer", Recommendation::KeepStanding, Held::Direct),
        // Temporary grant whose window closed on 2026-05-02.
        ("ci", "db-write", Recommendation::Remove, Held::Direct),
    ];
    for (identity, role, want, held) in cases {
        let row = one(&rows, identity, role);
        assert_eq!(
            (row.recommendation, row.held),
            (want, held),
            "{identity}/{role}: {}",
            row.reason
        );
    }
    let eligible = rows
        .iter()
        .find(|r| r.identity == "bob" && r.assignment == AssignmentKind::Eligible)
        .expect("bob's eligible row");
    assert_eq!(eligible.recommendation, Recommendation::AlreadyJit);
    let carol_temp = rows
        .iter()
        .find(|r| r.identity == "carol" && r.assignment == AssignmentKind::Temporary)
        .expect("carol's temporary row");
    assert_eq!(carol_temp.recommendation, Recommendation::AlreadyJit);
    assert!(carol_temp.reason.contains("until 2026-06-02T00:00:00Z"));
}

#[test]
fn reasons_carry_the_numbers_and_whose_use_it_was() {
    let rows = rows(ORG);
    let alice = one(&rows, "alice", "prod-admin");
    assert_eq!(alice.days_unused, Some(2));
    assert_eq!(alice.last_used_grain, Some(UseGrain::Shared));
    assert!(
        alice.reason.contains("as recorded for group ops") && alice.reason.contains("admin"),
        "{}",
        alice.reason
    );
    assert_eq!(
        alice.path,
        "alice -member-of(standing)-> ops -assigned(standing)-> prod-admin"
    );
    let carol = one(&rows, "carol", "db-write");
    assert_eq!(carol.days_unused, Some(516));
    assert!(carol.reason.contains("516 days"), "{}", carol.reason);
    let ci_secrets = &one(&rows, "ci", "deployer").secrets;
    assert_eq!(ci_secrets.len(), 1);
    assert_eq!(ci_secrets[0].age_days, Some(365));
}

#[test]
fn thresholds_are_parameters() {
    let params = InventoryParams {
        unused_days: 30,
        daily_days: 7,
        split_permissions: 10,
    };
    let rows = rows_with(ORG, &params, &AuditPolicy::default());
    assert_eq!(
        one(&rows, "bob", "db-write").recommendation,
        Recommendation::Remove
    );
    let params = InventoryParams {
        split_permissions: 11,
        ..InventoryParams::default()
    };
    let rows = rows_with(ORG, &params, &AuditPolicy::default());
    assert_eq!(
        one(&rows, "erin", "broad-write").recommendation,
        Recommendation::KeepStanding
    );
}

#[test]
fn break_glass_stays_standing() {
    let mut policy = AuditPolicy::default();
    policy.break_glass.insert("carol".into());
    let rows = rows_with(ORG, &InventoryParams::default(), &policy);
    let carol = one(&rows, "carol", "db-write");
    assert_eq!(carol.recommendation, Recommendation::KeepStanding);
    assert!(carol.reason.contains("Break-glass"));
}

#[test]
fn rows_are_sorted_and_groups_have_none() {
    let rows = rows(ORG);
    assert!(rows.iter().all(|r| r.identity != "ops"));
    let keys: Vec<_> = rows
        .iter()
        .map(|r| (r.identity.clone(), r.entitlement.clone(), r.assignment))
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
}

#[test]
fn csv_neutralises_formulas_and_json_round_trips() {
    let yaml = ORG
        .replace("id: bob,", "id: \"=HYPERLINK(1)\",")
        .replace("subject: bob,", "subject: \"=HYPERLINK(1)\",");
    let rows = rows(&yaml);
    let report = InventoryReport::new(
        rows,
        Vec::new(),
        InventoryParams::default(),
        parse_timestamp(NOW).expect("valid"),
    );
    let text = csv(&report);
    assert!(text.starts_with("identity,identity_kind,entitlement,"));
    assert!(text.contains("'=HYPERLINK(1)"), "{text}");
    assert!(!text.contains("\n=HYPERLINK"), "{text}");
    let value: serde_json::Value = serde_json::from_str(&json(&report)).expect("valid JSON");
    assert_eq!(value["summary"]["by_recommendation"]["split"], 2);
    assert_eq!(value["rows"][0]["identity"], "=HYPERLINK(1)");
}

#[test]
fn recommend_without_any_recorded_use() {
    let facts = Facts {
        privilege: PrivilegeLevel::Read,
        permissions: 1,
        assignment: AssignmentKind::Standing,
        held: Held::Direct,
        lingering: false,
        window_end: None,
        disabled: false,
        break_glass: false,
        escalation_method: None,
        days_unused: None,
        days_granted: Some(3),
        shared_note: None,
    };
    let (rec, reason) = recommend(&facts, &InventoryParams::default());
    assert_eq!(rec, Recommendation::KeepStanding, "{reason}");
    // Never used, granted long ago: reads are rarely logged, so read stays; write goes.
    let (rec, reason) = recommend(
        &Facts {
            days_granted: None,
            ..facts
        },
        &InventoryParams::default(),
    );
    assert_eq!(rec, Recommendation::KeepStanding, "{reason}");
    assert!(reason.contains("no use recorded"), "{reason}");
    let (rec, _) = recommend(
        &Facts {
            days_granted: Some(400),
            privilege: PrivilegeLevel::Write,
            ..facts
        },
        &InventoryParams::default(),
    );
    assert_eq!(rec, Recommendation::Remove);
    let (rec, reason) = recommend(
        &Facts {
            escalation_method: Some("iam:PassRole"),
            ..facts
        },
        &InventoryParams::default(),
    );
    assert_eq!(rec, Recommendation::Remove);
    assert!(reason.contains("iam:PassRole"));
}
