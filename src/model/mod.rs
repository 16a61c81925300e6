//! The canonical inventory every connector produces and every rule reads.
//!
//! Connectors fill an [`Inventory`]; [`Inventory::finalize`] then merges duplicates, checks
//! references, and sorts everything so that later phases (graph, rules, reports) see the
//! same order whatever order the sources were read in.

mod assignment;
mod events;
mod grant;
mod identity;
mod jit_policy;
mod provenance;
mod role;
mod secret;
pub mod time;
mod trust;

pub use assignment::{Assignment, AssignmentKind, Membership, Window};
pub use events::{ChangeEvent, ChangeKind, GrantEvent, GrantEventKind};
pub use grant::{reconstruct_grants, reconstruct_grants_from, Grant, GrantEventSummary};
pub use identity::{Identity, IdentityKind};
pub use jit_policy::JitPolicy;
pub use provenance::Provenance;
pub use role::{
    classify_permission, classify_permissions, permissions_cover, role_covers, scope_within,
    PrivilegeLevel, Role,
};
pub use secret::{Secret, SecretKind};
pub use time::{SignedDuration, Timestamp};
pub use trust::{Condition, ConditionKind, Escalation, Trust};

use compact_str::CompactString;
use rayon::prelude::*;
use serde::Serialize;
use std::collections::BTreeMap;

/// How serious a connector's remark about its input is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DiagnosticLevel {
    Info,
    Warning,
}

/// A non-fatal remark about the input (an unsupported value skipped, a conflicting event),
/// carried into every report so nothing is dropped silently.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Diagnostic {
    pub level: DiagnosticLevel,
    pub provenance: Provenance,
    pub message: String,
}

impl Diagnostic {
    pub fn warning(provenance: Provenance, message: impl Into<String>) -> Self {
        Diagnostic {
            level: DiagnosticLevel::Warning,
            provenance,
            message: message.into(),
        }
    }

    pub fn info(provenance: Provenance, message: impl Into<String>) -> Self {
        Diagnostic {
            level: DiagnosticLevel::Info,
            provenance,
            message: message.into(),
        }
    }
}

/// Part of a source that could not be read. Unlike a [`Diagnostic`], a gap makes the audit
/// incomplete (exit code 3 unless `--allow-partial`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct CoverageGap {
    /// The file (or directory entry) that was not read.
    pub provenance: Provenance,
    /// What went wrong and what is therefore missing.
    pub message: String,
}

/// An inventory whose records contradict each other or point at nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InventoryError {
    #[error("{second}: {what} `{id}` is defined again with different content (first defined at {first}); ids must be unique")]
    ConflictingDuplicate {
        what: &'static str,
        id: String,
        first: Provenance,
        second: Provenance,
    },
    #[error("{at}: {what} refers to unknown {target_kind} `{id}`; define it or fix the reference")]
    DanglingReference {
        what: &'static str,
        target_kind: &'static str,
        id: String,
        at: Provenance,
    },
}

/// The canonical inventory.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Inventory {
    pub identities: Vec<Identity>,
    pub roles: Vec<Role>,
    pub memberships: Vec<Membership>,
    pub assignments: Vec<Assignment>,
    pub trusts: Vec<Trust>,
    pub escalations: Vec<Escalation>,
    pub secrets: Vec<Secret>,
    pub grant_events: Vec<GrantEvent>,
    pub change_events: Vec<ChangeEvent>,
    /// JIT systems' own activation policies (maximum window, approval, justification).
    pub jit_policies: Vec<JitPolicy>,
    pub diagnostics: Vec<Diagnostic>,
    /// Parts of a source that could not be read while the rest could (one bad file in a
    /// CloudTrail tree): the audit is then incomplete, and says exactly what is missing.
    pub gaps: Vec<CoverageGap>,
    #[serde(skip)]
    identity_index: foldhash::HashMap<CompactString, usize>,
    #[serde(skip)]
    role_index: foldhash::HashMap<CompactString, usize>,
}

