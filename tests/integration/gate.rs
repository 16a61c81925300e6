//! `residue gate` and `residue diff` end to end, Terraform plans as sources, and the SARIF
//! report checked against the official SARIF 2.1.0 schema (tests/sarif).

use crate::support::*;
use std::fs;
use std::path::Path;
use std::process::Output;

const NOW: &str = "2026-11-20T09:00:00Z";

fn gate_fixture(rel: &str) -> String {
    format!("tests/fixtures/gate/{rel}")
}

fn plan(name: &str) -> String {
    format!("tests/fixtures/terraform/{name}")
}

/// `residue gate --baseline BASE --now NOW --out OUT ARGS…`
fn gate(base: &Path, out: &Path, now: &str, args: &[&str]) -> Output {
    let mut full = vec![
        "gate",
        "--baseline",
        base.to_str().unwrap(),
        "--now",
        now,
        "--out",
        out.to_str().unwrap(),
    ];
    full.extend_from_slice(args);
    residue(&full)
}

/// Takes a baseline of `args` at `now` into `dir/baseline.json`.
fn baseline(dir: &Path, now: &str, args: &[&str]) -> std::path::PathBuf {
    let base = dir.join("baseline.json");
    let mut full = vec!["--update-baseline"];
    full.extend_from_slice(args);
    let o = gate(&base, &dir.join("first"), now, &full);
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("baseline updated"), "{}", stdout(&o));
    base
}

