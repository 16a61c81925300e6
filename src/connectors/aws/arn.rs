//! Amazon Resource Names: `arn:partition:service:region:account-id:resource`.

use std::fmt;

/// A parsed ARN. The resource part keeps its slashes and colons (`user/path/name`,
/// `assumed-role/Name/session`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Arn {
    pub partition: String,
    pub service: String,
    pub region: String,
    pub account: String,
    pub resource: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{input}` is not an ARN: expected arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE")]
pub struct ArnError {
    pub input: String,
}

impl Arn {
    pub fn parse(s: &str) -> Result<Arn, ArnError> {
        let fail = || ArnError {
            input: s.chars().take(96).collect(),
        };
        let mut parts = s.splitn(6, ':');
        let (
            Some("arn"),
            Some(partition),
            Some(service),
            Some(region),
            Some(account),
            Some(resource),
        ) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        )
        else {
            return Err(fail());
        };
        if partition.is_empty() || service.is_empty() || resource.is_empty() {
            return Err(fail());
        }
        Ok(Arn {
            partition: partition.to_string(),
            service: service.to_string(),
            region: region.to_string(),
            account: account.to_string(),
            resource: resource.to_string(),
        })
    }

    /// The resource type: `user`, `role`, `group`, `policy`, `assumed-role`, `root`…
    pub fn resource_type(&self) -> &str {
        self.resource
            .split(['/', ':'])
            .next()
            .unwrap_or(&self.resource)
    }

    /// The last path segment: the name of a user, role, group or policy.
    pub fn name(&self) -> &str {
        self.resource.rsplit('/').next().unwrap_or(&self.resource)
    }

    /// For `assumed-role/RoleName/session` (STS), the role's IAM ARN (the session's path is
    /// not in the session ARN, so a role with a path is matched by name within the account).
    pub fn assumed_role_name(&self) -> Option<&str> {
        if self.service != "sts" || self.resource_type() != "assumed-role" {
            return None;
        }
        self.resource.split('/').nth(1)
    }

    /// The account root principal `arn:aws:iam::ACCOUNT:root`.
    pub fn account_root(partition: &str, account: &str) -> String {
        format!("arn:{partition}:iam::{account}:root")
    }
}

impl fmt::Display for Arn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "arn:{}:{}:{}:{}:{}",
            self.partition, self.service, self.region, self.account, self.resource
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_iam_and_sts_arns() {
        let a =
            Arn::parse("arn:aws:iam::123456789012:user/division_abc/subdivision_xyz/Bob").unwrap();
        assert_eq!(a.account, "123456789012");
        assert_eq!(a.resource_type(), "user");
        assert_eq!(a.name(), "Bob");
        assert_eq!(
            a.to_string(),
            "arn:aws:iam::123456789012:user/division_abc/subdivision_xyz/Bob"
        );
        let s = Arn::parse("arn:aws:sts::123456789012:assumed-role/jit-broker/session-1").unwrap();
        assert_eq!(s.assumed_role_name(), Some("jit-broker"));
        let p = Arn::parse("arn:aws-us-gov:iam::aws:policy/AdministratorAccess").unwrap();
        assert_eq!(p.account, "aws");
        assert_eq!(p.name(), "AdministratorAccess");
        assert_eq!(
            Arn::parse("arn:aws:s3:::bucket/key/with:colon")
                .unwrap()
                .resource,
            "bucket/key/with:colon"
        );
        for bad in [
            "",
            "arn:aws",
            "urn:aws:iam::1:user/x",
            "arn::iam::1:user/x",
            "arn:aws:iam::1:",
        ] {
            assert!(Arn::parse(bad).is_err(), "{bad}");
        }
    }
}

#[cfg(test)]
mod proptests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn arns_never_panic(s in ".{0,120}", resource in "[a-z/:*-]{0,40}") {
            if let Ok(a) = Arn::parse(&s) {
                let _ = (a.name(), a.resource_type(), a.assumed_role_name(), a.to_string());
            }
            let composed = format!("arn:aws:sts::123456789012:{resource}");
            if let Ok(a) = Arn::parse(&composed) {
                prop_assert_eq!(a.to_string(), composed);
                let _ = (a.name(), a.resource_type(), a.assumed_role_name());
            }
        }
    }
}
