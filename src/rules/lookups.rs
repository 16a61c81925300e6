//! Positions of records by the keys rules look them up by, built once so that a rule asks
//! "the grants of alice for prod-admin" without scanning every grant.

use crate::model::{ChangeKind, Grant, Inventory};
use foldhash::{HashMap, HashMapExt, HashSet};
use rayon::prelude::*;
use std::hash::Hash;

/// Record positions grouped by key, every group in one shared array: a large organisation
/// has a million assignment keys, and a separate small `Vec` per key would cost more than
/// the positions themselves. Each group keeps the records' order, so answers come in the
/// order a scan would give them.
pub(super) struct MultiIndex<K> {
    /// Where each key's positions start in `positions`, and how many there are.
    spans: HashMap<K, (u32, u32)>,
    positions: Vec<u32>,
}

impl<K> Default for MultiIndex<K> {
    fn default() -> Self {
        MultiIndex {
            spans: HashMap::new(),
            positions: Vec::new(),
        }
    }
}

impl<K: Hash + Eq + Copy> MultiIndex<K> {
    /// `keys[n]` is record n's key, `None` for a record the index leaves out.
    fn build(keys: &[Option<K>]) -> Self {
        // Count each key's records, lay the groups out one after another in the order their
        // keys first appear, then fill each group in record order. Records sorted by key
        // (assignments by subject, memberships by member) thus have their positions in one
        // run, and rules, which take identities in the same order, read it front to back.
        let mut spans: HashMap<K, (u32, u32)> = HashMap::new();
        let mut first_seen: Vec<K> = Vec::new();
        for key in keys.iter().flatten() {
            let span = spans.entry(*key).or_insert_with(|| {
                first_seen.push(*key);
                (0, 0)
            });
            span.1 += 1;
        }
        let mut next = 0u32;
        for key in &first_seen {
            if let Some(span) = spans.get_mut(key) {
                let count = span.1;
                *span = (next, 0);
                next += count;
            }
        }
        let mut positions = vec![0u32; next as usize];
        for (n, key) in keys.iter().enumerate() {
            if let Some(key) = key {
                if let Some(span) = spans.get_mut(key) {
                    positions[(span.0 + span.1) as usize] = n as u32;
                    span.1 += 1;
                }
            }
        }
        MultiIndex { spans, positions }
    }

    /// The positions recorded under `key`, in record order (empty when none).
    pub(super) fn get(&self, key: &K) -> &[u32] {
        match self.spans.get(key) {
            Some(&(start, len)) => &self.positions[start as usize..(start + len) as usize],
            None => &[],
        }
    }
}

/// An index's answer: the positions of the records found, in record order.
#[derive(Clone)]
pub(super) enum Positions<'i> {
    /// Records that sit next to each other (an identity's records in a list sorted by
    /// identity).
    Run(std::ops::Range<u32>),
    Listed(std::slice::Iter<'i, u32>),
}

impl<'i> Positions<'i> {
    pub(super) fn listed(positions: &'i [u32]) -> Self {
        Positions::Listed(positions.iter())
    }
}

impl Iterator for Positions<'_> {
    type Item = u32;

    fn next(&mut self) -> Option<u32> {
        match self {
            Positions::Run(run) => run.next(),
            Positions::Listed(listed) => listed.next().copied(),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match self {
            Positions::Run(run) => run.size_hint(),
            Positions::Listed(listed) => listed.size_hint(),
        }
    }
}

impl DoubleEndedIterator for Positions<'_> {
    fn next_back(&mut self) -> Option<u32> {
        match self {
            Positions::Run(run) => run.next_back(),
            Positions::Listed(listed) => listed.next_back().copied(),
        }
    }
}

impl ExactSizeIterator for Positions<'_> {}

/// Record positions grouped by the identity each record names (its subject, member or
/// principal), in the inventory's identity order. Hashing ids into a table as large as the
/// records cost a cache miss per lookup once the table outgrew the caches (the assignments'
/// table of (subject, role) pairs was 160 MB at 400,000 identities); here an id is found in
/// the inventory's own, smaller index of identities, and its records are one run of the
/// list when the list is sorted by identity (a finalized inventory's assignments and
/// memberships), else listed in one array.
///
/// Records that name an id no identity has (a grant to a principal no source describes)
/// are grouped by that id in [`MultiIndex`]es instead.
pub(super) struct ByIdentity<'a> {
    /// Where each identity's group starts (one more entry than identities): in the records
    /// themselves when `positions` is `None`, else in `positions`.
    starts: Vec<u32>,
    /// Each group's record positions in record order; `None` when every record names an
    /// identity and the records are in identity order, so that group n is the records
    /// `starts[n]..starts[n + 1]`.
    positions: Option<Vec<u32>>,
    /// The same groups ordered by the records' second key (a role, a group, an
    /// entitlement), then record order: `None` when the groups already are, as a finalized
    /// inventory's sorted assignments and memberships are.
    by_second: Option<Vec<u32>>,
    unknown: MultiIndex<&'a str>,
    unknown_pairs: MultiIndex<(&'a str, &'a str)>,
}

