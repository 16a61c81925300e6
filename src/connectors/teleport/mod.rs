//! Teleport audit events: access requests and the events that show requested roles in use.
//!
//! Accepted input: the audit log as JSON Lines (the file backend, an Athena or
//! event-handler export: one flat event object per line), a JSON array of events, or the
//! web API's search response `{"events": [...], "startKey": "..."}`. For example:
//!
//! ```text
//! {"event":"access_request.create","code":"T5000I","time":"2026-11-09T10:00:00.120Z","uid":"5c0…","id":"7d1e…","user":"alice@acme.example","roles":["prod-admin"],"state":"PENDING","reason":"OPS-88 rotate certs","expires":"2026-11-09T14:00:00Z"}
//! {"event":"access_request.review","code":"T5002I","time":"2026-11-09T10:03:10Z","uid":"6a2…","id":"7d1e…","reviewer":"dana@acme.example","proposed_state":"APPROVED","state":"APPROVED"}
//! {"event":"cert.create","code":"TC000I","time":"2026-11-09T10:04:00Z","uid":"9f0…","identity":{"user":"alice@acme.example","active_requests":["7d1e…"]}}
//! {"event":"session.start","code":"T2000I","time":"2026-11-09T10:05:00Z","uid":"a41…","user":"alice@acme.example","access_requests":["7d1e…"]}
//! ```
//!
//! How events become grant events (grant id = the request id; with several roles in one
//! request, one grant per role, `<request id>/<role>`):
//!
//! | Teleport event | grant events |
//! | --- | --- |
//! | `access_request.create` (`id`, `user`, `roles`, `reason`, `state`, `expires`, `annotations`) | `requested` (principal and requester `user`, entitlement the role, justification `reason`, ticket the `ticket` annotation, window end `expires`); also `approved`/`denied` when created in that state |
//! | `access_request.review` (`reviewer`, `proposed_state`) | `approved` or `denied`, approver `reviewer` |
//! | `access_request.update` (`state`, `updated_by`) | `approved` or `denied`, approver `updated_by` (else `reviewer`) |
//! | `access_request.expire` | `expired` |
//! | `cert.create` whose `identity.active_requests` names the request | `activated` (the user assumed the request) |
//! | any other event whose `access_requests` names the request (`session.start`, `session.end`, `app.session.start`, `db.session.start`, `exec`, …) | `used` |
//! | `lock.created` whose `target.access_request` is the request | `revoked` |
//!
//! Teleport logs no event when access ends: the user's certificates carry the access
//! expiry. For an approved request, residue therefore records `expired` at the latest
//! access expiry (`expires`, else `access_expiry`) the log shows for it, with the
//! provenance of the event that carried it. Go's zero time (`0001-01-01T00:00:00Z`) means
//! the field is unset. `access_request.delete` and `access_request.search` are read and
//! ignored (deleting a request does not revoke issued certificates). Events of other types
//! are counted in one diagnostic, never an error; an event that shows use without naming a
//! request is not attributed to any grant.
//!
//! Teleport names neither who a user is nor what a role may do: the connector emits grant
//! events only, as the generic grant log does. Identities and roles come from the
//! inventory; a role the inventory does not define is judged by the rules' unknown-tier
//! parameters.

use super::json_records::{for_each_json_record, JsonRecord};
use super::ConnectorError;
use crate::model::{Diagnostic, GrantEvent, GrantEventKind, Inventory, Provenance, Timestamp};
use compact_str::CompactString;
use std::collections::BTreeMap;

#[cfg(test)]
mod tests;

/// What a file in this format must contain, for "the file is empty" errors.
pub(crate) const EXPECTED: &str =
    "Teleport audit events: JSON Lines, a JSON array, or {\"events\": [...]}, each event with `event` and `time`";

/// The keys that may hold the event array in a wrapped export.
const WRAPPER_KEYS: [&str; 1] = ["events"];

/// The annotation read as a ticket reference.
const TICKET_ANNOTATION: &str = "ticket";

