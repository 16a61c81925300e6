//! `residue rules list` and `residue rules explain ID`.

use super::{usage_error, EXIT_OK};
use crate::rules::{all_rules, find_rule};
use clap::{Subcommand, ValueEnum};

#[derive(Subcommand)]
pub(super) enum RulesCommand {
    /// List every rule.
    List {
        #[arg(long, value_enum, default_value = "text")]
        format: ListFormat,
    },
    /// Print a rule's documentation, parameters, references and examples.
    Explain { id: String },
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(super) enum ListFormat {
    Text,
    Markdown,
    Json,
}

pub(super) fn run(command: RulesCommand) -> u8 {
    match command {
        RulesCommand::List { format } => {
            print!("{}", rules_list(format));
            EXIT_OK
        }
        RulesCommand::Explain { id } => match find_rule(&id) {
            Some(rule) => {
                print!("{}", rule.meta.markdown());
                EXIT_OK
            }
            None => {
                let ids: Vec<&str> = all_rules().iter().map(|r| r.meta.id.as_str()).collect();
                usage_error(format!(
                    "unknown rule id `{id}`; known rules: {}",
                    ids.join(", ")
                ))
            }
        },
    }
}

fn rules_list(format: ListFormat) -> String {
    let rules = all_rules();
    match format {
        ListFormat::Text => {
            let mut s = String::new();
            for r in rules {
                s.push_str(&format!(
                    "{:<6} {:<9} {:<34} {}\n",
                    r.meta.id,
                    r.meta.default_severity.as_str(),
                    r.meta.name,
                    r.meta.title
                ));
            }
            s
        }
        ListFormat::Markdown => {
            let mut s = String::from(
                "| ID | Name | Default severity | What it flags |\n|---|---|---|---|\n",
            );
            for r in rules {
                s.push_str(&format!(
                    "| {} | {} | {} | {} |\n",
                    r.meta.id, r.meta.name, r.meta.default_severity, r.meta.title
                ));
            }
            s
        }
        ListFormat::Json => {
            let metas: Vec<_> = rules.iter().map(|r| &r.meta).collect();
            let mut s = serde_json::to_string_pretty(&metas).expect("rule metadata serializes");
            s.push('\n');
            s
        }
    }
}
