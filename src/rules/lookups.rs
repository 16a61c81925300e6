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

/// Record positions grouped by the identity each record names (its subject, member or
/// principal), as one array in the inventory's identity order. Hashing ids into a table as
/// large as the records cost a cache miss per lookup once the table outgrew the caches (the
/// assignments' table of (subject, role) pairs was 160 MB at 400,000 identities); here an
/// id is found in the inventory's own, smaller index of identities and its records are
/// read from two arrays.
///
/// Records that name an id no identity has (a grant to a principal no source describes)
/// are grouped by that id in [`MultiIndex`]es instead.
pub(super) struct ByIdentity<'a> {
    /// Where each identity's group starts in `positions` (one more entry than identities).
    starts: Vec<u32>,
    /// Each group in record order.
    positions: Vec<u32>,
    /// The same groups ordered by the records' second key (a role, a group, an
    /// entitlement), then record order: `None` when `positions` already are, as the sorted
    /// lists of a finalized inventory (assignments, memberships) are.
    by_second: Option<Vec<u32>>,
    unknown: MultiIndex<&'a str>,
    unknown_pairs: MultiIndex<(&'a str, &'a str)>,
}

impl Default for ByIdentity<'_> {
    fn default() -> Self {
        ByIdentity {
            starts: vec![0],
            positions: Vec::new(),
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
        // A counting sort by identity position keeps record order within each group.
        let mut starts = vec![0u32; inventory.identities.len() + 1];
        for &p in owners.iter().flatten() {
            starts[p as usize + 1] += 1;
        }
        for i in 1..starts.len() {
            starts[i] += starts[i - 1];
        }
        let mut next = starts.clone();
        let mut positions = vec![0u32; starts.last().map_or(0, |&n| n as usize)];
        for (n, owner) in owners.iter().enumerate() {
            if let Some(p) = owner {
                let slot = &mut next[*p as usize];
                positions[*slot as usize] = n as u32;
                *slot += 1;
            }
        }
        let second = |n: &u32| keys[*n as usize].1;
        let groups = || starts.par_windows(2).map(|w| w[0] as usize..w[1] as usize);
        let in_second_order = groups().all(|g| {
            positions[g]
                .windows(2)
                .all(|w| second(&w[0]) <= second(&w[1]))
        });
        let by_second = (!in_second_order).then(|| {
            let mut by_second = positions.clone();
            let mut rest: &mut [u32] = &mut by_second;
            let mut slices = Vec::with_capacity(starts.len());
            for w in starts.windows(2) {
                let (group, tail) = rest.split_at_mut((w[1] - w[0]) as usize);
                slices.push(group);
                rest = tail;
            }
            // Stable: equal second keys keep record order.
            slices.into_par_iter().for_each(|g| g.sort_by_key(second));
            by_second
        });
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
        ByIdentity {
            starts,
            positions,
            by_second,
            unknown: MultiIndex::build(&unknown_keys),
            unknown_pairs: MultiIndex::build(&unknown_pairs),
        }
    }

    /// Where the group of the identity at `position` lies in `positions` (and `by_second`).
    fn group(&self, position: usize) -> std::ops::Range<usize> {
        match (self.starts.get(position), self.starts.get(position + 1)) {
            (Some(&a), Some(&b)) => a as usize..b as usize,
            _ => 0..0,
        }
    }

    /// The positions of the records naming `id`, in record order.
    pub(super) fn get(&self, inventory: &Inventory, id: &'a str) -> &[u32] {
        match inventory.identity_position(id) {
            Some(p) => &self.positions[self.group(p)],
            None => self.unknown.get(&id),
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
    ) -> &[u32] {
        let Some(p) = inventory.identity_position(id) else {
            return self.unknown_pairs.get(&(id, second));
        };
        let list = self.by_second.as_deref().unwrap_or(&self.positions);
        let group = &list[self.group(p)];
        let from = group.partition_point(|&n| second_of(n) < second);
        let to = from + group[from..].partition_point(|&n| second_of(n) == second);
        &group[from..to]
    }
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
            assert_eq!(index.get(inventory, id), scanned, "records of {id}");
            for second in seconds {
                let scanned: Vec<u32> = (0..keys.len() as u32)
                    .filter(|&n| keys[n as usize] == (id, second))
                    .collect();
                let found = index.pair(inventory, id, second, |n| keys[n as usize].1);
                assert_eq!(found, scanned, "records of ({id}, {second})");
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
        assert!(ByIdentity::build(&inventory, &unsorted).by_second.is_some());
        // Sorted by identity and second key, as a finalized inventory's assignments are:
        // the groups serve pair queries as they are.
        let mut sorted = unsorted;
        sorted.sort();
        check_against_a_scan(&inventory, &sorted);
        assert!(ByIdentity::build(&inventory, &sorted).by_second.is_none());
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
