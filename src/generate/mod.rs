//! A deterministic generator of large synthetic organisations, for benchmarks.
//!
//! `residue generate --profile large --seed 7 --out /tmp/org` writes an organisation in the
//! real input formats residue reads, with sizes as parameters:
//!
//! ```text
//! OUT/generic/inventory-NN.json      generic inventory shards (identities, groups, roles,
//!                                     memberships, assignments, trusts, escalations, secrets,
//!                                     change events); references cross shards
//! OUT/generic/grants/grant-log-NN.jsonl, grant-log-NN.csv   grant logs (JSON Lines and CSV)
//! OUT/generic/residue.yaml           audit policy for the generic scan
//! OUT/aws/authorization-details.json one account's `get-account-authorization-details`
//!                                     (the file compared with cloudsplaining)
//! OUT/aws/accounts/<id>/authorization-details.json, credential-report.csv,
//!                  cloudtrail/<id>_CloudTrail_us-east-1_<date>.json   many accounts
//! OUT/k8s/rbac.json                  Kubernetes RBAC objects (`kubectl get -o json` List)
//! ```
//!
//! The same parameters and seed always give byte-identical files. Nothing here reads the
//! clock: times are relative to a fixed audit time ([`AUDIT_TIME`]) that the benchmark
//! scripts pass as `--now`. The organisation is shaped so that every rule family has work:
//! standing admins, standing privilege behind JIT, escalation paths, lingering temporary
//! grants, unrotated and unused secrets, grants without approval or with self-approval,
//! break-glass grants, ownerless non-human identities, credentials created while elevated.

mod aws;
mod generic;
mod k8s;
mod rng;

pub use rng::Rng;

use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// The audit time every generated organisation is written for (pass it as `--now`).
pub const AUDIT_TIME: &str = "2026-11-20T09:00:00Z";
/// [`AUDIT_TIME`] in epoch seconds.
pub const AUDIT_EPOCH: i64 = 1_795_165_200;

/// Sizes of a generated organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Params {
    /// Identities that are not groups (people, service accounts, workloads, AI agents).
    pub identities: usize,
    /// Groups (identities of kind group).
    pub groups: usize,
    /// Roles in the generic inventory.
    pub roles: usize,
    /// Managed policies across all AWS accounts.
    pub policies: usize,
    /// Role assignments (identity or group → role).
    pub assignments: usize,
    /// Secrets' metadata records.
    pub secrets: usize,
    /// Grant log events (about five per grant).
    pub grant_events: usize,
    /// AWS accounts (each with its authorization details, credential report, CloudTrail).
    pub accounts: usize,
    /// IAM users + roles across all AWS accounts.
    pub aws_principals: usize,
    /// Principals in the single-account `aws/authorization-details.json`.
    pub compare_principals: usize,
    /// CloudTrail records across all accounts.
    pub cloudtrail_events: usize,
    /// Kubernetes service accounts (with roles and bindings in proportion).
    pub k8s_service_accounts: usize,
}

/// Named sizes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    Small,
    Large,
    Huge,
}

impl Profile {
    pub fn parse(s: &str) -> Option<Profile> {
        match s {
            "small" => Some(Profile::Small),
            "large" => Some(Profile::Large),
            "huge" => Some(Profile::Huge),
            _ => None,
        }
    }

    pub fn params(self) -> Params {
        match self {
            Profile::Small => Params {
                identities: 400,
                groups: 20,
                roles: 100,
                policies: 40,
                assignments: 2_000,
                secrets: 1_000,
                grant_events: 4_000,
                accounts: 2,
                aws_principals: 60,
                compare_principals: 40,
                cloudtrail_events: 400,
                k8s_service_accounts: 40,
            },
            Profile::Large => Params {
                identities: 200_000,
                groups: 4_000,
                roles: 50_000,
                policies: 20_000,
                assignments: 1_000_000,
                secrets: 500_000,
                grant_events: 2_000_000,
                accounts: 1_000,
                aws_principals: 50_000,
                compare_principals: 1_000,
                cloudtrail_events: 200_000,
                k8s_service_accounts: 5_000,
            },
            Profile::Huge => Params {
                identities: 1_000_000,
                groups: 20_000,
                roles: 100_000,
                policies: 40_000,
                assignments: 5_000_000,
                secrets: 2_500_000,
                grant_events: 10_000_000,
                accounts: 4_000,
                aws_principals: 200_000,
                compare_principals: 1_000,
                cloudtrail_events: 1_000_000,
                k8s_service_accounts: 20_000,
            },
        }
    }
}

