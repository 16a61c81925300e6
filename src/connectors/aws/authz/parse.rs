//! The `aws iam get-account-authorization-details` document, read with serde straight into
//! typed records (no generic JSON tree), and errors that name the record they concern.

use crate::connectors::aws::policy::Document;
use crate::connectors::error::line_column_location;
use crate::connectors::ConnectorError;
use serde::Deserialize;
use serde_json::value::RawValue;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AuthorizationDetails {
    #[serde(default)]
    pub user_detail_list: Vec<User>,
    #[serde(default)]
    pub group_detail_list: Vec<Group>,
    #[serde(default)]
    pub role_detail_list: Vec<Role>,
    #[serde(default)]
    pub policies: Vec<ManagedPolicy>,
    #[serde(default)]
    pub is_truncated: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct InlinePolicy {
    pub policy_name: String,
    pub policy_document: Document,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AttachedPolicy {
    #[serde(default)]
    pub policy_name: Option<String>,
    pub policy_arn: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Boundary {
    pub permissions_boundary_arn: String,
}

#[derive(Debug, Deserialize)]
pub struct Tag {
    #[serde(rename = "Key")]
    pub key: String,
    #[serde(rename = "Value", default)]
    pub value: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct User {
    pub user_name: String,
    pub arn: String,
    #[serde(default)]
    pub create_date: Option<String>,
    #[serde(default)]
    pub group_list: Vec<String>,
    #[serde(default)]
    pub user_policy_list: Vec<InlinePolicy>,
    #[serde(default)]
    pub attached_managed_policies: Vec<AttachedPolicy>,
    #[serde(default)]
    pub permissions_boundary: Option<Boundary>,
    #[serde(default)]
    pub tags: Vec<Tag>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Group {
    pub group_name: String,
    pub arn: String,
    #[serde(default)]
    pub create_date: Option<String>,
    #[serde(default)]
    pub group_policy_list: Vec<InlinePolicy>,
    #[serde(default)]
    pub attached_managed_policies: Vec<AttachedPolicy>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RoleLastUsed {
    #[serde(default)]
    pub last_used_date: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct InstanceProfile {
    #[serde(default)]
    pub instance_profile_name: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Role {
    pub role_name: String,
    pub arn: String,
    #[serde(default)]
    pub path: Option<String>,
    #[serde(default)]
    pub create_date: Option<String>,
    /// Absent only in hand-made exports; a role without a trust policy is assumable by nobody.
    #[serde(default)]
    pub assume_role_policy_document: Option<Document>,
    #[serde(default)]
    pub instance_profile_list: Vec<InstanceProfile>,
    #[serde(default)]
    pub role_policy_list: Vec<InlinePolicy>,
    #[serde(default)]
    pub attached_managed_policies: Vec<AttachedPolicy>,
    #[serde(default)]
    pub permissions_boundary: Option<Boundary>,
    #[serde(default)]
    pub tags: Vec<Tag>,
    #[serde(default)]
    pub role_last_used: Option<RoleLastUsed>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PolicyVersion {
    #[serde(default)]
    pub document: Option<Document>,
    #[serde(default)]
    pub version_id: Option<String>,
    #[serde(default)]
    pub is_default_version: bool,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ManagedPolicy {
    pub policy_name: String,
    pub arn: String,
    #[serde(default)]
    pub default_version_id: Option<String>,
    #[serde(default)]
    pub policy_version_list: Vec<PolicyVersion>,
}

impl ManagedPolicy {
    /// The effective (default) version's document: the version flagged `IsDefaultVersion`,
    /// else the one `DefaultVersionId` names.
    pub fn default_document(&self) -> Option<&Document> {
        self.policy_version_list
            .iter()
            .find(|v| v.is_default_version)
            .or_else(|| {
                self.policy_version_list
                    .iter()
                    .find(|v| v.version_id.is_some() && v.version_id == self.default_version_id)
            })
            .and_then(|v| v.document.as_ref())
    }

    /// Versions other than the default one (what `iam:SetDefaultPolicyVersion` could switch to).
    pub fn other_versions(&self) -> usize {
        self.policy_version_list
            .iter()
            .filter(|v| !v.is_default_version && v.version_id != self.default_version_id)
            .count()
    }
}

/// The four top-level lists, with the record type each holds (for error messages).
const LISTS: [&str; 4] = [
    "UserDetailList",
    "GroupDetailList",
    "RoleDetailList",
    "Policies",
];

/// What an authorization-details file must contain.
pub const EXPECTED: &str = "the JSON output of `aws iam get-account-authorization-details` (an object with UserDetailList, GroupDetailList, RoleDetailList and Policies)";

/// Parses the whole file. On a type error, finds the record (`/RoleDetailList/3`) by
/// re-reading the file generically — only on the error path.
pub fn parse(bytes: &[u8], file: &str) -> Result<AuthorizationDetails, ConnectorError> {
    if let Some(details) = parse_lists_in_parallel(bytes) {
        return Ok(details);
    }
    // Something is wrong with the file: parsed whole, the error names its line and column.
    match serde_json::from_slice::<AuthorizationDetails>(bytes) {
        Ok(d) => Ok(d),
        Err(err) => Err(locate(bytes, file, &err)),
    }
}

/// The four lists, each still as its JSON text (a slice of the file).
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListTexts<'a> {
    #[serde(borrow, default, deserialize_with = "text_of")]
    user_detail_list: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "text_of")]
    group_detail_list: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "text_of")]
    role_detail_list: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "text_of")]
    policies: Option<&'a RawValue>,
    #[serde(default)]
    is_truncated: Option<bool>,
}

/// A present value's text, even `null` (which the typed parse then refuses, as it should).
fn text_of<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<&'de RawValue>, D::Error> {
    <&RawValue>::deserialize(d).map(Some)
}

fn list<'a, T: Deserialize<'a>>(text: Option<&'a RawValue>) -> Option<Vec<T>> {
    match text {
        None => Some(Vec::new()),
        Some(t) => serde_json::from_str(t.get()).ok(),
    }
}

/// Parses the file's lists on two threads: the roles (the largest list, with a trust policy
/// each) on one, the users, groups and managed policies on the other. Finding where the lists
/// start and end costs a fifth of a whole parse. None when anything fails, for the whole-file
/// parse to report where.
fn parse_lists_in_parallel(bytes: &[u8]) -> Option<AuthorizationDetails> {
    let texts: ListTexts<'_> = serde_json::from_slice(bytes).ok()?;
    let (roles, others) = rayon::join(
        || list::<Role>(texts.role_detail_list),
        || {
            Some((
                list::<User>(texts.user_detail_list)?,
                list::<Group>(texts.group_detail_list)?,
                list::<ManagedPolicy>(texts.policies)?,
            ))
        },
    );
    let (user_detail_list, group_detail_list, policies) = others?;
    Some(AuthorizationDetails {
        user_detail_list,
        group_detail_list,
        role_detail_list: roles?,
        policies,
        is_truncated: texts.is_truncated,
    })
}

fn locate(bytes: &[u8], file: &str, err: &serde_json::Error) -> ConnectorError {
    let at = line_column_location(err.line() as u64, err.column() as u64);
    let value: serde_json::Value = match serde_json::from_slice(bytes) {
        Ok(v) => v,
        Err(syntax) => {
            let what = if syntax.is_eof() {
                "the file ends in the middle of the JSON document (truncated?)".to_string()
            } else {
                format!("not valid JSON: {syntax}")
            };
            return ConnectorError::invalid(
                file,
                line_column_location(syntax.line() as u64, syntax.column() as u64),
                format!("{what}; expected {EXPECTED}"),
            );
        }
    };
    let Some(object) = value.as_object() else {
        return ConnectorError::invalid(file, at, format!("expected {EXPECTED}"));
    };
    for list in LISTS {
        let Some(entry) = object.get(list) else {
            continue;
        };
        let Some(items) = entry.as_array() else {
            return ConnectorError::invalid(
                file,
                format!("{at} (/{list})"),
                format!("{list} must be an array of records"),
            );
        };
        for (i, item) in items.iter().enumerate() {
            let failure = match list {
                "UserDetailList" => User::deserialize(item).err(),
                "GroupDetailList" => Group::deserialize(item).err(),
                "RoleDetailList" => Role::deserialize(item).err(),
                _ => ManagedPolicy::deserialize(item).err(),
            };
            if let Some(e) = failure {
                return ConnectorError::invalid(
                    file,
                    format!("{at} (/{list}/{i})"),
                    format!("{e}"),
                );
            }
        }
    }
    ConnectorError::invalid(file, at, format!("{err}; expected {EXPECTED}"))
}
