//! Saved Microsoft Graph responses: recognising them by `@odata.context`, splitting them
//! into pages and records, and reading fields with errors that name the JSON pointer.

use crate::connectors::generic::scan_json;
use crate::connectors::ConnectorError;
use crate::model::time::{parse_duration, parse_timestamp};
use crate::model::{Provenance, SignedDuration, Timestamp};
use serde_json::{Map, Value};

/// The Graph collections residue reads, by the entity set named in `@odata.context`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Listing {
    Users,
    Groups,
    ServicePrincipals,
    RoleDefinitions,
    EligibilityInstances,
    AssignmentInstances,
    AssignmentRequests,
    DirectoryAudits,
    Policies,
    PolicyAssignments,
    /// A Graph listing residue recognises but does not need (schedules, eligibility
    /// requests, role assignments without PIM detail, applications, directory objects).
    KnownUnused,
}

/// Entity sets, as they appear after `$metadata#` (parenthesised `$select`/`$expand`
/// parts and a trailing `/$entity` removed).
const LISTINGS: [(&str, Listing); 17] = [
    ("users", Listing::Users),
    ("groups", Listing::Groups),
    ("servicePrincipals", Listing::ServicePrincipals),
    (
        "roleManagement/directory/roleDefinitions",
        Listing::RoleDefinitions,
    ),
    (
        "roleManagement/directory/roleEligibilityScheduleInstances",
        Listing::EligibilityInstances,
    ),
    (
        "roleManagement/directory/roleAssignmentScheduleInstances",
        Listing::AssignmentInstances,
    ),
    (
        "roleManagement/directory/roleAssignmentScheduleRequests",
        Listing::AssignmentRequests,
    ),
    ("auditLogs/directoryAudits", Listing::DirectoryAudits),
    ("policies/roleManagementPolicies", Listing::Policies),
    (
        "policies/roleManagementPolicyAssignments",
        Listing::PolicyAssignments,
    ),
    (
        "roleManagement/directory/roleEligibilityScheduleRequests",
        Listing::KnownUnused,
    ),
    (
        "roleManagement/directory/roleAssignmentSchedules",
        Listing::KnownUnused,
    ),
    (
        "roleManagement/directory/roleEligibilitySchedules",
        Listing::KnownUnused,
    ),
    (
        "roleManagement/directory/roleAssignments",
        Listing::KnownUnused,
    ),
    ("applications", Listing::KnownUnused),
    ("directoryObjects", Listing::KnownUnused),
    ("directoryRoles", Listing::KnownUnused),
];

/// For error messages: the collections residue reads.
pub(crate) const KNOWN_CONTEXTS: &str = "users, groups, servicePrincipals, roleManagement/directory/{roleDefinitions, roleEligibilityScheduleInstances, roleAssignmentScheduleInstances, roleAssignmentScheduleRequests}, auditLogs/directoryAudits, policies/{roleManagementPolicies, roleManagementPolicyAssignments}";

/// The entity set of an `@odata.context` URL, if it is a Graph context at all.
pub(crate) fn entity_set(context: &str) -> Option<String> {
    let (_, fragment) = context.split_once("$metadata#")?;
    let mut set = String::new();
    let mut depth = 0usize;
    for c in fragment.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            _ if depth == 0 => set.push(c),
            _ => {}
        }
    }
    let set = set.trim_end_matches("/$entity").trim_end_matches('/');
    Some(set.to_string())
}

/// The listing an `@odata.context` names, if residue knows it.
pub(crate) fn listing(context: &str) -> Option<Listing> {
    let set = entity_set(context)?;
    LISTINGS
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(&set))
        .map(|&(_, l)| l)
}

/// The `@odata.context` value near the start of `text`, read without parsing the document
/// (the text may be cut at 64 KiB).
pub(crate) fn sniff_context(text: &str) -> Option<&str> {
    let at = text.find("\"@odata.context\"")?;
    let rest = text[at + "\"@odata.context\"".len()..].trim_start();
    let rest = rest.strip_prefix(':')?.trim_start();
    let rest = rest.strip_prefix('"')?;
    let end = rest.find('"')?;
    Some(&rest[..end])
}

/// One page of a saved response: its context, its records, where it sits in the file.
pub(crate) struct Page {
    pub listing: Listing,
    pub context: String,
    /// `""` for a file holding one response, `/2` for the third of an array of pages,
    /// `page 3 ` for the third of several concatenated responses.
    pub prefix: String,
    pub records: Vec<(Map<String, Value>, Option<u32>)>,
}

