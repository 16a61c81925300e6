//! The Entra PIM connector on the Contoso fixture tenant (tests/fixtures/entra-pim) and on
//! small inline responses.

use super::*;
use crate::model::{
    reconstruct_grants, AssignmentKind, ChangeKind, IdentityKind, PrivilegeLevel, SignedDuration,
};
use std::path::PathBuf;

fn fixture(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/entra-pim")
        .join(rel)
}

fn tenant() -> Inventory {
    let mut inv = load(&fixture("tenant"), "tenant", "contoso").expect("the fixture tenant loads");
    inv.finalize().expect("the fixture tenant is consistent");
    inv
}

const GA: &str = "entra:role:global-administrator";
const CONTEXT: &str = "https://graph.microsoft.com/v1.0/$metadata#roleManagement/directory/roleAssignmentScheduleInstances";

fn load_text(text: &str) -> Result<Inventory, ConnectorError> {
    let dir = tempfile::Builder::new()
        .prefix("pim-")
        .tempdir()
        .expect("temp dir");
    let file = dir.path().join("page.json");
    std::fs::write(&file, text).expect("write");
    load(&file, "page.json", "t")
}

#[test]
fn identities_are_named_by_upn_and_keep_their_object_id() {
    let inv = tenant();
    let alice = inv
        .identity("alice@contoso.example")
        .expect("UPNs are lower-cased ids");
    assert_eq!(alice.name, "Alice Nguyen");
    assert_eq!(alice.kind, IdentityKind::Human);
    assert_eq!(
        alice.tags["entra.object-id"],
        "a11ce000-0000-4000-8000-000000000001"
    );
    assert_eq!(alice.provenance.record.as_deref(), Some("/value/0"));
    assert_eq!(alice.provenance.line, Some(5));
    let bot = inv
        .identity("entra:sp:5b100000-0000-4000-8000-0000000000b1")
        .expect("service principal");
    assert_eq!(bot.kind, IdentityKind::ServiceAccount);
    assert_eq!(bot.owner.as_deref(), Some("alice@contoso.example"));
    let group = inv
        .identity("entra:group:61000000-0000-4000-8000-0000000000a1")
        .expect("group");
    assert_eq!(
        (group.kind, group.name.as_str()),
        (IdentityKind::Group, "Tier0 Admins")
    );
    assert!(!inv
        .identities
        .iter()
        .any(|i| i.tags.contains_key("entra.stand-in")));
}

#[test]
fn roles_carry_names_privilege_and_scope() {
    let inv = tenant();
    let ga = inv.role(GA).expect("Global Administrator");
    assert_eq!(
        (ga.name.as_str(), ga.privilege),
        ("Global Administrator", PrivilegeLevel::Admin)
    );
    assert_eq!(
        inv.role("entra:role:user-administrator")
            .map(|r| r.privilege),
        Some(PrivilegeLevel::PermissionsManagement)
    );
    assert_eq!(
        inv.role("entra:role:global-reader").map(|r| r.privilege),
        Some(PrivilegeLevel::Read)
    );
    let scoped = inv
        .role("entra:role:3f5a1b2c-1111-4c2d-9e8f-0a1b2c3d4e5f@/administrativeUnits/au-1")
        .expect("a custom role at an administrative unit is its own role");
    assert_eq!(scoped.privilege, PrivilegeLevel::PermissionsManagement);
    assert_eq!(scoped.scope.as_deref(), Some("/administrativeUnits/au-1"));
    assert_eq!(
        scoped.name,
        "App Secret Manager @ /administrativeUnits/au-1"
    );
}

