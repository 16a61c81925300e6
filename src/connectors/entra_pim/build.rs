//! Raw tenant records → canonical identities, roles, memberships, assignments and secrets.
//! Events (requests, audits) are in [`super::events`], policies in [`super::policies`].

use super::read::{Instance, InstanceKind, MemberType, Tenant};
use super::roles;
use crate::model::{
    Assignment, AssignmentKind, Diagnostic, Identity, IdentityKind, Inventory, Membership,
    Provenance, Role, Secret, SecretKind, Window,
};
use std::collections::{BTreeMap, BTreeSet};

/// A role definition as the listing (or the built-in table) describes it.
#[derive(Clone)]
pub(crate) struct Definition {
    pub template: String,
    pub name: String,
    pub built_in: bool,
    pub actions: Vec<String>,
    pub provenance: Provenance,
}

/// Identities and roles resolved so far, by Graph object id / role definition id.
pub(crate) struct Directory {
    pub source: String,
    /// Object id (lower-case) → identity id.
    pub by_object_id: BTreeMap<String, String>,
    pub identities: BTreeMap<String, Identity>,
    /// Role definition id or template id (lower-case) → the definition.
    pub definitions: BTreeMap<String, Definition>,
    pub roles: BTreeMap<String, Role>,
    pub diagnostics: Vec<Diagnostic>,
}

/// The identity id of a user: its userPrincipalName in lower case, else `entra:user:<object id>`.
pub(crate) fn user_id(upn: Option<&str>, object_id: &str) -> String {
    match upn.map(str::trim).filter(|u| !u.is_empty()) {
        Some(upn) => upn.to_lowercase(),
        None => format!("entra:user:{}", object_id.to_lowercase()),
    }
}

pub(crate) fn group_id(object_id: &str) -> String {
    format!("entra:group:{}", object_id.to_lowercase())
}

pub(crate) fn sp_id(object_id: &str) -> String {
    format!("entra:sp:{}", object_id.to_lowercase())
}

/// The role id of a role at a scope. Built-in roles are named by their display name
/// (`entra:role:global-administrator`: built-in names and template ids never change);
/// custom roles, and roles residue cannot name, by their template id
/// (`entra:role:<template id>`). A scope other than the tenant (`/`) is appended:
/// `@<directoryScopeId>` for an administrative unit or object, `@app:<appScopeId>`.
pub(crate) fn role_id(base: &str, scope: &str, app_scope: Option<&str>) -> String {
    let base = format!("entra:role:{base}");
    match app_scope
        .map(str::trim)
        .filter(|a| !a.is_empty() && *a != "/")
    {
        Some(app) => format!("{base}@app:{app}"),
        None if scope.trim().is_empty() || scope.trim() == "/" => base,
        None => format!("{base}@{}", scope.trim()),
    }
}

/// A display name as an id part: lower case, words joined by `-`.
pub(crate) fn slug(name: &str) -> String {
    let mut out = String::new();
    for word in name
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        if !out.is_empty() {
            out.push('-');
        }
        out.extend(word.chars().flat_map(char::to_lowercase));
    }
    out
}

impl Directory {
    pub fn new(source: &str) -> Self {
        Directory {
            source: source.to_string(),
            by_object_id: BTreeMap::new(),
            identities: BTreeMap::new(),
            definitions: BTreeMap::new(),
            roles: BTreeMap::new(),
            diagnostics: Vec::new(),
        }
    }

    fn add_identity(&mut self, object_id: &str, identity: Identity) {
        let key = object_id.to_lowercase();
        if let Some(existing) = self.by_object_id.get(&key) {
            if let Some(first) = self.identities.get(existing) {
                let mut again = identity.clone();
                again.provenance = first.provenance.clone();
                if again != *first {
                    self.diagnostics.push(Diagnostic::warning(
                        identity.provenance.clone(),
                        format!(
                            "object {object_id} is listed again with different content (first at {}); the first listing is used",
                            first.provenance
                        ),
                    ));
                }
            }
            return;
        }
        self.by_object_id.insert(key, identity.id.clone());
        self.identities
            .entry(identity.id.clone())
            .or_insert(identity);
    }

