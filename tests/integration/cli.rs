//! The binary's contract: commands, exit codes, errors on bad input, determinism, secrets.

use crate::support::*;
use std::fs;

const NOW: &str = "2026-11-20T09:00:00Z";
/// Every rule id in the catalog (rules/<family>/<ID>-<name>.yaml).
fn catalog_ids() -> Vec<String> {
    let mut ids = Vec::new();
    for family in fs::read_dir(root().join("rules")).unwrap() {
        let family = family.unwrap().path();
        if !family.is_dir() || family.ends_with("frameworks") {
            continue;
        }
        for f in fs::read_dir(&family).unwrap() {
            let name = f.unwrap().file_name().to_string_lossy().to_string();
            if name.ends_with(".yaml") {
                ids.push(name.split('-').next().unwrap().to_string());
            }
        }
    }
    ids.sort();
    ids
}

fn scan_to(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    let mut full = vec!["scan"];
    full.extend_from_slice(args);
    full.extend_from_slice(&["--now", NOW, "--out", dir.to_str().unwrap()]);
    residue(&full)
}

fn read(dir: &std::path::Path, name: &str) -> String {
    fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn rules_list_names_every_rule() {
    let o = residue(&["rules", "list"]);
    assert_eq!(code(&o), 0);
    let out = stdout(&o);
    let ids = catalog_ids();
    assert!(ids.len() >= 12, "{ids:?}");
    for id in &ids {
        assert!(out.contains(id.as_str()), "{id} missing from:\n{out}");
    }
    let json: serde_json::Value =
        serde_json::from_slice(&residue(&["rules", "list", "--format", "json"]).stdout).unwrap();
    assert_eq!(json.as_array().unwrap().len(), ids.len());
}

#[test]
fn rules_explain_prints_the_four_part_docs() {
    let o = residue(&["rules", "explain", "sp002"]);
    assert_eq!(code(&o), 0);
    let out = stdout(&o);
    for part in [
        "# SP002",
        "## What it flags",
        "## Why it matters",
        "## How to fix",
        "## Examples",
        "near-miss",
    ] {
        assert!(out.contains(part), "{part} missing from:\n{out}");
    }
    let o = residue(&["rules", "explain", "XX999"]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("unknown rule id `XX999`"));
}

#[test]
fn readme_rules_table_is_current() {
    let readme = fs::read_to_string(root().join("README.md")).unwrap();
    let start = "<!-- rules-table:start -->\n";
    let end = "<!-- rules-table:end -->";
    let a = readme
        .find(start)
        .expect("README has the rules table start marker")
        + start.len();
    let b = readme
        .find(end)
        .expect("README has the rules table end marker");
    let expected = stdout(&residue(&["rules", "list", "--format", "markdown"]));
    assert_eq!(
        &readme[a..b],
        expected,
        "README rules table is stale: paste `residue rules list --format markdown`"
    );
}

#[test]
fn small_org_reports_match_snapshots() {
    let out = out_dir();
    let o = scan_to(out.path(), &["tests/fixtures/small-org"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    insta::assert_snapshot!("small_org_json", read(out.path(), "report.json"));
    insta::assert_snapshot!("small_org_csv", read(out.path(), "report.csv"));
    insta::assert_snapshot!("small_org_md", read(out.path(), "report.md"));
}

#[test]
fn fail_on_threshold_sets_exit_code_1() {
    let out = out_dir();
    let o = scan_to(
        out.path(),
        &["tests/fixtures/small-org", "--fail-on", "high"],
    );
    assert_eq!(code(&o), 1, "{}", stdout(&o));
    let o = scan_to(
        out.path(),
        &["tests/fixtures/small-org", "--fail-on", "critical"],
    );
    assert_eq!(code(&o), 0);
}

#[test]
fn reports_are_byte_identical_across_runs_and_thread_counts() {
    let mut outputs = Vec::new();
    for threads in ["1", "2", "2"] {
        let out = out_dir();
        let o = assert_cmd::Command::cargo_bin("residue")
            .unwrap()
            .current_dir(root())
            .env("RAYON_NUM_THREADS", threads)
            .args([
                "scan",
                "tests/fixtures/small-org",
                "--now",
                NOW,
                "--out",
                out.path().to_str().unwrap(),
            ])
            .output()
            .unwrap();
        assert_eq!(code(&o), 0);
        outputs.push((
            read(out.path(), "report.json"),
            read(out.path(), "report.csv"),
            read(out.path(), "report.md"),
        ));
    }
    assert_eq!(outputs[0], outputs[1]);
    assert_eq!(outputs[1], outputs[2]);
}

#[test]
fn files_named_on_the_command_line_are_recognised_by_content() {
    let out = out_dir();
    let o = scan_to(
        out.path(),
        &[
            "tests/fixtures/small-org/inventory.yaml",
            "tests/fixtures/small-org/grants.jsonl",
        ],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("recognised tests/fixtures/small-org/inventory.yaml as generic-inventory"),
        "{err}"
    );
    assert!(
        err.contains("recognised tests/fixtures/small-org/grants.jsonl as grant-log-jsonl"),
        "{err}"
    );
}

#[test]
fn a_directory_with_an_unrecognised_file_is_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    fs::copy(
        root().join("tests/fixtures/small-org/inventory.yaml"),
        dir.path().join("inventory.yaml"),
    )
    .unwrap();
    fs::write(dir.path().join("notes.txt"), "just some words\n").unwrap();
    let out = out_dir();
    let o = scan_to(out.path(), &[dir.path().to_str().unwrap()]);
    assert_eq!(code(&o), 2);
    let err = stderr(&o);
    assert!(
        err.contains("notes.txt: not a format residue recognises"),
        "{err}"
    );
}

/// Every malformed input is a clear error (file, place, expectation), exit code 2, no panic.
#[test]
fn bad_input_is_a_clear_error_with_exit_code_2() {
    let cases: &[(&str, &[&str])] = &[
        ("generic/malformed.yaml", &["malformed.yaml:", "line"]),
        ("generic/malformed.json", &["malformed.json:", "line"]),
        (
            "generic/unknown-field.yaml",
            &["unknown-field.yaml:", "unknown field"],
        ),
        ("generic/wrong-type.yaml", &["wrong-type.yaml:", "expected"]),
        ("generic/truncated.json", &["truncated.json:", "line"]),
        ("generic/empty.yaml", &["empty.yaml", "empty"]),
        ("generic/bad-grants.csv", &["bad-grants.csv:", "line"]),
        ("generic/bad-grants.jsonl", &["bad-grants.jsonl:", "line"]),
        (
            "generic/duplicate-conflict.yaml",
            &[
                "duplicate-conflict.yaml:",
                "defined again with different content",
            ],
        ),
    ];
    for (file, needles) in cases {
        let path = fixture(file);
        let out = out_dir();
        let o = scan_to(out.path(), &[path.to_str().unwrap()]);
        let err = stderr(&o);
        assert_eq!(code(&o), 2, "{file}: {err}");
        assert!(!err.contains("panicked"), "{file}: {err}");
        for n in *needles {
            assert!(err.contains(n), "{file}: expected `{n}` in:\n{err}");
        }
        assert!(
            !out.path().join("report.json").exists(),
            "{file}: no report for unreadable input"
        );
    }
}

#[test]
fn missing_file_unknown_rule_and_bad_now_are_usage_errors() {
    let out = out_dir();
    let o = scan_to(out.path(), &["tests/fixtures/does-not-exist.yaml"]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("does-not-exist.yaml"), "{}", stderr(&o));

    let dir = tempfile::tempdir().unwrap();
    fs::copy(
        root().join("tests/fixtures/small-org/inventory.yaml"),
        dir.path().join("inventory.yaml"),
    )
    .unwrap();
    fs::write(
        dir.path().join("residue.yaml"),
        "sources: [inventory.yaml]\nrules:\n  SP404: {enabled: false}\n",
    )
    .unwrap();
    let o = scan_to(out.path(), &[dir.path().to_str().unwrap()]);
    assert_eq!(code(&o), 2);
    let err = stderr(&o);
    assert!(
        err.contains("residue.yaml:3: unknown rule id `SP404`"),
        "{err}"
    );

    let o = residue(&["scan", "tests/fixtures/small-org", "--now", "last tuesday"]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("--now"), "{}", stderr(&o));

    let o = residue(&["scan", "tests/fixtures/small-org", "--fail-on", "severe"]);
    assert_eq!(code(&o), 2);
}

#[test]
fn grant_logs_out_of_order_and_duplicated_give_the_same_findings() {
    let dir = tempfile::tempdir().unwrap();
    let src = root().join("tests/fixtures/small-org");
    fs::copy(
        src.join("inventory.yaml"),
        dir.path().join("inventory.yaml"),
    )
    .unwrap();
    let lines: Vec<String> = fs::read_to_string(src.join("grants.jsonl"))
        .unwrap()
        .lines()
        .map(String::from)
        .collect();
    let shuffled = [
        lines[2].clone(),
        lines[0].clone(),
        lines[1].clone(),
        lines[2].clone(),
        lines[0].clone(),
    ]
    .join("\n");
    fs::write(dir.path().join("grants.jsonl"), shuffled + "\n").unwrap();

    let fingerprints = |o: &std::path::Path| -> Vec<(String, String)> {
        let v: serde_json::Value = serde_json::from_str(&read(o, "report.json")).unwrap();
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["rule_id"].as_str().unwrap().into(),
                    f["fingerprint"].as_str().unwrap().into(),
                )
            })
            .collect()
    };
    let a = out_dir();
    let b = out_dir();
    assert_eq!(
        code(&scan_to(
            a.path(),
            &[
                "tests/fixtures/small-org/inventory.yaml",
                "tests/fixtures/small-org/grants.jsonl"
            ]
        )),
        0
    );
    let o = scan_to(
        b.path(),
        &[
            dir.path().join("inventory.yaml").to_str().unwrap(),
            dir.path().join("grants.jsonl").to_str().unwrap(),
        ],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(fingerprints(a.path()), fingerprints(b.path()));
    assert!(fingerprints(a.path()).iter().any(|(r, _)| r == "GV001"));
}

