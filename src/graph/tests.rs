use super::*;
use crate::model::*;

fn prov(line: u32) -> Provenance {
    Provenance::new("test", "inv.yaml").at_line(line)
}

fn ident(id: &str, kind: IdentityKind) -> Identity {
    Identity::new(id, kind, prov(1))
}

fn role(id: &str, privilege: PrivilegeLevel) -> Role {
    Role {
        id: id.into(),
        name: id.into(),
        permissions: vec![],
        privilege,
        scope: None,
        last_used: None,
        tags: Default::default(),
        provenance: prov(2),
    }
}

fn assign(subject: &str, role: &str, kind: AssignmentKind, window: Window) -> Assignment {
    Assignment {
        subject: subject.into(),
        role: role.into(),
        kind,
        window,
        last_used: None,
        provenance: prov(3),
    }
}

fn member(member: &str, group: &str, kind: AssignmentKind) -> Membership {
    Membership {
        member: member.into(),
        group: group.into(),
        kind,
        window: Window::UNBOUNDED,
        provenance: prov(4),
    }
}

fn now() -> Timestamp {
    "2026-06-01T00:00:00Z".parse().unwrap()
}

/// alice ∈ team ∈ platform (nested, with a cycle platform ∈ team); platform → ops (standing);
/// ops can assume prod-admin (role chain); alice eligible for break-admin; bob temporary ops.
fn org() -> (Inventory, PermissionGraph) {
    let mut inv = Inventory::new();
    inv.identities = vec![
        ident("alice", IdentityKind::Human),
        ident("bob", IdentityKind::Human),
        ident("team", IdentityKind::Group),
        ident("platform", IdentityKind::Group),
    ];
    inv.roles = vec![
        role("ops", PrivilegeLevel::Write),
        role("prod-admin", PrivilegeLevel::Admin),
        role("break-admin", PrivilegeLevel::Admin),
        role("mfa-admin", PrivilegeLevel::Admin),
    ];
    inv.memberships = vec![
        member("alice", "team", AssignmentKind::Standing),
        member("team", "platform", AssignmentKind::Standing),
        member("platform", "team", AssignmentKind::Standing),
    ];
    let window = Window {
        start: Some("2026-05-31T20:00:00Z".parse().unwrap()),
        end: Some("2026-06-01T04:00:00Z".parse().unwrap()),
    };
    inv.assignments = vec![
        assign(
            "platform",
            "ops",
            AssignmentKind::Standing,
            Window::UNBOUNDED,
        ),
        assign(
            "alice",
            "break-admin",
            AssignmentKind::Eligible,
            Window::UNBOUNDED,
        ),
        assign("bob", "ops", AssignmentKind::Temporary, window),
    ];
    inv.trusts = vec![
        Trust {
            role: "prod-admin".into(),
            principal: "ops".into(),
            conditions: [].into(),
            provenance: prov(5),
        },
        Trust {
            role: "mfa-admin".into(),
            principal: "alice".into(),
            conditions: [Condition {
                kind: ConditionKind::Mfa,
                detail: "mfa".into(),
            }]
            .into(),
            provenance: prov(6),
        },
    ];
    inv.finalize().unwrap();
    let g = PermissionGraph::build(&inv);
    (inv, g)
}

#[test]
fn standing_reach_follows_nested_groups_and_role_chains_safely() {
    let (_, g) = org();
    let alice = g.identity("alice").unwrap();
    let reached = g.reach(alice, now(), ReachMode::Standing);
    let ids: Vec<&str> = reached.iter().map(|r| &*r.role).collect();
    assert_eq!(ids, vec!["mfa-admin", "ops", "prod-admin"]);
    let prod = reached.iter().find(|r| &*r.role == "prod-admin").unwrap();
    assert_eq!(
        prod.path.to_string(),
        "alice -member-of(standing)-> team -member-of(standing)-> platform -assigned(standing)-> ops -can-assume-> prod-admin"
    );
    assert!(!prod.path.conditional);
    let mfa = reached.iter().find(|r| &*r.role == "mfa-admin").unwrap();
    assert!(mfa.path.conditional);
    assert_eq!(prod.privilege, PrivilegeLevel::Admin);
}

