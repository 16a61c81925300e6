//! The AWS authorization-details connector through the binary: real exports, the raw-API
//! shape, and malformed inputs (exit 2 naming the file and the place).

use crate::support::*;
use std::collections::BTreeSet;

const NOW: &str = "2026-11-20T09:00:00Z";

/// Scans one file and returns the report's findings as (rule, subject) pairs and the report.
fn scan(path: &str) -> (BTreeSet<(String, String)>, serde_json::Value) {
    let out = out_dir();
    let o = residue(&[
        "scan",
        path,
        "--now",
        NOW,
        "--out",
        out.path().to_str().expect("utf-8 temp path"),
        "-q",
    ]);
    assert_eq!(
        code(&o),
        0,
        "stdout:\n{}\nstderr:\n{}",
        stdout(&o),
        stderr(&o)
    );
    let text = std::fs::read_to_string(out.path().join("report.json")).expect("report.json");
    let report: serde_json::Value = serde_json::from_str(&text).expect("JSON report");
    let findings = rule_subject_pairs(&report).into_iter().collect();
    (findings, report)
}

fn subjects(findings: &BTreeSet<(String, String)>, rule: &str) -> BTreeSet<String> {
    findings
        .iter()
        .filter(|(r, _)| r == rule)
        .map(|(_, s)| s.clone())
        .collect()
}

#[test]
fn cloudsplaining_test_export_admins() {
    let (findings, report) =
        scan("tests/fixtures/real/aws-iam-authz/cloudsplaining-test-example-authz-details.json");
    // cloudsplaining's own test data gives these two users AdministratorAccess.
    assert_eq!(
        subjects(&findings, "SP001"),
        BTreeSet::from([
            "arn:aws:iam::012345678901:user/obama".to_string(),
            "arn:aws:iam::012345678901:user/userwithlotsofpermissions".to_string(),
        ])
    );
    assert_eq!(
        subjects(&findings, "SP004"),
        // The role OverprivilegedEC2 may create access keys for the admin user obama.
        BTreeSet::from(["service:ec2.amazonaws.com".to_string()])
    );
    assert_eq!(report["diagnostics"].as_array().map(Vec::len), Some(0));
}

#[test]
fn cloudsplaining_example_privilege_escalation_users() {
    let (findings, report) = scan("tests/fixtures/real/aws-iam-authz/cloudsplaining-example.json");
    let sp001 = subjects(&findings, "SP001");
    for admin in [
        "arn:aws:iam::200611803367:user/privesc-sre-user",
        // Anyone in the management account may assume OrganizationAccountAccessRole.
        "arn:aws:iam::072528804237:root",
        "federated:arn:aws:iam::200611803367:saml-provider/AWSSSO_b937d2dff24f2774_DO_NOT_DELETE",
    ] {
        assert!(
            sp001.contains(admin),
            "{admin} is not reported as standing admin: {sp001:#?}"
        );
    }
    // The account's `privescN-<method>-user` users, each built for one escalation method
    // (Rhino Security Labs' list), are found with that method.
    let sp004 = subjects(&findings, "SP004");
    let expected = [
        "privesc1-CreateNewPolicyVersion-user",
        "privesc3-CreateEC2WithExistingInstanceProfile-user",
        "privesc4-CreateAccessKey-user",
        "privesc5-CreateLoginProfile-user",
        "privesc6-UpdateLoginProfile-user",
        "privesc7-AttachUserPolicy-user",
        "privesc8-AttachGroupPolicy-user",
        "privesc10-PutUserPolicy-user",
        "privesc11-PutGroupPolicy-user",
        "privesc13-AddUserToGroup-user",
        "privesc14-UpdatingAssumeRolePolicy-user",
        "privesc15-PassExistingRoleToNewLambdaThenInvoke-user",
        "privesc16-PassRoleToNewLambdaThenTriggerWithNewDynamo-user",
        "privesc17-EditExistingLambdaFunctionWithRole-user",
        "privesc18-PassExistingRoleToNewGlueDevEndpoint-user",
        "privesc19-UpdateExistingGlueDevEndpoint-user",
        "privesc20-PassExistingRoleToCloudFormation-user",
        "privesc21-PassExistingRoleToNewDataPipeline-user",
        "privesc-sageMakerCreateNotebookPassRole-user",
    ];
    for user in expected {
        let arn = format!("arn:aws:iam::200611803367:user/{user}");
        assert!(sp004.contains(&arn), "{user} has no escalation: {sp004:#?}");
    }
    // privesc9 (AttachRolePolicy) and privesc12 (PutRolePolicy) may change any role's
    // policies but assume none (the method needs both); privesc2 (SetDefaultPolicyVersion)
    // has no policy with another version: none of them is an escalation.
    for user in [
        "privesc2-SetExistingDefaultPolicyVersion-user",
        "privesc9-AttachRolePolicy-user",
        "privesc12-PutRolePolicy-user",
    ] {
        let arn = format!("arn:aws:iam::200611803367:user/{user}");
        assert!(!sp004.contains(&arn), "{user}");
    }
    assert_eq!(sp004.len(), 26, "{sp004:#?}");
    // Actions newer than the bundled table are counted as write and reported, not dropped.
    let warnings: Vec<&str> = report["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter(|d| d["level"] == "warning")
        .filter_map(|d| d["message"].as_str())
        .collect();
    assert_eq!(warnings.len(), 2, "{warnings:#?}");
    assert!(warnings
        .iter()
        .all(|w| w.contains("unknown to residue's IAM action table")));
}

#[test]
fn raw_api_export_with_url_encoded_documents() {
    let (findings, _) = scan("tests/fixtures/aws/authz/raw-api-url-encoded.json");
    // ana may assume ops-admin (all actions) through the account-root trust, with MFA.
    assert!(findings.contains(&(
        "SP001".to_string(),
        "arn:aws:iam::123456789012:user/ana".to_string()
    )));
}

#[test]
fn malformed_exports_exit_2_naming_file_and_place() {
    for (file, place, what) in [
        ("malformed.json", "line 20, column 22", "not valid JSON"),
        ("truncated.json", "line 27", "truncated"),
        (
            "wrong-type.json",
            "(/UserDetailList/0)",
            "expected a sequence",
        ),
        (
            "bad-effect.json",
            "(/RoleDetailList/0)",
            "expected `Allow` or `Deny`",
        ),
        (
            "bad-url-encoding.json",
            "(/RoleDetailList/0)",
            "percent-escape",
        ),
    ] {
        let path = format!("tests/fixtures/aws/authz/{file}");
        let out = out_dir();
        let o = residue(&[
            "scan",
            &path,
            "--now",
            NOW,
            "--out",
            out.path().to_str().expect("utf-8 temp path"),
        ]);
        let err = stderr(&o);
        assert_eq!(code(&o), 2, "{file}: {err}");
        assert!(
            err.contains(&path) && err.contains(place) && err.contains(what),
            "{file}: {err}"
        );
    }
}
