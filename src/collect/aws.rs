//! Live AWS IAM collection: the same files a user would export by hand, gathered through the
//! SDK with the standard credential chain, written as a snapshot directory.
//!
//! Calls (all read-only; none returns a secret value):
//! - `GetAccountAuthorizationDetails`, every page (`MaxItems` = `--page-size`), merged into
//!   one document shaped like `aws iam get-account-authorization-details` output: the four
//!   lists, policy documents URL-encoded as the API returns them, dates RFC 3339;
//! - `GenerateCredentialReport` (polled until complete) and `GetCredentialReport`: the CSV,
//!   byte for byte as AWS returns it (the SDK decodes the base64 `Content`);
//! - where the report is not available (or `--no-credential-report`): `ListAccessKeys` per
//!   user and `GetAccessKeyLastUsed` per key, written as a generic inventory of secrets;
//! - `ListAccountAliases`; the account id is read from the ARNs collected.
//!
//! Throttling and transient errors are retried by the SDK (standard retry mode, bounded
//! attempts, per-attempt timeouts). A call that still fails is recorded in the manifest's
//! `failed_calls`; everything else is still written, and a scan of the snapshot reports the
//! gap (exit 3 unless `--allow-partial`).

use super::manifest::{
    self, Account, FailedCall, Manifest, SnapshotFile, Tool, ACCESS_KEYS_FILE, ACCESS_KEYS_FORMAT,
    AUTHORIZATION_DETAILS_FILE, AUTHORIZATION_DETAILS_FORMAT, CONFIG_FILE, CREDENTIAL_REPORT_FILE,
    CREDENTIAL_REPORT_FORMAT, MANIFEST_FILE,
};
use crate::model::Timestamp;
use crate::scan::Progress;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region};
use aws_sdk_iam::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_iam::primitives::{DateTime, DateTimeFormat};
use aws_sdk_iam::types::{
    AttachedPermissionsBoundary, AttachedPolicy, GroupDetail, InstanceProfile, ManagedPolicyDetail,
    PolicyDetail, ReportStateType, RoleDetail, Tag, UserDetail,
};
use aws_sdk_iam::Client;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::future::Future;
use std::path::Path;
use std::time::{Duration, Instant};

/// How to reach IAM and how patient to be.
#[derive(Debug, Clone)]
pub struct Options {
    /// A named profile of the shared config files; the standard chain otherwise.
    pub profile: Option<String>,
    /// IAM is global; the region only picks the endpoint (default: the chain's, else us-east-1).
    pub region: Option<String>,
    /// An IAM-compatible endpoint (tests, proxies) instead of AWS's own.
    pub endpoint_url: Option<String>,
    /// Attempts per call, the first included (standard retry mode with backoff).
    pub max_attempts: u32,
    /// Time allowed for one attempt of one call.
    pub attempt_timeout: Duration,
    /// `MaxItems` for paged calls (1–1000).
    pub page_size: i32,
    /// How long to wait for AWS to generate the credential report.
    pub report_wait: Duration,
    /// Skip the credential report and list access keys instead.
    pub credential_report: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            profile: None,
            region: None,
            endpoint_url: None,
            max_attempts: 5,
            attempt_timeout: Duration::from_secs(60),
            page_size: 100,
            report_wait: Duration::from_secs(120),
            credential_report: true,
        }
    }
}

/// What went wrong that is not an API call: the snapshot could not be written.
#[derive(Debug, thiserror::Error)]
pub enum CollectError {
    #[error("{path}: cannot write the snapshot: {message}")]
    Write { path: String, message: String },
    #[error("cannot start the AWS client: {0}")]
    Runtime(String),
}

