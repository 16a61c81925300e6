//! Reading Kubernetes objects: YAML (multi-document) or JSON (one value or several
//! concatenated), `List` / `<Kind>List` wrappers flattened, every object located by file,
//! line and `<Kind> <namespace>/<name>`.
//!
//! Objects are deserialized straight into [`RawObject`], which has no field for a Secret's
//! `data` or `stringData`: serde skips unknown fields without building them, so secret
//! values are never materialised. The `kubectl.kubernetes.io/last-applied-configuration`
//! annotation (which repeats a whole applied object, secret values included) is skipped the
//! same way. Parser messages pass through [`redact_values`] so no quoted input reaches a user.

use crate::connectors::error::line_column_location;
use crate::connectors::ConnectorError;
use crate::model::Provenance;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;

/// The annotation `kubectl apply` writes: a copy of the applied object, secret values included.
const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// One Kubernetes object as far as residue reads it. Fields other kinds carry are skipped.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RawObject {
    #[serde(default, deserialize_with = "opt_text")]
    pub api_version: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub kind: Option<String>,
    #[serde(default, deserialize_with = "null_default")]
    pub metadata: Metadata,
    #[serde(default, deserialize_with = "null_default")]
    pub items: Vec<RawObject>,
    #[serde(default, deserialize_with = "null_default")]
    pub rules: Vec<PolicyRule>,
    #[serde(default)]
    pub aggregation_rule: Option<AggregationRule>,
    #[serde(default)]
    pub role_ref: Option<RoleRef>,
    #[serde(default, deserialize_with = "null_default")]
    pub subjects: Vec<Subject>,
    /// A Secret's `type`.
    #[serde(default, rename = "type", deserialize_with = "opt_text")]
    pub secret_type: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Metadata {
    #[serde(default, deserialize_with = "opt_text")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub namespace: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub creation_timestamp: Option<String>,
    #[serde(default, deserialize_with = "text_map")]
    pub labels: BTreeMap<String, String>,
    #[serde(default, deserialize_with = "text_map")]
    pub annotations: BTreeMap<String, String>,
}

