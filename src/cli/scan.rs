//! `residue scan`: read the sources, run the rules, write the reports, decide the exit code.

use super::{
    audit_time, configuration, parse_severity, progress, usage_error, EXIT_FINDINGS,
    EXIT_INCOMPLETE, EXIT_OK,
};
use crate::finding::Severity;
use crate::report::{self, ReportFormat, ScanReport};
use crate::scan::Progress;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

#[derive(clap::Args)]
pub(super) struct ScanArgs {
    /// A directory (its residue.yaml is read when present; otherwise every file is recognised
    /// by content) or the files to scan.
    paths: Vec<PathBuf>,
    /// The configuration file (sources, audit policy, rule settings, suppressions).
    #[arg(long)]
    config: Option<PathBuf>,
    /// The audit time, RFC 3339 (default: now). Pin it for reproducible reports.
    #[arg(long)]
    now: Option<String>,
    /// Report formats to write, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "json,csv,md", value_parser = ReportFormat::parse)]
    format: Vec<ReportFormat>,
    /// Directory the reports are written to.
    #[arg(long, default_value = "residue-report")]
    out: PathBuf,
    /// Exit 1 when a finding is at or above this severity (info, low, medium, high, critical).
    #[arg(long, value_parser = parse_severity)]
    fail_on: Option<Severity>,
    /// Exit normally even when part of the data could not be read or a rule crashed
    /// (the reports still state the gap).
    #[arg(long)]
    allow_partial: bool,
    /// Print nothing but errors.
    #[arg(long, short)]
    quiet: bool,
}

pub(super) fn run(args: ScanArgs) -> u8 {
    let now = match audit_time(args.now.as_deref()) {
        Ok(t) => t,
        Err(e) => return usage_error(e),
    };
    let config = match configuration(args.config.as_deref(), &args.paths) {
        Ok(c) => c,
        Err(e) => return usage_error(e),
    };
    let show_progress = !args.quiet && std::io::stderr().is_terminal();
    let progress = progress::Display::new(show_progress, args.quiet);
    let result = crate::scan::scan(&config, now, &progress);
    let report = match result {
        Ok(r) => r,
        Err(e) => {
            progress.finish();
            return usage_error(e);
        }
    };
    progress.phase("writing reports");
    let written = write_reports(&report, &args.format, &args.out);
    progress.finish();
    let code = match written {
        Ok(()) => conclude(&report, &args, config.fail_on),
        Err(e) => usage_error(e),
    };
    // The process ends here: freeing a large organisation's findings one by one would only
    // delay the exit by seconds, and the operating system takes the memory back at once.
    std::mem::forget(report);
    code
}

/// Prints the summary and decides the exit code of a scan whose reports are written.
fn conclude(report: &ScanReport, args: &ScanArgs, configured_fail_on: Option<Severity>) -> u8 {
    if !args.quiet {
        let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
        print!("{}", report::terminal::summary(report, color));
        let written: Vec<String> = args
            .format
            .iter()
            .map(|f| args.out.join(f.file_name()).display().to_string())
            .collect();
        println!("reports: {}", written.join(", "));
    }
    if !report.coverage.complete {
        eprintln!("error: the audit is INCOMPLETE; its findings do not cover everything it was asked to check:");
        for gap in &report.coverage.gaps {
            eprintln!("  - {gap}");
        }
        if !args.allow_partial {
            eprintln!("exiting with code 3 (pass --allow-partial to accept a partial audit)");
            return EXIT_INCOMPLETE;
        }
    }
    let threshold = args.fail_on.or(configured_fail_on);
    if let Some(t) = threshold {
        let failing = report.findings.iter().filter(|f| f.severity >= t).count();
        if failing > 0 {
            if !args.quiet {
                println!("{failing} finding(s) at or above {t}: exit code 1");
            }
            return EXIT_FINDINGS;
        }
    }
    EXIT_OK
}

fn write_reports(report: &ScanReport, formats: &[ReportFormat], out: &Path) -> Result<(), String> {
    std::fs::create_dir_all(out)
        .map_err(|e| format!("{}: cannot create the report directory: {e}", out.display()))?;
    let mut distinct: Vec<ReportFormat> = Vec::new();
    for &f in formats {
        if !distinct.contains(&f) {
            distinct.push(f);
        }
    }
    // Each format is written by its own thread: on a large organisation the JSON and CSV
    // reports are the longest serial phase. Errors are reported in the formats' order.
    use rayon::prelude::*;
    let results: Vec<Result<(), String>> = distinct
        .par_iter()
        .map(|&f| {
            let path = out.join(f.file_name());
            let written = std::fs::File::create(&path).and_then(|file| {
                let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
                f.write(report, &mut out)?;
                std::io::Write::flush(&mut out)
            });
            written.map_err(|e| format!("{}: cannot write the report: {e}", path.display()))
        })
        .collect();
    results.into_iter().collect()
}
