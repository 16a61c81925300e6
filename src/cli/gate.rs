//! `residue gate`: scan, compare with a baseline, fail on what is new.
//!
//! Exit codes: 0 nothing new at or above `--fail-on` (or the baseline was updated); 1 new
//! findings at or above `--fail-on`; 2 usage, configuration or input error (a malformed
//! baseline included); 3 the scan is incomplete and `--allow-partial` was not given.

use super::{
    audit_time, configuration, progress, usage_error, EXIT_FINDINGS, EXIT_INCOMPLETE, EXIT_OK,
};
use crate::gate::baseline::{self, Baseline};
use crate::gate::{self, FailOn};
use crate::report::{self, ReportFormat, ScanReport};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

#[derive(clap::Args)]
pub(super) struct GateArgs {
    /// A directory (its residue.yaml is read when present) or the files to scan: exports,
    /// Terraform plans (`terraform show -json plan.out`), Kubernetes manifests.
    paths: Vec<PathBuf>,
    /// The baseline: a previous JSON report (report.json) of the same sources.
    #[arg(long)]
    baseline: PathBuf,
    /// What fails the gate: `new` (any new finding) or a severity (new findings at or above it).
    #[arg(long, default_value = "new", value_parser = FailOn::parse)]
    fail_on: FailOn,
    /// Write this scan's JSON report to the baseline file (creating it if missing) and exit 0.
    #[arg(long)]
    update_baseline: bool,
    /// The configuration file (sources, audit policy, rule settings, suppressions).
    #[arg(long)]
    config: Option<PathBuf>,
    /// The audit time, RFC 3339 (default: now).
    #[arg(long)]
    now: Option<String>,
    /// Scan reports to write beside the gate report, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "json,sarif", value_parser = ReportFormat::parse)]
    format: Vec<ReportFormat>,
    /// Directory the gate report (gate.json, gate.md) and the scan reports are written to.
    #[arg(long, default_value = "residue-gate")]
    out: PathBuf,
    /// Decide even when part of the data could not be read or a rule crashed.
    #[arg(long)]
    allow_partial: bool,
    /// Print nothing but errors.
    #[arg(long, short)]
    quiet: bool,
}

pub(super) fn run(args: GateArgs) -> u8 {
    let now = match audit_time(args.now.as_deref()) {
        Ok(t) => t,
        Err(e) => return usage_error(e),
    };
    let config = match configuration(args.config.as_deref(), &args.paths) {
        Ok(c) => c,
        Err(e) => return usage_error(e),
    };
    let baseline_display = args.baseline.display().to_string();
    let old = if args.baseline.exists() {
        match baseline::load(&args.baseline, &baseline_display) {
            Ok(b) => b,
            Err(e) => return usage_error(e),
        }
    } else if args.update_baseline {
        Baseline {
            file: baseline_display.clone(),
            audit_time: None,
            findings: Vec::new(),
            suppressed: Vec::new(),
        }
    } else {
        return usage_error(format!(
            "{baseline_display}: no such baseline; create it from the current state with `residue gate --update-baseline --baseline {baseline_display} …` (or `residue scan` and copy report.json)"
        ));
    };
    let show_progress = !args.quiet && std::io::stderr().is_terminal();
    let progress = progress::Display::new(show_progress, args.quiet);
    let result = crate::scan::scan(&config, now, &progress);
    progress.finish();
    let report = match result {
        Ok(r) => r,
        Err(e) => return usage_error(e),
    };
    let verdict = gate::evaluate(&report, &old, args.fail_on);
    if let Err(e) = write_outputs(&report, &verdict, &args.format, &args.out) {
        return usage_error(e);
    }
    if !args.quiet {
        print!("{}", gate::terminal_summary(&verdict));
        let mut written = vec![args.out.join("gate.json"), args.out.join("gate.md")];
        for f in &args.format {
            let path = args.out.join(f.file_name());
            if !written.contains(&path) {
                written.push(path);
            }
        }
        let shown: Vec<String> = written.iter().map(|p| p.display().to_string()).collect();
        println!("reports: {}", shown.join(", "));
    }
    if !report.coverage.complete {
        eprintln!("error: the audit is INCOMPLETE; the gate cannot vouch for what it did not see:");
        for gap in &report.coverage.gaps {
            eprintln!("  - {}", report::escape::terminal(gap));
        }
        if !args.allow_partial {
            eprintln!("exiting with code 3 (pass --allow-partial to accept a partial audit)");
            return EXIT_INCOMPLETE;
        }
    }
    if args.update_baseline {
        if let Err(e) = std::fs::write(&args.baseline, report::json::render(&report)) {
            return usage_error(format!(
                "{baseline_display}: cannot write the baseline: {e}"
            ));
        }
        if !args.quiet {
            println!(
                "baseline updated: {baseline_display} ({} findings, {} suppressed)",
                report.findings.len(),
                report.suppressed.len()
            );
        }
        return EXIT_OK;
    }
    if verdict.passed {
        EXIT_OK
    } else {
        if !args.quiet {
            println!(
                "{} new finding(s) at or above `{}`: exit code 1",
                verdict.summary.failing, args.fail_on
            );
        }
        EXIT_FINDINGS
    }
}

fn write_outputs(
    report: &ScanReport,
    verdict: &gate::GateReport,
    formats: &[ReportFormat],
    out: &Path,
) -> Result<(), String> {
    std::fs::create_dir_all(out)
        .map_err(|e| format!("{}: cannot create the report directory: {e}", out.display()))?;
    let write = |name: &str, text: String| {
        let path = out.join(name);
        std::fs::write(&path, text)
            .map_err(|e| format!("{}: cannot write the report: {e}", path.display()))
    };
    write("gate.json", gate::render_json(verdict))?;
    write("gate.md", gate::render_markdown(verdict))?;
    let mut seen = Vec::new();
    for &f in formats {
        if !seen.contains(&f) {
            seen.push(f);
            write(f.file_name(), f.render(report))?;
        }
    }
    Ok(())
}
