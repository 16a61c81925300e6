//! AWS CloudTrail: IAM changes become change events, `AssumeRole` calls usage, and changes
//! made by a JIT broker (or elevations that CloudTrail alone records) become grants
//! ([`super::jit`]).
//!
//! Accepted inputs, each a file or a directory tree of them (walked recursively, in sorted
//! order), plain or gzip-compressed (recognised by the gzip magic bytes, not the name):
//! - the S3 delivery file `{"Records": [ {event}, … ]}` (other top-level keys are ignored);
//! - a bare JSON array of records (Stratus Red Team detonation logs, some SIEM exports).
//!
//! ```json
//! {"Records": [{"eventVersion": "1.09", "eventTime": "2026-11-02T10:00:00Z",
//!   "eventSource": "iam.amazonaws.com", "eventName": "AttachUserPolicy",
//!   "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/ops"},
//!   "requestParameters": {"userName": "dev", "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"},
//!   "responseElements": null, "eventID": "7f0c…", "readOnly": false}]}
//! ```
//!
//! Records are read one at a time from the stream; a file of any size needs memory only for
//! the events kept: access changes, `AssumeRole` calls, write calls, and calls signed with a
//! long-term access key (`AKIA…`), each reduced to the few fields residue uses.
//!
//! Change events (`actor` is the user ARN, or for a role session the role's ARN — the session
//! itself is kept in the record's provenance):
//!
//! | eventName | kind | target | entitlement |
//! |---|---|---|---|
//! | Attach{User,Role,Group}Policy / Detach… | permission-granted / -revoked | the user, role or group ARN | the policy ARN |
//! | Put{User,Role,Group}Policy / Delete… | permission-granted / -revoked | the owner ARN | `OWNER_ARN#inline/NAME` |
//! | AddUserToGroup / RemoveUserFromGroup | permission-granted / -revoked | the user ARN | the group ARN |
//! | CreateAccessKey / DeleteAccessKey | credential-created / -deleted | the key id `AKIA…` | the user ARN the key acts as |
//! | UpdateAccessKey | credential-deleted (Inactive), other (Active) | the key id | the user ARN |
//! | CreateLoginProfile, UpdateLoginProfile / DeleteLoginProfile | credential-created / -deleted | `USER_ARN#password` | the user ARN |
//! | UpdateAssumeRolePolicy | trust-changed | the role ARN | — |
//! | CreatePolicyVersion (setAsDefault) / SetDefaultPolicyVersion | permission-granted | the policy ARN | the policy ARN |
//! | CreatePolicyVersion (not default) | other | the policy ARN | the policy ARN |
//! | TagUser / TagRole, UntagUser / UntagRole | other | the user or role ARN | `ARN#tag/KEY=VALUE` (untag: `ARN#tag/KEY`) |
//! | CreateUser / DeleteUser, CreateRole / DeleteRole | identity- / role-created / -deleted | the ARN | — |
//! | AssumeRole, AssumeRoleWithSAML, AssumeRoleWithWebIdentity | other (usage) | the role ARN | the role ARN |
//!
//! Credential ids: CloudTrail names access keys by id, the credential report by slot
//! (`USER_ARN#access-key-1`). The change event's entitlement carries the key's user, so a
//! reader reconciles the two by owner and creation time (the report's `last_rotated` of a
//! slot is the `eventTime` of the `CreateAccessKey` that filled it); SC003 does exactly this.
//!
//! IAM ARNs are rebuilt from the names in `requestParameters` and the account
//! (`recipientAccountId`), without a path: a user or role created under a path
//! (`/team/alice`) is named `user/alice` here. A call with `errorCode` did not happen: it is
//! skipped and counted in a diagnostic. Text dates inside `responseElements` (`"Jul 30, 2024
//! 9:53:13 PM"`, STS `"Aug 2, 2024, 8:45:00 AM"`) are parsed by [`parse_text_date`] only to
//! check them; ordering always uses `eventTime`. The secret part of a created access key
//! (`responseElements.accessKey.secretAccessKey`) is never read into any record or message.

use super::jit;
use crate::connectors::error::{line_column_location, ConnectorError};
use crate::connectors::ConnectorSettings;
use crate::model::time::parse_timestamp;
use crate::model::{
    ChangeEvent, ChangeKind, CoverageGap, Diagnostic, Inventory, Provenance, Timestamp,
};
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

/// What a CloudTrail source must contain, for "the file is empty" errors.
pub const EXPECTED: &str = "CloudTrail records: `{\"Records\": [...]}` as delivered to S3 (optionally gzipped), or a JSON array of records";

/// True when `text` (the start of a decompressed file) looks like CloudTrail.
pub fn sniff(text: &str) -> bool {
    let t = text.trim_start();
    if let Some(rest) = t.strip_prefix('{') {
        return rest.trim_start().starts_with("\"Records\"");
    }
    if t.starts_with('[') {
        return ["\"eventName\"", "\"eventSource\"", "\"eventTime\""]
            .iter()
            .all(|k| t.contains(k));
    }
    false
}

/// True when the bytes start with the gzip magic number.
pub fn is_gzip(prefix: &[u8]) -> bool {
    prefix.starts_with(&[0x1f, 0x8b])
}

