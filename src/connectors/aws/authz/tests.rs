//! The authorization-details mapping end to end: export → inventory → graph → rules.

use super::*;
use crate::config::Config;
use crate::graph::PermissionGraph;
use crate::model::{reconstruct_grants, ConditionKind};
use crate::rules::{run_rules, Subject};
use serde_json::{json, Value};
use std::path::Path;

const ACCT: &str = "111122223333";
const NOW: &str = "2026-11-20T09:00:00Z";
const ADMIN_ARN: &str = "arn:aws:iam::aws:policy/AdministratorAccess";

fn arn(kind: &str, name: &str) -> String {
    format!("arn:aws:iam::{ACCT}:{kind}/{name}")
}

fn doc(statements: Value) -> Value {
    json!({"Version": "2012-10-17", "Statement": statements})
}

fn allow(action: &str, resource: &str) -> Value {
    json!({"Effect": "Allow", "Action": action, "Resource": resource})
}

fn deny(action: &str, resource: &str) -> Value {
    json!({"Effect": "Deny", "Action": action, "Resource": resource})
}

fn managed(name: &str, arn: &str, statements: Value) -> Value {
    json!({"PolicyName": name, "Arn": arn, "DefaultVersionId": "v1",
        "PolicyVersionList": [{"Document": doc(statements), "VersionId": "v1", "IsDefaultVersion": true}]})
}

fn admin_policy() -> Value {
    managed("AdministratorAccess", ADMIN_ARN, json!([allow("*", "*")]))
}

fn user(name: &str, groups: &[&str], attached: &[&str], inline: Vec<Value>) -> Value {
    let attached: Vec<Value> = attached
        .iter()
        .map(|a| json!({"PolicyName": a.rsplit('/').next().unwrap(), "PolicyArn": a}))
        .collect();
    let inline: Vec<Value> = inline
        .into_iter()
        .enumerate()
        .map(|(i, s)| json!({"PolicyName": format!("inline{i}"), "PolicyDocument": doc(s)}))
        .collect();
    json!({"UserName": name, "Arn": arn("user", name), "CreateDate": "2024-01-02T03:04:05Z",
        "GroupList": groups, "AttachedManagedPolicies": attached, "UserPolicyList": inline, "Tags": []})
}

fn group(name: &str, attached: &[&str]) -> Value {
    let attached: Vec<Value> = attached
        .iter()
        .map(|a| json!({"PolicyName": a.rsplit('/').next().unwrap(), "PolicyArn": a}))
        .collect();
    json!({"GroupName": name, "Arn": arn("group", name), "GroupPolicyList": [], "AttachedManagedPolicies": attached})
}

fn role(name: &str, trust: Value, attached: &[&str], inline: Vec<Value>) -> Value {
    let attached: Vec<Value> = attached
        .iter()
        .map(|a| json!({"PolicyName": a.rsplit('/').next().unwrap(), "PolicyArn": a}))
        .collect();
    let inline: Vec<Value> = inline
        .into_iter()
        .enumerate()
        .map(|(i, s)| json!({"PolicyName": format!("inline{i}"), "PolicyDocument": doc(s)}))
        .collect();
    json!({"RoleName": name, "Arn": arn("role", name), "CreateDate": "2024-01-02 03:04:05+00:00",
        "AssumeRolePolicyDocument": doc(trust), "InstanceProfileList": [], "RolePolicyList": inline,
        "AttachedManagedPolicies": attached, "Tags": [], "RoleLastUsed": {}})
}

