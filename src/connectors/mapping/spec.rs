//! The mapping spec: reading and validating it completely, every problem with its line.

use crate::config::{LineIndex, Step};
use crate::model::time::{parse_duration, parse_timestamp, SignedDuration, Timestamp};
use crate::model::GrantEventKind;
use crate::rules::params::describe_yaml;
use serde_yaml::Value;
use std::collections::BTreeMap;
use std::path::Path;

/// The input a spec reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    /// A header row, then one row per record.
    Csv,
    /// One JSON object per line (a JSON array of objects also works).
    Jsonl,
}

/// Where a value comes from: one column / JSON field, or a template joining several.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldRef {
    Field(String),
    Template(Vec<Part>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    Text(String),
    Field(String),
}

impl FieldRef {
    /// Every column or field the reference reads.
    pub fn fields(&self) -> Vec<&str> {
        match self {
            FieldRef::Field(f) => vec![f.as_str()],
            FieldRef::Template(parts) => parts
                .iter()
                .filter_map(|p| match p {
                    Part::Field(f) => Some(f.as_str()),
                    Part::Text(_) => None,
                })
                .collect(),
        }
    }
}

/// How a time is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimeFormat {
    /// RFC 3339 and every other shape residue reads (docs/formats.md#timestamps).
    Rfc3339,
    EpochMillis,
    EpochSeconds,
    /// A strftime pattern (`%d/%m/%Y %H:%M:%S`); without `%z`/`%Z` the time is UTC.
    Pattern(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeField {
    pub from: FieldRef,
    pub format: TimeFormat,
}

/// How a window's length is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DurationUnit {
    Seconds,
    Minutes,
    Hours,
    Days,
    /// `4h`, `1d12h`, `PT4H`, `3600s`.
    Text,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DurationField {
    pub from: FieldRef,
    pub unit: DurationUnit,
}

/// The event column and what its values mean.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventField {
    pub from: FieldRef,
    /// Lower-cased product word → the grant events it stands for (possibly none).
    pub map: BTreeMap<String, Vec<GrantEventKind>>,
    /// Skip rows whose value the map does not list (else they are errors).
    pub skip_unmapped: bool,
}

/// A validated mapping spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappingSpec {
    /// The spec file as the user named it.
    pub file: String,
    pub input: Input,
    pub grant_id: FieldRef,
    pub event: EventField,
    pub time: TimeField,
    pub principal: Option<FieldRef>,
    pub entitlement: Option<FieldRef>,
    pub requester: Option<FieldRef>,
    pub approver: Option<FieldRef>,
    pub justification: Option<FieldRef>,
    pub ticket: Option<FieldRef>,
    pub window_end: Option<TimeField>,
    pub duration: Option<DurationField>,
}

/// One problem in a spec, at its line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecError {
    pub file: String,
    pub line: Option<u32>,
    pub message: String,
}

const KEYS: [&str; 15] = [
    "version",
    "description",
    "input",
    "grant_id",
    "event",
    "time",
    "principal",
    "entitlement",
    "requester",
    "approver",
    "justification",
    "ticket",
    "window_end",
    "duration",
    "x-notes",
];

const TEXT_FIELDS: [&str; 7] = [
    "grant_id",
    "principal",
    "entitlement",
    "requester",
    "approver",
    "justification",
    "ticket",
];

struct Checker<'a> {
    file: &'a str,
    lines: LineIndex,
    errors: Vec<SpecError>,
}

