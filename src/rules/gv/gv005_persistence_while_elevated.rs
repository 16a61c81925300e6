//! GV005 persistence-while-elevated: during an elevation the holder created or changed
//! durable access — a user, a role, a policy attachment or binding, a trust relationship,
//! a credential — that is still there after the elevation ended.

use crate::finding::Finding;
use crate::model::time::format_timestamp;
use crate::model::{
    Assignment, AssignmentKind, ChangeEvent, ChangeKind, Grant, Membership, Provenance,
    SignedDuration, Timestamp,
};
use crate::rules::elevation::{
    change_names_secret, closed_window_around, grants_acting_as, ActedAs,
};
use crate::rules::rv::entitlement_words;
use crate::rules::{sc, Rule, RuleContext};
use std::collections::{BTreeMap, HashMap};

pub struct PersistenceWhileElevated;

/// What gave the holder its elevation.
#[derive(Clone, Copy)]
enum Source<'a> {
    Grant(&'a Grant),
    Assignment(&'a Assignment),
    Membership(&'a Membership),
}

/// An elevation a change fell in, and how the change's actor stands for its holder.
#[derive(Clone, Copy)]
struct Elevation<'a> {
    holder: &'a str,
    entitlement: &'a str,
    close: Timestamp,
    acted: ActedAs,
    source: Source<'a>,
}

impl Elevation<'_> {
    /// Orders candidate elevations: the earliest-closing explains the change (as in SC003),
    /// then by holder, entitlement and a stable key of the source.
    fn order_key(&self) -> (Timestamp, &str, &str, ActedAs, String) {
        let key = match self.source {
            Source::Grant(g) => format!("grant:{}", g.id),
            Source::Assignment(a) => format!("assignment:{}", a.provenance),
            Source::Membership(m) => format!("membership:{}", m.provenance),
        };
        (self.close, self.holder, self.entitlement, self.acted, key)
    }

    fn words(&self) -> String {
        match self.source {
            Source::Grant(g) => format!("grant {}", g.id),
            Source::Assignment(_) => "a temporary assignment".to_string(),
            Source::Membership(_) => "a temporary membership".to_string(),
        }
    }
}

/// Temporary assignments and memberships whose window has closed by the audit time, by the
/// actor a change would name: the subject or member (the holder itself) or, for an
/// assignment, the role (a session of it).
fn temporary_windows<'a>(ctx: &RuleContext<'a>) -> HashMap<&'a str, Vec<(Source<'a>, ActedAs)>> {
    let mut by_actor: HashMap<&'a str, Vec<(Source<'a>, ActedAs)>> = HashMap::new();
    let bounded = |kind, w: &crate::model::Window| {
        kind == AssignmentKind::Temporary
            && w.start.is_some()
            && w.end.is_some_and(|e| e <= ctx.now)
    };
    for a in ctx.inventory.assignments.iter() {
        if bounded(a.kind, &a.window) {
            let s = Source::Assignment(a);
            by_actor
                .entry(&a.subject)
                .or_default()
                .push((s, ActedAs::Holder));
            by_actor
                .entry(&a.role)
                .or_default()
                .push((s, ActedAs::RoleSession));
        }
    }
    for m in ctx.inventory.memberships.iter() {
        if bounded(m.kind, &m.window) {
            by_actor
                .entry(&m.member)
                .or_default()
                .push((Source::Membership(m), ActedAs::Holder));
        }
    }
    by_actor
}

