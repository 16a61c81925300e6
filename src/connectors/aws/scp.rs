//! AWS Organizations Service Control Policies (`aws-scp`): the caps an organisation puts on
//! every principal of its member accounts.
//!
//! # Accepted input
//! One SCP per file, as one of:
//! - the output of `aws organizations describe-policy --policy-id p-…`:
//!   `{"Policy": {"PolicySummary": {"Id", "Arn", "Name", "Type": "SERVICE_CONTROL_POLICY", …},
//!   "Content": "<the policy document as a JSON string>"}}`;
//! - a plain policy document (`{"Version": …, "Statement": […]}`).
//!
//! Which accounts it applies to, in this order:
//! - the source's `accounts:` list in residue.yaml (`{path: aws/scp/deny-iam.json, format:
//!   aws-scp, accounts: ["111122223333"]}`);
//! - else a `Targets` list in the file: the output of `aws organizations
//!   list-targets-for-policy --policy-id p-…` merged in (`jq -s add policy.json targets.json`).
//!   An `ACCOUNT` target applies to that account, a `ROOT` target to every account of the
//!   scan; an `ORGANIZATIONAL_UNIT` target cannot be resolved to accounts from these files
//!   (a warning says so: name the OU's accounts with `accounts:`).
//!
//! A file with neither is an error: an SCP that applies to nothing is a mistake to report.
//!
//! # Semantics
//! SCPs attached at the same place (one root, one OU, one account) form one **level**; an
//! action must be allowed by an SCP at every level, and a Deny in any SCP wins (see
//! [`crate::connectors::aws::policy::eval`]). SCPs given with `accounts:` are attached at their
//! file's root or OU target when it names one, else at each listed account.
//!
//! SCPs never restrict the organisation's **management account**, nor **service-linked roles**
//! (path `/aws-service-role/`): residue learns the management account from the Organizations
//! ARNs in describe-policy or list-targets-for-policy output
//! (`arn:aws:organizations::MANAGEMENT:policy/…`) and skips it; a plain document carries no
//! such ARN, so do not list the management account in `accounts:`.
//!
//! SCPs are read before the authorization-details files and applied while those are loaded
//! ([`crate::connectors::aws::load_accounts`]); an SCP source yields no records of its own,
//! only diagnostics.

use super::arn::Arn;
use super::policy::Document;
use crate::connectors::error::line_column_location;
use crate::connectors::ConnectorError;
use crate::model::{Diagnostic, Inventory, Provenance};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// What an SCP source must contain.
pub const EXPECTED: &str = "an AWS Service Control Policy: `aws organizations describe-policy` output ({\"Policy\": {\"PolicySummary\": …, \"Content\": \"…\"}}) or a policy document ({\"Statement\": […]}), optionally with `Targets` from `aws organizations list-targets-for-policy`";

/// Where an SCP is attached.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Target {
    Root(String),
    Ou(String),
    Account(String),
}

/// One parsed SCP.
#[derive(Debug, Clone)]
pub struct Scp {
    /// `PolicySummary.Name`, else the file name.
    pub name: String,
    pub document: Document,
    /// Where it is attached (from `Targets`).
    pub targets: Vec<Target>,
    /// The accounts residue.yaml says it applies to (`accounts:`), overriding `targets`.
    pub accounts: Option<Vec<String>>,
    /// The management account, when an Organizations ARN in the file names it.
    pub management_account: Option<String>,
    /// The document's place: the file, and `/Policy/Content` or the root.
    pub provenance: Provenance,
}

/// Is the start of a file `describe-policy` output for an SCP?
pub fn sniff(text: &str) -> bool {
    text.trim_start().starts_with('{')
        && text.contains("\"Policy\"")
        && text.contains("\"Content\"")
        && text.contains("SERVICE_CONTROL_POLICY")
}

fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// The management account named by an Organizations ARN (`arn:aws:organizations::ID:…`).
fn management_of(arn: &str) -> Option<String> {
    Arn::parse(arn)
        .ok()
        .filter(|a| a.service == "organizations" && is_account_id(&a.account))
        .map(|a| a.account)
}

