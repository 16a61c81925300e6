//! Entra roles: the built-in role table (template id → name and privilege) and the
//! classification of custom roles from their `rolePermissions[].allowedResourceActions`.

use crate::model::PrivilegeLevel;

use PrivilegeLevel::{Admin, PermissionsManagement as Pm, Read, Write};

/// Built-in Entra roles residue ranks explicitly: template id, display name, privilege.
///
/// - **admin**: the roles that are Global Administrator or can make themselves one
///   (assign any role, reset any credential, including an admin's);
/// - **permissions-management**: roles that can grant access or take over identities
///   (user, group, application and authentication administration, Conditional Access);
/// - **write**: workload administrators (Exchange, SharePoint, Intune, Teams…);
/// - **read**: readers.
///
/// A built-in role not in the table is ranked by its name (`… Reader` read, otherwise
/// write) and by its permissions, whichever is higher.
pub(crate) const BUILT_IN_ROLES: &[(&str, &str, PrivilegeLevel)] = &[
    (
        "62e90394-69f5-4237-9190-012177145e10",
        "Global Administrator",
        Admin,
    ),
    (
        "e8611ab8-c189-46e8-94e1-60213ab1f814",
        "Privileged Role Administrator",
        Admin,
    ),
    (
        "7be44c8a-adaf-4e2a-84d6-ab2649e08a13",
        "Privileged Authentication Administrator",
        Admin,
    ),
    (
        "e00e864a-17c5-4a4b-9c06-f5b95a8d5bd8",
        "Partner Tier2 Support",
        Admin,
    ),
    (
        "fe930be7-5e62-47db-91af-98c3a49a38b1",
        "User Administrator",
        Pm,
    ),
    (
        "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3",
        "Application Administrator",
        Pm,
    ),
    (
        "158c047a-c907-4556-b7ef-446551a6b5f7",
        "Cloud Application Administrator",
        Pm,
    ),
    (
        "fdd7a751-b60b-444a-984c-02652fe8fa1c",
        "Groups Administrator",
        Pm,
    ),
    (
        "c4e39bd9-1100-46d3-8c65-fb160da0071f",
        "Authentication Administrator",
        Pm,
    ),
    (
        "0526716b-113d-4c15-b2c8-68e3c22b9f80",
        "Authentication Policy Administrator",
        Pm,
    ),
    (
        "b1be1c3e-b65d-4f19-8427-f6fa0d97feb9",
        "Conditional Access Administrator",
        Pm,
    ),
    (
        "194ae4cb-b126-40b2-bd5b-6091b380977d",
        "Security Administrator",
        Pm,
    ),
    (
        "729827e3-9c14-49f7-bb1b-9608f156bbb8",
        "Helpdesk Administrator",
        Pm,
    ),
    (
        "966707d0-3269-4727-9be2-8c3a10f19b9d",
        "Password Administrator",
        Pm,
    ),
    (
        "8ac3fc64-6eca-42ea-9e69-59f4c7b60eb2",
        "Hybrid Identity Administrator",
        Pm,
    ),
    (
        "45d8d3c5-c802-45c6-b32a-1d70b5e1e86e",
        "Identity Governance Administrator",
        Pm,
    ),
    (
        "4ba39ca4-527c-499a-b93d-d9b492c50246",
        "Partner Tier1 Support",
        Pm,
    ),
    (
        "d29b2b05-8046-44ba-8758-1e26182fcf32",
        "Directory Synchronization Accounts",
        Pm,
    ),
    (
        "29232cdf-9323-42fd-ade2-1d097af3e4de",
        "Exchange Administrator",
        Write,
    ),
    (
        "f28a1f50-f6e7-4571-818b-6a12f2af6b6c",
        "SharePoint Administrator",
        Write,
    ),
    (
        "3a2c62db-5318-420d-8d74-23affee5d9d5",
        "Intune Administrator",
        Write,
    ),
    (
        "69091246-20e8-4a56-aa4d-066075b2a7a8",
        "Teams Administrator",
        Write,
    ),
    (
        "b0f54661-2d74-4c50-afa3-1ec803f12efe",
        "Billing Administrator",
        Write,
    ),
    (
        "4d6ac14f-3453-41d0-bef9-a3e0c569773a",
        "License Administrator",
        Write,
    ),
    (
        "9360feb5-f418-4baa-8175-e2a00bac4301",
        "Directory Writers",
        Write,
    ),
    (
        "17315797-102d-40b4-93e0-432062caca18",
        "Compliance Administrator",
        Write,
    ),
    (
        "5f2222b1-57c3-48ba-8ad5-d4759f1fde6f",
        "Security Operator",
        Write,
    ),
    (
        "7698a772-787b-4ac8-901f-60d6b08affd2",
        "Cloud Device Administrator",
        Write,
    ),
    (
        "f023fd81-a637-4b56-95fd-791ac0226033",
        "Service Support Administrator",
        Write,
    ),
    (
        "e3973bdf-4987-49ae-837a-ba8e231c7286",
        "Azure DevOps Administrator",
        Write,
    ),
    (
        "cf1c38e5-3621-4004-a7cb-879624dced7c",
        "Application Developer",
        Write,
    ),
    (
        "95e79109-95c0-4d8e-aee3-d01accf2d47b",
        "Guest Inviter",
        Write,
    ),
    (
        "f2ef992c-3afb-46b9-b7cf-a126ee74c451",
        "Global Reader",
        Read,
    ),
    (
        "5d6b6bb7-de71-4623-b4af-96380a352509",
        "Security Reader",
        Read,
    ),
    (
        "4a5d8f65-41da-4de4-8968-e035b65339cf",
        "Reports Reader",
        Read,
    ),
    (
        "88d8e3e3-8f55-4a1e-953a-9b9898b8876b",
        "Directory Readers",
        Read,
    ),
    (
        "790c1fb9-7f7d-4f88-86a1-ef1f95c05c1b",
        "Message Center Reader",
        Read,
    ),
];

