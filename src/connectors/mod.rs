//! Connectors: each turns one source format into the canonical [`Inventory`], with
//! provenance on every record. Connectors know nothing about rules.
//!
//! [`detect`] recognises a file's format by its content; [`load`] reads it. Neither
//! finalizes the inventory: the caller merges every source first.

pub mod aws;
pub mod entra_pim;
mod error;
mod files;
pub mod generic;
pub mod identity_center_team;
mod json_records;
pub mod k8s;
pub mod mapping;
mod settings;
pub mod teleport;
pub mod terraform;

pub use error::ConnectorError;
pub use settings::ConnectorSettings;

use crate::model::Inventory;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

/// The formats residue reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SourceFormat {
    /// The generic inventory, YAML or JSON (docs/formats.md).
    GenericInventory,
    /// A grant log in JSON Lines (docs/formats.md).
    GrantLogJsonl,
    /// A grant log in CSV (docs/formats.md).
    GrantLogCsv,
    /// The AWS IAM credential report (CSV, or the GetCredentialReport JSON response).
    AwsCredentialReport,
    /// AWS CloudTrail records (`{"Records": [...]}`, plain or gzipped; a file or a directory).
    AwsCloudTrail,
    /// Kubernetes RBAC objects, service accounts and token Secrets (a file or a directory).
    Kubernetes,
    /// `aws iam get-account-authorization-details` output (JSON).
    AwsAuthorizationDetails,
    /// A Terraform plan in JSON (`terraform show -json plan.out`): the proposed state.
    TerraformPlan,
    /// An AWS Organizations Service Control Policy (`aws organizations describe-policy`
    /// output or a policy document), applied to the authorization details it is scanned with.
    AwsScp,
    /// Microsoft Entra ID PIM: saved Microsoft Graph responses (a file or a directory).
    EntraPim,
    /// The Entra admin center's CSV export of PIM assignments.
    EntraPimCsv,
    /// Teleport audit events (JSON Lines, a JSON array or `{"events": [...]}`).
    TeleportAudit,
    /// AWS IAM Identity Center TEAM request records (JSON array or DynamoDB scan).
    AwsIdentityCenterTeam,
    /// A CSV or JSON Lines grant log read through a mapping spec (`mapping:` in residue.yaml).
    Mapping,
}

impl SourceFormat {
    pub const ALL: [SourceFormat; 14] = [
        SourceFormat::GenericInventory,
        SourceFormat::GrantLogJsonl,
        SourceFormat::GrantLogCsv,
        SourceFormat::AwsCredentialReport,
        SourceFormat::AwsCloudTrail,
        SourceFormat::Kubernetes,
        SourceFormat::AwsAuthorizationDetails,
        SourceFormat::TerraformPlan,
        SourceFormat::AwsScp,
        SourceFormat::EntraPim,
        SourceFormat::EntraPimCsv,
        SourceFormat::TeleportAudit,
        SourceFormat::AwsIdentityCenterTeam,
        SourceFormat::Mapping,
    ];

    /// The name used in residue.yaml and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            SourceFormat::GenericInventory => "generic-inventory",
            SourceFormat::GrantLogJsonl => "grant-log-jsonl",
            SourceFormat::GrantLogCsv => "grant-log-csv",
            SourceFormat::AwsCredentialReport => "aws-credential-report",
            SourceFormat::AwsCloudTrail => "aws-cloudtrail",
            SourceFormat::Kubernetes => "kubernetes",
            SourceFormat::AwsAuthorizationDetails => "aws-authorization-details",
            SourceFormat::TerraformPlan => "terraform-plan",
            SourceFormat::AwsScp => "aws-scp",
            SourceFormat::EntraPim => "entra-pim",
            SourceFormat::EntraPimCsv => "entra-pim-csv",
            SourceFormat::TeleportAudit => "teleport-audit",
            SourceFormat::AwsIdentityCenterTeam => "aws-identity-center-team",
            SourceFormat::Mapping => "mapping",
        }
    }

    pub fn parse(name: &str) -> Option<SourceFormat> {
        SourceFormat::ALL.into_iter().find(|f| f.name() == name)
    }

    /// One line for "recognised X as …" messages.
    pub fn describe(self) -> &'static str {
        match self {
            SourceFormat::GenericInventory => "a generic inventory (YAML or JSON)",
            SourceFormat::GrantLogJsonl => "a grant log in JSON Lines",
            SourceFormat::GrantLogCsv => "a grant log in CSV",
            SourceFormat::AwsCredentialReport => "an AWS IAM credential report",
            SourceFormat::AwsCloudTrail => "AWS CloudTrail records",
            SourceFormat::Kubernetes => "Kubernetes RBAC objects (YAML or JSON)",
            SourceFormat::AwsAuthorizationDetails => "AWS IAM authorization details",
            SourceFormat::TerraformPlan => "a Terraform plan (terraform show -json)",
            SourceFormat::AwsScp => "an AWS Service Control Policy",
            SourceFormat::EntraPim => "Microsoft Entra ID PIM (saved Microsoft Graph responses)",
            SourceFormat::EntraPimCsv => "an Entra admin center CSV export of PIM assignments",
            SourceFormat::TeleportAudit => "Teleport audit events",
            SourceFormat::AwsIdentityCenterTeam => "AWS IAM Identity Center TEAM request records",
            SourceFormat::Mapping => "a grant log read through a mapping spec",
        }
    }

    /// What a file in this format must contain, for "the file is empty" errors.
    fn expected(self) -> &'static str {
        match self {
            SourceFormat::GenericInventory => generic::INVENTORY_EXPECTED,
            SourceFormat::GrantLogJsonl => generic::JSONL_EXPECTED,
            SourceFormat::GrantLogCsv => generic::CSV_EXPECTED,
            SourceFormat::AwsCredentialReport => aws::credential_report::EXPECTED,
            SourceFormat::AwsCloudTrail => aws::cloudtrail::EXPECTED,
            SourceFormat::Kubernetes => k8s::EXPECTED,
            SourceFormat::AwsAuthorizationDetails => aws::authz::EXPECTED,
            SourceFormat::TerraformPlan => terraform::EXPECTED,
            SourceFormat::AwsScp => aws::scp::EXPECTED,
            SourceFormat::EntraPim => entra_pim::EXPECTED,
            SourceFormat::EntraPimCsv => entra_pim::portal_csv::EXPECTED,
            SourceFormat::TeleportAudit => teleport::EXPECTED,
            SourceFormat::AwsIdentityCenterTeam => identity_center_team::EXPECTED,
            SourceFormat::Mapping => mapping::EXPECTED,
        }
    }
}

