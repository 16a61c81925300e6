//! One scan, end to end: sources → inventory → graph → grants → rules → suppressions → report.
//!
//! This is the library's front door; the CLI adds only argument parsing, the clock, progress
//! display and file output.

use crate::collect::manifest;
use crate::config::{Config, ConfigErrors, SourceSpec};
use crate::connectors::{self, ConnectorError, ConnectorSettings, SourceFormat};
use crate::finding::Finding;
use crate::gate::suppressions::{self, SuppressionErrors};
use crate::graph::PermissionGraph;
use crate::model::{
    reconstruct_grants_from, CoverageGap, Inventory, InventoryError, Provenance, Timestamp,
};
use crate::report::{Coverage, ScanReport, SourceSummary, Summary, ToolInfo, SCHEMA_VERSION};
use crate::rules::{run_rules, Lookups, RegisteredRule, RuleExample, Subject};
use rayon::prelude::*;
use std::path::{Path, PathBuf};

/// Why a scan could not run. Every variant is a usage, configuration or input problem
/// (exit code 2); an incomplete run is not an error but a report with coverage gaps.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    #[error("{0}")]
    Config(#[from] ConfigErrors),
    #[error("{0}")]
    Source(#[from] ConnectorError),
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Sources(Vec<ConnectorError>),
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Inventory(Vec<InventoryError>),
    #[error("{0}")]
    Suppressions(#[from] SuppressionErrors),
    #[error("{0}")]
    Usage(String),
}

/// Told what the scan is doing, for progress display. The library never prints.
pub trait Progress: Sync {
    fn phase(&self, _name: &str) {}
    /// A source was recognised or read: `recognised inventory.yaml as generic-inventory`.
    fn note(&self, _message: &str) {}
}

/// Progress that goes nowhere (tests, library use).
pub struct Silent;
impl Progress for Silent {}

/// A source with its format decided.
#[derive(Debug, Clone)]
pub struct ResolvedSource {
    pub spec: SourceSpec,
    pub format: SourceFormat,
}

/// Files the directory scan never treats as data.
fn is_documentation_or_config(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.starts_with('.')
        || lower == "residue.yaml"
        || lower == "residue.yml"
        || lower.starts_with("readme")
        || lower.ends_with(".md")
        || lower == "suppressions.yaml"
        || lower == "suppressions.yml"
}

/// The sources a scan will read, and the files of a scanned directory it could not open.
#[derive(Debug, Default)]
pub struct ResolvedSources {
    pub sources: Vec<ResolvedSource>,
    /// Unreadable files met while scanning a directory by content: the rest is audited, and
    /// the audit says it is incomplete.
    pub gaps: Vec<CoverageGap>,
}

/// Decides every source's format: as configured, or recognised by content. Files nothing
/// recognises are refused together, by name. A file named explicitly that cannot be read is
/// an error; one met while scanning a directory is a coverage gap.
pub fn resolve_sources(
    config: &Config,
    progress: &dyn Progress,
) -> Result<ResolvedSources, ScanError> {
    let specs: Vec<SourceSpec> = if config.sources.is_empty() {
        let mut files = Vec::new();
        collect_files(&config.base_dir, &mut files).map_err(ScanError::Source)?;
        let skip = config.suppressions.as_ref().map(|s| s.path.clone());
        files
            .into_iter()
            .filter(|p| Some(p) != skip.as_ref())
            .map(|p| SourceSpec {
                display: p.display().to_string(),
                path: p,
                format: None,
                name: None,
                line: None,
                cluster: None,
                accounts: None,
                mapping: None,
                live: None,
            })
            .collect()
    } else {
        expand_snapshots(&config.sources)?
    };
    if specs.is_empty() {
        return Err(ScanError::Usage(format!(
            "{}: no input files found; point residue at exported data (see docs/formats.md)",
            config.base_dir.display()
        )));
    }
    let scanning_directory = config.sources.is_empty();
    let mut resolved = ResolvedSources::default();
    let mut refused = Vec::new();
    for mut spec in specs {
        let shown = if config.sources.is_empty() {
            spec.display.clone()
        } else {
            config.base_dir.join(&spec.display).display().to_string()
        };
        spec.display = shown;
        if !spec.path.exists() {
            if scanning_directory {
                resolved.gaps.push(CoverageGap {
                    provenance: Provenance::new("directory scan", spec.display.clone()),
                    message: "the entry points at nothing (a dangling link?); whatever it held is missing from this audit".into(),
                });
            } else {
                refused.push(ConnectorError::Io {
                    file: spec.display.clone(),
                    message: "no such file".into(),
                });
            }
            continue;
        }
        let format = match spec.format {
            Some(f) => f,
            None => match connectors::detect(&spec.path, &spec.display) {
                Ok(Some(f)) => {
                    progress.note(&format!(
                        "recognised {} as {} ({})",
                        spec.display,
                        f.name(),
                        f.describe()
                    ));
                    f
                }
                Ok(None) => {
                    refused.push(ConnectorError::Unrecognised {
                        file: spec.display.clone(),
                        reason: "its content matches no known format".into(),
                    });
                    continue;
                }
                Err(ConnectorError::Io { file, message }) if scanning_directory => {
                    resolved.gaps.push(CoverageGap {
                        provenance: Provenance::new("directory scan", file),
                        message: format!("the file cannot be read ({message}); its records are missing from this audit"),
                    });
                    continue;
                }
                Err(e) => {
                    refused.push(e);
                    continue;
                }
            },
        };
        resolved.sources.push(ResolvedSource { spec, format });
    }
    if !refused.is_empty() {
        return Err(ScanError::Sources(refused));
    }
    if scanning_directory {
        resolved.sources = group_tenant_directories(resolved.sources);
    }
    resolved.gaps.extend(snapshot_gaps(&resolved.sources)?);
    Ok(resolved)
}

/// A tenant's saved Graph responses only make sense together (assignment instances name the
/// roles and principals the other listings define), so when a scanned directory holds
/// nothing but Entra PIM responses it is read as one source, as residue.yaml would name it.
fn group_tenant_directories(sources: Vec<ResolvedSource>) -> Vec<ResolvedSource> {
    use std::collections::BTreeMap;
    let parent = |s: &ResolvedSource| s.spec.path.parent().map(Path::to_path_buf);
    let mut formats_by_dir: BTreeMap<PathBuf, Vec<SourceFormat>> = BTreeMap::new();
    for s in &sources {
        if let Some(dir) = parent(s) {
            formats_by_dir.entry(dir).or_default().push(s.format);
        }
    }
    let tenant_dir = |dir: &Path| {
        formats_by_dir
            .get(dir)
            .is_some_and(|f| f.len() > 1 && f.iter().all(|&f| f == SourceFormat::EntraPim))
    };
    let mut out: Vec<ResolvedSource> = Vec::new();
    for s in sources {
        match parent(&s).filter(|dir| tenant_dir(dir)) {
            Some(dir) => {
                if out.iter().any(|o| o.spec.path == dir) {
                    continue;
                }
                let display = Path::new(&s.spec.display)
                    .parent()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default();
                let mut spec = s.spec;
                spec.path = dir;
                spec.display = display;
                out.push(ResolvedSource {
                    spec,
                    format: SourceFormat::EntraPim,
                });
            }
            None => out.push(s),
        }
    }
    out
}

/// Replaces each `live:` source by the files of its snapshot, as its manifest lists them
/// (the snapshot is written by [`collect_live_sources`] before the scan resolves).
fn expand_snapshots(sources: &[SourceSpec]) -> Result<Vec<SourceSpec>, ScanError> {
    let mut out = Vec::new();
    for spec in sources {
        if spec.live.is_none() {
            out.push(spec.clone());
            continue;
        }
        let manifest_display = manifest::join_display(&spec.display, manifest::MANIFEST_FILE);
        let Some(m) = manifest::read(&spec.path, &manifest_display)? else {
            return Err(ScanError::Source(ConnectorError::Io {
                file: manifest_display,
                message: "no snapshot manifest: the live source has not been collected".into(),
            }));
        };
        out.extend(manifest::snapshot_sources(
            &spec.path,
            &spec.display,
            &m,
            spec.name.as_deref(),
            spec.line,
        )?);
    }
    Ok(out)
}

/// The coverage gaps of the snapshots the sources come from: a `manifest.json` written by a
/// live collection beside a source lists the API calls that failed.
fn snapshot_gaps(sources: &[ResolvedSource]) -> Result<Vec<CoverageGap>, ScanError> {
    let mut dirs = std::collections::BTreeMap::new();
    for s in sources {
        let dir = s.spec.path.parent().unwrap_or(Path::new(""));
        let display = Path::new(&s.spec.display)
            .parent()
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        dirs.entry(dir.to_path_buf()).or_insert(display);
    }
    let mut gaps = Vec::new();
    for (dir, display) in dirs {
        let shown = manifest::join_display(&display, manifest::MANIFEST_FILE);
        if let Some(m) = manifest::read(&dir, &shown)? {
            gaps.extend(m.gaps(&shown));
        }
    }
    Ok(gaps)
}

/// Collects every `live:` source into its snapshot directory. A call that fails is recorded
/// in the snapshot's manifest (and so becomes a coverage gap); only a snapshot that cannot be
/// written stops the scan. `now` is recorded as the collection time.
#[cfg(feature = "live-aws")]
pub fn collect_live_sources(
    config: &Config,
    now: Timestamp,
    progress: &dyn Progress,
) -> Result<(), ScanError> {
    for spec in &config.sources {
        let Some(live) = &spec.live else { continue };
        let options = crate::collect::aws::Options {
            profile: live.profile.clone(),
            region: live.region.clone(),
            endpoint_url: live.endpoint_url.clone(),
            ..Default::default()
        };
        progress.note(&format!("collecting AWS IAM into {}", spec.display));
        crate::collect::aws::collect(&options, &spec.path, &spec.display, now, progress).map_err(
            |e| {
                ScanError::Source(ConnectorError::Io {
                    file: spec.display.clone(),
                    message: e.to_string(),
                })
            },
        )?;
    }
    Ok(())
}

/// Without live collection, residue.yaml cannot name a live source: nothing to collect.
#[cfg(not(feature = "live-aws"))]
pub fn collect_live_sources(
    _config: &Config,
    _now: Timestamp,
    _progress: &dyn Progress,
) -> Result<(), ScanError> {
    Ok(())
}

/// Files under `dir`, sorted, recursively. Symbolic links are followed, but a directory
/// already visited (a link loop, or two links to one place) is read once. Entries that are
/// neither files nor directories once resolved (a dangling link) are returned too, so that
/// reading them fails and the audit reports the gap instead of silently skipping them.
fn collect_files(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), ConnectorError> {
    let mut visited = std::collections::HashSet::new();
    collect_files_into(dir, out, &mut visited)
}

fn collect_files_into(
    dir: &Path,
    out: &mut Vec<PathBuf>,
    visited: &mut std::collections::HashSet<PathBuf>,
) -> Result<(), ConnectorError> {
    let io = |e: std::io::Error| ConnectorError::Io {
        file: dir.display().to_string(),
        message: e.to_string(),
    };
    let canonical = std::fs::canonicalize(dir).map_err(io)?;
    if !visited.insert(canonical) {
        return Ok(());
    }
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .map_err(io)?
        .collect::<Result<_, _>>()
        .map_err(io)?;
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let name = e.file_name().to_string_lossy().to_string();
        if is_documentation_or_config(&name) {
            continue;
        }
        let path = e.path();
        if path.is_dir() {
            collect_files_into(&path, out, visited)?;
        } else {
            out.push(path);
        }
    }
    Ok(())
}

/// Reads every source (in parallel) and merges them in source order, then finalizes.
pub fn load_inventory(
    sources: &[ResolvedSource],
    settings: &ConnectorSettings,
    progress: &dyn Progress,
) -> Result<(Inventory, Vec<SourceSummary>), ScanError> {
    let name_of = |s: &ResolvedSource| {
        s.spec
            .name
            .clone()
            .unwrap_or_else(|| s.format.name().to_string())
    };
    // AWS authorization details and SCPs are read together: SCPs cap the accounts they
    // target, and trusts resolve across accounts (see connectors::aws::accounts).
    let is_aws = |s: &ResolvedSource| {
        matches!(
            s.format,
            SourceFormat::AwsAuthorizationDetails | SourceFormat::AwsScp
        )
    };
    let names: Vec<String> = sources.iter().map(name_of).collect();
    let aws_inputs = |format: SourceFormat| -> (Vec<usize>, Vec<connectors::aws::AwsInput<'_>>) {
        sources
            .iter()
            .enumerate()
            .filter(|(_, s)| s.format == format)
            .map(|(i, s)| {
                (
                    i,
                    connectors::aws::AwsInput {
                        path: &s.spec.path,
                        display: &s.spec.display,
                        source: &names[i],
                        accounts: s.spec.accounts.as_deref(),
                    },
                )
            })
            .unzip()
    };
    let (authz_at, authz_inputs) = aws_inputs(SourceFormat::AwsAuthorizationDetails);
    let (scp_at, scp_inputs) = aws_inputs(SourceFormat::AwsScp);
    let (authz_loaded, scp_loaded) =
        connectors::aws::load_accounts(&authz_inputs, &scp_inputs, settings);
    let mut loaded: Vec<Option<Result<Inventory, ConnectorError>>> = sources
        .par_iter()
        .zip(&names)
        .map(|(s, name)| {
            if is_aws(s) {
                return None;
            }
            let mut settings = settings.clone();
            settings.cluster = s.spec.cluster.clone();
            settings.mapping = s.spec.mapping.clone();
            Some(connectors::load(
                s.format,
                &s.spec.path,
                &s.spec.display,
                name,
                &settings,
            ))
        })
        .collect();
    for (i, r) in authz_at.into_iter().zip(authz_loaded) {
        loaded[i] = Some(r);
    }
    for (i, r) in scp_at.into_iter().zip(scp_loaded) {
        loaded[i] = Some(r);
    }
    let loaded: Vec<Result<Inventory, ConnectorError>> = loaded
        .into_iter()
        .map(|r| r.unwrap_or_else(|| Ok(Inventory::new())))
        .collect();
    let mut parts = Vec::with_capacity(loaded.len());
    let mut summaries = Vec::new();
    let mut errors = Vec::new();
    for (s, result) in sources.iter().zip(loaded) {
        match result {
            Ok(inv) => {
                progress.note(&format!("read {} ({})", s.spec.display, s.format.name()));
                summaries.push(SourceSummary {
                    name: s
                        .spec
                        .name
                        .clone()
                        .unwrap_or_else(|| s.format.name().to_string()),
                    format: s.format.name().to_string(),
                    file: s.spec.display.clone(),
                    records: inv
                        .counts()
                        .into_iter()
                        .filter(|(_, n)| *n > 0)
                        .map(|(k, n)| (k.to_string(), n))
                        .collect(),
                });
                parts.push(inv);
            }
            Err(e) => errors.push(e),
        }
    }
    if !errors.is_empty() {
        return Err(if errors.len() == 1 {
            ScanError::Source(errors.remove(0))
        } else {
            ScanError::Sources(errors)
        });
    }
    let mut inventory = Inventory::concat(parts);
    progress.phase("checking the inventory");
    // Records a Terraform plan only refers to give way to the source that describes them.
    connectors::terraform::merge_references(&mut inventory);
    inventory.finalize().map_err(ScanError::Inventory)?;
    Ok((inventory, summaries))
}

/// Evaluates the configured rules over a finalized inventory. Returns the sorted findings and
/// the coverage gaps (rules that crashed). The inventory's raw grant events are consumed:
/// rules read the grants reconstructed from them, and the events are freed.
pub fn evaluate(
    inventory: &mut Inventory,
    config: &Config,
    now: Timestamp,
    progress: &dyn Progress,
) -> (Vec<Finding>, Coverage) {
    progress.phase("reconstructing grants");
    let mut diagnostics = Vec::new();
    let grants = reconstruct_grants_from(
        &mut inventory.grant_events,
        config.policy.jit_default_window,
        &mut diagnostics,
    );
    // Rules read the reconstructed grants, never the raw events: on a large organisation
    // the events are the biggest part of the inventory, and nothing needs them any more.
    // They are freed (on a helper thread) while the graph is built, not after it: the
    // graph phase no longer holds both.
    drop_in_background(std::mem::take(&mut inventory.grant_events));
    inventory.diagnostics.extend(diagnostics);
    inventory.diagnostics.sort();
    inventory.diagnostics.dedup();
    let inventory = &*inventory;
    progress.phase("building the graph and indexing records");
    // The graph and the rules' lookups read different things: build them side by side.
    let (graph, lookups) = rayon::join(
        || PermissionGraph::build(inventory),
        || Lookups::build(inventory, &grants),
    );
    let subject = Subject::with_lookups(inventory, &graph, &grants, &config.policy, now, lookups);
    progress.phase("evaluating rules");
    let run = run_rules(&config.rules, &subject);
    drop(subject);
    drop_in_background((graph, grants));
    let mut gaps: Vec<String> = inventory
        .gaps
        .iter()
        .map(|g| format!("{}: not read: {}", g.provenance, g.message))
        .collect();
    gaps.extend(run.crashes.iter().map(|c| {
        format!(
            "rule {} crashed and reported nothing: {}",
            c.rule_id, c.message
        )
    }));
    (
        run.findings,
        Coverage {
            complete: gaps.is_empty(),
            gaps,
        },
    )
}

/// Frees `value` on a thread of its own: a large organisation's graph, reach and inventory
/// take seconds to free record by record, and nothing waits for that memory.
fn drop_in_background<T: Send + 'static>(value: T) {
    // If no thread can be started, the value is dropped here, as usual.
    let _ = std::thread::Builder::new()
        .name("residue-free".into())
        .spawn(move || drop(value));
}