/// The elevations `change` fell in, closed by the audit time, earliest-closing first.
fn elevations<'a>(
    ctx: &RuleContext<'a>,
    temporary: &HashMap<&'a str, Vec<(Source<'a>, ActedAs)>>,
    change: &ChangeEvent,
    skew: SignedDuration,
) -> Vec<Elevation<'a>> {
    let at = change.time;
    let mut found = Vec::new();
    // Credentials made during a JIT grant are SC003's (it reads the credential's own record
    // and reports it once per secret); only other elevations are GV005's. A grant's
    // activation may also be listed as a temporary assignment (PIM's `Activated` instance):
    // a credential a closed grant covers is SC003's whatever else covers it.
    let in_grant = grants_acting_as(ctx, &change.actor)
        .into_iter()
        .filter_map(|(g, acted)| Some((g, acted, closed_window_around(g, at, skew, ctx.now)?)));
    if change.kind == ChangeKind::CredentialCreated {
        if in_grant.count() > 0 {
            return found;
        }
    } else {
        for (g, acted, close) in in_grant {
            found.push(Elevation {
                holder: &g.principal,
                entitlement: &g.entitlement,
                close,
                acted,
                source: Source::Grant(g),
            });
        }
    }
    for &(source, acted) in temporary.get(change.actor.as_str()).into_iter().flatten() {
        let (holder, entitlement, window) = match source {
            Source::Assignment(a) => (a.subject.as_str(), a.role.as_str(), a.window),
            Source::Membership(m) => (m.member.as_str(), m.group.as_str(), m.window),
            Source::Grant(_) => continue,
        };
        let (Some(start), Some(close)) = (window.start, window.end) else {
            continue;
        };
        let start_with_skew = start.checked_sub(skew).unwrap_or(start);
        if start_with_skew <= at && at < close {
            found.push(Elevation {
                holder,
                entitlement,
                close,
                acted,
                source,
            });
        }
    }
    // A change that is the elevation itself (the holder given the entitlement it was
    // elevated to, as JIT systems log an activation) is not persistence.
    found.retain(|e| {
        !(change.kind == ChangeKind::PermissionGranted
            && change.target == e.holder
            && change.entitlement.as_deref() == Some(e.entitlement))
    });
    found.sort_by(|a, b| a.order_key().cmp(&b.order_key()));
    found
}

/// The kind of change that undoes `kind`, for the kinds GV005 checks.
fn undone_by(kind: ChangeKind) -> Option<ChangeKind> {
    match kind {
        ChangeKind::CredentialCreated => Some(ChangeKind::CredentialDeleted),
        ChangeKind::IdentityCreated => Some(ChangeKind::IdentityDeleted),
        ChangeKind::RoleCreated => Some(ChangeKind::RoleDeleted),
        ChangeKind::PermissionGranted => Some(ChangeKind::PermissionRevoked),
        // A trust is undone by deleting the role (another trust change may or may not undo
        // it: the log does not say what the policy said).
        ChangeKind::TrustChanged => Some(ChangeKind::RoleDeleted),
        _ => None,
    }
}

/// Where the durable access `change` made is still recorded in the current inventory, and
/// what it is, in words.
fn still_there<'a>(
    ctx: &RuleContext<'a>,
    change: &ChangeEvent,
    skew: SignedDuration,
) -> Option<(&'a Provenance, String)> {
    let inv = ctx.inventory;
    let target = change.target.as_str();
    match change.kind {
        ChangeKind::IdentityCreated => inv
            .identity(target)
            .filter(|i| !i.disabled)
            .map(|i| (&i.provenance, format!("{} {target} is enabled", i.kind))),
        ChangeKind::RoleCreated => inv
            .role(target)
            .map(|r| (&r.provenance, format!("role {target} exists"))),
        ChangeKind::PermissionGranted => {
            let e = change.entitlement.as_deref()?;
            let given = format!("{target} still holds {}", entitlement_words(ctx, e));
            if let Some(a) = ctx
                .assignments_for(target, e)
                .find(|a| a.active_at(ctx.now))
            {
                return Some((&a.provenance, given));
            }
            if let Some(m) = ctx
                .memberships_for(target, e)
                .find(|m| m.kind != AssignmentKind::Eligible && m.window.contains(ctx.now))
            {
                return Some((&m.provenance, given));
            }
            inv.trusts
                .iter()
                .find(|t| &*t.role == e && &*t.principal == target)
                .map(|t| (&t.provenance, format!("{target} may still assume role {e}")))
        }
        ChangeKind::TrustChanged => inv
            .trusts
            .iter()
            .find(|t| &*t.role == target)
            .map(|t| (&t.provenance, format!("role {target} is still assumable"))),
        ChangeKind::CredentialCreated => inv
            .secrets
            .iter()
            .filter(|s| s.active)
            .find(|s| {
                s.age_reference()
                    .is_some_and(|set| change_names_secret(ctx, change, s, set, skew))
            })
            .map(|s| {
                (
                    &s.provenance,
                    format!("the {} is active", sc::describe(ctx, s)),
                )
            }),
        _ => None,
    }
}