impl Inventory {
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends everything another inventory holds (a connector's parts). To join many large
    /// inventories, [`Inventory::concat`] allocates each list once.
    pub fn extend(&mut self, other: Inventory) {
        self.identities.extend(other.identities);
        self.roles.extend(other.roles);
        self.memberships.extend(other.memberships);
        self.assignments.extend(other.assignments);
        self.trusts.extend(other.trusts);
        self.escalations.extend(other.escalations);
        self.secrets.extend(other.secrets);
        self.grant_events.extend(other.grant_events);
        self.change_events.extend(other.change_events);
        self.jit_policies.extend(other.jit_policies);
        self.diagnostics.extend(other.diagnostics);
        self.gaps.extend(other.gaps);
    }

    /// Joins what the connectors produced, in their order. Call [`Inventory::finalize`] after.
    ///
    /// Each list is allocated once at its final length and the largest lists are joined side
    /// by side. Appending source after source instead grew the grant events (millions of
    /// records) by doubling, and every doubling copied them into freshly faulted pages on one
    /// thread: three seconds of a 400k-identity scan.
    pub fn concat(mut parts: Vec<Inventory>) -> Inventory {
        // The largest lists are taken out of the parts first (moving them costs nothing) so
        // that they can be joined side by side.
        let grant_events = take_lists(&mut parts, |p| &mut p.grant_events);
        let assignments = take_lists(&mut parts, |p| &mut p.assignments);
        let secrets = take_lists(&mut parts, |p| &mut p.secrets);
        let identities = take_lists(&mut parts, |p| &mut p.identities);
        let (grant_events, (assignments, (secrets, identities))) = rayon::join(
            || concat_lists(grant_events),
            || {
                rayon::join(
                    || concat_lists(assignments),
                    || rayon::join(|| concat_lists(secrets), || concat_lists(identities)),
                )
            },
        );
        Inventory {
            identities,
            roles: concat_lists(take_lists(&mut parts, |p| &mut p.roles)),
            memberships: concat_lists(take_lists(&mut parts, |p| &mut p.memberships)),
            assignments,
            trusts: concat_lists(take_lists(&mut parts, |p| &mut p.trusts)),
            escalations: concat_lists(take_lists(&mut parts, |p| &mut p.escalations)),
            secrets,
            grant_events,
            change_events: concat_lists(take_lists(&mut parts, |p| &mut p.change_events)),
            jit_policies: concat_lists(take_lists(&mut parts, |p| &mut p.jit_policies)),
            diagnostics: concat_lists(take_lists(&mut parts, |p| &mut p.diagnostics)),
            gaps: concat_lists(take_lists(&mut parts, |p| &mut p.gaps)),
            identity_index: Default::default(),
            role_index: Default::default(),
        }
    }

    /// Merges exact duplicates, rejects conflicting ones, checks references, sorts, indexes.
    ///
    /// Identities and roles may be described by several sources (a credential report and an
    /// authorization export both name a user): records equal apart from provenance merge;
    /// records that disagree are an error naming both places.
    pub fn finalize(&mut self) -> Result<(), Vec<InventoryError>> {
        let mut errors = Vec::new();
        dedup_by_id(&mut self.identities, "identity", &mut errors);
        dedup_by_id(&mut self.roles, "role", &mut errors);
        dedup_by_id(&mut self.secrets, "secret", &mut errors);
        dedup_by_id(&mut self.jit_policies, "JIT policy", &mut errors);
        self.reindex();

        for m in &self.memberships {
            self.check_identity("membership", &m.member, &m.provenance, &mut errors);
            match self.identity(&m.group) {
                Some(g) if g.kind == IdentityKind::Group => {}
                Some(_) => errors.push(InventoryError::DanglingReference {
                    what: "membership",
                    target_kind: "group (it names an identity that is not a group)",
                    id: m.group.to_string(),
                    at: m.provenance.clone(),
                }),
                None => errors.push(InventoryError::DanglingReference {
                    what: "membership",
                    target_kind: "group",
                    id: m.group.to_string(),
                    at: m.provenance.clone(),
                }),
            }
        }
        // The most numerous records: checked in parallel (errors are sorted below).
        let assignment_errors: Vec<InventoryError> = self
            .assignments
            .par_iter()
            .flat_map_iter(|a| {
                let mut found = Vec::new();
                self.check_identity("assignment", &a.subject, &a.provenance, &mut found);
                self.check_role("assignment", &a.role, &a.provenance, &mut found);
                found
            })
            .collect();
        errors.extend(assignment_errors);
        for t in &self.trusts {
            self.check_role("trust", &t.role, &t.provenance, &mut errors);
            if self.identity(&t.principal).is_none() && self.role(&t.principal).is_none() {
                errors.push(InventoryError::DanglingReference {
                    what: "trust",
                    target_kind: "principal (identity, group or role)",
                    id: t.principal.to_string(),
                    at: t.provenance.clone(),
                });
            }
        }
        for e in &self.escalations {
            if self.identity(&e.principal).is_none() && self.role(&e.principal).is_none() {
                errors.push(InventoryError::DanglingReference {
                    what: "escalation",
                    target_kind: "principal (identity, group or role)",
                    id: e.principal.clone(),
                    at: e.provenance.clone(),
                });
            }
            self.check_role("escalation", &e.target, &e.provenance, &mut errors);
        }
        for p in &self.jit_policies {
            self.check_role("JIT policy", &p.role, &p.provenance, &mut errors);
        }
        for s in &self.secrets {
            if let Some(owner) = &s.owner {
                if self.identity(owner).is_none() {
                    // Credentials of deleted identities still matter: keep them, say so.
                    self.diagnostics.push(Diagnostic::warning(
                        s.provenance.clone(),
                        format!(
                            "secret {} belongs to `{owner}`, which no source defines",
                            s.id
                        ),
                    ));
                }
            }
        }
        if !errors.is_empty() {
            errors.sort_by_cached_key(ToString::to_string);
            return Err(errors);
        }

        // The record lists are independent: sort them side by side, each in parallel. The
        // largest lists (memberships, assignments, grant events) are compared on every field,
        // so records that compare equal are equal and a sort that does not keep their order
        // gives the same list; it sorts in place, where a stable parallel sort first
        // allocates a second list as large (a GiB of grant events at 400,000 identities).
        // The others compare on fewer fields and keep a stable sort.
        let Inventory {
            memberships,
            assignments,
            trusts,
            escalations,
            grant_events,
            change_events,
            ..
        } = self;
        rayon::join(
            || {
                sort_memberships(memberships);
                sort_assignments(assignments);
                sort_trusts_and_escalations(trusts, escalations);
            },
            || {
                sort_grant_events(grant_events);
                sort_change_events(change_events);
            },
        );
        self.diagnostics.sort();
        self.diagnostics.dedup();
        self.gaps.sort();
        self.gaps.dedup();
        Ok(())
    }

    /// Indexes identities and roles by id. The keys are copies: held inline when short, so
    /// a lookup compares against the table's own memory rather than one more allocation
    /// (the most frequent lookups of a scan, in tables of a million entries).
    fn reindex(&mut self) {
        self.identity_index = self
            .identities
            .iter()
            .enumerate()
            .map(|(i, x)| (CompactString::from(x.id.as_str()), i))
            .collect();
        self.role_index = self
            .roles
            .iter()
            .enumerate()
            .map(|(i, x)| (CompactString::from(x.id.as_str()), i))
            .collect();
    }

    fn check_identity(
        &self,
        what: &'static str,
        id: &str,
        at: &Provenance,
        errors: &mut Vec<InventoryError>,
    ) {
        if self.identity(id).is_none() {
            errors.push(InventoryError::DanglingReference {
                what,
                target_kind: "identity",
                id: id.to_string(),
                at: at.clone(),
            });
        }
    }

    fn check_role(
        &self,
        what: &'static str,
        id: &str,
        at: &Provenance,
        errors: &mut Vec<InventoryError>,
    ) {
        if self.role(id).is_none() {
            errors.push(InventoryError::DanglingReference {
                what,
                target_kind: "role",
                id: id.to_string(),
                at: at.clone(),
            });
        }
    }

    pub fn identity(&self, id: &str) -> Option<&Identity> {
        self.identity_index.get(id).map(|&i| &self.identities[i])
    }

    /// Where the identity sits in `identities` (a finalized inventory's index).
    pub fn identity_position(&self, id: &str) -> Option<usize> {
        self.identity_index.get(id).copied()
    }

    pub fn role(&self, id: &str) -> Option<&Role> {
        self.role_index.get(id).map(|&i| &self.roles[i])
    }

    /// A display name for any principal id: the identity's or role's name, else the id.
    pub fn display_name<'a>(&'a self, id: &'a str) -> &'a str {
        self.identity(id)
            .map(|i| i.name.as_str())
            .or_else(|| self.role(id).map(|r| r.name.as_str()))
            .unwrap_or(id)
    }

    /// Counts per record type, for summaries and the collector manifest.
    pub fn counts(&self) -> BTreeMap<&'static str, usize> {
        BTreeMap::from([
            ("identities", self.identities.len()),
            ("roles", self.roles.len()),
            ("memberships", self.memberships.len()),
            ("assignments", self.assignments.len()),
            ("trusts", self.trusts.len()),
            ("escalations", self.escalations.len()),
            ("secrets", self.secrets.len()),
            ("grant_events", self.grant_events.len()),
            ("change_events", self.change_events.len()),
            ("jit_policies", self.jit_policies.len()),
        ])
    }
}