/// An RBAC PolicyRule.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PolicyRule {
    #[serde(default, deserialize_with = "text_list")]
    pub verbs: Vec<String>,
    #[serde(default, deserialize_with = "text_list")]
    pub api_groups: Vec<String>,
    #[serde(default, deserialize_with = "text_list")]
    pub resources: Vec<String>,
    #[serde(default, deserialize_with = "text_list")]
    pub resource_names: Vec<String>,
    #[serde(default, rename = "nonResourceURLs", deserialize_with = "text_list")]
    pub non_resource_urls: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AggregationRule {
    #[serde(default, deserialize_with = "null_default")]
    pub cluster_role_selectors: Vec<LabelSelector>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct LabelSelector {
    #[serde(default, deserialize_with = "text_map")]
    pub match_labels: BTreeMap<String, String>,
    #[serde(default, deserialize_with = "null_default")]
    pub match_expressions: Vec<SelectorRequirement>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub(crate) struct SelectorRequirement {
    #[serde(default, deserialize_with = "opt_text")]
    pub key: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub operator: Option<String>,
    #[serde(default, deserialize_with = "text_list")]
    pub values: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RoleRef {
    #[serde(default, deserialize_with = "opt_text")]
    pub kind: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub name: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Subject {
    #[serde(default, deserialize_with = "opt_text")]
    pub kind: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub namespace: Option<String>,
}

/// An object and where it was read.
#[derive(Debug, Clone)]
pub(crate) struct Located {
    pub object: RawObject,
    pub provenance: Provenance,
}

impl Located {
    pub fn kind(&self) -> &str {
        self.object.kind.as_deref().unwrap_or("")
    }

    pub fn name(&self) -> Option<&str> {
        self.object
            .metadata
            .name
            .as_deref()
            .filter(|n| !n.trim().is_empty())
    }

    pub fn namespace(&self) -> Option<&str> {
        self.object
            .metadata
            .namespace
            .as_deref()
            .filter(|n| !n.trim().is_empty())
    }
}

/// A scalar read as text: strings as they are, numbers and booleans as written.
struct Text(String);

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(TextVisitor)
    }
}

struct TextVisitor;

impl Visitor<'_> for TextVisitor {
    type Value = Text;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Text, E> {
        Ok(Text(v.to_string()))
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Text, E> {
        Ok(Text(v.to_string()))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Text, E> {
        Ok(Text(v.to_string()))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Text, E> {
        Ok(Text(v.to_string()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Text, E> {
        Ok(Text(v.to_string()))
    }
}

fn opt_text<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    Ok(Option::<Text>::deserialize(deserializer)?.map(|t| t.0))
}

fn null_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

fn text_list<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    let list: Option<Vec<Option<Text>>> = Option::deserialize(deserializer)?;
    Ok(list
        .unwrap_or_default()
        .into_iter()
        .map(|t| t.map(|t| t.0).unwrap_or_default())
        .collect())
}

/// A string map (labels, annotations, matchLabels); the last-applied-configuration
/// annotation is skipped without being read into memory.
fn text_map<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<BTreeMap<String, String>, D::Error> {
    struct MapVisitor;
    impl<'de> Visitor<'de> for MapVisitor {
        type Value = BTreeMap<String, String>;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a mapping of strings")
        }

        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(BTreeMap::new())
        }

        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(BTreeMap::new())
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut out = BTreeMap::new();
            while let Some(Text(key)) = map.next_key::<Text>()? {
                if key == LAST_APPLIED {
                    map.next_value::<IgnoredAny>()?;
                    continue;
                }
                let value: Option<Text> = map.next_value()?;
                out.insert(key, value.map(|t| t.0).unwrap_or_default());
            }
            Ok(out)
        }
    }
    deserializer.deserialize_any(MapVisitor)
}

/// Replaces every piece of input a parser message quotes with `…`: double-quoted spans
/// always, backticked ones unless they name a field or variant of the format. A malformed
/// file may put a secret value where a parser reports it; the message then still says
/// what was wrong and where, without the value.
pub(crate) fn redact_values(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(start) = rest.find(['"', '`']) {
        let quote = rest[start..].chars().next().unwrap_or('"');
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        let end = if quote == '"' {
            closing_double_quote(after)
        } else {
            after.find('`')
        };
        let Some(end) = end else {
            // An unbalanced quote: drop everything after it.
            out.push(quote);
            out.push('…');
            return out;
        };
        let inner = &after[..end];
        let keep = quote == '`'
            && (out.ends_with("field ") || out.ends_with("variant "))
            && inner.len() <= 40
            && inner
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        out.push(quote);
        out.push_str(if keep { inner } else { "…" });
        out.push(quote);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

fn closing_double_quote(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return Some(i),
            _ => i += 1,
        }
    }
    None
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Syntax {
    Json,
    Yaml,
}

fn syntax_of(text: &str) -> Syntax {
    let first = text
        .lines()
        .map(str::trim_start)
        .find(|l| !l.is_empty() && !l.starts_with('#'));
    match first.and_then(|l| l.chars().next()) {
        Some('{' | '[') => Syntax::Json,
        _ => Syntax::Yaml,
    }
}

/// What a Kubernetes source must contain, for "the file is empty" errors.
pub(crate) const EXPECTED: &str = "Kubernetes objects in YAML or JSON (`kubectl get clusterroles,clusterrolebindings,roles,rolebindings,serviceaccounts,secrets -A -o yaml`, per-kind dumps, or manifests)";

/// Reads every object of one file, `List`s flattened, in file order.
pub(crate) fn read_objects(
    text: &str,
    source: &str,
    file: &str,
) -> Result<Vec<Located>, ConnectorError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut out = Vec::new();
    match syntax_of(text) {
        Syntax::Json => {
            let starts = json_item_lines(text);
            let mut stream = serde_json::Deserializer::from_str(text).into_iter::<RawObject>();
            let mut index = 0usize;
            loop {
                let offset = stream.byte_offset();
                match stream.next() {
                    None => break,
                    Some(Ok(object)) => {
                        let line = line_of_offset(text, first_non_space(text, offset));
                        let items = starts.get(index).cloned().unwrap_or_default();
                        let doc = Provenance::new(source, file).at_line(line);
                        flatten(object, doc, &items, &mut out);
                        index += 1;
                    }
                    Some(Err(err)) => return Err(json_error(&err, file)),
                }
            }
        }
        Syntax::Yaml => {
            let documents = yaml_documents(text);
            let mut index = 0usize;
            for document in serde_yaml::Deserializer::from_str(text) {
                let object = Option::<RawObject>::deserialize(document)
                    .map_err(|err| yaml_error(&err, file))?;
                let Some(object) = object else { continue };
                let located = documents.get(index);
                index += 1;
                let mut doc = Provenance::new(source, file);
                if let Some(d) = located {
                    doc = doc.at_line(d.line);
                }
                let items = located.map(|d| d.items.clone()).unwrap_or_default();
                flatten(object, doc, &items, &mut out);
            }
        }
    }
    Ok(out)
}

/// Adds `object` (or, for a list, its items) to `out`. `item_lines` are the lines of the
/// list's items when the scanner found them.
fn flatten(mut object: RawObject, at: Provenance, item_lines: &[u32], out: &mut Vec<Located>) {
    let kind = object.kind.clone().unwrap_or_default();
    let is_list = kind.ends_with("List") || (object.kind.is_none() && !object.items.is_empty());
    if !is_list {
        let provenance = at.with_record(describe(&object));
        out.push(Located { object, provenance });
        return;
    }
    // `ClusterRoleList` from the raw API leaves `kind` off its items.
    let item_kind = kind.strip_suffix("List").filter(|k| !k.is_empty());
    for (index, mut item) in std::mem::take(&mut object.items).into_iter().enumerate() {
        if item.kind.is_none() {
            item.kind = item_kind.map(str::to_string);
        }
        let mut provenance = at.clone();
        if let Some(&line) = item_lines.get(index) {
            provenance.line = Some(line);
        }
        // Lists inside lists keep the outer list's line for their items.
        flatten(item, provenance, &[], out);
    }
}

/// `RoleBinding test/read-secrets`, `ClusterRole view`: how a record is named.
fn describe(object: &RawObject) -> String {
    let kind = object.kind.as_deref().unwrap_or("object without kind");
    let name = object.metadata.name.as_deref().unwrap_or("(no name)");
    match object.metadata.namespace.as_deref() {
        Some(ns) if !ns.is_empty() => format!("{kind} {ns}/{name}"),
        _ => format!("{kind} {name}"),
    }
}

fn first_non_space(text: &str, offset: usize) -> usize {
    let rest = text.get(offset..).unwrap_or("");
    offset + (rest.len() - rest.trim_start().len())
}

fn line_of_offset(text: &str, offset: usize) -> u32 {
    let end = offset.min(text.len());
    let newlines = text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count();
    u32::try_from(newlines + 1).unwrap_or(u32::MAX)
}

fn json_error(err: &serde_json::Error, file: &str) -> ConnectorError {
    let mut message = redact_values(&strip_location(&err.to_string()));
    if err.is_eof() {
        message.push_str("; the JSON ends before the object is complete (is the file truncated?)");
    }
    ConnectorError::invalid(
        file,
        line_column_location(err.line() as u64, err.column() as u64),
        format!("{message}; expected Kubernetes objects (a `List` or single objects)"),
    )
}

fn yaml_error(err: &serde_yaml::Error, file: &str) -> ConnectorError {
    let message = redact_values(&strip_location(&err.to_string()));
    let message = format!(
        "{message}; expected Kubernetes objects (a `List`, or one object per `---` document)"
    );
    match err.location() {
        Some(at) => ConnectorError::invalid(
            file,
            line_column_location(at.line() as u64, at.column() as u64),
            message,
        ),
        None => ConnectorError::invalid(file, "whole file", message),
    }
}

/// Drops the ` at line N column M` parsers append (the location is reported separately).
fn strip_location(message: &str) -> String {
    match message.find(" at line ") {
        Some(i) => {
            let rest = &message[i + " at line ".len()..];
            let digits = |s: &str| s.bytes().take_while(u8::is_ascii_digit).count();
            let n = digits(rest);
            let after = &rest[n..];
            let tail = match after.strip_prefix(" column ") {
                Some(col) => &col[digits(col)..],
                None => after,
            };
            format!("{}{}", &message[..i], tail)
        }
        None => message.to_string(),
    }
}

/// A YAML document's first content line and the lines of its top-level `items` entries.
#[derive(Debug, Clone, Default, PartialEq)]
struct DocumentLines {
    line: u32,
    items: Vec<u32>,
}

/// Finds each non-empty YAML document and the lines where its `items:` list entries start.
/// A line scanner, not a parser: it only has to be right for what kubectl and people write.
fn yaml_documents(text: &str) -> Vec<DocumentLines> {
    let mut docs: Vec<DocumentLines> = Vec::new();
    let mut current: Option<DocumentLines> = None;
    let mut in_items = false;
    let mut item_indent: Option<usize> = None;
    for (index, raw) in text.lines().enumerate() {
        let line = u32::try_from(index + 1).unwrap_or(u32::MAX);
        let is_separator =
            raw.starts_with("---") && raw[3..].chars().next().is_none_or(char::is_whitespace);
        if is_separator || raw.starts_with("...") && raw.trim_end() == "..." {
            docs.extend(current.take());
            in_items = false;
            item_indent = None;
            // `--- {kind: List}` puts content on the separator line itself.
            let after = raw[3..].trim();
            if is_separator && !after.is_empty() && !after.starts_with('#') {
                current = Some(DocumentLines {
                    line,
                    items: Vec::new(),
                });
            }
            continue;
        }
        let trimmed = raw.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let doc = current.get_or_insert(DocumentLines {
            line,
            items: Vec::new(),
        });
        let indent = raw.len() - trimmed.len();
        if indent == 0 && !trimmed.starts_with('-') {
            in_items = trimmed.starts_with("items:");
            item_indent = None;
            continue;
        }
        if in_items && (trimmed == "-" || trimmed.starts_with("- ")) {
            let expected = *item_indent.get_or_insert(indent);
            if indent == expected {
                doc.items.push(line);
            }
        }
    }
    docs.extend(current);
    docs
}

/// For each top-level JSON value, the lines where the objects of its top-level `items`
/// array start. Strings (and the braces inside them) are skipped.
fn json_item_lines(text: &str) -> Vec<Vec<u32>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Frame {
        Object,
        Array { items: bool },
    }
    let mut out: Vec<Vec<u32>> = Vec::new();
    let mut stack: Vec<Frame> = Vec::new();
    let mut line: u32 = 1;
    let mut last_key_items = false;
    let mut chars = text.chars().peekable();
    let mut string = String::new();
    while let Some(c) = chars.next() {
        match c {
            '\n' => line = line.saturating_add(1),
            '"' => {
                string.clear();
                while let Some(s) = chars.next() {
                    match s {
                        '\\' => {
                            chars.next();
                        }
                        '"' => break,
                        '\n' => line = line.saturating_add(1),
                        other => {
                            if string.len() < 8 {
                                string.push(other);
                            }
                        }
                    }
                }
                // A key at depth 1 named `items`, followed by `:`.
                let mut lookahead = chars.clone();
                let mut is_key = false;
                while let Some(&n) = lookahead.peek() {
                    if n.is_whitespace() {
                        lookahead.next();
                        continue;
                    }
                    is_key = n == ':';
                    break;
                }
                if is_key {
                    last_key_items = stack.len() == 1 && string == "items";
                }
            }
            '{' => {
                if stack.is_empty() {
                    out.push(Vec::new());
                }
                if let Some(Frame::Array { items: true }) = stack.last() {
                    if stack.len() == 2 {
                        if let Some(v) = out.last_mut() {
                            v.push(line);
                        }
                    }
                }
                stack.push(Frame::Object);
            }
            '[' => {
                let items = last_key_items && stack.len() == 1;
                if stack.is_empty() {
                    out.push(Vec::new());
                }
                stack.push(Frame::Array { items });
                last_key_items = false;
            }
            '}' | ']' => {
                stack.pop();
            }
            ',' if stack.len() == 1 => last_key_items = false,
            _ => {}
        }
    }
    out
}

/// Whether a file's start looks like Kubernetes RBAC objects: an `apiVersion` and a `kind`
/// that is an RBAC kind, a ServiceAccount, a Secret, or a list of them.
pub(crate) fn looks_like_kubernetes(text: &str) -> bool {
    const KINDS: [&str; 6] = [
        "ClusterRole",
        "ClusterRoleBinding",
        "Role",
        "RoleBinding",
        "ServiceAccount",
        "Secret",
    ];
    if !text.contains("apiVersion") {
        return false;
    }
    text.match_indices("kind").any(|(i, _)| {
        let before = text[..i].chars().next_back();
        if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
            return false;
        }
        let rest = text[i + "kind".len()..]
            .strip_prefix('"')
            .unwrap_or(&text[i + 4..]);
        let Some(value) = rest.trim_start_matches([' ', '\t']).strip_prefix(':') else {
            return false;
        };
        let value = value.trim_start_matches([' ', '\t']);
        let value = value.strip_prefix(['"', '\'']).unwrap_or(value);
        let end = value
            .find(|c: char| !c.is_ascii_alphanumeric())
            .unwrap_or(value.len());
        let kind = &value[..end];
        let base = kind.strip_suffix("List").unwrap_or(kind);
        KINDS.contains(&base)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multi_document_yaml_with_lines_and_lists() {
        let text = "# c\napiVersion: v1\nkind: ServiceAccount\nmetadata: {name: a, namespace: n}\n---\napiVersion: v1\nitems:\n- apiVersion: v1\n  kind: Secret\n  metadata: {name: s, namespace: n}\n  data: {token: c2VjcmV0}\n- kind: Role\n  metadata: {name: r, namespace: n}\nkind: List\n---\n";
        let objects = read_objects(text, "src", "f.yaml").unwrap();
        let got: Vec<(String, Option<u32>)> = objects
            .iter()
            .map(|o| {
                (
                    o.provenance.record.as_deref().unwrap().to_string(),
                    o.provenance.line,
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                ("ServiceAccount n/a".to_string(), Some(2)),
                ("Secret n/s".to_string(), Some(8)),
                ("Role n/r".to_string(), Some(12)),
            ]
        );
    }

    #[test]
    fn typed_json_lists_give_their_kind_to_items() {
        let text = "{\n \"apiVersion\": \"v1\",\n \"items\": [\n  {\n   \"metadata\": {\"name\": \"x\"},\n   \"rules\": [{\"verbs\": [\"get\"], \"apiGroups\": [\"\"], \"resources\": [\"pods\"]}]\n  },\n  {\"metadata\": {\"name\": \"y\"}}\n ],\n \"kind\": \"ClusterRoleList\"\n}\n";
        let objects = read_objects(text, "src", "f.json").unwrap();
        assert_eq!(objects.len(), 2);
        assert_eq!(objects[0].kind(), "ClusterRole");
        assert_eq!(objects[0].provenance.line, Some(4));
        assert_eq!(objects[1].provenance.line, Some(8));
        assert_eq!(objects[0].object.rules[0].verbs, vec!["get"]);
    }

    #[test]
    fn redaction_keeps_field_names_and_drops_values() {
        assert_eq!(
            redact_values("metadata: invalid type: string \"c2VjcmV0\", expected a mapping"),
            "metadata: invalid type: string \"…\", expected a mapping"
        );
        assert_eq!(
            redact_values("missing field `kind` and integer `1234`"),
            "missing field `kind` and integer `…`"
        );
        assert_eq!(redact_values("open \"quote"), "open \"…");
    }

    #[test]
    fn last_applied_annotation_is_skipped() {
        let text = "kind: Secret\nmetadata:\n  name: s\n  annotations:\n    kubectl.kubernetes.io/last-applied-configuration: '{\"data\":{\"token\":\"c2VjcmV0\"}}'\n    a: b\n";
        let objects = read_objects(text, "src", "f.yaml").unwrap();
        let annotations = &objects[0].object.metadata.annotations;
        assert_eq!(annotations.len(), 1);
        assert_eq!(annotations["a"], "b");
    }

    #[test]
    fn recognises_kubernetes_text() {
        assert!(looks_like_kubernetes(
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\n"
        ));
        assert!(looks_like_kubernetes(
            "{\n \"apiVersion\": \"v1\",\n \"items\": [{\"kind\": \"RoleBinding\"}]"
        ));
        assert!(!looks_like_kubernetes(
            "apiVersion: apps/v1\nkind: Deployment\n"
        ));
        assert!(!looks_like_kubernetes("version: 1\nroles: []\n"));
    }
}