/// True when the gzip file at `path` decompresses to CloudTrail (reads at most 64 KiB of it).
pub fn sniff_gzip(path: &Path) -> bool {
    let Ok(file) = std::fs::File::open(path) else {
        return false;
    };
    let mut text = Vec::new();
    let decoder = flate2::read::MultiGzDecoder::new(BufReader::new(file));
    // A stream truncated inside the first 64 KiB still says what it is.
    let _ = decoder.take(64 * 1024).read_to_end(&mut text);
    let valid = match std::str::from_utf8(&text) {
        Ok(t) => t,
        Err(e) => std::str::from_utf8(&text[..e.valid_up_to()]).unwrap_or(""),
    };
    sniff(valid)
}

/// One action a CloudTrail event had on access, for grant reconstruction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Effect {
    /// `principal` received `entitlement`.
    Grant {
        principal: String,
        entitlement: String,
    },
    /// `principal` lost `entitlement`; with `prefix`, every entitlement starting with it (a
    /// tag key removed, whatever its value).
    Revoke {
        principal: String,
        entitlement: String,
        prefix: bool,
    },
}

/// A CloudTrail record reduced to what residue uses.
#[derive(Debug, Clone)]
pub(crate) struct TrailEvent {
    pub time: Timestamp,
    /// `eventID`, or the record's location when the record has none.
    pub id: String,
    pub name: String,
    /// The user ARN, or the role ARN for a role session, or what else names the caller.
    pub actor: String,
    /// The long-term (`AKIA…`) access key the call was signed with.
    pub access_key: Option<String>,
    pub read_only: bool,
    /// For AssumeRole calls: the role assumed.
    pub assumed_role: Option<String>,
    pub changes: Vec<ChangeEvent>,
    pub effects: Vec<Effect>,
    pub provenance: Provenance,
}

/// Counts of what a source held besides access changes, for the summary diagnostics.
#[derive(Default)]
struct Tally {
    records: usize,
    failed: BTreeMap<String, usize>,
    unresolved: usize,
}

/// Reads a CloudTrail file, or every file under a directory, into change events and the
/// grant events JIT brokers' changes imply.
pub fn load(
    path: &Path,
    display: &str,
    source: &str,
    settings: &ConnectorSettings,
) -> Result<Inventory, ConnectorError> {
    let files = files_of(path, display)?;
    let mut events = Vec::new();
    let mut inventory = Inventory::new();
    for (file, shown) in &files {
        let mut tally = Tally::default();
        let at = Provenance::new(source, shown.as_str());
        if let Err(e) = read_file(file, shown, source, &mut events, &mut tally) {
            // One file of a directory that cannot be read to the end (truncated, corrupt,
            // unreadable) leaves the rest of the trail worth auditing: the records before
            // the failure are kept, and the audit says exactly what is missing.
            if !path.is_dir() {
                return Err(e);
            }
            let full = e.to_string();
            let what = full
                .strip_prefix(&format!("{shown}: "))
                .unwrap_or(&full)
                .to_string();
            inventory.gaps.push(CoverageGap {
                provenance: at,
                message: format!(
                    "{what}; its {} record(s) before that point were read, whatever follows is missing from this audit",
                    tally.records
                ),
            });
            continue;
        }
        for (code, n) in &tally.failed {
            inventory.diagnostics.push(Diagnostic::info(
                at.clone(),
                format!("{n} access-changing call(s) failed with {code} and changed nothing; they are not counted as changes"),
            ));
        }
        if tally.unresolved > 0 {
            inventory.diagnostics.push(Diagnostic::warning(
                at.clone(),
                format!("{} record(s) changed access but lacked the names residue needs (a user, role, group or policy); they are not counted", tally.unresolved),
            ));
        }
        if tally.records == 0 {
            inventory
                .diagnostics
                .push(Diagnostic::info(at, "the file holds no CloudTrail records"));
        }
    }
    // Files may overlap or come in any order: order by time, then where each was read.
    events.sort_by(|a: &TrailEvent, b: &TrailEvent| {
        (a.time, &a.provenance).cmp(&(b.time, &b.provenance))
    });
    let (grants, diagnostics) = jit::grant_events(&events, &settings.jit_brokers);
    inventory.grant_events = grants;
    inventory.diagnostics.extend(diagnostics);
    inventory.change_events = events.into_iter().flat_map(|e| e.changes).collect();
    Ok(inventory)
}

/// The files a source path names: itself, or every regular file under it, sorted.
fn files_of(path: &Path, display: &str) -> Result<Vec<(PathBuf, String)>, ConnectorError> {
    if !path.is_dir() {
        return Ok(vec![(path.to_path_buf(), display.to_string())]);
    }
    let mut out = Vec::new();
    walk(path, Path::new(""), display, &mut out)?;
    if out.is_empty() {
        return Err(ConnectorError::empty(
            display,
            format!("a directory of {EXPECTED}"),
        ));
    }
    Ok(out)
}

fn walk(
    dir: &Path,
    relative: &Path,
    display: &str,
    out: &mut Vec<(PathBuf, String)>,
) -> Result<(), ConnectorError> {
    let shown_dir = Path::new(display).join(relative).display().to_string();
    let io = |e: std::io::Error| ConnectorError::io(&shown_dir, &e);
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .map_err(io)?
        .collect::<Result<_, _>>()
        .map_err(io)?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let name = entry.file_name();
        if name.to_string_lossy().starts_with('.') {
            continue;
        }
        let path = entry.path();
        let rel = relative.join(&name);
        let meta = std::fs::symlink_metadata(&path).map_err(io)?;
        if meta.is_dir() {
            walk(&path, &rel, display, out)?;
        } else if meta.is_file() || (meta.file_type().is_symlink() && !path.is_dir()) {
            // A link to a file is read; a dangling one fails to open and becomes a coverage
            // gap. Links to directories are not followed (no loop can trap the walk).
            out.push((path, Path::new(display).join(&rel).display().to_string()));
        }
    }
    Ok(())
}

