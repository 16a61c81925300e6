//! The rule engine: catalog, registry, context, and the parallel run.
//!
//! A rule reads the inventory, the graph, the reconstructed grants, its typed parameters and
//! the audit time — never a source format, never the clock. Each rule is one YAML under
//! `rules/<family>/` and one evaluator under `src/rules/<family>/`, listed once in
//! [`registry`].

pub mod catalog;
mod elevation;
mod lookups;
pub mod params;
mod registry;

pub mod gv;
pub mod rv;
pub mod sc;
pub mod sp;

pub use catalog::{RuleExample, RuleMeta};
pub use params::{ParamKind, ParamSpec, ParamValue, RuleParams};
pub use registry::{all_rules, find as find_rule, RegisteredRule};

use crate::config::AuditPolicy;
use crate::finding::{fingerprint, Evidence, Finding, GrantEvidence, Severity};
use crate::graph::{Path, PermissionGraph, ReachMode, Reached};
use crate::model::{
    Assignment, ChangeEvent, Grant, Identity, IdentityKind, Inventory, Membership, Provenance,
    Timestamp,
};
use foldhash::{HashMap, HashMapExt};
pub use lookups::Lookups;
use rayon::prelude::*;
use std::cmp::Reverse;
use std::ops::Range;

/// One rule's evaluator.
pub trait Rule: Send + Sync {
    /// Appends the rule's findings to `out`. Must not read the clock or any file.
    fn evaluate(&self, ctx: &RuleContext<'_>, out: &mut Vec<Finding>);

    /// Whether the rule reads reach ([`RuleContext::standing_reach`], `escalation_reach`,
    /// `eligible_reach`). Such a rule is run once per chunk of identities with the reach of
    /// that chunk only, so it must judge each identity of [`RuleContext::identities`] on its
    /// own. Reach is held for one chunk at a time because every identity's reach together
    /// is among the largest things a scan of a large organisation holds. A rule that reads
    /// reach without saying so crashes, and the crash is reported.
    fn reads_reach(&self) -> bool {
        false
    }
}

/// What the scan shares with every rule: the data and its indexes, computed once.
pub struct Subject<'a> {
    pub inventory: &'a Inventory,
    pub graph: &'a PermissionGraph,
    pub grants: &'a [Grant],
    pub policy: &'a AuditPolicy,
    pub now: Timestamp,
    lookups: Lookups<'a>,
}

/// Standing and eligible reach of the acting identities of one chunk of the inventory's
/// identities, computed in parallel.
struct ReachIndex<'a> {
    /// Position in `reach` of each identity's entry.
    by_identity: HashMap<&'a str, usize>,
    reach: Vec<IdentityReach>,
    /// The positions in the inventory's identities the index was computed for.
    covers: std::ops::Range<usize>,
}

struct IdentityReach {
    standing: Vec<Reached>,
    escalation: Vec<Reached>,
    eligible: Vec<Reached>,
}