/// What the change did, as the verb phrase after its actor.
fn did(ctx: &RuleContext<'_>, change: &ChangeEvent) -> String {
    let target = &change.target;
    match change.kind {
        ChangeKind::IdentityCreated => format!("created identity {target}"),
        ChangeKind::RoleCreated => format!("created role {target}"),
        ChangeKind::PermissionGranted => format!(
            "gave {target} {}",
            entitlement_words(ctx, change.entitlement.as_deref().unwrap_or_default())
        ),
        ChangeKind::TrustChanged => format!("changed who may assume role {target}"),
        ChangeKind::CredentialCreated => format!("created credential {target}"),
        other => format!("made a {other} change to {target}"),
    }
}

impl Rule for PersistenceWhileElevated {
    fn evaluate(&self, ctx: &RuleContext<'_>, out: &mut Vec<Finding>) {
        let skew = ctx.params.duration("clock_skew");
        let temporary = temporary_windows(ctx);
        let mut undo_by_target: HashMap<&str, Vec<&ChangeEvent>> = HashMap::new();
        for c in &ctx.inventory.change_events {
            undo_by_target.entry(c.target.as_str()).or_default().push(c);
        }
        // One finding per holder and durable thing: the earliest change that made it
        // explains it (change events are sorted by time).
        let mut seen: BTreeMap<(String, ChangeKind, &str, Option<&str>), ()> = BTreeMap::new();
        for change in &ctx.inventory.change_events {
            let Some(undo) = undone_by(change.kind) else {
                continue;
            };
            let undone = undo_by_target
                .get(change.target.as_str())
                .into_iter()
                .flatten()
                .any(|c| {
                    c.kind == undo
                        && c.time > change.time
                        && (undo != ChangeKind::PermissionRevoked
                            || c.entitlement == change.entitlement)
                });
            if undone {
                continue;
            }
            let Some(elevation) = elevations(ctx, &temporary, change, skew).into_iter().next()
            else {
                continue;
            };
            let Some((present_at, present)) = still_there(ctx, change, skew) else {
                continue;
            };
            let key = (
                elevation.holder.to_string(),
                change.kind,
                change.target.as_str(),
                change.entitlement.as_deref(),
            );
            if seen.insert(key, ()).is_some() {
                continue;
            }
            out.push(finding(ctx, change, &elevation, present_at, &present));
        }
    }
}