/// A record with an id that several sources may describe.
trait IdentifiedRecord: Clone + PartialEq {
    fn id(&self) -> &String;
    fn provenance(&self) -> &Provenance;
    fn provenance_mut(&mut self) -> &mut Provenance;

    /// Equal apart from where it was read.
    fn same_as(&self, other: &Self) -> bool {
        let mut other = other.clone();
        *other.provenance_mut() = self.provenance().clone();
        *self == other
    }
}

impl IdentifiedRecord for Identity {
    fn id(&self) -> &String {
        &self.id
    }
    fn provenance(&self) -> &Provenance {
        &self.provenance
    }
    fn provenance_mut(&mut self) -> &mut Provenance {
        &mut self.provenance
    }
}

impl IdentifiedRecord for Role {
    fn id(&self) -> &String {
        &self.id
    }
    fn provenance(&self) -> &Provenance {
        &self.provenance
    }
    fn provenance_mut(&mut self) -> &mut Provenance {
        &mut self.provenance
    }
}

impl IdentifiedRecord for JitPolicy {
    fn id(&self) -> &String {
        &self.id
    }
    fn provenance(&self) -> &Provenance {
        &self.provenance
    }
    fn provenance_mut(&mut self) -> &mut Provenance {
        &mut self.provenance
    }
}

