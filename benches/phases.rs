//! Criterion benchmarks of the scan's phases on a generated organisation
//! (`residue generate`): parse, inventory load, graph build, reach queries, rule families,
//! report writing.
//!
//! `cargo bench --bench phases` uses RESIDUE_BENCH_IDENTITIES identities (default 20,000)
//! with the other sizes in the large profile's proportions. Under `cargo test --benches`
//! (scripts/test.sh runs `cargo test --all-targets`) each benchmark runs once on a tiny
//! organisation, so the benchmarks cannot rot.

use criterion::{criterion_group, criterion_main, Criterion};
use residue::config::Config;
use residue::generate::{generate, Params, Profile, AUDIT_TIME};
use residue::graph::{PermissionGraph, ReachMode};
use residue::model::{reconstruct_grants, time::parse_timestamp, Inventory};
use residue::report::ReportFormat;
use residue::rules::{run_rules, Subject};
use residue::scan::{load_inventory, resolve_sources, scan, Silent};
use std::path::PathBuf;

/// The organisation's sizes: scaled from the large profile, tiny when not benchmarking.
fn params() -> Params {
    let benchmarking = std::env::args().any(|a| a == "--bench");
    let identities: usize = if benchmarking {
        std::env::var("RESIDUE_BENCH_IDENTITIES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(20_000)
    } else {
        200
    };
    let large = Profile::Large.params();
    let scale = |n: usize| (n * identities / large.identities).max(1);
    Params {
        identities,
        groups: scale(large.groups),
        roles: scale(large.roles),
        policies: scale(large.policies),
        assignments: scale(large.assignments),
        secrets: scale(large.secrets),
        grant_events: scale(large.grant_events),
        accounts: 1,
        aws_principals: 0,
        compare_principals: 0,
        cloudtrail_events: 0,
        k8s_service_accounts: 0,
    }
}

struct Org {
    _dir: tempfile::TempDir,
    generic: PathBuf,
    config: Config,
}

fn org() -> Org {
    let dir = tempfile::tempdir().expect("temporary directory");
    generate(&params(), 1, dir.path()).expect("generate");
    let generic = dir.path().join("generic");
    let config = Config::load(&generic.join("residue.yaml")).expect("generated residue.yaml");
    Org {
        _dir: dir,
        generic,
        config,
    }
}

fn load(org: &Org) -> Inventory {
    let sources = resolve_sources(&org.config, &Silent).expect("sources");
    load_inventory(&sources.sources, &org.config.connectors, &Silent)
        .expect("inventory")
        .0
}

fn phases(c: &mut Criterion) {
    let org = org();
    let now = parse_timestamp(AUDIT_TIME).expect("audit time");
    let mut g = c.benchmark_group("phases");
    g.sample_size(10);

    g.bench_function("parse inventory shard", |b| {
        let path = org.generic.join("inventory-00.json");
        let text = std::fs::read_to_string(&path).expect("shard");
        b.iter(|| {
            residue::connectors::generic::parse_inventory_str(&text, "bench", "inventory-00.json")
                .expect("parse")
        })
    });
    g.bench_function("load and finalize every source", |b| b.iter(|| load(&org)));

    let mut inventory = load(&org);
    let mut diagnostics = Vec::new();
    let grants = reconstruct_grants(
        &inventory.grant_events,
        org.config.policy.jit_default_window,
        &mut diagnostics,
    );
    inventory.diagnostics.extend(diagnostics);
    g.bench_function("reconstruct grants", |b| {
        b.iter(|| {
            reconstruct_grants(
                &inventory.grant_events,
                org.config.policy.jit_default_window,
                &mut Vec::new(),
            )
        })
    });
    g.bench_function("graph build", |b| {
        b.iter(|| PermissionGraph::build(&inventory))
    });
    let graph = PermissionGraph::build(&inventory);
    let ids: Vec<_> = inventory
        .identities
        .iter()
        .take(1_000)
        .filter_map(|i| graph.identity(&i.id))
        .collect();
    g.bench_function("standing + eligible reach, 1000 identities", |b| {
        b.iter(|| {
            ids.iter()
                .map(|&n| {
                    graph.reach(n, now, ReachMode::Standing).len()
                        + graph.eligible_reach(n, now).len()
                })
                .sum::<usize>()
        })
    });
    g.bench_function("rule context (record lookups)", |b| {
        b.iter(|| Subject::new(&inventory, &graph, &grants, &org.config.policy, now))
    });
    let subject = Subject::new(&inventory, &graph, &grants, &org.config.policy, now);
    for family in ["SP", "SC", "RV", "GV"] {
        let mut config =
            Config::load(&org.generic.join("residue.yaml")).expect("generated residue.yaml");
        config.rules.retain(|r| r.rule.meta.id.starts_with(family));
        g.bench_function(format!("rules {family}"), |b| {
            b.iter(|| run_rules(&config.rules, &subject))
        });
    }
    let report = scan(&org.config, now, &Silent).expect("scan");
    for format in [ReportFormat::Json, ReportFormat::Csv] {
        g.bench_function(format!("report {}", format.name()), |b| {
            b.iter(|| format.render(&report))
        });
    }
    g.finish();
}

/// One AWS account's authorization details with `compare_principals` users and roles (the
/// shape `scripts/compare-cloudsplaining.sh` runs): policy evaluation, trusts and
/// escalation methods, the connector's whole cost.
fn aws_authorization_details(c: &mut Criterion) {
    let benchmarking = std::env::args().any(|a| a == "--bench");
    let dir = tempfile::tempdir().expect("temporary directory");
    let params = Params {
        identities: 1,
        groups: 1,
        roles: 1,
        policies: if benchmarking { 200 } else { 20 },
        assignments: 0,
        secrets: 0,
        grant_events: 0,
        accounts: 1,
        aws_principals: 0,
        compare_principals: if benchmarking { 1_000 } else { 50 },
        cloudtrail_events: 0,
        k8s_service_accounts: 0,
    };
    generate(&params, 1, dir.path()).expect("generate");
    let path = dir.path().join("aws/authorization-details.json");
    let settings = residue::connectors::ConnectorSettings::default();
    let mut g = c.benchmark_group("aws");
    g.sample_size(10);
    g.bench_function("authorization details: load one account", |b| {
        // The inventory is timed to the point it is ready; a scan frees it off the critical
        // path (`scan::evaluate` drops it on a background thread), so its drop is not ingest.
        b.iter_with_large_drop(|| {
            residue::connectors::load(
                residue::connectors::SourceFormat::AwsAuthorizationDetails,
                &path,
                "authorization-details.json",
                "bench",
                &settings,
            )
            .expect("load")
        })
    });
    g.finish();
}

criterion_group!(benches, phases, aws_authorization_details);
criterion_main!(benches);
