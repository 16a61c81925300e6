//! residue.yaml: raw options → validated settings, all errors at once with file:line.
//!
//! ```yaml
//! sources:                      # optional: without it every file in the directory is recognised by content
//!   - inventory.yaml
//!   - {path: grants.jsonl, format: grant-log-jsonl, name: okta-jit}
//!   - {live: aws, snapshot: aws-snapshot, profile: audit}   # collected before each scan (feature live-aws)
//! break_glass: [breakglass-1@acme.example]   # identities allowed standing admin
//! secrets: {max_age_days: 90, unused_days: 90}
//! jit: {default_window: 8h}     # window of a grant whose log records no end
//! windows: {admin: 4h, permissions-management: 4h, write: 12h, read: 24h}
//! rules:
//!   SP003: {enabled: true, severity: low, parameters: {unused_days: 60}}
//! suppressions: suppressions.yaml
//! fail_on: high
//! ```
//! Nothing runs until the whole file validates; every problem is reported with its line.

mod locate;
mod policy;

pub use locate::{LineIndex, Step};
pub use policy::AuditPolicy;

use crate::connectors::{ConnectorSettings, SourceFormat};
use crate::finding::Severity;
use crate::model::time::parse_duration;
use crate::model::{PrivilegeLevel, SignedDuration};
use crate::rules::params::describe_yaml;
use crate::rules::{all_rules, ConfiguredRule, ParamSpec, ParamValue, RuleParams};
use serde_yaml::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

/// One problem in a configuration file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub file: String,
    pub line: Option<u32>,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(l) => write!(f, "{}:{}: {}", self.file, l, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

/// Every problem found in a configuration file, in line order.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

/// A source to read, as configured (or as recognised in the directory).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceSpec {
    pub path: PathBuf,
    /// The path as written (relative to the configuration's directory): what reports show.
    pub display: String,
    pub format: Option<SourceFormat>,
    pub name: Option<String>,
    /// Line in residue.yaml that named it.
    pub line: Option<u32>,
    /// The Kubernetes cluster the source describes (`cluster:`), when named.
    pub cluster: Option<String>,
    /// The accounts an AWS SCP source applies to (`accounts:`), when named.
    pub accounts: Option<Vec<String>>,
    /// The validated mapping spec of a `format: mapping` source (`mapping:`).
    pub mapping: Option<std::sync::Arc<crate::connectors::mapping::MappingSpec>>,
    /// Set for a source collected live before the scan (`{live: aws, snapshot: DIR}`);
    /// `path` is then the snapshot directory.
    pub live: Option<LiveSource>,
}

/// A source collected live before each scan, into a snapshot directory that is then read
/// like any snapshot: `{live: aws, snapshot: DIR, profile: P, region: R, endpoint_url: URL}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveSource {
    /// What to collect from: only `aws` today.
    pub provider: String,
    pub profile: Option<String>,
    pub region: Option<String>,
    pub endpoint_url: Option<String>,
}

/// A validated configuration.
#[derive(Debug)]
pub struct Config {
    /// The configuration file, when there is one.
    pub file: Option<String>,
    /// Relative source paths are resolved against this directory.
    pub base_dir: PathBuf,
    /// Empty when residue.yaml lists no sources: the directory is then scanned by content.
    pub sources: Vec<SourceSpec>,
    pub policy: AuditPolicy,
    pub rules: Vec<ConfiguredRule>,
    pub suppressions: Option<SourceSpec>,
    pub fail_on: Option<Severity>,
    /// Conventions connectors need (JIT brokers, eligible-role markers, Kubernetes keys).
    pub connectors: ConnectorSettings,
}

const TOP_LEVEL_KEYS: [&str; 10] = [
    "sources",
    "kubernetes",
    "break_glass",
    "secrets",
    "jit",
    "windows",
    "rules",
    "suppressions",
    "fail_on",
    "version",
];

impl Config {
    /// The configuration of a scan without residue.yaml: defaults everywhere.
    pub fn defaults(base_dir: &Path) -> Config {
        Config::parse("", "(defaults)", base_dir).expect("the empty configuration is valid")
    }