impl IdentifiedRecord for Secret {
    fn id(&self) -> &String {
        &self.id
    }
    fn provenance(&self) -> &Provenance {
        &self.provenance
    }
    fn provenance_mut(&mut self) -> &mut Provenance {
        &mut self.provenance
    }
}

/// Compares every field of a membership (the destructuring fails to compile when a field
/// is added): see the note in [`Inventory::finalize`].
fn sort_memberships(memberships: &mut Vec<Membership>) {
    fn order(m: &Membership) -> impl Ord + '_ {
        let Membership {
            member,
            group,
            kind,
            window,
            provenance,
        } = m;
        (member, group, *kind, *window, provenance)
    }
    memberships.par_sort_unstable_by(|a, b| order(a).cmp(&order(b)));
    memberships.dedup_by(|b, a| {
        (&a.member, &a.group, a.kind, a.window) == (&b.member, &b.group, b.kind, b.window)
    });
}

/// Compares every field of an assignment (the destructuring fails to compile when a field
/// is added): see the note in [`Inventory::finalize`].
fn sort_assignments(assignments: &mut Vec<Assignment>) {
    fn order(a: &Assignment) -> impl Ord + '_ {
        let Assignment {
            subject,
            role,
            kind,
            window,
            last_used,
            provenance,
        } = a;
        (subject, role, *kind, *window, *last_used, provenance)
    }
    assignments.par_sort_unstable_by(|a, b| order(a).cmp(&order(b)));
    assignments.dedup_by(|b, a| {
        (&a.subject, &a.role, a.kind, a.window, a.last_used)
            == (&b.subject, &b.role, b.kind, b.window, b.last_used)
    });
}

