//! Rule parameters: declared with types and defaults in each rule's YAML, overridable in
//! residue.yaml, resolved and type-checked before any rule runs.

use crate::model::time::{format_duration, parse_duration};
use crate::model::SignedDuration;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ParamKind {
    Integer,
    Duration,
    String,
    StringList,
    Boolean,
}

impl ParamKind {
    /// The name used in the catalog's `type:` field.
    pub fn name(self) -> &'static str {
        match self {
            ParamKind::Integer => "integer",
            ParamKind::Duration => "duration",
            ParamKind::String => "string",
            ParamKind::StringList => "string-list",
            ParamKind::Boolean => "boolean",
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            ParamKind::Integer => "a non-negative integer",
            ParamKind::Duration => crate::model::time::DURATION_SHAPES,
            ParamKind::String => "a string",
            ParamKind::StringList => "a list of strings",
            ParamKind::Boolean => "true or false",
        }
    }
}

/// A parameter as the catalog declares it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParamSpec {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: ParamKind,
    pub default: serde_yaml::Value,
    pub doc: String,
    /// When set, the value is read from this audit-policy key of residue.yaml (e.g.
    /// `secrets.max_age_days`) rather than from the rule's own parameters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy_key: Option<String>,
    /// For string parameters that choose between modes: the values accepted (an override
    /// outside the list is a configuration error).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum ParamValue {
    Integer(u64),
    #[serde(serialize_with = "ser_duration")]
    Duration(SignedDuration),
    String(String),
    StringList(Vec<String>),
    Boolean(bool),
}

fn ser_duration<S: serde::Serializer>(d: &SignedDuration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format_duration(*d))
}

impl ParamValue {
    /// Reads a YAML value as `kind`; the error says what was expected.
    pub fn from_yaml(kind: ParamKind, v: &serde_yaml::Value) -> Result<ParamValue, String> {
        use serde_yaml::Value as Y;
        let wrong = || format!("expected {}, found {}", kind.describe(), describe_yaml(v));
        match kind {
            ParamKind::Integer => v.as_u64().map(ParamValue::Integer).ok_or_else(wrong),
            ParamKind::Duration => match v {
                Y::String(s) => parse_duration(s)
                    .map(ParamValue::Duration)
                    .map_err(|e| e.to_string()),
                _ => Err(wrong()),
            },
            ParamKind::String => v
                .as_str()
                .map(|s| ParamValue::String(s.to_string()))
                .ok_or_else(wrong),
            ParamKind::StringList => match v {
                Y::Sequence(items) => items
                    .iter()
                    .map(|i| i.as_str().map(str::to_string).ok_or_else(wrong))
                    .collect::<Result<Vec<_>, _>>()
                    .map(ParamValue::StringList),
                _ => Err(wrong()),
            },
            ParamKind::Boolean => v.as_bool().map(ParamValue::Boolean).ok_or_else(wrong),
        }
    }
}

/// A short description of a YAML value's type, for "expected X, found Y" messages.
pub fn describe_yaml(v: &serde_yaml::Value) -> String {
    use serde_yaml::Value as Y;
    match v {
        Y::Null => "nothing (null)".into(),
        Y::Bool(b) => format!("the boolean {b}"),
        Y::Number(n) => format!("the number {n}"),
        Y::String(_) => "a string".into(),
        Y::Sequence(_) => "a list".into(),
        Y::Mapping(_) => "a mapping".into(),
        Y::Tagged(_) => "a tagged value".into(),
    }
}

/// A rule's resolved parameters.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RuleParams(pub BTreeMap<String, ParamValue>);

impl RuleParams {
    // The catalog test proves every rule's parameters exist with the declared type, so a
    // missing or mistyped one is a programming error in the rule, not a user error.
    pub fn integer(&self, name: &str) -> u64 {
        match self.0.get(name) {
            Some(ParamValue::Integer(n)) => *n,
            other => panic!("rule parameter {name} is not an integer: {other:?}"),
        }
    }

    pub fn duration(&self, name: &str) -> SignedDuration {
        match self.0.get(name) {
            Some(ParamValue::Duration(d)) => *d,
            other => panic!("rule parameter {name} is not a duration: {other:?}"),
        }
    }

    pub fn boolean(&self, name: &str) -> bool {
        match self.0.get(name) {
            Some(ParamValue::Boolean(b)) => *b,
            other => panic!("rule parameter {name} is not a boolean: {other:?}"),
        }
    }

    pub fn string_list(&self, name: &str) -> &[String] {
        match self.0.get(name) {
            Some(ParamValue::StringList(v)) => v,
            other => panic!("rule parameter {name} is not a string list: {other:?}"),
        }
    }

    pub fn string(&self, name: &str) -> &str {
        match self.0.get(name) {
            Some(ParamValue::String(s)) => s,
            other => panic!("rule parameter {name} is not a string: {other:?}"),
        }
    }
}
