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
    with_subject(&inv, a_panic_is_caught_in);
}

fn a_panic_is_caught_in(subject: &Subject<'_>) {
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
    let run = run_rules(&rules, subject);
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

#[test]
fn applying_an_order_moves_every_item_to_its_place() {
    // Fixed points, a 2-cycle and a 3-cycle in one permutation.
    let mut items = vec!["a", "b", "c", "d", "e", "f"];
    let order = [0u32, 2, 1, 5, 3, 4];
    apply_order(&mut items, &order);
    assert_eq!(items, vec!["a", "c", "b", "f", "d", "e"]);
    let mut none: Vec<u8> = Vec::new();
    apply_order(&mut none, &[]);
    assert!(none.is_empty());
}

/// Runs `check` with the subject a scan would build over `inv`.
fn with_subject(inv: &Inventory, check: impl FnOnce(&Subject<'_>)) {
    let graph = PermissionGraph::build(inv);
    let policy = AuditPolicy::default();
    let now: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
    check(&Subject::new(inv, &graph, &[], &policy, now));
}

#[test]
fn sorting_findings_keeps_the_order_in_which_equal_keys_were_found() {
    let mut inv = Inventory::new();
    inv.identities.push(Identity::new(
        "a",
        IdentityKind::Human,
        Provenance::synthetic("a"),
    ));
    inv.finalize().unwrap();
    with_subject(&inv, sorting_findings_in);
}

fn sorting_findings_in(subject: &Subject<'_>) {
    let meta = RuleMeta::parse("engine_tests", META).unwrap();
    let params = RuleParams::default();
    let ctx = RuleContext::new(
        subject,
        (&meta, &params, Severity::Low),
        &subject.inventory.identities,
        None,
    );
    let finding = |subject: &str, message: &str| {
        ctx.finding(subject, None, "", message.to_string())
            .source(&Provenance::synthetic(subject))
            .build()
    };
    // Same subject and fingerprint twice, with different messages: the first found stays
    // first, so deduplication keeps it.
    let mut findings = vec![
        finding("c", "c"),
        finding("b", "first b"),
        finding("a", "a"),
        finding("b", "second b"),
    ];
    sort_findings(&mut findings);
    let messages: Vec<&str> = findings.iter().map(|f| f.message.as_str()).collect();
    assert_eq!(messages, vec!["a", "first b", "second b", "c"]);
    let merged = concat_largest_first(vec![
        vec![finding("x", "x")],
        vec![finding("y", "y"), finding("z", "z")],
        Vec::new(),
    ]);
    let mut subjects: Vec<&str> = merged.iter().map(|f| f.subject.as_str()).collect();
    subjects.sort();
    assert_eq!(subjects, vec!["x", "y", "z"]);
    assert!(concat_largest_first(Vec::new()).is_empty());
    joining_the_rules_findings_in(&ctx);
}

/// Joining each rule's findings in report order gives what sorting all of them together
/// gives: a rule whose findings differ in severity (GV006 raises some), duplicates, empty
/// lists, and two lists of one rule (joined by sorting everything).
fn joining_the_rules_findings_in(ctx: &RuleContext<'_>) {
    let finding = |rule: &str, severity: Severity, subject: &str, message: &str| {
        let mut f = ctx
            .finding(subject, None, rule, message.to_string())
            .source(&Provenance::synthetic(subject))
            .build();
        f.rule_id = rule.to_string();
        f.severity = severity;
        f
    };
    let all_together = |lists: &[Vec<Finding>]| {
        let mut all = lists.concat();
        sort_findings(&mut all);
        all.dedup_by(|b, a| a.fingerprint == b.fingerprint);
        all
    };
    let messages =
        |found: &[Finding]| -> Vec<String> { found.iter().map(|f| f.message.clone()).collect() };
    let one_list_per_rule = vec![
        vec![
            finding("GV006", Severity::Low, "b", "gv006 low b"),
            finding("GV006", Severity::High, "c", "gv006 high c"),
            finding("GV006", Severity::Low, "a", "gv006 low a"),
            finding("GV006", Severity::Low, "a", "gv006 low a again"),
        ],
        Vec::new(),
        vec![
            finding("SP001", Severity::Critical, "z", "sp001 z"),
            finding("SP001", Severity::Critical, "y", "sp001 y"),
        ],
        vec![
            finding("RV001", Severity::Medium, "m", "rv001 m"),
            finding("RV001", Severity::High, "n", "rv001 n"),
        ],
    ];
    let joins_as = |lists: Vec<Vec<Finding>>, expected: &[&str]| {
        let joined = messages(&findings_in_order(lists.clone()));
        assert_eq!(joined, messages(&all_together(&lists)));
        assert_eq!(joined, expected);
    };
    joins_as(
        one_list_per_rule,
        &[
            "sp001 y",
            "sp001 z",
            "gv006 high c",
            "rv001 n",
            "rv001 m",
            "gv006 low a",
            "gv006 low b",
        ],
    );
    let one_rule_twice = vec![
        vec![finding("SP001", Severity::Critical, "b", "first list b")],
        vec![
            finding("SP001", Severity::Critical, "a", "second list a"),
            finding("SP001", Severity::Critical, "c", "second list c"),
        ],
    ];
    joins_as(
        one_rule_twice,
        &["second list a", "first list b", "second list c"],
    );
    assert!(findings_in_order(Vec::new()).is_empty());
}

/// Reports each judged identity's standing roles (a rule that reads reach).
struct StandingRoles;
impl Rule for StandingRoles {
    fn reads_reach(&self) -> bool {
        true
    }
    fn evaluate(&self, ctx: &RuleContext<'_>, out: &mut Vec<Finding>) {
        ctx.for_each_identity(out, |identity, out| {
            for reached in ctx.standing_reach(&identity.id) {
                out.push(
                    ctx.finding(
                        &identity.id,
                        Some(&reached.role),
                        "",
                        format!("{} holds {}.", identity.id, reached.role),
                    )
                    .source(&identity.provenance)
                    .path(&reached.path)
                    .build(),
                );
            }
        });
    }
}

/// Reads reach without declaring it.
struct UndeclaredReach;
impl Rule for UndeclaredReach {
    fn evaluate(&self, ctx: &RuleContext<'_>, _out: &mut Vec<Finding>) {
        let _ = ctx.standing_reach("a");
    }
}

/// Declares reach, then reads the reach of an identity other than those it judges.
struct OthersReach;
impl Rule for OthersReach {
    fn reads_reach(&self) -> bool {
        true
    }
    fn evaluate(&self, ctx: &RuleContext<'_>, _out: &mut Vec<Finding>) {
        for _ in ctx.identities() {
            let _ = ctx.standing_reach("a");
        }
    }
}

/// Five people, each holding one or two of three roles; "g" is a group (no reach).
fn five_holders() -> Inventory {
    let mut inv = Inventory::new();
    for id in ["a", "b", "c", "d", "e"] {
        inv.identities.push(Identity::new(
            id,
            IdentityKind::Human,
            Provenance::synthetic(id),
        ));
    }
    inv.identities.push(Identity::new(
        "g",
        IdentityKind::Group,
        Provenance::synthetic("g"),
    ));
    for role in ["r1", "r2", "r3"] {
        inv.roles.push(crate::model::Role {
            id: role.into(),
            name: role.into(),
            permissions: Vec::new(),
            privilege: crate::model::PrivilegeLevel::Write,
            scope: None,
            last_used: None,
            tags: Default::default(),
            provenance: Provenance::synthetic(role),
        });
    }
    for (subject, role) in [
        ("a", "r1"),
        ("b", "r2"),
        ("b", "r3"),
        ("d", "r1"),
        ("e", "r3"),
    ] {
        inv.assignments.push(crate::model::Assignment {
            subject: subject.into(),
            role: role.into(),
            kind: crate::model::AssignmentKind::Standing,
            window: crate::model::Window::UNBOUNDED,
            last_used: None,
            provenance: Provenance::synthetic(subject),
        });
    }
    inv.finalize().unwrap();
    inv
}

#[test]
fn rules_reading_reach_find_the_same_in_chunks_as_in_one_pass() {
    with_subject(&five_holders(), chunks_find_what_one_pass_finds);
}

fn chunks_find_what_one_pass_finds(subject: &Subject<'_>) {
    let rule = ConfiguredRule {
        rule: registered("ZZ903", &StandingRoles),
        severity: Severity::Low,
        params: RuleParams::default(),
    };
    let found = |chunk_len: usize| -> Vec<(String, Option<String>)> {
        let mut results = run_by_chunk(&[&rule], subject, chunk_len);
        let findings = results.remove(0).expect("no crash");
        findings
            .into_iter()
            .map(|f| (f.subject, f.entitlement))
            .collect()
    };
    let one_pass = found(100);
    assert_eq!(
        one_pass,
        [
            ("a", "r1"),
            ("b", "r2"),
            ("b", "r3"),
            ("d", "r1"),
            ("e", "r3")
        ]
        .map(|(s, r)| (s.to_string(), Some(r.to_string())))
        .to_vec(),
        "identity order, each identity's roles in order"
    );
    for chunk_len in [1, 2, 4, 6] {
        assert_eq!(found(chunk_len), one_pass, "chunks of {chunk_len}");
    }
}

#[test]
fn reading_reach_undeclared_or_outside_the_chunk_crashes_the_rule() {
    with_subject(&five_holders(), misread_reach_crashes);
}

fn misread_reach_crashes(subject: &Subject<'_>) {
    let configured = |id: &str, evaluator: &'static dyn Rule| ConfiguredRule {
        rule: registered(id, evaluator),
        severity: Severity::Low,
        params: RuleParams::default(),
    };
    let run = run_rules(
        &[
            configured("ZZ904", &UndeclaredReach),
            configured("ZZ905", &StandingRoles),
        ],
        subject,
    );
    assert_eq!(run.crashes.len(), 1, "{:?}", run.crashes);
    assert_eq!(run.crashes[0].rule_id, "ZZ904");
    assert!(
        run.crashes[0].message.contains("does not declare"),
        "{}",
        run.crashes[0].message
    );
    assert_eq!(run.findings.len(), 5, "the other rule still ran");

    // Judging b and c, the rule asks about a: a crash, never an empty answer.
    let others = configured("ZZ906", &OthersReach);
    let mut results = run_by_chunk(&[&others], subject, 2);
    let crash = results.remove(0).expect_err("crashes in the second chunk");
    assert!(crash.message.contains("reach of a"), "{}", crash.message);
    // In one chunk, a is among the identities judged.
    assert!(run_by_chunk(&[&others], subject, 100)[0].is_ok());
}