    /// Reads and validates a configuration file.
    pub fn load(path: &Path) -> Result<Config, ConfigErrors> {
        let display = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| {
            ConfigErrors(vec![ConfigError {
                file: display.clone(),
                line: None,
                message: format!("cannot read the configuration: {e}"),
            }])
        })?;
        let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
        Config::parse(&text, &display, &base)
    }

    /// Validates configuration text. `file` names it in errors; `base_dir` resolves paths.
    pub fn parse(text: &str, file: &str, base_dir: &Path) -> Result<Config, ConfigErrors> {
        let mut v = Validator {
            file,
            lines: LineIndex::new(text),
            errors: Vec::new(),
        };
        let root: Value = if text.trim().is_empty() {
            Value::Null
        } else {
            match serde_yaml::from_str(text) {
                Ok(v) => v,
                Err(e) => {
                    let line = e.location().map(|l| l.line() as u32);
                    return Err(ConfigErrors(vec![ConfigError {
                        file: file.to_string(),
                        line,
                        message: format!("not valid YAML: {e}"),
                    }]));
                }
            }
        };
        let mut cfg = Config {
            file: Some(file.to_string()),
            base_dir: base_dir.to_path_buf(),
            sources: Vec::new(),
            policy: AuditPolicy::default(),
            rules: Vec::new(),
            suppressions: None,
            fail_on: None,
            connectors: ConnectorSettings::default(),
        };
        let empty = serde_yaml::Mapping::new();
        let map = match &root {
            Value::Null => &empty,
            Value::Mapping(m) => m,
            other => {
                v.error(
                    &[],
                    format!(
                        "expected a mapping of settings at the top level, found {}",
                        describe_yaml(other)
                    ),
                );
                &empty
            }
        };
        let mut rule_section = None;
        for (k, val) in map {
            let Some(key) = k.as_str() else {
                v.error(
                    &[],
                    format!("setting names must be strings, found {}", describe_yaml(k)),
                );
                continue;
            };
            let here = [Step::key(key)];
            match key {
                "version" => {
                    if val.as_u64() != Some(1) {
                        v.error(&here, "version must be 1".to_string());
                    }
                }
                "sources" => cfg.sources = v.sources(val, base_dir),
                "break_glass" => {
                    if let Some(list) = v.string_list(&here, val) {
                        cfg.policy.break_glass = list.into_iter().collect();
                    }
                }
                "secrets" => v.secrets(val, &mut cfg.policy),
                "jit" => v.jit(val, &mut cfg.policy, &mut cfg.connectors),
                "kubernetes" => v.kubernetes(val, &mut cfg.connectors),
                "windows" => v.windows(val, &mut cfg.policy),
                "rules" => rule_section = Some(val),
                "suppressions" => match val.as_str() {
                    Some(p) => {
                        cfg.suppressions = Some(SourceSpec {
                            path: base_dir.join(p),
                            display: p.to_string(),
                            format: None,
                            name: None,
                            line: v.lines.line_of(&here),
                            cluster: None,
                            accounts: None,
                            mapping: None,
                            live: None,
                        })
                    }
                    None => v.error(
                        &here,
                        format!(
                            "expected the path of a suppressions file, found {}",
                            describe_yaml(val)
                        ),
                    ),
                },
                "fail_on" => match val.as_str().and_then(Severity::parse) {
                    Some(s) => cfg.fail_on = Some(s),
                    None => v.error(
                        &here,
                        format!(
                            "expected a severity ({}), found {}",
                            severity_names(),
                            describe_yaml(val)
                        ),
                    ),
                },
                other => v.error(
                    &here,
                    format!(
                        "unknown setting `{other}`; expected one of: {}",
                        TOP_LEVEL_KEYS.join(", ")
                    ),
                ),
            }
        }
        cfg.rules = v.rules(rule_section, &cfg.policy);
        if v.errors.is_empty() {
            Ok(cfg)
        } else {
            v.errors.sort_by_key(|e| e.line);
            Err(ConfigErrors(v.errors))
        }
    }
}

fn severity_names() -> String {
    Severity::ALL.map(|s| s.as_str()).join(", ")
}

struct Validator<'a> {
    file: &'a str,
    lines: LineIndex,
    errors: Vec<ConfigError>,
}

