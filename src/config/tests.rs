use super::*;

fn parse(text: &str) -> Result<Config, ConfigErrors> {
    Config::parse(text, "residue.yaml", Path::new("/data"))
}

#[test]
fn empty_configuration_gives_defaults_and_every_rule() {
    let cfg = parse("").unwrap();
    assert_eq!(cfg.policy, AuditPolicy::default());
    assert_eq!(cfg.rules.len(), all_rules().len());
    assert!(cfg.sources.is_empty());
}

#[test]
fn full_configuration_resolves() {
    let cfg = parse(
        "\
sources:
  - inventory.yaml
  - {path: grants.jsonl, format: grant-log-jsonl, name: okta}
break_glass: [bg-1]
secrets: {max_age_days: 30, unused_days: 45}
jit:
  default_window: 2h
windows:
  admin: 1h
rules:
  SP003:
    severity: low
    parameters:
      unused_days: 60
  GV004: {enabled: false}
suppressions: suppressions.yaml
fail_on: medium
",
    )
    .unwrap();
    assert_eq!(cfg.sources.len(), 2);
    assert_eq!(cfg.sources[0].path, Path::new("/data/inventory.yaml"));
    assert_eq!(cfg.sources[0].line, Some(2));
    assert_eq!(cfg.sources[1].format, Some(SourceFormat::GrantLogJsonl));
    assert_eq!(cfg.sources[1].name.as_deref(), Some("okta"));
    assert!(cfg.policy.break_glass.contains("bg-1"));
    assert_eq!(cfg.policy.jit_default_window, SignedDuration::from_hours(2));
    assert_eq!(
        cfg.policy.window_limit(PrivilegeLevel::Admin),
        Some(SignedDuration::from_hours(1))
    );
    assert_eq!(cfg.fail_on, Some(Severity::Medium));
    let sp003 = cfg
        .rules
        .iter()
        .find(|r| r.rule.meta.id == "SP003")
        .unwrap();
    assert_eq!(sp003.severity, Severity::Low);
    assert_eq!(sp003.params.integer("unused_days"), 60);
    let sc001 = cfg
        .rules
        .iter()
        .find(|r| r.rule.meta.id == "SC001")
        .unwrap();
    assert_eq!(
        sc001.params.integer("max_age_days"),
        30,
        "policy key feeds the parameter"
    );
    assert!(!cfg.rules.iter().any(|r| r.rule.meta.id == "GV004"));
}

#[test]
fn every_error_is_reported_at_once_with_its_line() {
    let errs = parse(
        "\
break_glass: yes-please
secrets:
  max_age_days: ninety
jit:
  default_window: forever
windows:
  superuser: 1h
rules:
  SP999: {}
  SP003:
    parameters:
      unused_days: -3
      colour: blue
  SC001:
    parameters:
      max_age_days: 10
bogus: 1
",
    )
    .unwrap_err();
    let text = errs.to_string();
    let lines: Vec<Option<u32>> = errs.0.iter().map(|e| e.line).collect();
    assert_eq!(
        lines,
        vec![
            Some(1),
            Some(3),
            Some(5),
            Some(7),
            Some(9),
            Some(12),
            Some(13),
            Some(16),
            Some(17)
        ],
        "{text}"
    );
    assert!(
        text.contains("residue.yaml:1: expected a list of strings"),
        "{text}"
    );
    assert!(
        text.contains("residue.yaml:3: expected a non-negative integer, found a string"),
        "{text}"
    );
    assert!(text.contains("`forever` is not a duration"), "{text}");
    assert!(
        text.contains("unknown privilege tier `superuser`"),
        "{text}"
    );
    assert!(text.contains("unknown rule id `SP999`"), "{text}");
    assert!(text.contains("SP003 has no parameter `colour`"), "{text}");
    assert!(
        text.contains("set by the audit policy key `secrets.max_age_days`"),
        "{text}"
    );
    assert!(text.contains("unknown setting `bogus`"), "{text}");
}

#[test]
fn syntax_errors_name_the_line() {
    let errs = parse("rules:\n  SP001: {enabled: true\n").unwrap_err();
    assert_eq!(errs.0.len(), 1);
    assert!(errs.0[0].line.is_some());
    assert!(errs.to_string().starts_with("residue.yaml:"), "{errs}");
}

#[test]
fn privilege_parameters_must_name_a_level() {
    let errs = parse("rules:\n  SP003:\n    parameters:\n      min_privilege: root\n").unwrap_err();
    assert!(
        errs.to_string()
            .contains("residue.yaml:4: `root` is not a privilege level"),
        "{errs}"
    );
}

#[test]
fn parameters_with_listed_values_take_only_those() {
    let errs = parse("rules:\n  GV006:\n    parameters:\n      require: always\n").unwrap_err();
    assert!(
        errs.to_string().contains(
            "residue.yaml:4: `always` is not a value of require; expected one of: \
             justification-or-ticket, justification, ticket, both"
        ),
        "{errs}"
    );
    assert!(parse("rules:\n  GV006:\n    parameters:\n      require: both\n").is_ok());
}

#[test]
fn scp_sources_name_their_accounts() {
    let cfg = Config::parse(
        "sources:\n  - {path: scp/allow.json, format: aws-scp, accounts: [\"111122223333\"]}\n",
        "residue.yaml",
        Path::new("."),
    )
    .unwrap();
    assert_eq!(
        cfg.sources[0].accounts.as_deref(),
        Some(&["111122223333".to_string()][..])
    );
    let errs = parse(
        "\
sources:
  - path: scp/allow.json
    format: aws-scp
    accounts: [\"1111\", 111122223333]
  - {path: authz.json, format: aws-authorization-details, accounts: [\"111122223333\"]}
",
    )
    .unwrap_err();
    let text = errs.to_string();
    assert!(
        text.contains("expected an AWS account id (12 digits, quoted)"),
        "{text}"
    );
    assert!(
        text.contains("`accounts` applies only to sources with `format: aws-scp`"),
        "{text}"
    );
    assert_eq!(errs.0.len(), 2, "{text}");
}