impl Checker<'_> {
    fn error(&mut self, path: &[Step], message: impl Into<String>) {
        self.errors.push(SpecError {
            file: self.file.to_string(),
            line: self.lines.line_of(path),
            message: message.into(),
        });
    }

    fn field_ref(&mut self, path: &[Step], value: &Value) -> Option<FieldRef> {
        let Some(text) = value.as_str() else {
            self.error(
                path,
                format!(
                    "expected a column or field name, or a template such as \"{{accountId}}:{{role}}\", found {}",
                    describe_yaml(value)
                ),
            );
            return None;
        };
        if text.trim().is_empty() {
            self.error(
                path,
                "expected a column or field name, found an empty string",
            );
            return None;
        }
        if !text.contains('{') && !text.contains('}') {
            return Some(FieldRef::Field(text.to_string()));
        }
        match parse_template(text) {
            Ok(parts) => Some(FieldRef::Template(parts)),
            Err(message) => {
                self.error(path, message);
                None
            }
        }
    }

    /// A mapping's keys, each checked against `allowed`.
    fn keys<'v>(
        &mut self,
        path: &[Step],
        value: &'v Value,
        allowed: &[&str],
        what: &str,
    ) -> Option<BTreeMap<String, &'v Value>> {
        let Value::Mapping(map) = value else {
            self.error(
                path,
                format!("expected {what}, found {}", describe_yaml(value)),
            );
            return None;
        };
        let mut out = BTreeMap::new();
        for (k, v) in map {
            let Some(key) = k.as_str() else {
                self.error(
                    path,
                    format!("keys must be strings, found {}", describe_yaml(k)),
                );
                continue;
            };
            let mut here = path.to_vec();
            here.push(Step::key(key));
            if !allowed.contains(&key) {
                self.error(
                    &here,
                    format!(
                        "unknown key `{key}`; expected one of {}",
                        allowed.join(", ")
                    ),
                );
                continue;
            }
            out.insert(key.to_string(), v);
        }
        Some(out)
    }

    fn time_field(&mut self, path: &[Step], value: &Value) -> Option<TimeField> {
        if value.is_string() {
            return Some(TimeField {
                from: self.field_ref(path, value)?,
                format: TimeFormat::Rfc3339,
            });
        }
        let keys = self.keys(
            path,
            value,
            &["from", "format"],
            "a field name or {from: FIELD, format: FORMAT}",
        )?;
        let from_path = [path, &[Step::key("from")]].concat();
        let from = match keys.get("from") {
            Some(v) => self.field_ref(&from_path, v),
            None => {
                self.error(
                    path,
                    "missing `from`: the column or field that holds the time",
                );
                None
            }
        };
        let format_path = [path, &[Step::key("format")]].concat();
        let format = match keys.get("format").map(|v| (v, v.as_str())) {
            None => Some(TimeFormat::Rfc3339),
            Some((_, Some("rfc3339"))) => Some(TimeFormat::Rfc3339),
            Some((_, Some("epoch-ms"))) => Some(TimeFormat::EpochMillis),
            Some((_, Some("epoch-s"))) => Some(TimeFormat::EpochSeconds),
            Some((_, Some(pattern))) if pattern.contains('%') => match check_pattern(pattern) {
                Ok(()) => Some(TimeFormat::Pattern(pattern.to_string())),
                Err(message) => {
                    self.error(&format_path, message);
                    None
                }
            },
            Some((v, _)) => {
                self.error(
                    &format_path,
                    format!("expected rfc3339, epoch-ms, epoch-s or a strftime pattern such as \"%d/%m/%Y %H:%M\", found {}", describe_yaml(v)),
                );
                None
            }
        };
        Some(TimeField {
            from: from?,
            format: format?,
        })
    }

    fn duration_field(&mut self, path: &[Step], value: &Value) -> Option<DurationField> {
        let keys = self.keys(path, value, &["from", "unit"], "{from: FIELD, unit: UNIT}")?;
        let from = match keys.get("from") {
            Some(v) => self.field_ref(&[path, &[Step::key("from")]].concat(), v),
            None => {
                self.error(
                    path,
                    "missing `from`: the column or field that holds the window's length",
                );
                None
            }
        };
        let unit = match keys.get("unit").map(|v| (v, v.as_str())) {
            Some((_, Some("seconds"))) => Some(DurationUnit::Seconds),
            Some((_, Some("minutes"))) => Some(DurationUnit::Minutes),
            Some((_, Some("hours"))) => Some(DurationUnit::Hours),
            Some((_, Some("days"))) => Some(DurationUnit::Days),
            Some((_, Some("text"))) | None => Some(DurationUnit::Text),
            Some((v, _)) => {
                self.error(
                    &[path, &[Step::key("unit")]].concat(),
                    format!(
                        "expected seconds, minutes, hours, days or text, found {}",
                        describe_yaml(v)
                    ),
                );
                None
            }
        };
        Some(DurationField {
            from: from?,
            unit: unit?,
        })
    }

    fn event_field(&mut self, path: &[Step], value: &Value) -> Option<EventField> {
        let keys = self.keys(
            path,
            value,
            &["from", "map", "unmapped"],
            "{from: FIELD, map: {...}}",
        )?;
        let from = match keys.get("from") {
            Some(v) => self.field_ref(&[path, &[Step::key("from")]].concat(), v),
            None => {
                self.error(
                    path,
                    "missing `from`: the column or field that says what happened",
                );
                None
            }
        };
        let map_path = [path, &[Step::key("map")]].concat();
        let kinds: Vec<&str> = GrantEventKind::ALL.iter().map(|k| k.as_str()).collect();
        let mut map = BTreeMap::new();
        match keys.get("map") {
            None => self.error(
                path,
                "missing `map`: the product's words and the grant events each stands for",
            ),
            Some(Value::Mapping(m)) if !m.is_empty() => {
                for (k, v) in m {
                    let word = match k {
                        Value::String(s) => s.trim().to_lowercase(),
                        Value::Number(n) => n.to_string(),
                        Value::Bool(b) => b.to_string(),
                        other => {
                            self.error(
                                &map_path,
                                format!(
                                    "a product word must be text, found {}",
                                    describe_yaml(other)
                                ),
                            );
                            continue;
                        }
                    };
                    let here = [
                        map_path.as_slice(),
                        &[Step::key(k.as_str().unwrap_or(&word))],
                    ]
                    .concat();
                    let names: Vec<&Value> = match v {
                        Value::Sequence(items) => items.iter().collect(),
                        single => vec![single],
                    };
                    let mut out = Vec::new();
                    for name in names {
                        match name.as_str().and_then(GrantEventKind::parse) {
                            Some(kind) => out.push(kind),
                            None => self.error(
                                &here,
                                format!(
                                    "expected a grant event ({}) or a list of them, found {}",
                                    kinds.join(", "),
                                    describe_yaml(name)
                                ),
                            ),
                        }
                    }
                    if map.insert(word.clone(), out).is_some() {
                        self.error(
                            &here,
                            format!("`{word}` is mapped twice (words are matched ignoring case)"),
                        );
                    }
                }
            }
            Some(other) => self.error(
                &map_path,
                format!(
                    "expected a non-empty mapping of product words to grant events, found {}",
                    describe_yaml(other)
                ),
            ),
        }
        let skip_unmapped = match keys.get("unmapped").map(|v| v.as_str()) {
            None | Some(Some("error")) => false,
            Some(Some("skip")) => true,
            Some(_) => {
                self.error(
                    &[path, &[Step::key("unmapped")]].concat(),
                    "expected error or skip",
                );
                false
            }
        };
        Some(EventField {
            from: from?,
            map,
            skip_unmapped,
        })
    }
}

