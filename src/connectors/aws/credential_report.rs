//! The IAM credential report: one CSV row per user with the state of its password and both
//! access keys (`aws iam get-credential-report`).
//!
//! Accepted inputs:
//! - the CSV itself, whose header starts `user,arn,user_creation_time,password_enabled`;
//! - the `GetCredentialReport` JSON response, `{"Content": "<base64 CSV>", "ReportFormat":
//!   "text/csv", …}` as the CLI prints it, or with `Content` already decoded (boto3), also
//!   wrapped in `{"data": {…}}` as recorded by placebo test fixtures.
//!
//! ```text
//! user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,…
//! <root_account>,arn:aws:iam::111122223333:root,2019-01-01T00:00:00+00:00,not_supported,…
//! alice,arn:aws:iam::111122223333:user/alice,2021-03-01T09:00:00+00:00,true,no_information,…
//! ```
//!
//! What it produces:
//! - a [`Secret`] per credential that exists: `USER_ARN#password` (kind password) when
//!   `password_enabled` is true, and `USER_ARN#access-key-1` / `USER_ARN#access-key-2`
//!   (kind access-key) when the slot is active or carries a `last_rotated` date (an
//!   inactive key still exists until deleted). `created` is `password_last_changed` or
//!   `access_key_N_last_rotated` — for keys that date is the creation of the key in the slot;
//!   `last_used` is `password_last_used` or `access_key_N_last_used_date`.
//! - For IAM users, no [`Identity`]: authorization details define users, and a second,
//!   differing record of the same ARN would conflict. Their last activity is the latest
//!   `last_used` of their secrets. The `<root_account>` row does become an identity,
//!   `arn:aws:iam::ACCOUNT:root` (kind human, named `root (ACCOUNT)`), since no other AWS
//!   source describes it; its last activity is the latest use of its credentials.
//!
//! The report's sentinels are never dates: `N/A` (the credential does not exist or was never
//! used, or a non-regional service), `no_information` (never used, or used before AWS began
//! tracking), `not_supported` (a value AWS does not report for the root user). Each becomes
//! an absent value. Booleans are matched case-insensitively (real reports say `true`, the
//! documentation `TRUE`). Timestamps may end in `+00:00` or `Z`.
//!
//! Key ids are not in the report. CloudTrail names a key by its id (`AKIA…`); the two are
//! reconciled by owner and creation time (see the SC003 rule and [`super::cloudtrail`]).

use crate::connectors::error::{line_location, ConnectorError};
use crate::model::time::parse_timestamp;
use crate::model::{
    Diagnostic, Identity, IdentityKind, Inventory, Provenance, Secret, SecretKind, Timestamp,
};

/// What a credential report must contain, for "the file is empty" errors.
pub const EXPECTED: &str = "an IAM credential report: the CSV from `aws iam get-credential-report` (header `user,arn,user_creation_time,password_enabled,…`) or its JSON response with `Content`";

/// The header prefix that identifies a credential report.
pub const HEADER_PREFIX: &str = "user,arn,user_creation_time,password_enabled";

/// The columns residue reads; the report has 22, always in the same order, but residue finds
/// them by name.
const REQUIRED_COLUMNS: [&str; 15] = [
    "user",
    "arn",
    "user_creation_time",
    "password_enabled",
    "password_last_used",
    "password_last_changed",
    "access_key_1_active",
    "access_key_1_last_rotated",
    "access_key_1_last_used_date",
    "access_key_2_active",
    "access_key_2_last_rotated",
    "access_key_2_last_used_date",
    "mfa_active",
    "password_next_rotation",
    "cert_1_active",
];

/// The root user's row names itself this way.
const ROOT_USER: &str = "<root_account>";

/// True when `text` (the start of a file) is a credential report, CSV or JSON response.
pub fn sniff(text: &str) -> bool {
    let first_line = text
        .lines()
        .find(|line| !line.trim().is_empty())
        .unwrap_or("")
        .trim();
    if first_line.starts_with(HEADER_PREFIX) {
        return true;
    }
    // The JSON response: a `Content` and the `ReportFormat` that always accompanies it.
    text.trim_start().starts_with('{')
        && text.contains("\"Content\"")
        && text.contains("\"ReportFormat\"")
}

/// Reads a credential report (CSV, or the JSON response carrying it) into secrets and the
/// root identity. `display` names the file in provenance and errors.
pub fn parse(bytes: &[u8], source: &str, display: &str) -> Result<Inventory, ConnectorError> {
    let text = crate::connectors::generic::decode_utf8(bytes, display)?;
    if text.trim().is_empty() {
        return Err(ConnectorError::empty(display, EXPECTED));
    }
    if text.trim_start().starts_with('{') {
        let csv = content_of_response(text, display)?;
        return parse_csv(&csv, source, display, "Content, ");
    }
    parse_csv(text, source, display, "")
}