impl<'a> ReachIndex<'a> {
    /// The reach of every acting identity among `inventory.identities[covers]`.
    fn compute(subject: &Subject<'a>, covers: std::ops::Range<usize>) -> Self {
        let (graph, now) = (subject.graph, subject.now);
        let computed: Vec<(&'a str, IdentityReach)> = subject.inventory.identities[covers.clone()]
            .par_iter()
            .enumerate()
            .filter(|(_, i)| i.kind != IdentityKind::Group)
            .filter_map(|(offset, i)| {
                let n = graph.identity_at(covers.start + offset, &i.id)?;
                // Roles reachable only by an escalation method are not held yet: they are
                // SP004's business, not that of rules about standing privilege.
                let (escalation, standing) = graph
                    .reach(n, now, ReachMode::Standing)
                    .into_iter()
                    .partition(|r| r.path.via_escalation);
                let eligible = graph.eligible_reach(n, now);
                Some((
                    i.id.as_str(),
                    IdentityReach {
                        standing,
                        escalation,
                        eligible,
                    },
                ))
            })
            .collect();
        let mut index = ReachIndex {
            by_identity: HashMap::with_capacity(computed.len()),
            reach: Vec::with_capacity(computed.len()),
            covers,
        };
        for (id, entry) in computed {
            index.by_identity.insert(id, index.reach.len());
            index.reach.push(entry);
        }
        index
    }

    /// The identity's reach; `None` for groups and ids no identity has. Panics for an
    /// identity outside the chunk: its reach was not computed, and an empty answer would
    /// be a silent false negative.
    fn get(&self, inventory: &Inventory, identity: &str) -> Option<&IdentityReach> {
        if let Some(&i) = self.by_identity.get(identity) {
            return Some(&self.reach[i]);
        }
        if let Some(position) = inventory.identity_position(identity) {
            assert!(
                self.covers.contains(&position),
                "reach of {identity} was read while judging other identities"
            );
        }
        None
    }
}

impl<'a> Subject<'a> {
    pub fn new(
        inventory: &'a Inventory,
        graph: &'a PermissionGraph,
        grants: &'a [Grant],
        policy: &'a AuditPolicy,
        now: Timestamp,
    ) -> Self {
        Self::with_lookups(
            inventory,
            graph,
            grants,
            policy,
            now,
            Lookups::build(inventory, grants),
        )
    }

    /// As [`Subject::new`], with the lookups already built (a scan builds them while it
    /// builds the graph).
    pub fn with_lookups(
        inventory: &'a Inventory,
        graph: &'a PermissionGraph,
        grants: &'a [Grant],
        policy: &'a AuditPolicy,
        now: Timestamp,
        lookups: Lookups<'a>,
    ) -> Self {
        Subject {
            inventory,
            graph,
            grants,
            policy,
            now,
            lookups,
        }
    }
}

/// The records at `positions` (an index's answer) in `all`, in position order.
fn records<'a, 'k, T>(
    positions: lookups::Positions<'k>,
    all: &'a [T],
) -> impl ExactSizeIterator<Item = &'a T> + DoubleEndedIterator + Clone + 'k
where
    'a: 'k,
{
    positions.map(move |n| &all[n as usize])
}

/// What one rule sees while it runs.
pub struct RuleContext<'a> {
    pub inventory: &'a Inventory,
    pub graph: &'a PermissionGraph,
    pub grants: &'a [Grant],
    pub policy: &'a AuditPolicy,
    pub now: Timestamp,
    pub params: &'a RuleParams,
    pub meta: &'a RuleMeta,
    pub severity: Severity,
    /// The identities this evaluation judges: all of them, or one chunk for a rule that
    /// reads reach (see [`Rule::reads_reach`]).
    identities: &'a [Identity],
    reach: Option<&'a ReachIndex<'a>>,
    lookups: &'a Lookups<'a>,
}

impl<'a> RuleContext<'a> {
    /// What `rule` (its metadata, parameters and severity) sees while it judges
    /// `identities` of `subject`.
    fn new(
        subject: &'a Subject<'a>,
        rule: (&'a RuleMeta, &'a RuleParams, Severity),
        identities: &'a [Identity],
        reach: Option<&'a ReachIndex<'a>>,
    ) -> Self {
        let (meta, params, severity) = rule;
        RuleContext {
            inventory: subject.inventory,
            graph: subject.graph,
            grants: subject.grants,
            policy: subject.policy,
            now: subject.now,
            params,
            meta,
            severity,
            identities,
            reach,
            lookups: &subject.lookups,
        }
    }

    /// Runs `judge` on every identity of the inventory, in parallel, and appends what it
    /// finds to `out` in inventory order. Rules that look at each identity on its own use
    /// it: with rules already running side by side, the longest rule otherwise bounds the
    /// rule phase on its own core.
    pub fn for_each_identity(
        &self,
        out: &mut Vec<Finding>,
        judge: impl Fn(&'a Identity, &mut Vec<Finding>) + Sync,
    ) {
        let found: Vec<Vec<Finding>> = self
            .identities
            .par_iter()
            .with_min_len(64)
            .map(|identity| {
                let mut found = Vec::new();
                judge(identity, &mut found);
                found
            })
            .collect();
        out.reserve_exact(found.iter().map(Vec::len).sum());
        out.extend(found.into_iter().flatten());
    }

    /// The identities the rule judges in this evaluation, in inventory order: every
    /// identity, or one chunk of them for a rule that reads reach.
    pub fn identities(&self) -> &'a [Identity] {
        self.identities
    }

