//! The Entra PIM connector end to end: the Contoso fixture tenant (saved Graph responses)
//! and the portal CSV export, and malformed files that must fail naming the file and record.

use crate::support::*;

const NOW: &str = "2026-06-01T00:00:00Z";
const GA: &str = "entra:role:global-administrator";
const DEPLOY_BOT: &str = "entra:sp:5b100000-0000-4000-8000-0000000000b1";

type Key = (String, String, Option<String>);

fn key(rule: &str, subject: &str, entitlement: &str) -> Key {
    (
        rule.to_string(),
        subject.to_string(),
        Some(entitlement.to_string()),
    )
}

#[test]
fn the_fixture_tenant_reports_standing_and_lingering_global_admins() {
    let out = out_dir();
    let o = residue(&[
        "scan",
        fixture("entra-pim").to_str().expect("utf-8"),
        "--now",
        NOW,
        "--out",
        out.path().to_str().expect("utf-8"),
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let ua = "entra:role:user-administrator";
    assert_eq!(
        finding_keys(out.path()),
        vec![
            // The Global Administrator policy allows 24h activations (PT24H); the admin limit
            // is 4h. No grant has used more than 4h yet.
            ("GV007".to_string(), GA.to_string(), None),
            // The User Administrator policy allows 8h; permissions-management's limit is 4h.
            ("GV007".to_string(), ua.to_string(), None),
            // Alice's activation ended at 12:00 on 30 May; its instance is still listed.
            key("RV001", "alice@contoso.example", GA),
            // Bob's activation expired while his standing Assigned instance of the role stays.
            key("RV001", "bob@contoso.example", GA),
            key("RV002", "alice@contoso.example", GA),
            // Alice added the `ci` secret to deploy-bot at 09:15 on 30 May, during her Global
            // Administrator activation (08:00–12:00); the secret is still active. Reported once,
            // by SC003 (not also GV005 through the lingering `Activated` instance).
            key(
                "SC003",
                DEPLOY_BOT,
                &format!("{DEPLOY_BOT}#password:c0ffee00-0000-4000-8000-000000000001")
            ),
            key("SP001", "alice@contoso.example", GA),
            // Bob: standing Global Administrator since 2019.
            key("SP001", "bob@contoso.example", GA),
            key("SP002", "alice@contoso.example", GA),
            key("SP002", "bob@contoso.example", GA),
            // Carol is eligible for User Administrator and holds it through Tier0 Admins.
            key("SP002", "carol@contoso.example", ua),
            key("SP003", "bob@contoso.example", GA),
            key("SP003", "carol@contoso.example", ua),
        ]
    );
    let md = std::fs::read_to_string(out.path().join("report.md")).expect("report.md");
    assert!(md.contains("Bob Okafor"), "findings name people");
    assert!(
        !md.contains("b0b00000-0000-4000-8000-000000000002"),
        "not their object ids"
    );
}

#[test]
fn the_portal_csv_export_gives_the_same_standing_picture() {
    let out = out_dir();
    let csv = fixture("entra-pim/portal-export.csv");
    let o = residue(&[
        "scan",
        csv.to_str().expect("utf-8"),
        "--now",
        NOW,
        "--out",
        out.path().to_str().expect("utf-8"),
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let found = finding_keys(out.path());
    for expected in [
        key("SP001", "bob@contoso.example", GA),
        key("SP002", "bob@contoso.example", GA),
        key("RV001", "alice@contoso.example", GA),
    ] {
        assert!(found.contains(&expected), "{expected:?} in {found:#?}");
    }
}

#[test]
fn malformed_graph_responses_exit_2_naming_file_and_record() {
    for (file, needle) in [
        (
            "wrong-type.json",
            "/value/1/principalId (line 5): expected a string, found a number",
        ),
        ("bad-timestamp.json", "/value/3/startDateTime (line 7)"),
        ("truncated.json", "truncated"),
        (
            "unknown-context.json",
            "not a Microsoft Graph listing residue reads",
        ),
        (
            "portal-missing-column.csv",
            "line 1: the header lacks the column(s) PrincipalName",
        ),
    ] {
        let path = fixture(&format!("entra-pim/malformed/{file}"));
        let format = if file.ends_with(".csv") {
            "entra-pim-csv"
        } else {
            "entra-pim"
        };
        let dir = tempfile::Builder::new()
            .prefix("pim-")
            .tempdir()
            .expect("temp dir");
        std::fs::write(
            dir.path().join("residue.yaml"),
            format!(
                "sources:\n  - {{path: {}, format: {format}}}\n",
                path.display()
            ),
        )
        .expect("config");
        let o = residue(&[
            "scan",
            dir.path().to_str().expect("utf-8"),
            "--now",
            NOW,
            "--out",
            dir.path().join("out").to_str().expect("utf-8"),
        ]);
        assert_eq!(code(&o), 2, "{file}: {}", stderr(&o));
        let err = stderr(&o);
        assert!(err.contains(file) && err.contains(needle), "{file}: {err}");
    }
}

#[test]
fn a_tenant_directory_scanned_without_configuration_is_one_source() {
    // The tenant's files only make sense together: scanned by content, the directory must
    // give the same findings as residue.yaml naming it as one `entra-pim` source.
    let (configured, by_content) = (out_dir(), out_dir());
    for (dir, out) in [
        (fixture("entra-pim"), &configured),
        (fixture("entra-pim/tenant"), &by_content),
    ] {
        let o = residue(&[
            "scan",
            dir.to_str().expect("utf-8"),
            "--now",
            NOW,
            "--out",
            out.path().to_str().expect("utf-8"),
        ]);
        assert_eq!(code(&o), 0, "{}", stderr(&o));
    }
    let findings = finding_keys(configured.path());
    assert!(!findings.is_empty());
    assert_eq!(finding_keys(by_content.path()), findings);
}
