//! Positions of records by the keys rules look them up by, built once so that a rule asks
//! "the grants of alice for prod-admin" without scanning every grant.

use crate::model::{ChangeKind, Grant, Inventory};
use foldhash::{HashMap, HashMapExt, HashSet};
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

/// The indexes rules look records up by (see [`Lookups::build`]).
#[derive(Default)]
pub struct Lookups<'a> {
    pub(super) grants_by_principal: MultiIndex<&'a str>,
    pub(super) grants_by_pair: MultiIndex<(&'a str, &'a str)>,
    pub(super) grants_by_entitlement: MultiIndex<&'a str>,
    pub(super) assignments_by_pair: MultiIndex<(&'a str, &'a str)>,
    pub(super) assignments_by_subject: MultiIndex<&'a str>,
    pub(super) memberships_by_pair: MultiIndex<(&'a str, &'a str)>,
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

impl<'a> Lookups<'a> {
    /// Builds every index; the indexes are independent, so they are built side by side (on
    /// a million identities they take seconds one after another).
    pub fn build(inventory: &'a Inventory, grants: &'a [Grant]) -> Self {
        let assignments = &inventory.assignments;
        let changes = &inventory.change_events;
        let credential = |c: &crate::model::ChangeEvent| c.kind == ChangeKind::CredentialCreated;
        let (
            ((grants_by_principal, grants_by_entitlement), grants_by_pair),
            ((assignments_by_pair, assignments_by_subject), memberships_by_pair),
        ) = rayon::join(
            || {
                rayon::join(
                    || {
                        rayon::join(
                            || index_by(grants, |g| Some(g.principal.as_str())),
                            || index_by(grants, |g| Some(g.entitlement.as_str())),
                        )
                    },
                    || {
                        index_by(grants, |g| {
                            Some((g.principal.as_str(), g.entitlement.as_str()))
                        })
                    },
                )
            },
            || {
                rayon::join(
                    || {
                        rayon::join(
                            || {
                                index_by(assignments, |a| {
                                    Some((a.subject.as_str(), a.role.as_str()))
                                })
                            },
                            || index_by(assignments, |a| Some(a.subject.as_str())),
                        )
                    },
                    || {
                        index_by(&inventory.memberships, |m| {
                            Some((m.member.as_str(), m.group.as_str()))
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
            grants_by_pair,
            assignments_by_pair,
            assignments_by_subject,
            memberships_by_pair,
            changes_by_pair,
            credentials_by_target,
            credentials_by_entitlement,
            secret_ids,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::MultiIndex;

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
}