#[test]
fn temporary_edges_count_in_effective_mode_inside_their_window_and_linger_after_it() {
    let (_, g) = org();
    let bob = g.identity("bob").unwrap();
    assert!(g.reach(bob, now(), ReachMode::Standing).is_empty());
    let eff = g.reach(bob, now(), ReachMode::Effective);
    assert_eq!(
        eff.iter().map(|r| &*r.role).collect::<Vec<_>>(),
        vec!["ops", "prod-admin"]
    );
    let before: Timestamp = "2026-05-31T19:00:00Z".parse().unwrap();
    assert!(g.reach(bob, before, ReachMode::Effective).is_empty());
    // Still listed after its window closed: nothing took it back, so it is in force, in
    // every mode.
    let later: Timestamp = "2026-06-01T05:00:00Z".parse().unwrap();
    for mode in [ReachMode::Standing, ReachMode::Effective] {
        let lingering = g.reach(bob, later, mode);
        assert_eq!(lingering.len(), 2);
        assert_eq!(
            lingering[0].path.hops[0].kind,
            Some(AssignmentKind::Temporary)
        );
    }
    // The edges are classified once, for the time of the first query; queries at other
    // times classify as they go. A graph first asked at `later` answers the same.
    let (_, fresh) = org();
    for mode in [ReachMode::Standing, ReachMode::Effective] {
        assert_eq!(fresh.reach(bob, later, mode), g.reach(bob, later, mode));
    }
    assert_eq!(
        fresh.reach(bob, now(), ReachMode::Effective),
        g.reach(bob, now(), ReachMode::Effective)
    );
}

#[test]
fn escalation_paths_come_last_and_say_so() {
    let mut inv = Inventory::new();
    inv.identities = vec![ident("dev", IdentityKind::Human)];
    inv.roles = vec![
        role("deployer", PrivilegeLevel::Write),
        role("admin", PrivilegeLevel::Admin),
    ];
    inv.assignments = vec![assign(
        "dev",
        "deployer",
        AssignmentKind::Standing,
        Window::UNBOUNDED,
    )];
    inv.escalations = vec![Escalation {
        principal: "deployer".into(),
        target: "admin".into(),
        method: "iam:PassRole".into(),
        provenance: prov(7),
    }];
    inv.finalize().unwrap();
    let g = PermissionGraph::build(&inv);
    let reached = g.reach(g.identity("dev").unwrap(), now(), ReachMode::Standing);
    let admin = reached.iter().find(|r| &*r.role == "admin").unwrap();
    assert!(admin.path.via_escalation);
    assert_eq!(
        admin.path.to_string(),
        "dev -assigned(standing)-> deployer -can-escalate(iam:PassRole)-> admin"
    );
    assert!(
        !reached
            .iter()
            .find(|r| &*r.role == "deployer")
            .unwrap()
            .path
            .via_escalation
    );
}

#[test]
fn eligible_reach_needs_exactly_one_activation() {
    let (_, g) = org();
    let alice = g.identity("alice").unwrap();
    let el = g.eligible_reach(alice, now());
    assert_eq!(
        el.iter().map(|r| &*r.role).collect::<Vec<_>>(),
        vec!["break-admin"]
    );
    assert_eq!(el[0].path.hops[0].kind, Some(AssignmentKind::Eligible));
    let bob = g.identity("bob").unwrap();
    assert!(g.eligible_reach(bob, now()).is_empty());
}

#[test]
fn path_identity_key_ignores_sources() {
    let (_, g) = org();
    let alice = g.identity("alice").unwrap();
    let r = g.reach(alice, now(), ReachMode::Standing);
    let key = r
        .iter()
        .find(|r| &*r.role == "ops")
        .unwrap()
        .path
        .identity_key();
    assert_eq!(key, "alice|member-of|team|member-of|platform|assigned|ops");
}

