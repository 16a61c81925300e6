//! Secret values never reach any output. `tests/fixtures/secrets/` plants canary values in
//! every place a secret can appear in a source residue reads: Kubernetes Secret `data`
//! (base64) and `stringData`, a last-applied annotation repeating them, CloudTrail
//! `responseElements` (a new access key's secret, a session's token and secret) and a
//! `CreateLoginProfile` password, Terraform plan attributes (`secret`, an SMTP password, a
//! `kubernetes_secret`'s data), and extension fields and `x-` columns of the generic
//! inventory and grant logs; Entra ID service principals' `passwordCredentials`
//! (`secretText`, `hint`) and `keyCredentials` (`key`) and a directory audit's
//! `modifiedProperties` old and new values; Teleport `cert`, private key, join and session
//! tokens and access-request annotations; TEAM comments and an unread token field; and an
//! extra `password` column of a CSV read through a mapping spec. Every canary starts with
//! `CANARY-`. The directory's residue.yaml lists every fixture (the mapping one needs its
//! spec).
//!
//! Checked: a scan in every report format with the terminal summary on (residue has no
//! louder mode: progress notes go to stderr and are checked too), the inventory and graph
//! commands, and malformed variants of every fixture (cut inside or after a canary, a
//! stray quote or bracket beside it) whose errors must not quote it.
//!
//! Adding a source format: one fixture in tests/fixtures/secrets/, one line in
//! [`FIXTURES`] and one in tests/fixtures/secrets/residue.yaml.

use crate::support::*;
use residue::connectors::SourceFormat;
use residue::fuzzing::{run, Target};
use std::fs;

const NOW: &str = "2026-11-20T09:00:00Z";

/// Every fixture of the canary set and its format.
const FIXTURES: &[(&str, SourceFormat)] = &[
    ("inventory.yaml", SourceFormat::GenericInventory),
    ("grants.csv", SourceFormat::GrantLogCsv),
    ("grants.jsonl", SourceFormat::GrantLogJsonl),
    ("k8s.yaml", SourceFormat::Kubernetes),
    ("cloudtrail.json", SourceFormat::AwsCloudTrail),
    ("terraform.plan.json", SourceFormat::TerraformPlan),
    ("entra-pim.json", SourceFormat::EntraPim),
    ("teleport.jsonl", SourceFormat::TeleportAudit),
    ("team.json", SourceFormat::AwsIdentityCenterTeam),
    ("mapping-approvals.csv", SourceFormat::Mapping),
];

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().fold(0u32, |n, b| n << 8 | u32::from(*b)) << (8 * (3 - chunk.len()));
        for i in 0..=chunk.len() {
            out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
        out.push_str(&"=".repeat(3 - chunk.len()));
    }
    out
}

