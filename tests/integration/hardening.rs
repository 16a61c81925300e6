//! Hostile names are inert in every output; the same inputs give the same bytes whatever
//! order they are named in.

use crate::support::*;
use std::fs;

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
