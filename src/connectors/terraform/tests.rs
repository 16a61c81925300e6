//! The Terraform plan connector on the fixtures under tests/fixtures/terraform.

use super::*;
use crate::model::{AssignmentKind, ConditionKind, IdentityKind, PrivilegeLevel};

fn fixture(name: &str) -> (String, String) {
    let path = format!("tests/fixtures/terraform/{name}");
    let text =
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(&path))
            .unwrap();
    (text, path)
}

fn load(name: &str) -> Inventory {
    let (text, path) = fixture(name);
    let mut inv = parse_plan_str(&text, "plan", &path, "prod").unwrap();
    inv.finalize().unwrap();
    inv
}

#[test]
fn recognises_plans_only() {
    let (text, _) = fixture("admin-role.compact.plan.json");
    assert!(sniff(&text));
    assert!(sniff("{\"format_version\":\"1.2\",\"planned_values\":{}"));
    assert!(
        !sniff("{\"format_version\":\"1.0\",\"values\":{}}"),
        "a state, not a plan"
    );
    assert!(!sniff("identities: []\n"));
}

#[test]
fn admin_attachment_to_a_new_role_is_an_admin_role_its_trusted_user_reaches() {
    let inv = load("admin-role.plan.json");
    let role = inv
        .role("terraform:aws_iam_role.deploy_admin")
        .expect("unknown ARN → address id");
    assert_eq!(role.name, "deploy-admin");
    assert_eq!(role.privilege, PrivilegeLevel::Admin);
    assert_eq!(role.permissions, ["*"]);
    assert_eq!(
        role.provenance.line,
        Some(38),
        "the line of its address in resource_changes"
    );
    assert_eq!(
        role.provenance.record.as_deref(),
        Some("/resource_changes/0")
    );
    let trust = &inv.trusts[0];
    assert_eq!(
        &*trust.principal,
        "arn:aws:iam::111122223333:user/ci-deployer"
    );
    assert_eq!(
        trust.provenance.record.as_deref(),
        Some("/resource_changes/0/change/after/assume_role_policy")
    );
    let user = inv
        .identity(&trust.principal)
        .expect("the trusted user is referenced");
    assert_eq!(user.kind, IdentityKind::Human);
    assert!(is_reference(&user.provenance));

    let readonly = load("readonly-role.plan.json");
    assert_eq!(
        readonly
            .role("terraform:aws_iam_role.deploy_reader")
            .unwrap()
            .privilege,
        PrivilegeLevel::Read
    );
}

#[test]
fn compact_plans_locate_every_resource_on_line_one() {
    let inv = load("admin-role.compact.plan.json");
    assert_eq!(inv.roles[0].provenance.line, Some(1));
}