fn finding(
    ctx: &RuleContext<'_>,
    change: &ChangeEvent,
    elevation: &Elevation<'_>,
    present_at: &Provenance,
    present: &str,
) -> Finding {
    let holder = ctx.inventory.display_name(elevation.holder);
    let what = did(ctx, change);
    let when = format_timestamp(change.time);
    let ent = entitlement_words(ctx, elevation.entitlement);
    let via = elevation.words();
    let lead = match elevation.acted {
        ActedAs::Holder => format!(
            "{holder} {what} ({}) at {when} while holding {ent} through {via}",
            change.action
        ),
        ActedAs::RoleSession => format!(
            "A session of role {} {what} ({}) at {when} while {holder} held that role through {via}",
            elevation.entitlement, change.action
        ),
    };
    let message = format!(
        "{lead}; the elevation closed at {}, but the access it made is still there: {present}.",
        format_timestamp(elevation.close)
    );
    // The durable thing: what a permission was given, else what was created or changed.
    let durable = match change.kind {
        ChangeKind::PermissionGranted => change.entitlement.as_deref().unwrap_or(&change.target),
        _ => change.target.as_str(),
    };
    let identity_key = format!(
        "{}|{}|{}",
        change.kind,
        change.target,
        change.entitlement.as_deref().unwrap_or_default()
    );
    let mut f = ctx
        .finding(elevation.holder, Some(durable), &identity_key, message)
        .source(&change.provenance)
        .source(present_at)
        .fact("change_kind", change.kind)
        .fact("action", &change.action)
        .fact("changed_at", when)
        .fact("target", &change.target)
        .fact("actor", &change.actor)
        .fact("elevation", &via)
        .fact("elevated_to", elevation.entitlement)
        .fact("elevation_closed_at", format_timestamp(elevation.close));
    f = match elevation.source {
        Source::Grant(g) => f.grant(g),
        Source::Assignment(a) => f.source(&a.provenance),
        Source::Membership(m) => f.source(&m.provenance),
    };
    f.build()
}

#[cfg(test)]
mod tests {
    use crate::model::{AssignmentKind, ChangeKind, IdentityKind, PrivilegeLevel, SecretKind};
    use crate::rules::test_support::{only, ts, window, Fixture};

    const NOW: &str = "2026-06-01T00:00:00Z";

    /// alice holds prod-admin through grant g1 from 08:00 to 12:00 on 31 May; bob exists.
    fn org() -> Fixture {
        let mut f = Fixture::new();
        f.identity("alice", IdentityKind::Human);
        f.identity("bob", IdentityKind::Human);
        f.role("prod-admin", PrivilegeLevel::Admin);
        f.role("billing-read", PrivilegeLevel::Read);
        f.activation(
            "g1",
            "2026-05-31T08:00:00Z",
            "alice",
            "prod-admin",
            "2026-05-31T12:00:00Z",
        );
        f
    }

    fn attach(f: &mut Fixture, time: &str, actor: &str) {
        f.change_event(time, actor, ChangeKind::PermissionGranted, "bob")
            .entitlement = Some("prod-admin".into());
    }

    #[test]
    fn a_standing_admin_given_while_elevated_fires_once_closed() {
        let mut f = org();
        f.assign("bob", "prod-admin", AssignmentKind::Standing);
        attach(&mut f, "2026-05-31T09:30:00Z", "alice");
        attach(&mut f, "2026-05-31T10:30:00Z", "alice");
        let finding = only(f.run("GV005", NOW));
        assert_eq!(finding.subject, "alice");
        assert_eq!(finding.entitlement.as_deref(), Some("prod-admin"));
        assert_eq!(
            finding.message,
            "alice gave bob role prod-admin (admin) (AttachUserPolicy) at 2026-05-31T09:30:00Z \
             while holding role prod-admin (admin) through grant g1; the elevation closed at \
             2026-05-31T12:00:00Z, but the access it made is still there: bob still holds role \
             prod-admin (admin)."
        );
        assert_eq!(
            finding.evidence.sources[0].record.as_deref(),
            Some("/change_events/0"),
            "the change locates the finding"
        );
        let later = only(f.run("GV005", "2027-01-01T00:00:00Z"));
        assert_eq!(finding.fingerprint, later.fingerprint);
        // While the grant is still open, nothing is left behind yet.
        assert!(f.run("GV005", "2026-05-31T11:00:00Z").is_empty());
    }

