//! The AWS credential report and CloudTrail connectors through the binary: a JIT story with a
//! planted case and a near-miss per rule, the real public samples, and malformed inputs.

use crate::support::*;
use std::fs;

const NOW: &str = "2026-11-20T09:00:00Z";
const STORY: &str = "tests/fixtures/aws/cloudtrail/story";
/// The secret access key planted in the story's CreateAccessKey responses.
const CANARY: &str = "CANARYSECRET";

fn acct(resource: &str) -> String {
    format!("arn:aws:iam::111122223333:{resource}")
}

type Key = (String, String, Option<String>);

fn scan_report(target: &str) -> (std::process::Output, serde_json::Value, tempfile::TempDir) {
    let out = out_dir();
    let o = residue(&[
        "scan",
        target,
        "--now",
        NOW,
        "--out",
        out.path().to_str().expect("utf-8 temp path"),
    ]);
    let report = fs::read_to_string(out.path().join("report.json"))
        .map(|t| serde_json::from_str(&t).expect("report.json is JSON"))
        .unwrap_or(serde_json::Value::Null);
    (o, report, out)
}

#[test]
fn the_story_reports_each_planted_case_and_no_near_miss() {
    let (o, report, out) = scan_report(STORY);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let admin = "arn:aws:iam::aws:policy/AdministratorAccess".to_string();
    let s3 = "arn:aws:iam::aws:policy/AmazonS3FullAccess".to_string();
    let readonly = "arn:aws:iam::aws:policy/ReadOnlyAccess".to_string();
    let billing_key = "AKIAACMEBILLING00001".to_string();
    let mut expected: Vec<Key> = vec![
        // maria attached admin to erik and detached it 6 hours later: a grant nobody approved.
        ("GV001".into(), acct("user/erik"), Some(admin)),
        // The broker detached erik's ReadOnlyAccess, but the attachment is still there.
        ("RV001".into(), acct("user/erik"), Some(readonly.clone())),
        ("RV003".into(), acct("user/erik"), Some(readonly.clone())),
        // A detach CloudTrail logged; the policy is still attached.
        (
            "RV003".into(),
            acct("user/svc-legacy-backup"),
            Some(s3.clone()),
        ),
        // The key the broker issued for the billing export: never deleted, used after the window.
        (
            "RV002".into(),
            acct("user/svc-billing-export"),
            Some(billing_key.clone()),
        ),
        (
            "RV004".into(),
            acct("user/svc-billing-export"),
            Some(billing_key),
        ),
        (
            "SC003".into(),
            acct("user/svc-billing-export"),
            Some(acct("user/svc-billing-export#access-key-1")),
        ),
        // dana created a key for the CI deployer while in iam-operators through the broker.
        (
            "SC003".into(),
            acct("user/svc-ci-deployer"),
            Some(acct("user/svc-ci-deployer#access-key-2")),
        ),
        // The existing secret rules on credential-report data.
        ("SC001".into(), acct("user/svc-legacy-backup"), None),
        ("SC002".into(), acct("user/svc-legacy-backup"), None),
        // SP005: a service account holding AmazonS3FullAccess as standing access.
        ("SP005".into(), acct("user/svc-legacy-backup"), Some(s3)),
    ];
    expected.sort();
    assert_eq!(report_keys(&report), expected);

    // The failed detach is a diagnostic, not a revocation.
    let diagnostics = report["diagnostics"].to_string();
    assert!(
        diagnostics.contains("failed with AccessDenied and changed nothing"),
        "{diagnostics}"
    );
    // The dates of the creator-elevated case are reconciled across the two sources.
    let ci = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["entitlement"] == acct("user/svc-ci-deployer#access-key-2"))
        .expect("the CI deployer's key");
    assert_eq!(
        ci["evidence"]["facts"]["created_by"],
        acct("user/dana"),
        "{ci}"
    );

    // The secret access key in the CreateAccessKey responses reaches no output.
    for entry in fs::read_dir(out.path()).expect("reports") {
        let path = entry.expect("entry").path();
        let text = fs::read_to_string(&path).unwrap_or_default();
        assert!(
            !text.contains(CANARY),
            "{} leaks the secret",
            path.display()
        );
    }
    assert!(!stdout(&o).contains(CANARY) && !stderr(&o).contains(CANARY));
}