#[test]
fn every_supported_resource_type_with_unknown_values() {
    let inv = load("mixed.plan.json");
    // A no-op resource is part of the proposed state: inline and exclusive managed policies.
    let existing = inv.role("arn:aws:iam::111122223333:role/existing").unwrap();
    assert_eq!(existing.privilege, PrivilegeLevel::PermissionsManagement);
    assert_eq!(existing.permissions, ["logs:putlogevents"]);
    let ec2 = inv
        .trusts
        .iter()
        .find(|t| &*t.principal == "ec2.amazonaws.com")
        .unwrap();
    assert_eq!(ec2.conditions[0].kind, ConditionKind::Mfa);
    // The attachment's role and policy are unknown until apply; the configuration names them.
    let computed = inv.role("terraform:aws_iam_role.computed[0]").unwrap();
    assert_eq!(computed.permissions, ["ecs:updateservice", "iam:passrole"]);
    assert_eq!(computed.privilege, PrivilegeLevel::PermissionsManagement);
    // Users, groups, memberships (erin is only referenced), policies as assigned roles.
    assert_eq!(
        inv.identity("terraform:aws_iam_user.dana").unwrap().name,
        "dana"
    );
    assert_eq!(
        inv.identity("arn:aws:iam::111122223333:group/ops")
            .unwrap()
            .kind,
        IdentityKind::Group
    );
    let members: Vec<&str> = inv.memberships.iter().map(|m| m.member.as_str()).collect();
    assert_eq!(members, ["terraform:aws_iam_user.dana", "user/erin"]);
    assert!(is_reference(&inv.identity("user/erin").unwrap().provenance));
    let assigned: Vec<(&str, &str, AssignmentKind)> = inv
        .assignments
        .iter()
        .map(|a| (a.subject.as_str(), a.role.as_str(), a.kind))
        .collect();
    assert!(assigned.contains(&(
        "arn:aws:iam::111122223333:group/ops",
        "arn:aws:iam::aws:policy/ReadOnlyAccess",
        AssignmentKind::Standing
    )));
    assert!(assigned.contains(&(
        "terraform:aws_iam_user.dana",
        "terraform:aws_iam_policy.deploy",
        AssignmentKind::Standing
    )));
    assert!(assigned.contains(&(
        "terraform:aws_iam_user.dana",
        "terraform:aws_iam_user.dana#inline/s3-read",
        AssignmentKind::Standing
    )));
    // Kubernetes: a binding to a built-in ClusterRole and a Role the plan defines.
    assert!(assigned.contains(&(
        "k8s:prod:serviceaccount:ci:deployer",
        "k8s:prod:clusterrole:cluster-admin",
        AssignmentKind::Standing
    )));
    assert_eq!(
        inv.role("k8s:prod:clusterrole:cluster-admin")
            .unwrap()
            .privilege,
        PrivilegeLevel::Admin
    );
    assert_eq!(
        inv.role("k8s:prod:role:apps:pod-reader").unwrap().privilege,
        PrivilegeLevel::Read
    );
    // The access key: metadata only, id unknown until apply.
    let key = &inv.secrets[0];
    assert_eq!(key.id, "terraform:aws_iam_access_key.dana");
    assert_eq!(key.owner.as_deref(), Some("terraform:aws_iam_user.dana"));
    assert!(key.active);
    // Deletions and unknown trust policies are said, not dropped.
    let said: Vec<&str> = inv.diagnostics.iter().map(|d| d.message.as_str()).collect();
    assert!(
        said.contains(&"the plan deletes aws_iam_user.old; it is not part of the proposed state"),
        "{said:?}"
    );
    assert!(said.contains(&"aws_iam_role.computed[0]: the trust policy is unknown until apply; who may assume the role is not modelled"), "{said:?}");
    assert!(inv.identity("terraform:aws_iam_user.old").is_none());
}

#[test]
fn a_role_trusting_its_account_is_assumable_by_whom_identity_policies_allow() {
    let trust = r#"{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"sts:AssumeRole\",\"Principal\":{\"AWS\":\"arn:aws:iam::111122223333:root\"}}]}"#;
    let assume = r#"{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"sts:AssumeRole\",\"Resource\":\"arn:aws:iam::111122223333:role/ops/break-admin\",\"Condition\":{\"Bool\":{\"aws:MultiFactorAuthPresent\":\"true\"}}}]}"#;
    let text = format!(
        r#"{{"format_version": "1.2", "resource_changes": [
  {{"address": "aws_iam_role.admin", "mode": "managed", "type": "aws_iam_role",
   "change": {{"actions": ["create"], "after": {{"name": "break-admin", "path": "/ops/", "assume_role_policy": "{trust}"}}, "after_unknown": {{"arn": true}}}}}},
  {{"address": "aws_iam_role_policy_attachment.admin", "mode": "managed", "type": "aws_iam_role_policy_attachment",
   "change": {{"actions": ["create"], "after": {{"role": "break-admin", "policy_arn": "arn:aws:iam::aws:policy/AdministratorAccess"}}}}}},
  {{"address": "aws_iam_group.ops", "mode": "managed", "type": "aws_iam_group",
   "change": {{"actions": ["create"], "after": {{"name": "ops"}}, "after_unknown": {{"arn": true}}}}}},
  {{"address": "aws_iam_group_policy.assume", "mode": "managed", "type": "aws_iam_group_policy",
   "change": {{"actions": ["create"], "after": {{"group": "ops", "name": "assume-admin", "policy": "{assume}"}}}}}},
  {{"address": "aws_iam_group_policy.read", "mode": "managed", "type": "aws_iam_group_policy",
   "change": {{"actions": ["create"], "after": {{"group": "other", "name": "read", "policy": "{{\"Statement\":[{{\"Effect\":\"Allow\",\"Action\":\"s3:GetObject\",\"Resource\":\"*\"}}]}}"}}}}}}
]}}"#
    );
    let mut inv = parse_plan_str(&text, "plan", "p.json", "prod").unwrap();
    inv.finalize().unwrap();
    let from_ops: Vec<_> = inv
        .trusts
        .iter()
        .filter(|t| &*t.principal == "terraform:aws_iam_group.ops")
        .collect();
    assert_eq!(from_ops.len(), 1, "{:?}", inv.trusts);
    assert_eq!(&*from_ops[0].role, "terraform:aws_iam_role.admin");
    assert_eq!(from_ops[0].conditions[0].kind, ConditionKind::Mfa);
    assert!(
        !inv.trusts.iter().any(|t| &*t.principal == "group/other"),
        "a policy without sts:AssumeRole gives no trust"
    );
    assert_eq!(
        inv.role("terraform:aws_iam_role.admin").unwrap().privilege,
        PrivilegeLevel::Admin
    );
}

