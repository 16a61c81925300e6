//! IAM policy documents: the model, the three ways a document arrives (a JSON object as
//! the AWS CLI prints it, a JSON string, or a URL-encoded JSON string as the raw IAM API
//! returns it), and statements compiled once for evaluation ([`eval`]).
//!
//! Grammar accepted (AWS's, with its looseness): `Statement` is one object or an array;
//! `Action`/`NotAction`, `Resource`/`NotResource` and each `Principal` entry are a string or
//! an array; `Principal` may be `"*"`; `Condition` values may be strings, booleans or
//! numbers, one or many. `Effect` must be `Allow` or `Deny`.

pub mod conditions;
pub mod eval;
pub mod matcher;
mod one_or_many;

pub use conditions::Clause;
pub use matcher::Pattern;

use one_or_many::OneOrMany;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    Allow,
    Deny,
}

/// A set of actions or resources: the listed patterns (`Action`, `Resource`) or everything
/// but them (`NotAction`, `NotResource`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Match {
    Only(Vec<Pattern>),
    AllBut(Vec<Pattern>),
}

impl Match {
    pub const ALL: Match = Match::AllBut(Vec::new());

    pub fn matches(&self, text: &str) -> bool {
        match self {
            Match::Only(ps) => ps.iter().any(|p| p.matches(text)),
            Match::AllBut(ps) => !ps.iter().any(|p| p.matches(text)),
        }
    }

    /// Does the set contain every string?
    pub fn is_everything(&self) -> bool {
        match self {
            Match::Only(ps) => ps.iter().any(Pattern::is_any),
            Match::AllBut(ps) => ps.is_empty(),
        }
    }

    /// Does the set contain every string `target` matches?
    pub fn covers(&self, target: &Pattern) -> bool {
        match self {
            Match::Only(ps) => ps.iter().any(|p| p.covers(target)),
            Match::AllBut(ps) => !ps.iter().any(|p| p.overlaps(target)),
        }
    }

    /// Does the set contain everything `other` contains?
    pub fn covers_set(&self, other: &Match) -> bool {
        match other {
            Match::Only(qs) => qs.iter().all(|q| self.covers(q)),
            Match::AllBut(_) => {
                matches!(self, Match::AllBut(ps) if ps.is_empty())
                    || matches!(self, Match::Only(ps) if ps.iter().any(Pattern::is_any))
            }
        }
    }

    /// Can the two sets share an element? (Sets written with `Not…` are assumed to.)
    pub fn overlaps_set(&self, other: &Match) -> bool {
        match (self, other) {
            (Match::Only(a), Match::Only(b)) => a.iter().any(|p| b.iter().any(|q| p.overlaps(q))),
            _ => true,
        }
    }

    /// The patterns as written, `NotAction`-style sets prefixed with `not `.
    pub fn describe(&self) -> Vec<String> {
        match self {
            Match::Only(ps) => ps.iter().map(|p| p.text.clone()).collect(),
            Match::AllBut(ps) if ps.is_empty() => vec!["*".to_string()],
            Match::AllBut(ps) => ps.iter().map(|p| format!("not {}", p.text)).collect(),
        }
    }
}

/// The principals of a trust (resource) policy statement.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Principals {
    /// `"Principal": "*"` or `{"AWS": "*"}`: anyone.
    pub anyone: bool,
    pub aws: Vec<String>,
    pub service: Vec<String>,
    pub federated: Vec<String>,
    /// Other principal types (`CanonicalUser`), as `Type:value`.
    pub other: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    pub sid: Option<String>,
    pub effect: Effect,
    /// Lowercased patterns: IAM compares actions case-insensitively.
    pub actions: Match,
    pub resources: Match,
    pub principals: Option<Principals>,
    /// The statement used `NotPrincipal` (only meaningful with Deny; kept to be reported).
    pub not_principal: bool,
    pub conditions: Vec<Clause>,
}

impl Statement {
    pub fn matches_action(&self, action_lower: &str) -> bool {
        self.actions.matches(action_lower)
    }
}

/// A parsed, compiled policy document.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Document {
    pub statements: Vec<Statement>,
}

impl Document {
    /// The actions of the Allow statements as written, sorted and deduplicated: the
    /// canonical role's permission list.
    pub fn allowed_actions(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .statements
            .iter()
            .filter(|s| s.effect == Effect::Allow)
            .flat_map(|s| s.actions.describe())
            .collect();
        v.sort();
        v.dedup();
        v
    }

