//! IAM policy documents as they appear in a plan (JSON strings), read and judged with the
//! AWS connector's policy model and evaluator ([`crate::connectors::aws::policy`]): the
//! privilege a set of documents grants, whether they let a principal assume a role, and the
//! principals a trust policy names with the conditions guarding them.

use crate::connectors::aws::policy::conditions::to_conditions;
use crate::connectors::aws::policy::eval::Layers;
use crate::connectors::aws::policy::{Document, Effect, Pattern};
use crate::model::{Condition, PrivilegeLevel};

/// Parses a policy document (JSON, or URL-encoded JSON).
pub(crate) fn parse(text: &str) -> Result<Document, String> {
    Document::parse_text(text)
}

/// `AdministratorAccess` as AWS publishes it: `Allow * on *`.
pub(crate) fn administrator_access() -> Document {
    parse(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
    )
    .expect("a valid policy document")
}

/// The IAM resources of any account: the scope admin is judged on, since a plan does not
/// say which account it is applied to.
fn any_account_iam() -> Pattern {
    Pattern::new("arn:aws:iam::*")
}

/// How much the documents together let their holder do (explicit denies win).
pub(crate) fn level(documents: &[&Document]) -> PrivilegeLevel {
    if documents.is_empty() {
        return PrivilegeLevel::None;
    }
    let layers = Layers {
        identity: documents.to_vec(),
        ..Layers::default()
    };
    layers.level(&any_account_iam()).privilege
}

/// Whether the documents allow `sts:AssumeRole` on every role `role` matches (an ARN, or a
/// pattern such as `arn:aws:iam::*:role/deploy` when the account is not known), and under
/// which conditions.
pub(crate) fn may_assume(documents: &[&Document], role: &str) -> Option<Vec<Condition>> {
    let layers = Layers {
        identity: documents.to_vec(),
        ..Layers::default()
    };
    match layers.decide_on("sts:assumerole", &Pattern::new(role)) {
        crate::connectors::aws::policy::eval::Decision::Allow(clauses) => {
            Some(to_conditions(clauses.iter()))
        }
        _ => None,
    }
}

/// A principal a trust policy names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Principal {
    /// `"AWS": …`: an ARN (an account id is turned into its root ARN) or `*`.
    Aws(String),
    /// `"Service": "ec2.amazonaws.com"`.
    Service(String),
    /// `"Federated": …` (an OIDC or SAML provider).
    Federated(String),
}

/// One `Allow` of `sts:AssumeRole*` with its principals and conditions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TrustGrant {
    pub principals: Vec<Principal>,
    pub conditions: Vec<Condition>,
}

/// The grants of an assume-role (trust) policy.
pub(crate) fn trust_grants(text: &str) -> Result<Vec<TrustGrant>, String> {
    let doc = parse(text)?;
    let mut out = Vec::new();
    for st in &doc.statements {
        if st.effect != Effect::Allow {
            continue;
        }
        let assumes = [
            "sts:assumerole",
            "sts:assumerolewithwebidentity",
            "sts:assumerolewithsaml",
        ]
        .iter()
        .any(|a| st.matches_action(a));
        let Some(p) = &st.principals else {
            continue;
        };
        if !assumes {
            continue;
        }
        let mut principals = Vec::new();
        if p.anyone {
            principals.push(Principal::Aws("*".into()));
        }
        principals.extend(p.aws.iter().map(|a| Principal::Aws(account_root(a))));
        principals.extend(p.service.iter().cloned().map(Principal::Service));
        principals.extend(p.federated.iter().cloned().map(Principal::Federated));
        out.push(TrustGrant {
            principals,
            conditions: to_conditions(st.conditions.iter()),
        });
    }
    Ok(out)
}

/// `123456789012` → `arn:aws:iam::123456789012:root`; anything else unchanged.
fn account_root(p: &str) -> String {
    if p.len() == 12 && p.bytes().all(|b| b.is_ascii_digit()) {
        format!("arn:aws:iam::{p}:root")
    } else {
        p.to_string()
    }
}