/// Splits a file into pages: one response object, a JSON array of them, or several
/// concatenated. Every page must carry a known `@odata.context` and a `value` array.
pub(crate) fn read_pages(text: &str, file: &str) -> Result<Vec<Page>, ConnectorError> {
    let mut documents = Vec::new();
    for item in serde_json::Deserializer::from_str(text).into_iter::<Value>() {
        match item {
            Ok(v) => documents.push(v),
            Err(e) => {
                let what = if e.is_eof() {
                    "the file ends in the middle of the JSON document (truncated?)".to_string()
                } else {
                    format!(
                        "not valid JSON: {}",
                        crate::connectors::generic::strip_parser_location(&e.to_string())
                    )
                };
                return Err(ConnectorError::invalid(
                    file,
                    crate::connectors::error::line_column_location(
                        e.line() as u64,
                        e.column() as u64,
                    ),
                    format!("{what}; expected {}", super::EXPECTED),
                ));
            }
        }
    }
    let one_document = documents.len() == 1;
    let lines_of_value = |count: usize| {
        if one_document {
            scan_json(text).lines("value", count)
        } else {
            None
        }
    };
    let mut pages = Vec::new();
    let several = documents.len() > 1;
    let mut flat: Vec<(String, Value)> = Vec::new();
    for (i, doc) in documents.into_iter().enumerate() {
        match doc {
            Value::Array(items) if !several => {
                for (j, item) in items.into_iter().enumerate() {
                    flat.push((format!("/{j}"), item));
                }
            }
            other => flat.push((
                if several {
                    format!("page {} ", i + 1)
                } else {
                    String::new()
                },
                other,
            )),
        }
    }
    let single = flat.len() == 1 && flat[0].0.is_empty();
    for (prefix, doc) in flat {
        let at = if prefix.is_empty() {
            "/".to_string()
        } else {
            prefix.trim().to_string()
        };
        let Value::Object(mut object) = doc else {
            return Err(ConnectorError::invalid(
                file,
                at,
                format!(
                    "expected a Graph response object, found {}; expected {}",
                    kind_of_value(&doc),
                    super::EXPECTED
                ),
            ));
        };
        let context = match object.get("@odata.context") {
            Some(Value::String(c)) => c.clone(),
            Some(other) => {
                return Err(ConnectorError::invalid(
                    file,
                    format!("{}/@odata.context", prefix.trim_end()),
                    format!("expected a string, found {}", kind_of_value(other)),
                ))
            }
            None => {
                return Err(ConnectorError::invalid(
                    file,
                    at,
                    format!("missing `@odata.context`: residue recognises each saved Graph response by it; save the response body unchanged ({})", KNOWN_CONTEXTS),
                ))
            }
        };
        let Some(listing) = listing(&context) else {
            return Err(ConnectorError::invalid(
                file,
                format!("{}/@odata.context", prefix.trim_end()),
                format!(
                    "`{}` is not a Microsoft Graph listing residue reads; expected one of {KNOWN_CONTEXTS}",
                    entity_set(&context).unwrap_or(context.clone())
                ),
            ));
        };
        let value = match object.remove("value") {
            Some(Value::Array(items)) => items,
            Some(other) => {
                return Err(ConnectorError::invalid(
                    file,
                    format!("{}/value", prefix.trim_end()),
                    format!("expected an array of records, found {}", kind_of_value(&other)),
                ))
            }
            None => {
                return Err(ConnectorError::invalid(
                    file,
                    at,
                    "missing `value`: expected a Graph collection response ({\"@odata.context\": …, \"value\": [ … ]})",
                ))
            }
        };
        let lines = if single {
            lines_of_value(value.len())
        } else {
            None
        };
        let mut records = Vec::with_capacity(value.len());
        for (i, item) in value.into_iter().enumerate() {
            let line = lines.as_ref().and_then(|l| l.get(i).copied());
            match item {
                Value::Object(map) => records.push((map, line)),
                other => {
                    return Err(ConnectorError::invalid(
                        file,
                        location(&format!("{}/value/{i}", prefix.trim_end()), line),
                        format!(
                            "expected a record (JSON object), found {}",
                            kind_of_value(&other)
                        ),
                    ))
                }
            }
        }
        pages.push(Page {
            listing,
            context,
            prefix: prefix.trim_end().to_string(),
            records,
        });
    }
    Ok(pages)
}

fn location(pointer: &str, line: Option<u32>) -> String {
    match line {
        Some(l) => format!("{pointer} (line {l})"),
        None => pointer.to_string(),
    }
}

pub(crate) fn kind_of_value(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// One record (or nested object) of a page, with where it sits, for typed field access.
#[derive(Clone)]
pub(crate) struct Rec<'a> {
    pub map: &'a Map<String, Value>,
    pub pointer: String,
    pub file: &'a str,
    pub line: Option<u32>,
}