    /// The identity's computed reach. Panics (the run reports the rule as crashed) when the
    /// rule did not declare that it reads reach, or asks about an identity it is not judging.
    fn reach_of(&self, identity: &str) -> Option<&'a IdentityReach> {
        let Some(reach) = self.reach else {
            panic!(
                "rule {} reads reach but does not declare it (Rule::reads_reach)",
                self.meta.id
            );
        };
        reach.get(self.inventory, identity)
    }

    /// Roles the identity holds through standing edges at the audit time (lingering
    /// temporary grants included, escalation methods excluded), sorted by role id. Empty for
    /// groups and unknown ids.
    pub fn standing_reach(&self, identity: &str) -> &'a [Reached] {
        self.reach_of(identity)
            .map_or(&[], |r| r.standing.as_slice())
    }

    /// Roles the identity does not hold but can obtain through a privilege-escalation
    /// method (every such path has a `can-escalate` hop), sorted by role id.
    pub fn escalation_reach(&self, identity: &str) -> &'a [Reached] {
        self.reach_of(identity)
            .map_or(&[], |r| r.escalation.as_slice())
    }

    /// Roles the identity may reach by one JIT activation, sorted by role id.
    pub fn eligible_reach(&self, identity: &str) -> &'a [Reached] {
        self.reach_of(identity)
            .map_or(&[], |r| r.eligible.as_slice())
    }

    /// The grants held by `principal`, in grant order.
    pub fn grants_of<'k>(
        &'k self,
        principal: &'k str,
    ) -> impl ExactSizeIterator<Item = &'a Grant> + DoubleEndedIterator + Clone + 'k {
        records(
            self.lookups
                .grants_by_principal
                .get(self.inventory, principal),
            self.grants,
        )
    }

    /// The grants of `entitlement` to `principal`, in grant order.
    pub fn grants_for<'k>(
        &'k self,
        principal: &'k str,
        entitlement: &'k str,
    ) -> impl ExactSizeIterator<Item = &'a Grant> + DoubleEndedIterator + Clone + 'k {
        let grants = self.grants;
        records(
            self.lookups
                .grants_by_principal
                .pair(self.inventory, principal, entitlement, |n| {
                    &grants[n as usize].entitlement
                }),
            grants,
        )
    }

    /// The grants of `entitlement` to anyone, in grant order.
    pub fn grants_on<'k>(
        &'k self,
        entitlement: &'k str,
    ) -> impl ExactSizeIterator<Item = &'a Grant> + DoubleEndedIterator + Clone + 'k {
        records(
            lookups::Positions::listed(self.lookups.grants_by_entitlement.get(&entitlement)),
            self.grants,
        )
    }

    /// Assignments of `role` to `subject` (any kind, any window), in inventory order.
    pub fn assignments_for<'k>(
        &'k self,
        subject: &'k str,
        role: &'k str,
    ) -> impl ExactSizeIterator<Item = &'a Assignment> + DoubleEndedIterator + Clone + 'k {
        let assignments = &self.inventory.assignments;
        records(
            self.lookups
                .assignments_by_subject
                .pair(self.inventory, subject, role, |n| {
                    &assignments[n as usize].role
                }),
            assignments,
        )
    }

    /// Assignments of any role to `subject` (any kind, any window), in inventory order: one
    /// lookup for a rule that asks about many of the subject's roles in turn.
    pub fn assignments_of<'k>(
        &'k self,
        subject: &'k str,
    ) -> impl ExactSizeIterator<Item = &'a Assignment> + DoubleEndedIterator + Clone + 'k {
        records(
            self.lookups
                .assignments_by_subject
                .get(self.inventory, subject),
            &self.inventory.assignments,
        )
    }

    /// Memberships of `member` in `group` (any kind, any window), in inventory order.
    pub fn memberships_for<'k>(
        &'k self,
        member: &'k str,
        group: &'k str,
    ) -> impl ExactSizeIterator<Item = &'a Membership> + DoubleEndedIterator + Clone + 'k {
        let memberships = &self.inventory.memberships;
        records(
            self.lookups
                .memberships_by_member
                .pair(self.inventory, member, group, |n| {
                    &memberships[n as usize].group
                }),
            memberships,
        )
    }

    /// Change events whose target is `target` and whose entitlement is `entitlement`, in
    /// inventory order.
    pub fn changes_for<'k>(
        &'k self,
        target: &'k str,
        entitlement: &'k str,
    ) -> impl ExactSizeIterator<Item = &'a ChangeEvent> + DoubleEndedIterator + Clone + 'k {
        records(
            lookups::Positions::listed(self.lookups.changes_by_pair.get(&(target, entitlement))),
            &self.inventory.change_events,
        )
    }

    /// Credential-created change events whose target is `target` or whose entitlement is
    /// `entitlement` (when given), each once, in inventory order.
    pub fn credentials_created(
        &self,
        target: &str,
        entitlement: Option<&str>,
    ) -> std::vec::IntoIter<&'a ChangeEvent> {
        let all = &self.inventory.change_events;
        let mut found: Vec<u32> = self.lookups.credentials_by_target.get(&target).to_vec();
        if let Some(e) = entitlement {
            found.extend_from_slice(self.lookups.credentials_by_entitlement.get(&e));
            found.sort_unstable();
            found.dedup();
        }
        records(lookups::Positions::listed(&found), all)
            .collect::<Vec<_>>()
            .into_iter()
    }

    /// Whether some secret in the inventory has this id.
    pub fn is_secret_id(&self, id: &str) -> bool {
        self.lookups.secret_ids.contains(id)
    }

    /// Starts a finding about one grant: its principal, its entitlement, keyed on its id.
    /// Add the grant's evidence with [`FindingBuilder::grant`] (after any source that should
    /// locate the finding instead).
    pub fn grant_finding(&self, grant: &Grant, message: String) -> FindingBuilder {
        self.finding(
            &grant.principal,
            Some(&grant.entitlement),
            &grant.id,
            message,
        )
    }

    /// Starts a finding about `subject` (and `entitlement`), whose fingerprint is keyed on
    /// `identity_key` — the part of the fact beyond rule, subject and entitlement that makes
    /// it distinct (a path's node ids, a grant id), never a time or a wording.
    pub fn finding(
        &self,
        subject: &str,
        entitlement: Option<&str>,
        identity_key: &str,
        message: String,
    ) -> FindingBuilder {
        FindingBuilder {
            finding: Finding {
                rule_id: self.meta.id.clone(),
                rule_name: self.meta.name.clone(),
                severity: self.severity,
                subject: subject.to_string(),
                entitlement: entitlement.map(str::to_string),
                message,
                evidence: Evidence::default(),
                fingerprint: fingerprint(&self.meta.id, subject, entitlement, identity_key),
            },
        }
    }
}

