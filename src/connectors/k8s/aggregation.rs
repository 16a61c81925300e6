//! ClusterRole aggregation: a ClusterRole with an `aggregationRule` holds the rules of every
//! ClusterRole whose labels match one of its `clusterRoleSelectors`, as the controller
//! manager computes them. A dump usually holds the controller's result in `rules` already;
//! manifests usually hold `rules: []`. Both are handled: the effective rules are the
//! object's own rules plus the selected roles' effective rules, to a fixed point (so
//! `admin` → `edit` → `view` chains resolve), deduplicated and sorted.

use super::objects::{LabelSelector, PolicyRule};
use std::collections::BTreeMap;

/// What aggregation needs of one ClusterRole.
pub(crate) struct ClusterRoleInput<'a> {
    pub name: &'a str,
    pub labels: &'a BTreeMap<String, String>,
    pub rules: &'a [PolicyRule],
    pub selectors: Option<&'a [LabelSelector]>,
}

/// Whether `labels` satisfy `selector` (matchLabels and matchExpressions, ANDed). An empty
/// selector selects nothing, as the aggregation controller treats it.
pub(crate) fn selects(selector: &LabelSelector, labels: &BTreeMap<String, String>) -> bool {
    if selector.match_labels.is_empty() && selector.match_expressions.is_empty() {
        return false;
    }
    let labels_ok = selector
        .match_labels
        .iter()
        .all(|(k, v)| labels.get(k) == Some(v));
    let expressions_ok = selector.match_expressions.iter().all(|e| {
        let key = e.key.as_deref().unwrap_or("");
        let value = labels.get(key);
        match e.operator.as_deref().unwrap_or("") {
            "In" => value.is_some_and(|v| e.values.contains(v)),
            "NotIn" => value.is_none_or(|v| !e.values.contains(v)),
            "Exists" => value.is_some(),
            "DoesNotExist" => value.is_none(),
            _ => false,
        }
    });
    labels_ok && expressions_ok
}

/// The effective rules of every ClusterRole, by name, and for each aggregated role the
/// names of the roles it took rules from.
pub(crate) fn aggregate(
    roles: &[ClusterRoleInput<'_>],
) -> (
    BTreeMap<String, Vec<PolicyRule>>,
    BTreeMap<String, Vec<String>>,
) {
    let mut effective: BTreeMap<String, Vec<PolicyRule>> = roles
        .iter()
        .map(|r| (r.name.to_string(), normalized(r.rules.to_vec())))
        .collect();
    let mut sources: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for aggregator in roles {
        let Some(selectors) = aggregator.selectors else {
            continue;
        };
        let mut picked: Vec<String> = roles
            .iter()
            .filter(|r| r.name != aggregator.name)
            .filter(|r| selectors.iter().any(|s| selects(s, r.labels)))
            .map(|r| r.name.to_string())
            .collect();
        picked.sort();
        sources.insert(aggregator.name.to_string(), picked);
    }
    // Chains resolve in at most as many rounds as there are aggregated roles.
    for _ in 0..=sources.len() {
        let mut changed = false;
        for (name, picked) in &sources {
            let mut rules = effective.get(name).cloned().unwrap_or_default();
            for p in picked {
                rules.extend(effective.get(p).cloned().unwrap_or_default());
            }
            let rules = normalized(rules);
            if effective.get(name) != Some(&rules) {
                effective.insert(name.clone(), rules);
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    (effective, sources)
}

fn normalized(mut rules: Vec<PolicyRule>) -> Vec<PolicyRule> {
    rules.sort();
    rules.dedup();
    rules
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connectors::k8s::objects::SelectorRequirement;

    fn rule(verb: &str) -> PolicyRule {
        PolicyRule {
            verbs: vec![verb.into()],
            api_groups: vec!["".into()],
            resources: vec!["pods".into()],
            ..PolicyRule::default()
        }
    }

    fn selector(key: &str) -> LabelSelector {
        LabelSelector {
            match_labels: BTreeMap::from([(key.to_string(), "true".to_string())]),
            match_expressions: Vec::new(),
        }
    }

    #[test]
    fn chains_resolve_and_labels_select() {
        let none = BTreeMap::new();
        let to_admin = BTreeMap::from([("agg/admin".to_string(), "true".to_string())]);
        let to_edit = BTreeMap::from([("agg/edit".to_string(), "true".to_string())]);
        let admin_sel = [selector("agg/admin")];
        let edit_sel = [selector("agg/edit")];
        let roles = [
            ClusterRoleInput {
                name: "admin",
                labels: &none,
                rules: &[],
                selectors: Some(&admin_sel),
            },
            ClusterRoleInput {
                name: "edit",
                labels: &to_admin,
                rules: &[],
                selectors: Some(&edit_sel),
            },
            ClusterRoleInput {
                name: "creator",
                labels: &to_edit,
                rules: &[rule("create")],
                selectors: None,
            },
            ClusterRoleInput {
                name: "unrelated",
                labels: &none,
                rules: &[rule("delete")],
                selectors: None,
            },
        ];
        let (effective, sources) = aggregate(&roles);
        assert_eq!(effective["admin"], vec![rule("create")]);
        assert_eq!(effective["edit"], vec![rule("create")]);
        assert_eq!(sources["admin"], vec!["edit"]);
    }

    #[test]
    fn match_expressions_and_empty_selectors() {
        let labels = BTreeMap::from([("tier".to_string(), "ops".to_string())]);
        let mut s = LabelSelector::default();
        assert!(!selects(&s, &labels));
        s.match_expressions.push(SelectorRequirement {
            key: Some("tier".into()),
            operator: Some("In".into()),
            values: vec!["ops".into(), "dev".into()],
        });
        assert!(selects(&s, &labels));
        s.match_expressions.push(SelectorRequirement {
            key: Some("x".into()),
            operator: Some("Exists".into()),
            values: Vec::new(),
        });
        assert!(!selects(&s, &labels));
    }
}
