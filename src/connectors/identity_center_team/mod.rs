//! AWS IAM Identity Center temporary elevated access (TEAM, aws-samples/iam-identity-center-team):
//! the `requests` table, one record per request, as exported.
//!
//! Accepted input, all JSON:
//! - an array of request objects (the GraphQL `listRequests` items, or `jq '.Items'` of a scan);
//! - `{"Items": [...]}`, the output of `aws dynamodb scan --table-name requests-…`, with
//!   DynamoDB's typed attributes (`{"S": "…"}`, `{"N": "2"}`, `{"L": [...]}`, `{"M": {...}}`,
//!   `{"SS": [...]}`, `{"BOOL": true}`, `{"NULL": true}`) or plain values;
//! - `{"items": [...]}` (a GraphQL list response's `items`).
//!
//! ```json
//! {"Items": [{"id": {"S": "5e1c…"}, "email": {"S": "alice@acme.example"}, "accountId": {"S": "111122223333"},
//!   "accountName": {"S": "prod"}, "role": {"S": "AdministratorAccess"}, "roleId": {"S": "arn:aws:sso:::permissionSet/ssoins-1/ps-1"},
//!   "startTime": {"S": "2026-11-10T09:00:00.000Z"}, "duration": {"S": "2"}, "justification": {"S": "INC-42 failover"},
//!   "ticketNo": {"S": "INC-42"}, "status": {"S": "ended"}, "approver": {"S": "bob@acme.example"},
//!   "createdAt": {"S": "2026-11-10T08:55:12.345Z"}, "endTime": {"S": "2026-11-10T11:00:00.000Z"}}]}
//! ```
//!
//! Fields read: `id`, `email` (else `username`), `accountId`, `role` (the permission set's
//! name), `startTime`, `duration` (hours), `status`, `justification`, `ticketNo`, `approver`,
//! `createdAt`, `updatedAt`, `endTime`, `revoker`. The grant id is `id`; the principal
//! `email`; the entitlement `<accountId>:<role>`, the temporary account assignment TEAM
//! creates. Each record becomes grant events by its `status`:
//!
//! | status | grant events |
//! | --- | --- |
//! | every status | `requested` at `createdAt` (else `startTime`), with justification, ticket and window end `startTime + duration` |
//! | `approved`, `scheduled` | + `approved` (approver `approver`) |
//! | `in progress` | + `approved`, `activated` at `startTime` |
//! | `ended` | + `approved`, `activated`, `expired` at `endTime` (else the window end) |
//! | `revoked` | + `approved`, `activated`, `revoked` at `endTime` (else `updatedAt`) |
//! | `rejected` | + `denied` (approver `approver`) |
//! | `pending`, `cancelled`, `expired` (never approved in time), `error` | nothing more |
//!
//! TEAM records no approval time: `approved` is placed at the request time. The assignment
//! itself is not emitted as an inventory assignment: the current assignments come from an
//! Identity Center export, which RV001 holds the grants against. The Auditor page's CSV
//! download rewrites `ended`, `revoked` and `in progress` to `approved`, so it cannot show
//! how access ended: read the table (or write a mapping spec for the CSV, docs/formats.md).

use super::json_records::{describe, read_json_records, JsonRecord};
use super::ConnectorError;
use crate::model::{GrantEvent, GrantEventKind, Inventory, SignedDuration, Timestamp};
use compact_str::CompactString;
use serde_json::{Map, Value};

#[cfg(test)]
mod tests;

/// What a file in this format must contain, for "the file is empty" errors.
pub(crate) const EXPECTED: &str =
    "TEAM request records: a JSON array, {\"Items\": [...]} (DynamoDB scan) or {\"items\": [...]}, each with id, email, accountId, role, startTime, duration and status";

const WRAPPER_KEYS: [&str; 2] = ["Items", "items"];

/// The statuses TEAM writes, lower-case.
const STATUSES: [&str; 10] = [
    "pending",
    "approved",
    "scheduled",
    "in progress",
    "ended",
    "revoked",
    "rejected",
    "cancelled",
    "expired",
    "error",
];

/// Whether `text` looks like TEAM request records: an array or `Items` of objects (plain
/// or typed) with `startTime`, `duration`, `status` and `accountId` or `role` near the start.
pub(crate) fn sniff(text: &str) -> bool {
    let head: String = text.chars().take(4096).collect();
    let has = |key: &str| head.contains(&format!("\"{key}\""));
    let container = head.trim_start().starts_with('[') || has("Items") || has("items");
    container
        && has("startTime")
        && has("duration")
        && has("status")
        && (has("accountId") || has("role"))
}

/// Reads TEAM request records into grant events.
pub(crate) fn parse(bytes: &[u8], source: &str, file: &str) -> Result<Inventory, ConnectorError> {
    let records = read_json_records(bytes, file, source, &WRAPPER_KEYS, EXPECTED)?;
    let mut inventory = Inventory::new();
    for mut record in records {
        let object = std::mem::take(&mut record.object);
        record.object = untype_item(&record, object)?;
        request_events(&record, &mut inventory.grant_events)?;
    }
    Ok(inventory)
}

/// A DynamoDB item with typed attributes, as plain JSON; a plain item unchanged.
fn untype_item(
    record: &JsonRecord,
    object: Map<String, Value>,
) -> Result<Map<String, Value>, ConnectorError> {
    if !object.values().all(is_typed) || object.is_empty() {
        return Ok(object);
    }
    object
        .into_iter()
        .map(|(key, value)| {
            untype(value)
                .map(|v| (key.clone(), v))
                .map_err(|message| record.field_error(&key, message))
        })
        .collect()
}