/// `{accountId}:{role}` → parts; `{{`/`}}` are not supported (no product needs them).
fn parse_template(text: &str) -> Result<Vec<Part>, String> {
    let mut parts = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        if rest[..open].contains('}') {
            return Err(format!("`{text}`: a `}}` without its `{{`; expected a template such as \"{{accountId}}:{{role}}\""));
        }
        if open > 0 {
            parts.push(Part::Text(rest[..open].to_string()));
        }
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            return Err(format!("`{text}`: a `{{` is never closed; expected a template such as \"{{accountId}}:{{role}}\""));
        };
        let name = after[..close].trim();
        if name.is_empty() || name.contains('{') {
            return Err(format!(
                "`{text}`: expected a column or field name between `{{` and `}}`"
            ));
        }
        parts.push(Part::Field(name.to_string()));
        rest = &after[close + 1..];
    }
    if rest.contains('}') {
        return Err(format!("`{text}`: a `}}` without its `{{`; expected a template such as \"{{accountId}}:{{role}}\""));
    }
    if !rest.is_empty() {
        parts.push(Part::Text(rest.to_string()));
    }
    Ok(parts)
}

/// A pattern must write a time and read it back.
fn check_pattern(pattern: &str) -> Result<(), String> {
    let sample = Timestamp::from_second(1_772_357_400).map_err(|e| e.to_string())?;
    let written = jiff::fmt::strtime::format(pattern, sample)
        .map_err(|e| format!("`{pattern}` is not a strftime pattern residue can use: {e}"))?;
    match parse_with_pattern(pattern, &written) {
        Ok(back) if back == sample => Ok(()),
        _ => Err(format!(
            "`{pattern}` cannot read back the time it writes ({written}); a pattern needs at least the date (%Y %m %d) and time (%H %M) of the event"
        )),
    }
}

