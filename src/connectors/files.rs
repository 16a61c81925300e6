//! Sources that may be a directory: the data files below it, and whether any looks like a format.

use std::io::Read;
use std::path::{Path, PathBuf};

/// Files under `dir` that `is_data` accepts, recursively, sorted; hidden entries and
/// symlinked directories skipped.
pub(crate) fn collect(
    dir: &Path,
    is_data: fn(&Path) -> bool,
    out: &mut Vec<PathBuf>,
) -> std::io::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let path = entry.path();
        let meta = std::fs::symlink_metadata(&path)?;
        if meta.is_dir() {
            collect(&path, is_data, out)?;
        } else if is_data(&path) && path.is_file() {
            out.push(path);
        }
    }
    Ok(())
}

/// Whether at least one data file under `dir` has first 64 KiB that `sniff` recognises.
pub(crate) fn any_sniffs(dir: &Path, is_data: fn(&Path) -> bool, sniff: fn(&str) -> bool) -> bool {
    let mut files = Vec::new();
    if collect(dir, is_data, &mut files).is_err() {
        return false;
    }
    files.iter().any(|f| {
        let mut prefix = Vec::new();
        std::fs::File::open(f)
            .and_then(|file| file.take(64 * 1024).read_to_end(&mut prefix))
            .is_ok_and(|_| sniff(&String::from_utf8_lossy(&prefix)))
    })
}

/// The files of a source and how each is named: the path itself, or a directory's data
/// files named `<display>/<relative path>`.
pub(crate) fn source_files(
    path: &Path,
    display: &str,
    is_data: fn(&Path) -> bool,
) -> std::io::Result<Vec<(PathBuf, String)>> {
    if !path.is_dir() {
        return Ok(vec![(path.to_path_buf(), display.to_string())]);
    }
    let mut found = Vec::new();
    collect(path, is_data, &mut found)?;
    Ok(found
        .into_iter()
        .map(|f| {
            let rel = f
                .strip_prefix(path)
                .unwrap_or(&f)
                .to_string_lossy()
                .replace('\\', "/");
            let shown = format!("{}/{rel}", display.trim_end_matches('/'));
            (f, shown)
        })
        .collect())
}