const TYPE_KEYS: [&str; 9] = ["S", "N", "BOOL", "NULL", "L", "M", "SS", "NS", "B"];

fn is_typed(value: &Value) -> bool {
    matches!(value, Value::Object(map) if map.len() == 1 && map.keys().all(|k| TYPE_KEYS.contains(&k.as_str())))
}

fn untype(value: Value) -> Result<Value, String> {
    let Value::Object(map) = value else {
        return Err(format!(
            "found {}; expected a DynamoDB attribute such as {{\"S\": \"…\"}}",
            describe(&value)
        ));
    };
    let Some((kind, inner)) = map.into_iter().next() else {
        return Err("found an empty object; expected a DynamoDB attribute".into());
    };
    match (kind.as_str(), inner) {
        ("S" | "N" | "BOOL", v @ (Value::String(_) | Value::Bool(_) | Value::Number(_))) => Ok(v),
        ("NULL", _) => Ok(Value::Null),
        ("L", Value::Array(items)) => items
            .into_iter()
            .map(untype)
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array),
        ("SS" | "NS", Value::Array(items)) => Ok(Value::Array(items)),
        ("M", Value::Object(fields)) => fields
            .into_iter()
            .map(|(k, v)| untype(v).map(|v| (k, v)))
            .collect::<Result<Map<_, _>, _>>()
            .map(Value::Object),
        ("B", _) => Ok(Value::Null),
        (kind, other) => Err(format!(
            "the DynamoDB attribute `{kind}` holds {}; expected the value its type names",
            describe(&other)
        )),
    }
}

fn request_events(record: &JsonRecord, out: &mut Vec<GrantEvent>) -> Result<(), ConnectorError> {
    let id = record.required_text("id", "the request's id")?;
    let principal = match (record.text("email")?, record.text("username")?) {
        (Some(email), _) => email,
        (None, Some(username)) => username,
        (None, None) => {
            return Err(record.field_error(
                "email",
                "missing or empty (and so is `username`); expected the requester's email",
            ))
        }
    };
    let account = record.required_text("accountId", "the AWS account id")?;
    let role = record.required_text("role", "the permission set's name")?;
    let start = record.required_timestamp("startTime")?;
    let hours = record.required_text("duration", "the duration in hours, such as \"2\"")?;
    let window = duration_hours(&hours).ok_or_else(|| {
        record.field_error(
            "duration",
            format!(
                "`{}` is not a number of hours; expected a number such as 2 or 0.5",
                super::error::shorten(&hours)
            ),
        )
    })?;
    let window_end = start.checked_add(window).ok();
    let status_text = record.required_text("status", "the request's status")?;
    let status = status_text.to_ascii_lowercase();
    if !STATUSES.contains(&status.as_str()) {
        return Err(record.field_error(
            "status",
            format!(
                "`{}` is not a TEAM status; expected one of {}",
                super::error::shorten(&status_text),
                STATUSES.join(", ")
            ),
        ));
    }
    let created = record.timestamp("createdAt")?.unwrap_or(start);
    let approver = record.text("approver")?;
    let base = GrantEvent {
        grant_id: id.into(),
        event: GrantEventKind::Requested,
        time: created,
        principal: Some(principal.as_str().into()),
        entitlement: Some(compact_str::format_compact!("{account}:{role}")),
        requester: Some(principal.into()),
        approver: None,
        justification: record.text("justification")?.map(CompactString::from),
        ticket: record.text("ticketNo")?.map(CompactString::from),
        window_end,
        break_glass: false,
        provenance: record.provenance.clone(),
    };
    let event = |kind: GrantEventKind, time: Timestamp| GrantEvent {
        event: kind,
        time,
        approver: matches!(kind, GrantEventKind::Approved | GrantEventKind::Denied)
            .then(|| approver.as_deref().map(CompactString::from))
            .flatten(),
        ..base.clone()
    };
    let started = matches!(status.as_str(), "in progress" | "ended" | "revoked");
    if started || matches!(status.as_str(), "approved" | "scheduled") {
        out.push(event(GrantEventKind::Approved, created));
    }
    if status == "rejected" {
        out.push(event(GrantEventKind::Denied, created));
    }
    if started {
        out.push(event(GrantEventKind::Activated, start));
    }
    let end = record.timestamp("endTime")?;
    if status == "ended" {
        if let Some(at) = end.or(window_end) {
            out.push(event(GrantEventKind::Expired, at));
        }
    }
    if status == "revoked" {
        let at = match end {
            Some(at) => at,
            None => record.timestamp("updatedAt")?.ok_or_else(|| {
                record.field_error("endTime", "missing on a revoked request, and so is `updatedAt`; expected when access was revoked")
            })?,
        };
        let mut revoked = event(GrantEventKind::Revoked, at);
        revoked.approver = record.text("revoker")?.map(CompactString::from);
        out.push(revoked);
    }
    out.push(base);
    Ok(())
}

/// `2`, `0.5`, `12` hours (TEAM stores the duration as a string of hours).
fn duration_hours(text: &str) -> Option<SignedDuration> {
    let hours: f64 = text.trim().parse().ok()?;
    if !hours.is_finite() || !(0.0..=24.0 * 366.0).contains(&hours) {
        return None;
    }
    Some(SignedDuration::from_secs((hours * 3600.0).round() as i64))
}