#[test]
fn instances_become_assignments_and_group_instances_are_not_doubled() {
    let inv = tenant();
    let of = |subject: &str, role: &str| -> Vec<AssignmentKind> {
        inv.assignments
            .iter()
            .filter(|a| a.subject == subject && a.role == role)
            .map(|a| a.kind)
            .collect()
    };
    assert_eq!(
        of("bob@contoso.example", GA),
        vec![AssignmentKind::Standing, AssignmentKind::Eligible]
    );
    assert_eq!(
        of("alice@contoso.example", GA),
        vec![AssignmentKind::Eligible, AssignmentKind::Temporary]
    );
    let activated = inv
        .assignments
        .iter()
        .find(|a| a.kind == AssignmentKind::Temporary)
        .expect("activation");
    assert_eq!(
        activated.window.end,
        Some("2026-05-30T12:00:00.95Z".parse().unwrap())
    );
    // Carol's memberType Group instance is the group's assignment plus her membership.
    assert!(
        of("carol@contoso.example", "entra:role:user-administrator")
            == vec![AssignmentKind::Eligible]
    );
    assert_eq!(
        of(
            "entra:group:61000000-0000-4000-8000-0000000000a1",
            "entra:role:user-administrator"
        ),
        vec![AssignmentKind::Standing]
    );
    assert!(inv
        .memberships
        .iter()
        .any(|m| m.member == "carol@contoso.example"));
    // A time-bound Assigned instance is standing, bounded by its end (offset normalised to UTC).
    let erin = inv
        .assignments
        .iter()
        .find(|a| a.subject == "erin@contoso.example")
        .expect("erin");
    assert_eq!(
        (erin.kind, erin.window.end),
        (
            AssignmentKind::Standing,
            Some("2026-12-01T05:00:00Z".parse().unwrap())
        )
    );
}

#[test]
fn requests_and_audits_make_one_grant_per_activation_whatever_the_order() {
    let inv = tenant();
    let mut diagnostics = Vec::new();
    let grants = reconstruct_grants(
        &inv.grant_events,
        SignedDuration::from_hours(8),
        &mut diagnostics,
    );
    let ids: Vec<&str> = grants.iter().map(|g| g.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "entra-pim:s-alice-1",
            "entra-pim:s-bob-1",
            "entra-pim:s-carol-1"
        ]
    );
    let bob = &grants[1];
    assert_eq!(bob.approvers, ["erin@contoso.example"]);
    assert_eq!(bob.ticket.as_deref(), Some("CHG-1002"));
    assert_eq!(
        bob.expired_at,
        Some("2026-05-20T10:00:11.1Z".parse().unwrap())
    );
    assert_eq!(
        bob.window_end,
        Some("2026-05-20T10:00:05Z".parse().unwrap())
    );
    assert!(grants[2].denied && !grants[2].was_activated());
    // The duplicated audit entry is one event after finalize.
    let alice_activations = inv
        .grant_events
        .iter()
        .filter(|e| {
            e.grant_id == "entra-pim:s-alice-1"
                && e.event == crate::model::GrantEventKind::Activated
        })
        .count();
    assert_eq!(
        alice_activations, 2,
        "the request's activation and the audit's, not the audit's twice"
    );

    // Reversed files give the same events.
    let dir = tempfile::Builder::new()
        .prefix("pim-")
        .tempdir()
        .expect("temp dir");
    for entry in std::fs::read_dir(fixture("tenant")).expect("fixture dir") {
        let path = entry.expect("entry").path();
        let mut doc: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).expect("read")).expect("json");
        if let Some(items) = doc["value"].as_array_mut() {
            items.reverse();
        }
        std::fs::write(
            dir.path().join(path.file_name().expect("name")),
            doc.to_string(),
        )
        .expect("write");
    }
    let mut reversed = load(dir.path(), "tenant", "contoso").expect("reversed tenant loads");
    reversed.finalize().expect("consistent");
    let facts = |inv: &Inventory| -> Vec<String> {
        inv.grant_events
            .iter()
            .map(|e| {
                format!(
                    "{} {} {} {:?} {:?} {:?}",
                    e.grant_id, e.event, e.time, e.principal, e.entitlement, e.approver
                )
            })
            .collect()
    };
    assert_eq!(facts(&inv), facts(&reversed));
    assert_eq!(inv.assignments.len(), reversed.assignments.len());
}