fn str_at<'v>(
    value: &'v Value,
    pointer: &str,
    file: &str,
    required: bool,
) -> Result<Option<&'v str>, ConnectorError> {
    match value.pointer(pointer) {
        None | Some(Value::Null) if !required => Ok(None),
        None | Some(Value::Null) => Err(ConnectorError::invalid(
            file,
            pointer,
            format!("missing; expected a string. The file must be {EXPECTED}"),
        )),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(ConnectorError::invalid(
            file,
            pointer,
            format!("expected a string, found {}", kind(other)),
        )),
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Compiles a policy document, locating an error at its statement (`/Statement/2`).
fn compile(doc: &Value, file: &str, at: &str) -> Result<Document, ConnectorError> {
    serde_json::from_value::<Document>(doc.clone()).map_err(|err| {
        let statement = match doc.get("Statement") {
            None => {
                return ConnectorError::invalid(
                    file,
                    at,
                    format!("the policy document has no `Statement`; expected {EXPECTED}"),
                )
            }
            Some(Value::Array(items)) => items
                .iter()
                .position(|s| {
                    serde_json::from_value::<Document>(serde_json::json!({"Statement": s})).is_err()
                })
                .map(|i| format!("/Statement/{i}")),
            Some(_) => Some("/Statement".to_string()),
        };
        let location = match (at, statement) {
            ("", Some(s)) => s,
            (at, Some(s)) => format!("{at} (in the document: {s})"),
            (at, None) => at.to_string(),
        };
        ConnectorError::invalid(file, location, format!("{err}"))
    })
}

/// Parses one SCP file. `accounts` is the source's `accounts:` from residue.yaml.
pub fn parse(
    bytes: &[u8],
    file: &str,
    source: &str,
    accounts: Option<&[String]>,
) -> Result<Scp, ConnectorError> {
    let value: Value = serde_json::from_slice(bytes).map_err(|e| {
        let what = if e.is_eof() {
            "the file ends in the middle of the JSON document (truncated?)".to_string()
        } else {
            format!("not valid JSON: {e}")
        };
        ConnectorError::invalid(
            file,
            line_column_location(e.line() as u64, e.column() as u64),
            format!("{what}; expected {EXPECTED}"),
        )
    })?;
    if !value.is_object() {
        return Err(ConnectorError::invalid(
            file,
            "/",
            format!("expected {EXPECTED}, found {}", kind(&value)),
        ));
    }
    let fallback_name = std::path::Path::new(file)
        .file_stem()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_else(|| file.to_string());
    let mut management = None;
    let (name, document, record) = if let Some(policy) = value.get("Policy") {
        if !policy.is_object() {
            return Err(ConnectorError::invalid(
                file,
                "/Policy",
                format!("expected an object, found {}", kind(policy)),
            ));
        }
        if let Some(t) = str_at(&value, "/Policy/PolicySummary/Type", file, false)? {
            if t != "SERVICE_CONTROL_POLICY" {
                return Err(ConnectorError::invalid(
                    file,
                    "/Policy/PolicySummary/Type",
                    format!("the policy is a `{t}`; expected SERVICE_CONTROL_POLICY (residue reads only SCPs)"),
                ));
            }
        }
        if let Some(arn) = str_at(&value, "/Policy/PolicySummary/Arn", file, false)? {
            management = management_of(arn);
        }
        let name = str_at(&value, "/Policy/PolicySummary/Name", file, false)?
            .map(str::to_string)
            .unwrap_or_else(|| fallback_name.clone());
        let content = str_at(&value, "/Policy/Content", file, true)?.unwrap_or_default();
        let inner: Value = serde_json::from_str(content).map_err(|e| {
            ConnectorError::invalid(
                file,
                "/Policy/Content",
                format!("the policy document inside the string is not valid JSON: {e}"),
            )
        })?;
        if !inner.is_object() {
            return Err(ConnectorError::invalid(
                file,
                "/Policy/Content",
                format!(
                    "expected a policy document (a JSON object), found {}",
                    kind(&inner)
                ),
            ));
        }
        (
            name,
            compile(&inner, file, "/Policy/Content")?,
            "/Policy/Content",
        )
    } else if value.get("Statement").is_some() {
        (fallback_name, compile(&value, file, "")?, "")
    } else {
        return Err(ConnectorError::invalid(
            file,
            "/",
            format!("neither `Policy` nor `Statement` is present; expected {EXPECTED}"),
        ));
    };
    let mut targets = Vec::new();
    match value.get("Targets") {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) => {
            for (i, _) in items.iter().enumerate() {
                let at = |field: &str| format!("/Targets/{i}/{field}");
                let id = str_at(&value, &at("TargetId"), file, true)?.unwrap_or_default();
                let t = str_at(&value, &at("Type"), file, true)?.unwrap_or_default();
                if let Some(arn) = str_at(&value, &at("Arn"), file, false)? {
                    management = management.or_else(|| management_of(arn));
                }
                targets.push(match t {
                    "ROOT" => Target::Root(id.to_string()),
                    "ORGANIZATIONAL_UNIT" => Target::Ou(id.to_string()),
                    "ACCOUNT" if is_account_id(id) => Target::Account(id.to_string()),
                    "ACCOUNT" => {
                        return Err(ConnectorError::invalid(
                            file,
                            at("TargetId"),
                            format!("`{id}` is not an AWS account id; expected 12 digits"),
                        ))
                    }
                    other => {
                        return Err(ConnectorError::invalid(
                            file,
                            at("Type"),
                            format!("unknown target type `{other}`; expected ROOT, ORGANIZATIONAL_UNIT or ACCOUNT"),
                        ))
                    }
                });
            }
        }
        Some(other) => {
            return Err(ConnectorError::invalid(
                file,
                "/Targets",
                format!(
                "expected an array (`aws organizations list-targets-for-policy` output), found {}",
                kind(other)
            ),
            ))
        }
    }
    if accounts.is_none() && targets.is_empty() {
        return Err(ConnectorError::invalid(
            file,
            "/",
            "the SCP names no accounts it applies to: add `accounts: [\"ACCOUNT_ID\"]` to the source in residue.yaml, or merge in `Targets` from `aws organizations list-targets-for-policy` (jq -s add policy.json targets.json)",
        ));
    }
    Ok(Scp {
        name,
        document,
        targets,
        accounts: accounts.map(<[String]>::to_vec),
        management_account: management,
        provenance: Provenance::new(source, file).with_record(record),
    })
}