/// Adds evidence to a finding; `build` sorts and deduplicates its sources.
pub struct FindingBuilder {
    finding: Finding,
}

impl FindingBuilder {
    pub fn path(mut self, path: &Path) -> Self {
        self.finding
            .evidence
            .sources
            .extend(path.sources().cloned());
        self.finding.evidence.path = Some(path.clone());
        self
    }

    pub fn grant(mut self, grant: &Grant) -> Self {
        self.finding
            .evidence
            .sources
            .extend(grant.events.iter().map(|e| e.provenance.clone()));
        self.finding.evidence.grant = Some(Box::new(GrantEvidence::from(grant)));
        self
    }

    pub fn fact(mut self, name: &str, value: impl ToString) -> Self {
        self.finding
            .evidence
            .facts
            .insert(name.to_string(), value.to_string());
        self
    }

    pub fn source(mut self, provenance: &Provenance) -> Self {
        self.finding.evidence.sources.push(provenance.clone());
        self
    }

    pub fn build(mut self) -> Finding {
        // Keep the first-named source first (it locates the finding, e.g. in SARIF), and
        // the rest sorted and unique.
        let sources = std::mem::take(&mut self.finding.evidence.sources);
        let mut out: Vec<Provenance> = Vec::with_capacity(sources.len());
        if let Some(first) = sources.first() {
            out.push(first.clone());
        }
        let mut rest: Vec<Provenance> = sources
            .into_iter()
            .skip(1)
            .filter(|p| Some(p) != out.first())
            .collect();
        rest.sort();
        rest.dedup();
        out.extend(rest);
        self.finding.evidence.sources = out;
        self.finding
    }
}