/// Collects into `out` (created if needed) and returns the manifest written there.
/// `collected_at` is recorded in the manifest; `out_display` names the directory in messages.
pub fn collect(
    options: &Options,
    out: &Path,
    out_display: &str,
    collected_at: Timestamp,
    progress: &dyn Progress,
) -> Result<Manifest, CollectError> {
    let write_error = |path: &Path, e: std::io::Error| CollectError::Write {
        path: path.display().to_string(),
        message: e.to_string(),
    };
    std::fs::create_dir_all(out).map_err(|e| write_error(out, e))?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CollectError::Runtime(e.to_string()))?;
    progress.phase("connecting to AWS IAM");
    let sdk_config = runtime.block_on(load_config(options));
    let region = sdk_config.region().map(|r| r.to_string());
    let mut collector = Collector {
        runtime,
        client: Client::new(&sdk_config),
        options,
        progress,
        failed: Vec::new(),
        counts: BTreeMap::new(),
    };

    let details = collector.authorization_details();
    let aliases = collector.account_aliases();
    let mut files = vec![SnapshotFile {
        path: AUTHORIZATION_DETAILS_FILE.into(),
        format: AUTHORIZATION_DETAILS_FORMAT.into(),
    }];
    let details_path = out.join(AUTHORIZATION_DETAILS_FILE);
    let mut details_text =
        serde_json::to_string_pretty(&details.document).expect("JSON values serialize");
    details_text.push('\n');
    std::fs::write(&details_path, details_text).map_err(|e| write_error(&details_path, e))?;

    let report = if options.credential_report {
        collector.credential_report()
    } else {
        None
    };
    let mut account_from_report = None;
    let report_path = out.join(CREDENTIAL_REPORT_FILE);
    let keys_path = out.join(ACCESS_KEYS_FILE);
    let stale = match &report {
        Some(csv) => {
            std::fs::write(&report_path, csv).map_err(|e| write_error(&report_path, e))?;
            files.push(SnapshotFile {
                path: CREDENTIAL_REPORT_FILE.into(),
                format: CREDENTIAL_REPORT_FORMAT.into(),
            });
            account_from_report = report_account(csv);
            &keys_path
        }
        None => {
            if let Some(keys) = collector.access_keys(&details.users) {
                let mut text = serde_json::to_string_pretty(&keys).expect("JSON values serialize");
                text.push('\n');
                std::fs::write(&keys_path, text).map_err(|e| write_error(&keys_path, e))?;
                files.push(SnapshotFile {
                    path: ACCESS_KEYS_FILE.into(),
                    format: ACCESS_KEYS_FORMAT.into(),
                });
            } else if keys_path.exists() {
                std::fs::remove_file(&keys_path).map_err(|e| write_error(&keys_path, e))?;
            }
            &report_path
        }
    };
    // A file left by an earlier collection into the same directory is not this snapshot's.
    if stale.exists() {
        std::fs::remove_file(stale).map_err(|e| write_error(stale, e))?;
    }

    progress.phase("writing the snapshot");
    let mut failed_calls = collector.failed;
    failed_calls.sort();
    let manifest = Manifest {
        format: manifest::FORMAT.into(),
        version: manifest::VERSION,
        tool: Tool::default(),
        // Whole seconds: the manifest says when, not how many nanoseconds.
        collected_at: Timestamp::from_second(collected_at.as_second())
            .unwrap_or(collected_at)
            .to_string(),
        account: Account {
            id: details.account.or(account_from_report),
            aliases,
        },
        endpoint: options.endpoint_url.clone(),
        region,
        profile: options.profile.clone(),
        files,
        counts: collector.counts,
        failed_calls,
    };
    let config_path = out.join(CONFIG_FILE);
    std::fs::write(&config_path, manifest::snapshot_config(&manifest.files))
        .map_err(|e| write_error(&config_path, e))?;
    // The manifest last: a directory with a manifest is a finished snapshot.
    let manifest_path = out.join(MANIFEST_FILE);
    std::fs::write(&manifest_path, manifest.to_json())
        .map_err(|e| write_error(&manifest_path, e))?;
    progress.note(&format!(
        "wrote {} ({} files)",
        out_display,
        manifest.files.len() + 2
    ));
    Ok(manifest)
}