/// Streams one file's records into `events`.
fn read_file(
    path: &Path,
    display: &str,
    source: &str,
    events: &mut Vec<TrailEvent>,
    tally: &mut Tally,
) -> Result<(), ConnectorError> {
    let mut file = std::fs::File::open(path).map_err(|e| ConnectorError::io(display, &e))?;
    let mut magic = [0u8; 2];
    let n = read_prefix(&mut file, &mut magic).map_err(|e| ConnectorError::io(display, &e))?;
    if n == 0 {
        return Err(ConnectorError::empty(display, EXPECTED));
    }
    let head = std::io::Cursor::new(magic[..n].to_vec());
    let chained = head.chain(file);
    let reader: Box<dyn Read> = if is_gzip(&magic[..n]) {
        Box::new(flate2::read::MultiGzDecoder::new(BufReader::new(chained)))
    } else {
        Box::new(chained)
    };
    let ctx = FileContext {
        display,
        source,
        gzip: is_gzip(&magic[..n]),
        failure: RefCell::new(None),
        current: RefCell::new(String::new()),
        events: RefCell::new(events),
        tally: RefCell::new(tally),
    };
    let mut de = serde_json::Deserializer::from_reader(BufReader::new(reader));
    let result = TopLevel { ctx: &ctx }
        .deserialize(&mut de)
        .and_then(|()| de.end());
    if let Err(e) = result {
        if let Some(failure) = ctx.failure.borrow_mut().take() {
            return Err(failure);
        }
        return Err(json_error(&ctx, &e));
    }
    Ok(())
}

fn read_prefix(file: &mut std::fs::File, buf: &mut [u8; 2]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        let read = file.read(&mut buf[n..])?;
        if read == 0 {
            break;
        }
        n += read;
    }
    Ok(n)
}

/// A parse error as a user can act on it.
fn json_error(ctx: &FileContext<'_>, e: &serde_json::Error) -> ConnectorError {
    let inside = ctx.current.borrow().clone();
    let within = if inside.is_empty() {
        String::new()
    } else {
        format!(" (in {inside})")
    };
    let place = if e.line() == 0 {
        "end of file".to_string()
    } else {
        line_column_location(e.line() as u64, e.column() as u64)
    };
    let location = if ctx.gzip {
        format!("decompressed {place}")
    } else {
        place
    };
    let message = match e.classify() {
        serde_json::error::Category::Io => format!(
            "the {} cannot be read to the end ({}){within}: is it truncated? expected {EXPECTED}",
            if ctx.gzip { "gzip stream" } else { "file" },
            super::credential_report::without_location(&e.to_string())
        ),
        serde_json::error::Category::Eof => {
            format!("the JSON ends early{within}: the file is truncated; expected {EXPECTED}")
        }
        _ => format!(
            "not valid CloudTrail JSON{within}: {}; expected {EXPECTED}",
            super::credential_report::without_location(&e.to_string())
        ),
    };
    ConnectorError::invalid(ctx.display, location, message)
}

struct FileContext<'a> {
    display: &'a str,
    source: &'a str,
    gzip: bool,
    /// An error found while handling a record (serde only carries a string).
    failure: RefCell<Option<ConnectorError>>,
    /// The JSON pointer of the record being read, for errors.
    current: RefCell<String>,
    events: RefCell<&'a mut Vec<TrailEvent>>,
    tally: RefCell<&'a mut Tally>,
}

impl FileContext<'_> {
    fn fail<E: de::Error>(&self, error: ConnectorError) -> E {
        let text = error.to_string();
        *self.failure.borrow_mut() = Some(error);
        E::custom(text)
    }
}

/// The document: `{"Records": [...]}` or `[...]`.
struct TopLevel<'c, 'a> {
    ctx: &'c FileContext<'a>,
}

impl<'de> DeserializeSeed<'de> for TopLevel<'_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for TopLevel<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object with a `Records` array, or an array of CloudTrail records")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen = false;
        while let Some(key) = map.next_key::<String>()? {
            if key == "Records" {
                seen = true;
                map.next_value_seed(Records {
                    ctx: self.ctx,
                    base: "/Records",
                })?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        if !seen {
            return Err(self.ctx.fail(ConnectorError::invalid(
                self.ctx.display,
                "/Records",
                format!("missing: expected {EXPECTED}"),
            )));
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        Records {
            ctx: self.ctx,
            base: "",
        }
        .visit_seq(seq)
    }
}

/// The records array, read one record at a time.
struct Records<'c, 'a> {
    ctx: &'c FileContext<'a>,
    base: &'static str,
}

impl<'de> DeserializeSeed<'de> for Records<'_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Records<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of CloudTrail records")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut index = 0usize;
        loop {
            let pointer = format!("{}/{index}", self.base);
            *self.ctx.current.borrow_mut() = pointer.clone();
            let Some(record) = seq.next_element::<Value>()? else {
                break;
            };
            let provenance = Provenance::new(self.ctx.source, self.ctx.display);
            let mut tally = self.ctx.tally.borrow_mut();
            tally.records += 1;
            match read_record(&record, &pointer, provenance, self.ctx.display, &mut tally) {
                Ok(Some(event)) => self.ctx.events.borrow_mut().push(event),
                Ok(None) => {}
                Err(e) => return Err(self.ctx.fail(e)),
            }
            index += 1;
        }
        self.ctx.current.borrow_mut().clear();
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, _map: A) -> Result<(), A::Error> {
        Err(self.ctx.fail(ConnectorError::invalid(
            self.ctx.display,
            self.base,
            "expected an array of CloudTrail records, found an object",
        )))
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Err(self.ctx.fail(ConnectorError::invalid(
            self.ctx.display,
            self.base,
            "expected an array of CloudTrail records, found null",
        )))
    }

    fn visit_str<E: de::Error>(self, _v: &str) -> Result<(), E> {
        Err(self.ctx.fail(ConnectorError::invalid(
            self.ctx.display,
            self.base,
            "expected an array of CloudTrail records, found a string",
        )))
    }
}

