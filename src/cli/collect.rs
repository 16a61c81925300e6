//! `residue collect aws`: gather IAM data live into a snapshot directory that `residue scan`
//! reads. Exit 0 when every call succeeded; 3 when a call failed for good (the snapshot is
//! still written, and says what is missing) unless `--allow-partial`; 2 when the snapshot
//! cannot be written or the options are wrong.

use super::{audit_time, progress, usage_error, EXIT_INCOMPLETE, EXIT_OK};
use crate::collect::aws::{self, Options};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

#[derive(clap::Subcommand)]
pub(super) enum CollectCommand {
    /// Collect AWS IAM (authorization details, credential report, account alias) with the
    /// standard credential chain. Read-only; no secret value is ever requested.
    Aws(AwsArgs),
}

#[derive(clap::Args)]
pub(super) struct AwsArgs {
    /// The snapshot directory to write (created if needed): authorization-details.json,
    /// credential-report.csv, manifest.json and a residue.yaml listing them.
    #[arg(long)]
    out: PathBuf,
    /// A named profile from the shared AWS config files.
    #[arg(long)]
    profile: Option<String>,
    /// The region whose IAM endpoint to use (IAM is global; default: the configured one, else us-east-1).
    #[arg(long)]
    region: Option<String>,
    /// An IAM-compatible endpoint instead of AWS's own (e.g. http://127.0.0.1:5000).
    #[arg(long, value_parser = parse_url)]
    endpoint_url: Option<String>,
    /// Attempts per API call, the first included; throttling and transient errors are retried with backoff.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=20))]
    max_attempts: u32,
    /// Seconds allowed for one attempt of one call.
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=3600))]
    timeout: u64,
    /// Items per page of paged calls (MaxItems, 1-1000).
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(i32).range(1..=1000))]
    page_size: i32,
    /// Seconds to wait for AWS to generate the credential report.
    #[arg(long, default_value_t = 120, value_parser = clap::value_parser!(u64).range(1..=3600))]
    report_wait: u64,
    /// Do not request the credential report; list access keys and their last use instead
    /// (ListAccessKeys, GetAccessKeyLastUsed). Passwords and MFA are then not covered.
    #[arg(long)]
    no_credential_report: bool,
    /// The collection time to record, RFC 3339 (default: now).
    #[arg(long)]
    now: Option<String>,
    /// Exit 0 even when a call failed (the manifest still lists it, and a scan still reports it).
    #[arg(long)]
    allow_partial: bool,
    /// Print nothing but errors.
    #[arg(long, short)]
    quiet: bool,
}

fn parse_url(s: &str) -> Result<String, String> {
    if s.starts_with("http://") || s.starts_with("https://") {
        Ok(s.to_string())
    } else {
        Err(format!("`{s}` is not an http:// or https:// URL"))
    }
}

pub(super) fn run(command: CollectCommand) -> u8 {
    match command {
        CollectCommand::Aws(args) => run_aws(args),
    }
}

fn run_aws(args: AwsArgs) -> u8 {
    let collected_at = match audit_time(args.now.as_deref()) {
        Ok(t) => t,
        Err(e) => return usage_error(e),
    };
    let options = Options {
        profile: args.profile.clone(),
        region: args.region.clone(),
        endpoint_url: args.endpoint_url.clone(),
        max_attempts: args.max_attempts,
        attempt_timeout: Duration::from_secs(args.timeout),
        page_size: args.page_size,
        report_wait: Duration::from_secs(args.report_wait),
        credential_report: !args.no_credential_report,
    };
    let show_progress = !args.quiet && std::io::stderr().is_terminal();
    let progress = progress::Display::new(show_progress, args.quiet);
    let out_display = args.out.display().to_string();
    let result = aws::collect(&options, &args.out, &out_display, collected_at, &progress);
    progress.finish();
    let manifest = match result {
        Ok(m) => m,
        Err(e) => return usage_error(e),
    };
    if !args.quiet {
        let counts: Vec<String> = manifest
            .counts
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect();
        println!(
            "collected account {} into {}: {}",
            manifest.account.id.as_deref().unwrap_or("(unknown)"),
            out_display,
            counts.join(", ")
        );
        println!("scan it with: residue scan {out_display}");
    }
    if manifest.failed_calls.is_empty() {
        return EXIT_OK;
    }
    eprintln!(
        "error: the snapshot is PARTIAL: {} call(s) to {} failed after up to {} attempt(s) each:",
        manifest.failed_calls.len(),
        aws::endpoint_description(&options, &manifest),
        options.max_attempts
    );
    for call in &manifest.failed_calls {
        let line = format!("{} ({}): {}", call.operation, call.error_code, call.message);
        eprintln!("  - {}", crate::report::escape::terminal(&line));
    }
    eprintln!("the manifest lists them; a scan of {out_display} reports the audit as incomplete");
    if args.allow_partial {
        return EXIT_OK;
    }
    eprintln!("exiting with code 3 (pass --allow-partial to accept a partial snapshot)");
    EXIT_INCOMPLETE
}
