//! `residue inventory`: every privilege each identity holds, how, when it was last used, and
//! what to do with it when JIT arrives (docs/inventory.md). Writes inventory.csv,
//! inventory.json and inventory.html.

use super::{audit_time, configuration, progress, usage_error, EXIT_INCOMPLETE, EXIT_OK};
use crate::graph::PermissionGraph;
use crate::inventory::{self, InventoryParams, InventoryReport};
use crate::model::reconstruct_grants_from;
use crate::report::escape;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

/// An inventory output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum InventoryFormat {
    Csv,
    Json,
    Html,
}

impl InventoryFormat {
    const ALL: [InventoryFormat; 3] = [
        InventoryFormat::Csv,
        InventoryFormat::Json,
        InventoryFormat::Html,
    ];

    fn name(self) -> &'static str {
        match self {
            InventoryFormat::Csv => "csv",
            InventoryFormat::Json => "json",
            InventoryFormat::Html => "html",
        }
    }

    fn parse(name: &str) -> Result<InventoryFormat, String> {
        InventoryFormat::ALL
            .into_iter()
            .find(|f| f.name().eq_ignore_ascii_case(name))
            .ok_or_else(|| {
                format!("`{name}` is not an inventory format; expected one of: csv, json, html")
            })
    }

    fn file_name(self) -> &'static str {
        match self {
            InventoryFormat::Csv => "inventory.csv",
            InventoryFormat::Json => "inventory.json",
            InventoryFormat::Html => "inventory.html",
        }
    }

    fn render(self, report: &InventoryReport) -> String {
        match self {
            InventoryFormat::Csv => inventory::csv(report),
            InventoryFormat::Json => inventory::json(report),
            InventoryFormat::Html => crate::report::html::render_inventory(report),
        }
    }
}

fn positive(s: &str) -> Result<i64, String> {
    match s.parse::<i64>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(format!("`{s}` is not a positive whole number of days")),
    }
}

fn count(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(format!("`{s}` is not a positive whole number")),
    }
}

#[derive(clap::Args)]
pub(super) struct InventoryArgs {
    /// A directory (its residue.yaml is read when present; otherwise every file is recognised
    /// by content) or the files to read.
    paths: Vec<PathBuf>,
    /// The configuration file (sources, audit policy).
    #[arg(long)]
    config: Option<PathBuf>,
    /// The audit time, RFC 3339 (default: now). Pin it for reproducible output.
    #[arg(long)]
    now: Option<String>,
    /// Output formats, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "csv,json,html", value_parser = InventoryFormat::parse)]
    format: Vec<InventoryFormat>,
    /// Directory the inventory files are written to.
    #[arg(long, default_value = "residue-inventory")]
    out: PathBuf,
    /// Recommend removal after this many days without recorded use.
    #[arg(long, default_value = "90", value_parser = positive)]
    unused_days: i64,
    /// A privilege last used within this many days counts as used often.
    #[arg(long, default_value = "7", value_parser = positive)]
    daily_days: i64,
    /// A role with at least this many permissions is broad enough to split when used often.
    #[arg(long, default_value = "10", value_parser = count)]
    split_permissions: usize,
    /// Exit normally even when part of the data could not be read.
    #[arg(long)]
    allow_partial: bool,
    /// Print nothing but errors.
    #[arg(long, short)]
    quiet: bool,
}

pub(super) fn run(args: InventoryArgs) -> u8 {
    let now = match audit_time(args.now.as_deref()) {
        Ok(t) => t,
        Err(e) => return usage_error(e),
    };
    if args.daily_days >= args.unused_days {
        return usage_error(format!(
            "--daily-days ({}) must be smaller than --unused-days ({})",
            args.daily_days, args.unused_days
        ));
    }
    let config = match configuration(args.config.as_deref(), &args.paths) {
        Ok(c) => c,
        Err(e) => return usage_error(e),
    };
    let params = InventoryParams {
        unused_days: args.unused_days,
        daily_days: args.daily_days,
        split_permissions: args.split_permissions,
    };
    let show_progress = !args.quiet && std::io::stderr().is_terminal();
    let display = progress::Display::new(show_progress, args.quiet);
    let loaded = load(&config, &display);
    display.finish();
    let (mut inventory, sources, gaps) = match loaded {
        Ok(l) => l,
        Err(e) => return usage_error(e),
    };
    // The raw events are not read again: their text moves into the grants.
    let grants = reconstruct_grants_from(
        &mut inventory.grant_events,
        config.policy.jit_default_window,
        &mut Vec::new(),
    );
    let graph = PermissionGraph::build(&inventory);
    let rows = inventory::build(&inventory, &graph, &grants, &config.policy, now, &params);
    let report = InventoryReport::new(rows, sources, params, now);
    if let Err(e) = write(&report, &args.format, &args.out) {
        return usage_error(e);
    }
    if !args.quiet {
        let counts: Vec<String> = report
            .summary
            .by_recommendation
            .iter()
            .map(|(r, n)| format!("{n} {r}"))
            .collect();
        println!(
            "{} privileges held by {} identities: {}",
            report.summary.rows,
            report.summary.identities,
            counts.join(", ")
        );
        let written: Vec<String> = dedup(&args.format)
            .iter()
            .map(|f| args.out.join(f.file_name()).display().to_string())
            .collect();
        println!("inventory: {}", written.join(", "));
    }
    if !gaps.is_empty() {
        eprintln!("error: the inventory is INCOMPLETE; some of its data could not be read:");
        for gap in &gaps {
            eprintln!("  - {}", escape::terminal(gap));
        }
        if !args.allow_partial {
            eprintln!("exiting with code 3 (pass --allow-partial to accept a partial inventory)");
            return EXIT_INCOMPLETE;
        }
    }
    EXIT_OK
}

type Loaded = (
    crate::model::Inventory,
    Vec<crate::report::SourceSummary>,
    Vec<String>,
);

/// Sources → finalized inventory, as a scan reads them; the gaps are files a directory scan
/// could not read.
fn load(
    config: &crate::config::Config,
    display: &progress::Display,
) -> Result<Loaded, crate::scan::ScanError> {
    use crate::scan::Progress as _;
    display.phase("recognising sources");
    let resolved = crate::scan::resolve_sources(config, display)?;
    display.phase("reading sources");
    let (inventory, mut sources) =
        crate::scan::load_inventory(&resolved.sources, &config.connectors, display)?;
    sources.sort();
    let mut gaps: Vec<String> = resolved
        .gaps
        .iter()
        .chain(inventory.gaps.iter())
        .map(|g| format!("{}: not read: {}", g.provenance, g.message))
        .collect();
    gaps.sort();
    gaps.dedup();
    Ok((inventory, sources, gaps))
}

fn dedup(formats: &[InventoryFormat]) -> Vec<InventoryFormat> {
    let mut seen = Vec::new();
    for &f in formats {
        if !seen.contains(&f) {
            seen.push(f);
        }
    }
    seen
}

fn write(report: &InventoryReport, formats: &[InventoryFormat], out: &Path) -> Result<(), String> {
    std::fs::create_dir_all(out)
        .map_err(|e| format!("{}: cannot create the output directory: {e}", out.display()))?;
    for f in dedup(formats) {
        let path = out.join(f.file_name());
        std::fs::write(&path, f.render(report))
            .map_err(|e| format!("{}: cannot write the inventory: {e}", path.display()))?;
    }
    Ok(())
}
