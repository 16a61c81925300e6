//! Builds small inventories in Rust and runs one rule over them the way a scan does:
//! finalize, reconstruct grants, build the graph, resolve the rule's parameters through
//! residue.yaml's real validation, and run it through [`run_rules`].

use super::{run_rules, Subject};
use crate::config::Config;
use crate::finding::Finding;
use crate::graph::PermissionGraph;
use crate::model::{
    reconstruct_grants, Assignment, AssignmentKind, ChangeEvent, ChangeKind, Condition,
    ConditionKind, Escalation, GrantEvent, GrantEventKind, Identity, IdentityKind, Inventory,
    JitPolicy, Membership, PrivilegeLevel, Provenance, Role, Secret, SecretKind, Timestamp, Trust,
    Window,
};
use std::path::Path;

/// Parses an RFC 3339 timestamp written in a test.
pub(crate) fn ts(text: &str) -> Timestamp {
    crate::model::time::parse_timestamp(text).unwrap_or_else(|e| panic!("test timestamp: {e}"))
}

/// A window with both ends given as RFC 3339 text (either may be absent).
pub(crate) fn window(start: Option<&str>, end: Option<&str>) -> Window {
    Window {
        start: start.map(ts),
        end: end.map(ts),
    }
}

/// An inventory under construction, plus the residue.yaml text the rule runs with.
#[derive(Default)]
pub(crate) struct Fixture {
    inventory: Inventory,
    config: String,
}

impl Fixture {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// residue.yaml text (break_glass, secrets, jit, windows, rules) for the run.
    pub(crate) fn config(&mut self, yaml: &str) -> &mut Self {
        self.config = yaml.to_string();
        self
    }

    fn provenance(section: &str, index: usize) -> Provenance {
        Provenance::new("test", "inventory.yaml").with_record(format!("/{section}/{index}"))
    }

    pub(crate) fn identity(&mut self, id: &str, kind: IdentityKind) -> &mut Identity {
        let provenance = Self::provenance("identities", self.inventory.identities.len());
        self.inventory
            .identities
            .push(Identity::new(id, kind, provenance));
        self.inventory.identities.last_mut().expect("just pushed")
    }

    pub(crate) fn role(&mut self, id: &str, privilege: PrivilegeLevel) -> &mut Role {
        let provenance = Self::provenance("roles", self.inventory.roles.len());
        self.inventory.roles.push(Role {
            id: id.to_string(),
            name: id.to_string(),
            permissions: Vec::new(),
            privilege,
            scope: None,
            last_used: None,
            tags: Default::default(),
            provenance,
        });
        self.inventory.roles.last_mut().expect("just pushed")
    }

    /// An unbounded membership; adjust `window` on the returned record.
    pub(crate) fn member(
        &mut self,
        member: &str,
        group: &str,
        kind: AssignmentKind,
    ) -> &mut Membership {
        let provenance = Self::provenance("memberships", self.inventory.memberships.len());
        self.inventory.memberships.push(Membership {
            member: member.into(),
            group: group.into(),
            kind,
            window: Window::UNBOUNDED,
            provenance,
        });
        self.inventory.memberships.last_mut().expect("just pushed")
    }

    /// An unbounded assignment; adjust `window` and `last_used` on the returned record.
    pub(crate) fn assign(
        &mut self,
        subject: &str,
        role: &str,
        kind: AssignmentKind,
    ) -> &mut Assignment {
        let provenance = Self::provenance("assignments", self.inventory.assignments.len());
        self.inventory.assignments.push(Assignment {
            subject: subject.into(),
            role: role.into(),
            kind,
            window: Window::UNBOUNDED,
            last_used: None,
            provenance,
        });
        self.inventory.assignments.last_mut().expect("just pushed")
    }

    /// `principal` may assume `role`, guarded by conditions of the given kinds.
    pub(crate) fn trust(
        &mut self,
        principal: &str,
        role: &str,
        conditions: &[ConditionKind],
    ) -> &mut Trust {
        let provenance = Self::provenance("trusts", self.inventory.trusts.len());
        self.inventory.trusts.push(Trust {
            role: role.into(),
            principal: principal.into(),
            conditions: conditions
                .iter()
                .map(|&kind| Condition {
                    kind,
                    detail: format!("{kind} required"),
                })
                .collect(),
            provenance,
        });
        self.inventory.trusts.last_mut().expect("just pushed")
    }

    /// `principal` (an identity or role) can obtain `target` by an escalation `method`.
    pub(crate) fn escalate(&mut self, principal: &str, target: &str, method: &str) {
        let provenance = Self::provenance("escalations", self.inventory.escalations.len());
        self.inventory.escalations.push(Escalation {
            principal: principal.to_string(),
            target: target.to_string(),
            method: method.to_string(),
            provenance,
        });
    }

    /// An active secret with no dates; set them on the returned record.
    pub(crate) fn secret(
        &mut self,
        id: &str,
        kind: SecretKind,
        owner: Option<&str>,
    ) -> &mut Secret {
        let provenance = Self::provenance("secrets", self.inventory.secrets.len());
        self.inventory.secrets.push(Secret {
            id: id.to_string(),
            kind,
            owner: owner.map(str::to_string),
            created: None,
            last_rotated: None,
            last_used: None,
            expires: None,
            active: true,
            provenance,
        });
        self.inventory.secrets.last_mut().expect("just pushed")
    }

