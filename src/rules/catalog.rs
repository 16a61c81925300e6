//! The rule catalog: one YAML per rule under rules/<family>/, embedded at build time.

use super::params::ParamSpec;
use crate::finding::Severity;
use serde::{Deserialize, Serialize};

/// Framework references, by the ids listed in rules/frameworks/.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct References {
    /// OWASP Top 10 Non-Human Identities Risks 2025 (`NHI5:2025`).
    #[serde(default)]
    pub owasp_nhi: Vec<String>,
    /// NIST CSF 2.0 subcategories (`PR.AA-05`).
    #[serde(default)]
    pub nist_csf: Vec<String>,
    /// NIST SP 800-53 Rev. 5 controls (`AC-6(5)`).
    #[serde(default)]
    pub nist_800_53: Vec<String>,
    /// CIS Benchmark recommendations, with the benchmark version (`CIS AWS Foundations v3.0.0 1.14`).
    #[serde(default)]
    pub cis: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleDocs {
    pub what: String,
    pub why: String,
    pub fix: String,
}

/// An executable example: a small generic inventory, the audit time, optional policy, and
/// whether the rule must fire (and on which subjects).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleExample {
    pub name: String,
    pub fires: bool,
    /// Subjects the rule must report, exactly (only for examples that fire).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub expect_subjects: Vec<String>,
    pub now: String,
    /// residue.yaml policy keys for this example (break_glass, secrets, jit, windows, rules).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<serde_yaml::Value>,
    /// A document in the generic inventory format (docs/formats.md).
    pub inventory: serde_yaml::Value,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleMeta {
    pub id: String,
    /// kebab-case, unique.
    pub name: String,
    /// ≤ 80 characters.
    pub title: String,
    pub family: String,
    pub default_severity: Severity,
    #[serde(default)]
    pub parameters: Vec<ParamSpec>,
    pub references: References,
    pub docs: RuleDocs,
    pub examples: Vec<RuleExample>,
}

impl RuleMeta {
    pub fn parse(file: &str, text: &str) -> Result<RuleMeta, String> {
        serde_yaml::from_str(text).map_err(|e| format!("{file}: {e}"))
    }

    pub fn help_uri(&self) -> String {
        format!(
            "https://github.com/residue-audit/residue/blob/main/rules/{}/{}-{}.yaml",
            self.family.to_lowercase(),
            self.id,
            self.name
        )
    }

    /// The documentation as Markdown, the same text `residue rules explain` prints.
    pub fn markdown(&self) -> String {
        let mut s = format!(
            "# {} {}: {}\n\nDefault severity: **{}**\n\n## What it flags\n\n{}\n\n## Why it matters\n\n{}\n\n## How to fix\n\n{}\n",
            self.id,
            self.name,
            self.title,
            self.default_severity,
            self.docs.what.trim(),
            self.docs.why.trim(),
            self.docs.fix.trim()
        );
        if !self.parameters.is_empty() {
            s.push_str("\n## Parameters\n\n");
            for p in &self.parameters {
                let default = serde_yaml::to_string(&p.default).unwrap_or_default();
                s.push_str(&format!(
                    "- `{}` ({}, default `{}`",
                    p.name,
                    p.kind.name(),
                    default.trim()
                ));
                if let Some(k) = &p.policy_key {
                    s.push_str(&format!(", set with `{k}` in residue.yaml"));
                }
                s.push_str(&format!("): {}\n", p.doc.trim()));
            }
        }
        let refs = &self.references;
        s.push_str("\n## References\n\n");
        for (label, ids) in [
            ("OWASP Non-Human Identities Top 10 (2025)", &refs.owasp_nhi),
            ("NIST CSF 2.0", &refs.nist_csf),
            ("NIST SP 800-53 Rev. 5", &refs.nist_800_53),
            ("CIS Benchmarks", &refs.cis),
        ] {
            if !ids.is_empty() {
                s.push_str(&format!("- {label}: {}\n", ids.join(", ")));
            }
        }
        s.push_str("\n## Examples\n");
        for ex in &self.examples {
            let verdict = if ex.fires {
                "fires"
            } else {
                "does not fire (near-miss)"
            };
            let inv = serde_yaml::to_string(&ex.inventory).unwrap_or_default();
            // The policy an example runs under is part of why it fires or not.
            let config = ex
                .config
                .as_ref()
                .map(|c| {
                    format!(
                        "With residue.yaml:\n\n```yaml\n{}```\n\n",
                        serde_yaml::to_string(c).unwrap_or_default()
                    )
                })
                .unwrap_or_default();
            s.push_str(&format!(
                "\n### {} — {}\n\n{config}At {}, with this inventory:\n\n```yaml\n{}```\n",
                ex.name, verdict, ex.now, inv
            ));
        }
        s
    }
}
