//! The ACME sample organisation (sample-data/acme): residue reports exactly the findings its
//! README lists, every rule fires, and the reports are deterministic.

use crate::support::*;
use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

const NOW: &str = ACME_NOW;
const ORG: &str = ACME;

/// Every rule of the catalog (`rules/<family>/<ID>-<name>.yaml`); the test below checks
/// that this list and the catalog agree, so a new rule must get a planted case here.
const ALL_RULES: [&str; 21] = [
    "GV001", "GV002", "GV003", "GV004", "GV005", "GV006", "GV007", "RV001", "RV002", "RV003",
    "RV004", "SC001", "SC002", "SC003", "SC004", "SP001", "SP002", "SP003", "SP004", "SP005",
    "SP006",
];

/// The one finding `suppressions.yaml` accepts: reported, but in `suppressed`.
const EXPECTED_SUPPRESSED: [(&str, &str, Option<&str>); 1] = [("SC001", "reporting-etl", None)];

type Key = (String, String, Option<String>);

fn key((rule, subject, entitlement): &(&str, &str, Option<&str>)) -> Key {
    (
        rule.to_string(),
        subject.to_string(),
        entitlement.map(str::to_string),
    )
}

/// Every finding residue reports for ACME, sorted: the rows of every README table marked
/// `<!-- expected-findings… -->` (one table per source family: the generic inventory and
/// grant logs, and each connector's part of the organisation).
fn expected() -> Vec<Key> {
    let readme =
        fs::read_to_string(root().join(ORG).join("README.md")).expect("sample-data/acme/README.md");
    let mut keys = Vec::new();
    for marker in expected_markers(&readme) {
        keys.extend(readme_table(&readme, &marker));
    }
    keys.sort();
    keys
}

/// The names of every `<!-- expected-findings…:start -->` marker in the README.
fn expected_markers(readme: &str) -> Vec<String> {
    readme
        .match_indices("<!-- expected-findings")
        .filter_map(|(i, _)| {
            let rest = &readme[i + "<!-- ".len()..];
            let name = rest.split(':').next()?;
            rest[name.len()..]
                .starts_with(":start")
                .then(|| name.to_string())
        })
        .collect()
}

fn report(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&read(dir, "report.json")).expect("report.json is JSON")
}

fn finding_key(f: &serde_json::Value) -> Key {
    (
        f["rule_id"].as_str().expect("rule_id").to_string(),
        f["subject"].as_str().expect("subject").to_string(),
        f.get("entitlement")
            .and_then(|e| e.as_str())
            .map(str::to_string),
    )
}

fn sorted_keys<'a>(findings: impl IntoIterator<Item = &'a serde_json::Value>) -> Vec<Key> {
    let mut keys: Vec<Key> = findings.into_iter().map(finding_key).collect();
    keys.sort();
    keys
}

/// Lists keys present on one side only, so a failure says exactly what changed.
fn difference(actual: &[Key], expected: &[Key], actual_is: &str) -> String {
    let a: BTreeSet<&Key> = actual.iter().collect();
    let e: BTreeSet<&Key> = expected.iter().collect();
    let unexpected: Vec<_> = a.difference(&e).collect();
    let missing: Vec<_> = e.difference(&a).collect();
    format!("{actual_is} but not in the README tables: {unexpected:#?}\nin the README tables but not {actual_is}: {missing:#?}")
}

#[test]
fn expected_list_is_sorted_unique_and_covers_every_rule() {
    let keys = expected();
    let mut sorted = keys.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(
        keys, sorted,
        "the expected findings must be free of duplicates"
    );
    for rule in ALL_RULES {
        assert!(
            keys.iter().any(|(r, _, _)| r == rule),
            "{rule} has no planted case in the README tables"
        );
    }
    let mut catalog = Vec::new();
    for family in ["gv", "rv", "sc", "sp"] {
        for entry in fs::read_dir(root().join("rules").join(family)).expect("rules/<family>") {
            let name = entry
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .into_owned();
            if let Some((id, _)) = name.split_once('-') {
                catalog.push(id.to_string());
            }
        }
    }
    catalog.sort();
    assert_eq!(
        catalog, ALL_RULES,
        "ALL_RULES must list every rule in rules/"
    );
}

