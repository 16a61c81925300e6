//! Condition blocks: kept on the edge they guard and classified, so a condition-guarded
//! path is reported as conditional, not as plain standing access.

use crate::model::{Condition, ConditionKind};

/// One `Operator: {key: values}` entry of a statement's `Condition` block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clause {
    pub operator: String,
    pub key: String,
    pub values: Vec<String>,
}

impl Clause {
    /// The canonical condition: its kind and the clause as written
    /// (`Bool aws:MultiFactorAuthPresent = true`).
    pub fn to_condition(&self) -> Condition {
        Condition {
            kind: classify(&self.operator, &self.key),
            detail: format!(
                "{} {} = {}",
                self.operator,
                self.key,
                self.values.join(", ")
            ),
        }
    }
}

/// Classifies a condition key (case-insensitive, as IAM compares keys).
pub fn classify(operator: &str, key: &str) -> ConditionKind {
    let key = key.to_ascii_lowercase();
    let op = operator.to_ascii_lowercase();
    if key.starts_with("aws:multifactorauth") {
        return ConditionKind::Mfa;
    }
    if key == "aws:currenttime" || key == "aws:epochtime" || op.starts_with("date") {
        return ConditionKind::Time;
    }
    if matches!(
        key.as_str(),
        "aws:sourceip" | "aws:sourcevpc" | "aws:sourcevpce" | "aws:vpcsourceip"
    ) || op.starts_with("ipaddress")
        || op.starts_with("notipaddress")
    {
        return ConditionKind::Network;
    }
    if key.starts_with("aws:principaltag/") || key.starts_with("iam:resourcetag/") {
        return ConditionKind::PrincipalTag;
    }
    ConditionKind::Other
}

/// Conditions of several clauses, sorted and without duplicates.
pub fn to_conditions<'a>(clauses: impl IntoIterator<Item = &'a Clause>) -> Vec<Condition> {
    let mut out: Vec<Condition> = clauses.into_iter().map(Clause::to_condition).collect();
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_the_keys_jit_cares_about() {
        assert_eq!(
            classify("Bool", "aws:MultiFactorAuthPresent"),
            ConditionKind::Mfa
        );
        assert_eq!(
            classify("NumericLessThan", "aws:MultiFactorAuthAge"),
            ConditionKind::Mfa
        );
        assert_eq!(
            classify("DateLessThan", "aws:CurrentTime"),
            ConditionKind::Time
        );
        assert_eq!(
            classify("IpAddress", "aws:SourceIp"),
            ConditionKind::Network
        );
        assert_eq!(
            classify("StringEquals", "aws:SourceVpc"),
            ConditionKind::Network
        );
        assert_eq!(
            classify("StringEquals", "aws:PrincipalTag/team"),
            ConditionKind::PrincipalTag
        );
        assert_eq!(
            classify("StringEquals", "sts:ExternalId"),
            ConditionKind::Other
        );
        let c = Clause {
            operator: "Bool".into(),
            key: "aws:MultiFactorAuthPresent".into(),
            values: vec!["true".into()],
        };
        assert_eq!(
            c.to_condition().detail,
            "Bool aws:MultiFactorAuthPresent = true"
        );
    }
}
