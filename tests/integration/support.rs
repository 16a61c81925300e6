//! Helpers shared by the integration tests.

use std::path::{Path, PathBuf};
use std::process::Output;

/// The repository root (where Cargo.toml is).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A fixture path under tests/fixtures.
pub fn fixture(rel: &str) -> PathBuf {
    root().join("tests/fixtures").join(rel)
}

/// Runs `residue` with `args` from the repository root (so relative paths in reports are
/// stable), returning its output.
pub fn residue(args: &[&str]) -> Output {
    residue_in(&root(), args)
}

pub fn residue_in(dir: &Path, args: &[&str]) -> Output {
    assert_cmd::Command::cargo_bin("residue")
        .expect("the residue binary is built")
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .args(args)
        .output()
        .expect("residue runs")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn code(o: &Output) -> i32 {
    o.status.code().expect("exited normally, not by a signal")
}

/// A fresh temporary directory for reports.
pub fn out_dir() -> tempfile::TempDir {
    tempfile::tempdir().expect("temporary directory")
}

/// (rule, subject, entitlement) of every finding in `out/report.json`, sorted.
pub fn finding_keys(out: &Path) -> Vec<(String, String, Option<String>)> {
    let text = std::fs::read_to_string(out.join("report.json")).expect("report.json");
    let report: serde_json::Value = serde_json::from_str(&text).expect("report.json is JSON");
    report_keys(&report)
}

/// (rule, subject, entitlement) of every finding of a JSON report, sorted.
pub fn report_keys(report: &serde_json::Value) -> Vec<(String, String, Option<String>)> {
    let mut keys: Vec<_> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["rule_id"].as_str().expect("rule_id").to_string(),
                f["subject"].as_str().expect("subject").to_string(),
                f["entitlement"].as_str().map(str::to_string),
            )
        })
        .collect();
    keys.sort();
    keys
}

/// The sample organisation every README command points at, and its pinned audit time.
pub const ACME: &str = "sample-data/acme";
pub const ACME_NOW: &str = "2026-11-20T09:00:00Z";

/// Runs `residue COMMAND sample-data/acme --now … --out OUT EXTRA…` from the repository
/// root with `threads` rayon threads.
pub fn run_on_acme(command: &str, out: &Path, extra: &[&str], threads: &str) -> Output {
    let mut args = vec![
        command,
        ACME,
        "--now",
        ACME_NOW,
        "--out",
        out.to_str().expect("utf-8 temp path"),
    ];
    args.extend_from_slice(extra);
    assert_cmd::Command::cargo_bin("residue")
        .expect("the residue binary is built")
        .current_dir(root())
        .env("NO_COLOR", "1")
        .env("RAYON_NUM_THREADS", threads)
        .args(&args)
        .output()
        .expect("residue runs")
}

/// A report or inventory file the run wrote.
pub fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// (rule id, subject) of every finding of a JSON report, in report order.
pub fn rule_subject_pairs(report: &serde_json::Value) -> Vec<(String, String)> {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["rule_id"].as_str().unwrap_or_default().to_string(),
                f["subject"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}
