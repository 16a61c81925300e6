//! Progress on stderr: a spinner per phase when stderr is a terminal, plain notes otherwise.

use crate::scan::Progress;
use indicatif::{ProgressBar, ProgressStyle};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Set to print each phase's wall time and the process's resident memory after it on
/// stderr (docs/performance.md): where a slow scan spends its time, without a profiler.
pub const TIMINGS_VAR: &str = "RESIDUE_TIMINGS";

pub struct Display {
    bar: Option<ProgressBar>,
    quiet: bool,
    /// The phase under way and when it began, when timings were asked for.
    timing: Option<Mutex<Option<(String, Instant)>>>,
}

impl Display {
    pub fn new(interactive: bool, quiet: bool) -> Display {
        let bar = interactive.then(|| {
            let bar = ProgressBar::new_spinner();
            bar.set_style(
                ProgressStyle::with_template("{spinner} {msg} [{elapsed}]")
                    .expect("static template"),
            );
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        });
        let timing = std::env::var_os(TIMINGS_VAR)
            .filter(|v| !v.is_empty() && v != "0")
            .map(|_| Mutex::new(None));
        Display { bar, quiet, timing }
    }

    pub fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
        self.time_phase(None);
    }

    /// Ends the phase under way (printing its time) and starts `next`.
    fn time_phase(&self, next: Option<&str>) {
        let Some(timing) = &self.timing else {
            return;
        };
        let mut current = timing.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((name, started)) = current.take() {
            let rss = resident_mib().map_or(String::new(), |m| format!(", resident {m} MiB"));
            eprintln!(
                "timing: {name}: {:.2} s{rss}",
                started.elapsed().as_secs_f64()
            );
        }
        *current = next.map(|n| (n.to_string(), Instant::now()));
    }
}

/// The process's resident set in MiB, where the platform tells (Linux `/proc/self/statm`).
fn resident_mib() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096 / (1 << 20))
}

impl Progress for Display {
    fn phase(&self, name: &str) {
        self.time_phase(Some(name));
        if let Some(b) = &self.bar {
            b.set_message(name.to_string());
        }
    }

    fn note(&self, message: &str) {
        if self.quiet {
            return;
        }
        // Notes say what was recognised and read: worth keeping in CI logs too.
        let line = crate::report::escape::terminal(message);
        match &self.bar {
            Some(b) => b.println(line),
            None => eprintln!("{line}"),
        }
    }
}
