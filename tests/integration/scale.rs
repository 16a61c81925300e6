//! The benchmark generator (`residue generate`, hidden) and a tiny end-to-end run of what
//! scripts/bench-e2e.sh times. The criterion benchmarks run once each under
//! `cargo test --all-targets` (scripts/test.sh).

use crate::support::{code, residue, stderr, stdout};

const NOW: &str = "2026-11-20T09:00:00Z";

fn generate(dir: &std::path::Path, seed: &str) {
    let out = residue(&[
        "generate",
        "--profile",
        "custom",
        "--seed",
        seed,
        "--identities",
        "150",
        "--grant-events",
        "500",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&format!("--now {NOW}")),
        "{}",
        stderr(&out)
    );
}

#[test]
fn generate_is_hidden_from_help() {
    let out = residue(&["--help"]);
    assert_eq!(code(&out), 0);
    assert!(stdout(&out).contains("scan"));
    assert!(!stdout(&out).contains("generate"), "{}", stdout(&out));
}

#[test]
fn generated_organisation_scans_the_same_twice_and_every_rule_family_fires() {
    let dir = tempfile::tempdir().unwrap();
    generate(dir.path(), "5");
    let generic = dir.path().join("generic");
    let mut reports = Vec::new();
    for (n, threads) in ["1", "2"].iter().enumerate() {
        let out_dir = dir.path().join(format!("report-{n}"));
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_residue"))
            .env("RAYON_NUM_THREADS", threads)
            .args([
                "scan",
                generic.to_str().unwrap(),
                "--now",
                NOW,
                "--format",
                "json,csv",
                "-q",
                "--out",
                out_dir.to_str().unwrap(),
            ])
            .output()
            .unwrap();
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        reports.push((
            std::fs::read_to_string(out_dir.join("report.json")).unwrap(),
            std::fs::read_to_string(out_dir.join("report.csv")).unwrap(),
        ));
    }
    assert_eq!(
        reports[0], reports[1],
        "reports differ between 1 and 2 threads"
    );
    let json: serde_json::Value = serde_json::from_str(&reports[0].0).unwrap();
    let findings = json["findings"].as_array().unwrap();
    for family in ["SP", "SC", "RV", "GV"] {
        assert!(
            findings
                .iter()
                .any(|f| f["rule_id"].as_str().unwrap().starts_with(family)),
            "no {family} finding"
        );
    }
}

#[test]
fn a_bad_profile_or_size_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = residue(&[
        "generate",
        "--profile",
        "enormous",
        "--out",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("`enormous` is not a profile"),
        "{}",
        stderr(&out)
    );
    let out = residue(&[
        "generate",
        "--roles",
        "0",
        "--out",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("--roles must be at least 1"),
        "{}",
        stderr(&out)
    );
}
