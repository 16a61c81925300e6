//! The one list of rules: catalog YAML and evaluator, side by side. Adding a rule is one
//! line here (the catalog tests prove the list and rules/ agree).

use super::catalog::RuleMeta;
use super::Rule;
use super::{gv, rv, sc, sp};
use std::sync::OnceLock;

pub struct RegisteredRule {
    pub meta: RuleMeta,
    pub evaluator: &'static dyn Rule,
    /// The catalog file, relative to the repository root.
    pub catalog_file: &'static str,
}

macro_rules! catalog {
    ($path:literal) => {
        (
            $path,
            include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/", $path)),
        )
    };
}

/// (catalog file, its text, evaluator), in id order.
#[rustfmt::skip]
fn entries() -> Vec<((&'static str, &'static str), &'static dyn Rule)> {
    vec![
        // RULES: one line per rule, sorted by id.
        (catalog!("rules/gv/GV001-approval-gap.yaml"), &gv::gv001_approval_gap::ApprovalGap),
        (catalog!("rules/gv/GV002-window-too-long.yaml"), &gv::gv002_window_too_long::WindowTooLong),
        (catalog!("rules/gv/GV003-break-glass-unreviewed.yaml"), &gv::gv003_break_glass_unreviewed::BreakGlassUnreviewed),
        (catalog!("rules/gv/GV004-ownerless-non-human-identity.yaml"), &gv::gv004_ownerless_non_human_identity::OwnerlessNonHumanIdentity),
        (catalog!("rules/gv/GV005-persistence-while-elevated.yaml"), &gv::gv005_persistence_while_elevated::PersistenceWhileElevated),
        (catalog!("rules/gv/GV006-missing-justification.yaml"), &gv::gv006_missing_justification::MissingJustification),
        (catalog!("rules/gv/GV007-policy-window-too-long.yaml"), &gv::gv007_policy_window_too_long::PolicyWindowTooLong),
        (catalog!("rules/rv/RV001-expired-grant-still-assigned.yaml"), &rv::rv001_expired_grant_still_assigned::ExpiredGrantStillAssigned),
        (catalog!("rules/rv/RV002-unverified-revocation.yaml"), &rv::rv002_unverified_revocation::UnverifiedRevocation),
        (catalog!("rules/rv/RV003-revoked-but-still-present.yaml"), &rv::rv003_revoked_but_still_present::RevokedButStillPresent),
        (catalog!("rules/rv/RV004-used-after-window.yaml"), &rv::rv004_used_after_window::UsedAfterWindow),
        (catalog!("rules/sc/SC001-secret-not-rotated.yaml"), &sc::sc001_secret_not_rotated::SecretNotRotated),
        (catalog!("rules/sc/SC002-secret-unused.yaml"), &sc::sc002_secret_unused::SecretUnused),
        (catalog!("rules/sc/SC003-credential-outlived-elevation.yaml"), &sc::sc003_credential_outlived_elevation::CredentialOutlivedElevation),
        (catalog!("rules/sc/SC004-legacy-service-account-token.yaml"), &sc::sc004_legacy_service_account_token::LegacyServiceAccountToken),
        (catalog!("rules/sp/SP001-standing-admin.yaml"), &sp::sp001_standing_admin::StandingAdmin),
        (catalog!("rules/sp/SP002-standing-behind-jit.yaml"), &sp::sp002_standing_behind_jit::StandingBehindJit),
        (catalog!("rules/sp/SP003-dormant-standing-privilege.yaml"), &sp::sp003_dormant_standing_privilege::DormantStandingPrivilege),
        (catalog!("rules/sp/SP004-escalation-to-admin.yaml"), &sp::sp004_escalation_to_admin::EscalationToAdmin),
        (catalog!("rules/sp/SP005-non-human-standing-write.yaml"), &sp::sp005_non_human_standing_write::NonHumanStandingWrite),
        (catalog!("rules/sp/SP006-repeated-elevation.yaml"), &sp::sp006_repeated_elevation::RepeatedElevation),
    ]
}

/// Every registered rule, parsed once. A catalog file that does not parse is a build
/// defect caught by the catalog tests, so it panics here with the file named.
pub fn all_rules() -> &'static [RegisteredRule] {
    static RULES: OnceLock<Vec<RegisteredRule>> = OnceLock::new();
    RULES.get_or_init(|| {
        entries()
            .into_iter()
            .map(|((file, text), evaluator)| RegisteredRule {
                meta: RuleMeta::parse(file, text).unwrap_or_else(|e| panic!("rule catalog: {e}")),
                evaluator,
                catalog_file: file,
            })
            .collect()
    })
}

pub fn find(id: &str) -> Option<&'static RegisteredRule> {
    all_rules()
        .iter()
        .find(|r| r.meta.id.eq_ignore_ascii_case(id))
}