/// Reads `text` with a strftime pattern; without an offset in the pattern it is UTC.
pub(super) fn parse_with_pattern(pattern: &str, text: &str) -> Result<Timestamp, String> {
    let parsed = jiff::fmt::strtime::parse(pattern, text).map_err(|e| e.to_string())?;
    if let Ok(ts) = parsed.to_timestamp() {
        return Ok(ts);
    }
    let civil = parsed.to_datetime().map_err(|e| e.to_string())?;
    jiff::tz::TimeZone::UTC
        .to_timestamp(civil)
        .map_err(|e| e.to_string())
}

impl TimeFormat {
    /// Reads `text` in this format; Go's zero time is `None` in every format.
    pub fn parse(&self, text: &str) -> Result<Option<Timestamp>, String> {
        let ts = match self {
            TimeFormat::Rfc3339 => parse_timestamp(text).map_err(|e| e.to_string())?,
            TimeFormat::EpochMillis | TimeFormat::EpochSeconds => {
                let n: i64 = text.trim().parse().map_err(|_| {
                    format!(
                        "`{}` is not a whole number; expected {}",
                        shorten(text),
                        self.describe()
                    )
                })?;
                let ts = if *self == TimeFormat::EpochMillis {
                    Timestamp::from_millisecond(n)
                } else {
                    Timestamp::from_second(n)
                };
                ts.map_err(|_| {
                    format!(
                        "`{}` is out of range for {}",
                        shorten(text),
                        self.describe()
                    )
                })?
            }
            TimeFormat::Pattern(p) => parse_with_pattern(p, text.trim()).map_err(|_| {
                format!(
                    "`{}` does not match the spec's time format `{p}`",
                    shorten(text)
                )
            })?,
        };
        Ok((!crate::model::time::is_go_zero_time(ts)).then_some(ts))
    }

    fn describe(&self) -> &'static str {
        match self {
            TimeFormat::EpochMillis => "epoch milliseconds",
            TimeFormat::EpochSeconds => "epoch seconds",
            _ => "a time",
        }
    }
}

impl DurationUnit {
    pub fn parse(self, text: &str) -> Result<SignedDuration, String> {
        let per = match self {
            DurationUnit::Text => return parse_duration(text).map_err(|e| e.to_string()),
            DurationUnit::Seconds => 1.0,
            DurationUnit::Minutes => 60.0,
            DurationUnit::Hours => 3600.0,
            DurationUnit::Days => 86_400.0,
        };
        let n: f64 = text
            .trim()
            .parse()
            .map_err(|_| format!("`{}` is not a number", shorten(text)))?;
        let secs = n * per;
        if !secs.is_finite() || !(0.0..=1e11).contains(&secs) {
            return Err(format!("`{}` is not a usable window length", shorten(text)));
        }
        Ok(SignedDuration::from_secs(secs.round() as i64))
    }
}

fn shorten(text: &str) -> String {
    crate::connectors::error::shorten(text.trim())
}

/// Reads and validates a spec file; every problem is reported, each with its line.
pub fn load_spec(path: &Path, display: &str) -> Result<MappingSpec, Vec<SpecError>> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        vec![SpecError {
            file: display.to_string(),
            line: None,
            message: format!("cannot read the mapping spec: {e}"),
        }]
    })?;
    parse_spec(&text, display)
}

