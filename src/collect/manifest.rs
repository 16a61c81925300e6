//! The snapshot manifest (`manifest.json`): what a collection gathered, from where, when,
//! with which tool, how much, and which API calls failed.
//!
//! ```json
//! {
//!   "format": "residue-aws-snapshot",
//!   "version": 1,
//!   "tool": {"name": "residue", "version": "0.1.0"},
//!   "collected_at": "2026-11-23T19:00:00Z",
//!   "account": {"id": "123456789012", "aliases": ["acme-prod"]},
//!   "endpoint": null, "region": "us-east-1", "profile": "audit",
//!   "files": [{"path": "authorization-details.json", "format": "aws-authorization-details"},
//!             {"path": "credential-report.csv", "format": "aws-credential-report"}],
//!   "counts": {"users": 12, "groups": 3, "roles": 140, "policies": 25, …},
//!   "failed_calls": [{"operation": "GetCredentialReport", "error_code": "AccessDenied", "message": "…"}]
//! }
//! ```
//!
//! This reader needs no AWS code: an offline build scanning a snapshot still learns that the
//! snapshot is partial. A `manifest.json` beside a scanned file counts only when its `format`
//! is `residue-aws-snapshot`; any other `manifest.json` is someone else's file and ignored.

use crate::config::SourceSpec;
use crate::connectors::{ConnectorError, SourceFormat};
use crate::model::{CoverageGap, Provenance};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// The value of `format` that marks a residue snapshot manifest.
pub const FORMAT: &str = "residue-aws-snapshot";
/// The manifest's own version.
pub const VERSION: u32 = 1;
/// File names inside a snapshot directory.
pub const MANIFEST_FILE: &str = "manifest.json";
pub const AUTHORIZATION_DETAILS_FILE: &str = "authorization-details.json";
pub const CREDENTIAL_REPORT_FILE: &str = "credential-report.csv";
/// Written instead of the credential report when it could not be had: access keys and their
/// last use from ListAccessKeys and GetAccessKeyLastUsed, as a generic inventory.
pub const ACCESS_KEYS_FILE: &str = "access-keys.json";
pub const CONFIG_FILE: &str = "residue.yaml";

/// The format names of the files a snapshot holds.
pub const AUTHORIZATION_DETAILS_FORMAT: &str = "aws-authorization-details";
pub const CREDENTIAL_REPORT_FORMAT: &str = "aws-credential-report";
pub const ACCESS_KEYS_FORMAT: &str = "generic-inventory";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub version: u32,
    pub tool: Tool,
    /// When the collection ran (RFC 3339, UTC).
    pub collected_at: String,
    pub account: Account,
    /// The `--endpoint-url` used, when not AWS's own.
    pub endpoint: Option<String>,
    pub region: Option<String>,
    pub profile: Option<String>,
    /// The data files, in the order a scan lists them.
    pub files: Vec<SnapshotFile>,
    /// Records gathered, by kind (users, groups, roles, policies, pages…).
    pub counts: BTreeMap<String, u64>,
    /// Calls that still failed after the bounded retries: their data is missing.
    pub failed_calls: Vec<FailedCall>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tool {
    pub name: String,
    pub version: String,
}