    #[test]
    fn revoked_later_gone_now_outside_the_window_or_the_activation_itself_are_quiet() {
        // Revoked by a later change.
        let mut f = org();
        f.assign("bob", "prod-admin", AssignmentKind::Standing);
        attach(&mut f, "2026-05-31T09:30:00Z", "alice");
        f.change_event(
            "2026-05-31T11:00:00Z",
            "alice",
            ChangeKind::PermissionRevoked,
            "bob",
        )
        .entitlement = Some("prod-admin".into());
        assert!(f.run("GV005", NOW).is_empty());
        // Not in the current inventory.
        let mut f = org();
        attach(&mut f, "2026-05-31T09:30:00Z", "alice");
        assert!(f.run("GV005", NOW).is_empty());
        // Before the grant, beyond the clock skew.
        let mut f = org();
        f.assign("bob", "prod-admin", AssignmentKind::Standing);
        attach(&mut f, "2026-05-31T07:00:00Z", "alice");
        assert!(f.run("GV005", NOW).is_empty());
        // The JIT system logging alice's own activation.
        let mut f = org();
        f.assign("alice", "prod-admin", AssignmentKind::Standing);
        f.change_event(
            "2026-05-31T08:00:00Z",
            "alice",
            ChangeKind::PermissionGranted,
            "alice",
        )
        .entitlement = Some("prod-admin".into());
        assert!(f.run("GV005", NOW).is_empty());
    }

    #[test]
    fn a_role_session_and_a_temporary_assignment_are_elevations_too() {
        let mut f = org();
        f.identity("svc-new", IdentityKind::ServiceAccount);
        f.change_event(
            "2026-05-31T09:00:00Z",
            "prod-admin",
            ChangeKind::IdentityCreated,
            "svc-new",
        );
        let finding = only(f.run("GV005", NOW));
        assert_eq!(finding.subject, "alice");
        assert_eq!(finding.entitlement.as_deref(), Some("svc-new"));
        assert!(
            finding.message.starts_with(
                "A session of role prod-admin created identity svc-new (CreateUser) at \
                 2026-05-31T09:00:00Z while alice held that role through grant g1;"
            ),
            "{}",
            finding.message
        );
        assert!(
            finding
                .message
                .ends_with("still there: service-account svc-new is enabled."),
            "{}",
            finding.message
        );

        // bob's temporary assignment of prod-admin; he makes himself a key that SC003 cannot
        // see (no grant), so GV005 reports it.
        let mut f = org();
        f.assign("bob", "prod-admin", AssignmentKind::Temporary)
            .window = window(Some("2026-05-30T10:00:00Z"), Some("2026-05-30T14:00:00Z"));
        f.secret("bob#key-1", SecretKind::AccessKey, Some("bob"))
            .created = Some(ts("2026-05-30T11:00:00Z"));
        f.change_event(
            "2026-05-30T11:00:00Z",
            "bob",
            ChangeKind::CredentialCreated,
            "bob#key-1",
        );
        let finding = only(f.run("GV005", NOW));
        assert_eq!(finding.subject, "bob");
        assert!(
            finding.message.contains(
                "through a temporary assignment; the elevation closed at 2026-05-30T14:00:00Z"
            ),
            "{}",
            finding.message
        );
    }

    #[test]
    fn a_key_made_during_a_grant_is_left_to_sc003() {
        let mut f = org();
        f.secret("alice#key-1", SecretKind::AccessKey, Some("alice"))
            .created = Some(ts("2026-05-31T09:00:00Z"));
        f.change_event(
            "2026-05-31T09:00:00Z",
            "alice",
            ChangeKind::CredentialCreated,
            "alice#key-1",
        );
        assert!(f.run("GV005", NOW).is_empty());
        assert_eq!(f.run("SC003", NOW).len(), 1);
        // The activation is also listed as a temporary assignment (as Entra PIM lists an
        // `Activated` instance): still one key, still SC003's alone.
        f.assign("alice", "prod-admin", AssignmentKind::Temporary)
            .window = window(Some("2026-05-31T08:00:00Z"), Some("2026-05-31T12:00:00Z"));
        assert!(f.run("GV005", NOW).is_empty());
        assert_eq!(f.run("SC003", NOW).len(), 1);
    }
}