impl Default for ByIdentity<'_> {
    fn default() -> Self {
        ByIdentity {
            starts: vec![0],
            positions: None,
            by_second: None,
            unknown: MultiIndex::default(),
            unknown_pairs: MultiIndex::default(),
        }
    }
}

impl<'a> ByIdentity<'a> {
    /// `keys[n]` is record n's (identity id, second key).
    fn build(inventory: &Inventory, keys: &[(&'a str, &'a str)]) -> Self {
        let owners: Vec<Option<u32>> = keys
            .par_iter()
            .map(|(id, _)| inventory.identity_position(id).map(|p| p as u32))
            .collect();
        let mut starts = vec![0u32; inventory.identities.len() + 1];
        for &p in owners.iter().flatten() {
            starts[p as usize + 1] += 1;
        }
        for i in 1..starts.len() {
            starts[i] += starts[i - 1];
        }
        let in_identity_order = owners
            .par_windows(2)
            .all(|w| matches!((w[0], w[1]), (Some(a), Some(b)) if a <= b))
            && owners.first().is_none_or(Option::is_some);
        let positions = (!in_identity_order).then(|| {
            // A counting sort by identity position keeps record order within each group.
            let mut next = starts.clone();
            let mut positions = vec![0u32; starts.last().map_or(0, |&n| n as usize)];
            for (n, owner) in owners.iter().enumerate() {
                if let Some(p) = owner {
                    let slot = &mut next[*p as usize];
                    positions[*slot as usize] = n as u32;
                    *slot += 1;
                }
            }
            positions
        });
        let record = |i: usize| match &positions {
            Some(positions) => positions[i],
            None => i as u32,
        };
        let second = |n: u32| keys[n as usize].1;
        let in_second_order = starts.par_windows(2).all(|w| {
            (w[0] as usize..w[1] as usize)
                .map(record)
                .map(second)
                .is_sorted()
        });
        let by_second = (!in_second_order).then(|| {
            let mut by_second: Vec<u32> = (0..positions.as_ref().map_or(keys.len(), Vec::len))
                .map(record)
                .collect();
            let mut rest: &mut [u32] = &mut by_second;
            let mut groups = Vec::with_capacity(starts.len());
            for w in starts.windows(2) {
                let (group, tail) = rest.split_at_mut((w[1] - w[0]) as usize);
                groups.push(group);
                rest = tail;
            }
            // Stable: equal second keys keep record order.
            groups
                .into_par_iter()
                .for_each(|g| g.sort_by_key(|&n| second(n)));
            by_second
        });
        // In a finalized inventory every record names an identity: no per-record key
        // lists for indexes that would stay empty.
        let (unknown, unknown_pairs) = if owners.par_iter().all(Option::is_some) {
            (MultiIndex::default(), MultiIndex::default())
        } else {
            let unknown_keys: Vec<Option<&'a str>> = keys
                .iter()
                .zip(&owners)
                .map(|(key, owner)| owner.is_none().then_some(key.0))
                .collect();
            let unknown_pairs: Vec<Option<(&'a str, &'a str)>> = keys
                .iter()
                .zip(&owners)
                .map(|(key, owner)| owner.is_none().then_some(*key))
                .collect();
            (
                MultiIndex::build(&unknown_keys),
                MultiIndex::build(&unknown_pairs),
            )
        };
        ByIdentity {
            starts,
            positions,
            by_second,
            unknown,
            unknown_pairs,
        }
    }

    /// Where the group of the identity at `position` lies.
    fn group(&self, position: usize) -> std::ops::Range<usize> {
        match (self.starts.get(position), self.starts.get(position + 1)) {
            (Some(&a), Some(&b)) => a as usize..b as usize,
            _ => 0..0,
        }
    }