impl std::fmt::Display for SourceFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// How much of a file [`detect`] reads.
const DETECT_PREFIX_BYTES: u64 = 64 * 1024;

/// Recognises a file's format by its content (reads at most the first 64 KiB): `Ok(None)`
/// if unrecognised. An empty file, an unreadable one, or one that is not UTF-8 is an error.
pub fn detect(path: &Path, display: &str) -> Result<Option<SourceFormat>, ConnectorError> {
    if path.is_dir() && entra_pim::sniff_dir(path) {
        // A tenant's saved Graph responses are kept as a directory and read as one source.
        return Ok(Some(SourceFormat::EntraPim));
    }
    if path.is_dir() && k8s::sniff_dir(path) {
        // Kubernetes manifests are often kept as a directory tree.
        return Ok(Some(SourceFormat::Kubernetes));
    }
    let mut prefix = Vec::new();
    File::open(path)
        .and_then(|file| file.take(DETECT_PREFIX_BYTES).read_to_end(&mut prefix))
        .map_err(|err| ConnectorError::io(display, &err))?;
    // Compressed CloudTrail files: recognised by the gzip magic, then by content.
    if aws::cloudtrail::is_gzip(&prefix) {
        return Ok(aws::cloudtrail::sniff_gzip(path).then_some(SourceFormat::AwsCloudTrail));
    }
    let complete = (prefix.len() as u64) < DETECT_PREFIX_BYTES;
    let text = match std::str::from_utf8(&prefix) {
        Ok(text) => text,
        // The 64 KiB cut may fall inside a character: keep what came before it.
        Err(err) if err.error_len().is_none() => {
            std::str::from_utf8(&prefix[..err.valid_up_to()]).unwrap_or("")
        }
        Err(err) => return Err(generic::not_utf8(&prefix, err.valid_up_to(), display)),
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim().is_empty() {
        return Err(ConnectorError::empty(
            display,
            "a generic inventory (YAML or JSON) or a grant log (JSON Lines or CSV); see docs/formats.md",
        ));
    }
    if aws::authz::sniff(text) {
        return Ok(Some(SourceFormat::AwsAuthorizationDetails));
    }
    if aws::scp::sniff(text) {
        return Ok(Some(SourceFormat::AwsScp));
    }
    if terraform::sniff(text) {
        return Ok(Some(SourceFormat::TerraformPlan));
    }
    if aws::credential_report::sniff(text) {
        return Ok(Some(SourceFormat::AwsCredentialReport));
    }
    if aws::cloudtrail::sniff(text) {
        return Ok(Some(SourceFormat::AwsCloudTrail));
    }
    if entra_pim::sniff(text) {
        return Ok(Some(SourceFormat::EntraPim));
    }
    if entra_pim::portal_csv::sniff(text) {
        return Ok(Some(SourceFormat::EntraPimCsv));
    }
    if teleport::sniff(text) {
        return Ok(Some(SourceFormat::TeleportAudit));
    }
    if identity_center_team::sniff(text) {
        return Ok(Some(SourceFormat::AwsIdentityCenterTeam));
    }
    if let Some(format) = generic::sniff(text, complete) {
        return Ok(Some(format));
    }
    Ok(k8s::sniff(text).then_some(SourceFormat::Kubernetes))
}

/// Reads one source file into an [`Inventory`] (not finalized).
///
/// `display` names the file in provenance and errors (keep it as the user wrote it);
/// `source_name` is the source's name from residue.yaml. Grant logs are streamed.
///
/// Read this way, an authorization-details file is evaluated alone (no SCPs, other accounts
/// are external) and an SCP is only validated; a scan reads the AWS files together with
/// [`aws::load_accounts`].
pub fn load(
    format: SourceFormat,
    path: &Path,
    display: &str,
    source_name: &str,
    settings: &ConnectorSettings,
) -> Result<Inventory, ConnectorError> {
    match format {
        SourceFormat::GenericInventory => {
            let bytes = std::fs::read(path).map_err(|err| ConnectorError::io(display, &err))?;
            if bytes.iter().all(u8::is_ascii_whitespace) {
                return Err(ConnectorError::empty(display, format.expected()));
            }
            let text = generic::decode_utf8(&bytes, display)?;
            generic::parse_inventory_str(text, source_name, display)
        }
        SourceFormat::GrantLogJsonl => {
            let file = File::open(path).map_err(|err| ConnectorError::io(display, &err))?;
            let expected = generic::expected_events(file.metadata().map_or(0, |m| m.len()));
            generic::read_grant_jsonl(BufReader::new(file), source_name, display, expected)
        }
        SourceFormat::GrantLogCsv => {
            let file = File::open(path).map_err(|err| ConnectorError::io(display, &err))?;
            let expected = generic::expected_events(file.metadata().map_or(0, |m| m.len()));
            generic::read_grant_csv(BufReader::new(file), source_name, display, expected)
        }
        SourceFormat::AwsCredentialReport => {
            let bytes = std::fs::read(path).map_err(|err| ConnectorError::io(display, &err))?;
            aws::credential_report::parse(&bytes, source_name, display)
        }
        SourceFormat::AwsCloudTrail => aws::cloudtrail::load(path, display, source_name, settings),
        SourceFormat::Kubernetes => k8s::load(path, display, source_name, settings),
        SourceFormat::AwsAuthorizationDetails => {
            let bytes = std::fs::read(path).map_err(|err| ConnectorError::io(display, &err))?;
            if bytes.iter().all(u8::is_ascii_whitespace) {
                return Err(ConnectorError::empty(display, format.expected()));
            }
            aws::authz::load(&bytes, display, source_name, settings)
        }
        SourceFormat::TerraformPlan => {
            let bytes = std::fs::read(path).map_err(|err| ConnectorError::io(display, &err))?;
            if bytes.iter().all(u8::is_ascii_whitespace) {
                return Err(ConnectorError::empty(display, format.expected()));
            }
            let text = generic::decode_utf8(&bytes, display)?;
            let cluster = terraform::cluster_name(path, settings.cluster.as_deref());
            terraform::parse_plan_str(text, source_name, display, &cluster)
        }
        SourceFormat::AwsScp => {
            let bytes = std::fs::read(path).map_err(|err| ConnectorError::io(display, &err))?;
            if bytes.iter().all(u8::is_ascii_whitespace) {
                return Err(ConnectorError::empty(display, format.expected()));
            }
            aws::scp::load(
                &bytes,
                display,
                source_name,
                settings.aws_scp_accounts.as_deref(),
            )
        }
        SourceFormat::EntraPim => entra_pim::load(path, display, source_name),
        SourceFormat::EntraPimCsv => {
            let bytes = std::fs::read(path).map_err(|err| ConnectorError::io(display, &err))?;
            entra_pim::portal_csv::parse(&bytes, display, source_name)
        }
        SourceFormat::TeleportAudit => {
            let file = File::open(path).map_err(|err| ConnectorError::io(display, &err))?;
            teleport::read(BufReader::new(file), source_name, display)
        }
        SourceFormat::AwsIdentityCenterTeam => {
            let bytes = std::fs::read(path).map_err(|err| ConnectorError::io(display, &err))?;
            identity_center_team::parse(&bytes, source_name, display)
        }
        SourceFormat::Mapping => {
            let Some(spec) = settings.mapping.as_deref() else {
                return Err(ConnectorError::invalid(
                    display,
                    "whole file",
                    "the format `mapping` needs a mapping spec; name it in residue.yaml: {path: ..., format: mapping, mapping: connectors/SPEC.yaml}",
                ));
            };
            let file = File::open(path).map_err(|err| ConnectorError::io(display, &err))?;
            mapping::parse(BufReader::new(file), spec, source_name, display)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_names_round_trip() {
        for format in SourceFormat::ALL {
            assert_eq!(SourceFormat::parse(format.name()), Some(format));
            assert!(!format.describe().is_empty() && !format.expected().is_empty());
        }
        assert_eq!(SourceFormat::parse("aws"), None);
    }
}
