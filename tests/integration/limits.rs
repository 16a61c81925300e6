//! Resource limits at CI scale: JSON nested 10,000 deep for every JSON parser, YAML alias
//! bombs for every YAML parser, a 20 MB line, 100,000 tiny grant events, non-UTF-8 bytes,
//! unreadable files and directory symlink loops. Each works or fails with an error naming
//! the file, quickly and without exhausting memory. The full-size cases (a 2 GB CloudTrail
//! file, a 100 MB line, 10 million grant events) run with `scripts/limits.sh`; their peak
//! memory is recorded in docs/performance.md.

use crate::support::*;
use residue::connectors::SourceFormat;
use residue::fuzzing::{run, Target};
use std::fs;
use std::io::Write;
use std::time::{Duration, Instant};

const NOW: &str = "2026-11-20T09:00:00Z";
const DEPTH: usize = 10_000;

/// Runs a parser on a test thread (2 MiB of stack, a quarter of the binary's main thread):
/// it must return in time, and if it refuses the input, say so naming the input.
fn must_end(target: Target, bytes: &[u8], display: &str, within: Duration) -> Result<(), String> {
    let start = Instant::now();
    let result = run(target, bytes, display);
    let took = start.elapsed();
    assert!(took < within, "{display}: {} took {took:?}", target.name());
    if let Err(message) = &result {
        assert!(
            message.contains(display),
            "{display}: the error does not name the file: {message}"
        );
        assert!(
            message.len() < 2_000,
            "{display}: error too long: {message}"
        );
    }
    result
}

fn nested(open: &str, inner: &str, close: &str) -> String {
    format!("{}{inner}{}", open.repeat(DEPTH), close.repeat(DEPTH))
}

#[test]
fn json_nested_ten_thousand_deep_never_overflows_a_json_parser() {
    let arrays = nested("[", "", "]");
    let objects = nested("{\"a\":", "0", "}");
    for (target, wrap) in [
        (Target::Source(SourceFormat::GenericInventory), "{\"identities\": [{\"id\": \"x\", \"kind\": \"human\", \"extensions\": DEEP}]}"),
        (Target::Source(SourceFormat::GrantLogJsonl), "{\"grant_id\": \"g\", \"event\": \"activated\", \"time\": \"2026-01-01T00:00:00Z\", \"extensions\": DEEP}\n"),
        (Target::Source(SourceFormat::AwsCloudTrail), "{\"Records\": [{\"eventName\": \"AttachUserPolicy\", \"requestParameters\": DEEP}]}"),
        (Target::Source(SourceFormat::Kubernetes), "{\"kind\": \"List\", \"apiVersion\": \"v1\", \"items\": [{\"kind\": \"Secret\", \"data\": DEEP}]}"),
        (Target::Source(SourceFormat::AwsAuthorizationDetails), "{\"UserDetailList\": [{\"UserName\": \"a\", \"Tags\": DEEP}], \"RoleDetailList\": [], \"GroupDetailList\": [], \"Policies\": []}"),
        (Target::Source(SourceFormat::TerraformPlan), "{\"format_version\": \"1.2\", \"planned_values\": DEEP}"),
        (Target::Source(SourceFormat::AwsCredentialReport), "{\"Content\": DEEP}"),
        (Target::Detect, "{\"identities\": DEEP}"),
        (Target::Baseline, "{\"schema_version\": 1, \"findings\": DEEP}"),
        (Target::PolicyDocument, "{\"Version\": \"2012-10-17\", \"Statement\": DEEP}"),
    ] {
        for (kind, deep) in [("arrays", &arrays), ("objects", &objects)] {
            let text = wrap.replace("DEEP", deep);
            let display = format!("deep-{kind}.{}", target.name());
            // serde_json refuses nesting past 128 levels; a field residue ignores may be
            // skipped whole instead. Either way: no stack overflow, an answer in time.
            let _ = must_end(target, text.as_bytes(), &display, Duration::from_secs(20));
        }
    }
}

