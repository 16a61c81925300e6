//! `residue collect aws` against a real IAM API implementation: moto's server (PyPI
//! `moto[server]`, installed by scripts/test.sh), started here on a free 127.0.0.1 port and
//! stopped by PID at the end. The test plants users, groups, roles, policies, attachments,
//! inline policies, an access key and trust policies through the AWS SDK, collects, and
//! checks the snapshot and the findings against what it planted.
//!
//! tests/moto/server.py corrects two gaps in moto's GetAccountAuthorizationDetails (it
//! ignores MaxItems/Marker and omits PolicyName); everything else is moto as installed.
//! If moto cannot be started these tests fail: they never skip.

use crate::support::*;
use aws_sdk_iam::config::{BehaviorVersion, Credentials, Region};
use serde_json::Value;
use std::collections::BTreeSet;
use std::fs;
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const NOW: &str = "2026-11-24T00:00:00Z";
const ACCOUNT: &str = "123456789012";
const APP_ROLES: usize = 120;

/// A port nothing listens on now (the listener is closed on return).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind 127.0.0.1:0")
        .local_addr()
        .unwrap()
        .port()
}

/// moto's server, killed by PID when dropped.
struct Moto {
    child: Child,
    url: String,
    _log_dir: tempfile::TempDir,
}

impl Moto {
    fn start() -> Moto {
        let port = free_port();
        let log_dir = out_dir();
        let log_path = log_dir.path().join("moto.log");
        let log = fs::File::create(&log_path).unwrap();
        let mut child = Command::new("python3")
            .arg(root().join("tests/moto/server.py"))
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("python3 must run tests/moto/server.py; install moto with `pip install 'moto[server]'` (scripts/test.sh does)");
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                panic!(
                    "moto's server exited ({status}) before listening; is moto installed (`pip install 'moto[server]'`)? Its output:\n{}",
                    fs::read_to_string(&log_path).unwrap_or_default()
                );
            }
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!(
                    "moto's server did not listen on 127.0.0.1:{port} within 60s. Its output:\n{}",
                    fs::read_to_string(&log_path).unwrap_or_default()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Moto {
            child,
            url: format!("http://127.0.0.1:{port}"),
            _log_dir: log_dir,
        }
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs residue in `dir` with static test credentials set for the child only, and the
/// shared config files and instance metadata out of the way.
fn residue_aws(dir: &Path, args: &[&str]) -> Output {
    let none = dir.join("no-such-aws-config");
    assert_cmd::Command::cargo_bin("residue")
        .expect("the residue binary is built")
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("AWS_PROFILE")
        .env("AWS_CONFIG_FILE", &none)
        .env("AWS_SHARED_CREDENTIALS_FILE", &none)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .args(args)
        .output()
        .expect("residue runs")
}

fn json_file(path: &Path) -> Value {
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn policy(actions: &[&str]) -> String {
    serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]
    })
    .to_string()
}

fn trust(principal: Value) -> String {
    serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}]
    })
    .to_string()
}

fn arn(kind: &str, name: &str) -> String {
    format!("arn:aws:iam::{ACCOUNT}:{kind}/{name}")
}

/// The access key the test created: its id is metadata, its secret must never be written.
struct Planted {
    access_key_id: String,
    secret_access_key: String,
}

