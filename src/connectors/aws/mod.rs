//! AWS IAM: the files an AWS user already has (authorization details, credential report,
//! CloudTrail), turned into the canonical inventory with real IAM policy evaluation.
//!
//! Ids: users, groups and roles are identified by their ARNs; policies by their ARNs
//! (inline policies by `OWNER_ARN#inline/NAME`); credentials by `USER_ARN#access-key-N`
//! or the access key id where a source gives it.

pub mod accounts;
pub mod actions;
pub mod arn;
pub mod authz;
pub mod cloudtrail;
pub mod credential_report;
pub mod escalation;
pub mod jit;
pub mod policy;
pub mod scp;
pub mod trust;

pub use accounts::{load_accounts, AwsInput};