    /// Parses a document given as text: JSON, or URL-encoded JSON (`%7B%22Version…`).
    pub fn parse_text(text: &str) -> Result<Document, String> {
        let trimmed = text.trim();
        let decoded;
        let json = if trimmed.starts_with('{') {
            trimmed
        } else if trimmed.starts_with('%') {
            decoded = url_decode(trimmed)?;
            decoded.as_str()
        } else {
            return Err(
                "expected a policy document: a JSON object, or a JSON or URL-encoded JSON string"
                    .to_string(),
            );
        };
        let raw: RawDocument = serde_json::from_str(json)
            .map_err(|e| format!("the policy document inside the string is invalid: {e}"))?;
        raw.compile()
    }
}

/// Percent-decoding as `urllib.parse.unquote` does it (botocore's decoder): `+` stays `+`.
pub fn url_decode(text: &str) -> Result<String, String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| {
                    format!("bad percent-escape at byte {i} of a URL-encoded policy document")
                })?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out)
        .map_err(|_| "a URL-encoded policy document does not decode to UTF-8".to_string())
}

impl<'de> Deserialize<'de> for Document {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct DocVisitor;
        impl<'de> Visitor<'de> for DocVisitor {
            type Value = Document;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(
                    "a policy document (a JSON object, or a JSON or URL-encoded JSON string)",
                )
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Document, E> {
                Document::parse_text(v).map_err(E::custom)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Document, A::Error> {
                let raw = RawDocument::deserialize(de::value::MapAccessDeserializer::new(map))?;
                raw.compile().map_err(de::Error::custom)
            }
        }
        deserializer.deserialize_any(DocVisitor)
    }
}

/// A condition value: IAM accepts strings, booleans and numbers.
struct Scalar(String);

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Scalar;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string, boolean or number")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
        }
        deserializer.deserialize_any(V)
    }
}

/// `"Principal": "*"`, or a map of principal types to one value or several.
enum RawPrincipal {
    Star(String),
    Map(BTreeMap<String, OneOrMany<String>>),
}

