//! The generic inventory shards and grant logs (docs/formats.md).
//!
//! Every record is a pure function of the seed and its index, so shards can reference
//! records written in other shards (an assignment's role, a change event's grant) without
//! keeping the organisation in memory: 10 million grant events are written in constant
//! memory.

use super::{rfc3339, split, GenerateError, Params, Rng, Sink, AUDIT_EPOCH, DAY, HOUR};
use std::io::{self, Write};

/// Records per inventory shard (identities; other sections are split in proportion).
const IDENTITIES_PER_SHARD: usize = 50_000;
/// Events per grant log file.
const EVENTS_PER_LOG: usize = 500_000;

const STREAM_IDENTITY: u64 = 1;
const STREAM_ROLE: u64 = 2;
const STREAM_ASSIGNMENT: u64 = 3;
const STREAM_SECRET: u64 = 4;
const STREAM_GRANT: u64 = 5;
const STREAM_TRUST: u64 = 6;
const STREAM_GROUP: u64 = 7;

/// A cheap stateless hash of an index, for attributes looked up from other records.
fn mix(seed: u64, stream: u64, i: usize) -> u64 {
    Rng::new(
        seed ^ (i as u64).wrapping_mul(0xD6E8_FEB8_6659_FD93),
        stream,
    )
    .next_u64()
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Human,
    ServiceAccount,
    Workload,
    AiAgent,
}

impl Kind {
    fn of(seed: u64, i: usize) -> Kind {
        match mix(seed, STREAM_IDENTITY, i) % 100 {
            0..80 => Kind::Human,
            80..92 => Kind::ServiceAccount,
            92..97 => Kind::Workload,
            _ => Kind::AiAgent,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Kind::Human => "human",
            Kind::ServiceAccount => "service-account",
            Kind::Workload => "workload",
            Kind::AiAgent => "ai-agent",
        }
    }
}

fn identity_id(seed: u64, i: usize) -> String {
    match Kind::of(seed, i) {
        Kind::Human => format!("u{i:07}@org.example"),
        Kind::ServiceAccount => format!("svc-{i:07}"),
        Kind::Workload => format!("wl-{i:07}"),
        Kind::AiAgent => format!("agent-{i:07}"),
    }
}

fn group_id(g: usize) -> String {
    format!("grp-{g:05}")
}

fn role_id(r: usize) -> String {
    format!("role-{r:06}")
}

/// Privilege tiers of generated roles, by share per thousand.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Tier {
    Admin,
    PermissionsManagement,
    Write,
    Read,
}

fn tier(seed: u64, r: usize) -> Tier {
    match mix(seed, STREAM_ROLE, r) % 1000 {
        0..5 => Tier::Admin,
        5..30 => Tier::PermissionsManagement,
        30..400 => Tier::Write,
        _ => Tier::Read,
    }
}

/// The k-th role assigned to identity i: distinct for distinct k (7919 is prime).
fn assigned_role(seed: u64, p: &Params, i: usize, k: usize) -> usize {
    ((mix(seed, STREAM_ASSIGNMENT, i) as usize % p.roles) + k * 7919) % p.roles
}

fn grant_count(p: &Params) -> usize {
    p.grant_events.div_ceil(5)
}