/// What was written, for the command's summary line.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Written {
    pub files: usize,
    pub bytes: u64,
}

/// An error writing the organisation: the file and what went wrong.
#[derive(Debug, thiserror::Error)]
#[error("{file}: {message}")]
pub struct GenerateError {
    pub file: String,
    pub message: String,
}

/// Rejects sizes the generator cannot honour (each record kind needs what it points at).
pub fn validate(p: &Params) -> Result<(), String> {
    let mut problems = Vec::new();
    if p.identities == 0 {
        problems.push("--identities must be at least 1");
    }
    if p.roles == 0 {
        problems.push("--roles must be at least 1");
    }
    if p.groups == 0 {
        problems.push("--groups must be at least 1");
    }
    if p.accounts == 0 && (p.aws_principals > 0 || p.cloudtrail_events > 0) {
        problems.push(
            "--accounts must be at least 1 when AWS principals or CloudTrail events are asked for",
        );
    }
    if p.policies == 0 && (p.aws_principals > 0 || p.compare_principals > 0) {
        problems.push("--policies must be at least 1 when AWS principals are asked for");
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

/// Writes the whole organisation under `out` (created if missing).
pub fn generate(p: &Params, seed: u64, out: &Path) -> Result<Written, GenerateError> {
    validate(p).map_err(|message| GenerateError {
        file: out.display().to_string(),
        message,
    })?;
    let mut sink = Sink::new(out);
    generic::write(p, seed, &mut sink)?;
    aws::write(p, seed, &mut sink)?;
    k8s::write(p, seed, &mut sink)?;
    Ok(sink.written)
}

/// Creates files under the output directory and counts them.
struct Sink {
    root: PathBuf,
    written: Written,
}

impl Sink {
    fn new(root: &Path) -> Sink {
        Sink {
            root: root.to_path_buf(),
            written: Written::default(),
        }
    }

    /// Writes one file at `relative`, its content produced by `body`.
    fn file(
        &mut self,
        relative: &str,
        body: impl FnOnce(&mut dyn Write) -> io::Result<()>,
    ) -> Result<(), GenerateError> {
        let path = self.root.join(relative);
        let error = |e: io::Error| GenerateError {
            file: path.display().to_string(),
            message: e.to_string(),
        };
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(error)?;
        }
        let file = std::fs::File::create(&path).map_err(error)?;
        let mut counter = Counting {
            inner: io::BufWriter::with_capacity(1 << 20, file),
            bytes: 0,
        };
        body(&mut counter).map_err(error)?;
        counter.inner.flush().map_err(error)?;
        self.written.files += 1;
        self.written.bytes += counter.bytes;
        Ok(())
    }
}

struct Counting<W> {
    inner: W,
    bytes: u64,
}

impl<W: Write> Write for Counting<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// The `part`-th of `parts` contiguous ranges of `0..n`.
fn split(n: usize, parts: usize, part: usize) -> (usize, usize) {
    (n * part / parts, n * (part + 1) / parts)
}

/// The size of the `part`-th of `parts` contiguous ranges of `0..n`.
fn share(n: usize, parts: usize, part: usize) -> usize {
    let (lo, hi) = split(n, parts, part);
    hi - lo
}

/// RFC 3339 UTC (`2026-11-20T09:00:00Z`) for epoch seconds.
fn rfc3339(epoch: i64) -> String {
    let (date, secs) = (epoch.div_euclid(86_400), epoch.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(date);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// boto3's `str(datetime)` shape (`2026-11-20 09:00:00+00:00`), as cloudsplaining's
/// collector writes it.
fn boto3_time(epoch: i64) -> String {
    let t = rfc3339(epoch);
    format!("{} {}+00:00", &t[..10], &t[11..19])
}

/// Days since 1970-01-01 → (year, month, day), proleptic Gregorian (Howard Hinnant).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

const DAY: i64 = 86_400;
const HOUR: i64 = 3_600;

#[cfg(test)]
mod tests;