fn sort_trusts_and_escalations(trusts: &mut Vec<Trust>, escalations: &mut Vec<Escalation>) {
    trusts.par_sort_by(|a, b| {
        (&a.role, &a.principal, &a.conditions, &a.provenance).cmp(&(
            &b.role,
            &b.principal,
            &b.conditions,
            &b.provenance,
        ))
    });
    trusts.dedup_by(|b, a| {
        (&a.role, &a.principal, &a.conditions) == (&b.role, &b.principal, &b.conditions)
    });
    escalations.par_sort_by(|a, b| {
        (&a.principal, &a.target, &a.method, &a.provenance).cmp(&(
            &b.principal,
            &b.target,
            &b.method,
            &b.provenance,
        ))
    });
    escalations.dedup_by(|b, a| {
        (&a.principal, &a.target, &a.method) == (&b.principal, &b.target, &b.method)
    });
}

/// One list of every part, taken out of the parts (which are left without it).
fn take_lists<T>(
    parts: &mut [Inventory],
    list: impl Fn(&mut Inventory) -> &mut Vec<T>,
) -> Vec<Vec<T>> {
    parts.iter_mut().map(|p| std::mem::take(list(p))).collect()
}

/// One list holding every list's records in order, allocated once. A single non-empty list
/// is returned as it is, without a copy.
fn concat_lists<T>(lists: Vec<Vec<T>>) -> Vec<T> {
    let mut non_empty: Vec<Vec<T>> = lists.into_iter().filter(|l| !l.is_empty()).collect();
    if non_empty.len() <= 1 {
        return non_empty.pop().unwrap_or_default();
    }
    let mut joined = Vec::with_capacity(non_empty.iter().map(Vec::len).sum());
    for mut list in non_empty {
        joined.append(&mut list);
    }
    joined
}

/// Compares every field of a grant event (its deduplication key, then its provenance): see
/// the note in [`Inventory::finalize`].
fn sort_grant_events(grant_events: &mut Vec<GrantEvent>) {
    grant_events.par_sort_unstable_by(|a, b| {
        a.dedup_key()
            .cmp(&b.dedup_key())
            .then_with(|| a.provenance.cmp(&b.provenance))
    });
    grant_events.dedup_by(|b, a| a.dedup_key().cmp(&b.dedup_key()).is_eq());
}

fn sort_change_events(change_events: &mut Vec<ChangeEvent>) {
    change_events.par_sort_by(|a, b| {
        (
            a.time,
            &a.actor,
            a.kind,
            &a.action,
            &a.target,
            &a.entitlement,
            &a.provenance,
        )
            .cmp(&(
                b.time,
                &b.actor,
                b.kind,
                &b.action,
                &b.target,
                &b.entitlement,
                &b.provenance,
            ))
    });
    change_events.dedup_by(|b, a| {
        (
            a.time,
            &a.actor,
            a.kind,
            &a.action,
            &a.target,
            &a.entitlement,
        ) == (
            b.time,
            &b.actor,
            b.kind,
            &b.action,
            &b.target,
            &b.entitlement,
        )
    });
}

