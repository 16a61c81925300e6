//! The command line: argument parsing, the clock, progress, output files and exit codes.
//! The only place that reads the wall clock or decides an exit code.
//!
//! Exit codes: 0 ran clean (nothing at or above `--fail-on`); 1 findings at or above
//! `--fail-on`; 2 usage, configuration or input error; 3 the audit is incomplete and
//! `--allow-partial` was not given.

mod progress;

use crate::config::{Config, SourceSpec};
use crate::finding::Severity;
use crate::model::time::parse_timestamp;
use crate::model::Timestamp;
use crate::report::{self, ScanReport};
use crate::rules::{all_rules, find_rule};
use crate::scan::{self, ScanError};
use clap::{Parser, Subcommand, ValueEnum};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

pub const EXIT_OK: u8 = 0;
pub const EXIT_FINDINGS: u8 = 1;
pub const EXIT_USAGE: u8 = 2;
pub const EXIT_INCOMPLETE: u8 = 3;

#[derive(Parser)]
#[command(
    name = "residue",
    version,
    about = "Finds the privilege that just-in-time access left behind",
    after_help = "Exit codes: 0 clean, 1 findings at or above --fail-on, 2 usage/configuration/input error, 3 incomplete audit."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Scan exported access data and report residual privilege.
    Scan(ScanArgs),
    /// List or explain the rules.
    Rules {
        #[command(subcommand)]
        command: RulesCommand,
    },
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ReportFormat {
    Json,
    Csv,
    #[value(alias = "markdown")]
    Md,
}

impl ReportFormat {
    fn file_name(self) -> &'static str {
        match self {
            ReportFormat::Json => "report.json",
            ReportFormat::Csv => "report.csv",
            ReportFormat::Md => "report.md",
        }
    }

    fn render(self, r: &ScanReport) -> String {
        match self {
            ReportFormat::Json => report::json::render(r),
            ReportFormat::Csv => report::csv::render(r),
            ReportFormat::Md => report::markdown::render(r),
        }
    }
}

#[derive(clap::Args)]
struct ScanArgs {
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
    #[arg(long, value_delimiter = ',', default_value = "json,csv,md")]
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

#[derive(Subcommand)]
enum RulesCommand {
    /// List every rule.
    List {
        #[arg(long, value_enum, default_value = "text")]
        format: ListFormat,
    },
    /// Print a rule's documentation, parameters, references and examples.
    Explain { id: String },
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ListFormat {
    Text,
    Markdown,
    Json,
}

fn parse_severity(s: &str) -> Result<Severity, String> {
    Severity::parse(s).ok_or_else(|| {
        format!("`{s}` is not a severity; expected one of: info, low, medium, high, critical")
    })
}

/// Entry point of the `residue` binary.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { EXIT_USAGE } else { EXIT_OK });
        }
    };
    let code = match cli.command {
        Command::Scan(args) => run_scan(args),
        Command::Rules { command } => run_rules_command(command),
    };
    ExitCode::from(code)
}

fn usage_error(message: impl std::fmt::Display) -> u8 {
    eprintln!("error: {message}");
    EXIT_USAGE
}

/// Builds the configuration from `--config` and the positional paths.
fn configuration(args: &ScanArgs) -> Result<Config, ScanError> {
    let mut config =
        match (&args.config, args.paths.as_slice()) {
            (Some(file), _) => Config::load(file)?,
            (None, [dir]) if dir.is_dir() => {
                let file = dir.join("residue.yaml");
                if file.is_file() {
                    Config::load(&file)?
                } else {
                    Config::defaults(dir)
                }
            }
            (None, []) => return Err(ScanError::Usage(
                "nothing to scan: give a directory or files (e.g. `residue scan sample-data/acme`)"
                    .into(),
            )),
            (None, _) => Config::defaults(Path::new("")),
        };
    let files: Vec<&PathBuf> = args
        .paths
        .iter()
        .filter(|p| !(args.config.is_none() && args.paths.len() == 1 && p.is_dir()))
        .collect();
    if !files.is_empty() {
        for p in &files {
            if p.is_dir() {
                return Err(ScanError::Usage(format!(
                    "{}: a directory can only be scanned on its own; list files, or scan the directory alone",
                    p.display()
                )));
            }
        }
        // Files named on the command line replace the configured sources.
        config.base_dir = PathBuf::new();
        config.sources = files
            .into_iter()
            .map(|p| SourceSpec {
                path: p.clone(),
                display: p.display().to_string(),
                format: None,
                name: None,
                line: None,
                cluster: None,
            })
            .collect();
    }
    Ok(config)
}