/// A canary secret value planted in extension fields and an ignored CSV column appears in no
/// output: not stdout, not stderr, not any report — and not in errors about malformed input.
#[test]
fn planted_secret_values_never_reach_any_output() {
    const CANARY: &str = "CANARY-9f3b-residue-secret-value";
    let out = out_dir();
    let o = scan_to(
        out.path(),
        &[
            "tests/fixtures/secrets/inventory.yaml",
            "tests/fixtures/secrets/grants.csv",
        ],
    );
    assert!(code(&o) == 0, "{}", stderr(&o));
    let mut seen = vec![stdout(&o), stderr(&o)];
    for f in ["report.json", "report.csv", "report.md"] {
        seen.push(read(out.path(), f));
    }
    assert!(
        seen[2].contains("svc-canary"),
        "the scan did read the fixture"
    );
    for text in &seen {
        assert!(!text.contains(CANARY), "canary leaked:\n{text}");
    }

    // Malformed around the canary: the error must still not quote it.
    let dir = tempfile::tempdir().unwrap();
    let broken = fs::read_to_string(fixture("secrets/inventory.yaml"))
        .unwrap()
        .replace("kind: token", "kind: [token");
    fs::write(dir.path().join("inventory.yaml"), broken).unwrap();
    let o = scan_to(
        out.path(),
        &[dir.path().join("inventory.yaml").to_str().unwrap()],
    );
    assert_eq!(code(&o), 2);
    assert!(
        !stderr(&o).contains(CANARY) && !stdout(&o).contains(CANARY),
        "{}",
        stderr(&o)
    );
}

