//! `residue diff OLD.json NEW.json`: what changed between two audits.
//!
//! Exit codes: 0 compared (whatever changed); 2 a report is unreadable or malformed.

use super::{usage_error, EXIT_OK};
use crate::gate::baseline;
use crate::gate::diff::{self, DiffReport};
use crate::report::escape;
use std::path::PathBuf;

#[derive(clap::Args)]
pub(super) struct DiffArgs {
    /// The older JSON report (report.json).
    old: PathBuf,
    /// The newer JSON report.
    new: PathBuf,
    /// Outputs to write, comma-separated: json (diff.json), md (diff.md).
    #[arg(long, value_delimiter = ',', default_value = "json,md", value_parser = parse_format)]
    format: Vec<String>,
    /// Directory the diff is written to.
    #[arg(long, default_value = "residue-diff")]
    out: PathBuf,
    /// Print nothing but errors.
    #[arg(long, short)]
    quiet: bool,
}

fn parse_format(s: &str) -> Result<String, String> {
    match s.to_ascii_lowercase().as_str() {
        "json" => Ok("json".into()),
        "md" | "markdown" => Ok("md".into()),
        _ => Err(format!(
            "`{s}` is not a diff format; expected one of: json, md"
        )),
    }
}

pub(super) fn run(args: DiffArgs) -> u8 {
    let read = |p: &PathBuf| baseline::load(p, &p.display().to_string());
    let (old, new) = match (read(&args.old), read(&args.new)) {
        (Ok(o), Ok(n)) => (o, n),
        (Err(e), Ok(_)) | (Ok(_), Err(e)) => return usage_error(e),
        (Err(a), Err(b)) => return usage_error(format!("{a}\nerror: {b}")),
    };
    let report = DiffReport::of(&old, &new);
    if let Err(e) = std::fs::create_dir_all(&args.out) {
        return usage_error(format!(
            "{}: cannot create the output directory: {e}",
            args.out.display()
        ));
    }
    let mut written = Vec::new();
    for format in &args.format {
        let (name, text) = match format.as_str() {
            "json" => ("diff.json", diff::render_json(&report)),
            _ => ("diff.md", diff::render_markdown(&report)),
        };
        let path = args.out.join(name);
        if written.contains(&path) {
            continue;
        }
        if let Err(e) = std::fs::write(&path, text) {
            return usage_error(format!("{}: cannot write the diff: {e}", path.display()));
        }
        written.push(path);
    }
    if !args.quiet {
        let s = &report.summary;
        println!(
            "{} new, {} fixed, {} still present ({} with a changed severity)",
            s.new, s.fixed, s.unchanged, s.severity_changed
        );
        let h = &report.highlights;
        for (label, list) in [
            ("new standing admin", &h.new_standing_admins),
            ("standing admin removed", &h.fixed_standing_admins),
            ("new escalation path", &h.new_escalation_paths),
            ("escalation path removed", &h.fixed_escalation_paths),
            ("secret became stale", &h.newly_stale_secrets),
        ] {
            for f in list {
                println!(
                    "  {label}: {}{}",
                    escape::terminal(&f.subject),
                    f.entitlement
                        .as_deref()
                        .map(|e| format!(" -> {}", escape::terminal(e)))
                        .unwrap_or_default()
                );
            }
        }
        let shown: Vec<String> = written.iter().map(|p| p.display().to_string()).collect();
        println!("reports: {}", shown.join(", "));
    }
    EXIT_OK
}
