//! The HTML report in a real browser: headless Chromium (Debian's `chromium` package, which
//! scripts/test.sh installs) opens the page from disk, with and without JavaScript.
//!
//! The page's self-test hook (`report.html#selftest=QUERY&severity=…`) applies the filters
//! and writes the result as JSON into `<pre id="selftest-result">`, which `--dump-dom`
//! prints. Without Chromium these tests FAIL: a report nobody opened is not tested.

use crate::support::*;
use serde_json::Value;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

const NOW: &str = "2026-11-20T09:00:00Z";
const ORG: &str = "sample-data/acme";

/// One browser at a time: two cores, and each instance is heavy.
static BROWSER: Mutex<()> = Mutex::new(());

fn chromium() -> PathBuf {
    for name in ["chromium", "chromium-browser"] {
        if let Ok(o) = Command::new("sh")
            .args(["-c", &format!("command -v {name}")])
            .output()
        {
            let path = String::from_utf8_lossy(&o.stdout).trim().to_string();
            if o.status.success() && !path.is_empty() {
                return PathBuf::from(path);
            }
        }
    }
    panic!(
        "headless Chromium is required for the HTML report tests and was not found. \
         Install it with `apt-get install -y chromium` (scripts/test.sh does so when run as root)."
    );
}

/// Runs Chromium headless on `url` with `extra` flags and a fresh profile; returns stdout.
fn browse(url: &str, extra: &[&str]) -> String {
    let _one = BROWSER.lock().unwrap_or_else(|e| e.into_inner());
    let profile = tempfile::tempdir().expect("profile directory");
    let profile_flag = format!("--user-data-dir={}", profile.path().display());
    let mut args = vec![
        "60",
        "",
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--virtual-time-budget=5000",
        profile_flag.as_str(),
    ];
    let binary = chromium();
    let binary = binary.to_str().expect("utf-8 path");
    args[1] = binary;
    args.extend_from_slice(extra);
    args.push(url);
    let o = Command::new("timeout")
        .args(&args)
        .output()
        .expect("timeout and chromium run");
    assert!(
        o.status.success(),
        "chromium failed ({:?}) on {url}:\n{}",
        o.status,
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn file_url(path: &Path, fragment: &str) -> String {
    let abs = fs::canonicalize(path).expect("report exists");
    format!("file://{}{fragment}", abs.display())
}

/// Writes the ACME scan report as HTML and JSON into `out`.
fn acme_report(out: &Path) -> PathBuf {
    let o = residue(&[
        "scan",
        ORG,
        "--now",
        NOW,
        "--format",
        "html,json",
        "--out",
        out.to_str().expect("utf-8 temp path"),
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    out.join("report.html")
}

/// Text content of `<pre id="selftest-result">` in a DOM dump, parsed.
fn selftest(dom: &str) -> Value {
    let start = dom.find("<pre id=\"selftest-result\">").unwrap_or_else(|| {
        panic!(
            "no visible self-test result in the DOM:\n{}",
            &dom[..dom.len().min(2000)]
        )
    });
    let rest = &dom[start + "<pre id=\"selftest-result\">".len()..];
    let text = &rest[..rest.find("</pre>").expect("closed pre")];
    let text = text
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&amp;", "&");
    serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("self-test result is not JSON ({e}): {text}"))
}

fn no_errors(result: &Value) {
    assert_eq!(
        result["errors"],
        Value::Array(Vec::new()),
        "the page logged errors: {result}"
    );
}

#[test]
fn search_filters_the_findings_table_and_paths_are_drawn() {
    let out = out_dir();
    let page = acme_report(out.path());
    let dom = browse(&file_url(&page, "#selftest=SP001"), &["--dump-dom"]);
    let result = selftest(&dom);
    no_errors(&result);
    let json: Value =
        serde_json::from_str(&fs::read_to_string(out.path().join("report.json")).expect("json"))
            .expect("report.json");
    let total = json["findings"].as_array().expect("findings").len() as u64;
    let sp001 = json["summary"]["by_rule"]["SP001"]
        .as_u64()
        .expect("SP001 fires on ACME");
    assert_eq!(result["total"], total, "{result}");
    assert_eq!(result["data_items"], total, "{result}");
    assert_eq!(result["visible"], sp001, "{result}");
    for rule in result["visible_rows"].as_array().expect("rows") {
        assert_eq!(rule, "SP001", "{result}");
    }
    // Every SP001 finding rests on a path, and each is drawn.
    assert_eq!(result["visible_diagrams"], sp001, "{result}");
    assert!(dom.contains("<svg class=\"path-diagram\""));
}

#[test]
fn severity_filter_and_unmatched_search() {
    let out = out_dir();
    let page = acme_report(out.path());
    let json: Value =
        serde_json::from_str(&fs::read_to_string(out.path().join("report.json")).expect("json"))
            .expect("report.json");
    let high = json["summary"]["by_severity"]["high"]
        .as_u64()
        .expect("high count");
    let result = selftest(&browse(
        &file_url(&page, "#selftest=&severity=high"),
        &["--dump-dom"],
    ));
    no_errors(&result);
    assert_eq!(result["visible"], high, "{result}");
    let result = selftest(&browse(
        &file_url(&page, "#selftest=no-such-identity-anywhere"),
        &["--dump-dom"],
    ));
    no_errors(&result);
    assert_eq!(result["visible"], 0, "{result}");
}

/// The report with its scripts blocked: the page's own Content-Security-Policy rewritten to
/// `script-src 'none'`, so the browser runs none of its scripts — what a reader with
/// JavaScript disabled gets. (Chromium's `--blink-settings=scriptEnabled=false` also stops
/// its own `--dump-dom` and `--screenshot`, which print nothing then.)
fn without_scripts(page: &Path) -> PathBuf {
    let html = fs::read_to_string(page).expect("page");
    let blocked = html.replace("script-src 'unsafe-inline'", "script-src 'none'");
    assert_ne!(
        html, blocked,
        "the page has no script-src policy to tighten"
    );
    let copy = page.with_file_name("report-noscript.html");
    fs::write(&copy, blocked).expect("write copy");
    copy
}

#[test]
fn core_tables_and_diagrams_work_without_javascript() {
    let out = out_dir();
    let page = acme_report(out.path());
    let dom = browse(
        &file_url(&without_scripts(&page), "#selftest=SP001"),
        &["--dump-dom"],
    );
    let json: Value =
        serde_json::from_str(&fs::read_to_string(out.path().join("report.json")).expect("json"))
            .expect("report.json");
    let shown = json["findings"].as_array().expect("findings").len()
        + json["suppressed"].as_array().map_or(0, Vec::len);
    assert_eq!(dom.matches("<tr class=\"finding\"").count(), shown);
    assert!(dom.contains("id=\"by-rule\"") && dom.contains("id=\"by-source\""));
    assert!(dom.contains("<svg class=\"path-diagram\""));
    assert!(dom.contains("<svg class=\"grant-timeline\""));
    // No script ran: the filters stay hidden, no row was hidden, no self-test result.
    assert!(
        dom.contains("<div class=\"filters\" id=\"filters\" hidden=\"\">"),
        "filters shown without JavaScript"
    );
    assert!(!dom.contains("<tr class=\"finding\" hidden"));
    assert!(dom.contains("<pre id=\"selftest-result\" hidden=\"\"></pre>"));

    // And it renders: a screenshot of the script-less page, kept beside the other one.
    let artifacts = root().join("target/test-artifacts");
    fs::create_dir_all(&artifacts).expect("artifact directory");
    let png = artifacts.join("report-no-javascript.png");
    let _ = fs::remove_file(&png);
    let flag = format!("--screenshot={}", png.display());
    browse(
        &file_url(&without_scripts(&page), ""),
        &[&flag, "--window-size=1400,1000"],
    );
    let bytes = fs::read(&png).expect("screenshot written");
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n") && bytes.len() > 20_000);
}

#[test]
fn screenshot_is_saved_as_a_test_artifact() {
    let out = out_dir();
    let page = acme_report(out.path());
    let artifacts = root().join("target/test-artifacts");
    fs::create_dir_all(&artifacts).expect("artifact directory");
    let png = artifacts.join("report.png");
    let _ = fs::remove_file(&png);
    let flag = format!("--screenshot={}", png.display());
    browse(&file_url(&page, ""), &[&flag, "--window-size=1400,1000"]);
    let bytes = fs::read(&png).expect("screenshot written");
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    assert!(
        bytes.len() > 20_000,
        "suspiciously small screenshot: {} bytes",
        bytes.len()
    );
}

#[test]
fn inventory_page_filters_by_recommendation() {
    let out = out_dir();
    let o = residue(&[
        "inventory",
        ORG,
        "--now",
        NOW,
        "--out",
        out.path().to_str().expect("utf-8"),
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let json: Value = serde_json::from_str(
        &fs::read_to_string(out.path().join("inventory.json")).expect("inventory.json"),
    )
    .expect("JSON");
    let split = json["summary"]["by_recommendation"]["split"]
        .as_u64()
        .expect("split");
    let page = out.path().join("inventory.html");
    let result = selftest(&browse(
        &file_url(&page, "#selftest=&recommendation=split"),
        &["--dump-dom"],
    ));
    no_errors(&result);
    assert_eq!(result["visible"], split, "{result}");
    assert_eq!(
        result["total"],
        json["rows"].as_array().expect("rows").len(),
        "{result}"
    );
    assert!(
        result["diagrams"].as_u64().expect("diagrams") > 0,
        "{result}"
    );
}

#[test]
fn small_org_html_matches_its_snapshot() {
    let out = out_dir();
    let o = residue(&[
        "scan",
        "tests/fixtures/small-org",
        "--now",
        NOW,
        "--format",
        "html",
        "--out",
        out.path().to_str().expect("utf-8"),
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let page = fs::read_to_string(out.path().join("report.html")).expect("report.html");
    insta::assert_snapshot!("small_org_html", page);
}

/// Identity and role names an attacker controls: a script tag, quotes that would break out
/// of an attribute, and an event handler.
const HOSTILE_ID: &str = "<script>document.title='pwned'</script>\"' onmouseover=\"alert(1)";
const HOSTILE_ROLE: &str = "</td><img src=x onerror=alert(2)>";

fn hostile_org(dir: &Path) {
    let yaml = format!(
        "version: 1\n\
         identities:\n  - {{id: {id}, kind: human}}\n\
         roles:\n  - {{id: {role}, permissions: [\"*\"]}}\n\
         assignments:\n  - {{subject: {id}, role: {role}, start: 2020-01-01T00:00:00Z}}\n",
        id = serde_json::to_string(HOSTILE_ID).expect("json"),
        role = serde_json::to_string(HOSTILE_ROLE).expect("json"),
    );
    fs::write(dir.join("inventory.yaml"), yaml).expect("write fixture");
}

#[test]
fn hostile_names_are_shown_as_text() {
    let data = out_dir();
    hostile_org(data.path());
    let out = out_dir();
    let o = residue(&[
        "scan",
        data.path().to_str().expect("utf-8"),
        "--now",
        NOW,
        "--format",
        "html",
        "--out",
        out.path().to_str().expect("utf-8"),
    ]);
    assert!(code(&o) == 0 || code(&o) == 1, "{}", stderr(&o));
    let inv = residue(&[
        "inventory",
        data.path().to_str().expect("utf-8"),
        "--now",
        NOW,
        "--format",
        "html",
        "--out",
        out.path().to_str().expect("utf-8"),
    ]);
    assert_eq!(code(&inv), 0, "{}", stderr(&inv));
    for name in ["report.html", "inventory.html"] {
        let page = out.path().join(name);
        let source = fs::read_to_string(&page).expect("page");
        assert!(
            !source.contains(HOSTILE_ID) && !source.contains(HOSTILE_ROLE),
            "{name}: raw name in the page"
        );
        let dom = browse(&file_url(&page, "#selftest=script"), &["--dump-dom"]);
        let result = selftest(&dom);
        no_errors(&result);
        assert!(
            result["visible"].as_u64().expect("visible") >= 1,
            "{name}: {result}"
        );
        // Only the page's own three scripts exist (error capture, data, filters), no image
        // was injected, the title is intact, and the embedded data still parses.
        assert_eq!(dom.matches("<script").count(), 3, "{name}: injected script");
        assert_eq!(result["data_items"], result["total"], "{name}: {result}");
        assert!(!dom.contains("<img"), "{name}: injected element");
        assert!(
            !dom.contains("<title>pwned</title>"),
            "{name}: injected script ran"
        );
        // And the names are there, as text.
        assert!(
            dom.contains(
                "&lt;script&gt;document.title='pwned'&lt;/script&gt;\"' onmouseover=\"alert(1)"
            ),
            "{name}: the hostile identity is not shown as text"
        );
        assert!(
            dom.contains("&lt;/td&gt;&lt;img src=x onerror=alert(2)&gt;"),
            "{name}: the hostile role is not shown as text"
        );
    }
}