/// Every SCP of the scan, by the accounts they cap.
#[derive(Debug, Default)]
pub struct Scps {
    pub scps: Vec<Scp>,
}

impl Scps {
    /// The management accounts the SCPs' Organizations ARNs name.
    pub fn management_accounts(&self) -> BTreeSet<&str> {
        self.scps
            .iter()
            .filter_map(|s| s.management_account.as_deref())
            .collect()
    }

    /// The places each SCP is attached that apply to `account`.
    fn places<'s>(&'s self, scp: &'s Scp, account: &str) -> Vec<Target> {
        if let Some(accounts) = &scp.accounts {
            if !accounts.iter().any(|a| a == account) {
                return Vec::new();
            }
            let shared = scp
                .targets
                .iter()
                .find(|t| !matches!(t, Target::Account(_)))
                .cloned();
            return vec![shared.unwrap_or_else(|| Target::Account(account.to_string()))];
        }
        scp.targets
            .iter()
            .filter(|t| match t {
                Target::Root(_) => true,
                Target::Ou(_) => false,
                Target::Account(a) => a == account,
            })
            .cloned()
            .collect()
    }

    /// The SCP levels that cap principals of `account` (see [`super::policy::eval::Layers`]);
    /// empty for the management account.
    pub fn levels(&self, account: &str) -> Vec<Vec<&Document>> {
        if self.management_accounts().contains(account) {
            return Vec::new();
        }
        let mut levels: BTreeMap<Target, Vec<&Document>> = BTreeMap::new();
        for scp in &self.scps {
            for place in self.places(scp, account) {
                levels.entry(place).or_default().push(&scp.document);
            }
        }
        levels.into_values().collect()
    }

    /// Diagnostics about the SCPs: unresolvable OU targets, SCPs that cap no account of the
    /// scan, the management account being exempt. Keyed by the SCP's file.
    pub fn diagnostics(&self, scanned: &BTreeSet<String>) -> BTreeMap<String, Vec<Diagnostic>> {
        let mut out: BTreeMap<String, Vec<Diagnostic>> = BTreeMap::new();
        let management = self.management_accounts();
        for scp in &self.scps {
            let here = out.entry(scp.provenance.file().to_string()).or_default();
            if scp.accounts.is_none() {
                for t in &scp.targets {
                    if let Target::Ou(ou) = t {
                        here.push(Diagnostic::warning(
                            scp.provenance.clone(),
                            format!(
                                "SCP {} is attached to organizational unit {ou}: residue cannot tell which accounts it holds, so the SCP is not applied there; list them with `accounts:` on the source in residue.yaml",
                                scp.name
                            ),
                        ));
                    }
                }
            }
            let capped: Vec<&String> = scanned
                .iter()
                .filter(|a| !self.places(scp, a).is_empty())
                .collect();
            for a in &capped {
                if management.contains(a.as_str()) {
                    here.push(Diagnostic::info(
                        scp.provenance.clone(),
                        format!("SCP {} targets {a}, the organisation's management account, which SCPs never restrict; not applied there", scp.name),
                    ));
                }
            }
            if capped.is_empty() {
                here.push(Diagnostic::info(
                    scp.provenance.clone(),
                    format!(
                        "SCP {} applies to no account of this scan's authorization details",
                        scp.name
                    ),
                ));
            }
        }
        out
    }
}

