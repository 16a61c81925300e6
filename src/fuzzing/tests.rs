//! Never panic on bad bytes: every fuzz target's seeds, mutated (bytes replaced, inserted,
//! removed, the file cut short), and arbitrary bytes, through every parser family. Each
//! input gives a value or an error naming the input, never a panic.

use super::{run, Target};
use proptest::prelude::*;
use std::path::PathBuf;
use std::sync::OnceLock;

/// The checked-in corpus: `(target, file name, bytes)` for every seed, sorted.
fn corpus() -> &'static [(Target, String, Vec<u8>)] {
    static CORPUS: OnceLock<Vec<(Target, String, Vec<u8>)>> = OnceLock::new();
    CORPUS.get_or_init(|| {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus");
        let mut seeds = Vec::new();
        for target in Target::all() {
            let dir = root.join(target.name());
            let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
                .unwrap_or_else(|e| panic!("{}: {e}: every target needs seeds", dir.display()))
                .map(|e| e.expect("corpus entry").path())
                .collect();
            files.sort();
            for file in files {
                let name = file.file_name().unwrap().to_string_lossy().into_owned();
                seeds.push((target, name, std::fs::read(&file).expect("corpus file")));
            }
        }
        seeds
    })
}

/// One edit of a seed: replace, insert or remove the byte at a (scaled) position.
type Edit = (u16, u8, u8);

fn mutate(seed: &[u8], edits: &[Edit], cut: Option<u16>) -> Vec<u8> {
    let mut bytes = seed.to_vec();
    let at = |pos: u16, len: usize| (pos as usize * len.max(1)) / (u16::MAX as usize + 1);
    for &(pos, byte, op) in edits {
        let i = at(pos, bytes.len());
        match op % 3 {
            0 if i < bytes.len() => bytes[i] = byte,
            1 => bytes.insert(i.min(bytes.len()), byte),
            _ if i < bytes.len() => {
                bytes.remove(i);
            }
            _ => {}
        }
    }
    if let Some(pos) = cut {
        bytes.truncate(at(pos, bytes.len()));
    }
    bytes
}

fn check(target: Target, bytes: &[u8], display: &str) -> Result<(), TestCaseError> {
    if let Err(message) = run(target, bytes, display) {
        prop_assert!(
            message.contains(display),
            "{}: the error does not name the input: {message}",
            target.name()
        );
    }
    Ok(())
}

#[test]
fn every_target_has_seeds_and_every_corpus_folder_a_target() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus");
    for entry in std::fs::read_dir(&root).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        assert!(
            Target::from_name(&name).is_some(),
            "fuzz/corpus/{name} belongs to no fuzz target"
        );
    }
    for target in Target::all() {
        assert!(
            corpus().iter().any(|(t, _, _)| *t == target),
            "{} has no seed",
            target.name()
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn mutated_seeds_never_panic_any_parser(
        pick in any::<prop::sample::Index>(),
        edits in proptest::collection::vec(any::<Edit>(), 0..6),
        cut in proptest::option::weighted(0.2, any::<u16>()),
    ) {
        let (target, name, seed) = pick.get(corpus());
        let bytes = mutate(seed, &edits, cut);
        check(*target, &bytes, &format!("mutated/{}/{name}", target.name()))?;
    }

    #[test]
    fn arbitrary_bytes_never_panic_any_parser(
        pick in any::<prop::sample::Index>(),
        bytes in proptest::collection::vec(any::<u8>(), 0..300),
    ) {
        let targets = Target::all();
        let target = *pick.get(&targets);
        check(target, &bytes, &format!("arbitrary/{}", target.name()))?;
    }
}
