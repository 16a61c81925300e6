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
/// Rust bindings name no constant for it; `options_are_the_documented_ones` checks the
/// position against the option's default (options.c).
const PURGE_DELAY: mi_option_t = 15;

/// `mi_option_allow_thp` and `mi_option_minimal_purge_size`, the same way. Only read by the
/// test, `ALLOW_THP` pins the minimal purge size's neighbour.
#[cfg(test)]
const ALLOW_THP: mi_option_t = 43;
const MINIMAL_PURGE_SIZE: mi_option_t = 44;

/// How long freed memory stays with the process before mimalloc returns it to the system,
/// in milliseconds (v3's default is 1,000). A scan frees the raw grant events, the graph
/// and each chunk's reach on background threads while the next phase allocates. Measured on
/// the 200,000-identity organisation over 50-1,000 ms, 250 ms was fastest (7.5-7.7 s against
/// 9.1-10.6 s at the default) with a lower peak (2.1-2.2 GB against 2.4-2.5 GB).
const SCAN_PURGE_DELAY_MS: std::os::raw::c_long = 250;

/// The least memory mimalloc returns to the system at once, in KiB: one transparent huge
/// page, as mimalloc itself does when told to manage huge pages (`allow_thp=2`). It asks
/// for huge pages on its arenas, and returning 64 KiB pieces of them (v3's default) splits
/// them. Side by side on a 400,000-identity scan: about 280,000 page faults and 4.6-10.9 s
/// of system time with 64 KiB, 40,000-47,000 and 3.3-3.4 s with 2 MiB (docs/performance.md).
const SCAN_MINIMAL_PURGE_KIB: std::os::raw::c_long = 2048;

/// Tunes the allocator for a scan. Called once, first thing in `main`. A user's own
/// `MIMALLOC_PURGE_DELAY` or `MIMALLOC_MINIMAL_PURGE_SIZE` is left as set.
pub fn configure() {
    // SAFETY: mi_option_set stores a value in mimalloc's option table; it is thread-safe
    // and both indexes are valid options (checked by the test below).
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        unsafe { mi_option_set(PURGE_DELAY, SCAN_PURGE_DELAY_MS) }
    }
    if std::env::var_os("MIMALLOC_MINIMAL_PURGE_SIZE").is_none() {
        unsafe { mi_option_set(MINIMAL_PURGE_SIZE, SCAN_MINIMAL_PURGE_KIB) }
    }
}

/// An option's value in force.
#[cfg(test)]
fn option(option: mi_option_t) -> std::os::raw::c_long {
    // SAFETY: reads mimalloc's option table; the tests pass valid option indexes.
    unsafe { libmimalloc_sys::mi_option_get(option) }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Checks one option before and after [`configure`]: unless the environment sets it,
    /// its documented default (or the scan's value, if this process was configured already)
    /// and then the scan's value; a wrong index would read another option's value. Set by
    /// the environment, it is left as set.
    fn check(
        index: mi_option_t,
        env: &str,
        default: std::os::raw::c_long,
        scan: std::os::raw::c_long,
    ) {
        let before = option(index);
        if std::env::var_os(env).is_some() {
            configure();
            assert_eq!(option(index), before, "{env} is the user's");
            return;
        }
        assert!(before == default || before == scan, "{env}: {before}");
        configure();
        assert_eq!(option(index), scan, "{env}");
    }

    #[test]
    fn options_are_the_documented_ones() {
        check(
            PURGE_DELAY,
            "MIMALLOC_PURGE_DELAY",
            1000,
            SCAN_PURGE_DELAY_MS,
        );
        check(
            MINIMAL_PURGE_SIZE,
            "MIMALLOC_MINIMAL_PURGE_SIZE",
            0,
            SCAN_MINIMAL_PURGE_KIB,
        );
        // Its neighbour is on by default on Linux; a one-off index would read 0 or 2 GiB.
        if std::env::var_os("MIMALLOC_ALLOW_THP").is_none() {
            assert_eq!(option(ALLOW_THP), 1);
        }
    }
}