/// Names the endpoint a failure concerns: the `--endpoint-url`, or AWS IAM in the region.
pub fn endpoint_description(options: &Options, manifest: &Manifest) -> String {
    match &options.endpoint_url {
        Some(url) => url.clone(),
        None => format!(
            "AWS IAM (region {})",
            manifest.region.as_deref().unwrap_or("unknown")
        ),
    }
}

async fn load_config(options: &Options) -> aws_config::SdkConfig {
    let connect = options.attempt_timeout.min(Duration::from_secs(10));
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .retry_config(RetryConfig::standard().with_max_attempts(options.max_attempts.max(1)))
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(connect)
                .operation_attempt_timeout(options.attempt_timeout)
                .build(),
        );
    if let Some(p) = &options.profile {
        loader = loader.profile_name(p);
    }
    if let Some(url) = &options.endpoint_url {
        loader = loader.endpoint_url(url);
    }
    let loader = match &options.region {
        Some(r) => loader.region(Region::new(r.clone())),
        None => loader.region(
            aws_config::meta::region::RegionProviderChain::default_provider()
                .or_else(Region::from_static("us-east-1")),
        ),
    };
    loader.load().await
}

/// The authorization details as one document, and what the rest of the collection needs.
struct Details {
    document: Value,
    /// (user name, user ARN), for listing access keys.
    users: Vec<(String, String)>,
    account: Option<String>,
}

struct Collector<'a> {
    runtime: tokio::runtime::Runtime,
    client: Client,
    options: &'a Options,
    progress: &'a dyn Progress,
    failed: Vec<FailedCall>,
    counts: BTreeMap<String, u64>,
}

