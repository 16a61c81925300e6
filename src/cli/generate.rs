//! `residue generate` (hidden): writes a deterministic synthetic organisation for
//! benchmarks (see src/generate and docs/performance.md).

use super::{usage_error, EXIT_OK};
use crate::generate::{self, Params, Profile};
use std::path::PathBuf;

#[derive(clap::Args)]
pub(super) struct GenerateArgs {
    /// Named sizes to start from: small, large, huge or custom (custom starts from small).
    #[arg(long, default_value = "small")]
    profile: String,
    /// The seed: the same seed and sizes give byte-identical files.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Directory to write into (created if missing).
    #[arg(long)]
    out: PathBuf,
    /// Identities that are not groups.
    #[arg(long)]
    identities: Option<usize>,
    /// Groups.
    #[arg(long)]
    groups: Option<usize>,
    /// Roles in the generic inventory.
    #[arg(long)]
    roles: Option<usize>,
    /// Managed policies across all AWS accounts.
    #[arg(long)]
    policies: Option<usize>,
    /// Role assignments.
    #[arg(long)]
    assignments: Option<usize>,
    /// Secrets (metadata only).
    #[arg(long)]
    secrets: Option<usize>,
    /// Grant log events.
    #[arg(long)]
    grant_events: Option<usize>,
    /// AWS accounts.
    #[arg(long)]
    accounts: Option<usize>,
    /// IAM users and roles across all AWS accounts.
    #[arg(long)]
    aws_principals: Option<usize>,
    /// Principals in aws/authorization-details.json (the cloudsplaining comparison file).
    #[arg(long)]
    compare_principals: Option<usize>,
    /// CloudTrail records across all accounts.
    #[arg(long)]
    cloudtrail_events: Option<usize>,
    /// Kubernetes service accounts.
    #[arg(long)]
    k8s_service_accounts: Option<usize>,
}

pub(super) fn run(args: GenerateArgs) -> u8 {
    let mut p: Params = match args.profile.as_str() {
        "custom" => Profile::Small.params(),
        name => match Profile::parse(name) {
            Some(profile) => profile.params(),
            None => {
                return usage_error(format!(
                "--profile: `{name}` is not a profile; expected one of: small, large, huge, custom"
            ))
            }
        },
    };
    let overrides = [
        (args.identities, &mut p.identities),
        (args.groups, &mut p.groups),
        (args.roles, &mut p.roles),
        (args.policies, &mut p.policies),
        (args.assignments, &mut p.assignments),
        (args.secrets, &mut p.secrets),
        (args.grant_events, &mut p.grant_events),
        (args.accounts, &mut p.accounts),
        (args.aws_principals, &mut p.aws_principals),
        (args.compare_principals, &mut p.compare_principals),
        (args.cloudtrail_events, &mut p.cloudtrail_events),
        (args.k8s_service_accounts, &mut p.k8s_service_accounts),
    ];
    for (value, field) in overrides {
        if let Some(v) = value {
            *field = v;
        }
    }
    if let Err(e) = generate::validate(&p) {
        return usage_error(e);
    }
    match generate::generate(&p, args.seed, &args.out) {
        Ok(written) => {
            eprintln!(
                "wrote {} files ({} bytes) under {}; scan with --now {}",
                written.files,
                written.bytes,
                args.out.display(),
                generate::AUDIT_TIME
            );
            EXIT_OK
        }
        Err(e) => usage_error(e),
    }
}