/// The built-in role with this template id.
pub(crate) fn built_in(template_id: &str) -> Option<(&'static str, PrivilegeLevel)> {
    BUILT_IN_ROLES
        .iter()
        .find(|(id, _, _)| id.eq_ignore_ascii_case(template_id))
        .map(|&(_, name, level)| (name, level))
}

/// The built-in role with this display name (case-insensitive): its template id.
pub(crate) fn built_in_by_name(name: &str) -> Option<&'static str> {
    BUILT_IN_ROLES
        .iter()
        .find(|(_, n, _)| n.eq_ignore_ascii_case(name.trim()))
        .map(|&(id, _, _)| id)
}

/// A role name's own claim: readers read, anything else that administers writes.
pub(crate) fn by_name(name: &str) -> PrivilegeLevel {
    let lower = name.to_ascii_lowercase();
    if lower.ends_with("reader") || lower.ends_with("readers") {
        Read
    } else {
        Write
    }
}

/// One Entra resource action (`microsoft.directory/users/password/update`).
///
/// - `microsoft.directory/*`, `*` and `…/allEntities/allProperties/allTasks` on the directory: admin;
/// - role assignments and definitions, credentials, passwords, authentication methods,
///   owners, memberships, app role assignments, permission grants, Conditional Access: permissions-management;
/// - `…/read`, `…/standard/read`, `…/allProperties/read`: read;
/// - anything else: write.
pub(crate) fn classify_action(action: &str) -> PrivilegeLevel {
    let a = action.trim().to_ascii_lowercase();
    if a.is_empty() {
        return PrivilegeLevel::None;
    }
    if a == "*"
        || a == "microsoft.directory/*"
        || a == "microsoft.directory/allentities/allproperties/alltasks"
    {
        return Admin;
    }
    if a.ends_with("/read") || a.ends_with("/allproperties/read") {
        return Read;
    }
    const GRANTING: [&str; 13] = [
        "roleassignments",
        "roledefinitions",
        "roleeligibilityschedules",
        "credentials",
        "password",
        "authenticationmethods",
        "owners",
        "members",
        "approleassignments",
        "oauth2permissiongrants",
        "conditionalaccesspolicies",
        "permissiongrantpolicies",
        "federation",
    ];
    if GRANTING.iter().any(|w| a.contains(w)) {
        return Pm;
    }
    Write
}

/// The privilege of a role: the highest of its permissions, the built-in table and its name.
pub(crate) fn privilege(template_id: &str, name: &str, actions: &[String]) -> PrivilegeLevel {
    let computed = actions
        .iter()
        .map(|a| classify_action(a))
        .max()
        .unwrap_or(PrivilegeLevel::None);
    let declared = built_in(template_id)
        .map(|(_, level)| level)
        .unwrap_or_else(|| {
            if actions.is_empty() {
                by_name(name)
            } else {
                PrivilegeLevel::None
            }
        });
    computed.max(declared)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_table_ranks_the_tiers() {
        assert_eq!(
            built_in("62E90394-69F5-4237-9190-012177145E10"),
            Some(("Global Administrator", Admin))
        );
        assert_eq!(
            built_in_by_name("privileged role administrator"),
            Some("e8611ab8-c189-46e8-94e1-60213ab1f814")
        );
        assert_eq!(
            privilege(
                "fe930be7-5e62-47db-91af-98c3a49a38b1",
                "User Administrator",
                &[]
            ),
            Pm
        );
        assert_eq!(
            privilege("f2ef992c-3afb-46b9-b7cf-a126ee74c451", "Global Reader", &[]),
            Read
        );
        assert_eq!(
            privilege(
                "00000000-0000-0000-0000-000000000001",
                "Knowledge Reader",
                &[]
            ),
            Read
        );
        assert_eq!(
            privilege(
                "00000000-0000-0000-0000-000000000001",
                "Knowledge Administrator",
                &[]
            ),
            Write
        );
        let ids: std::collections::BTreeSet<&str> = BUILT_IN_ROLES.iter().map(|r| r.0).collect();
        assert_eq!(ids.len(), BUILT_IN_ROLES.len(), "template ids are unique");
    }

    #[test]
    fn custom_role_actions() {
        let actions = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            privilege(
                "c-1",
                "Helpdesk Lite",
                &actions(&["microsoft.directory/users/standard/read"])
            ),
            Read
        );
        assert_eq!(
            privilege(
                "c-2",
                "App Secrets",
                &actions(&["microsoft.directory/servicePrincipals/credentials/update"])
            ),
            Pm
        );
        assert_eq!(
            privilege(
                "c-3",
                "Devices",
                &actions(&["microsoft.directory/devices/disable"])
            ),
            Write
        );
        assert_eq!(
            privilege(
                "c-4",
                "Everything",
                &actions(&["microsoft.directory/allEntities/allProperties/allTasks"])
            ),
            Admin
        );
        assert_eq!(classify_action(""), PrivilegeLevel::None);
    }
}
