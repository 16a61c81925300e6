use super::*;

fn small() -> Params {
    Params {
        identities: 120,
        groups: 6,
        roles: 30,
        policies: 12,
        assignments: 500,
        secrets: 80,
        grant_events: 600,
        accounts: 2,
        aws_principals: 30,
        compare_principals: 20,
        cloudtrail_events: 40,
        k8s_service_accounts: 20,
    }
}

fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let path = e.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let name = path.strip_prefix(dir).unwrap().display().to_string();
                out.push((name, std::fs::read(&path).unwrap()));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn audit_epoch_is_the_audit_time() {
    assert_eq!(rfc3339(AUDIT_EPOCH), AUDIT_TIME);
    assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
    assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
    assert_eq!(boto3_time(AUDIT_EPOCH), "2026-11-20 09:00:00+00:00");
}

#[test]
fn same_seed_same_bytes_other_seed_other_bytes() {
    let (a, b, c) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    let written = generate(&small(), 7, a.path()).unwrap();
    generate(&small(), 7, b.path()).unwrap();
    generate(&small(), 8, c.path()).unwrap();
    let (fa, fb, fc) = (files(a.path()), files(b.path()), files(c.path()));
    assert_eq!(fa, fb);
    assert_ne!(fa, fc);
    assert_eq!(written.files, fa.len());
    assert_eq!(
        written.bytes,
        fa.iter().map(|(_, b)| b.len() as u64).sum::<u64>()
    );
}

#[test]
fn every_output_is_well_formed_and_sized_as_asked() {
    let dir = tempfile::tempdir().unwrap();
    let p = small();
    generate(&p, 3, dir.path()).unwrap();
    let mut identities = 0;
    let mut assignments = 0;
    let mut secrets = 0;
    let mut events = 0;
    for (name, bytes) in files(dir.path()) {
        let text = String::from_utf8(bytes).unwrap();
        if name.ends_with(".json") {
            let v: serde_json::Value =
                serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name} is not JSON: {e}"));
            if name.starts_with("generic/inventory-") {
                let people = v["identities"].as_array().unwrap();
                identities += people.iter().filter(|i| i["kind"] != "group").count();
                assignments += v["assignments"].as_array().unwrap().len();
                secrets += v["secrets"].as_array().unwrap().len();
            }
            if name == "aws/authorization-details.json" {
                let principals = v["UserDetailList"].as_array().unwrap().len()
                    + v["RoleDetailList"].as_array().unwrap().len();
                assert_eq!(principals, p.compare_principals);
            }
        } else if name.ends_with(".jsonl") {
            for line in text.lines() {
                let _: serde_json::Value = serde_json::from_str(line).unwrap();
                events += 1;
            }
        } else if name.ends_with(".csv") && name.starts_with("generic/") {
            events += text.lines().count() - 1;
        }
    }
    assert_eq!(identities, p.identities);
    assert_eq!(assignments, p.assignments);
    assert_eq!(secrets, p.secrets);
    // About five events a grant; at least one per grant asked for.
    assert!(
        events >= p.grant_events * 3 / 5 && events <= p.grant_events * 7 / 5,
        "{events}"
    );
}

#[test]
fn the_generic_organisation_scans_and_every_rule_family_fires() {
    let dir = tempfile::tempdir().unwrap();
    generate(&small(), 11, dir.path()).unwrap();
    let generic = dir.path().join("generic");
    let config = crate::config::Config::load(&generic.join("residue.yaml")).unwrap();
    let now = crate::model::time::parse_timestamp(AUDIT_TIME).unwrap();
    let report = crate::scan::scan(&config, now, &crate::scan::Silent).unwrap();
    assert!(report.coverage.complete, "{:?}", report.coverage.gaps);
    for family in ["SP", "SC", "RV", "GV"] {
        assert!(
            report
                .findings
                .iter()
                .any(|f| f.rule_id.starts_with(family)),
            "no {family} finding"
        );
    }
}

#[test]
fn impossible_sizes_are_refused() {
    let mut p = small();
    p.roles = 0;
    p.accounts = 0;
    let err = validate(&p).unwrap_err();
    assert!(
        err.contains("--roles") && err.contains("--accounts"),
        "{err}"
    );
    let dir = tempfile::tempdir().unwrap();
    assert!(generate(&p, 1, dir.path()).is_err());
}