#[test]
fn directory_audits_give_change_events_and_skip_pim_echoes() {
    let inv = tenant();
    assert_eq!(inv.change_events.len(), 2, "{:#?}", inv.change_events);
    let cred = inv
        .change_events
        .iter()
        .find(|c| c.kind == ChangeKind::CredentialCreated)
        .expect("credential change");
    assert_eq!(cred.actor, "alice@contoso.example");
    // The entry's `KeyDescription` names the key it added: the change names that secret.
    assert_eq!(
        cred.target,
        "entra:sp:5b100000-0000-4000-8000-0000000000b1#password:c0ffee00-0000-4000-8000-000000000001"
    );
    let assign = inv
        .change_events
        .iter()
        .find(|c| c.kind == ChangeKind::PermissionGranted)
        .expect("adminAssign");
    assert_eq!(
        (assign.actor.as_str(), assign.target.as_str()),
        ("bob@contoso.example", "erin@contoso.example")
    );
    let secret = &inv.secrets[0];
    assert_eq!(secret.id, "entra:sp:5b100000-0000-4000-8000-0000000000b1#password:c0ffee00-0000-4000-8000-000000000001");
    assert_eq!(cred.target, secret.id);
    assert_eq!(
        secret.created,
        Some("2026-05-30T09:15:00Z".parse().unwrap())
    );
}

#[test]
fn role_management_policies_become_jit_policies() {
    let inv = tenant();
    let ga = inv
        .jit_policies
        .iter()
        .find(|p| p.role == GA)
        .expect("GA policy");
    assert_eq!(ga.system, "entra-pim");
    assert_eq!(ga.id, "entra-pim:policy:directoryrole_t_pol-ga");
    assert_eq!(ga.max_window, Some(SignedDuration::from_hours(24)));
    assert_eq!(
        (
            ga.approval_required,
            ga.justification_required,
            ga.ticket_required
        ),
        (Some(true), Some(true), Some(true))
    );
    let ua = inv
        .jit_policies
        .iter()
        .find(|p| p.role == "entra:role:user-administrator")
        .expect("UA policy from the policies listing");
    assert_eq!(ua.max_window, Some(SignedDuration::from_hours(8)));
    assert_eq!(
        (
            ua.approval_required,
            ua.justification_required,
            ua.ticket_required
        ),
        (Some(false), Some(true), Some(false))
    );
    assert_eq!(ua.provenance.file(), "tenant/roleManagementPolicies.json");
    assert_eq!(inv.jit_policies.len(), 2);
}

#[test]
fn malformed_files_name_the_file_the_record_and_the_expectation() {
    let cases = [
        ("truncated.json", "line 5", "truncated"),
        (
            "wrong-type.json",
            "/value/1/principalId (line 5)",
            "expected a string, found a number",
        ),
        (
            "bad-timestamp.json",
            "/value/3/startDateTime (line 7)",
            "`01/05/2024 9h` is not a timestamp",
        ),
        (
            "missing-field.json",
            "/value/0/roleDefinitionId",
            "missing required field `roleDefinitionId`",
        ),
        (
            "unknown-context.json",
            "/@odata.context",
            "`devices` is not a Microsoft Graph listing residue reads",
        ),
    ];
    for (file, location, message) in cases {
        let err = load(&fixture(&format!("malformed/{file}")), file, "t")
            .expect_err(file)
            .to_string();
        assert!(err.starts_with(&format!("{file}: {location}")), "{err}");
        assert!(err.contains(message), "{err}");
    }
    let err = load_text("{\"value\": []}").unwrap_err().to_string();
    assert!(err.contains("missing `@odata.context`"), "{err}");
    let err = load_text(&format!(
        "{{\"@odata.context\": \"{CONTEXT}\", \"value\": {{}}}}"
    ))
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("/value: expected an array of records, found an object"),
        "{err}"
    );
    let err = load_text(&format!("{{\"@odata.context\": \"{CONTEXT}\", \"value\": [{{\"id\": \"i\", \"principalId\": \"p\", \"roleDefinitionId\": \"r\", \"assignmentType\": \"Sometimes\"}}]}}")).unwrap_err().to_string();
    assert!(err.contains("expected Assigned or Activated"), "{err}");
}