/// Plants the account through the SDK, as an administrator would.
fn plant(url: &str) -> Planted {
    let config = aws_sdk_iam::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(url)
        .credentials_provider(Credentials::new("testing", "testing", None, None, "test"))
        .build();
    let iam = aws_sdk_iam::Client::from_conf(config);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        // A group with an inline admin policy, and alice in it: standing admin.
        iam.create_group()
            .group_name("platform-admins")
            .send()
            .await
            .unwrap();
        iam.put_group_policy()
            .group_name("platform-admins")
            .policy_name("everything")
            .policy_document(policy(&["*"]))
            .send()
            .await
            .unwrap();
        for user in ["alice", "bob", "ci-deployer"] {
            iam.create_user().user_name(user).send().await.unwrap();
        }
        iam.add_user_to_group()
            .group_name("platform-admins")
            .user_name("alice")
            .send()
            .await
            .unwrap();
        // bob: a read-only managed policy, and a trust that lets him assume ops-admin.
        let read_only = iam
            .create_policy()
            .policy_name("s3-read")
            .policy_document(policy(&["s3:GetObject", "s3:ListBucket"]))
            .send()
            .await
            .unwrap();
        iam.attach_user_policy()
            .user_name("bob")
            .policy_arn(read_only.policy().unwrap().arn().unwrap())
            .send()
            .await
            .unwrap();
        let admin = iam
            .create_policy()
            .policy_name("break-glass-admin")
            .policy_document(policy(&["*"]))
            .send()
            .await
            .unwrap();
        iam.create_role()
            .role_name("ops-admin")
            .assume_role_policy_document(trust(serde_json::json!({"AWS": arn("user", "bob")})))
            .send()
            .await
            .unwrap();
        iam.attach_role_policy()
            .role_name("ops-admin")
            .policy_arn(admin.policy().unwrap().arn().unwrap())
            .send()
            .await
            .unwrap();
        // ci-deployer: a narrow inline policy and an access key.
        iam.put_user_policy()
            .user_name("ci-deployer")
            .policy_name("deploy")
            .policy_document(policy(&["lambda:UpdateFunctionCode"]))
            .send()
            .await
            .unwrap();
        let key = iam
            .create_access_key()
            .user_name("ci-deployer")
            .send()
            .await
            .unwrap();
        let key = key.access_key().unwrap();
        // Enough service roles to need several pages.
        for i in 0..APP_ROLES {
            iam.create_role()
                .role_name(format!("app-{i:03}"))
                .assume_role_policy_document(trust(
                    serde_json::json!({"Service": "ec2.amazonaws.com"}),
                ))
                .send()
                .await
                .unwrap();
        }
        iam.put_role_policy()
            .role_name("app-007")
            .policy_name("logs")
            .policy_document(policy(&["logs:PutLogEvents"]))
            .send()
            .await
            .unwrap();
        Planted {
            access_key_id: key.access_key_id().to_string(),
            secret_access_key: key.secret_access_key().to_string(),
        }
    })
}

/// The report AWS (moto) serves now, fetched independently of residue.
fn credential_report(url: &str) -> Vec<u8> {
    let config = aws_sdk_iam::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(url)
        .credentials_provider(Credentials::new("testing", "testing", None, None, "test"))
        .build();
    let iam = aws_sdk_iam::Client::from_conf(config);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let out = iam.get_credential_report().send().await.unwrap();
        out.content().unwrap().as_ref().to_vec()
    })
}

