//! Grants reconstructed from grant events.
//!
//! Logs arrive out of order, twice, or from several sources. Reconstruction sorts and
//! deduplicates first, so the same set of events always gives the same grants.

use super::{Diagnostic, GrantEvent, GrantEventKind, Provenance, SignedDuration, Timestamp};
use compact_str::CompactString;
use rayon::prelude::*;
use serde::Serialize;
use std::collections::BTreeSet;

/// One JIT grant, from request to close.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Grant {
    pub id: CompactString,
    pub principal: CompactString,
    pub entitlement: CompactString,
    pub requester: Option<CompactString>,
    /// Approvers in the order they approved (deduplicated).
    pub approvers: Vec<CompactString>,
    pub denied: bool,
    pub requested_at: Option<Timestamp>,
    pub activated_at: Option<Timestamp>,
    /// The end of the window: the latest one recorded, else activation + the default window.
    pub window_end: Option<Timestamp>,
    /// False when `window_end` came from `jit.default_window` rather than the log.
    pub window_end_recorded: bool,
    pub expired_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
    pub break_glass: bool,
    pub justification: Option<CompactString>,
    pub ticket: Option<CompactString>,
    pub reviewed_at: Vec<Timestamp>,
    pub used_at: Vec<Timestamp>,
    /// Every event of this grant, sorted and deduplicated; shared with the evidence of
    /// every finding about the grant.
    pub events: std::sync::Arc<[GrantEventSummary]>,
    /// Whether a source this grant's events came from records reasons at all (some event of
    /// that source, of any grant, carries a justification or a ticket): an absent reason
    /// then means none was given, not that the log cannot say.
    #[serde(skip)]
    pub source_records_reasons: bool,
}

/// An event as evidence: what happened, when, by whom, read from where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GrantEventSummary {
    pub event: GrantEventKind,
    pub time: Timestamp,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actor: Option<CompactString>,
    pub provenance: Provenance,
}

impl Grant {
    /// The window closed at or before `now` (recorded or defaulted end, or an explicit close).
    pub fn closed_by(&self, now: Timestamp) -> bool {
        self.close_time().is_some_and(|t| t <= now)
    }

    /// When the grant stopped: the earliest of revocation, expiry and window end.
    pub fn close_time(&self) -> Option<Timestamp> {
        [self.revoked_at, self.expired_at, self.window_end]
            .into_iter()
            .flatten()
            .min()
    }

    /// A revoke or expiry was logged: the JIT system says the grant was taken back.
    pub fn revocation_logged(&self) -> bool {
        self.revoked_at.is_some() || self.expired_at.is_some()
    }

    /// Length of the granted window, from activation (or approval/request) to its end.
    pub fn window_length(&self) -> Option<SignedDuration> {
        let start = self.activated_at.or(self.requested_at)?;
        Some(self.window_end?.duration_since(start))
    }

    pub fn was_activated(&self) -> bool {
        self.activated_at.is_some()
    }

    pub fn first_provenance(&self) -> Option<&Provenance> {
        self.events.first().map(|e| &e.provenance)
    }
}

