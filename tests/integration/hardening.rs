//! Hostile names are inert in every output; the same inputs give the same bytes whatever
//! order they are named in and however many threads run; a crashing rule or a source cut
//! short makes the audit incomplete, and says exactly what is missing.

use crate::support::*;
use std::fs;
use std::path::Path;
use std::process::Output;

const NOW: &str = "2026-11-20T09:00:00Z";

fn scan(out: &std::path::Path, inputs: &[&str], threads: &str) -> std::process::Output {
    let mut args = vec!["scan"];
    args.extend_from_slice(inputs);
    args.extend_from_slice(&["--now", NOW, "--out", out.to_str().unwrap()]);
    assert_cmd::Command::cargo_bin("residue")
        .unwrap()
        .current_dir(root())
        .env("NO_COLOR", "1")
        .env("RAYON_NUM_THREADS", threads)
        .args(&args)
        .output()
        .unwrap()
}

/// `|` not escaped by a backslash: what splits a Markdown table row into cells.
fn cell_separators(line: &str) -> usize {
    let mut count = 0;
    let mut escaped = false;
    for c in line.chars() {
        match c {
            '\\' if !escaped => escaped = true,
            '|' if !escaped => count += 1,
            _ => escaped = false,
        }
    }
    count
}

#[test]
fn hostile_names_are_inert_in_every_format_and_on_the_terminal() {
    let out = out_dir();
    let o = scan(out.path(), &["tests/fixtures/hostile/inventory.yaml"], "2");
    assert_eq!(code(&o), 0, "{}", stderr(&o));

    // The scan really found the hostile identities (six standing admins).
    let report: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(out.path().join("report.json")).unwrap()).unwrap();
    let subjects: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule_id"] == "SP001")
        .map(|f| f["subject"].as_str().unwrap())
        .collect();
    assert_eq!(subjects.len(), 6, "{subjects:?}");
    assert!(
        subjects.contains(&"<script>alert('x')</script>"),
        "JSON keeps the exact id"
    );

    // Terminal: no escape sequence, bell or carriage return reaches it.
    for text in [stdout(&o), stderr(&o)] {
        for bad in ['\u{1b}', '\u{7}', '\r', '\u{9b}'] {
            assert!(
                !text.contains(bad),
                "control character {bad:?} reached the terminal:\n{text}"
            );
        }
    }

    // CSV: no cell a spreadsheet would run as a formula, and one record per finding.
    let mut reader = csv::Reader::from_path(out.path().join("report.csv")).unwrap();
    let mut rows = 0;
    for record in reader.records() {
        let record = record.unwrap();
        rows += 1;
        for cell in record.iter() {
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "formula-like cell survived: {cell:?}"
            );
        }
    }
    assert_eq!(rows, report["findings"].as_array().unwrap().len());

    // Markdown: no raw HTML, and every table row has as many cells as its header.
    let md = fs::read_to_string(out.path().join("report.md")).unwrap();
    assert!(
        !md.contains("<script>") && !md.contains("<img"),
        "raw HTML in Markdown"
    );
    assert!(!md.contains('\u{1b}'), "escape sequence in Markdown");
    let mut header_cells = None;
    for line in md.lines() {
        if !line.starts_with('|') {
            header_cells = None;
            continue;
        }
        let cells = cell_separators(line);
        match header_cells {
            None => header_cells = Some(cells),
            Some(h) => assert_eq!(cells, h, "a table row broke out of its table: {line}"),
        }
    }
}

#[test]
fn input_order_and_thread_count_do_not_change_a_byte() {
    let files = [
        "sample-data/acme/inventory.yaml",
        "sample-data/acme/grants/jit-broker.jsonl",
        "sample-data/acme/grants/legacy-pam.csv",
    ];
    let reversed: Vec<&str> = files.iter().rev().copied().collect();
    let mut outputs = Vec::new();
    for (inputs, threads) in [(files.to_vec(), "1"), (reversed, "2")] {
        let out = out_dir();
        let o = scan(out.path(), &inputs, threads);
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        let read = |name: &str| fs::read_to_string(out.path().join(name)).unwrap();
        outputs.push((read("report.json"), read("report.csv"), read("report.md")));
    }
    assert!(
        outputs[0] == outputs[1],
        "reports differ with the inputs reversed"
    );
}

const ALL_FORMATS: &str = "json,csv,md,sarif,html";
const REPORTS: [&str; 5] = [
    "report.json",
    "report.csv",
    "report.md",
    "report.sarif",
    "report.html",
];

/// Runs `residue scan` from `dir` with every report format, `threads` rayon threads and the
/// extra environment given.
fn scan_all(
    dir: &Path,
    args: &[&str],
    threads: &str,
    env: &[(&str, &str)],
) -> (Output, Vec<String>) {
    let out = out_dir();
    let mut full = vec!["scan"];
    full.extend_from_slice(args);
    full.extend_from_slice(&["--now", NOW, "--format", ALL_FORMATS, "--out"]);
    full.push(out.path().to_str().unwrap());
    let mut cmd = assert_cmd::Command::cargo_bin("residue").unwrap();
    cmd.current_dir(dir)
        .env("NO_COLOR", "1")
        .env("RAYON_NUM_THREADS", threads)
        .args(&full);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let o = cmd.output().unwrap();
    let reports = REPORTS
        .iter()
        .map(|r| fs::read_to_string(out.path().join(r)).unwrap_or_default())
        .collect();
    (o, reports)
}

