//! Graph records → owned raw records, each with its provenance. Field errors name the JSON
//! pointer; unknown fields are ignored.

use super::response::{Listing, Page, Rec};
use crate::connectors::ConnectorError;
use crate::model::{Provenance, SignedDuration, Timestamp};

/// Everything read from one tenant's files, in file and record order.
#[derive(Default)]
pub(crate) struct Tenant {
    pub users: Vec<User>,
    pub groups: Vec<Group>,
    pub service_principals: Vec<ServicePrincipal>,
    pub role_definitions: Vec<RoleDefinition>,
    pub instances: Vec<Instance>,
    pub requests: Vec<Request>,
    pub audits: Vec<Audit>,
    pub policies: Vec<Policy>,
    pub policy_assignments: Vec<PolicyAssignment>,
    /// Records of known listings residue does not read, by file.
    pub unused: Vec<(Provenance, String, usize)>,
}

pub(crate) struct User {
    pub object_id: String,
    pub upn: Option<String>,
    pub name: Option<String>,
    pub enabled: Option<bool>,
    pub created: Option<Timestamp>,
    pub last_sign_in: Option<Timestamp>,
    /// Groups from `$expand=memberOf`.
    pub member_of: Vec<String>,
    pub provenance: Provenance,
}

pub(crate) struct Group {
    pub object_id: String,
    pub name: Option<String>,
    pub created: Option<Timestamp>,
    /// Members from `$expand=members`: object id and `@odata.type` when given.
    pub members: Vec<(String, Option<String>)>,
    pub provenance: Provenance,
}

pub(crate) struct ServicePrincipal {
    pub object_id: String,
    pub app_id: Option<String>,
    pub name: Option<String>,
    pub sp_type: Option<String>,
    pub enabled: Option<bool>,
    pub tags: Vec<String>,
    /// Owners from `$expand=owners`: object ids.
    pub owners: Vec<String>,
    pub credentials: Vec<Credential>,
    pub provenance: Provenance,
}

/// A credential's metadata: never `secretText` or `hint`.
pub(crate) struct Credential {
    pub key_id: String,
    pub certificate: bool,
    pub start: Option<Timestamp>,
    pub end: Option<Timestamp>,
    pub provenance: Provenance,
}

