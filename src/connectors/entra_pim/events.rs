//! Requests and directory audits → grant events and change events.
//!
//! # Tying one activation together
//! Graph links an activation's records by two ids: the request id
//! (`roleAssignmentScheduleRequests[].id`, and `RoleAssignmentRequestId` in the PIM audit
//! entries' `additionalDetails`) and the schedule id (`targetScheduleId` of every request
//! acting on it, `roleAssignmentScheduleId` of its instance). residue joins these ids
//! (a request with its target schedule; an audit with its request id, else its
//! `correlationId`) and names the grant `entra-pim:<id>` after the smallest schedule id of
//! the group, else its smallest request id, else the correlation or audit id. A
//! deactivation request therefore closes the grant its activation opened.

use super::build::Directory;
use super::read::{Audit, Request, Tenant};
use crate::model::{
    ChangeEvent, ChangeKind, Diagnostic, GrantEvent, GrantEventKind, Inventory, Provenance,
    Timestamp,
};
use compact_str::CompactString;
use std::collections::{BTreeMap, BTreeSet};

/// Union-find over tagged ids; the root of a group is its smallest member, so the name of
/// a grant does not depend on reading order.
#[derive(Default)]
struct Links {
    parent: BTreeMap<(u8, String), (u8, String)>,
}

/// Id classes, in order of preference for naming a grant.
const SCHEDULE: u8 = 0;
const REQUEST: u8 = 1;
const CORRELATION: u8 = 2;
const AUDIT: u8 = 3;

impl Links {
    fn find(&mut self, key: &(u8, String)) -> (u8, String) {
        let mut root = key.clone();
        while let Some(p) = self.parent.get(&root) {
            if *p == root {
                break;
            }
            root = p.clone();
        }
        let mut at = key.clone();
        while at != root {
            let next = self
                .parent
                .get(&at)
                .cloned()
                .unwrap_or_else(|| root.clone());
            self.parent.insert(at, root.clone());
            at = next;
        }
        self.parent
            .entry(root.clone())
            .or_insert_with(|| root.clone());
        root
    }

    fn union(&mut self, a: (u8, String), b: (u8, String)) {
        let (ra, rb) = (self.find(&a), self.find(&b));
        if ra != rb {
            let (small, large) = if ra < rb { (ra, rb) } else { (rb, ra) };
            self.parent.insert(large, small);
        }
    }

    fn grant_id(&mut self, key: &(u8, String)) -> String {
        format!("entra-pim:{}", self.find(key).1)
    }
}

fn key(class: u8, id: &str) -> (u8, String) {
    (class, id.trim().to_lowercase())
}

/// The id an audit entry is linked by.
fn audit_key(a: &Audit) -> (u8, String) {
    if let Some(r) = a.detail(&["RoleAssignmentRequestId", "RequestId"]) {
        return key(REQUEST, r);
    }
    match a.correlation_id.as_deref().filter(|c| !c.trim().is_empty()) {
        Some(c) => key(CORRELATION, c),
        None => key(AUDIT, &a.id),
    }
}

const ACTIVATING: [&str; 3] = ["selfactivate", "selfextend", "selfrenew"];
const ADMIN_GRANTING: [&str; 4] = ["adminassign", "adminupdate", "adminextend", "adminrenew"];
const SUCCEEDED: [&str; 4] = ["provisioned", "granted", "schedulecreated", "revoked"];

/// What a PIM audit entry says about a grant.
fn pim_event(activity: &str) -> Option<GrantEventKind> {
    let a = activity.to_ascii_lowercase();
    if !a.contains("pim") {
        return None;
    }
    if a.contains("activation expired") || a.contains("expired (pim") {
        return Some(GrantEventKind::Expired);
    }
    if a.contains("deny") || a.contains("denied") || a.contains("reject") {
        return Some(GrantEventKind::Denied);
    }
    if a.starts_with("approve") || a.contains("request approved") {
        return Some(GrantEventKind::Approved);
    }
    if !a.contains("pim activation") {
        return None;
    }
    let completed = a.contains("completed");
    if a.starts_with("add member to role") {
        if a.contains("requested") {
            return Some(GrantEventKind::Requested);
        }
        return completed.then_some(GrantEventKind::Activated);
    }
    if a.starts_with("remove member from role") && completed {
        return Some(GrantEventKind::Revoked);
    }
    None
}

