//! The memory allocator of every binary built on this crate (the CLI, its tests and
//! benchmarks), and its tuning for a scan.
//!
//! A scan allocates and frees millions of small strings and vectors from two threads:
//! with glibc's allocator, `malloc`/`free` were a quarter of the AWS connector's time and
//! the comparison scan took 16,000 page faults. mimalloc halves the first and all but
//! removes the second (docs/performance.md has the figures).

use libmimalloc_sys::{mi_option_set, mi_option_t};

// Fuzzing builds (`cargo fuzz` sets `--cfg fuzzing`) keep the system allocator, which the
// sanitizers instrument.
#[cfg(not(fuzzing))]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay`: its position in mimalloc v3's `mi_option_e` (mimalloc.h). The
/// Rust bindings name no constant for it; `purge_delay_is_the_documented_option` checks the
/// position against the option's default (options.c).
const PURGE_DELAY: mi_option_t = 15;

/// How long freed memory stays with the process before mimalloc returns it to the system,
/// in milliseconds (v3's default is 1,000). A scan frees the raw grant events, the graph
/// and each chunk's reach on background threads while the next phase allocates. Measured on
/// the 200,000-identity organisation over 50-1,000 ms, 250 ms was fastest (7.5-7.7 s against
/// 9.1-10.6 s at the default) with a lower peak (2.1-2.2 GB against 2.4-2.5 GB).
const SCAN_PURGE_DELAY_MS: std::os::raw::c_long = 250;

/// Tunes the allocator for a scan. Called once, first thing in `main`. A user's own
/// `MIMALLOC_PURGE_DELAY` is left as set.
pub fn configure() {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_some() {
        return;
    }
    // SAFETY: mi_option_set stores a value in mimalloc's option table; it is thread-safe
    // and PURGE_DELAY is a valid option index (checked by the test below).
    unsafe { mi_option_set(PURGE_DELAY, SCAN_PURGE_DELAY_MS) }
}

/// The purge delay in force.
#[cfg(test)]
fn purge_delay() -> std::os::raw::c_long {
    // SAFETY: reads mimalloc's option table; PURGE_DELAY is a valid option index.
    unsafe { libmimalloc_sys::mi_option_get(PURGE_DELAY) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purge_delay_is_the_documented_option() {
        // The documented default (1,000 ms) unless this process was configured or the
        // environment sets it: a wrong index would read another option's value.
        let before = purge_delay();
        let from_env = std::env::var("MIMALLOC_PURGE_DELAY").ok();
        match &from_env {
            Some(v) => assert_eq!(&before.to_string(), v),
            None => assert!(before == 1000 || before == SCAN_PURGE_DELAY_MS, "{before}"),
        }
        configure();
        let expected = from_env.map_or(SCAN_PURGE_DELAY_MS, |v| v.parse().unwrap_or(before));
        assert_eq!(purge_delay(), expected);
    }
}
