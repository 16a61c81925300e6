//! AWS exports in their real shapes (/work/shared/real-samples/FORMATS.md §1-3):
//! `get-account-authorization-details` JSON per account, the IAM credential report (CSV),
//! and CloudTrail delivery files (`{"Records": [...]}`).
//!
//! Principals are planted so that admin-equivalence can be compared between tools: some
//! hold AdministratorAccess directly, some through a group, some through an inline `*`
//! policy or `iam:*`, some can escalate (`iam:CreatePolicyVersion`, `iam:PassRole` with
//! `ec2:RunInstances`, `iam:AttachUserPolicy`), and the rest hold read or write access.

use super::{boto3_time, rfc3339, GenerateError, Params, Rng, Sink, AUDIT_EPOCH, DAY, HOUR};
use std::io::{self, Write};

const STREAM_AWS: u64 = 101;
const STREAM_TRAIL: u64 = 102;
/// The account of the single-file authorization details compared with cloudsplaining.
const COMPARE_ACCOUNT: u64 = 123_456_789_012;

fn account_id(a: usize) -> u64 {
    210_000_000_000 + a as u64 * 7
}

/// Sizes of one account's export.
#[derive(Clone, Copy)]
struct Account {
    id: u64,
    users: usize,
    roles: usize,
    groups: usize,
    policies: usize,
}

impl Account {
    fn new(id: u64, principals: usize, policies: usize) -> Account {
        let users = principals * 2 / 5;
        Account {
            id,
            users,
            roles: principals - users,
            groups: (users / 10).max(1),
            policies: policies.max(1),
        }
    }
}

/// What a customer-managed policy allows, by index.
#[derive(Clone, Copy, PartialEq, Eq)]
enum PolicyKind {
    Admin,
    IamFull,
    CreatePolicyVersion,
    PassRoleRunInstances,
    AttachUserPolicy,
    Write,
    Read,
}

fn policy_kind(seed: u64, account: u64, n: usize) -> PolicyKind {
    let mut r = Rng::new(seed ^ account ^ (n as u64).wrapping_mul(31), STREAM_AWS);
    match r.below(100) {
        0..2 => PolicyKind::Admin,
        2..4 => PolicyKind::IamFull,
        4..6 => PolicyKind::CreatePolicyVersion,
        6..8 => PolicyKind::PassRoleRunInstances,
        8..9 => PolicyKind::AttachUserPolicy,
        9..45 => PolicyKind::Write,
        _ => PolicyKind::Read,
    }
}

fn policy_document(w: &mut dyn Write, kind: PolicyKind, account: u64, n: usize) -> io::Result<()> {
    let statement = match kind {
        PolicyKind::Admin => r#"{"Effect": "Allow", "Action": "*", "Resource": "*"}"#.to_string(),
        PolicyKind::IamFull => {
            r#"{"Effect": "Allow", "Action": ["iam:*"], "Resource": "*"}"#.to_string()
        }
        PolicyKind::CreatePolicyVersion => r#"{"Effect": "Allow", "Action": ["iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion", "iam:ListPolicies"], "Resource": "*"}"#.to_string(),
        PolicyKind::PassRoleRunInstances => r#"{"Effect": "Allow", "Action": ["iam:PassRole", "ec2:RunInstances", "ec2:DescribeInstances"], "Resource": "*"}"#.to_string(),
        PolicyKind::AttachUserPolicy => r#"{"Effect": "Allow", "Action": "iam:AttachUserPolicy", "Resource": "*"}"#.to_string(),
        PolicyKind::Write => format!(
            r#"{{"Effect": "Allow", "Action": ["s3:PutObject", "s3:GetObject", "s3:DeleteObject"], "Resource": "arn:aws:s3:::bucket-{account}-{n}/*"}}"#
        ),
        PolicyKind::Read => format!(
            r#"[{{"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": ["arn:aws:s3:::bucket-{account}-{n}", "arn:aws:s3:::bucket-{account}-{n}/*"]}}, {{"Effect": "Allow", "Action": "ec2:Describe*", "Resource": "*"}}]"#
        ),
    };
    write!(
        w,
        r#"{{"Version": "2012-10-17", "Statement": {statement}}}"#
    )
}

