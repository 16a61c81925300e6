//! JIT on AWS from CloudTrail alone: which access changes were temporary grants, when they
//! were taken back, and when they were used.
//!
//! - **Broker grants.** A change that grants access (attach or put a policy, add to a group,
//!   tag a principal, create an access key or a login profile) whose actor is a JIT broker —
//!   a principal listed in `jit.brokers`, or a session of a listed role — starts a grant:
//!   events `activated` and `approved` (approver: the broker, whose workflow is the approval
//!   CloudTrail can see) at the change's time, with no window end, so the grant lasts
//!   `jit.default_window` unless revoked sooner. The grant id is `ct-` + the `eventID`.
//!   The principal is the user, role or group that received the access; the entitlement the
//!   policy ARN, `OWNER_ARN#inline/NAME`, the group ARN, `ARN#tag/KEY=VALUE`, the access key
//!   id or `USER_ARN#password`.
//! - **Revocation.** The matching reverse change by anyone (detach, delete the inline policy,
//!   remove from the group, untag the key, delete or deactivate the key, delete the login
//!   profile) logs `revoked` for the open grant of that principal and entitlement.
//! - **Elevations only CloudTrail records.** An attach, put or add-to-group by anyone else
//!   that is later undone is a temporary grant too: `activated` at the grant with
//!   `requester` = the actor and no approval (so GV001 reports it), and `revoked` at the undo,
//!   whose time is also the recorded window end. A grant never undone is standing access, which
//!   the authorization details show: it is not a grant.
//! - **Usage.** `used` is logged for a grant at each call, from its activation on, that
//!   exercises it: a call signed with the granted access key; a console sign-in with a granted
//!   password; an `AssumeRole` by the principal of the granted role, or while it carries a
//!   granted tag; and for a granted policy or group, any write call (not read-only) by the
//!   principal or a session of it until the trail shows the grant taken back — after that a
//!   write call may rest on any other access, so it is not attributed to the revoked grant.

use super::cloudtrail::{Effect, TrailEvent};
use crate::model::{Diagnostic, GrantEvent, GrantEventKind, Provenance, Timestamp};
use std::collections::{BTreeMap, HashMap};

/// A grant found in the trail.
struct Found {
    id: String,
    principal: String,
    entitlement: String,
    activated: Timestamp,
    /// When the trail shows it taken back.
    revoked: Option<Timestamp>,
}

/// A grant seen but not yet undone.
struct Open<'a> {
    event: &'a TrailEvent,
    broker: bool,
}

/// True when `actor` is one of the brokers (a session of a broker role has the role as actor).
fn is_broker(actor: &str, brokers: &[String]) -> bool {
    brokers.iter().any(|b| b == actor)
}

