//! Policy evaluation, exhaustively: every rule of AWS's evaluation logic residue models.

use super::*;
use crate::model::ConditionKind;
use PrivilegeLevel::*;

fn doc(json: &str) -> Document {
    serde_json::from_str(json).unwrap_or_else(|e| panic!("{e}: {json}"))
}

fn stmt(effect: &str, body: &str) -> Document {
    doc(&format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"{effect}",{body}}}]}}"#
    ))
}

const ADMIN: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;
const ACCOUNT: &str = "arn:aws:iam::111122223333:*";

fn layers<'a>(identity: &[&'a Document]) -> Layers<'a> {
    Layers {
        identity: identity.to_vec(),
        ..Layers::default()
    }
}

fn level(l: &Layers<'_>) -> PrivilegeLevel {
    l.level(&Pattern::new(ACCOUNT)).privilege
}

#[test]
fn allow_and_implicit_deny() {
    let d = stmt(
        "Allow",
        r#""Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*""#,
    );
    let l = layers(&[&d]);
    assert_eq!(
        l.decide("s3:getobject", "arn:aws:s3:::b/k"),
        Decision::Allow(vec![])
    );
    assert_eq!(
        l.decide("s3:getobject", "arn:aws:s3:::c/k"),
        Decision::ImplicitDeny
    );
    assert_eq!(
        l.decide("s3:putobject", "arn:aws:s3:::b/k"),
        Decision::ImplicitDeny
    );
    assert_eq!(level(&l), Read);
    assert_eq!(level(&layers(&[])), None);
}