/// Runs a whole scan as configured.
pub fn scan(
    config: &Config,
    now: Timestamp,
    progress: &dyn Progress,
) -> Result<ScanReport, ScanError> {
    let suppressions = match &config.suppressions {
        Some(spec) => {
            let text = std::fs::read_to_string(&spec.path).map_err(|e| ConnectorError::Io {
                file: spec.display.clone(),
                message: e.to_string(),
            })?;
            suppressions::parse(&text, &spec.display)?
        }
        None => Vec::new(),
    };
    collect_live_sources(config, now, progress)?;
    progress.phase("recognising sources");
    let resolved = resolve_sources(config, progress)?;
    progress.phase("reading sources");
    let (mut inventory, source_summaries) =
        load_inventory(&resolved.sources, &config.connectors, progress)?;
    inventory.gaps.extend(resolved.gaps);
    inventory.gaps.sort();
    // Reports list sources by file, not in the order they were named: the same inputs
    // listed differently give the same bytes.
    let mut source_summaries = source_summaries;
    source_summaries.sort();
    let (findings, coverage) = evaluate(&mut inventory, config, now, progress);
    progress.phase("applying suppressions");
    let (findings, suppressed, suppression_notes) =
        suppressions::apply(findings, &suppressions, now);
    let mut rules: Vec<String> = config
        .rules
        .iter()
        .map(|r| r.rule.meta.id.clone())
        .collect();
    rules.sort();
    let diagnostics = std::mem::take(&mut inventory.diagnostics);
    drop_in_background(inventory);
    Ok(ScanReport {
        schema_version: SCHEMA_VERSION,
        tool: ToolInfo::default(),
        audit_time: now,
        sources: source_summaries,
        policy: config.policy.clone(),
        rules,
        summary: Summary::of(&findings, suppressed.len()),
        coverage,
        findings,
        suppressed,
        suppression_notes,
        diagnostics,
    })
}