/// A rule as configured for one scan.
pub struct ConfiguredRule {
    pub rule: &'static RegisteredRule,
    pub severity: Severity,
    pub params: RuleParams,
}

impl std::fmt::Debug for ConfiguredRule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConfiguredRule")
            .field("id", &self.rule.meta.id)
            .field("severity", &self.severity)
            .field("params", &self.params)
            .finish()
    }
}

/// A rule that panicked: the run is incomplete, and says which rule and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RuleCrash {
    pub rule_id: String,
    pub message: String,
}

#[derive(Debug, Default)]
pub struct RuleRun {
    /// Sorted: worst first, then rule, subject, entitlement, fingerprint; duplicates removed.
    pub findings: Vec<Finding>,
    pub crashes: Vec<RuleCrash>,
}

/// Runs the rules in parallel. A panicking rule is caught and reported, never dropped.
pub fn run_rules(rules: &[ConfiguredRule], subject: &Subject<'_>) -> RuleRun {
    let (by_chunk, whole): (Vec<&ConfiguredRule>, Vec<&ConfiguredRule>) =
        rules.iter().partition(|c| c.rule.evaluator.reads_reach());
    // The rules that read reach go chunk by chunk while the others run beside them.
    let (mut results, chunked) = rayon::join(
        || {
            whole
                .par_iter()
                .map(|c| evaluate_rule(c, subject, &subject.inventory.identities, None))
                .collect::<Vec<_>>()
        },
        || run_by_chunk(&by_chunk, subject, REACH_CHUNK),
    );
    results.extend(chunked);
    let mut run = RuleRun::default();
    let mut found = Vec::with_capacity(results.len());
    for r in results {
        match r {
            Ok(f) => found.push(f),
            Err(c) => run.crashes.push(c),
        }
    }
    run.findings = findings_in_order(found);
    run.crashes.sort_by(|a, b| a.rule_id.cmp(&b.rule_id));
    run
}

/// What one rule's evaluation gave: its findings, or its crash.
type RuleOutcome = Result<Vec<Finding>, RuleCrash>;

/// How many identities a chunk of the reach-reading rules' run judges: large enough that
/// both cores stay busy inside a chunk, small enough that a chunk's reach is a few hundred
/// megabytes at most. Measured on 200,000 identities: 16,384 left two threads 1.6-1.7
/// times faster than one, 24,576 and 32,768 1.77 times, the latter with more memory.
const REACH_CHUNK: usize = 24_576;

/// Identities per task when the rules that read reach judge a chunk: the six rules differ
/// several times over in cost, and split into parts of this size the two cores share the
/// long ones to the end of the chunk.
const RULE_TASK: usize = 2_048;

