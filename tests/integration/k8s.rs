//! The Kubernetes connector end to end: dumps (YAML and JSON Lists), a directory of
//! manifests, the real public samples, and malformed files that must fail with a location
//! and never repeat a Secret's value.

use crate::support::*;
use std::path::Path;

const NOW: &str = "2026-06-01T00:00:00Z";

/// The fake token in the fixtures' Secrets, and what it decodes to.
const TOKEN: &str = "c3VwZXItc2VjcmV0LXRva2VuLXZhbHVlLWRvLW5vdC1sZWFr";
const TOKEN_DECODED: &str = "super-secret-token-value-do-not-leak";

type Key = (String, String, Option<String>);

fn scan(target: &Path, out: &Path) -> std::process::Output {
    residue(&[
        "scan",
        target.to_str().expect("utf-8 path"),
        "--now",
        NOW,
        "--out",
        out.to_str().expect("utf-8 path"),
    ])
}

fn report(out: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(out.join("report.json")).expect("report.json");
    serde_json::from_str(&text).expect("report.json is JSON")
}

fn key(rule: &str, subject: &str, entitlement: Option<&str>) -> Key {
    (
        rule.to_string(),
        subject.to_string(),
        entitlement.map(str::to_string),
    )
}

/// Everything a run wrote: stdout, stderr and every report file.
fn everything(o: &std::process::Output, out: &Path) -> String {
    let mut all = format!("{}\n{}", stdout(o), stderr(o));
    if let Ok(entries) = std::fs::read_dir(out) {
        for entry in entries.flatten() {
            all.push_str(&std::fs::read_to_string(entry.path()).unwrap_or_default());
        }
    }
    all
}

#[test]
fn yaml_and_json_dumps_give_the_same_findings() {
    let expected = vec![
        key("SC001", "k8s:list:serviceaccount:ci:deployer", None),
        key("SC004", "k8s:list:serviceaccount:ci:deployer", None),
        key(
            "SP001",
            "k8s:list:user:dev@example.com",
            Some("k8s:list:clusterrole:cluster-admin@team-a"),
        ),
        key(
            "SP003",
            "k8s:list:user:dev@example.com",
            Some("k8s:list:clusterrole:cluster-admin@team-a"),
        ),
    ];
    for name in ["list.yaml", "list.json"] {
        let out = out_dir();
        let o = scan(&fixture(&format!("k8s/{name}")), out.path());
        assert_eq!(code(&o), 0, "{name}: {}", stderr(&o));
        assert!(
            stderr(&o).contains("as kubernetes"),
            "{name} is recognised by content: {}",
            stderr(&o)
        );
        let r = report(out.path());
        assert_eq!(report_keys(&r), expected, "{name}");
        // system:masters is reported apart, as information.
        let diagnostics = r["diagnostics"].as_array().expect("diagnostics");
        assert!(
            diagnostics.iter().any(|d| d["level"] == "info"
                && d["message"]
                    .as_str()
                    .is_some_and(|m| m.contains("to system:masters"))),
            "{name}: {diagnostics:?}"
        );
        // The SP001 finding points at the binding: file, line and record.
        let sp001 = r["findings"]
            .as_array()
            .and_then(|f| f.iter().find(|f| f["rule_id"] == "SP001"))
            .expect("SP001");
        let hop = &sp001["evidence"]["path"]["hops"][0]["source"];
        assert_eq!(hop["record"], "RoleBinding team-a/team-a-admin", "{name}");
        assert!(hop["line"].as_u64().is_some_and(|l| l > 1), "{name}: {hop}");
        assert!(
            !everything(&o, out.path()).contains(TOKEN),
            "{name}: a Secret's value reached the output"
        );
    }
}

