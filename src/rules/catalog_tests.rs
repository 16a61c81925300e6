//! The catalog's own guarantees: every rule is registered once, well named, documented,
//! cites only framework ids that exist, declares parameters whose defaults parse, and has
//! examples that behave as they say when run.

use super::catalog::References;
use super::{all_rules, ParamKind, ParamValue, RegisteredRule};
use crate::model::PrivilegeLevel;
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Relative paths (`rules/sp/SP001-standing-admin.yaml`) of every YAML file in the rule
/// family folders, i.e. every folder of rules/ except frameworks/.
fn catalog_files_on_disk() -> BTreeSet<String> {
    let rules_dir = repo_root().join("rules");
    let mut files = BTreeSet::new();
    for family in std::fs::read_dir(&rules_dir).expect("rules/ exists") {
        let family = family.expect("readable rules/ entry").path();
        if !family.is_dir() || family.file_name().is_some_and(|n| n == "frameworks") {
            continue;
        }
        for file in std::fs::read_dir(&family).expect("readable family folder") {
            let path = file.expect("readable family entry").path();
            if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
                let relative = path.strip_prefix(repo_root()).expect("under the crate");
                files.insert(relative.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    files
}

fn is_kebab_case(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('-')
        && !name.ends_with('-')
        && !name.contains("--")
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

#[test]
fn rules_are_registered() {
    assert!(!all_rules().is_empty(), "the registry lists rules");
}

#[test]
fn ids_and_names_are_unique_and_well_formed() {
    let mut ids = BTreeSet::new();
    let mut names = BTreeSet::new();
    let mut previous: Option<&str> = None;
    for rule in all_rules() {
        let meta = &rule.meta;
        assert!(ids.insert(meta.id.clone()), "duplicate rule id {}", meta.id);
        assert!(
            names.insert(meta.name.clone()),
            "duplicate rule name {}",
            meta.name
        );
        assert!(
            is_kebab_case(&meta.name),
            "{}: name `{}` is not kebab-case",
            meta.id,
            meta.name
        );
        let digits = meta.id.trim_start_matches(|c: char| c.is_ascii_uppercase());
        assert!(
            meta.id.starts_with(&meta.family)
                && digits.len() == 3
                && digits.bytes().all(|b| b.is_ascii_digit()),
            "{}: an id is its family ({}) and three digits",
            meta.id,
            meta.family
        );
        let expected = format!(
            "rules/{}/{}-{}.yaml",
            meta.family.to_lowercase(),
            meta.id,
            meta.name
        );
        assert_eq!(
            rule.catalog_file, expected,
            "{}: catalog file is named after id and name",
            meta.id
        );
        if let Some(previous) = previous {
            assert!(
                previous < meta.id.as_str(),
                "registry is sorted by id: {previous} before {}",
                meta.id
            );
        }
        previous = Some(&meta.id);
    }
}

#[test]
fn titles_are_short_and_do_not_start_with_ensure() {
    for rule in all_rules() {
        let title = &rule.meta.title;
        assert!(
            title.chars().count() <= 80,
            "{}: title is longer than 80 characters",
            rule.meta.id
        );
        assert!(!title.trim().is_empty(), "{}: title is empty", rule.meta.id);
        assert!(
            !title.to_ascii_lowercase().starts_with("ensure"),
            "{}: title starts with \"Ensure\"; say what the rule flags",
            rule.meta.id
        );
    }
}

#[test]
fn docs_have_every_part() {
    for rule in all_rules() {
        let docs = &rule.meta.docs;
        for (part, text) in [("what", &docs.what), ("why", &docs.why), ("fix", &docs.fix)] {
            assert!(
                !text.trim().is_empty(),
                "{}: docs.{part} is empty",
                rule.meta.id
            );
        }
    }
}

#[test]
fn every_catalog_file_is_registered_and_every_registration_has_a_file() {
    let registered: BTreeSet<String> = all_rules()
        .iter()
        .map(|r| r.catalog_file.to_string())
        .collect();
    let on_disk = catalog_files_on_disk();
    let unregistered: Vec<&String> = on_disk.difference(&registered).collect();
    let missing: Vec<&String> = registered.difference(&on_disk).collect();
    assert!(
        unregistered.is_empty(),
        "catalog files with no line in registry.rs: {unregistered:?}"
    );
    assert!(
        missing.is_empty(),
        "registered rules whose catalog file is missing: {missing:?}"
    );
}

#[test]
fn parameter_defaults_parse_as_their_type() {
    for rule in all_rules() {
        let mut names = BTreeSet::new();
        for spec in &rule.meta.parameters {
            let at = format!("{} parameter {}", rule.meta.id, spec.name);
            assert!(names.insert(spec.name.as_str()), "{at}: declared twice");
            assert!(!spec.doc.trim().is_empty(), "{at}: no doc");
            let value = ParamValue::from_yaml(spec.kind, &spec.default)
                .unwrap_or_else(|e| panic!("{at}: default: {e}"));
            // The configuration checks overrides of privilege-level parameters by name; the
            // defaults must pass the same check.
            if spec.name.contains("privilege") || spec.name.contains("tier") {
                let ParamValue::String(level) = &value else {
                    panic!("{at}: a privilege-level parameter is a string");
                };
                assert!(
                    PrivilegeLevel::parse(level).is_some(),
                    "{at}: `{level}` is not a privilege level"
                );
            }
            if !spec.allowed.is_empty() {
                assert_eq!(
                    spec.kind,
                    ParamKind::String,
                    "{at}: only strings list values"
                );
                assert!(
                    matches!(&value, ParamValue::String(v) if spec.allowed.contains(v)),
                    "{at}: the default is not one of the allowed values"
                );
            }
            if let Some(key) = &spec.policy_key {
                assert!(
                    crate::config::POLICY_KEYS.contains(&key.as_str()),
                    "{at}: unknown policy key `{key}`"
                );
                let expected = if key.ends_with("_days") {
                    ParamKind::Integer
                } else {
                    ParamKind::Duration
                };
                assert_eq!(
                    spec.kind, expected,
                    "{at}: type differs from policy key `{key}`"
                );
            }
        }
    }
}

/// One file of rules/frameworks/.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Framework {
    id: String,
    title: String,
    url: String,
    /// The field of a rule's `references` that cites this framework.
    cited_as: String,
    controls: Vec<Control>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Control {
    id: String,
    title: String,
}

fn frameworks() -> Vec<Framework> {
    let dir = repo_root().join("rules/frameworks");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("rules/frameworks exists")
        .map(|e| e.expect("readable frameworks entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|p: &PathBuf| {
            let text = std::fs::read_to_string(p).expect("readable framework file");
            serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        })
        .collect()
}

fn cited(references: &References) -> [(&'static str, &Vec<String>); 4] {
    [
        ("owasp_nhi", &references.owasp_nhi),
        ("nist_csf", &references.nist_csf),
        ("nist_800_53", &references.nist_800_53),
        ("cis", &references.cis),
    ]
}

#[test]
fn framework_files_are_complete_and_unambiguous() {
    let frameworks = frameworks();
    let mut citing_fields = BTreeSet::new();
    for fw in &frameworks {
        assert!(
            !fw.title.trim().is_empty() && fw.url.starts_with("https://"),
            "{}: title and https url",
            fw.id
        );
        assert!(
            citing_fields.insert(fw.cited_as.as_str()),
            "two frameworks are cited as {}",
            fw.cited_as
        );
        let mut ids = BTreeSet::new();
        for control in &fw.controls {
            assert!(
                ids.insert(&control.id),
                "{}: control {} listed twice",
                fw.id,
                control.id
            );
            assert!(
                !control.title.trim().is_empty(),
                "{}: control {} has no title",
                fw.id,
                control.id
            );
        }
    }
    let fields: BTreeSet<&str> = cited(&References::default())
        .iter()
        .map(|(f, _)| *f)
        .collect();
    assert_eq!(
        citing_fields, fields,
        "one framework file per references field"
    );
}

#[test]
fn every_reference_exists_in_its_framework() {
    let known: BTreeMap<String, BTreeSet<String>> = frameworks()
        .into_iter()
        .map(|fw| (fw.cited_as, fw.controls.into_iter().map(|c| c.id).collect()))
        .collect();
    for rule in all_rules() {
        let mut total = 0;
        for (field, ids) in cited(&rule.meta.references) {
            let listed = known
                .get(field)
                .unwrap_or_else(|| panic!("no framework file is cited as {field}"));
            for id in ids {
                assert!(
                    listed.contains(id),
                    "{}: references.{field} cites `{id}`, which rules/frameworks/ does not list",
                    rule.meta.id
                );
                total += 1;
            }
        }
        assert!(total > 0, "{}: cites no framework", rule.meta.id);
    }
}

#[test]
fn every_rule_has_a_firing_example_and_a_near_miss() {
    for rule in all_rules() {
        let examples = &rule.meta.examples;
        assert!(
            examples.iter().any(|e| e.fires),
            "{}: no example that fires",
            rule.meta.id
        );
        assert!(
            examples.iter().any(|e| !e.fires),
            "{}: no near-miss example",
            rule.meta.id
        );
        let mut names = BTreeSet::new();
        for example in examples {
            assert!(
                names.insert(&example.name),
                "{}: two examples named `{}`",
                rule.meta.id,
                example.name
            );
            if example.fires {
                assert!(
                    !example.expect_subjects.is_empty(),
                    "{} `{}`: a firing example names its subjects",
                    rule.meta.id,
                    example.name
                );
            } else {
                assert!(
                    example.expect_subjects.is_empty(),
                    "{} `{}`: a near-miss expects no subjects",
                    rule.meta.id,
                    example.name
                );
            }
        }
    }
}

fn check_examples(rule: &'static RegisteredRule) -> Vec<String> {
    let mut failures = Vec::new();
    for example in &rule.meta.examples {
        let at = format!("{} example `{}`", rule.meta.id, example.name);
        let findings = match crate::scan::run_example(rule, example) {
            Ok(f) => f,
            Err(e) => {
                failures.push(format!("{at}: did not run: {e}"));
                continue;
            }
        };
        if let Some(other) = findings.iter().find(|f| f.rule_id != rule.meta.id) {
            failures.push(format!("{at}: reported a finding of {}", other.rule_id));
        }
        let subjects: BTreeSet<&str> = findings.iter().map(|f| f.subject.as_str()).collect();
        if example.fires {
            let expected: BTreeSet<&str> =
                example.expect_subjects.iter().map(String::as_str).collect();
            if findings.is_empty() {
                failures.push(format!("{at}: must fire but reported nothing"));
            } else if subjects != expected {
                failures.push(format!(
                    "{at}: reported subjects {subjects:?}, expected {expected:?}"
                ));
            }
        } else if !findings.is_empty() {
            let messages: Vec<&str> = findings.iter().map(|f| f.message.as_str()).collect();
            failures.push(format!("{at}: is a near-miss but reported {messages:?}"));
        }
    }
    failures
}

#[test]
fn every_example_behaves() {
    let failures: Vec<String> = all_rules().iter().flat_map(check_examples).collect();
    assert!(
        failures.is_empty(),
        "examples that misbehave:\n{}",
        failures.join("\n")
    );
}