/// Runs the rules that read reach over the identities chunk by chunk: each chunk's reach is
/// computed once, shared by those rules, and freed before the next chunk. A rule's
/// findings come out in identity order, as from one pass over all identities; a rule that
/// crashes in one chunk reports nothing, as if it had crashed in a single pass.
fn run_by_chunk(
    rules: &[&ConfiguredRule],
    subject: &Subject<'_>,
    chunk_len: usize,
) -> Vec<RuleOutcome> {
    let mut results: Vec<RuleOutcome> = rules.iter().map(|_| Ok(Vec::new())).collect();
    if rules.is_empty() {
        return results;
    }
    let identities = &subject.inventory.identities;
    let chunk_len = chunk_len.max(1);
    let chunk_at = |start: usize| start..identities.len().min(start + chunk_len);
    let mut chunk = chunk_at(0);
    let mut reach = ReachIndex::compute(subject, chunk.clone());
    loop {
        let next = chunk_at(chunk.end);
        // The next chunk's reach is computed while the rules judge this one: a chunk's
        // rules end with a few long ones, and the idle core takes the next reach meanwhile.
        // Each rule judges the chunk in parts, so that the two cores share a long rule
        // rather than one of them finishing it alone.
        let tasks: Vec<(usize, Range<usize>)> = (0..rules.len())
            .filter(|&r| results[r].is_ok())
            .flat_map(|r| {
                chunk
                    .clone()
                    .step_by(RULE_TASK)
                    .map(move |start| (r, start..chunk.end.min(start + RULE_TASK)))
            })
            .collect();
        let (found, next_reach): (Vec<RuleOutcome>, _) = rayon::join(
            || {
                tasks
                    .par_iter()
                    .map(|(r, part)| {
                        evaluate_rule(rules[*r], subject, &identities[part.clone()], Some(&reach))
                    })
                    .collect()
            },
            || (!next.is_empty()).then(|| ReachIndex::compute(subject, next.clone())),
        );
        // Parts come back in order: a rule's findings stay in identity order, and its first
        // crash is the one reported.
        for ((r, _), found) in tasks.iter().zip(found) {
            match (&mut results[*r], found) {
                (Ok(all), Ok(found)) => all.extend(found),
                (so_far @ Ok(_), Err(crash)) => *so_far = Err(crash),
                (Err(_), _) => {}
            }
        }
        match next_reach {
            Some(next_reach) => {
                reach = next_reach;
                chunk = next;
            }
            None => return results,
        }
    }
}

/// Runs one rule over `identities` (with their reach, for a rule that reads it), catching
/// a panic as a crash of the rule.
fn evaluate_rule<'a>(
    c: &'a ConfiguredRule,
    subject: &'a Subject<'a>,
    identities: &'a [Identity],
    reach: Option<&'a ReachIndex<'a>>,
) -> Result<Vec<Finding>, RuleCrash> {
    let ctx = RuleContext::new(
        subject,
        (&c.rule.meta, &c.params, c.severity),
        identities,
        reach,
    );
    let mut out = Vec::new();
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        crash_if_requested(&c.rule.meta.id);
        c.rule.evaluator.evaluate(&ctx, &mut out)
    }))
    .map(|_| out)
    .map_err(|payload| RuleCrash {
        rule_id: c.rule.meta.id.clone(),
        message: panic_message(&payload),
    })
}

/// Every rule's findings in report order ([`Finding::sort_key`], equal keys in the order
/// found), exact duplicates (same fingerprint) dropped.
///
/// The key starts with severity and rule, so each rule's findings of one severity form one
/// run of the report. Each rule's list is sorted and deduplicated on its own, side by side,
/// and the runs are then joined in order: sorting all findings together ended the rule
/// phase with a fifth of a second on one thread at 200,000 identities. Should two lists
/// hold findings of the same rule, all findings are sorted together instead.
fn findings_in_order(mut found: Vec<Vec<Finding>>) -> Vec<Finding> {
    found.par_iter_mut().for_each(|list| {
        sort_findings(list);
        list.dedup_by(|b, a| a.fingerprint == b.fingerprint);
    });
    // The runs of (severity, rule) in each list, as (severity, rule, list, length).
    let mut runs: Vec<(Severity, &str, usize, usize)> = Vec::new();
    for (n, list) in found.iter().enumerate() {
        for run in list.chunk_by(|a, b| a.severity == b.severity && a.rule_id == b.rule_id) {
            runs.push((run[0].severity, &run[0].rule_id, n, run.len()));
        }
    }
    runs.sort_by(|a, b| (Reverse(a.0), a.1).cmp(&(Reverse(b.0), b.1)));
    if runs
        .windows(2)
        .any(|w| (w[0].0, w[0].1) == (w[1].0, w[1].1))
    {
        let mut all = concat_largest_first(found);
        sort_findings(&mut all);
        all.dedup_by(|b, a| a.fingerprint == b.fingerprint);
        return all;
    }
    let order: Vec<(usize, usize)> = runs.iter().map(|&(_, _, n, len)| (n, len)).collect();
    let mut all = Vec::with_capacity(found.iter().map(Vec::len).sum());
    // A list's runs come in the list's own order (it is sorted by the same key), so each
    // list is taken front to back.
    let mut lists: Vec<std::vec::IntoIter<Finding>> =
        found.into_iter().map(Vec::into_iter).collect();
    for (n, len) in order {
        all.extend(lists[n].by_ref().take(len));
    }
    all
}