fn trust_of(principal: Value) -> Value {
    json!([{"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}])
}

fn export(
    users: Vec<Value>,
    groups: Vec<Value>,
    roles: Vec<Value>,
    policies: Vec<Value>,
) -> Vec<u8> {
    serde_json::to_vec(&json!({"UserDetailList": users, "GroupDetailList": groups,
        "RoleDetailList": roles, "Policies": policies}))
    .unwrap()
}

fn inventory_with(bytes: &[u8], settings: &ConnectorSettings) -> Inventory {
    let mut inv = load(bytes, "authz.json", "aws", settings).unwrap_or_else(|e| panic!("{e}"));
    inv.finalize().unwrap_or_else(|e| panic!("{e:?}"));
    inv
}

fn inventory(bytes: &[u8]) -> Inventory {
    inventory_with(bytes, &ConnectorSettings::default())
}

/// Runs one rule over the inventory, as the scan does.
fn run(inv: &Inventory, rule: &str) -> Vec<crate::finding::Finding> {
    let mut config = Config::parse("{}", "test residue.yaml", Path::new(".")).unwrap();
    config.rules.retain(|r| r.rule.meta.id == rule);
    let mut diagnostics = Vec::new();
    let grants = reconstruct_grants(
        &inv.grant_events,
        config.policy.jit_default_window,
        &mut diagnostics,
    );
    let graph = PermissionGraph::build(inv);
    let now = parse_timestamp(NOW).unwrap();
    let subject = Subject::new(inv, &graph, &grants, &config.policy, now);
    let out = run_rules(&config.rules, &subject);
    assert!(out.crashes.is_empty(), "{:?}", out.crashes);
    out.findings
}

fn subjects(findings: &[crate::finding::Finding]) -> Vec<String> {
    let mut v: Vec<String> = findings.iter().map(|f| f.subject.clone()).collect();
    v.sort();
    v.dedup();
    v
}

#[test]
fn admin_through_a_group_fires_sp001_naming_group_and_policy() {
    let bytes = export(
        vec![user("alice", &["admins"], &[], vec![])],
        vec![group("admins", &[ADMIN_ARN])],
        vec![],
        vec![admin_policy()],
    );
    let inv = inventory(&bytes);
    let f = run(&inv, "SP001");
    assert_eq!(subjects(&f), [arn("user", "alice")]);
    let path = f[0].evidence.path.as_ref().unwrap().to_string();
    assert_eq!(
        path,
        format!(
            "{} -member-of(standing)-> {} -assigned(standing)-> {ADMIN_ARN}",
            arn("user", "alice"),
            arn("group", "admins")
        )
    );
    assert_eq!(
        inv.role(ADMIN_ARN).unwrap().privilege,
        PrivilegeLevel::Admin
    );
    assert_eq!(
        inv.identity(&arn("user", "alice")).unwrap().kind,
        IdentityKind::Human
    );
}

#[test]
fn a_boundary_capping_administrator_access_silences_sp001() {
    let mut bob = user("bob", &[], &[ADMIN_ARN], vec![]);
    bob["PermissionsBoundary"] = json!({"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": arn("policy", "s3-only")});
    let mut carol = user("carol", &["admins"], &[], vec![]);
    carol["PermissionsBoundary"] = bob["PermissionsBoundary"].clone();
    let bytes = export(
        vec![bob, carol],
        vec![group("admins", &[ADMIN_ARN])],
        vec![],
        vec![
            admin_policy(),
            managed(
                "s3-only",
                &arn("policy", "s3-only"),
                json!([allow("s3:PutObject", "*")]),
            ),
        ],
    );
    let inv = inventory(&bytes);
    assert!(run(&inv, "SP001").is_empty(), "{:?}", run(&inv, "SP001"));
    let capped = inv
        .role(&format!("{ADMIN_ARN}@{}", arn("user", "bob")))
        .expect("principal-specific role");
    assert_eq!(capped.privilege, PrivilegeLevel::Write);
    // Carol's group membership would overstate her reach: the group's policy is assigned to
    // her directly, capped.
    assert!(inv
        .memberships
        .iter()
        .all(|m| m.member != arn("user", "carol")));
    assert!(inv
        .role(&format!("{ADMIN_ARN}@{}", arn("user", "carol")))
        .is_some());
    assert!(inv
        .diagnostics
        .iter()
        .any(|d| d.message.contains("not through a membership")));
}

#[test]
fn an_explicit_deny_lowers_a_group_admin_policy_for_one_user() {
    let bytes = export(
        vec![
            user("dan", &["admins"], &[], vec![json!([deny("iam:*", "*")])]),
            user("erin", &["admins"], &[], vec![]),
        ],
        vec![group("admins", &[ADMIN_ARN])],
        vec![],
        vec![admin_policy()],
    );
    let inv = inventory(&bytes);
    assert_eq!(subjects(&run(&inv, "SP001")), [arn("user", "erin")]);
    let dan = inv
        .role(&format!("{ADMIN_ARN}@{}", arn("user", "dan")))
        .unwrap();
    assert_eq!(dan.privilege, PrivilegeLevel::PermissionsManagement);
}

#[test]
fn mfa_guarded_admin_stays_admin_and_is_noted() {
    let mfa = json!([{"Effect": "Allow", "Action": "*", "Resource": "*",
        "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}]);
    let bytes = export(
        vec![user("fay", &[], &[], vec![mfa])],
        vec![],
        vec![],
        vec![],
    );
    let inv = inventory(&bytes);
    let id = format!("{}#inline/inline0", arn("user", "fay"));
    assert_eq!(inv.role(&id).unwrap().privilege, PrivilegeLevel::Admin);
    assert!(
        inv.diagnostics
            .iter()
            .any(|d| d.message.contains("only under conditions: mfa")),
        "{:#?}",
        inv.diagnostics
    );
}

#[test]
fn trusts_from_the_account_root_need_an_identity_policy() {
    let assume = json!([{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": arn("role", "ops"),
        "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}}]);
    let trust = json!([{"Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{ACCT}:root")},
        "Action": "sts:AssumeRole", "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}]);
    let bytes = export(
        vec![
            user("gil", &[], &[], vec![assume]),
            user("hal", &[], &[], vec![]),
            user(
                "ida",
                &[],
                &[],
                vec![json!([
                    allow("sts:AssumeRole", "*"),
                    deny("sts:AssumeRole", &arn("role", "ops"))
                ])],
            ),
        ],
        vec![],
        vec![role("ops", trust, &[ADMIN_ARN], vec![])],
        vec![admin_policy()],
    );
    let inv = inventory(&bytes);
    let trusts: Vec<&crate::model::Trust> = inv
        .trusts
        .iter()
        .filter(|t| *t.role == arn("role", "ops"))
        .collect();
    assert_eq!(trusts.len(), 1, "{trusts:#?}");
    assert_eq!(*trusts[0].principal, arn("user", "gil"));
    let kinds: Vec<ConditionKind> = trusts[0].conditions.iter().map(|c| c.kind).collect();
    assert_eq!(kinds, [ConditionKind::Mfa, ConditionKind::Network]);
    let f = run(&inv, "SP001");
    assert_eq!(subjects(&f), [arn("user", "gil")]);
    assert!(
        f[0].message.contains("conditional on mfa, network"),
        "{}",
        f[0].message
    );
}

#[test]
fn named_principals_services_federation_and_other_accounts() {
    let trust = json!([
        {"Effect": "Allow", "Principal": {"AWS": arn("user", "jo")}, "Action": "sts:AssumeRole"},
        {"Effect": "Allow", "Principal": {"Service": ["ec2.amazonaws.com"]}, "Action": "sts:AssumeRole"},
        {"Effect": "Allow", "Principal": {"Federated": format!("arn:aws:iam::{ACCT}:saml-provider/okta")}, "Action": "sts:AssumeRoleWithSAML"},
        {"Effect": "Allow", "Principal": {"AWS": "444455556666"}, "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"sts:ExternalId": "x"}}}
    ]);
    let bytes = export(
        vec![user("jo", &[], &[], vec![])],
        vec![],
        vec![role(
            "app",
            trust,
            &[],
            vec![json!([allow("s3:GetObject", "*")])],
        )],
        vec![],
    );
    let inv = inventory(&bytes);
    let principals: Vec<&str> = inv.trusts.iter().map(|t| &*t.principal).collect();
    assert_eq!(
        principals,
        [
            "arn:aws:iam::111122223333:user/jo",
            "arn:aws:iam::444455556666:root",
            "federated:arn:aws:iam::111122223333:saml-provider/okta",
            "service:ec2.amazonaws.com",
        ]
    );
    let ec2 = inv.identity("service:ec2.amazonaws.com").unwrap();
    assert_eq!(
        (ec2.kind, ec2.owner.as_deref()),
        (IdentityKind::Workload, Some("aws"))
    );
    let ext = inv.identity("arn:aws:iam::444455556666:root").unwrap();
    assert_eq!(
        ext.tags.get("residue:external").map(String::as_str),
        Some("true")
    );
    assert_eq!(
        inv.role(&arn("role", "app")).unwrap().privilege,
        PrivilegeLevel::Read
    );
}

#[test]
fn role_chains_in_one_account() {
    let bytes = export(
        vec![user("kim", &[], &[], vec![])],
        vec![],
        vec![
            role(
                "hop",
                trust_of(json!({"AWS": arn("user", "kim")})),
                &[],
                vec![json!([allow("sts:AssumeRole", &arn("role", "top"))])],
            ),
            role(
                "top",
                trust_of(json!({"AWS": format!("arn:aws:iam::{ACCT}:root")})),
                &[ADMIN_ARN],
                vec![],
            ),
        ],
        vec![admin_policy()],
    );
    let inv = inventory(&bytes);
    let f = run(&inv, "SP001");
    assert_eq!(subjects(&f), [arn("user", "kim")]);
    assert_eq!(f[0].evidence.path.as_ref().unwrap().hops.len(), 2);
}

fn jit_export() -> Vec<u8> {
    let mut admin = role(
        "jit-admin",
        json!([
            {"Effect": "Allow", "Principal": {"AWS": arn("role", "broker")}, "Action": "sts:AssumeRole"},
            {"Effect": "Allow", "Principal": {"AWS": arn("user", "lee")}, "Action": "sts:AssumeRole"}
        ]),
        &[ADMIN_ARN],
        vec![],
    );
    admin["Tags"] = json!([{"Key": "jit", "Value": "true"}]);
    export(
        vec![user("lee", &[], &[], vec![]), user("mia", &[], &[], vec![])],
        vec![],
        vec![
            admin,
            role(
                "broker",
                trust_of(json!({"Service": "lambda.amazonaws.com"})),
                &[],
                vec![json!([allow("sts:AssumeRole", "*")])],
            ),
        ],
        vec![admin_policy()],
    )
}

#[test]
fn jit_roles_reached_through_the_broker_are_eligible_not_standing() {
    let settings = ConnectorSettings {
        jit_brokers: vec![arn("role", "broker")],
        eligible_role_tags: [("jit".to_string(), "true".to_string())].into(),
        ..ConnectorSettings::default()
    };
    let inv = inventory_with(&jit_export(), &settings);
    let eligible: Vec<&str> = inv
        .assignments
        .iter()
        .filter(|a| a.kind == AssignmentKind::Eligible)
        .map(|a| a.subject.as_str())
        .collect();
    assert_eq!(eligible, [arn("user", "lee"), arn("user", "mia")]);
    assert!(inv
        .trusts
        .iter()
        .all(|t| *t.principal != arn("role", "broker")));
    // Lee also holds a direct trust: standing privilege behind JIT.
    assert_eq!(subjects(&run(&inv, "SP001")), [arn("user", "lee")]);
    assert_eq!(subjects(&run(&inv, "SP002")), [arn("user", "lee")]);
    // Without the JIT settings the broker's trust is an ordinary standing trust.
    let plain = inventory(&jit_export());
    assert!(plain
        .trusts
        .iter()
        .any(|t| *t.principal == arn("role", "broker")));
    assert!(plain
        .assignments
        .iter()
        .all(|a| a.kind == AssignmentKind::Standing));
    // Eligibility by name pattern and by the broker's reach work the same way.
    for settings in [
        ConnectorSettings {
            jit_brokers: vec![arn("role", "broker")],
            eligible_role_names: vec!["jit-*".into()],
            ..ConnectorSettings::default()
        },
        ConnectorSettings {
            jit_brokers: vec![format!("arn:aws:sts::{ACCT}:assumed-role/broker/session")],
            eligible_if_broker_can_assume: true,
            ..ConnectorSettings::default()
        },
    ] {
        let inv = inventory_with(&jit_export(), &settings);
        assert_eq!(subjects(&run(&inv, "SP001")), [arn("user", "lee")]);
    }
}

/// One escalation case: the user's inline statements, extra roles, and what must be found.
fn escalation_case(
    statements: Value,
    extra_roles: Vec<Value>,
    boundary: Option<Value>,
) -> Inventory {
    let mut u = user("mal", &["devs"], &[&arn("policy", "dev")], vec![statements]);
    let mut policies = vec![
        admin_policy(),
        managed(
            "dev",
            &arn("policy", "dev"),
            json!([allow("s3:GetObject", "*")]),
        ),
    ];
    // A second, non-default version exists (for SetDefaultPolicyVersion).
    policies[1]["PolicyVersionList"]
        .as_array_mut()
        .unwrap()
        .push(json!({"Document": doc(json!([allow("*", "*")])), "VersionId": "v2", "IsDefaultVersion": false}));
    if let Some(b) = boundary {
        u["PermissionsBoundary"] = json!({"PermissionsBoundaryArn": arn("policy", "boundary")});
        policies.push(managed("boundary", &arn("policy", "boundary"), b));
    }
    let mut roles = vec![
        role(
            "lambda-admin",
            trust_of(json!({"Service": "lambda.amazonaws.com"})),
            &[ADMIN_ARN],
            vec![],
        ),
        role(
            "ec2-admin",
            trust_of(json!({"Service": "ec2.amazonaws.com"})),
            &[ADMIN_ARN],
            vec![],
        ),
        role(
            "cfn-admin",
            trust_of(json!({"Service": "cloudformation.amazonaws.com"})),
            &[ADMIN_ARN],
            vec![],
        ),
        role(
            "glue-admin",
            trust_of(json!({"Service": "glue.amazonaws.com"})),
            &[ADMIN_ARN],
            vec![],
        ),
        role(
            "pipe-admin",
            trust_of(json!({"Service": "datapipeline.amazonaws.com"})),
            &[ADMIN_ARN],
            vec![],
        ),
        role(
            "sm-admin",
            trust_of(json!({"Service": "sagemaker.amazonaws.com"})),
            &[ADMIN_ARN],
            vec![],
        ),
        role(
            "ops",
            trust_of(json!({"AWS": arn("user", "nobody")})),
            &[ADMIN_ARN],
            vec![],
        ),
        // Not admin; mal may assume it.
        role(
            "helper",
            trust_of(json!({"AWS": arn("user", "mal")})),
            &[],
            vec![json!([allow("s3:GetObject", "*")])],
        ),
    ];
    roles.extend(extra_roles);
    let bytes = export(
        vec![user("root-user", &["admins"], &[], vec![]), u],
        vec![group("devs", &[]), group("admins", &[ADMIN_ARN])],
        roles,
        policies,
    );
    inventory(&bytes)
}

fn methods_of(inv: &Inventory, principal: &str) -> Vec<String> {
    inv.escalations
        .iter()
        .filter(|e| e.principal == principal)
        .map(|e| format!("{} -> {}", e.method, e.target))
        .collect()
}

#[test]
fn every_escalation_method_has_a_case_and_near_misses() {
    let me = arn("user", "mal");
    let target = format!("aws:{ACCT}:admin-via-escalation");
    let cases: Vec<(&str, Value, String)> = vec![
        (
            "iam:CreatePolicyVersion",
            json!([allow("iam:CreatePolicyVersion", &arn("policy", "dev"))]),
            arn("policy", "dev"),
        ),
        (
            "iam:SetDefaultPolicyVersion",
            json!([allow("iam:SetDefaultPolicyVersion", &arn("policy", "dev"))]),
            arn("policy", "dev"),
        ),
        (
            "iam:AttachUserPolicy",
            json!([allow("iam:AttachUserPolicy", &me)]),
            me.clone(),
        ),
        (
            "iam:PutUserPolicy",
            json!([allow("iam:PutUserPolicy", &me)]),
            me.clone(),
        ),
        (
            "iam:AttachGroupPolicy",
            json!([allow("iam:AttachGroupPolicy", &arn("group", "devs"))]),
            arn("group", "devs"),
        ),
        (
            "iam:PutGroupPolicy",
            json!([allow("iam:PutGroupPolicy", &arn("group", "devs"))]),
            arn("group", "devs"),
        ),
        (
            "iam:AddUserToGroup",
            json!([allow("iam:AddUserToGroup", &arn("group", "admins"))]),
            arn("group", "admins"),
        ),
        (
            "iam:CreateAccessKey",
            json!([allow("iam:CreateAccessKey", &arn("user", "root-user"))]),
            arn("user", "root-user"),
        ),
        (
            "iam:CreateLoginProfile",
            json!([allow("iam:CreateLoginProfile", &arn("user", "root-user"))]),
            arn("user", "root-user"),
        ),
        (
            "iam:UpdateLoginProfile",
            json!([allow("iam:UpdateLoginProfile", &arn("user", "root-user"))]),
            arn("user", "root-user"),
        ),
        (
            "iam:UpdateAssumeRolePolicy",
            json!([allow("iam:UpdateAssumeRolePolicy", &arn("role", "ops"))]),
            arn("role", "ops"),
        ),
        (
            "ec2:RunInstances",
            json!([
                allow("iam:PassRole", &arn("role", "ec2-admin")),
                allow("ec2:RunInstances", "*")
            ]),
            arn("role", "ec2-admin"),
        ),
        (
            "lambda:CreateFunction + lambda:InvokeFunction",
            json!([
                allow("iam:PassRole", &arn("role", "lambda-admin")),
                allow("lambda:CreateFunction", "*"),
                allow("lambda:InvokeFunction", "*")
            ]),
            arn("role", "lambda-admin"),
        ),
        (
            "cloudformation:CreateStack",
            json!([
                allow("iam:PassRole", &arn("role", "cfn-admin")),
                allow("cloudformation:CreateStack", "*")
            ]),
            arn("role", "cfn-admin"),
        ),
        (
            "glue:CreateDevEndpoint",
            json!([
                allow("iam:PassRole", &arn("role", "glue-admin")),
                allow("glue:CreateDevEndpoint", "*")
            ]),
            arn("role", "glue-admin"),
        ),
        (
            "datapipeline:CreatePipeline + datapipeline:PutPipelineDefinition",
            json!([
                allow("iam:PassRole", &arn("role", "pipe-admin")),
                allow("datapipeline:CreatePipeline", "*"),
                allow("datapipeline:PutPipelineDefinition", "*")
            ]),
            arn("role", "pipe-admin"),
        ),
        (
            "sagemaker:CreateNotebookInstance + sagemaker:CreatePresignedNotebookInstanceUrl",
            json!([
                allow("iam:PassRole", &arn("role", "sm-admin")),
                allow("sagemaker:CreateNotebookInstance", "*"),
                allow("sagemaker:CreatePresignedNotebookInstanceUrl", "*")
            ]),
            arn("role", "sm-admin"),
        ),
    ];
    for (method, statements, resource) in cases {
        let inv = escalation_case(statements.clone(), vec![], None);
        let found = methods_of(&inv, &me);
        assert_eq!(found.len(), 1, "{method}: {found:#?}");
        assert!(
            found[0].contains(method) && found[0].contains(&resource),
            "{method}: {found:#?}"
        );
        if resource.contains(":role/") {
            assert!(found[0].ends_with(&format!("-> {resource}")), "{found:?}");
        } else {
            assert!(found[0].ends_with(&target), "{found:?}");
        }
        // SP004 reports it; SP001 does not.
        assert_eq!(
            subjects(&run(&inv, "SP004")),
            std::slice::from_ref(&me),
            "{method}"
        );
        assert!(!subjects(&run(&inv, "SP001")).contains(&me), "{method}");

        // Near-miss 1: an explicit Deny of the method's first action on that resource.
        let mut with_deny = statements.as_array().unwrap().clone();
        let first = statements[0]["Action"].as_str().unwrap();
        with_deny.push(deny(first, &resource));
        let inv = escalation_case(Value::Array(with_deny), vec![], None);
        assert!(
            methods_of(&inv, &me).is_empty(),
            "{method} with a deny: {:?}",
            methods_of(&inv, &me)
        );

        // Near-miss 2: a permissions boundary that allows only reading S3.
        let inv = escalation_case(
            statements.clone(),
            vec![],
            Some(json!([allow("s3:Get*", "*")])),
        );
        assert!(
            methods_of(&inv, &me).is_empty(),
            "{method} under a boundary"
        );

        // Near-miss 3: the first statement restricted to some other resource.
        let mut elsewhere = statements.as_array().unwrap().clone();
        elsewhere[0]["Resource"] = json!(arn("role", "unrelated"));
        let inv = escalation_case(Value::Array(elsewhere), vec![], None);
        assert!(
            methods_of(&inv, &me).is_empty(),
            "{method} on another resource: {:?}",
            methods_of(&inv, &me)
        );
    }
}

#[test]
fn pass_role_needs_the_service_trust_and_an_admin_role() {
    let me = arn("user", "mal");
    // The role trusts lambda, not EC2: RunInstances cannot use it.
    let inv = escalation_case(
        json!([
            allow("iam:PassRole", &arn("role", "lambda-admin")),
            allow("ec2:RunInstances", "*")
        ]),
        vec![],
        None,
    );
    assert!(methods_of(&inv, &me).is_empty());
    // Lambda without a way to invoke: no escalation.
    let inv = escalation_case(
        json!([
            allow("iam:PassRole", &arn("role", "lambda-admin")),
            allow("lambda:CreateFunction", "*")
        ]),
        vec![],
        None,
    );
    assert!(methods_of(&inv, &me).is_empty());
    // A read-only role passed to EC2 is not an escalation to admin.
    let inv = escalation_case(
        json!([
            allow("iam:PassRole", &arn("role", "reader")),
            allow("ec2:RunInstances", "*")
        ]),
        vec![role(
            "reader",
            trust_of(json!({"Service": "ec2.amazonaws.com"})),
            &[],
            vec![json!([allow("s3:GetObject", "*")])],
        )],
        None,
    );
    assert!(methods_of(&inv, &me).is_empty());
}

#[test]
fn url_encoded_documents_boto3_timestamps_and_missing_lists() {
    let encoded = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22*%22%2C%22Resource%22%3A%22*%22%7D%5D%7D";
    let bytes = serde_json::to_vec(&json!({
        "UserDetailList": [
            {"UserName": "raw", "Arn": arn("user", "raw"), "CreateDate": "2019-12-18 19:10:08+00:00",
             "UserPolicyList": [{"PolicyName": "all", "PolicyDocument": encoded}]},
            {"UserName": "cli", "Arn": arn("user", "cli"), "CreateDate": "2019-12-18T19:10:08Z",
             "UserPolicyList": [{"PolicyName": "all", "PolicyDocument": {"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}}]},
            {"UserName": "v2", "Arn": arn("user", "v2"), "CreateDate": "2019-12-18T19:10:08+00:00"}
        ]
    }))
    .unwrap();
    let inv = inventory(&bytes);
    assert_eq!(
        subjects(&run(&inv, "SP001")),
        [arn("user", "cli"), arn("user", "raw")]
    );
    let created: Vec<_> = inv
        .identities
        .iter()
        .map(|i| i.created.unwrap().to_string())
        .collect();
    assert_eq!(created, ["2019-12-18T19:10:08Z"; 3]);
}

#[test]
fn service_accounts_and_owners_come_from_tags() {
    let mut svc = user("ci", &[], &[], vec![]);
    svc["Tags"] = json!([{"Key": "residue:kind", "Value": "service-account"}, {"Key": "owner", "Value": "platform"}]);
    let inv = inventory(&export(vec![svc], vec![], vec![], vec![]));
    let i = inv.identity(&arn("user", "ci")).unwrap();
    assert_eq!(
        (i.kind, i.owner.as_deref()),
        (IdentityKind::ServiceAccount, Some("platform"))
    );
}

#[test]
fn bad_input_names_the_record() {
    let err = load(br#"{"UserDetailList": [{"UserName": "a", "Arn": "arn:aws:iam::1:user/a"}, {"UserName": 5, "Arn": "x"}]}"#, "f.json", "aws", &ConnectorSettings::default())
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("f.json: line 1, column "), "{err}");
    assert!(
        err.contains("(/UserDetailList/1)") && err.contains("expected a string"),
        "{err}"
    );
    let err = load(br#"{"RoleDetailList": [{"RoleName": "r", "Arn": "arn:aws:iam::1:role/r", "AssumeRolePolicyDocument": {"Statement": {"Effect": "Permit"}}}"#, "f.json", "aws", &ConnectorSettings::default())
        .unwrap_err()
        .to_string();
    assert!(err.contains("truncated"), "{err}");
    let err = load(br#"{"RoleDetailList": [{"RoleName": "r", "Arn": "arn:aws:iam::1:role/r", "AssumeRolePolicyDocument": {"Statement": {"Effect": "Permit"}}}]}"#, "f.json", "aws", &ConnectorSettings::default())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("(/RoleDetailList/0)") && err.contains("expected `Allow` or `Deny`"),
        "{err}"
    );
    let err = load(
        br#"{"UserDetailList": [{"UserName": "a", "Arn": "not-an-arn"}]}"#,
        "f.json",
        "aws",
        &ConnectorSettings::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("/UserDetailList/0") && err.contains("is not an ARN"),
        "{err}"
    );
    assert!(sniff(r#"{"UserDetailList": []}"#) && !sniff(r#"{"identities": []}"#));
}

#[test]
fn a_principal_tag_trust_to_a_jit_role_is_eligibility_until_the_tag_is_set() {
    let trust = json!([{"Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{ACCT}:root")},
        "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"aws:PrincipalTag/jit-role": "breakfix"}}}]);
    let mut breakfix = role("breakfix", trust, &[ADMIN_ARN], vec![]);
    breakfix["Tags"] = json!([{"Key": "jit", "Value": "true"}]);
    let assume = || vec![json!([allow("sts:AssumeRole", &arn("role", "breakfix"))])];
    let mut tagged = user("ola", &[], &[], assume());
    tagged["Tags"] = json!([{"Key": "jit-role", "Value": "breakfix"}]);
    let bytes = export(
        vec![user("nia", &[], &[], assume()), tagged],
        vec![],
        vec![breakfix],
        vec![admin_policy()],
    );
    let settings = ConnectorSettings {
        eligible_role_tags: [("jit".to_string(), "true".to_string())].into(),
        ..ConnectorSettings::default()
    };
    let inv = inventory_with(&bytes, &settings);
    let eligible: Vec<&str> = inv
        .assignments
        .iter()
        .filter(|a| a.kind == AssignmentKind::Eligible)
        .map(|a| a.subject.as_str())
        .collect();
    assert_eq!(eligible, [arn("user", "nia")]);
    // Ola still carries the tag: lingering standing access, conditional on the tag.
    let f = run(&inv, "SP001");
    assert_eq!(subjects(&f), [arn("user", "ola")]);
    assert!(f[0].message.contains("principal-tag"), "{}", f[0].message);
    // Without JIT settings both are plain (conditional) standing trusts.
    assert_eq!(subjects(&run(&inventory(&bytes), "SP001")).len(), 2);
}

/// The methods that need a role the principal may assume, or an existing function or dev
/// endpoint: each found, and blocked by a Deny, a boundary or a resource restriction.
#[test]
fn escalations_through_assumable_roles_functions_and_dev_endpoints() {
    let me = arn("user", "mal");
    let admin = format!("aws:{ACCT}:admin-via-escalation");
    let functions = format!("arn:aws:lambda:*:{ACCT}:function:*");
    let endpoints = format!("arn:aws:glue:*:{ACCT}:devEndpoint/*");
    // (method text, statements, the resource its action is on, the target reached)
    let cases: Vec<(&str, Value, String, String)> = vec![
        (
            "iam:AttachRolePolicy on arn:aws:iam::111122223333:role/helper, a role it may assume",
            json!([allow("iam:AttachRolePolicy", &arn("role", "helper"))]),
            arn("role", "helper"),
            admin.clone(),
        ),
        (
            "iam:PutRolePolicy on arn:aws:iam::111122223333:role/helper, a role it may assume",
            json!([allow("iam:PutRolePolicy", &arn("role", "helper"))]),
            arn("role", "helper"),
            admin.clone(),
        ),
        (
            "lambda:UpdateFunctionCode on every function of account 111122223333, reaching arn:aws:iam::111122223333:role/lambda-admin [if a function runs as it]",
            json!([allow("lambda:UpdateFunctionCode", "*")]),
            functions.clone(),
            arn("role", "lambda-admin"),
        ),
        (
            "glue:UpdateDevEndpoint on every dev endpoint of account 111122223333, reaching arn:aws:iam::111122223333:role/glue-admin [if a dev endpoint runs as it]",
            json!([allow("glue:UpdateDevEndpoint", "*")]),
            endpoints.clone(),
            arn("role", "glue-admin"),
        ),
    ];
    for (method, statements, resource, target) in cases {
        let inv = escalation_case(statements.clone(), vec![], None);
        assert_eq!(
            methods_of(&inv, &me),
            [format!("{method} -> {target}")],
            "{method}"
        );
        assert_eq!(
            subjects(&run(&inv, "SP004")),
            std::slice::from_ref(&me),
            "{method}"
        );

        let first = statements[0]["Action"].as_str().unwrap();
        let mut with_deny = statements.as_array().unwrap().clone();
        with_deny.push(deny(first, &resource));
        let inv = escalation_case(Value::Array(with_deny), vec![], None);
        assert!(methods_of(&inv, &me).is_empty(), "{method} with a deny");

        let inv = escalation_case(
            statements.clone(),
            vec![],
            Some(json!([allow("s3:Get*", "*")])),
        );
        assert!(
            methods_of(&inv, &me).is_empty(),
            "{method} under a boundary"
        );

        // Restricted to one resource: another role, or one named function or endpoint
        // (which role it runs as is unknown).
        let mut elsewhere = statements.as_array().unwrap().clone();
        elsewhere[0]["Resource"] = json!(resource
            .replace(":role/helper", ":role/unrelated")
            .replace("function:*", "function:one")
            .replace("devEndpoint/*", "devEndpoint/one"));
        let inv = escalation_case(Value::Array(elsewhere), vec![], None);
        assert!(
            methods_of(&inv, &me).is_empty(),
            "{method} on one resource: {:?}",
            methods_of(&inv, &me)
        );
    }

    // The assumable role has a permissions boundary: a policy attached to it cannot make it
    // admin.
    let mut capped = role(
        "capped",
        trust_of(json!({"AWS": arn("user", "mal")})),
        &[],
        vec![],
    );
    capped["PermissionsBoundary"] = json!({"PermissionsBoundaryArn": arn("policy", "s3-only")});
    let statements = json!([allow("iam:AttachRolePolicy", &arn("role", "capped"))]);
    let mut bytes: Value = serde_json::from_slice(&export(
        vec![user("mal", &[], &[], vec![statements])],
        vec![],
        vec![capped],
        vec![managed(
            "s3-only",
            &arn("policy", "s3-only"),
            json!([allow("s3:*", "*")]),
        )],
    ))
    .unwrap();
    let inv = inventory(&serde_json::to_vec(&bytes).unwrap());
    assert!(
        methods_of(&inv, &me).is_empty(),
        "{:?}",
        methods_of(&inv, &me)
    );
    // Without the boundary, it is an escalation; and not when the trust does not name mal.
    bytes["RoleDetailList"][0]
        .as_object_mut()
        .unwrap()
        .remove("PermissionsBoundary");
    let inv = inventory(&serde_json::to_vec(&bytes).unwrap());
    assert_eq!(methods_of(&inv, &me).len(), 1);
    bytes["RoleDetailList"][0]["AssumeRolePolicyDocument"] =
        doc(trust_of(json!({"AWS": arn("user", "someone-else")})));
    let inv = inventory(&serde_json::to_vec(&bytes).unwrap());
    assert!(methods_of(&inv, &me).is_empty());
}

/// Granting itself a policy escalates only if it would then be admin: a boundary that
/// allows the IAM action but little else caps it.
#[test]
fn self_grants_under_a_boundary_that_caps_the_result_are_not_escalations() {
    let me = arn("user", "mal");
    let statements = json!([allow("iam:AttachUserPolicy", &me)]);
    let inv = escalation_case(
        statements.clone(),
        vec![],
        Some(json!([
            allow("iam:AttachUserPolicy", "*"),
            allow("s3:*", "*")
        ])),
    );
    assert!(
        methods_of(&inv, &me).is_empty(),
        "{:?}",
        methods_of(&inv, &me)
    );
    let inv = escalation_case(statements, vec![], Some(json!([allow("*", "*")])));
    assert_eq!(methods_of(&inv, &me).len(), 1);
}
