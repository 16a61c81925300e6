//! The Entra admin center's CSV export of PIM assignments (Privileged Identity Management →
//! Microsoft Entra roles → Assignments → Export). Format name `entra-pim-csv`.
//!
//! No real export was available; the columns come from published walkthroughs. Headers
//! match case-insensitively, ignoring spaces and punctuation; unknown columns are ignored;
//! a missing required column is an error naming the header line (line 1).
//!
//! | column (aliases) | required | meaning |
//! |---|---|---|
//! | `Assignment State` | yes | `Eligible`; `Active` (or `Assigned` / `Activated`) |
//! | `Role Name` (`Role`) | yes | the role's display name; built-in names map to their template ids |
//! | `PrincipalName` (`Principal Name`, `User Principal Name`, `UPN`) | yes | a UPN for users; a display name for groups and applications |
//! | `User Group Name` (`Display Name`, `Name`) | no | display name |
//! | `Member Type` | no | `Direct`, `Group`, `Inherited` |
//! | `Assignment Start Time (UTC)` (`Start Time`) | no | |
//! | `Assignment End Time (UTC)` (`End Time`) | no | blank, `Permanent`, `-`, `N/A` or `Never`: no end |
//! | `Principal Type` (`Type`, `Object Type`) | no | `User`, `Group`, `ServicePrincipal` |
//! | `Principal Id` (`Object Id`) | no | the object id: ids then match the Graph connector's |
//! | `Role Id` (`Role Definition Id`, `Template Id`) | no | the role's template id |
//! | `Scope` (`Directory Scope`) | no | `/` (or blank, `Directory`) is the tenant |
//!
//! Times are RFC 3339, `YYYY-MM-DD HH:MM:SS`, or the US portal format
//! `M/D/YYYY h:mm:ss AM` / `M/D/YYYY HH:MM`, always UTC. `Eligible` rows are eligible
//! assignments; `Assigned` rows standing; `Activated` rows temporary; `Active` rows, which
//! the export does not split, are temporary when their window is at most 24 hours long (an
//! activation) and standing otherwise (a permanent or time-bound assignment). A principal
//! name with `@` is a user (id: the name in lower case); without one it is the type the
//! `Principal Type` column gives, else a group. `Member Type` `Group`/`Inherited` rows are
//! kept as direct assignments (the export does not name the group), with an Info diagnostic.

use super::build::{group_id, role_id, slug, sp_id, user_id};
use super::roles;
use crate::connectors::ConnectorError;
use crate::model::time::parse_timestamp;
use crate::model::{
    Assignment, AssignmentKind, Diagnostic, Identity, IdentityKind, Inventory, Provenance, Role,
    SignedDuration, Timestamp, Window,
};
use std::collections::BTreeMap;

pub(crate) const EXPECTED: &str = "the Entra admin center's CSV export of PIM assignments (columns Assignment State, Role Name, PrincipalName, …)";