#[test]
fn a_manifest_directory_is_one_source_read_recursively() {
    let out = out_dir();
    let o = scan(&fixture("k8s/manifests-config"), out.path());
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let r = report(out.path());
    assert_eq!(
        report_keys(&r),
        vec![
            key("GV004", "k8s:staging:serviceaccount:ops:ops-bot", None),
            // The binding in namespaces/team-a expired on 1 May and is still there.
            key(
                "RV001",
                "k8s:staging:user:contractor@example.com",
                Some("k8s:staging:role:team-a:secret-reader"),
            ),
            // aggregate-ops has no rules of its own: they come from pod-runner by label.
            key(
                "SP003",
                "k8s:staging:serviceaccount:ops:ops-bot",
                Some("k8s:staging:clusterrole:aggregate-ops"),
            ),
            key(
                "SP005",
                "k8s:staging:serviceaccount:ops:ops-bot",
                Some("k8s:staging:clusterrole:aggregate-ops"),
            ),
        ]
    );
    let skipped = r["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter_map(|d| d["message"].as_str())
        .find(|m| m.contains("kinds residue does not audit"))
        .map(str::to_string);
    assert_eq!(
        skipped.as_deref(),
        Some("objects of kinds residue does not audit were skipped: 1 Deployment")
    );
}

/// What residue finds in the real public samples (tests/fixtures/real/k8s, copied from
/// /work/shared/real-samples/k8s-rbac; see PROVENANCE.md there).
fn real_sample_findings() -> Vec<Key> {
    let mut v = vec![
        key(
            "GV004",
            "k8s:kubehound-test-cluster:serviceaccount:test-app:app-monitors",
            None,
        ),
        key(
            "GV004",
            "k8s:whocan:serviceaccount:policyrules:the-test-user",
            None,
        ),
        key(
            "GV004",
            "k8s:whocan:serviceaccount:test:test-aggregate-sa",
            None,
        ),
        key(
            "GV004",
            "k8s:whocan:serviceaccount:test:test-pod-creator-sa",
            None,
        ),
        key(
            "GV004",
            "k8s:whocan:serviceaccount:test:test-secret-reader-sa",
            None,
        ),
        key(
            "GV004",
            "k8s:whocan:serviceaccount:test:test-specific-secret-reader-sa",
            None,
        ),
        key(
            "SP003",
            "k8s:whocan:serviceaccount:test:test-aggregate-sa",
            Some("k8s:whocan:clusterrole:test-aggregate"),
        ),
        key(
            "SP003",
            "k8s:whocan:serviceaccount:test:test-pod-creator-sa",
            Some("k8s:whocan:role:test:pod-creator"),
        ),
        key(
            "SP003",
            "k8s:whocan:user:test-aggregate-user",
            Some("k8s:whocan:clusterrole:test-aggregate"),
        ),
        key(
            "SP003",
            "k8s:whocan:user:test-impersonator-user",
            Some("k8s:whocan:clusterrole:impersonator-role@test"),
        ),
        key(
            "SP003",
            "k8s:whocan:user:test-pod-creator-user",
            Some("k8s:whocan:role:test:pod-creator"),
        ),
        key(
            "SP005",
            "k8s:whocan:serviceaccount:test:test-aggregate-sa",
            Some("k8s:whocan:clusterrole:test-aggregate"),
        ),
        key(
            "SP005",
            "k8s:whocan:serviceaccount:test:test-pod-creator-sa",
            Some("k8s:whocan:role:test:pod-creator"),
        ),
    ];
    v.sort();
    v
}

fn check_real_samples(config_dir: &Path) {
    let out = out_dir();
    let o = scan(config_dir, out.path());
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let r = report(out.path());
    assert_eq!(report_keys(&r), real_sample_findings());
    // KubeHound's trimmed ClusterRoleBinding refers to a Role: kept out, and said so.
    let warnings: Vec<&str> = r["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter(|d| d["level"] == "warning")
        .filter_map(|d| d["message"].as_str())
        .collect();
    assert_eq!(
        warnings,
        vec!["ClusterRoleBinding app-monitors-read refers to a Role (test-reader); the API server rejects that, so it grants nothing and was skipped"]
    );
}

#[test]
fn the_real_samples_parse_and_residue_records_what_it_finds() {
    check_real_samples(&fixture("real/k8s"));
}

#[test]
fn the_shared_real_samples_give_the_same_result_when_present() {
    let shared = root().join("../shared/real-samples/k8s-rbac");
    if !shared.is_dir() {
        // CI checkouts without /work/shared still run the copy above.
        return;
    }
    let dir = tempfile::tempdir().expect("temporary directory");
    let config = format!(
        "sources:\n  - {{path: {0}/kubehound-test-cluster, format: kubernetes, name: kubehound, cluster: kubehound-test-cluster}}\n  - {{path: {0}/rbac-tool-whocan, format: kubernetes, name: rbac-tool, cluster: whocan}}\n",
        shared.display()
    );
    std::fs::write(dir.path().join("residue.yaml"), config).expect("write residue.yaml");
    check_real_samples(dir.path());
}

#[test]
fn malformed_files_fail_with_a_location_and_never_repeat_a_secret() {
    for (name, location) in [
        ("malformed-secret.yaml", "line 11"),
        ("secret-in-wrong-place.yaml", "line 4"),
        ("secret-bad-indent.yaml", "line 9"),
        ("truncated-secret.json", "line 9"),
        ("secret-wrong-type.json", "line 2"),
        ("wrong-type.yaml", "line 4"),
        ("not-utf8.yaml", "line 3"),
    ] {
        let out = out_dir();
        let o = scan(&fixture(&format!("k8s/{name}")), out.path());
        assert_eq!(code(&o), 2, "{name}: {}", stderr(&o));
        let err = stderr(&o);
        assert!(
            err.contains(&format!("k8s/{name}: {location}")),
            "{name} names the file and {location}: {err}"
        );
        let all = everything(&o, out.path());
        assert!(
            !all.contains(TOKEN) && !all.contains(&TOKEN[..24]) && !all.contains(TOKEN_DECODED),
            "{name}: a Secret's value reached the output:\n{all}"
        );
    }
    let o = residue(&[
        "scan",
        fixture("k8s/wrong-type.yaml").to_str().expect("utf-8"),
        "--now",
        NOW,
        "--out",
        out_dir().path().to_str().expect("utf-8"),
    ]);
    assert!(
        stderr(&o).contains("rules: invalid type: string \"…\", expected a sequence"),
        "{}",
        stderr(&o)
    );
}