#[test]
fn pages_may_be_an_array_or_concatenated_and_timestamps_take_every_graph_shape() {
    let item = |n: usize, start: &str| {
        format!("{{\"id\": \"i-{n}\", \"principalId\": \"P-{n}\", \"roleDefinitionId\": \"62e90394-69f5-4237-9190-012177145e10\", \"startDateTime\": \"{start}\", \"endDateTime\": null, \"assignmentType\": \"Assigned\", \"memberType\": \"Direct\", \"unknownField\": {{\"x\": 1}}}}")
    };
    let page = |items: &[String], next: bool| {
        let link = if next {
            ", \"@odata.nextLink\": \"https://graph.microsoft.com/v1.0/x?$skiptoken=1\", \"@odata.count\": 7"
        } else {
            ""
        };
        format!(
            "{{\"@odata.context\": \"{CONTEXT}\"{link}, \"value\": [{}]}}",
            items.join(",")
        )
    };
    let starts = [
        "2022-04-11T11:50:05Z",
        "2022-04-11T11:50:05.9Z",
        "2022-04-11T11:50:05.95Z",
        "2022-04-11T11:50:05.9999343Z",
        "2022-04-11T13:50:05.123+02:00",
    ];
    let items: Vec<String> = starts.iter().enumerate().map(|(n, s)| item(n, s)).collect();
    let one = page(&items[..3], true);
    let two = page(&items[3..], false);
    for text in [format!("[{one}, {two}]"), format!("{one}\n{two}\n")] {
        let inv = load_text(&text).expect("pages load");
        assert_eq!(inv.assignments.len(), 5);
        assert_eq!(
            inv.identities.len(),
            5,
            "unknown principals are stand-ins, never dropped"
        );
        let warnings = inv
            .diagnostics
            .iter()
            .filter(|d| d.level == crate::model::DiagnosticLevel::Warning)
            .count();
        assert_eq!(warnings, 5);
        let got: Vec<String> = inv
            .assignments
            .iter()
            .map(|a| a.window.start.expect("start").to_string())
            .collect();
        assert_eq!(
            got,
            [
                "2022-04-11T11:50:05Z",
                "2022-04-11T11:50:05.9Z",
                "2022-04-11T11:50:05.95Z",
                "2022-04-11T11:50:05.9999343Z",
                "2022-04-11T11:50:05.123Z"
            ]
        );
        assert!(inv.assignments[3]
            .provenance
            .record
            .as_deref()
            .is_some_and(|r| r.ends_with("/value/0")));
    }
    let bad = page(
        &[
            item(0, "2022-04-11T11:50:05Z"),
            item(1, "2022-13-11T11:50:05Z"),
        ],
        false,
    );
    let err = load_text(&format!("[{bad}]")).unwrap_err().to_string();
    assert!(err.contains("/0/value/1/startDateTime"), "{err}");
}

#[test]
fn detect_recognises_files_and_tenant_directories() {
    for file in [
        "tenant/users.json",
        "tenant/directoryAudits.json",
        "tenant/roleManagementPolicies.json",
    ] {
        assert_eq!(
            crate::connectors::detect(&fixture(file), file).unwrap(),
            Some(crate::connectors::SourceFormat::EntraPim),
            "{file}"
        );
    }
    assert_eq!(
        crate::connectors::detect(&fixture("tenant"), "tenant").unwrap(),
        Some(crate::connectors::SourceFormat::EntraPim)
    );
    assert_eq!(
        crate::connectors::detect(&fixture("portal-export.csv"), "p.csv").unwrap(),
        Some(crate::connectors::SourceFormat::EntraPimCsv)
    );
    assert!(!sniff(
        "{\"@odata.context\": \"https://example.com/$metadata#devices\", \"value\": []}"
    ));
    assert!(!sniff("{\"identities\": []}"));
}
