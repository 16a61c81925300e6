//! `residue graph --identity ID`: what one identity reaches, as DOT, Mermaid or JSON, for
//! other tools (Graphviz, a Markdown page, a script).

use super::{audit_time, configuration, progress, usage_error, EXIT_OK};
use crate::graph::{GraphFormat, PermissionGraph};
use crate::report::escape;
use std::io::IsTerminal;
use std::path::PathBuf;

#[derive(clap::Args)]
pub(super) struct GraphArgs {
    /// A directory (its residue.yaml is read when present) or the files to read.
    paths: Vec<PathBuf>,
    /// The identity whose reach to draw (its id as the sources name it).
    #[arg(long)]
    identity: String,
    /// Output format: dot (Graphviz), mermaid or json.
    #[arg(long, default_value = "dot", value_parser = GraphFormat::parse)]
    format: GraphFormat,
    /// Write to this file instead of standard output.
    #[arg(long)]
    out: Option<PathBuf>,
    /// The configuration file (sources, connector settings).
    #[arg(long)]
    config: Option<PathBuf>,
    /// The audit time, RFC 3339 (default: now).
    #[arg(long)]
    now: Option<String>,
}

pub(super) fn run(args: GraphArgs) -> u8 {
    let now = match audit_time(args.now.as_deref()) {
        Ok(t) => t,
        Err(e) => return usage_error(e),
    };
    let config = match configuration(args.config.as_deref(), &args.paths) {
        Ok(c) => c,
        Err(e) => return usage_error(e),
    };
    // Notes about recognised sources would mix with the graph on standard output: quiet.
    let display = progress::Display::new(std::io::stderr().is_terminal(), true);
    let loaded = crate::scan::resolve_sources(&config, &display).and_then(|resolved| {
        crate::scan::load_inventory(&resolved.sources, &config.connectors, &display)
    });
    display.finish();
    let inventory = match loaded {
        Ok((inventory, _)) => inventory,
        Err(e) => return usage_error(e),
    };
    let graph = PermissionGraph::build(&inventory);
    let Some(node) = graph.identity(&args.identity) else {
        let mut close: Vec<&str> = inventory
            .identities
            .iter()
            .map(|i| i.id.as_str())
            .filter(|id| {
                let (a, b) = (id.to_lowercase(), args.identity.to_lowercase());
                a.contains(&b) || b.contains(&a)
            })
            .take(5)
            .collect();
        close.sort();
        let hint = if close.is_empty() {
            format!(
                "the sources define {} identities",
                inventory.identities.len()
            )
        } else {
            format!("did you mean: {}?", close.join(", "))
        };
        return usage_error(format!(
            "--identity: no identity `{}` in the sources; {}",
            escape::terminal(&args.identity),
            escape::terminal(&hint)
        ));
    };
    let text = graph.reach_graph(node, now).render(args.format);
    match &args.out {
        Some(path) => {
            if let Err(e) = std::fs::write(path, &text) {
                return usage_error(format!("{}: cannot write the graph: {e}", path.display()));
            }
        }
        None => print!("{text}"),
    }
    EXIT_OK
}
