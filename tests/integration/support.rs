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
    let mut keys: Vec<_> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["rule_id"].as_str().unwrap_or_default().to_string(),
                f["subject"].as_str().unwrap_or_default().to_string(),
                f["entitlement"].as_str().map(str::to_string),
            )
        })
        .collect();
    keys.sort();
    keys
}