/// Every rule's findings in one vector. The largest rule's vector is grown in place to
/// hold the others (the allocator remaps a large block instead of copying it), so a large
/// organisation's findings are held once plus the smaller rules', never twice over. The
/// order between rules does not matter: [`sort_findings`] orders them all.
fn concat_largest_first(mut found: Vec<Vec<Finding>>) -> Vec<Finding> {
    let Some(largest) = (0..found.len()).max_by_key(|&i| (found[i].len(), std::cmp::Reverse(i)))
    else {
        return Vec::new();
    };
    let mut all = std::mem::take(&mut found[largest]);
    all.reserve_exact(found.iter().map(Vec::len).sum());
    for f in found {
        all.extend(f);
    }
    all
}

/// Sorts findings by [`Finding::sort_key`], keeping the order in which equal keys were
/// found (as a stable sort would). It sorts positions, not findings, and then moves each
/// finding once along the cycles of the permutation: a stable sort of the findings
/// themselves would allocate room for half of them again.
fn sort_findings(findings: &mut [Finding]) {
    let mut order: Vec<u32> = (0..findings.len() as u32).collect();
    {
        let by_key: &[Finding] = findings;
        order.par_sort_unstable_by(|&a, &b| {
            by_key[a as usize]
                .sort_key()
                .cmp(&by_key[b as usize].sort_key())
                .then(a.cmp(&b))
        });
    }
    apply_order(findings, &order);
}

/// Rearranges `items` so that position `k` holds what was at `order[k]` (a permutation of
/// the positions), by swaps along each cycle.
fn apply_order<T>(items: &mut [T], order: &[u32]) {
    let mut placed = vec![false; items.len()];
    for start in 0..items.len() {
        let mut at = start;
        while !placed[at] {
            placed[at] = true;
            let from = order[at] as usize;
            if from == start {
                break;
            }
            items.swap(at, from);
            at = from;
        }
    }
}

/// The environment variable a debug build reads to make the named rules (comma-separated
/// ids) panic, so the tests can check through the binary that a crashing rule is caught,
/// named, and makes the audit incomplete. Release builds ignore it.
pub const CRASH_RULE_VAR: &str = "RESIDUE_TEST_CRASH_RULE";

#[cfg(debug_assertions)]
fn crash_if_requested(rule_id: &str) {
    if let Some(ids) = std::env::var_os(CRASH_RULE_VAR) {
        if ids
            .to_string_lossy()
            .split(',')
            .any(|id| id.trim() == rule_id)
        {
            panic!("{rule_id} was made to crash by {CRASH_RULE_VAR} (a test hook of debug builds)");
        }
    }
}

#[cfg(not(debug_assertions))]
fn crash_if_requested(_rule_id: &str) {}

fn panic_message(payload: &Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "the rule panicked".to_string()
    }
}

#[cfg(test)]
mod catalog_tests;
#[cfg(test)]
mod engine_tests;
#[cfg(test)]
pub(crate) mod test_support;