/// The CSV inside a `GetCredentialReport` response: `Content` (or `data.Content`), base64
/// or already decoded.
fn content_of_response(text: &str, display: &str) -> Result<String, ConnectorError> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| {
        ConnectorError::invalid(
            display,
            crate::connectors::error::line_column_location(e.line() as u64, e.column() as u64),
            format!(
                "not valid JSON ({}); expected the GetCredentialReport response with `Content`",
                without_location(&e.to_string())
            ),
        )
    })?;
    let (content, pointer) = match (value.pointer("/Content"), value.pointer("/data/Content")) {
        (Some(c), _) => (c, "/Content"),
        (None, Some(c)) => (c, "/data/Content"),
        (None, None) => {
            return Err(ConnectorError::invalid(
                display,
                "/Content",
                "missing: expected the GetCredentialReport response's `Content` (the report, base64-encoded)",
            ))
        }
    };
    let Some(content) = content.as_str() else {
        return Err(ConnectorError::invalid(
            display,
            pointer,
            "expected a string (the report, base64-encoded)",
        ));
    };
    if content.trim_start().starts_with(HEADER_PREFIX) {
        return Ok(content.to_string());
    }
    let decoded = decode_base64(content).ok_or_else(|| {
        ConnectorError::invalid(
            display,
            pointer,
            "neither the report's CSV nor base64: expected the output of `aws iam get-credential-report`",
        )
    })?;
    String::from_utf8(decoded).map_err(|_| {
        ConnectorError::invalid(
            display,
            pointer,
            "the decoded report is not UTF-8 text: expected the credential report CSV",
        )
    })
}

/// A serde_json message without the ` at line N column M` it appends (reported separately).
pub(crate) fn without_location(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

/// Standard base64 (with or without padding, whitespace ignored); `None` if not base64.
fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut buffer: u32 = 0;
    let mut bits = 0u32;
    let mut padding = false;
    for byte in text.bytes() {
        let value = match byte {
            b'A'..=b'Z' => byte - b'A',
            b'a'..=b'z' => byte - b'a' + 26,
            b'0'..=b'9' => byte - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => {
                padding = true;
                continue;
            }
            b' ' | b'\n' | b'\r' | b'\t' => continue,
            _ => return None,
        };
        if padding {
            return None;
        }
        buffer = (buffer << 6) | u32::from(value);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(((buffer >> bits) & 0xFF) as u8);
        }
    }
    Some(out)
}

/// A value of a date or boolean column: a value, or one of the report's sentinels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cell<T> {
    Value(T),
    /// `N/A`, `no_information` or `not_supported`: the report has no value here.
    Absent,
}

impl<T> Cell<T> {
    fn value(self) -> Option<T> {
        match self {
            Cell::Value(v) => Some(v),
            Cell::Absent => None,
        }
    }
}

fn is_sentinel(raw: &str) -> bool {
    matches!(raw, "N/A" | "no_information" | "not_supported")
}

struct Row<'a> {
    record: &'a csv::StringRecord,
    columns: &'a [usize],
    line: u64,
    display: &'a str,
    prefix: &'a str,
}

impl Row<'_> {
    fn raw(&self, column: usize) -> &str {
        self.columns
            .get(column)
            .and_then(|&i| self.record.get(i))
            .unwrap_or("")
            .trim()
    }

    fn error(&self, column: usize, message: String) -> ConnectorError {
        ConnectorError::invalid(
            self.display,
            format!("{}{}", self.prefix, line_location(self.line)),
            format!("column `{}`: {message}", REQUIRED_COLUMNS[column]),
        )
    }

    fn date(&self, column: usize) -> Result<Cell<Timestamp>, ConnectorError> {
        let raw = self.raw(column);
        if is_sentinel(raw) {
            return Ok(Cell::Absent);
        }
        parse_timestamp(raw).map(Cell::Value).map_err(|e| {
            self.error(
                column,
                format!("{e}, or one of the report's markers N/A, no_information, not_supported"),
            )
        })
    }

    fn boolean(&self, column: usize) -> Result<Cell<bool>, ConnectorError> {
        let raw = self.raw(column);
        if is_sentinel(raw) {
            return Ok(Cell::Absent);
        }
        match raw.to_ascii_lowercase().as_str() {
            "true" => Ok(Cell::Value(true)),
            "false" => Ok(Cell::Value(false)),
            _ => Err(self.error(
                column,
                format!(
                    "`{}` is not a boolean: expected true or false (any case), or N/A, no_information, not_supported",
                    crate::connectors::error::shorten(raw)
                ),
            )),
        }
    }
}