/// The grant events implied by `events`, which must be sorted by time.
pub(crate) fn grant_events(
    events: &[TrailEvent],
    brokers: &[String],
) -> (Vec<GrantEvent>, Vec<Diagnostic>) {
    let mut out = Vec::new();
    let mut diagnostics = Vec::new();
    let mut open: BTreeMap<(String, String), Open<'_>> = BTreeMap::new();
    let mut found: Vec<Found> = Vec::new();
    for event in events {
        for effect in &event.effects {
            match effect {
                Effect::Grant {
                    principal,
                    entitlement,
                } => {
                    let key = (principal.clone(), entitlement.clone());
                    let broker = is_broker(&event.actor, brokers);
                    if let Some(existing) = open.get(&key) {
                        if existing.broker {
                            diagnostics.push(Diagnostic::info(
                                event.provenance.clone(),
                                format!("{principal} was granted {entitlement} again while grant ct-{} was open; the first grant continues", existing.event.id),
                            ));
                            continue;
                        }
                    }
                    if broker {
                        let id = format!("ct-{}", event.id);
                        for kind in [GrantEventKind::Approved, GrantEventKind::Activated] {
                            let mut e = base(
                                &id,
                                kind,
                                event.time,
                                principal,
                                entitlement,
                                &event.provenance,
                            );
                            if kind == GrantEventKind::Approved {
                                e.approver = Some(event.actor.as_str().into());
                            }
                            out.push(e);
                        }
                        found.push(Found {
                            id,
                            principal: principal.clone(),
                            entitlement: entitlement.clone(),
                            activated: event.time,
                            revoked: None,
                        });
                    } else if !counts_as_elevation(entitlement, principal) {
                        continue;
                    }
                    open.insert(key, Open { event, broker });
                }
                Effect::Revoke {
                    principal,
                    entitlement,
                    prefix,
                } => {
                    let keys: Vec<(String, String)> = open
                        .keys()
                        .filter(|(p, e)| {
                            p == principal
                                && if *prefix {
                                    e.starts_with(entitlement.as_str())
                                } else {
                                    e == entitlement
                                }
                        })
                        .cloned()
                        .collect();
                    for key in keys {
                        let Some(grant) = open.remove(&key) else {
                            continue;
                        };
                        let id = format!("ct-{}", grant.event.id);
                        if !grant.broker {
                            let mut activated = base(
                                &id,
                                GrantEventKind::Activated,
                                grant.event.time,
                                &key.0,
                                &key.1,
                                &grant.event.provenance,
                            );
                            activated.requester = Some(grant.event.actor.as_str().into());
                            out.push(activated);
                            found.push(Found {
                                id: id.clone(),
                                principal: key.0.clone(),
                                entitlement: key.1.clone(),
                                activated: grant.event.time,
                                revoked: None,
                            });
                        }
                        if let Some(f) = found.iter_mut().rev().find(|f| f.id == id) {
                            f.revoked = Some(event.time);
                        }
                        let mut revoked = base(
                            &id,
                            GrantEventKind::Revoked,
                            event.time,
                            &key.0,
                            &key.1,
                            &event.provenance,
                        );
                        if !grant.broker {
                            revoked.window_end = Some(event.time);
                        }
                        out.push(revoked);
                    }
                }
            }
        }
    }
    out.extend(usage(events, &found));
    (out, diagnostics)
}

/// Non-broker changes that make a temporary grant when undone: policies and group
/// memberships, not credentials or tags (their life cycle is not an elevation).
fn counts_as_elevation(entitlement: &str, principal: &str) -> bool {
    entitlement.starts_with("arn:")
        && !entitlement.starts_with(&format!("{principal}#tag/"))
        && !entitlement.ends_with("#password")
}

fn base(
    id: &str,
    kind: GrantEventKind,
    time: Timestamp,
    principal: &str,
    entitlement: &str,
    provenance: &Provenance,
) -> GrantEvent {
    GrantEvent {
        grant_id: id.into(),
        event: kind,
        time,
        principal: Some(principal.into()),
        entitlement: Some(entitlement.into()),
        requester: None,
        approver: None,
        justification: None,
        ticket: None,
        window_end: None,
        break_glass: false,
        provenance: provenance.clone(),
    }
}

/// `used` events: calls that exercise a found grant, from its activation on.
fn usage(events: &[TrailEvent], found: &[Found]) -> Vec<GrantEvent> {
    let mut by_principal: HashMap<&str, Vec<&Found>> = HashMap::new();
    let mut by_key: HashMap<&str, Vec<&Found>> = HashMap::new();
    for f in found {
        by_principal
            .entry(f.principal.as_str())
            .or_default()
            .push(f);
        if f.entitlement.starts_with("AKIA") {
            by_key.entry(f.entitlement.as_str()).or_default().push(f);
        }
    }
    let mut out = Vec::new();
    for event in events {
        let mut matched: Vec<&Found> = Vec::new();
        if let Some(key) = &event.access_key {
            matched.extend(by_key.get(key.as_str()).into_iter().flatten());
        }
        for f in by_principal.get(event.actor.as_str()).into_iter().flatten() {
            if exercises(event, f) {
                matched.push(f);
            }
        }
        for f in matched {
            // The call that takes the grant back is not a use of it.
            let undoes = event.effects.iter().any(|e| {
                matches!(e, Effect::Revoke { principal, entitlement, prefix }
                    if *principal == f.principal
                        && (*entitlement == f.entitlement
                            || (*prefix && f.entitlement.starts_with(entitlement.as_str()))))
            });
            if event.time < f.activated || undoes {
                continue;
            }
            out.push(base(
                &f.id,
                GrantEventKind::Used,
                event.time,
                &f.principal,
                &f.entitlement,
                &event.provenance,
            ));
        }
    }
    out
}

