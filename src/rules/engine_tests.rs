//! The engine's own guarantees: a crashing rule is caught and named, findings are sorted
//! and deduplicated whatever order rules finish in.

use super::*;
use crate::model::{Identity, IdentityKind, Provenance};

const META: &str = "
id: ZZ900
name: engine-test
title: Engine test rule
family: ZZ
default_severity: low
references: {}
docs: {what: w, why: y, fix: f}
examples: []
";

struct Panics;
impl Rule for Panics {
    fn evaluate(&self, _ctx: &RuleContext<'_>, _out: &mut Vec<Finding>) {
        panic!("boom in evaluator");
    }
}

/// Reports every identity, twice (the engine must deduplicate by fingerprint).
struct EveryIdentityTwice;
impl Rule for EveryIdentityTwice {
    fn evaluate(&self, ctx: &RuleContext<'_>, out: &mut Vec<Finding>) {
        for _ in 0..2 {
            for i in ctx.inventory.identities.iter().rev() {
                out.push(
                    ctx.finding(&i.id, None, "", format!("{} exists.", i.id))
                        .source(&i.provenance)
                        .build(),
                );
            }
        }
    }
}

fn registered(id: &str, evaluator: &'static dyn Rule) -> &'static RegisteredRule {
    let mut meta = RuleMeta::parse("engine_tests", META).unwrap();
    meta.id = id.to_string();
    Box::leak(Box::new(RegisteredRule {
        meta,
        evaluator,
        catalog_file: "engine_tests",
    }))
}

#[test]
fn a_panicking_rule_is_caught_named_and_others_still_run() {
    let mut inv = Inventory::new();
    for id in ["b", "a", "c"] {
        inv.identities.push(Identity::new(
            id,
            IdentityKind::Human,
            Provenance::synthetic(id),
        ));
    }
    inv.finalize().unwrap();
    let graph = PermissionGraph::build(&inv);
    let policy = AuditPolicy::default();
    let now: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
    let subject = Subject::new(&inv, &graph, &[], &policy, now);
    let rules = vec![
        ConfiguredRule {
            rule: registered("ZZ901", &Panics),
            severity: Severity::Low,
            params: RuleParams::default(),
        },
        ConfiguredRule {
            rule: registered("ZZ902", &EveryIdentityTwice),
            severity: Severity::Medium,
            params: RuleParams::default(),
        },
    ];
    let run = run_rules(&rules, &subject);
    assert_eq!(
        run.crashes,
        vec![RuleCrash {
            rule_id: "ZZ901".into(),
            message: "boom in evaluator".into()
        }]
    );
    let subjects: Vec<&str> = run.findings.iter().map(|f| f.subject.as_str()).collect();
    assert_eq!(subjects, vec!["a", "b", "c"], "sorted and deduplicated");
    assert!(run
        .findings
        .iter()
        .all(|f| f.severity == Severity::Medium && f.rule_id == "ZZ902"));
}
