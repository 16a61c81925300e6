//! Several AWS accounts in one scan: the authorization-details files and the SCPs, read
//! together so that each account's principals are evaluated under the SCPs that cap them and
//! trusts resolve across accounts.
//!
//! Each file still becomes its own inventory (with its own provenance and source summary);
//! only evaluation looks across files. This needs the policy documents, which the canonical
//! inventory does not carry — so the linking happens here, in the connector, rather than as a
//! pass over merged inventories. The connector stays independent of rules: it evaluates IAM
//! policies, as it does for one file.
//!
//! Determinism: the files are parsed in parallel, then evaluated against all models sorted by
//! file name; results do not depend on the order the sources are listed in.

use super::authz::{self, parse, Scope};
use super::scp::{self, Scps};
use crate::connectors::{ConnectorError, ConnectorSettings};
use crate::model::Inventory;
use rayon::prelude::*;
use std::collections::BTreeSet;
use std::path::Path;

/// One AWS source file to read.
#[derive(Debug, Clone, Copy)]
pub struct AwsInput<'s> {
    pub path: &'s Path,
    /// The file as the user named it (provenance, errors).
    pub display: &'s str,
    /// The source name.
    pub source: &'s str,
    /// For an SCP: the accounts residue.yaml says it applies to (`accounts:`).
    pub accounts: Option<&'s [String]>,
}

fn read(input: &AwsInput<'_>, expected: &str) -> Result<Vec<u8>, ConnectorError> {
    let bytes = std::fs::read(input.path).map_err(|err| ConnectorError::io(input.display, &err))?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ConnectorError::empty(input.display, expected));
    }
    Ok(bytes)
}

/// One result per input file.
pub type Loaded = Vec<Result<Inventory, ConnectorError>>;

/// Reads every authorization-details file and SCP of a scan together. Returns one result
/// per input, in the order given: the authorization details', then the SCPs'.
pub fn load_accounts(
    authz_inputs: &[AwsInput<'_>],
    scp_inputs: &[AwsInput<'_>],
    settings: &ConnectorSettings,
) -> (Loaded, Loaded) {
    // Policy evaluation needs the IAM action table; it is parsed (once per process, a few
    // milliseconds) while the files are read.
    let ((), (parsed_scps, details)) = rayon::join(
        || {
            super::actions::table();
        },
        || {
            let parsed_scps: Vec<Result<scp::Scp, ConnectorError>> = scp_inputs
                .par_iter()
                .map(|i| {
                    let bytes = read(i, scp::EXPECTED)?;
                    scp::parse(&bytes, i.display, i.source, i.accounts)
                })
                .collect();
            let details: Vec<Result<parse::AuthorizationDetails, ConnectorError>> = authz_inputs
                .par_iter()
                .map(|i| parse::parse(&read(i, authz::EXPECTED)?, i.display))
                .collect();
            (parsed_scps, details)
        },
    );
    let mut scp_results: Loaded = Vec::new();
    let mut scps = Scps::default();
    for r in parsed_scps {
        match r {
            Ok(s) => {
                scp_results.push(Ok(Inventory::new()));
                scps.scps.push(s);
            }
            Err(e) => scp_results.push(Err(e)),
        }
    }

    let models: Vec<Result<authz::Model<'_>, ConnectorError>> = details
        .iter()
        .zip(authz_inputs)
        .map(|(d, i)| match d {
            Ok(d) => authz::build_model(d, i.display, i.source, &scps),
            Err(e) => Err(e.clone()),
        })
        .collect();
    let scope = Scope::new(models.iter().filter_map(|m| m.as_ref().ok()).collect());
    let authz_results: Loaded = models
        .par_iter()
        .map(|m| match m {
            Ok(m) => authz::emit_all(m, &scope, settings),
            Err(e) => Err(e.clone()),
        })
        .collect();

    // The SCPs' own diagnostics go to their sources.
    let scanned: BTreeSet<String> = scope.accounts().into_iter().map(str::to_string).collect();
    let mut notes = scps.diagnostics(&scanned);
    for (r, input) in scp_results.iter_mut().zip(scp_inputs) {
        if let Ok(inv) = r {
            inv.diagnostics
                .extend(notes.remove(input.display).unwrap_or_default());
        }
    }
    (authz_results, scp_results)
}