/// "Billion laughs" as a flow mapping: nine levels of nine aliases, 387 million nodes if
/// expanded.
fn alias_bomb() -> String {
    let mut levels = vec!["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]".to_string()];
    for level in 1..=9 {
        let prev = format!("*a{}", level - 1);
        levels.push(format!(
            "a{level}: &a{level} [{}]",
            [prev.as_str(); 9].join(", ")
        ));
    }
    levels.push("boom: *a9".into());
    format!("{{{}}}", levels.join(", "))
}

#[test]
fn yaml_alias_bombs_never_expand() {
    for (target, at) in [
        (Target::Source(SourceFormat::GenericInventory), "identities:\n  - {id: x, kind: human, extensions: BOMB}\n"),
        (Target::Source(SourceFormat::Kubernetes), "kind: Secret\napiVersion: v1\nmetadata: {name: s, namespace: n}\ndata: BOMB\n"),
        (Target::Detect, "identities:\n  - {id: x, kind: human, extensions: BOMB}\n"),
        (Target::Config, "jit: BOMB\n"),
        (Target::Suppressions, "suppressions:\n  - {rule: SP001, subject: x, reason: BOMB, approved_by: y, expires: 2030-01-01}\n"),
    ] {
        let text = at.replace("BOMB", &alias_bomb());
        let display = format!("alias-bomb.{}.yaml", target.name());
        // Refused (serde's repetition limit, or a type error before any expansion) or
        // accepted without expanding it (a field residue ignores): either way in time.
        let _ = must_end(target, text.as_bytes(), &display, Duration::from_secs(20));
    }
}

fn scan(args: &[&str]) -> std::process::Output {
    let out = out_dir();
    let mut full = vec!["scan"];
    full.extend_from_slice(args);
    full.extend_from_slice(&["--now", NOW, "--format", "json", "-q", "--out"]);
    full.push(out.path().to_str().unwrap());
    residue(&full)
}

/// One 20 MB line: a grant event whose justification is 20 MB, and a CloudTrail file
/// written as one line. Both are read; neither needs more than a few copies of the line.
#[test]
fn a_twenty_megabyte_line_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let huge = "x".repeat(20 << 20);
    let grants = dir.path().join("grants.jsonl");
    let mut f = fs::File::create(&grants).unwrap();
    writeln!(f, "{{\"grant_id\": \"g-1\", \"event\": \"activated\", \"time\": \"2026-01-01T00:00:00Z\", \"principal\": \"alice\", \"entitlement\": \"admin\", \"window_end\": \"2026-01-01T01:00:00Z\", \"justification\": \"{huge}\"}}").unwrap();
    drop(f);
    let trail = dir.path().join("trail.json");
    fs::write(
        &trail,
        format!("{{\"Records\": [{{\"eventVersion\": \"1.09\", \"eventTime\": \"2026-11-02T10:00:00Z\", \"eventSource\": \"s3.amazonaws.com\", \"eventName\": \"GetObject\", \"userIdentity\": {{\"type\": \"IAMUser\", \"arn\": \"arn:aws:iam::111122223333:user/ops\"}}, \"requestParameters\": {{\"key\": \"{huge}\"}}, \"eventID\": \"e1\", \"readOnly\": true}}]}}"),
    )
    .unwrap();
    drop(huge);
    // Recognition by content reads the first 64 KiB: not enough for a JSON Lines log whose
    // first line is longer. That is a clear error naming the file and the fix…
    let o = scan(&[grants.to_str().unwrap()]);
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    assert!(
        stderr(&o).contains("grants.jsonl: not a format residue recognises")
            && stderr(&o).contains("name its format in residue.yaml"),
        "{}",
        stderr(&o)
    );
    // …and with the format named, both files are read.
    fs::write(
        dir.path().join("residue.yaml"),
        "sources:\n  - {path: grants.jsonl, format: grant-log-jsonl}\n  - {path: trail.json, format: aws-cloudtrail}\n",
    )
    .unwrap();
    let start = Instant::now();
    let o = scan(&[dir.path().to_str().unwrap()]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(start.elapsed() < Duration::from_secs(60));

    // The same line without its closing brace: an error that names the line and does not
    // repeat 20 MB of it.
    let cut = dir.path().join("cut.jsonl");
    let text = fs::read_to_string(&grants).unwrap();
    fs::write(&cut, text.trim_end().trim_end_matches('}')).unwrap();
    let config = dir.path().join("cut.yaml");
    fs::write(
        &config,
        "sources:\n  - {path: cut.jsonl, format: grant-log-jsonl}\n",
    )
    .unwrap();
    let o = scan(&["--config", config.to_str().unwrap()]);
    assert_eq!(code(&o), 2);
    let err = stderr(&o);
    assert!(
        err.contains("cut.jsonl: line 1"),
        "{}",
        &err[..err.len().min(500)]
    );
    assert!(
        err.len() < 2_000,
        "the error repeats the line ({} bytes)",
        err.len()
    );
}