impl Validator<'_> {
    fn error(&mut self, path: &[Step], message: String) {
        self.errors.push(ConfigError {
            file: self.file.to_string(),
            line: self.lines.line_of(path),
            message,
        });
    }

    fn mapping<'v>(
        &mut self,
        path: &[Step],
        val: &'v Value,
        what: &str,
    ) -> Option<&'v serde_yaml::Mapping> {
        match val {
            Value::Mapping(m) => Some(m),
            Value::Null => None,
            other => {
                self.error(
                    path,
                    format!(
                        "expected a mapping of {what}, found {}",
                        describe_yaml(other)
                    ),
                );
                None
            }
        }
    }

    fn string_list(&mut self, path: &[Step], val: &Value) -> Option<Vec<String>> {
        match ParamValue::from_yaml(crate::rules::ParamKind::StringList, val) {
            Ok(ParamValue::StringList(l)) => Some(l),
            Ok(_) => None,
            Err(e) => {
                self.error(path, e);
                None
            }
        }
    }

    fn integer(&mut self, path: &[Step], val: &Value) -> Option<u64> {
        let n = val.as_u64();
        if n.is_none() {
            self.error(
                path,
                format!(
                    "expected a non-negative integer, found {}",
                    describe_yaml(val)
                ),
            );
        }
        n
    }

    fn duration(&mut self, path: &[Step], val: &Value) -> Option<SignedDuration> {
        match val.as_str().map(parse_duration) {
            Some(Ok(d)) if d.is_positive() => Some(d),
            Some(Ok(_)) => {
                self.error(path, "expected a positive duration".to_string());
                None
            }
            Some(Err(e)) => {
                self.error(path, e.to_string());
                None
            }
            None => {
                self.error(
                    path,
                    format!(
                        "expected {}, found {}",
                        crate::model::time::DURATION_SHAPES,
                        describe_yaml(val)
                    ),
                );
                None
            }
        }
    }

    fn sources(&mut self, val: &Value, base_dir: &Path) -> Vec<SourceSpec> {
        let root = [Step::key("sources")];
        let Value::Sequence(items) = val else {
            self.error(
                &root,
                format!("expected a list of sources, found {}", describe_yaml(val)),
            );
            return Vec::new();
        };
        let formats = SourceFormat::ALL.map(|f| f.name()).join(", ");
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let here = [Step::key("sources"), Step::Index(i)];
            let line = self.lines.line_of(&here);
            let (path, format, name, cluster, accounts, mapping) = match item {
                Value::String(p) => (p.clone(), None, None, None, None, None),
                Value::Mapping(m) if m.contains_key("live") => {
                    if let Some(spec) = self.live_source(m, i, base_dir, line) {
                        out.push(spec);
                    }
                    continue;
                }
                Value::Mapping(m) => {
                    let mut path = None;
                    let mut format = None;
                    let mut name = None;
                    let mut cluster = None;
                    let mut accounts = None;
                    let mut mapping = None;
                    for (k, v) in m {
                        let key = k.as_str().unwrap_or("");
                        let at = [Step::key("sources"), Step::Index(i), Step::key(key)];
                        if key == "accounts" {
                            accounts = self.scp_accounts(v, &at);
                            continue;
                        }
                        match (key, v.as_str()) {
                            ("path", Some(p)) => path = Some(p.to_string()),
                            ("format", Some(f)) => match SourceFormat::parse(f) {
                                Some(f) => format = Some(f),
                                None => self.error(&at, format!("unknown format `{f}`; expected one of: {formats}")),
                            },
                            ("name", Some(n)) => name = Some(n.to_string()),
                            ("cluster", Some(c)) => cluster = Some(c.to_string()),
                            ("mapping", Some(spec)) => mapping = self.mapping_spec(spec, base_dir, &at),
                            ("path" | "format" | "name" | "cluster" | "mapping", None) => {
                                self.error(&at, format!("expected a string, found {}", describe_yaml(v)))
                            }
                            (other, _) => self.error(
                                &at,
                                format!("unknown source setting `{other}`; expected path, format, name, cluster, accounts or mapping"),
                            ),
                        }
                    }
                    let Some(path) = path else {
                        self.error(&here, "a source needs a `path`".to_string());
                        continue;
                    };
                    if accounts.is_some() && format != Some(SourceFormat::AwsScp) {
                        self.error(
                            &[Step::key("sources"), Step::Index(i), Step::key("accounts")],
                            "`accounts` applies only to sources with `format: aws-scp`".to_string(),
                        );
                    }
                    let with_mapping = format == Some(SourceFormat::Mapping);
                    if with_mapping && !m.contains_key("mapping") {
                        self.error(&here, "the format `mapping` needs `mapping: SPEC.yaml`, the mapping spec to read the file with (see docs/formats.md#mapping-specs)".to_string());
                    } else if !with_mapping && m.contains_key("mapping") {
                        self.error(&here, "`mapping:` applies only to `format: mapping`; add it or remove the spec".to_string());
                    }
                    (path, format, name, cluster, accounts, mapping)
                }
                other => {
                    self.error(
                        &here,
                        format!(
                            "expected a path or a mapping with `path`, found {}",
                            describe_yaml(other)
                        ),
                    );
                    continue;
                }
            };
            out.push(SourceSpec {
                path: base_dir.join(&path),
                display: path,
                format,
                name,
                cluster,
                accounts,
                mapping,
                line,
                live: None,
            });
        }
        out
    }

    /// `accounts: ["111122223333", …]`: twelve-digit AWS account ids.
    fn scp_accounts(&mut self, v: &Value, at: &[Step]) -> Option<Vec<String>> {
        let Value::Sequence(items) = v else {
            self.error(
                at,
                format!(
                    "expected a list of AWS account ids, found {}",
                    describe_yaml(v)
                ),
            );
            return None;
        };
        let mut out = Vec::new();
        for (j, item) in items.iter().enumerate() {
            let text = match item {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                _ => String::new(),
            };
            if text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit()) {
                out.push(text);
            } else {
                let mut here = at.to_vec();
                here.push(Step::Index(j));
                self.error(
                    &here,
                    format!(
                        "expected an AWS account id (12 digits, quoted), found {}",
                        describe_yaml(item)
                    ),
                );
            }
        }
        Some(out)
    }

    /// Reads and validates a source's mapping spec (relative to residue.yaml's directory);
    /// its problems are reported with the spec's own file and line.
    fn mapping_spec(
        &mut self,
        spec: &str,
        base_dir: &Path,
        at: &[Step],
    ) -> Option<std::sync::Arc<crate::connectors::mapping::MappingSpec>> {
        let path = base_dir.join(spec);
        if !path.is_file() {
            self.error(at, format!("the mapping spec `{spec}` does not exist (paths are relative to residue.yaml's directory)"));
            return None;
        }
        let display = path.display().to_string();
        match crate::connectors::mapping::load_spec(&path, &display) {
            Ok(spec) => Some(std::sync::Arc::new(spec)),
            Err(errors) => {
                self.errors.extend(errors.into_iter().map(|e| ConfigError {
                    file: e.file,
                    line: e.line,
                    message: e.message,
                }));
                None
            }
        }
    }

    /// `{live: aws, snapshot: DIR, profile: P, region: R, endpoint_url: URL, name: N}`.
    fn live_source(
        &mut self,
        m: &serde_yaml::Mapping,
        i: usize,
        base_dir: &Path,
        line: Option<u32>,
    ) -> Option<SourceSpec> {
        let mut settings: BTreeMap<&str, String> = BTreeMap::new();
        let mut ok = true;
        for (k, v) in m {
            let key = k.as_str().unwrap_or("");
            let at = [Step::key("sources"), Step::Index(i), Step::key(key)];
            match (key, v.as_str()) {
                ("live" | "snapshot" | "profile" | "region" | "endpoint_url" | "name", Some(s)) => {
                    settings.insert(key, s.to_string());
                }
                ("live" | "snapshot" | "profile" | "region" | "endpoint_url" | "name", None) => {
                    ok = false;
                    self.error(
                        &at,
                        format!("expected a string, found {}", describe_yaml(v)),
                    )
                }
                (other, _) => {
                    ok = false;
                    self.error(
                        &at,
                        format!("unknown live source setting `{other}`; expected live, snapshot, profile, region, endpoint_url or name"),
                    )
                }
            }
        }
        let here = [Step::key("sources"), Step::Index(i)];
        let live_at = [Step::key("sources"), Step::Index(i), Step::key("live")];
        match settings.get("live").map(String::as_str) {
            Some("aws") => {}
            Some(other) => {
                self.error(
                    &live_at,
                    format!("unknown live source `{other}`; expected aws"),
                );
                return None;
            }
            None => return None,
        }
        if !cfg!(feature = "live-aws") {
            self.error(
                &live_at,
                "this residue was built without live AWS collection (the `live-aws` feature); collect with a build that has it, then list the snapshot's files".to_string(),
            );
            return None;
        }
        let Some(snapshot) = settings.get("snapshot").cloned() else {
            self.error(
                &here,
                "a live source needs `snapshot`: the directory the collected data is written to and read from".to_string(),
            );
            return None;
        };
        if let Some(url) = settings.get("endpoint_url") {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                let at = [
                    Step::key("sources"),
                    Step::Index(i),
                    Step::key("endpoint_url"),
                ];
                self.error(
                    &at,
                    format!("expected an http:// or https:// URL, found `{url}`"),
                );
                ok = false;
            }
        }
        if !ok {
            return None;
        }
        Some(SourceSpec {
            path: base_dir.join(&snapshot),
            display: snapshot,
            format: None,
            name: settings.get("name").cloned(),
            line,
            cluster: None,
            accounts: None,
            mapping: None,
            live: Some(LiveSource {
                provider: "aws".into(),
                profile: settings.get("profile").cloned(),
                region: settings.get("region").cloned(),
                endpoint_url: settings.get("endpoint_url").cloned(),
            }),
        })
    }

    fn secrets(&mut self, val: &Value, policy: &mut AuditPolicy) {
        let root = [Step::key("secrets")];
        let Some(m) = self.mapping(&root, val, "secret limits") else {
            return;
        };
        for (k, v) in m {
            let key = k.as_str().unwrap_or("");
            let at = [Step::key("secrets"), Step::key(key)];
            match key {
                "max_age_days" => {
                    if let Some(n) = self.integer(&at, v) {
                        policy.secrets_max_age_days = n;
                    }
                }
                "unused_days" => {
                    if let Some(n) = self.integer(&at, v) {
                        policy.secrets_unused_days = n;
                    }
                }
                other => self.error(
                    &at,
                    format!(
                        "unknown setting `secrets.{other}`; expected max_age_days or unused_days"
                    ),
                ),
            }
        }
    }

    fn jit(&mut self, val: &Value, policy: &mut AuditPolicy, connectors: &mut ConnectorSettings) {
        let root = [Step::key("jit")];
        let Some(m) = self.mapping(&root, val, "JIT settings") else {
            return;
        };
        for (k, v) in m {
            let key = k.as_str().unwrap_or("");
            let at = [Step::key("jit"), Step::key(key)];
            match key {
                "default_window" => {
                    if let Some(d) = self.duration(&at, v) {
                        policy.jit_default_window = d;
                    }
                }
                "brokers" => {
                    if let Some(list) = self.string_list(&at, v) {
                        connectors.jit_brokers = list;
                    }
                }
                "eligible_roles" => self.eligible_roles(v, connectors),
                other => self.error(
                    &at,
                    format!("unknown setting `jit.{other}`; expected default_window, brokers or eligible_roles"),
                ),
            }
        }
    }

    fn eligible_roles(&mut self, val: &Value, connectors: &mut ConnectorSettings) {
        let root = [Step::key("jit"), Step::key("eligible_roles")];
        let Some(m) = self.mapping(&root, val, "ways to recognise JIT-eligible roles") else {
            return;
        };
        for (k, v) in m {
            let key = k.as_str().unwrap_or("");
            let at = [
                Step::key("jit"),
                Step::key("eligible_roles"),
                Step::key(key),
            ];
            match key {
                "tags" => match v {
                    Value::Mapping(tags) => {
                        for (tk, tv) in tags {
                            match (tk.as_str(), tv.as_str()) {
                                (Some(tk), Some(tv)) => {
                                    connectors.eligible_role_tags.insert(tk.to_string(), tv.to_string());
                                }
                                _ => self.error(&at, "expected tag names mapped to string values".to_string()),
                            }
                        }
                    }
                    other => self.error(&at, format!("expected a mapping of tag names to values, found {}", describe_yaml(other))),
                },
                "names" => {
                    if let Some(list) = self.string_list(&at, v) {
                        connectors.eligible_role_names = list;
                    }
                }
                "assumable_by_brokers" => match v.as_bool() {
                    Some(b) => connectors.eligible_if_broker_can_assume = b,
                    None => self.error(&at, format!("expected true or false, found {}", describe_yaml(v))),
                },
                other => self.error(
                    &at,
                    format!("unknown setting `jit.eligible_roles.{other}`; expected tags, names or assumable_by_brokers"),
                ),
            }
        }
    }

    fn kubernetes(&mut self, val: &Value, connectors: &mut ConnectorSettings) {
        let root = [Step::key("kubernetes")];
        let Some(m) = self.mapping(&root, val, "Kubernetes settings") else {
            return;
        };
        for (k, v) in m {
            let key = k.as_str().unwrap_or("");
            let at = [Step::key("kubernetes"), Step::key(key)];
            match key {
                "expiry_annotation" => match v.as_str() {
                    Some(a) if !a.trim().is_empty() => connectors.k8s_expiry_annotation = a.to_string(),
                    _ => self.error(&at, format!("expected an annotation key, found {}", describe_yaml(v))),
                },
                "owner_keys" => {
                    if let Some(list) = self.string_list(&at, v) {
                        connectors.k8s_owner_keys = list;
                    }
                }
                "ai_agent_keys" => {
                    if let Some(list) = self.string_list(&at, v) {
                        connectors.k8s_ai_agent_keys = list;
                    }
                }
                other => self.error(
                    &at,
                    format!("unknown setting `kubernetes.{other}`; expected expiry_annotation, owner_keys or ai_agent_keys"),
                ),
            }
        }
    }

    fn windows(&mut self, val: &Value, policy: &mut AuditPolicy) {
        let root = [Step::key("windows")];
        let Some(m) = self.mapping(&root, val, "privilege tiers to window lengths") else {
            return;
        };
        let tiers: Vec<&str> = PrivilegeLevel::ALL[1..]
            .iter()
            .map(|p| p.as_str())
            .collect();
        for (k, v) in m {
            let key = k.as_str().unwrap_or("");
            let at = [Step::key("windows"), Step::key(key)];
            match PrivilegeLevel::parse(key).filter(|p| *p != PrivilegeLevel::None) {
                Some(level) => {
                    if let Some(d) = self.duration(&at, v) {
                        policy.windows.insert(level, d);
                    }
                }
                None => self.error(
                    &at,
                    format!(
                        "unknown privilege tier `{key}`; expected one of: {}",
                        tiers.join(", ")
                    ),
                ),
            }
        }
    }

    /// Resolves every registered rule: enabled flag, severity, parameters (defaults, then
    /// the policy keys, then the rule's own overrides).
    fn rules(&mut self, section: Option<&Value>, policy: &AuditPolicy) -> Vec<ConfiguredRule> {
        let mut overrides: BTreeMap<String, (&Value, String)> = BTreeMap::new();
        if let Some(val) = section {
            let root = [Step::key("rules")];
            if let Some(m) = self.mapping(&root, val, "rule ids to settings") {
                for (k, v) in m {
                    let key = k.as_str().unwrap_or("").to_string();
                    match crate::rules::find_rule(&key) {
                        Some(r) => {
                            overrides.insert(r.meta.id.clone(), (v, key));
                        }
                        None => {
                            let ids: Vec<&str> =
                                all_rules().iter().map(|r| r.meta.id.as_str()).collect();
                            self.error(
                                &[Step::key("rules"), Step::key(&key)],
                                format!("unknown rule id `{key}`; known rules: {}", ids.join(", ")),
                            )
                        }
                    }
                }
            }
        }
        let mut out = Vec::new();
        for rule in all_rules() {
            let mut enabled = true;
            let mut severity = rule.meta.default_severity;
            let mut params = RuleParams::default();
            for spec in &rule.meta.parameters {
                let value = match &spec.policy_key {
                    Some(k) => policy_value(policy, k),
                    None => ParamValue::from_yaml(spec.kind, &spec.default).unwrap_or_else(|e| {
                        panic!(
                            "rule {} parameter {}: bad default: {e}",
                            rule.meta.id, spec.name
                        )
                    }),
                };
                params.0.insert(spec.name.clone(), value);
            }
            if let Some((val, written)) = overrides.get(&rule.meta.id) {
                let base = vec![Step::key("rules"), Step::key(written)];
                if let Some(m) = self.mapping(&base, val, "rule settings") {
                    for (k, v) in m {
                        let key = k.as_str().unwrap_or("");
                        let mut at = base.clone();
                        at.push(Step::key(key));
                        match key {
                            "enabled" => match v.as_bool() {
                                Some(b) => enabled = b,
                                None => self.error(&at, format!("expected true or false, found {}", describe_yaml(v))),
                            },
                            "severity" => match v.as_str().and_then(Severity::parse) {
                                Some(s) => severity = s,
                                None => self.error(&at, format!("expected a severity ({}), found {}", severity_names(), describe_yaml(v))),
                            },
                            "parameters" => self.rule_parameters(rule, &at, v, &mut params),
                            other => self.error(&at, format!("unknown rule setting `{other}`; expected enabled, severity or parameters")),
                        }
                    }
                }
            }
            if enabled {
                out.push(ConfiguredRule {
                    rule,
                    severity,
                    params,
                });
            }
        }
        out
    }

    fn rule_parameters(
        &mut self,
        rule: &crate::rules::RegisteredRule,
        base: &[Step],
        val: &Value,
        params: &mut RuleParams,
    ) {
        let Some(m) = self.mapping(base, val, "parameter names to values") else {
            return;
        };
        let known: BTreeSet<&str> = rule
            .meta
            .parameters
            .iter()
            .map(|p| p.name.as_str())
            .collect();
        for (k, v) in m {
            let key = k.as_str().unwrap_or("");
            let mut at = base.to_vec();
            at.push(Step::key(key));
            match rule.meta.parameters.iter().find(|p| p.name == key) {
                Some(spec) => {
                    if let Some(pk) = &spec.policy_key {
                        self.error(
                            &at,
                            format!(
                                "{}'s `{key}` is set by the audit policy key `{pk}`, not here",
                                rule.meta.id
                            ),
                        );
                        continue;
                    }
                    match ParamValue::from_yaml(spec.kind, v) {
                        Ok(pv) => {
                            if let Err(e) = check_parameter_value(spec, &pv) {
                                self.error(&at, e);
                            } else {
                                params.0.insert(spec.name.clone(), pv);
                            }
                        }
                        Err(e) => self.error(&at, format!("{}.{key}: {e}", rule.meta.id)),
                    }
                }
                None => {
                    let list = if known.is_empty() {
                        "it has none".to_string()
                    } else {
                        format!(
                            "expected one of: {}",
                            known.iter().copied().collect::<Vec<_>>().join(", ")
                        )
                    };
                    self.error(
                        &at,
                        format!("{} has no parameter `{key}`; {list}", rule.meta.id),
                    )
                }
            }
        }
    }
}