/// Sorts by id; merges records equal apart from provenance; reports conflicting ones.
fn dedup_by_id<T: IdentifiedRecord + Send>(
    items: &mut Vec<T>,
    what: &'static str,
    errors: &mut Vec<InventoryError>,
) {
    items.par_sort_by(|a, b| {
        a.id()
            .cmp(b.id())
            .then_with(|| a.provenance().cmp(b.provenance()))
    });
    let mut out: Vec<T> = Vec::with_capacity(items.len());
    for item in items.drain(..) {
        if let Some(prev) = out.last() {
            if prev.id() == item.id() {
                if !prev.same_as(&item) {
                    errors.push(InventoryError::ConflictingDuplicate {
                        what,
                        id: item.id().clone(),
                        first: prev.provenance().clone(),
                        second: item.provenance().clone(),
                    });
                }
                continue;
            }
        }
        out.push(item);
    }
    *items = out;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(id: &str, line: u32) -> Identity {
        Identity::new(
            id,
            IdentityKind::Human,
            Provenance::new("t", "inv.yaml").at_line(line),
        )
    }

    #[test]
    fn concat_keeps_every_record_in_source_order_like_extend() {
        let part = |ids: &[&str], first_line: u32| {
            let mut inv = Inventory::new();
            for (n, id) in ids.iter().enumerate() {
                inv.identities.push(person(id, first_line + n as u32));
                inv.diagnostics.push(Diagnostic::warning(
                    Provenance::new("t", "inv.yaml").at_line(first_line + n as u32),
                    format!("about {id}"),
                ));
            }
            inv
        };
        let parts = || vec![part(&["c", "a"], 1), part(&[], 10), part(&["b"], 20)];
        let mut extended = Inventory::new();
        for p in parts() {
            extended.extend(p);
        }
        let joined = Inventory::concat(parts());
        assert_eq!(joined.identities, extended.identities);
        assert_eq!(joined.diagnostics, extended.diagnostics);
        let ids: Vec<&str> = joined.identities.iter().map(|i| i.id.as_str()).collect();
        assert_eq!(ids, ["c", "a", "b"]);
        // One part with records is taken as it is; none gives an empty inventory.
        assert_eq!(Inventory::concat(vec![part(&["x"], 1)]).identities.len(), 1);
        assert!(Inventory::concat(Vec::new()).identities.is_empty());
    }

    #[test]
    fn identical_duplicates_merge_conflicting_ones_fail() {
        let mut inv = Inventory::new();
        inv.identities.push(person("alice", 1));
        inv.identities.push(person("alice", 9));
        inv.finalize().unwrap();
        assert_eq!(inv.identities.len(), 1);

        let mut inv = Inventory::new();
        inv.identities.push(person("alice", 1));
        let mut other = person("alice", 9);
        other.kind = IdentityKind::Workload;
        inv.identities.push(other);
        let errs = inv.finalize().unwrap_err();
        assert_eq!(errs.len(), 1);
        let msg = errs[0].to_string();
        assert!(
            msg.contains("inv.yaml:9") && msg.contains("inv.yaml:1"),
            "{msg}"
        );
    }

    #[test]
    fn dangling_references_are_errors() {
        let mut inv = Inventory::new();
        inv.identities.push(person("alice", 1));
        inv.assignments.push(Assignment {
            subject: "alice".into(),
            role: "ghost".into(),
            kind: AssignmentKind::Standing,
            window: Window::UNBOUNDED,
            last_used: None,
            provenance: Provenance::new("t", "inv.yaml").at_line(4),
        });
        let errs = inv.finalize().unwrap_err();
        assert!(errs[0].to_string().contains("unknown role `ghost`"));
    }
}