#[test]
fn the_credential_report_reads_the_same_as_csv_and_json() {
    let csv = scan_report("tests/fixtures/aws/credential-report/acme.csv");
    let json = scan_report("tests/fixtures/aws/credential-report/acme.GetCredentialReport.json");
    assert_eq!(code(&csv.0), 0, "{}", stderr(&csv.0));
    assert_eq!(code(&json.0), 0, "{}", stderr(&json.0));
    assert_eq!(report_keys(&csv.1), report_keys(&json.1));
    assert!(stderr(&json.0).contains("as aws-credential-report"));
}

#[test]
fn malformed_inputs_exit_2_naming_file_and_place() {
    for (file, expect) in [
        (
            "credential-report/bad-date.csv",
            "bad-date.csv: line 4: column `password_last_changed`: `30/09/2026 10:00` is not a timestamp",
        ),
        (
            "credential-report/truncated.csv",
            "truncated.csv: line 5: this row has 2 fields but the header has 22",
        ),
        (
            "cloudtrail/malformed/truncated.json.gz",
            "truncated.json.gz: decompressed line",
        ),
        (
            "cloudtrail/malformed/truncated.json",
            "(in /Records/1): the file is truncated",
        ),
        (
            "cloudtrail/malformed/wrong-type.json",
            "wrong-type.json: /Records/1/eventTime: expected a string",
        ),
        (
            "cloudtrail/malformed/records-not-array.json",
            "records-not-array.json: /Records: expected an array of CloudTrail records, found an object",
        ),
    ] {
        let path = format!("tests/fixtures/aws/{file}");
        let (o, _, _) = scan_report(&path);
        assert_eq!(code(&o), 2, "{file}: {}", stderr(&o));
        assert!(stderr(&o).contains(expect), "{file}: {}", stderr(&o));
        assert!(!stderr(&o).contains(CANARY), "{file}: {}", stderr(&o));
    }
}

#[test]
fn real_credential_reports_parse_and_report_their_stale_credentials() {
    let (o, report, _out) = scan_report("tests/fixtures/real/aws-credential-report");
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let found = report_keys(&report);
    let count = |rule: &str| found.iter().filter(|(r, _, _)| r == rule).count();
    // The JSON recordings and their extracted CSVs describe the same two accounts: their
    // secrets merge, so each stale credential is reported once.
    assert_eq!((count("SC001"), count("SC002"), found.len()), (42, 42, 84));
    // The 2007 root user with an active 2011 key last used in 2015.
    let root = "arn:aws:iam::619193117841:root".to_string();
    assert!(found.contains(&("SC001".into(), root.clone(), None)));
    assert!(found.contains(&("SC002".into(), root, None)));
    let diagnostics = report["diagnostics"].to_string();
    // The hand-edited report lists christopher twice: the later row is used, and said so.
    assert!(
        diagnostics.contains("user/christopher has a second row in the report"),
        "{diagnostics}"
    );
    assert!(diagnostics.contains("password_enabled is `not_supported`"));
}

#[test]
fn real_cloudtrail_samples_parse_into_changes_with_no_findings() {
    let (o, report, _out) = scan_report("tests/fixtures/real/aws-cloudtrail");
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    // No broker is configured and nothing granted is taken back in these detonations, so no
    // grant exists: the trail yields change events only.
    assert_eq!(report_keys(&report), Vec::<Key>::new());
    let changes: u64 = report["sources"]
        .as_array()
        .expect("sources")
        .iter()
        .map(|s| s["records"]["change_events"].as_u64().unwrap_or(0))
        .sum();
    // AssumeRole x2, UpdateAssumeRolePolicy, CreateAccessKey, CreateUser + AttachUserPolicy +
    // CreateAccessKey, CreateRole + AttachRolePolicy, CreateLoginProfile, UpdateLoginProfile.
    assert_eq!(changes, 11);
    let diagnostics = report["diagnostics"].to_string();
    assert!(
        diagnostics.contains("failed with EntityTemporarilyUnmodifiableException"),
        "{diagnostics}"
    );
}