impl<'de> Deserialize<'de> for RawPrincipal {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawPrincipal;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("\"*\" or a map of principal types to principals")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RawPrincipal, E> {
                Ok(RawPrincipal::Star(v.to_string()))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<RawPrincipal, A::Error> {
                BTreeMap::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(RawPrincipal::Map)
            }
        }
        deserializer.deserialize_any(V)
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawDocument {
    #[serde(default)]
    #[allow(dead_code)]
    version: Option<String>,
    statement: OneOrMany<RawStatement>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawStatement {
    #[serde(default)]
    sid: Option<String>,
    effect: String,
    #[serde(default)]
    action: Option<OneOrMany<String>>,
    #[serde(default)]
    not_action: Option<OneOrMany<String>>,
    #[serde(default)]
    resource: Option<OneOrMany<String>>,
    #[serde(default)]
    not_resource: Option<OneOrMany<String>>,
    #[serde(default)]
    principal: Option<RawPrincipal>,
    #[serde(default)]
    not_principal: Option<RawPrincipal>,
    #[serde(default)]
    condition: Option<BTreeMap<String, BTreeMap<String, OneOrMany<Scalar>>>>,
}

impl RawDocument {
    fn compile(self) -> Result<Document, String> {
        let statements = self
            .statement
            .into_vec()
            .into_iter()
            .enumerate()
            .map(|(i, s)| s.compile().map_err(|e| format!("Statement {i}: {e}")))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Document { statements })
    }
}

fn patterns(values: OneOrMany<String>, lowercase: bool) -> Vec<Pattern> {
    values
        .into_vec()
        .into_iter()
        .map(|mut v| {
            if lowercase {
                v.make_ascii_lowercase();
            }
            Pattern::from_text(v)
        })
        .collect()
}

fn principals(raw: RawPrincipal) -> Principals {
    let mut p = Principals::default();
    match raw {
        RawPrincipal::Star(s) => p.anyone = s == "*",
        RawPrincipal::Map(m) => {
            for (kind, values) in m {
                for v in values.into_vec() {
                    match kind.as_str() {
                        "AWS" if v == "*" => p.anyone = true,
                        "AWS" => p.aws.push(v),
                        "Service" => p.service.push(v),
                        "Federated" => p.federated.push(v),
                        other => p.other.push(format!("{other}:{v}")),
                    }
                }
            }
        }
    }
    p
}

impl RawStatement {
    fn compile(self) -> Result<Statement, String> {
        let effect = match self.effect.as_str() {
            "Allow" => Effect::Allow,
            "Deny" => Effect::Deny,
            other => return Err(format!("Effect is `{other}`; expected `Allow` or `Deny`")),
        };
        let actions = match (self.action, self.not_action) {
            (Some(a), None) => Match::Only(patterns(a, true)),
            (None, Some(n)) => Match::AllBut(patterns(n, true)),
            (None, None) => Match::Only(Vec::new()),
            (Some(_), Some(_)) => {
                return Err("has both Action and NotAction; expected one".to_string())
            }
        };
        let resources = match (self.resource, self.not_resource) {
            (Some(r), None) => Match::Only(patterns(r, false)),
            (None, Some(n)) => Match::AllBut(patterns(n, false)),
            // Trust policies have no Resource: the statement is about the role itself.
            (None, None) => Match::ALL,
            (Some(_), Some(_)) => {
                return Err("has both Resource and NotResource; expected one".to_string())
            }
        };
        let not_principal = self.not_principal.is_some();
        let principals = match (self.principal, self.not_principal) {
            (Some(p), None) | (None, Some(p)) => Some(principals(p)),
            (None, None) => None,
            (Some(_), Some(_)) => {
                return Err("has both Principal and NotPrincipal; expected one".to_string())
            }
        };
        let mut conditions = Vec::new();
        for (operator, keys) in self.condition.unwrap_or_default() {
            for (key, values) in keys {
                conditions.push(Clause {
                    operator: operator.clone(),
                    key,
                    values: values.into_vec().into_iter().map(|s| s.0).collect(),
                });
            }
        }
        Ok(Statement {
            sid: self.sid,
            effect,
            actions,
            resources,
            principals,
            not_principal,
            conditions,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"S3:Get*","Resource":["arn:aws:s3:::b/*"],"Condition":{"Bool":{"aws:MultiFactorAuthPresent":true}}}}"#;

    #[test]
    fn object_string_and_url_encoded_documents_are_the_same() {
        let from_object: Document = serde_json::from_str(DOC).unwrap();
        let from_string: Document =
            serde_json::from_value(serde_json::Value::String(DOC.into())).unwrap();
        let encoded: String = DOC
            .bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect();
        let from_encoded: Document =
            serde_json::from_value(serde_json::Value::String(encoded)).unwrap();
        assert_eq!(from_object, from_string);
        assert_eq!(from_object, from_encoded);
        let s = &from_object.statements[0];
        assert!(s.matches_action("s3:getobject"));
        assert_eq!(s.conditions[0].values, ["true"]);
        assert_eq!(from_object.allowed_actions(), ["s3:get*"]);
    }

    #[test]
    fn principals_in_every_shape() {
        let doc: Document = serde_json::from_str(
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"},
            {"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::1:root","*"],"Service":"ec2.amazonaws.com","Federated":["arn:aws:iam::1:saml-provider/x"]},"Action":["sts:AssumeRole"]}]}"#,
        )
        .unwrap();
        assert!(doc.statements[0].principals.as_ref().unwrap().anyone);
        let p = doc.statements[1].principals.as_ref().unwrap();
        assert!(p.anyone);
        assert_eq!(p.aws, ["arn:aws:iam::1:root"]);
        assert_eq!(p.service, ["ec2.amazonaws.com"]);
        assert_eq!(p.federated, ["arn:aws:iam::1:saml-provider/x"]);
        assert_eq!(doc.statements[1].resources, Match::ALL);
    }

    #[test]
    fn bad_documents_say_what_is_wrong() {
        let err =
            serde_json::from_str::<Document>(r#"{"Statement":{"Effect":"Permit","Action":"*"}}"#)
                .unwrap_err()
                .to_string();
        assert!(err.contains("expected `Allow` or `Deny`"), "{err}");
        let err = serde_json::from_value::<Document>(serde_json::Value::String("%7B%ZZ".into()))
            .unwrap_err()
            .to_string();
        assert!(err.contains("percent-escape"), "{err}");
        let err = serde_json::from_value::<Document>(serde_json::Value::String("nope".into()))
            .unwrap_err()
            .to_string();
        assert!(err.contains("expected a policy document"), "{err}");
        let err = serde_json::from_str::<Document>(
            r#"{"Statement":{"Effect":"Allow","Action":"*","NotAction":"x"}}"#,
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("both Action and NotAction"), "{err}");
        assert!(serde_json::from_str::<Document>("42").is_err());
    }
}