/// Validates spec text (`file` names it in errors).
pub fn parse_spec(text: &str, file: &str) -> Result<MappingSpec, Vec<SpecError>> {
    let root: Value = serde_yaml::from_str(text).map_err(|e| {
        vec![SpecError {
            file: file.to_string(),
            line: e.location().map(|l| l.line() as u32),
            message: format!("not valid YAML: {e}"),
        }]
    })?;
    let mut c = Checker {
        file,
        lines: LineIndex::new(text),
        errors: Vec::new(),
    };
    let Some(keys) = c.keys(
        &[],
        &root,
        &KEYS,
        "a mapping spec (input, grant_id, event, time, …)",
    ) else {
        return Err(c.errors);
    };
    let at = |key: &str| vec![Step::key(key)];
    match keys.get("version") {
        None => {}
        Some(v) if v.as_u64() == Some(1) => {}
        Some(v) => c.error(
            &at("version"),
            format!("expected version 1, found {}", describe_yaml(v)),
        ),
    }
    let input = match keys.get("input").map(|v| (v, v.as_str())) {
        Some((_, Some("csv"))) => Some(Input::Csv),
        Some((_, Some("jsonl"))) => Some(Input::Jsonl),
        Some((v, _)) => {
            c.error(
                &at("input"),
                format!("expected csv or jsonl, found {}", describe_yaml(v)),
            );
            None
        }
        None => {
            c.error(&[], "missing `input`: csv or jsonl");
            None
        }
    };
    let mut text_fields: BTreeMap<&str, FieldRef> = BTreeMap::new();
    for key in TEXT_FIELDS {
        if let Some(v) = keys.get(key) {
            if let Some(r) = c.field_ref(&at(key), v) {
                text_fields.insert(key, r);
            }
        }
    }
    for required in ["grant_id", "event", "time"] {
        if !keys.contains_key(required) {
            c.error(
                &[],
                format!("missing `{required}`; a spec needs at least grant_id, event and time"),
            );
        }
    }
    let event = keys
        .get("event")
        .and_then(|v| c.event_field(&at("event"), v));
    let time = keys.get("time").and_then(|v| c.time_field(&at("time"), v));
    let window_end = keys
        .get("window_end")
        .and_then(|v| c.time_field(&at("window_end"), v));
    let duration = keys
        .get("duration")
        .and_then(|v| c.duration_field(&at("duration"), v));
    if !c.errors.is_empty() {
        c.errors.sort_by_key(|e| e.line);
        return Err(c.errors);
    }
    let (Some(input), Some(grant_id), Some(event), Some(time)) =
        (input, text_fields.remove("grant_id"), event, time)
    else {
        return Err(vec![SpecError {
            file: file.to_string(),
            line: None,
            message: "the spec is incomplete".into(),
        }]);
    };
    Ok(MappingSpec {
        file: file.to_string(),
        input,
        grant_id,
        event,
        time,
        principal: text_fields.remove("principal"),
        entitlement: text_fields.remove("entitlement"),
        requester: text_fields.remove("requester"),
        approver: text_fields.remove("approver"),
        justification: text_fields.remove("justification"),
        ticket: text_fields.remove("ticket"),
        window_end,
        duration,
    })
}

impl MappingSpec {
    /// Every column or field the spec reads, for checking a CSV header.
    pub fn fields(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        let refs = [
            Some(&self.grant_id),
            Some(&self.event.from),
            Some(&self.time.from),
            self.principal.as_ref(),
            self.entitlement.as_ref(),
            self.requester.as_ref(),
            self.approver.as_ref(),
            self.justification.as_ref(),
            self.ticket.as_ref(),
            self.window_end.as_ref().map(|w| &w.from),
            self.duration.as_ref().map(|d| &d.from),
        ];
        for r in refs.into_iter().flatten() {
            out.extend(r.fields());
        }
        out.sort_unstable();
        out.dedup();
        out
    }
}