    /// The positions of the records naming `id`, in record order.
    pub(super) fn get(&self, inventory: &Inventory, id: &'a str) -> Positions<'_> {
        let Some(p) = inventory.identity_position(id) else {
            return Positions::listed(self.unknown.get(&id));
        };
        let group = self.group(p);
        match &self.positions {
            Some(positions) => Positions::listed(&positions[group]),
            None => Positions::Run(group.start as u32..group.end as u32),
        }
    }

    /// The positions of the records naming `id` whose second key is `second`, in record
    /// order; `second_of(n)` is record n's second key.
    pub(super) fn pair<'s>(
        &self,
        inventory: &Inventory,
        id: &'a str,
        second: &'a str,
        second_of: impl Fn(u32) -> &'s str,
    ) -> Positions<'_> {
        let Some(p) = inventory.identity_position(id) else {
            return Positions::listed(self.unknown_pairs.get(&(id, second)));
        };
        let group = self.group(p);
        let Some(list) = self.by_second.as_ref().or(self.positions.as_ref()) else {
            // The group is a run of records in second-key order.
            let run = group.start as u32..group.end as u32;
            let (from, to) = equal_range(run.len(), |i| second_of(run.start + i as u32), second);
            return Positions::Run(run.start + from as u32..run.start + to as u32);
        };
        let group = &list[group];
        let (from, to) = equal_range(group.len(), |i| second_of(group[i]), second);
        Positions::listed(&group[from..to])
    }
}

/// The range of positions `0..len` whose key (`key_at`, non-decreasing) equals `key`.
fn equal_range<'s>(len: usize, key_at: impl Fn(usize) -> &'s str, key: &str) -> (usize, usize) {
    let (mut low, mut high) = (0, len);
    while low < high {
        let mid = (low + high) / 2;
        if key_at(mid) < key {
            low = mid + 1;
        } else {
            high = mid;
        }
    }
    let from = low;
    let mut to = from;
    while to < len && key_at(to) == key {
        to += 1;
    }
    (from, to)
}

/// The indexes rules look records up by (see [`Lookups::build`]).
#[derive(Default)]
pub struct Lookups<'a> {
    /// Grants by principal, and by (principal, entitlement).
    pub(super) grants_by_principal: ByIdentity<'a>,
    pub(super) grants_by_entitlement: MultiIndex<&'a str>,
    /// Assignments by subject, and by (subject, role).
    pub(super) assignments_by_subject: ByIdentity<'a>,
    /// Memberships by member, and by (member, group).
    pub(super) memberships_by_member: ByIdentity<'a>,
    /// Change events that name an entitlement, by (target, entitlement).
    pub(super) changes_by_pair: MultiIndex<(&'a str, &'a str)>,
    /// Credential-created change events by target, and by entitlement.
    pub(super) credentials_by_target: MultiIndex<&'a str>,
    pub(super) credentials_by_entitlement: MultiIndex<&'a str>,
    pub(super) secret_ids: HashSet<&'a str>,
}

/// The index of `records` by `key` (`None` leaves a record out).
fn index_by<'a, T, K: Hash + Eq + Copy>(
    records: &'a [T],
    key: impl Fn(&'a T) -> Option<K>,
) -> MultiIndex<K> {
    MultiIndex::build(&records.iter().map(key).collect::<Vec<_>>())
}

/// The index of `records` by the identity each names and a second key.
fn index_by_identity<'a, T>(
    inventory: &Inventory,
    records: &'a [T],
    keys: impl Fn(&'a T) -> (&'a str, &'a str),
) -> ByIdentity<'a> {
    ByIdentity::build(inventory, &records.iter().map(keys).collect::<Vec<_>>())
}

