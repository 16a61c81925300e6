//! `residue inventory` and `residue graph` on the ACME sample organisation: snapshots of the
//! inventory CSV and JSON, determinism across thread counts, the recommendation counts the
//! HTML page shows, usage errors, and the graph export formats.

use crate::support::*;

const NOW: &str = ACME_NOW;
const ORG: &str = ACME;

#[test]
fn acme_inventory_csv_and_json_snapshots() {
    let out = out_dir();
    let o = run_on_acme("inventory", out.path(), &[], "4");
    assert_eq!(code(&o), 0, "stderr:\n{}", stderr(&o));
    assert!(stdout(&o).contains("privileges held by"), "{}", stdout(&o));
    insta::assert_snapshot!("acme_inventory_csv", read(out.path(), "inventory.csv"));
    insta::assert_snapshot!("acme_inventory_json", read(out.path(), "inventory.json"));
}

#[test]
fn inventory_is_byte_identical_across_thread_counts() {
    let one = out_dir();
    let many = out_dir();
    assert_eq!(code(&run_on_acme("inventory", one.path(), &[], "1")), 0);
    assert_eq!(code(&run_on_acme("inventory", many.path(), &[], "8")), 0);
    for name in ["inventory.csv", "inventory.json", "inventory.html"] {
        assert_eq!(
            read(one.path(), name),
            read(many.path(), name),
            "{name} differs between 1 and 8 threads"
        );
    }
}

#[test]
fn every_recommendation_appears_and_the_page_counts_them() {
    let out = out_dir();
    assert_eq!(code(&run_on_acme("inventory", out.path(), &[], "4")), 0);
    let json: serde_json::Value =
        serde_json::from_str(&read(out.path(), "inventory.json")).expect("inventory.json is JSON");
    let counts = &json["summary"]["by_recommendation"];
    for rec in [
        "remove",
        "convert-to-jit",
        "split",
        "keep-standing",
        "already-jit",
    ] {
        let n = counts[rec].as_u64().unwrap_or(0);
        assert!(n > 0, "ACME has no `{rec}` row: {counts}");
        let card = format!(
            "<div class=\"card rec-card rec-{rec}\"><span class=\"num\">{n}</span> {rec}</div>"
        );
        assert!(
            read(out.path(), "inventory.html").contains(&card),
            "the page does not show {card}"
        );
    }
    // The planted cases read as a security lead expects.
    let rows = json["rows"].as_array().expect("rows");
    let find = |identity: &str, role: &str, kind: &str| {
        rows.iter()
            .find(|r| {
                r["identity"] == identity && r["entitlement"] == role && r["assignment"] == kind
            })
            .unwrap_or_else(|| panic!("no row {identity}/{role}/{kind}"))
    };
    assert_eq!(
        find("quentin.moreau@acme.example", "prod-admin", "standing")["recommendation"],
        "remove"
    );
    assert_eq!(
        find("terraform-cloud", "prod-admin", "standing")["recommendation"],
        "split"
    );
    assert_eq!(
        find("priya.raman@acme.example", "prod-admin", "standing")["held"],
        "escalation"
    );
    assert_eq!(
        find("breakglass-1@acme.example", "break-glass-admin", "standing")["recommendation"],
        "keep-standing"
    );
}

#[test]
fn thresholds_change_the_recommendations() {
    let out = out_dir();
    let o = run_on_acme(
        "inventory",
        out.path(),
        &["--unused-days", "30", "--format", "json"],
        "2",
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let json: serde_json::Value =
        serde_json::from_str(&read(out.path(), "inventory.json")).expect("JSON");
    assert_eq!(json["parameters"]["unused_days"], 30);
    assert!(!out.path().join("inventory.csv").exists());
    let samir = json["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .find(|r| r["identity"] == "samir.khan@acme.example" && r["entitlement"] == "db-migrations")
        .expect("samir's db-migrations row");
    assert_eq!(samir["recommendation"], "remove", "{samir}");
}

#[test]
fn bad_arguments_exit_2_naming_the_flag() {
    let out = out_dir();
    let o = run_on_acme("inventory", out.path(), &["--daily-days", "120"], "1");
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("--daily-days (120) must be smaller than --unused-days (90)"),
        "{}",
        stderr(&o)
    );
    let o = run_on_acme("inventory", out.path(), &["--unused-days", "0"], "1");
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("not a positive whole number of days"),
        "{}",
        stderr(&o)
    );
    let o = run_on_acme("inventory", out.path(), &["--format", "xlsx"], "1");
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("`xlsx` is not an inventory format"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn graph_exports_dot_mermaid_and_json() {
    let args = |format: &str| {
        residue(&[
            "graph",
            ORG,
            "--now",
            NOW,
            "--identity",
            "priya.raman@acme.example",
            "--format",
            format,
        ])
    };
    let dot = args("dot");
    assert_eq!(code(&dot), 0, "{}", stderr(&dot));
    let dot = stdout(&dot);
    assert!(dot.contains("digraph reach {"), "{dot}");
    assert!(dot.contains("style=dashed"), "eligible prod-admin: {dot}");
    assert!(
        dot.contains("color=red"),
        "escalation by iam:AttachRolePolicy: {dot}"
    );
    let mermaid = stdout(&args("mermaid"));
    assert!(mermaid.starts_with("flowchart LR\n"), "{mermaid}");
    assert!(mermaid.contains("==>"), "{mermaid}");
    let json: serde_json::Value = serde_json::from_str(&stdout(&args("json"))).expect("JSON");
    assert_eq!(json["identity"], "priya.raman@acme.example");
    let hows: Vec<&str> = json["reach"]
        .as_array()
        .expect("reach")
        .iter()
        .filter(|r| r["role"] == "prod-admin")
        .map(|r| r["how"].as_str().expect("how"))
        .collect();
    assert_eq!(hows, ["eligible", "escalation"]);
}

#[test]
fn graph_of_an_unknown_identity_exits_2_with_a_suggestion() {
    let o = residue(&["graph", ORG, "--now", NOW, "--identity", "priya"]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains(
            "no identity `priya` in the sources; did you mean: priya.raman@acme.example?"
        ),
        "{}",
        stderr(&o)
    );
}

#[test]
fn graph_writes_to_a_file_when_asked() {
    let out = out_dir();
    let file = out.path().join("reach.mmd");
    let o = residue(&[
        "graph",
        ORG,
        "--now",
        NOW,
        "--identity",
        "terraform-cloud",
        "--format",
        "mermaid",
        "--out",
        file.to_str().expect("utf-8"),
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stdout(&o).is_empty());
    assert!(read(out.path(), "reach.mmd").contains("prod-admin"));
}