#[test]
fn hops_are_shared_by_every_path_through_an_edge_and_a_persons_own_edges_per_query() {
    let mut inv = Inventory::new();
    inv.identities = vec![
        ident("ann", IdentityKind::Human),
        ident("ben", IdentityKind::Human),
        ident("devs", IdentityKind::Group),
    ];
    inv.roles = vec![
        role("deploy", PrivilegeLevel::Write),
        role("logs", PrivilegeLevel::Read),
    ];
    inv.memberships = vec![
        member("ann", "devs", AssignmentKind::Standing),
        member("ben", "devs", AssignmentKind::Standing),
    ];
    inv.assignments = vec![
        assign(
            "devs",
            "deploy",
            AssignmentKind::Standing,
            Window::UNBOUNDED,
        ),
        assign("devs", "logs", AssignmentKind::Standing, Window::UNBOUNDED),
    ];
    inv.finalize().unwrap();
    let g = PermissionGraph::build(&inv);
    let paths = |who: &str| -> Vec<Path> {
        g.reach(g.identity(who).unwrap(), now(), ReachMode::Standing)
            .into_iter()
            .map(|r| r.path)
            .collect()
    };
    let (ann, ann_again, ben) = (paths("ann"), paths("ann"), paths("ben"));
    assert_eq!(ann.len(), 2);
    // One query: both of ann's paths start with the same hop (ann ∈ devs).
    assert!(Arc::ptr_eq(&ann[0].hops[0], &ann[1].hops[0]));
    // Across queries and people: the group's edge is one hop.
    assert!(Arc::ptr_eq(&ann[0].hops[1], &ben[0].hops[1]));
    assert!(Arc::ptr_eq(&ann[0].hops[1], &ann_again[0].hops[1]));
    // A person's own edge is made again by another query (nothing else crosses it), and
    // is the same hop by value.
    assert!(!Arc::ptr_eq(&ann[0].hops[0], &ann_again[0].hops[0]));
    assert_eq!(ann[0].hops[0], ann_again[0].hops[0]);
}

#[test]
fn reach_is_sorted_by_role_id_whether_or_not_the_inventory_was_in_id_order() {
    // A finalized inventory lists roles and identities in id order, and the graph then
    // sorts by node index and finds identities by position; an inventory built by hand in
    // another order must give the same answers the slow way.
    let build = |roles: &[&str], identities: &[&str]| {
        let mut inv = Inventory::new();
        inv.identities = identities
            .iter()
            .map(|id| ident(id, IdentityKind::Human))
            .collect();
        inv.roles = roles
            .iter()
            .map(|id| role(id, PrivilegeLevel::Write))
            .collect();
        inv.assignments = roles
            .iter()
            .map(|r| assign("carol", r, AssignmentKind::Standing, Window::UNBOUNDED))
            .collect();
        PermissionGraph::build(&inv)
    };
    let sorted = build(&["a-role", "b-role", "c-role"], &["alice", "carol"]);
    let unsorted = build(&["c-role", "a-role", "b-role"], &["carol", "alice"]);
    assert!(sorted.roles_in_id_order && sorted.identities_in_id_order);
    assert!(!unsorted.roles_in_id_order && !unsorted.identities_in_id_order);
    for (g, carol_at) in [(&sorted, 1), (&unsorted, 0)] {
        let carol = g.identity_at(carol_at, "carol").unwrap();
        assert_eq!(carol, g.identity("carol").unwrap());
        let ids: Vec<String> = g
            .reach(carol, now(), ReachMode::Standing)
            .iter()
            .map(|r| r.role.to_string())
            .collect();
        assert_eq!(ids, ["a-role", "b-role", "c-role"]);
    }
    // Out of id order, the position is not trusted: the id decides.
    assert_eq!(unsorted.identity_at(1, "carol"), unsorted.identity("carol"));
}