#[test]
fn acme_reports_exactly_the_expected_findings() {
    let out = out_dir();
    let o = run_on_acme("scan", out.path(), &[], "4");
    assert_eq!(
        code(&o),
        0,
        "stdout:\n{}\nstderr:\n{}",
        stdout(&o),
        stderr(&o)
    );
    let r = report(out.path());

    let findings = r["findings"].as_array().expect("findings array");
    let actual = sorted_keys(findings);
    assert_eq!(
        actual,
        expected(),
        "{}",
        difference(&actual, &expected(), "reported")
    );

    let fired: BTreeSet<&str> = findings
        .iter()
        .filter_map(|f| f["rule_id"].as_str())
        .collect();
    for rule in ALL_RULES {
        assert!(
            fired.contains(rule),
            "{rule} did not fire on the sample organisation"
        );
    }

    let suppressed: Vec<Key> = {
        let mut v: Vec<Key> = r["suppressed"]
            .as_array()
            .expect("suppressed array")
            .iter()
            .map(|s| finding_key(&s["finding"]))
            .collect();
        v.sort();
        v
    };
    let expected_suppressed: Vec<Key> = EXPECTED_SUPPRESSED.iter().map(key).collect();
    assert_eq!(suppressed, expected_suppressed);
    assert!(
        r["suppression_notes"]
            .as_array()
            .is_none_or(|n| n.is_empty()),
        "the suppression is current and matches: no notes expected, got {}",
        r["suppression_notes"]
    );

    assert_eq!(
        r["coverage"]["complete"],
        serde_json::Value::Bool(true),
        "coverage: {}",
        r["coverage"]
    );
    assert_eq!(
        r["summary"]["findings"].as_u64(),
        Some(expected().len() as u64)
    );
    assert_eq!(
        r["summary"]["suppressed"].as_u64(),
        Some(EXPECTED_SUPPRESSED.len() as u64)
    );
    assert_eq!(r["audit_time"].as_str(), Some(NOW));

    // Messy logs (duplicated and out-of-order lines, local-time offsets) are normal input,
    // not problems with it.
    let warnings: Vec<&serde_json::Value> = r["diagnostics"]
        .as_array()
        .map(|d| d.iter().filter(|x| x["level"] == "warning").collect())
        .unwrap_or_default();
    assert!(
        warnings.is_empty(),
        "unexpected input warnings: {warnings:#?}"
    );

    // Every finding carries what a reader needs to check it without residue.
    for f in findings {
        let k = finding_key(f);
        assert!(
            !f["message"].as_str().unwrap_or("").is_empty(),
            "{k:?}: empty message"
        );
        assert!(
            !f["fingerprint"].as_str().unwrap_or("").is_empty(),
            "{k:?}: no fingerprint"
        );
        let evidence = &f["evidence"];
        assert!(
            evidence["sources"]
                .as_array()
                .is_some_and(|s| !s.is_empty()),
            "{k:?}: no source records in the evidence"
        );
        match k.0.as_str() {
            "SP001" | "SP002" | "SP003" => {
                let hops = evidence["path"]["hops"].as_array();
                assert!(
                    hops.is_some_and(|h| !h.is_empty()),
                    "{k:?}: no path evidence"
                );
            }
            "RV001" | "RV002" | "GV001" | "GV002" | "GV003" | "GV005" | "GV006" | "SP006" => {
                assert!(
                    evidence["grant"]["id"].is_string(),
                    "{k:?}: no grant evidence"
                );
            }
            _ => {}
        }
    }
    let fingerprints: BTreeSet<&str> = findings
        .iter()
        .filter_map(|f| f["fingerprint"].as_str())
        .collect();
    assert_eq!(
        fingerprints.len(),
        findings.len(),
        "fingerprints must be unique"
    );
}

#[test]
fn acme_fails_the_gate_at_high() {
    let out = out_dir();
    let o = run_on_acme("scan", out.path(), &["--fail-on", "high"], "4");
    assert_eq!(
        code(&o),
        1,
        "stdout:\n{}\nstderr:\n{}",
        stdout(&o),
        stderr(&o)
    );
    let r = report(out.path());
    assert!(r["summary"]["by_severity"]["high"]
        .as_u64()
        .is_some_and(|n| n > 0));
    // Nothing is critical, so the gate at critical passes.
    let o = run_on_acme("scan", out.path(), &["--fail-on", "critical"], "4");
    assert_eq!(
        code(&o),
        0,
        "stdout:\n{}\nstderr:\n{}",
        stdout(&o),
        stderr(&o)
    );
}

#[test]
fn acme_reports_are_byte_identical_across_runs_and_thread_counts() {
    let runs: Vec<(String, String, String)> = ["1", "8"]
        .iter()
        .map(|threads| {
            let out = out_dir();
            let o = run_on_acme("scan", out.path(), &[], threads);
            assert_eq!(code(&o), 0, "{}", stderr(&o));
            (
                read(out.path(), "report.json"),
                read(out.path(), "report.csv"),
                read(out.path(), "report.md"),
            )
        })
        .collect();
    assert!(
        runs[0] == runs[1],
        "ACME reports differ between runs (1 vs 8 threads)"
    );
}

/// The rows of the Markdown table between `<!-- {marker}:start -->` and `<!-- {marker}:end -->`,
/// as (rule, subject, entitlement) with backticks removed and `—` meaning no entitlement.
fn readme_table(readme: &str, marker: &str) -> Vec<Key> {
    let start = format!("<!-- {marker}:start -->");
    let end = format!("<!-- {marker}:end -->");
    let a = readme
        .find(&start)
        .unwrap_or_else(|| panic!("README lacks `{start}`"))
        + start.len();
    let b = readme[a..]
        .find(&end)
        .unwrap_or_else(|| panic!("README lacks `{end}`"))
        + a;
    let rows: Vec<Vec<String>> = readme[a..b]
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with('|'))
        .map(|l| {
            l.trim_matches('|')
                .split('|')
                .map(|c| c.trim().replace('`', ""))
                .collect()
        })
        .collect();
    assert!(
        rows.len() > 2,
        "the table has a header, a separator and rows"
    );
    assert_eq!(
        rows[0][..3],
        ["Rule", "Subject", "Entitlement"],
        "table header"
    );
    rows[2..]
        .iter()
        .map(|cells| {
            assert!(
                cells.len() >= 4,
                "row needs Rule | Subject | Entitlement | Why: {cells:?}"
            );
            let entitlement = match cells[2].as_str() {
                "—" | "-" | "" => None,
                e => Some(e.to_string()),
            };
            (cells[0].clone(), cells[1].clone(), entitlement)
        })
        .collect()
}

#[test]
fn readme_tables_list_each_finding_once() {
    let readme =
        fs::read_to_string(root().join(ORG).join("README.md")).expect("sample-data/acme/README.md");
    let markers = expected_markers(&readme);
    assert!(
        markers.contains(&"expected-findings".to_string()),
        "{markers:?}"
    );
    let mut all = Vec::new();
    for marker in &markers {
        all.extend(readme_table(&readme, marker));
    }
    let rows = all.len();
    all.sort();
    all.dedup();
    assert_eq!(all.len(), rows, "the README tables list a finding twice");
}
