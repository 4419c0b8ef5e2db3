//! `Progress`: byte-count progress bars (indicatif) for load, save, import, export and
//! commit, drawn on stderr only when stderr is a terminal. The CLI constructs one and
//! passes it down; library code only reports bytes. Never prints anything else.

use std::io::{IsTerminal, Read};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Where progress goes: a terminal on stderr, or nowhere.
#[derive(Clone, Debug)]
pub struct Progress {
    visible: bool,
}

impl Progress {
    /// Bars on stderr if stderr is a terminal; hidden otherwise (pipes, logs, tests).
    pub fn for_stderr() -> Progress {
        Progress {
            visible: std::io::stderr().is_terminal(),
        }
    }

    /// Never draws.
    pub fn hidden() -> Progress {
        Progress { visible: false }
    }

    /// Whether it draws anything (false for [`Progress::hidden`]).
    pub fn is_visible(&self) -> bool {
        self.visible
    }

    /// A bar (or spinner, without `total`) labelled `what`; finish it with [`Bar::done`].
    pub(crate) fn bar(&self, what: &str, total: Option<u64>) -> Bar {
        if !self.visible {
            return Bar(ProgressBar::hidden());
        }
        let (bar, template) = match total {
            Some(t) => (
                ProgressBar::new(t),
                "{msg:24} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec}",
            ),
            None => (
                ProgressBar::new_spinner(),
                "{spinner} {msg:24} {bytes} {bytes_per_sec}",
            ),
        };
        bar.set_draw_target(ProgressDrawTarget::stderr());
        if let Ok(style) = ProgressStyle::with_template(template) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message(what.to_owned());
        Bar(bar)
    }
}

impl Default for Progress {
    fn default() -> Self {
        Progress::hidden()
    }
}

/// One running bar.
pub(crate) struct Bar(ProgressBar);

impl Bar {
    pub(crate) fn done(self) {
        self.0.finish();
    }

    /// A reader that advances this bar by the bytes read.
    pub(crate) fn reader<R: Read>(&self, r: R) -> impl Read {
        self.0.wrap_read(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hidden_progress_passes_bytes_through() {
        let p = Progress::hidden();
        let bar = p.bar("x", Some(3));
        let mut out = Vec::new();
        std::io::copy(&mut bar.reader(&b"abc"[..]), &mut out).unwrap();
        bar.done();
        assert_eq!(out, b"abc");
        assert!(!p.is_visible());
    }
}
