//! Microsoft Entra ID Privileged Identity Management (PIM): saved Microsoft Graph responses
//! (format `entra-pim`) and the Entra admin center's CSV export of PIM assignments (format
//! `entra-pim-csv`, see [`portal_csv`]).
//!
//! # Inputs
//! One Graph collection response per file, saved unchanged, recognised by its
//! `@odata.context` (`https://graph.microsoft.com/v1.0/$metadata#<entity set>`):
//!
//! | entity set | gives |
//! |---|---|
//! | `users` (optionally `$expand=memberOf`) | people |
//! | `groups` (optionally `$expand=members`) | groups and their members |
//! | `servicePrincipals` (optionally `$expand=owners`) | applications, managed identities, their credentials' metadata |
//! | `roleManagement/directory/roleDefinitions` | role names, permissions and privilege |
//! | `roleManagement/directory/roleEligibilityScheduleInstances` | eligible assignments |
//! | `roleManagement/directory/roleAssignmentScheduleInstances` | active assignments: `Assigned` (standing) and `Activated` (temporary) |
//! | `roleManagement/directory/roleAssignmentScheduleRequests` | grant events: requests, activations, denials, deactivations; admin assignments as changes |
//! | `auditLogs/directoryAudits` | grant events (PIM activation, approval, expiry, deactivation) and changes (credentials, role and group members, …) |
//! | `policies/roleManagementPolicies` and `policies/roleManagementPolicyAssignments` | JIT policies ([`policies`]) |
//!
//! Other Graph listings residue knows (schedules, eligibility requests, `roleAssignments`,
//! `applications`, `directoryObjects`) are skipped with an Info diagnostic; an unknown
//! `@odata.context`, or none, is an error naming the file. A file is one response
//! (`{"@odata.context": …, "value": [ … ], "@odata.nextLink": …}`), a JSON array of
//! responses, or several responses one after another (pages saved by a paging loop);
//! `@odata.nextLink` and `@odata.count` are ignored. A source path may be a file or a
//! directory: every `*.json` below it, in sorted order, is one tenant. Unknown fields are
//! ignored; a field of the wrong type, a missing required field or a timestamp that does
//! not parse is an error naming the file, the JSON pointer (`/value/3/startDateTime`) and
//! what was expected.
//!
//! ```json
//! {"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#roleManagement/directory/roleAssignmentScheduleInstances",
//!  "value": [{"id": "lAPpYvVpN0KRkAEhdxReEEzXk1K2mUZFkNn3uZ6K8D4-1", "principalId": "5293d74c-99b6-4546-90d9-f7b99e8af03e",
//!    "roleDefinitionId": "62e90394-69f5-4237-9190-012177145e10", "directoryScopeId": "/",
//!    "startDateTime": "2019-06-13T18:51:55.483Z", "endDateTime": null,
//!    "assignmentType": "Assigned", "memberType": "Direct"}]}
//! ```
//!
//! # Ids
//! | record | id | kind |
//! |---|---|---|
//! | user | its `userPrincipalName` in lower case (`entra:user:<object id>` without one) | human |
//! | group | `entra:group:<object id>` | group |
//! | service principal | `entra:sp:<object id>` | service account; workload for managed identities; AI agent when tagged `ai-agent` |
//! | principal in no listing | as above by its `@odata.type` or audit target type, else `entra:principal:<object id>` | a stand-in, with a warning |
//! | role definition at `/` | `entra:role:<template id>` | privilege from [`roles::BUILT_IN_ROLES`] and the permissions |
//! | … at an administrative unit or object | `entra:role:<template id>@<directoryScopeId>` | scope is the directory scope |
//! | … at an application scope | `entra:role:<template id>@app:<appScopeId>` | |
//! | credential | `entra:sp:<object id>#password:<keyId>` / `#certificate:<keyId>` | metadata only |
//!
//! Every identity keeps its object id in the tag `entra.object-id`; display names name
//! people and roles in messages.
//!
//! # Assignments
//! Eligibility instances are `eligible`; `Assigned` instances are `standing` (a time-bound
//! assignment is still standing privilege, for its window: its `endDateTime` bounds it);
//! `Activated` instances are `temporary` with their window. `memberType` `Group`: the
//! group's own (Direct) instance carries the assignment and the member's membership
//! carries the reach, so the member's instance adds nothing (when the export lists no such
//! membership, it is inferred, with an Info diagnostic); `Inherited` repeats a direct
//! instance and is not counted twice. An indirect instance nothing explains is kept as a
//! direct assignment with an Info diagnostic.
//!
//! # Events
//! See [`events`]: requests and PIM audit entries become grant events tied together by
//! request and schedule ids; other directory audit entries become change events.

mod build;
mod events;
mod policies;
pub mod portal_csv;
mod read;
mod response;
pub mod roles;

#[cfg(test)]
mod tests;

use crate::connectors::{files, generic, ConnectorError};
use crate::model::{Diagnostic, Inventory};
use std::path::Path;

pub(crate) const EXPECTED: &str = "a saved Microsoft Graph response (an object with `@odata.context` and a `value` array) of users, groups, servicePrincipals, PIM role definitions, schedule instances or requests, directory audits or role management policies";

/// Whether the start of a file is a saved Graph response residue reads.
pub(crate) fn sniff(text: &str) -> bool {
    let start = text.trim_start_matches('\u{feff}').trim_start();
    (start.starts_with('{') || start.starts_with('['))
        && response::sniff_context(text).is_some_and(|c| response::listing(c).is_some())
}

/// Whether a directory holds at least one `.json` file that [`sniff`]s as a Graph response.
pub(crate) fn sniff_dir(dir: &Path) -> bool {
    files::any_sniffs(dir, is_json, sniff)
}

fn is_json(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("json"))
}

/// Reads a tenant (a saved response, or a directory of them) into an [`Inventory`].
pub fn load(path: &Path, display: &str, source: &str) -> Result<Inventory, ConnectorError> {
    let files =
        files::source_files(path, display, is_json).map_err(|e| ConnectorError::io(display, &e))?;
    if path.is_dir() && files.is_empty() {
        return Err(ConnectorError::empty(
            display,
            format!("{EXPECTED}: the directory holds no .json file"),
        ));
    }
    let mut tenant = read::Tenant::default();
    for (file, shown) in &files {
        let bytes = std::fs::read(file).map_err(|e| ConnectorError::io(shown, &e))?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(ConnectorError::empty(shown, EXPECTED));
        }
        let text = generic::decode_utf8(&bytes, shown)?;
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        for page in response::read_pages(text, shown)? {
            read::read_page(&page, shown, source, &mut tenant)?;
        }
    }
    Ok(build(&tenant, source))
}

fn build(tenant: &read::Tenant, source: &str) -> Inventory {
    let mut inv = Inventory::new();
    let mut d = build::directory(tenant, source, &mut inv);
    events::events(tenant, &mut d, &mut inv);
    policies::policies(tenant, &mut d, &mut inv);
    for (at, set, n) in &tenant.unused {
        d.diagnostics.push(Diagnostic::info(
            at.clone(),
            format!(
                "{n} record(s) of the Graph listing `{set}` were skipped: residue does not need it"
            ),
        ));
    }
    inv.identities.extend(d.identities.into_values());
    inv.roles.extend(d.roles.into_values());
    inv.diagnostics.extend(d.diagnostics);
    inv
}