fn normalise(header: &str) -> String {
    header
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Col {
    State,
    Role,
    Principal,
    Name,
    MemberType,
    Start,
    End,
    PrincipalType,
    PrincipalId,
    RoleId,
    Scope,
}

const COLUMNS: [(Col, &[&str]); 11] = [
    (
        Col::State,
        &["Assignment State", "State", "Assignment Type"],
    ),
    (Col::Role, &["Role Name", "Role", "Role Display Name"]),
    (
        Col::Principal,
        &["PrincipalName", "User Principal Name", "UPN", "Principal"],
    ),
    (
        Col::Name,
        &[
            "User Group Name",
            "Display Name",
            "Name",
            "Principal Display Name",
        ],
    ),
    (Col::MemberType, &["Member Type"]),
    (
        Col::Start,
        &[
            "Assignment Start Time (UTC)",
            "Assignment Start Time",
            "Start Time",
            "Start Date",
        ],
    ),
    (
        Col::End,
        &[
            "Assignment End Time (UTC)",
            "Assignment End Time",
            "End Time",
            "End Date",
        ],
    ),
    (
        Col::PrincipalType,
        &["Principal Type", "Type", "Object Type"],
    ),
    (Col::PrincipalId, &["Principal Id", "Object Id"]),
    (
        Col::RoleId,
        &["Role Id", "Role Definition Id", "Template Id"],
    ),
    (
        Col::Scope,
        &["Scope", "Directory Scope", "Directory Scope Id"],
    ),
];

const REQUIRED: [Col; 3] = [Col::State, Col::Role, Col::Principal];

/// Whether the first line of a file is this export's header.
pub(crate) fn sniff(text: &str) -> bool {
    let Some(first) = text
        .trim_start_matches('\u{feff}')
        .lines()
        .find(|l| !l.trim().is_empty())
    else {
        return false;
    };
    let headers: Vec<String> = first
        .split(',')
        .map(|h| normalise(h.trim().trim_matches('"')))
        .collect();
    let has = |name: &str| headers.iter().any(|h| *h == normalise(name));
    has("Assignment State") && has("Role Name") && (has("PrincipalName") || has("Principal Name"))
}

/// Reads the export.
pub fn parse(bytes: &[u8], display: &str, source: &str) -> Result<Inventory, ConnectorError> {
    let text = crate::connectors::generic::decode_utf8(bytes, display)?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim().is_empty() {
        return Err(ConnectorError::empty(display, EXPECTED));
    }
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| {
            ConnectorError::invalid(display, "line 1", format!("cannot read the header: {e}"))
        })?
        .clone();
    let mut index: BTreeMap<u8, usize> = BTreeMap::new();
    for (i, h) in headers.iter().enumerate() {
        let n = normalise(h);
        for (col, aliases) in COLUMNS {
            if aliases.iter().any(|a| normalise(a) == n) {
                index.entry(col as u8).or_insert(i);
            }
        }
    }
    let missing: Vec<&str> = REQUIRED
        .iter()
        .filter(|c| !index.contains_key(&(**c as u8)))
        .map(|c| {
            COLUMNS
                .iter()
                .find(|(k, _)| k == c)
                .map(|(_, a)| a[0])
                .unwrap_or("")
        })
        .collect();
    if !missing.is_empty() {
        return Err(ConnectorError::invalid(
            display,
            "line 1",
            format!(
                "the header lacks the column(s) {}; expected {EXPECTED}",
                missing.join(", ")
            ),
        ));
    }
    let mut inv = Inventory::new();
    let mut identities: BTreeMap<String, Identity> = BTreeMap::new();
    let mut roles_by_id: BTreeMap<String, Role> = BTreeMap::new();
    let mut indirect = 0usize;
    for (n, row) in reader.records().enumerate() {
        let row = row.map_err(|e| {
            let line = e.position().map(|p| p.line()).unwrap_or(n as u64 + 2);
            ConnectorError::invalid(
                display,
                format!("line {line}"),
                format!("not valid CSV: {e}"),
            )
        })?;
        let line = row.position().map(|p| p.line()).unwrap_or(n as u64 + 2);
        let at = Provenance::new(source, display)
            .at_line(u32::try_from(line).unwrap_or(u32::MAX))
            .with_record(format!("record {}", n + 1));
        let get = |c: Col| {
            index
                .get(&(c as u8))
                .and_then(|&i| row.get(i))
                .map(str::trim)
                .filter(|v| !v.is_empty())
        };
        let header_of = |c: Col| {
            index
                .get(&(c as u8))
                .and_then(|&i| headers.get(i))
                .unwrap_or("")
                .to_string()
        };
        let fail = |c: Col, msg: String| {
            ConnectorError::invalid(
                display,
                format!("line {line}, column `{}`", header_of(c)),
                msg,
            )
        };
        let required = |c: Col| {
            get(c).ok_or_else(|| fail(c, "the value is empty; expected a value".to_string()))
        };
        let state = required(Col::State)?;
        let role_name = required(Col::Role)?;
        let principal = required(Col::Principal)?;
        let time = |c: Col| -> Result<Option<Timestamp>, ConnectorError> {
            match get(c) {
                None => Ok(None),
                Some(v) if ["permanent", "-", "n/a", "never", "none"].contains(&v.to_ascii_lowercase().as_str()) => Ok(None),
                Some(v) => portal_time(v)
                    .map(Some)
                    .ok_or_else(|| fail(c, format!("`{v}` is not a time: expected an RFC 3339 timestamp, YYYY-MM-DD HH:MM:SS, M/D/YYYY h:mm:ss AM, or Permanent"))),
            }
        };
        let start = time(Col::Start)?;
        let end = time(Col::End)?;
        let kind = match state.to_ascii_lowercase().as_str() {
            "eligible" => AssignmentKind::Eligible,
            "assigned" | "permanent" => AssignmentKind::Standing,
            "activated" => AssignmentKind::Temporary,
            "active" => match (start, end) {
                (Some(s), Some(e)) if e.duration_since(s) <= SignedDuration::from_hours(24) => {
                    AssignmentKind::Temporary
                }
                _ => AssignmentKind::Standing,
            },
            other => {
                return Err(fail(
                    Col::State,
                    format!("`{other}` is not an assignment state: expected Eligible or Active"),
                ))
            }
        };
        let ptype = get(Col::PrincipalType).unwrap_or("").to_ascii_lowercase();
        let oid = get(Col::PrincipalId);
        let key = oid.unwrap_or(principal);
        let (id, ikind) = if ptype.contains("group") {
            (group_id(key), IdentityKind::Group)
        } else if ptype.contains("service") || ptype.contains("app") {
            (sp_id(key), IdentityKind::ServiceAccount)
        } else if principal.contains('@') || ptype.contains("user") {
            (
                user_id(Some(principal).filter(|p| p.contains('@')), key),
                IdentityKind::Human,
            )
        } else {
            (group_id(key), IdentityKind::Group)
        };
        identities.entry(id.clone()).or_insert_with(|| {
            let mut i = Identity::new(id.clone(), ikind, at.clone());
            i.name = get(Col::Name).unwrap_or(principal).to_string();
            if let Some(o) = oid {
                i.tags.insert("entra.object-id".into(), o.to_lowercase());
            }
            i
        });
        let scope = get(Col::Scope)
            .filter(|s| !s.eq_ignore_ascii_case("directory"))
            .unwrap_or("/");
        let template = get(Col::RoleId)
            .map(str::to_string)
            .or_else(|| roles::built_in_by_name(role_name).map(str::to_string));
        let built_in = template
            .as_deref()
            .is_some_and(|t| roles::built_in(t).is_some());
        let role = match &template {
            Some(t) if !built_in => role_id(&t.to_lowercase(), scope, None),
            _ => role_id(&slug(role_name), scope, None),
        };
        roles_by_id.entry(role.clone()).or_insert_with(|| {
            let t = template.clone().unwrap_or_default();
            let mut tags = BTreeMap::new();
            if !t.is_empty() {
                tags.insert("entra.template-id".to_string(), t.to_lowercase());
            }
            Role {
                id: role.clone(),
                name: role_name.to_string(),
                permissions: Vec::new(),
                privilege: roles::privilege(&t, role_name, &[]),
                scope: Some(if scope == "/" {
                    "tenant".to_string()
                } else {
                    scope.to_string()
                }),
                last_used: None,
                tags,
                provenance: at.clone(),
            }
        });
        if get(Col::MemberType).is_some_and(|m| !m.eq_ignore_ascii_case("direct")) {
            indirect += 1;
        }
        inv.assignments.push(Assignment {
            subject: id.into(),
            role: role.into(),
            kind,
            window: Window { start, end },
            last_used: None,
            provenance: at,
        });
    }
    if indirect > 0 {
        inv.diagnostics.push(Diagnostic::info(
            Provenance::new(source, display),
            format!("{indirect} row(s) hold their role through a group or an inherited scope; the export does not name the group, so they are kept as direct assignments"),
        ));
    }
    inv.identities.extend(identities.into_values());
    inv.roles.extend(roles_by_id.into_values());
    Ok(inv)
}