/// Every report of an incomplete audit states each gap (`needle`), and the JSON says
/// `coverage.complete = false`.
fn every_report_states(reports: &[String], needles: &[&str]) {
    for (name, text) in REPORTS.iter().zip(reports) {
        for needle in needles {
            assert!(text.contains(needle), "{name} does not state `{needle}`");
        }
    }
    let json: serde_json::Value = serde_json::from_str(&reports[0]).unwrap();
    assert_eq!(json["coverage"]["complete"], false);
    let sarif: serde_json::Value = serde_json::from_str(&reports[3]).unwrap();
    assert_eq!(
        sarif["runs"][0]["invocations"][0]["executionSuccessful"],
        false
    );
}

/// A rule that panics (made to, through the debug builds' test hook) is caught and named:
/// the run exits 3, and with `--allow-partial` every report states the gap.
#[test]
fn a_crashing_rule_makes_the_audit_incomplete_and_is_named() {
    let crash = [(residue::rules::CRASH_RULE_VAR, "SP001")];
    let (o, _) = scan_all(&root(), &["tests/fixtures/small-org"], "2", &crash);
    let err = stderr(&o);
    assert_eq!(code(&o), 3, "{err}");
    assert!(
        err.contains("INCOMPLETE") && err.contains("rule SP001 crashed and reported nothing"),
        "{err}"
    );

    let (o, reports) = scan_all(
        &root(),
        &["tests/fixtures/small-org", "--allow-partial"],
        "2",
        &crash,
    );
    assert!(matches!(code(&o), 0 | 1), "{}", stderr(&o));
    every_report_states(&reports, &["rule SP001 crashed"]);
    assert!(
        !reports[0].contains("\"rule_id\": \"SP001\""),
        "the crashed rule reported findings"
    );
    // The other rules still ran.
    assert!(reports[0].contains("\"rule_id\": \"GV004\""));
}

/// One truncated file and one dangling link among several CloudTrail files: the rest of the
/// trail is audited, the run exits 3 naming both files and what is missing, and with
/// `--allow-partial` every report says so.
#[test]
fn a_cloudtrail_file_cut_short_makes_the_audit_incomplete() {
    let dir = tempfile::tempdir().unwrap();
    let trail = dir.path().join("acme/cloudtrail");
    copy_tree(&root().join("sample-data/acme/aws/cloudtrail"), &trail);
    let mut files = Vec::new();
    walk_files(&trail, &mut files);
    files.sort();
    let victim = files
        .iter()
        .find(|f| f.extension().is_some_and(|e| e == "json"))
        .unwrap()
        .clone();
    let text = fs::read(&victim).unwrap();
    fs::write(&victim, &text[..text.len() * 2 / 3]).unwrap();
    std::os::unix::fs::symlink("/nonexistent/trail.json", trail.join("lost.json")).unwrap();
    fs::write(
        dir.path().join("acme/residue.yaml"),
        "sources:\n  - {path: cloudtrail, format: aws-cloudtrail}\n",
    )
    .unwrap();
    let victim_name = victim.file_name().unwrap().to_str().unwrap();
    // The part of the name Markdown does not escape (`_` would be).
    let victim_tail = victim_name.rsplit('_').next().unwrap();

    let (o, _) = scan_all(dir.path(), &["acme"], "2", &[]);
    let err = stderr(&o);
    assert_eq!(code(&o), 3, "{err}");
    assert!(
        err.contains(victim_name) && err.contains("whatever follows is missing"),
        "{err}"
    );
    assert!(
        err.contains("lost.json") && err.contains("cannot read the file"),
        "{err}"
    );

    let (o, reports) = scan_all(dir.path(), &["acme", "--allow-partial"], "2", &[]);
    assert!(matches!(code(&o), 0 | 1), "{}", stderr(&o));
    every_report_states(&reports, &[victim_tail, "lost.json"]);
}

fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), target).unwrap();
        }
    }
}

fn walk_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            walk_files(&path, out);
        } else {
            out.push(path);
        }
    }
}

/// The whole sample organisation, every report format: byte-identical with 1 and 2 threads
/// and with its sources listed in reverse order.
#[test]
fn the_sample_organisation_gives_the_same_bytes_whatever_the_threads_and_source_order() {
    let dir = tempfile::tempdir().unwrap();
    let forward = dir.path().join("forward");
    let reverse = dir.path().join("reverse");
    copy_tree(&root().join("sample-data/acme"), &forward.join("acme"));
    copy_tree(&root().join("sample-data/acme"), &reverse.join("acme"));
    let config = fs::read_to_string(forward.join("acme/residue.yaml")).unwrap();
    let (head, rest) = config.split_once("sources:\n").unwrap();
    let sources: Vec<&str> = rest.lines().take_while(|l| l.starts_with("  - ")).collect();
    assert!(sources.len() >= 8, "{sources:?}");
    let tail: Vec<&str> = rest.lines().skip(sources.len()).collect();
    let reversed: Vec<&str> = sources.iter().rev().copied().collect();
    fs::write(
        reverse.join("acme/residue.yaml"),
        format!(
            "{head}sources:\n{}\n{}\n",
            reversed.join("\n"),
            tail.join("\n")
        ),
    )
    .unwrap();

    let (a, first) = scan_all(&forward, &["acme"], "1", &[]);
    let (b, second) = scan_all(&reverse, &["acme"], "2", &[]);
    assert!(matches!(code(&a), 0 | 1), "{}", stderr(&a));
    assert_eq!(code(&a), code(&b));
    assert!(first[0].contains("\"rule_id\""), "the scan found nothing");
    for (name, (x, y)) in REPORTS.iter().zip(first.iter().zip(&second)) {
        assert!(
            x == y,
            "{name} differs between 1 thread in order and 2 threads reversed"
        );
    }
    let summary = |o: &Output| -> String {
        // All but the last line, which names the (different) report directories.
        stdout(o)
            .lines()
            .filter(|l| !l.starts_with("reports: "))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(summary(&a), summary(&b), "the terminal summary differs");
}
