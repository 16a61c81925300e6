//! The rule engine: catalog, registry, context, and the parallel run.
//!
//! A rule reads the inventory, the graph, the reconstructed grants, its typed parameters and
//! the audit time — never a source format, never the clock. Each rule is one YAML under
//! `rules/<family>/` and one evaluator under `src/rules/<family>/`, listed once in
//! [`registry`].

pub mod catalog;
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
use crate::model::{Grant, IdentityKind, Inventory, Provenance, Timestamp};
use rayon::prelude::*;
use std::collections::HashMap;

/// One rule's evaluator.
pub trait Rule: Send + Sync {
    /// Appends the rule's findings to `out`. Must not read the clock or any file.
    fn evaluate(&self, ctx: &RuleContext<'_>, out: &mut Vec<Finding>);
}

/// What the scan shares with every rule: the data, computed once.
pub struct Subject<'a> {
    pub inventory: &'a Inventory,
    pub graph: &'a PermissionGraph,
    pub grants: &'a [Grant],
    pub policy: &'a AuditPolicy,
    pub now: Timestamp,
    reach: ReachIndex,
}

/// Standing and eligible reach of every acting identity, computed once in parallel.
#[derive(Default)]
struct ReachIndex {
    standing: HashMap<String, Vec<Reached>>,
    escalation: HashMap<String, Vec<Reached>>,
    eligible: HashMap<String, Vec<Reached>>,
}

impl<'a> Subject<'a> {
    pub fn new(
        inventory: &'a Inventory,
        graph: &'a PermissionGraph,
        grants: &'a [Grant],
        policy: &'a AuditPolicy,
        now: Timestamp,
    ) -> Self {
        let computed: Vec<(String, Vec<Reached>, Vec<Reached>)> = inventory
            .identities
            .par_iter()
            .filter(|i| i.kind != IdentityKind::Group)
            .filter_map(|i| {
                let n = graph.identity(&i.id)?;
                Some((
                    i.id.clone(),
                    graph.reach(n, now, ReachMode::Standing),
                    graph.eligible_reach(n, now),
                ))
            })
            .collect();
        let mut reach = ReachIndex::default();
        for (id, reached, eligible) in computed {
            // Roles reachable only by an escalation method are not held yet: they are
            // SP004's business, not that of rules about standing privilege.
            let (escalation, standing): (Vec<Reached>, Vec<Reached>) =
                reached.into_iter().partition(|r| r.path.via_escalation);
            reach.standing.insert(id.clone(), standing);
            reach.escalation.insert(id.clone(), escalation);
            reach.eligible.insert(id, eligible);
        }
        Subject {
            inventory,
            graph,
            grants,
            policy,
            now,
            reach,
        }
    }
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
    reach: &'a ReachIndex,
}

impl<'a> RuleContext<'a> {
    /// Roles the identity holds through standing edges at the audit time (lingering
    /// temporary grants included, escalation methods excluded), sorted by role id. Empty for
    /// groups and unknown ids.
    pub fn standing_reach(&self, identity: &str) -> &'a [Reached] {
        self.reach
            .standing
            .get(identity)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// Roles the identity does not hold but can obtain through a privilege-escalation
    /// method (every such path has a `can-escalate` hop), sorted by role id.
    pub fn escalation_reach(&self, identity: &str) -> &'a [Reached] {
        self.reach
            .escalation
            .get(identity)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// Roles the identity may reach by one JIT activation, sorted by role id.
    pub fn eligible_reach(&self, identity: &str) -> &'a [Reached] {
        self.reach
            .eligible
            .get(identity)
            .map(Vec::as_slice)
            .unwrap_or(&[])
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
        self.finding.evidence.grant = Some(GrantEvidence::from(grant));
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
    let results: Vec<Result<Vec<Finding>, RuleCrash>> = rules
        .par_iter()
        .map(|c| {
            let ctx = RuleContext {
                inventory: subject.inventory,
                graph: subject.graph,
                grants: subject.grants,
                policy: subject.policy,
                now: subject.now,
                params: &c.params,
                meta: &c.rule.meta,
                severity: c.severity,
                reach: &subject.reach,
            };
            let mut out = Vec::new();
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                c.rule.evaluator.evaluate(&ctx, &mut out)
            }))
            .map(|_| out)
            .map_err(|payload| RuleCrash {
                rule_id: c.rule.meta.id.clone(),
                message: panic_message(&payload),
            })
        })
        .collect();
    let mut run = RuleRun::default();
    for r in results {
        match r {
            Ok(f) => run.findings.extend(f),
            Err(c) => run.crashes.push(c),
        }
    }
    run.findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    run.findings.dedup_by(|b, a| a.fingerprint == b.fingerprint);
    run.crashes.sort_by(|a, b| a.rule_id.cmp(&b.rule_id));
    run
}

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