fn json(path: &Path) -> serde_json::Value {
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

#[test]
fn a_new_standing_admin_fails_the_gate_and_is_named() {
    let dir = out_dir();
    let base = baseline(dir.path(), NOW, &[&gate_fixture("base/inventory.yaml")]);
    let out = dir.path().join("added");
    let o = gate(&base, &out, NOW, &[&gate_fixture("added/inventory.yaml")]);
    let text = stdout(&o);
    assert_eq!(code(&o), 1, "{text}{}", stderr(&o));
    assert!(
        text.starts_with("gate FAILED: 2 new (2 failing on `new`), 0 fixed, 3 still present"),
        "{text}"
    );
    assert!(
        text.contains("NEW!  high     SP001 carol@acme.example -> prod-admin"),
        "{text}"
    );
    assert!(text.contains("exit code 1"), "{text}");
    let g = json(&out.join("gate.json"));
    assert_eq!(g["passed"], false);
    assert_eq!(g["new"][0]["subject"], "carol@acme.example");
    assert_eq!(g["new"][0]["fails"], true);
    assert!(fs::read_to_string(out.join("gate.md"))
        .unwrap()
        .starts_with("# residue gate: FAILED"));
    assert!(out.join("report.json").is_file());

    // Only new findings at or above the threshold fail.
    let o = gate(
        &base,
        &out,
        NOW,
        &[
            "--fail-on",
            "critical",
            &gate_fixture("added/inventory.yaml"),
        ],
    );
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    assert!(stdout(&o).starts_with("gate passed: 2 new (0 failing on `critical`)"));
}

#[test]
fn rewording_and_reordering_pass() {
    let dir = out_dir();
    let base = baseline(dir.path(), NOW, &[&gate_fixture("base/inventory.yaml")]);
    // Same facts, renamed and reordered, audited ten days later (messages and ages change).
    let o = gate(
        &base,
        &dir.path().join("again"),
        "2026-11-30T09:00:00Z",
        &[&gate_fixture("reworded/inventory.yaml")],
    );
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    assert!(
        stdout(&o).starts_with("gate passed: 0 new (0 failing on `new`), 0 fixed, 3 still present"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn a_fixed_finding_is_shown_as_fixed() {
    let dir = out_dir();
    let base = baseline(dir.path(), NOW, &[&gate_fixture("base/inventory.yaml")]);
    let out = dir.path().join("fixed");
    let o = gate(&base, &out, NOW, &[&gate_fixture("fixed/inventory.yaml")]);
    let text = stdout(&o);
    assert_eq!(code(&o), 0, "{text}{}", stderr(&o));
    assert!(text.contains("2 fixed"), "{text}");
    assert!(
        text.contains("fixed high     SP001 alice@acme.example -> prod-admin"),
        "{text}"
    );
    let g = json(&out.join("gate.json"));
    let fixed: Vec<&str> = g["fixed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule_id"].as_str().unwrap())
        .collect();
    assert_eq!(fixed, ["SP001", "SP003"]);
}

#[test]
fn an_expired_suppression_is_reported_and_stops_suppressing() {
    let dir = out_dir();
    let config = gate_fixture("suppressed/residue.yaml");
    let base = baseline(dir.path(), NOW, &["--config", &config]);
    let b = json(&base);
    assert_eq!(
        b["suppressed"][0]["finding"]["subject"],
        "alice@acme.example"
    );

    // While the suppression holds, the suppressed finding never fails the gate.
    let o = gate(
        &base,
        &dir.path().join("during"),
        NOW,
        &["--config", &config],
    );
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    assert!(stdout(&o).contains("1 suppressed"), "{}", stdout(&o));

    // After 25 November it no longer suppresses: the finding is new again, and the note says why.
    let o = gate(
        &base,
        &dir.path().join("after"),
        "2026-12-01T09:00:00Z",
        &["--config", &config],
    );
    let text = stdout(&o);
    assert_eq!(code(&o), 1, "{text}{}", stderr(&o));
    assert!(
        text.contains("NEW!  high     SP001 alice@acme.example -> prod-admin"),
        "{text}"
    );
    assert!(
        text.contains("suppression expired on 2026-11-25 and no longer suppresses (reported again: SP001 alice@acme.example)"),
        "{text}"
    );
    let g = json(&dir.path().join("after/gate.json"));
    assert_eq!(g["summary"]["suppressed"], 0);
    assert_eq!(g["suppression_notes"].as_array().unwrap().len(), 1);
}

#[test]
fn a_terraform_plan_adding_administrator_access_fails_and_read_only_passes() {
    let dir = out_dir();
    let base = baseline(dir.path(), NOW, &[&gate_fixture("base/inventory.yaml")]);
    let out = dir.path().join("admin");
    let o = gate(
        &base,
        &out,
        NOW,
        &[
            "--fail-on",
            "high",
            "--format",
            "json,sarif",
            &gate_fixture("base/inventory.yaml"),
            &plan("admin-role.plan.json"),
        ],
    );
    let text = stdout(&o);
    assert_eq!(code(&o), 1, "{text}{}", stderr(&o));
    assert!(
        text.contains(
            "NEW!  high     SP001 arn:aws:iam::111122223333:user/ci-deployer -> terraform:aws_iam_role.deploy_admin (tests/fixtures/terraform/admin-role.plan.json:38)"
        ),
        "{text}"
    );
    // The SARIF result is located in the plan, at the role's resource change.
    let sarif = json(&out.join("report.sarif"));
    let result = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| {
            r["ruleId"] == "SP001"
                && r["properties"]["subject"] == "arn:aws:iam::111122223333:user/ci-deployer"
        })
        .expect("the plan's SP001 result")
        .clone();
    let loc = &result["locations"][0]["physicalLocation"];
    assert_eq!(
        loc["artifactLocation"]["uri"],
        "tests/fixtures/terraform/admin-role.plan.json"
    );
    assert_eq!(loc["region"]["startLine"], 38);

    let o = gate(
        &base,
        &dir.path().join("readonly"),
        NOW,
        &[
            &gate_fixture("base/inventory.yaml"),
            &plan("readonly-role.plan.json"),
        ],
    );
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    assert!(
        stdout(&o).starts_with("gate passed: 0 new"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn bad_baselines_and_thresholds_are_usage_errors() {
    let dir = out_dir();
    let bad = dir.path().join("bad.json");
    fs::write(
        &bad,
        r#"{"schema_version": 1, "findings": [{"rule_id": "SP001", "severity": "high", "subject": "a"}]}"#,
    )
    .unwrap();
    let o = gate(
        &bad,
        &dir.path().join("o"),
        NOW,
        &[&gate_fixture("base/inventory.yaml")],
    );
    assert_eq!(code(&o), 2);
    let err = stderr(&o);
    assert!(
        err.contains(&format!(
            "{}: /findings/0/fingerprint: missing; every baseline finding needs `fingerprint`",
            bad.display()
        )),
        "{err}"
    );

    let missing = dir.path().join("none.json");
    let o = gate(
        &missing,
        &dir.path().join("o"),
        NOW,
        &[&gate_fixture("base/inventory.yaml")],
    );
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("no such baseline"), "{}", stderr(&o));

    let o = gate(
        &missing,
        &dir.path().join("o"),
        NOW,
        &["--fail-on", "urgent", &gate_fixture("base/inventory.yaml")],
    );
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("expected `new` or a severity"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn gate_reports_are_byte_identical_across_runs_and_thread_counts() {
    let dir = out_dir();
    let base = baseline(dir.path(), NOW, &[&gate_fixture("base/inventory.yaml")]);
    let mut outputs = Vec::new();
    for threads in ["1", "4"] {
        let out = dir.path().join(format!("t{threads}"));
        let o = assert_cmd::Command::cargo_bin("residue")
            .unwrap()
            .current_dir(root())
            .env("RAYON_NUM_THREADS", threads)
            .args([
                "gate",
                "--baseline",
                base.to_str().unwrap(),
                "--now",
                NOW,
                "--out",
                out.to_str().unwrap(),
                "--format",
                "json,sarif",
                &gate_fixture("added/inventory.yaml"),
                &plan("mixed.plan.json"),
            ])
            .output()
            .unwrap();
        assert_eq!(code(&o), 1, "{}", stderr(&o));
        outputs.push(
            ["gate.json", "gate.md", "report.sarif"]
                .map(|f| fs::read_to_string(out.join(f)).unwrap()),
        );
    }
    assert_eq!(outputs[0], outputs[1]);
}

#[test]
fn diff_reports_new_and_fixed_standing_admins() {
    let dir = out_dir();
    let old = baseline(dir.path(), NOW, &[&gate_fixture("fixed/inventory.yaml")]);
    let new = dir.path().join("new.json");
    let o = residue(&[
        "scan",
        &gate_fixture("added/inventory.yaml"),
        "--now",
        NOW,
        "--format",
        "json",
        "--out",
        dir.path().join("scan").to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    fs::copy(dir.path().join("scan/report.json"), &new).unwrap();
    let out = dir.path().join("diff");
    let o = residue(&[
        "diff",
        old.to_str().unwrap(),
        new.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let text = stdout(&o);
    assert!(
        text.starts_with("4 new, 0 fixed, 1 still present"),
        "{text}"
    );
    assert!(
        text.contains("new standing admin: alice@acme.example -> prod-admin"),
        "{text}"
    );
    assert!(
        text.contains("new standing admin: carol@acme.example -> prod-admin"),
        "{text}"
    );
    let d = json(&out.join("diff.json"));
    assert_eq!(
        d["highlights"]["new_standing_admins"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let md = fs::read_to_string(out.join("diff.md")).unwrap();
    let md = md
        .replace(old.to_str().unwrap(), "[OLD]")
        .replace(new.to_str().unwrap(), "[NEW]");
    insta::assert_snapshot!("diff_md", md);

    // Reversed: the standing admins are fixed.
    let o = residue(&[
        "diff",
        new.to_str().unwrap(),
        old.to_str().unwrap(),
        "--format",
        "json",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 0);
    assert!(stdout(&o).contains("standing admin removed: carol@acme.example"));

    let o = residue(&[
        "diff",
        new.to_str().unwrap(),
        "tests/fixtures/gate/base/inventory.yaml",
    ]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o)
            .contains("tests/fixtures/gate/base/inventory.yaml: line 1, column 1: not valid JSON"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn gate_markdown_snapshot() {
    let dir = out_dir();
    let base = baseline(dir.path(), NOW, &[&gate_fixture("base/inventory.yaml")]);
    let out = dir.path().join("o");
    let o = gate(
        &base,
        &out,
        NOW,
        &[
            &gate_fixture("fixed/inventory.yaml"),
            &plan("admin-role.plan.json"),
        ],
    );
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let md = fs::read_to_string(out.join("gate.md"))
        .unwrap()
        .replace(base.to_str().unwrap(), "[BASELINE]");
    insta::assert_snapshot!("gate_md", md);
}

fn sarif_validator() -> jsonschema::Validator {
    let schema = json(&root().join("tests/sarif/sarif-schema-2.1.0.json"));
    jsonschema::draft4::new(&schema).expect("the SARIF schema compiles")
}

fn assert_valid_sarif(path: &Path) {
    let instance = json(path);
    let errors: Vec<String> = sarif_validator()
        .iter_errors(&instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{}:\n{}",
        path.display(),
        errors.join("\n")
    );
}

#[test]
fn sarif_reports_validate_against_the_official_schema() {
    let dir = out_dir();
    // The sample organisation (every rule family, a suppression, diagnostics) and a plan.
    for (name, args) in [
        ("acme", vec!["sample-data/acme"]),
        ("plan", vec!["tests/fixtures/terraform/mixed.plan.json"]),
    ] {
        let out = dir.path().join(name);
        let mut full = vec!["scan"];
        full.extend(args);
        full.extend([
            "--now",
            NOW,
            "--format",
            "sarif",
            "--out",
            out.to_str().unwrap(),
        ]);
        let o = residue(&full);
        assert!(code(&o) == 0 || code(&o) == 1, "{}", stderr(&o));
        let sarif = out.join("report.sarif");
        assert_valid_sarif(&sarif);
        let v = json(&sarif);
        assert_eq!(v["version"], "2.1.0");
        assert!(!v["runs"][0]["results"].as_array().unwrap().is_empty());
    }
    // A log that breaks the schema is caught: the validator is really checking.
    let broken = dir.path().join("broken.sarif");
    let mut v = json(&dir.path().join("acme/report.sarif"));
    v["runs"][0]["results"][0]["level"] = "fatal".into();
    fs::write(&broken, v.to_string()).unwrap();
    assert!(!sarif_validator().is_valid(&json(&broken)));
}