/// Every canary planted in the fixtures (read from the files, comments included), each
/// with its base64 form.
fn canaries() -> Vec<String> {
    let mut found = Vec::new();
    for (file, _) in FIXTURES {
        let text = fs::read_to_string(fixture(&format!("secrets/{file}"))).unwrap();
        for (at, _) in text.match_indices("CANARY-") {
            let canary: String = text[at..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect();
            found.push(canary);
        }
    }
    found.sort();
    found.dedup();
    let encoded: Vec<String> = found.iter().map(|c| base64(c.as_bytes())).collect();
    found.extend(encoded);
    found
}

/// What must not appear in `text`: any canary, its base64 form, or a 12-character piece
/// of either (a cut-off echo is a leak too).
fn assert_no_canary(text: &str, what: &str) {
    assert!(!text.contains("CANARY"), "{what}: a canary leaked:\n{text}");
    for canary in canaries() {
        let prefix: String = canary.chars().take(12).collect();
        assert!(
            !text.contains(&prefix),
            "{what}: a piece of {canary} leaked:\n{text}"
        );
    }
}

#[test]
fn canaries_reach_no_report_terminal_inventory_or_graph() {
    assert!(canaries().len() >= 2 * 14, "{:?}", canaries());
    let out = out_dir();
    let o = residue(&[
        "scan",
        "tests/fixtures/secrets",
        "--now",
        NOW,
        "--format",
        "json,csv,md,sarif,html",
        "--out",
        out.path().to_str().unwrap(),
    ]);
    assert!(matches!(code(&o), 0 | 1), "{}", stderr(&o));
    assert_no_canary(&stdout(&o), "scan stdout");
    assert_no_canary(&stderr(&o), "scan stderr");
    let report = fs::read_to_string(out.path().join("report.json")).unwrap();
    for (file, format) in FIXTURES {
        assert!(
            report.contains(&format!("secrets/{file}")) && report.contains(format.name()),
            "{file} was not read as {format}"
        );
    }
    for entry in fs::read_dir(out.path()).unwrap() {
        let path = entry.unwrap().path();
        assert_no_canary(
            &fs::read_to_string(&path).unwrap(),
            &path.display().to_string(),
        );
    }

    let inv = out_dir();
    let o = residue(&[
        "inventory",
        "tests/fixtures/secrets",
        "--now",
        NOW,
        "--format",
        "csv,json,html",
        "--out",
        inv.path().to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_no_canary(&(stdout(&o) + &stderr(&o)), "inventory output");
    for entry in fs::read_dir(inv.path()).unwrap() {
        let path = entry.unwrap().path();
        assert_no_canary(
            &fs::read_to_string(&path).unwrap(),
            &path.display().to_string(),
        );
    }

    for identity in [
        "svc-canary",
        "system:serviceaccount:ci:deployer",
        "arn:aws:iam::111122223333:user/svc-sync",
    ] {
        for format in ["json", "dot", "mermaid"] {
            let o = residue(&[
                "graph",
                "tests/fixtures/secrets",
                "--identity",
                identity,
                "--format",
                format,
                "--now",
                NOW,
            ]);
            assert_no_canary(
                &(stdout(&o) + &stderr(&o)),
                &format!("graph {identity} {format}"),
            );
        }
    }
}

/// Malformed variants of each fixture around each canary: the file cut inside the canary
/// and right after it, and a stray quote, bracket or brace before or after it.
fn variants(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for canary in canaries() {
        for (at, _) in text.match_indices(canary.as_str()) {
            let end = at + canary.len();
            let mid = at + canary.len() / 2;
            out.push((format!("cut@{mid}"), text[..mid].to_string()));
            out.push((format!("cut@{end}"), text[..end].to_string()));
            for stray in ["\"", "[", "{", "'", ": ", ","] {
                out.push((
                    format!("before@{at}{stray}"),
                    format!("{}{stray}{}", &text[..at], &text[at..]),
                ));
                out.push((
                    format!("after@{end}{stray}"),
                    format!("{}{stray}{}", &text[..end], &text[end..]),
                ));
            }
        }
    }
    out
}

#[test]
fn errors_about_malformed_files_never_quote_a_canary() {
    let mut errors = 0;
    for (file, format) in FIXTURES {
        let text = fs::read_to_string(fixture(&format!("secrets/{file}"))).unwrap();
        let cases = variants(&text);
        assert!(!cases.is_empty(), "{file} holds no canary");
        for (variant, broken) in cases {
            let display = format!("{file}[{variant}]");
            if let Err(message) = run(Target::Source(*format), broken.as_bytes(), &display) {
                errors += 1;
                assert_no_canary(&message, &display);
            }
        }
    }
    assert!(
        errors > 50,
        "the variants were not malformed enough ({errors} errors)"
    );

    // And through the binary, all of stdout and stderr, for one variant of each.
    let dir = tempfile::tempdir().unwrap();
    for (file, format) in FIXTURES {
        let text = fs::read_to_string(fixture(&format!("secrets/{file}"))).unwrap();
        let at = text.find("CANARY-").unwrap_or(text.len() / 2);
        let path = dir.path().join(file);
        fs::write(&path, format!("{}[{}", &text[..at], &text[at..])).unwrap();
        // A `mapping` source is read through its spec, named in a residue.yaml.
        let config = tempfile::tempdir().unwrap();
        let target = if *format == SourceFormat::Mapping {
            let spec = root().join("connectors/team-approvals-csv.yaml");
            fs::write(
                config.path().join("residue.yaml"),
                format!(
                    "sources:\n  - {{path: {}, format: mapping, mapping: {}}}\n",
                    path.display(),
                    spec.display()
                ),
            )
            .unwrap();
            config.path().to_path_buf()
        } else {
            path.clone()
        };
        let out = out_dir();
        let o = residue(&[
            "scan",
            target.to_str().unwrap(),
            "--now",
            NOW,
            "--out",
            out.path().to_str().unwrap(),
        ]);
        assert_no_canary(
            &(stdout(&o) + &stderr(&o)),
            &format!("scan of broken {file}"),
        );
    }
}