    /// The identity id of a principal object id, creating a stand-in (with a warning) for
    /// one no listing names. `kind_hint` is a Graph `@odata.type` or an audit target type.
    pub fn principal(
        &mut self,
        object_id: &str,
        kind_hint: Option<&str>,
        upn: Option<&str>,
        at: &Provenance,
    ) -> String {
        if let Some(id) = self.by_object_id.get(&object_id.to_lowercase()) {
            return id.clone();
        }
        let hint = kind_hint.unwrap_or("").to_ascii_lowercase();
        let (id, kind) = if hint.contains("group") {
            (group_id(object_id), IdentityKind::Group)
        } else if hint.contains("serviceprincipal") || hint.contains("application") {
            (sp_id(object_id), IdentityKind::ServiceAccount)
        } else if hint.contains("user") || upn.is_some() {
            (user_id(upn, object_id), IdentityKind::Human)
        } else {
            (
                format!("entra:principal:{}", object_id.to_lowercase()),
                IdentityKind::Human,
            )
        };
        let mut identity = Identity::new(id.clone(), kind, at.clone());
        identity
            .tags
            .insert("entra.object-id".into(), object_id.to_lowercase());
        identity.tags.insert("entra.stand-in".into(), "true".into());
        self.diagnostics.push(Diagnostic::warning(
            at.clone(),
            format!(
                "principal {object_id} is in none of the users, groups or service principals listings; it is kept as the stand-in identity {id} ({kind})"
            ),
        ));
        self.add_identity(object_id, identity);
        id
    }

    /// The identity id of an actor (requester, approver, change author), without creating one.
    pub fn actor(&self, object_id: Option<&str>, upn: Option<&str>) -> Option<String> {
        if let Some(id) = object_id.and_then(|o| self.by_object_id.get(&o.to_lowercase())) {
            return Some(id.clone());
        }
        match (
            upn.map(str::trim).filter(|u| !u.is_empty()),
            object_id.map(str::trim).filter(|o| !o.is_empty()),
        ) {
            (Some(upn), _) => Some(upn.to_lowercase()),
            (None, Some(oid)) => Some(format!("entra:principal:{}", oid.to_lowercase())),
            (None, None) => None,
        }
    }

    /// The definition of a role definition id: from the listing, else the built-in table.
    fn definition(&mut self, definition_id: &str, at: &Provenance) -> Definition {
        if let Some(d) = self.definitions.get(&definition_id.to_lowercase()) {
            return d.clone();
        }
        let template = definition_id.to_lowercase();
        let d = match roles::built_in(&template) {
            Some((name, _)) => Definition {
                template: template.clone(),
                name: name.to_string(),
                built_in: true,
                actions: Vec::new(),
                provenance: at.clone(),
            },
            None => {
                self.diagnostics.push(Diagnostic::warning(
                    at.clone(),
                    format!(
                        "role definition {definition_id} is neither in the roleDefinitions listing nor a built-in role residue knows; it is ranked write"
                    ),
                ));
                Definition {
                    template: template.clone(),
                    name: definition_id.to_string(),
                    built_in: false,
                    actions: Vec::new(),
                    provenance: at.clone(),
                }
            }
        };
        self.definitions.insert(template, d.clone());
        d
    }

    /// The role id for a role definition at a scope, creating the role on first use.
    pub fn role(
        &mut self,
        definition_id: &str,
        scope: &str,
        app_scope: Option<&str>,
        at: &Provenance,
    ) -> String {
        let def = self.definition(definition_id, at);
        let base = if def.built_in {
            slug(&def.name)
        } else {
            def.template.clone()
        };
        let id = role_id(&base, scope, app_scope);
        if self.roles.contains_key(&id) {
            return id;
        }
        let scope_text = match app_scope
            .map(str::trim)
            .filter(|a| !a.is_empty() && *a != "/")
        {
            Some(app) => format!("app:{app}"),
            None if scope.trim().is_empty() || scope.trim() == "/" => "tenant".to_string(),
            None => scope.trim().to_string(),
        };
        let mut tags = BTreeMap::new();
        tags.insert("entra.template-id".to_string(), def.template.clone());
        let display = if scope_text == "tenant" {
            def.name.clone()
        } else {
            format!("{} @ {scope_text}", def.name)
        };
        let role = Role {
            id: id.clone(),
            privilege: roles::privilege(&def.template, &def.name, &def.actions),
            name: display,
            permissions: def.actions,
            scope: Some(scope_text),
            last_used: None,
            tags,
            provenance: def.provenance,
        };
        self.roles.insert(id.clone(), role);
        id
    }
}

