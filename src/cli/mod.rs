//! The command line: argument parsing, the clock, progress, output files and exit codes.
//! The only place that reads the wall clock or decides an exit code. One module per
//! command; this one holds what they share.
//!
//! Exit codes: 0 ran clean (nothing at or above `--fail-on`); 1 findings at or above
//! `--fail-on` (or new ones, for a gate); 2 usage, configuration or input error; 3 the
//! audit is incomplete and `--allow-partial` was not given.

#[cfg(feature = "live-aws")]
mod collect;
mod diff;
mod gate;
mod generate;
mod graph;
mod inventory;
mod progress;
mod rules;
mod scan;

use crate::config::{Config, SourceSpec};
use crate::finding::Severity;
use crate::model::time::parse_timestamp;
use crate::model::Timestamp;
use crate::scan::ScanError;
use clap::{Parser, Subcommand};
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

/// One variant per command; each command's arguments and code live in its own module.
#[derive(Subcommand)]
enum Command {
    /// Scan exported access data and report residual privilege.
    Scan(scan::ScanArgs),
    /// Scan and compare with a baseline report; fail on findings new since the baseline.
    Gate(gate::GateArgs),
    /// Compare two JSON reports: new and fixed findings, standing admins, escalations, stale secrets.
    Diff(diff::DiffArgs),
    /// Collect access data live from a cloud API into a snapshot directory to scan.
    #[cfg(feature = "live-aws")]
    Collect {
        #[command(subcommand)]
        command: collect::CollectCommand,
    },
    /// Inventory every privilege with its path, last use and a JIT recommendation.
    Inventory(inventory::InventoryArgs),
    /// Draw one identity's reach as DOT, Mermaid or JSON.
    Graph(graph::GraphArgs),
    /// List or explain the rules.
    Rules {
        #[command(subcommand)]
        command: rules::RulesCommand,
    },
    /// Write a synthetic organisation for benchmarks (docs/performance.md).
    #[command(hide = true)]
    Generate(generate::GenerateArgs),
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
        Command::Scan(args) => scan::run(args),
        Command::Gate(args) => gate::run(args),
        Command::Diff(args) => diff::run(args),
        #[cfg(feature = "live-aws")]
        Command::Collect { command } => collect::run(command),
        Command::Inventory(args) => inventory::run(args),
        Command::Graph(args) => graph::run(args),
        Command::Rules { command } => rules::run(command),
        Command::Generate(args) => generate::run(args),
    };
    ExitCode::from(code)
}

fn usage_error(message: impl std::fmt::Display) -> u8 {
    eprintln!("error: {message}");
    EXIT_USAGE
}

fn parse_severity(s: &str) -> Result<Severity, String> {
    Severity::parse(s).ok_or_else(|| {
        format!("`{s}` is not a severity; expected one of: info, low, medium, high, critical")
    })
}

/// The audit time: `--now` when given, else the wall clock.
fn audit_time(now: Option<&str>) -> Result<Timestamp, String> {
    match now {
        Some(s) => parse_timestamp(s).map_err(|e| format!("--now: {e}")),
        // The one place residue reads the clock.
        #[allow(clippy::disallowed_methods)]
        None => Ok(Timestamp::now()),
    }
}

/// Builds the configuration from `--config` and the positional paths: a directory alone
/// reads its residue.yaml (or recognises its files); files named replace the sources.
fn configuration(config_file: Option<&Path>, paths: &[PathBuf]) -> Result<Config, ScanError> {
    let mut config =
        match (config_file, paths) {
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
    let files: Vec<&PathBuf> = paths
        .iter()
        .filter(|p| !(config_file.is_none() && paths.len() == 1 && p.is_dir()))
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
                accounts: None,
                mapping: None,
                live: None,
            })
            .collect();
    }
    Ok(config)
}