/// RFC 3339 and the other shapes `parse_timestamp` takes, or the US portal format.
fn portal_time(v: &str) -> Option<Timestamp> {
    if let Ok(t) = parse_timestamp(v) {
        return Some(t);
    }
    let (date, rest) = v.split_once(' ').unwrap_or((v, ""));
    let parts: Vec<&str> = date.split('/').collect();
    let [m, d, y] = parts.as_slice() else {
        return None;
    };
    let (m, d, y): (i8, i8, i16) = (m.parse().ok()?, d.parse().ok()?, y.parse().ok()?);
    let rest = rest.trim();
    let (clock, meridiem) = match rest.rsplit_once(' ') {
        Some((c, ap)) if ap.eq_ignore_ascii_case("AM") || ap.eq_ignore_ascii_case("PM") => {
            (c, Some(ap.to_ascii_uppercase()))
        }
        _ => (rest, None),
    };
    let mut hms = clock.split(':').map(|x| x.parse::<i8>());
    let (mut h, min, s) = if clock.is_empty() {
        (0, 0, 0)
    } else {
        (
            hms.next()?.ok()?,
            hms.next().unwrap_or(Ok(0)).ok()?,
            hms.next().unwrap_or(Ok(0)).ok()?,
        )
    };
    match meridiem.as_deref() {
        Some("AM") if h == 12 => h = 0,
        Some("PM") if h < 12 => h += 12,
        _ => {}
    }
    let dt = jiff::civil::DateTime::new(y, m, d, h, min, s, 0).ok()?;
    jiff::tz::TimeZone::UTC.to_timestamp(dt).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const CSV: &str = "Assignment State,User Group Name,Role Name,PrincipalName,Member Type,Assignment Start Time (UTC),Assignment End Time (UTC),Extra\n\
Eligible,Alice Nguyen,Global Administrator,Alice@acme.example,Direct,2026-01-01T00:00:00Z,Permanent,x\n\
Active,Bob Okafor,Global Administrator,bob@acme.example,Direct,6/1/2026 9:00:00 AM,,\n\
Active,Carol,User Administrator,carol@acme.example,Group,6/1/2026 9:00:00 AM,6/1/2026 1:00:00 PM,\n\
Active,Helpdesk Team,Knowledge Reader,Helpdesk Team,Direct,2026-06-01 09:00:00,,\n";

    #[test]
    fn reads_the_portal_export() {
        assert!(sniff(CSV));
        let inv = parse(CSV.as_bytes(), "pim.csv", "t").unwrap();
        let kinds: Vec<(&str, &str, AssignmentKind)> = inv
            .assignments
            .iter()
            .map(|a| (a.subject.as_str(), a.role.as_str(), a.kind))
            .collect();
        assert_eq!(
            kinds,
            vec![
                (
                    "alice@acme.example",
                    "entra:role:global-administrator",
                    AssignmentKind::Eligible
                ),
                (
                    "bob@acme.example",
                    "entra:role:global-administrator",
                    AssignmentKind::Standing
                ),
                (
                    "carol@acme.example",
                    "entra:role:user-administrator",
                    AssignmentKind::Temporary
                ),
                (
                    "entra:group:helpdesk team",
                    "entra:role:knowledge-reader",
                    AssignmentKind::Standing
                ),
            ]
        );
        assert_eq!(
            inv.assignments[1].window.start,
            Some("2026-06-01T09:00:00Z".parse().unwrap())
        );
        assert_eq!(
            inv.assignments[2].window.end,
            Some("2026-06-01T13:00:00Z".parse().unwrap())
        );
        assert_eq!(inv.assignments[2].provenance.line, Some(4));
        assert_eq!(inv.diagnostics.len(), 1);
        let reader = inv
            .roles
            .iter()
            .find(|r| r.id == "entra:role:knowledge-reader")
            .unwrap();
        assert_eq!(reader.privilege, crate::model::PrivilegeLevel::Read);
    }

    #[test]
    fn missing_columns_and_bad_times_are_errors_naming_the_place() {
        let err = parse(
            b"Assignment State,Role Name\nEligible,Global Administrator\n",
            "pim.csv",
            "t",
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("pim.csv: line 1:") && err.contains("PrincipalName"),
            "{err}"
        );
        let bad = "Assignment State,Role Name,PrincipalName,Assignment End Time (UTC)\nActive,Global Administrator,a@x,13/45/2026\n";
        let err = parse(bad.as_bytes(), "pim.csv", "t")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("line 2, column `Assignment End Time (UTC)`")
                && err.contains("13/45/2026"),
            "{err}"
        );
        let bad = "Assignment State,Role Name,PrincipalName\nMaybe,Global Administrator,a@x\n";
        assert!(parse(bad.as_bytes(), "pim.csv", "t")
            .unwrap_err()
            .to_string()
            .contains("not an assignment state"));
    }
}
