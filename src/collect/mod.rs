//! Live collection: gather from an API what a user would otherwise export by hand, and
//! write it as a snapshot directory that residue scans like any other.
//!
//! A snapshot holds the data files in the formats the offline connectors read, a
//! `residue.yaml` listing them with explicit formats (so `residue scan SNAPSHOT_DIR` works
//! as is), and `manifest.json` ([`manifest`]): account, time, tool version, counts and the
//! API calls that failed. A scan of a snapshot whose manifest lists failed calls reports
//! coverage gaps, so it exits 3 unless `--allow-partial`.
//!
//! The manifest reader is always built, so that an offline build scanning a partial snapshot
//! still says so; the collectors need the `live-aws` feature.

#[cfg(feature = "live-aws")]
pub mod aws;
pub mod manifest;