/// An identity from a listing: named by its display name, its object id kept as a tag.
fn listed(
    id: String,
    kind: IdentityKind,
    name: &Option<String>,
    object_id: &str,
    at: &Provenance,
) -> Identity {
    let mut identity = Identity::new(id.clone(), kind, at.clone());
    identity.name = name.clone().unwrap_or(id);
    identity
        .tags
        .insert("entra.object-id".into(), object_id.to_lowercase());
    identity
}

/// Identities, memberships, roles, assignments and secrets.
pub(crate) fn directory(t: &Tenant, source: &str, inv: &mut Inventory) -> Directory {
    let mut d = Directory::new(source);
    for u in &t.users {
        let id = user_id(u.upn.as_deref(), &u.object_id);
        let mut identity = listed(
            id,
            IdentityKind::Human,
            &u.name,
            &u.object_id,
            &u.provenance,
        );
        identity.disabled = u.enabled == Some(false);
        identity.created = u.created;
        identity.last_activity = u.last_sign_in;
        d.add_identity(&u.object_id, identity);
    }
    for g in &t.groups {
        let id = group_id(&g.object_id);
        let mut identity = listed(
            id,
            IdentityKind::Group,
            &g.name,
            &g.object_id,
            &g.provenance,
        );
        identity.created = g.created;
        d.add_identity(&g.object_id, identity);
    }
    for sp in &t.service_principals {
        let id = sp_id(&sp.object_id);
        let kind = if sp.tags.iter().any(|t| {
            let t = t.to_ascii_lowercase().replace(['-', '_', ' '], "");
            t == "aiagent" || t == "residueaiagent" || t == "agentidentity"
        }) {
            IdentityKind::AiAgent
        } else if sp
            .sp_type
            .as_deref()
            .is_some_and(|t| t.eq_ignore_ascii_case("ManagedIdentity"))
        {
            IdentityKind::Workload
        } else {
            IdentityKind::ServiceAccount
        };
        let mut identity = listed(id, kind, &sp.name, &sp.object_id, &sp.provenance);
        identity.disabled = sp.enabled == Some(false);
        if let Some(app) = &sp.app_id {
            identity
                .tags
                .insert("entra.app-id".into(), app.to_lowercase());
        }
        d.add_identity(&sp.object_id, identity);
    }
    // Owners resolve once every listing is read.
    for sp in &t.service_principals {
        let mut owners: Vec<String> = sp
            .owners
            .iter()
            .filter_map(|o| d.actor(Some(o), None))
            .collect();
        owners.sort();
        let id = sp_id(&sp.object_id);
        if let (Some(owner), Some(identity)) = (owners.first(), d.identities.get_mut(&id)) {
            if identity.provenance == sp.provenance {
                identity.owner = Some(owner.clone());
            }
        }
        for c in &sp.credentials {
            let kind = if c.certificate {
                "certificate"
            } else {
                "password"
            };
            inv.secrets.push(Secret {
                id: format!("{id}#{kind}:{}", c.key_id.to_lowercase()),
                kind: if c.certificate {
                    SecretKind::Certificate
                } else {
                    SecretKind::ApiKey
                },
                owner: Some(id.clone()),
                created: c.start,
                last_rotated: None,
                last_used: None,
                expires: c.end,
                active: true,
                provenance: c.provenance.clone(),
            });
        }
    }
    for r in &t.role_definitions {
        let entry = Definition {
            template: r.template_id.to_lowercase(),
            name: r.name.clone(),
            built_in: r.built_in || roles::built_in(&r.template_id).is_some(),
            actions: r.actions.clone(),
            provenance: r.provenance.clone(),
        };
        for key in [r.id.to_lowercase(), r.template_id.to_lowercase()] {
            d.definitions.entry(key).or_insert_with(|| entry.clone());
        }
    }
    for r in &t.role_definitions {
        d.role(&r.id, "/", None, &r.provenance);
    }

    // Memberships from `$expand=members` on groups and `$expand=memberOf` on users.
    let mut memberships: BTreeMap<(String, String), Provenance> = BTreeMap::new();
    for g in &t.groups {
        let group = group_id(&g.object_id);
        for (member, kind) in &g.members {
            let m = d.principal(member, kind.as_deref(), None, &g.provenance);
            memberships
                .entry((m, group.clone()))
                .or_insert_with(|| g.provenance.clone());
        }
    }
    for u in &t.users {
        let user = user_id(u.upn.as_deref(), &u.object_id);
        for g in &u.member_of {
            let group = d.principal(g, Some("#microsoft.graph.group"), None, &u.provenance);
            memberships
                .entry((user.clone(), group))
                .or_insert_with(|| u.provenance.clone());
        }
    }

    instances(t, &mut d, &mut memberships, inv);

    for ((member, group), provenance) in memberships {
        inv.memberships.push(Membership {
            member: member.into(),
            group: group.into(),
            kind: AssignmentKind::Standing,
            window: Window::UNBOUNDED,
            provenance,
        });
    }
    d
}