/// One JIT grant, derived from its index.
struct GrantPlan {
    id: String,
    principal: String,
    entitlement: String,
    requested: i64,
    /// The principal itself for a self-approved grant, nobody for an unapproved one.
    approver: Option<String>,
    activated: i64,
    window_end: i64,
    used: bool,
    close: Close,
    break_glass: bool,
    reviewed: bool,
    ticket: bool,
    /// A credential created while elevated (a change event in the inventory).
    persistence: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Close {
    Expired,
    Revoked,
    Open,
}

fn grant(seed: u64, p: &Params, g: usize) -> GrantPlan {
    let mut r = Rng::new(seed ^ g as u64, STREAM_GRANT);
    let i = r.below(p.identities);
    // JIT grants are for roles the principal does not otherwise hold; 2% are for a role it
    // also holds as an assignment (the revocation rules' work).
    let held = assigned_role(seed, p, i, 0);
    let entitlement = role_id(if r.chance(2) {
        held
    } else {
        (held + p.roles / 2 + 1) % p.roles
    });
    let requested = AUDIT_EPOCH - r.range(HOUR, 365 * DAY);
    let activated = requested + r.range(60, 30 * 60);
    let window = if r.chance(3) {
        r.range(24 * HOUR, 7 * DAY)
    } else {
        r.range(HOUR, 8 * HOUR)
    };
    let self_approved = r.chance(2);
    let approver = if self_approved {
        Some(identity_id(seed, i))
    } else if r.chance(97) {
        Some(identity_id(seed, r.below(p.identities)))
    } else {
        None
    };
    let close = match r.below(100) {
        0..85 => Close::Expired,
        85..95 => Close::Revoked,
        _ => Close::Open,
    };
    let break_glass = r.chance(1);
    GrantPlan {
        id: format!("g-{g:08}"),
        principal: identity_id(seed, i),
        entitlement,
        requested,
        approver,
        activated,
        window_end: activated + window,
        used: r.chance(70),
        close,
        break_glass,
        reviewed: break_glass && r.chance(50),
        ticket: r.chance(90),
        persistence: r.chance(5),
    }
}

/// Writes the inventory shards, the grant logs and residue.yaml under `generic/`.
pub(super) fn write(p: &Params, seed: u64, sink: &mut Sink) -> Result<(), GenerateError> {
    let shards = p.identities.div_ceil(IDENTITIES_PER_SHARD).max(1);
    for s in 0..shards {
        let name = format!("generic/inventory-{s:02}.json");
        sink.file(&name, |w| write_shard(w, p, seed, s, shards))?;
    }
    let logs = p.grant_events.div_ceil(EVENTS_PER_LOG).max(2);
    let grants = grant_count(p);
    for l in 0..logs {
        let (lo, hi) = split(grants, logs, l);
        // Every fourth log (the second one first) is CSV, the rest JSON Lines.
        if l % 4 == 1 {
            let name = format!("generic/grants/grant-log-{l:02}.csv");
            sink.file(&name, |w| write_grant_csv(w, p, seed, lo, hi))?;
        } else {
            let name = format!("generic/grants/grant-log-{l:02}.jsonl");
            sink.file(&name, |w| write_grant_jsonl(w, p, seed, lo, hi))?;
        }
    }
    let break_glass = identity_id(seed, 0);
    sink.file("generic/residue.yaml", |w| {
        writeln!(
            w,
            "# Generated by `residue generate` (seed {seed}). Scan with --now {}.",
            super::AUDIT_TIME
        )?;
        writeln!(w, "break_glass: [\"{break_glass}\"]")?;
        writeln!(w, "secrets: {{max_age_days: 90, unused_days: 60}}")?;
        writeln!(w, "jit: {{default_window: 8h}}")?;
        writeln!(
            w,
            "windows: {{admin: 4h, permissions-management: 4h, write: 12h, read: 24h}}"
        )
    })
}

/// Writes `items` as a JSON array section, one record a line.
fn section(
    w: &mut dyn Write,
    name: &str,
    range: (usize, usize),
    mut record: impl FnMut(&mut dyn Write, usize) -> io::Result<()>,
) -> io::Result<()> {
    write!(w, ",\n\"{name}\": [")?;
    for (n, x) in (range.0..range.1).enumerate() {
        w.write_all(if n == 0 { b"\n" } else { b",\n" })?;
        record(w, x)?;
    }
    w.write_all(b"\n]")
}

fn write_shard(
    w: &mut dyn Write,
    p: &Params,
    seed: u64,
    s: usize,
    shards: usize,
) -> io::Result<()> {
    w.write_all(b"{\"version\": 1")?;
    // People and other actors first, then this shard's groups (identities of kind group).
    let people = split(p.identities, shards, s);
    let groups = split(p.groups, shards, s);
    let count = people.1 - people.0;
    section(w, "identities", (0, count + groups.1 - groups.0), |w, n| {
        if n < count {
            identity(w, p, seed, people.0 + n)
        } else {
            let g = groups.0 + n - count;
            write!(
                w,
                "{{\"id\": \"{}\", \"kind\": \"group\", \"owner\": \"team-{:03}\"}}",
                group_id(g),
                g % 300
            )
        }
    })?;
    write!(w, ",\n\"roles\": [")?;
    let (lo, hi) = split(p.roles, shards, s);
    for r in lo..hi {
        w.write_all(if r == lo { b"\n" } else { b",\n" })?;
        role(w, seed, r)?;
    }
    w.write_all(b"\n]")?;
    section(w, "memberships", split(p.groups, shards, s), |w, g| {
        group_membership(w, p, seed, g)
    })?;
    section(w, "assignments", split(p.assignments, shards, s), |w, j| {
        assignment(w, p, seed, j)
    })?;
    section(w, "trusts", split(p.roles / 20, shards, s), |w, t| {
        trust(w, p, seed, t)
    })?;
    section(w, "escalations", split(p.roles / 200, shards, s), |w, e| {
        escalation(w, p, seed, e)
    })?;
    section(w, "secrets", split(p.secrets, shards, s), |w, k| {
        secret(w, p, seed, k)
    })?;
    let (lo, hi) = split(grant_count(p), shards, s);
    write!(w, ",\n\"change_events\": [")?;
    let mut first = true;
    for g in lo..hi {
        let plan = grant(seed, p, g);
        if !plan.persistence {
            continue;
        }
        w.write_all(if first { b"\n" } else { b",\n" })?;
        first = false;
        write!(
            w,
            "{{\"time\": \"{}\", \"actor\": \"{}\", \"kind\": \"credential-created\", \"action\": \"CreateAccessKey\", \"target\": \"AKIAGEN{g:013}\"}}",
            rfc3339(plan.activated + 600),
            plan.principal
        )?;
    }
    w.write_all(b"\n]")?;
    w.write_all(b"\n}\n")
}

fn identity(w: &mut dyn Write, p: &Params, seed: u64, i: usize) -> io::Result<()> {
    let mut r = Rng::new(seed ^ i as u64, STREAM_IDENTITY);
    let kind = Kind::of(seed, i);
    let created = AUDIT_EPOCH - r.range(30 * DAY, 5 * 365 * DAY);
    write!(
        w,
        "{{\"id\": \"{}\", \"kind\": \"{}\", \"created\": \"{}\"",
        identity_id(seed, i),
        kind.name(),
        rfc3339(created)
    )?;
    if kind != Kind::Human {
        // Most non-human identities name an owner; a few are orphans (GV004).
        if r.chance(94) {
            write!(w, ", \"owner\": \"team-{:03}\"", r.below(300))?;
        }
    } else {
        write!(w, ", \"name\": \"User {i}\"")?;
    }
    if r.chance(85) {
        write!(
            w,
            ", \"last_activity\": \"{}\"",
            rfc3339(AUDIT_EPOCH - r.range(HOUR, 400 * DAY))
        )?;
    }
    if r.chance(3) {
        w.write_all(b", \"disabled\": true")?;
    }
    write!(w, ", \"tags\": {{\"dept\": \"d{:02}\"}}", r.below(40))?;
    let first = r.below(p.groups);
    write!(w, ", \"member_of\": [\"{}\"", group_id(first))?;
    if p.groups > 1 && r.chance(40) {
        let second = (first + 1 + r.below(p.groups - 1)) % p.groups;
        write!(w, ", \"{}\"", group_id(second))?;
    }
    w.write_all(b"]}")
}

const WRITE_SETS: [&[&str]; 4] = [
    &["s3:PutObject", "s3:GetObject"],
    &["ec2:RunInstances", "ec2:DescribeInstances"],
    &["deploy"],
    &["dynamodb:PutItem", "dynamodb:Query"],
];
const READ_SETS: [&[&str]; 3] = [
    &["s3:GetObject", "s3:ListBucket"],
    &["ec2:DescribeInstances"],
    &["logs:GetLogEvents", "cloudwatch:GetMetricData"],
];

fn role(w: &mut dyn Write, seed: u64, r: usize) -> io::Result<()> {
    let mut x = Rng::new(seed ^ r as u64, STREAM_ROLE);
    let permissions: &[&str] = match tier(seed, r) {
        Tier::Admin => &["*"],
        Tier::PermissionsManagement => &["iam:AttachRolePolicy", "iam:PassRole", "s3:GetObject"],
        Tier::Write => WRITE_SETS[x.below(WRITE_SETS.len())],
        Tier::Read => READ_SETS[x.below(READ_SETS.len())],
    };
    write!(w, "{{\"id\": \"{}\", \"permissions\": [", role_id(r))?;
    for (n, perm) in permissions.iter().enumerate() {
        if n > 0 {
            w.write_all(b", ")?;
        }
        write!(w, "\"{perm}\"")?;
    }
    write!(
        w,
        "], \"scope\": \"aws:{:012}\", \"tags\": {{\"tier\": \"{}\"}}",
        100_000_000_000 + x.below(1000),
        if x.chance(20) { "high" } else { "low" }
    )?;
    if x.chance(60) {
        write!(
            w,
            ", \"last_used\": \"{}\"",
            rfc3339(AUDIT_EPOCH - x.range(HOUR, 300 * DAY))
        )?;
    }
    w.write_all(b"}")
}

/// Group nesting and JIT (eligible) group memberships: group g's record.
fn group_membership(w: &mut dyn Write, p: &Params, seed: u64, g: usize) -> io::Result<()> {
    let mut r = Rng::new(seed ^ g as u64, STREAM_GROUP);
    // Some groups nest under a lower-numbered one; the others get an eligible (JIT) member.
    let parent = if g == 0 { None } else { Some(r.below(g)) };
    match parent {
        Some(parent) if r.chance(30) => write!(
            w,
            "{{\"member\": \"{}\", \"group\": \"{}\"}}",
            group_id(g),
            group_id(parent)
        ),
        _ => {
            // An eligible (JIT) membership of a person in this group.
            let i = r.below(p.identities);
            let start = AUDIT_EPOCH - r.range(DAY, 200 * DAY);
            write!(
                w,
                "{{\"member\": \"{}\", \"group\": \"{}\", \"kind\": \"eligible\", \"start\": \"{}\"}}",
                identity_id(seed, i),
                group_id(g),
                rfc3339(start)
            )
        }
    }
}

fn assignment(w: &mut dyn Write, p: &Params, seed: u64, j: usize) -> io::Result<()> {
    let mut r = Rng::new(seed ^ j as u64, STREAM_ASSIGNMENT);
    // Identity subjects take their k-th role so that (subject, role) pairs stay distinct.
    let subject_is_group = r.chance(3);
    let (subject, role) = if subject_is_group {
        let g = r.below(p.groups);
        (group_id(g), r.below(p.roles))
    } else {
        let i = j % p.identities;
        (
            identity_id(seed, i),
            assigned_role(seed, p, i, j / p.identities),
        )
    };
    write!(
        w,
        "{{\"subject\": \"{subject}\", \"role\": \"{}\"",
        role_id(role)
    )?;
    match r.below(100) {
        0..72 => {}
        72..96 => {
            write!(w, ", \"kind\": \"eligible\"")?;
        }
        _ => {
            let start = AUDIT_EPOCH - r.range(HOUR, 60 * DAY);
            let end = start + r.range(HOUR, 12 * HOUR);
            write!(
                w,
                ", \"kind\": \"temporary\", \"start\": \"{}\", \"end\": \"{}\"",
                rfc3339(start),
                rfc3339(end)
            )?;
        }
    }
    // Most standing privilege is in use; a few percent is dormant (SP003).
    let last_used = if r.chance(97) {
        AUDIT_EPOCH - r.range(HOUR, 60 * DAY)
    } else {
        AUDIT_EPOCH - r.range(100 * DAY, 400 * DAY)
    };
    write!(w, ", \"last_used\": \"{}\"", rfc3339(last_used))?;
    w.write_all(b"}")
}

fn trust(w: &mut dyn Write, p: &Params, seed: u64, t: usize) -> io::Result<()> {
    let mut r = Rng::new(seed ^ t as u64, STREAM_TRUST);
    let role = r.below(p.roles);
    let principal = if r.chance(50) {
        role_id(r.below(p.roles))
    } else {
        identity_id(seed, r.below(p.identities))
    };
    write!(
        w,
        "{{\"role\": \"{}\", \"principal\": \"{principal}\"",
        role_id(role)
    )?;
    if r.chance(50) {
        w.write_all(
            b", \"conditions\": [{\"kind\": \"mfa\", \"detail\": \"aws:MultiFactorAuthPresent = true\"}]",
        )?;
    }
    w.write_all(b"}")
}

fn escalation(w: &mut dyn Write, p: &Params, seed: u64, e: usize) -> io::Result<()> {
    let mut r = Rng::new(seed ^ e as u64, STREAM_TRUST ^ 0xE5CA);
    // Escalation targets are admin roles when any exist nearby.
    let mut target = r.below(p.roles);
    for step in 0..p.roles.min(400) {
        let candidate = (target + step) % p.roles;
        if tier(seed, candidate) == Tier::Admin {
            target = candidate;
            break;
        }
    }
    let method = r.pick(&[
        "iam:CreatePolicyVersion",
        "iam:PassRole+ec2:RunInstances",
        "iam:AttachUserPolicy",
    ]);
    write!(
        w,
        "{{\"principal\": \"{}\", \"target\": \"{}\", \"method\": \"{method}\"}}",
        identity_id(seed, r.below(p.identities)),
        role_id(target)
    )
}

fn secret(w: &mut dyn Write, p: &Params, seed: u64, k: usize) -> io::Result<()> {
    let mut r = Rng::new(seed ^ k as u64, STREAM_SECRET);
    let kind = r.pick(&[
        "access-key",
        "access-key",
        "token",
        "api-key",
        "password",
        "certificate",
        "ssh-key",
    ]);
    let created = AUDIT_EPOCH - r.range(DAY, 900 * DAY);
    let stale = r.chance(4);
    write!(
        w,
        "{{\"id\": \"sec-{k:08}\", \"kind\": \"{kind}\", \"owner\": \"{}\", \"created\": \"{}\"",
        identity_id(seed, r.below(p.identities)),
        rfc3339(created)
    )?;
    // A few secrets are unrotated or unused (SC001, SC002); the rest are looked after.
    if !stale {
        let rotated = (AUDIT_EPOCH - r.range(HOUR, 80 * DAY)).max(created);
        write!(w, ", \"last_rotated\": \"{}\"", rfc3339(rotated))?;
    }
    if !stale || r.chance(50) {
        let used = AUDIT_EPOCH - r.range(HOUR, 40 * DAY);
        write!(w, ", \"last_used\": \"{}\"", rfc3339(used.max(created)))?;
    }
    if r.chance(30) {
        write!(
            w,
            ", \"expires\": \"{}\"",
            rfc3339(AUDIT_EPOCH + r.range(DAY, 400 * DAY))
        )?;
    }
    if r.chance(8) {
        w.write_all(b", \"active\": false")?;
    }
    w.write_all(b"}")
}

/// The events of one grant, in time order: (event, time).
fn events(plan: &GrantPlan) -> Vec<(&'static str, i64)> {
    let mut v = vec![("requested", plan.requested)];
    if plan.approver.is_some() {
        v.push(("approved", plan.requested + 30));
    }
    v.push(("activated", plan.activated));
    if plan.used {
        v.push(("used", plan.activated + 600));
    }
    match plan.close {
        Close::Expired => v.push(("expired", plan.window_end)),
        Close::Revoked => v.push(("revoked", (plan.activated + plan.window_end) / 2)),
        Close::Open => {}
    }
    if plan.reviewed {
        v.push(("reviewed", plan.window_end + DAY));
    }
    v
}

fn write_grant_jsonl(
    w: &mut dyn Write,
    p: &Params,
    seed: u64,
    lo: usize,
    hi: usize,
) -> io::Result<()> {
    for g in lo..hi {
        let plan = grant(seed, p, g);
        for (event, time) in events(&plan) {
            write!(
                w,
                "{{\"grant_id\":\"{}\",\"event\":\"{event}\",\"time\":\"{}\",\"principal\":\"{}\",\"entitlement\":\"{}\"",
                plan.id,
                rfc3339(time),
                plan.principal,
                plan.entitlement
            )?;
            match event {
                "requested" => {
                    write!(
                        w,
                        ",\"requester\":\"{}\",\"justification\":\"change {g}\"",
                        plan.principal
                    )?;
                    if plan.ticket {
                        write!(w, ",\"ticket\":\"CHG-{g}\"")?;
                    }
                }
                "approved" => {
                    if let Some(a) = &plan.approver {
                        write!(w, ",\"approver\":\"{a}\"")?;
                    }
                }
                "activated" => {
                    write!(w, ",\"window_end\":\"{}\"", rfc3339(plan.window_end))?;
                }
                _ => {}
            }
            if plan.break_glass {
                w.write_all(b",\"break_glass\":true")?;
            }
            w.write_all(b"}\n")?;
        }
    }
    Ok(())
}

fn write_grant_csv(
    w: &mut dyn Write,
    p: &Params,
    seed: u64,
    lo: usize,
    hi: usize,
) -> io::Result<()> {
    writeln!(
        w,
        "grant_id,event,time,principal,entitlement,requester,approver,justification,ticket,window_end,break_glass,x-pam-session"
    )?;
    for g in lo..hi {
        let plan = grant(seed, p, g);
        for (event, time) in events(&plan) {
            let (requester, justification, ticket) = if event == "requested" {
                (
                    plan.principal.as_str(),
                    format!("\"change {g}, batch {}\"", g % 10),
                    if plan.ticket {
                        format!("CHG-{g}")
                    } else {
                        String::new()
                    },
                )
            } else {
                ("", String::new(), String::new())
            };
            let approver = match (&plan.approver, event) {
                (Some(a), "approved") => a.as_str(),
                _ => "",
            };
            let window_end = if event == "activated" {
                rfc3339(plan.window_end)
            } else {
                String::new()
            };
            writeln!(
                w,
                "{},{event},{},{},{},{requester},{approver},{justification},{ticket},{window_end},{},S-{g}",
                plan.id,
                rfc3339(time),
                plan.principal,
                plan.entitlement,
                if plan.break_glass { "yes" } else { "no" }
            )?;
        }
    }
    Ok(())
}