/// Whether a call by the grant's principal exercises the granted entitlement.
fn exercises(event: &TrailEvent, f: &Found) -> bool {
    let tag = f.entitlement.starts_with(&format!("{}#tag/", f.principal));
    if let Some(role) = &event.assumed_role {
        return *role == f.entitlement || tag;
    }
    if f.entitlement.ends_with("#password") {
        return event.name == "ConsoleLogin";
    }
    if tag || f.entitlement.starts_with("AKIA") {
        return false;
    }
    // A write call proves the use of a policy or group only while it is known to be held:
    // after the trail shows it taken back, the call may rest on any other access.
    !event.read_only && f.revoked.is_none_or(|r| event.time < r)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ChangeEvent;

    const BROKER: &str = "arn:aws:iam::111122223333:role/jit-broker";
    const DEV: &str = "arn:aws:iam::111122223333:user/dev";
    const ADMIN: &str = "arn:aws:iam::aws:policy/AdministratorAccess";

    fn ev(id: &str, time: &str, actor: &str, effects: Vec<Effect>) -> TrailEvent {
        TrailEvent {
            time: time.parse().unwrap(),
            id: id.into(),
            name: "X".into(),
            actor: actor.into(),
            access_key: None,
            read_only: false,
            assumed_role: None,
            changes: Vec::<ChangeEvent>::new(),
            effects,
            provenance: Provenance::new("ct", "trail.json").with_record(format!("/Records/{id}")),
        }
    }

    fn grant(p: &str, e: &str) -> Vec<Effect> {
        vec![Effect::Grant {
            principal: p.into(),
            entitlement: e.into(),
        }]
    }

    fn revoke(p: &str, e: &str, prefix: bool) -> Vec<Effect> {
        vec![Effect::Revoke {
            principal: p.into(),
            entitlement: e.into(),
            prefix,
        }]
    }

    fn summary(events: &[GrantEvent]) -> Vec<(String, GrantEventKind, String)> {
        events
            .iter()
            .map(|e| (e.grant_id.to_string(), e.event, e.time.to_string()))
            .collect()
    }

    #[test]
    fn broker_grants_open_revokes_close_and_use_is_logged() {
        let brokers = vec![BROKER.to_string()];
        let mut write = ev("w", "2026-11-02T11:00:00Z", DEV, vec![]);
        write.name = "PutObject".into();
        let mut read = ev("r", "2026-11-02T11:30:00Z", DEV, vec![]);
        read.read_only = true;
        let events = vec![
            ev("a", "2026-11-02T10:00:00Z", BROKER, grant(DEV, ADMIN)),
            write,
            read,
            ev("d", "2026-11-02T12:00:00Z", DEV, revoke(DEV, ADMIN, false)),
        ];
        let (out, diags) = grant_events(&events, &brokers);
        assert!(diags.is_empty());
        assert_eq!(
            summary(&out),
            [
                (
                    "ct-a".into(),
                    GrantEventKind::Approved,
                    "2026-11-02T10:00:00Z".into()
                ),
                (
                    "ct-a".into(),
                    GrantEventKind::Activated,
                    "2026-11-02T10:00:00Z".into()
                ),
                (
                    "ct-a".into(),
                    GrantEventKind::Revoked,
                    "2026-11-02T12:00:00Z".into()
                ),
                (
                    "ct-a".into(),
                    GrantEventKind::Used,
                    "2026-11-02T11:00:00Z".into()
                ),
            ]
        );
        assert_eq!(out[0].approver.as_deref(), Some(BROKER));
        assert_eq!(out[1].window_end, None);
    }

    #[test]
    fn tags_keys_and_passwords() {
        let brokers = vec![BROKER.to_string()];
        let tag = format!("{DEV}#tag/jit-access=admin");
        let mut assume = ev("as", "2026-11-03T09:00:00Z", DEV, vec![]);
        assume.assumed_role = Some("arn:aws:iam::111122223333:role/prod-admin".into());
        assume.read_only = true;
        let mut signed = ev(
            "k",
            "2026-11-04T09:00:00Z",
            "arn:aws:iam::111122223333:user/svc",
            vec![],
        );
        signed.access_key = Some("AKIAEXAMPLE000000001".into());
        signed.read_only = true;
        let events = vec![
            ev("t", "2026-11-02T10:00:00Z", BROKER, grant(DEV, &tag)),
            ev(
                "c",
                "2026-11-02T10:01:00Z",
                BROKER,
                grant("arn:aws:iam::111122223333:user/svc", "AKIAEXAMPLE000000001"),
            ),
            ev(
                "u",
                "2026-11-02T12:00:00Z",
                BROKER,
                revoke(DEV, &format!("{DEV}#tag/jit-access="), true),
            ),
            assume,
            signed,
        ];
        let (out, _) = grant_events(&events, &brokers);
        let s = summary(&out);
        assert!(s.contains(&(
            "ct-t".into(),
            GrantEventKind::Revoked,
            "2026-11-02T12:00:00Z".into()
        )));
        assert!(s.contains(&(
            "ct-t".into(),
            GrantEventKind::Used,
            "2026-11-03T09:00:00Z".into()
        )));
        assert!(s.contains(&(
            "ct-c".into(),
            GrantEventKind::Used,
            "2026-11-04T09:00:00Z".into()
        )));
        assert!(!s
            .iter()
            .any(|(id, k, _)| id == "ct-c" && *k == GrantEventKind::Revoked));
    }

    #[test]
    fn non_broker_elevation_is_a_grant_only_once_undone() {
        let ops = "arn:aws:iam::111122223333:user/ops";
        let events = vec![
            ev("a", "2026-11-02T10:00:00Z", ops, grant(DEV, ADMIN)),
            ev(
                "b",
                "2026-11-02T10:00:00Z",
                ops,
                grant(DEV, "arn:aws:iam::111122223333:group/readers"),
            ),
            ev("d", "2026-11-05T10:00:00Z", ops, revoke(DEV, ADMIN, false)),
            // A key created and deleted by its own user is credential life cycle, not elevation.
            ev(
                "k",
                "2026-11-02T10:00:00Z",
                DEV,
                grant(DEV, "AKIAEXAMPLE000000002"),
            ),
            ev(
                "x",
                "2026-11-02T11:00:00Z",
                DEV,
                revoke(DEV, "AKIAEXAMPLE000000002", false),
            ),
        ];
        let (all, _) = grant_events(&events, &[]);
        // dev's own key calls while elevated are write calls: uses of the elevation.
        let used = all
            .iter()
            .filter(|e| e.event == GrantEventKind::Used)
            .count();
        assert_eq!(used, 2);
        let out: Vec<_> = all
            .into_iter()
            .filter(|e| e.event != GrantEventKind::Used)
            .collect();
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].event, GrantEventKind::Activated);
        assert_eq!(out[0].requester.as_deref(), Some(ops));
        assert_eq!(out[1].event, GrantEventKind::Revoked);
        assert_eq!(
            out[1].window_end,
            Some("2026-11-05T10:00:00Z".parse().unwrap())
        );
    }
}