/// 100,000 tiny grant events (10,000 grants of ten events over 1,000 principals) in one
/// JSON Lines log: read and audited end to end.
#[test]
fn a_hundred_thousand_tiny_grant_events_are_audited() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("grants.jsonl");
    let mut f = std::io::BufWriter::new(fs::File::create(&path).unwrap());
    for g in 0..10_000 {
        for (i, event) in [
            "requested",
            "approved",
            "activated",
            "used",
            "used",
            "used",
            "used",
            "used",
            "used",
            "expired",
        ]
        .iter()
        .enumerate()
        {
            let minute = g % 50;
            writeln!(
                f,
                "{{\"grant_id\":\"g{g}\",\"event\":\"{event}\",\"time\":\"2026-05-{:02}T10:{minute:02}:{i:02}Z\",\"principal\":\"u{}\",\"entitlement\":\"r{}\",\"window_end\":\"2026-05-{:02}T11:00:00Z\"}}",
                1 + g % 28,
                g % 1_000,
                g % 7,
                1 + g % 28
            )
            .unwrap();
        }
    }
    drop(f);
    let start = Instant::now();
    let o = scan(&[path.to_str().unwrap()]);
    assert!(matches!(code(&o), 0 | 1), "{}", stderr(&o));
    assert!(
        start.elapsed() < Duration::from_secs(120),
        "100k events took {:?}",
        start.elapsed()
    );
}

/// Bytes that are not UTF-8 in every text format: an error naming the file and the place.
#[test]
fn non_utf8_bytes_are_an_error_naming_file_and_place() {
    let mut bad = b"identities:\n  - id: caf".to_vec();
    bad.extend_from_slice(&[0xC3, 0x28, 0xFF, b'\n']);
    for target in Target::all() {
        if matches!(target, Target::Arn | Target::IamMatcher) {
            continue; // strings inside other files, never read from disk alone
        }
        let display = format!("not-utf8.{}", target.name());
        let result = must_end(target, &bad, &display, Duration::from_secs(5));
        assert!(
            result.is_err(),
            "{display}: accepted bytes that are not UTF-8"
        );
    }
}

/// A directory source holding a link to itself (or its parent) and a file nobody can read:
/// the scan ends, names what it could not read, and is marked incomplete.
#[test]
fn symlink_loops_in_source_directories_end() {
    let dir = tempfile::tempdir().unwrap();
    let trail = dir.path().join("trail");
    let k8s = dir.path().join("k8s");
    fs::create_dir_all(trail.join("2026")).unwrap();
    fs::create_dir_all(&k8s).unwrap();
    fs::copy(
        fixture("real/aws-cloudtrail/stratus-aws.persistence.iam-create-admin-user.json"),
        trail.join("2026/a.json"),
    )
    .unwrap();
    fs::copy(fixture("k8s/list.yaml"), k8s.join("list.yaml")).unwrap();
    for d in [&trail, &k8s] {
        std::os::unix::fs::symlink(d, d.join("loop")).unwrap();
        std::os::unix::fs::symlink(dir.path(), d.join("up")).unwrap();
    }
    let config = dir.path().join("residue.yaml");
    fs::write(
        &config,
        "sources:\n  - {path: trail, format: aws-cloudtrail}\n  - {path: k8s, format: kubernetes}\n",
    )
    .unwrap();
    let start = Instant::now();
    let o = scan(&[dir.path().to_str().unwrap()]);
    assert!(start.elapsed() < Duration::from_secs(30));
    assert!(matches!(code(&o), 0 | 1), "{}", stderr(&o));
}