/// A directory scan that meets a file it cannot read audits the rest, says exactly what is
/// missing, and exits 3 — unless `--allow-partial`, when every report states the gap.
#[test]
fn an_unreadable_file_in_a_scanned_directory_makes_the_audit_incomplete() {
    let dir = tempfile::tempdir().unwrap();
    fs::copy(
        root().join("tests/fixtures/small-org/inventory.yaml"),
        dir.path().join("inventory.yaml"),
    )
    .unwrap();
    std::os::unix::fs::symlink(
        "/nonexistent/residue-export.json",
        dir.path().join("lost.json"),
    )
    .unwrap();
    // A link back to the directory itself: a loop the scan must not follow forever.
    std::os::unix::fs::symlink(dir.path(), dir.path().join("loop")).unwrap();
    let out = out_dir();
    let o = scan_to(out.path(), &[dir.path().to_str().unwrap()]);
    let err = stderr(&o);
    assert_eq!(code(&o), 3, "{err}");
    assert!(
        err.contains("INCOMPLETE") && err.contains("lost.json: not read"),
        "{err}"
    );

    let o = scan_to(
        out.path(),
        &[dir.path().to_str().unwrap(), "--allow-partial"],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let report: serde_json::Value = serde_json::from_str(&read(out.path(), "report.json")).unwrap();
    assert_eq!(report["coverage"]["complete"], false);
    assert!(report["coverage"]["gaps"][0]
        .as_str()
        .unwrap()
        .contains("lost.json"));
    assert!(read(out.path(), "report.md").contains("lost.json"));
    assert!(
        report["findings"].as_array().is_some_and(|f| !f.is_empty()),
        "the rest was audited"
    );
}

#[test]
fn residue_timings_prints_every_phase_with_time_and_memory() {
    let dir = tempfile::tempdir().unwrap();
    let out = assert_cmd::Command::cargo_bin("residue")
        .unwrap()
        .current_dir(root())
        .env("RESIDUE_TIMINGS", "1")
        .args([
            "scan", ACME, "--now", NOW, "--format", "json", "-q", "--out",
        ])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(out.status.code().is_some_and(|c| c <= 1), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    for phase in [
        "reading sources",
        "checking the inventory",
        "reconstructing grants",
        "building the graph and indexing records",
        "evaluating rules",
        "writing reports",
    ] {
        let line = stderr
            .lines()
            .find(|l| l.starts_with(&format!("timing: {phase}: ")))
            .unwrap_or_else(|| panic!("no timing for {phase} in:\n{stderr}"));
        assert!(line.contains(" s, cpu ") && line.contains(" MiB"), "{line}");
    }
    // Without the variable, a quiet scan prints nothing.
    let quiet = scan_to(dir.path(), &[ACME, "--format", "json", "-q"]);
    assert!(!String::from_utf8_lossy(&quiet.stderr).contains("timing:"));
}
