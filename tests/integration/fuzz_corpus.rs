//! The fuzzers' checked-in corpus (`fuzz/corpus/<target>/`), replayed through the same entry
//! points the cargo-fuzz targets call: no input panics, and every error names its input.
//! A crash a fuzzer finds is fixed and its input added to the corpus, where this test keeps
//! it fixed. How to run the fuzzers themselves: docs/security.md.

use crate::support::*;
use residue::fuzzing::{run, Target};
use std::fs;

#[test]
fn every_corpus_file_parses_or_fails_naming_itself() {
    let corpus = root().join("fuzz/corpus");
    let mut replayed = 0;
    for target in Target::all() {
        let dir = corpus.join(target.name());
        let mut files: Vec<_> = fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        assert!(!files.is_empty(), "{}: no seed", dir.display());
        for file in files {
            let display = file.strip_prefix(root()).unwrap().display().to_string();
            let bytes = fs::read(&file).unwrap();
            let outcome = std::panic::catch_unwind(|| run(target, &bytes, &display))
                .unwrap_or_else(|_| panic!("{display}: the {} parser panicked", target.name()));
            if let Err(message) = outcome {
                assert!(
                    message.contains(&display),
                    "{display}: the error does not name the input: {message}"
                );
            }
            replayed += 1;
        }
    }
    assert!(replayed >= Target::all().len());
}

/// Every parser family has a cargo-fuzz target calling it by name, declared in
/// fuzz/Cargo.toml: adding a format means adding its target and seeds.
#[test]
fn every_target_has_a_cargo_fuzz_binary() {
    let manifest = fs::read_to_string(root().join("fuzz/Cargo.toml")).unwrap();
    assert!(
        manifest.contains("[workspace]"),
        "the fuzz crate stays outside the main build"
    );
    for target in Target::all() {
        let name = target.name();
        let file = format!("fuzz_targets/{}.rs", name.replace('-', "_"));
        let source = fs::read_to_string(root().join("fuzz").join(&file))
            .unwrap_or_else(|e| panic!("fuzz/{file}: {e}"));
        assert!(
            source.contains(&format!("fuzz(\"{name}\", data)")),
            "fuzz/{file} does not drive {name}"
        );
        assert!(
            manifest.contains(&format!("name = \"{name}\"\npath = \"{file}\"")),
            "fuzz/Cargo.toml does not declare {name}"
        );
    }
}