impl Collector<'_> {
    /// Runs one call to completion (the SDK retries inside); a final failure becomes a
    /// [`FailedCall`].
    fn call<T, E, R>(
        &self,
        operation: &str,
        request: impl Future<Output = Result<T, SdkError<E, R>>>,
    ) -> Result<T, FailedCall>
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug,
    {
        self.runtime
            .block_on(request)
            .map_err(|e| failed_call(operation, &e))
    }

    fn authorization_details(&mut self) -> Details {
        let mut users = Vec::new();
        let mut groups = Vec::new();
        let mut roles = Vec::new();
        let mut policies = Vec::new();
        let mut marker: Option<String> = None;
        let mut pages = 0u64;
        let mut complete = false;
        loop {
            self.progress.phase(&format!(
                "authorization details: page {} ({} users, {} groups, {} roles, {} policies so far)",
                pages + 1,
                users.len(),
                groups.len(),
                roles.len(),
                policies.len()
            ));
            let request = self
                .client
                .get_account_authorization_details()
                .max_items(self.options.page_size)
                .set_marker(marker.clone())
                .send();
            let page = match self.call("GetAccountAuthorizationDetails", request) {
                Ok(p) => p,
                Err(f) => {
                    self.failed.push(f);
                    break;
                }
            };
            pages += 1;
            users.extend(page.user_detail_list().iter().map(user));
            groups.extend(page.group_detail_list().iter().map(group));
            roles.extend(page.role_detail_list().iter().map(role));
            policies.extend(page.policies().iter().map(managed_policy));
            let next = page.marker().map(str::to_string);
            if !page.is_truncated() {
                complete = true;
                break;
            }
            if next.is_none() || next == marker {
                self.failed.push(FailedCall {
                    operation: "GetAccountAuthorizationDetails".into(),
                    error_code: "BadPagination".into(),
                    message: format!(
                        "page {pages} says more follow but gives {} marker; stopped",
                        if next.is_none() { "no" } else { "the same" }
                    ),
                });
                break;
            }
            marker = next;
        }
        let user_names: Vec<(String, String)> = users
            .iter()
            .filter_map(|u| {
                Some((
                    u.get("UserName")?.as_str()?.to_string(),
                    u.get("Arn")?.as_str()?.to_string(),
                ))
            })
            .collect();
        let account = users
            .iter()
            .chain(&groups)
            .chain(&roles)
            .chain(&policies)
            .filter_map(|v| v.get("Arn")?.as_str().and_then(arn_account))
            .next();
        for (kind, n) in [
            ("users", users.len()),
            ("groups", groups.len()),
            ("roles", roles.len()),
            ("policies", policies.len()),
        ] {
            self.counts.insert(kind.into(), n as u64);
        }
        self.counts
            .insert("authorization_details_pages".into(), pages);
        let mut document = json!({
            "UserDetailList": users,
            "GroupDetailList": groups,
            "RoleDetailList": roles,
            "Policies": policies,
        });
        // A collection that stopped part way says so in the file too.
        document["IsTruncated"] = Value::Bool(!complete);
        Details {
            document,
            users: user_names,
            account,
        }
    }

    fn account_aliases(&mut self) -> Vec<String> {
        self.progress.phase("account alias");
        let mut aliases = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let request = self
                .client
                .list_account_aliases()
                .set_marker(marker.clone())
                .send();
            match self.call("ListAccountAliases", request) {
                Ok(page) => {
                    aliases.extend(page.account_aliases().iter().cloned());
                    let next = page.marker().map(str::to_string);
                    if !page.is_truncated() || next.is_none() || next == marker {
                        break;
                    }
                    marker = next;
                }
                Err(f) => {
                    self.failed.push(f);
                    break;
                }
            }
        }
        aliases.sort();
        aliases
    }

    /// The credential report's CSV, or `None` (the failure recorded) when it cannot be had.
    fn credential_report(&mut self) -> Option<Vec<u8>> {
        self.progress.phase("credential report: generating");
        let deadline = Instant::now() + self.options.report_wait;
        let mut delay = Duration::from_millis(250);
        loop {
            let request = self.client.generate_credential_report().send();
            match self.call("GenerateCredentialReport", request) {
                Ok(out) if out.state() == Some(&ReportStateType::Complete) => break,
                Ok(_) => {}
                Err(f) => {
                    self.failed.push(f);
                    return None;
                }
            }
            if Instant::now() + delay > deadline {
                self.failed
                    .push(not_ready("GenerateCredentialReport", self.options));
                return None;
            }
            std::thread::sleep(delay);
            delay = (delay * 2).min(Duration::from_secs(4));
        }
        self.progress.phase("credential report: downloading");
        loop {
            let request = self.client.get_credential_report().send();
            match self.call("GetCredentialReport", request) {
                Ok(out) => {
                    let Some(content) = out.content() else {
                        self.failed.push(FailedCall {
                            operation: "GetCredentialReport".into(),
                            error_code: "EmptyReport".into(),
                            message: "the response has no Content".into(),
                        });
                        return None;
                    };
                    let bytes = content.as_ref().to_vec();
                    let rows = bytes
                        .split(|b| *b == b'\n')
                        .filter(|l| !l.is_empty())
                        .count()
                        .saturating_sub(1);
                    self.counts
                        .insert("credential_report_rows".into(), rows as u64);
                    return Some(bytes);
                }
                Err(f)
                    if f.error_code == "ReportInProgress" && Instant::now() + delay <= deadline =>
                {
                    std::thread::sleep(delay);
                    delay = (delay * 2).min(Duration::from_secs(4));
                }
                Err(f) => {
                    self.failed.push(f);
                    return None;
                }
            }
        }
    }

    /// Access keys and their last use, as a generic inventory of secrets; `None` when there
    /// are no users to ask about (the authorization details failed).
    fn access_keys(&mut self, users: &[(String, String)]) -> Option<Value> {
        if users.is_empty() && self.counts.get("authorization_details_pages") == Some(&0) {
            return None;
        }
        let mut secrets = Vec::new();
        for (i, (name, arn)) in users.iter().enumerate() {
            self.progress
                .phase(&format!("access keys: user {} of {}", i + 1, users.len()));
            let mut marker: Option<String> = None;
            loop {
                let request = self
                    .client
                    .list_access_keys()
                    .user_name(name)
                    .max_items(self.options.page_size)
                    .set_marker(marker.clone())
                    .send();
                let page = match self.call("ListAccessKeys", request) {
                    Ok(p) => p,
                    Err(f) => {
                        self.failed.push(f);
                        break;
                    }
                };
                for key in page.access_key_metadata() {
                    let Some(id) = key.access_key_id() else {
                        continue;
                    };
                    let request = self
                        .client
                        .get_access_key_last_used()
                        .access_key_id(id)
                        .send();
                    let last_used = match self.call("GetAccessKeyLastUsed", request) {
                        Ok(out) => out
                            .access_key_last_used()
                            .and_then(|u| u.last_used_date())
                            .map(date),
                        Err(f) => {
                            self.failed.push(f);
                            None
                        }
                    };
                    let mut secret = Map::new();
                    secret.insert("id".into(), json!(id));
                    secret.insert("kind".into(), json!("access-key"));
                    secret.insert("owner".into(), json!(arn));
                    put(&mut secret, "created", key.create_date().map(date));
                    put(&mut secret, "last_used", last_used);
                    secret.insert(
                        "active".into(),
                        json!(key.status().map(|s| s.as_str()) == Some("Active")),
                    );
                    secrets.push(Value::Object(secret));
                }
                let next = page.marker().map(str::to_string);
                if !page.is_truncated() || next.is_none() || next == marker {
                    break;
                }
                marker = next;
            }
        }
        secrets.sort_by(|a, b| a["id"].as_str().cmp(&b["id"].as_str()));
        self.counts
            .insert("access_keys".into(), secrets.len() as u64);
        Some(json!({ "secrets": secrets }))
    }
}