/// Builds grants from events. Deterministic whatever the input order; duplicates collapse.
pub fn reconstruct_grants(
    events: &[GrantEvent],
    default_window: SignedDuration,
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<Grant> {
    reconstruct_grants_from(&mut events.to_vec(), default_window, diagnostics)
}

/// Builds grants from events, as [`reconstruct_grants`], taking the events' text instead of
/// copying it: the events are left sorted, deduplicated and emptied of their text, fit
/// only to be freed. A scan frees the raw events right after, and copying millions of
/// strings only to free the originals made the grants' memory fresh from the system.
pub fn reconstruct_grants_from(
    events: &mut Vec<GrantEvent>,
    default_window: SignedDuration,
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<Grant> {
    let recording: BTreeSet<String> = events
        .iter()
        .filter(|e| e.justification.is_some() || e.ticket.is_some())
        .map(|e| e.provenance.source())
        .collect::<BTreeSet<&str>>()
        .into_iter()
        .map(str::to_string)
        .collect();
    // Grant id, then time and kind, then the other facts, then where it was read: the
    // inventory's own order (`sort_grant_events`). A finalized inventory's events are
    // already in it without duplicates, which one parallel pass confirms; otherwise they
    // are sorted and deduplicated here the way `finalize` does it.
    let in_order = events
        .par_windows(2)
        .all(|pair| pair[0].dedup_key() < pair[1].dedup_key());
    if !in_order {
        super::sort_grant_events(events);
    }
    let built: Vec<(Option<Grant>, Vec<Diagnostic>)> = events
        .par_chunk_by_mut(|a, b| a.grant_id == b.grant_id)
        .map(|group| {
            let mut notes = Vec::new();
            let grant = build_grant(group, default_window, &mut notes).map(|mut g| {
                g.source_records_reasons = group
                    .iter()
                    .any(|e| recording.contains(e.provenance.source()));
                g
            });
            (grant, notes)
        })
        .collect();
    let mut grants = Vec::with_capacity(built.len());
    for (grant, notes) in built {
        grants.extend(grant);
        diagnostics.extend(notes);
    }
    grants
}

/// The grant one group of events describes (one grant id, sorted and deduplicated). Its
/// text is taken from the events, not copied.
fn build_grant(
    evs: &mut [GrantEvent],
    default_window: SignedDuration,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<Grant> {
    let id = std::mem::take(&mut evs[0].grant_id);
    let principal_at = evs.iter().position(|e| e.principal.is_some());
    let entitlement_at = evs.iter().position(|e| e.entitlement.is_some());
    let (Some(principal_at), Some(entitlement_at)) = (principal_at, entitlement_at) else {
        diagnostics.push(Diagnostic::warning(
            evs[0].provenance.clone(),
            format!(
                "grant {id}: no event names its {}; the grant is not evaluated",
                if principal_at.is_none() {
                    "principal"
                } else {
                    "entitlement"
                }
            ),
        ));
        return None;
    };
    // The first event naming each is the grant's; taking it leaves that event naming none,
    // so it cannot conflict with itself below.
    let principal = evs[principal_at].principal.take().unwrap_or_default();
    let entitlement = evs[entitlement_at].entitlement.take().unwrap_or_default();
    for e in evs.iter() {
        let conflicting = e.principal.as_ref().is_some_and(|p| *p != principal)
            || e.entitlement.as_ref().is_some_and(|r| *r != entitlement);
        if conflicting {
            diagnostics.push(Diagnostic::warning(
                e.provenance.clone(),
                format!("grant {id}: this {} event names a different principal or entitlement than the grant's first event ({principal} → {entitlement}); the first is used", e.event),
            ));
        }
    }
    let mut g = Grant {
        id,
        principal,
        entitlement,
        // Copied: a request's requester is also that event's actor below.
        requester: evs.iter().find_map(|e| e.requester.clone()),
        approvers: Vec::new(),
        denied: false,
        requested_at: None,
        activated_at: None,
        window_end: None,
        window_end_recorded: false,
        expired_at: None,
        revoked_at: None,
        break_glass: evs.iter().any(|e| e.break_glass),
        justification: evs.iter_mut().find_map(|e| e.justification.take()),
        ticket: evs.iter_mut().find_map(|e| e.ticket.take()),
        reviewed_at: Vec::new(),
        used_at: Vec::new(),
        events: std::sync::Arc::from([]),
        source_records_reasons: false,
    };
    let mut events = Vec::with_capacity(evs.len());
    for e in evs.iter_mut() {
        match e.event {
            GrantEventKind::Requested => {
                g.requested_at.get_or_insert(e.time);
            }
            GrantEventKind::Approved => {
                if let Some(a) = &e.approver {
                    if !g.approvers.contains(a) {
                        g.approvers.push(a.clone());
                    }
                } else {
                    // An approval that names nobody still counts as an approval step, but
                    // records an empty approver so GV001 can say who is unknown.
                    if !g.approvers.iter().any(CompactString::is_empty) {
                        g.approvers.push(CompactString::default());
                    }
                }
            }
            GrantEventKind::Denied => g.denied = true,
            GrantEventKind::Activated => {
                g.activated_at.get_or_insert(e.time);
            }
            GrantEventKind::Used => g.used_at.push(e.time),
            GrantEventKind::Expired => {
                g.expired_at.get_or_insert(e.time);
            }
            GrantEventKind::Revoked => {
                g.revoked_at.get_or_insert(e.time);
            }
            GrantEventKind::Reviewed => g.reviewed_at.push(e.time),
        }
        if let Some(end) = e.window_end {
            // A later event (an extension) may move the end; the latest recorded end wins.
            g.window_end = Some(end);
            g.window_end_recorded = true;
        }
        let actor = match e.event {
            GrantEventKind::Approved | GrantEventKind::Denied | GrantEventKind::Reviewed => {
                e.approver.take()
            }
            GrantEventKind::Requested => e.requester.take(),
            _ => None,
        };
        events.push(GrantEventSummary {
            event: e.event,
            time: e.time,
            actor,
            provenance: e.provenance.clone(),
        });
    }
    g.events = events.into();
    if g.window_end.is_none() {
        if let Some(start) = g.activated_at {
            g.window_end = start.checked_add(default_window).ok();
        }
    }
    Some(g)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(id: &str, kind: GrantEventKind, time: &str, line: u32) -> GrantEvent {
        GrantEvent {
            grant_id: id.into(),
            event: kind,
            time: time.parse().unwrap(),
            principal: Some("alice".into()),
            entitlement: Some("prod-admin".into()),
            requester: Some("alice".into()),
            approver: (kind == GrantEventKind::Approved).then(|| "bob".into()),
            justification: None,
            ticket: Some("OPS-1".into()),
            window_end: (kind == GrantEventKind::Activated)
                .then(|| "2026-01-01T12:00:00Z".parse().unwrap()),
            break_glass: false,
            provenance: Provenance::new("test", "grants.jsonl").at_line(line),
        }
    }

    #[test]
    fn order_and_duplicates_do_not_change_the_result() {
        use GrantEventKind::*;
        let events = vec![
            ev("g1", Requested, "2026-01-01T08:00:00Z", 1),
            ev("g1", Approved, "2026-01-01T08:05:00Z", 2),
            ev("g1", Activated, "2026-01-01T08:06:00Z", 3),
            ev("g1", Expired, "2026-01-01T12:00:00Z", 4),
        ];
        let mut shuffled = vec![
            events[3].clone(),
            events[1].clone(),
            events[0].clone(),
            events[2].clone(),
        ];
        let mut dup = events[1].clone();
        dup.provenance.line = Some(9);
        shuffled.push(dup);
        let mut d1 = Vec::new();
        let mut d2 = Vec::new();
        let a = reconstruct_grants(&events, SignedDuration::from_hours(24), &mut d1);
        let b = reconstruct_grants(&shuffled, SignedDuration::from_hours(24), &mut d2);
        assert_eq!(a, b);
        assert_eq!(a.len(), 1);
        let g = &a[0];
        assert_eq!(g.approvers, vec!["bob".to_string()]);
        assert_eq!(g.events.len(), 4);
        assert!(g.window_end_recorded);
        assert!(g.revocation_logged());
        assert_eq!(
            g.window_length(),
            Some(SignedDuration::from_secs(3 * 3600 + 54 * 60))
        );
    }

    #[test]
    fn interleaved_grants_come_out_in_id_order_and_know_whether_their_source_records_reasons() {
        use GrantEventKind::*;
        let mut reasoned = ev("g2", Requested, "2026-01-01T07:00:00Z", 1);
        reasoned.justification = Some("INC-1".into());
        reasoned.provenance = reasoned.provenance.with_source("broker");
        let mut quiet = ev("g3", Activated, "2026-01-01T06:00:00Z", 2);
        quiet.provenance = quiet.provenance.with_source("other-log");
        quiet.ticket = None;
        let mut same_source = ev("g1", Activated, "2026-01-01T09:00:00Z", 3);
        same_source.provenance = same_source.provenance.with_source("broker");
        let events = vec![
            quiet,
            ev("g2", Activated, "2026-01-01T07:05:00Z", 4),
            same_source,
            reasoned,
        ];
        let grants = reconstruct_grants(&events, SignedDuration::from_hours(4), &mut Vec::new());
        let ids: Vec<&str> = grants.iter().map(|g| g.id.as_str()).collect();
        assert_eq!(ids, ["g1", "g2", "g3"]);
        // g1 carries no reason itself, but its log records reasons elsewhere.
        let records: Vec<bool> = grants.iter().map(|g| g.source_records_reasons).collect();
        assert_eq!(records, [true, true, false]);
        assert_eq!(grants[1].justification.as_deref(), Some("INC-1"));
        assert_eq!(grants[1].events.len(), 2);
    }

    #[test]
    fn default_window_applies_when_none_recorded() {
        let mut e = ev("g2", GrantEventKind::Activated, "2026-01-01T08:00:00Z", 1);
        e.window_end = None;
        let mut d = Vec::new();
        let g = &reconstruct_grants(&[e], SignedDuration::from_hours(4), &mut d)[0];
        assert!(!g.window_end_recorded);
        assert_eq!(g.window_end, Some("2026-01-01T12:00:00Z".parse().unwrap()));
    }

    #[test]
    fn grant_without_principal_is_a_diagnostic_not_a_silent_drop() {
        let mut e = ev("g3", GrantEventKind::Activated, "2026-01-01T08:00:00Z", 7);
        e.principal = None;
        let mut d = Vec::new();
        assert!(reconstruct_grants(&[e], SignedDuration::from_hours(4), &mut d).is_empty());
        assert_eq!(d.len(), 1);
        assert!(d[0].message.contains("principal"));
    }
}