impl<'a> Rec<'a> {
    pub fn error(&self, key: &str, message: impl AsRef<str>) -> ConnectorError {
        let pointer = if key.is_empty() {
            self.pointer.to_string()
        } else {
            format!("{}/{key}", self.pointer)
        };
        ConnectorError::invalid(self.file, location(&pointer, self.line), message)
    }

    pub fn provenance(&self, source: &str) -> Provenance {
        let p = Provenance::new(source, self.file).with_record(self.pointer.clone());
        match self.line {
            Some(l) => p.at_line(l),
            None => p,
        }
    }

    /// A string field; absent or null is `None`, any other type an error.
    pub fn str(&self, key: &str) -> Result<Option<&'a str>, ConnectorError> {
        match self.map.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.as_str())),
            Some(other) => Err(self.error(
                key,
                format!("expected a string, found {}", kind_of_value(other)),
            )),
        }
    }

    /// A required, non-empty string field.
    pub fn required(&self, key: &str, what: &str) -> Result<&'a str, ConnectorError> {
        match self.str(key)? {
            Some(s) if !s.trim().is_empty() => Ok(s),
            _ => Err(self.error(
                key,
                format!("missing required field `{key}`: expected {what}"),
            )),
        }
    }

    pub fn bool(&self, key: &str) -> Result<Option<bool>, ConnectorError> {
        match self.map.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(other) => Err(self.error(
                key,
                format!("expected true or false, found {}", kind_of_value(other)),
            )),
        }
    }

    /// A timestamp field (RFC 3339, 0–9 fraction digits, `Z` or an offset); null or absent
    /// is `None`; the far-future "never" dates (after year 9000) are `None` too.
    pub fn time(&self, key: &str) -> Result<Option<Timestamp>, ConnectorError> {
        let Some(raw) = self.str(key)? else {
            return Ok(None);
        };
        if raw.trim().is_empty() {
            return Ok(None);
        }
        let t = parse_timestamp(raw).map_err(|e| self.error(key, e.to_string()))?;
        Ok(never_is_none(t))
    }

    pub fn duration(&self, key: &str) -> Result<Option<SignedDuration>, ConnectorError> {
        match self.str(key)? {
            None => Ok(None),
            Some(raw) => parse_duration(raw)
                .map(Some)
                .map_err(|e| self.error(key, e.to_string())),
        }
    }

    /// A nested object; absent or null is `None`.
    pub fn object(&self, key: &str) -> Result<Option<Rec<'a>>, ConnectorError> {
        match self.map.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Object(m)) => Ok(Some(self.at(m, format!("{}/{key}", self.pointer)))),
            Some(other) => Err(self.error(
                key,
                format!("expected an object, found {}", kind_of_value(other)),
            )),
        }
    }

    /// An array field; absent or null is empty.
    pub fn array(&self, key: &str) -> Result<&'a [Value], ConnectorError> {
        match self.map.get(key) {
            None | Some(Value::Null) => Ok(&[]),
            Some(Value::Array(items)) => Ok(items.as_slice()),
            Some(other) => Err(self.error(
                key,
                format!("expected an array, found {}", kind_of_value(other)),
            )),
        }
    }

    /// The objects of an array field, each with its pointer.
    pub fn objects(&self, key: &str) -> Result<Vec<Rec<'a>>, ConnectorError> {
        let mut out = Vec::new();
        for (i, item) in self.array(key)?.iter().enumerate() {
            match item {
                Value::Object(m) => out.push(self.at(m, format!("{}/{key}/{i}", self.pointer))),
                other => {
                    return Err(self.error(
                        &format!("{key}/{i}"),
                        format!("expected an object, found {}", kind_of_value(other)),
                    ))
                }
            }
        }
        Ok(out)
    }

    /// The strings of an array field.
    pub fn strings(&self, key: &str) -> Result<Vec<String>, ConnectorError> {
        let mut out = Vec::new();
        for (i, item) in self.array(key)?.iter().enumerate() {
            match item {
                Value::String(s) => out.push(s.clone()),
                other => {
                    return Err(self.error(
                        &format!("{key}/{i}"),
                        format!("expected a string, found {}", kind_of_value(other)),
                    ))
                }
            }
        }
        Ok(out)
    }

    /// A record of the same file at `pointer`.
    pub fn at(&self, map: &'a Map<String, Value>, pointer: String) -> Rec<'a> {
        Rec {
            map,
            pointer,
            file: self.file,
            line: self.line,
        }
    }
}

/// "No expiry" spellings: dates after year 9000 and the Go zero time.
pub(crate) fn never_is_none(t: Timestamp) -> Option<Timestamp> {
    let year = jiff::tz::TimeZone::UTC.to_datetime(t).year();
    (year > 1 && year < 9000).then_some(t)
}
