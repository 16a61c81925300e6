//! One entry point per parser family, taking raw bytes: what the cargo-fuzz targets
//! (`fuzz/fuzz_targets/`), the corpus replay test (`tests/integration/fuzz_corpus.rs`) and
//! the mutation property tests below call. Each goes through the same code a scan uses —
//! file formats through [`connectors::load`] on a temporary file, then
//! [`Inventory::finalize`] — so a panic found here is a panic a user could hit.
//!
//! Every target returns `Ok(())` or the error a user would see, which names the input by
//! the `display` it was given. Adding a source format to [`SourceFormat::ALL`] adds its
//! target here by itself; its fuzz target is one small file in `fuzz/fuzz_targets/` and its
//! seeds a folder `fuzz/corpus/<name>/` (see docs/security.md).

use crate::config::Config;
use crate::connectors::aws::arn::Arn;
use crate::connectors::aws::policy::matcher::{substitute, Pattern};
use crate::connectors::aws::policy::Document;
use crate::connectors::mapping::MappingSpec;
use crate::connectors::{self, ConnectorSettings, SourceFormat};
use crate::gate::{baseline, suppressions};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

/// A parser family a fuzz target drives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Target {
    /// A source file in a known format, read by [`connectors::load`] and finalized.
    Source(SourceFormat),
    /// Format recognition by content ([`connectors::detect`]), then loading what it found.
    Detect,
    /// residue.yaml.
    Config,
    /// A suppressions file.
    Suppressions,
    /// A baseline (a JSON report).
    Baseline,
    /// An Amazon Resource Name.
    Arn,
    /// An IAM policy document (JSON, or URL-encoded JSON as IAM returns it).
    PolicyDocument,
    /// The IAM wildcard matcher: the first line is the pattern, the rest the text.
    IamMatcher,
    /// A mapping spec (`connectors/*.yaml`), validated as residue.yaml's `mapping:` does.
    MappingSpec,
}

impl Target {
    /// Every target, source formats first.
    pub fn all() -> Vec<Target> {
        let mut all: Vec<Target> = SourceFormat::ALL.into_iter().map(Target::Source).collect();
        all.extend([
            Target::Detect,
            Target::Config,
            Target::Suppressions,
            Target::Baseline,
            Target::Arn,
            Target::PolicyDocument,
            Target::IamMatcher,
            Target::MappingSpec,
        ]);
        all
    }

    /// The fuzz target's name, and its corpus folder's (`fuzz/corpus/<name>/`).
    pub fn name(self) -> &'static str {
        match self {
            Target::Source(format) => format.name(),
            Target::Detect => "detect",
            Target::Config => "residue-yaml",
            Target::Suppressions => "suppressions",
            Target::Baseline => "baseline",
            Target::Arn => "arn",
            Target::PolicyDocument => "policy-document",
            Target::IamMatcher => "iam-matcher",
            Target::MappingSpec => "mapping-spec",
        }
    }

    pub fn from_name(name: &str) -> Option<Target> {
        Target::all().into_iter().find(|t| t.name() == name)
    }
}

/// The name fuzz targets give their input in errors.
pub const FUZZ_INPUT: &str = "fuzz-input";

/// What a fuzz target runs: feeds `bytes` to the target called `name` and panics — the
/// finding a fuzzer reports — when the parser panics or its error does not name the input.
pub fn fuzz(name: &str, bytes: &[u8]) {
    let target = Target::from_name(name).unwrap_or_else(|| panic!("no fuzz target `{name}`"));
    if let Err(message) = run(target, bytes, FUZZ_INPUT) {
        assert!(
            message.contains(FUZZ_INPUT),
            "{name}: the error does not name the input: {message}"
        );
    }
}