/// A required string field of a record.
fn required_str<'v>(
    record: &'v Value,
    key: &str,
    pointer: &str,
    display: &str,
) -> Result<&'v str, ConnectorError> {
    match record.get(key) {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(s),
        Some(Value::String(_)) | None | Some(Value::Null) => Err(ConnectorError::invalid(
            display,
            format!("{pointer}/{key}"),
            format!("missing: every CloudTrail record has `{key}`"),
        )),
        Some(_) => Err(ConnectorError::invalid(
            display,
            format!("{pointer}/{key}"),
            "expected a string",
        )),
    }
}

fn str_at<'v>(value: &'v Value, path: &str) -> Option<&'v str> {
    value
        .pointer(path)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

/// `true`, `"true"` (CloudTrail writes some booleans as strings).
fn bool_at(value: &Value, path: &str) -> Option<bool> {
    match value.pointer(path)? {
        Value::Bool(b) => Some(*b),
        Value::String(s) => match s.to_ascii_lowercase().as_str() {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// Who made the call: `(actor, session)`. For a role session the actor is the role's ARN
/// (`sessionContext.sessionIssuer.arn`) and the session the `assumed-role` ARN.
fn caller(record: &Value) -> (String, Option<String>) {
    let arn = str_at(record, "/userIdentity/arn");
    let kind = str_at(record, "/userIdentity/type").unwrap_or("");
    if kind == "AssumedRole" {
        let issuer = str_at(record, "/userIdentity/sessionContext/sessionIssuer/arn")
            .map(str::to_string)
            .or_else(|| {
                let session = super::arn::Arn::parse(arn?).ok()?;
                let name = session.assumed_role_name()?;
                Some(format!(
                    "arn:{}:iam::{}:role/{name}",
                    session.partition, session.account
                ))
            });
        if let Some(role) = issuer {
            return (role, arn.map(str::to_string));
        }
    }
    if let Some(arn) = arn {
        return (arn.to_string(), None);
    }
    let fallback = str_at(record, "/userIdentity/invokedBy")
        .map(|s| format!("service:{s}"))
        .or_else(|| str_at(record, "/userIdentity/principalId").map(str::to_string))
        .or_else(|| str_at(record, "/userIdentity/userName").map(str::to_string))
        .unwrap_or_else(|| {
            if kind.is_empty() {
                "unknown".to_string()
            } else {
                format!("unknown ({kind})")
            }
        });
    (fallback, None)
}

/// Names an IAM entity of the record's account: `arn:PARTITION:iam::ACCOUNT:KIND/NAME`.
struct Namer {
    partition: String,
    account: String,
}

impl Namer {
    fn of(record: &Value, actor: &str) -> Namer {
        let parsed = super::arn::Arn::parse(actor).ok();
        let partition = parsed
            .as_ref()
            .map(|a| a.partition.clone())
            .unwrap_or_else(|| "aws".to_string());
        let account = str_at(record, "/recipientAccountId")
            .or_else(|| str_at(record, "/userIdentity/accountId"))
            .map(str::to_string)
            .or_else(|| parsed.map(|a| a.account))
            .unwrap_or_default();
        Namer { partition, account }
    }

    fn iam(&self, kind: &str, name: &str) -> String {
        format!("arn:{}:iam::{}:{kind}/{name}", self.partition, self.account)
    }
}

/// Access-changing calls, for counting failures.
fn changes_access(name: &str) -> bool {
    const PREFIXES: [&str; 14] = [
        "Attach",
        "Detach",
        "Put",
        "Delete",
        "AddUserToGroup",
        "RemoveUserFromGroup",
        "Create",
        "Update",
        "Tag",
        "Untag",
        "SetDefaultPolicyVersion",
        "AssumeRole",
        "Remove",
        "Add",
    ];
    PREFIXES.iter().any(|p| name.starts_with(p))
}

/// Reduces one record; `None` for a record residue keeps nothing of (a read-only call by a
/// temporary or unknown credential, or a failed call).
fn read_record(
    record: &Value,
    pointer: &str,
    base: Provenance,
    display: &str,
    tally: &mut Tally,
) -> Result<Option<TrailEvent>, ConnectorError> {
    if !record.is_object() {
        return Err(ConnectorError::invalid(
            display,
            pointer,
            "expected a CloudTrail record (a JSON object)",
        ));
    }
    let raw_time = required_str(record, "eventTime", pointer, display)?;
    let time = parse_timestamp(raw_time).map_err(|e| {
        ConnectorError::invalid(display, format!("{pointer}/eventTime"), e.to_string())
    })?;
    let name = required_str(record, "eventName", pointer, display)?.to_string();
    let source_service = str_at(record, "/eventSource").unwrap_or("");
    if let Some(code) = str_at(record, "/errorCode") {
        if changes_access(&name) {
            *tally.failed.entry(code.to_string()).or_default() += 1;
        }
        return Ok(None);
    }
    let (actor, session) = caller(record);
    let event_id = str_at(record, "/eventID")
        .map(str::to_string)
        .unwrap_or_else(|| format!("{display}#{pointer}"));
    let record_label = match &session {
        Some(session) => format!("{pointer} (eventID {event_id}, session {session})"),
        None => format!("{pointer} (eventID {event_id})"),
    };
    let provenance = base.with_record(record_label);
    let read_only = bool_at(record, "/readOnly").unwrap_or(false);
    let access_key = str_at(record, "/userIdentity/accessKeyId")
        .filter(|k| k.starts_with("AKIA"))
        .map(str::to_string);
    let namer = Namer::of(record, &actor);
    let mut event = TrailEvent {
        time,
        id: event_id,
        name: name.clone(),
        actor,
        access_key,
        read_only,
        assumed_role: None,
        changes: Vec::new(),
        effects: Vec::new(),
        provenance,
    };
    let params = record.get("requestParameters").unwrap_or(&Value::Null);
    match source_service {
        "iam.amazonaws.com" if !iam_change(&mut event, params, record, &namer) => {
            tally.unresolved += 1;
        }
        "sts.amazonaws.com" if name.starts_with("AssumeRole") => {
            if let Some(role) = str_at(params, "/roleArn") {
                event.assumed_role = Some(role.to_string());
                event.changes.push(change(
                    &event,
                    ChangeKind::Other,
                    role.to_string(),
                    Some(role.to_string()),
                ));
            } else {
                tally.unresolved += 1;
            }
        }
        _ => {}
    }
    let keep = !event.changes.is_empty()
        || !event.read_only
        || event.access_key.is_some()
        || event.name == "ConsoleLogin";
    Ok(keep.then_some(event))
}

fn change(
    event: &TrailEvent,
    kind: ChangeKind,
    target: String,
    entitlement: Option<String>,
) -> ChangeEvent {
    ChangeEvent {
        time: event.time,
        actor: event.actor.clone(),
        kind,
        action: event.name.clone(),
        target,
        entitlement,
        provenance: event.provenance.clone(),
    }
}

/// Adds the change events and effects of an IAM call; false when the call changes access
/// but lacks the names to say what changed.
fn iam_change(event: &mut TrailEvent, params: &Value, record: &Value, namer: &Namer) -> bool {
    use ChangeKind::*;
    let name = event.name.clone();
    let user = str_at(params, "/userName").map(|n| namer.iam("user", n));
    let role = str_at(params, "/roleName").map(|n| namer.iam("role", n));
    let group = str_at(params, "/groupName").map(|n| namer.iam("group", n));
    let policy_arn = str_at(params, "/policyArn").map(str::to_string);
    let policy_name = str_at(params, "/policyName");
    // The owner of a per-entity call: which of user/role/group the name says.
    let owner = match () {
        _ if name.contains("User") => user.clone(),
        _ if name.contains("Role") => role.clone(),
        _ if name.contains("Group") => group.clone(),
        _ => None,
    };
    let grant = |event: &mut TrailEvent, kind: ChangeKind, target: String, entitlement: String| {
        event.changes.push(change(
            event,
            kind,
            target.clone(),
            Some(entitlement.clone()),
        ));
        match kind {
            PermissionGranted => event.effects.push(Effect::Grant {
                principal: target,
                entitlement,
            }),
            PermissionRevoked => event.effects.push(Effect::Revoke {
                principal: target,
                entitlement,
                prefix: false,
            }),
            _ => {}
        }
    };
    match name.as_str() {
        "AttachUserPolicy" | "AttachRolePolicy" | "AttachGroupPolicy" | "DetachUserPolicy"
        | "DetachRolePolicy" | "DetachGroupPolicy" => {
            let (Some(owner), Some(policy)) = (owner, policy_arn) else {
                return false;
            };
            let kind = if name.starts_with("Attach") {
                PermissionGranted
            } else {
                PermissionRevoked
            };
            grant(event, kind, owner, policy);
        }
        "PutUserPolicy" | "PutRolePolicy" | "PutGroupPolicy" | "DeleteUserPolicy"
        | "DeleteRolePolicy" | "DeleteGroupPolicy" => {
            let (Some(owner), Some(policy)) = (owner, policy_name) else {
                return false;
            };
            let kind = if name.starts_with("Put") {
                PermissionGranted
            } else {
                PermissionRevoked
            };
            let entitlement = format!("{owner}#inline/{policy}");
            grant(event, kind, owner, entitlement);
        }
        "AddUserToGroup" | "RemoveUserFromGroup" => {
            let (Some(user), Some(group)) = (user, group) else {
                return false;
            };
            let kind = if name.starts_with("Add") {
                PermissionGranted
            } else {
                PermissionRevoked
            };
            grant(event, kind, user, group);
        }
        "CreateAccessKey" => {
            // Without a userName the caller created a key for itself.
            let owner = user.unwrap_or_else(|| event.actor.clone());
            let Some(key) = str_at(record, "/responseElements/accessKey/accessKeyId") else {
                return false;
            };
            event.changes.push(change(
                event,
                CredentialCreated,
                key.to_string(),
                Some(owner.clone()),
            ));
            event.effects.push(Effect::Grant {
                principal: owner,
                entitlement: key.to_string(),
            });
        }
        "DeleteAccessKey" | "UpdateAccessKey" => {
            let owner = user.unwrap_or_else(|| event.actor.clone());
            let Some(key) = str_at(params, "/accessKeyId") else {
                return false;
            };
            let deactivated = name == "DeleteAccessKey"
                || str_at(params, "/status").is_some_and(|s| s.eq_ignore_ascii_case("Inactive"));
            let kind = if deactivated {
                CredentialDeleted
            } else {
                Other
            };
            event
                .changes
                .push(change(event, kind, key.to_string(), Some(owner.clone())));
            if deactivated {
                event.effects.push(Effect::Revoke {
                    principal: owner,
                    entitlement: key.to_string(),
                    prefix: false,
                });
            }
        }
        "CreateLoginProfile" | "UpdateLoginProfile" | "DeleteLoginProfile" => {
            let Some(user) = user else {
                return false;
            };
            let password = format!("{user}#password");
            let kind = if name == "DeleteLoginProfile" {
                CredentialDeleted
            } else {
                CredentialCreated
            };
            event
                .changes
                .push(change(event, kind, password.clone(), Some(user.clone())));
            match name.as_str() {
                "CreateLoginProfile" => event.effects.push(Effect::Grant {
                    principal: user,
                    entitlement: password,
                }),
                "DeleteLoginProfile" => event.effects.push(Effect::Revoke {
                    principal: user,
                    entitlement: password,
                    prefix: false,
                }),
                _ => {}
            }
        }
        "UpdateAssumeRolePolicy" => {
            let Some(role) = role else {
                return false;
            };
            event.changes.push(change(event, TrustChanged, role, None));
        }
        "CreatePolicyVersion" | "SetDefaultPolicyVersion" => {
            let Some(policy) = policy_arn else {
                return false;
            };
            let becomes_default = name == "SetDefaultPolicyVersion"
                || bool_at(params, "/setAsDefault").unwrap_or(false);
            let kind = if becomes_default {
                PermissionGranted
            } else {
                Other
            };
            event
                .changes
                .push(change(event, kind, policy.clone(), Some(policy)));
        }
        "TagUser" | "TagRole" | "UntagUser" | "UntagRole" => {
            let Some(owner) = owner else {
                return false;
            };
            if name.starts_with("Tag") {
                let Some(tags) = params.get("tags").and_then(Value::as_array) else {
                    return false;
                };
                for tag in tags {
                    let (Some(key), Some(value)) = (
                        str_at(tag, "/key"),
                        tag.get("value").and_then(Value::as_str),
                    ) else {
                        continue;
                    };
                    let entitlement = format!("{owner}#tag/{key}={value}");
                    event.changes.push(change(
                        event,
                        Other,
                        owner.clone(),
                        Some(entitlement.clone()),
                    ));
                    event.effects.push(Effect::Grant {
                        principal: owner.clone(),
                        entitlement,
                    });
                }
            } else {
                let Some(keys) = params.get("tagKeys").and_then(Value::as_array) else {
                    return false;
                };
                for key in keys.iter().filter_map(Value::as_str) {
                    event.changes.push(change(
                        event,
                        Other,
                        owner.clone(),
                        Some(format!("{owner}#tag/{key}")),
                    ));
                    event.effects.push(Effect::Revoke {
                        principal: owner.clone(),
                        entitlement: format!("{owner}#tag/{key}="),
                        prefix: true,
                    });
                }
            }
        }
        "CreateUser" | "DeleteUser" => {
            let Some(user) = user else {
                return false;
            };
            let kind = if name == "CreateUser" {
                IdentityCreated
            } else {
                IdentityDeleted
            };
            event.changes.push(change(event, kind, user, None));
        }
        "CreateRole" | "DeleteRole" => {
            let Some(role) = role else {
                return false;
            };
            let kind = if name == "CreateRole" {
                RoleCreated
            } else {
                RoleDeleted
            };
            event.changes.push(change(event, kind, role, None));
        }
        _ => {}
    }
    // Text dates in the response are checked, never trusted for ordering.
    if let Some(text) = str_at(record, "/responseElements/accessKey/createDate") {
        let _ = parse_text_date(text);
    }
    true
}

/// Parses the Java text dates CloudTrail writes inside `responseElements`: IAM
/// `"Aug 1, 2024 1:37:41 PM"` and STS `"Aug 2, 2024, 8:45:00 AM"` (always UTC). `None` when
/// the text is in neither shape.
pub fn parse_text_date(text: &str) -> Option<Timestamp> {
    let cleaned = text.replace(',', " ");
    let parts: Vec<&str> = cleaned.split_whitespace().collect();
    let [month, day, year, clock, meridiem] = parts.as_slice() else {
        return None;
    };
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let month = MONTHS.iter().position(|m| m.eq_ignore_ascii_case(month))? as i8 + 1;
    let day: i8 = day.parse().ok()?;
    let year: i16 = year.parse().ok()?;
    let mut hms = clock.split(':');
    let (Some(h), Some(m), Some(s), None) = (hms.next(), hms.next(), hms.next(), hms.next()) else {
        return None;
    };
    let (h, m, s): (i8, i8, i8) = (h.parse().ok()?, m.parse().ok()?, s.parse().ok()?);
    if !(1..=12).contains(&h) {
        return None;
    }
    let hour = match meridiem.to_ascii_uppercase().as_str() {
        "AM" => h % 12,
        "PM" => h % 12 + 12,
        _ => return None,
    };
    let dt = jiff::civil::DateTime::new(year, month, day, hour, m, s, 0).ok()?;
    jiff::tz::TimeZone::UTC.to_timestamp(dt).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn ts(s: &str) -> Timestamp {
        parse_timestamp(s).unwrap()
    }

    #[test]
    fn text_dates_in_both_shapes() {
        assert_eq!(
            parse_text_date("Aug 1, 2024 1:37:41 PM"),
            Some(ts("2024-08-01T13:37:41Z"))
        );
        assert_eq!(
            parse_text_date("Aug 2, 2024, 8:45:00 AM"),
            Some(ts("2024-08-02T08:45:00Z"))
        );
        assert_eq!(
            parse_text_date("Apr 25, 2023 12:46:02 AM"),
            Some(ts("2023-04-25T00:46:02Z"))
        );
        assert_eq!(
            parse_text_date("Dec 31, 2024 12:00:00 PM"),
            Some(ts("2024-12-31T12:00:00Z"))
        );
        for bad in [
            "",
            "2024-08-01",
            "Foo 1, 2024 1:00:00 PM",
            "Aug 1, 2024 13:00:00 PM",
            "Feb 30, 2024 1:00:00 AM",
        ] {
            assert_eq!(parse_text_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn sniffing_envelopes() {
        assert!(sniff("{\n  \"Records\": ["));
        assert!(sniff(
            "[{\"eventName\": \"X\", \"eventSource\": \"iam\", \"eventTime\": \"t\"}]"
        ));
        assert!(!sniff("{\"identities\": []}"));
        assert!(!sniff("[1, 2]"));
        assert!(is_gzip(&[0x1f, 0x8b, 8]));
    }

    fn record(name: &str, params: &str, extra: &str) -> String {
        format!(
            r#"{{"eventVersion": "1.09", "eventTime": "2026-11-02T10:00:00Z", "eventSource": "iam.amazonaws.com",
               "eventName": "{name}", "userIdentity": {{"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/ops", "accountId": "111122223333"}},
               "requestParameters": {params}, "responseElements": null, "eventID": "e-{name}", "readOnly": false,
               "recipientAccountId": "111122223333"{extra}}}"#
        )
    }

    fn load_text(text: &str) -> Result<Inventory, ConnectorError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("trail.json");
        std::fs::write(&path, text).unwrap();
        load(&path, "trail.json", "ct", &ConnectorSettings::default())
    }

    #[test]
    fn iam_changes_become_change_events() {
        let text = format!(
            "{{\"Records\": [{}, {}, {}, {}]}}",
            record(
                "AttachUserPolicy",
                r#"{"userName": "dev", "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}"#,
                ""
            ),
            record(
                "AddUserToGroup",
                r#"{"userName": "dev", "groupName": "admins"}"#,
                ""
            ),
            record(
                "DetachUserPolicy",
                r#"{"userName": "dev", "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}"#,
                r#", "errorCode": "AccessDenied""#
            ),
            record(
                "PutRolePolicy",
                r#"{"roleName": "app", "policyName": "extra", "policyDocument": "{}"}"#,
                ""
            ),
        );
        let inv = load_text(&text).unwrap();
        let summary: Vec<(ChangeKind, &str, Option<&str>)> = inv
            .change_events
            .iter()
            .map(|c| (c.kind, c.target.as_str(), c.entitlement.as_deref()))
            .collect();
        assert_eq!(
            summary,
            [
                (
                    ChangeKind::PermissionGranted,
                    "arn:aws:iam::111122223333:user/dev",
                    Some("arn:aws:iam::aws:policy/AdministratorAccess")
                ),
                (
                    ChangeKind::PermissionGranted,
                    "arn:aws:iam::111122223333:user/dev",
                    Some("arn:aws:iam::111122223333:group/admins")
                ),
                (
                    ChangeKind::PermissionGranted,
                    "arn:aws:iam::111122223333:role/app",
                    Some("arn:aws:iam::111122223333:role/app#inline/extra")
                ),
            ]
        );
        assert_eq!(
            inv.change_events[0].actor,
            "arn:aws:iam::111122223333:user/ops"
        );
        assert_eq!(
            inv.change_events[0].provenance.record.as_deref(),
            Some("/Records/0 (eventID e-AttachUserPolicy)")
        );
        // The failed detach is counted, not taken for a revocation.
        assert!(inv.diagnostics.iter().any(|d| d
            .message
            .starts_with("1 access-changing call(s) failed with AccessDenied")));
        // No broker configured, and nothing was detached: no grants.
        assert!(inv.grant_events.is_empty());
    }

    #[test]
    fn missing_or_null_optional_parts_are_counted_not_fatal() {
        let null_params = record("AttachUserPolicy", "null", "");
        let no_tags = record("TagUser", r#"{"userName": "dev"}"#, "");
        let no_identity = record("AddUserToGroup", r#"{"userName": "dev", "groupName": "ops"}"#, "")
            .replace(
                r#""userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/ops", "accountId": "111122223333"},"#,
                "",
            );
        let string_bool = record("GetUser", "{}", "")
            .replace(r#""readOnly": false"#, r#""readOnly": "true""#)
            .replace("2026-11-02T10:00:00Z", "2026-11-02T10:00:00.250+00:00");
        let inv = load_text(&format!(
            "{{\"Records\": [{null_params}, {no_tags}, {no_identity}, {string_bool}]}}"
        ))
        .unwrap();
        assert_eq!(inv.change_events.len(), 1);
        assert_eq!(inv.change_events[0].action, "AddUserToGroup");
        assert_eq!(inv.change_events[0].actor, "unknown");
        assert!(inv.diagnostics.iter().any(|d| d
            .message
            .starts_with("2 record(s) changed access but lacked the names")));
    }

    #[test]
    fn gzipped_files_and_directories_are_read_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let nested = dir
            .path()
            .join("AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/02");
        std::fs::create_dir_all(&nested).unwrap();
        let attach = format!(
            "{{\"Records\": [{}]}}",
            record(
                "AttachUserPolicy",
                r#"{"userName": "dev", "policyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}"#,
                ""
            )
        );
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(attach.as_bytes()).unwrap();
        std::fs::write(nested.join("a.json.gz"), gz.finish().unwrap()).unwrap();
        let detach = format!(
            "[{}]",
            record(
                "DetachUserPolicy",
                r#"{"userName": "dev", "policyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}"#,
                ""
            )
            .replace("10:00:00Z", "12:00:00Z")
        );
        std::fs::write(nested.join("b.json"), detach).unwrap();
        let inv = load(dir.path(), "trail", "ct", &ConnectorSettings::default()).unwrap();
        assert_eq!(inv.change_events.len(), 2);
        assert_eq!(
            inv.change_events[0].provenance.file(),
            "trail/AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/02/a.json.gz"
        );
        // Attached then detached by a non-broker: a temporary grant CloudTrail alone records.
        let kinds: Vec<_> = inv.grant_events.iter().map(|g| g.event).collect();
        use crate::model::GrantEventKind::*;
        assert_eq!(kinds, [Activated, Revoked]);
        assert_eq!(
            inv.grant_events[0].requester.as_deref(),
            Some("arn:aws:iam::111122223333:user/ops")
        );
    }

    #[test]
    fn malformed_and_truncated_files_name_the_place() {
        let good = record(
            "AddUserToGroup",
            r#"{"userName": "dev", "groupName": "admins"}"#,
            "",
        );
        let err = load_text(&format!("{{\"Records\": [{good}, {good}"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("truncated") && err.contains("/Records/"),
            "{err}"
        );
        let err = load_text("{\"Records\": {}}").unwrap_err().to_string();
        assert_eq!(
            err,
            "trail.json: /Records: expected an array of CloudTrail records, found an object"
        );
        let err = load_text("{\"Other\": []}").unwrap_err().to_string();
        assert!(err.starts_with("trail.json: /Records: missing"), "{err}");
        let no_time = good.replace("\"eventTime\": \"2026-11-02T10:00:00Z\",", "");
        let err = load_text(&format!("{{\"Records\": [{good}, {no_time}]}}"))
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("trail.json: /Records/1/eventTime: missing"),
            "{err}"
        );
        let bad_time = good.replace("2026-11-02T10:00:00Z", "Nov 2, 2026 10:00:00 AM");
        let err = load_text(&format!("[{bad_time}]")).unwrap_err().to_string();
        assert!(err.starts_with("trail.json: /0/eventTime: `Nov 2"), "{err}");
        let err = load_text("{\"Records\": [1]}").unwrap_err().to_string();
        assert!(
            err.contains("/Records/0: expected a CloudTrail record"),
            "{err}"
        );
        let err = load_text("{\"Records\": []} trailing")
            .unwrap_err()
            .to_string();
        assert!(err.contains("not valid CloudTrail JSON"), "{err}");

        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(format!("{{\"Records\": [{good}]}}").as_bytes())
            .unwrap();
        let bytes = gz.finish().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.json.gz");
        std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
        let err = load(&path, "t.json.gz", "ct", &ConnectorSettings::default())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("gzip stream cannot be read to the end") || err.contains("truncated"),
            "{err}"
        );
    }

    #[test]
    fn the_secret_access_key_never_reaches_a_record_or_an_error() {
        const CANARY: &str = "wJalrCANARYSECRETDONOTPRINTxxxxxxxxxxxxx";
        let create = record(
            "CreateAccessKey",
            r#"{"userName": "dev"}"#,
            "",
        )
        .replace(
            "\"responseElements\": null",
            &format!(r#""responseElements": {{"accessKey": {{"accessKeyId": "AKIAEXAMPLE000000001", "secretAccessKey": "{CANARY}", "status": "Active", "userName": "dev", "createDate": "Nov 2, 2026 10:00:00 AM"}}}}"#),
        );
        let inv = load_text(&format!("{{\"Records\": [{create}]}}")).unwrap();
        assert_eq!(inv.change_events[0].target, "AKIAEXAMPLE000000001");
        assert_eq!(inv.change_events[0].kind, ChangeKind::CredentialCreated);
        let dump = format!("{inv:?}");
        assert!(
            !dump.contains("CANARY"),
            "the secret leaked into the inventory"
        );
        // A broken record right after the secret: the error does not repeat it either.
        let err = load_text(&format!(
            "{{\"Records\": [{create}, {{\"eventTime\": 5}}]}}"
        ))
        .unwrap_err()
        .to_string();
        assert!(!err.contains("CANARY"), "{err}");
        let err = load_text(&format!("{{\"Records\": [{}", &create[..create.len() - 30]))
            .unwrap_err()
            .to_string();
        assert!(!err.contains("CANARY"), "{err}");
    }
}