/// Reads an SCP source on its own: validated, no records (SCPs act on the authorization
/// details they are scanned with).
pub fn load(
    bytes: &[u8],
    file: &str,
    source: &str,
    accounts: Option<&[String]>,
) -> Result<Inventory, ConnectorError> {
    parse(bytes, file, source, accounts)?;
    Ok(Inventory::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    const DESCRIBE: &str = r#"{"Policy": {"PolicySummary": {"Id": "p-deny", "Arn": "arn:aws:organizations::999988887777:policy/o-abc/service_control_policy/p-deny", "Name": "deny-iam", "Type": "SERVICE_CONTROL_POLICY", "AwsManaged": false},
        "Content": "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Deny\",\"Action\":\"iam:*\",\"Resource\":\"*\"}]}"},
        "Targets": [{"TargetId": "111122223333", "Arn": "arn:aws:organizations::999988887777:account/o-abc/111122223333", "Name": "prod", "Type": "ACCOUNT"},
                    {"TargetId": "999988887777", "Type": "ACCOUNT"}]}"#;

    #[test]
    fn describe_policy_output_with_targets() {
        assert!(sniff(DESCRIBE));
        let scp = parse(DESCRIBE.as_bytes(), "deny.json", "scp", None).unwrap();
        assert_eq!(scp.name, "deny-iam");
        assert_eq!(scp.management_account.as_deref(), Some("999988887777"));
        assert_eq!(scp.provenance.record.as_deref(), Some("/Policy/Content"));
        let scps = Scps { scps: vec![scp] };
        assert_eq!(scps.levels("111122223333").len(), 1);
        assert!(scps.levels("444455556666").is_empty());
        // Attached to the management account, but SCPs never restrict it.
        assert!(scps.levels("999988887777").is_empty());
    }

    #[test]
    fn plain_documents_need_accounts_and_levels_group_by_place() {
        let doc = br#"{"Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}}"#;
        let err = parse(doc, "allow.json", "scp", None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("accounts:"), "{err}");
        let a = vec!["111122223333".to_string()];
        let allow = parse(doc, "allow.json", "scp", Some(&a)).unwrap();
        let root = br#"{"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"},
            "Targets": [{"TargetId": "r-1", "Type": "ROOT"}]}"#;
        let full = parse(root, "full.json", "scp", None).unwrap();
        let scps = Scps {
            scps: vec![allow, full],
        };
        // The root and the account are two levels: both must allow.
        assert_eq!(scps.levels("111122223333").len(), 2);
        assert_eq!(scps.levels("444455556666").len(), 1);
    }

    #[test]
    fn errors_name_the_json_pointer() {
        let cases: [(&str, &str, &str); 6] = [
            (
                r#"{"Policy": {"Content": "{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"*\"},{\"Effect\":\"Permit\",\"Action\":\"*\"}]}"}, "Targets": []}"#,
                "/Policy/Content (in the document: /Statement/1)",
                "expected `Allow` or `Deny`",
            ),
            (
                r#"{"Policy": {"Content": "{nope"}}"#,
                "/Policy/Content",
                "not valid JSON",
            ),
            (
                r#"{"Policy": {"Content": 7}}"#,
                "/Policy/Content",
                "expected a string",
            ),
            (
                r#"{"Policy": {"PolicySummary": {"Type": "TAG_POLICY"}, "Content": "{}"}}"#,
                "/Policy/PolicySummary/Type",
                "SERVICE_CONTROL_POLICY",
            ),
            (
                r#"{"Statement": [], "Targets": [{"TargetId": "1", "Type": "ACCOUNT"}]}"#,
                "/Targets/0/TargetId",
                "12 digits",
            ),
            (
                r#"{"Statement": [], "Targets": [{"TargetId": "r-1", "Type": "GALAXY"}]}"#,
                "/Targets/0/Type",
                "expected ROOT",
            ),
        ];
        for (text, at, what) in cases {
            let err = parse(text.as_bytes(), "bad.json", "scp", None)
                .unwrap_err()
                .to_string();
            assert!(
                err.starts_with(&format!("bad.json: {at}: ")) && err.contains(what),
                "{err}"
            );
        }
        let err = parse(b"[1]", "bad.json", "scp", None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("found an array"), "{err}");
    }
}