fn not_ready(operation: &str, options: &Options) -> FailedCall {
    FailedCall {
        operation: operation.into(),
        error_code: "ReportNotReady".into(),
        message: format!(
            "the credential report was still being generated after {}s",
            options.report_wait.as_secs()
        ),
    }
}

/// A call's final failure: the service's error code, or the kind of transport failure.
fn failed_call<E, R>(operation: &str, error: &SdkError<E, R>) -> FailedCall
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let code = match error {
        SdkError::ServiceError(_) => error.code().unwrap_or("ServiceError").to_string(),
        SdkError::DispatchFailure(_) => "DispatchFailure".into(),
        SdkError::TimeoutError(_) => "Timeout".into(),
        SdkError::ResponseError(_) => "ResponseError".into(),
        SdkError::ConstructionFailure(_) => "ConstructionFailure".into(),
        _ => "Unknown".into(),
    };
    let message = match error {
        SdkError::ServiceError(_) => error
            .message()
            .map(str::to_string)
            .unwrap_or_else(|| DisplayErrorContext(error).to_string()),
        _ => DisplayErrorContext(error).to_string(),
    };
    FailedCall {
        operation: operation.into(),
        error_code: code,
        message,
    }
}

/// The account of an ARN (`arn:aws:iam::123456789012:user/x`); AWS-managed policies (`aws`)
/// have none.
fn arn_account(arn: &str) -> Option<String> {
    let account = arn.split(':').nth(4)?;
    (account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()))
        .then(|| account.to_string())
}

/// The account of the credential report's root row, when present.
fn report_account(csv: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(csv).ok()?;
    text.lines()
        .skip(1)
        .filter_map(|l| l.split(',').nth(1))
        .find_map(arn_account)
}

/// RFC 3339, as the CLI prints IAM dates.
fn date(d: &DateTime) -> String {
    d.fmt(DateTimeFormat::DateTime)
        .unwrap_or_else(|_| d.secs().to_string())
}