/// An IAM unique id: prefix + 17 upper-case letters and digits.
fn unique_id(prefix: &str, r: &mut Rng) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut s = String::with_capacity(21);
    s.push_str(prefix);
    for _ in 0..17 {
        s.push(ALPHABET[r.below(ALPHABET.len())] as char);
    }
    s
}

fn attached(w: &mut dyn Write, list: &[(String, String)]) -> io::Result<()> {
    w.write_all(b"\"AttachedManagedPolicies\": [")?;
    for (n, (name, arn)) in list.iter().enumerate() {
        if n > 0 {
            w.write_all(b", ")?;
        }
        write!(w, r#"{{"PolicyName": "{name}", "PolicyArn": "{arn}"}}"#)?;
    }
    w.write_all(b"]")
}

/// Managed policies a principal attaches: mostly customer policies, sometimes AWS's own.
fn pick_attachments(r: &mut Rng, a: &Account) -> Vec<(String, String)> {
    let mut v = Vec::new();
    if r.chance(3) {
        v.push((
            "AdministratorAccess".to_string(),
            "arn:aws:iam::aws:policy/AdministratorAccess".to_string(),
        ));
    } else if r.chance(10) {
        v.push((
            "ReadOnlyAccess".to_string(),
            "arn:aws:iam::aws:policy/ReadOnlyAccess".to_string(),
        ));
    }
    for _ in 0..r.below(3) {
        let n = r.below(a.policies);
        let entry = (
            format!("pol-{n:05}"),
            format!("arn:aws:iam::{}:policy/pol-{n:05}", a.id),
        );
        if !v.contains(&entry) {
            v.push(entry);
        }
    }
    v
}

fn write_authz(w: &mut dyn Write, seed: u64, a: &Account) -> io::Result<()> {
    let mut r = Rng::new(seed ^ a.id, STREAM_AWS);
    let time = |r: &mut Rng| boto3_time(AUDIT_EPOCH - r.range(DAY, 4 * 365 * DAY));
    w.write_all(b"{\n\"UserDetailList\": [")?;
    for u in 0..a.users {
        w.write_all(if u == 0 { b"\n" } else { b",\n" })?;
        write!(
            w,
            r#"{{"Path": "/", "UserName": "user-{u:05}", "UserId": "{}", "Arn": "arn:aws:iam::{}:user/user-{u:05}", "CreateDate": "{}", "GroupList": ["group-{:04}"], "#,
            unique_id("AIDA", &mut r),
            a.id,
            time(&mut r),
            r.below(a.groups)
        )?;
        if r.chance(5) {
            write!(
                w,
                r#""UserPolicyList": [{{"PolicyName": "inline-{u}", "PolicyDocument": "#
            )?;
            let kind = if r.chance(50) {
                PolicyKind::Admin
            } else {
                PolicyKind::PassRoleRunInstances
            };
            policy_document(w, kind, a.id, u)?;
            w.write_all(b"}], ")?;
        }
        attached(w, &pick_attachments(&mut r, a))?;
        write!(
            w,
            r#", "Tags": [{{"Key": "team", "Value": "t{:02}"}}]}}"#,
            r.below(50)
        )?;
    }
    w.write_all(b"\n],\n\"GroupDetailList\": [")?;
    for g in 0..a.groups {
        w.write_all(if g == 0 { b"\n" } else { b",\n" })?;
        write!(
            w,
            r#"{{"Path": "/", "GroupName": "group-{g:04}", "GroupId": "{}", "Arn": "arn:aws:iam::{}:group/group-{g:04}", "CreateDate": "{}", "GroupPolicyList": [], "#,
            unique_id("AGPA", &mut r),
            a.id,
            time(&mut r)
        )?;
        attached(w, &pick_attachments(&mut r, a))?;
        w.write_all(b"}")?;
    }
    w.write_all(b"\n],\n\"RoleDetailList\": [")?;
    for n in 0..a.roles {
        w.write_all(if n == 0 { b"\n" } else { b",\n" })?;
        let trust = match r.below(10) {
            0..4 => format!(
                r#"{{"Effect": "Allow", "Principal": {{"AWS": "arn:aws:iam::{}:root"}}, "Action": "sts:AssumeRole", "Condition": {{"Bool": {{"aws:MultiFactorAuthPresent": "true"}}}}}}"#,
                a.id
            ),
            4..6 => format!(
                r#"{{"Effect": "Allow", "Principal": {{"AWS": "arn:aws:iam::{}:root"}}, "Action": "sts:AssumeRole"}}"#,
                account_id(r.below(5000))
            ),
            6..9 => r#"{"Effect": "Allow", "Principal": {"Service": ["ec2.amazonaws.com"]}, "Action": "sts:AssumeRole"}"#.to_string(),
            _ => format!(
                r#"{{"Effect": "Allow", "Principal": {{"AWS": "arn:aws:iam::{}:user/user-{:05}"}}, "Action": "sts:AssumeRole"}}"#,
                a.id,
                r.below(a.users.max(1))
            ),
        };
        write!(
            w,
            r#"{{"Path": "/", "RoleName": "role-{n:05}", "RoleId": "{}", "Arn": "arn:aws:iam::{}:role/role-{n:05}", "CreateDate": "{}", "AssumeRolePolicyDocument": {{"Version": "2012-10-17", "Statement": [{trust}]}}, "InstanceProfileList": [], "RolePolicyList": [], "#,
            unique_id("AROA", &mut r),
            a.id,
            time(&mut r)
        )?;
        attached(w, &pick_attachments(&mut r, a))?;
        w.write_all(br#", "Tags": [], "RoleLastUsed": "#)?;
        if r.chance(60) {
            write!(
                w,
                r#"{{"LastUsedDate": "{}", "Region": "us-east-1"}}}}"#,
                boto3_time(AUDIT_EPOCH - r.range(HOUR, 300 * DAY))
            )?;
        } else {
            w.write_all(b"{}}")?;
        }
    }
    w.write_all(b"\n],\n\"Policies\": [")?;
    let mut first = true;
    let mut aws_policy = |w: &mut dyn Write, name: &str, doc: &str| -> io::Result<()> {
        w.write_all(if first { b"\n" } else { b",\n" })?;
        first = false;
        write!(
            w,
            r#"{{"PolicyName": "{name}", "PolicyId": "ANPA{name}", "Arn": "arn:aws:iam::aws:policy/{name}", "Path": "/", "DefaultVersionId": "v1", "AttachmentCount": 1, "PermissionsBoundaryUsageCount": 0, "IsAttachable": true, "CreateDate": "2015-02-06 18:39:46+00:00", "UpdateDate": "2015-02-06 18:39:46+00:00", "PolicyVersionList": [{{"Document": {doc}, "VersionId": "v1", "IsDefaultVersion": true, "CreateDate": "2015-02-06 18:39:46+00:00"}}]}}"#
        )
    };
    aws_policy(
        w,
        "AdministratorAccess",
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}"#,
    )?;
    aws_policy(
        w,
        "ReadOnlyAccess",
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:Get*", "s3:List*", "ec2:Describe*", "iam:Get*", "iam:List*"], "Resource": "*"}]}"#,
    )?;
    for n in 0..a.policies {
        let kind = policy_kind(seed, a.id, n);
        let created = time(&mut r);
        write!(
            w,
            ",\n{{\"PolicyName\": \"pol-{n:05}\", \"PolicyId\": \"{}\", \"Arn\": \"arn:aws:iam::{}:policy/pol-{n:05}\", \"Path\": \"/\", \"DefaultVersionId\": \"v2\", \"AttachmentCount\": 1, \"PermissionsBoundaryUsageCount\": 0, \"IsAttachable\": true, \"CreateDate\": \"{created}\", \"UpdateDate\": \"{created}\", \"PolicyVersionList\": [{{\"Document\": ",
            unique_id("ANPA", &mut r),
            a.id
        )?;
        policy_document(w, kind, a.id, n)?;
        write!(
            w,
            ", \"VersionId\": \"v2\", \"IsDefaultVersion\": true, \"CreateDate\": \"{created}\"}}, {{\"Document\": "
        )?;
        policy_document(w, PolicyKind::Read, a.id, n)?;
        write!(
            w,
            ", \"VersionId\": \"v1\", \"IsDefaultVersion\": false, \"CreateDate\": \"{created}\"}}]}}"
        )?;
    }
    w.write_all(b"\n],\n\"IsTruncated\": false\n}\n")
}

const CREDENTIAL_REPORT_HEADER: &str = "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated";

fn write_credential_report(w: &mut dyn Write, seed: u64, a: &Account) -> io::Result<()> {
    let mut r = Rng::new(seed ^ a.id, STREAM_AWS ^ 0xC4ED);
    writeln!(w, "{CREDENTIAL_REPORT_HEADER}")?;
    let t = |e: i64| rfc3339(e).replace('Z', "+00:00");
    writeln!(
        w,
        "<root_account>,arn:aws:iam::{}:root,{},not_supported,{},not_supported,not_supported,true,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A",
        a.id,
        t(AUDIT_EPOCH - 4 * 365 * DAY),
        t(AUDIT_EPOCH - r.range(DAY, 90 * DAY))
    )?;
    for u in 0..a.users {
        let created = AUDIT_EPOCH - r.range(30 * DAY, 4 * 365 * DAY);
        let password = r.chance(60);
        let (pw_used, pw_changed) = if password {
            (
                if r.chance(80) {
                    t(AUDIT_EPOCH - r.range(HOUR, 200 * DAY))
                } else {
                    "no_information".to_string()
                },
                t(created + 60),
            )
        } else {
            ("N/A".to_string(), "N/A".to_string())
        };
        let key = |r: &mut Rng| -> String {
            if r.chance(55) {
                let rotated = AUDIT_EPOCH - r.range(DAY, 900 * DAY);
                let used = if r.chance(70) {
                    format!("{},us-east-1,s3", t(AUDIT_EPOCH - r.range(HOUR, 120 * DAY)))
                } else {
                    "N/A,N/A,N/A".to_string()
                };
                format!("{},{},{used}", r.chance(90), t(rotated))
            } else {
                "false,N/A,N/A,N/A,N/A".to_string()
            }
        };
        let k1 = key(&mut r);
        let k2 = key(&mut r);
        writeln!(
            w,
            "user-{u:05},arn:aws:iam::{}:user/user-{u:05},{},{password},{pw_used},{pw_changed},N/A,{},{k1},{k2},false,N/A,false,N/A",
            a.id,
            t(created),
            r.chance(50)
        )?;
    }
    Ok(())
}

fn write_cloudtrail(w: &mut dyn Write, seed: u64, a: &Account, events: usize) -> io::Result<()> {
    let mut r = Rng::new(seed ^ a.id, STREAM_TRAIL);
    w.write_all(b"{\"Records\": [")?;
    // Records in time order, as CloudTrail delivers them.
    let mut time = AUDIT_EPOCH - 30 * DAY;
    let step = (30 * DAY / events.max(1) as i64).max(1);
    for e in 0..events {
        time += r.range(0, 2 * step);
        w.write_all(if e == 0 { b"\n" } else { b",\n" })?;
        let user = format!("user-{:05}", r.below(a.users.max(1)));
        let role = format!("role-{:05}", r.below(a.roles.max(1)));
        let (source, name, request, response) = match r.below(10) {
            0..5 => (
                "sts.amazonaws.com",
                "AssumeRole",
                format!(
                    r#"{{"roleArn": "arn:aws:iam::{}:role/{role}", "roleSessionName": "{user}", "durationSeconds": 3600}}"#,
                    a.id
                ),
                format!(
                    r#"{{"credentials": {{"accessKeyId": "{}", "expiration": "Nov 20, 2026, 10:00:00 AM", "sessionToken": "redacted"}}, "assumedRoleUser": {{"assumedRoleId": "AROAEXAMPLE:{user}", "arn": "arn:aws:sts::{}:assumed-role/{role}/{user}"}}}}"#,
                    unique_id("ASIA", &mut r),
                    a.id
                ),
            ),
            5..7 => (
                "iam.amazonaws.com",
                "CreateAccessKey",
                format!(r#"{{"userName": "{user}"}}"#),
                format!(
                    r#"{{"accessKey": {{"accessKeyId": "{}", "status": "Active", "userName": "{user}", "createDate": "Nov 1, 2026 1:37:41 PM"}}}}"#,
                    unique_id("AKIA", &mut r)
                ),
            ),
            7 => (
                "iam.amazonaws.com",
                "AttachUserPolicy",
                format!(
                    r#"{{"userName": "{user}", "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}}"#
                ),
                "null".to_string(),
            ),
            8 => (
                "iam.amazonaws.com",
                "DetachUserPolicy",
                format!(
                    r#"{{"userName": "{user}", "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}}"#
                ),
                "null".to_string(),
            ),
            _ => (
                "iam.amazonaws.com",
                "DeleteAccessKey",
                format!(
                    r#"{{"userName": "{user}", "accessKeyId": "{}"}}"#,
                    unique_id("AKIA", &mut r)
                ),
                "null".to_string(),
            ),
        };
        let actor = format!("admin-{:02}", r.below(10));
        write!(
            w,
            r#"{{"eventVersion": "1.09", "userIdentity": {{"type": "IAMUser", "principalId": "{}", "arn": "arn:aws:iam::{}:user/{actor}", "accountId": "{}", "accessKeyId": "{}", "userName": "{actor}"}}, "eventTime": "{}", "eventSource": "{source}", "eventName": "{name}", "awsRegion": "us-east-1", "sourceIPAddress": "203.0.113.{}", "userAgent": "aws-cli/2.15.0", "requestParameters": {request}, "responseElements": {response}, "requestID": "{:016x}", "eventID": "{:016x}", "readOnly": false, "eventType": "AwsApiCall", "managementEvent": true, "recipientAccountId": "{}", "eventCategory": "Management"}}"#,
            unique_id("AIDA", &mut r),
            a.id,
            a.id,
            unique_id("AKIA", &mut r),
            rfc3339(time),
            r.below(250),
            r.next_u64(),
            r.next_u64(),
            a.id
        )?;
    }
    w.write_all(b"\n]}\n")
}

/// Writes `aws/authorization-details.json` (one account, `compare_principals` principals)
/// and, per account, its authorization details, credential report and CloudTrail file.
pub(super) fn write(p: &Params, seed: u64, sink: &mut Sink) -> Result<(), GenerateError> {
    if p.compare_principals > 0 {
        let a = Account::new(
            COMPARE_ACCOUNT,
            p.compare_principals,
            (p.compare_principals / 5).max(1),
        );
        sink.file("aws/authorization-details.json", |w| {
            write_authz(w, seed, &a)
        })?;
    }
    for n in 0..p.accounts {
        let principals = super::share(p.aws_principals, p.accounts, n);
        let policies = super::share(p.policies, p.accounts, n);
        let events = super::share(p.cloudtrail_events, p.accounts, n);
        let a = Account::new(account_id(n), principals, policies);
        let dir = format!("aws/accounts/{}", a.id);
        if principals > 0 {
            sink.file(&format!("{dir}/authorization-details.json"), |w| {
                write_authz(w, seed, &a)
            })?;
            sink.file(&format!("{dir}/credential-report.csv"), |w| {
                write_credential_report(w, seed, &a)
            })?;
        }
        if events > 0 {
            let date = &rfc3339(AUDIT_EPOCH)[..10].replace('-', "");
            sink.file(
                &format!(
                    "{dir}/cloudtrail/{}_CloudTrail_us-east-1_{date}T0900Z_gen.json",
                    a.id
                ),
                |w| write_cloudtrail(w, seed, &a, events),
            )?;
        }
    }
    Ok(())
}