/// Parameters named `*privilege*` or `*tier*` hold a privilege level: check the name. A
/// parameter that lists its `allowed` values takes only those.
fn check_parameter_value(spec: &ParamSpec, v: &ParamValue) -> Result<(), String> {
    let name = spec.name.as_str();
    if let ParamValue::String(s) = v {
        if !spec.allowed.is_empty() && !spec.allowed.contains(s) {
            return Err(format!(
                "`{s}` is not a value of {name}; expected one of: {}",
                spec.allowed.join(", ")
            ));
        }
        if (name.contains("privilege") || name.contains("tier"))
            && PrivilegeLevel::parse(s).is_none()
        {
            let levels: Vec<&str> = PrivilegeLevel::ALL.iter().map(|p| p.as_str()).collect();
            return Err(format!(
                "`{s}` is not a privilege level; expected one of: {}",
                levels.join(", ")
            ));
        }
    }
    Ok(())
}

/// The value of an audit-policy key, for parameters declared with `policy_key`.
fn policy_value(policy: &AuditPolicy, key: &str) -> ParamValue {
    match key {
        "secrets.max_age_days" => ParamValue::Integer(policy.secrets_max_age_days),
        "secrets.unused_days" => ParamValue::Integer(policy.secrets_unused_days),
        "jit.default_window" => ParamValue::Duration(policy.jit_default_window),
        other => panic!("rule catalog names unknown policy key `{other}`"),
    }
}

/// The policy keys rule parameters may name (checked by the catalog tests).
pub const POLICY_KEYS: [&str; 3] = [
    "secrets.max_age_days",
    "secrets.unused_days",
    "jit.default_window",
];

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;