    /// A grant event naming its principal and entitlement; set the rest on the returned record.
    pub(crate) fn grant_event(
        &mut self,
        grant_id: &str,
        event: GrantEventKind,
        time: &str,
        principal: &str,
        entitlement: &str,
    ) -> &mut GrantEvent {
        let provenance = Self::provenance("grant_events", self.inventory.grant_events.len());
        self.inventory.grant_events.push(GrantEvent {
            grant_id: grant_id.into(),
            event,
            time: ts(time),
            principal: Some(principal.into()),
            entitlement: Some(entitlement.into()),
            requester: None,
            approver: None,
            justification: None,
            ticket: None,
            window_end: None,
            break_glass: false,
            provenance,
        });
        self.inventory.grant_events.last_mut().expect("just pushed")
    }

    /// A grant activated at `time` whose window ends at `end`.
    pub(crate) fn activation(
        &mut self,
        grant_id: &str,
        time: &str,
        principal: &str,
        entitlement: &str,
        end: &str,
    ) -> &mut GrantEvent {
        let event = self.grant_event(
            grant_id,
            GrantEventKind::Activated,
            time,
            principal,
            entitlement,
        );
        event.window_end = Some(ts(end));
        event
    }

    /// A change event by `actor`; its action is a name typical of `kind` (`CreateAccessKey`
    /// …). Set the entitlement on the returned record.
    pub(crate) fn change_event(
        &mut self,
        time: &str,
        actor: &str,
        kind: ChangeKind,
        target: &str,
    ) -> &mut ChangeEvent {
        let provenance = Self::provenance("change_events", self.inventory.change_events.len());
        let action = match kind {
            ChangeKind::CredentialCreated => "CreateAccessKey",
            ChangeKind::CredentialDeleted => "DeleteAccessKey",
            ChangeKind::IdentityCreated => "CreateUser",
            ChangeKind::IdentityDeleted => "DeleteUser",
            ChangeKind::RoleCreated => "CreateRole",
            ChangeKind::RoleDeleted => "DeleteRole",
            ChangeKind::PermissionGranted => "AttachUserPolicy",
            ChangeKind::PermissionRevoked => "DetachUserPolicy",
            ChangeKind::TrustChanged => "UpdateAssumeRolePolicy",
            ChangeKind::Other => "TagUser",
        };
        self.inventory.change_events.push(ChangeEvent {
            time: ts(time),
            actor: actor.to_string(),
            kind,
            action: action.to_string(),
            target: target.to_string(),
            entitlement: None,
            provenance,
        });
        self.inventory
            .change_events
            .last_mut()
            .expect("just pushed")
    }

    /// A JIT system's policy for `role`; set its fields on the returned record.
    pub(crate) fn jit_policy(&mut self, id: &str, system: &str, role: &str) -> &mut JitPolicy {
        let provenance = Self::provenance("jit_policies", self.inventory.jit_policies.len());
        self.inventory.jit_policies.push(JitPolicy {
            id: id.to_string(),
            system: system.to_string(),
            role: role.to_string(),
            max_window: None,
            approval_required: None,
            justification_required: None,
            ticket_required: None,
            provenance,
        });
        self.inventory.jit_policies.last_mut().expect("just pushed")
    }

    /// Runs the rule `rule_id` (configured by [`Fixture::config`]) at `now` and returns its
    /// findings. Panics if the inventory or configuration is invalid or the rule crashes.
    pub(crate) fn run(&self, rule_id: &str, now: &str) -> Vec<Finding> {
        let mut config = Config::parse(&self.config, "test residue.yaml", Path::new("."))
            .unwrap_or_else(|e| panic!("test configuration: {e}"));
        config.rules.retain(|r| r.rule.meta.id == rule_id);
        assert_eq!(
            config.rules.len(),
            1,
            "rule {rule_id} is registered and enabled"
        );
        let mut inventory = self.inventory.clone();
        inventory.finalize().unwrap_or_else(|errors| {
            let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
            panic!("test inventory: {}", text.join("\n"))
        });
        let mut diagnostics = Vec::new();
        let grants = reconstruct_grants(
            &inventory.grant_events,
            config.policy.jit_default_window,
            &mut diagnostics,
        );
        let graph = PermissionGraph::build(&inventory);
        let subject = Subject::new(&inventory, &graph, &grants, &config.policy, ts(now));
        let run = run_rules(&config.rules, &subject);
        assert!(run.crashes.is_empty(), "rule crashed: {:?}", run.crashes);
        run.findings
    }
}

/// The single finding of a run, or a panic listing what was found.
pub(crate) fn only(findings: Vec<Finding>) -> Finding {
    assert_eq!(
        findings.len(),
        1,
        "expected exactly one finding, got {:#?}",
        findings
    );
    findings.into_iter().next().expect("one finding")
}
