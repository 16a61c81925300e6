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
    /// The phase under way, when timings were asked for.
    timing: Option<Mutex<Option<PhaseClock>>>,
}

/// A phase and when it began, in wall time and in the process's CPU time.
struct PhaseClock {
    name: String,
    started: Instant,
    cpu_at_start: Option<CpuSeconds>,
}

/// CPU time the process has used: in its own code and in the kernel on its behalf (system
/// time, mostly zeroing the memory it is given).
#[derive(Clone, Copy)]
struct CpuSeconds {
    user: f64,
    system: f64,
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
        let cpu_now = cpu_seconds();
        if let Some(PhaseClock {
            name,
            started,
            cpu_at_start: cpu_then,
        }) = current.take()
        {
            let rss = resident_mib().map_or(String::new(), |m| format!(", resident {m} MiB"));
            let cpu = match (cpu_then, cpu_now) {
                (Some(a), Some(b)) => format!(
                    ", cpu {:.2} s (system {:.2} s)",
                    (b.user + b.system) - (a.user + a.system),
                    b.system - a.system
                ),
                _ => String::new(),
            };
            eprintln!(
                "timing: {name}: {:.3} s{cpu}{rss}",
                started.elapsed().as_secs_f64()
            );
        }
        *current = next.map(|n| PhaseClock {
            name: n.to_string(),
            started: Instant::now(),
            cpu_at_start: cpu_now,
        });
    }
}

/// CPU time (all threads) the process has used so far, where the platform tells (Linux
/// `/proc/self/stat`, in clock ticks of 1/100 s): on a busy machine it says more about a
/// phase's cost than its wall time.
fn cpu_seconds() -> Option<CpuSeconds> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the parenthesised command name; utime and stime are the 12th and 13th.
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace().skip(11);
    let user: f64 = fields.next()?.parse().ok()?;
    let system: f64 = fields.next()?.parse().ok()?;
    Some(CpuSeconds {
        user: user / 100.0,
        system: system / 100.0,
    })
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