impl Default for Tool {
    fn default() -> Self {
        Tool {
            name: "residue".into(),
            version: env!("CARGO_PKG_VERSION").into(),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    pub id: Option<String>,
    pub aliases: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotFile {
    pub path: String,
    pub format: String,
}

/// An API call that failed for good: its operation, the error code AWS (or the transport)
/// gave, and the message.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct FailedCall {
    pub operation: String,
    pub error_code: String,
    pub message: String,
}

impl Manifest {
    /// The manifest as written: pretty JSON with a final newline.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("a manifest serializes");
        s.push('\n');
        s
    }

    /// The gaps a scan of this snapshot must report: one per failed call.
    /// `display` names the manifest file as the user would write it.
    pub fn gaps(&self, display: &str) -> Vec<CoverageGap> {
        self.failed_calls
            .iter()
            .enumerate()
            .map(|(i, call)| CoverageGap {
                provenance: Provenance::new("aws-live", display)
                    .with_record(format!("/failed_calls/{i}")),
                message: format!(
                    "{} failed during collection ({}: {}); what it returns is missing from this snapshot",
                    call.operation, call.error_code, call.message
                ),
            })
            .collect()
    }
}

/// The residue.yaml written into a snapshot: its data files with explicit formats, so that
/// `residue scan SNAPSHOT_DIR` reads exactly them.
pub fn snapshot_config(files: &[SnapshotFile]) -> String {
    let mut out = String::from(
        "# Written by `residue collect aws`; manifest.json says what was collected and what failed.\nsources:\n",
    );
    for f in files {
        out.push_str(&format!("  - {{path: {}, format: {}}}\n", f.path, f.format));
    }
    out
}

/// Reads `dir/manifest.json` when it is a residue snapshot manifest. `Ok(None)` when there is
/// none or it belongs to something else; a residue manifest that does not parse is an error
/// naming the file and the place.
pub fn read(dir: &Path, display: &str) -> Result<Option<Manifest>, ConnectorError> {
    let path = dir.join(MANIFEST_FILE);
    if !path.is_file() {
        return Ok(None);
    }
    let text = std::fs::read_to_string(&path).map_err(|e| ConnectorError::io(display, &e))?;
    let Ok(value) = serde_json::from_str::<serde_json::Value>(&text) else {
        return Ok(None);
    };
    if value.get("format").and_then(|f| f.as_str()) != Some(FORMAT) {
        return Ok(None);
    }
    let version = value.get("version").and_then(|v| v.as_u64());
    if version != Some(u64::from(VERSION)) {
        return Err(ConnectorError::invalid(
            display,
            "/version",
            format!("expected snapshot manifest version {VERSION}, found {version:?}; collect the snapshot again with this residue"),
        ));
    }
    serde_json::from_value(value).map(Some).map_err(|e| {
        ConnectorError::invalid(
            display,
            "manifest",
            format!("not a valid snapshot manifest: {e}"),
        )
    })
}

/// The sources a snapshot directory holds, from its manifest: what a `live:` source in
/// residue.yaml is read as once collected. `display` is the directory as written.
pub fn snapshot_sources(
    dir: &Path,
    display: &str,
    manifest: &Manifest,
    name: Option<&str>,
    line: Option<u32>,
) -> Result<Vec<SourceSpec>, ConnectorError> {
    let manifest_display = join_display(display, MANIFEST_FILE);
    manifest
        .files
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let format = SourceFormat::parse(&f.format).ok_or_else(|| {
                ConnectorError::invalid(
                    &manifest_display,
                    format!("/files/{i}/format"),
                    format!(
                        "this build of residue does not read the format `{}`",
                        f.format
                    ),
                )
            })?;
            Ok(SourceSpec {
                path: dir.join(&f.path),
                display: join_display(display, &f.path),
                format: Some(format),
                name: name.map(str::to_string),
                line,
                cluster: None,
                accounts: None,
                mapping: None,
                live: None,
            })
        })
        .collect()
}

