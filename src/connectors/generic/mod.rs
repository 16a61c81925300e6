//! The generic formats anyone can produce: an inventory (YAML or JSON) and a grant log
//! (JSON Lines or CSV). docs/formats.md is the reference; in short:
//!
//! ```yaml
//! version: 1
//! identities:
//!   - {id: alice@acme.example, kind: human, member_of: [platform-admins]}
//!   - {id: platform-admins, kind: group}
//! roles:
//!   - {id: prod-admin, permissions: ["*"]}
//! assignments:
//!   - {subject: alice@acme.example, role: prod-admin, kind: eligible}
//! ```
//!
//! ```text
//! {"grant_id": "g-1", "event": "activated", "time": "2026-05-01T10:00:00Z", "principal": "alice@acme.example", "entitlement": "prod-admin", "window_end": "2026-05-01T14:00:00Z"}
//! ```
//!
//! ```text
//! grant_id,event,time,principal,entitlement,window_end,break_glass,x-source
//! g-1,activated,2026-05-01T10:00:00Z,alice@acme.example,prod-admin,2026-05-01T14:00:00Z,no,pim
//! ```
//!
//! Every record carries its provenance: the file, its 1-based line where the scanner in
//! [`locate`] can tell, and a JSON pointer (`/identities/3`) or `record N`.

mod detect;
mod fields;
mod grant_csv;
mod grant_jsonl;
mod inventory;
mod locate;
mod records;
mod text;

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

pub use inventory::parse_inventory_str;

pub(crate) use detect::sniff;
pub(crate) use grant_csv::{read_grant_csv, CSV_EXPECTED};
pub(crate) use grant_jsonl::{read_grant_jsonl, JSONL_EXPECTED};
pub(crate) use inventory::INVENTORY_EXPECTED;
pub(crate) use locate::scan_json;
pub(crate) use text::{decode_utf8, not_utf8, not_utf8_at};
pub(crate) use text::{is_blank, strip_bom, strip_parser_location};

/// The fewest bytes a grant event takes in a log: a line with a grant id, an event kind and
/// an RFC 3339 time, and in practice a principal and an entitlement too.
const LEAST_BYTES_PER_EVENT: u64 = 100;

/// The most events room is made for up front (a quarter of a GiB of events at most).
const MOST_EXPECTED_EVENTS: u64 = 1 << 20;

/// How many events a grant log of `bytes` bytes is likely to hold, to make room for them
/// once: a list of millions of events grown by doubling is copied at every doubling into
/// memory the system must first zero. The estimate errs high (the room not used is never
/// touched, so it costs no memory) and is capped, beyond which the list grows as usual.
pub(crate) fn expected_events(bytes: u64) -> usize {
    usize::try_from((bytes / LEAST_BYTES_PER_EVENT).min(MOST_EXPECTED_EVENTS)).unwrap_or(0)
}