/// (rule, subject, entitlement) of every finding of a JSON report, and the whole findings.
fn findings(report: &Path) -> (BTreeSet<(String, String, String)>, Vec<Value>) {
    let json = json_file(report);
    let list = json["findings"].as_array().expect("findings").clone();
    let keys = list
        .iter()
        .map(|f| {
            (
                f["rule_id"].as_str().unwrap().to_string(),
                f["subject"].as_str().unwrap().to_string(),
                f["entitlement"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    (keys, list)
}

/// What identifies a finding independently of where its data was read from.
fn comparable(list: &[Value]) -> Vec<(String, String, String, String)> {
    list.iter()
        .map(|f| {
            (
                f["rule_id"].to_string(),
                f["subject"].to_string(),
                f["message"].to_string(),
                f["fingerprint"].to_string(),
            )
        })
        .collect()
}

fn assert_no_secret(dir: &Path, secret: &str) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let bytes = fs::read(&path).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        assert!(
            !text.contains(secret),
            "{} contains the access key's secret",
            path.display()
        );
    }
}

#[test]
fn collect_then_scan_finds_the_planted_privilege() {
    let moto = Moto::start();
    let planted = plant(&moto.url);
    let work = out_dir();
    let dir = work.path();

    // Collect with small pages: 3 users + 1 group + 122 roles + 2 policies = 128 entries.
    let o = residue_aws(
        dir,
        &[
            "collect",
            "aws",
            "--endpoint-url",
            &moto.url,
            "--region",
            "us-east-1",
            "--out",
            "snap",
            "--page-size",
            "50",
            "--now",
            NOW,
        ],
    );
    assert_eq!(
        code(&o),
        0,
        "stdout:\n{}\nstderr:\n{}",
        stdout(&o),
        stderr(&o)
    );
    assert!(stdout(&o).contains(&format!("collected account {ACCOUNT} into snap")));
    let snap = dir.join("snap");

    // The manifest: account, time, tool, counts, no failures.
    let manifest = json_file(&snap.join("manifest.json"));
    assert_eq!(manifest["format"], "residue-aws-snapshot");
    assert_eq!(manifest["account"]["id"], ACCOUNT);
    assert_eq!(manifest["collected_at"], NOW);
    assert_eq!(manifest["tool"]["name"], "residue");
    assert_eq!(manifest["tool"]["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(manifest["endpoint"], moto.url.as_str());
    assert_eq!(manifest["failed_calls"], serde_json::json!([]));
    let counts = &manifest["counts"];
    assert_eq!(counts["users"], 3);
    assert_eq!(counts["groups"], 1);
    assert_eq!(counts["roles"], APP_ROLES as u64 + 1);
    assert_eq!(counts["policies"], 2);
    assert_eq!(
        counts["authorization_details_pages"], 3,
        "128 entries in pages of 50"
    );
    assert_eq!(counts["credential_report_rows"], 3);

    // The authorization details: what was planted, documents as the API returns them.
    let details = json_file(&snap.join("authorization-details.json"));
    assert_eq!(details["IsTruncated"], false);
    let names = |list: &str, key: &str| -> BTreeSet<String> {
        details[list]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e[key].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        names("UserDetailList", "UserName"),
        BTreeSet::from(["alice".into(), "bob".into(), "ci-deployer".into()])
    );
    assert_eq!(
        names("GroupDetailList", "GroupName"),
        BTreeSet::from(["platform-admins".into()])
    );
    assert_eq!(
        names("Policies", "PolicyName"),
        BTreeSet::from(["break-glass-admin".into(), "s3-read".into()])
    );
    let roles = names("RoleDetailList", "RoleName");
    assert_eq!(roles.len(), APP_ROLES + 1);
    assert!(roles.contains("ops-admin") && roles.contains("app-000") && roles.contains("app-119"));
    let user = |name: &str| -> Value {
        details["UserDetailList"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["UserName"] == name)
            .unwrap()
            .clone()
    };
    assert_eq!(
        user("alice")["GroupList"],
        serde_json::json!(["platform-admins"])
    );
    assert_eq!(user("alice")["Arn"], arn("user", "alice"));
    assert_eq!(
        user("bob")["AttachedManagedPolicies"][0]["PolicyArn"],
        arn("policy", "s3-read")
    );
    let inline = &user("ci-deployer")["UserPolicyList"][0];
    assert_eq!(inline["PolicyName"], "deploy");
    let doc = inline["PolicyDocument"].as_str().unwrap();
    assert!(
        doc.starts_with("%7B") && doc.contains("lambda%3AUpdateFunctionCode"),
        "inline documents stay URL-encoded as the API returns them: {doc}"
    );
    let group_doc = details["GroupDetailList"][0]["GroupPolicyList"][0]["PolicyDocument"]
        .as_str()
        .unwrap();
    assert!(group_doc.starts_with("%7B"), "{group_doc}");
    let ops = details["RoleDetailList"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["RoleName"] == "ops-admin")
        .unwrap();
    assert!(ops["AssumeRolePolicyDocument"]
        .as_str()
        .unwrap()
        .contains(&arn("user", "bob")));
    assert_eq!(
        ops["AttachedManagedPolicies"][0]["PolicyArn"],
        arn("policy", "break-glass-admin")
    );
    let created = user("alice")["CreateDate"].as_str().unwrap().to_string();
    assert!(
        residue::model::time::parse_timestamp(&created).is_ok() && created.contains('T'),
        "dates are RFC 3339: {created}"
    );

    // The credential report, byte for byte as the API serves it.
    let csv = fs::read(snap.join("credential-report.csv")).unwrap();
    assert_eq!(csv, credential_report(&moto.url));
    let text = String::from_utf8(csv).unwrap();
    assert!(text.starts_with("user,arn,user_creation_time,password_enabled"));
    let deployer = text
        .lines()
        .find(|l| l.starts_with("ci-deployer,"))
        .expect("a row for ci-deployer");
    assert!(deployer.contains(",true,"), "its key is active: {deployer}");

    // residue.yaml lists the files with their formats.
    let config = fs::read_to_string(snap.join("residue.yaml")).unwrap();
    assert!(
        config.contains("{path: authorization-details.json, format: aws-authorization-details}")
    );
    assert!(config.contains("{path: credential-report.csv, format: aws-credential-report}"));
    assert_no_secret(&snap, &planted.secret_access_key);

    // Scanning the snapshot finds the planted standing admins, and only them.
    let o = residue_in(
        dir,
        &[
            "scan", "snap", "--now", NOW, "--out", "report", "--format", "json",
        ],
    );
    assert_eq!(
        code(&o),
        0,
        "stdout:\n{}\nstderr:\n{}",
        stdout(&o),
        stderr(&o)
    );
    let (keys, snapshot_findings) = findings(&dir.join("report/report.json"));
    let standing_admins: BTreeSet<(String, String)> = keys
        .iter()
        .filter(|(rule, _, _)| rule == "SP001")
        .map(|(_, subject, entitlement)| (subject.clone(), entitlement.clone()))
        .collect();
    assert_eq!(
        standing_admins,
        BTreeSet::from([
            (
                arn("user", "alice"),
                format!("{}#inline/everything", arn("group", "platform-admins"))
            ),
            (arn("user", "bob"), arn("role", "ops-admin")),
        ]),
        "all findings: {keys:?}"
    );
    assert!(
        !keys
            .iter()
            .any(|(rule, subject, _)| rule == "SP001" && subject == &arn("user", "ci-deployer")),
        "ci-deployer holds no admin: {keys:?}"
    );
    let report = json_file(&dir.join("report/report.json"));
    assert_eq!(report["coverage"]["complete"], true);

    // A live source in residue.yaml collects, then reads the snapshot: the same findings.
    let live = dir.join("live");
    fs::create_dir(&live).unwrap();
    fs::write(
        live.join("residue.yaml"),
        format!(
            "sources:\n  - {{live: aws, snapshot: aws-snapshot, endpoint_url: \"{}\", region: us-east-1}}\n",
            moto.url
        ),
    )
    .unwrap();
    let o = residue_aws(
        dir,
        &[
            "scan",
            "live",
            "--now",
            NOW,
            "--out",
            "live-report",
            "--format",
            "json",
        ],
    );
    assert_eq!(
        code(&o),
        0,
        "stdout:\n{}\nstderr:\n{}",
        stdout(&o),
        stderr(&o)
    );
    assert!(live.join("aws-snapshot/manifest.json").is_file());
    assert!(live.join("aws-snapshot/credential-report.csv").is_file());
    let (_, live_findings) = findings(&dir.join("live-report/report.json"));
    assert!(!live_findings.is_empty());
    assert_eq!(comparable(&live_findings), comparable(&snapshot_findings));
    assert_no_secret(&live.join("aws-snapshot"), &planted.secret_access_key);

    // Without the credential report: access keys and their last use, no secret.
    let o = residue_aws(
        dir,
        &[
            "collect",
            "aws",
            "--endpoint-url",
            &moto.url,
            "--region",
            "us-east-1",
            "--out",
            "keys",
            "--no-credential-report",
            "--now",
            NOW,
            "--quiet",
        ],
    );
    assert_eq!(code(&o), 0, "stderr:\n{}", stderr(&o));
    let keys_dir = dir.join("keys");
    assert!(!keys_dir.join("credential-report.csv").exists());
    let access = json_file(&keys_dir.join("access-keys.json"));
    assert_eq!(
        access["secrets"],
        serde_json::json!([{
            "id": planted.access_key_id,
            "kind": "access-key",
            "owner": arn("user", "ci-deployer"),
            "created": access["secrets"][0]["created"],
            "active": true,
        }])
    );
    assert!(access["secrets"][0]["created"].is_string());
    assert_eq!(
        json_file(&keys_dir.join("manifest.json"))["counts"]["access_keys"],
        1
    );
    assert_no_secret(&keys_dir, &planted.secret_access_key);
    let o = residue_in(
        dir,
        &[
            "scan",
            "keys",
            "--now",
            NOW,
            "--out",
            "keys-report",
            "--format",
            "json",
        ],
    );
    assert_eq!(
        code(&o),
        0,
        "stdout:\n{}\nstderr:\n{}",
        stdout(&o),
        stderr(&o)
    );
    let report = json_file(&dir.join("keys-report/report.json"));
    let secrets: u64 = report["sources"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["records"]["secrets"].as_u64())
        .sum();
    assert_eq!(secrets, 1, "{}", report["sources"]);
}

#[test]
fn endpoint_down_is_a_clear_error_and_an_incomplete_audit() {
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}");
    let work = out_dir();
    let dir = work.path();
    let started = Instant::now();
    let o = residue_aws(
        dir,
        &[
            "collect",
            "aws",
            "--endpoint-url",
            &url,
            "--region",
            "us-east-1",
            "--out",
            "snap",
            "--max-attempts",
            "2",
            "--timeout",
            "5",
            "--report-wait",
            "5",
            "--now",
            NOW,
        ],
    );
    let err = stderr(&o);
    assert_eq!(code(&o), 3, "stderr:\n{err}");
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "{:?}",
        started.elapsed()
    );
    assert!(err.contains("the snapshot is PARTIAL"), "{err}");
    assert!(err.contains(&url), "the error names the endpoint:\n{err}");
    assert!(
        err.contains("GetAccountAuthorizationDetails (DispatchFailure)"),
        "{err}"
    );
    assert!(err.contains("after up to 2 attempt(s)"), "{err}");

    // Everything else is written, and the manifest says what failed.
    let manifest = json_file(&dir.join("snap/manifest.json"));
    let failed: BTreeSet<&str> = manifest["failed_calls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["operation"].as_str().unwrap())
        .collect();
    assert_eq!(
        failed,
        BTreeSet::from([
            "GenerateCredentialReport",
            "GetAccountAuthorizationDetails",
            "ListAccountAliases"
        ])
    );
    let details = json_file(&dir.join("snap/authorization-details.json"));
    assert_eq!(details["IsTruncated"], true);

    // A scan of it says loudly that the audit is incomplete: exit 3 unless --allow-partial.
    let o = residue_in(
        dir,
        &["scan", "snap", "--now", NOW, "--out", "report", "--quiet"],
    );
    let err = stderr(&o);
    assert_eq!(code(&o), 3, "stderr:\n{err}");
    assert!(err.contains("INCOMPLETE"), "{err}");
    assert!(
        err.contains("GetAccountAuthorizationDetails failed during collection (DispatchFailure"),
        "{err}"
    );
    let o = residue_in(
        dir,
        &[
            "scan",
            "snap",
            "--now",
            NOW,
            "--out",
            "report",
            "--quiet",
            "--allow-partial",
        ],
    );
    assert_eq!(code(&o), 0, "stderr:\n{}", stderr(&o));

    // --allow-partial on collect accepts the partial snapshot, still naming the failures.
    let o = residue_aws(
        dir,
        &[
            "collect",
            "aws",
            "--endpoint-url",
            &url,
            "--region",
            "us-east-1",
            "--out",
            "snap2",
            "--max-attempts",
            "1",
            "--timeout",
            "5",
            "--allow-partial",
            "--quiet",
        ],
    );
    assert_eq!(code(&o), 0, "stderr:\n{}", stderr(&o));
    assert!(stderr(&o).contains("PARTIAL"));
}

#[test]
fn live_sources_are_validated_with_their_line() {
    let work = out_dir();
    let dir = work.path();
    fs::write(
        dir.join("residue.yaml"),
        "sources:\n  - {live: gcp, snapshot: s}\n  - {live: aws}\n  - {live: aws, snapshot: s, endpoint_url: ftp://x, colour: red}\n",
    )
    .unwrap();
    let o = residue_in(dir, &["scan", ".", "--now", NOW, "--out", "report"]);
    let err = stderr(&o);
    assert_eq!(code(&o), 2, "{err}");
    assert!(
        err.contains("residue.yaml:2: unknown live source `gcp`; expected aws"),
        "{err}"
    );
    assert!(
        err.contains("residue.yaml:3: a live source needs `snapshot`"),
        "{err}"
    );
    assert!(
        err.contains("residue.yaml:4: expected an http:// or https:// URL, found `ftp://x`"),
        "{err}"
    );
    assert!(
        err.contains("residue.yaml:4: unknown live source setting `colour`"),
        "{err}"
    );
}