/// `dir/file` as a user would write it (`file` alone when `dir` is empty).
pub fn join_display(dir: &str, file: &str) -> String {
    if dir.is_empty() {
        file.to_string()
    } else {
        Path::new(dir).join(file).display().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Manifest {
        Manifest {
            format: FORMAT.into(),
            version: VERSION,
            tool: Tool::default(),
            collected_at: "2026-11-23T19:00:00Z".into(),
            account: Account {
                id: Some("123456789012".into()),
                aliases: vec!["acme".into()],
            },
            endpoint: None,
            region: Some("us-east-1".into()),
            profile: None,
            files: vec![SnapshotFile {
                path: AUTHORIZATION_DETAILS_FILE.into(),
                format: AUTHORIZATION_DETAILS_FORMAT.into(),
            }],
            counts: BTreeMap::from([("roles".to_string(), 3)]),
            failed_calls: vec![FailedCall {
                operation: "GetCredentialReport".into(),
                error_code: "AccessDenied".into(),
                message: "not allowed".into(),
            }],
        }
    }

    #[test]
    fn round_trips_and_turns_failed_calls_into_gaps() {
        let dir = tempfile::tempdir().unwrap();
        let m = sample();
        std::fs::write(dir.path().join(MANIFEST_FILE), m.to_json()).unwrap();
        let back = read(dir.path(), "snap/manifest.json").unwrap().unwrap();
        assert_eq!(back, m);
        let gaps = back.gaps("snap/manifest.json");
        assert_eq!(gaps.len(), 1);
        assert_eq!(
            gaps[0].provenance.to_string(),
            "snap/manifest.json (/failed_calls/0)"
        );
        assert!(gaps[0].message.starts_with(
            "GetCredentialReport failed during collection (AccessDenied: not allowed)"
        ));
    }

    #[test]
    fn other_manifests_are_not_ours() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(read(dir.path(), "m").unwrap(), None);
        std::fs::write(
            dir.path().join(MANIFEST_FILE),
            r#"{"name": "an npm thing"}"#,
        )
        .unwrap();
        assert_eq!(read(dir.path(), "m").unwrap(), None);
        std::fs::write(dir.path().join(MANIFEST_FILE), "not json at all").unwrap();
        assert_eq!(read(dir.path(), "m").unwrap(), None);
    }

    #[test]
    fn a_broken_residue_manifest_is_an_error_naming_the_place() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(MANIFEST_FILE),
            r#"{"format": "residue-aws-snapshot", "version": 1, "files": 3}"#,
        )
        .unwrap();
        let err = read(dir.path(), "snap/manifest.json")
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("snap/manifest.json: manifest: not a valid snapshot manifest"),
            "{err}"
        );
        std::fs::write(
            dir.path().join(MANIFEST_FILE),
            r#"{"format": "residue-aws-snapshot", "version": 7}"#,
        )
        .unwrap();
        let err = read(dir.path(), "snap/manifest.json")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("/version: expected snapshot manifest version 1"),
            "{err}"
        );
    }

    #[test]
    fn snapshot_config_lists_files_with_formats() {
        let files = vec![
            SnapshotFile {
                path: AUTHORIZATION_DETAILS_FILE.into(),
                format: AUTHORIZATION_DETAILS_FORMAT.into(),
            },
            SnapshotFile {
                path: CREDENTIAL_REPORT_FILE.into(),
                format: CREDENTIAL_REPORT_FORMAT.into(),
            },
        ];
        let text = snapshot_config(&files);
        assert!(text.contains(
            "  - {path: authorization-details.json, format: aws-authorization-details}\n"
        ));
        assert!(text.contains("  - {path: credential-report.csv, format: aws-credential-report}\n"));
        let parsed: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
        assert_eq!(parsed["sources"].as_sequence().unwrap().len(), 2);
    }

    #[test]
    fn snapshot_sources_resolve_against_the_directory() {
        let m = Manifest {
            files: vec![SnapshotFile {
                path: CREDENTIAL_REPORT_FILE.into(),
                format: CREDENTIAL_REPORT_FORMAT.into(),
            }],
            ..sample()
        };
        let specs =
            snapshot_sources(Path::new("/x/snap"), "snap", &m, Some("prod"), Some(4)).unwrap();
        assert_eq!(specs.len(), 1);
        assert_eq!(specs[0].path, Path::new("/x/snap/credential-report.csv"));
        assert_eq!(specs[0].display, "snap/credential-report.csv");
        assert_eq!(specs[0].format, Some(SourceFormat::AwsCredentialReport));
        assert_eq!(specs[0].name.as_deref(), Some("prod"));
        let bad = Manifest {
            files: vec![SnapshotFile {
                path: "x".into(),
                format: "no-such-format".into(),
            }],
            ..sample()
        };
        let err = snapshot_sources(Path::new("/x"), "snap", &bad, None, None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("snap/manifest.json: /files/0/format"), "{err}");
    }
}