impl<'a> Lookups<'a> {
    /// Builds every index; the indexes are independent, so they are built side by side (on
    /// a million identities they take seconds one after another).
    pub fn build(inventory: &'a Inventory, grants: &'a [Grant]) -> Self {
        let assignments = &inventory.assignments;
        let changes = &inventory.change_events;
        let credential = |c: &crate::model::ChangeEvent| c.kind == ChangeKind::CredentialCreated;
        let (
            (grants_by_principal, grants_by_entitlement),
            (assignments_by_subject, memberships_by_member),
        ) = rayon::join(
            || {
                rayon::join(
                    || {
                        index_by_identity(inventory, grants, |g| {
                            (g.principal.as_str(), g.entitlement.as_str())
                        })
                    },
                    || index_by(grants, |g| Some(g.entitlement.as_str())),
                )
            },
            || {
                rayon::join(
                    || {
                        index_by_identity(inventory, assignments, |a| {
                            (a.subject.as_str(), a.role.as_str())
                        })
                    },
                    || {
                        index_by_identity(inventory, &inventory.memberships, |m| {
                            (m.member.as_str(), m.group.as_str())
                        })
                    },
                )
            },
        );
        let ((changes_by_pair, credentials_by_target), (credentials_by_entitlement, secret_ids)) =
            rayon::join(
                || {
                    rayon::join(
                        || {
                            index_by(changes, |c| {
                                c.entitlement.as_deref().map(|e| (c.target.as_str(), e))
                            })
                        },
                        || index_by(changes, |c| credential(c).then_some(c.target.as_str())),
                    )
                },
                || {
                    rayon::join(
                        || {
                            index_by(changes, |c| {
                                c.entitlement.as_deref().filter(|_| credential(c))
                            })
                        },
                        || inventory.secrets.iter().map(|s| s.id.as_str()).collect(),
                    )
                },
            );
        Lookups {
            grants_by_principal,
            grants_by_entitlement,
            assignments_by_subject,
            memberships_by_member,
            changes_by_pair,
            credentials_by_target,
            credentials_by_entitlement,
            secret_ids,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{ByIdentity, MultiIndex};
    use crate::model::{Identity, IdentityKind, Inventory, Provenance};

    #[test]
    fn groups_keep_record_order_and_skip_unkeyed_records() {
        let keys = [Some("b"), Some("a"), None, Some("b"), Some("c"), Some("b")];
        let index = MultiIndex::build(&keys);
        assert_eq!(index.get(&"b"), &[0, 3, 5]);
        assert_eq!(index.get(&"a"), &[1]);
        assert_eq!(index.get(&"c"), &[4]);
        assert!(index.get(&"z").is_empty());
        // Groups are laid out in the order their keys first appear.
        assert_eq!(index.positions, [0, 3, 5, 1, 4]);
    }

    fn people(ids: &[&str]) -> Inventory {
        let mut inventory = Inventory::new();
        for id in ids {
            inventory.identities.push(Identity::new(
                *id,
                IdentityKind::Human,
                Provenance::synthetic("lookups"),
            ));
        }
        inventory.finalize().expect("identities only");
        inventory
    }

    /// Every answer of the index is what a scan of the records gives, in record order.
    fn check_against_a_scan(inventory: &Inventory, keys: &[(&str, &str)]) {
        let index = ByIdentity::build(inventory, keys);
        let ids = ["a", "b", "c", "ghost", "nobody"];
        let seconds = ["x", "y", "z", "q", ""];
        for id in ids {
            let scanned: Vec<u32> = (0..keys.len() as u32)
                .filter(|&n| keys[n as usize].0 == id)
                .collect();
            let found: Vec<u32> = index.get(inventory, id).collect();
            assert_eq!(found, scanned, "records of {id}");
            for second in seconds {
                let scanned: Vec<u32> = (0..keys.len() as u32)
                    .filter(|&n| keys[n as usize] == (id, second))
                    .collect();
                let found: Vec<u32> = index
                    .pair(inventory, id, second, |n| keys[n as usize].1)
                    .collect();
                assert_eq!(found, scanned, "records of ({id}, {second})");
                let backwards: Vec<u32> = index
                    .pair(inventory, id, second, |n| keys[n as usize].1)
                    .rev()
                    .collect();
                assert!(backwards.iter().rev().eq(&scanned));
            }
        }
    }

    #[test]
    fn identity_groups_answer_as_a_scan_in_any_record_order() {
        let inventory = people(&["a", "b", "c"]);
        // Unsorted, with repeats and ids no identity has ("ghost").
        let unsorted = [
            ("b", "y"),
            ("a", "z"),
            ("ghost", "q"),
            ("b", "x"),
            ("a", "z"),
            ("b", "y"),
            ("ghost", "x"),
            ("ghost", "q"),
            ("a", "x"),
        ];
        check_against_a_scan(&inventory, &unsorted);
        let index = ByIdentity::build(&inventory, &unsorted);
        assert!(index.positions.is_some() && index.by_second.is_some());
        // Sorted by identity and second key, as a finalized inventory's assignments are:
        // each group is a run of the records, in second-key order.
        let mut sorted: Vec<_> = unsorted.into_iter().filter(|k| k.0 != "ghost").collect();
        sorted.sort();
        check_against_a_scan(&inventory, &sorted);
        let index = ByIdentity::build(&inventory, &sorted);
        assert!(index.positions.is_none() && index.by_second.is_none());
        // In identity order but not in second-key order within a group.
        let identity_order = [("a", "z"), ("a", "x"), ("a", "z"), ("b", "y"), ("c", "x")];
        check_against_a_scan(&inventory, &identity_order);
        let index = ByIdentity::build(&inventory, &identity_order);
        assert!(index.positions.is_none() && index.by_second.is_some());
        // Sorted, with ids no identity has: listed.
        let mut with_ghosts = unsorted;
        with_ghosts.sort();
        check_against_a_scan(&inventory, &with_ghosts);
        check_against_a_scan(&inventory, &[]);
    }

    #[test]
    fn without_an_identity_index_every_record_is_found_by_its_id() {
        // An inventory that was never finalized has no index of identities.
        let mut inventory = Inventory::new();
        inventory.identities.push(Identity::new(
            "a",
            IdentityKind::Human,
            Provenance::synthetic("lookups"),
        ));
        check_against_a_scan(&inventory, &[("a", "x"), ("b", "y"), ("a", "x")]);
    }
}