/// Privilege of an AWS-managed policy, by name (`arn:aws:iam::aws:policy/...`); `None` for a
/// customer-managed ARN.
pub(crate) fn managed_policy_level(arn: &str) -> Option<PrivilegeLevel> {
    let rest = arn.strip_prefix("arn:")?;
    let (_, rest) = rest.split_once(':')?; // partition
    let rest = rest.strip_prefix("iam::aws:policy/")?;
    let name = rest.rsplit('/').next().unwrap_or(rest);
    Some(match name {
        "AdministratorAccess" => PrivilegeLevel::Admin,
        "IAMFullAccess" => PrivilegeLevel::PermissionsManagement,
        n if n.ends_with("ReadOnlyAccess") || n == "ViewOnlyAccess" || n == "SecurityAudit" => {
            PrivilegeLevel::Read
        }
        _ => PrivilegeLevel::Write,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ConditionKind;

    #[test]
    fn classifies_aws_managed_policies_by_name() {
        let l = |n: &str| managed_policy_level(&format!("arn:aws:iam::aws:policy/{n}"));
        assert_eq!(l("AdministratorAccess"), Some(PrivilegeLevel::Admin));
        assert_eq!(
            l("IAMFullAccess"),
            Some(PrivilegeLevel::PermissionsManagement)
        );
        assert_eq!(l("ReadOnlyAccess"), Some(PrivilegeLevel::Read));
        assert_eq!(l("AmazonS3ReadOnlyAccess"), Some(PrivilegeLevel::Read));
        assert_eq!(l("PowerUserAccess"), Some(PrivilegeLevel::Write));
        assert_eq!(l("job-function/ViewOnlyAccess"), Some(PrivilegeLevel::Read));
        assert_eq!(
            managed_policy_level("arn:aws-us-gov:iam::aws:policy/AdministratorAccess"),
            Some(PrivilegeLevel::Admin)
        );
        assert_eq!(
            managed_policy_level("arn:aws:iam::123456789012:policy/x"),
            None
        );
    }

    #[test]
    fn documents_are_judged_by_the_aws_evaluator() {
        let doc = |t: &str| parse(t).unwrap();
        let admin = administrator_access();
        assert_eq!(level(&[&admin]), PrivilegeLevel::Admin);
        let s3 =
            doc(r#"{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#);
        assert_eq!(level(&[&s3]), PrivilegeLevel::Read);
        let deny_all = doc(r#"{"Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}"#);
        assert!(
            level(&[&admin, &deny_all]) < PrivilegeLevel::Admin,
            "deny wins"
        );
        assert_eq!(level(&[]), PrivilegeLevel::None);
        assert!(parse("{").is_err());

        let assume = doc(
            r#"{"Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"arn:aws:iam::*:role/deploy-*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}]}"#,
        );
        let conditions = may_assume(&[&assume], "arn:aws:iam::*:role/deploy-admin").unwrap();
        assert_eq!(conditions[0].kind, ConditionKind::Mfa);
        assert!(may_assume(&[&assume], "arn:aws:iam::*:role/other").is_none());
        assert!(may_assume(&[&s3], "arn:aws:iam::*:role/deploy-admin").is_none());
    }

    #[test]
    fn reads_trust_policies() {
        let t = trust_grants(
            r#"{"Statement":{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"AWS":["123456789012","arn:aws:iam::123456789012:user/alice"],"Service":"ec2.amazonaws.com"},"Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}}"#,
        )
        .unwrap();
        assert_eq!(t.len(), 1);
        assert_eq!(
            t[0].principals,
            [
                Principal::Aws("arn:aws:iam::123456789012:root".into()),
                Principal::Aws("arn:aws:iam::123456789012:user/alice".into()),
                Principal::Service("ec2.amazonaws.com".into()),
            ]
        );
        assert_eq!(t[0].conditions[0].kind, ConditionKind::Mfa);
        assert_eq!(
            t[0].conditions[0].detail,
            "Bool aws:MultiFactorAuthPresent = true"
        );
        let anyone = trust_grants(
            r#"{"Statement":[{"Effect":"Allow","Action":"sts:AssumeRoleWithWebIdentity","Principal":"*"},{"Effect":"Deny","Action":"sts:AssumeRole","Principal":{"AWS":"*"}}]}"#,
        )
        .unwrap();
        assert_eq!(anyone.len(), 1);
        assert_eq!(anyone[0].principals, [Principal::Aws("*".into())]);
    }
}
