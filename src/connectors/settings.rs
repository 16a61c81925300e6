//! What residue.yaml tells connectors about the organisation's conventions: how JIT roles
//! are recognised in sources that don't model eligibility, which principals are JIT brokers,
//! which Kubernetes annotations carry expiries and owners. Connectors read these; rules never do.

use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectorSettings {
    /// `jit.brokers`: principals (ARNs, or ids) whose changes grant and revoke access on
    /// request; their changes are JIT grants, sessions of a broker role included.
    pub jit_brokers: Vec<String>,
    /// `jit.eligible_roles.tags`: a role carrying any of these tag key/values is JIT-eligible.
    pub eligible_role_tags: BTreeMap<String, String>,
    /// `jit.eligible_roles.names`: role-name globs (`*` wildcard) marking JIT-eligible roles.
    pub eligible_role_names: Vec<String>,
    /// `jit.eligible_roles.assumable_by_brokers`: a role a broker may assume is JIT-eligible.
    pub eligible_if_broker_can_assume: bool,
    /// `kubernetes.expiry_annotation`: the annotation an access tool sets on a temporary binding.
    pub k8s_expiry_annotation: String,
    /// `kubernetes.owner_keys`: labels or annotations naming an identity's owner.
    pub k8s_owner_keys: Vec<String>,
    /// `kubernetes.ai_agent_keys`: labels or annotations marking a service account as an AI
    /// agent (any value but `false`).
    pub k8s_ai_agent_keys: Vec<String>,
    /// The source's `cluster:` (Kubernetes), when residue.yaml names it.
    pub cluster: Option<String>,
    /// The source's `accounts:` (an AWS SCP: the accounts it applies to), when named.
    pub aws_scp_accounts: Option<Vec<String>>,
    /// The source's validated mapping spec (`mapping:`), for the `mapping` format.
    pub mapping: Option<std::sync::Arc<super::mapping::MappingSpec>>,
}

impl Default for ConnectorSettings {
    fn default() -> Self {
        ConnectorSettings {
            jit_brokers: Vec::new(),
            eligible_role_tags: BTreeMap::new(),
            eligible_role_names: Vec::new(),
            eligible_if_broker_can_assume: false,
            k8s_expiry_annotation: "residue.io/expires-at".into(),
            k8s_owner_keys: vec!["residue.io/owner".into()],
            k8s_ai_agent_keys: vec!["residue.io/ai-agent".into()],
            cluster: None,
            aws_scp_accounts: None,
            mapping: None,
        }
    }
}