/// What a directory (non-PIM) audit entry changed.
fn change_kind(activity: &str) -> Option<ChangeKind> {
    let a = activity.to_ascii_lowercase();
    let adds = a.starts_with("add") || a.starts_with("create") || a.starts_with("consent");
    let removes =
        a.starts_with("remove") || a.starts_with("delete") || a.starts_with("hard delete");
    if a.contains("credentials") || a.contains("certificates and secrets") {
        return Some(if removes {
            ChangeKind::CredentialDeleted
        } else {
            ChangeKind::CredentialCreated
        });
    }
    if a.starts_with("reset") && a.contains("password") {
        return Some(ChangeKind::CredentialCreated);
    }
    let grants = [
        "member to role",
        "member from role",
        "member to group",
        "member from group",
        "app role assignment",
        "owner to",
        "owner from",
        "delegated permission grant",
        "consent to application",
    ];
    if grants.iter().any(|g| a.contains(g)) {
        if adds {
            return Some(ChangeKind::PermissionGranted);
        }
        if removes {
            return Some(ChangeKind::PermissionRevoked);
        }
    }
    let objects = ["user", "service principal", "application"];
    if objects
        .iter()
        .any(|o| a == format!("add {o}") || a == format!("create {o}"))
    {
        return Some(ChangeKind::IdentityCreated);
    }
    if objects
        .iter()
        .any(|o| a == format!("delete {o}") || a == format!("hard delete {o}"))
    {
        return Some(ChangeKind::IdentityDeleted);
    }
    if a.contains("role definition") {
        return Some(if removes {
            ChangeKind::RoleDeleted
        } else if adds {
            ChangeKind::RoleCreated
        } else {
            ChangeKind::Other
        });
    }
    if a.contains("federation") || a.contains("conditional access") {
        return Some(ChangeKind::TrustChanged);
    }
    None
}