/// Whether the first non-blank line (or the first element) looks like a Teleport event:
/// an object with `event` and either `uid` or a Teleport event `code`.
pub(crate) fn sniff(text: &str) -> bool {
    // A JSON array starts with `[`, on its own line or before the first event.
    let body = text.trim_start();
    let body = body.strip_prefix('[').unwrap_or(body);
    let Some(first) = body.lines().find(|l| !l.trim().is_empty()) else {
        return false;
    };
    let candidate = first.trim().trim_end_matches(',');
    let Ok(serde_json::Value::Object(object)) = serde_json::from_str(candidate) else {
        return sniff_wrapped(text);
    };
    is_event(&object)
}

fn sniff_wrapped(text: &str) -> bool {
    // `{"events": [{...` on one line, as the web API writes it.
    let trimmed = text.trim_start();
    trimmed.starts_with("{\"events\"")
        && (trimmed.contains("\"uid\"") || trimmed.contains("\"code\""))
        && trimmed.contains("\"event\"")
}

fn is_event(object: &serde_json::Map<String, serde_json::Value>) -> bool {
    let event = object.get("event").and_then(|v| v.as_str());
    let has_code = object
        .get("code")
        .and_then(|v| v.as_str())
        .is_some_and(|c| c.starts_with('T'));
    event.is_some_and(|e| !e.is_empty()) && (object.contains_key("uid") || has_code)
}