fn put(map: &mut Map<String, Value>, key: &str, value: Option<impl Into<Value>>) {
    if let Some(v) = value {
        map.insert(key.to_string(), v.into());
    }
}

fn tags(list: &[Tag]) -> Value {
    Value::Array(
        list.iter()
            .map(|t| json!({"Key": t.key(), "Value": t.value()}))
            .collect(),
    )
}

fn inline_policies(list: &[PolicyDetail]) -> Value {
    Value::Array(
        list.iter()
            .map(|p| {
                let mut m = Map::new();
                put(&mut m, "PolicyName", p.policy_name());
                put(&mut m, "PolicyDocument", p.policy_document());
                Value::Object(m)
            })
            .collect(),
    )
}

fn attached(list: &[AttachedPolicy]) -> Value {
    Value::Array(
        list.iter()
            .map(|p| {
                let mut m = Map::new();
                put(&mut m, "PolicyName", p.policy_name());
                put(&mut m, "PolicyArn", p.policy_arn());
                Value::Object(m)
            })
            .collect(),
    )
}

fn boundary(b: Option<&AttachedPermissionsBoundary>) -> Option<Value> {
    b.map(|b| {
        let mut m = Map::new();
        put(
            &mut m,
            "PermissionsBoundaryType",
            b.permissions_boundary_type().map(|t| t.as_str()),
        );
        put(
            &mut m,
            "PermissionsBoundaryArn",
            b.permissions_boundary_arn(),
        );
        Value::Object(m)
    })
}

fn user(u: &UserDetail) -> Value {
    let mut m = Map::new();
    put(&mut m, "Path", u.path());
    put(&mut m, "UserName", u.user_name());
    put(&mut m, "UserId", u.user_id());
    put(&mut m, "Arn", u.arn());
    put(&mut m, "CreateDate", u.create_date().map(date));
    m.insert(
        "UserPolicyList".into(),
        inline_policies(u.user_policy_list()),
    );
    m.insert("GroupList".into(), json!(u.group_list()));
    m.insert(
        "AttachedManagedPolicies".into(),
        attached(u.attached_managed_policies()),
    );
    put(
        &mut m,
        "PermissionsBoundary",
        boundary(u.permissions_boundary()),
    );
    m.insert("Tags".into(), tags(u.tags()));
    Value::Object(m)
}

fn group(g: &GroupDetail) -> Value {
    let mut m = Map::new();
    put(&mut m, "Path", g.path());
    put(&mut m, "GroupName", g.group_name());
    put(&mut m, "GroupId", g.group_id());
    put(&mut m, "Arn", g.arn());
    put(&mut m, "CreateDate", g.create_date().map(date));
    m.insert(
        "GroupPolicyList".into(),
        inline_policies(g.group_policy_list()),
    );
    m.insert(
        "AttachedManagedPolicies".into(),
        attached(g.attached_managed_policies()),
    );
    Value::Object(m)
}

fn instance_profile(p: &InstanceProfile) -> Value {
    let roles: Vec<Value> = p
        .roles()
        .iter()
        .map(|r| {
            let mut m = Map::new();
            m.insert("Path".into(), json!(r.path()));
            m.insert("RoleName".into(), json!(r.role_name()));
            m.insert("RoleId".into(), json!(r.role_id()));
            m.insert("Arn".into(), json!(r.arn()));
            m.insert("CreateDate".into(), json!(date(r.create_date())));
            put(
                &mut m,
                "AssumeRolePolicyDocument",
                r.assume_role_policy_document(),
            );
            Value::Object(m)
        })
        .collect();
    json!({
        "Path": p.path(),
        "InstanceProfileName": p.instance_profile_name(),
        "InstanceProfileId": p.instance_profile_id(),
        "Arn": p.arn(),
        "CreateDate": date(p.create_date()),
        "Roles": roles,
    })
}