// Column positions in REQUIRED_COLUMNS.
const C_USER: usize = 0;
const C_ARN: usize = 1;
const C_CREATED: usize = 2;
const C_PW_ENABLED: usize = 3;
const C_PW_USED: usize = 4;
const C_PW_CHANGED: usize = 5;
const C_KEY1_ACTIVE: usize = 6;

fn parse_csv(
    text: &str,
    source: &str,
    display: &str,
    prefix: &str,
) -> Result<Inventory, ConnectorError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(text.as_bytes());
    let csv_error = |e: csv::Error| {
        let line = e.position().map_or(0, |p| p.line());
        let message = match e.kind() {
            csv::ErrorKind::UnequalLengths {
                expected_len, len, ..
            } => format!(
                "this row has {len} fields but the header has {expected_len}: expected one row per user with every column (is the file truncated?)"
            ),
            _ => format!("not valid CSV ({e}): expected the credential report"),
        };
        ConnectorError::invalid(display, format!("{prefix}{}", line_location(line)), message)
    };
    let header = reader.headers().map_err(csv_error)?.clone();
    let header_line: Vec<&str> = header.iter().map(str::trim).collect();
    if !header_line.join(",").starts_with(HEADER_PREFIX) {
        return Err(ConnectorError::invalid(
            display,
            format!("{prefix}line 1"),
            format!("the header does not start `{HEADER_PREFIX}`: expected the IAM credential report's header"),
        ));
    }
    let mut columns = Vec::with_capacity(REQUIRED_COLUMNS.len());
    for name in REQUIRED_COLUMNS {
        let Some(index) = header_line.iter().position(|h| *h == name) else {
            return Err(ConnectorError::invalid(
                display,
                format!("{prefix}line 1"),
                format!("the header has no column `{name}`: expected the 22 columns of the IAM credential report"),
            ));
        };
        columns.push(index);
    }
    let mut inventory = Inventory::new();
    let mut record = csv::StringRecord::new();
    let mut rows = 0usize;
    // The line each user's row was read from: a report lists a user once, so a second row
    // (seen in hand-edited fixtures) replaces the first, with a warning.
    let mut seen: std::collections::HashMap<String, u64> = std::collections::HashMap::new();
    loop {
        let more = reader.read_record(&mut record).map_err(csv_error)?;
        if !more {
            break;
        }
        let line = record.position().map_or(0, |p| p.line());
        rows += 1;
        let row = Row {
            record: &record,
            columns: &columns,
            line,
            display,
            prefix,
        };
        let arn = row.raw(C_ARN).to_string();
        if let Some(first) = seen.insert(arn.clone(), line) {
            let owned = |owner: &Option<String>| owner.as_deref() == Some(arn.as_str());
            inventory.secrets.retain(|s| !owned(&s.owner));
            inventory.identities.retain(|i| i.id != arn);
            inventory.diagnostics.push(Diagnostic::warning(
                Provenance::new(source, display).at_line(u32::try_from(line).unwrap_or(u32::MAX)),
                format!("{arn} has a second row in the report (the first is on {prefix}line {first}); the credentials of this later row are used"),
            ));
        }
        read_row(&row, source, &mut inventory)?;
    }
    if rows == 0 {
        return Err(ConnectorError::invalid(
            display,
            format!("{prefix}line 2"),
            "the report has a header but no rows: expected at least the <root_account> row",
        ));
    }
    Ok(inventory)
}