#[test]
fn explicit_deny_wins_over_any_allow() {
    let admin = doc(ADMIN);
    let deny = stmt("Deny", r#""Action":"iam:*","Resource":"*""#);
    let l = layers(&[&admin, &deny]);
    assert_eq!(
        l.decide("iam:createuser", "arn:aws:iam::111122223333:user/x"),
        Decision::ExplicitDeny
    );
    assert!(l.decide("s3:putobject", "arn:aws:s3:::b/k").allowed());
    // Without IAM it cannot grant itself anything: not admin, but other services'
    // permissions-management actions (kms:PutKeyPolicy…) remain.
    assert_eq!(level(&l), PermissionsManagement);
    // A deny on one resource does not remove admin.
    let narrow = stmt(
        "Deny",
        r#""Action":"s3:DeleteBucket","Resource":"arn:aws:s3:::prod""#,
    );
    assert_eq!(level(&layers(&[&admin, &narrow])), Admin);
}

#[test]
fn a_conditional_deny_does_not_block() {
    let admin = doc(ADMIN);
    let deny = stmt(
        "Deny",
        r#""Action":"*","Resource":"*","Condition":{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}"#,
    );
    assert_eq!(level(&layers(&[&admin, &deny])), Admin);
}

#[test]
fn not_action_allow_and_deny() {
    // PowerUser-style: everything but IAM.
    let power = stmt(
        "Allow",
        r#""NotAction":["iam:*","organizations:*"],"Resource":"*""#,
    );
    let l = layers(&[&power]);
    assert!(!l
        .decide("iam:passrole", "arn:aws:iam::111122223333:role/r")
        .allowed());
    assert!(l.decide("ec2:runinstances", "*").allowed());
    assert_eq!(
        level(&l),
        PermissionsManagement,
        "kms:PutKeyPolicy and the like remain"
    );
    // Deny everything except reading: NotAction with Deny.
    let admin = doc(ADMIN);
    let only_read = stmt(
        "Deny",
        r#""NotAction":["s3:Get*","s3:List*"],"Resource":"*""#,
    );
    let l = layers(&[&admin, &only_read]);
    assert_eq!(
        l.decide("s3:putobject", "arn:aws:s3:::b/k"),
        Decision::ExplicitDeny
    );
    assert!(l.decide("s3:getobject", "arn:aws:s3:::b/k").allowed());
    assert_eq!(level(&l), Read);
}

#[test]
fn not_resource() {
    let d = stmt(
        "Allow",
        r#""Action":"s3:*","NotResource":"arn:aws:s3:::secrets/*""#,
    );
    let l = layers(&[&d]);
    assert!(l.decide("s3:getobject", "arn:aws:s3:::public/k").allowed());
    assert_eq!(
        l.decide("s3:getobject", "arn:aws:s3:::secrets/k"),
        Decision::ImplicitDeny
    );
    // Deny with NotResource: everything outside the sandbox is denied.
    let admin = doc(ADMIN);
    let sandbox = stmt(
        "Deny",
        r#""Action":"*","NotResource":"arn:aws:s3:::sandbox/*""#,
    );
    let l = layers(&[&admin, &sandbox]);
    assert_eq!(
        l.decide("s3:putobject", "arn:aws:s3:::prod/k"),
        Decision::ExplicitDeny
    );
    assert!(l.decide("s3:putobject", "arn:aws:s3:::sandbox/k").allowed());
    assert_eq!(
        level(&l),
        PermissionsManagement,
        "IAM is outside the sandbox; s3:PutBucketPolicy is not"
    );
}

#[test]
fn action_wildcards_are_case_insensitive() {
    let d = stmt(
        "Allow",
        r#""Action":["IAM:Put*Policy","S3:get?bject"],"Resource":"*""#,
    );
    let l = layers(&[&d]);
    assert!(l
        .decide("iam:putuserpolicy", "arn:aws:iam::1:user/u")
        .allowed());
    assert!(l.decide("s3:getobject", "arn:aws:s3:::b/k").allowed());
    assert!(!l
        .decide("iam:attachuserpolicy", "arn:aws:iam::1:user/u")
        .allowed());
    assert_eq!(level(&l), PermissionsManagement);
}

#[test]
fn resource_wildcards_are_case_sensitive_and_variables_resolve() {
    let d = stmt(
        "Allow",
        r#""Action":"iam:CreateAccessKey","Resource":"arn:aws:iam::1:user/${aws:username}""#,
    );
    let mut l = layers(&[&d]);
    l.vars = vec![("aws:username", "alice".to_string())];
    assert!(l
        .decide("iam:createaccesskey", "arn:aws:iam::1:user/alice")
        .allowed());
    assert!(!l
        .decide("iam:createaccesskey", "arn:aws:iam::1:user/bob")
        .allowed());
    let d = stmt(
        "Allow",
        r#""Action":"s3:*","Resource":"arn:aws:s3:::Bucket/*""#,
    );
    assert!(!layers(&[&d])
        .decide("s3:getobject", "arn:aws:s3:::bucket/k")
        .allowed());
}

#[test]
fn admin_is_star_on_star_or_all_of_iam() {
    let admin = doc(ADMIN);
    assert_eq!(level(&layers(&[&admin])), Admin);
    let iam = stmt("Allow", r#""Action":"iam:*","Resource":"*""#);
    assert_eq!(level(&layers(&[&iam])), Admin);
    let account_iam = stmt(
        "Allow",
        r#""Action":"iam:*","Resource":"arn:aws:iam::111122223333:*""#,
    );
    assert_eq!(level(&layers(&[&account_iam])), Admin);
    // IAM on one role only is permissions management, not admin.
    let one = stmt(
        "Allow",
        r#""Action":"iam:*","Resource":"arn:aws:iam::111122223333:role/app""#,
    );
    assert_eq!(level(&layers(&[&one])), PermissionsManagement);
    let write = stmt(
        "Allow",
        r#""Action":["s3:PutObject","s3:GetObject"],"Resource":"*""#,
    );
    assert_eq!(level(&layers(&[&write])), Write);
    // AWS ranks s3:PutBucketPolicy as permissions management, so s3:* is too.
    let s3 = stmt("Allow", r#""Action":"s3:*","Resource":"*""#);
    assert_eq!(level(&layers(&[&s3])), PermissionsManagement);
    let tag = stmt("Allow", r#""Action":"ec2:CreateTags","Resource":"*""#);
    assert_eq!(level(&layers(&[&tag])), Write, "Tagging ranks as write");
    let list = stmt("Allow", r#""Action":"s3:ListAllMyBuckets","Resource":"*""#);
    assert_eq!(level(&layers(&[&list])), Read, "List ranks as read");
}

#[test]
fn permissions_boundary_caps_administrator_access() {
    let admin = doc(ADMIN);
    let boundary = stmt(
        "Allow",
        r#""Action":["s3:PutObject","cloudwatch:PutMetricData"],"Resource":"*""#,
    );
    let l = Layers {
        identity: vec![&admin],
        boundary: Some(&boundary),
        ..Layers::default()
    };
    assert_eq!(level(&l), Write);
    assert_eq!(
        l.decide("iam:attachuserpolicy", "arn:aws:iam::1:user/u"),
        Decision::ImplicitDeny
    );
    assert!(l.decide("s3:putobject", "arn:aws:s3:::b/k").allowed());
    // The boundary alone grants nothing: effective = identity ∩ boundary.
    let read = stmt("Allow", r#""Action":"s3:GetObject","Resource":"*""#);
    let l = Layers {
        identity: vec![&read],
        boundary: Some(&admin),
        ..Layers::default()
    };
    assert_eq!(level(&l), Read);
    // A deny in the boundary also wins.
    let deny_boundary = doc(
        r#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"s3:*","Resource":"*"}]}"#,
    );
    let s3 = stmt("Allow", r#""Action":"s3:PutObject","Resource":"*""#);
    let l = Layers {
        identity: vec![&s3],
        boundary: Some(&deny_boundary),
        ..Layers::default()
    };
    assert_eq!(level(&l), None);
}

#[test]
fn scps_must_allow_and_their_denies_win() {
    let admin = doc(ADMIN);
    let full = doc(ADMIN);
    let deny_iam = stmt("Deny", r#""Action":["iam:*"],"Resource":"*""#);
    let l = Layers {
        identity: vec![&admin],
        scps: vec![vec![&full, &deny_iam]],
        ..Layers::default()
    };
    assert_eq!(
        l.decide("iam:createuser", "arn:aws:iam::1:user/x"),
        Decision::ExplicitDeny
    );
    assert_ne!(level(&l), Admin);
    // An allow-list SCP: only what it names is possible.
    let only_s3 = stmt(
        "Allow",
        r#""Action":["s3:GetObject","s3:PutObject"],"Resource":"*""#,
    );
    let l = Layers {
        identity: vec![&admin],
        scps: vec![vec![&only_s3]],
        ..Layers::default()
    };
    assert_eq!(level(&l), Write);
    assert_eq!(l.decide("ec2:runinstances", "*"), Decision::ImplicitDeny);
    // FullAWSAccess at the root and the allow-list at the account: both levels must allow.
    let l = Layers {
        identity: vec![&admin],
        scps: vec![vec![&full], vec![&only_s3]],
        ..Layers::default()
    };
    assert_eq!(level(&l), Write);
    // Within one level, one SCP allowing suffices.
    let l = Layers {
        identity: vec![&admin],
        scps: vec![vec![&full, &only_s3]],
        ..Layers::default()
    };
    assert_eq!(level(&l), Admin);
}

#[test]
fn conditions_are_kept_and_classified() {
    let mfa_admin = stmt(
        "Allow",
        r#""Action":"*","Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}"#,
    );
    let l = layers(&[&mfa_admin]);
    let lv = l.level(&Pattern::new(ACCOUNT));
    assert_eq!(lv.privilege, Admin, "still admin, but conditional");
    assert_eq!(lv.conditions[0].to_condition().kind, ConditionKind::Mfa);

    let timed = stmt(
        "Allow",
        r#""Action":"s3:PutObject","Resource":"*","Condition":{"DateLessThan":{"aws:CurrentTime":"2026-12-01T00:00:00Z"}}"#,
    );
    let plain_read = stmt("Allow", r#""Action":"s3:GetObject","Resource":"*""#);
    let lv = layers(&[&timed, &plain_read]).level(&Pattern::new(ACCOUNT));
    assert_eq!(lv.privilege, Write);
    assert_eq!(lv.conditions[0].to_condition().kind, ConditionKind::Time);

    let ip = stmt(
        "Allow",
        r#""Action":"s3:PutObject","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":["10.0.0.0/8"]}}"#,
    );
    match layers(&[&ip]).decide("s3:putobject", "arn:aws:s3:::b/k") {
        Decision::Allow(c) => assert_eq!(c[0].to_condition().kind, ConditionKind::Network),
        other => panic!("{other:?}"),
    }
    let tag = stmt(
        "Allow",
        r#""Action":"s3:PutObject","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/team":"data"}}"#,
    );
    match layers(&[&tag]).decide("s3:putobject", "arn:aws:s3:::b/k") {
        Decision::Allow(c) => assert_eq!(c[0].to_condition().kind, ConditionKind::PrincipalTag),
        other => panic!("{other:?}"),
    }
    // An unconditional allow beside a conditional one makes the result unconditional.
    let plain = stmt("Allow", r#""Action":"s3:PutObject","Resource":"*""#);
    assert_eq!(
        layers(&[&ip, &plain]).decide("s3:putobject", "arn:aws:s3:::b/k"),
        Decision::Allow(vec![])
    );
}

#[test]
fn unknown_actions_count_as_write_and_are_listed() {
    let d = stmt(
        "Allow",
        r#""Action":["newservice:DoThing","s3:GetObject"],"Resource":"*""#,
    );
    let lv = layers(&[&d]).level(&Pattern::new(ACCOUNT));
    assert_eq!(lv.privilege, Write);
    assert_eq!(lv.unknown, ["newservice:dothing"]);
    let everything = stmt("Allow", r#""Action":["*","s3:*","*:Get*"],"Resource":"*""#);
    assert!(layers(&[&everything])
        .level(&Pattern::new(ACCOUNT))
        .unknown
        .is_empty());
}

#[test]
fn url_encoded_document_evaluates_like_the_object() {
    let encoded = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22*%22%2C%22Resource%22%3A%22*%22%7D%5D%7D";
    let d: Document = serde_json::from_value(serde_json::Value::String(encoded.into())).unwrap();
    assert_eq!(d, doc(ADMIN));
    assert_eq!(level(&layers(&[&d])), Admin);
}

#[test]
fn a_decision_on_any_resource_only_when_every_statement_names_all_resources() {
    let role = Pattern::new("arn:aws:iam::111122223333:role/deploy");
    let other = Pattern::new("arn:aws:iam::111122223333:role/other");
    // Resource "*" everywhere: one decision for every role, the same decide_on gives.
    let everywhere = stmt("Allow", r#""Action":"sts:AssumeRole","Resource":"*""#);
    let mfa = stmt(
        "Allow",
        r#""Action":"sts:AssumeRole","Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}"#,
    );
    for docs in [vec![&everywhere], vec![&mfa], vec![&mfa, &everywhere]] {
        let rules = layers(&docs).for_action("sts:assumerole");
        let anywhere = rules.decide_anywhere().expect("resource-independent");
        assert_eq!(anywhere, rules.decide_on(&role));
        assert_eq!(anywhere, rules.decide_on(&other));
    }
    // A universal Deny decides everywhere too.
    let deny_all = stmt("Deny", r#""Action":"sts:*","Resource":"*""#);
    let rules = layers(&[&everywhere, &deny_all]).for_action("sts:assumerole");
    assert_eq!(rules.decide_anywhere(), Some(Decision::ExplicitDeny));

    // Near-misses: a statement naming a role, a Deny naming one, a NotResource: per role.
    let one_role = stmt(
        "Allow",
        r#""Action":"sts:AssumeRole","Resource":"arn:aws:iam::111122223333:role/deploy""#,
    );
    let deny_one = stmt(
        "Deny",
        r#""Action":"sts:AssumeRole","Resource":"arn:aws:iam::111122223333:role/deploy""#,
    );
    let not_resource = stmt(
        "Allow",
        r#""Action":"sts:AssumeRole","NotResource":"arn:aws:iam::111122223333:role/deploy""#,
    );
    for docs in [
        vec![&one_role],
        vec![&everywhere, &deny_one],
        vec![&not_resource],
    ] {
        let rules = layers(&docs).for_action("sts:assumerole");
        assert_eq!(rules.decide_anywhere(), Option::None);
        assert_ne!(rules.decide_on(&role), rules.decide_on(&other));
    }
}