/// Runs one rule on one of its catalog examples (used by the catalog tests and
/// `residue rules explain --check`).
pub fn run_example(
    rule: &'static RegisteredRule,
    example: &RuleExample,
) -> Result<Vec<Finding>, String> {
    let now = crate::model::time::parse_timestamp(&example.now)
        .map_err(|e| format!("example `{}`: now: {e}", example.name))?;
    let config_text = match &example.config {
        Some(v) => serde_yaml::to_string(v).map_err(|e| e.to_string())?,
        None => String::new(),
    };
    let mut config = Config::parse(
        &config_text,
        &format!("{} example `{}` config", rule.meta.id, example.name),
        Path::new("."),
    )
    .map_err(|e| e.to_string())?;
    config.rules.retain(|r| r.rule.meta.id == rule.meta.id);
    if config.rules.is_empty() {
        return Err(format!(
            "example `{}` disables the rule it illustrates",
            example.name
        ));
    }
    let text = serde_yaml::to_string(&example.inventory).map_err(|e| e.to_string())?;
    let file = format!("{} example `{}`", rule.meta.id, example.name);
    let mut inventory = connectors::generic::parse_inventory_str(&text, "example", &file)
        .map_err(|e| e.to_string())?;
    inventory.finalize().map_err(|errs| {
        errs.iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    })?;
    let (findings, coverage) = evaluate(&mut inventory, &config, now, &Silent);
    if !coverage.complete {
        return Err(coverage.gaps.join("; "));
    }
    Ok(findings)
}
