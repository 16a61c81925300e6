//! Progress on stderr: a spinner per phase when stderr is a terminal, plain notes otherwise.

use crate::scan::Progress;
use indicatif::{ProgressBar, ProgressStyle};
use std::time::Duration;

pub struct Display {
    bar: Option<ProgressBar>,
    quiet: bool,
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
        Display { bar, quiet }
    }

    pub fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

impl Progress for Display {
    fn phase(&self, name: &str) {
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