fn role(r: &RoleDetail) -> Value {
    let mut m = Map::new();
    put(&mut m, "Path", r.path());
    put(&mut m, "RoleName", r.role_name());
    put(&mut m, "RoleId", r.role_id());
    put(&mut m, "Arn", r.arn());
    put(&mut m, "CreateDate", r.create_date().map(date));
    put(
        &mut m,
        "AssumeRolePolicyDocument",
        r.assume_role_policy_document(),
    );
    m.insert(
        "InstanceProfileList".into(),
        Value::Array(
            r.instance_profile_list()
                .iter()
                .map(instance_profile)
                .collect(),
        ),
    );
    m.insert(
        "RolePolicyList".into(),
        inline_policies(r.role_policy_list()),
    );
    m.insert(
        "AttachedManagedPolicies".into(),
        attached(r.attached_managed_policies()),
    );
    put(
        &mut m,
        "PermissionsBoundary",
        boundary(r.permissions_boundary()),
    );
    m.insert("Tags".into(), tags(r.tags()));
    if let Some(last) = r.role_last_used() {
        let mut l = Map::new();
        put(&mut l, "LastUsedDate", last.last_used_date().map(date));
        put(&mut l, "Region", last.region());
        m.insert("RoleLastUsed".into(), Value::Object(l));
    }
    Value::Object(m)
}

fn managed_policy(p: &ManagedPolicyDetail) -> Value {
    let mut m = Map::new();
    put(&mut m, "PolicyName", p.policy_name());
    put(&mut m, "PolicyId", p.policy_id());
    put(&mut m, "Arn", p.arn());
    put(&mut m, "Path", p.path());
    put(&mut m, "DefaultVersionId", p.default_version_id());
    put(&mut m, "AttachmentCount", p.attachment_count());
    put(
        &mut m,
        "PermissionsBoundaryUsageCount",
        p.permissions_boundary_usage_count(),
    );
    m.insert("IsAttachable".into(), json!(p.is_attachable()));
    put(&mut m, "Description", p.description());
    put(&mut m, "CreateDate", p.create_date().map(date));
    put(&mut m, "UpdateDate", p.update_date().map(date));
    let versions: Vec<Value> = p
        .policy_version_list()
        .iter()
        .map(|v| {
            let mut vm = Map::new();
            put(&mut vm, "Document", v.document());
            put(&mut vm, "VersionId", v.version_id());
            vm.insert("IsDefaultVersion".into(), json!(v.is_default_version()));
            put(&mut vm, "CreateDate", v.create_date().map(date));
            Value::Object(vm)
        })
        .collect();
    m.insert("PolicyVersionList".into(), Value::Array(versions));
    Value::Object(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_ids_come_from_account_arns_only() {
        assert_eq!(
            arn_account("arn:aws:iam::123456789012:user/alice").as_deref(),
            Some("123456789012")
        );
        assert_eq!(arn_account("arn:aws:iam::aws:policy/ReadOnlyAccess"), None);
        assert_eq!(arn_account("not an arn"), None);
        let csv = b"user,arn,user_creation_time\n<root_account>,arn:aws:iam::210987654321:root,2020-01-01T00:00:00+00:00\n";
        assert_eq!(report_account(csv).as_deref(), Some("210987654321"));
    }

    #[test]
    fn dates_are_rfc3339() {
        assert_eq!(
            date(&DateTime::from_secs(1_700_000_000)),
            "2023-11-14T22:13:20Z"
        );
    }

    #[test]
    fn documents_stay_as_the_api_returns_them() {
        let detail = PolicyDetail::builder()
            .policy_name("p")
            .policy_document("%7B%22Version%22%3A%222012-10-17%22%7D")
            .build();
        assert_eq!(
            inline_policies(&[detail]),
            json!([{"PolicyName": "p", "PolicyDocument": "%7B%22Version%22%3A%222012-10-17%22%7D"}])
        );
    }
}
