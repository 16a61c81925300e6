//! Several AWS accounts in one scan: SCPs capping the accounts they target, and trusts
//! resolved across authorization-details files.

use crate::support::*;
use std::collections::BTreeSet;

const NOW: &str = "2026-11-20T09:00:00Z";
const SCP: &str = "tests/fixtures/aws/scp";
const CROSS: &str = "tests/fixtures/aws/cross-account";

/// Scans the paths; returns (rule, subject) pairs, the report's text, and its JSON.
fn scan(paths: &[&str]) -> (BTreeSet<(String, String)>, String, serde_json::Value) {
    let out = out_dir();
    let mut args = vec!["scan"];
    args.extend(paths);
    let out_path = out.path().to_str().expect("utf-8 temp path");
    args.extend(["--now", NOW, "--out", out_path, "-q"]);
    let o = residue(&args);
    assert!(
        code(&o) <= 1,
        "{paths:?}: exit {}\nstderr:\n{}",
        code(&o),
        stderr(&o)
    );
    let text = std::fs::read_to_string(out.path().join("report.json")).expect("report.json");
    let report: serde_json::Value = serde_json::from_str(&text).expect("JSON report");
    let findings = rule_subject_pairs(&report).into_iter().collect();
    (findings, text, report)
}

fn subjects(findings: &BTreeSet<(String, String)>, rule: &str) -> BTreeSet<String> {
    findings
        .iter()
        .filter(|(r, _)| r == rule)
        .map(|(_, s)| s.clone())
        .collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

const ALICE: &str = "arn:aws:iam::111122223333:user/alice";
const MAL: &str = "arn:aws:iam::111122223333:user/mal";
const OWNER: &str = "arn:aws:iam::999988887777:user/org-owner";
const SUPPORT: &str = "service:support.amazonaws.com";

#[test]
fn without_scps_the_prod_account_has_an_admin_and_an_escalation() {
    let (f, _, _) = scan(&[
        &format!("{SCP}/prod-111122223333.json"),
        &format!("{SCP}/management-999988887777.json"),
    ]);
    assert_eq!(subjects(&f, "SP001"), set(&[ALICE, OWNER, SUPPORT]));
    assert_eq!(subjects(&f, "SP004"), set(&[MAL]));
}

#[test]
fn an_scp_denying_iam_caps_admin_and_escalation_but_not_the_management_account() {
    // deny-iam.json is `describe-policy` output with `Targets` merged in (recognised by
    // content); it targets prod and the management account.
    let (f, _, report) = scan(&[
        &format!("{SCP}/prod-111122223333.json"),
        &format!("{SCP}/management-999988887777.json"),
        &format!("{SCP}/deny-iam.json"),
    ]);
    // alice's AdministratorAccess no longer makes her admin; mal can no longer attach a
    // policy to himself; the management account and the service-linked role are exempt.
    assert_eq!(subjects(&f, "SP001"), set(&[OWNER, SUPPORT]));
    assert_eq!(subjects(&f, "SP004"), set(&[]));
    let messages: Vec<&str> = report["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter_map(|d| d["message"].as_str())
        .collect();
    assert!(
        messages
            .iter()
            .any(|m| m.contains("999988887777, the organisation's management account")),
        "{messages:#?}"
    );
    assert!(
        messages.iter().any(
            |m| m.contains("policy AdministratorAccess gives alice only") && m.contains("SCPs")
        ),
        "{messages:#?}"
    );
}

#[test]
fn an_allow_list_scp_replacing_full_aws_access_caps_admin() {
    let (f, _, _) = scan(&[&format!("{SCP}/allow-list-scan")]);
    assert_eq!(subjects(&f, "SP001"), set(&[SUPPORT]));
    assert_eq!(subjects(&f, "SP004"), set(&[]));
}

#[test]
fn an_scp_targeting_another_account_changes_nothing() {
    let (f, _, report) = scan(&[
        &format!("{SCP}/prod-111122223333.json"),
        &format!("{SCP}/management-999988887777.json"),
        &format!("{SCP}/deny-iam-elsewhere.json"),
    ]);
    assert_eq!(subjects(&f, "SP001"), set(&[ALICE, OWNER, SUPPORT]));
    assert_eq!(subjects(&f, "SP004"), set(&[MAL]));
    assert!(report["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .any(|d| d["message"]
            .as_str()
            .is_some_and(|m| m.contains("applies to no account of this scan"))));
}

#[test]
fn a_malformed_scp_exits_2_naming_file_and_json_pointer() {
    let path = format!("{SCP}/malformed/bad-effect.json");
    let out = out_dir();
    let o = residue(&[
        "scan",
        &format!("{SCP}/prod-111122223333.json"),
        &path,
        "--now",
        NOW,
        "--out",
        out.path().to_str().expect("utf-8 temp path"),
    ]);
    let err = stderr(&o);
    assert_eq!(code(&o), 2, "{err}");
    assert!(
        err.contains(&format!(
            "{path}: /Policy/Content (in the document: /Statement/1): "
        )) && err.contains("expected `Allow` or `Deny`"),
        "{err}"
    );
}

const BEA: &str = "arn:aws:iam::444455556666:user/bea";
const CY: &str = "arn:aws:iam::444455556666:user/cy";
const B_ROOT: &str = "arn:aws:iam::444455556666:root";

#[test]
fn alone_account_a_trusts_a_stand_in_for_account_b() {
    let (f, _, _) = scan(&[&format!("{CROSS}/a-111122223333.json")]);
    assert_eq!(subjects(&f, "SP001"), set(&[B_ROOT]));
}

#[test]
fn cross_account_trusts_resolve_to_real_principals_in_any_order() {
    let a = format!("{CROSS}/a-111122223333.json");
    let b = format!("{CROSS}/b-444455556666.json");
    let c = format!("{CROSS}/c-777788889999.json");
    let (f, text, report) = scan(&[&a, &b, &c]);
    // bea may assume A's cross-admin (B's root is trusted, her policy allows it); cy reaches
    // C's admin role through A's hop role. ben is named by hop's trust but his own policy
    // does not allow the assumption; bo's policy denies it. No stand-in for B's root.
    assert_eq!(subjects(&f, "SP001"), set(&[BEA, CY]));
    let cy_path = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|x| x["rule_id"] == "SP001" && x["subject"] == CY)
        .map(|x| x["evidence"]["path"].to_string())
        .unwrap_or_default();
    assert!(
        cy_path.contains("arn:aws:iam::111122223333:role/hop")
            && cy_path.contains("arn:aws:iam::777788889999:role/c-admin"),
        "{cy_path}"
    );
    for order in [[&c, &b, &a], [&b, &a, &c]] {
        let (_, again, _) = scan(&[order[0], order[1], order[2]]);
        assert_eq!(text, again, "{order:?}");
    }
    // The directory, recognised by content, gives the same findings.
    let (dir, _, _) = scan(&[CROSS]);
    assert_eq!(dir, f);
}

#[test]
fn an_scp_of_the_trusted_account_blocks_the_cross_account_assumption() {
    // Account B's SCP denies assuming roles of account A: neither bea (A's cross-admin) nor
    // cy (A's hop, then C's admin) gets there.
    let (f, _, _) = scan(&[
        &format!("{CROSS}/a-111122223333.json"),
        &format!("{CROSS}/b-444455556666.json"),
        &format!("{CROSS}/c-777788889999.json"),
        &format!("{SCP}/deny-assume-into-prod.json"),
    ]);
    assert_eq!(subjects(&f, "SP001"), set(&[]));
}