/// One Teleport event, read and checked.
#[derive(Debug)]
enum Event {
    Create {
        id: String,
        user: String,
        roles: Vec<String>,
        reason: Option<String>,
        ticket: Option<String>,
        state: Option<State>,
        approver: Option<String>,
        expires: Option<Timestamp>,
    },
    Decision {
        id: String,
        /// Roles the event names itself, for a request whose create event is missing.
        roles: Vec<String>,
        state: State,
        approver: Option<String>,
        expires: Option<Timestamp>,
    },
    Expire {
        id: String,
    },
    Activate {
        ids: Vec<String>,
    },
    Use {
        ids: Vec<String>,
    },
    Lock {
        id: String,
    },
    /// Read, but nothing to record (delete, search, a pending update).
    Ignored,
    Unknown(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Pending,
    Approved,
    Denied,
    Promoted,
}

impl State {
    fn parse(record: &JsonRecord, field: &str) -> Result<Option<State>, ConnectorError> {
        let Some(text) = record.text(field)? else {
            return Ok(None);
        };
        match text.to_ascii_uppercase().as_str() {
            "PENDING" | "NONE" => Ok(Some(State::Pending)),
            "APPROVED" => Ok(Some(State::Approved)),
            "DENIED" => Ok(Some(State::Denied)),
            "PROMOTED" => Ok(Some(State::Promoted)),
            _ => Err(record.field_error(
                field,
                format!(
                    "`{}` is not a request state; expected PENDING, APPROVED, DENIED or PROMOTED",
                    super::error::shorten(&text)
                ),
            )),
        }
    }
}

/// A read event with its time and provenance.
struct Read {
    time: Timestamp,
    event: Event,
    provenance: Provenance,
}

/// Reads a Teleport audit export into grant events (plus one diagnostic counting the
/// events of types residue does not use). JSON Lines, what the file backend writes and what
/// grows to gigabytes, is streamed: each event is reduced to what residue keeps as it is read.
pub(crate) fn read(
    reader: impl std::io::BufRead,
    source: &str,
    file: &str,
) -> Result<Inventory, ConnectorError> {
    let mut read = Vec::new();
    for_each_json_record(reader, file, source, &WRAPPER_KEYS, EXPECTED, |record| {
        read.push(read_event(&record)?);
        Ok(())
    })?;
    Ok(to_inventory(read, source, file))
}

fn read_event(record: &JsonRecord) -> Result<Read, ConnectorError> {
    let kind = record.required_text(
        "event",
        "the Teleport event type, such as access_request.create",
    )?;
    let time = record.required_timestamp("time")?;
    let request_id = || record.required_text("id", "the access request's id");
    let event = match kind.as_str() {
        "access_request.create" => {
            let roles = record.strings("roles")?;
            if roles.is_empty() {
                return Err(
                    record.field_error("roles", "missing or empty; expected the requested roles")
                );
            }
            Event::Create {
                id: request_id()?,
                user: record.required_text("user", "the requesting user")?,
                roles,
                reason: record.text("reason")?,
                ticket: annotation(record, TICKET_ANNOTATION)?,
                state: State::parse(record, "state")?,
                approver: first_text(record, &["reviewer", "updated_by"])?,
                expires: expiry(record)?,
            }
        }
        "access_request.review" | "access_request.update" => {
            let field = if kind == "access_request.review" {
                "proposed_state"
            } else {
                "state"
            };
            let state = match State::parse(record, field)? {
                Some(state) => state,
                // A review names its verdict in `proposed_state`; older ones only in `state`.
                None => State::parse(record, "state")?.ok_or_else(|| {
                    record.field_error(field, "missing; expected APPROVED or DENIED")
                })?,
            };
            let approver_fields: &[&str] = if kind == "access_request.review" {
                &["reviewer", "updated_by"]
            } else {
                &["updated_by", "reviewer"]
            };
            Event::Decision {
                id: request_id()?,
                roles: record.strings("roles")?,
                state,
                approver: first_text(record, approver_fields)?,
                expires: expiry(record)?,
            }
        }
        "access_request.expire" => Event::Expire { id: request_id()? },
        "access_request.delete" | "access_request.search" => Event::Ignored,
        "cert.create" => {
            let ids = record.strings("identity.active_requests")?;
            if ids.is_empty() {
                Event::Ignored
            } else {
                Event::Activate { ids }
            }
        }
        "lock.created" => match record.text("target.access_request")? {
            Some(id) => Event::Lock { id },
            None => Event::Ignored,
        },
        _ => {
            let ids = record.strings("access_requests")?;
            if ids.is_empty() {
                Event::Unknown(kind)
            } else {
                Event::Use { ids }
            }
        }
    };
    Ok(Read {
        time,
        event,
        provenance: record.provenance.clone(),
    })
}

fn first_text(record: &JsonRecord, fields: &[&str]) -> Result<Option<String>, ConnectorError> {
    for field in fields {
        if let Some(text) = record.text(field)? {
            return Ok(Some(text));
        }
    }
    Ok(None)
}

/// The access expiry an event records: `expires`, else `access_expiry`.
fn expiry(record: &JsonRecord) -> Result<Option<Timestamp>, ConnectorError> {
    match record.timestamp("expires")? {
        Some(ts) => Ok(Some(ts)),
        None => record.timestamp("access_expiry"),
    }
}

/// An annotation's value: a string, or the first of a list of strings.
fn annotation(record: &JsonRecord, key: &str) -> Result<Option<String>, ConnectorError> {
    let path = format!("annotations.{key}");
    match record.get(&path) {
        Some(serde_json::Value::Array(_)) => Ok(record.strings(&path)?.into_iter().next()),
        _ => record.text(&path),
    }
}

/// What the log says about one request, gathered before events are emitted so that the
/// order of lines does not matter.
#[derive(Default)]
struct Request {
    user: Option<String>,
    roles: Vec<String>,
    approved: bool,
    /// The latest access expiry recorded (by event time, then provenance).
    expiry: Option<(Timestamp, Timestamp, Provenance)>,
}

fn to_inventory(mut read: Vec<Read>, source: &str, file: &str) -> Inventory {
    // Events in time order (then file order): "first" and "latest" are well defined.
    read.sort_by(|a, b| (a.time, &a.provenance).cmp(&(b.time, &b.provenance)));
    let mut requests: BTreeMap<String, Request> = BTreeMap::new();
    let mut unknown: BTreeMap<String, usize> = BTreeMap::new();
    let note_expiry = |request: &mut Request, expires: Option<Timestamp>, r: &Read| {
        if let Some(end) = expires {
            request.expiry = Some((r.time, end, r.provenance.clone()));
        }
    };
    for r in &read {
        match &r.event {
            Event::Create {
                id,
                user,
                roles,
                state,
                expires,
                ..
            } => {
                let request = requests.entry(id.clone()).or_default();
                if request.user.is_none() {
                    request.user = Some(user.clone());
                    request.roles = roles.clone();
                }
                request.approved |= *state == Some(State::Approved);
                note_expiry(request, *expires, r);
            }
            Event::Decision {
                id,
                roles,
                state,
                expires,
                ..
            } => {
                let request = requests.entry(id.clone()).or_default();
                if request.roles.is_empty() {
                    request.roles = roles.clone();
                }
                request.approved |= *state == State::Approved;
                note_expiry(request, *expires, r);
            }
            Event::Unknown(kind) => *unknown.entry(kind.clone()).or_default() += 1,
            _ => {}
        }
    }

    let mut inventory = Inventory::new();
    let grant_ids = |id: &str| -> Vec<(String, Option<String>)> {
        match requests.get(id).map(|r| r.roles.as_slice()) {
            Some([]) | None => vec![(id.to_string(), None)],
            Some([role]) => vec![(id.to_string(), Some(role.clone()))],
            Some(roles) => roles
                .iter()
                .map(|role| (format!("{id}/{role}"), Some(role.clone())))
                .collect(),
        }
    };
    let mut push = |id: &str, kind: GrantEventKind, r: &Read, fill: &dyn Fn(&mut GrantEvent)| {
        for (grant_id, role) in grant_ids(id) {
            let mut event = GrantEvent {
                grant_id: grant_id.into(),
                event: kind,
                time: r.time,
                principal: None,
                entitlement: role.map(CompactString::from),
                requester: None,
                approver: None,
                justification: None,
                ticket: None,
                window_end: None,
                break_glass: false,
                provenance: r.provenance.clone(),
            };
            fill(&mut event);
            inventory.grant_events.push(event);
        }
    };
    for r in &read {
        match &r.event {
            Event::Create {
                id,
                user,
                reason,
                ticket,
                state,
                approver,
                expires,
                ..
            } => {
                let fill = |e: &mut GrantEvent| {
                    e.principal = Some(user.as_str().into());
                    e.requester = Some(user.as_str().into());
                    e.justification = reason.as_deref().map(CompactString::from);
                    e.ticket = ticket.as_deref().map(CompactString::from);
                    e.window_end = *expires;
                };
                push(id, GrantEventKind::Requested, r, &fill);
                let decision = match state {
                    Some(State::Approved) => Some(GrantEventKind::Approved),
                    Some(State::Denied) => Some(GrantEventKind::Denied),
                    _ => None,
                };
                if let Some(kind) = decision {
                    push(id, kind, r, &|e| {
                        e.approver = approver.as_deref().map(CompactString::from)
                    });
                }
            }
            Event::Decision {
                id,
                state,
                approver,
                expires,
                ..
            } => {
                let kind = match state {
                    State::Approved => GrantEventKind::Approved,
                    State::Denied => GrantEventKind::Denied,
                    State::Pending | State::Promoted => continue,
                };
                push(id, kind, r, &|e| {
                    e.approver = approver.as_deref().map(CompactString::from);
                    e.window_end = *expires;
                });
            }
            Event::Expire { id } => push(id, GrantEventKind::Expired, r, &|_| {}),
            Event::Activate { ids } => {
                for id in ids {
                    push(id, GrantEventKind::Activated, r, &|_| {});
                }
            }
            Event::Use { ids } => {
                for id in ids {
                    push(id, GrantEventKind::Used, r, &|_| {});
                }
            }
            Event::Lock { id } => push(id, GrantEventKind::Revoked, r, &|_| {}),
            Event::Ignored | Event::Unknown(_) => {}
        }
    }
    // Access ends when the certificates expire: one `expired` per approved request.
    for (id, request) in &requests {
        let (true, Some((_, end, provenance))) = (request.approved, &request.expiry) else {
            continue;
        };
        let at = Read {
            time: *end,
            event: Event::Ignored,
            provenance: provenance.clone(),
        };
        push(id, GrantEventKind::Expired, &at, &|_| {});
    }
    if !unknown.is_empty() {
        let total: usize = unknown.values().sum();
        let kinds: Vec<String> = unknown
            .iter()
            .map(|(kind, n)| format!("{} ({n})", super::error::shorten(kind)))
            .collect();
        inventory.diagnostics.push(Diagnostic::info(
            Provenance::new(source, file),
            format!(
                "{total} Teleport events of types that say nothing about access requests were skipped: {}",
                kinds.join(", ")
            ),
        ));
    }
    inventory
}