fn audit_time(args: &ScanArgs) -> Result<Timestamp, String> {
    match &args.now {
        Some(s) => parse_timestamp(s).map_err(|e| format!("--now: {e}")),
        // The one place residue reads the clock.
        #[allow(clippy::disallowed_methods)]
        None => Ok(Timestamp::now()),
    }
}

fn run_scan(args: ScanArgs) -> u8 {
    let now = match audit_time(&args) {
        Ok(t) => t,
        Err(e) => return usage_error(e),
    };
    let config = match configuration(&args) {
        Ok(c) => c,
        Err(e) => return usage_error(e),
    };
    let show_progress = !args.quiet && std::io::stderr().is_terminal();
    let progress = progress::Display::new(show_progress, args.quiet);
    let result = scan::scan(&config, now, &progress);
    progress.finish();
    let report = match result {
        Ok(r) => r,
        Err(e) => return usage_error(e),
    };
    if let Err(e) = write_reports(&report, &args.format, &args.out) {
        return usage_error(e);
    }
    if !args.quiet {
        let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
        print!("{}", report::terminal::summary(&report, color));
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
    let threshold = args.fail_on.or(config.fail_on);
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
    let mut seen = Vec::new();
    for &f in formats {
        if seen.contains(&f) {
            continue;
        }
        seen.push(f);
        let path = out.join(f.file_name());
        std::fs::write(&path, f.render(report))
            .map_err(|e| format!("{}: cannot write the report: {e}", path.display()))?;
    }
    Ok(())
}

fn run_rules_command(command: RulesCommand) -> u8 {
    match command {
        RulesCommand::List { format } => {
            print!("{}", rules_list(format));
            EXIT_OK
        }
        RulesCommand::Explain { id } => match find_rule(&id) {
            Some(rule) => {
                print!("{}", rule.meta.markdown());
                EXIT_OK
            }
            None => {
                let ids: Vec<&str> = all_rules().iter().map(|r| r.meta.id.as_str()).collect();
                usage_error(format!(
                    "unknown rule id `{id}`; known rules: {}",
                    ids.join(", ")
                ))
            }
        },
    }
}

/// The rule list; the Markdown form is the README's rules table.
pub fn rules_list_markdown() -> String {
    rules_list(ListFormat::Markdown)
}

fn rules_list(format: ListFormat) -> String {
    let rules = all_rules();
    match format {
        ListFormat::Text => {
            let mut s = String::new();
            for r in rules {
                s.push_str(&format!(
                    "{:<6} {:<9} {:<34} {}\n",
                    r.meta.id,
                    r.meta.default_severity.as_str(),
                    r.meta.name,
                    r.meta.title
                ));
            }
            s
        }
        ListFormat::Markdown => {
            let mut s = String::from(
                "| ID | Name | Default severity | What it flags |\n|---|---|---|---|\n",
            );
            for r in rules {
                s.push_str(&format!(
                    "| {} | {} | {} | {} |\n",
                    r.meta.id, r.meta.name, r.meta.default_severity, r.meta.title
                ));
            }
            s
        }
        ListFormat::Json => {
            let metas: Vec<_> = rules.iter().map(|r| &r.meta).collect();
            let mut s = serde_json::to_string_pretty(&metas).expect("rule metadata serializes");
            s.push('\n');
            s
        }
    }
}