fn read_row(row: &Row<'_>, source: &str, inventory: &mut Inventory) -> Result<(), ConnectorError> {
    let user = row.raw(C_USER).to_string();
    let arn = row.raw(C_ARN).to_string();
    let parsed = super::arn::Arn::parse(&arn)
        .map_err(|e| row.error(C_ARN, format!("{e}; expected the user's ARN")))?;
    let provenance =
        Provenance::new(source, row.display).at_line(u32::try_from(row.line).unwrap_or(u32::MAX));
    let created = row.date(C_CREATED)?;
    let mut last_used_any: Option<Timestamp> = None;

    match row.boolean(C_PW_ENABLED)? {
        Cell::Value(true) => {
            let last_used = row.date(C_PW_USED)?.value();
            last_used_any = last_used_any.max(last_used);
            inventory.secrets.push(Secret {
                id: format!("{arn}#password"),
                kind: SecretKind::Password,
                owner: Some(arn.clone()),
                created: row.date(C_PW_CHANGED)?.value(),
                last_rotated: None,
                last_used,
                expires: None,
                active: true,
                provenance: provenance.clone().with_record("password"),
            });
        }
        Cell::Value(false) => {}
        Cell::Absent => {
            // Older reports say not_supported for the root user's password: unknown, not absent.
            let used = row.date(C_PW_USED)?.value();
            last_used_any = last_used_any.max(used);
            inventory.diagnostics.push(Diagnostic::info(
                provenance.clone(),
                format!("the report does not say whether {user} has a password (password_enabled is `{}`); no password credential is recorded for it", row.raw(C_PW_ENABLED)),
            ));
        }
    }
    for slot in 1..=2usize {
        let base = C_KEY1_ACTIVE + (slot - 1) * 3;
        let active = row.boolean(base)?.value().unwrap_or(false);
        let rotated = row.date(base + 1)?.value();
        let last_used = row.date(base + 2)?.value();
        if !active && rotated.is_none() {
            continue;
        }
        last_used_any = last_used_any.max(last_used);
        inventory.secrets.push(Secret {
            id: format!("{arn}#access-key-{slot}"),
            kind: SecretKind::AccessKey,
            owner: Some(arn.clone()),
            created: rotated,
            last_rotated: None,
            last_used,
            expires: None,
            active,
            provenance: provenance.clone().with_record(format!("access key {slot}")),
        });
    }
    if user == ROOT_USER || parsed.resource == "root" {
        let mut root = Identity::new(arn.clone(), IdentityKind::Human, provenance);
        root.name = format!("root ({})", parsed.account);
        root.created = created.value();
        root.last_activity = last_used_any;
        inventory.identities.push(root);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated";

    fn report(rows: &[&str]) -> String {
        let mut s = HEADER.to_string();
        for r in rows {
            s.push('\n');
            s.push_str(r);
        }
        s.push('\n');
        s
    }

    const ROOT: &str = "<root_account>,arn:aws:iam::111122223333:root,2019-01-01T00:00:00+00:00,not_supported,2024-04-30T08:00:00+00:00,not_supported,not_supported,true,false,N/A,N/A,N/A,N/A,false,2018-01-01T00:00:00Z,N/A,N/A,N/A,false,N/A,false,N/A";
    const ALICE: &str = "alice,arn:aws:iam::111122223333:user/alice,2021-03-01T09:00:00+00:00,TRUE,no_information,2021-03-01T09:00:01Z,N/A,false,True,2023-06-01T12:00:00+00:00,2024-05-01T07:45:00Z,us-east-1,sts,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A";

    fn ts(s: &str) -> Timestamp {
        parse_timestamp(s).unwrap()
    }

    #[test]
    fn rows_become_secrets_and_the_root_an_identity() {
        let inv = parse(report(&[ROOT, ALICE]).as_bytes(), "aws", "report.csv").unwrap();
        let ids: Vec<&str> = inv.secrets.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "arn:aws:iam::111122223333:root#access-key-2",
                "arn:aws:iam::111122223333:user/alice#password",
                "arn:aws:iam::111122223333:user/alice#access-key-1",
            ]
        );
        // An inactive key that still carries a rotation date exists (real-report quirk).
        assert!(!inv.secrets[0].active);
        let pw = &inv.secrets[1];
        assert_eq!(pw.kind, SecretKind::Password);
        assert_eq!(pw.created, Some(ts("2021-03-01T09:00:01Z")));
        // no_information is absent, never a date.
        assert_eq!(pw.last_used, None);
        let key = &inv.secrets[2];
        assert!(key.active);
        assert_eq!(key.created, Some(ts("2023-06-01T12:00:00Z")));
        assert_eq!(key.last_used, Some(ts("2024-05-01T07:45:00Z")));
        assert_eq!(key.provenance.line, Some(3));
        assert_eq!(key.provenance.record.as_deref(), Some("access key 1"));
        assert_eq!(inv.identities.len(), 1);
        let root = &inv.identities[0];
        assert_eq!(root.id, "arn:aws:iam::111122223333:root");
        assert_eq!(root.name, "root (111122223333)");
        assert_eq!(root.last_activity, Some(ts("2024-04-30T08:00:00Z")));
        // not_supported for the root password is said, not dropped.
        assert_eq!(inv.diagnostics.len(), 1);
        assert!(inv.diagnostics[0].message.contains("not_supported"));
    }

    #[test]
    fn the_json_response_base64_or_decoded_is_accepted() {
        let csv = report(&[ROOT, ALICE]);
        let encoded = encode_base64(csv.as_bytes());
        let cli = format!(
            "{{\"Content\": \"{encoded}\", \"ReportFormat\": \"text/csv\", \"GeneratedTime\": \"2024-05-02T00:00:00Z\"}}"
        );
        assert!(sniff(&cli));
        let a = parse(cli.as_bytes(), "aws", "r.json").unwrap();
        let b = parse(csv.as_bytes(), "aws", "r.csv").unwrap();
        assert_eq!(a.secrets.len(), b.secrets.len());
        let placebo = serde_json::json!({"data": {"Content": csv, "ReportFormat": "text/csv"}});
        let c = parse(placebo.to_string().as_bytes(), "aws", "p.json").unwrap();
        assert_eq!(c.secrets.len(), 3);
        let bad = "{\"Content\": \"%%%\", \"ReportFormat\": \"text/csv\"}";
        let err = parse(bad.as_bytes(), "aws", "r.json")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("r.json: /Content: neither"), "{err}");
    }

    fn encode_base64(bytes: &[u8]) -> String {
        const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let n = chunk
                .iter()
                .enumerate()
                .fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
            for i in 0..4 {
                if i <= chunk.len() {
                    out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
                } else {
                    out.push('=');
                }
            }
        }
        out
    }

    #[test]
    fn a_user_listed_twice_keeps_the_later_row_and_says_so() {
        let later = ALICE.replace("2023-06-01T12:00:00+00:00", "2024-01-01T00:00:00Z");
        let inv = parse(report(&[ROOT, ALICE, &later]).as_bytes(), "aws", "r.csv").unwrap();
        let keys: Vec<_> = inv
            .secrets
            .iter()
            .filter(|s| s.kind == SecretKind::AccessKey && s.active)
            .collect();
        assert_eq!(keys.len(), 1);
        assert_eq!(keys[0].created, Some(ts("2024-01-01T00:00:00Z")));
        assert!(inv
            .diagnostics
            .iter()
            .any(|d| d.message.contains("second row") && d.provenance.line == Some(4)));
    }

    #[test]
    fn the_three_timestamp_shapes_read_alike() {
        // CLI v1 `Z`, CLI v2 `+00:00`, and Python's str(datetime) with a space.
        for shape in [
            "2023-06-01T12:00:00Z",
            "2023-06-01T12:00:00+00:00",
            "2023-06-01 12:00:00+00:00",
        ] {
            let row = ALICE.replace("2023-06-01T12:00:00+00:00", shape);
            let inv = parse(report(&[&row]).as_bytes(), "aws", "r.csv").unwrap();
            let key = inv
                .secrets
                .iter()
                .find(|s| s.kind == SecretKind::AccessKey)
                .unwrap();
            assert_eq!(key.created, Some(ts("2023-06-01T12:00:00Z")), "{shape}");
        }
    }

    #[test]
    fn sniffing() {
        assert!(sniff(&report(&[ROOT])));
        assert!(!sniff("user,arn,password_enabled\n"));
        assert!(!sniff("{\"Records\": []}"));
    }

    #[test]
    fn malformed_reports_name_the_line_and_column() {
        let bad_date = ALICE.replace("2023-06-01T12:00:00+00:00", "yesterday");
        let err = parse(report(&[ROOT, &bad_date]).as_bytes(), "aws", "r.csv")
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with(
                "r.csv: line 3: column `access_key_1_last_rotated`: `yesterday` is not a timestamp"
            ),
            "{err}"
        );
        let bad_bool = ALICE.replace(",TRUE,", ",yes,");
        let err = parse(report(&[&bad_bool]).as_bytes(), "aws", "r.csv")
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 2: column `password_enabled`"), "{err}");
        let truncated =
            format!("{HEADER}\n{ROOT}\nalice,arn:aws:iam::111122223333:user/alice,2021");
        let err = parse(truncated.as_bytes(), "aws", "r.csv")
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 3: this row has 3 fields"), "{err}");
        let err = parse(format!("{HEADER}\n").as_bytes(), "aws", "r.csv")
            .unwrap_err()
            .to_string();
        assert!(err.contains("no rows"), "{err}");
        let err = parse(
            b"user,arn,user_creation_time,password_enabled\n",
            "aws",
            "r.csv",
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("no column `password_last_used`"), "{err}");
        let bad_arn = ALICE.replace("arn:aws:iam::111122223333:user/alice", "alice");
        let err = parse(report(&[&bad_arn]).as_bytes(), "aws", "r.csv")
            .unwrap_err()
            .to_string();
        assert!(err.contains("column `arn`"), "{err}");
        assert!(matches!(
            parse(b"  \n", "aws", "r.csv"),
            Err(ConnectorError::Empty { .. })
        ));
    }
}