fn kind_of(i: &Instance) -> AssignmentKind {
    match i.kind {
        InstanceKind::Eligible => AssignmentKind::Eligible,
        InstanceKind::Assigned => AssignmentKind::Standing,
        InstanceKind::Activated => AssignmentKind::Temporary,
    }
}

/// Schedule instances → assignments. `Direct` instances are the principal's own;
/// `Group` instances of a user are covered by the group's own instance and the user's
/// membership (inferred when the listings lack it); `Inherited` ones by the principal's
/// direct instance. An indirect instance nothing covers is kept as a direct assignment.
fn instances(
    t: &Tenant,
    d: &mut Directory,
    memberships: &mut BTreeMap<(String, String), Provenance>,
    inv: &mut Inventory,
) {
    let mut resolved = Vec::with_capacity(t.instances.len());
    for i in &t.instances {
        let subject = d.principal(
            &i.principal,
            i.principal_type.as_deref(),
            None,
            &i.provenance,
        );
        let role = d.role(
            &i.role_definition,
            &i.scope,
            i.app_scope.as_deref(),
            &i.provenance,
        );
        resolved.push((subject, role, i));
    }
    let is_group = |d: &Directory, id: &str| {
        d.identities
            .get(id)
            .is_some_and(|x| x.kind == IdentityKind::Group)
    };
    // (role, kind) → groups holding it directly.
    let mut group_holders: BTreeMap<(String, AssignmentKind), BTreeSet<String>> = BTreeMap::new();
    let mut direct: BTreeSet<(String, String, AssignmentKind)> = BTreeSet::new();
    for (subject, role, i) in &resolved {
        if i.member_type == MemberType::Direct || is_group(d, subject) {
            direct.insert((subject.clone(), role.clone(), kind_of(i)));
            if is_group(d, subject) {
                group_holders
                    .entry((role.clone(), kind_of(i)))
                    .or_default()
                    .insert(subject.clone());
            }
        }
    }
    let template = |role: &str| role.split('@').next().unwrap_or(role).to_string();
    let mut covered = 0usize;
    for (subject, role, i) in &resolved {
        let kind = kind_of(i);
        let indirect = i.member_type != MemberType::Direct && !is_group(d, subject);
        if indirect {
            if i.member_type == MemberType::Group {
                let holders = group_holders
                    .get(&(role.clone(), kind))
                    .cloned()
                    .unwrap_or_default();
                if holders
                    .iter()
                    .any(|g| memberships.contains_key(&(subject.clone(), g.clone())))
                {
                    covered += 1;
                    continue;
                }
                if let Some(group) = holders.iter().next() {
                    memberships.insert((subject.clone(), group.clone()), i.provenance.clone());
                    d.diagnostics.push(Diagnostic::info(
                        i.provenance.clone(),
                        format!(
                            "{subject} holds {role} through a group; the export lists no membership, so residue records {subject} as a member of {group}, which holds the role directly"
                        ),
                    ));
                    continue;
                }
            } else if direct
                .iter()
                .any(|(s, r, k)| s == subject && template(r) == template(role) && *k == kind)
            {
                covered += 1;
                continue;
            }
            d.diagnostics.push(Diagnostic::info(
                i.provenance.clone(),
                format!(
                    "{subject} holds {role} through {} membership the export does not show; it is recorded as a direct assignment",
                    if i.member_type == MemberType::Group { "a group" } else { "an inherited" }
                ),
            ));
        }
        inv.assignments.push(Assignment {
            subject: subject.as_str().into(),
            role: role.as_str().into(),
            kind,
            window: Window {
                start: i.start,
                end: i.end,
            },
            last_used: None,
            provenance: i.provenance.clone(),
        });
    }
    if covered > 0 {
        d.diagnostics.push(Diagnostic::info(
            Provenance::new(&d.source, t.instances[0].provenance.file()),
            format!(
                "{covered} schedule instance(s) with memberType Group or Inherited repeat an assignment residue already has through the group or the direct instance; they are not counted twice"
            ),
        ));
    }
}