pub(crate) struct RoleDefinition {
    pub id: String,
    pub template_id: String,
    pub name: String,
    pub built_in: bool,
    pub actions: Vec<String>,
    pub provenance: Provenance,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum InstanceKind {
    Eligible,
    Assigned,
    Activated,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum MemberType {
    Direct,
    Group,
    Inherited,
}

pub(crate) struct Instance {
    pub kind: InstanceKind,
    pub member_type: MemberType,
    pub principal: String,
    /// `@odata.type` of an expanded `principal`, when given.
    pub principal_type: Option<String>,
    pub role_definition: String,
    pub scope: String,
    pub app_scope: Option<String>,
    pub start: Option<Timestamp>,
    pub end: Option<Timestamp>,
    /// `roleAssignmentScheduleId` / `roleEligibilityScheduleId`.
    pub schedule_id: Option<String>,
    pub provenance: Provenance,
}

pub(crate) struct Request {
    pub id: String,
    pub action: String,
    pub status: String,
    pub created: Timestamp,
    pub completed: Option<Timestamp>,
    pub principal: String,
    pub role_definition: String,
    pub scope: String,
    pub app_scope: Option<String>,
    pub target_schedule: Option<String>,
    pub justification: Option<String>,
    pub ticket: Option<String>,
    pub created_by: Option<String>,
    pub start: Option<Timestamp>,
    pub window_end: Option<Timestamp>,
    pub validation_only: bool,
    pub provenance: Provenance,
}

pub(crate) struct AuditTarget {
    pub id: Option<String>,
    pub kind: String,
    pub name: Option<String>,
    pub upn: Option<String>,
    /// `modifiedProperties`: display name → new value (decoded twice), old value.
    pub modified: Vec<(String, Option<String>, Option<String>)>,
}

pub(crate) struct Audit {
    pub id: String,
    pub activity: String,
    pub time: Timestamp,
    pub result: Option<String>,
    pub correlation_id: Option<String>,
    pub actor_user: Option<(Option<String>, Option<String>)>,
    pub actor_app: Option<(Option<String>, Option<String>)>,
    pub targets: Vec<AuditTarget>,
    pub details: Vec<(String, String)>,
    pub provenance: Provenance,
}

impl Audit {
    pub fn detail(&self, keys: &[&str]) -> Option<&str> {
        keys.iter().find_map(|k| {
            self.details
                .iter()
                .find(|(key, _)| key.eq_ignore_ascii_case(k))
                .map(|(_, v)| v.as_str())
                .filter(|v| !v.trim().is_empty())
        })
    }
}

#[derive(Default, Clone, PartialEq, Eq)]
pub(crate) struct PolicyRules {
    /// `Some(None)`: expiration not required (unbounded); `Some(Some(d))`: the maximum.
    pub max_window: Option<Option<SignedDuration>>,
    pub approval_required: Option<bool>,
    pub justification_required: Option<bool>,
    pub ticket_required: Option<bool>,
    pub mfa_required: Option<bool>,
}

pub(crate) struct Policy {
    pub id: String,
    pub rules: Option<PolicyRules>,
    pub provenance: Provenance,
}

pub(crate) struct PolicyAssignment {
    pub policy_id: String,
    pub role_definition: String,
    pub scope: String,
    pub scope_type: Option<String>,
    pub policy: Option<Policy>,
    pub provenance: Provenance,
}

/// Reads one page's records into `tenant`.
pub(crate) fn read_page(
    page: &Page,
    file: &str,
    source: &str,
    tenant: &mut Tenant,
) -> Result<(), ConnectorError> {
    if page.listing == Listing::KnownUnused {
        let at = Provenance::new(source, file);
        tenant.unused.push((
            at,
            super::response::entity_set(&page.context).unwrap_or_default(),
            page.records.len(),
        ));
        return Ok(());
    }
    for (i, (map, line)) in page.records.iter().enumerate() {
        let rec = Rec {
            map,
            pointer: format!("{}/value/{i}", page.prefix),
            file,
            line: *line,
        };
        match page.listing {
            Listing::Users => tenant.users.push(user(&rec, source)?),
            Listing::Groups => tenant.groups.push(group(&rec, source)?),
            Listing::ServicePrincipals => tenant
                .service_principals
                .push(service_principal(&rec, source)?),
            Listing::RoleDefinitions => {
                tenant.role_definitions.push(role_definition(&rec, source)?)
            }
            Listing::EligibilityInstances => tenant.instances.push(instance(&rec, source, true)?),
            Listing::AssignmentInstances => tenant.instances.push(instance(&rec, source, false)?),
            Listing::AssignmentRequests => tenant.requests.push(request(&rec, source)?),
            Listing::DirectoryAudits => tenant.audits.push(audit(&rec, source)?),
            Listing::Policies => tenant.policies.push(policy(&rec, source)?),
            Listing::PolicyAssignments => tenant
                .policy_assignments
                .push(policy_assignment(&rec, source)?),
            Listing::KnownUnused => {}
        }
    }
    Ok(())
}

const OBJECT_ID: &str = "the object id (a GUID)";

fn user(r: &Rec<'_>, source: &str) -> Result<User, ConnectorError> {
    let sign_in = r.object("signInActivity")?;
    let last_sign_in = match &sign_in {
        Some(s) => {
            let interactive = s.time("lastSignInDateTime")?;
            let other = s.time("lastNonInteractiveSignInDateTime")?;
            interactive.max(other)
        }
        None => None,
    };
    Ok(User {
        object_id: r.required("id", OBJECT_ID)?.to_string(),
        upn: r.str("userPrincipalName")?.map(str::to_string),
        name: r.str("displayName")?.map(str::to_string),
        enabled: r.bool("accountEnabled")?,
        created: r.time("createdDateTime")?,
        last_sign_in,
        member_of: expanded_ids(r, "memberOf")?
            .into_iter()
            .map(|(id, _)| id)
            .collect(),
        provenance: r.provenance(source),
    })
}

/// The ids (and `@odata.type`s) of an expanded navigation property.
fn expanded_ids(r: &Rec<'_>, key: &str) -> Result<Vec<(String, Option<String>)>, ConnectorError> {
    let mut out = Vec::new();
    for m in r.objects(key)? {
        out.push((
            m.required("id", OBJECT_ID)?.to_string(),
            m.str("@odata.type")?.map(str::to_string),
        ));
    }
    Ok(out)
}

fn group(r: &Rec<'_>, source: &str) -> Result<Group, ConnectorError> {
    Ok(Group {
        object_id: r.required("id", OBJECT_ID)?.to_string(),
        name: r.str("displayName")?.map(str::to_string),
        created: r.time("createdDateTime")?,
        members: expanded_ids(r, "members")?,
        provenance: r.provenance(source),
    })
}

fn service_principal(r: &Rec<'_>, source: &str) -> Result<ServicePrincipal, ConnectorError> {
    let mut credentials = Vec::new();
    for (key, certificate) in [("passwordCredentials", false), ("keyCredentials", true)] {
        for c in r.objects(key)? {
            credentials.push(Credential {
                key_id: c
                    .required("keyId", "the credential's key id (a GUID)")?
                    .to_string(),
                certificate,
                start: c.time("startDateTime")?,
                end: c.time("endDateTime")?,
                provenance: c.provenance(source),
            });
        }
    }
    Ok(ServicePrincipal {
        object_id: r.required("id", OBJECT_ID)?.to_string(),
        app_id: r.str("appId")?.map(str::to_string),
        name: r.str("displayName")?.map(str::to_string),
        sp_type: r.str("servicePrincipalType")?.map(str::to_string),
        enabled: r.bool("accountEnabled")?,
        tags: r.strings("tags")?,
        owners: expanded_ids(r, "owners")?
            .into_iter()
            .map(|(id, _)| id)
            .collect(),
        credentials,
        provenance: r.provenance(source),
    })
}

fn role_definition(r: &Rec<'_>, source: &str) -> Result<RoleDefinition, ConnectorError> {
    let id = r
        .required("id", "the role definition id (a GUID)")?
        .to_string();
    let mut actions = Vec::new();
    for p in r.objects("rolePermissions")? {
        actions.extend(p.strings("allowedResourceActions")?);
    }
    actions.sort();
    actions.dedup();
    Ok(RoleDefinition {
        template_id: r.str("templateId")?.unwrap_or(&id).to_string(),
        name: r.str("displayName")?.unwrap_or(&id).to_string(),
        built_in: r.bool("isBuiltIn")?.unwrap_or(false),
        id,
        actions,
        provenance: r.provenance(source),
    })
}

fn instance(r: &Rec<'_>, source: &str, eligible: bool) -> Result<Instance, ConnectorError> {
    let kind = if eligible {
        InstanceKind::Eligible
    } else {
        match r.required("assignmentType", "Assigned or Activated")? {
            t if t.eq_ignore_ascii_case("Assigned") => InstanceKind::Assigned,
            t if t.eq_ignore_ascii_case("Activated") => InstanceKind::Activated,
            other => {
                return Err(r.error(
                    "assignmentType",
                    format!("`{other}` is not an assignment type: expected Assigned or Activated"),
                ))
            }
        }
    };
    let member_type = match r.str("memberType")? {
        None => MemberType::Direct,
        Some(t) if t.eq_ignore_ascii_case("Direct") => MemberType::Direct,
        Some(t) if t.eq_ignore_ascii_case("Group") => MemberType::Group,
        Some(t) if t.eq_ignore_ascii_case("Inherited") => MemberType::Inherited,
        Some(other) => {
            return Err(r.error(
                "memberType",
                format!("`{other}` is not a member type: expected Direct, Group or Inherited"),
            ))
        }
    };
    let principal_type = match r.object("principal")? {
        Some(p) => p.str("@odata.type")?.map(str::to_string),
        None => None,
    };
    let schedule_key = if eligible {
        "roleEligibilityScheduleId"
    } else {
        "roleAssignmentScheduleId"
    };
    r.required("id", "the instance id")?;
    Ok(Instance {
        kind,
        member_type,
        principal: r.required("principalId", OBJECT_ID)?.to_string(),
        principal_type,
        role_definition: r
            .required("roleDefinitionId", "the role definition (template) id")?
            .to_string(),
        scope: r.str("directoryScopeId")?.unwrap_or("/").to_string(),
        app_scope: r.str("appScopeId")?.map(str::to_string),
        start: r.time("startDateTime")?,
        end: r.time("endDateTime")?,
        schedule_id: r.str(schedule_key)?.map(str::to_string),
        provenance: r.provenance(source),
    })
}

fn request(r: &Rec<'_>, source: &str) -> Result<Request, ConnectorError> {
    let created = r.time("createdDateTime")?.ok_or_else(|| {
        r.error(
            "createdDateTime",
            "missing required field `createdDateTime`: expected an RFC 3339 timestamp",
        )
    })?;
    let created_by = match r.object("createdBy")? {
        Some(by) => match by.object("user")? {
            Some(u) => u.str("id")?.map(str::to_string),
            None => None,
        },
        None => None,
    };
    let ticket = match r.object("ticketInfo")? {
        Some(t) => t
            .str("ticketNumber")?
            .filter(|s| !s.trim().is_empty())
            .map(str::to_string),
        None => None,
    };
    let (start, window_end) = match r.object("scheduleInfo")? {
        Some(s) => {
            let start = s.time("startDateTime")?;
            let end = match s.object("expiration")? {
                Some(e) => {
                    let kind = e.str("type")?.unwrap_or("notSpecified");
                    let end = e.time("endDateTime")?;
                    let duration = e.duration("duration")?;
                    match (kind.to_ascii_lowercase().as_str(), end, duration) {
                        ("noexpiration", _, _) => None,
                        (_, Some(end), _) => Some(end),
                        (_, None, Some(d)) => start.unwrap_or(created).checked_add(d).ok(),
                        _ => None,
                    }
                }
                None => None,
            };
            (start, end)
        }
        None => (None, None),
    };
    Ok(Request {
        id: r.required("id", "the request id")?.to_string(),
        action: r
            .required(
                "action",
                "the request action (selfActivate, adminAssign, …)",
            )?
            .to_string(),
        status: r.str("status")?.unwrap_or("").to_string(),
        created,
        completed: r.time("completedDateTime")?,
        principal: r.required("principalId", OBJECT_ID)?.to_string(),
        role_definition: r
            .required("roleDefinitionId", "the role definition (template) id")?
            .to_string(),
        scope: r.str("directoryScopeId")?.unwrap_or("/").to_string(),
        app_scope: r.str("appScopeId")?.map(str::to_string),
        target_schedule: r.str("targetScheduleId")?.map(str::to_string),
        justification: r
            .str("justification")?
            .filter(|s| !s.trim().is_empty())
            .map(str::to_string),
        ticket,
        created_by,
        start,
        window_end,
        validation_only: r.bool("isValidationOnly")?.unwrap_or(false),
        provenance: r.provenance(source),
    })
}

/// `modifiedProperties` values are JSON strings holding JSON (`"\"User Administrator\""`):
/// decode the inner JSON, and keep a string as its text.
fn decode_twice(raw: Option<&str>) -> Option<String> {
    let raw = raw?.trim();
    if raw.is_empty() {
        return None;
    }
    match serde_json::from_str::<serde_json::Value>(raw) {
        Ok(serde_json::Value::String(s)) => Some(s),
        Ok(serde_json::Value::Null) => None,
        Ok(other) => Some(other.to_string()),
        Err(_) => Some(raw.to_string()),
    }
}

fn audit(r: &Rec<'_>, source: &str) -> Result<Audit, ConnectorError> {
    let time = r.time("activityDateTime")?.ok_or_else(|| {
        r.error(
            "activityDateTime",
            "missing required field `activityDateTime`: expected an RFC 3339 timestamp",
        )
    })?;
    let (mut actor_user, mut actor_app) = (None, None);
    if let Some(by) = r.object("initiatedBy")? {
        if let Some(u) = by.object("user")? {
            actor_user = Some((
                u.str("id")?.map(str::to_string),
                u.str("userPrincipalName")?.map(str::to_string),
            ));
        }
        if let Some(a) = by.object("app")? {
            actor_app = Some((
                a.str("servicePrincipalId")?.map(str::to_string),
                a.str("displayName")?.map(str::to_string),
            ));
        }
    }
    let mut targets = Vec::new();
    for t in r.objects("targetResources")? {
        let mut modified = Vec::new();
        for m in t.objects("modifiedProperties")? {
            modified.push((
                m.str("displayName")?.unwrap_or("").to_string(),
                decode_twice(m.str("newValue")?),
                decode_twice(m.str("oldValue")?),
            ));
        }
        targets.push(AuditTarget {
            id: t.str("id")?.map(str::to_string),
            kind: t.str("type")?.unwrap_or("").to_string(),
            name: t.str("displayName")?.map(str::to_string),
            upn: t.str("userPrincipalName")?.map(str::to_string),
            modified,
        });
    }
    let mut details = Vec::new();
    for d in r.objects("additionalDetails")? {
        if let (Some(k), Some(v)) = (d.str("key")?, d.str("value")?) {
            details.push((k.to_string(), v.to_string()));
        }
    }
    Ok(Audit {
        id: r.required("id", "the audit record id")?.to_string(),
        activity: r
            .required("activityDisplayName", "the activity name")?
            .to_string(),
        time,
        result: r.str("result")?.map(str::to_string),
        correlation_id: r.str("correlationId")?.map(str::to_string),
        actor_user,
        actor_app,
        targets,
        details,
        provenance: r.provenance(source),
    })
}

fn policy_rules(r: &Rec<'_>) -> Result<Option<PolicyRules>, ConnectorError> {
    if !r.map.contains_key("rules") {
        return Ok(None);
    }
    let mut rules = PolicyRules::default();
    for rule in r.objects("rules")? {
        let id = rule.str("id")?.unwrap_or("");
        match id {
            "Expiration_EndUser_Assignment" => {
                let required = rule.bool("isExpirationRequired")?.unwrap_or(true);
                let max = rule.duration("maximumDuration")?;
                rules.max_window = Some(if required { max } else { None });
            }
            "Enablement_EndUser_Assignment" => {
                let enabled = rule.strings("enabledRules")?;
                let has = |name: &str| enabled.iter().any(|e| e.eq_ignore_ascii_case(name));
                rules.justification_required = Some(has("Justification"));
                rules.ticket_required = Some(has("Ticketing"));
                rules.mfa_required = Some(has("MultiFactorAuthentication"));
            }
            "Approval_EndUser_Assignment" => {
                if let Some(setting) = rule.object("setting")? {
                    rules.approval_required = setting.bool("isApprovalRequired")?;
                }
            }
            _ => {}
        }
    }
    Ok(Some(rules))
}

fn policy(r: &Rec<'_>, source: &str) -> Result<Policy, ConnectorError> {
    Ok(Policy {
        id: r.required("id", "the policy id")?.to_string(),
        rules: policy_rules(r)?,
        provenance: r.provenance(source),
    })
}

fn policy_assignment(r: &Rec<'_>, source: &str) -> Result<PolicyAssignment, ConnectorError> {
    let policy = match r.object("policy")? {
        Some(p) => Some(policy(&p, source)?),
        None => None,
    };
    Ok(PolicyAssignment {
        policy_id: r.required("policyId", "the policy id")?.to_string(),
        role_definition: r
            .required("roleDefinitionId", "the role definition (template) id")?
            .to_string(),
        scope: r.str("scopeId")?.unwrap_or("/").to_string(),
        scope_type: r.str("scopeType")?.map(str::to_string),
        policy,
        provenance: r.provenance(source),
    })
}