/// Feeds `bytes` to `target`'s parser. `display` names the input in errors, as a file name
/// would. Never panics unless the parser does — which is the bug a fuzzer looks for.
pub fn run(target: Target, bytes: &[u8], display: &str) -> Result<(), String> {
    match target {
        Target::Source(format) => {
            let file = TempInput::new(bytes).map_err(|e| format!("{display}: {e}"))?;
            load_source(format, file.path(), display)
        }
        Target::Detect => {
            let file = TempInput::new(bytes).map_err(|e| format!("{display}: {e}"))?;
            match connectors::detect(file.path(), display).map_err(|e| e.to_string())? {
                Some(format) => load_source(format, file.path(), display),
                None => Err(format!("{display}: not a format residue recognises")),
            }
        }
        Target::Config => {
            let text = utf8(bytes, display)?;
            let base = std::env::temp_dir();
            Config::parse(text, display, &base)
                .map(drop)
                .map_err(|e| e.to_string())
        }
        Target::Suppressions => {
            let text = utf8(bytes, display)?;
            suppressions::parse(text, display)
                .map(drop)
                .map_err(|e| e.to_string())
        }
        Target::Baseline => {
            let text = utf8(bytes, display)?;
            baseline::parse(text, display)
                .map(drop)
                .map_err(|e| e.to_string())
        }
        Target::Arn => {
            let text = utf8(bytes, display)?;
            let arn = Arn::parse(text).map_err(|e| format!("{display}: {e}"))?;
            // Printing it back must give the same ARN.
            let again = Arn::parse(&arn.to_string()).map_err(|e| format!("{display}: {e}"))?;
            assert_eq!(arn, again, "an ARN does not survive printing");
            Ok(())
        }
        Target::PolicyDocument => {
            let text = utf8(bytes, display)?;
            let document = Document::parse_text(text).map_err(|e| format!("{display}: {e}"))?;
            let _ = document.allowed_actions();
            Ok(())
        }
        Target::IamMatcher => {
            let text = utf8(bytes, display)?;
            let (pattern, rest) = text.split_once('\n').unwrap_or((text, ""));
            let (subject, vars) = rest.split_once('\n').unwrap_or((rest, ""));
            let vars: Vec<(&str, &str)> = vars.lines().filter_map(|l| l.split_once('=')).collect();
            let p = Pattern::new(&substitute(pattern, &vars));
            let q = Pattern::new(subject);
            let _ = (p.matches(subject), p.covers(&q), p.overlaps(&q));
            let _ = (p.literal_prefix(), p.is_any(), p.has_wildcard());
            // Whatever a pattern matches literally, it covers.
            if p.matches(subject) && !subject.contains(['*', '?', '$']) {
                assert!(
                    p.covers(&q),
                    "`{pattern}` matches `{subject}` but does not cover it"
                );
            }
            Ok(())
        }
        Target::MappingSpec => {
            let text = utf8(bytes, display)?;
            connectors::mapping::parse_spec(text, display)
                .map(drop)
                .map_err(|errors| {
                    // As residue.yaml's `mapping:` reports them: `file:line: message`.
                    errors
                        .iter()
                        .map(|e| match e.line {
                            Some(line) => format!("{}:{line}: {}", e.file, e.message),
                            None => format!("{}: {}", e.file, e.message),
                        })
                        .collect::<Vec<_>>()
                        .join("\n")
                })
        }
    }
}

/// The mapping specs residue ships (`connectors/*.yaml`), by the name errors give them.
const SHIPPED_SPECS: [(&str, &str); 2] = [
    (
        "connectors/okta-system-log-jsonl.yaml",
        include_str!("../connectors/okta-system-log-jsonl.yaml"),
    ),
    (
        "connectors/team-approvals-csv.yaml",
        include_str!("../connectors/team-approvals-csv.yaml"),
    ),
];

/// The shipped specs, parsed once: the `mapping` target reads its input through each.
fn shipped_specs() -> &'static [Arc<MappingSpec>] {
    static SPECS: OnceLock<Vec<Arc<MappingSpec>>> = OnceLock::new();
    SPECS.get_or_init(|| {
        SHIPPED_SPECS
            .iter()
            .map(|(file, text)| {
                let spec = connectors::mapping::parse_spec(text, file)
                    .unwrap_or_else(|e| panic!("{file}: {e:?}"));
                Arc::new(spec)
            })
            .collect()
    })
}

fn load_source(format: SourceFormat, path: &Path, display: &str) -> Result<(), String> {
    if format == SourceFormat::Mapping {
        // Data in the `mapping` format is read through a spec: every shipped one in turn
        // (a CSV spec and a JSON Lines spec), each error kept.
        let mut errors = Vec::new();
        for spec in shipped_specs() {
            let settings = ConnectorSettings {
                mapping: Some(Arc::clone(spec)),
                ..ConnectorSettings::default()
            };
            if let Err(e) = load_with(format, path, display, &settings) {
                errors.push(e);
            }
        }
        return if errors.is_empty() {
            Ok(())
        } else {
            Err(errors.join("\n"))
        };
    }
    load_with(format, path, display, &ConnectorSettings::default())
}

fn load_with(
    format: SourceFormat,
    path: &Path,
    display: &str,
    settings: &ConnectorSettings,
) -> Result<(), String> {
    let mut inventory =
        connectors::load(format, path, display, "fuzz", settings).map_err(|e| e.to_string())?;
    inventory.finalize().map_err(|errors| {
        errors
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    })
}

/// Text parsers take `&str`; a scan reads their files with `read_to_string`, which refuses
/// bytes that are not UTF-8 the same way.
fn utf8<'a>(bytes: &'a [u8], display: &str) -> Result<&'a str, String> {
    std::str::from_utf8(bytes).map_err(|e| format!("{display}: not UTF-8 text: {e}"))
}

/// A file holding one input, removed when dropped (also when the parser panics).
struct TempInput(PathBuf);

impl TempInput {
    fn new(bytes: &[u8]) -> std::io::Result<TempInput> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let name = format!(
            "residue-fuzz-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let path = std::env::temp_dir().join(name);
        std::fs::write(&path, bytes)?;
        Ok(TempInput(path))
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempInput {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[cfg(test)]
mod tests;