/// Requests and audits → events.
pub(crate) fn events(t: &Tenant, d: &mut Directory, inv: &mut Inventory) {
    let mut links = Links::default();
    for r in &t.requests {
        let id = key(REQUEST, &r.id);
        links.find(&id);
        if let Some(s) = r
            .target_schedule
            .as_deref()
            .filter(|s| !s.trim().is_empty())
        {
            links.union(id, key(SCHEDULE, s));
        }
    }
    for i in &t.instances {
        if let Some(s) = &i.schedule_id {
            links.find(&key(SCHEDULE, s));
        }
    }
    for a in &t.audits {
        let k = audit_key(a);
        links.find(&k);
        if let (Some(c), REQUEST) = (a.correlation_id.as_deref(), k.0) {
            if pim_event(&a.activity).is_some() && !c.trim().is_empty() {
                links.union(k.clone(), key(CORRELATION, c));
            }
        }
    }
    // Grants with an activation: only they are closed by an admin removal.
    let mut activated: BTreeSet<String> = BTreeSet::new();
    for r in &t.requests {
        if ACTIVATING.contains(&r.action.to_ascii_lowercase().as_str()) {
            activated.insert(links.grant_id(&key(REQUEST, &r.id)));
        }
    }
    for a in &t.audits {
        if pim_event(&a.activity) == Some(GrantEventKind::Activated) {
            activated.insert(links.grant_id(&audit_key(a)));
        }
    }
    let mut skipped_requests = 0usize;
    for r in &t.requests {
        if r.validation_only {
            skipped_requests += 1;
            continue;
        }
        let grant = links.grant_id(&key(REQUEST, &r.id));
        request_events(
            r,
            &grant,
            activated.contains(&grant),
            d,
            inv,
            &mut skipped_requests,
        );
    }
    if skipped_requests > 0 {
        d.diagnostics.push(Diagnostic::info(
            Provenance::new(&d.source, t.requests[0].provenance.file()),
            format!("{skipped_requests} request(s) changed nothing (validation only, failed, canceled or pending) and give no grant step beyond their request"),
        ));
    }
    let mut unread: BTreeMap<String, usize> = BTreeMap::new();
    let mut failed = 0usize;
    for a in &t.audits {
        if a.result
            .as_deref()
            .is_some_and(|r| !r.eq_ignore_ascii_case("success"))
        {
            failed += 1;
            continue;
        }
        let grant = links.grant_id(&audit_key(a));
        if !audit_events(a, &grant, d, inv) {
            *unread.entry(a.activity.clone()).or_default() += 1;
        }
    }
    if let Some(first) = t.audits.first() {
        let file = Provenance::new(&d.source, first.provenance.file());
        if failed > 0 {
            d.diagnostics.push(Diagnostic::info(file.clone(), format!("{failed} audit entr(ies) record a failed or timed-out operation and were skipped")));
        }
        if !unread.is_empty() {
            let list: Vec<String> = unread.iter().map(|(k, n)| format!("{n} × {k}")).collect();
            d.diagnostics.push(Diagnostic::info(
                file,
                format!(
                    "audit activities that change no access residue models were skipped: {}",
                    list.join(", ")
                ),
            ));
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn grant_event(
    grant: &str,
    event: GrantEventKind,
    time: Timestamp,
    principal: &str,
    entitlement: Option<&str>,
    provenance: &Provenance,
) -> GrantEvent {
    GrantEvent {
        grant_id: grant.into(),
        event,
        time,
        principal: Some(principal.into()),
        entitlement: entitlement.map(CompactString::from),
        requester: None,
        approver: None,
        justification: None,
        ticket: None,
        window_end: None,
        break_glass: false,
        provenance: provenance.clone(),
    }
}

fn request_events(
    r: &Request,
    grant: &str,
    has_activation: bool,
    d: &mut Directory,
    inv: &mut Inventory,
    skipped: &mut usize,
) {
    let principal = d.principal(&r.principal, None, None, &r.provenance);
    let role = d.role(
        &r.role_definition,
        &r.scope,
        r.app_scope.as_deref(),
        &r.provenance,
    );
    let actor = d.actor(r.created_by.as_deref(), None);
    let action = r.action.to_ascii_lowercase();
    let status = r.status.to_ascii_lowercase();
    let succeeded = SUCCEEDED.contains(&status.as_str());
    let done = r.completed.unwrap_or(r.created);
    let event = |kind, time| grant_event(grant, kind, time, &principal, Some(&role), &r.provenance);
    if ACTIVATING.contains(&action.as_str()) {
        let mut requested = event(GrantEventKind::Requested, r.created);
        requested.requester = actor
            .as_deref()
            .or(Some(principal.as_str()))
            .map(CompactString::from);
        requested.justification = r.justification.as_deref().map(CompactString::from);
        requested.ticket = r.ticket.as_deref().map(CompactString::from);
        inv.grant_events.push(requested);
        if status == "denied" {
            inv.grant_events.push(event(GrantEventKind::Denied, done));
        } else if succeeded {
            let mut activated = event(GrantEventKind::Activated, r.start.unwrap_or(done));
            activated.window_end = r.window_end;
            activated.justification = r.justification.as_deref().map(CompactString::from);
            activated.ticket = r.ticket.as_deref().map(CompactString::from);
            inv.grant_events.push(activated);
        } else {
            *skipped += 1;
        }
        return;
    }
    if !succeeded {
        *skipped += 1;
        return;
    }
    let change = |kind| ChangeEvent {
        time: done,
        actor: actor.clone().unwrap_or_else(|| principal.clone()),
        kind,
        action: r.action.clone(),
        target: principal.clone(),
        entitlement: Some(role.clone()),
        provenance: r.provenance.clone(),
    };
    match action.as_str() {
        "selfdeactivate" => {
            let mut revoked = event(GrantEventKind::Revoked, r.created);
            revoked.requester = actor.as_deref().map(CompactString::from);
            inv.grant_events.push(revoked);
        }
        "adminremove" => {
            if has_activation {
                inv.grant_events.push(event(GrantEventKind::Revoked, done));
            }
            inv.change_events
                .push(change(crate::model::ChangeKind::PermissionRevoked));
        }
        a if ADMIN_GRANTING.contains(&a) => inv
            .change_events
            .push(change(crate::model::ChangeKind::PermissionGranted)),
        _ => *skipped += 1,
    }
}

/// The role an audit entry names: `Role.TemplateId` (or `TemplateId`) among the role
/// target's modified properties, a template id in `additionalDetails`, else the role's
/// display name matched against the role definitions and built-in roles.
fn audit_role(a: &Audit, d: &mut Directory) -> Option<String> {
    let role_target = a
        .targets
        .iter()
        .find(|t| t.kind.eq_ignore_ascii_case("Role"));
    let from_properties =
        a.targets
            .iter()
            .flat_map(|t| t.modified.iter())
            .find_map(|(name, new, old)| {
                let n = name.to_ascii_lowercase();
                (n == "role.templateid" || n == "templateid" || n == "roledefinitionid")
                    .then(|| new.clone().or(old.clone()))
                    .flatten()
            });
    let template = from_properties
        .or_else(|| {
            a.detail(&["RoleDefinitionOriginId", "TemplateId", "RoleDefinitionId"])
                .map(str::to_string)
        })
        .or_else(|| {
            let name = role_target?.name.as_deref()?;
            d.definitions
                .values()
                .find(|def| def.name.eq_ignore_ascii_case(name))
                .map(|def| def.template.clone())
                .or_else(|| super::roles::built_in_by_name(name).map(str::to_string))
        })?;
    Some(d.role(&template, "/", None, &a.provenance))
}

/// The principal an audit entry is about: its first user, group or service principal target.
fn audit_subject(a: &Audit, d: &mut Directory, create: bool) -> Option<String> {
    let t = a.targets.iter().find(|t| {
        let k = t.kind.to_ascii_lowercase();
        k == "user" || k == "group" || k == "serviceprincipal" || k == "application"
    })?;
    let oid = t.id.as_deref().filter(|i| !i.trim().is_empty());
    if let Some(oid) = oid {
        if create {
            return Some(d.principal(oid, Some(&t.kind), t.upn.as_deref(), &a.provenance));
        }
        if t.kind.eq_ignore_ascii_case("application") {
            return Some(format!("entra:app:{}", oid.to_lowercase()));
        }
    }
    d.actor(oid, t.upn.as_deref())
}

/// The actor of an audit entry: the initiating user, else the initiating app's service principal.
fn audit_actor(a: &Audit, d: &Directory) -> Option<String> {
    if let Some((id, upn)) = &a.actor_user {
        if let Some(actor) = d.actor(id.as_deref(), upn.as_deref()) {
            return Some(actor);
        }
    }
    let (sp, name) = a.actor_app.as_ref()?;
    match sp.as_deref().filter(|s| !s.trim().is_empty()) {
        Some(sp) => d.actor(Some(sp), None).map(|id| {
            if id.starts_with("entra:principal:") {
                super::build::sp_id(sp)
            } else {
                id
            }
        }),
        None => name.clone(),
    }
}

/// The credential a service principal credential entry added (or removed), as the secret
/// id the connector gives it (`entra:sp:<object id>#password:<keyId>`, or `#certificate:`):
/// the key named in `KeyDescription`'s new value and not in its old one (the reverse for a
/// removal). `None` unless exactly one key changed, so the change then names the service
/// principal as before.
fn credential_target(a: &Audit, kind: ChangeKind) -> Option<String> {
    let t = a
        .targets
        .iter()
        .find(|t| t.kind.eq_ignore_ascii_case("ServicePrincipal"))?;
    let oid = t.id.as_deref().filter(|i| !i.trim().is_empty())?;
    let (_, new, old) = t
        .modified
        .iter()
        .find(|(name, _, _)| name.eq_ignore_ascii_case("KeyDescription"))?;
    let keys = |v: &Option<String>| -> Vec<(String, &'static str)> {
        let Some(v) = v else { return Vec::new() };
        v.split("KeyIdentifier=")
            .skip(1)
            .filter_map(|rest| {
                let end = rest.find([',', ']', '"']).unwrap_or(rest.len());
                let id = rest[..end].trim().to_lowercase();
                let fields = &rest[end..rest.find(']').unwrap_or(rest.len())];
                let password = fields
                    .split(',')
                    .any(|f| f.trim().eq_ignore_ascii_case("KeyType=Password"));
                (!id.is_empty()).then_some((id, if password { "password" } else { "certificate" }))
            })
            .collect()
    };
    let (after, before) = if kind == ChangeKind::CredentialDeleted {
        (keys(old), keys(new))
    } else {
        (keys(new), keys(old))
    };
    let mut changed = after.into_iter().filter(|k| !before.contains(k));
    let (id, kind) = changed.next()?;
    if changed.next().is_some() {
        return None;
    }
    Some(format!("{}#{kind}:{id}", super::build::sp_id(oid)))
}

/// Whether the entry was written by PIM itself (`MS-PIM`, `Azure AD PIM`): the echo of a
/// grant step, not a person's change.
fn by_pim(a: &Audit) -> bool {
    let app = a
        .actor_app
        .as_ref()
        .and_then(|(_, n)| n.as_deref())
        .unwrap_or("");
    let is_pim = |n: &str| {
        let n = n.to_ascii_lowercase();
        n == "ms-pim" || n.contains("azure ad pim") || n.contains("privileged identity management")
    };
    is_pim(app)
}

/// One audit entry → events; false when it says nothing residue models.
fn audit_events(a: &Audit, grant: &str, d: &mut Directory, inv: &mut Inventory) -> bool {
    if let Some(kind) = pim_event(&a.activity) {
        let Some(principal) = audit_subject(a, d, true) else {
            d.diagnostics.push(Diagnostic::warning(
                a.provenance.clone(),
                format!("PIM audit entry `{}` names no user, group or service principal target; it is not part of any grant", a.activity),
            ));
            return true;
        };
        let role = audit_role(a, d);
        let mut e = grant_event(
            grant,
            kind,
            a.time,
            &principal,
            role.as_deref(),
            &a.provenance,
        );
        let actor = audit_actor(a, d);
        match kind {
            GrantEventKind::Approved | GrantEventKind::Denied => {
                e.approver = actor.map(CompactString::from)
            }
            GrantEventKind::Requested => e.requester = actor.map(CompactString::from),
            _ => {}
        }
        if matches!(kind, GrantEventKind::Requested | GrantEventKind::Activated) {
            e.justification = a.detail(&["Justification"]).map(CompactString::from);
            e.ticket = a
                .detail(&["TicketNumber", "Ticket"])
                .map(CompactString::from);
        }
        if kind == GrantEventKind::Activated {
            e.window_end = a
                .detail(&["ExpirationTime", "EndTime", "EndDateTime"])
                .and_then(|t| crate::model::time::parse_timestamp(t).ok())
                .and_then(super::response::never_is_none);
        }
        inv.grant_events.push(e);
        return true;
    }
    let Some(kind) = change_kind(&a.activity) else {
        return false;
    };
    if by_pim(a) {
        return true;
    }
    let Some(actor) = audit_actor(a, d) else {
        return false;
    };
    let role = if a
        .targets
        .iter()
        .any(|t| t.kind.eq_ignore_ascii_case("Role"))
    {
        audit_role(a, d)
    } else {
        None
    };
    let group = a
        .targets
        .iter()
        .filter(|t| t.kind.eq_ignore_ascii_case("Group"))
        .find_map(|t| t.id.as_deref())
        .map(super::build::group_id);
    let subject_targets: Vec<_> = a
        .targets
        .iter()
        .filter(|t| !t.kind.eq_ignore_ascii_case("Group") || role.is_some())
        .collect();
    let target = if group.is_some() && role.is_none() {
        // "Add member to group": the member is the user target, the entitlement the group.
        a.targets
            .iter()
            .find(|t| !t.kind.eq_ignore_ascii_case("Group"))
            .and_then(|t| d.actor(t.id.as_deref(), t.upn.as_deref()))
    } else if subject_targets.is_empty() {
        None
    } else {
        audit_subject(a, d, false)
    };
    let Some(target) = target.or_else(|| a.targets.first().and_then(|t| t.id.clone())) else {
        return false;
    };
    let target = match kind {
        ChangeKind::CredentialCreated | ChangeKind::CredentialDeleted => {
            credential_target(a, kind).unwrap_or(target)
        }
        _ => target,
    };
    let entitlement = role.or(
        if matches!(
            kind,
            ChangeKind::PermissionGranted | ChangeKind::PermissionRevoked
        ) {
            group
        } else {
            None
        },
    );
    inv.change_events.push(ChangeEvent {
        time: a.time,
        actor,
        kind,
        action: a.activity.clone(),
        target,
        entitlement,
        provenance: a.provenance.clone(),
    });
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pim_activities_match_case_insensitively() {
        use GrantEventKind::*;
        assert_eq!(
            pim_event("Add member to role completed (PIM activation)"),
            Some(Activated)
        );
        assert_eq!(
            pim_event("add member to role requested (pim activation)"),
            Some(Requested)
        );
        assert_eq!(
            pim_event("Remove member from role (PIM activation expired)"),
            Some(Expired)
        );
        assert_eq!(
            pim_event("Remove member from role completed (PIM activation)"),
            Some(Revoked)
        );
        assert_eq!(
            pim_event("Approve request to activate role (PIM approval)"),
            Some(Approved)
        );
        assert_eq!(
            pim_event("Deny request to activate role (PIM approval)"),
            Some(Denied)
        );
        assert_eq!(
            pim_event("Add eligible member to role in PIM completed (permanent)"),
            None
        );
        assert_eq!(pim_event("Add member to role"), None);
    }

    #[test]
    fn directory_activities_become_changes() {
        assert_eq!(
            change_kind("Add service principal credentials"),
            Some(ChangeKind::CredentialCreated)
        );
        assert_eq!(
            change_kind("Remove service principal credentials"),
            Some(ChangeKind::CredentialDeleted)
        );
        assert_eq!(
            change_kind("Update application – Certificates and secrets management "),
            Some(ChangeKind::CredentialCreated)
        );
        assert_eq!(
            change_kind("Add member to role"),
            Some(ChangeKind::PermissionGranted)
        );
        assert_eq!(
            change_kind("Remove member from group"),
            Some(ChangeKind::PermissionRevoked)
        );
        assert_eq!(change_kind("Add user"), Some(ChangeKind::IdentityCreated));
        assert_eq!(change_kind("Update user"), None);
    }

    fn credential_audit(activity: &str, new: &str, old: &str) -> Audit {
        Audit {
            id: "a".into(),
            activity: activity.into(),
            time: "2026-11-17T10:30:12Z".parse().unwrap(),
            result: Some("success".into()),
            correlation_id: None,
            actor_user: None,
            actor_app: None,
            targets: vec![crate::connectors::entra_pim::read::AuditTarget {
                id: Some("B1111111-0000-4000-8000-00000000B001".into()),
                kind: "ServicePrincipal".into(),
                name: Some("acme-billing-sync".into()),
                upn: None,
                modified: vec![("KeyDescription".into(), Some(new.into()), Some(old.into()))],
            }],
            details: Vec::new(),
            provenance: Provenance::new("acme-entra", "directoryAudits.json"),
        }
    }

    #[test]
    fn a_credential_entry_names_the_key_it_added_or_removed() {
        let d2 = "[KeyIdentifier=F0000000-0000-4000-8000-0000000000D2,KeyType=Password,KeyUsage=Verify,DisplayName=tmp]";
        let d3 = "[KeyIdentifier=f0000000-0000-4000-8000-0000000000d3,KeyType=AsymmetricX509Cert,KeyUsage=Verify,DisplayName=CN=x]";
        let add = credential_audit(
            "Add service principal credentials",
            &format!("[\"{d3}\",\"{d2}\"]"),
            &format!("[\"{d3}\"]"),
        );
        assert_eq!(
            credential_target(&add, ChangeKind::CredentialCreated).as_deref(),
            Some("entra:sp:b1111111-0000-4000-8000-00000000b001#password:f0000000-0000-4000-8000-0000000000d2")
        );
        let remove = credential_audit(
            "Remove service principal credentials",
            "[]",
            &format!("[\"{d3}\"]"),
        );
        assert_eq!(
            credential_target(&remove, ChangeKind::CredentialDeleted).as_deref(),
            Some("entra:sp:b1111111-0000-4000-8000-00000000b001#certificate:f0000000-0000-4000-8000-0000000000d3")
        );
        // Two keys at once, or none named: the service principal stays the target.
        let two = credential_audit(
            "Add service principal credentials",
            &format!("[\"{d3}\",\"{d2}\"]"),
            "[]",
        );
        assert_eq!(credential_target(&two, ChangeKind::CredentialCreated), None);
        assert_eq!(
            credential_target(
                &credential_audit("Add service principal credentials", "[]", "[]"),
                ChangeKind::CredentialCreated
            ),
            None
        );
    }

    #[test]
    fn links_name_a_grant_by_its_smallest_schedule_id_whatever_the_order() {
        let mut a = Links::default();
        a.union(key(REQUEST, "r-2"), key(SCHEDULE, "s-9"));
        a.union(key(REQUEST, "r-1"), key(SCHEDULE, "s-9"));
        let mut b = Links::default();
        b.union(key(REQUEST, "r-1"), key(SCHEDULE, "s-9"));
        b.union(key(REQUEST, "r-2"), key(SCHEDULE, "s-9"));
        for l in [&mut a, &mut b] {
            assert_eq!(l.grant_id(&key(REQUEST, "R-2")), "entra-pim:s-9");
        }
        assert_eq!(a.grant_id(&key(AUDIT, "x")), "entra-pim:x");
    }
}
