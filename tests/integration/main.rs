//! The one integration test binary: runs the `residue` binary on fixtures.

mod support;

mod aws_authz;
mod aws_org;
mod aws_trail;
mod cli;
mod entra_pim;
mod fuzz_corpus;
mod gate;
mod hardening;
mod html;
mod inventory;
mod k8s;
mod limits;
#[cfg(feature = "live-aws")]
mod live_aws;
mod sample_org;
mod scale;
mod secrets;
mod teleport;