#[test]
fn unresolvable_unknowns_are_warnings() {
    let text = r#"{"format_version": "1.2", "resource_changes": [
  {"address": "aws_iam_role_policy_attachment.x", "mode": "managed", "type": "aws_iam_role_policy_attachment",
   "change": {"actions": ["create"], "after": {"policy_arn": "arn:aws:iam::111122223333:policy/custom"}, "after_unknown": {"role": true}}},
  {"address": "aws_iam_user_policy_attachment.y", "mode": "managed", "type": "aws_iam_user_policy_attachment",
   "change": {"actions": ["create"], "after": {"user": "zed", "policy_arn": "arn:aws:iam::111122223333:policy/custom"}, "after_unknown": {}}}
]}"#;
    let inv = parse_plan_str(text, "plan", "p.json", "prod").unwrap();
    let said: Vec<String> = inv
        .diagnostics
        .iter()
        .map(|d| format!("{}: {}", d.provenance, d.message))
        .collect();
    assert_eq!(said.len(), 2, "{said:?}");
    assert!(said[0].starts_with("p.json:2 (/resource_changes/0/change/after/role): aws_iam_role_policy_attachment.x: the role (`role`) is unknown until apply"), "{said:?}");
    assert!(
        said[1].contains(
            "policy arn:aws:iam::111122223333:policy/custom is not in the plan and not AWS-managed"
        ),
        "{said:?}"
    );
}

#[test]
fn malformed_plans_name_the_place() {
    for (name, expected) in [
        (
            "malformed.plan.json",
            "/resource_changes/1/change: missing or not an object",
        ),
        ("truncated.plan.json", "line 3: not valid JSON"),
    ] {
        let (text, path) = fixture(name);
        let e = parse_plan_str(&text, "plan", &path, "prod")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with(&format!("{path}: {expected}")), "{e}");
    }
    let e = parse_plan_str("[]", "plan", "p.json", "c")
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("p.json: /: expected a JSON object"), "{e}");
    let e = parse_plan_str("{\"resource_changes\": []}", "plan", "p.json", "c")
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("p.json: /format_version: missing"), "{e}");
}

#[test]
fn fuller_descriptions_from_other_sources_replace_references() {
    let mut inv = load("admin-role.plan.json");
    let mut alice = crate::model::Identity::new(
        "arn:aws:iam::111122223333:user/ci-deployer",
        IdentityKind::ServiceAccount,
        Provenance::new("aws", "authz.json").with_record("/UserDetailList/0"),
    );
    alice.owner = Some("platform@acme.example".into());
    inv.identities.push(alice);
    merge_references(&mut inv);
    inv.finalize().expect("the reference gave way");
    let user = inv
        .identity("arn:aws:iam::111122223333:user/ci-deployer")
        .unwrap();
    assert_eq!(user.kind, IdentityKind::ServiceAccount);
    assert_eq!(user.provenance.file(), "authz.json");
}
